package awsjson

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ctsim/ctsim/firewall"
)

// The "shop" fixture (testdata/shop) is one VPC with IPv6, four subnets (two
// sharing the public network ACL, one with a 40-entry ACL, one left on the
// default ACL), the default group and three custom groups, five interfaces
// (two instances, a bare ENI, a NAT gateway and a load balancer) and two
// prefix lists, as the AWS CLI prints them.
const (
	vpcShop  = "vpc-0e1f2a3b4c5d60001"
	subPubA  = "subnet-0a1b2c3d4e5f60011"
	subPubB  = "subnet-0a1b2c3d4e5f60012"
	subApp   = "subnet-0a1b2c3d4e5f60013"
	subDB    = "subnet-0a1b2c3d4e5f60014"
	aclDef   = "acl-0d1e2f3a4b5c60001"
	aclPub   = "acl-0d1e2f3a4b5c60002"
	aclApp   = "acl-0d1e2f3a4b5c60003"
	sgDef    = "sg-0c1d2e3f4a5b60001"
	sgWeb    = "sg-0c1d2e3f4a5b60002"
	sgApp    = "sg-0c1d2e3f4a5b60003"
	sgDB     = "sg-0c1d2e3f4a5b60004"
	plOffice = "pl-0f1e2d3c4b5a60001"
	plS3     = "pl-63a5400a"
	eniWeb   = "eni-0b1c2d3e4f5a60001"
	eniApp   = "eni-0b1c2d3e4f5a60002"
	eniDB    = "eni-0b1c2d3e4f5a60003"
	eniNAT   = "eni-0b1c2d3e4f5a60004"
	eniNLB   = "eni-0b1c2d3e4f5a60005"
)

func loadShop(t *testing.T) *Result {
	t.Helper()
	r, err := Load(filepath.Join("testdata", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func group(t *testing.T, inv *firewall.Inventory, id string) firewall.SecurityGroup {
	t.Helper()
	for _, g := range inv.SecurityGroups {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no security group %s", id)
	return firewall.SecurityGroup{}
}

func nacl(t *testing.T, inv *firewall.Inventory, id string) firewall.NetworkACL {
	t.Helper()
	for _, n := range inv.NetworkACLs {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("no network ACL %s", id)
	return firewall.NetworkACL{}
}

func iface(t *testing.T, inv *firewall.Inventory, id string) firewall.Interface {
	t.Helper()
	for _, in := range inv.Interfaces {
		if in.ID == id {
			return in
		}
	}
	t.Fatalf("no interface %s", id)
	return firewall.Interface{}
}

// stripRule drops what a table case does not spell out.
func stripRule(r firewall.SGRule) firewall.SGRule {
	r.Origin = firewall.Origin{}
	return r
}

// A complete, consistent describe-… dump reads without a single warning:
// every object of SPEC.md §1 and §3 it holds is supported.
func TestLoadShopHasNoWarnings(t *testing.T) {
	r := loadShop(t)
	for _, w := range r.Warnings {
		t.Errorf("unexpected warning: %s", w)
	}
	inv := r.Inventory
	if got := []int{len(inv.VPCs), len(inv.Subnets), len(inv.SecurityGroups), len(inv.NetworkACLs), len(inv.Interfaces), len(inv.PrefixLists)}; !slices.Equal(got, []int{1, 4, 4, 3, 5, 2}) {
		t.Errorf("object counts = %v, want [1 4 4 3 5 2]", got)
	}
}

// The VPC keeps its primary IPv4 block first (SPEC.md §1.5: base+2 of the
// primary block is the resolver) and its IPv6 block after.
func TestVPCKeepsPrimaryCIDRFirst(t *testing.T) {
	inv := loadShop(t).Inventory
	want := firewall.VPC{ID: vpcShop, Name: "shop", CIDRs: []netip.Prefix{pfx("10.0.0.0/16"), pfx("2600:1f18:1234:5600::/56")}}
	got := inv.VPCs[0]
	got.Origin = firewall.Origin{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VPC = %+v, want %+v", got, want)
	}
}

// Subnets get the ACL that lists them in Associations; one ACL serves two
// subnets; a subnet only the default ACL names gets it (SPEC.md §3.1).
func TestSubnetsTakeTheirAssociatedNetworkACL(t *testing.T) {
	inv := loadShop(t).Inventory
	tests := []struct {
		id, name, nacl string
		cidr, v6       string
	}{
		{subPubA, "public-a", aclPub, "10.0.1.0/24", "2600:1f18:1234:5601::/64"},
		{subPubB, "public-b", aclPub, "10.0.2.0/24", ""},
		{subApp, "app", aclApp, "10.0.10.0/24", "2600:1f18:1234:560a::/64"},
		{subDB, "db", aclDef, "10.0.20.0/24", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := slices.IndexFunc(inv.Subnets, func(s firewall.Subnet) bool { return s.ID == tt.id })
			if i < 0 {
				t.Fatalf("no subnet %s", tt.id)
			}
			s := inv.Subnets[i]
			var v6 netip.Prefix
			if tt.v6 != "" {
				v6 = pfx(tt.v6)
			}
			if s.Name != tt.name || s.NACL != tt.nacl || s.VPC != vpcShop || s.CIDR != pfx(tt.cidr) || s.IPv6CIDR != v6 {
				t.Errorf("subnet = %+v, want name %s nacl %s cidr %s ipv6 %s", s, tt.name, tt.nacl, tt.cidr, tt.v6)
			}
		})
	}
}

// A subnet that no ACL's Associations names uses its VPC's default network
// ACL, set explicitly (SPEC.md §3.1).
func TestUnassociatedSubnetGetsTheDefaultNetworkACL(t *testing.T) {
	var r Result
	must(t, Parse("subnets.json", []byte(`{"Subnets":[{"SubnetId":"subnet-1","VpcId":"vpc-1","CidrBlock":"10.1.0.0/24"}]}`), &r))
	must(t, Parse("acls.json", []byte(`{"NetworkAcls":[
		{"NetworkAclId":"acl-other","VpcId":"vpc-2","IsDefault":true,"Entries":[],"Associations":[]},
		{"NetworkAclId":"acl-def","VpcId":"vpc-1","IsDefault":true,"Entries":[],"Associations":[]}]}`), &r))
	if got := r.Inventory.Subnets[0].NACL; got != "acl-def" {
		t.Errorf("subnet NACL = %q, want acl-def", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The default ACL allows all IPv4 and IPv6 both ways with rules 100 and
// 101; the "*" entries (32767, 32768) are left to the compiler (SPEC.md §3.3).
func TestDefaultNetworkACLDropsTheStarEntries(t *testing.T) {
	inv := loadShop(t).Inventory
	n := nacl(t, &inv, aclDef)
	if !n.IsDefault || n.VPC != vpcShop {
		t.Errorf("default ACL = %+v", n)
	}
	var got []firewall.NACLEntry
	for _, e := range n.Entries {
		e.Origin = firewall.Origin{}
		got = append(got, e)
	}
	want := []firewall.NACLEntry{
		{Number: 100, Protocol: firewall.ProtoAll, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow},
		{Number: 101, Protocol: firewall.ProtoAll, CIDR: pfx("::/0"), Action: firewall.Allow},
		{Number: 100, Egress: true, Protocol: firewall.ProtoAll, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow},
		{Number: 101, Egress: true, Protocol: firewall.ProtoAll, CIDR: pfx("::/0"), Action: firewall.Allow},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n got %+v\nwant %+v", got, want)
	}
}

// A 40-entry ACL (19 IPv4 + 1 IPv6 each way: the 20-per-direction-per-family
// quota with "*", SPEC.md §3.4) comes through whole, in AWS's order.
func TestFortyEntryNetworkACL(t *testing.T) {
	inv := loadShop(t).Inventory
	n := nacl(t, &inv, aclApp)
	if len(n.Entries) != 40 {
		t.Fatalf("len(entries) = %d, want 40", len(n.Entries))
	}
	for _, e := range n.Entries {
		if e.Number >= 32767 {
			t.Errorf("entry %d kept, want * entries dropped", e.Number)
		}
	}
}

// NACL entries map Protocol numbers, PortRange, IcmpTypeCode, CidrBlock and
// Ipv6CidrBlock, RuleAction and Egress (SPEC.md §3.2).
func TestNetworkACLEntryMapping(t *testing.T) {
	inv := loadShop(t).Inventory
	find := func(n firewall.NetworkACL, num int32, egress bool) firewall.NACLEntry {
		for _, e := range n.Entries {
			if e.Number == num && e.Egress == egress {
				e.Origin = firewall.Origin{}
				return e
			}
		}
		t.Fatalf("%s has no rule %d egress=%v", n.ID, num, egress)
		return firewall.NACLEntry{}
	}
	pub, app := nacl(t, &inv, aclPub), nacl(t, &inv, aclApp)
	tests := []struct {
		name string
		got  firewall.NACLEntry
		want firewall.NACLEntry
	}{
		{"tcp port", find(pub, 100, false), firewall.NACLEntry{Number: 100, Protocol: 6, FromPort: 443, ToPort: 443, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow}},
		{"ipv6 tcp", find(pub, 105, false), firewall.NACLEntry{Number: 105, Protocol: 6, FromPort: 443, ToPort: 443, CIDR: pfx("::/0"), Action: firewall.Allow}},
		{"deny", find(pub, 90, false), firewall.NACLEntry{Number: 90, Protocol: 6, FromPort: 0, ToPort: 65535, CIDR: pfx("198.51.100.0/24"), Action: firewall.Deny}},
		{"icmp type 3 code 4", find(pub, 130, false), firewall.NACLEntry{Number: 130, Protocol: 1, ICMPType: 3, ICMPCode: 4, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow}},
		{"icmpv6 packet too big", find(pub, 135, false), firewall.NACLEntry{Number: 135, Protocol: 58, ICMPType: 2, ICMPCode: 0, CIDR: pfx("::/0"), Action: firewall.Allow}},
		{"udp range", find(pub, 150, false), firewall.NACLEntry{Number: 150, Protocol: 17, FromPort: 1024, ToPort: 65535, CIDR: pfx("0.0.0.0/0"), Action: firewall.Allow}},
		{"all icmp", find(app, 250, false), firewall.NACLEntry{Number: 250, Protocol: 1, ICMPType: -1, ICMPCode: -1, CIDR: pfx("10.0.0.0/16"), Action: firewall.Allow}},
		{"esp ignores ports", find(app, 260, false), firewall.NACLEntry{Number: 260, Protocol: 50, CIDR: pfx("10.0.0.0/16"), Action: firewall.Allow}},
		{"gre outbound", find(app, 260, true), firewall.NACLEntry{Number: 260, Egress: true, Protocol: 47, CIDR: pfx("10.0.0.0/16"), Action: firewall.Allow}},
		{"all traffic ipv6 outbound", find(app, 300, true), firewall.NACLEntry{Number: 300, Egress: true, Protocol: firewall.ProtoAll, CIDR: pfx("::/0"), Action: firewall.Allow}},
		{"echo reply all codes", find(app, 250, true), firewall.NACLEntry{Number: 250, Egress: true, Protocol: 1, ICMPType: 0, ICMPCode: -1, CIDR: pfx("10.0.0.0/16"), Action: firewall.Allow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", tt.got, tt.want)
			}
		})
	}
}

// Each IpPermission becomes one rule per peer, with the peer's description
// and the permission's generated ID; protocols map from names, "-1" and
// numbers; ICMP ports are type and code (SPEC.md §1.1).
func TestSecurityGroupRuleMapping(t *testing.T) {
	inv := loadShop(t).Inventory
	tests := []struct {
		name    string
		group   string
		egress  bool
		want    []firewall.SGRule
		isDef   bool
		grpName string
	}{
		{"default group refers to itself", sgDef, false, []firewall.SGRule{
			{ID: sgDef + "-in-1", Protocol: firewall.ProtoAll, Group: sgDef},
		}, true, "default"},
		{"default group egress both families", sgDef, true, []firewall.SGRule{
			{ID: sgDef + "-out-1", Protocol: firewall.ProtoAll, CIDR: pfx("0.0.0.0/0")},
			{ID: sgDef + "-out-1", Protocol: firewall.ProtoAll, CIDR: pfx("::/0")},
		}, true, "default"},
		{"web: ipv6, prefix list, icmp type/code, icmpv6 all", sgWeb, false, []firewall.SGRule{
			{ID: sgWeb + "-in-1", Protocol: 6, FromPort: 443, ToPort: 443, CIDR: pfx("0.0.0.0/0"), Description: "HTTPS"},
			{ID: sgWeb + "-in-1", Protocol: 6, FromPort: 443, ToPort: 443, CIDR: pfx("::/0"), Description: "HTTPS v6"},
			{ID: sgWeb + "-in-2", Protocol: 6, FromPort: 80, ToPort: 80, CIDR: pfx("0.0.0.0/0")},
			{ID: sgWeb + "-in-3", Protocol: 6, FromPort: 22, ToPort: 22, PrefixList: plOffice, Description: "SSH from the office"},
			{ID: sgWeb + "-in-4", Protocol: 1, FromPort: 3, ToPort: 4, CIDR: pfx("0.0.0.0/0"), Description: "PMTUD"},
			{ID: sgWeb + "-in-5", Protocol: 58, FromPort: -1, ToPort: -1, CIDR: pfx("::/0")},
		}, false, "web"},
		{"app: group reference, numbered protocols", sgApp, false, []firewall.SGRule{
			{ID: sgApp + "-in-1", Protocol: 6, FromPort: 8080, ToPort: 8080, Group: sgWeb, Description: "from web"},
			{ID: sgApp + "-in-2", Protocol: 50, CIDR: pfx("10.0.0.0/16"), Description: "ESP"},
			{ID: sgApp + "-in-3", Protocol: 17, FromPort: 5000, ToPort: 5100, CIDR: pfx("10.0.0.0/16")},
		}, false, "app"},
		{"app egress: AWS-managed prefix list", sgApp, true, []firewall.SGRule{
			{ID: sgApp + "-out-1", Protocol: 6, FromPort: 5432, ToPort: 5432, Group: sgDB},
			{ID: sgApp + "-out-2", Protocol: 17, FromPort: 53, ToPort: 53, CIDR: pfx("0.0.0.0/0"), Description: "DNS"},
			{ID: sgApp + "-out-3", Protocol: 6, FromPort: 443, ToPort: 443, PrefixList: plS3, Description: "S3"},
		}, false, "app"},
		{"db: sctp", sgDB, false, []firewall.SGRule{
			{ID: sgDB + "-in-1", Protocol: 6, FromPort: 5432, ToPort: 5432, Group: sgApp, Description: "from app"},
			{ID: sgDB + "-in-2", Protocol: 132, CIDR: pfx("10.0.10.0/24")},
		}, false, "db"},
		{"db: no egress rules", sgDB, true, nil, false, "db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := group(t, &inv, tt.group)
			rules := g.Ingress
			if tt.egress {
				rules = g.Egress
			}
			var got []firewall.SGRule
			for _, r := range rules {
				got = append(got, stripRule(r))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rules:\n got %+v\nwant %+v", got, tt.want)
			}
			if g.IsDefault != tt.isDef || g.Name != tt.grpName || g.VPC != vpcShop {
				t.Errorf("group = %s name %q default %v vpc %s", g.ID, g.Name, g.IsDefault, g.VPC)
			}
		})
	}
}

// Interfaces: primary address first even when AWS lists it second, then
// secondary IPv4, then IPv6; public addresses from associations; groups in
// AWS's order; the service from InterfaceType (SPEC.md §2.3); the instance
// type from describe-instances.
func TestInterfaceMapping(t *testing.T) {
	inv := loadShop(t).Inventory
	tests := []struct {
		name string
		want firewall.Interface
	}{
		{"instance with secondary, IPv6 and public addresses", firewall.Interface{ID: eniWeb, Subnet: subPubA,
			Addrs:       []netip.Addr{addr("10.0.1.10"), addr("10.0.1.11"), addr("2600:1f18:1234:5601::10")},
			PublicAddrs: []netip.Addr{addr("54.10.10.10")}, Groups: []string{sgWeb}, InstanceType: "m5.large"}},
		{"bare interface in two groups", firewall.Interface{ID: eniApp, Subnet: subApp,
			Addrs: []netip.Addr{addr("10.0.10.20"), addr("2600:1f18:1234:560a::20")}, Groups: []string{sgApp, sgDef}}},
		{"instance", firewall.Interface{ID: eniDB, Subnet: subDB, Addrs: []netip.Addr{addr("10.0.20.30")}, Groups: []string{sgDB}, InstanceType: "r6i.large"}},
		{"nat gateway", firewall.Interface{ID: eniNAT, Subnet: subPubB, Addrs: []netip.Addr{addr("10.0.2.50")},
			PublicAddrs: []netip.Addr{addr("54.20.20.20")}, Service: "nat-gateway"}},
		{"network load balancer", firewall.Interface{ID: eniNLB, Subnet: subPubA, Addrs: []netip.Addr{addr("10.0.1.100")}, Service: "network-load-balancer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := iface(t, &inv, tt.want.ID)
			got.Origin = firewall.Origin{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// InterfaceType maps to the sim's service names for the automatically
// tracked services (SPEC.md §2.3); instance-like types map to "".
func TestServiceOfInterfaceType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"interface", ""}, {"efa", ""}, {"trunk", ""}, {"load_balancer", ""},
		{"nat_gateway", "nat-gateway"}, {"network_load_balancer", "network-load-balancer"},
		{"gateway_load_balancer", "gateway-load-balancer"}, {"gateway_load_balancer_endpoint", "gateway-load-balancer"},
		{"vpc_endpoint", "privatelink"}, {"lambda", "lambda"}, {"transit_gateway", "transit-gateway"},
		{"global_accelerator_managed", "global-accelerator"}, {"network_firewall", "network-firewall"},
	}
	for _, tt := range tests {
		if got, ok := serviceOf(tt.in); got != tt.want || !ok {
			t.Errorf("serviceOf(%q) = %q, %v; want %q, true", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := serviceOf("quantum_tunnel"); ok {
		t.Errorf("serviceOf(unknown) ok = true, want false")
	}
}

// ConnectionTrackingConfiguration seconds become the ENI's Tracking
// (SPEC.md §2.4); the Name comes from the TagSet.
func TestConnectionTrackingConfiguration(t *testing.T) {
	var r Result
	must(t, Parse("enis.json", []byte(`{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1","SubnetId":"subnet-1",
		"InterfaceType":"interface","PrivateIpAddress":"10.0.0.5","TagSet":[{"Key":"Env","Value":"x"},{"Key":"Name","Value":"dns-1"}],
		"ConnectionTrackingConfiguration":{"TcpEstablishedTimeout":3600,"UdpStreamTimeout":60,"UdpTimeout":30}}]}`), &r))
	in := r.Inventory.Interfaces[0]
	want := firewall.TrackingSpec{TCPEstablished: time.Hour, UDP: 30 * time.Second, UDPStream: time.Minute}
	if in.Tracking != want || in.Name != "dns-1" || !slices.Equal(in.Addrs, []netip.Addr{addr("10.0.0.5")}) {
		t.Errorf("interface = %+v, want tracking %+v name dns-1 addr 10.0.0.5", in, want)
	}
}

// Prefix lists take MaxEntries from describe-managed-prefix-lists (it is
// what a reference counts against the quota, SPEC.md §1.2) and their CIDRs
// from the entries file named after them.
func TestPrefixListsMergeEntriesFiles(t *testing.T) {
	inv := loadShop(t).Inventory
	want := []firewall.PrefixList{
		{ID: plOffice, Name: "office", MaxEntries: 10, CIDRs: []netip.Prefix{pfx("203.0.113.0/24"), pfx("198.51.100.0/24")}},
		{ID: plS3, Name: "com.amazonaws.us-east-1.s3", CIDRs: []netip.Prefix{pfx("3.5.0.0/19"), pfx("16.15.176.0/20"), pfx("52.216.0.0/15"), pfx("54.231.0.0/16")}},
	}
	var got []firewall.PrefixList
	for _, p := range inv.PrefixLists {
		p.Origin = firewall.Origin{}
		got = append(got, p)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// Reading the files in any order gives the same inventory: associations
// (SPEC.md §3.1) and prefix list entries (§1.2) are merged whatever file
// comes first.
func TestParseOrderDoesNotMatter(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "shop", "*.json"))
	must(t, err)
	read := func(order []string) firewall.Inventory {
		var r Result
		for _, n := range order {
			data, err := os.ReadFile(n)
			must(t, err)
			must(t, Parse(n, data, &r))
		}
		return r.Inventory
	}
	fwd := read(names)
	rev := slices.Clone(names)
	slices.Reverse(rev)
	if !reflect.DeepEqual(Normalize(fwd), Normalize(read(rev))) {
		t.Errorf("reading in reverse order gives a different inventory")
	}
	if !reflect.DeepEqual(fwd, loadShop(t).Inventory) {
		t.Errorf("Parse one by one differs from Load")
	}
}

// describe-security-group-rules gives the rules read from
// describe-security-groups their real IDs, whatever order the files come in
// (one SGRule per peer, SPEC.md §1.1).
func TestSecurityGroupRuleIDsFromDescribeSecurityGroupRules(t *testing.T) {
	groups := `{"SecurityGroups":[{"GroupId":"sg-1","GroupName":"web","VpcId":"vpc-1","IpPermissions":[
		{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"0.0.0.0/0"}],"Ipv6Ranges":[{"CidrIpv6":"::/0"}]}],
		"IpPermissionsEgress":[]}]}`
	rules := `{"SecurityGroupRules":[
		{"SecurityGroupRuleId":"sgr-v6","GroupId":"sg-1","IsEgress":false,"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIpv6":"::/0"},
		{"SecurityGroupRuleId":"sgr-v4","GroupId":"sg-1","IsEgress":false,"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIpv4":"0.0.0.0/0"},
		{"SecurityGroupRuleId":"sgr-out","GroupId":"sg-1","IsEgress":true,"IpProtocol":"-1","FromPort":-1,"ToPort":-1,"ReferencedGroupInfo":{"GroupId":"sg-1","UserId":"1"}}]}`
	for _, order := range [][2]string{{groups, rules}, {rules, groups}} {
		var r Result
		must(t, Parse("a.json", []byte(order[0]), &r))
		must(t, Parse("b.json", []byte(order[1]), &r))
		g := r.Inventory.SecurityGroups[0]
		var ids []string
		for _, x := range append(slices.Clone(g.Ingress), g.Egress...) {
			ids = append(ids, x.ID)
		}
		if want := []string{"sgr-v4", "sgr-v6", "sgr-out"}; !slices.Equal(ids, want) || g.Egress[0].Group != "sg-1" || g.Egress[0].FromPort != 0 {
			t.Errorf("rule IDs = %v, want %v (egress %+v)", ids, want, g.Egress)
		}
	}
}

// The rules of a real network compile (SPEC.md §1.4, §3.4 quotas included).
func TestShopCompiles(t *testing.T) {
	inv := loadShop(t).Inventory
	if _, err := firewall.Compile(&inv, firewall.DefaultLimits()); err != nil {
		t.Fatalf("Compile: %v", err)
	}
}

// Load also takes a single file; Normalize leaves its argument alone and
// puts rules in a canonical order (its contract for the importers'
// equivalence tests).
func TestLoadSingleFileAndNormalize(t *testing.T) {
	r, err := Load(filepath.Join("testdata", "shop", "describe-security-groups.json"))
	must(t, err)
	if len(r.Inventory.SecurityGroups) != 4 || len(r.Inventory.Subnets) != 0 {
		t.Fatalf("single file: %d groups, %d subnets", len(r.Inventory.SecurityGroups), len(r.Inventory.Subnets))
	}
	before := loadShop(t).Inventory
	inv := loadShop(t).Inventory
	n := Normalize(inv)
	if !reflect.DeepEqual(inv, before) {
		t.Errorf("Normalize modified its argument")
	}
	for _, g := range n.SecurityGroups {
		for _, r := range append(slices.Clone(g.Ingress), g.Egress...) {
			if r.ID != "" || r.Origin != (firewall.Origin{}) {
				t.Errorf("rule %+v keeps its ID or origin", r)
			}
		}
	}
	if !reflect.DeepEqual(Normalize(n), n) {
		t.Errorf("Normalize is not idempotent")
	}
}

// BenchmarkLoadShop reads the nine shop files (about 50 KB of describe-…
// output) into an Inventory.
func BenchmarkLoadShop(b *testing.B) {
	for b.Loop() {
		if _, err := Load(filepath.Join("testdata", "shop")); err != nil {
			b.Fatal(err)
		}
	}
}
