package tfplan

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/firewall"
)

// state wraps resources (JSON objects) into the output of terraform show
// -json for a state.
func state(resources ...string) []byte {
	return []byte(`{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"resources": [
` + strings.Join(resources, ",\n") + `]}}}`)
}

func parseState(t *testing.T, resources ...string) *Result {
	t.Helper()
	r, err := Parse("s.json", state(resources...))
	if err != nil {
		t.Fatal(err)
	}
	if r.Plan {
		t.Fatal("Plan = true for a state")
	}
	return r
}

func loadShop(t *testing.T) firewall.Inventory {
	t.Helper()
	r, err := Load(filepath.Join("testdata", "shop.tfstate.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r.Inventory
}

// Rules that separate resources manage appear twice in a state (inline and
// as the resource): they merge into one rule carrying the resource's sgr-…
// ID; the 40-entry ACL built from aws_network_acl_rule resources keeps 40
// entries (SPEC.md §3.4).
func TestStateMergesRulesListedTwice(t *testing.T) {
	inv := loadShop(t)
	app := findGroup(t, inv, "sg-0c1d2e3f4a5b60003")
	var ids []string
	for _, r := range append(slices.Clone(app.Ingress), app.Egress...) {
		ids = append(ids, r.ID)
	}
	want := []string{"sgr-0aa1000000000001", "sg-0c1d2e3f4a5b60003-in-2", "sg-0c1d2e3f4a5b60003-in-3",
		"sg-0c1d2e3f4a5b60003-out-1", "sgr-0aa1000000000002", "sgr-0aa1000000000003"}
	if !slices.Equal(ids, want) {
		t.Errorf("rule IDs = %v, want %v", ids, want)
	}
	i := slices.IndexFunc(inv.NetworkACLs, func(n firewall.NetworkACL) bool { return n.ID == "acl-0d1e2f3a4b5c60003" })
	if n := len(inv.NetworkACLs[i].Entries); n != 40 {
		t.Errorf("40-entry ACL has %d entries", n)
	}
}

// aws_default_security_group and aws_default_network_acl are the VPC's
// defaults (SPEC.md §1.3, §3.3); the default ACL keeps the subnet that only
// it lists, two subnets share the public ACL (SPEC.md §3.1).
func TestStateDefaultsAndSharedNetworkACL(t *testing.T) {
	inv := loadShop(t)
	if g := findGroup(t, inv, "sg-0c1d2e3f4a5b60001"); !g.IsDefault || g.VPC != "vpc-0e1f2a3b4c5d60001" || g.Ingress[0].Group != g.ID {
		t.Errorf("default group = %+v", g)
	}
	var nacls []string
	for _, s := range inv.Subnets {
		nacls = append(nacls, s.NACL)
	}
	want := []string{"acl-0d1e2f3a4b5c60002", "acl-0d1e2f3a4b5c60002", "acl-0d1e2f3a4b5c60003", "acl-0d1e2f3a4b5c60001"}
	if !slices.Equal(nacls, want) {
		t.Errorf("subnet NACLs = %v, want %v", nacls, want)
	}
	for _, n := range inv.NetworkACLs {
		if n.IsDefault != (n.ID == "acl-0d1e2f3a4b5c60001") {
			t.Errorf("%s IsDefault = %v", n.ID, n.IsDefault)
		}
	}
}

// Protocols: "tcp", "-1", "all", numbers; the ports of ProtoAll and of
// protocols without ports are ignored (0); ICMP ports are type and code
// (SPEC.md §1.1).
func TestStateSecurityGroupProtocols(t *testing.T) {
	r := parseState(t, `{"address": "aws_security_group.x", "mode": "managed", "type": "aws_security_group", "name": "x",
		"values": {"id": "sg-1", "vpc_id": "vpc-1", "name": "x", "description": "d", "egress": [], "ingress": [
		{"protocol": "all", "from_port": 0, "to_port": 0, "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": false, "description": ""},
		{"protocol": "50", "from_port": 500, "to_port": 500, "cidr_blocks": [], "ipv6_cidr_blocks": ["2001:db8::/32"], "prefix_list_ids": [], "security_groups": [], "self": false, "description": ""},
		{"protocol": "icmpv6", "from_port": 128, "to_port": 0, "cidr_blocks": [], "ipv6_cidr_blocks": ["::/0"], "prefix_list_ids": [], "security_groups": [], "self": false, "description": "ping6"},
		{"protocol": "udp", "from_port": 53, "to_port": 53, "cidr_blocks": ["10.0.0.0/8", "192.168.0.0/16"], "ipv6_cidr_blocks": [], "prefix_list_ids": ["pl-1"], "security_groups": ["sg-2"], "self": true, "description": "dns"}]}}`)
	g := r.Inventory.SecurityGroups[0]
	got := noOrigins(g.Ingress, func(r *firewall.SGRule) { r.Origin = firewall.Origin{} })
	want := []firewall.SGRule{
		{ID: "sg-1-in-1", Protocol: firewall.ProtoAll, CIDR: pfx("10.0.0.0/8")},
		{ID: "sg-1-in-2", Protocol: 50, CIDR: pfx("2001:db8::/32")},
		{ID: "sg-1-in-3", Protocol: 58, FromPort: 128, ToPort: 0, CIDR: pfx("::/0"), Description: "ping6"},
		{ID: "sg-1-in-4", Protocol: 17, FromPort: 53, ToPort: 53, CIDR: pfx("10.0.0.0/8"), Description: "dns"},
		{ID: "sg-1-in-4", Protocol: 17, FromPort: 53, ToPort: 53, CIDR: pfx("192.168.0.0/16"), Description: "dns"},
		{ID: "sg-1-in-4", Protocol: 17, FromPort: 53, ToPort: 53, PrefixList: "pl-1", Description: "dns"},
		{ID: "sg-1-in-4", Protocol: 17, FromPort: 53, ToPort: 53, Group: "sg-2", Description: "dns"},
		{ID: "sg-1-in-4", Protocol: 17, FromPort: 53, ToPort: 53, Group: "sg-1", Description: "dns"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rules:\n got %+v\nwant %+v", got, want)
	}
	if len(g.Egress) != 0 {
		t.Errorf("egress = %v, want none (Terraform removes AWS's default egress rule)", g.Egress)
	}
}

// Interfaces: aws_network_interface with an EIP (SPEC.md §6, 1:1 NAT) and an
// extra group attachment (§1.2 union); an instance attached to an existing
// interface gives it its instance type (§2.4 defaults); a private NAT
// gateway is automatically tracked (§2.3) and has no public address.
func TestStateInterfacesAttachmentsAndElasticIPs(t *testing.T) {
	r := parseState(t,
		`{"address": "aws_network_interface.a", "mode": "managed", "type": "aws_network_interface", "name": "a",
		  "values": {"id": "eni-1", "subnet_id": "subnet-1", "private_ip": "10.0.0.10", "private_ips": ["10.0.0.11", "10.0.0.10"], "ipv6_addresses": ["2001:db8::10"], "security_groups": ["sg-1"], "interface_type": "interface"}}`,
		`{"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a",
		  "values": {"id": "i-1", "instance_type": "c7i.large", "network_interface": [{"device_index": 0, "network_interface_id": "eni-1"}]}}`,
		`{"address": "aws_network_interface_sg_attachment.a", "mode": "managed", "type": "aws_network_interface_sg_attachment", "name": "a",
		  "values": {"id": "sg-2_eni-1", "security_group_id": "sg-2", "network_interface_id": "eni-1"}}`,
		`{"address": "aws_eip.a", "mode": "managed", "type": "aws_eip", "name": "a",
		  "values": {"id": "eipalloc-1", "public_ip": "198.51.100.5", "network_interface": "eni-1", "instance": ""}}`,
		`{"address": "aws_nat_gateway.n", "mode": "managed", "type": "aws_nat_gateway", "name": "n",
		  "values": {"id": "nat-1", "network_interface_id": "eni-nat", "subnet_id": "subnet-1", "private_ip": "10.0.0.20", "public_ip": "", "connectivity_type": "private"}}`)
	got := noOrigins(r.Inventory.Interfaces, func(i *firewall.Interface) { i.Origin = firewall.Origin{} })
	want := []firewall.Interface{
		{ID: "eni-1", Name: "aws_network_interface.a", Subnet: "subnet-1",
			Addrs:       []netip.Addr{addr("10.0.0.10"), addr("10.0.0.11"), addr("2001:db8::10")},
			PublicAddrs: []netip.Addr{addr("198.51.100.5")}, Groups: []string{"sg-1", "sg-2"}, InstanceType: "c7i.large"},
		{ID: "eni-nat", Name: "aws_nat_gateway.n", Subnet: "subnet-1", Addrs: []netip.Addr{addr("10.0.0.20")}, Service: "nat-gateway"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("interfaces:\n got %+v\nwant %+v", got, want)
	}
}

// Errors carry the position of the offending attribute and the resource
// address (STYLE.md lesson 13; rules from SPEC.md §1.1, §3.2).
func TestStateErrorsCarryPositions(t *testing.T) {
	sg := func(ingress string) string {
		return `{"address": "aws_security_group.x", "mode": "managed", "type": "aws_security_group", "name": "x",
 "values": {"id": "sg-1", "egress": [], "ingress": [` + ingress + `]}}`
	}
	acl := func(rule string) string {
		return `{"address": "aws_network_acl_rule.r", "mode": "managed", "type": "aws_network_acl_rule", "name": "r",
 "values": {"network_acl_id": "acl-1", "egress": false, ` + rule + `}}`
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"syntax", []byte("{\"values\": {\"root_module\": {\"resources\": [}}}"), "s.json:1:43: invalid JSON: invalid character '}' looking for beginning of value"},
		{"type", []byte(`{"values": {"root_module": {"resources": {"a": 1}}}}`), "s.json:1:29: values.root_module.resources is an object, want an array"},
		// Type errors and kinds speak JSON, never Go.
		{"not an object", []byte(`[{"values": {}}]`), `s.json:1:1: expected the JSON object that "terraform show -json" prints (with a key such as "planned_values" or "values"), found an array`},
		{"null after space", []byte("\n null"), `s.json:2:2: expected the JSON object that "terraform show -json" prints (with a key such as "planned_values" or "values"), found null`},
		{"resource values a string", []byte(`{"values": {"root_module": {"resources": [{"address": "aws_vpc.a", "values": "x"}]}}}`),
			"s.json:1:68: values.root_module.resources.values is a string, want an object"},
		{"format_version a number", []byte(`{"format_version": 1.0, "values": {}}`), "s.json:1:2: format_version is a number, want a string"},
		{"port an object", state(sg(`{"protocol": "tcp", "from_port": {}, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}`)),
			`s.json:3:73: aws_security_group.x: from_port is an object, want a number`},
		{"not terraform", []byte(`{"Vpcs": []}`), "s.json:1:1: neither planned_values (a plan) nor values (a state): want the output of terraform show -json"},
		{"format version 2", []byte(`{"format_version": "2.0", "values": {}}`), `s.json:1:2: format_version "2.0": only major version 1 is supported`},
		{"bad CIDR", state(sg(`{"protocol": "tcp", "from_port": 22, "to_port": 22,
 "cidr_blocks": ["10.0.0.0/33"]}`)), `s.json:4:18: aws_security_group.x: ingress[0].cidr_blocks[0] "10.0.0.0/33": prefix length 33 is outside 0–32 for IPv4`},
		{"bad IPv6 CIDR", state(sg(`{"protocol": "-1", "from_port": 0, "to_port": 0, "ipv6_cidr_blocks": ["::/129"]}`)),
			`s.json:3:123: aws_security_group.x: ingress[0].ipv6_cidr_blocks[0] "::/129": prefix length 129 is outside 0–128 for IPv6`},
		{"CIDR of a non-address", state(acl(`"rule_number": 10, "rule_action": "allow", "protocol": "-1", "cidr_block": "anywhere/0"`)),
			`s.json:3:118: aws_network_acl_rule.r: cidr_block "anywhere/0": "anywhere" is not an IPv4 address`},
		{"vpc CIDR without a length", state(`{"address": "aws_vpc.a", "mode": "managed", "type": "aws_vpc", "name": "a", "values": {"id": "vpc-1", "cidr_block": "10.0.0.0"}}`),
			`s.json:2:103: aws_vpc.a: cidr_block "10.0.0.0": no prefix length: want an IPv4 address, "/" and a prefix length, such as 10.0.0.0/16`},
		{"port out of range", state(sg(`{"protocol": "tcp", "from_port": 22, "to_port": 70000, "cidr_blocks": ["0.0.0.0/0"]}`)),
			"s.json:3:73: aws_security_group.x: port range 22-70000 out of range 0-65535"},
		{"port not a number", state(sg(`{"protocol": "tcp", "from_port": "ssh", "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}`)),
			`s.json:3:73: aws_security_group.x: from_port is "ssh", want a number`},
		{"unknown protocol", state(sg(`{"protocol": "tcpp", "from_port": 1, "to_port": 2}`)), `s.json:3:54: aws_security_group.x: unknown protocol "tcpp"`},
		{"NACL bad action", state(acl(`"rule_number": 10, "rule_action": "reject", "protocol": "-1", "cidr_block": "0.0.0.0/0"`)),
			`s.json:3:76: aws_network_acl_rule.r: network ACL acl-1 rule 10: rule_action "reject", want allow or deny`},
		{"NACL rule number", state(acl(`"rule_number": 40000, "rule_action": "allow", "protocol": "-1", "cidr_block": "0.0.0.0/0"`)),
			"s.json:3:57: aws_network_acl_rule.r: network ACL acl-1: rule number 40000 out of range 1-32766"},
		{"NACL both CIDRs", state(acl(`"rule_number": 10, "rule_action": "allow", "protocol": "-1", "cidr_block": "0.0.0.0/0", "ipv6_cidr_block": "::/0"`)),
			"s.json:3:2: aws_network_acl_rule.r: network ACL acl-1 rule 10 has both cidr_block and ipv6_cidr_block"},
		{"two peers", state(`{"address": "aws_vpc_security_group_ingress_rule.r", "mode": "managed", "type": "aws_vpc_security_group_ingress_rule", "name": "r",
 "values": {"security_group_id": "sg-1", "ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": "::/0"}}`),
			"s.json:3:2: aws_vpc_security_group_ingress_rule.r: 2 peers (cidr_ipv4, cidr_ipv6, prefix_list_id, referenced_security_group_id), want exactly one"},
		{"bad rule type", state(`{"address": "aws_security_group_rule.r", "mode": "managed", "type": "aws_security_group_rule", "name": "r",
 "values": {"type": "sideways", "security_group_id": "sg-1", "protocol": "-1"}}`),
			`s.json:3:13: aws_security_group_rule.r: type "sideways", want ingress or egress`},
		{"conflicting NACL duplicates", state(
			`{"address": "aws_network_acl.a", "mode": "managed", "type": "aws_network_acl", "name": "a", "values": {"id": "acl-1", "egress": [], "ingress": [{"rule_no": 10, "action": "allow", "protocol": "-1", "cidr_block": "0.0.0.0/0"}]}}`,
			acl(`"rule_number": 10, "rule_action": "deny", "protocol": "-1", "cidr_block": "0.0.0.0/0"`)),
			"s.json:3:1: network ACL acl-1: ingress rule 10 is defined twice with different content (also at s.json:2:145)"},
		{"bad address", state(`{"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a", "values": {"id": "i-1", "private_ip": "10.0.0.256"}}`),
			`s.json:2:111: aws_instance.a: bad address: ParseAddr("10.0.0.256"): IPv4 field has value >255`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.json", tt.data)
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.want)
			}
			if _, ok := errors.AsType[*firewall.Error](err); !ok {
				t.Errorf("error %T is not a *firewall.Error", err)
			}
		})
	}
}

// Unsupported resource types and data sources are reported by address and
// position, in child modules too; so are non-canonical CIDRs (SPEC.md §3.1).
func TestStateWarnings(t *testing.T) {
	data := []byte(`{"format_version": "1.0", "values": {"root_module": {"resources": [
  {"address": "data.aws_ami.ubuntu", "mode": "data", "type": "aws_ami", "name": "ubuntu", "values": {"id": "ami-1"}}],
  "child_modules": [{"address": "module.lb", "resources": [
    {"address": "module.lb.aws_lb.this", "mode": "managed", "type": "aws_lb", "name": "this", "values": {"id": "arn:x"}},
    {"address": "module.lb.aws_subnet.s", "mode": "managed", "type": "aws_subnet", "name": "s", "values": {"id": "subnet-1", "vpc_id": "vpc-1", "cidr_block": "10.0.0.7/24"}}]}]}}}`)
	r, err := Parse("w.json", data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range r.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		"w.json:2:3: data.aws_ami.ubuntu: unsupported data source aws_ami ignored",
		"w.json:4:5: module.lb.aws_lb.this: unsupported resource type aws_lb ignored",
		"w.json:5:5: module.lb.aws_subnet.s: assumed 10.0.0.0/24 for cidr_block = 10.0.0.7/24 (host bits cleared)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Load names a missing file; an empty input is an error (input handling,
// no SPEC.md section).
func TestLoadReportsMissingAndEmptyInputs(t *testing.T) {
	if _, err := Load(filepath.Join("testdata", "nope.json")); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("Load(missing) = %v", err)
	}
	if _, err := Parse("e.json", []byte(" ")); err == nil || err.Error() != "e.json: empty file" {
		t.Errorf("Parse(empty) = %v", err)
	}
}

// FuzzParse feeds arbitrary bytes to Parse, seeded with the plan and state
// fixtures and small shapes. Parse must not panic and must be
// deterministic; a success never carries an error and vice versa.
func FuzzParse(f *testing.F) {
	for _, n := range []string{"web.plan.json", "shop.tfstate.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(state(`{"address": "aws_security_group_rule.r", "mode": "managed", "type": "aws_security_group_rule", "name": "r",
 "values": {"type": "ingress", "security_group_id": "sg-1", "protocol": "icmp", "from_port": -1, "to_port": -1, "self": true}}`))
	f.Add([]byte(`{"format_version": "1.2", "planned_values": {"root_module": {"child_modules": [{"resources": [{"address": "module.m[0].aws_vpc.v", "mode": "managed", "type": "aws_vpc", "name": "v", "values": {}}]}]}},
 "resource_changes": [{"address": "module.m[0].aws_vpc.v", "change": {"after_unknown": {"id": true, "cidr_block": true}}}],
 "configuration": {"root_module": {"module_calls": {"m": {"module": {"resources": [{"address": "aws_vpc.v", "expressions": {"cidr_block": {"references": ["module.x.y[0]"]}}}]}}}}}}`))
	f.Add(state(`{"address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a", "values": {"network_interface": [{"device_index": 0}]}}`,
		`{"address": "aws_instance.b", "mode": "managed", "type": "aws_instance", "name": "b", "values": {"network_interface": [{"device_index": 0}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<17 {
			return // keep each input well under a second
		}
		r1, err1 := Parse("f.json", data)
		r2, err2 := Parse("f.json", data)
		if (err1 == nil) != (err2 == nil) || (err1 == nil) != (r1 != nil) {
			t.Fatalf("inconsistent results: %v / %v", err1, err2)
		}
		if err1 == nil && !reflect.DeepEqual(r1, r2) {
			t.Fatalf("Parse is not deterministic")
		}
	})
}

// Secondary VPC blocks, prefix list entries managed one by one (SPEC.md
// §1.2 counts MaxEntries), an EIP on an instance (§6) and the priority of
// aws_network_acl_association over an ACL's subnet_ids (§3.1: one ACL per
// subnet, associating replaces).
func TestStateAssociationsAndEntries(t *testing.T) {
	r := parseState(t,
		`{"address": "aws_vpc.v", "mode": "managed", "type": "aws_vpc", "name": "v", "values": {"id": "vpc-1", "cidr_block": "10.0.0.0/16", "ipv6_cidr_block": "", "default_network_acl_id": "acl-def", "default_security_group_id": "sg-def"}}`,
		`{"address": "aws_vpc_ipv4_cidr_block_association.b", "mode": "managed", "type": "aws_vpc_ipv4_cidr_block_association", "name": "b", "values": {"id": "vpc-cidr-assoc-1", "vpc_id": "vpc-1", "cidr_block": "100.64.0.0/16"}}`,
		`{"address": "aws_subnet.s", "mode": "managed", "type": "aws_subnet", "name": "s", "values": {"id": "subnet-1", "vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24", "ipv6_cidr_block": ""}}`,
		`{"address": "aws_ec2_managed_prefix_list.p", "mode": "managed", "type": "aws_ec2_managed_prefix_list", "name": "p", "values": {"id": "pl-1", "max_entries": 5, "entry": [{"cidr": "192.0.2.0/24", "description": "a"}]}}`,
		`{"address": "aws_ec2_managed_prefix_list_entry.e", "mode": "managed", "type": "aws_ec2_managed_prefix_list_entry", "name": "e", "values": {"id": "pl-1,198.51.100.0/24", "prefix_list_id": "pl-1", "cidr": "198.51.100.0/24"}}`,
		`{"address": "aws_network_acl.a", "mode": "managed", "type": "aws_network_acl", "name": "a", "values": {"id": "acl-a", "vpc_id": "vpc-1", "subnet_ids": ["subnet-1"], "ingress": [], "egress": []}}`,
		`{"address": "aws_network_acl.b", "mode": "managed", "type": "aws_network_acl", "name": "b", "values": {"id": "acl-b", "vpc_id": "vpc-1", "subnet_ids": [], "ingress": [], "egress": []}}`,
		`{"address": "aws_network_acl_association.b", "mode": "managed", "type": "aws_network_acl_association", "name": "b", "values": {"id": "aclassoc-1", "network_acl_id": "acl-b", "subnet_id": "subnet-1"}}`,
		`{"address": "aws_instance.i", "mode": "managed", "type": "aws_instance", "name": "i", "values": {"id": "i-1", "primary_network_interface_id": "eni-1", "subnet_id": "subnet-1", "private_ip": "10.0.1.5", "vpc_security_group_ids": [], "public_ip": ""}}`,
		`{"address": "aws_eip.i", "mode": "managed", "type": "aws_eip", "name": "i", "values": {"id": "eipalloc-1", "public_ip": "203.0.113.9", "instance": "i-1", "network_interface": ""}}`)
	inv := r.Inventory
	if got := inv.VPCs[0].CIDRs; !slices.Equal(got, []netip.Prefix{pfx("10.0.0.0/16"), pfx("100.64.0.0/16")}) {
		t.Errorf("VPC CIDRs = %v", got)
	}
	if pl := inv.PrefixLists[0]; pl.MaxEntries != 5 || !slices.Equal(pl.CIDRs, []netip.Prefix{pfx("192.0.2.0/24"), pfx("198.51.100.0/24")}) {
		t.Errorf("prefix list = %+v", pl)
	}
	if got := inv.Subnets[0].NACL; got != "acl-b" {
		t.Errorf("subnet NACL = %q, want acl-b (the association resource wins)", got)
	}
	if in := inv.Interfaces[0]; in.ID != "eni-1" || !slices.Equal(in.PublicAddrs, []netip.Addr{addr("203.0.113.9")}) || len(in.Groups) != 0 {
		t.Errorf("interface = %+v", in)
	}
	// The defaults AWS made for the VPC are there, under their known IDs.
	if g := findGroup(t, inv, "sg-def"); !g.IsDefault {
		t.Errorf("sg-def is not the default group")
	}
	if !slices.ContainsFunc(inv.NetworkACLs, func(n firewall.NetworkACL) bool { return n.ID == "acl-def" && n.IsDefault }) {
		t.Errorf("no default ACL acl-def")
	}
	if _, err := firewall.Compile(&inv, firewall.DefaultLimits()); err != nil {
		t.Errorf("Compile: %v", err)
	}
}

// Ports and ICMP values that AWS ignores for the rule's protocol are
// reported at the attribute (SPEC.md §1.1: -1 and protocols other than tcp,
// udp, icmp, icmpv6 allow all ports "regardless of any port range you
// specify"; §3.2: the same for NACL protocols other than 6, 17, 1, and all
// ICMP types for 58 with an IPv4 CIDR). Terraform's 0 (required for -1, and
// what state holds for unset values) and -1 say "no ports" and are not.
func TestStateWarnsAboutIgnoredPorts(t *testing.T) {
	sg := func(i int, rule string) string {
		return fmt.Sprintf(`{"address": "aws_security_group.x%d", "mode": "managed", "type": "aws_security_group", "name": "x%d",
 "values": {"id": "sg-%d", "egress": [], "ingress": [%s]}}`, i, i, i, rule)
	}
	acl := func(i int, rule string) string {
		return fmt.Sprintf(`{"address": "aws_network_acl_rule.r%d", "mode": "managed", "type": "aws_network_acl_rule", "name": "r%d",
 "values": {"network_acl_id": "acl-1", "egress": false, "rule_action": "allow", %s}}`, i, i, rule)
	}
	data := state(
		sg(1, `{"protocol": "132", "from_port": 5000, "to_port": 5000, "cidr_blocks": ["10.0.0.0/8"]}`),
		sg(2, `{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["10.0.0.0/8"]}`),
		`{"address": "aws_vpc_security_group_ingress_rule.v", "mode": "managed", "type": "aws_vpc_security_group_ingress_rule", "name": "v",
 "values": {"security_group_id": "sg-2", "ip_protocol": "47", "from_port": 1, "to_port": 2, "cidr_ipv4": "10.0.0.0/8"}}`,
		`{"address": "aws_vpc_security_group_ingress_rule.w", "mode": "managed", "type": "aws_vpc_security_group_ingress_rule", "name": "w",
 "values": {"security_group_id": "sg-2", "ip_protocol": "-1", "from_port": null, "to_port": null, "cidr_ipv4": "10.1.0.0/16"}}`,
		acl(1, `"rule_number": 10, "protocol": "132", "from_port": 5000, "to_port": 5000, "icmp_type": 0, "icmp_code": 0, "cidr_block": "0.0.0.0/0"`),
		acl(2, `"rule_number": 20, "protocol": "58", "from_port": 0, "to_port": 0, "icmp_type": 128, "icmp_code": 0, "cidr_block": "0.0.0.0/0"`),
		acl(3, `"rule_number": 30, "protocol": "-1", "from_port": 0, "to_port": 0, "icmp_type": 0, "icmp_code": 0, "cidr_block": "0.0.0.0/0"`),
		acl(4, `"rule_number": 40, "protocol": "58", "icmp_type": 128, "icmp_code": 0, "ipv6_cidr_block": "::/0"`),
	)
	r, err := Parse("p.json", data)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range r.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		"p.json:3:73: aws_security_group.x1: ingress[0].from_port 5000 and ingress[0].to_port 5000 are ignored for protocol 132 (sctp): AWS allows all ports (SPEC.md §1.1)",
		"p.json:7:63: aws_vpc_security_group_ingress_rule.v: from_port 1 and to_port 2 are ignored for protocol 47 (gre): AWS allows all ports (SPEC.md §1.1)",
		"p.json:11:119: aws_network_acl_rule.r1: network ACL acl-1 rule 10: from_port 5000 and to_port 5000 are ignored for protocol 132 (sctp): AWS allows all ports (SPEC.md §3.2)",
		"p.json:10:1: aws_network_acl_rule.r1: assumed network ACL acl-1 exists (not in this plan); only this plan's rules are known for it",
		"p.json:13:148: aws_network_acl_rule.r2: network ACL acl-1 rule 20: icmp_type 128 is ignored for protocol 58 (icmpv6) with an IPv4 CIDR: AWS allows all ICMP types and codes (SPEC.md §3.2)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range r.Inventory.NetworkACLs[0].Entries {
		if e.Number == 20 && (e.ICMPType != -1 || e.ICMPCode != -1) {
			t.Errorf("rule 20 (icmpv6, IPv4 CIDR): type/code %d/%d, want -1/-1 (all)", e.ICMPType, e.ICMPCode)
		}
		if e.Number == 40 && (e.ICMPType != 128 || e.ICMPCode != 0) {
			t.Errorf("rule 40 (icmpv6, IPv6 CIDR): type/code %d/%d, want 128/0", e.ICMPType, e.ICMPCode)
		}
	}
}
