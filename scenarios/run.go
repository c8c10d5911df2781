package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/synth"
)

// RunOptions adjust one run of a scenario. The zero value runs the
// scenario as written.
type RunOptions struct {
	// Seed, when non-nil, replaces the scenario's seed.
	Seed *uint64
	// Explain keeps every packet's trace in the Result (sim.Options.Explain).
	Explain bool
	// Replay marks packets that would never have been sent
	// (sim.Options.Replay); set it when ExtraSources hold a capture.
	Replay bool
	// ExtraSources are added after the scenario's own traffic (a capture
	// replayed against the scenario's rules, say). Ties in time go to the
	// scenario's traffic first, then these in order.
	ExtraSources []packet.Source
	// NoTraffic leaves out the scenario's own traffic (replay of a capture
	// against the scenario's rules only).
	NoTraffic bool
	// Horizon, when > 0, replaces the scenario's duration.
	Horizon time.Duration
}

// Outcome is what a run produced and how the expectations fared.
type Outcome struct {
	Result *sim.Result
	// Checks has one entry per expectation, in file order.
	Checks []CheckResult
	// Passed reports whether every expectation held (true when there are
	// none).
	Passed bool
	// Warnings name the flows and changes the run left out because they
	// fall after its horizon (RunOptions.Horizon or the scenario's
	// duration), each "file:line:col: msg". Parse warns the same about the
	// scenario's own duration (Scenario.Warnings).
	Warnings []string
}

// Run builds a sim engine for s, adds its seeded traffic (and any extra
// sources), schedules its changes, runs it and checks its expectations.
// The same scenario and options give an identical Outcome.
//
// Traces of failed expectations (CheckResult.Trace) need per-packet
// records. Without RunOptions.Explain, Run keeps none the first time; when
// an expectation fails it runs the scenario again with records, which gives
// the same result because runs are deterministic. Extra sources (a capture)
// cannot be read twice, so with ExtraSources and without Explain failed
// checks carry no trace.
func (s *Scenario) Run(opt RunOptions) (*Outcome, error) {
	out, err := s.run(opt, opt.Explain)
	if err != nil || out.Passed || opt.Explain || len(opt.ExtraSources) > 0 {
		return out, err
	}
	traced, err := s.run(opt, true)
	if err != nil {
		return nil, err
	}
	for i := range out.Checks {
		out.Checks[i].Trace = traced.Checks[i].Trace
	}
	return out, nil
}

// run is one simulation; explain keeps per-packet records.
func (s *Scenario) run(opt RunOptions, explain bool) (*Outcome, error) {
	so := s.Options
	so.Explain = explain
	so.Replay = so.Replay || opt.Replay
	e, err := sim.New(s.Inventory, so)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.File, err)
	}
	seed := s.Seed
	if opt.Seed != nil {
		seed = *opt.Seed
	}
	var g *synth.Generator
	if len(s.Traffic) > 0 && !opt.NoTraffic {
		if g, err = synth.New(slices.Clone(s.Traffic), seed); err != nil {
			return nil, s.trafficError(err)
		}
		e.AddSource(g)
	}
	for _, src := range opt.ExtraSources {
		e.AddSource(src)
	}
	for _, c := range s.Changes {
		if err := e.Schedule(sim.Time(c.At), c.Change); err != nil {
			return nil, fmt.Errorf("%s: change at %s: %w", prefixOrigin(c.Change.Origin), packet.FormatSeconds(c.At), err)
		}
	}
	horizon := sim.Never
	switch {
	case opt.Horizon > 0:
		horizon = sim.Time(opt.Horizon)
	case s.Duration > 0:
		horizon = sim.Time(s.Duration)
	}
	res, err := e.Run(horizon)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.File, err)
	}
	cut := s.cutShort(g, horizon)
	out := &Outcome{Result: res, Checks: s.check(res, cut), Passed: true, Warnings: cut.warnings(s, horizon)}
	for _, c := range out.Checks {
		if !c.Passed {
			out.Passed = false
		}
	}
	return out, nil
}

// trafficError places an error of the traffic generator at its flow.
func (s *Scenario) trafficError(err error) error {
	var fe *synth.FieldError
	if errors.As(err, &fe) {
		for i := range s.Traffic {
			if s.Traffic[i].Name == fe.Flow && i < len(s.flowOrigins) {
				return fmt.Errorf("%straffic: %w", prefixOrigin(s.flowOrigins[i]), err)
			}
		}
	}
	return fmt.Errorf("%s: traffic: %w", s.File, err)
}

// cutFlow counts the packets of a flow a run simulated (sent) out of all
// it generated (total), up to the run's horizon.
type cutFlow struct {
	sent, total int
	horizon     time.Duration
}

// cutFlows are the flows, by name, that a run cut short.
type cutFlows map[string]cutFlow

// cutShort returns the flows of g with packets after horizon: a run to
// horizon does not simulate them.
func (s *Scenario) cutShort(g *synth.Generator, horizon sim.Time) cutFlows {
	if g == nil || horizon == sim.Never {
		return nil
	}
	until := g.PacketsUntil(packet.Time(horizon))
	sent := make([]int, len(s.Traffic))
	total := make([]int, len(s.Traffic))
	for i, fi := range g.Flows() {
		sent[fi.Flow] += until[i]
		total[fi.Flow] += fi.Packets
	}
	var cut cutFlows
	for i := range s.Traffic {
		if sent[i] == total[i] {
			continue
		}
		if cut == nil {
			cut = cutFlows{}
		}
		cut[s.Traffic[i].Name] = cutFlow{sent: sent[i], total: total[i], horizon: time.Duration(horizon)}
	}
	return cut
}

// warnings says which flows and changes a run to horizon leaves out, in
// file order.
func (c cutFlows) warnings(s *Scenario, horizon sim.Time) []string {
	if horizon == sim.Never {
		return nil
	}
	end := packet.FormatSeconds(time.Duration(horizon))
	var out []string
	for i := range s.Traffic {
		f, ok := c[s.Traffic[i].Name]
		if !ok {
			continue
		}
		var o firewall.Origin
		if i < len(s.flowOrigins) {
			o = s.flowOrigins[i]
		}
		out = append(out, fmt.Sprintf("%sflow %q: %d of its %d packets fall after the end (%s) and are not simulated", prefixOrigin(o), s.Traffic[i].Name, f.total-f.sent, f.total, end))
	}
	for _, ch := range s.Changes {
		if sim.Time(ch.At) > horizon {
			out = append(out, fmt.Sprintf("%schange at %s falls after the end (%s) and is not applied", prefixOrigin(ch.Change.Origin), packet.FormatSeconds(ch.At), end))
		}
	}
	return out
}
