package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/source/synth"
)

// TestExpectationOnCutShortFlowFails checks that an expectation cannot
// pass on a flow whose packets were not all simulated: with a 100 s
// duration, the UDP stream's datagram at 179 s after its last exchange
// (the one SPEC.md §2.4's 180 s UdpStreamTimeout decides) never runs, so
// "allowed" proves nothing and fails, and Parse warns at the flow.
func TestExpectationOnCutShortFlowFails(t *testing.T) {
	src, err := BuiltinSource("udp-timeouts")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "seed: 4\n", "seed: 4\noptions: { duration: 100s }\n", 1)
	s, err := Parse("udp-timeouts.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	wantWarn := `udp-timeouts.yaml:32:11: flow "stream-then-179s": 1 of its 5 packets fall after the duration (100s) and are not simulated; expectations on it fail`
	found := false
	for _, w := range s.Warnings {
		found = found || w == wantWarn
	}
	if !found {
		t.Errorf("warnings %q\nwant one %s", s.Warnings, wantWarn)
	}
	out, err := s.Run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Passed {
		t.Error("Outcome.Passed with a flow cut short")
	}
	for _, c := range out.Checks {
		if c.Expectation.Flow != "stream-then-179s" {
			continue
		}
		want := "incomplete: 4 of 5 packets simulated before the end (duration 100s)"
		if c.Passed || c.Got != want {
			t.Errorf("check %s: passed %v, got %q; want a failure: %s", c.Expectation.Text, c.Passed, c.Got, want)
		}
	}
	// The same run without the duration passes: the check failed because
	// of the cut alone.
	s, err = Builtin("udp-timeouts")
	if err != nil {
		t.Fatal(err)
	}
	if out, err = s.Run(RunOptions{}); err != nil || !out.Passed || len(out.Warnings) != 0 {
		t.Errorf("udp-timeouts without a duration: err %v, passed %v, warnings %q", err, out != nil && out.Passed, out.Warnings)
	}
}

// TestRunWarnsAboutWhatFallsAfterTheHorizon checks that Run says which
// flows and changes a shorter horizon leaves out, and that Parse warns
// about changes after the scenario's own duration (a change after the end
// is never applied, SPEC.md §3 rules apply from their change on).
func TestRunWarnsAboutWhatFallsAfterTheHorizon(t *testing.T) {
	src := web + `changes:
  - {at: 5s, remove_sg_rule: {group: sg-web, direction: ingress, rule_id: sg-web-in-1}}
expect:
  - {flow: xp-browse, verdict: dropped}
  - {flow: linux-browse, verdict: allowed, sessions: any}
`
	s := mustParse(t, src)
	out, err := s.Run(RunOptions{Horizon: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`test.yaml:14:5: flow "linux-browse": 15 of its 24 packets fall after the end (3s) and are not simulated`,
		`test.yaml:16:5: change at 5s falls after the end (3s) and is not applied`,
	}
	if strings.Join(out.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(out.Warnings, "\n"), strings.Join(want, "\n"))
	}
	if !out.Checks[0].Passed || out.Checks[1].Passed {
		t.Errorf("checks: xp-browse passed %v (want true: complete), linux-browse passed %v (want false: cut)", out.Checks[0].Passed, out.Checks[1].Passed)
	}

	s = mustParse(t, strings.Replace(src, "changes:", "options: {duration: 4s}\nchanges:", 1))
	want = []string{
		`test.yaml:14:12: flow "linux-browse": 7 of its 24 packets fall after the duration (4s) and are not simulated; expectations on it fail`,
		`test.yaml:17:5: change at 5s falls after the duration (4s) and is not applied`,
	}
	if strings.Join(s.Warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("parse warnings:\n%s\nwant:\n%s", strings.Join(s.Warnings, "\n"), strings.Join(want, "\n"))
	}
}

// TestTrafficErrorsNameTheFlowsPosition checks that the generator's errors
// carry the file position of the flow they name, at Parse (the packet
// limit) and at Run (two flows on one tuple, which only port allocation
// finds).
func TestTrafficErrorsNameTheFlowsPosition(t *testing.T) {
	big := web + "  - {name: big, udp: {client: linux, server: web, dst_port: 53, count: 3, requests: 1000000, think: 1ms}}\n"
	_, err := Parse("big.yaml", []byte(big))
	want := `big.yaml:15:72: flow "big": the flows make more than 4194304 packets (at flow "big" session 3)`
	var pe *ParseError
	if err == nil || err.Error() != want || !errors.As(err, &pe) {
		t.Errorf("got  %v\nwant %s", err, want)
	}

	dup := web + "  - {name: a, tcp: {client: linux, server: web, dst_port: 80, src_port: 40000, start: 10s}}\n" +
		"  - {name: b, tcp: {client: linux, server: web, dst_port: 80, src_port: 40000, start: 20s}}\n"
	s := mustParse(t, dup)
	_, err = s.Run(RunOptions{})
	want = `test.yaml:16:5: traffic: flow "b": session 1 has the tuple tcp 198.51.100.8:40000 > 10.0.1.10:80 of flow "a" (session 1), after it; the simulator keeps one flow per tuple, so give one of them another src_port`
	var fe *synth.FieldError
	if err == nil || err.Error() != want || !errors.As(err, &fe) {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
