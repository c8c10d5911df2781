package awsimport_test

import (
	"fmt"

	"github.com/ctsim/ctsim/firewall/internal/awsimport"
)

// An importer reads a rule's values with the rule helpers and reports what
// is wrong at the JSON member at fault.
func Example() {
	data := []byte(`{"NetworkAcls": [{"NetworkAclId": "acl-1", "Entries": [
  {"RuleNumber": 100, "Protocol": "6", "CidrBlock": "10.1.2.3/8"},
  {"RuleNumber": 110, "Protocol": "17", "CidrBlock": "10.0.0.0/33"}]}]}`)
	ix := awsimport.NewIndex("acls.json", data)
	if err := ix.Build(); err != nil {
		fmt.Println(err)
		return
	}
	at := []any{"NetworkAcls", 0, "Entries"}
	for i, c := range []string{"10.1.2.3/8", "10.0.0.0/33"} {
		p, canon, msg := awsimport.ParseCIDR("CidrBlock", c, "4")
		if msg != "" {
			fmt.Println(ix.Errorf(awsimport.Sub(at, i, "CidrBlock"), "network ACL acl-1: %s", msg))
			continue
		}
		fmt.Println(ix.Pos(awsimport.Sub(at, i)...), p, "canonical:", canon)
	}
	proto, _ := awsimport.ParseProtocol("icmpv6")
	_, _, msg := awsimport.SGPorts(proto, nil, nil)
	fmt.Printf("icmpv6 without ports: %q\n", msg)
	// Output:
	// acls.json:2:3 10.0.0.0/8 canonical: false
	// acls.json:3:41: network ACL acl-1: CidrBlock "10.0.0.0/33": prefix length 33 is outside 0–32 for IPv4
	// icmpv6 without ports: ""
}
