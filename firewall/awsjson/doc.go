// Package awsjson reads a network's filtering rules from the JSON the AWS
// CLI prints for aws ec2 describe-… commands into a firewall.Inventory.
//
// Files read: describe-vpcs, describe-subnets, describe-security-groups,
// describe-security-group-rules (optional, for the real sgr-… rule IDs),
// describe-instances (optional, for the instance types),
// describe-network-acls, describe-network-interfaces,
// describe-managed-prefix-lists and get-managed-prefix-list-entries. Which
// one a file is comes from its top-level key, not its name — except for
// get-managed-prefix-list-entries, whose output does not say which list it
// is: its file name must contain the list's ID, as in
// "pl-0123abcd.entries.json" or "get-managed-prefix-list-entries-pl-0123abcd.json".
//
// The structs are plain encoding/json shapes of the EC2 API output (not the
// AWS SDK). Everything the importer does not support or had to assume is
// returned as a Warning, never silently dropped.
//
// Every error is a *firewall.Error with a file:line:col position (lines and
// columns from 1, columns in bytes) and, for semantic errors, the JSON member
// at fault as Field. Precision: syntax errors point at the offending byte;
// type errors and semantic errors (a bad CIDR such as "10.0.0.0/33", a port
// out of range, an unknown protocol) point at the key of the offending
// member ("CidrIp": …), at the offending element of a list, or at the
// enclosing object when the member is absent. Warnings are positioned the
// same way. Messages speak JSON and AWS, not Go: "FromPort is a string, want
// a number", `CidrIp "10.0.0.0/33": prefix length 33 is outside 0–32 for
// IPv4`, "TcpEstablishedTimeout 20 is outside 60–432000 seconds" (the
// ConnectionTrackingConfiguration ranges of SPEC.md §2.4, the ones package
// conntrack enforces). Port and ICMP values that AWS ignores for a rule's
// protocol (SPEC.md §1.1, §3.2) are reported as warnings at the value.
//
// Normalize puts an Inventory in a canonical form so that the same network
// read by different importers compares equal.
package awsjson
