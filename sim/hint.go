package sim

import (
	"fmt"
	"github.com/ctsim/ctsim/conntrack"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// hint explains a flow's first drop in plain words, from the drop's Step and
// the packet that met it. Every reason gets a sentence; reasons without a
// more specific one fall back to Reason.Hint.
func (e *Engine) hint(fl *flowState, fd *flowDrop) string {
	st := &fd.drop.Step
	p := &fd.packet
	switch st.Reason {
	case firewall.ReasonNACLDefaultDeny, firewall.ReasonNACLDeny:
		return e.naclHint(st, p, fd.rules)
	case firewall.ReasonSGNoRule:
		h := e.sgHint(st, p)
		if fl.class&clsUntracked != 0 && fd.drop.Packet > 1 {
			h += "; the flow was untracked (all-open rules both ways), so it was judged by the rules on every packet and cut as soon as the rule that allowed it went (CT7)"
		}
		return h
	case firewall.ReasonTrackingExpired:
		return e.expiredHint(st, p, fd)
	case firewall.ReasonAllowanceExceeded:
		if i := e.interfaceIndex(st.Where); i >= 0 && e.net.ifaces[i].table != nil {
			f := &e.net.ifaces[i]
			return fmt.Sprintf("ENI %s has %d of %d tracked connections in use, so the new %s connection could not be tracked and its packets are dropped (conntrack_allowance_exceeded)",
				f.name, f.allowance, f.allowance, packet.ProtoName(p.Proto))
		}
	case firewall.ReasonICMPErrorNotRelated:
		return fmt.Sprintf("the ICMP %s quoting %s matches no inbound rule of %s; AWS security groups do not admit ICMP errors as related to a tracked connection, so path MTU discovery breaks unless an inbound ICMP rule allows it",
			packet.ICMPName(p.Proto, p.ICMPType, p.ICMPCode), p.Inner, e.groupsOf(st.Where))
	case firewall.ReasonNeverSent:
		return "the flow's first packet was dropped, so in reality the responder would never have sent this; the capture shows it only because the rules differed when it was taken"
	case firewall.ReasonFragmentOrphan:
		return "a later IP fragment arrived without its first fragment, so its ports are unknown and it cannot be matched against the rules"
	case firewall.ReasonFragment:
		return "this later IP fragment follows its first fragment, which was dropped"
	case firewall.ReasonGatewayUnsolicited:
		to := p.Dst.String()
		if i := e.net.lookup(p.Dst); i >= 0 {
			to = e.net.ifaces[i].name
		}
		return fmt.Sprintf("%s was started outside the VPC; %s has no public address of its family and is reached only through %s, which lets in only the replies of connections started from inside the VPC (SPEC.md §6)",
			describePacket(p), to, st.Where)
	}
	return st.Reason.Hint()
}

// naclHint explains a network ACL drop; for a reply to an ephemeral port it
// names the client's OS range and the allow rules that miss the port, as
// they stood in rs, the rules in force at the drop.
func (e *Engine) naclHint(st *Step, p *Packet, rs *firewall.RuleSet) string {
	dir := naclDir(st.Direction == firewall.Egress)
	acl := st.Rule.Filter
	var b strings.Builder
	if st.Reason == firewall.ReasonNACLDeny {
		fmt.Fprintf(&b, "%s %s rule %d denies %s (%s); network ACLs are stateless and the lowest-numbered matching rule wins",
			acl, dir, st.Rule.Number, describePacket(p), st.Rule.Text)
		return b.String()
	}
	if !packet.HasPorts(p.Proto) {
		fmt.Fprintf(&b, "%s matches no %s rule of %s, so the default \"*\" rule denies it", describePacket(p), dir, acl)
		if p.IsICMP() {
			b.WriteString("; network ACLs are stateless, so ICMP replies and errors need their own rule")
		}
		return b.String()
	}
	port := p.DstPort
	// Is the destination port an ephemeral port of the receiving host?
	host := e.net.lookup(p.Dst)
	osName := ""
	if host >= 0 {
		osName = e.net.ifaces[host].os
	}
	ephemeral := false
	if r, ok := packet.EphemeralRange(osName); ok && r.Contains(port) && port >= 1024 {
		ephemeral = true
		fmt.Fprintf(&b, "return traffic to ephemeral port %d (%s range %d–%d) matches no %s rule of %s",
			port, osName, r.Lo, r.Hi, dir, acl)
	} else if port >= 1024 && p.SrcPort < 1024 {
		ephemeral = true
		fmt.Fprintf(&b, "return traffic to port %d matches no %s rule of %s", port, dir, acl)
	} else {
		fmt.Fprintf(&b, "%s to port %d matches no %s rule of %s", packet.ProtoName(p.Proto), port, dir, acl)
	}
	if n := rs.NACL(acl); n != nil {
		// Name the allow rules of the packet's protocol and family that
		// miss it: by port (the usual ephemeral-port mistake) or by peer.
		peer := p.Src
		if st.Direction == firewall.Egress {
			peer = p.Dst
		}
		var ports, peers []string
		for _, en := range n.Entries(st.Direction) {
			r := &en.Entry
			if en.Default || r.Action != firewall.Allow || int(r.Protocol) != int(p.Proto) || r.CIDR.Addr().Is4() != peer.Is4() {
				continue
			}
			if port < uint16(max(r.FromPort, 0)) || int32(port) > r.ToPort {
				ports = append(ports, fmt.Sprintf("rule %d allows %s %s", r.Number, packet.ProtoName(p.Proto), portRange(r.FromPort, r.ToPort)))
			} else if !r.CIDR.Contains(peer) {
				peers = append(peers, fmt.Sprintf("rule %d covers the port but only %s %s", r.Number, toFrom(r.Egress), r.CIDR))
			}
		}
		if len(ports) > 0 {
			b.WriteString("; ")
			b.WriteString(strings.Join(ports, ", "))
			b.WriteString(" only")
		}
		if len(peers) > 0 {
			b.WriteString("; ")
			b.WriteString(strings.Join(peers, "; "))
		}
	}
	if ephemeral {
		b.WriteString("; network ACLs are stateless, so replies need a rule covering the client's ephemeral ports")
	}
	return b.String()
}

// sgHint explains a security group drop for lack of a rule.
func (e *Engine) sgHint(st *Step, p *Packet) string {
	peer, word := p.Src, "from"
	if st.Direction == firewall.Egress {
		peer, word = p.Dst, "to"
	}
	what := packet.ProtoName(p.Proto)
	switch {
	case packet.HasPorts(p.Proto) && p.Proto != packet.ProtoSCTP:
		what += " " + strconv.Itoa(int(p.DstPort))
	case p.IsICMP():
		what += " " + packet.ICMPName(p.Proto, p.ICMPType, p.ICMPCode)
	}
	return fmt.Sprintf("no rule of %s allows %s %s %s (%s); security groups only allow, so anything no rule allows is dropped",
		e.groupsOf(st.Where), what, word, peer, st.Direction)
}

// expiredHint explains a drop after the flow's tracking entry expired,
// naming the idle timeouts in force at the drop.
func (e *Engine) expiredHint(st *Step, p *Packet, fd *flowDrop) string {
	idle := ""
	if tm := &fd.tm; fd.tmOK {
		switch p.Proto {
		case packet.ProtoUDP:
			idle = fmt.Sprintf(" (UDP idle timeout %s, stream timeout %s)", packet.FormatSeconds(tm.UDP), packet.FormatSeconds(tm.UDPStream))
		case packet.ProtoTCP:
			state := fd.state
			if state == conntrack.StateNone {
				state = conntrack.StateEstablished
			}
			idle = fmt.Sprintf(" (TCP %s idle timeout %s)", tcpStateWords(state), packet.FormatSeconds(tm.ForState(state)))
		case packet.ProtoICMP, packet.ProtoICMPv6:
			idle = fmt.Sprintf(" (ICMP timeout %s)", packet.FormatSeconds(tm.ICMP))
		default:
			idle = fmt.Sprintf(" (timeout %s for protocols other than TCP, UDP and ICMP)", packet.FormatSeconds(tm.Other))
		}
	}
	return fmt.Sprintf("the %s tracking entry on %s expired at %s%s; the packet at %s matched no %s rule of %s",
		strings.ToUpper(packet.ProtoName(p.Proto)), st.Where, st.ExpiredAt, idle, p.At, st.Direction, e.groupsOf(st.Where))
}

// groupsOf returns the groups of interface name, comma-separated.
func (e *Engine) groupsOf(name string) string {
	if i := e.interfaceIndex(name); i >= 0 {
		if g := e.inv.Interfaces[i].Groups; len(g) > 0 {
			return strings.Join(g, ", ")
		}
	}
	return name + "'s security groups"
}

// describePacket names a packet's protocol, ports and addresses in words.
func describePacket(p *Packet) string {
	t := p.Tuple()
	return t.String()
}

// toFrom returns "to" for an outbound rule's peer, "from" for an inbound one.
func toFrom(egress bool) string {
	if egress {
		return "to"
	}
	return "from"
}

func portRange(from, to int32) string {
	if from == to {
		return strconv.Itoa(int(from))
	}
	if from == 0 && to == 65535 || from == -1 {
		return "all ports"
	}
	return strconv.Itoa(int(from)) + "-" + strconv.Itoa(int(to))
}

func protoText(p firewall.Protocol) string {
	if p == firewall.ProtoAll {
		return "all"
	}
	return packet.ProtoName(uint8(p))
}

// writeMatch writes what a rule matches: the protocol, then the ports of
// TCP and UDP or the type and code of ICMP (-1: any).
func writeMatch(b *strings.Builder, proto firewall.Protocol, from, to, icmpType, icmpCode int32) {
	b.WriteString(protoText(proto))
	switch proto {
	case firewall.Protocol(packet.ProtoTCP), firewall.Protocol(packet.ProtoUDP):
		b.WriteString(" " + portRange(from, to))
	case firewall.Protocol(packet.ProtoICMP), firewall.Protocol(packet.ProtoICMPv6):
		if icmpType >= 0 {
			fmt.Fprintf(b, " type %d", icmpType)
			if icmpCode >= 0 {
				fmt.Fprintf(b, " code %d", icmpCode)
			}
		}
	}
}

// describeSGRule formats a rule for a change's description.
func describeSGRule(r *firewall.SGRule, dir firewall.Direction) string {
	var b strings.Builder
	// A security group rule's ICMP type and code are its port fields.
	writeMatch(&b, r.Protocol, r.FromPort, r.ToPort, r.FromPort, r.ToPort)
	if dir == firewall.Egress {
		b.WriteString(" to ")
	} else {
		b.WriteString(" from ")
	}
	switch {
	case r.Group != "":
		b.WriteString(r.Group)
	case r.PrefixList != "":
		b.WriteString(r.PrefixList)
	default:
		b.WriteString(r.CIDR.String())
	}
	return b.String()
}

// describeNACLEntry formats an entry for a change's description.
func describeNACLEntry(n *firewall.NACLEntry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s ", n.Number, n.Action)
	writeMatch(&b, n.Protocol, n.FromPort, n.ToPort, n.ICMPType, n.ICMPCode)
	if n.Egress {
		b.WriteString(" to ")
	} else {
		b.WriteString(" from ")
	}
	b.WriteString(n.CIDR.String())
	return b.String()
}

// tcpStateWords names a TCP state for a hint: "established", or the
// conntrack state name for the closing and opening states ("TIME_WAIT").
func tcpStateWords(s conntrack.State) string {
	if s == conntrack.StateEstablished {
		return "established"
	}
	return s.String()
}
