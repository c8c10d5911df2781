package scenarios

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
)

var (
	expectKeys = []string{"flow", "match", "verdict", "where", "from_packet", "from_time", "tracked", "sessions", "note",
		"host", "counter", "min", "max"}
	matchKeys   = []string{"proto", "src", "dst", "src_port", "dst_port"}
	whereKeys   = []string{"filter", "host", "subnet", "group", "acl", "rule", "direction", "reason"}
	counterKeys = []string{"allowance_exceeded", "peak_entries", "entries", "inserted", "expired", "forwarded", "dropped"}
	filters     = []string{sim.FilterSG, sim.FilterNACL, sim.FilterService, sim.FilterNAT, sim.FilterFragment, sim.FilterReplay, sim.FilterNone}
	trackings   = []string{sim.TrackingTracked, sim.TrackingUntracked, sim.TrackingNotFiltered, sim.TrackingMixed}
)

// Expectation is one thing a run must show: either a claim about flows (by
// name or by match) or a bound on an interface counter.
type Expectation struct {
	// Flow names the traffic flow (all its sessions); Match selects flows
	// by their tuple instead. Exactly one is set for a flow expectation.
	Flow  string
	Match *Match
	// Verdict is "allowed" (every packet forwarded), "dropped" (at least
	// one packet dropped) or "blocked" (nothing forwarded); "" for a
	// counter expectation.
	Verdict string
	// Where constrains the step that dropped the first dropped packet.
	Where *Where
	// FromPacket, when > 0, is the 1-based index within the flow of the
	// first dropped packet.
	FromPacket int
	// FromTime, when set (HasFromTime), is the earliest time the first
	// drop may happen: everything before it was forwarded.
	FromTime    time.Duration
	HasFromTime bool
	// Tracked, when set, is the flow's tracking class ("tracked",
	// "untracked", "not_filtered", "mixed").
	Tracked string
	// Any makes a flow expectation hold when any session meets it (default:
	// every session must).
	Any bool
	// Host, Counter, Min and Max make a counter expectation: the
	// interface's counter (InterfaceStats field in snake_case) must be in
	// [Min, Max] (Max < 0: no upper bound).
	Host     string
	Counter  string
	Min, Max int64
	// Note says why, in words; Text is the expectation as written, for
	// reports ("xp-browse dropped at nacl acl-web egress rule *").
	Note, Text string
	Origin     firewall.Origin
}

// Match selects flows by their tuple in the initiator → responder
// direction. Zero fields match anything; Src and Dst hold every address of
// the host named (private and public) or the one address written.
type Match struct {
	Proto            int // -1 = any
	Src, Dst         []netip.Addr
	SrcPort, DstPort uint16
}

// Where constrains a drop step. Empty fields match anything.
type Where struct {
	Filter    string // sim.Filter* name
	Host      string // interface name (security group steps)
	Subnet    string // subnet ID or name (network ACL steps)
	Group     string // security group ID of the deciding rule
	ACL       string // network ACL ID of the deciding rule
	Rule      string // "*", a NACL rule number, or an SG rule ID
	Direction string // "ingress" or "egress"
	Reason    string // firewall.Reason token
}

func (p *parser) expectations(n *yaml.Node) error {
	items, err := p.seq(n, "expect")
	if err != nil {
		return err
	}
	for _, it := range items {
		e, err := p.expectation(it)
		if err != nil {
			return err
		}
		p.s.Expectations = append(p.s.Expectations, e)
	}
	return nil
}

func (p *parser) expectation(n *yaml.Node) (Expectation, error) {
	e := Expectation{Max: -1}
	m, err := p.mapping(n, "expectation", expectKeys...)
	if err != nil {
		return e, err
	}
	e.Origin = p.origin(n)
	if e.Note, err = p.optStr(m, "note"); err != nil {
		return e, err
	}
	if m.has("counter") || m.has("host") {
		return e, p.counterExpectation(m, &e)
	}
	for _, k := range []string{"min", "max"} {
		if v := m.get(k); v != nil {
			return e, p.errAt(v, "%s belongs to a counter expectation (host, counter, min, max)", k)
		}
	}
	fv, mv := m.get("flow"), m.get("match")
	switch {
	case fv != nil && mv != nil:
		return e, p.errAt(mv, "expectation: give flow or match, not both")
	case fv != nil:
		if e.Flow, err = p.str(fv, "flow"); err != nil {
			return e, err
		}
		if _, ok := p.flows[e.Flow]; !ok {
			return e, p.errAt(fv, "flow %q is not defined in traffic; defined: %s", e.Flow, p.flowNames())
		}
		e.Text = e.Flow
	case mv != nil:
		if e.Match, e.Text, err = p.match(mv); err != nil {
			return e, err
		}
	default:
		return e, p.errAt(n, "expectation: give flow (a traffic name), match, or host and counter")
	}
	vv, err := p.require(m, "verdict")
	if err != nil {
		return e, err
	}
	if e.Verdict, err = p.str(vv, "verdict"); err != nil {
		return e, err
	}
	switch e.Verdict {
	case "allowed", "dropped", "blocked":
	default:
		return e, p.errAt(vv, "verdict %q: want allowed, dropped or blocked", e.Verdict)
	}
	e.Text += " " + e.Verdict
	if v := m.get("where"); v != nil {
		if e.Where, err = p.where(v); err != nil {
			return e, err
		}
		e.Text += " at " + e.Where.String()
	}
	if v := m.get("from_packet"); v != nil {
		fp, err := p.integer(v, "from_packet", 1, 1<<31-1)
		if err != nil {
			return e, err
		}
		e.FromPacket = int(fp)
		e.Text += " from packet " + strconv.Itoa(e.FromPacket)
	}
	if v := m.get("from_time"); v != nil {
		if e.FromTime, err = p.duration(v, "from_time"); err != nil {
			return e, err
		}
		e.HasFromTime = true
		e.Text += " from " + packet.FormatSeconds(e.FromTime)
	}
	if e.Verdict == "allowed" {
		for _, k := range []string{"where", "from_packet", "from_time"} {
			if v := m.get(k); v != nil {
				return e, p.errAt(m.keys[k], "%s describes a drop; it does not go with verdict allowed", k)
			}
		}
	}
	if v := m.get("tracked"); v != nil {
		if e.Tracked, err = p.str(v, "tracked"); err != nil {
			return e, err
		}
		if !contains(trackings, e.Tracked) {
			return e, p.errAt(v, "tracked %q: want %s", e.Tracked, strings.Join(trackings, ", "))
		}
		e.Text += ", " + e.Tracked
	}
	if v := m.get("sessions"); v != nil {
		s, err := p.str(v, "sessions")
		if err != nil {
			return e, err
		}
		switch s {
		case "all":
		case "any":
			e.Any = true
		default:
			return e, p.errAt(v, "sessions %q: want all or any", s)
		}
	}
	return e, nil
}

func (p *parser) counterExpectation(m *mapping, e *Expectation) error {
	for _, k := range []string{"flow", "match", "verdict", "where", "from_packet", "from_time", "tracked", "sessions"} {
		if v := m.get(k); v != nil {
			return p.errAt(m.keys[k], "%s does not go with a counter expectation (host, counter, min, max)", k)
		}
	}
	hv, err := p.require(m, "host")
	if err != nil {
		return err
	}
	if e.Host, err = p.str(hv, "host"); err != nil {
		return err
	}
	if h := p.hosts[e.Host]; h == nil || h.External {
		return p.errAt(hv, "host %q is not a host in a subnet; hosts: %s", e.Host, p.hostNames())
	}
	cv, err := p.require(m, "counter")
	if err != nil {
		return err
	}
	if e.Counter, err = p.str(cv, "counter"); err != nil {
		return err
	}
	if !contains(counterKeys, e.Counter) {
		return p.errAt(cv, "counter %q: want %s", e.Counter, strings.Join(counterKeys, ", "))
	}
	if !m.has("min") && !m.has("max") {
		return p.errAt(m.node, "counter expectation: give min, max or both")
	}
	if v := m.get("min"); v != nil {
		if e.Min, err = p.integer(v, "min", 0, 1<<62); err != nil {
			return err
		}
	}
	if v := m.get("max"); v != nil {
		if e.Max, err = p.integer(v, "max", 0, 1<<62); err != nil {
			return err
		}
		if e.Max < e.Min {
			return p.errAt(v, "max %d is below min %d", e.Max, e.Min)
		}
	}
	e.Text = e.Host + " " + e.Counter + " in " + strconv.FormatInt(e.Min, 10) + "–"
	if e.Max >= 0 {
		e.Text += strconv.FormatInt(e.Max, 10)
	} else {
		e.Text += "∞"
	}
	return nil
}

func (p *parser) match(n *yaml.Node) (*Match, string, error) {
	m, err := p.mapping(n, "match", matchKeys...)
	if err != nil {
		return nil, "", err
	}
	mt := &Match{Proto: -1}
	var text []string
	if v := m.get("proto"); v != nil {
		pr, err := p.protocol(v, "proto")
		if err != nil {
			return nil, "", err
		}
		mt.Proto = int(pr)
		text = append(text, protoName(pr))
	}
	for _, k := range []string{"src", "dst"} {
		v := m.get(k)
		if v == nil {
			continue
		}
		lit, h, err := p.endpoint(v, k)
		if err != nil {
			return nil, "", err
		}
		var addrs []netip.Addr
		if lit.IsValid() {
			addrs = []netip.Addr{lit}
		} else {
			addrs = append(addrs, h.Addrs...)
			if ifc := p.iface(h.ID); ifc != nil {
				addrs = append(addrs, ifc.PublicAddrs...)
			}
		}
		if k == "src" {
			mt.Src = addrs
		} else {
			mt.Dst = addrs
		}
		text = append(text, k+"="+v.Value)
	}
	for _, k := range []string{"src_port", "dst_port"} {
		if v := m.get(k); v != nil {
			port, err := p.integer(v, k, 0, 65535)
			if err != nil {
				return nil, "", err
			}
			if k == "src_port" {
				mt.SrcPort = uint16(port)
			} else {
				mt.DstPort = uint16(port)
			}
			text = append(text, k+"="+v.Value)
		}
	}
	return mt, "flows " + strings.Join(text, " "), nil
}

func (p *parser) where(n *yaml.Node) (*Where, error) {
	m, err := p.mapping(n, "where", whereKeys...)
	if err != nil {
		return nil, err
	}
	w := &Where{}
	if w.Filter, err = p.optStr(m, "filter"); err != nil {
		return nil, err
	}
	if w.Filter != "" && !contains(filters, w.Filter) {
		return nil, p.errAt(m.get("filter"), "filter %q: want %s", w.Filter, strings.Join(filters, ", "))
	}
	if w.Host, err = p.optStr(m, "host"); err != nil {
		return nil, err
	}
	if w.Host != "" && p.hosts[w.Host] == nil {
		return nil, p.errAt(m.get("host"), "host %q is not defined; hosts: %s", w.Host, p.hostNames())
	}
	if w.Subnet, err = p.optStr(m, "subnet"); err != nil {
		return nil, err
	}
	if w.Subnet != "" && findSubnet(p.s.Inventory.Subnets, w.Subnet) == nil {
		return nil, p.errAt(m.get("subnet"), "subnet %q is not defined; defined: %s", w.Subnet, p.keys(p.subnets))
	}
	if w.Group, err = p.optStr(m, "group"); err != nil {
		return nil, err
	}
	if w.Group != "" && !p.groups[w.Group] {
		return nil, p.errAt(m.get("group"), "security group %q is not defined; defined: %s", w.Group, p.keys(p.groups))
	}
	if w.ACL, err = p.optStr(m, "acl"); err != nil {
		return nil, err
	}
	if w.ACL != "" && !p.acls[w.ACL] {
		return nil, p.errAt(m.get("acl"), "network ACL %q is not defined; defined: %s", w.ACL, p.keys(p.acls))
	}
	if v := m.get("rule"); v != nil {
		if w.Rule, err = p.str(v, "rule"); err != nil {
			return nil, err
		}
	}
	if v := m.get("direction"); v != nil {
		d, err := p.direction(m)
		if err != nil {
			return nil, err
		}
		w.Direction = d.String()
	}
	if v := m.get("reason"); v != nil {
		if w.Reason, err = p.str(v, "reason"); err != nil {
			return nil, err
		}
		if _, ok := firewall.ParseReason(w.Reason); !ok {
			return nil, p.errAt(v, "reason %q is not a reason token (for example nacl_default_deny, sg_no_matching_rule, conntrack_entry_expired)", w.Reason)
		}
	}
	return w, nil
}

// String formats w as "nacl acl-web egress rule *".
func (w *Where) String() string {
	var parts []string
	for _, s := range []string{w.Filter, w.Host, w.Subnet, w.Group, w.ACL, w.Direction} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if w.Rule != "" {
		parts = append(parts, "rule "+w.Rule)
	}
	if w.Reason != "" {
		parts = append(parts, "("+w.Reason+")")
	}
	return strings.Join(parts, " ")
}
