package scenarios

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEveryLibraryChangeIsNoticed removes each timed change of each
// built-in scenario in turn and checks that the scenario then fails: an
// expectation that passes whether or not a change happened does not show
// what the change does. It covers the security group rule removals whose
// effect is only on new connections (SPEC.md §2.1: a tracked connection
// survives, a new one needs a rule) and the NACL deny numbered before a
// wider allow (§3.1).
func TestEveryLibraryChangeIsNoticed(t *testing.T) {
	// Changes that are not meant to be seen, and why.
	unseen := map[string]string{
		"nacl-rule-order/the shadowed deny goes": "rule 110 is shadowed by rule 100, so removing it changes nothing: the scenario's point",
	}
	for _, name := range BuiltinNames() {
		s, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		all := s.Changes
		for i, c := range all {
			if _, ok := unseen[name+"/"+c.Change.Note]; ok {
				continue
			}
			t.Run(name+"/"+c.Change.Note, func(t *testing.T) {
				s.Changes = slices.Delete(slices.Clone(all), i, i+1)
				out, err := s.Run(RunOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if out.Passed {
					t.Errorf("%s passes without its change at %s (%s)", name, c.Change.Origin, c.Change.Note)
				}
			})
		}
		s.Changes = all
	}
}

// TestLibraryExpectationsPinTheirNumbers edits one number a built-in
// scenario teaches and checks that the expectation about it fails: the
// tuned 60 s TCP idle timeout against the 350 s Nitro v6 default (SPEC.md
// §2.4), and the allowance of ten against the peak of the table (§2.6).
func TestLibraryExpectationsPinTheirNumbers(t *testing.T) {
	tests := []struct {
		name, scenario, old, new string
		// failing is the Text of the expectation that must fail.
		failing string
	}{
		{"a 350 s timeout lets the tuned push in", "tcp-idle-timeout",
			"tcp_established_timeout: 60s", "tcp_established_timeout: 350s", "tuned-push dropped"},
		{"a smaller allowance lowers the peak", "conntrack-exhaustion",
			"security_groups: [sg-partner], conntrack: { allowance: 10 }", "security_groups: [sg-partner], conntrack: { allowance: 9 }", "api-tracked peak_entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := BuiltinSource(tt.scenario)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(src), tt.old) {
				t.Fatalf("%s does not contain %q", tt.scenario, tt.old)
			}
			s, err := Parse(tt.scenario+".yaml", []byte(strings.Replace(string(src), tt.old, tt.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Run(RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range out.Checks {
				if strings.Contains(c.Expectation.Text, tt.failing) {
					found = true
					if c.Passed {
						t.Errorf("%s still passes (%s)", c.Expectation.Text, c.Got)
					}
				}
			}
			if !found {
				t.Errorf("no expectation %q in %s", tt.failing, tt.scenario)
			}
		})
	}
}

// TestExhaustedTableKeepsExistingConnections checks that the ten tracked
// connections of conntrack-exhaustion send packets after the table filled
// up and still get through: an entry that exists needs no room (SPEC.md
// §2.6).
func TestExhaustedTableKeepsExistingConnections(t *testing.T) {
	s, err := Builtin("conntrack-exhaustion")
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var firstDrop time.Duration
	for _, f := range out.Result.Flows {
		if f.Name == "five-more" && f.FirstDrop != nil && (firstDrop == 0 || f.FirstDrop.At.Time().Duration() < firstDrop) {
			firstDrop = f.FirstDrop.At.Time().Duration()
		}
	}
	if firstDrop == 0 {
		t.Fatal("five-more was never dropped: the table did not fill up")
	}
	n := 0
	for _, f := range out.Result.Flows {
		if f.Name != "first-ten" {
			continue
		}
		n++
		if last := f.LastSeen.Time().Duration(); last <= firstDrop || f.FirstDrop != nil {
			t.Errorf("%s: last packet at %s, first drop %v; want all forwarded, the last after the table filled at %s", f.Key, last, f.FirstDrop, firstDrop)
		}
	}
	if n != 10 {
		t.Errorf("%d first-ten flows, want 10", n)
	}
}
