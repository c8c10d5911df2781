package firewall

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// realistic builds the benchmark rule set the issue names: an interface with
// 5 groups × 60 rules per direction (CIDR rules, a group reference, a prefix
// list, ICMP and UDP), and a 40-entry NACL (39 numbered + "*") for its
// subnet.
func realistic() *Inventory {
	inv := &Inventory{
		Subnets:     []Subnet{{ID: "s1", NACL: "acl-40"}},
		PrefixLists: []PrefixList{{ID: "pl-corp", CIDRs: []netip.Prefix{pfx("192.168.0.0/16")}}},
		Interfaces: []Interface{
			{ID: "eni-a", Subnet: "s1", Addrs: addrs("10.0.1.10", "2001:db8:1::10")},
			{ID: "eni-lb", Subnet: "s1", Addrs: addrs("10.0.1.5"), Groups: []string{"sg-lb"}},
		},
		SecurityGroups: []SecurityGroup{{ID: "sg-lb"}},
	}
	for g := range 5 {
		id := fmt.Sprintf("sg-%d", g)
		sg := SecurityGroup{ID: id}
		for j := range 56 {
			sg.Ingress = append(sg.Ingress, sgr(fmt.Sprintf("tcp %d 10.%d.%d.0/24", 2000+100*g+j, g, j)))
			sg.Egress = append(sg.Egress, sgr(fmt.Sprintf("tcp %d 10.%d.%d.0/24", 3000+100*g+j, g, j)))
		}
		for _, r := range []string{"udp 53 10.0.0.0/16", "udp 123 169.254.169.123/32", "icmp 3/4 0.0.0.0/0", "tcp 443 sg-lb"} {
			sg.Ingress = append(sg.Ingress, sgr(r))
			sg.Egress = append(sg.Egress, sgr(r))
		}
		if g == 4 {
			sg.Ingress[59] = sgr("tcp 8443 pl-corp")
			sg.Ingress[58] = sgr("tcp 22 203.0.113.1/32")
		}
		inv.SecurityGroups = append(inv.SecurityGroups, sg)
		inv.Interfaces[0].Groups = append(inv.Interfaces[0].Groups, id)
	}
	acl := NetworkACL{ID: "acl-40"}
	for i := range 39 {
		acl.Entries = append(acl.Entries,
			NACLEntry{Number: int32(10 * (i + 1)), Protocol: 6, FromPort: int32(1000 + i), ToPort: int32(1000 + i), CIDR: pfx(fmt.Sprintf("10.%d.0.0/16", i)), Action: Deny},
			NACLEntry{Number: int32(10 * (i + 1)), Egress: true, Protocol: 6, FromPort: int32(1000 + i), ToPort: int32(1000 + i), CIDR: pfx(fmt.Sprintf("10.%d.0.0/16", i)), Action: Deny})
	}
	acl.Entries[len(acl.Entries)-2] = NACLEntry{Number: 390, Protocol: ProtoAll, CIDR: pfx("0.0.0.0/0"), Action: Allow}
	inv.NetworkACLs = []NetworkACL{acl}
	return inv
}

var realisticLimits = Limits{NACLEntriesPerDirection: 40}

func compileRealistic(tb testing.TB) (*SG, *NACL) {
	tb.Helper()
	rs, err := Compile(realistic(), realisticLimits)
	if err != nil {
		tb.Fatal(err)
	}
	return rs.InterfaceSG("eni-a"), rs.SubnetNACL("s1")
}

// Packets for the realistic set: the last rule of the last group, a miss
// that scans every TCP rule, an ICMP error, and a NACL hit on 390 and on "*".
var (
	pktLastRule = pkt("tcp 192.168.7.7:50000 > 10.0.1.10:8443 S")
	pktMiss     = pkt("tcp 198.51.100.7:50000 > 10.0.1.10:9999 S")
	pktICMP     = pkt("icmp 192.0.2.1 > 10.0.1.10 3/4")
	pktNACL390  = pkt("tcp 198.51.100.7:50000 > 10.0.1.10:443 S")
	pktNACLStar = pkt("tcp [2001:db8::7]:50000 > [2001:db8:1::10]:443 S")
)

// TestRealisticSetVerdicts checks the benchmark set says what it should, so
// the benchmarks measure real work.
func TestRealisticSetVerdicts(t *testing.T) {
	sg, n := compileRealistic(t)
	for _, tt := range []struct {
		got  Verdict
		want string
	}{
		{sg.Eval(pktLastRule, Ingress), "allow sg-4-in-60"},
		{sg.Eval(pktMiss, Ingress), "deny none"},
		{sg.Eval(pktICMP, Ingress), "allow sg-0-in-59"},
		{n.Eval(pktNACL390, Ingress), "allow 390"},
		{n.Eval(pktNACLStar, Ingress), "deny *32768"},
	} {
		if got := verdictText(tt.got); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}

// TestEvalDoesNotAllocate is the allocation budget of STYLE.md lesson 4 on
// the realistic set: SG.Eval, SG.Untracked and NACL.Eval allocate nothing.
func TestEvalDoesNotAllocate(t *testing.T) {
	sg, n := compileRealistic(t)
	tests := []struct {
		name string
		f    func()
	}{
		{"SG.Eval allow", func() { sg.Eval(pktLastRule, Ingress) }},
		{"SG.Eval deny", func() { sg.Eval(pktMiss, Ingress) }},
		{"SG.Eval egress", func() { sg.Eval(pktMiss, Egress) }},
		{"SG.Untracked", func() { sg.Untracked(pktLastRule, Ingress) }},
		{"NACL.Eval numbered", func() { n.Eval(pktNACL390, Ingress) }},
		{"NACL.Eval default", func() { n.Eval(pktNACLStar, Egress) }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(1000, tt.f); got != 0 {
			t.Errorf("%s allocates %v times per run, want 0", tt.name, got)
		}
	}
}

var sinkVerdict Verdict

// BenchmarkSGEvalRealistic evaluates against 5 groups × 60 rules: a hit on
// the last rule and a miss that scans every TCP rule.
func BenchmarkSGEvalRealistic(b *testing.B) {
	sg, _ := compileRealistic(b)
	for _, bb := range []struct {
		name string
		p    *packet.Packet
	}{{"last-rule", pktLastRule}, {"miss", pktMiss}, {"icmp", pktICMP}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkVerdict = sg.Eval(bb.p, Ingress)
			}
		})
	}
}

// BenchmarkSGUntracked measures the tracked/untracked decision.
func BenchmarkSGUntracked(b *testing.B) {
	sg, _ := compileRealistic(b)
	b.ReportAllocs()
	var sink bool
	for b.Loop() {
		sink = sg.Untracked(pktLastRule, Ingress)
	}
	_ = sink
}

// BenchmarkNACLEval40 evaluates against a 40-entry NACL: a hit on the 39th
// entry and a fall-through to "*".
func BenchmarkNACLEval40(b *testing.B) {
	_, n := compileRealistic(b)
	for _, bb := range []struct {
		name string
		p    *packet.Packet
	}{{"entry-390", pktNACL390}, {"default", pktNACLStar}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkVerdict = n.Eval(bb.p, Ingress)
			}
		})
	}
}
