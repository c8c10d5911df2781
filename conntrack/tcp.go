package conntrack

import "github.com/ctsim/ctsim/sim/packet"

// State is what an entry knows about its flow. TCP entries hold one of the
// TCP states; UDP, ICMP and other-protocol entries report StateUnreplied,
// StateReplied or (UDP only) StateStream. The zero State, StateNone, is
// held by no entry: a Match that found nothing reports it.
type State uint8

// States. The TCP states and their transitions follow Linux netfilter
// (SPEC.md §5.3, LNX-TCP), because AWS documents none of them.
const (
	StateNone        State = iota // no entry
	StateSynSent                  // SYN seen in the original direction
	StateSynRecv                  // SYN/ACK seen in reply
	StateEstablished              // handshake completed, or picked up mid-stream
	StateFinWait                  // a FIN seen
	StateCloseWait                // the FIN acknowledged
	StateLastAck                  // FINs seen both ways
	StateTimeWait                 // the last ACK seen
	StateClose                    // a RST seen
	StateSynSent2                 // SYN seen in reply to a SYN: simultaneous open
	StateUnreplied                // non-TCP: traffic in the original direction only
	StateReplied                  // non-TCP: a reply seen (UDP: not yet a stream)
	StateStream                   // UDP: classified as a stream (SPEC.md §2.4, §5.2)
	numStates
)

var stateNames = [numStates]string{
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2", "UNREPLIED", "REPLIED", "STREAM",
}

// String returns the state's name as conntrack(8) prints it: "SYN_SENT",
// "ESTABLISHED", …, or "UNREPLIED", "REPLIED", "STREAM" for non-TCP flows.
func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return "INVALID"
}

// tcpEvent is the class of a TCP segment for the state machine, chosen as
// Linux's get_conntrack_index does: RST first, then SYN (with or without
// ACK), then FIN, then ACK.
type tcpEvent uint8

const (
	evSYN tcpEvent = iota
	evSYNACK
	evFIN
	evACK
	evRST
	evNone
)

func tcpEventOf(f packet.TCPFlags) tcpEvent {
	switch {
	case f.Has(packet.RST):
		return evRST
	case f.Has(packet.SYN):
		if f.Has(packet.ACK) {
			return evSYNACK
		}
		return evSYN
	case f.Has(packet.FIN):
		return evFIN
	case f.Has(packet.ACK):
		return evACK
	}
	return evNone
}

// tcpOutcome says what a segment did to the state machine.
type tcpOutcome uint8

const (
	tcpMoved   tcpOutcome = iota // a valid transition (possibly to the same state)
	tcpIgnored                   // Linux sIG: may be valid or not; state kept
	tcpInvalid                   // Linux sIV: not valid in this state; state kept
)

// tcpStep is the TCP state machine: the state after a segment with flags
// travelling in direction dir reaches a connection in state s. It is Linux's
// tcp_conntracks table (SPEC.md §5.3, LNX-TCP) written as a switch:
//
//	SYN orig:     NONE→SYN_SENT; TIME_WAIT/CLOSE→SYN_SENT (reopen)
//	SYN reply:    SYN_SENT→SYN_SENT2 (simultaneous open)
//	SYN/ACK:      reply SYN_SENT→SYN_RECV; either SYN_SENT2→SYN_RECV
//	FIN either:   SYN_RECV/ESTABLISHED→FIN_WAIT; FIN_WAIT/CLOSE_WAIT→LAST_ACK
//	ACK orig:     SYN_RECV→ESTABLISHED; NONE→ESTABLISHED (mid-stream pickup)
//	ACK either:   FIN_WAIT→CLOSE_WAIT; LAST_ACK→TIME_WAIT
//	RST either:   any state but NONE → CLOSE
//
// Ignored and invalid segments keep the state. This model does not drop
// them — AWS documents no such drop — and never checks sequence windows.
func tcpStep(s State, dir Dir, f packet.TCPFlags) (State, tcpOutcome) {
	switch tcpEventOf(f) {
	case evRST:
		if s == StateNone {
			return s, tcpInvalid
		}
		return StateClose, tcpMoved
	case evSYN:
		if dir == Original {
			switch s {
			case StateNone, StateSynSent, StateTimeWait, StateClose:
				return StateSynSent, tcpMoved
			case StateSynSent2:
				return StateSynSent2, tcpMoved // late retransmitted SYN
			}
			return s, tcpIgnored
		}
		switch s {
		case StateSynSent, StateSynSent2:
			return StateSynSent2, tcpMoved
		}
		return s, tcpInvalid
	case evSYNACK:
		switch s {
		case StateNone:
			return s, tcpInvalid
		case StateSynSent2:
			return StateSynRecv, tcpMoved
		case StateSynSent:
			if dir == Reply {
				return StateSynRecv, tcpMoved
			}
			return s, tcpInvalid // a client can't send SYN then SYN/ACK
		}
		return s, tcpIgnored // retransmitted or late SYN/ACK
	case evFIN:
		switch s {
		case StateSynRecv, StateEstablished:
			return StateFinWait, tcpMoved
		case StateFinWait, StateCloseWait, StateLastAck:
			return StateLastAck, tcpMoved
		case StateTimeWait, StateClose:
			return s, tcpMoved
		}
		return s, tcpInvalid // NONE, SYN_SENT, SYN_SENT2
	case evACK:
		switch s {
		case StateNone:
			if dir == Original {
				return StateEstablished, tcpMoved
			}
			return s, tcpInvalid
		case StateSynSent, StateSynSent2:
			if dir == Original {
				return s, tcpInvalid // no SYN/ACK seen yet
			}
			return s, tcpIgnored // might be a half-open connection
		case StateSynRecv:
			if dir == Original {
				return StateEstablished, tcpMoved
			}
			return s, tcpMoved // might answer a late resent SYN
		case StateEstablished:
			return s, tcpMoved
		case StateFinWait, StateCloseWait:
			return StateCloseWait, tcpMoved
		case StateLastAck, StateTimeWait:
			return StateTimeWait, tcpMoved
		}
		return s, tcpMoved // CLOSE stays CLOSE
	}
	return s, tcpInvalid // no SYN, FIN, ACK or RST
}

// tcpFirst decides what a TCP segment that finds no entry creates
// (Insert). It returns the new entry's state, or ok false when no entry is
// created (Match.Refused):
//
//   - a SYN without ACK opens SYN_SENT;
//   - a SYN/ACK or a RST creates nothing, as in Linux (sIV from NONE): a
//     handshake seen from its second packet, or a reset, gives nothing to
//     track;
//   - any other segment is picked up mid-stream (Linux tcp_loose=1; AWS
//     UNDOCUMENTED): the entry starts ESTABLISHED and the segment then takes
//     its own step, so a lone FIN/ACK lands in FIN_WAIT and a lone ACK stays
//     ESTABLISHED. With Config.NoMidStreamPickup (tcp_loose=0) such segments
//     are refused instead. Unlike Linux, a FIN or a flagless segment is
//     picked up too; Linux would mark it INVALID.
//
// The second result counts invalid steps (a flagless segment).
func tcpFirst(f packet.TCPFlags, pickup bool) (s State, invalid bool, ok bool) {
	switch tcpEventOf(f) {
	case evSYN:
		return StateSynSent, false, true
	case evSYNACK, evRST:
		return StateNone, false, false
	}
	if !pickup {
		return StateNone, false, false
	}
	s, out := tcpStep(StateEstablished, Original, f)
	return s, out == tcpInvalid, true
}
