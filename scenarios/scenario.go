package scenarios

import (
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
