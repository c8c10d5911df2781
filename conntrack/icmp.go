package conntrack

import "github.com/ctsim/ctsim/sim/packet"

// ICMP tracking (SPEC.md §2.1 CT8, §2.7, §5.4).
//
// "ICMP traffic is always tracked" (CT8) but AWS documents no ICMP timeout;
// Timeouts.ICMP defaults to Linux's icmp_timeout, 30 s (SPEC.md §5.1).
//
// Keys:
//   - Echo request and reply (ICMP 8/0, ICMPv6 128/129) are keyed by the two
//     addresses and the identifier, as packet.Tuple does: the request
//     creates the entry, the reply travels in the Reply direction.
//   - Other informational messages that come in request/reply pairs
//     (timestamp 13/14, information 15/16, address mask 17/18, router
//     solicitation/advertisement 10/9; ICMPv6 router 133/134, neighbour
//     135/136, node information 139/140) are keyed by the addresses and the
//     message class, so a timestamp reply finds its request's entry but does
//     not open the echo flow. Unpaired types form a class of their own.
//   - ICMP errors (ICMP 3, 4, 5, 11, 12; ICMPv6 1–4) never create an entry
//     (Insert refuses them, like Linux, where an error that relates to no
//     connection is INVALID). They are looked up by the flow they quote with
//     LookupRelated.
//
// Related errors: Linux admits an ICMP error quoting a tracked flow as
// RELATED (SPEC.md §5.4). AWS does not: "If you don't explicitly configure
// an ICMP inbound rule for your security group, PMTUD is blocked" (§2.7).
// The table only finds the quoted flow; the caller decides from
// Config.Profile whether that admits the error (ProfileLinux) or not
// (ProfileAWS). Related packets never refresh the entry they relate to, as
// in Linux, where the error is accounted to no connection's timer.

// icmpClassPorts returns the two key ports of a non-echo ICMP message: the
// requester's side gets the class (the request type), the responder's side
// gets the class with bit 8 set, so the two ports always differ (echo keys
// have equal ports) and a reply, travelling the other way, builds the same
// key as its request.
func icmpClassPorts(proto, typ uint8) (sport, dport uint16) {
	class, reply := icmpClass(proto, typ)
	req, resp := uint16(class), uint16(class)|0x100
	if reply {
		return resp, req
	}
	return req, resp
}

// icmpClass maps an ICMP type to its request/reply class: the request's
// type, and whether typ is the reply half.
func icmpClass(proto, typ uint8) (class uint8, reply bool) {
	if proto == packet.ProtoICMP {
		switch typ {
		case 14, 16, 18: // timestamp, information, address mask replies
			return typ - 1, true
		case 9: // router advertisement answers solicitation 10
			return 10, true
		}
		return typ, false
	}
	switch typ {
	case 134, 136, 140: // router advertisement, neighbour advertisement, node information reply
		return typ - 1, true
	}
	return typ, false
}

// isICMPProto reports whether proto is ICMP or ICMPv6.
func isICMPProto(proto uint8) bool {
	return proto == packet.ProtoICMP || proto == packet.ProtoICMPv6
}

// LookupRelated finds the entry of the flow that the ICMP error p quotes
// (p.Inner, in the direction of the quoted packet). The error travels
// against the quoted packet, so Match.Dir is the reverse of the quoted
// tuple's direction relative to the entry: an error quoting an
// original-direction packet arrives in the Reply direction. Match.Related is
// set when found.
//
// Like Lookup, it removes an entry that has expired at now and reports it.
// It returns an empty Match when p is not an ICMP error or quotes nothing.
// The AWS profile never admits errors as related (SPEC.md §2.7); that
// decision is the caller's, from Config.Profile. It does not allocate.
func (t *Table) LookupRelated(p *packet.Packet, now packet.Time) Match {
	if !p.IsICMPError() || !p.Inner.IsValid() {
		return Match{}
	}
	k, innerIsA := keyOfTuple(p.Inner)
	m := t.LookupHashed(&k, k.hash(hashSeed), !innerIsA, now)
	m.Related = m.Found
	return m
}
