package scenarios

import (
	"embed"
	"fmt"
	"strings"
)

// library holds the built-in scenarios, one YAML file each.
//
//go:embed library/*.yaml
var library embed.FS

// libraryOrder is the order the library is listed in: from the first
// surprise a newcomer meets to the finer points.
var libraryOrder = []string{
	"ephemeral-ports",
	"stateful-vs-stateless",
	"forgotten-dns-ntp",
	"udp-timeouts",
	"tcp-idle-timeout",
	"tracked-vs-untracked",
	"nacl-change-breaks-connections",
	"conntrack-exhaustion",
	"other-protocols-600s",
	"icmp-pmtud",
	"nacl-rule-order",
}

// DefaultScenario is the built-in scenario `ctsim run` simulates with no
// arguments.
const DefaultScenario = "ephemeral-ports"

// Info names a built-in scenario and sums it up in one line.
type Info struct {
	Name  string
	Title string
}

// BuiltinNames returns the names of the built-in scenarios in library
// order.
func BuiltinNames() []string {
	return append([]string(nil), libraryOrder...)
}

// BuiltinSource returns the YAML of a built-in scenario.
func BuiltinSource(name string) ([]byte, error) {
	for _, n := range libraryOrder {
		if n == name {
			return library.ReadFile("library/" + name + ".yaml")
		}
	}
	return nil, fmt.Errorf("no built-in scenario %q; built-in: %s", name, strings.Join(libraryOrder, ", "))
}

// Builtin parses a built-in scenario.
func Builtin(name string) (*Scenario, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse(name+".yaml", data)
}

// List returns every built-in scenario's name and title, in library order.
// A scenario that fails to parse is listed with the error as its title
// (the tests keep that from happening).
func List() []Info {
	out := make([]Info, 0, len(libraryOrder))
	for _, n := range libraryOrder {
		s, err := Builtin(n)
		if err != nil {
			out = append(out, Info{Name: n, Title: "(invalid: " + err.Error() + ")"})
			continue
		}
		out = append(out, Info{Name: n, Title: s.Title})
	}
	return out
}
