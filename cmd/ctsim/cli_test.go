package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/scenarios"
	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/pcap"
)

// runFormats are the golden outputs of `ctsim run` per built-in scenario.
var runFormats = []string{"table", "json", "csv", "markdown"}

// TestGoldenRunOfEveryBuiltin checks `ctsim run NAME -o FMT` and `ctsim
// explain NAME` for every built-in scenario against
// testdata/golden/<scenario>.<fmt> (issue 3: "Each built-in scenario has a
// golden output, reviewed in the diff, regenerated with an update flag").
func TestGoldenRunOfEveryBuiltin(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, f := range runFormats {
				r := ctsim(t, "run", name, "-o", f)
				if r.code != exitOK || r.stderr != "" {
					t.Fatalf("run %s -o %s: exit %d, stderr %q", name, f, r.code, r.stderr)
				}
				checkGolden(t, name+"."+f, r.stdout)
			}
			r := ctsim(t, "explain", name)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("explain %s: exit %d, stderr %q", name, r.code, r.stderr)
			}
			checkGolden(t, name+".explain", r.stdout)
		})
	}
}

// TestEveryBuiltinPassesItsOwnExpectations runs `ctsim test NAME` on each
// built-in scenario, and `ctsim test --all` (issue 3).
func TestEveryBuiltinPassesItsOwnExpectations(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := ctsim(t, "test", name)
			if r.code != exitOK {
				t.Fatalf("ctsim test %s: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "ok: ") {
				t.Errorf("no ok line:\n%s", r.stdout)
			}
		})
	}
	r := ctsim(t, "test", "--all", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("ctsim test --all: exit %d\n%s", r.code, r.stderr)
	}
	var doc testJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Passed || len(doc.Scenarios) != len(scenarios.BuiltinNames()) || doc.Failed != 0 {
		t.Errorf("test --all: passed=%v scenarios=%d failed=%d", doc.Passed, len(doc.Scenarios), doc.Failed)
	}
}

// TestRunWithoutArgumentsSimulatesTheDefaultScenario checks the newcomer's
// first command (issue 3: "go run ./cmd/ctsim run with no arguments
// simulates a built-in default scenario").
func TestRunWithoutArgumentsSimulatesTheDefaultScenario(t *testing.T) {
	a := ctsim(t, "run")
	b := ctsim(t, "run", scenarios.DefaultScenario)
	if a.code != 0 || a.stdout != b.stdout {
		t.Fatalf("ctsim run (exit %d) differs from ctsim run %s", a.code, scenarios.DefaultScenario)
	}
	for _, want := range []string{"Flows", "dropped", "Packets", "Interfaces", "hint"} {
		if !strings.Contains(a.stdout, want) {
			t.Errorf("ctsim run output lacks %q", want)
		}
	}
}

// TestSameSeedGivesByteIdenticalOutput checks determinism end to end
// (issue 3: "the same file and --seed give byte-identical output";
// STYLE.md lesson 7).
func TestSameSeedGivesByteIdenticalOutput(t *testing.T) {
	for _, args := range [][]string{
		{"run", "udp-timeouts", "--seed", "7", "-o", "json"},
		{"explain", "conntrack-exhaustion", "--seed", "42"},
		{"run", "ephemeral-ports", "--seed", "3", "-o", "csv"},
	} {
		a, b := ctsim(t, args...), ctsim(t, args...)
		if a.code != 0 || a.stdout != b.stdout {
			t.Errorf("ctsim %v: two runs differ (exit %d)", args, a.code)
		}
	}
	a := ctsim(t, "run", "ephemeral-ports", "--seed", "3", "-o", "json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(a.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if seed := doc["scenario"].(map[string]any)["seed"]; seed != float64(3) {
		t.Errorf("scenario.seed = %v, want the --seed 3", seed)
	}
}

// TestRunJSONIsTheDocumentedShape checks the top-level keys docs/json.md
// documents.
func TestRunJSONIsTheDocumentedShape(t *testing.T) {
	r := ctsim(t, "explain", "ephemeral-ports", "-o", "json")
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ctsim_json", "command", "scenario", "flows", "packets", "summary", "interfaces", "changes"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("explain -o json has no %q key", k)
		}
	}
	if string(doc["ctsim_json"]) != "1" || string(doc["command"]) != `"explain"` {
		t.Errorf("ctsim_json=%s command=%s", doc["ctsim_json"], doc["command"])
	}
}

// TestFailingExpectationExitsOneWithTheTrace checks `ctsim test` on a file
// whose expectation does not hold: exit 1, the expectation's position, and
// the trace that contradicts it (issue 3).
func TestFailingExpectationExitsOneWithTheTrace(t *testing.T) {
	r := ctsim(t, "test", "testdata/failing.yaml")
	if r.code != exitFail {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"FAIL failing #2 (testdata/failing.yaml:18:5): browse allowed",
		"got: blocked from packet 1",
		"why it was expected: the web server must be reachable",
		"web sg ingress: deny — no rule of sg-web allows it",
		"FAILED: 1 of 2 expectations failed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	checkGolden(t, "test-failing.table", r.stdout)

	j := ctsim(t, "test", "testdata/failing.yaml", "-o", "junit")
	if j.code != exitFail {
		t.Fatalf("junit: exit %d", j.code)
	}
	var suites junitSuites
	if err := xml.Unmarshal([]byte(j.stdout), &suites); err != nil {
		t.Fatalf("junit output is not XML: %v\n%s", err, j.stdout)
	}
	if suites.Tests != 2 || suites.Failures != 1 || suites.Suites[0].Cases[1].Failure == nil {
		t.Errorf("junit: tests=%d failures=%d", suites.Tests, suites.Failures)
	}
	checkGolden(t, "test-failing.junit", j.stdout)
}

// TestFailOnDropFailsOnAnyDroppedFlow checks --fail-on-drop: a built-in
// whose expectations hold but which drops flows on purpose fails.
func TestFailOnDropFailsOnAnyDroppedFlow(t *testing.T) {
	r := ctsim(t, "test", "ephemeral-ports", "--fail-on-drop")
	if r.code != exitFail || !strings.Contains(r.stdout, "(--fail-on-drop)") {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
}

// TestNoColourWhenNotATerminal checks that colour is never written to a
// pipe, and that --no-color and NO_COLOR turn it off on a terminal.
func TestNoColourWhenNotATerminal(t *testing.T) {
	if r := ctsim(t, "run"); strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour written to a pipe")
	}
	tests := []struct {
		name    string
		args    []string
		noColor string
		want    bool
	}{
		{"terminal", []string{"run"}, "", true},
		{"--no-color", []string{"run", "--no-color"}, "", false},
		{"NO_COLOR", []string{"run"}, "1", false},
		{"json on a terminal", []string{"run", "-o", "json"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb strings.Builder
			e := &env{stdout: &out, stderr: &errb, stdoutTTY: true,
				getenv: func(k string) string {
					if k == "NO_COLOR" {
						return tt.noColor
					}
					return ""
				}}
			if code := run(e, tt.args); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if got := strings.Contains(out.String(), "\x1b["); got != tt.want {
				t.Errorf("colour = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestScenariosListAndShow checks `ctsim scenarios` and `scenarios show`.
func TestScenariosListAndShow(t *testing.T) {
	r := ctsim(t, "scenarios")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, n := range scenarios.BuiltinNames() {
		if !strings.Contains(r.stdout, n) {
			t.Errorf("scenarios does not list %s", n)
		}
	}
	checkGolden(t, "scenarios.table", r.stdout)
	for _, n := range scenarios.BuiltinNames() {
		s := ctsim(t, "scenarios", "show", n)
		want, _ := scenarios.BuiltinSource(n)
		if s.code != 0 || s.stdout != string(want) {
			t.Errorf("scenarios show %s: exit %d, output differs from the built-in YAML", n, s.code)
		}
	}
	j := ctsim(t, "scenarios", "-o", "json")
	var list []scenarioInfoJSON
	if err := json.Unmarshal([]byte(j.stdout), &list); err != nil || len(list) != len(scenarios.BuiltinNames()) {
		t.Errorf("scenarios -o json: %v, %d entries", err, len(list))
	}
}

// TestShownScenarioRunsLikeTheBuiltin checks that the YAML `scenarios show`
// prints is a scenario file that runs to the same flows.
func TestShownScenarioRunsLikeTheBuiltin(t *testing.T) {
	dir := t.TempDir()
	s := ctsim(t, "scenarios", "show", "udp-timeouts")
	path := filepath.Join(dir, "udp-timeouts.yaml")
	if err := os.WriteFile(path, []byte(s.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	a := ctsim(t, "run", path, "-o", "csv")
	b := ctsim(t, "run", "udp-timeouts", "-o", "csv")
	if a.code != 0 || a.stdout != b.stdout {
		t.Errorf("run FILE and run NAME differ (exit %d, %s)", a.code, a.stderr)
	}
}

// TestDocumentedErrors checks every documented error: its exit status and
// its "ctsim: " message on stderr.
func TestDocumentedErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // substring of stderr
	}{
		{"unknown flag", []string{"run", "--frobnicate"}, 2, "ctsim: unknown flag: --frobnicate (see 'ctsim help run')"},
		{"unknown output format", []string{"run", "-o", "xml"}, 2, `ctsim: unknown output format "xml": want table, json, csv, markdown (see 'ctsim help run')`},
		{"junit outside test", []string{"run", "-o", "junit"}, 2, `unknown output format "junit"`},
		{"two scenarios for run", []string{"run", "a", "b"}, 2, "ctsim: run takes one scenario (FILE or NAME), got 2"},
		{"unknown scenario", []string{"run", "no-such-scenario"}, 2, `ctsim: "no-such-scenario" is neither a scenario file nor a built-in scenario (built-in: ephemeral-ports,`},
		{"missing scenario file", []string{"run", "missing.yaml"}, 2, "ctsim: scenario file missing.yaml: no such file"},
		{"scenario error with position", []string{"run", "testdata/bad-cidr.yaml"}, 2, `ctsim: testdata/bad-cidr.yaml:2:27: cidrs "10.0.0.0/33" is not a CIDR block`},
		{"test without scenarios", []string{"test"}, 2, "ctsim: test needs at least one scenario FILE or NAME (or --all)"},
		{"test with a bad file runs nothing", []string{"test", "ephemeral-ports", "testdata/bad-cidr.yaml"}, 2, "testdata/bad-cidr.yaml:2:27"},
		{"bad seed", []string{"run", "--seed", "x"}, 2, `invalid argument "x" for "--seed"`},
		{"aws and terraform", []string{"run", "testdata/replay-web.yaml", "--aws", ".", "--terraform", "x"}, 2, "ctsim: give --aws or --terraform, not both"},
		{"aws dir missing", []string{"run", "testdata/replay-web.yaml", "--aws", "no-such-dir"}, 2, "ctsim: --aws no-such-dir: no such file or directory"},
		{"aws without scenario", []string{"run", "--aws", "."}, 2, "ctsim: --aws/--terraform need a scenario FILE"},
		{"aws with a scenario that imports", []string{"run", "testdata/with-rules.yaml", "--aws", "testdata"}, 2, "ctsim: --aws: testdata/with-rules.yaml already imports its rules (rules: key); use one or the other"},
		{"scenarios show without name", []string{"scenarios", "show"}, 2, "ctsim: scenarios show needs exactly one NAME"},
		{"scenarios show unknown", []string{"scenarios", "show", "nope"}, 2, `ctsim: no built-in scenario "nope"`},
		{"scenarios bad argument", []string{"scenarios", "frob"}, 2, `ctsim: unexpected argument "frob"`},
		{"replay without capture", []string{"replay", "--scenario", "ephemeral-ports"}, 2, "ctsim: replay takes one CAPTURE file, got 0"},
		{"replay without rules", []string{"replay", "x.pcap"}, 2, "ctsim: replay needs the rules: --scenario FILE|NAME, --aws DIR or --terraform FILE"},
		{"replay missing capture", []string{"replay", "no-such.pcap", "--scenario", "ephemeral-ports"}, 2, "ctsim: open capture: open no-such.pcap: no such file or directory"},
		{"replay bad map", []string{"replay", "x.pcap", "--scenario", "ephemeral-ports", "--map", "1.2.3.4"}, 2, `ctsim: --map "1.2.3.4": want ADDR=HOST`},
		{"replay map to unknown host", []string{"replay", "x.pcap", "--scenario", "ephemeral-ports", "--map", "1.2.3.4=nobody"}, 2, `ctsim: --map 1.2.3.4=nobody: the scenario has no host "nobody"`},
		{"replay map across families", []string{"replay", "x.pcap", "--scenario", "ephemeral-ports", "--map", "2001:db8::1=web"}, 2, "ctsim: --map 2001:db8::1=web: host web has no IPv6 address"},
		{"replay bad start", []string{"replay", "x.pcap", "--scenario", "ephemeral-ports", "--start", "soon"}, 2, `ctsim: --start "soon" is not a time`},
		{"replay end before start", []string{"replay", "x.pcap", "--scenario", "ephemeral-ports", "--start", "10s", "--end", "5s"}, 2, "ctsim: --end 5s is before --start 10s"},
		{"rules without show", []string{"rules"}, 2, "ctsim: want 'rules show'"},
		{"rules show without source", []string{"rules", "show"}, 2, "ctsim: rules show needs --aws DIR, --terraform FILE or a scenario FILE|NAME"},
		{"gencap without file", []string{"gencap"}, 2, "ctsim: gencap takes one output FILE, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ctsim(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr:\n got %q\nwant it to contain %q", r.stderr, tt.want)
			}
			if !strings.HasPrefix(r.stderr, "ctsim: ") {
				t.Errorf("stderr does not start with \"ctsim: \": %q", r.stderr)
			}
		})
	}
}

// genCapture writes a generated capture with `ctsim gencap` and returns its
// path.
func genCapture(t *testing.T, packets, flows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gen.pcap")
	r := ctsim(t, "gencap", path, "--packets", itoa(packets), "--flows", itoa(flows), "--seed", "3")
	if r.code != 0 {
		t.Fatalf("gencap: exit %d: %s", r.code, r.stderr)
	}
	return path
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestReplayAccountsForEveryPacket replays a capture through a scenario:
// read = forwarded + dropped + skipped, frame numbers in the JSON, and the
// dropped packets written to a capture that reads back with the same count
// (issue 4).
func TestReplayAccountsForEveryPacket(t *testing.T) {
	capPath := genCapture(t, 5000, 50)
	dropped := filepath.Join(t.TempDir(), "dropped.pcap")
	args := []string{"replay", capPath, "--scenario", "testdata/replay-web.yaml", "--write-dropped", dropped, "-o", "json"}
	for i := 1; i <= 50; i++ {
		// Every IPv4 server of the generated capture becomes web.
		args = append(args, "--map", "172.16.0."+strconv.Itoa(i)+"=web")
	}
	r := ctsim(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("stderr is not a terminal, yet replay wrote to it: %q", r.stderr)
	}
	var doc struct {
		Capture captureJSON `json:"capture"`
		Flows   []struct {
			Verdict   string `json:"verdict"`
			Responder string `json:"responder"`
			FirstDrop *struct {
				Frame uint64 `json:"frame"`
			} `json:"first_drop"`
		} `json:"flows"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Capture
	if c.Read != 5000 || c.Forwarded+c.Dropped+c.Skipped != c.Read || !c.Complete {
		t.Fatalf("capture accounting: %+v", c)
	}
	if c.Dropped == 0 || c.WroteDropped != c.Dropped {
		t.Fatalf("dropped %d, wrote %d", c.Dropped, c.WroteDropped)
	}
	mapped := 0
	for _, f := range doc.Flows {
		if f.Responder == "web" {
			mapped++
			if f.Verdict == "allowed" || f.FirstDrop == nil || f.FirstDrop.Frame == 0 {
				t.Errorf("flow to web: verdict %s, first drop %+v; want a drop with a frame number", f.Verdict, f.FirstDrop)
			}
		}
	}
	if mapped == 0 {
		t.Error("--map put no flow onto web")
	}
	rd, err := pcap.Open(dropped, pcap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var p packet.Packet
	n := uint64(0)
	for {
		ok, err := rd.Next(&p)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		n++
	}
	if n != c.Dropped {
		t.Errorf("--write-dropped capture holds %d packets, want %d", n, c.Dropped)
	}
}

// TestReplayWindowSkipsOutsidePackets checks --start/--end: packets outside
// the window are counted as skipped (outside_window), and still add up.
func TestReplayWindowSkipsOutsidePackets(t *testing.T) {
	capPath := genCapture(t, 2000, 20)
	r := ctsim(t, "replay", capPath, "--scenario", "testdata/replay-web.yaml", "--start", "0.005", "--end", "10ms", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Capture captureJSON `json:"capture"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Capture
	if c.Skipped == 0 || c.Forwarded+c.Dropped+c.Skipped != c.Read || len(c.SkippedBy) == 0 || c.SkippedBy[0].Key != "outside_window" {
		t.Errorf("window accounting: %+v", c)
	}
}

// TestReplayTruncatedCaptureExitsThree checks that a capture not read whole
// is replayed as far as it goes, says how far on stderr, and exits 3
// (issue 4).
func TestReplayTruncatedCaptureExitsThree(t *testing.T) {
	capPath := genCapture(t, 100, 5)
	data, err := os.ReadFile(capPath)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	r := ctsim(t, "replay", cut, "--scenario", "testdata/replay-web.yaml")
	if r.code != exitIncomplete {
		t.Fatalf("exit %d, want 3: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "frame 100 at byte") || !strings.Contains(r.stderr, "capture not read whole") {
		t.Errorf("stderr does not say how far it got: %q", r.stderr)
	}
	if !strings.Contains(r.stdout, "The capture was not read whole") || !strings.Contains(r.stdout, "99 read") {
		t.Errorf("stdout lacks the partial summary:\n%s", r.stdout)
	}
}

// TestReplaySharedCaptures replays every capture of the shared corpus
// through a scenario: valid files are read whole (exit 0), malformed ones
// end with exit 2 (unreadable header) or 3 (not read whole) or are read
// with skip reasons — never a crash, and the counts always add up.
func TestReplaySharedCaptures(t *testing.T) {
	root := filepath.Join(sharedTestdata(t), "pcaps")
	for _, sub := range []string{"valid", "malformed"} {
		files, _ := filepath.Glob(filepath.Join(root, sub, "*"))
		for _, f := range files {
			t.Run(sub+"/"+filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				r := ctsim(t, "replay", f, "--scenario", "testdata/replay-web.yaml", "-o", "json")
				if r.code != 0 && r.code != exitIncomplete && !(sub == "malformed" && r.code == exitBadInput) {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				if r.code == exitBadInput {
					if !strings.Contains(r.stderr, "file header") {
						t.Errorf("exit 2 without a file header error: %q", r.stderr)
					}
					return
				}
				var doc struct {
					Capture captureJSON `json:"capture"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Fatal(err)
				}
				c := doc.Capture
				if c.Forwarded+c.Dropped+c.Skipped != c.Read {
					t.Errorf("counts do not add up: %+v", c)
				}
				if (r.code == exitIncomplete) == c.Complete {
					t.Errorf("exit %d but complete=%v", r.code, c.Complete)
				}
			})
		}
	}
}

// TestRulesShowScenario checks `ctsim rules show NAME` tables and JSON
// (issue 5).
func TestRulesShowScenario(t *testing.T) {
	r := ctsim(t, "rules", "show", "ephemeral-ports")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"Security group rules", "Network ACL entries", "acl-web", "32768-65535", "*"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("rules show lacks %q", want)
		}
	}
	checkGolden(t, "rules-ephemeral-ports.table", r.stdout)
	j := ctsim(t, "rules", "show", "ephemeral-ports", "-o", "json")
	var doc rulesJSON
	if err := json.Unmarshal([]byte(j.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.SGRules) == 0 || len(doc.NACLEntries) == 0 {
		t.Errorf("rules JSON: %d SG rules, %d NACL entries", len(doc.SGRules), len(doc.NACLEntries))
	}
}

// TestRulesShowAWS checks `ctsim rules show --aws DIR` on the awsjson
// package's fixtures: tables, JSON, and warnings on stderr (issue 5).
func TestRulesShowAWS(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "firewall", "awsjson", "testdata", "shop")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no awsjson fixtures at %s", dir)
	}
	r := ctsim(t, "rules", "show", "--aws", dir, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc rulesJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.SGRules) == 0 || len(doc.NACLEntries) == 0 || len(doc.Interfaces) == 0 {
		t.Errorf("rules JSON: %d SG rules, %d NACL entries, %d interfaces", len(doc.SGRules), len(doc.NACLEntries), len(doc.Interfaces))
	}
	for _, w := range doc.Warnings {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("warning %q not printed on stderr", w)
		}
	}
}

// TestRunAndTestWithAWSImport checks --aws: the scenario adds traffic and
// expectations that refer to imported interface IDs (issue 5); without the
// import the same file is an error naming the position.
func TestRunAndTestWithAWSImport(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "firewall", "awsjson", "testdata", "shop")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no awsjson fixtures at %s", dir)
	}
	r := ctsim(t, "test", "testdata/shop-traffic.yaml", "--aws", dir)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = ctsim(t, "run", "testdata/shop-traffic.yaml", "--aws", dir, "-o", "csv")
	if r.code != exitOK || !strings.Contains(r.stdout, "shop-https") {
		t.Fatalf("run --aws: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = ctsim(t, "run", "testdata/shop-traffic.yaml")
	if r.code != exitBadInput || !strings.Contains(r.stderr, "testdata/shop-traffic.yaml:6:") {
		t.Errorf("without --aws: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestRulesShowTerraform checks `ctsim rules show --terraform` on the
// tfplan package's fixtures, with its assumptions as warnings (issue 5).
func TestRulesShowTerraform(t *testing.T) {
	plan := filepath.Join(repoRoot(t), "firewall", "tfplan", "testdata", "web.plan.json")
	if _, err := os.Stat(plan); err != nil {
		t.Skipf("no tfplan fixture at %s", plan)
	}
	r := ctsim(t, "rules", "show", "--terraform", plan, "-o", "csv")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "group,direction,protocol,ports,peer,description,rule_id\n") ||
		!strings.Contains(r.stdout, "\n\nnacl,direction,rule,protocol,ports,cidr,action\n") {
		t.Errorf("csv is not the two rule tables:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "ctsim: warning: ") || !strings.Contains(r.stderr, "unsupported resource type aws_lb") {
		t.Errorf("importer warnings not on stderr: %q", r.stderr)
	}
}

// TestTestWithTerraformPlan checks `ctsim test FILE --terraform PLAN`: the
// scenario names the plan's resources, and the plan's network ACL, which
// has no inbound rule for SSH from the bastion's subnet, fails the
// expectation with exit 1 and names the "*" rule (issue 5, the CI use).
func TestTestWithTerraformPlan(t *testing.T) {
	plan := filepath.Join(repoRoot(t), "firewall", "tfplan", "testdata", "web.plan.json")
	if _, err := os.Stat(plan); err != nil {
		t.Skipf("no tfplan fixture at %s", plan)
	}
	r := ctsim(t, "test", "testdata/plan-traffic.yaml", "--terraform", plan)
	if r.code != exitFail {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"FAIL plan-traffic #1 (testdata/plan-traffic.yaml:7:5): admin-ssh allowed",
		"nacl inbound: deny by aws_network_acl.private rule * deny all"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "ctsim: warning: ") {
		t.Errorf("the plan's assumptions are not reported on stderr: %q", r.stderr)
	}
}

// TestReplayExplainShowsFrameNumbers checks replay --explain: the trace
// names each packet's Wireshark frame number (issue 4).
func TestReplayExplainShowsFrameNumbers(t *testing.T) {
	capPath := genCapture(t, 50, 3)
	r := ctsim(t, "replay", capPath, "--scenario", "testdata/replay-web.yaml", "--explain")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"packet 1 (frame 1),", "packet 50 (frame 50),", "Every packet is accounted for: 50 read"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("replay --explain lacks %q", want)
		}
	}
}

// TestRulesShowListsDefaultsCompileMade checks that `rules show` lists the
// VPC's default security group that an instance without groups gets (SPEC.md
// §1.3), with its self-referencing ingress rule, and names it on the
// interface.
func TestRulesShowListsDefaultsCompileMade(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bare.yaml")
	yaml := "name: bare\nvpc: { id: vpc-1, cidrs: [10.0.0.0/16] }\nsubnets:\n  - { id: s1, cidr: 10.0.1.0/24 }\n" +
		"hosts:\n  - { name: a, subnet: s1, addresses: [10.0.1.10], security_groups: [] }\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ctsim(t, "rules", "show", file, "-o", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc rulesJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	var selfRef bool
	for _, rule := range doc.SGRules {
		if rule.Group == "sg-default-vpc-1" && rule.Direction == "ingress" && rule.Peer == "sg-default-vpc-1" {
			selfRef = true
		}
	}
	if !selfRef {
		t.Errorf("no self-referencing ingress rule of the default group in %+v", doc.SGRules)
	}
	if len(doc.Interfaces) != 1 || len(doc.Interfaces[0].Groups) != 1 || doc.Interfaces[0].Groups[0] != "sg-default-vpc-1" {
		t.Errorf("interfaces = %+v, want a's groups [sg-default-vpc-1]", doc.Interfaces)
	}
}
