package awsimport

import (
	"net/netip"
	"testing"

	"github.com/ctsim/ctsim/firewall"
)

func i32(n int32) *int32 { return &n }

// SPEC.md §1.1 (IpProtocol: tcp, udp, icmp, icmpv6, a protocol number, -1
// for all) and §3.2 (NACL Protocol: a number string, "-1" for all).
func TestParseProtocolAcceptsNamesNumbersAndAll(t *testing.T) {
	tests := []struct {
		in   string
		want firewall.Protocol
		ok   bool
	}{
		// names, any case
		{"tcp", ProtoTCP, true},
		{"TCP", ProtoTCP, true},
		{"udp", ProtoUDP, true},
		{"icmp", ProtoICMP, true},
		{"icmpv6", ProtoICMPv6, true},
		{"icmp6", ProtoICMPv6, true},
		{"IcmpV6", ProtoICMPv6, true},
		// all protocols
		{"-1", firewall.ProtoAll, true},
		{"all", firewall.ProtoAll, true},
		{"ALL", firewall.ProtoAll, true},
		// numbers 0–255, the special ones included
		{"0", 0, true},
		{"6", ProtoTCP, true},
		{"17", ProtoUDP, true},
		{"1", ProtoICMP, true},
		{"58", ProtoICMPv6, true},
		{"132", 132, true},
		{"255", 255, true},
		{"+6", ProtoTCP, true}, // strconv.Atoi takes a sign
		{"006", ProtoTCP, true},
		// refused
		{"", 0, false},
		{"256", 0, false},
		{"-2", 0, false},
		{"sctp", 0, false},
		{" tcp", 0, false},
		{"6 ", 0, false},
		{"0x6", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseProtocol(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseProtocol(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// SPEC.md §1.1: FromPort/ToPort are a port range for TCP/UDP (required), the
// ICMP type and code for ICMP/ICMPv6 (-1 = all; all types needs all codes),
// and ignored for every other protocol.
func TestSGPortsChecksRangesPerProtocol(t *testing.T) {
	tests := []struct {
		name     string
		p        firewall.Protocol
		from, to *int32
		f, t     int32
		msg      string
	}{
		// tcp and udp: a port range
		{"tcp range", ProtoTCP, i32(1024), i32(65535), 1024, 65535, ""},
		{"udp single port", ProtoUDP, i32(53), i32(53), 53, 53, ""},
		{"tcp whole range", ProtoTCP, i32(0), i32(65535), 0, 65535, ""},
		{"tcp without FromPort", ProtoTCP, nil, i32(80), 0, 0, "FromPort and ToPort are required for tcp and udp"},
		{"udp without ToPort", ProtoUDP, i32(80), nil, 0, 0, "FromPort and ToPort are required for tcp and udp"},
		{"tcp port above 65535", ProtoTCP, i32(1), i32(65536), 0, 0, "port range 1-65536 out of range 0-65535"},
		{"tcp negative port", ProtoTCP, i32(-1), i32(-1), 0, 0, "port range -1--1 out of range 0-65535"},
		{"tcp reversed", ProtoTCP, i32(443), i32(80), 0, 0, "port range 443-80: FromPort above ToPort"},
		// icmp and icmpv6: type and code
		{"icmp echo request", ProtoICMP, i32(8), i32(0), 8, 0, ""},
		{"icmp type, all codes", ProtoICMP, i32(3), i32(-1), 3, -1, ""},
		{"icmp all", ProtoICMP, i32(-1), i32(-1), -1, -1, ""},
		{"icmpv6 absent means all", ProtoICMPv6, nil, nil, -1, -1, ""},
		{"icmpv6 type only", ProtoICMPv6, i32(128), nil, 128, -1, ""},
		{"icmp type too big", ProtoICMP, i32(256), i32(0), 0, 0, "ICMP type 256 out of range -1-255"},
		{"icmp type too small", ProtoICMP, i32(-2), i32(0), 0, 0, "ICMP type -2 out of range -1-255"},
		{"icmp code too big", ProtoICMPv6, i32(1), i32(300), 0, 0, "ICMP code 300 out of range -1-255"},
		{"icmp code without type", ProtoICMP, i32(-1), i32(4), 0, 0, "ICMP code 4 given for all ICMP types (-1): all types needs all codes"},
		{"icmp code without type, absent type", ProtoICMP, nil, i32(4), 0, 0, "ICMP code 4 given for all ICMP types (-1): all types needs all codes"},
		// anything else: ignored
		{"all protocols ignore ports", firewall.ProtoAll, i32(22), i32(22), 0, 0, ""},
		{"sctp ignores ports", 132, i32(5000), i32(5000), 0, 0, ""},
		{"protocol 0 ignores bad ports", 0, i32(-7), i32(99999), 0, 0, ""},
	}
	for _, tt := range tests {
		f, to, msg := SGPorts(tt.p, tt.from, tt.to)
		if f != tt.f || to != tt.t || msg != tt.msg {
			t.Errorf("%s: SGPorts = %d, %d, %q; want %d, %d, %q", tt.name, f, to, msg, tt.f, tt.t, tt.msg)
		}
	}
}

// SPEC.md §3.2: a NACL entry's PortRange applies to TCP/UDP, its
// IcmpTypeCode to ICMP/ICMPv6 (Type -1 = all types, Code -1 = all codes);
// other protocols match all ports.
func TestNACLMatchFillsPortsOrTypeCode(t *testing.T) {
	tests := []struct {
		name        string
		p           firewall.Protocol
		ports, icmp [2]*int32
		want        firewall.NACLEntry // Protocol is set from p
		msg         string
		assumed     string
	}{
		// tcp and udp: PortRange
		{"tcp range", ProtoTCP, [2]*int32{i32(1024), i32(65535)}, [2]*int32{i32(8), i32(0)},
			firewall.NACLEntry{FromPort: 1024, ToPort: 65535}, "", ""},
		{"udp without PortRange assumes all ports", ProtoUDP, [2]*int32{}, [2]*int32{},
			firewall.NACLEntry{FromPort: 0, ToPort: 65535}, "", "port range 0-65535 (no PortRange)"},
		{"tcp with half a PortRange assumes all ports", ProtoTCP, [2]*int32{i32(80), nil}, [2]*int32{},
			firewall.NACLEntry{FromPort: 0, ToPort: 65535}, "", "port range 0-65535 (no PortRange)"},
		{"tcp port out of range", ProtoTCP, [2]*int32{i32(0), i32(70000)}, [2]*int32{},
			firewall.NACLEntry{FromPort: 0, ToPort: 70000}, "port range 0-70000 out of range 0-65535", ""},
		{"tcp reversed", ProtoTCP, [2]*int32{i32(90), i32(80)}, [2]*int32{},
			firewall.NACLEntry{FromPort: 90, ToPort: 80}, "port range 90-80: From above To", ""},
		// icmp and icmpv6: IcmpTypeCode
		{"icmp type and code", ProtoICMP, [2]*int32{i32(1), i32(2)}, [2]*int32{i32(3), i32(4)},
			firewall.NACLEntry{ICMPType: 3, ICMPCode: 4}, "", ""},
		{"icmpv6 absent means all", ProtoICMPv6, [2]*int32{}, [2]*int32{},
			firewall.NACLEntry{ICMPType: -1, ICMPCode: -1}, "", ""},
		{"icmp code -1 for a type", ProtoICMP, [2]*int32{}, [2]*int32{i32(3), i32(-1)},
			firewall.NACLEntry{ICMPType: 3, ICMPCode: -1}, "", ""},
		{"icmp type out of range", ProtoICMP, [2]*int32{}, [2]*int32{i32(256), i32(0)},
			firewall.NACLEntry{ICMPType: 256, ICMPCode: 0}, "ICMP type/code 256/0 out of range -1-255", ""},
		{"icmp code out of range", ProtoICMPv6, [2]*int32{}, [2]*int32{i32(0), i32(-2)},
			firewall.NACLEntry{ICMPType: 0, ICMPCode: -2}, "ICMP type/code 0/-2 out of range -1-255", ""},
		// anything else: zero
		{"all protocols ignore both", firewall.ProtoAll, [2]*int32{i32(22), i32(22)}, [2]*int32{i32(8), i32(0)},
			firewall.NACLEntry{}, "", ""},
		{"gre ignores both", 47, [2]*int32{i32(-5), i32(99999)}, [2]*int32{i32(999), i32(999)},
			firewall.NACLEntry{}, "", ""},
	}
	for _, tt := range tests {
		e := firewall.NACLEntry{Number: 100, Protocol: tt.p}
		msg, assumed := NACLMatch(&e, tt.ports, tt.icmp)
		want := tt.want
		want.Number, want.Protocol = 100, tt.p
		if e != want || msg != tt.msg || assumed != tt.assumed {
			t.Errorf("%s: NACLMatch = %+v, %q, %q; want %+v, %q, %q", tt.name, e, msg, assumed, want, tt.msg, tt.assumed)
		}
	}
}

// SPEC.md §3.1: AWS canonicalises a CIDR by clearing its host bits
// (100.68.0.18/18 → 100.68.0.0/18); a rule's family is fixed by its field;
// a refused CIDR is explained in AWS terms (prefix lengths 0–32 for IPv4,
// 0–128 for IPv6), never with netip's Go-flavoured error text.
func TestParseCIDRMasksAndChecksFamily(t *testing.T) {
	tests := []struct {
		in, family string
		want       string // "" when invalid
		canon      bool
		msg        string
	}{
		// canonical already
		{"10.0.0.0/16", "4", "10.0.0.0/16", true, ""},
		{"0.0.0.0/0", "", "0.0.0.0/0", true, ""},
		{"::/0", "6", "::/0", true, ""},
		{"2001:db8::/32", "", "2001:db8::/32", true, ""},
		{"192.0.2.7/32", "4", "192.0.2.7/32", true, ""},
		// host bits cleared
		{"100.68.0.18/18", "4", "100.68.0.0/18", false, ""},
		{"10.1.2.3/8", "", "10.0.0.0/8", false, ""},
		{"2001:db8::1/64", "6", "2001:db8::/64", false, ""},
		// wrong family
		{"10.0.0.0/8", "6", "", false, `CidrIp "10.0.0.0/8" is an IPv4 CIDR, want IPv6`},
		{"::/0", "4", "", false, `CidrIp "::/0" is an IPv6 CIDR, want IPv4`},
		{"::ffff:10.0.0.0/104", "4", "", false, `CidrIp "::ffff:10.0.0.0/104" is an IPv6 CIDR, want IPv4`},
		// not a CIDR: the message says what is allowed, in AWS terms
		{"10.0.0.0/33", "4", "", false, `CidrIp "10.0.0.0/33": prefix length 33 is outside 0–32 for IPv4`},
		{"10.0.0.0/33", "", "", false, `CidrIp "10.0.0.0/33": prefix length 33 is outside 0–32 for IPv4`},
		{"2001:db8::/129", "6", "", false, `CidrIp "2001:db8::/129": prefix length 129 is outside 0–128 for IPv6`},
		{"10.0.0.0/99999999999", "4", "", false, `CidrIp "10.0.0.0/99999999999": prefix length 99999999999 is outside 0–32 for IPv4`},
		{"10.0.0.0/x", "4", "", false, `CidrIp "10.0.0.0/x": prefix length "x" is not a number: want 0–32 for IPv4`},
		{"10.0.0.0/-1", "4", "", false, `CidrIp "10.0.0.0/-1": prefix length "-1" is not a number: want 0–32 for IPv4`},
		{"10.0.0.0/08", "4", "", false, `CidrIp "10.0.0.0/08": prefix length "08" has a leading zero: want 0–32 for IPv4`},
		{"10.0.0.0/33", "6", "", false, `CidrIp "10.0.0.0/33": "10.0.0.0" is an IPv4 address, want IPv6`},
		{"2001:db8::/200", "4", "", false, `CidrIp "2001:db8::/200": "2001:db8::" is an IPv6 address, want IPv4`},
		{"10.0.0.0", "", "", false, `CidrIp "10.0.0.0": no prefix length: want an IPv4 or IPv6 address, "/" and a prefix length, such as 10.0.0.0/16`},
		{"", "4", "", false, `CidrIp "": no prefix length: want an IPv4 address, "/" and a prefix length, such as 10.0.0.0/16`},
		{"2001:db8::", "6", "", false, `CidrIp "2001:db8::": no prefix length: want an IPv6 address, "/" and a prefix length, such as 2001:db8::/56`},
		{"/8", "4", "", false, `CidrIp "/8": no address before "/": want an IPv4 address, "/" and a prefix length, such as 10.0.0.0/16`},
		{"bad\n/8", "", "", false, `CidrIp "bad\n/8": "bad\n" is not an IPv4 or IPv6 address`},
		{"10.0.0.256/8", "4", "", false, `CidrIp "10.0.0.256/8": "10.0.0.256" is not an IPv4 address`},
		{"fe80::1%eth0/64", "6", "", false, `CidrIp "fe80::1%eth0/64": a CIDR cannot have an IPv6 zone (%eth0)`},
	}
	for _, tt := range tests {
		p, canon, msg := ParseCIDR("CidrIp", tt.in, tt.family)
		var want netip.Prefix
		if tt.want != "" {
			want = netip.MustParsePrefix(tt.want)
		}
		if p != want || canon != tt.canon || msg != tt.msg {
			t.Errorf("ParseCIDR(%q, %q) = %v, %v, %q; want %v, %v, %q", tt.in, tt.family, p, canon, msg, want, tt.canon, tt.msg)
		}
	}
}

// SPEC.md §3.1: a subnet is associated with exactly one NACL; an
// unassociated subnet uses its VPC's default NACL.
func TestAssociateUsesAssociationElseVPCDefault(t *testing.T) {
	inv := firewall.Inventory{
		Subnets: []firewall.Subnet{
			{ID: "subnet-assoc", VPC: "vpc-1"},
			{ID: "subnet-default", VPC: "vpc-1"},
			{ID: "subnet-other-vpc", VPC: "vpc-2"},
			{ID: "subnet-none", VPC: "vpc-3"},
			{ID: "subnet-kept", VPC: "vpc-3", NACL: "acl-before"},
		},
		NetworkACLs: []firewall.NetworkACL{
			{ID: "acl-custom", VPC: "vpc-1"},
			{ID: "acl-def1", VPC: "vpc-1", IsDefault: true},
			{ID: "acl-def2", VPC: "vpc-2", IsDefault: true},
		},
	}
	naclOf := map[string]string{"subnet-assoc": "acl-custom"}
	Associate(&inv, naclOf)
	want := map[string]string{
		"subnet-assoc":     "acl-custom",
		"subnet-default":   "acl-def1",
		"subnet-other-vpc": "acl-def2",
		"subnet-none":      "",
		"subnet-kept":      "acl-before", // no association and no default: left as it was
	}
	for _, s := range inv.Subnets {
		if s.NACL != want[s.ID] {
			t.Errorf("subnet %s: NACL = %q, want %q", s.ID, s.NACL, want[s.ID])
		}
	}
	if len(naclOf) != 1 || naclOf["subnet-assoc"] != "acl-custom" {
		t.Errorf("Associate changed naclOf: %v", naclOf)
	}
}

// SPEC.md §1.1: "specifying -1 or a protocol number other than tcp, udp,
// icmp, or icmpv6 allows traffic on all ports, regardless of any port range
// you specify": a port range given for such a rule is reported, at the
// first value given; the input's spelling of "no ports" is not.
func TestIgnoredSGReportsPortsAWSIgnores(t *testing.T) {
	from, to := "FromPort", "ToPort"
	tests := []struct {
		name  string
		p     firewall.Protocol
		vals  []Value
		unset []int32
		msg   string
		at    int
	}{
		{"sctp with a port", 132, []Value{{from, i32(5000)}, {to, i32(5000)}}, []int32{-1},
			"FromPort 5000 and ToPort 5000 are ignored for protocol 132 (sctp): AWS allows all ports (SPEC.md §1.1)", 0},
		{"all protocols with a port", firewall.ProtoAll, []Value{{from, i32(22)}, {to, i32(22)}}, []int32{-1},
			"FromPort 22 and ToPort 22 are ignored for protocol -1 (all): AWS allows all ports (SPEC.md §1.1)", 0},
		{"only ToPort given", 47, []Value{{from, nil}, {to, i32(80)}}, []int32{-1},
			"ToPort 80 is ignored for protocol 47 (gre): AWS allows all ports (SPEC.md §1.1)", 1},
		{"unnamed protocol", 99, []Value{{from, i32(1)}, {to, i32(2)}}, nil,
			"FromPort 1 and ToPort 2 are ignored for protocol 99: AWS allows all ports (SPEC.md §1.1)", 0},
		{"-1/-1 says all ports", 132, []Value{{from, i32(-1)}, {to, i32(-1)}}, []int32{-1}, "", -1},
		{"absent ports", firewall.ProtoAll, []Value{{from, nil}, {to, nil}}, []int32{-1}, "", -1},
		{"terraform 0/0 for -1", firewall.ProtoAll, []Value{{"from_port", i32(0)}, {"to_port", i32(0)}}, []int32{0, -1}, "", -1},
		{"0 counts where it is not unset", firewall.ProtoAll, []Value{{from, i32(0)}, {to, i32(0)}}, []int32{-1},
			"FromPort 0 and ToPort 0 are ignored for protocol -1 (all): AWS allows all ports (SPEC.md §1.1)", 0},
		{"tcp uses its ports", ProtoTCP, []Value{{from, i32(80)}, {to, i32(80)}}, nil, "", -1},
		{"udp uses its ports", ProtoUDP, []Value{{from, i32(53)}, {to, i32(53)}}, nil, "", -1},
		{"icmp uses type and code", ProtoICMP, []Value{{from, i32(8)}, {to, i32(0)}}, nil, "", -1},
		{"icmpv6 uses type and code", ProtoICMPv6, []Value{{from, i32(128)}, {to, i32(0)}}, nil, "", -1},
	}
	for _, tt := range tests {
		msg, at := IgnoredSG(tt.p, tt.vals, tt.unset...)
		if msg != tt.msg || at != tt.at {
			t.Errorf("%s: IgnoredSG = %q, %d; want %q, %d", tt.name, msg, at, tt.msg, tt.at)
		}
	}
}

// SPEC.md §3.2: protocols other than 6, 17, 1 (and 58) allow all ports
// "regardless of any ports or ICMP types or codes that you specify"; 58
// with an IPv4 CIDR allows all ICMP types and codes "regardless of any that
// you specify".
func TestIgnoredNACLReportsValuesAWSIgnores(t *testing.T) {
	v4, v6 := netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::/0")
	vals := func(f, to, ty, c *int32) []Value {
		return []Value{{"PortRange.From", f}, {"PortRange.To", to}, {"IcmpTypeCode.Type", ty}, {"IcmpTypeCode.Code", c}}
	}
	tests := []struct {
		name string
		e    firewall.NACLEntry
		vals []Value
		msg  string
		at   int
	}{
		{"sctp with a port range", firewall.NACLEntry{Protocol: 132, CIDR: v4}, vals(i32(5000), i32(5000), nil, nil),
			"PortRange.From 5000 and PortRange.To 5000 are ignored for protocol 132 (sctp): AWS allows all ports (SPEC.md §3.2)", 0},
		{"gre with an ICMP type", firewall.NACLEntry{Protocol: 47, CIDR: v4}, vals(nil, nil, i32(8), nil),
			"IcmpTypeCode.Type 8 is ignored for protocol 47 (gre): AWS allows all ports (SPEC.md §3.2)", 2},
		{"all with everything", firewall.NACLEntry{Protocol: firewall.ProtoAll, CIDR: v6}, vals(i32(1), i32(2), i32(3), i32(4)),
			"PortRange.From 1, PortRange.To 2, IcmpTypeCode.Type 3 and IcmpTypeCode.Code 4 are ignored for protocol -1 (all): AWS allows all ports (SPEC.md §3.2)", 0},
		{"icmpv6 with an IPv4 CIDR", firewall.NACLEntry{Protocol: ProtoICMPv6, CIDR: v4}, vals(nil, nil, i32(128), i32(0)),
			"IcmpTypeCode.Type 128 and IcmpTypeCode.Code 0 are ignored for protocol 58 (icmpv6) with an IPv4 CIDR: AWS allows all ICMP types and codes (SPEC.md §3.2)", 2},
		{"icmpv6 with an IPv6 CIDR", firewall.NACLEntry{Protocol: ProtoICMPv6, CIDR: v6}, vals(nil, nil, i32(128), i32(0)), "", -1},
		{"icmpv6, IPv4, all types", firewall.NACLEntry{Protocol: ProtoICMPv6, CIDR: v4}, vals(nil, nil, i32(-1), i32(-1)), "", -1},
		{"tcp", firewall.NACLEntry{Protocol: ProtoTCP, CIDR: v4}, vals(i32(80), i32(80), nil, nil), "", -1},
		{"icmp", firewall.NACLEntry{Protocol: ProtoICMP, CIDR: v4}, vals(nil, nil, i32(8), i32(0)), "", -1},
		{"sctp, nothing given", firewall.NACLEntry{Protocol: 132, CIDR: v4}, vals(nil, nil, nil, nil), "", -1},
	}
	for _, tt := range tests {
		msg, at := IgnoredNACL(tt.e, tt.vals, -1)
		if msg != tt.msg || at != tt.at {
			t.Errorf("%s: IgnoredNACL = %q, %d; want %q, %d", tt.name, msg, at, tt.msg, tt.at)
		}
	}
}

// SPEC.md §3.2: an ICMPv6 entry with an IPv4 CIDR allows all ICMP types
// and codes, whatever IcmpTypeCode says (even out of range).
func TestNACLMatchICMPv6WithIPv4CIDRMeansAllTypes(t *testing.T) {
	for _, icmp := range [][2]*int32{{i32(128), i32(0)}, {i32(999), nil}, {}} {
		e := firewall.NACLEntry{Number: 1, Protocol: ProtoICMPv6, CIDR: netip.MustParsePrefix("10.0.0.0/8")}
		msg, assumed := NACLMatch(&e, [2]*int32{}, icmp)
		if e.ICMPType != -1 || e.ICMPCode != -1 || msg != "" || assumed != "" {
			t.Errorf("NACLMatch(icmpv6, IPv4, %v) = %d/%d, %q, %q; want -1/-1", icmp, e.ICMPType, e.ICMPCode, msg, assumed)
		}
	}
	e := firewall.NACLEntry{Number: 1, Protocol: ProtoICMPv6, CIDR: netip.MustParsePrefix("::/0")}
	if NACLMatch(&e, [2]*int32{}, [2]*int32{i32(128), i32(0)}); e.ICMPType != 128 || e.ICMPCode != 0 {
		t.Errorf("NACLMatch(icmpv6, IPv6) = %d/%d, want 128/0", e.ICMPType, e.ICMPCode)
	}
}
