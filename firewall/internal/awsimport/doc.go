// Package awsimport holds what the two AWS importers, firewall/awsjson and
// firewall/tfplan, share: reading AWS rule values (protocols, ports, ICMP
// types and codes, CIDRs) and positioning errors in JSON input.
//
// The rule helpers check values as AWS does (SPEC.md §1.1 for security
// group rules, §3.1 and §3.2 for network ACLs) and return the problem as a
// message, not an error, so that each importer wraps it with its own
// position and subject ("security group sg-1: port range 1-0: FromPort
// above ToPort"). Their messages are part of both importers' error text:
// change them only together with the importers' tests.
//
// Index maps JSON paths to file:line:col positions and turns encoding/json
// errors into positioned *firewall.Error values whose messages name JSON
// kinds ("a number", "an object"), never Go types.
package awsimport
