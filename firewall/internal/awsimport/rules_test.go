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
// (100.68.0.18/18 → 100.68.0.0/18); a rule's family is fixed by its field.
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
		{"10.0.0.0/8", "6", "", false, "CIDR 10.0.0.0/8 is not IPv6"},
		{"::/0", "4", "", false, "CIDR ::/0 is not IPv4"},
		{"::ffff:10.0.0.0/104", "4", "", false, "CIDR ::ffff:10.0.0.0/104 is not IPv4"},
		// not a CIDR
		{"10.0.0.0/33", "4", "", false, `bad CIDR "10.0.0.0/33": netip.ParsePrefix("10.0.0.0/33"): prefix length out of range`},
		{"10.0.0.0", "", "", false, `bad CIDR "10.0.0.0": netip.ParsePrefix("10.0.0.0"): no '/'`},
		{"", "4", "", false, `bad CIDR "": netip.ParsePrefix(""): no '/'`},
		{"bad\n/8", "", "", false, `bad CIDR "bad\n/8": netip.ParsePrefix("bad\n/8"): ParseAddr("bad\n"): unable to parse IP`},
	}
	for _, tt := range tests {
		p, canon, msg := ParseCIDR(tt.in, tt.family)
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
