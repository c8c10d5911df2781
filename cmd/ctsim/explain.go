package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
)

// stepWords says in a few plain words why a step decided as it did. The
// full sentence of each reason is firewall.Reason.Hint; the trace uses
// these shorter forms so that one step fits a line.
func stepWords(st *sim.Step) string {
	switch st.Reason {
	case firewall.ReasonSGRule:
		return "a rule allows it; the connection is tracked"
	case firewall.ReasonSGRuleUntracked:
		return "a rule allows it; untracked, so every packet is judged by the rules"
	case firewall.ReasonSGNoRule:
		return "no rule allows it (security groups are allow-only)"
	case firewall.ReasonTracked:
		return "a tracked connection lets it through, whatever the rules say"
	case firewall.ReasonTrackingExpired:
		return "its tracking entry expired at " + st.ExpiredAt.String() + " and no rule allows it"
	case firewall.ReasonAllowanceExceeded:
		return "the conntrack allowance is used up: no new connection can be tracked"
	case firewall.ReasonICMPErrorNotRelated:
		return "AWS does not admit ICMP errors as related to a tracked connection"
	case firewall.ReasonICMPErrorRelated:
		return "admitted as related to a tracked connection (linux profile)"
	case firewall.ReasonNACLAllow:
		return "the first matching rule allows it"
	case firewall.ReasonNACLDeny:
		return "the first matching rule denies it"
	case firewall.ReasonNACLDefaultDeny:
		return `no numbered rule matches, so "*" denies it (network ACLs are stateless)`
	case firewall.ReasonSameSubnet:
		return "same subnet: network ACLs are not evaluated"
	case firewall.ReasonNotFiltered:
		return "AWS does not filter this service address"
	case firewall.ReasonNoFilter:
		return "outside the VPC: no filter of its own"
	case firewall.ReasonFragment:
		return "a later fragment follows its first fragment's verdict"
	case firewall.ReasonFragmentOrphan:
		return "a later fragment without its first: ports unknown"
	case firewall.ReasonNeverSent:
		return "would never have been sent: its flow was blocked"
	}
	return st.Reason.Hint()
}

// stepLine formats one step of a trace: where, action, the rule and why.
func stepLine(n int, st *sim.Step) string {
	var b strings.Builder
	if st.Reason == firewall.ReasonNone && st.Note != "" {
		// A step that decides nothing states a fact (the internet
		// gateway's address translation).
		fmt.Fprintf(&b, "%d. %s: %s", n, whereText(st), st.Note)
		return b.String()
	}
	fmt.Fprintf(&b, "%d. %s: %s", n, whereText(st), st.Action)
	switch {
	case st.Reason == firewall.ReasonSGNoRule:
		// The "rule" is the groups' implicit default deny: name the groups.
		if st.Rule.Filter != "" {
			b.WriteString(" — no rule of " + st.Rule.Filter + " allows it (security groups are allow-only)")
		} else {
			b.WriteString(" — " + stepWords(st))
		}
	case !st.Rule.IsZero():
		b.WriteString(" by " + ruleText(st) + " — " + stepWords(st))
	default:
		b.WriteString(" — " + stepWords(st))
	}
	if st.Note != "" {
		b.WriteString(" [" + st.Note + "]")
	}
	return b.String()
}

// flowLabel names a flow in a trace: "flow 3 (xp-browse)".
func flowLabel(id int, names map[int]string) string {
	s := "flow " + strconv.Itoa(id)
	if n := names[id]; n != "" {
		s += " (" + n + ")"
	}
	return s
}

// traceLines renders packet records as the explain trace: one header line
// per packet in simulated time, then every check it met, in order.
func traceLines(recs []sim.PacketRecord, flows []sim.Flow) []string {
	names := make(map[int]string, len(flows))
	for _, f := range flows {
		names[f.ID] = f.Name
	}
	lines := make([]string, 0, len(recs)*3)
	for i := range recs {
		r := &recs[i]
		verdict := "forwarded"
		if !r.Forwarded {
			verdict = "DROPPED"
		}
		head := fmt.Sprintf("%-9s packet %d", r.At, r.N)
		if r.Frame != 0 {
			head += fmt.Sprintf(" (frame %d)", r.Frame)
		}
		head += fmt.Sprintf(", %s: %s, %d bytes → %s", flowLabel(r.Flow, names), r.Packet, r.Length, verdict)
		lines = append(lines, head)
		for j := range r.Steps {
			lines = append(lines, "    "+stepLine(j+1, &r.Steps[j]))
		}
	}
	return lines
}

// traceKeys are the CSV header of an explain trace: one row per step.
var traceKeys = []string{"packet", "frame", "at", "flow", "flow_name", "summary", "length", "forwarded",
	"step", "where", "filter", "direction", "action", "reason", "rule", "expired_at", "note"}

// traceSection renders packet records as one row per step (CSV and
// markdown formats of explain).
func traceSection(recs []sim.PacketRecord, flows []sim.Flow) section {
	names := make(map[int]string, len(flows))
	for _, f := range flows {
		names[f.ID] = f.Name
	}
	var rows [][]string
	for i := range recs {
		r := &recs[i]
		for j := range r.Steps {
			st := &r.Steps[j]
			expired := ""
			if st.Reason == firewall.ReasonTrackingExpired {
				expired = st.ExpiredAt.String()
			}
			rule := ""
			if !st.Rule.IsZero() {
				rule = ruleText(st)
			}
			rows = append(rows, []string{u64(r.N), frameText(r.Frame), r.At.String(), strconv.Itoa(r.Flow),
				names[r.Flow], r.Packet, strconv.FormatUint(uint64(r.Length), 10), strconv.FormatBool(r.Forwarded),
				strconv.Itoa(j + 1), st.Where, st.Filter, directionWord(st), st.Action.String(), st.Reason.String(),
				rule, expired, st.Note})
		}
	}
	return section{Title: "Trace", Columns: traceKeys, Rows: rows}
}
