package main

import (
	"os"
)

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
