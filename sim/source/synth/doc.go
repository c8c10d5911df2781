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
// # What a session sends
//
//	tcp         S > · S. < · . > · then per exchange: request P. > (MSS-sized
//	            "." segments before it), response P. < RTT later, client . >
//	            RTT after that; the last exchange ends with the close:
//	            fin: F. > · F. < · . >    rst: R. >    none: . >
//	            Keepalive probes (. > answered by . <) fill the Idle gap.
//	            NoReply: a lone S.
//	udp, other  per request: request > · reply < RTT later (none with NoReply)
//	icmp-echo   per request: echo-request > · echo-reply < RTT later
//	icmp-error  one error from Client to the quoted flow's client or server
//
// Lengths are IP datagram lengths: the IP header (20 bytes, or 40 for
// IPv6) plus the transport header (TCP 20, UDP 8, ICMP 8, GRE 4, ESP 8,
// SCTP 12, other protocols 0) plus the payload. An ICMP error carries the
// quoted packet's IP header and 8 bytes.
//
// # Scripts
//
// A Script replaces the generated pattern with explicit steps; use one
// when the story needs a packet the patterns don't make, such as a server
// that speaks first after an idle gap on a long-lived connection:
//
//	Script: []synth.Step{
//		{At: 0, Flags: packet.SYN},
//		{At: 10 * time.Millisecond, From: "server", Flags: packet.SYN | packet.ACK},
//		{At: 20 * time.Millisecond, Flags: packet.ACK},
//		{At: 400 * time.Second, From: "server", Flags: packet.PSH | packet.ACK, Bytes: 200},
//	}
//
// # Errors
//
// Every spec error is a *[FieldError] whose Field is the snake_case name a
// scenario file gives the field ("dst_port", "client.os",
// "script[2].from"), so that a caller holding the file's positions can
// report it at the right line and column.
//
// # Determinism
//
// All randomness (TCP initial sequence numbers, random source ports, ICMP
// echo identifiers, Poisson gaps) comes from one math/rand/v2 PCG source
// seeded by the seed passed to New, drawn in flow order then session order
// (source ports and echo identifiers afterwards, in session start order).
// The same flows and seed always give the same packets.
//
// # Session names
//
// Every session of a flow carries the flow's own Name (not "name#3"):
// FlowName returns it for either direction of any of the flow's tuples, so
// reports and expectations that refer to a flow by name cover all of its
// sessions. [FlowInfo.Session] tells sessions apart where that matters.
//
// The simulator keeps one flow per tuple for the whole run, so a tuple
// must name one flow: New rejects two flows whose sessions share a tuple
// (in either direction, at the same time or one after the other), naming
// both, and port allocation never hands out a port another flow used to
// the same server port. A session holds its port from its first to its
// last packet; a TCP session with Close "none" holds it to the end of the
// run, because its connection stays open.
//
// # Horizons
//
// A run may stop before the traffic does. [Generator.PacketsUntil] counts
// each session's packets at or before a horizon, and [Plan] does the same
// (with each session's start, end and size) without keeping any packets,
// so that a caller can tell which flows a run cuts short.
package synth
