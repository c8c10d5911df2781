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
// AWS SDK). Every error is a *firewall.Error with a file:line:col position;
// everything the importer does not support or had to assume is returned as
// a Warning, never silently dropped.
package awsjson
