// Package packet defines the small value types a simulated packet is made
// of — virtual time, the packet header view, the 5-tuple — shared by sim,
// firewall and conntrack.
//
// It sits below all three so that firewall and conntrack can take a packet
// and a time as arguments without importing sim (DESIGN.md: "firewall and
// conntrack import neither sim nor each other's internals; they share only
// small value types").
package packet
