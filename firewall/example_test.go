package firewall_test

import (
	"fmt"
	"net/netip"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// ExampleCompile compiles a security group and a network ACL and evaluates
// one packet against each, quoting the rule that decided.
func ExampleCompile() {
	web := firewall.NewSecurityGroup("sg-web", "vpc-1", "web")
	web.Ingress = []firewall.SGRule{{ID: "sgr-ssh", Protocol: 6, FromPort: 22, ToPort: 22,
		CIDR: netip.MustParsePrefix("203.0.113.1/32")}}
	acl := firewall.CustomNACL("acl-web", "vpc-1")
	acl.Entries = []firewall.NACLEntry{{Number: 100, Protocol: 6, FromPort: 22, ToPort: 22,
		CIDR: netip.MustParsePrefix("0.0.0.0/0"), Action: firewall.Allow}}
	inv := &firewall.Inventory{
		Subnets:        []firewall.Subnet{{ID: "subnet-1", VPC: "vpc-1", NACL: "acl-web"}},
		SecurityGroups: []firewall.SecurityGroup{web},
		NetworkACLs:    []firewall.NetworkACL{acl},
		Interfaces: []firewall.Interface{{ID: "eni-web", Subnet: "subnet-1",
			Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.10")}, Groups: []string{"sg-web"}}},
	}
	rs, err := firewall.Compile(inv, firewall.DefaultLimits())
	if err != nil {
		fmt.Println(err)
		return
	}
	sg, nacl := rs.InterfaceSG("eni-web"), rs.SubnetNACL("subnet-1")
	for _, src := range []string{"203.0.113.1", "198.51.100.7"} {
		p := &packet.Packet{Proto: packet.ProtoTCP, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr("10.0.1.10"),
			SrcPort: 50000, DstPort: 22, Flags: packet.SYN}
		for _, v := range []firewall.Verdict{nacl.Eval(p, firewall.Ingress), sg.Eval(p, firewall.Ingress)} {
			fmt.Printf("%s: %s %s (%s)\n", src, v.Action, v.Reason, v.Rule.Text)
		}
	}
	reply := &packet.Packet{Proto: packet.ProtoTCP, Src: netip.MustParseAddr("10.0.1.10"), Dst: netip.MustParseAddr("203.0.113.1"),
		SrcPort: 22, DstPort: 50000, Flags: packet.SYN | packet.ACK}
	v := nacl.Eval(reply, firewall.Egress)
	fmt.Printf("reply: %s %s (%s)\n", v.Action, v.Reason, v.Rule.Text)
	// Output:
	// 203.0.113.1: allow nacl_allow (100 allow tcp 22 from 0.0.0.0/0)
	// 203.0.113.1: allow sg_rule (sg-web ingress tcp 22 from 203.0.113.1/32 (sgr-ssh))
	// 198.51.100.7: allow nacl_allow (100 allow tcp 22 from 0.0.0.0/0)
	// 198.51.100.7: deny sg_no_matching_rule (no rule matched: default deny)
	// reply: deny nacl_default_deny (* deny all to 0.0.0.0/0)
}
