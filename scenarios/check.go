package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
)

// CheckResult is the outcome of one expectation.
type CheckResult struct {
	Expectation Expectation
	Passed      bool
	// Got says what the run showed, in words ("dropped from packet 4 at
	// 0.03s: nacl acl-web egress rule * (nacl_default_deny)").
	Got string
	// Flow is the ID (sim.Flow.ID) of the flow that contradicts the
	// expectation, or 0.
	Flow int
	// Trace holds the packets of that flow, in order, each with every
	// check it met; empty when the expectation held.
	Trace []sim.PacketRecord
}

// Check checks every expectation of s against a result. The result must
// carry per-packet records (sim.Options.Explain) for CheckResult.Trace to
// be filled.
//
// Check cannot tell a flow the run cut short from one that ran to its end;
// Run can, and fails expectations on such flows (see Outcome).
func (s *Scenario) Check(res *sim.Result) []CheckResult {
	return s.check(res, nil)
}

// check checks every expectation; cut holds the flows the run cut short.
func (s *Scenario) check(res *sim.Result, cut cutFlows) []CheckResult {
	out := make([]CheckResult, 0, len(s.Expectations))
	for _, e := range s.Expectations {
		out = append(out, s.checkOne(e, res, cut))
	}
	return out
}

func (s *Scenario) checkOne(e Expectation, res *sim.Result, cut cutFlows) CheckResult {
	cr := CheckResult{Expectation: e}
	if e.Counter != "" {
		return s.checkCounter(e, res)
	}
	var flows []*sim.Flow
	for i := range res.Flows {
		f := &res.Flows[i]
		if (e.Flow != "" && f.Name == e.Flow) || (e.Match != nil && e.Match.matches(f)) {
			flows = append(flows, f)
		}
	}
	// A flow whose packets were not all simulated proves nothing: its
	// deciding packet may be among those left out.
	names := []string{e.Flow}
	for _, f := range flows {
		names = append(names, f.Name)
	}
	for _, n := range names {
		if c, ok := cut[n]; ok {
			cr.Got = fmt.Sprintf("incomplete: %d of %d packets simulated before the end (duration %s)", c.sent, c.total, packet.FormatSeconds(c.horizon))
			return cr
		}
	}
	if len(flows) == 0 {
		cr.Got = "no such flow ran"
		return cr
	}
	var firstBad *sim.Flow
	var badWhy string
	good := 0
	for _, f := range flows {
		if why := s.flowMeets(e, f); why != "" {
			if firstBad == nil {
				firstBad, badWhy = f, why
			}
		} else {
			good++
		}
	}
	switch {
	case firstBad == nil || (e.Any && good > 0):
		cr.Passed = true
		cr.Got = describeFlow(flows[0])
		if len(flows) > 1 {
			cr.Got = strconv.Itoa(good) + " of " + strconv.Itoa(len(flows)) + " sessions as expected; first: " + cr.Got
		}
	default:
		cr.Got = badWhy
		if len(flows) > 1 {
			cr.Got = "session " + firstBad.Key + ": " + badWhy
		}
		cr.Flow = firstBad.ID
		for _, r := range res.Packets {
			if r.Flow == firstBad.ID {
				cr.Trace = append(cr.Trace, r)
			}
		}
	}
	return cr
}

// flowMeets returns "" when f meets e, else what f did instead.
func (s *Scenario) flowMeets(e Expectation, f *sim.Flow) string {
	got := describeFlow(f)
	switch e.Verdict {
	case "allowed":
		if f.Verdict != sim.Allowed {
			return got
		}
	case "dropped":
		if f.Verdict == sim.Allowed {
			return got
		}
	case "blocked":
		if f.Verdict != sim.Blocked {
			return got
		}
	}
	if e.Tracked != "" && f.Tracked != e.Tracked {
		return got + "; tracking: " + orNone(f.Tracked)
	}
	d := f.FirstDrop
	if d == nil {
		return ""
	}
	if e.FromPacket > 0 && d.Packet != e.FromPacket {
		return got
	}
	if e.HasFromTime && d.At.Time().Duration() < e.FromTime {
		return got
	}
	if e.Where != nil && !s.whereMatches(e.Where, &d.Step) {
		return got
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// describeFlow says what happened to f in one line.
func describeFlow(f *sim.Flow) string {
	if f.FirstDrop == nil {
		return fmt.Sprintf("allowed (%d packets forwarded, %s)", f.ForwardedOut+f.ForwardedBack, orNone(f.Tracked))
	}
	d := f.FirstDrop
	return fmt.Sprintf("%s from packet %d at %s: %s", f.Verdict, d.Packet, d.At, describeStep(&d.Step))
}

// describeStep formats a step as "nacl public egress acl-web rule *
// (nacl_default_deny)".
func describeStep(st *sim.Step) string {
	parts := []string{st.Filter, st.Where}
	if st.Filter == sim.FilterSG || st.Filter == sim.FilterNACL {
		parts = append(parts, st.Direction.String())
	}
	if st.Rule.Filter != "" {
		parts = append(parts, st.Rule.Filter)
	}
	if r := ruleName(st.Rule); r != "" {
		parts = append(parts, "rule "+r)
	}
	parts = append(parts, "("+st.Reason.String()+")")
	return strings.Join(parts, " ")
}

// ruleName returns "*" for a NACL default rule, the number of a NACL rule,
// the ID of an SG rule, or "".
func ruleName(r firewall.RuleRef) string {
	switch r.Kind {
	case firewall.RuleNACLDefault:
		return "*"
	case firewall.RuleNACL:
		return strconv.Itoa(int(r.Number))
	case firewall.RuleSG:
		return r.ID
	}
	return ""
}

func (s *Scenario) whereMatches(w *Where, st *sim.Step) bool {
	if w.Filter != "" && st.Filter != w.Filter {
		return false
	}
	if w.Host != "" {
		h := s.HostByName(w.Host)
		if h == nil || (st.Where != h.Name && st.Where != h.ID) {
			return false
		}
	}
	if w.Subnet != "" {
		sn := findSubnet(s.Inventory.Subnets, w.Subnet)
		if sn == nil || (st.Where != sn.ID && st.Where != sn.Name) {
			return false
		}
	}
	if w.Group != "" && (st.Rule.Kind != firewall.RuleSG || st.Rule.Filter != w.Group) {
		return false
	}
	if w.ACL != "" && st.Rule.Filter != w.ACL {
		return false
	}
	if w.Rule != "" && ruleName(st.Rule) != w.Rule {
		return false
	}
	if w.Direction != "" && st.Direction.String() != w.Direction {
		return false
	}
	if w.Reason != "" && st.Reason.String() != w.Reason {
		return false
	}
	return true
}

func (m *Match) matches(f *sim.Flow) bool {
	t := f.Tuple
	if m.Proto >= 0 && int(t.Proto) != m.Proto {
		return false
	}
	if m.Src != nil && !slices.Contains(m.Src, t.Src) {
		return false
	}
	if m.Dst != nil && !slices.Contains(m.Dst, t.Dst) {
		return false
	}
	if m.SrcPort != 0 && t.SrcPort != m.SrcPort {
		return false
	}
	if m.DstPort != 0 && t.DstPort != m.DstPort {
		return false
	}
	return true
}

func (s *Scenario) checkCounter(e Expectation, res *sim.Result) CheckResult {
	cr := CheckResult{Expectation: e}
	h := s.HostByName(e.Host)
	var st *sim.InterfaceStats
	for i := range res.Interfaces {
		if h != nil && (res.Interfaces[i].Name == h.Name || res.Interfaces[i].ID == h.ID) {
			st = &res.Interfaces[i]
		}
	}
	if st == nil {
		cr.Got = "no such interface in the result"
		return cr
	}
	var v int64
	switch e.Counter {
	case "allowance_exceeded":
		v = int64(st.AllowanceExceeded)
	case "peak_entries":
		v = int64(st.PeakEntries)
	case "entries":
		v = int64(st.Entries)
	case "inserted":
		v = int64(st.Inserted)
	case "expired":
		v = int64(st.Expired)
	case "forwarded":
		v = int64(st.Forwarded)
	case "dropped":
		v = int64(st.Dropped)
	}
	cr.Got = e.Counter + " = " + strconv.FormatInt(v, 10)
	cr.Passed = v >= e.Min && (e.Max < 0 || v <= e.Max)
	return cr
}
