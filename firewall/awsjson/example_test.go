package awsjson_test

import (
	"fmt"
	"path/filepath"

	"github.com/ctsim/ctsim/firewall/awsjson"
)

// Load reads a directory of aws ec2 describe-… outputs (here the shop
// fixture) into one Inventory.
func ExampleLoad() {
	r, err := awsjson.Load(filepath.Join("testdata", "shop"))
	if err != nil {
		fmt.Println(err)
		return
	}
	inv := r.Inventory
	fmt.Println(len(inv.Subnets), "subnets,", len(inv.SecurityGroups), "groups,", len(inv.NetworkACLs), "network ACLs,", len(inv.Interfaces), "interfaces")
	for _, s := range inv.Subnets {
		fmt.Println(s.Name, s.CIDR, "→", s.NACL)
	}
	fmt.Println(len(r.Warnings), "warnings")
	// Output:
	// 4 subnets, 4 groups, 3 network ACLs, 5 interfaces
	// public-a 10.0.1.0/24 → acl-0d1e2f3a4b5c60002
	// public-b 10.0.2.0/24 → acl-0d1e2f3a4b5c60002
	// app 10.0.10.0/24 → acl-0d1e2f3a4b5c60003
	// db 10.0.20.0/24 → acl-0d1e2f3a4b5c60001
	// 0 warnings
}

// Parse reads one file at a time; every error carries file:line:col.
func ExampleParse() {
	var r awsjson.Result
	err := awsjson.Parse("describe-security-groups.json", []byte(`{"SecurityGroups": [
  {"GroupId": "sg-1", "IpPermissions": [
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/33"}]}]}]}`), &r)
	fmt.Println(err)
	// Output:
	// describe-security-groups.json:3:71: security group sg-1: CidrIp "10.0.0.0/33": prefix length 33 is outside 0–32 for IPv4
}
