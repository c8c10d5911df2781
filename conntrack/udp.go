package conntrack

import (
	"math"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// UDP tracking: when does a flow become a stream? (SPEC.md §2.4, §5.2,
// §5.5 "differ", §7 item 3)
//
// AWS (ProfileAWS): UdpTimeout (30 s) covers "idle UDP flows that have seen
// traffic only in a single direction or a single request-response
// transaction"; UdpStreamTimeout (180 s) covers flows "which have seen more
// than one request-response transaction" (EC2-API-CTS). This model counts a
// transaction as completed when a reply follows at least one packet in the
// original direction (several requests before one reply, or several replies
// to one request, make one transaction). After the second completed
// transaction the flow is a stream for the rest of its life. Example
// (SPEC.md §8 #13): query t0, response t1, query t2, response t3 ⇒ stream
// from t3, expiring at t3+180 s.
//
// Linux (ProfileLinux, LNX-UDP current code): a packet of a flow that had
// already seen a reply, arriving more than 2 s after the flow's first
// packet, makes it a stream ("Still active after two seconds? Extend
// timeout."). The reply itself does not count as seen until after its own
// packet, so one query and one fast reply stay on the 30 s timeout (§8 #40).
// The stream timeout is Timeouts.UDPStream (LinuxTimeouts gives Linux's
// 120 s).
//
// Entry bits used: flagSeenReply, flagStream, flagPending (an original
// packet awaits a reply) and a two-bit saturating transaction count. For the
// Linux profile, entry.aux holds the flow's age in nanoseconds, saturating
// at about 4.29 s, which is all the 2-second test needs; it is accumulated
// packet by packet, so the entry needs no creation time.

// linuxUDPStreamAge is Linux's stream_ts offset: 2 seconds after the first
// packet (LNX-UDP).
const linuxUDPStreamAge = 2 * time.Second

// udpStep advances a UDP entry by one packet in direction dir at now,
// before e.lastSeen is set to now.
func udpStep(e *entry, dir Dir, now packet.Time, profile Profile) {
	if profile == ProfileLinux {
		age := uint64(e.aux) + uint64(max(now-e.lastSeen, 0))
		e.aux = uint32(min(age, math.MaxUint32))
		if e.flags&flagSeenReply != 0 && time.Duration(e.aux) > linuxUDPStreamAge {
			e.flags |= flagStream
		}
		if dir == Reply {
			e.flags |= flagSeenReply
		}
		return
	}
	if dir == Original {
		e.flags |= flagPending
		return
	}
	e.flags |= flagSeenReply
	if e.flags&flagPending == 0 {
		return // a second reply to the same request
	}
	e.flags &^= flagPending
	if tx := (e.flags & txMask) >> txShift; tx < 2 {
		tx++
		e.flags = e.flags&^txMask | tx<<txShift
		if tx == 2 {
			e.flags |= flagStream
		}
	}
}

// udpState reports a UDP entry's State.
func udpState(flags uint8) State {
	switch {
	case flags&flagStream != 0:
		return StateStream
	case flags&flagSeenReply != 0:
		return StateReplied
	}
	return StateUnreplied
}
