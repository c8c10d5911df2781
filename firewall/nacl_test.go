package firewall

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestNACLFirstMatchWins is SPEC.md §8 #22 and §3.1: rules are evaluated
// lowest number first and the first match decides "regardless of any
// higher-numbered rule"; renumbering the deny to 110 lets 1433 through.
func TestNACLFirstMatchWins(t *testing.T) {
	tests := []struct {
		name    string
		entries []NACLEntry
		pkt     string
		want    string
	}{
		{"deny 90 before allow 100", rules("100 allow tcp 0.0.0.0/0 1024-65535", "90 deny tcp 0.0.0.0/0 1433"), "tcp 198.51.100.7:50000 > 10.0.1.10:1433 S", "deny 90"},
		{"other port allowed by 100", rules("100 allow tcp 0.0.0.0/0 1024-65535", "90 deny tcp 0.0.0.0/0 1433"), "tcp 198.51.100.7:50001 > 10.0.1.10:50000 S", "allow 100"},
		{"renumbered deny 110 comes too late", rules("100 allow tcp 0.0.0.0/0 1024-65535", "110 deny tcp 0.0.0.0/0 1433"), "tcp 198.51.100.7:50000 > 10.0.1.10:1433 S", "allow 100"},
		{"no rule matches: * denies", rules("100 allow tcp 0.0.0.0/0 1024-65535"), "tcp 198.51.100.7:50000 > 10.0.1.10:139 S", "deny *32767"},
		{"port range edges", rules("100 allow tcp 0.0.0.0/0 1024-65535"), "tcp 198.51.100.7:50000 > 10.0.1.10:1024 S", "allow 100"},
		{"below the range", rules("100 allow tcp 0.0.0.0/0 1024-65535"), "tcp 198.51.100.7:50000 > 10.0.1.10:1023 S", "deny *32767"},
		{"source port is not matched", rules("100 allow tcp 0.0.0.0/0 80"), "tcp 198.51.100.7:80 > 10.0.1.10:50000 S.", "deny *32767"},
		{"cidr is matched on the source inbound", rules("100 allow all 192.0.2.0/24"), "udp 192.0.2.9:5000 > 10.0.1.10:53", "allow 100"},
		{"outbound rules do not apply inbound", rules("out 100 allow all 0.0.0.0/0"), "udp 192.0.2.9:5000 > 10.0.1.10:53", "deny *32767"},
		{"udp rule does not match tcp", rules("100 allow udp 0.0.0.0/0 53"), "tcp 192.0.2.9:5000 > 10.0.1.10:53 S", "deny *32767"},
		// §3.2: -1 and protocol numbers other than 6, 17, 1 match all ports.
		{"protocol -1 ignores ports", rules("100 deny all 0.0.0.0/0"), "tcp 192.0.2.9:5000 > 10.0.1.10:53 S", "deny 100"},
		{"gre entry with ports set", append(rules("100 allow 47 0.0.0.0/0"), NACLEntry{Number: 110, Protocol: 132, FromPort: 5000, ToPort: 5000, CIDR: pfx("0.0.0.0/0"), Action: Allow}), "gre 192.0.2.9 > 10.0.1.10", "allow 100"},
		{"sctp ignores ports", append(rules("100 allow 47 0.0.0.0/0"), NACLEntry{Number: 110, Protocol: 132, FromPort: 5000, ToPort: 5000, CIDR: pfx("0.0.0.0/0"), Action: Allow}), "sctp 192.0.2.9:1 > 10.0.1.10:9999", "allow 110"},
		// §3.2 / §3.10: ICMP type and code, -1 = all.
		{"icmp type/code match", rules("100 allow icmp 0.0.0.0/0 3/4"), "icmp 192.0.2.1 > 10.0.1.10 3/4", "allow 100"},
		{"icmp other code", rules("100 allow icmp 0.0.0.0/0 3/4"), "icmp 192.0.2.1 > 10.0.1.10 3/1", "deny *32767"},
		{"icmp all codes of a type", rules("100 allow icmp 0.0.0.0/0 11/-1"), "icmp 192.0.2.1 > 10.0.1.10 11/1", "allow 100"},
		{"icmpv6 with ipv6 cidr: type/code", rules("100 allow icmpv6 ::/0 2/0"), "icmpv6 2001:db8::1 > 2001:db8:1::10 1/4", "deny *32768"},
		{"icmpv6 with ipv6 cidr: matching type", rules("100 allow icmpv6 ::/0 2/0"), "icmpv6 2001:db8::1 > 2001:db8:1::10 2/0", "allow 100"},
		{"icmpv6 with ipv4 cidr: all types", rules("100 allow icmpv6 0.0.0.0/0 2/0"), "icmpv6 192.0.2.1 > 10.0.1.10 1/4", "allow 100"},
		// §3.1: IPv4 and IPv6 rules are separate.
		{"ipv4 allow-all does not admit ipv6", rules("100 allow all 0.0.0.0/0"), "tcp [2001:db8::1]:5000 > [2001:db8:1::10]:80 S", "deny *32768"},
		{"ipv6 allow-all does not admit ipv4", rules("101 allow all ::/0"), "tcp 192.0.2.1:5000 > 10.0.1.10:80 S", "deny *32767"},
		{"ipv6 rule admits ipv6", rules("100 deny all 0.0.0.0/0", "101 allow all ::/0"), "tcp [2001:db8::1]:5000 > [2001:db8:1::10]:80 S", "allow 101"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := oneNACL(t, tt.entries)
			if got := verdictText(n.Eval(pkt(tt.pkt), Ingress)); got != tt.want {
				t.Errorf("Eval = %s, want %s", got, tt.want)
			}
		})
	}
}

// nacl35 is SPEC.md §3.5's IPv4-only custom NACL example.
func nacl35() []NACLEntry {
	return rules(
		"100 allow tcp 0.0.0.0/0 80", "110 allow tcp 0.0.0.0/0 443",
		"120 allow tcp 192.0.2.0/24 22", "130 allow tcp 192.0.2.0/24 3389",
		"140 allow tcp 0.0.0.0/0 32768-65535",
		"out 100 allow tcp 0.0.0.0/0 80", "out 110 allow tcp 0.0.0.0/0 443",
		"out 120 allow tcp 192.0.2.0/24 1024-65535", "out 140 allow tcp 0.0.0.0/0 32768-65535",
	)
}

// TestNACLEphemeralRanges is SPEC.md §8 #24: with §3.5's NACL a Linux
// client's reply (dst 45000) is admitted by inbound 140, a FreeBSD client's
// (dst 20000, from its 10000–65535 range, §4) falls to "*".
func TestNACLEphemeralRanges(t *testing.T) {
	n := oneNACL(t, nacl35())
	linux, _ := packet.EphemeralRange("linux")
	bsd, _ := packet.EphemeralRange("freebsd")
	tests := []struct {
		name string
		port uint16
		want string
	}{
		{"linux", linux.Lo + 12232, "allow 140"},
		{"freebsd", bsd.Lo + 10000, "deny *32767"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &packet.Packet{Proto: 6, Src: netip.MustParseAddr("10.0.1.10"), Dst: netip.MustParseAddr("198.51.100.80"), SrcPort: tt.port, DstPort: 80}
			if got := verdictText(n.Eval(out, Egress)); got != "allow 100" {
				t.Errorf("request out = %s, want allow 100", got)
			}
			in := &packet.Packet{Proto: 6, Src: out.Dst, Dst: out.Src, SrcPort: 80, DstPort: tt.port}
			if got := verdictText(n.Eval(in, Ingress)); got != tt.want {
				t.Errorf("reply in (dst port %d) = %s, want %s", tt.port, got, tt.want)
			}
		})
	}
}

// TestNACLStatelessPing is the NACL part of SPEC.md §8 #8: inbound 100
// allows ICMP, outbound has only "*", so the echo request gets in and the
// reply is denied by the outbound "*" entry.
func TestNACLStatelessPing(t *testing.T) {
	n := oneNACL(t, rules("100 allow icmp 0.0.0.0/0 -1/-1"))
	req := n.Eval(pkt("icmp 203.0.113.12 > 172.31.16.139 8/0"), Ingress)
	if req.Action != Allow || req.Reason != ReasonNACLAllow || req.Rule.Number != 100 || req.Rule.Kind != RuleNACL {
		t.Errorf("request = %+v", req)
	}
	rep := n.Eval(pkt("icmp 172.31.16.139 > 203.0.113.12 0/0"), Egress)
	want := Verdict{Action: Deny, Reason: ReasonNACLDefaultDeny, Rule: RuleRef{Kind: RuleNACLDefault, Filter: "acl-1",
		Number: 32767, Egress: true, Text: "* deny all to 0.0.0.0/0"}}
	if rep != want {
		t.Errorf("reply = %+v, want %+v", rep, want)
	}
}

// TestNACLDefaults checks DefaultNACL (100/101 allow all) against
// CustomNACL (deny all) and a subnet without a NACL getting its VPC's
// default (SPEC.md §3.1, §3.3).
func TestNACLDefaults(t *testing.T) {
	inv := &Inventory{
		VPCs:        []VPC{{ID: "vpc-1"}},
		Subnets:     []Subnet{{ID: "s-def", VPC: "vpc-1", IPv6CIDR: pfx("2001:db8:1::/64")}, {ID: "s-custom", VPC: "vpc-1", NACL: "acl-c"}},
		NetworkACLs: []NetworkACL{CustomNACL("acl-c", "vpc-1")},
	}
	rs := mustCompile(t, inv)
	def := rs.SubnetNACL("s-def")
	if def == nil || def.ID() != "acl-default-vpc-1" {
		t.Fatalf("default NACL = %v", def)
	}
	if rs.SubnetNACL("s-custom") != rs.NACL("acl-c") || rs.SubnetNACL("nope") != nil {
		t.Errorf("SubnetNACL lookups wrong")
	}
	v4, v6 := pkt("tcp 192.0.2.1:5000 > 10.0.1.10:22 S"), pkt("tcp [2001:db8::1]:5000 > [2001:db8:1::10]:22 S")
	for _, tt := range []struct {
		n    *NACL
		p    *packet.Packet
		dir  Direction
		want string
	}{
		{def, v4, Ingress, "allow 100"}, {def, v4, Egress, "allow 100"},
		{def, v6, Ingress, "allow 101"}, {def, v6, Egress, "allow 101"},
		{rs.NACL("acl-c"), v4, Ingress, "deny *32767"}, {rs.NACL("acl-c"), v6, Egress, "deny *32768"},
	} {
		if got := verdictText(tt.n.Eval(tt.p, tt.dir)); got != tt.want {
			t.Errorf("%s %s %s = %s, want %s", tt.n.ID(), tt.dir, tt.p, got, tt.want)
		}
	}
	if d := DefaultNACL("a", "v", false); len(d.Entries) != 2 {
		t.Errorf("DefaultNACL(ipv6=false) has %d entries, want 2", len(d.Entries))
	}
}

// TestNACLEntriesListing checks Entries: rule-number order, "*" last,
// canonical CIDRs (100.68.0.18/18 → 100.68.0.0/18, SPEC.md §3.1) and the
// texts reports quote.
func TestNACLEntriesListing(t *testing.T) {
	es := rules("120 deny icmp 0.0.0.0/0 3/4", "100 allow tcp 0.0.0.0/0 1024-65535", "110 allow all 100.68.0.18/18", "105 allow tcp ::/0 80",
		"out 100 allow udp 0.0.0.0/0 53")
	es = append(es, NACLEntry{Number: 32767, Protocol: ProtoAll, CIDR: pfx("0.0.0.0/0"), Action: Deny}) // as AWS lists it
	n := oneNACL(t, es)
	var got []string
	for _, e := range n.Entries(Ingress) {
		got = append(got, e.Text)
	}
	want := []string{
		"100 allow tcp 1024-65535 from 0.0.0.0/0",
		"105 allow tcp 80 from ::/0",
		"110 allow all from 100.68.0.0/18",
		"120 deny icmp type 3 code 4 from 0.0.0.0/0",
		"* deny all from 0.0.0.0/0",
		"* deny all from ::/0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("inbound:\n got %q\nwant %q", got, want)
	}
	out := n.Entries(Egress)
	if len(out) != 3 || out[0].Text != "100 allow udp 53 to 0.0.0.0/0" || !out[1].Default || out[0].Default {
		t.Errorf("outbound = %+v", out)
	}
	if got := verdictText(n.Eval(pkt("udp 100.68.63.1:1 > 10.0.0.1:2"), Ingress)); got != "allow 110" {
		t.Errorf("canonicalised cidr: %s", got)
	}
}
