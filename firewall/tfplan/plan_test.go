package tfplan

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/awsjson"
)

func loadPlan(t *testing.T) *Result {
	t.Helper()
	r, err := Load(filepath.Join("testdata", "web.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Plan {
		t.Fatal("Plan = false for a plan")
	}
	return r
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func findGroup(t *testing.T, inv firewall.Inventory, id string) firewall.SecurityGroup {
	t.Helper()
	i := slices.IndexFunc(inv.SecurityGroups, func(g firewall.SecurityGroup) bool { return g.ID == id })
	if i < 0 {
		t.Fatalf("no group %s", id)
	}
	return inv.SecurityGroups[i]
}

func noOrigins[T any](xs []T, clear func(*T)) []T {
	out := slices.Clone(xs)
	for i := range out {
		clear(&out[i])
	}
	return out
}

// In a plan, IDs unknown until apply are resource addresses, and references
// whose values are unknown are resolved through the configuration — through
// module outputs too ("module.net.private_subnet_ids[1]").
func TestPlanResolvesUnknownReferencesThroughTheConfiguration(t *testing.T) {
	inv := loadPlan(t).Inventory
	const (
		vpc  = "module.net.aws_vpc.this"
		sub0 = "module.net.aws_subnet.private[0]"
		sub1 = "module.net.aws_subnet.private[1]"
		acl  = "aws_network_acl.private"
	)
	subnets := noOrigins(inv.Subnets, func(s *firewall.Subnet) { s.Origin = firewall.Origin{} })
	wantSubnets := []firewall.Subnet{
		{ID: sub0, Name: sub0, VPC: vpc, CIDR: pfx("10.20.0.0/24"), NACL: acl},
		{ID: sub1, Name: sub1, VPC: vpc, CIDR: pfx("10.20.1.0/24"), NACL: acl},
	}
	if !reflect.DeepEqual(subnets, wantSubnets) {
		t.Errorf("subnets:\n got %+v\nwant %+v", subnets, wantSubnets)
	}
	ifaces := noOrigins(inv.Interfaces, func(i *firewall.Interface) { i.Origin = firewall.Origin{} })
	wantIfaces := []firewall.Interface{
		{ID: "aws_instance.bastion.primary_network_interface_id", Name: "aws_instance.bastion", Subnet: sub1,
			Addrs: []netip.Addr{addr("10.20.1.10")}, Groups: []string{"aws_security_group.bastion"}, InstanceType: "t3.micro"},
		{ID: "aws_instance.web.primary_network_interface_id", Name: "aws_instance.web", Subnet: sub0,
			Addrs: []netip.Addr{addr("10.20.0.4")}, Groups: []string{"aws_security_group.web"}, InstanceType: "t3.micro"},
	}
	if !reflect.DeepEqual(ifaces, wantIfaces) {
		t.Errorf("interfaces:\n got %+v\nwant %+v", ifaces, wantIfaces)
	}
}

// Inline blocks, aws_security_group_rule (self) and
// aws_vpc_security_group_ingress_rule add up to one group; references to
// other groups and to a prefix list data source resolve (SPEC.md §1.1, §1.2).
func TestPlanSecurityGroupRules(t *testing.T) {
	inv := loadPlan(t).Inventory
	g := findGroup(t, inv, "aws_security_group.web")
	strip := func(r *firewall.SGRule) { r.Origin = firewall.Origin{} }
	want := []firewall.SGRule{
		{ID: "aws_security_group.web-in-1", Protocol: 6, FromPort: 443, ToPort: 443, CIDR: pfx("0.0.0.0/0"), Description: "HTTPS"},
		{ID: "aws_security_group.web-in-2", Protocol: 6, FromPort: 22, ToPort: 22, Group: "aws_security_group.bastion", Description: "SSH from bastion"},
		{ID: "aws_security_group_rule.web_self", Protocol: firewall.ProtoAll, Group: "aws_security_group.web", Description: "peers"},
		{ID: "aws_vpc_security_group_ingress_rule.web_pmtud", Protocol: 1, FromPort: 3, ToPort: 4, CIDR: pfx("0.0.0.0/0"), Description: "PMTUD"},
	}
	if got := noOrigins(g.Ingress, strip); !reflect.DeepEqual(got, want) {
		t.Errorf("ingress:\n got %+v\nwant %+v", got, want)
	}
	wantOut := []firewall.SGRule{{ID: "aws_security_group.web-out-1", Protocol: 6, FromPort: 443, ToPort: 443, PrefixList: "pl-63a5400a", Description: "S3"}}
	if got := noOrigins(g.Egress, strip); !reflect.DeepEqual(got, wantOut) {
		t.Errorf("egress:\n got %+v\nwant %+v", got, wantOut)
	}
	if g.VPC != "module.net.aws_vpc.this" {
		t.Errorf("VPC = %q", g.VPC)
	}
}

// Inline NACL blocks with protocol names and numbers, plus an
// aws_network_acl_rule (SPEC.md §3.2).
func TestPlanNetworkACLEntries(t *testing.T) {
	inv := loadPlan(t).Inventory
	i := slices.IndexFunc(inv.NetworkACLs, func(n firewall.NetworkACL) bool { return n.ID == "aws_network_acl.private" })
	if i < 0 {
		t.Fatal("no aws_network_acl.private")
	}
	got := noOrigins(inv.NetworkACLs[i].Entries, func(e *firewall.NACLEntry) { e.Origin = firewall.Origin{} })
	want := []firewall.NACLEntry{
		{Number: 100, Protocol: 6, FromPort: 443, ToPort: 443, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow},
		{Number: 110, Protocol: 17, FromPort: 1024, ToPort: 65535, CIDR: pfx("10.20.0.0/16"), Action: firewall.Allow},
		{Number: 120, Protocol: 1, ICMPType: 0, ICMPCode: -1, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow},
		{Number: 130, Protocol: 6, FromPort: 1024, ToPort: 65535, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow},
		{Number: 100, Egress: true, Protocol: firewall.ProtoAll, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow},
		{Number: 50, Protocol: 6, FromPort: 0, ToPort: 65535, CIDR: pfx("198.51.100.0/24"), Action: firewall.Deny},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n got %+v\nwant %+v", got, want)
	}
}

// Every assumption is a warning that names the resource and says what was
// assumed; unsupported resource types are named, never dropped in silence.
func TestPlanReportsEveryAssumption(t *testing.T) {
	r := loadPlan(t)
	want := []string{
		"web.plan.json:298:9: aws_lb.front: unsupported resource type aws_lb ignored",
		"web.plan.json:316:13: module.net.aws_vpc.this: assumed id module.net.aws_vpc.this (unknown until apply: the resource address stands for the AWS ID)",
		"web.plan.json:316:13: module.net.aws_vpc.this: ipv6_cidr_block is unknown until apply: assumed none",
		"web.plan.json:338:13: module.net.aws_subnet.private[0]: assumed vpc_id = module.net.aws_vpc.this (unknown until apply; from the configuration's reference to module.net.aws_vpc.this)",
		"web.plan.json:61:9: aws_security_group.web: assumed ingress[1].security_groups includes aws_security_group.bastion (unknown until apply; from the configuration's references)",
		"web.plan.json:61:9: aws_security_group.web: assumed egress[0].prefix_list_ids includes pl-63a5400a (unknown until apply; from the configuration's references)",
		"web.plan.json:157:9: aws_network_acl.private: assumed subnet_ids includes module.net.aws_subnet.private[0], module.net.aws_subnet.private[1] (unknown until apply; from the configuration's references)",
		"web.plan.json:257:9: aws_instance.bastion: assumed subnet_id = module.net.aws_subnet.private[1] (unknown until apply; from the configuration's reference to module.net.aws_subnet.private[1])",
		"web.plan.json:257:9: aws_instance.bastion: public_ip is unknown until apply: assumed none (filters see private addresses; a public address only matters for traffic from outside)",
		"web.plan.json:278:9: aws_instance.web: assumed vpc_security_group_ids includes aws_security_group.web (unknown until apply; from the configuration's references)",
		"web.plan.json:316:13: module.net.aws_vpc.this: assumed default security group module.net.aws_vpc.this.default_security_group_id as AWS creates it (no aws_default_security_group manages it)",
		"web.plan.json:316:13: module.net.aws_vpc.this: assumed default network ACL module.net.aws_vpc.this.default_network_acl_id as AWS creates it (no aws_default_network_acl manages it)",
		"web.plan.json:278:9: aws_instance.web: assumed private_ip 10.20.0.4 (unknown until apply: the first free address of subnet module.net.aws_subnet.private[0] 10.20.0.0/24)",
	}
	var got []string
	for _, w := range r.Warnings {
		got = append(got, strings.TrimPrefix(w.String(), filepath.Join("testdata")+string(filepath.Separator)))
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing warning %q", w)
		}
	}
	for _, w := range got {
		if !strings.Contains(w, ": assumed ") && !strings.Contains(w, " unknown until apply") && !strings.Contains(w, "unsupported ") {
			t.Errorf("warning neither an assumption nor unsupported: %q", w)
		}
		if strings.Contains(w, "left empty") {
			t.Errorf("unresolved reference: %q", w)
		}
	}
}

// Both fixtures compile with AWS's default quotas (SPEC.md §1.4, §3.4).
func TestFixturesCompile(t *testing.T) {
	for _, name := range []string{"web.plan.json", "shop.tfstate.json"} {
		t.Run(name, func(t *testing.T) {
			r, err := Load(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := firewall.Compile(&r.Inventory, firewall.DefaultLimits()); err != nil {
				t.Errorf("Compile: %v", err)
			}
		})
	}
}

// Resource addresses split into module, address in the module and instance
// key, as Terraform prints them (input handling, no SPEC.md section).
func TestSplitAddressSeparatesModuleAndInstanceKey(t *testing.T) {
	tests := []struct{ addr, mode, module, cfg, index string }{
		{"aws_vpc.main", "managed", "", "aws_vpc.main", ""},
		{"aws_subnet.a[0]", "managed", "", "aws_subnet.a", "[0]"},
		{`module.net["eu"].aws_subnet.a["x.y"]`, "managed", `module.net["eu"]`, "aws_subnet.a", `["x.y"]`},
		{"module.a.module.b[2].aws_instance.web", "managed", "module.a.module.b[2]", "aws_instance.web", ""},
		{"data.aws_prefix_list.s3", "data", "", "data.aws_prefix_list.s3", ""},
		{"module.m.data.aws_prefix_list.s3", "data", "module.m", "data.aws_prefix_list.s3", ""},
	}
	for _, tt := range tests {
		m, c, i := splitAddress(tt.addr, tt.mode)
		if m != tt.module || c != tt.cfg || i != tt.index {
			t.Errorf("splitAddress(%q) = %q, %q, %q; want %q, %q, %q", tt.addr, m, c, i, tt.module, tt.cfg, tt.index)
		}
	}
}

// Of a traversal and its prefixes, the longest reference is kept (input
// handling, no SPEC.md section).
func TestMostSpecificReferenceWins(t *testing.T) {
	got := mostSpecific([]string{"aws_security_group.web", "aws_security_group.web.id", "aws_security_group.webby", "module.net.ids", "module.net.ids[1]"})
	want := []string{"aws_security_group.web.id", "aws_security_group.webby", "module.net.ids[1]"}
	if !slices.Equal(got, want) {
		t.Errorf("mostSpecific = %v, want %v", got, want)
	}
}

// The shop network read from the AWS CLI's describe-… output and from the
// Terraform state that built it is the same Inventory once normalised
// (names, origins and generated rule IDs aside). The one difference is the
// load balancer's interface: aws_lb is not supported (and says so), so the
// AWS side's NLB interface is left out of the comparison. SPEC.md §1, §3.
func TestShopStateEqualsAWSDescribeOutput(t *testing.T) {
	aws, err := awsjson.Load(filepath.Join("..", "awsjson", "testdata", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := Load(filepath.Join("testdata", "shop.tfstate.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := aws.Inventory
	want.Interfaces = slices.DeleteFunc(slices.Clone(want.Interfaces), func(in firewall.Interface) bool { return in.Service == "network-load-balancer" })
	got, wantN := awsjson.Normalize(tf.Inventory), awsjson.Normalize(want)
	if !reflect.DeepEqual(got, wantN) {
		t.Errorf("Terraform state and AWS describe output differ:\n%s", diff(got, wantN))
	}
	var msgs []string
	for _, w := range tf.Warnings {
		msgs = append(msgs, w.Msg)
	}
	wantMsgs := []string{
		"aws_lb.front: unsupported resource type aws_lb ignored",
		"aws_route_table.public: unsupported resource type aws_route_table ignored",
	}
	if !slices.Equal(msgs, wantMsgs) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(wantMsgs, "\n"))
	}
}

// diff prints the first differing objects of two inventories.
func diff(a, b firewall.Inventory) string {
	var sb strings.Builder
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		if reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			continue
		}
		name := va.Type().Field(i).Name
		if fa.Len() != fb.Len() {
			fmt.Fprintf(&sb, "%s: %d vs %d\n", name, fa.Len(), fb.Len())
		}
		for j := range min(fa.Len(), fb.Len()) {
			if !reflect.DeepEqual(fa.Index(j).Interface(), fb.Index(j).Interface()) {
				fmt.Fprintf(&sb, "%s[%d]:\n got %+v\nwant %+v\n", name, j, fa.Index(j).Interface(), fb.Index(j).Interface())
			}
		}
	}
	return sb.String()
}

// A plan that manages the default group and ACL of a VPC still being
// created: their VPC comes from the configuration's references, they are
// the VPC's defaults (SPEC.md §1.3, §3.3) and none is invented beside them;
// a subnet with no association uses the default ACL (§3.1).
func TestPlanDefaultGroupAndNetworkACLOfANewVPC(t *testing.T) {
	data := []byte(`{"format_version": "1.2",
 "planned_values": {"root_module": {"resources": [
  {"address": "aws_vpc.v", "mode": "managed", "type": "aws_vpc", "name": "v", "values": {"cidr_block": "10.9.0.0/16"}},
  {"address": "aws_subnet.s", "mode": "managed", "type": "aws_subnet", "name": "s", "values": {"cidr_block": "10.9.1.0/24"}},
  {"address": "aws_default_security_group.d", "mode": "managed", "type": "aws_default_security_group", "name": "d", "values": {
    "ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "self": true, "cidr_blocks": [], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": []}], "egress": []}},
  {"address": "aws_default_network_acl.d", "mode": "managed", "type": "aws_default_network_acl", "name": "d", "values": {
    "ingress": [{"rule_no": 100, "action": "allow", "protocol": "-1", "cidr_block": "10.9.0.0/16", "ipv6_cidr_block": "", "from_port": 0, "to_port": 0, "icmp_type": 0, "icmp_code": 0}], "egress": []}}]}},
 "resource_changes": [
  {"address": "aws_vpc.v", "change": {"actions": ["create"], "after_unknown": {"id": true, "default_network_acl_id": true, "default_security_group_id": true}}},
  {"address": "aws_subnet.s", "change": {"actions": ["create"], "after_unknown": {"id": true, "vpc_id": true}}},
  {"address": "aws_default_security_group.d", "change": {"actions": ["create"], "after_unknown": {"id": true, "vpc_id": true}}},
  {"address": "aws_default_network_acl.d", "change": {"actions": ["create"], "after_unknown": {"id": true, "vpc_id": true, "default_network_acl_id": true, "subnet_ids": true}}}],
 "configuration": {"root_module": {"resources": [
  {"address": "aws_subnet.s", "mode": "managed", "expressions": {"vpc_id": {"references": ["aws_vpc.v.id", "aws_vpc.v"]}}},
  {"address": "aws_default_security_group.d", "mode": "managed", "expressions": {"vpc_id": {"references": ["aws_vpc.v.id", "aws_vpc.v"]}}},
  {"address": "aws_default_network_acl.d", "mode": "managed", "expressions": {"default_network_acl_id": {"references": ["aws_vpc.v.default_network_acl_id", "aws_vpc.v"]}}}]}}}`)
	r, err := Parse("p.json", data)
	if err != nil {
		t.Fatal(err)
	}
	inv := r.Inventory
	if len(inv.SecurityGroups) != 1 || len(inv.NetworkACLs) != 1 {
		t.Fatalf("groups %d, ACLs %d; want one each (no invented defaults)", len(inv.SecurityGroups), len(inv.NetworkACLs))
	}
	g, n := inv.SecurityGroups[0], inv.NetworkACLs[0]
	if !g.IsDefault || g.VPC != "aws_vpc.v" || g.Ingress[0].Group != "aws_default_security_group.d" {
		t.Errorf("default group = %+v", g)
	}
	if !n.IsDefault || n.VPC != "aws_vpc.v" || len(n.Entries) != 1 {
		t.Errorf("default ACL = %+v", n)
	}
	if s := inv.Subnets[0]; s.NACL != "aws_default_network_acl.d" || s.VPC != "aws_vpc.v" {
		t.Errorf("subnet = %+v, want the default ACL", s)
	}
	if _, err := firewall.Compile(&inv, firewall.DefaultLimits()); err != nil {
		t.Errorf("Compile: %v", err)
	}
}

// BenchmarkParseShopState reads the 80 KB shop state (65 resources).
func BenchmarkParseShopState(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "shop.tfstate.json"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("shop.tfstate.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
