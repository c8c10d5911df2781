package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
)

// Widths at which long table cells wrap (table format only).
const (
	wrapHint = 50
	wrapRule = 32
)

// flowColumns are the flow table's header (table and markdown formats).
var flowColumns = []string{"#", "flow: initiator → responder", "packets, bytes out/back",
	"seen", "verdict", "where and rule", "hint"}

// flowKeys are the flow table's CSV header: one value per cell, nothing to
// split.
var flowKeys = []string{"id", "name", "flow", "proto", "initiator", "responder",
	"packets_out", "packets_back", "bytes_out", "bytes_back",
	"forwarded_out", "forwarded_back", "dropped_out", "dropped_back",
	"first_seen", "last_seen", "tracked", "verdict",
	"drop_packet", "drop_frame", "drop_at", "drop_where", "drop_filter", "drop_direction",
	"drop_reason", "drop_rule", "hint"}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// verdictText is a flow's verdict in words: "allowed", "dropped from packet
// 4" (with the capture frame in a replay), "blocked".
func verdictText(f *sim.Flow) string {
	switch f.Verdict {
	case sim.Dropped:
		if f.FirstDrop == nil {
			return "dropped"
		}
		s := "dropped from packet " + strconv.Itoa(f.FirstDrop.Packet)
		if f.FirstDrop.Frame != 0 {
			s += " (frame " + u64(f.FirstDrop.Frame) + ")"
		}
		return s
	case sim.Blocked:
		if f.FirstDrop != nil && f.FirstDrop.Frame != 0 {
			return "blocked (frame " + u64(f.FirstDrop.Frame) + ")"
		}
	}
	return string(f.Verdict)
}

// directionWord names a step's direction as AWS does for the filter:
// security groups have ingress/egress rules, network ACLs inbound/outbound.
func directionWord(st *sim.Step) string {
	if st.Filter == sim.FilterNACL {
		if st.Direction == firewall.Egress {
			return "outbound"
		}
		return "inbound"
	}
	return st.Direction.String()
}

// whereText says where a step happened: "web sg ingress", "public nacl
// outbound".
func whereText(st *sim.Step) string {
	parts := make([]string, 0, 3)
	if st.Where != "" && st.Where != st.Filter {
		parts = append(parts, st.Where)
	}
	parts = append(parts, st.Filter)
	if st.Filter == sim.FilterSG || st.Filter == sim.FilterNACL {
		parts = append(parts, directionWord(st))
	}
	return strings.Join(parts, " ")
}

// ruleText names the rule of a step: "acl-web rule *: deny all", "sg-web
// sgr-1: tcp 22 from 203.0.113.1/32", or the reason token when no rule
// decided.
func ruleText(st *sim.Step) string {
	r := st.Rule
	if r.IsZero() {
		return st.Reason.String()
	}
	switch r.Kind {
	case firewall.RuleNACLDefault, firewall.RuleNACL:
		// The text starts with the rule number: "140 allow tcp …", "* deny all …".
		if r.Text != "" {
			return r.Filter + " rule " + r.Text
		}
		if r.Kind == firewall.RuleNACLDefault {
			return r.Filter + " rule *"
		}
		return r.Filter + " rule " + strconv.Itoa(int(r.Number))
	}
	if r.Text != "" {
		// Security group rule texts name the group, the direction and the
		// rule ID themselves.
		return r.Text
	}
	if r.ID != "" {
		return r.Filter + " " + r.ID
	}
	return r.Filter
}

// flowsSection renders flows as the flow table, its rows made one at a
// time as they are written.
func flowsSection(flows []sim.Flow) section {
	each := func(yield func([]string) bool) {
		row := make([]string, len(flowColumns))
		for i := range flows {
			f := &flows[i]
			name := f.Initiator + " → " + f.Responder + "\n" + f.Key
			if f.Name != "" {
				name = f.Name + ": " + name
			}
			var where string
			if f.FirstDrop != nil {
				where = whereText(&f.FirstDrop.Step) + "\n" + ruleText(&f.FirstDrop.Step)
			}
			row[0], row[1] = strconv.Itoa(f.ID), name
			row[2] = u64(f.PacketsOut) + "/" + u64(f.PacketsBack) + " packets\n" + u64(f.BytesOut) + "/" + u64(f.BytesBack) + " bytes"
			row[3] = f.FirstSeen.String() + "–" + f.LastSeen.String()
			row[4], row[5], row[6] = verdictText(f), where, f.Hint
			if !yield(row) {
				return
			}
		}
	}
	return section{
		Title:   "Flows",
		Columns: flowColumns,
		Each:    each,
		Wrap:    map[int]int{4: 14, 5: wrapRule, 6: wrapHint},
		Color:   map[int]func(string) string{4: verdictColor},
	}
}

// flowsCSV renders flows as flat CSV rows, one value per cell, made one at
// a time as they are written.
func flowsCSV(flows []sim.Flow) section {
	each := func(yield func([]string) bool) {
		row := make([]string, 0, len(flowKeys))
		for i := range flows {
			f := &flows[i]
			row = append(row[:0], strconv.Itoa(f.ID), f.Name, f.Key, f.Proto, f.Initiator, f.Responder,
				u64(f.PacketsOut), u64(f.PacketsBack), u64(f.BytesOut), u64(f.BytesBack),
				u64(f.ForwardedOut), u64(f.ForwardedBack), u64(f.DroppedOut), u64(f.DroppedBack),
				f.FirstSeen.String(), f.LastSeen.String(), f.Tracked, string(f.Verdict))
			if d := f.FirstDrop; d != nil {
				row = append(row, strconv.Itoa(d.Packet), frameText(d.Frame), d.At.String(), d.Step.Where,
					d.Step.Filter, directionWord(&d.Step), d.Step.Reason.String(), ruleText(&d.Step))
			} else {
				row = append(row, "", "", "", "", "", "", "", "")
			}
			row = append(row, f.Hint)
			if !yield(row) {
				return
			}
		}
	}
	return section{Title: "Flows", Columns: flowKeys, Each: each}
}

func frameText(n uint64) string {
	if n == 0 {
		return ""
	}
	return u64(n)
}

func verdictColor(cell string) string {
	switch {
	case cell == string(sim.Allowed):
		return ansiGreen
	case strings.HasPrefix(cell, string(sim.Blocked)):
		return ansiRed
	case strings.HasPrefix(cell, string(sim.Dropped)):
		return ansiYellow
	}
	return ""
}

// packetsTitle is the title of the summary's first section.
const packetsTitle = "Packets"

// packetsSection renders the packet totals: forwarded and dropped, by
// filter and reason.
func packetsSection(s *sim.Summary) section {
	rows := [][]string{{"read", u64(s.Read)}, {"forwarded", u64(s.Forwarded)}}
	for _, c := range s.ForwardedBy {
		rows = append(rows, []string{"  forwarded: " + c.Key, u64(c.Count)})
	}
	rows = append(rows, []string{"dropped", u64(s.Dropped)})
	for _, c := range s.DroppedBy {
		rows = append(rows, []string{"  dropped at " + strings.Replace(c.Key, ":", ": ", 1), u64(c.Count)})
	}
	return section{
		Title:   packetsTitle,
		Columns: []string{"packets", "count"},
		Rows:    rows,
		Notes: []string{fmt.Sprintf("%d flows: %d allowed, %d dropped, %d blocked; %d conntrack entries expired; simulated until %s.",
			s.Flows, s.FlowsAllowed, s.FlowsDropped, s.FlowsBlocked, s.Expired, s.End)},
	}
}

// summarySections renders the totals, the per-interface conntrack counters
// and the applied changes.
func summarySections(res *sim.Result) []section {
	out := []section{packetsSection(&res.Summary)}
	ifRows := make([][]string, 0, len(res.Interfaces))
	for _, in := range res.Interfaces {
		allowance, avail := "unlimited", "-"
		if in.Allowance > 0 {
			allowance = strconv.Itoa(in.Allowance)
			avail = strconv.Itoa(in.AllowanceAvailable)
		}
		ifRows = append(ifRows, []string{in.Name, in.ID, u64(in.Forwarded), u64(in.Dropped),
			strconv.Itoa(in.PeakEntries), strconv.Itoa(in.Entries), u64(in.Inserted), u64(in.Expired),
			allowance, u64(in.AllowanceExceeded), avail})
	}
	out = append(out, section{
		Title: "Interfaces (security groups and connection tracking)",
		Columns: []string{"ENI", "id", "forwarded", "dropped", "peak entries", "entries at end", "inserted",
			"expired", "allowance", "allowance exceeded", "allowance available"},
		Rows: ifRows,
	})
	if len(res.Changes) > 0 {
		chRows := make([][]string, 0, len(res.Changes))
		for _, c := range res.Changes {
			chRows = append(chRows, []string{c.At.String(), c.Effective.String(), c.Kind, c.Description, c.Note})
		}
		out = append(out, section{
			Title:   "Changes",
			Columns: []string{"at", "effective", "change", "what", "note"},
			Rows:    chRows,
			Wrap:    map[int]int{3: wrapHint, 4: 40},
		})
	}
	return out
}
