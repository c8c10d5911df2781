package tfplan_test

import (
	"fmt"
	"path/filepath"

	"github.com/ctsim/ctsim/firewall/tfplan"
)

// Load reads the output of terraform show -json for a plan: IDs unknown
// until apply are resource addresses, and every assumption is a warning.
func ExampleLoad() {
	r, err := tfplan.Load(filepath.Join("testdata", "web.plan.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range r.Inventory.Interfaces {
		fmt.Println(in.Name, in.Subnet, in.Addrs, in.Groups)
	}
	fmt.Println(r.Warnings[0].Msg)
	// Output:
	// aws_instance.bastion module.net.aws_subnet.private[1] [10.20.1.10] [aws_security_group.bastion]
	// aws_instance.web module.net.aws_subnet.private[0] [10.20.0.4] [aws_security_group.web]
	// aws_security_group.bastion: assumed id aws_security_group.bastion (unknown until apply: the resource address stands for the AWS ID)
}
