package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ctsim/ctsim/scenarios"
	"github.com/ctsim/ctsim/sim"
)

type testOpts struct {
	out        outputFlags
	sim        simFlags
	all        bool
	failOnDrop bool
}

func testCommand() *command {
	return &command{
		name:  "test",
		args:  "FILE|NAME...",
		short: "check scenarios' expectations; exit 1 if any fails (for CI)",
		long: `Simulates each scenario (a file or a built-in name) and checks the expectations
written in it (expect:). Prints one line per expectation; for each that fails,
what happened instead and the trace of the packets that contradict it.

Exit status: 0 when every expectation holds, 1 when any fails, 2 on bad input
(an unreadable or invalid scenario: nothing is run then). With --fail-on-drop a
flow that is dropped or blocked fails the test too, expected or not. -o junit
writes a JUnit XML report for CI systems.`,
		example: `  ctsim test network.yaml
  ctsim test --all
  ctsim test rules/*.yaml --terraform plan.json -o junit > ctsim-junit.xml`,
		flags: func(fs *pflag.FlagSet) any {
			o := &testOpts{}
			o.out.add(fs, "table, json, csv, markdown, junit")
			o.sim.add(fs, false)
			fs.BoolVar(&o.all, "all", false, "test every built-in scenario")
			fs.BoolVar(&o.failOnDrop, "fail-on-drop", false, "also fail when any flow is dropped or blocked, whatever the expectations say")
			return o
		},
		run: func(e *env, opts any, args []string) error { return runTest(e, opts.(*testOpts), args) },
	}
}

// testCaseJSON is one expectation's outcome in `ctsim test -o json`.
type testCaseJSON struct {
	// Expectation is the expectation as written, in words.
	Expectation string `json:"expectation"`
	Note        string `json:"note,omitempty"`
	// Origin is "file:line:col" of the expectation.
	Origin string `json:"origin,omitempty"`
	Passed bool   `json:"passed"`
	// Got says what the run showed when the expectation failed.
	Got string `json:"got,omitempty"`
	// Flow is the ID of the contradicting flow, 0 if none.
	Flow int `json:"flow,omitempty"`
	// Trace holds the contradicting flow's packets, each with its checks.
	Trace []sim.PacketRecord `json:"trace,omitempty"`
}

// testScenarioJSON is one scenario's outcome in `ctsim test -o json`.
type testScenarioJSON struct {
	Scenario scenarioJSON   `json:"scenario"`
	Passed   bool           `json:"passed"`
	Checks   []testCaseJSON `json:"checks"`
}

// testJSON is the document `ctsim test -o json` prints.
type testJSON struct {
	Version   int                `json:"ctsim_json"`
	Command   string             `json:"command"`
	Passed    bool               `json:"passed"`
	Checks    int                `json:"checks"`
	Failed    int                `json:"failed"`
	Scenarios []testScenarioJSON `json:"scenarios"`
}

func runTest(e *env, o *testOpts, args []string) error {
	r, err := o.out.renderer(e, "test", fmtTable, fmtJSON, fmtCSV, fmtMarkdown, fmtJUnit)
	if err != nil {
		return err
	}
	if o.all {
		args = append(scenarios.BuiltinNames(), args...)
	}
	if len(args) == 0 {
		return usageErrorf("test", "test needs at least one scenario FILE or NAME (or --all)")
	}
	// Load everything first: bad input runs nothing (exit 2).
	list := make([]*scenarios.Scenario, 0, len(args))
	for _, a := range args {
		s, err := loadScenario(e, a, &o.sim)
		if err != nil {
			return err
		}
		list = append(list, s)
	}
	seed := o.sim.seedOverride()
	doc := &testJSON{Version: jsonVersion, Command: "test", Passed: true}
	for _, s := range list {
		out, err := s.Run(scenarios.RunOptions{Seed: seed})
		if err != nil {
			return err
		}
		warnRun(e, out)
		ts := testScenarioJSON{Scenario: scenarioInfo(s, seed), Passed: true}
		for _, c := range out.Checks {
			tc := testCaseJSON{Expectation: c.Expectation.Text, Note: c.Expectation.Note,
				Origin: c.Expectation.Origin.String(), Passed: c.Passed}
			if !c.Passed {
				tc.Got, tc.Flow, tc.Trace = c.Got, c.Flow, c.Trace
			}
			ts.Checks = append(ts.Checks, tc)
		}
		if o.failOnDrop {
			for i := range out.Result.Flows {
				f := &out.Result.Flows[i]
				if f.Verdict == sim.Allowed {
					continue
				}
				got := verdictText(f)
				if f.FirstDrop != nil {
					got += " at " + whereText(&f.FirstDrop.Step) + ": " + f.Hint
				}
				ts.Checks = append(ts.Checks, testCaseJSON{
					Expectation: fmt.Sprintf("flow %d %s is allowed (--fail-on-drop)", f.ID, flowName(f)),
					Got:         got,
					Flow:        f.ID,
				})
			}
		}
		for _, c := range ts.Checks {
			doc.Checks++
			if !c.Passed {
				doc.Failed++
				ts.Passed = false
				doc.Passed = false
			}
		}
		doc.Scenarios = append(doc.Scenarios, ts)
	}
	if err := renderTest(e, r, doc); err != nil {
		return err
	}
	if !doc.Passed {
		return &exitError{code: exitFail}
	}
	return nil
}

func flowName(f *sim.Flow) string {
	if f.Name != "" {
		return f.Name + " (" + f.Key + ")"
	}
	return f.Key
}

func renderTest(e *env, r renderer, doc *testJSON) error {
	switch r.format {
	case fmtJUnit:
		return writeJUnit(e.stdout, doc)
	case fmtJSON:
		return writeJSON(e.stdout, doc)
	}
	var rows [][]string
	for _, ts := range doc.Scenarios {
		for i, c := range ts.Checks {
			res := "PASS"
			if !c.Passed {
				res = "FAIL"
			}
			rows = append(rows, []string{ts.Scenario.Name, strconv.Itoa(i + 1), res, c.Expectation, c.Got})
		}
	}
	sec := section{
		Columns: []string{"scenario", "#", "result", "expectation", "got"},
		Rows:    rows,
		Wrap:    map[int]int{3: 50, 4: wrapHint},
		Color: map[int]func(string) string{2: func(s string) string {
			if s == "PASS" {
				return ansiGreen
			}
			return ansiRed
		}},
	}
	d := &document{Sections: []section{sec}}
	if r.format == fmtCSV {
		d.Sections[0].Keys = []string{"scenario", "check", "result", "expectation", "got"}
		return r.render(e.stdout, d)
	}
	// The traces that contradict each failed expectation.
	var failures []string
	for _, ts := range doc.Scenarios {
		for i, c := range ts.Checks {
			if c.Passed {
				continue
			}
			title := fmt.Sprintf("FAIL %s #%d: %s", ts.Scenario.Name, i+1, c.Expectation)
			if c.Origin != "" {
				title = fmt.Sprintf("FAIL %s #%d (%s): %s", ts.Scenario.Name, i+1, c.Origin, c.Expectation)
			}
			lines := []string{title, "  got: " + c.Got}
			if c.Note != "" {
				lines = append(lines, "  why it was expected: "+c.Note)
			}
			if len(c.Trace) > 0 {
				lines = append(lines, "  trace of the flow that contradicts it:")
				for _, l := range traceLines(c.Trace, nil) {
					lines = append(lines, "    "+l)
				}
			}
			failures = append(failures, "")
			failures = append(failures, lines...)
		}
	}
	if r.format == fmtMarkdown && len(failures) > 0 {
		// Markdown puts the traces in a code block after the table.
		var b strings.Builder
		if err := writeMarkdown(&b, d); err != nil {
			return err
		}
		b.WriteString("\n```" + strings.Join(failures, "\n") + "\n```\n\n")
		_, err := io.WriteString(e.stdout, b.String()+summaryLine(doc)+"\n")
		return err
	}
	d.Sections[0].Notes = append(failures, "", summaryLine(doc))
	return r.render(e.stdout, d)
}

func summaryLine(doc *testJSON) string {
	n := len(doc.Scenarios)
	if doc.Passed {
		return fmt.Sprintf("ok: %d of %d expectations hold in %d %s.", doc.Checks, doc.Checks, n, plural(n, "scenario"))
	}
	failedScen := 0
	for _, ts := range doc.Scenarios {
		if !ts.Passed {
			failedScen++
		}
	}
	return fmt.Sprintf("FAILED: %d of %d expectations failed, in %d of %d %s.", doc.Failed, doc.Checks, failedScen, n, plural(n, "scenario"))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// JUnit XML, the subset CI systems read (Jenkins, GitLab, GitHub actions).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

func writeJUnit(w io.Writer, doc *testJSON) error {
	out := junitSuites{Name: "ctsim", Tests: doc.Checks, Failures: doc.Failed}
	for _, ts := range doc.Scenarios {
		su := junitSuite{Name: ts.Scenario.Name}
		for i, c := range ts.Checks {
			jc := junitCase{Name: fmt.Sprintf("%d: %s", i+1, c.Expectation), Classname: "ctsim." + ts.Scenario.Name, File: ts.Scenario.File}
			su.Tests++
			if !c.Passed {
				su.Failures++
				body := "got: " + c.Got + "\n"
				if c.Origin != "" {
					body = c.Origin + ": " + c.Expectation + "\n" + body
				}
				if len(c.Trace) > 0 {
					body += strings.Join(traceLines(c.Trace, nil), "\n") + "\n"
				}
				jc.Failure = &junitFailure{Message: c.Got, Type: "expectation", Body: body}
			}
			su.Cases = append(su.Cases, jc)
		}
		out.Suites = append(out.Suites, su)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
