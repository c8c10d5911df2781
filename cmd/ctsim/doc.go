// Command ctsim simulates AWS security groups, network ACLs and connection
// tracking packet by packet, and explains what happened to every flow.
//
// Usage:
//
//	ctsim run [FILE|NAME]            simulate a scenario and print the flow table
//	ctsim explain [FILE|NAME]        the per-packet trace, every check in words
//	ctsim test FILE|NAME...          check a scenario's expectations (exit 1 on failure)
//	ctsim scenarios [show NAME]      the built-in scenario library
//	ctsim replay CAPTURE --scenario FILE|NAME
//	                                 what the rules would do to a real capture
//	ctsim rules show --aws DIR | --terraform FILE
//	                                 the imported rule sets as tables
//
// Every command that prints data takes -o table|json|csv|markdown. Exit
// status: 0 ok, 1 an expectation failed, 2 bad usage or input, 3 a capture
// was not read whole. docs/cli.md documents every command and flag;
// docs/json.md the JSON output.
//
// Only this command prints or exits, and only it reads the wall clock (for
// the replay progress line).
package main
