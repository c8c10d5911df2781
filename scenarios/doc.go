// Package scenarios reads scenario files — a network, its rules, seeded
// traffic, timed changes and expectations, in YAML — and holds the
// built-in teaching library.
//
// The format is documented in docs/scenario-format.md. Parse and Load turn
// a file into a Scenario (every error a *ParseError naming the file, line
// and column, and saying what is allowed); Builtin, BuiltinNames, List and
// BuiltinSource give the embedded library; Scenario.Run simulates a
// scenario with package sim and checks its expectations.
//
// Durations are Go durations ("30s", "5m", "1h30m") or plain numbers of
// seconds ("432000"), as AWS's ConnectionTrackingSpecification counts
// them.
package scenarios
