package firewall

import (
	"net/netip"
	"slices"
	"testing"
)

// sgExample is SPEC.md §2.8's documented example group (topology T1 of §8)
// on interface eni-a (A = 10.0.1.10, 2001:db8:1::10).
func sgExample(egress ...string) *Inventory {
	if egress == nil {
		egress = []string{"all 0.0.0.0/0 out-v4", "all ::/0 out-v6"}
	}
	return &Inventory{
		Subnets: []Subnet{{ID: "s1", CIDR: pfx("10.0.1.0/24")}},
		SecurityGroups: []SecurityGroup{{ID: "sg-ex",
			Ingress: sgrs("tcp 22 203.0.113.1/32 ssh", "tcp 80 0.0.0.0/0 http-v4", "tcp 80 ::/0 http-v6", "icmp -1/-1 0.0.0.0/0 icmp"),
			Egress:  sgrs(egress...)}},
		Interfaces: []Interface{{ID: "eni-a", Subnet: "s1", Addrs: addrs("10.0.1.10", "2001:db8:1::10"), Groups: []string{"sg-ex"}}},
	}
}

// TestSGEvalFollowsRulesAndFamilies checks allow-only evaluation, protocol
// and port matching and family separation (SPEC.md §1.1, §1.2, §1.4).
func TestSGEvalFollowsRulesAndFamilies(t *testing.T) {
	sg := mustCompile(t, sgExample()).InterfaceSG("eni-a")
	tests := []struct {
		name string
		pkt  string
		dir  Direction
		want string
	}{
		// §1.2: allow rules only; what no rule allows is dropped.
		{"ssh from the /32", "tcp 203.0.113.1:50000 > 10.0.1.10:22 S", Ingress, "allow ssh"},
		{"ssh from elsewhere", "tcp 203.0.113.2:50000 > 10.0.1.10:22 S", Ingress, "deny none"},
		{"http v4", "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", Ingress, "allow http-v4"},
		{"http v6", "tcp [2001:db8:9::7]:51000 > [2001:db8:1::10]:80 S", Ingress, "allow http-v6"},
		{"port 81 not open", "tcp 198.51.100.7:51000 > 10.0.1.10:81 S", Ingress, "deny none"},
		// §3.1 INFERENCE: ports match the destination port, never the source.
		{"source port 80 does not match", "tcp 198.51.100.7:80 > 10.0.1.10:51000 S", Ingress, "deny none"},
		{"udp 80 not open", "udp 198.51.100.7:51000 > 10.0.1.10:80", Ingress, "deny none"},
		// §1.1: an icmp rule matches ICMP (1) only, never ICMPv6 (58).
		{"icmp echo v4", "icmp 198.51.100.7 > 10.0.1.10 8/0", Ingress, "allow icmp"},
		{"icmpv6 echo not allowed", "icmpv6 2001:db8:9::7 > 2001:db8:1::10 128/0", Ingress, "deny none"},
		// §1.4 / §3.1: an IPv4 CIDR never matches an IPv6 packet.
		{"ssh v6 not allowed", "tcp [2001:db8:9::7]:51000 > [2001:db8:1::10]:22 S", Ingress, "deny none"},
		// Egress peers are the destination.
		{"egress all v4", "udp 10.0.1.10:40000 > 8.8.8.8:53", Egress, "allow out-v4"},
		{"egress all v6", "udp [2001:db8:1::10]:40000 > [2001:4860::8888]:53", Egress, "allow out-v6"},
		{"egress gre", "gre 10.0.1.10 > 192.0.2.50", Egress, "allow out-v4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verdictText(sg.Eval(pkt(tt.pkt), tt.dir)); got != tt.want {
				t.Errorf("Eval(%s, %s) = %s, want %s", tt.pkt, tt.dir, got, tt.want)
			}
		})
	}
}

// TestSGVerdictCarriesReasonAndText checks the verdict names the rule in
// words and that a drop says "no rule matched: default deny" (SPEC.md
// §1.2).
func TestSGVerdictCarriesReasonAndText(t *testing.T) {
	sg := mustCompile(t, sgExample()).InterfaceSG("eni-a")
	v := sg.Eval(pkt("tcp 203.0.113.1:50000 > 10.0.1.10:22 S"), Ingress)
	want := Verdict{Action: Allow, Reason: ReasonSGRule, Rule: RuleRef{Kind: RuleSG, Filter: "sg-ex", ID: "ssh",
		Text: "sg-ex ingress tcp 22 from 203.0.113.1/32 (ssh)"}}
	if v != want {
		t.Errorf("allow verdict = %+v, want %+v", v, want)
	}
	v = sg.Eval(pkt("tcp 203.0.113.9:50000 > 10.0.1.10:23 S"), Ingress)
	want = Verdict{Action: Deny, Reason: ReasonSGNoRule, Rule: RuleRef{Filter: "sg-ex", Text: "no rule matched: default deny"}}
	if v != want {
		t.Errorf("deny verdict = %+v, want %+v", v, want)
	}
	if !v.Decided() || v.Allowed() {
		t.Errorf("deny verdict: Decided %v Allowed %v", v.Decided(), v.Allowed())
	}
}

// TestSGUnionIsMostPermissive is SPEC.md §8 #28: with SG1 (tcp 22 from
// 203.0.113.1/32) and SG2 (tcp 22 from 0.0.0.0/0) anyone may connect, and
// the verdict names the first allowing rule in group order.
func TestSGUnionIsMostPermissive(t *testing.T) {
	for _, order := range [][]string{{"sg-1", "sg-2"}, {"sg-2", "sg-1"}} {
		inv := &Inventory{
			Subnets: []Subnet{{ID: "s1"}},
			SecurityGroups: []SecurityGroup{
				{ID: "sg-1", Ingress: sgrs("tcp 22 203.0.113.1/32 narrow")},
				{ID: "sg-2", Ingress: sgrs("tcp 22 0.0.0.0/0 wide")},
			},
			Interfaces: []Interface{{ID: "eni-a", Subnet: "s1", Addrs: addrs("10.0.1.10"), Groups: order}},
		}
		sg := mustCompile(t, inv).InterfaceSG("eni-a")
		if got := verdictText(sg.Eval(pkt("tcp 198.51.100.9:50000 > 10.0.1.10:22 S"), Ingress)); got != "allow wide" {
			t.Errorf("groups %v: stranger = %s, want allow wide", order, got)
		}
		want := "allow narrow"
		if order[0] == "sg-2" {
			want = "allow wide" // first match in group order
		}
		if got := verdictText(sg.Eval(pkt("tcp 203.0.113.1:50000 > 10.0.1.10:22 S"), Ingress)); got != want {
			t.Errorf("groups %v: 203.0.113.1 = %s, want %s", order, got, want)
		}
		if got := sg.Groups(); !slices.Equal(got, order) {
			t.Errorf("Groups() = %v, want %v", got, order)
		}
	}
}

// TestSGSameGroupMembersNeedRules is SPEC.md §8 #26: A and A2 share SG-W
// (in tcp 80 0.0.0.0/0, out all) and A→A2:5432 is dropped at A2's ingress;
// a self-reference rule lets members in (§1.2 "SG reference").
func TestSGSameGroupMembersNeedRules(t *testing.T) {
	inv := &Inventory{
		Subnets: []Subnet{{ID: "s1"}},
		SecurityGroups: []SecurityGroup{
			{ID: "sg-w", Ingress: sgrs("tcp 80 0.0.0.0/0"), Egress: sgrs("all 0.0.0.0/0")},
			{ID: "sg-self", Ingress: sgrs("tcp 5432 sg-self db")},
		},
		Interfaces: []Interface{
			{ID: "eni-a", Subnet: "s1", Addrs: addrs("10.0.1.10"), PublicAddrs: addrs("54.0.0.10"), Groups: []string{"sg-w", "sg-self"}},
			{ID: "eni-a2", Subnet: "s1", Addrs: addrs("10.0.1.11"), Groups: []string{"sg-w"}},
			{ID: "eni-b", Subnet: "s1", Addrs: addrs("10.0.1.12"), Groups: []string{"sg-w", "sg-self"}},
			{ID: "outside", Addrs: addrs("10.0.1.99"), Groups: []string{"sg-self"}},
		},
	}
	rs := mustCompile(t, inv)
	if got := verdictText(rs.InterfaceSG("eni-a").Eval(pkt("tcp 10.0.1.10:40000 > 10.0.1.11:5432 S"), Egress)); got != "allow sg-w-out-1" {
		t.Errorf("A egress = %s", got)
	}
	if got := verdictText(rs.InterfaceSG("eni-a2").Eval(pkt("tcp 10.0.1.10:40000 > 10.0.1.11:5432 S"), Ingress)); got != "deny none" {
		t.Errorf("A2 ingress from fellow member = %s, want deny none", got)
	}
	b := rs.InterfaceSG("eni-b")
	for _, tt := range []struct{ pkt, want string }{
		{"tcp 10.0.1.10:40000 > 10.0.1.12:5432 S", "allow db"},  // member's private address
		{"tcp 54.0.0.10:40000 > 10.0.1.12:5432 S", "deny none"}, // never its public address
		{"tcp 10.0.1.11:40000 > 10.0.1.12:5432 S", "deny none"}, // not a member
		{"tcp 10.0.1.99:40000 > 10.0.1.12:5432 S", "deny none"}, // outside the VPC: no groups
	} {
		if got := verdictText(b.Eval(pkt(tt.pkt), Ingress)); got != tt.want {
			t.Errorf("B ingress %s = %s, want %s", tt.pkt, got, tt.want)
		}
	}
	if rs.InterfaceSG("outside") != nil {
		t.Errorf("InterfaceSG(outside) is not nil")
	}
	want := "sg-self ingress tcp 5432 from sg-self (members: 10.0.1.10, 10.0.1.12) (db)"
	if got := b.Rules(Ingress)[1].Text; got != want {
		t.Errorf("rule text = %q, want %q", got, want)
	}
}

// TestSGOtherProtocolsIgnorePorts is SPEC.md §8 #36 and §1.1: for -1 and
// protocol numbers other than tcp, udp, icmp and icmpv6 the port range is
// ignored.
func TestSGOtherProtocolsIgnorePorts(t *testing.T) {
	inv := &Inventory{
		Subnets:        []Subnet{{ID: "s1"}},
		SecurityGroups: []SecurityGroup{{ID: "sg-x", Ingress: sgrs("132 5000 0.0.0.0/0 sctp", "icmpv6 -1/-1 ::/0 v6icmp", "udp 53 pl-dns dns")}},
		PrefixLists:    []PrefixList{{ID: "pl-dns", CIDRs: []netip.Prefix{pfx("192.0.2.0/24"), pfx("2001:db8:53::/48")}}},
		Interfaces:     []Interface{{ID: "eni-a", Subnet: "s1", Addrs: addrs("10.0.1.10"), Groups: []string{"sg-x"}}},
	}
	sg := mustCompile(t, inv).InterfaceSG("eni-a")
	for _, tt := range []struct{ pkt, want string }{
		{"sctp 198.51.100.9:1000 > 10.0.1.10:9999", "allow sctp"},
		{"gre 198.51.100.9 > 10.0.1.10", "deny none"},
		{"icmpv6 2001:db8::9 > 2001:db8:1::10 2/0", "allow v6icmp"},
		{"icmp 198.51.100.9 > 10.0.1.10 8/0", "deny none"},
		{"udp 192.0.2.53:53 > 10.0.1.10:53", "allow dns"},
		{"udp [2001:db8:53::1]:53 > [2001:db8:1::10]:53", "allow dns"},
		{"udp 198.51.100.53:53 > 10.0.1.10:53", "deny none"},
	} {
		if got := verdictText(sg.Eval(pkt(tt.pkt), Ingress)); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.pkt, got, tt.want)
		}
	}
}

// TestSGICMPTypeAndCode checks FromPort = type and ToPort = code, -1 = all
// (SPEC.md §1.1).
func TestSGICMPTypeAndCode(t *testing.T) {
	inv := &Inventory{
		Subnets:        []Subnet{{ID: "s1"}},
		SecurityGroups: []SecurityGroup{{ID: "sg-x", Ingress: sgrs("icmp 3/4 0.0.0.0/0 frag", "icmp 11/-1 0.0.0.0/0 ttl")}},
		Interfaces:     []Interface{{ID: "eni-a", Subnet: "s1", Addrs: addrs("10.0.1.10"), Groups: []string{"sg-x"}}},
	}
	sg := mustCompile(t, inv).InterfaceSG("eni-a")
	for _, tt := range []struct{ pkt, want string }{
		{"icmp 192.0.2.1 > 10.0.1.10 3/4", "allow frag"},
		{"icmp 192.0.2.1 > 10.0.1.10 3/3", "deny none"},
		{"icmp 192.0.2.1 > 10.0.1.10 11/0", "allow ttl"},
		{"icmp 192.0.2.1 > 10.0.1.10 11/1", "allow ttl"},
		{"icmp 192.0.2.1 > 10.0.1.10 8/0", "deny none"},
	} {
		if got := verdictText(sg.Eval(pkt(tt.pkt), Ingress)); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.pkt, got, tt.want)
		}
	}
}

// TestSGTrackedUntrackedClassification is SPEC.md §2.8's table through the
// §2.2 algorithm: Untracked is asked for the packet that opens the flow.
func TestSGTrackedUntrackedClassification(t *testing.T) {
	full := mustCompile(t, sgExample()).InterfaceSG("eni-a")
	noV4Out := mustCompile(t, sgExample("all ::/0 out-v6")).InterfaceSG("eni-a")
	tests := []struct {
		name      string
		sg        *SG
		pkt       string
		dir       Direction
		untracked bool
	}{
		{"tcp 22 from /32 is tracked", full, "tcp 203.0.113.1:50000 > 10.0.1.10:22 S", Ingress, false},
		{"tcp 80 v4 is untracked", full, "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", Ingress, true},
		{"tcp 80 v6 is untracked", full, "tcp [2001:db8:9::7]:51000 > [2001:db8:1::10]:80 S", Ingress, true},
		{"icmp is always tracked", full, "icmp 198.51.100.7 > 10.0.1.10 8/0", Ingress, false},
		{"outbound tcp 443 is tracked (no all-ports inbound rule)", full, "tcp 10.0.1.10:40000 > 192.0.2.9:443 S", Egress, false},
		{"no ipv4 egress: tcp 80 v4 is tracked", noV4Out, "tcp 198.51.100.7:51000 > 10.0.1.10:80 S", Ingress, false},
		{"no ipv4 egress: tcp 80 v6 stays untracked", noV4Out, "tcp [2001:db8:9::7]:51000 > [2001:db8:1::10]:80 S", Ingress, true},
		{"denied packet is not untracked", full, "tcp 198.51.100.7:51000 > 10.0.1.10:81 S", Ingress, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sg.Untracked(pkt(tt.pkt), tt.dir); got != tt.untracked {
				t.Errorf("Untracked = %v, want %v", got, tt.untracked)
			}
		})
	}
}

// TestSGUntrackedNeedsLiteralAllCIDR checks SPEC.md §2.2's recommendation:
// a prefix list or group reference covering everything does not make a
// flow untracked, and the response rule must cover all ports.
func TestSGUntrackedNeedsLiteralAllCIDR(t *testing.T) {
	mk := func(in, out []SGRule) *SG {
		inv := &Inventory{
			Subnets:        []Subnet{{ID: "s1"}},
			SecurityGroups: []SecurityGroup{{ID: "sg-x", Ingress: in, Egress: out}},
			PrefixLists:    []PrefixList{{ID: "pl-all", CIDRs: []netip.Prefix{pfx("0.0.0.0/0")}}},
			Interfaces:     []Interface{{ID: "eni-a", Subnet: "s1", Addrs: addrs("10.0.1.10"), Groups: []string{"sg-x"}}},
		}
		return mustCompile(t, inv).InterfaceSG("eni-a")
	}
	p := pkt("udp 198.51.100.7:5000 > 10.0.1.10:53")
	tests := []struct {
		name    string
		in, out []SGRule
		want    bool
	}{
		{"all-open both ways", sgrs("udp 53 0.0.0.0/0"), sgrs("udp 0-65535 0.0.0.0/0"), true},
		{"response rule protocol -1", sgrs("udp 53 0.0.0.0/0"), sgrs("all 0.0.0.0/0"), true},
		{"response rule not all ports", sgrs("udp 53 0.0.0.0/0"), sgrs("udp 1024-65535 0.0.0.0/0"), false},
		{"response rule other protocol", sgrs("udp 53 0.0.0.0/0"), sgrs("tcp 0-65535 0.0.0.0/0"), false},
		{"prefix list inbound", sgrs("udp 53 pl-all"), sgrs("all 0.0.0.0/0"), false},
		{"prefix list outbound", sgrs("udp 53 0.0.0.0/0"), sgrs("all pl-all"), false},
		{"response rule ipv6 only", sgrs("udp 53 0.0.0.0/0"), sgrs("all ::/0"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mk(tt.in, tt.out).Untracked(p, Ingress); got != tt.want {
				t.Errorf("Untracked = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSGRulesListsEvaluationOrder checks Rules and the rule texts reports
// quote, with generated IDs (SPEC.md §1.1).
func TestSGRulesListsEvaluationOrder(t *testing.T) {
	inv := &Inventory{
		Subnets: []Subnet{{ID: "s1"}},
		SecurityGroups: []SecurityGroup{
			{ID: "sg-lb", Egress: sgrs("tcp 443 sg-web")},
			{ID: "sg-web", Ingress: sgrs("tcp 22 203.0.113.1/32 sgr-1", "tcp 443 sg-lb", "icmp 3/4 0.0.0.0/0", "icmpv6 -1/-1 ::/0", "udp 1024-65535 pl-x", "47 0.0.0.0/0"),
				Egress: sgrs("all 0.0.0.0/0")},
		},
		PrefixLists: []PrefixList{{ID: "pl-x", MaxEntries: 10, CIDRs: []netip.Prefix{pfx("10.1.0.0/16"), pfx("10.2.0.0/16")}}},
		Interfaces: []Interface{
			{ID: "eni-lb", Subnet: "s1", Addrs: addrs("10.0.1.5"), Groups: []string{"sg-lb"}},
			{ID: "eni-web", Subnet: "s1", Addrs: addrs("10.0.1.10"), Groups: []string{"sg-web"}},
		},
	}
	sg := mustCompile(t, inv).Group("sg-web")
	want := []string{
		"sg-web ingress tcp 22 from 203.0.113.1/32 (sgr-1)",
		"sg-web ingress tcp 443 from sg-lb (members: 10.0.1.5) (sg-web-in-2)",
		"sg-web ingress icmp type 3 code 4 from 0.0.0.0/0 (sg-web-in-3)",
		"sg-web ingress icmpv6 all types from ::/0 (sg-web-in-4)",
		"sg-web ingress udp 1024-65535 from pl-x (10.1.0.0/16, 10.2.0.0/16) (sg-web-in-5)",
		"sg-web ingress gre from 0.0.0.0/0 (sg-web-in-6)",
	}
	var got []string
	for _, r := range sg.Rules(Ingress) {
		got = append(got, r.Text)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ingress texts:\n got %q\nwant %q", got, want)
	}
	if got := sg.Rules(Egress)[0].Text; got != "sg-web egress all traffic to 0.0.0.0/0 (sg-web-out-1)" {
		t.Errorf("egress text = %q", got)
	}
	if got := sgr("tcp 22 203.0.113.1/32 sgr-1").String(); got != "tcp 22 203.0.113.1/32 (sgr-1)" {
		t.Errorf("SGRule.String = %q", got)
	}
	if got := sgr("tcp 22 203.0.113.1/32").Text("sg-a", Egress); got != "sg-a egress tcp 22 to 203.0.113.1/32" {
		t.Errorf("SGRule.Text = %q", got)
	}
}

// TestSGDefaultsMatchAWS checks DefaultSecurityGroup, NewSecurityGroup and
// that an interface without groups gets its VPC's default group (SPEC.md
// §1.3).
func TestSGDefaultsMatchAWS(t *testing.T) {
	fresh := NewSecurityGroup("sg-new", "vpc-1", "web")
	inv := &Inventory{
		VPCs:           []VPC{{ID: "vpc-1", CIDRs: []netip.Prefix{pfx("10.0.0.0/16"), pfx("2001:db8::/56")}}},
		Subnets:        []Subnet{{ID: "s1", VPC: "vpc-1"}},
		SecurityGroups: []SecurityGroup{fresh},
		Interfaces: []Interface{
			{ID: "eni-a", Subnet: "s1", Addrs: addrs("10.0.1.10")},
			{ID: "eni-b", Subnet: "s1", Addrs: addrs("10.0.1.11", "2001:db8::11")},
			{ID: "eni-c", Subnet: "s1", Addrs: addrs("10.0.1.12"), Groups: []string{"sg-new"}},
		},
	}
	rs := mustCompile(t, inv)
	a := rs.InterfaceSG("eni-a")
	if got := a.Groups(); !slices.Equal(got, []string{"sg-default-vpc-1"}) {
		t.Fatalf("eni-a groups = %v", got)
	}
	for _, tt := range []struct {
		sg   *SG
		pkt  string
		dir  Direction
		want Action
	}{
		{a, "tcp 10.0.1.11:40000 > 10.0.1.10:5432 S", Ingress, Allow},                    // fellow default member
		{a, "tcp 10.0.1.12:40000 > 10.0.1.10:5432 S", Ingress, Deny},                     // not a member
		{a, "udp 10.0.1.10:40000 > 8.8.8.8:53", Egress, Allow},                           // egress all v4
		{a, "udp [2001:db8::10]:40000 > [2001:4860::8888]:53", Egress, Allow},            // egress ::/0 (VPC has IPv6)
		{rs.InterfaceSG("eni-c"), "tcp 10.0.1.11:40000 > 10.0.1.12:22 S", Ingress, Deny}, // new group: no inbound
		{rs.InterfaceSG("eni-c"), "tcp 10.0.1.12:40000 > 1.1.1.1:443 S", Egress, Allow},
		{rs.InterfaceSG("eni-c"), "tcp [2001:db8::12]:40000 > [2001:4860::1]:443 S", Egress, Deny}, // new group: IPv4 egress only
	} {
		if got := tt.sg.Eval(pkt(tt.pkt), tt.dir).Action; got != tt.want {
			t.Errorf("%v %s %s = %s, want %s", tt.sg.Groups(), tt.dir, tt.pkt, got, tt.want)
		}
	}
	d := DefaultSecurityGroup("sg-d", "vpc-1", false)
	if len(d.Egress) != 1 || !d.IsDefault || d.Ingress[0].Group != "sg-d" {
		t.Errorf("DefaultSecurityGroup(ipv6=false) = %+v", d)
	}
}

// TestZeroSGDeniesEverything checks the documented zero value.
func TestZeroSGDeniesEverything(t *testing.T) {
	var s SG
	v := s.Eval(pkt("tcp 10.0.0.1:1 > 10.0.0.2:2 S"), Ingress)
	if v.Action != Deny || v.Reason != ReasonSGNoRule {
		t.Errorf("zero SG verdict = %+v", v)
	}
	if s.Untracked(pkt("tcp 10.0.0.1:1 > 10.0.0.2:2 S"), Egress) {
		t.Errorf("zero SG Untracked = true")
	}
}
