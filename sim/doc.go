// Package sim is the discrete-event engine that pushes packets through the
// security groups, network ACLs and connection tracking of a VPC.
//
// # The engine
//
// Virtual time ([Time]) is an integer count of nanoseconds. An [Engine]
// merges any number of packet sources ([packet.Source], each in
// non-decreasing time order) with its own event queue (timed rule changes,
// conntrack sweeps). Events are ordered by (time, sequence number), so two
// events at the same time run in the order they were scheduled. At equal
// times, events run before packets: a change scheduled at t=10s applies to a
// packet stamped t=10s. Packets of different sources at the same time are
// taken in the order the sources were added. The same input gives the same
// [Result], byte for byte.
//
// # The path
//
// Every packet is resolved to its two endpoints by address (DESIGN.md, "The
// way a packet travels"; SPEC.md §6):
//
//  1. Traffic to or from an address AWS does not filter — the Route 53
//     Resolver (169.254.169.253, fd00:ec2::253, the primary VPC CIDR's
//     base+2 and each subnet's base+2), the VPC router (each IPv4 subnet's
//     base+1: "reserved IP addresses used by the default VPC router"), the
//     instance metadata service (169.254.169.254, fd00:ec2::254) and Amazon
//     Time Sync (169.254.169.123, fd00:ec2::123) — is forwarded with one
//     step of reason not_filtered (SPEC.md §1.5).
//  2. An external packet addressed to an interface's public address is seen
//     by the filters with the private address (the internet gateway's 1:1 NAT,
//     SPEC.md §6); the rewrite is recorded as a "nat" step, first on the way
//     in, and last on the way out (after the filters, if the packet passes
//     them: SG egress → NACL outbound → internet gateway). The flow an ICMP
//     error quotes is translated the same way, so the error is matched to
//     its tracked flow.
//  3. A source interface in the VPC: its security groups, egress, through its
//     connection tracking table.
//  4. If the two endpoints are in different subnets (a host outside the VPC
//     is in no subnet): the source subnet's network ACL outbound, then the
//     destination subnet's network ACL inbound. Within one subnet the network
//     ACL is not evaluated (SPEC.md §3.1) and the trace says so.
//  5. A destination interface in the VPC: its security groups, ingress,
//     through its connection tracking table.
//
// A VPC interface without a public address of the packet's family reaches
// outside through the VPC's NAT gateway (IPv4) or egress-only internet
// gateway (IPv6) when the inventory has one (an Interface whose Service is
// "nat-gateway" or "egress-only-internet-gateway"): the packet then also
// crosses the gateway subnet's network ACL, inbound and outbound, on each
// leg, and the gateway appears in the trace (SPEC.md §6). Both gateways are
// stateful: from outside they let in only the packets of flows started from
// inside the VPC (a flow's initiator is the sender of its first packet); a
// packet from outside that starts its flow is dropped at the gateway with
// reason gateway_unsolicited. The model does not translate the gateway's
// addresses or ports and keeps no idle timer of the gateway's own.
//
// The first drop ends the trip. A packet between two hosts that are both
// outside the VPC meets no filter: it is forwarded with one step of reason
// no_filter, and the trace says so.
//
// # Security group steps
//
// A security group step first looks the packet up in the interface's
// connection tracking table: an entry lets it through whatever the rules say
// now (CT1, CT4). Without one the rules decide. A packet the rules allow
// creates an entry unless its flow is untracked (SPEC.md §2.2): TCP or UDP
// allowed by an all-open rule with an all-open rule for the responses in the
// other direction, per address family. The reply of an untracked flow is
// recognised by the same test applied to the reversed packet in the other
// direction, so replies of untracked flows are judged by the rules too
// (CT7). A flow, once classified untracked on an interface, stays untracked
// there: when a rule change makes its rules tracked ones, its next packets
// are still judged by the rules alone and open no entry (no mid-stream
// pickup), so the removal of the rule that carried either direction cuts it
// for good (CT7, SPEC.md §8 #32b). Only a new TCP connection (a SYN without
// ACK) on the same tuple is classified afresh. Flows to or from an
// interface whose Service is auto-tracked
// (SPEC.md §2.3, [Options.AutoTracked]) are always tracked, and so are flows
// between a VPC interface without a public address and a host outside the
// VPC when the VPC has a NAT gateway (IPv4) or an egress-only internet
// gateway (IPv6) interface of an auto-tracked service: that is the only way
// such an interface reaches outside (SPEC.md §6). A packet that needs a new
// entry while the table holds its allowance is dropped and counted
// (conntrack_allowance_exceeded, SPEC.md §2.6).
//
// An ICMP error is judged by the rules. If they drop it and it quotes a
// tracked flow, the AWS profile still drops it — security groups do not treat
// ICMP errors as related, which breaks path MTU discovery (SPEC.md §2.7) —
// while the linux profile admits it as related (SPEC.md §5.4). ICMP errors
// never create entries.
//
// Connection tracking state created at a source's egress is kept even when a
// network ACL later on the path drops the packet (SPEC.md §6's
// recommendation); [Options.NoStateOnLaterDrop] defers it until the packet
// has passed the whole path.
//
// # Replays
//
// Captures carry IP fragments: a later fragment (offset > 0) carries no ports
// and follows the verdict its first fragment got, remembered by (source,
// destination, protocol, IP ID) for 30 s; a later fragment whose first was
// not seen is dropped as an orphan.
//
// With [Options.Replay], packets that would never have been sent are marked:
// once the first packet of a flow was dropped before reaching its responder
// and nothing of the flow has been forwarded, every packet of that flow from
// the responder is dropped with reason never_sent — without the initiator's
// packet the responder would not have answered.
//
// # Changes
//
// Timed [Change]s edit the engine's private copy of the inventory (add,
// remove or replace a security group rule or a network ACL entry, associate
// a network ACL with a subnet, set an interface's timeouts) and recompile the
// rules; the rule generation advances by one. Tracked entries survive a
// security group change until they time out (CT4); an untracked flow is cut
// at once (CT7); a network ACL change cuts traffic in either direction at
// once (CT5), after [Options.NACLPropagationDelay] (SPEC.md §7.7). A trace
// step that passes a packet through a conntrack entry names the generation
// the entry was created under ([Step.EntryGeneration]).
//
// # Results
//
// Every packet ends forwarded or dropped with its trace: the ordered [Step]s
// it met, each naming where (interface, subnet or service), which filter,
// which direction, the action, the reason ([firewall.Reason]) and the rule
// or conntrack entry that decided. Packets are grouped into flows by their
// direction-free 5-tuple (ICMP echo by identifier, other protocols by
// addresses and protocol; an ICMP error is a flow of its own; a later
// fragment counts in its first fragment's flow). A flow is allowed (nothing
// dropped), dropped (some packets dropped) or blocked (nothing forwarded);
// its first drop is explained in plain words (Flow.Hint). Conntrack sweeps
// run every [Options.SweepInterval] of virtual time while packets or events
// remain; the [Result] counts entries, peaks, expiries and
// conntrack_allowance_exceeded per interface, and reports
// conntrack_allowance_available. With [Options.Explain] every packet's trace
// is kept ([Result.Packets]).
//
// # Speed
//
// [Engine.Run] reads each source a few packets ahead and prefetches what
// their lookups will touch (ahead.go). When no trace is kept (Run without
// Options.Explain), a TCP or UDP packet of a known flow that every security
// group on its path passes on a live conntrack entry, and every network ACL
// allows, is decided without building its steps: from the conntrack tables
// and from the network ACL verdict its flow cached for that direction,
// dated by the rules' compilation (fast.go). Every other packet walks the
// whole path. The outcome is the same either way — Run's Result equals
// stepping the same packets one by one with [Engine.Step], which always
// keeps the trace — and tests hold it so under rule changes of every kind.
// [Engine.Pass] steps one packet without a trace, for a caller that needs
// only its verdict; a source that implements [DropObserver] is told of each
// of its packets the engine drops while Run reads it ahead (a replay writing
// its dropped packets out). Tables that grow large live outside the Go heap
// (sim/memhint): [Engine.Release] frees them once the Result is taken.
package sim
