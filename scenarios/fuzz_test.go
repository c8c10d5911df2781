package scenarios

import (
	"errors"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to the parser, seeded with every built-in
// scenario. Parse must never panic, must return either a Scenario or a
// *ParseError, and must finish quickly (STYLE.md lesson 15).
func FuzzParse(f *testing.F) {
	for _, name := range BuiltinNames() {
		src, err := BuiltinSource(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte(base))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("hosts: [{name: a, external: true, addresses: [\"::ffff:1.2.3.4\"]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		s, err := Parse("fuzz.yaml", data)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Parse took %v", d)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T %v is not a *ParseError", err, err)
			}
			if s != nil {
				t.Error("both a Scenario and an error")
			}
			return
		}
		if s == nil {
			t.Fatal("neither a Scenario nor an error")
		}
	})
}
