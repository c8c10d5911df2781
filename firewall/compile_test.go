package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// validInventory is a small inventory that compiles; validation cases break
// one thing in it.
func validInventory() *Inventory {
	return &Inventory{
		VPCs:    []VPC{{ID: "vpc-1", CIDRs: []netip.Prefix{pfx("10.0.0.0/16")}}},
		Subnets: []Subnet{{ID: "s1", VPC: "vpc-1", CIDR: pfx("10.0.1.0/24"), NACL: "acl-1"}},
		SecurityGroups: []SecurityGroup{{ID: "sg-web", VPC: "vpc-1", Origin: Origin{File: "net.yaml", Line: 10, Col: 3},
			Ingress: []SGRule{{Protocol: 6, FromPort: 22, ToPort: 22, CIDR: pfx("203.0.113.1/32"), Origin: Origin{File: "net.yaml", Line: 14, Col: 3}}},
			Egress:  sgrs("all 0.0.0.0/0")}},
		NetworkACLs: []NetworkACL{{ID: "acl-1", VPC: "vpc-1", Entries: rules("100 allow all 0.0.0.0/0", "out 100 allow all 0.0.0.0/0")}},
		PrefixLists: []PrefixList{{ID: "pl-1", CIDRs: []netip.Prefix{pfx("192.0.2.0/24")}}},
		Interfaces:  []Interface{{ID: "eni-1", Subnet: "s1", Addrs: addrs("10.0.1.10"), Groups: []string{"sg-web"}}},
	}
}

// errorsOf flattens a (joined) Compile error into its *Errors.
func errorsOf(t *testing.T, err error) []*Error {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	var out []*Error
	for _, e := range errs {
		var fe *Error
		if !errors.As(e, &fe) {
			t.Fatalf("error %v is not a *Error", e)
		}
		out = append(out, fe)
	}
	return out
}

func manyRules(n int, proto string, cidr func(i int) string) []SGRule {
	var rs []SGRule
	for i := range n {
		rs = append(rs, sgr(fmt.Sprintf("%s %d %s", proto, 1000+i, cidr(i))))
	}
	return rs
}

func manyEntries(n int, egress bool, cidr string) []NACLEntry {
	var es []NACLEntry
	for i := range n {
		es = append(es, NACLEntry{Number: int32(10 * (i + 1)), Egress: egress, Protocol: 6, FromPort: int32(i), ToPort: int32(i), CIDR: pfx(cidr), Action: Allow})
	}
	return es
}

func v4(i int) string { return fmt.Sprintf("10.%d.0.0/16", i) }
func v6(i int) string { return fmt.Sprintf("2001:db8:%x::/48", i) }

// TestCompileRejectsInvalidInventories checks every validation rule
// (SPEC.md §1.1, §1.4, §3.1, §3.2, §3.4): each case breaks one thing and
// expects one *Error naming the field, with words that say what is right.
func TestCompileRejectsInvalidInventories(t *testing.T) {
	web := func(inv *Inventory) *SecurityGroup { return &inv.SecurityGroups[0] }
	acl := func(inv *Inventory) *NetworkACL { return &inv.NetworkACLs[0] }
	tests := []struct {
		name   string
		break_ func(inv *Inventory)
		lim    Limits
		field  string
		msg    string // substring of Error()
	}{
		// Security group rules (§1.1).
		{"tcp from_port above 65535", func(inv *Inventory) { web(inv).Ingress[0].FromPort = 70000 }, Limits{}, "from_port", "from_port 70000 is outside 0–65535"},
		{"tcp to_port below from_port", func(inv *Inventory) { web(inv).Ingress[0].ToPort = 21 }, Limits{}, "to_port", "to_port 21 is below from_port 22"},
		{"tcp port -1", func(inv *Inventory) { web(inv).Ingress[0].FromPort = -1 }, Limits{}, "from_port", "from_port -1 is outside 0–65535"},
		{"icmp type 256", func(inv *Inventory) { web(inv).Ingress = []SGRule{sgr("icmp 256/0 0.0.0.0/0")} }, Limits{}, "from_port", "from_port 256 is not an icmp type"},
		{"icmp code -2", func(inv *Inventory) { web(inv).Ingress = []SGRule{sgr("icmpv6 1/-2 ::/0")} }, Limits{}, "to_port", "to_port -2 is not an icmp code"},
		{"icmp all types needs all codes", func(inv *Inventory) { web(inv).Ingress = []SGRule{sgr("icmp -1/4 0.0.0.0/0")} }, Limits{}, "to_port", "all types requires all codes"},
		{"protocol 300", func(inv *Inventory) { web(inv).Ingress[0].Protocol = 300 }, Limits{}, "protocol", "protocol 300 is not -1 (all) or an IP protocol number 0–255"},
		{"protocol -2", func(inv *Inventory) { web(inv).Ingress[0].Protocol = -2 }, Limits{}, "protocol", "protocol -2"},
		{"no peer", func(inv *Inventory) { web(inv).Ingress[0].CIDR = netip.Prefix{} }, Limits{}, "cidr", "rule has no peer"},
		{"two peers", func(inv *Inventory) { web(inv).Ingress[0].Group = "sg-web" }, Limits{}, "cidr", "rule has 2 peers"},
		{"unknown group", func(inv *Inventory) { web(inv).Ingress = []SGRule{sgr("tcp 22 sg-nope")} }, Limits{}, "group", `security group "sg-nope" is not defined`},
		{"unknown prefix list", func(inv *Inventory) { web(inv).Ingress = []SGRule{sgr("tcp 22 pl-nope")} }, Limits{}, "prefix_list", `prefix list "pl-nope" is not defined`},
		{"ipv4-mapped cidr", func(inv *Inventory) { web(inv).Ingress[0].CIDR = pfx("::ffff:10.0.0.0/104") }, Limits{}, "cidr", "IPv4-mapped"},
		{"long description", func(inv *Inventory) { web(inv).Ingress[0].Description = strings.Repeat("x", 256) }, Limits{}, "description", "256 characters"},
		// Quotas (§1.4): 60 per direction per family; a prefix list counts its max entries.
		{"61 ipv4 ingress rules", func(inv *Inventory) { web(inv).Ingress = manyRules(61, "tcp", v4) }, Limits{}, "rules", "61 IPv4 rules are above the quota of 60"},
		{"61 ipv6 egress rules", func(inv *Inventory) { web(inv).Egress = manyRules(61, "tcp", v6) }, Limits{}, "rules", "61 IPv6 rules"},
		{"configured rule quota", func(inv *Inventory) { web(inv).Ingress = manyRules(11, "tcp", v4) }, Limits{SGRulesPerDirection: 10}, "rules", "quota of 10"},
		{"prefix list weight", func(inv *Inventory) {
			inv.PrefixLists[0].MaxEntries = 50
			web(inv).Ingress = append(manyRules(11, "tcp", v4), sgr("tcp 22 pl-1"))
		}, Limits{}, "rules", "61 IPv4 rules"},
		{"group references count in ipv6 too", func(inv *Inventory) {
			web(inv).Ingress = append(manyRules(60, "tcp", v6), sgr("tcp 22 sg-web"))
		}, Limits{}, "rules", "61 IPv6 rules"},
		{"six groups on an interface", func(inv *Inventory) {
			for i := range 5 {
				id := fmt.Sprintf("sg-%d", i)
				inv.SecurityGroups = append(inv.SecurityGroups, SecurityGroup{ID: id})
				inv.Interfaces[0].Groups = append(inv.Interfaces[0].Groups, id)
			}
		}, Limits{}, "groups", "6 security groups are above the quota of 5"},
		// Interfaces, subnets, prefix lists, ids.
		{"interface in unknown subnet", func(inv *Inventory) { inv.Interfaces[0].Subnet = "s9" }, Limits{}, "subnet", `subnet "s9" is not defined`},
		{"interface with unknown group", func(inv *Inventory) { inv.Interfaces[0].Groups = []string{"sg-9"} }, Limits{}, "groups", `security group "sg-9" is not defined`},
		{"interface lists a group twice", func(inv *Inventory) { inv.Interfaces[0].Groups = []string{"sg-web", "sg-web"} }, Limits{}, "groups", "listed twice"},
		{"subnet with unknown nacl", func(inv *Inventory) { inv.Subnets[0].NACL = "acl-9" }, Limits{}, "nacl", `network acl "acl-9" is not defined`},
		{"subnet in unknown vpc", func(inv *Inventory) { inv.Subnets[0].VPC = "vpc-9" }, Limits{}, "vpc", `vpc "vpc-9" is not defined`},
		{"subnet ipv6 block as cidr", func(inv *Inventory) { inv.Subnets[0].CIDR = pfx("2001:db8::/64") }, Limits{}, "cidr", "not an IPv4 block"},
		{"duplicate group id", func(inv *Inventory) { inv.SecurityGroups = append(inv.SecurityGroups, SecurityGroup{ID: "sg-web"}) }, Limits{}, "id", `id "sg-web" is used twice`},
		{"empty nacl id", func(inv *Inventory) { inv.NetworkACLs = append(inv.NetworkACLs, NetworkACL{}) }, Limits{}, "id", "network acl has no id"},
		{"prefix list max below entries", func(inv *Inventory) {
			inv.PrefixLists[0].CIDRs = append(inv.PrefixLists[0].CIDRs, pfx("198.51.100.0/24"))
			inv.PrefixLists[0].MaxEntries = 1
		}, Limits{}, "max_entries", "max_entries 1 is below its 2 entries"},
		{"prefix list bad cidr", func(inv *Inventory) { inv.PrefixLists[0].CIDRs = []netip.Prefix{{}} }, Limits{}, "cidr", "cidr is missing"},
		// Network ACL entries (§3.1, §3.2).
		{"nacl rule 0", func(inv *Inventory) { acl(inv).Entries[0].Number = 0 }, Limits{}, "number", "rule number 0 is outside 1–32766"},
		{"nacl rule 40000", func(inv *Inventory) { acl(inv).Entries[0].Number = 40000 }, Limits{}, "number", "rule number 40000 is outside 1–32766"},
		{"nacl duplicate number", func(inv *Inventory) { acl(inv).Entries = rules("100 allow all 0.0.0.0/0", "100 deny all ::/0") }, Limits{}, "number", "rule number 100 is used twice in inbound rules"},
		{"nacl 32767 that is not the default", func(inv *Inventory) { acl(inv).Entries = rules("32767 allow all 0.0.0.0/0") }, Limits{}, "number", "reserved for the default"},
		{"nacl without action", func(inv *Inventory) { acl(inv).Entries[0].Action = 0 }, Limits{}, "action", `action "none" is not allow or deny`},
		{"nacl tcp port 70000", func(inv *Inventory) { acl(inv).Entries = rules("100 allow tcp 0.0.0.0/0 1-70000") }, Limits{}, "to_port", "to_port 70000 is outside 0–65535"},
		{"nacl icmp type 300", func(inv *Inventory) { acl(inv).Entries = rules("100 allow icmp 0.0.0.0/0 300/0") }, Limits{}, "icmp_type", "icmp_type 300"},
		{"nacl icmpv6 ipv6 code 999", func(inv *Inventory) { acl(inv).Entries = rules("100 allow icmpv6 ::/0 1/999") }, Limits{}, "icmp_code", "icmp_code 999"},
		{"nacl protocol 256", func(inv *Inventory) { acl(inv).Entries[0].Protocol = 256 }, Limits{}, "protocol", "protocol 256"},
		{"nacl without cidr", func(inv *Inventory) { acl(inv).Entries[0].CIDR = netip.Prefix{} }, Limits{}, "cidr", "cidr is missing"},
		// NACL quota (§3.4): 20 per direction per family, "*" included.
		{"20 numbered inbound ipv4 entries", func(inv *Inventory) { acl(inv).Entries = manyEntries(20, false, "0.0.0.0/0") }, Limits{}, "entries", `20 IPv4 entries plus "*" are above the quota of 20`},
		{"20 numbered outbound ipv6 entries", func(inv *Inventory) { acl(inv).Entries = manyEntries(20, true, "::/0") }, Limits{}, "entries", "acl-1 outbound: 20 IPv6 entries"},
		{"40 numbered entries with quota 40", func(inv *Inventory) { acl(inv).Entries = manyEntries(40, false, "0.0.0.0/0") }, Limits{NACLEntriesPerDirection: 40}, "entries", "quota of 40"},
		// Limits themselves.
		{"17 groups per interface", func(*Inventory) {}, Limits{GroupsPerInterface: 17}, "groups_per_interface", "above AWS's maximum of 16"},
		{"41 nacl entries", func(*Inventory) {}, Limits{NACLEntriesPerDirection: 41}, "nacl_entries_per_direction", "maximum of 40"},
		{"rules times groups above 1000", func(*Inventory) {}, Limits{SGRulesPerDirection: 201}, "sg_rules_per_direction", "201 × groups_per_interface 5 = 1005"},
		{"negative rules", func(*Inventory) {}, Limits{SGRulesPerDirection: -1}, "sg_rules_per_direction", "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := validInventory()
			tt.break_(inv)
			rs, err := Compile(inv, tt.lim)
			if err == nil || rs != nil {
				t.Fatalf("Compile = %v, %v; want an error", rs, err)
			}
			errs := errorsOf(t, err)
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), err)
			}
			if errs[0].Field != tt.field || !strings.Contains(errs[0].Error(), tt.msg) {
				t.Errorf("error = %q (field %q), want field %q and %q", errs[0].Error(), errs[0].Field, tt.field, tt.msg)
			}
			if msg := errs[0].Error(); strings.ToLower(msg[:1]) != msg[:1] {
				t.Errorf("error %q starts with a capital", msg)
			}
		})
	}
}

// TestCompileAcceptsQuotaEdges checks the largest valid sets (SPEC.md §1.4,
// §3.4): 60 IPv4 + 60 IPv6 rules per direction, 5 groups, 19 NACL entries
// + "*" per family, and the 16 groups / 40 entries a raised quota allows.
func TestCompileAcceptsQuotaEdges(t *testing.T) {
	inv := validInventory()
	inv.SecurityGroups[0].Ingress = append(manyRules(60, "tcp", v4), manyRules(60, "udp", v6)...)
	inv.NetworkACLs[0].Entries = append(manyEntries(19, false, "0.0.0.0/0"), manyEntries(19, true, "::/0")...)
	inv.NetworkACLs[0].Entries = append(inv.NetworkACLs[0].Entries, NACLEntry{Number: 32767, Protocol: ProtoAll, CIDR: pfx("0.0.0.0/0"), Action: Deny})
	for i := range 4 {
		id := fmt.Sprintf("sg-%d", i)
		inv.SecurityGroups = append(inv.SecurityGroups, SecurityGroup{ID: id})
		inv.Interfaces[0].Groups = append(inv.Interfaces[0].Groups, id)
	}
	mustCompile(t, inv)

	// SPEC §1.1: descriptions are limited to 255 characters, not bytes.
	inv.SecurityGroups[0].Ingress[0].Description = strings.Repeat("é", 255)
	mustCompile(t, inv)

	for i := 4; i < 15; i++ {
		id := fmt.Sprintf("sg-%d", i)
		inv.SecurityGroups = append(inv.SecurityGroups, SecurityGroup{ID: id})
		inv.Interfaces[0].Groups = append(inv.Interfaces[0].Groups, id)
	}
	inv.NetworkACLs[0].Entries = manyEntries(39, false, "0.0.0.0/0")
	if _, err := Compile(inv, Limits{GroupsPerInterface: 16, SGRulesPerDirection: 60, NACLEntriesPerDirection: 40}); err != nil {
		t.Errorf("raised quotas: %v", err)
	}
}

// TestCompileErrorFormat checks the "file:line:col: object: msg" form and
// that all problems are reported, in inventory order.
func TestCompileErrorFormat(t *testing.T) {
	inv := validInventory()
	inv.SecurityGroups[0].Ingress[0].FromPort = 70000
	inv.SecurityGroups[0].Ingress[0].ToPort = 70000
	inv.NetworkACLs[0].Entries[0].Number = 0
	_, err := Compile(inv, Limits{})
	errs := errorsOf(t, err)
	want := []string{
		"net.yaml:14:3: sg-web ingress rule 1: from_port 70000 is outside 0–65535",
		"net.yaml:14:3: sg-web ingress rule 1: to_port 70000 is outside 0–65535",
		"acl-1 inbound rule 0: rule number 0 is outside 1–32766",
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(errs), len(want), err)
	}
	for i, e := range errs {
		if e.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, e.Error(), want[i])
		}
	}
	var first *Error
	if !errors.As(err, &first) || first.Object != "sg-web ingress rule 1" || first.Field != "from_port" {
		t.Errorf("errors.As = %+v", first)
	}
}

// TestCompileGenerationStampsSGs checks the generation reaches every SG.
func TestCompileGenerationStampsSGs(t *testing.T) {
	rs, err := CompileGeneration(validInventory(), DefaultLimits(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Generation() != 7 || rs.InterfaceSG("eni-1").Generation() != 7 || rs.Group("sg-web").Generation() != 7 {
		t.Errorf("generation not stamped")
	}
	if rs.Group("sg-nope") != nil || rs.NACL("acl-nope") != nil || rs.InterfaceSG("eni-nope") != nil {
		t.Errorf("unknown IDs must give nil")
	}
	if got := rs.GroupIDs(); !slices.Equal(got, []string{"sg-web"}) {
		t.Errorf("GroupIDs = %v", got)
	}
	if got := rs.NACLIDs(); !slices.Equal(got, []string{"acl-1"}) {
		t.Errorf("NACLIDs = %v", got)
	}
	if _, err := Compile(nil, Limits{}); err != nil {
		t.Errorf("Compile(nil) = %v", err)
	}
	var zero RuleSet
	if zero.InterfaceSG("x") != nil || zero.SubnetNACL("x") != nil {
		t.Errorf("zero RuleSet must hold nothing")
	}
}
