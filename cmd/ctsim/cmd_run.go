package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/ctsim/ctsim/scenarios"
	"github.com/ctsim/ctsim/sim"
)

type runOpts struct {
	out outputFlags
	sim simFlags
}

func addRunFlags(fs *pflag.FlagSet, explainFlag bool) *runOpts {
	o := &runOpts{}
	o.out.add(fs, "table, json, csv, markdown")
	o.sim.add(fs, explainFlag)
	return o
}

func runCommand() *command {
	return &command{
		name:  "run",
		args:  "[FILE|NAME]",
		short: "simulate a scenario and print what happened to every flow, and why",
		long: `Simulates a scenario file (FILE) or a built-in scenario (NAME; see 'ctsim
scenarios'); with no argument, the built-in ephemeral-ports scenario.

Prints the flow table — each flow's 5-tuple and name, initiator and responder,
packets and bytes each way, first and last seen, the verdict (allowed, dropped
from packet N, blocked), where it was dropped (ENI or subnet, filter,
direction), the rule, and a hint in plain words — then a summary: packets
forwarded and dropped (by filter and reason), and per ENI the peak conntrack
entries, allowance exceeded and expiries.

With --explain, the per-packet trace comes first: every check each packet met,
in simulated time, in plain words. With --aws or --terraform the scenario's
network and rules are imported, and the scenario adds traffic, changes and
expectations by referring to imported names. Times are seconds of simulated
time ("12.5s"). The same file and --seed give byte-identical output.`,
		example: `  ctsim run
  ctsim run udp-timeouts --explain
  ctsim run my-network.yaml -o json > result.json
  ctsim run traffic.yaml --aws ./describe-output/`,
		flags: func(fs *pflag.FlagSet) any { return addRunFlags(fs, true) },
		run:   func(e *env, opts any, args []string) error { return runRun(e, opts.(*runOpts), args, "run") },
	}
}

func explainCommand() *command {
	return &command{
		name:  "explain",
		args:  "[FILE|NAME]",
		short: "the per-packet trace: every check each packet met, in plain words",
		long: `The same as 'ctsim run --explain': simulates the scenario and prints, in
simulated time, every packet and every check it met in order — security group
egress, network ACL outbound and inbound, security group ingress, connection
tracking — with the rule that decided and why, then the flow table and the
summary. -o csv prints one row per check.`,
		example: `  ctsim explain tracked-vs-untracked
  ctsim explain my.yaml -o csv > trace.csv`,
		flags: func(fs *pflag.FlagSet) any { return addRunFlags(fs, false) },
		run: func(e *env, opts any, args []string) error {
			o := opts.(*runOpts)
			o.sim.explain = true
			return runRun(e, o, args, "explain")
		},
	}
}

func runRun(e *env, o *runOpts, args []string, cmd string) error {
	r, err := o.out.renderer(e, cmd, fmtTable, fmtJSON, fmtCSV, fmtMarkdown)
	if err != nil {
		return err
	}
	if len(args) > 1 {
		return usageErrorf(cmd, "%s takes one scenario (FILE or NAME), got %d", cmd, len(args))
	}
	arg := ""
	if len(args) == 1 {
		arg = args[0]
	}
	if arg == "" && o.sim.imports() {
		return usageErrorf(cmd, "--aws/--terraform need a scenario FILE that adds traffic to the imported network")
	}
	s, err := loadScenario(e, arg, &o.sim)
	if err != nil {
		return err
	}
	seed := o.sim.seedOverride()
	out, err := s.Run(scenarios.RunOptions{Seed: seed, Explain: o.sim.explain})
	if err != nil {
		return err
	}
	warnRun(e, out)
	d := resultDocument(r.format, cmd, scenarioInfo(s, seed), out.Result, o.sim.explain)
	if n := len(out.Checks); n > 0 && r.format != fmtCSV && r.format != fmtJSON {
		passed := 0
		for _, c := range out.Checks {
			if c.Passed {
				passed++
			}
		}
		last := &d.Sections[len(d.Sections)-1]
		last.Notes = append(last.Notes, "", fmt.Sprintf("Expectations: %d of %d hold (details: ctsim test %s).", passed, n, scenarioArg(arg, s)))
	}
	return r.render(e.stdout, d)
}

// scenarioArg is how to name the scenario again on a command line.
func scenarioArg(arg string, s *scenarios.Scenario) string {
	if arg != "" {
		return arg
	}
	return s.Name
}

// scenarioJSON identifies the scenario in JSON output.
type scenarioJSON struct {
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	File  string `json:"file"`
	Seed  uint64 `json:"seed"`
}

func scenarioInfo(s *scenarios.Scenario, seed *uint64) scenarioJSON {
	info := scenarioJSON{Name: s.Name, Title: s.Title, File: s.File, Seed: s.Seed}
	if seed != nil {
		info.Seed = *seed
	}
	return info
}

// jsonVersion is the version of the JSON documents ctsim prints; it changes
// only when a field changes meaning or disappears (docs/json.md).
const jsonVersion = 1

// runJSON is the document `ctsim run -o json`, `ctsim explain -o json` and
// `ctsim replay -o json` print: the scenario, the capture (replay only) and
// the simulation result's fields (flows, packets, summary, interfaces,
// changes) at the top level. docs/json.md documents every field.
type runJSON struct {
	Version  int          `json:"ctsim_json"`
	Command  string       `json:"command"`
	Scenario scenarioJSON `json:"scenario"`
	Capture  *captureJSON `json:"capture,omitempty"`
	*sim.Result
}

// resultDocument renders a simulation result for run, explain and replay.
func resultDocument(f format, cmd string, info scenarioJSON, res *sim.Result, explain bool) *document {
	d := &document{JSON: &runJSON{Version: jsonVersion, Command: cmd, Scenario: info, Result: res}}
	heading := info.Name
	if info.Title != "" {
		heading += " — " + info.Title
	}
	d.Heading = []string{heading, fmt.Sprintf("%s, seed %d; times are seconds of simulated time.", info.File, info.Seed)}
	switch f {
	case fmtJSON:
		// The JSON is the result itself: no tables to make.
		return d
	case fmtCSV:
		if explain {
			d.Sections = []section{traceSection(res.Packets, res.Flows)}
		} else {
			d.Sections = []section{flowsCSV(res.Flows)}
		}
		return d
	case fmtMarkdown:
		// The trace reads best as text: a code block.
		if explain {
			d.Text = traceLines(res.Packets, res.Flows)
		}
	default:
		if explain {
			d.Text = append([]string{"Trace (every packet, every check in order):", ""}, traceLines(res.Packets, res.Flows)...)
		}
	}
	d.Sections = append(d.Sections, flowsSection(res.Flows))
	d.Sections = append(d.Sections, summarySections(res)...)
	return d
}

// warnRun prints what a run noticed but could not make an error, such as
// traffic that falls after the end of the simulation.
func warnRun(e *env, out *scenarios.Outcome) {
	for _, w := range out.Warnings {
		fmt.Fprintln(e.stderr, "ctsim: warning: "+w)
	}
}
