package main

import (
	"strings"
	"testing"
)

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
