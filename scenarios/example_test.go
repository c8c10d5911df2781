package scenarios_test

import (
	"fmt"

	"github.com/ctsim/ctsim/scenarios"
)

// Run a built-in scenario and print what happened to each flow and whether
// its expectations held.
func Example() {
	s, err := scenarios.Builtin("ephemeral-ports")
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := s.Run(scenarios.RunOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range out.Result.Flows[:4] {
		fmt.Printf("%-13s %s\n", f.Name, f.Verdict)
	}
	fmt.Println("expectations hold:", out.Passed)
	// Output:
	// linux-browse  allowed
	// win10-browse  allowed
	// xp-browse     dropped
	// natgw-browse  dropped
	// expectations hold: true
}

// Parse a scenario from bytes; errors name the file, line and column.
func ExampleParse() {
	_, err := scenarios.Parse("web.yaml", []byte(`
hosts:
  - name: web
    subnet: public
    addresses: [10.0.1.10]
    security_groups: []
    conntrack: {udp_timeout: 20s}
`))
	fmt.Println(err)
	// Output:
	// web.yaml:7:30: udp_timeout 20s is outside 30s–60s (AWS UdpTimeout)
}

// List the built-in library.
func ExampleList() {
	for _, info := range scenarios.List()[:3] {
		fmt.Println(info.Name)
	}
	// Output:
	// ephemeral-ports
	// stateful-vs-stateless
	// forgotten-dns-ntp
}
