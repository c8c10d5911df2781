package conntrack

import (
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// Other protocols, and the per-class dispatch every entry goes through.
//
// "For protocols other than TCP, UDP, or ICMP, only the IP address and
// protocol number is tracked. If your instance sends traffic to another
// host, and the host sends the same type of traffic to your instance within
// 600 seconds, the security group for your instance accepts it regardless
// of inbound security group rules." (SPEC.md §2.1 CT3.) Such flows — GRE,
// ESP, SCTP (whose ports AWS does not track either) and every other
// protocol number — are keyed by the two addresses and the protocol, with
// zero ports, and expire Timeouts.Other (600 s) after their last packet in
// either direction. Their State is StateUnreplied until a packet travels in
// the Reply direction, StateReplied after.
//
// SPEC.md §8 #10: A→P GRE at t0, P→A at t300 finds the entry; with no
// traffic after t0, P→A at t601 finds it expired at t600.

// flowClass is the tracking class of an entry, from its protocol.
type flowClass uint8

const (
	classOther flowClass = iota
	classTCP
	classUDP
	classICMP
)

func classOf(proto uint8) flowClass {
	switch proto {
	case packet.ProtoTCP:
		return classTCP
	case packet.ProtoUDP:
		return classUDP
	case packet.ProtoICMP, packet.ProtoICMPv6:
		return classICMP
	}
	return classOther
}

// timeout returns e's idle timeout under tm, from its class and state.
func (tm *Timeouts) timeout(e *entry) time.Duration {
	switch classOf(e.key.proto) {
	case classTCP:
		return tm.ForState(e.state)
	case classUDP:
		if e.flags&flagStream != 0 {
			return tm.UDPStream
		}
		return tm.UDP
	case classICMP:
		return tm.ICMP
	}
	return tm.Other
}

// step advances e by packet p travelling in direction dir at now, before
// e.lastSeen moves to now. It reports whether the packet was an invalid TCP
// transition (which is counted, never dropped).
func step(e *entry, dir Dir, p *packet.Packet, now packet.Time, profile Profile) (invalid bool) {
	switch classOf(e.key.proto) {
	case classTCP:
		next, out := tcpStep(e.state, dir, p.Flags)
		e.state = next
		invalid = out == tcpInvalid
	case classUDP:
		udpStep(e, dir, now, profile)
	default:
		// ICMP and other protocols remember only that a reply was seen.
	}
	if dir == Reply {
		e.flags |= flagSeenReply
	}
	return invalid
}

// stateOf returns the State a Match reports for e.
func stateOf(e *entry) State {
	switch classOf(e.key.proto) {
	case classTCP:
		return e.state
	case classUDP:
		return udpState(e.flags)
	}
	if e.flags&flagSeenReply != 0 {
		return StateReplied
	}
	return StateUnreplied
}
