// Package firewall models AWS VPC security groups (stateful, allow-only,
// the union of every group on an ENI) and network ACLs (stateless, numbered
// rules, first match wins, default deny) and evaluates packets against them.
//
// Rules arrive as plain data in an [Inventory] (from the scenario YAML, AWS
// CLI JSON or a Terraform plan) and are compiled once into immutable [SG]
// and [NACL] values whose Eval methods do not allocate. Every evaluation
// returns a [Verdict]: the action, a typed [Reason], and a [RuleRef] naming
// the rule that decided — including NACL's "*" default rule.
//
// Package firewall knows nothing of time or connection state; the stateful
// half of a security group lives in package conntrack, and package sim puts
// the two together (SPEC.md §1–§3).
package firewall
