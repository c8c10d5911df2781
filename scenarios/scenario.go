package scenarios

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/source/synth"
)

// Scenario is one parsed scenario file: a network, its rules, seeded
// traffic, timed changes and the expectations the run must meet. It is
// plain data; Run simulates it. Nothing in it refers back to YAML nodes.
type Scenario struct {
	// Name is the scenario's name (the "name:" key, else the file name
	// without its extension).
	Name string
	// Title is a one-line summary; Story tells what happens in plain
	// words, in several sentences.
	Title, Story string
	// File is the file the scenario was read from ("ephemeral-ports.yaml"
	// for a built-in one), as error messages name it.
	File string
	// Dir is the directory relative paths (rules: {aws: DIR}) resolve
	// against; "" for built-in scenarios and Parse.
	Dir string
	// Seed seeds the traffic generator (default 1).
	Seed uint64
	// Options configure the engine; Options.Allowances holds each host's
	// conntrack allowance.
	Options sim.Options
	// Duration is the simulated time to run (the horizon); 0 means until
	// the traffic and the changes are exhausted.
	Duration time.Duration
	// Inventory is the network and its rules.
	Inventory firewall.Inventory
	// Hosts are the scenario's hosts in file order (VPC interfaces and
	// external hosts), with what the Inventory does not carry.
	Hosts []Host
	// Traffic are the flow specs for the synthetic generator, in file
	// order.
	Traffic []synth.Flow
	// Changes are the timed changes in file order.
	Changes []TimedChange
	// Expectations are checked after a run, in file order.
	Expectations []Expectation
	// Warnings are things that are valid but probably not what the author
	// meant, each "file:line:col: msg".
	Warnings []string
	// flowOrigins are the positions of the traffic flows, by index in
	// Traffic, for the generator's errors in Run.
	flowOrigins []firewall.Origin
}

// TimedChange is a rule or configuration change at a time from the start.
type TimedChange struct {
	At     time.Duration
	Change sim.Change
}

// Load reads and parses a scenario file. Relative paths inside it (rules
// imports) are resolved against the file's directory.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return parse(path, filepath.Dir(path), data)
}

// Parse parses a scenario from data; name is the file name that error
// messages carry. Rules imports are resolved against the working
// directory.
func Parse(name string, data []byte) (*Scenario, error) {
	return parse(name, "", data)
}

// baseName returns a file name without directory and extension.
func baseName(file string) string {
	b := filepath.Base(file)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// HostByName returns the host named name (or with that ID), or nil.
func (s *Scenario) HostByName(name string) *Host {
	for i := range s.Hosts {
		if s.Hosts[i].Name == name || s.Hosts[i].ID == name {
			return &s.Hosts[i]
		}
	}
	return nil
}

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
