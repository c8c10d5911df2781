package sim

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// TestRuleChangeCutsUntrackedFlowAtOnce: removing the all-open HTTP rule
// cuts the untracked flow at the next packet (CT7, SPEC.md §2.8 narrative
// (a)), in both directions, while the tracked SSH flow on the same
// interface survives the removal of its rule (CT4).
func TestRuleChangeCutsUntrackedFlowAtOnce(t *testing.T) {
	e := t1().engine(t, Options{})
	for _, c := range []Change{
		{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "http4"},
		{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "ssh"},
	} {
		if err := e.Schedule(sec(5), c); err != nil {
			t.Fatal(err)
		}
	}
	script(t, e, []step{
		{0, "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", true, firewall.ReasonSGRuleUntracked, "a", 0},
		{0, "tcp 10.0.1.10:80 > 198.51.100.7:51000 S.", true, firewall.ReasonSGRuleUntracked, "a", 0},
		{1, "tcp 203.0.113.1:50000 > 10.0.1.10:22 S", true, firewall.ReasonSGRule, "a", 0},
		{1, "tcp 10.0.1.10:22 > 203.0.113.1:50000 S.", true, firewall.ReasonTracked, "a", 0},
		{6, "tcp 198.51.100.7:51000 > 10.0.1.10:80 P.", false, firewall.ReasonSGNoRule, "a", 0},
		// The reply direction still has its all-open egress rule; the
		// flow stays untracked, so the reply opens no entry (CT7,
		// SPEC.md §8 #32b)…
		{6, "tcp 10.0.1.10:80 > 198.51.100.7:51000 P.", true, firewall.ReasonSGRuleUntracked, "a", 0},
		{6, "tcp 203.0.113.1:50000 > 10.0.1.10:22 P.", true, firewall.ReasonTracked, "a", 0},
		// …and the client's next packet is still cut.
		{7, "tcp 198.51.100.7:51000 > 10.0.1.10:80 P.", false, firewall.ReasonSGNoRule, "a", 0},
		// A new connection on another tuple is classified afresh: the
		// ingress rule is gone, so it is dropped.
		{8, "tcp 198.51.100.7:51001 > 10.0.1.10:80 S", false, firewall.ReasonSGNoRule, "a", 0},
	})
	r := e.Result()
	if len(r.Changes) != 2 || r.Changes[1].Generation != 3 {
		t.Fatalf("changes %+v, want two, the last at generation 3", r.Changes)
	}
	if h := r.Flows[0].Hint; !strings.Contains(h, "the flow was untracked") {
		t.Errorf("hint %q should say the untracked flow was cut", h)
	}
	if !strings.Contains(r.Changes[0].Description, "remove sg-ex ingress rule http4: tcp 80 from 0.0.0.0/0") {
		t.Errorf("description %q", r.Changes[0].Description)
	}
}

// TestUntrackedFlowStaysUntrackedAfterResponseRuleRemoved: removing the
// all-open egress rule that carried an untracked flow's replies makes new
// IPv4 flows tracked (SPEC.md §2.8) but interrupts the existing untracked
// flow (CT7): its next inbound packet, still allowed by the inbound rule,
// must not open an entry that would carry the replies.
func TestUntrackedFlowStaysUntrackedAfterResponseRuleRemoved(t *testing.T) {
	e := t1().engine(t, Options{})
	if err := e.Schedule(sec(5), Change{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Egress, RuleID: "all4"}); err != nil {
		t.Fatal(err)
	}
	script(t, e, []step{
		{0, "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", true, firewall.ReasonSGRuleUntracked, "a", 0},
		{0, "tcp 10.0.1.10:80 > 198.51.100.7:51000 S.", true, firewall.ReasonSGRuleUntracked, "a", 0},
		{6, "tcp 198.51.100.7:51000 > 10.0.1.10:80 P.", true, firewall.ReasonSGRuleUntracked, "a", 0},
		{6, "tcp 10.0.1.10:80 > 198.51.100.7:51000 P.", false, firewall.ReasonSGNoRule, "a", 0},
		// A new connection is tracked.
		{7, "tcp 198.51.100.7:51001 > 10.0.1.10:80 S", true, firewall.ReasonSGRule, "a", 0},
		{7, "tcp 10.0.1.10:80 > 198.51.100.7:51001 S.", true, firewall.ReasonTracked, "a", 0},
	})
}

// TestRemovingIPv4EgressTracksIPv4Only: SPEC.md §2.8 — "If you remove the
// outbound rule for IPv4 traffic, all inbound and outbound IPv4 traffic is
// tracked"; IPv6 port 80 stays untracked (per-family decision, §2.2).
func TestRemovingIPv4EgressTracksIPv4Only(t *testing.T) {
	e := t1().engine(t, Options{})
	if err := e.Schedule(0, Change{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Egress, RuleID: "all4"}); err != nil {
		t.Fatal(err)
	}
	script(t, e, []step{
		{1, "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", true, firewall.ReasonSGRule, "a", 0},
		{1, "tcp 10.0.1.10:80 > 198.51.100.7:51000 S.", true, firewall.ReasonTracked, "a", 0},
		{2, "tcp [2001:db8:ffff::7]:51000 > [2001:db8:0:1::10]:80 S", true, firewall.ReasonSGRuleUntracked, "a", 0},
		{2, "tcp [2001:db8:0:1::10]:80 > [2001:db8:ffff::7]:51000 S.", true, firewall.ReasonSGRuleUntracked, "a", 0},
	})
}

// TestIPv4AndIPv6RulesAreSeparate: an IPv4 CIDR never admits IPv6 (SPEC.md
// §3.1 "IPv4 and IPv6 traffic are separate"): T1 has SSH for one IPv4 host
// only, so SSH over IPv6 is dropped while HTTP works in both families.
func TestIPv4AndIPv6RulesAreSeparate(t *testing.T) {
	e := t1().engine(t, Options{})
	script(t, e, []step{
		{0, "tcp [2001:db8:ffff::1]:50000 > [2001:db8:0:1::10]:22 S", false, firewall.ReasonSGNoRule, "a", 0},
		{0, "tcp [2001:db8:ffff::1]:50001 > [2001:db8:0:1::10]:80 S", true, firewall.ReasonSGRuleUntracked, "a", 0},
		// The ICMP rule is IPv4 only.
		{0, "icmpv6 2001:db8:ffff::1 > 2001:db8:0:1::10 echo-request id=1", false, firewall.ReasonSGNoRule, "a", 0},
	})
}

// TestAllowanceExhaustionThroughThePath: once the ENI holds its allowance of
// tracked entries, a packet needing a new one is dropped and counted;
// existing entries keep working; untracked flows need none (SPEC.md §2.6).
func TestAllowanceExhaustionThroughThePath(t *testing.T) {
	e := t1().engine(t, Options{Allowances: map[string]int{"a": 2}})
	script(t, e, []step{
		{0, "tcp 203.0.113.1:50000 > 10.0.1.10:22 S", true, firewall.ReasonSGRule, "a", 0},
		{0, "icmp 198.51.100.7 > 10.0.1.10 echo-request id=1", true, firewall.ReasonSGRule, "a", 0},
		{1, "tcp 203.0.113.1:50001 > 10.0.1.10:22 S", false, firewall.ReasonAllowanceExceeded, "a", 0},
		{1, "tcp 203.0.113.1:50000 > 10.0.1.10:22 .", true, firewall.ReasonTracked, "a", 0},
		{1, "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", true, firewall.ReasonSGRuleUntracked, "a", 0},
		// The ICMP entry times out after 30 s, freeing a slot.
		{40, "tcp 203.0.113.1:50002 > 10.0.1.10:22 S", true, firewall.ReasonSGRule, "a", 0},
	})
	r := e.Result()
	st := r.Interfaces[0]
	if st.AllowanceExceeded != 1 || st.Allowance != 2 || st.AllowanceAvailable != 0 || st.PeakEntries != 2 {
		t.Errorf("interface stats %+v, want 1 exceeded, allowance 2, 0 available, peak 2", st)
	}
	var hint string
	for _, f := range r.Flows {
		if f.Verdict == Blocked {
			hint = f.Hint
		}
	}
	if !strings.Contains(hint, "ENI a has 2 of 2 tracked connections in use") {
		t.Errorf("hint %q", hint)
	}
}

// TestIntraSubnetTrafficSkipsNACL: "We evaluate the network ACL rules when
// traffic enters and leaves the subnet, not as it is routed within a
// subnet" (SPEC.md §3.1): a deny-all NACL does not stop traffic between two
// instances of one subnet, but does between subnets.
func TestIntraSubnetTrafficSkipsNACL(t *testing.T) {
	w := openSG(newWorld()).acl().
		host("a", "s1", []string{"10.0.1.10"}, "sg-open").
		host("b", "s1", []string{"10.0.1.11"}, "sg-open").
		host("c", "s2", []string{"10.0.2.12"}, "sg-open")
	script(t, w.engine(t, Options{}), []step{
		{0, "tcp 10.0.1.10:40000 > 10.0.1.11:5432 S", true, firewall.ReasonSameSubnet, "s1", 0},
		{0, "tcp 10.0.1.10:40001 > 10.0.2.12:5432 S", false, firewall.ReasonNACLDefaultDeny, "s1", 32767},
	})
}

// TestPublicAddressIsNATedToPrivate: the internet gateway's 1:1 NAT means
// filters see the instance's private address (SPEC.md §6); the rewrite is
// in the trace, and both directions form one flow.
func TestPublicAddressIsNATedToPrivate(t *testing.T) {
	e := t1().engine(t, Options{Explain: true})
	out := e.Step(ptr(pkt(0, "tcp 203.0.113.1:50000 > 203.0.113.10:22 S")))
	if !out.Forwarded || out.Steps[0].Filter != FilterNAT || !strings.Contains(out.Steps[0].Note, "203.0.113.10 is a's 10.0.1.10") {
		t.Fatalf("trace %s (note %q), want a NAT step then allowed", traceString(out.Steps), out.Steps[0].Note)
	}
	// Outbound, the internet gateway comes after the filters (SPEC.md §6:
	// SG egress → NACL out → IGW src private→public), and the decisive
	// step is the last filter's, not the NAT's.
	back := e.Step(ptr(pkt(0.01, "tcp 203.0.113.10:22 > 203.0.113.1:50000 S.")))
	if n := len(back.Steps); !back.Forwarded || n != 3 || back.Steps[0].Filter != FilterSG || back.Steps[1].Filter != FilterNACL ||
		back.Steps[2].Filter != FilterNAT || back.Decisive.Filter != FilterNACL {
		t.Fatalf("reply trace %s (decisive %s), want SG egress → NACL out → NAT, decided by the NACL", traceString(back.Steps), back.Decisive.Reason)
	}
	// A dropped outbound packet never reaches the gateway: no NAT step.
	if err := e.Schedule(sec(0.015), Change{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Egress, RuleID: "all4"}); err != nil {
		t.Fatal(err)
	}
	drop := e.Step(ptr(pkt(0.02, "udp 203.0.113.10:5000 > 203.0.113.1:53")))
	if last := drop.Steps[len(drop.Steps)-1]; drop.Forwarded || last.Filter != FilterSG {
		t.Fatalf("dropped trace %s, want it to end at the SG", traceString(drop.Steps))
	}
	script(t, e, []step{
		{0.02, "tcp 203.0.113.1:50000 > 10.0.1.10:22 .", true, firewall.ReasonTracked, "a", 0},
	})
	r := e.Result()
	if len(r.Flows) != 2 || r.Flows[0].Key != "tcp 203.0.113.1:50000 > 10.0.1.10:22" || r.Flows[0].Responder != "a" {
		t.Fatalf("flows %+v, want the TCP flow to a's private address and the UDP one", r.Flows)
	}
	if !strings.Contains(r.Packets[0].Packet, "10.0.1.10:22") {
		t.Errorf("packet record %q should show the address the filters saw", r.Packets[0].Packet)
	}
}

// TestStateAtEgressSurvivesLaterNACLDrop: by default a packet that passes
// its SG egress creates the entry even if the NACL then drops it (SPEC.md §6
// recommendation); NoStateOnLaterDrop leaves no entry.
func TestStateAtEgressSurvivesLaterNACLDrop(t *testing.T) {
	for _, tc := range []struct {
		opt      Options
		inserted uint64
	}{{Options{}, 1}, {Options{NoStateOnLaterDrop: true}, 0}} {
		w := newWorld().acl(nacl(100, "in", "allow", "-1", 0, 0, "0.0.0.0/0")).
			sg("sg-a", nil, []firewall.SGRule{sgr("https", "tcp", 443, 443, "0.0.0.0/0")}).
			host("a", "s1", []string{"10.0.1.10"}, "sg-a")
		e := w.engine(t, tc.opt)
		script(t, e, []step{
			{0, "tcp 10.0.1.10:50000 > 192.0.2.80:443 S", false, firewall.ReasonNACLDefaultDeny, "s1", 0},
		})
		if got := e.Result().Interfaces[0].Inserted; got != tc.inserted {
			t.Errorf("NoStateOnLaterDrop=%v: inserted %d, want %d", tc.opt.NoStateOnLaterDrop, got, tc.inserted)
		}
	}
}

// TestNACLPropagationDelay: a network ACL change takes effect
// NACLPropagationDelay after its time (SPEC.md §7.7); SG changes at once.
func TestNACLPropagationDelay(t *testing.T) {
	e := t1().engine(t, Options{NACLPropagationDelay: 5 * time.Second})
	if err := e.Schedule(sec(10), Change{Kind: AddNACLEntry, ACL: "acl-1", Entry: nacl(50, "in", "deny", "-1", 0, 0, "0.0.0.0/0"), Note: "lock down"}); err != nil {
		t.Fatal(err)
	}
	script(t, e, []step{
		{12, "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", true, firewall.ReasonNone, "", 0},
		{15, "tcp 198.51.100.7:51001 > 10.0.1.10:80 S", false, firewall.ReasonNACLDeny, "s1", 50},
	})
	c := e.Result().Changes[0]
	if c.At != Timestamp(sec(10)) || c.Effective != Timestamp(sec(15)) || c.Note != "lock down" {
		t.Errorf("applied change %+v, want at 10s effective 15s", c)
	}
}

// TestChangesOfEveryKind applies each kind of change once and checks its
// effect on the next packet.
func TestChangesOfEveryKind(t *testing.T) {
	w := t1()
	w.inv.NetworkACLs = append(w.inv.NetworkACLs, firewall.CustomNACL("acl-deny", "vpc-1"))
	e := w.engine(t, Options{})
	changes := []struct {
		at float64
		c  Change
	}{
		{1, Change{Kind: AddSGRule, Group: "sg-ex", Direction: firewall.Ingress, Rule: sgr("pg", "tcp", 5432, 5432, "198.51.100.0/24")}},
		{2, Change{Kind: ReplaceSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "pg", Rule: sgr("", "tcp", 5433, 5433, "198.51.100.0/24")}},
		{3, Change{Kind: AddNACLEntry, ACL: "acl-1", Entry: nacl(10, "in", "deny", "tcp", 5433, 5433, "0.0.0.0/0")}},
		{4, Change{Kind: ReplaceNACLEntry, ACL: "acl-1", Entry: nacl(10, "in", "deny", "tcp", 5434, 5434, "0.0.0.0/0")}},
		{5, Change{Kind: RemoveNACLEntry, ACL: "acl-1", Direction: firewall.Ingress, Number: 10}},
		{6, Change{Kind: AssociateNACL, ACL: "acl-deny", Subnet: "s1"}},
		{7, Change{Kind: SetTracking, Interface: "a", Tracking: firewall.TrackingSpec{UDP: 45 * time.Second}}},
	}
	for _, c := range changes {
		if err := e.Schedule(sec(c.at), c.c); err != nil {
			t.Fatal(err)
		}
	}
	script(t, e, []step{
		{1, "tcp 198.51.100.7:40000 > 10.0.1.10:5432 S", true, firewall.ReasonSGRule, "a", 0},
		{2, "tcp 198.51.100.7:40001 > 10.0.1.10:5432 S", false, firewall.ReasonSGNoRule, "a", 0},
		{2, "tcp 198.51.100.7:40002 > 10.0.1.10:5433 S", true, firewall.ReasonSGRule, "a", 0},
		{3, "tcp 198.51.100.7:40003 > 10.0.1.10:5433 S", false, firewall.ReasonNACLDeny, "s1", 10},
		{4, "tcp 198.51.100.7:40004 > 10.0.1.10:5433 S", true, firewall.ReasonSGRule, "a", 0},
		{5, "tcp 198.51.100.7:40005 > 10.0.1.10:5433 S", true, firewall.ReasonSGRule, "a", 0},
		{6, "tcp 198.51.100.7:40006 > 10.0.1.10:5433 S", false, firewall.ReasonNACLDefaultDeny, "s1", 32767},
		{8, "tcp 198.51.100.7:40007 > 10.0.1.10:5433 S", false, firewall.ReasonNACLDefaultDeny, "s1", 32767},
	})
	r := e.Result()
	if len(r.Changes) != 7 {
		t.Fatalf("%d changes applied, want 7: %+v", len(r.Changes), r.Changes)
	}
	var kinds []string
	for _, c := range r.Changes {
		kinds = append(kinds, c.Kind)
	}
	if got := strings.Join(kinds, ","); got != "add_sg_rule,replace_sg_rule,add_nacl_entry,replace_nacl_entry,remove_nacl_entry,associate_nacl,set_tracking" {
		t.Errorf("kinds %s", got)
	}
	if !strings.Contains(r.Changes[6].Description, "udp 45s") {
		t.Errorf("set_tracking description %q", r.Changes[6].Description)
	}
}

// TestBadChangesAreErrors: Schedule rejects unknown objects; a change that
// fails when applied (unknown rule, out-of-range timeout, a rule Compile
// rejects) stops the run with an error naming it, and leaves the rules as
// they were.
func TestBadChangesAreErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       Change
		atApply bool
		want    string
	}{
		{"unknown group", Change{Kind: AddSGRule, Group: "sg-nope"}, false, `unknown security group "sg-nope"`},
		{"unknown acl", Change{Kind: AddNACLEntry, ACL: "acl-nope"}, false, `unknown network ACL "acl-nope"`},
		{"unknown subnet", Change{Kind: AssociateNACL, ACL: "acl-1", Subnet: "s9"}, false, `unknown subnet "s9"`},
		{"unknown interface", Change{Kind: SetTracking, Interface: "zz"}, false, `unknown interface "zz"`},
		{"no kind", Change{}, false, "unknown change kind 0"},
		{"missing rule id", Change{Kind: RemoveSGRule, Group: "sg-ex"}, false, "rule_id is required"},
		{"unknown rule", Change{Kind: RemoveSGRule, Group: "sg-ex", RuleID: "nope"}, true, `security group sg-ex has no ingress rule "nope"`},
		{"unknown entry", Change{Kind: RemoveNACLEntry, ACL: "acl-1", Number: 7}, true, "network ACL acl-1 has no inbound rule 7"},
		{"duplicate entry", Change{Kind: AddNACLEntry, ACL: "acl-1", Entry: nacl(100, "in", "deny", "-1", 0, 0, "0.0.0.0/0")}, true, "already has inbound rule 100"},
		{"timeout out of range", Change{Kind: SetTracking, Interface: "a", Tracking: firewall.TrackingSpec{UDP: 20 * time.Second}}, true, "20s"},
		{"rule compile rejects", Change{Kind: AddSGRule, Group: "sg-ex", Rule: sgr("x", "tcp", 70000, 70001, "0.0.0.0/0")}, true, "70000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := t1().engine(t, Options{})
			tc.c.Origin = firewall.Origin{File: "x.yaml", Line: 3, Col: 5}
			err := e.Schedule(sec(1), tc.c)
			if !tc.atApply {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.yaml:3:5: change at 1s") {
					t.Fatalf("Schedule error %v, want x.yaml:3:5: … %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Schedule: %v", err)
			}
			e.AddSource(&sliceSource{pkts: packets("2 tcp 198.51.100.7:51000 > 10.0.1.10:80 S")})
			r, err := e.Run(Never)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "x.yaml:3:5: change at 1s") {
				t.Fatalf("Run error %v, want x.yaml:3:5: … %q", err, tc.want)
			}
			if r.Summary.Read != 0 || e.Generation() != 1 {
				t.Errorf("read %d packets at generation %d after the failed change, want 0 at 1", r.Summary.Read, e.Generation())
			}
		})
	}
}

// TestOutsideToOutsideMeetsNoFilter: two hosts outside the VPC are not
// routed through it; the packet is forwarded with a no_filter step.
func TestOutsideToOutsideMeetsNoFilter(t *testing.T) {
	script(t, t1().engine(t, Options{}), []step{
		{0, "udp 198.51.100.7:1000 > 192.0.2.1:53", true, firewall.ReasonNoFilter, "outside", 0},
	})
}

// TestReplayMarksNeverSentReplies: with Options.Replay, once a flow's first
// packet was dropped and nothing was forwarded, the responder's packets are
// dropped as never_sent; without Replay they are judged on their own.
func TestReplayMarksNeverSentReplies(t *testing.T) {
	for _, replay := range []bool{false, true} {
		w := newWorld().
			sg("sg-a", nil, []firewall.SGRule{sgr("all", "-1", 0, 0, "0.0.0.0/0")}).
			host("a", "s1", []string{"10.0.1.10"}, "sg-a")
		e := w.engine(t, Options{Replay: replay})
		want := step{0.01, "tcp 10.0.1.10:22 > 198.51.100.7:50000 S.", true, firewall.ReasonSGRule, "a", 0}
		if replay {
			want = step{0.01, "tcp 10.0.1.10:22 > 198.51.100.7:50000 S.", false, firewall.ReasonNeverSent, "replay", 0}
		}
		script(t, e, []step{
			{0, "tcp 198.51.100.7:50000 > 10.0.1.10:22 S", false, firewall.ReasonSGNoRule, "a", 0},
			want,
		})
		f := e.Result().Flows[0]
		if f.Verdict != Blocked && replay {
			t.Errorf("replay: flow verdict %s, want blocked", f.Verdict)
		}
	}
}

// TestLaterFragmentsFollowTheFirst: a later fragment follows its first
// fragment's verdict; one without a first is an orphan and dropped.
func TestLaterFragmentsFollowTheFirst(t *testing.T) {
	e := t1().engine(t, Options{})
	first := pkt(0, "udp 198.51.100.7:5000 > 10.0.1.10:80")
	first.Fragment = packet.Fragment{ID: 42, More: true, IsFragment: true}
	if out := e.Step(&first); out.Forwarded {
		t.Fatalf("first fragment to udp 80 should be dropped (no rule): %s", traceString(out.Steps))
	}
	later := Packet{At: sec(0.001), Src: ip("198.51.100.7"), Dst: ip("10.0.1.10"), Proto: packet.ProtoUDP, Length: 1500,
		Fragment: packet.Fragment{ID: 42, Offset: 1480, IsFragment: true}}
	out := e.Step(&later)
	if out.Forwarded || out.Decisive.Reason != firewall.ReasonFragment || out.Decisive.Filter != FilterFragment {
		t.Errorf("later fragment: %s, want dropped following its first", traceString(out.Steps))
	}
	orphan := later
	orphan.Fragment.ID = 43
	out = e.Step(&orphan)
	if out.Forwarded || out.Decisive.Reason != firewall.ReasonFragmentOrphan {
		t.Errorf("orphan: %s, want fragment_orphan", traceString(out.Steps))
	}
	// Allowed first fragment: TCP 80 is open.
	ok := pkt(1, "tcp 198.51.100.7:5000 > 10.0.1.10:80 S")
	ok.Fragment = packet.Fragment{ID: 44, More: true, IsFragment: true}
	e.Step(&ok)
	later2 := Packet{At: sec(1.001), Src: ip("198.51.100.7"), Dst: ip("10.0.1.10"), Proto: packet.ProtoTCP, Fragment: packet.Fragment{ID: 44, Offset: 1480, IsFragment: true}}
	if out := e.Step(&later2); !out.Forwarded {
		t.Errorf("later fragment of an allowed first: %s", traceString(out.Steps))
	}
	r := e.Result()
	if r.Flows[0].PacketsOut != 2 {
		t.Errorf("first flow has %d packets, want the first fragment and its follower", r.Flows[0].PacketsOut)
	}
	// The follower is counted as its first was: untracked (all-open TCP
	// 80, SPEC.md §2.2), not as meeting no filter.
	if fb := r.Summary.ForwardedBy; len(fb) != 1 || fb[0] != (Count{"untracked", 2}) {
		t.Errorf("forwarded by %+v, want both fragments untracked", fb)
	}
	// Fragments to the public address are matched after the internet
	// gateway's NAT (SPEC.md §6), not dropped as orphans.
	pub := pkt(2, "tcp 198.51.100.7:5001 > 203.0.113.10:80 S")
	pub.Fragment = packet.Fragment{ID: 45, More: true, IsFragment: true}
	e.Step(&pub)
	pubLater := Packet{At: sec(2.001), Src: ip("198.51.100.7"), Dst: ip("203.0.113.10"), Proto: packet.ProtoTCP, Fragment: packet.Fragment{ID: 45, Offset: 1480, IsFragment: true}}
	if out := e.Step(&pubLater); !out.Forwarded || out.Decisive.Reason != firewall.ReasonFragment {
		t.Errorf("later fragment to the public address: %s, want it to follow its first", traceString(out.Steps))
	}
}

// TestNATGatewayHopMeetsItsSubnetACL: a private instance reaches the
// internet through the NAT gateway, so both legs cross the gateway subnet's
// network ACL (SPEC.md §6: "IGW → NACL(S_pub) in → NAT GW → NACL(S_pub)
// out → NACL(S_priv) in → SG-A ingress"); a public NACL without an
// ephemeral-port return rule drops the replies there.
func TestNATGatewayHopMeetsItsSubnetACL(t *testing.T) {
	w := newWorld().
		sg("sg-a", nil, []firewall.SGRule{sgr("https", "tcp", 443, 443, "0.0.0.0/0")}).
		host("a", "s1", []string{"10.0.1.10"}, "sg-a").
		host("natgw", "s2", []string{"10.0.2.5"}).edit(func(in *firewall.Interface) { in.Service = "nat-gateway" })
	w.inv.NetworkACLs = append(w.inv.NetworkACLs, firewall.NetworkACL{ID: "acl-pub", VPC: "vpc-1", Entries: []firewall.NACLEntry{
		nacl(100, "in", "allow", "tcp", 443, 443, "0.0.0.0/0"),
		nacl(100, "out", "allow", "tcp", 443, 443, "0.0.0.0/0"),
		nacl(140, "in", "allow", "tcp", 1024, 65535, "0.0.0.0/0"),
	}})
	w.inv.Subnets[1].NACL = "acl-pub"
	e := w.engine(t, Options{})
	out := e.Step(ptr(pkt(0, "tcp 10.0.1.10:50000 > 192.0.2.80:443 S")))
	if got := traceString(out.Steps); !out.Forwarded || len(out.Steps) != 5 || out.Steps[3].Where != "natgw" {
		t.Fatalf("request trace %s, want SG → s1 out → s2 in → natgw → s2 out", got)
	}
	script(t, e, []step{
		{0.01, "tcp 192.0.2.80:443 > 10.0.1.10:50000 S.", false, firewall.ReasonNACLDefaultDeny, "s2", 0},
	})
	back := e.Step(ptr(pkt(0.02, "tcp 192.0.2.80:443 > 10.0.1.10:50000 S.")))
	if d := back.Decisive; d.Direction != firewall.Egress || d.Where != "s2" {
		t.Errorf("reply dropped at %s %s, want s2 outbound (no return rule to the instance)", d.Where, d.Direction)
	}
}

// TestFlowBehindPublicAddressIsNamedByItsPublicTuple: a source that knows a
// flow by the instance's public address (the internet's view) names it even
// though the filters see the private address after the internet gateway's
// 1:1 NAT (SPEC.md §6).
func TestFlowBehindPublicAddressIsNamedByItsPublicTuple(t *testing.T) {
	e := t1().engine(t, Options{})
	e.AddSource(&sliceSource{
		pkts: packets(
			"0 tcp 203.0.113.1:50000 > 203.0.113.10:22 S",
			"0.1 tcp 10.0.1.10:22 > 203.0.113.1:50000 S.",
		),
		names: map[string]string{"tcp 203.0.113.1:50000 > 203.0.113.10:22": "ssh"},
	})
	r, err := e.Run(Never)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Flows) != 1 || r.Flows[0].Name != "ssh" || r.Flows[0].Key != "tcp 203.0.113.1:50000 > 10.0.1.10:22" {
		t.Fatalf("flows %+v, want one flow named ssh, keyed by the private address", r.Flows)
	}
}

// TestICMPErrorToPublicAddressQuotesThePrivateFlow: an ICMP error sent to an
// instance's public address quotes the flow with that public address; the
// internet gateway's 1:1 NAT translates the quote too (SPEC.md §6), so the
// error is matched to its tracked flow: PMTUD is still blocked by the AWS
// profile as icmp_error_not_related, and admitted as related by the linux
// profile (SPEC.md §2.7, §5.4, §8 #34).
func TestICMPErrorToPublicAddressQuotesThePrivateFlow(t *testing.T) {
	for _, tc := range []struct {
		profile conntrack.Profile
		fwd     bool
		reason  firewall.Reason
	}{
		{conntrack.ProfileAWS, false, firewall.ReasonICMPErrorNotRelated},
		{conntrack.ProfileLinux, true, firewall.ReasonICMPErrorRelated},
	} {
		w := pmtudWorld().edit(func(in *firewall.Interface) { in.PublicAddrs = []netip.Addr{ip("203.0.113.10")} })
		e := w.engine(t, Options{Profile: tc.profile})
		script(t, e, []step{
			{0, "tcp 198.51.100.7:50000 > 203.0.113.10:443 S", true, firewall.ReasonSGRule, "a", 0},
			{0, "tcp 10.0.1.10:443 > 198.51.100.7:50000 S.", true, firewall.ReasonTracked, "a", 0},
			{1, "icmp 192.0.2.1 > 203.0.113.10 frag-needed quoting tcp 203.0.113.10:443 > 198.51.100.7:50000", tc.fwd, tc.reason, "a", 0},
		})
	}
}

// TestGatewaysDropUnsolicitedInbound: a NAT gateway (IPv4) and an
// egress-only internet gateway (IPv6) let in only replies of connections
// started from inside the VPC (SPEC.md §6: private instances "cannot receive
// unsolicited inbound connections" through a NAT gateway; "An egress-only
// internet gateway is stateful"), even when the instance's security group
// and every network ACL would allow the packet.
func TestGatewaysDropUnsolicitedInbound(t *testing.T) {
	w := newWorld().
		sg("sg-all", []firewall.SGRule{sgr("in4", "tcp", 0, 65535, "0.0.0.0/0"), sgr("in6", "tcp", 0, 65535, "::/0")},
			[]firewall.SGRule{sgr("out4", "-1", 0, 0, "0.0.0.0/0"), sgr("out6", "-1", 0, 0, "::/0")}).
		host("a", "s1", []string{"10.0.1.10", "2001:db8:0:1::10"}, "sg-all").
		host("natgw", "s2", []string{"10.0.2.5"}).edit(func(in *firewall.Interface) { in.Service = "nat-gateway" }).
		host("eigw", "s2", []string{"2001:db8:0:2::1"}).edit(func(in *firewall.Interface) { in.Service = "egress-only-internet-gateway" })
	w.inv.Subnets[1].IPv6CIDR = pfx("2001:db8:0:2::/64")
	e := w.engine(t, Options{})
	script(t, e, []step{
		// Unsolicited: dropped at the gateway, both families.
		{0, "tcp 192.0.2.80:40000 > 10.0.1.10:22 S", false, firewall.ReasonGatewayUnsolicited, "natgw", 0},
		{0, "tcp [2001:db8:ffff::80]:40000 > [2001:db8:0:1::10]:22 S", false, firewall.ReasonGatewayUnsolicited, "eigw", 0},
		{0, "udp 192.0.2.80:53 > 10.0.1.10:40000", false, firewall.ReasonGatewayUnsolicited, "natgw", 0},
		// Replies to connections started inside pass, both families.
		{1, "tcp 10.0.1.10:50000 > 192.0.2.80:443 S", true, firewall.ReasonSGRule, "a", 0},
		{1, "tcp 192.0.2.80:443 > 10.0.1.10:50000 S.", true, firewall.ReasonTracked, "a", 0},
		{1, "tcp [2001:db8:0:1::10]:50000 > [2001:db8:ffff::80]:443 S", true, firewall.ReasonSGRule, "a", 0},
		{1, "tcp [2001:db8:ffff::80]:443 > [2001:db8:0:1::10]:50000 S.", true, firewall.ReasonTracked, "a", 0},
	})
	var hint string
	for _, f := range e.Result().Flows {
		if f.Verdict == Blocked {
			hint = f.Hint
			break
		}
	}
	if !strings.Contains(hint, "only through natgw") || !strings.Contains(hint, "started from inside the VPC") {
		t.Errorf("hint %q should name the gateway and say it admits only replies", hint)
	}
}

// TestDeferredStateRespectsTheAllowance: with NoStateOnLaterDrop the
// allowance is still enforced at the egress step, and an expired entry does
// not count against it (SPEC.md §2.6).
func TestDeferredStateRespectsTheAllowance(t *testing.T) {
	e := dnsWorld().engine(t, Options{NoStateOnLaterDrop: true, Allowance: 1})
	script(t, e, []step{
		{0, "udp 10.0.1.10:40001 > 192.0.2.53:53", true, firewall.ReasonSGRule, "a", 0},
		{1, "udp 10.0.1.10:40002 > 192.0.2.53:53", false, firewall.ReasonAllowanceExceeded, "a", 0},
		{1.5, "udp 192.0.2.53:53 > 10.0.1.10:40001", true, firewall.ReasonTracked, "a", 0},
		// 30 s after its last packet the first entry has expired.
		{31.5, "udp 10.0.1.10:40003 > 192.0.2.53:53", true, firewall.ReasonSGRule, "a", 0},
	})
	if st := e.Result().Interfaces[0]; st.AllowanceExceeded != 1 || st.Inserted != 2 {
		t.Errorf("stats %+v, want 1 exceeded and 2 inserted", st)
	}
}

// TestEgressOnlyGatewayTracksIPv6: with an egress-only internet gateway in
// the VPC, IPv6 flows between an instance and the internet pass through it
// and are always tracked (SPEC.md §2.3, §6), while IPv4 flows of the same
// all-open instance through the internet gateway stay untracked.
func TestEgressOnlyGatewayTracksIPv6(t *testing.T) {
	w := newWorld().
		sg("sg-all", []firewall.SGRule{sgr("in4", "tcp", 0, 65535, "0.0.0.0/0"), sgr("in6", "tcp", 0, 65535, "::/0")},
			[]firewall.SGRule{sgr("out4", "-1", 0, 0, "0.0.0.0/0"), sgr("out6", "-1", 0, 0, "::/0")}).
		host("a", "s1", []string{"10.0.1.10", "2001:db8:0:1::10"}, "sg-all").
		edit(func(in *firewall.Interface) { in.PublicAddrs = []netip.Addr{ip("203.0.113.10")} }).
		host("eigw", "s2", []string{"2001:db8:0:2::1"}).edit(func(in *firewall.Interface) { in.Service = "egress-only-internet-gateway" })
	w.inv.Subnets[1].IPv6CIDR = pfx("2001:db8:0:2::/64")
	script(t, w.engine(t, Options{}), []step{
		{0, "tcp [2001:db8:0:1::10]:50000 > [2001:db8:ffff::80]:443 S", true, firewall.ReasonSGRule, "a", 0},
		{0, "tcp [2001:db8:ffff::80]:443 > [2001:db8:0:1::10]:50000 S.", true, firewall.ReasonTracked, "a", 0},
		{0, "tcp 10.0.1.10:50001 > 192.0.2.80:443 S", true, firewall.ReasonSGRuleUntracked, "a", 0},
	})
}

// TestCancelledChangeNeverApplies: Cancel removes a pending change; a change
// that already took effect cannot be cancelled.
func TestCancelledChangeNeverApplies(t *testing.T) {
	e := t1().engine(t, Options{})
	c := Change{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "http4"}
	for _, at := range []float64{1, 5} {
		if err := e.Schedule(sec(at), c); err != nil {
			t.Fatal(err)
		}
	}
	if !e.Cancel(sec(5), c) || e.Cancel(sec(5), c) || e.Cancel(sec(7), c) {
		t.Fatal("Cancel should succeed once for the change at 5s and never for 7s")
	}
	e.Step(ptr(pkt(2, "udp 198.51.100.1:1 > 192.0.2.1:1")))
	if e.Cancel(sec(1), c) {
		t.Error("cancelled a change that already took effect")
	}
	e.Step(ptr(pkt(6, "udp 198.51.100.1:1 > 192.0.2.1:1")))
	if r := e.Result(); len(r.Changes) != 1 || e.Err() != nil {
		t.Errorf("applied %d changes (err %v), want 1", len(r.Changes), e.Err())
	}
}
