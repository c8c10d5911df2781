package scenarios

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/sim"
)

// TestBuiltinScenariosParse checks that every built-in scenario parses
// without warnings and tells a story: a title, several sentences, traffic
// and expectations.
func TestBuiltinScenariosParse(t *testing.T) {
	names := BuiltinNames()
	if len(names) < 11 {
		t.Fatalf("library has %d scenarios, want at least the 11 of the issue", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, err := Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != name {
				t.Errorf("name: %q in file %s.yaml", s.Name, name)
			}
			if len(s.Warnings) > 0 {
				t.Errorf("warnings: %q", s.Warnings)
			}
			if s.Title == "" || strings.Contains(s.Title, "\n") {
				t.Errorf("title %q: want one line", s.Title)
			}
			sentences := 0
			for _, w := range strings.Fields(s.Story) {
				if strings.HasSuffix(w, ".") {
					sentences++
				}
			}
			if sentences < 4 {
				t.Errorf("story has %d sentences; tell the story in several", sentences)
			}
			if len(s.Traffic) == 0 || len(s.Expectations) == 0 {
				t.Errorf("%d flows, %d expectations: a built-in scenario carries both", len(s.Traffic), len(s.Expectations))
			}
		})
	}
}

// TestBuiltinScenariosPassTheirExpectations runs every built-in scenario and
// checks that its own expectations hold (each expectation cites the SPEC.md
// behaviour its scenario teaches: §3.8 ephemeral ports, §2.1 CT1 statefulness,
// §1.5 unfiltered services, §2.4 UDP and TCP timeouts, §2.2/§2.8 untracked
// flows, CT5 NACL changes, §2.6 the allowance, CT3 other protocols, §2.7
// PMTUD, §3.1 NACL rule order).
func TestBuiltinScenariosPassTheirExpectations(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			s, err := Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Run(RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Checks) != len(s.Expectations) {
				t.Fatalf("%d checks for %d expectations", len(out.Checks), len(s.Expectations))
			}
			for _, c := range out.Checks {
				if !c.Passed {
					t.Errorf("%s: expected %s; got %s", c.Expectation.Origin, c.Expectation.Text, c.Got)
				}
			}
			if !out.Passed {
				t.Error("Outcome.Passed is false")
			}
			if out.Result.Packets != nil {
				t.Error("Result.Packets kept without RunOptions.Explain")
			}
		})
	}
}

// TestBuiltinScenariosAreDeterministic runs each built-in scenario twice and
// compares the JSON of the results byte for byte (STYLE.md lesson 7).
func TestBuiltinScenariosAreDeterministic(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			var runs [2][]byte
			for i := range runs {
				s, err := Builtin(name)
				if err != nil {
					t.Fatal(err)
				}
				out, err := s.Run(RunOptions{Explain: true})
				if err != nil {
					t.Fatal(err)
				}
				if runs[i], err = json.Marshal(out.Result); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(runs[0], runs[1]) {
				t.Error("two runs gave different results")
			}
		})
	}
}

// TestListFollowsLibraryOrder checks List, BuiltinNames and BuiltinSource
// agree, and that the default scenario is in the library.
func TestListFollowsLibraryOrder(t *testing.T) {
	list := List()
	names := BuiltinNames()
	if len(list) != len(names) {
		t.Fatalf("List has %d entries, BuiltinNames %d", len(list), len(names))
	}
	for i, info := range list {
		if info.Name != names[i] {
			t.Errorf("List[%d] = %s, BuiltinNames[%d] = %s", i, info.Name, i, names[i])
		}
		if strings.HasPrefix(info.Title, "(invalid") || info.Title == "" {
			t.Errorf("%s: title %q", info.Name, info.Title)
		}
		src, err := BuiltinSource(info.Name)
		if err != nil || !bytes.Contains(src, []byte("name: "+info.Name)) {
			t.Errorf("BuiltinSource(%s): %v", info.Name, err)
		}
	}
	if names[0] != DefaultScenario {
		t.Errorf("first scenario %s, want the default %s", names[0], DefaultScenario)
	}
	if _, err := Builtin("no-such"); err == nil || !strings.Contains(err.Error(), "ephemeral-ports") {
		t.Errorf("Builtin(no-such) = %v, want an error listing the library", err)
	}
	names[0] = "changed"
	if BuiltinNames()[0] != DefaultScenario {
		t.Error("BuiltinNames returns the library's own slice")
	}
}

// TestEveryLibraryFileIsListed checks that no YAML file in library/ is
// missing from the library order.
func TestEveryLibraryFileIsListed(t *testing.T) {
	entries, err := library.ReadDir("library")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, n := range BuiltinNames() {
		listed[n+".yaml"] = true
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("library/%s is not in libraryOrder", e.Name())
		}
	}
}

// readDoc returns docs/scenario-format.md, or skips when it is absent.
func readDoc(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "scenario-format.md"))
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	return string(data)
}

// codeBlock returns the first fenced block of the given language after
// the heading.
func codeBlock(t *testing.T, doc, heading, lang string) string {
	t.Helper()
	i := strings.Index(doc, heading)
	if i < 0 {
		t.Fatalf("no %q in the docs", heading)
	}
	fence := "```" + lang + "\n"
	j := strings.Index(doc[i:], fence)
	if j < 0 {
		t.Fatalf("no %s block after %q", lang, heading)
	}
	start := i + j + len(fence)
	end := strings.Index(doc[start:], "```")
	return doc[start : start+end]
}

// TestDocumentedExampleRunsAndPasses keeps the full example of the format
// page honest: it parses without warnings and meets its expectations.
func TestDocumentedExampleRunsAndPasses(t *testing.T) {
	doc := readDoc(t)
	s, err := Parse("example.yaml", []byte(codeBlock(t, doc, "## A full example", "yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) > 0 {
		t.Errorf("warnings: %q", s.Warnings)
	}
	out, err := s.Run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range out.Checks {
		if !c.Passed {
			t.Errorf("%s: got %s", c.Expectation.Text, c.Got)
		}
	}
}

// TestDocumentedErrorsAreTested checks that every error message the format
// page quotes is one the error tests assert, word for word.
func TestDocumentedErrorsAreTested(t *testing.T) {
	doc := readDoc(t)
	src, err := os.ReadFile("errors_test.go")
	if err != nil {
		t.Fatal(err)
	}
	tests := string(src)
	for _, line := range strings.Split(strings.TrimSpace(codeBlock(t, doc, "## Errors", "")), "\n") {
		if !strings.Contains(tests, "`"+line+"`") {
			t.Errorf("documented error not tested: %s", line)
		}
	}
}

// BenchmarkParseLibrary parses every built-in scenario once per iteration.
func BenchmarkParseLibrary(b *testing.B) {
	var srcs [][]byte
	for _, n := range BuiltinNames() {
		src, err := BuiltinSource(n)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, src := range srcs {
			if _, err := Parse(libraryOrder[i]+".yaml", src); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRunLibrary runs every built-in scenario (with its expectation
// checks) once per iteration.
func BenchmarkRunLibrary(b *testing.B) {
	var list []*Scenario
	for _, n := range BuiltinNames() {
		s, err := Builtin(n)
		if err != nil {
			b.Fatal(err)
		}
		list = append(list, s)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range list {
			if _, err := s.Run(RunOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestEveryKeyIsDocumented checks that docs/scenario-format.md mentions
// every key the parser accepts, so the reference stays complete.
func TestEveryKeyIsDocumented(t *testing.T) {
	doc := readDoc(t)
	lists := [][]string{topKeys, optionsKeys, vpcKeys, subnetKeys, hostKeys, conntrackKeys, prefixKeys,
		sgKeys, sgRuleKeys, aclKeys, entryKeys, flowKeys, stepKeys, changeKeys, expectKeys, matchKeys,
		whereKeys, counterKeys, filters, trackings, sim.DefaultAutoTracked()}
	for _, kind := range trafficKinds {
		lists = append(lists, kindKeys[kind])
	}
	for _, list := range lists {
		for _, k := range list {
			if !strings.Contains(doc, "`"+k+"`") {
				t.Errorf("key %q is not documented", k)
			}
		}
	}
	for _, name := range []string{"dns", "ntp", "snmp", "syslog"} {
		if _, ok := udpApps[name]; !ok || !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("udp app %q: known %v, documented %v", name, ok, strings.Contains(doc, "`"+name+"`"))
		}
	}
}
