// Package synth generates deterministic, seeded synthetic traffic — TCP
// sessions, UDP exchanges and streams, ICMP echo and ICMP errors, and other
// IP protocols — from plain [Flow] specs, as a [packet.Source].
//
// # Model
//
// Each [Flow] describes Count sessions between a client and a server
// [Endpoint]. New validates every flow, lays out each session's packets on
// the virtual timeline relative to its start, allocates client source ports
// (or ICMP echo identifiers) from the client's OS profile (SPEC.md §3.8, §4)
// in time order, and sorts every packet by (time, flow order, session,
// step). The resulting [Generator] replays them through Next without
// allocating.
//
// Time in the model is a single vantage point: a packet is seen by every
// filter at the instant it is sent, and each reply is sent RTT after the
// packet it answers. An exchange is a request followed by its reply (and,
// for TCP, the client's ACK of the reply); Think is the pause between the
// end of one exchange and the next request, and Idle replaces Think before
// the last exchange so that a flow can sit idle across a timeout.
//
// # Determinism
//
// All randomness (TCP initial sequence numbers, random source ports, ICMP
// echo identifiers, Poisson gaps) comes from one math/rand/v2 PCG source
// seeded by the seed passed to New, drawn in flow order then session order.
// The same flows and seed always give the same packets.
//
// # Session names
//
// Every session of a flow carries the flow's own Name (not "name#3"):
// FlowName returns it for either direction of any of the flow's tuples, so
// reports and expectations that refer to a flow by name cover all of its
// sessions. [FlowInfo.Session] tells sessions apart where that matters.
package synth
