package sim

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
)

// Each test here is one expected-behaviour row of SPEC.md §8, named after
// its case number, driven through the whole path with Engine.Step.

// SPEC.md §8 #2: "T1 | t0 C2=198.51.100.7:51000→A:80 SYN; t0.01 A→C2 SYN-ACK |
// ALLOW, ALLOW; flow untracked; response allowed by outbound rule".
func TestSpec8_Case02_AllOpenHTTPIsUntracked(t *testing.T) {
	e := t1().engine(t, Options{})
	script(t, e, []step{
		{0, "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", true, firewall.ReasonSGRuleUntracked, "a", 0},
		{0.01, "tcp 10.0.1.10:80 > 198.51.100.7:51000 S.", true, firewall.ReasonSGRuleUntracked, "a", 0},
	})
	r := e.Result()
	if got := r.Flows[0].Tracked; got != TrackingUntracked {
		t.Errorf("flow tracked = %q, want untracked", got)
	}
	if r.Interfaces[0].Inserted != 0 {
		t.Errorf("untracked flow inserted %d entries, want 0", r.Interfaces[0].Inserted)
	}
}

// SPEC.md §8 #4: "T1, flow from #1 established | t10 change SSH rule to
// 198.51.100.0/24 (excludes C); t11 C:50000→A:22 data; t11.1 A→C data; t12
// C:50001→A:22 SYN | ALLOW, ALLOW (tracked entry); t12 DROP (new flow, no
// rule)" (CT4).
func TestSpec8_Case04_TrackedSSHSurvivesRuleChange(t *testing.T) {
	e := t1().engine(t, Options{})
	rule := sgr("", "tcp", 22, 22, "198.51.100.0/24")
	if err := e.Schedule(sec(10), Change{Kind: ReplaceSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "ssh", Rule: rule}); err != nil {
		t.Fatal(err)
	}
	script(t, e, []step{
		{0, "tcp 203.0.113.1:50000 > 10.0.1.10:22 S", true, firewall.ReasonSGRule, "a", 0},
		{0.01, "tcp 10.0.1.10:22 > 203.0.113.1:50000 S.", true, firewall.ReasonTracked, "a", 0},
		{0.02, "tcp 203.0.113.1:50000 > 10.0.1.10:22 .", true, firewall.ReasonTracked, "a", 0},
		{11, "tcp 203.0.113.1:50000 > 10.0.1.10:22 P.", true, firewall.ReasonTracked, "a", 0},
		{11.1, "tcp 10.0.1.10:22 > 203.0.113.1:50000 P.", true, firewall.ReasonTracked, "a", 0},
		{12, "tcp 203.0.113.1:50001 > 10.0.1.10:22 S", false, firewall.ReasonSGNoRule, "a", 0},
	})
	r := e.Result()
	if len(r.Changes) != 1 || r.Changes[0].Generation != 2 {
		t.Errorf("changes = %+v, want one at generation 2", r.Changes)
	}
	// The surviving connection's entry dates from generation 1.
	out := e.Step(ptr(pkt(13, "tcp 203.0.113.1:50000 > 10.0.1.10:22 P.")))
	if g := out.Decisive.EntryGeneration; g != 1 || e.Generation() != 2 {
		t.Errorf("entry generation %d at engine generation %d, want 1 at 2", g, e.Generation())
	}
}

// SPEC.md §8 #6: "T1 | t0 C2→A ICMP echo-request id=7; t0.01 A→C2 echo-reply |
// ALLOW, ALLOW; tracked even though rules are all-open" (CT8).
func TestSpec8_Case06_ICMPIsAlwaysTracked(t *testing.T) {
	e := t1().engine(t, Options{})
	script(t, e, []step{
		{0, "icmp 198.51.100.7 > 10.0.1.10 echo-request id=7", true, firewall.ReasonSGRule, "a", 0},
		{0.01, "icmp 10.0.1.10 > 198.51.100.7 echo-reply id=7", true, firewall.ReasonTracked, "a", 0},
	})
	if got := e.Result().Flows[0].Tracked; got != TrackingTracked {
		t.Errorf("flow tracked = %q, want tracked", got)
	}
}

// SPEC.md §8 #8: "#7 SG + NACL(S1): in 100 ICMP all ALLOW; out: only * DENY |
// t0 203.0.113.12→A(172.31.16.139) echo-request; t0.01 A→203.0.113.12
// echo-reply | request ACCEPT; reply REJECT at NACL outbound" (VPC-FL-EX).
func TestSpec8_Case08_StatelessNACLDropsPingReply(t *testing.T) {
	w := newWorld()
	w.inv.VPCs[0].CIDRs = append(w.inv.VPCs[0].CIDRs, pfx("172.31.0.0/16"))
	w.inv.Subnets[0].CIDR = pfx("172.31.16.0/20")
	w.acl(nacl(100, "in", "allow", "icmp", -1, -1, "0.0.0.0/0")).
		sg("sg-7", []firewall.SGRule{sgr("icmp", "icmp", -1, -1, "0.0.0.0/0")}, []firewall.SGRule{sgr("all", "-1", 0, 0, "0.0.0.0/0")}).
		host("a", "s1", []string{"172.31.16.139"}, "sg-7")
	e := w.engine(t, Options{})
	script(t, e, []step{
		{0, "icmp 203.0.113.12 > 172.31.16.139 echo-request id=1", true, firewall.ReasonSGRule, "a", 0},
		{0.01, "icmp 172.31.16.139 > 203.0.113.12 echo-reply id=1", false, firewall.ReasonNACLDefaultDeny, "s1", 32767},
	})
	f := e.Result().Flows[0]
	if f.Verdict != Dropped || f.FirstDrop == nil || f.FirstDrop.Packet != 2 {
		t.Errorf("flow verdict %s first drop %+v, want dropped from packet 2", f.Verdict, f.FirstDrop)
	}
}

// otherProtoWorld is SPEC.md §8 #10's A: out all 0.0.0.0/0, in none.
func otherProtoWorld() *world {
	return newWorld().
		sg("sg-a", nil, []firewall.SGRule{sgr("all", "-1", 0, 0, "0.0.0.0/0")}).
		host("a", "s1", []string{"10.0.1.10"}, "sg-a")
}

// SPEC.md §8 #10: "A SG: out All 0.0.0.0/0; in none. Peer P 192.0.2.50 speaks
// GRE | (a) t0 A→P GRE; t300 P→A GRE. (b) t0 A→P GRE; t601 P→A GRE | (a)
// ALLOW, ALLOW. (b) ALLOW, DROP" (CT3: 600 s).
func TestSpec8_Case10_OtherProtocols600s(t *testing.T) {
	t.Run("a_reply_within_600s", func(t *testing.T) {
		script(t, otherProtoWorld().engine(t, Options{}), []step{
			{0, "gre 10.0.1.10 > 192.0.2.50", true, firewall.ReasonSGRule, "a", 0},
			{300, "gre 192.0.2.50 > 10.0.1.10", true, firewall.ReasonTracked, "a", 0},
		})
	})
	t.Run("b_reply_after_600s", func(t *testing.T) {
		e := otherProtoWorld().engine(t, Options{})
		script(t, e, []step{
			{0, "gre 10.0.1.10 > 192.0.2.50", true, firewall.ReasonSGRule, "a", 0},
			{601, "gre 192.0.2.50 > 10.0.1.10", false, firewall.ReasonTrackingExpired, "a", 0},
		})
		f := e.Result().Flows[0]
		if f.FirstDrop.Step.ExpiredAt != sec(600) {
			t.Errorf("expired at %s, want 600s", f.FirstDrop.Step.ExpiredAt)
		}
		if !strings.Contains(f.Hint, "expired at 600s") {
			t.Errorf("hint %q does not say when the entry expired", f.Hint)
		}
	})
}

// dnsWorld is A with a tracked UDP 53 egress rule to S = 192.0.2.53 and no
// inbound rule (SPEC.md §8 #11–#14).
func dnsWorld() *world {
	return newWorld().
		sg("sg-a", nil, []firewall.SGRule{sgr("dns", "udp", 53, 53, "192.0.2.53/32")}).
		host("a", "s1", []string{"10.0.1.10"}, "sg-a")
}

// SPEC.md §8 #12: "t0 A:40002→S:53 query; t1 S→A response; t32 S→A extra
// datagram (no new query) | ALLOW, ALLOW, DROP" (UdpTimeout 30 s).
func TestSpec8_Case12_UDPSingleTransaction30s(t *testing.T) {
	e := dnsWorld().engine(t, Options{})
	script(t, e, []step{
		{0, "udp 10.0.1.10:40002 > 192.0.2.53:53", true, firewall.ReasonSGRule, "a", 0},
		{1, "udp 192.0.2.53:53 > 10.0.1.10:40002", true, firewall.ReasonTracked, "a", 0},
		{32, "udp 192.0.2.53:53 > 10.0.1.10:40002", false, firewall.ReasonTrackingExpired, "a", 0},
	})
	if h := e.Result().Flows[0].Hint; !strings.Contains(h, "UDP idle timeout 30s") {
		t.Errorf("hint %q does not name the UDP timeout", h)
	}
}

// SPEC.md §8 #14: "#13 with ENI UdpStreamTimeout=60 | same through t3; t70
// S→A | t70 DROP (idle 67 > 60)" — two transactions make a stream.
func TestSpec8_Case14_UDPStreamTimeoutConfigured(t *testing.T) {
	for _, tc := range []struct {
		at  float64
		fwd bool
	}{{62.9, true}, {70, false}} {
		w := dnsWorld().edit(func(in *firewall.Interface) { in.Tracking.UDPStream = 60 * time.Second })
		e := w.engine(t, Options{})
		script(t, e, []step{
			{0, "udp 10.0.1.10:40002 > 192.0.2.53:53", true, firewall.ReasonSGRule, "a", 0},
			{1, "udp 192.0.2.53:53 > 10.0.1.10:40002", true, firewall.ReasonTracked, "a", 0},
			{2, "udp 10.0.1.10:40002 > 192.0.2.53:53", true, firewall.ReasonTracked, "a", 0},
			{3, "udp 192.0.2.53:53 > 10.0.1.10:40002", true, firewall.ReasonTracked, "a", 0},
			{tc.at, "udp 192.0.2.53:53 > 10.0.1.10:40002", tc.fwd, firewall.ReasonNone, "a", 0},
		})
	}
}

// tcpClientWorld is A with a tracked TCP 443 egress rule to S = 192.0.2.80
// and no inbound rule (SPEC.md §8 #15–#16).
func tcpClientWorld(instanceType string) *world {
	return newWorld().
		sg("sg-a", nil, []firewall.SGRule{sgr("https", "tcp", 443, 443, "192.0.2.80/32")}).
		host("a", "s1", []string{"10.0.1.10"}, "sg-a").
		edit(func(in *firewall.Interface) { in.InstanceType = instanceType })
}

// handshake is A:50000 → S:443's three-way handshake at t0.
var handshake = []step{
	{0, "tcp 10.0.1.10:50000 > 192.0.2.80:443 S", true, firewall.ReasonSGRule, "a", 0},
	{0, "tcp 192.0.2.80:443 > 10.0.1.10:50000 S.", true, firewall.ReasonTracked, "a", 0},
	{0, "tcp 10.0.1.10:50000 > 192.0.2.80:443 .", true, firewall.ReasonTracked, "a", 0},
}

// SPEC.md §8 #16a: "#15 without config, non-Nitro-v6 | handshake t0; t86400
// S→A data | ALLOW (432000 s default)".
func TestSpec8_Case16a_TCPEstablished432000s(t *testing.T) {
	e := tcpClientWorld("m5.large").engine(t, Options{})
	script(t, e, append(handshake[:3:3], step{86400, "tcp 192.0.2.80:443 > 10.0.1.10:50000 P.", true, firewall.ReasonTracked, "a", 0}))
}

// SPEC.md §8 #16b: "#15 without config, Nitro v6 instance | handshake t0; t400
// S→A data | DROP (default 350 s)".
func TestSpec8_Case16b_NitroV6Established350s(t *testing.T) {
	e := tcpClientWorld("nitro-v6").engine(t, Options{})
	script(t, e, append(handshake[:3:3], step{400, "tcp 192.0.2.80:443 > 10.0.1.10:50000 P.", false, firewall.ReasonTrackingExpired, "a", 0}))
	if h := e.Result().Flows[0].Hint; !strings.Contains(h, "350s") {
		t.Errorf("hint %q does not name the 350 s timeout", h)
	}
}

// openSG allows everything both ways, so only the network ACL decides.
func openSG(w *world) *world {
	return w.sg("sg-open", []firewall.SGRule{sgr("in4", "-1", 0, 0, "0.0.0.0/0")}, []firewall.SGRule{sgr("out4", "-1", 0, 0, "0.0.0.0/0")})
}

// SPEC.md §8 #22: "NACL in: 90 DENY TCP 1433 0.0.0.0/0; 100 ALLOW TCP
// 1024-65535 0.0.0.0/0. Variant: deny renumbered 110 | t0 C→A:1433; t1
// C→A:50000 | 1433 DENY(90), 50000 ALLOW(100). Variant: 1433 ALLOW(100)".
func TestSpec8_Case22_NACLFirstMatchWins(t *testing.T) {
	for _, tc := range []struct {
		denyNumber int32
		fwd1433    bool
		rule1433   int32
	}{{90, false, 90}, {110, true, 100}} {
		w := openSG(newWorld()).acl(
			nacl(tc.denyNumber, "in", "deny", "tcp", 1433, 1433, "0.0.0.0/0"),
			nacl(100, "in", "allow", "tcp", 1024, 65535, "0.0.0.0/0"),
			nacl(100, "out", "allow", "-1", 0, 0, "0.0.0.0/0"),
		).host("a", "s1", []string{"10.0.1.10"}, "sg-open")
		e := w.engine(t, Options{})
		reason := firewall.ReasonNACLDeny
		if tc.fwd1433 {
			reason = firewall.ReasonNACLAllow
		}
		script(t, e, []step{
			{0, "tcp 198.51.100.7:40000 > 10.0.1.10:1433 S", tc.fwd1433, reason, "s1", tc.rule1433},
			{1, "tcp 198.51.100.7:40001 > 10.0.1.10:50000 S", true, firewall.ReasonNACLAllow, "s1", 100},
		})
	}
}

func ptr(p Packet) *Packet { return &p }

// nacl35 is SPEC.md §3.5's IPv4 example network ACL.
func nacl35() []firewall.NACLEntry {
	return []firewall.NACLEntry{
		nacl(100, "in", "allow", "tcp", 80, 80, "0.0.0.0/0"),
		nacl(110, "in", "allow", "tcp", 443, 443, "0.0.0.0/0"),
		nacl(120, "in", "allow", "tcp", 22, 22, "192.0.2.0/24"),
		nacl(130, "in", "allow", "tcp", 3389, 3389, "192.0.2.0/24"),
		nacl(140, "in", "allow", "tcp", 32768, 65535, "0.0.0.0/0"),
		nacl(100, "out", "allow", "tcp", 80, 80, "0.0.0.0/0"),
		nacl(110, "out", "allow", "tcp", 443, 443, "0.0.0.0/0"),
		nacl(120, "out", "allow", "tcp", 1024, 65535, "192.0.2.0/24"),
		nacl(140, "out", "allow", "tcp", 32768, 65535, "0.0.0.0/0"),
	}
}

// SPEC.md §8 #24: "S1 NACL = §3.5 example; A = client | (a) Linux A src
// 45000→S:80; S→A:45000. (b) FreeBSD-default A src 20000→S:80; S→A:20000 |
// (a) ALLOW(out 100), ALLOW(in 140). (b) ALLOW(out 100), DENY (in *)".
func TestSpec8_Case24_EphemeralRangeOfTheClient(t *testing.T) {
	for _, tc := range []struct {
		os   string
		port string
		fwd  bool
		rule int32
	}{{"linux", "45000", true, 140}, {"freebsd", "20000", false, 32767}} {
		w := openSG(newWorld()).acl(nacl35()...).host("a", "s1", []string{"10.0.1.10"}, "sg-open").
			edit(func(in *firewall.Interface) { in.OS = tc.os })
		e := w.engine(t, Options{})
		reason := firewall.ReasonNACLAllow
		if !tc.fwd {
			reason = firewall.ReasonNACLDefaultDeny
		}
		out := e.Step(ptr(pkt(0, "tcp 10.0.1.10:"+tc.port+" > 198.51.100.80:80 S")))
		if !out.Forwarded || out.Steps[1].Rule.Number != 100 || out.Steps[1].Direction != firewall.Egress {
			t.Errorf("%s: request: %s, want allowed by outbound rule 100", tc.os, traceString(out.Steps))
		}
		back := e.Step(ptr(pkt(0.01, "tcp 198.51.100.80:80 > 10.0.1.10:"+tc.port+" S.")))
		if back.Forwarded != tc.fwd || back.Steps[0].Reason != reason || back.Steps[0].Rule.Number != tc.rule {
			t.Errorf("%s: reply: %s, want %s by rule %d", tc.os, traceString(back.Steps), reason, tc.rule)
		}
		if !tc.fwd {
			h := e.Result().Flows[0].Hint
			for _, want := range []string{"ephemeral port 20000", "freebsd range 10000–65535", "rule 140 allows tcp 32768-65535"} {
				if !strings.Contains(h, want) {
					t.Errorf("hint %q lacks %q", h, want)
				}
			}
		}
	}
}

// SPEC.md §8 #26: "A, A2 in same subnet, both in custom SG-W (in: TCP 80
// 0.0.0.0/0 only; out all) | t0 A→A2:5432 SYN | DROP at SG-W ingress of A2".
func TestSpec8_Case26_SameGroupMembersNeedRules(t *testing.T) {
	w := newWorld().
		sg("sg-w", []firewall.SGRule{sgr("http", "tcp", 80, 80, "0.0.0.0/0")}, []firewall.SGRule{sgr("all", "-1", 0, 0, "0.0.0.0/0")}).
		host("a", "s1", []string{"10.0.1.10"}, "sg-w").
		host("a2", "s1", []string{"10.0.1.11"}, "sg-w")
	e := w.engine(t, Options{})
	out := e.Step(ptr(pkt(0, "tcp 10.0.1.10:40000 > 10.0.1.11:5432 S")))
	if out.Forwarded || out.Decisive.Where != "a2" || out.Decisive.Direction != firewall.Ingress || out.Decisive.Reason != firewall.ReasonSGNoRule {
		t.Errorf("trace %s, want a drop at a2's ingress for want of a rule", traceString(out.Steps))
	}
	if out.Steps[1].Reason != firewall.ReasonSameSubnet {
		t.Errorf("step 2 is %s, want the same-subnet NACL skip", out.Steps[1].Reason)
	}
	if h := e.Result().Flows[0].Hint; !strings.Contains(h, "no rule of sg-w allows tcp 5432 from 10.0.1.10 (ingress)") {
		t.Errorf("hint %q", h)
	}
}

// SPEC.md §8 #28: "A with SG1 (in TCP22 203.0.113.1/32) and SG2 (in TCP22
// 0.0.0.0/0) | t0 198.51.100.9→A:22 SYN | ALLOW" (union, most permissive).
func TestSpec8_Case28_UnionOfGroups(t *testing.T) {
	w := newWorld().
		sg("sg-1", []firewall.SGRule{sgr("a", "tcp", 22, 22, "203.0.113.1/32")}, nil).
		sg("sg-2", []firewall.SGRule{sgr("b", "tcp", 22, 22, "0.0.0.0/0")}, nil).
		host("a", "s1", []string{"10.0.1.10"}, "sg-1", "sg-2")
	script(t, w.engine(t, Options{}), []step{
		{0, "tcp 198.51.100.9:40000 > 10.0.1.10:22 S", true, firewall.ReasonSGRule, "a", 0},
	})
}

// SPEC.md §8 #30: "#1 established (tracked SSH); S1 NACL initially default |
// t10 add NACL in rule 50 DENY TCP 22 203.0.113.1/32; t11 C→A:22 data | DROP
// at NACL (tracking irrelevant)" (CT5).
func TestSpec8_Case30_NACLChangeBreaksTrackedConnection(t *testing.T) {
	e := t1().engine(t, Options{})
	if err := e.Schedule(sec(10), Change{Kind: AddNACLEntry, ACL: "acl-1", Entry: nacl(50, "in", "deny", "tcp", 22, 22, "203.0.113.1/32")}); err != nil {
		t.Fatal(err)
	}
	script(t, e, []step{
		{0, "tcp 203.0.113.1:50000 > 10.0.1.10:22 S", true, firewall.ReasonSGRule, "a", 0},
		{0.01, "tcp 10.0.1.10:22 > 203.0.113.1:50000 S.", true, firewall.ReasonTracked, "a", 0},
		{11, "tcp 203.0.113.1:50000 > 10.0.1.10:22 P.", false, firewall.ReasonNACLDeny, "s1", 50},
	})
}

// SPEC.md §8 #32: "A SG: in TCP 0-65535 0.0.0.0/0; out All 0.0.0.0/0
// (all-open). (a) A→internet via NAT GW; (b) A (public IP)→internet via IGW
// | t0 handshake A→S:443; t10 delete the inbound rule; t11 S→A data | (a)
// ALLOW (auto-tracked via NAT GW); (b) DROP (untracked, interrupted)".
func TestSpec8_Case32_AutoTrackedNATGatewayVersusUntracked(t *testing.T) {
	base := func() *world {
		return newWorld().
			sg("sg-a", []firewall.SGRule{sgr("in", "tcp", 0, 65535, "0.0.0.0/0")}, []firewall.SGRule{sgr("out", "-1", 0, 0, "0.0.0.0/0")}).
			host("a", "s1", []string{"10.0.1.10"}, "sg-a")
	}
	for _, tc := range []struct {
		name   string
		w      *world
		fwd    bool
		reason firewall.Reason
	}{
		{"a_via_nat_gateway", base().host("natgw", "s2", []string{"10.0.2.5"}).edit(func(in *firewall.Interface) { in.Service = "nat-gateway" }),
			true, firewall.ReasonTracked},
		{"b_public_ip_via_igw", base().edit(func(in *firewall.Interface) {}).
			host("b", "s2", []string{"10.0.2.6"}, "sg-a"). // a second instance, to prove nothing leaks between them
			edit(func(in *firewall.Interface) {}),
			false, firewall.ReasonSGNoRule},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name[0] == 'b' {
				tc.w.inv.Interfaces[0].PublicAddrs = []netip.Addr{ip("203.0.113.10")}
			}
			e := tc.w.engine(t, Options{})
			if err := e.Schedule(sec(10), Change{Kind: RemoveSGRule, Group: "sg-a", Direction: firewall.Ingress, RuleID: "in"}); err != nil {
				t.Fatal(err)
			}
			script(t, e, []step{
				{0, "tcp 10.0.1.10:50000 > 192.0.2.80:443 S", true, firewall.ReasonNone, "", 0},
				{0.01, "tcp 192.0.2.80:443 > 10.0.1.10:50000 S.", true, firewall.ReasonNone, "", 0},
				{0.02, "tcp 10.0.1.10:50000 > 192.0.2.80:443 .", true, firewall.ReasonNone, "", 0},
				{11, "tcp 192.0.2.80:443 > 10.0.1.10:50000 P.", tc.fwd, tc.reason, "a", 0},
			})
		})
	}
}

// pmtudWorld is SPEC.md §8 #34's A: in TCP 443 0.0.0.0/0, out none.
func pmtudWorld() *world {
	return newWorld().
		sg("sg-a", []firewall.SGRule{sgr("https", "tcp", 443, 443, "0.0.0.0/0")}, nil).
		host("a", "s1", []string{"10.0.1.10"}, "sg-a")
}

// SPEC.md §8 #34: "A SG in TCP 443 0.0.0.0/0, out none (tracked); no inbound
// ICMP rule | t0 C→A:443 handshake; t1 router 192.0.2.1→A ICMP type3 code4
// (quoting the flow) | ICMP DROP (PMTUD blocked) … Linux profile: ACCEPT as
// RELATED" (SPEC.md §2.7, §5.4).
func TestSpec8_Case34_PMTUDBlockedUnlessLinux(t *testing.T) {
	for _, tc := range []struct {
		profile conntrack.Profile
		fwd     bool
		reason  firewall.Reason
	}{
		{conntrack.ProfileAWS, false, firewall.ReasonICMPErrorNotRelated},
		{conntrack.ProfileLinux, true, firewall.ReasonICMPErrorRelated},
	} {
		e := pmtudWorld().engine(t, Options{Profile: tc.profile})
		script(t, e, []step{
			{0, "tcp 198.51.100.7:50000 > 10.0.1.10:443 S", true, firewall.ReasonSGRule, "a", 0},
			{0, "tcp 10.0.1.10:443 > 198.51.100.7:50000 S.", true, firewall.ReasonTracked, "a", 0},
			{0, "tcp 198.51.100.7:50000 > 10.0.1.10:443 .", true, firewall.ReasonTracked, "a", 0},
			{1, "icmp 192.0.2.1 > 10.0.1.10 frag-needed quoting tcp 10.0.1.10:443 > 198.51.100.7:50000", tc.fwd, tc.reason, "a", 0},
		})
		if tc.fwd {
			continue
		}
		// The drop names the rules' default deny, as other security
		// group drops do.
		out := e.Step(ptr(pkt(2, "icmp 192.0.2.1 > 10.0.1.10 frag-needed quoting tcp 10.0.1.10:443 > 198.51.100.7:50000")))
		if r := out.Decisive.Rule; r.Filter != "sg-a" || r.Text != "no rule matched: default deny" {
			t.Errorf("icmp_error_not_related drop names rule %+v, want sg-a's default deny", r)
		}
	}
}

// SPEC.md §8 #36: "A SG in: IpProtocol 132 (SCTP) FromPort 5000 ToPort 5000 |
// t0 SCTP to A port 9999 | ALLOW" (API-IPPERM: other protocols, all ports).
func TestSpec8_Case36_SCTPRuleIgnoresPorts(t *testing.T) {
	w := newWorld().
		sg("sg-a", []firewall.SGRule{sgr("sctp", "132", 5000, 5000, "0.0.0.0/0")}, nil).
		host("a", "s1", []string{"10.0.1.10"}, "sg-a")
	script(t, w.engine(t, Options{}), []step{
		{0, "sctp 198.51.100.7:1000 > 10.0.1.10:9999", true, firewall.ReasonSGRule, "a", 0},
	})
}

// SPEC.md §8 #38: "S1 NACL deny-all custom; A SG with no outbound rules | t0
// A→10.0.0.2:53 UDP; t1 A→169.254.169.254:80; t2 A→169.254.169.123:123 | all
// ALLOW (not filtered)" (SPEC.md §1.5).
func TestSpec8_Case38_ServiceAddressesAreNotFiltered(t *testing.T) {
	w := newWorld().acl().
		sg("sg-a", nil, nil).
		host("a", "s1", []string{"10.0.1.10", "2001:db8:0:1::10"}, "sg-a")
	e := w.engine(t, Options{})
	script(t, e, []step{
		{0, "udp 10.0.1.10:40000 > 10.0.0.2:53", true, firewall.ReasonNotFiltered, "route53-resolver", 0},
		{0.5, "udp 10.0.0.2:53 > 10.0.1.10:40000", true, firewall.ReasonNotFiltered, "route53-resolver", 0},
		{1, "tcp 10.0.1.10:40001 > 169.254.169.254:80 S", true, firewall.ReasonNotFiltered, "instance-metadata", 0},
		{2, "udp 10.0.1.10:40002 > 169.254.169.123:123", true, firewall.ReasonNotFiltered, "time-sync", 0},
		{3, "udp 10.0.1.10:40003 > 10.0.1.2:53", true, firewall.ReasonNotFiltered, "route53-resolver", 0},
		{4, "udp 10.0.1.10:40004 > 169.254.169.253:53", true, firewall.ReasonNotFiltered, "route53-resolver", 0},
		{5, "udp [2001:db8:0:1::10]:40005 > [fd00:ec2::253]:53", true, firewall.ReasonNotFiltered, "route53-resolver", 0},
		// The VPC router's reserved address, each subnet's base+1 ("reserved
		// IP addresses used by the default VPC router", SPEC.md §1.5).
		{5.5, "udp 10.0.1.10:68 > 10.0.1.1:67", true, firewall.ReasonNotFiltered, "vpc-router", 0},
		{5.6, "icmp 10.0.1.10 > 10.0.2.1 echo-request id=3", true, firewall.ReasonNotFiltered, "vpc-router", 0},
		// Anything else is filtered: the custom NACL and the empty SG drop it.
		{6, "udp 10.0.1.10:40006 > 192.0.2.53:53", false, firewall.ReasonSGNoRule, "a", 0},
	})
	if got := e.Result().Flows[0].Tracked; got != TrackingNotFiltered {
		t.Errorf("flow tracked = %q, want not_filtered", got)
	}
}

// SPEC.md §8 #40 (reference only, Linux profile): "UDP client … t0 req; t0.5
// reply; t25 req | after t0.5: timeout 30 (reply < 2 s after creation);
// after t25: 120 (reply seen, flow older than 2 s)". The AWS profile keeps
// UdpTimeout (one transaction only), so the same reply at t140 is dropped.
func TestSpec8_Case40_LinuxUDPStreamRule(t *testing.T) {
	for _, tc := range []struct {
		profile conntrack.Profile
		fwd     bool
	}{{conntrack.ProfileLinux, true}, {conntrack.ProfileAWS, false}} {
		e := dnsWorld().engine(t, Options{Profile: tc.profile})
		script(t, e, []step{
			{0, "udp 10.0.1.10:40002 > 192.0.2.53:53", true, firewall.ReasonSGRule, "a", 0},
			{0.5, "udp 192.0.2.53:53 > 10.0.1.10:40002", true, firewall.ReasonTracked, "a", 0},
			{25, "udp 10.0.1.10:40002 > 192.0.2.53:53", true, firewall.ReasonTracked, "a", 0},
			{140, "udp 192.0.2.53:53 > 10.0.1.10:40002", tc.fwd, firewall.ReasonNone, "a", 0},
		})
	}
}
