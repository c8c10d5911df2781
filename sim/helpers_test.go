package sim

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// sec returns t seconds as a Time.
func sec(t float64) Time { return Time(t * float64(time.Second)) }

// pfx parses a prefix.
func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// ip parses an address.
func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// pkt parses a one-line packet at time t (seconds):
//
//	"tcp 10.0.1.5:49152 > 10.0.2.7:443 S"        (flags S, S., ., P., F., R, R.)
//	"udp 10.0.1.5:40002 > 10.0.0.2:53"
//	"icmp 198.51.100.7 > 10.0.1.10 echo-request id=7"
//	"icmp 192.0.2.1 > 10.0.1.10 frag-needed quoting tcp 10.0.1.10:443 > 203.0.113.5:50000"
//	"gre 10.0.1.10 > 192.0.2.50", "sctp 203.0.113.5:1000 > 10.0.1.10:9999", "proto 99 a > b"
func pkt(t float64, s string) Packet {
	f := strings.Fields(s)
	p := Packet{At: sec(t), Length: 60}
	i := 0
	switch f[0] {
	case "tcp":
		p.Proto = packet.ProtoTCP
	case "udp":
		p.Proto = packet.ProtoUDP
	case "sctp":
		p.Proto = packet.ProtoSCTP
	case "icmp":
		p.Proto = packet.ProtoICMP
	case "icmpv6":
		p.Proto = packet.ProtoICMPv6
	case "gre":
		p.Proto = packet.ProtoGRE
	case "esp":
		p.Proto = packet.ProtoESP
	case "proto":
		n, _ := strconv.Atoi(f[1])
		p.Proto = uint8(n)
		i++
	default:
		panic("pkt: unknown protocol in " + s)
	}
	src, dst := f[i+1], f[i+3]
	if packet.HasPorts(p.Proto) {
		a, b := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
		p.Src, p.SrcPort, p.Dst, p.DstPort = a.Addr(), a.Port(), b.Addr(), b.Port()
	} else {
		p.Src, p.Dst = ip(src), ip(dst)
	}
	rest := f[i+4:]
	if p.Proto == packet.ProtoTCP {
		if len(rest) > 0 {
			f, err := packet.ParseTCPFlags(strings.Join(rest, ""))
			if err != nil {
				panic("pkt: " + s + ": " + err.Error())
			}
			p.Flags = f
		}
		return p
	}
	if p.IsICMP() && len(rest) > 0 {
		v6 := p.Proto == packet.ProtoICMPv6
		switch rest[0] {
		case "echo-request":
			p.ICMPType = 8
			if v6 {
				p.ICMPType = 128
			}
		case "echo-reply":
			p.ICMPType = 0
			if v6 {
				p.ICMPType = 129
			}
		case "frag-needed":
			p.ICMPType, p.ICMPCode = 3, 4
		case "port-unreachable":
			p.ICMPType, p.ICMPCode = 3, 3
			if v6 {
				p.ICMPType, p.ICMPCode = 1, 4
			}
		case "packet-too-big":
			p.ICMPType = 2
		}
		for j := 1; j < len(rest); j++ {
			if id, ok := strings.CutPrefix(rest[j], "id="); ok {
				n, _ := strconv.Atoi(id)
				p.ICMPID = uint16(n)
			}
			if rest[j] == "quoting" {
				q := pkt(0, strings.Join(rest[j+1:], " "))
				p.Inner = q.Tuple()
				break
			}
		}
	}
	return p
}

// sgr builds a security group rule: sgr("ssh", "tcp", 22, 22, "203.0.113.1/32").
// proto is "tcp", "udp", "icmp", "icmpv6", "-1" or a number; the peer is a
// CIDR, or "sg-…" for a group reference.
func sgr(id, proto string, from, to int32, peer string) firewall.SGRule {
	r := firewall.SGRule{ID: id, Protocol: protoOf(proto), FromPort: from, ToPort: to}
	if strings.HasPrefix(peer, "sg-") {
		r.Group = peer
	} else {
		r.CIDR = pfx(peer)
	}
	return r
}

// nacl builds a network ACL entry: nacl(100, "in", "allow", "tcp", 80, 80, "0.0.0.0/0").
func nacl(n int32, dir, action, proto string, from, to int32, cidr string) firewall.NACLEntry {
	e := firewall.NACLEntry{Number: n, Egress: dir == "out", Protocol: protoOf(proto), FromPort: from, ToPort: to, ICMPType: -1, ICMPCode: -1, CIDR: pfx(cidr), Action: firewall.Allow}
	if action == "deny" {
		e.Action = firewall.Deny
	}
	if proto == "icmp" || proto == "icmpv6" {
		e.FromPort, e.ToPort, e.ICMPType, e.ICMPCode = 0, 0, from, to
	}
	return e
}

func protoOf(s string) firewall.Protocol {
	switch s {
	case "tcp":
		return 6
	case "udp":
		return 17
	case "icmp":
		return 1
	case "icmpv6":
		return 58
	case "-1", "all":
		return firewall.ProtoAll
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		panic("protoOf: " + s)
	}
	return firewall.Protocol(n)
}

// world is a small inventory built in steps.
type world struct{ inv firewall.Inventory }

// newWorld returns VPC vpc-1 (10.0.0.0/16, 2001:db8::/56) with subnets s1
// (10.0.1.0/24, 2001:db8:0:1::/64) and s2 (10.0.2.0/24), both on acl-1, a
// copy of the default network ACL with IPv6 rules.
func newWorld() *world {
	w := &world{}
	w.inv.VPCs = []firewall.VPC{{ID: "vpc-1", CIDRs: []netip.Prefix{pfx("10.0.0.0/16"), pfx("2001:db8::/56")}}}
	acl := firewall.DefaultNACL("acl-1", "vpc-1", true)
	acl.IsDefault = false
	acl.Name = ""
	w.inv.NetworkACLs = []firewall.NetworkACL{acl}
	w.inv.Subnets = []firewall.Subnet{
		{ID: "s1", VPC: "vpc-1", CIDR: pfx("10.0.1.0/24"), IPv6CIDR: pfx("2001:db8:0:1::/64"), NACL: "acl-1"},
		{ID: "s2", VPC: "vpc-1", CIDR: pfx("10.0.2.0/24"), NACL: "acl-1"},
	}
	return w
}

// sg adds a security group.
func (w *world) sg(id string, ingress, egress []firewall.SGRule) *world {
	w.inv.SecurityGroups = append(w.inv.SecurityGroups, firewall.SecurityGroup{ID: id, VPC: "vpc-1", Ingress: ingress, Egress: egress})
	return w
}

// host adds an interface in subnet (or outside the VPC if subnet is "").
func (w *world) host(name, subnet string, addrs []string, groups ...string) *world {
	in := firewall.Interface{ID: "eni-" + name, Name: name, Subnet: subnet, Groups: groups, OS: "linux"}
	for _, a := range addrs {
		in.Addrs = append(in.Addrs, ip(a))
	}
	w.inv.Interfaces = append(w.inv.Interfaces, in)
	return w
}

// edit changes the last interface added.
func (w *world) edit(f func(*firewall.Interface)) *world {
	f(&w.inv.Interfaces[len(w.inv.Interfaces)-1])
	return w
}

// acl replaces network ACL acl-1's entries (custom NACL semantics).
func (w *world) acl(entries ...firewall.NACLEntry) *world {
	w.inv.NetworkACLs[0].Entries = entries
	return w
}

// engine builds an Engine from w.
func (w *world) engine(t testing.TB, opt Options) *Engine {
	t.Helper()
	e, err := New(w.inv, opt)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// t1 is SPEC.md §8 topology T1: A = 10.0.1.10 (and 2001:db8:0:1::10) in
// s1, public 203.0.113.10, with SG-EX (§2.8): in TCP 22 203.0.113.1/32, TCP
// 80 0.0.0.0/0, TCP 80 ::/0, ICMP all 0.0.0.0/0; out all 0.0.0.0/0 and ::/0.
func t1() *world {
	return newWorld().
		sg("sg-ex", []firewall.SGRule{
			sgr("ssh", "tcp", 22, 22, "203.0.113.1/32"),
			sgr("http4", "tcp", 80, 80, "0.0.0.0/0"),
			sgr("http6", "tcp", 80, 80, "::/0"),
			sgr("icmp", "icmp", -1, -1, "0.0.0.0/0"),
		}, []firewall.SGRule{
			sgr("all4", "-1", 0, 0, "0.0.0.0/0"),
			sgr("all6", "-1", 0, 0, "::/0"),
		}).
		host("a", "s1", []string{"10.0.1.10", "2001:db8:0:1::10"}, "sg-ex").
		edit(func(in *firewall.Interface) { in.PublicAddrs = []netip.Addr{ip("203.0.113.10")} })
}

// step is one scripted packet and what must happen to it.
type step struct {
	at      float64
	pkt     string
	fwd     bool
	reason  firewall.Reason // of the step at where (or of the decisive step); ReasonNone = don't check
	where   string          // check the last step met here (a drop must happen here); "" = the decisive step
	ruleNum int32           // rule number of that step; 0 = don't check
}

// script drives e with the steps and checks each outcome.
func script(t *testing.T, e *Engine, steps []step) {
	t.Helper()
	for i, s := range steps {
		p := pkt(s.at, s.pkt)
		out := e.Step(&p)
		if err := e.Err(); err != nil {
			t.Fatalf("step %d: engine error: %v", i+1, err)
		}
		d := out.Decisive
		if s.where != "" {
			// Check the last step met at s.where (for a drop, the drop).
			found := false
			for _, st := range out.Steps {
				// A NAT step at the interface decides nothing.
				if st.Where == s.where && st.Filter != FilterNAT {
					d, found = st, true
				}
			}
			if !found {
				t.Errorf("step %d (t=%gs %s): no step at %q; trace: %s", i+1, s.at, s.pkt, s.where, traceString(out.Steps))
				continue
			}
		}
		if out.Forwarded != s.fwd {
			t.Errorf("step %d (t=%gs %s): forwarded=%v, want %v; trace: %s", i+1, s.at, s.pkt, out.Forwarded, s.fwd, traceString(out.Steps))
			continue
		}
		if !s.fwd && s.where != "" && out.Decisive.Where != s.where {
			t.Errorf("step %d (t=%gs %s): dropped at %q, want %q; trace: %s", i+1, s.at, s.pkt, out.Decisive.Where, s.where, traceString(out.Steps))
		}
		if s.reason != firewall.ReasonNone && d.Reason != s.reason {
			t.Errorf("step %d (t=%gs %s): reason %s, want %s; trace: %s", i+1, s.at, s.pkt, d.Reason, s.reason, traceString(out.Steps))
		}
		if s.ruleNum != 0 && d.Rule.Number != s.ruleNum {
			t.Errorf("step %d (t=%gs %s): rule %d, want %d; trace: %s", i+1, s.at, s.pkt, d.Rule.Number, s.ruleNum, traceString(out.Steps))
		}
	}
}

// traceString formats a trace on one line.
func traceString(steps []Step) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 {
			b.WriteString(" → ")
		}
		fmt.Fprintf(&b, "%s/%s/%s:%s:%s", s.Where, s.Filter, s.Direction, s.Action, s.Reason)
		if s.Rule.Text != "" {
			fmt.Fprintf(&b, "(%s)", s.Rule.Text)
		}
	}
	return b.String()
}

// sliceSource is a packet.Source over a slice, optionally naming its flows.
type sliceSource struct {
	pkts  []Packet
	i     int
	names map[string]string // tuple string (either direction) → name
}

func (s *sliceSource) Next(p *Packet) (bool, error) {
	if s.i >= len(s.pkts) {
		return false, nil
	}
	*p = s.pkts[s.i]
	s.i++
	return true, nil
}

func (s *sliceSource) FlowName(t packet.Tuple) string {
	if n, ok := s.names[t.String()]; ok {
		return n
	}
	return s.names[t.Reverse().String()]
}

// packets parses lines "t packet…" into packets.
func packets(lines ...string) []Packet {
	var out []Packet
	for _, l := range lines {
		at, rest, _ := strings.Cut(l, " ")
		t, err := strconv.ParseFloat(at, 64)
		if err != nil {
			panic(l)
		}
		out = append(out, pkt(t, rest))
	}
	return out
}
