package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// ctsimBin is the binary built once for the whole test run: the CLI is
// tested end to end by running it (issue 3, "Tests").
var ctsimBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "ctsim-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctsimBin = filepath.Join(dir, "ctsim")
	if runtime.GOOS == "windows" {
		ctsimBin += ".exe"
	}
	build := exec.Command("go", "build", "-o", ctsimBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ctsim: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

// ctsim runs the built binary with args in dir ("" = the package
// directory), with NO_COLOR unset so that tests also prove that colour is
// never used when stdout is not a terminal.
func ctsimIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(ctsimBin, args...)
	cmd.Dir = dir
	cmd.Env = append(filteredEnv(), "CTSIM_TEST=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var xe *exec.ExitError
		if !errors.As(err, &xe) {
			t.Fatalf("running ctsim %s: %v", strings.Join(args, " "), err)
		}
		code = xe.ExitCode()
	}
	return result{out.String(), errb.String(), code}
}

func ctsim(t *testing.T, args ...string) result {
	t.Helper()
	return ctsimIn(t, "", args...)
}

func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "NO_COLOR=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update. Golden files are reviewed in the diff.
func checkGolden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/ctsim -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./cmd/ctsim -update rewrites it):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines shows the first lines where want and got differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want: %q\n  got:  %q\n", i+1, wl, gl)
			shown++
			if shown == 5 {
				b.WriteString("  …\n")
				break
			}
		}
	}
	return b.String()
}

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// sharedTestdata returns ../shared/testdata relative to the repository
// root, skipping the test when it is absent.
func sharedTestdata(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "testdata")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared testdata not found at %s", dir)
	}
	return dir
}

// TestHelpListsEveryCommand checks `ctsim help` and `ctsim` alone: the
// overview a newcomer meets first (issue 3).
func TestHelpListsEveryCommand(t *testing.T) {
	for _, args := range [][]string{{}, {"help"}, {"--help"}} {
		r := ctsim(t, args...)
		if r.code != exitOK || r.stderr != "" {
			t.Fatalf("ctsim %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		for _, c := range commands() {
			if c.hidden {
				continue
			}
			if !strings.Contains(r.stdout, "\n  "+c.name+" ") {
				t.Errorf("ctsim %v does not list %q:\n%s", args, c.name, r.stdout)
			}
		}
	}
}

// TestHelpForEachCommand checks `ctsim help CMD` and `ctsim CMD --help`
// print the same usage with exit 0.
func TestHelpForEachCommand(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			a := ctsim(t, "help", c.name)
			b := ctsim(t, c.name, "--help")
			if a.code != 0 || b.code != 0 {
				t.Fatalf("exit codes %d, %d; stderr %q %q", a.code, b.code, a.stderr, b.stderr)
			}
			if a.stdout != b.stdout {
				t.Errorf("help %s and %s --help differ", c.name, c.name)
			}
			if !strings.HasPrefix(a.stdout, "Usage: ctsim "+c.name) {
				t.Errorf("help does not start with the usage line:\n%s", a.stdout)
			}
			checkGolden(t, "help-"+c.name+".txt", a.stdout)
		})
	}
}

// TestUsageErrors checks every documented usage error: exit status 2 and
// "ctsim: <error>" on stderr, nothing on stdout.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, `ctsim: unknown command "frobnicate" (see 'ctsim help')`},
		{"unknown help topic", []string{"help", "frobnicate"}, `ctsim: unknown help topic "frobnicate" (see 'ctsim help')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ctsim(t, tt.args...)
			if r.code != exitBadInput {
				t.Errorf("exit %d, want %d", r.code, exitBadInput)
			}
			if got := strings.TrimSpace(r.stderr); got != tt.want {
				t.Errorf("stderr:\n got %q\nwant %q", got, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
		})
	}
}

// Example_test checks a scenario's expectations, as CI would; the exit
// status is 0 when they all hold.
func Example_test() {
	var out discard
	e := &env{stdout: &out, stderr: os.Stderr, getenv: func(string) string { return "" }}
	code := run(e, []string{"test", "ephemeral-ports", "stateful-vs-stateless"})
	os.Stdout.WriteString(map[int]string{0: "all expectations hold\n", 1: "an expectation failed\n", 2: "bad input\n"}[code])
	// Output: all expectations hold
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
