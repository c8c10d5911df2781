package scenarios

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ctsim/ctsim/firewall"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/synth"
)

// Traffic kinds as the YAML spells them, and the synth kinds they map to.
var trafficKinds = []string{"tcp", "udp", "icmp_echo", "icmp_error", "other"}

var (
	flowKeys   = append([]string{"name"}, trafficKinds...)
	commonKeys = []string{"client", "server", "family", "src_port", "dst_port", "start", "count", "every", "poisson",
		"requests", "request_bytes", "response_bytes", "rtt", "think", "idle", "no_reply", "script"}
	kindKeys = map[string][]string{
		"tcp":        append(append([]string{}, commonKeys...), "exchanges", "keepalive", "close"),
		"udp":        append(append([]string{}, commonKeys...), "app"),
		"icmp_echo":  {"client", "server", "family", "id", "start", "count", "every", "poisson", "requests", "request_bytes", "rtt", "think", "idle", "no_reply", "script"},
		"icmp_error": {"from", "quote", "to", "error", "icmp_type", "icmp_code", "start", "count", "every", "poisson"},
		"other":      append(append([]string{}, commonKeys...), "proto"),
	}
	stepKeys = []string{"at", "from", "flags", "bytes"}
)

// udpApps are the UDP applications a flow can name with "app": their
// server port and whether the server answers (SPEC.md §2.4 lists DNS and
// syslog as typical high-rate UDP).
var udpApps = map[string]struct {
	port    uint16
	noReply bool
}{
	"dns":    {53, false},
	"ntp":    {123, false},
	"syslog": {514, true},
	"snmp":   {161, false},
}

// traffic parses the traffic list into synth flow specs.
func (p *parser) traffic(n *yaml.Node) error {
	items, err := p.seq(n, "traffic")
	if err != nil {
		return err
	}
	nameNodes := map[string]*yaml.Node{}
	kindNodes := map[string]*mapping{}
	var quoteNodes []*yaml.Node
	for _, it := range items {
		m, err := p.mapping(it, "traffic flow", flowKeys...)
		if err != nil {
			return err
		}
		name, err := p.reqStr(m, "name")
		if err != nil {
			return err
		}
		if first, dup := nameNodes[name]; dup {
			return p.errAt(m.get("name"), "flow %q is defined twice (first at line %d)", name, first.Line)
		}
		nameNodes[name] = m.get("name")
		kind := ""
		for _, k := range trafficKinds {
			if m.has(k) {
				if kind != "" {
					return p.errAt(m.keys[k], "flow %q: give one of %s, not both %s and %s", name, strings.Join(trafficKinds, ", "), kind, k)
				}
				kind = k
			}
		}
		if kind == "" {
			return p.errAt(it, "flow %q: say what it is: one of %s", name, strings.Join(trafficKinds, ", "))
		}
		f, km, qn, err := p.flow(name, kind, m.get(kind))
		if err != nil {
			return err
		}
		kindNodes[name] = km
		if qn != nil {
			quoteNodes = append(quoteNodes, qn)
		}
		p.flows[name] = len(p.s.Traffic)
		p.s.Traffic = append(p.s.Traffic, f)
		p.s.flowOrigins = append(p.s.flowOrigins, p.origin(it))
	}
	for _, qn := range quoteNodes {
		if _, ok := p.flows[qn.Value]; !ok {
			return p.errAt(qn, "quote: flow %q is not defined; defined: %s", qn.Value, p.flowNames())
		}
	}
	// The generator's own checks, per flow (cheap; the packets themselves
	// are laid out by Run, whose errors name the file).
	for i := range p.s.Traffic {
		f := &p.s.Traffic[i]
		if err := f.Validate(); err != nil {
			return p.synthError(err, kindNodes)
		}
		if f.Kind == synth.ICMPError {
			q := p.s.Traffic[p.flows[f.Quote]]
			if q.Kind == synth.ICMPError {
				return p.errAt(kindNodes[f.Name].get("quote"), "quote: %q is an icmp_error flow itself; errors quote tcp, udp, icmp_echo or other flows", f.Quote)
			}
			if q.Client.Addr.Is4() != f.Client.Addr.Is4() {
				return p.errAt(kindNodes[f.Name].get("from"), "from %s and the quoted flow %q are of different address families", f.Client.Addr, f.Quote)
			}
		}
	}
	return p.planTraffic(nameNodes, kindNodes)
}

// planTraffic lays the flows out without keeping their packets
// (synth.Plan), to report the generator's errors at their flow (the packet
// limit, sessions too far in the future) and to warn about flows whose
// packets fall after the scenario's duration: a run does not simulate
// them, and expectations on those flows fail.
func (p *parser) planTraffic(nameNodes map[string]*yaml.Node, kindNodes map[string]*mapping) error {
	if len(p.s.Traffic) == 0 {
		return nil
	}
	horizon := packet.Time(1<<63 - 1)
	if p.s.Duration > 0 {
		horizon = packet.Time(p.s.Duration)
	}
	infos, until, err := synth.Plan(slices.Clone(p.s.Traffic), p.s.Seed, horizon)
	if err != nil {
		return p.synthError(err, kindNodes)
	}
	if p.s.Duration == 0 {
		return nil
	}
	sent := make([]int, len(p.s.Traffic))
	total := make([]int, len(p.s.Traffic))
	for i, fi := range infos {
		sent[fi.Flow] += until[i]
		total[fi.Flow] += fi.Packets
	}
	for i := range p.s.Traffic {
		if sent[i] < total[i] {
			name := p.s.Traffic[i].Name
			p.warn(nameNodes[name], "flow %q: %d of its %d packets fall after the duration (%s) and are not simulated; expectations on it fail",
				name, total[i]-sent[i], total[i], packet.FormatSeconds(p.s.Duration))
		}
	}
	return nil
}

// synthError places a generator error at the flow and field it names.
func (p *parser) synthError(err error, kindNodes map[string]*mapping) error {
	var fe *synth.FieldError
	if !errors.As(err, &fe) {
		return p.errAt(nil, "traffic: %v", err)
	}
	m := kindNodes[fe.Flow]
	if m == nil {
		return p.errAt(nil, "traffic: %v", err)
	}
	key := fe.Field
	if i := strings.IndexAny(key, ".["); i >= 0 {
		key = key[:i]
	}
	if key == "client" && strings.HasPrefix(m.what, "icmp_error") {
		key = "from"
	}
	if v := m.get(key); v != nil {
		return p.errAt(v, "%v", err)
	}
	return p.errAt(m.node, "%v", err)
}

func (p *parser) flowNames() string {
	set := map[string]bool{}
	for k := range p.flows {
		set[k] = true
	}
	return p.keys(set)
}

// flow parses one flow's kind mapping. For icmp_error it returns the quote
// node, checked once all flows are known.
func (p *parser) flow(name, kind string, n *yaml.Node) (synth.Flow, *mapping, *yaml.Node, error) {
	f := synth.Flow{Name: name}
	m, err := p.mapping(n, kind+" flow "+name, kindKeys[kind]...)
	if err != nil {
		return f, nil, nil, err
	}
	switch kind {
	case "tcp":
		f.Kind = synth.TCP
	case "udp":
		f.Kind = synth.UDP
	case "icmp_echo":
		f.Kind = synth.ICMPEcho
	case "icmp_error":
		f.Kind = synth.ICMPError
	case "other":
		f.Kind = synth.Other
	}
	if err := p.timing(m, &f); err != nil {
		return f, nil, nil, err
	}
	if kind == "icmp_error" {
		qn, err := p.icmpError(m, &f)
		return f, m, qn, err
	}
	if err := p.endpoints(m, &f); err != nil {
		return f, nil, nil, err
	}
	for _, k := range []string{"requests", "exchanges"} {
		if v := m.get(k); v != nil {
			c, err := p.integer(v, k, 1, 1_000_000)
			if err != nil {
				return f, nil, nil, err
			}
			if k == "requests" {
				f.Requests = int(c)
			} else {
				f.Exchanges = int(c)
			}
		}
	}
	for _, k := range []string{"request_bytes", "response_bytes"} {
		if v := m.get(k); v != nil {
			b, err := p.integer(v, k, 0, 65000)
			if err != nil {
				return f, nil, nil, err
			}
			if k == "request_bytes" {
				f.RequestBytes = int(b)
			} else {
				f.ResponseBytes = int(b)
			}
		}
	}
	if f.RTT, err = p.optDuration(m, "rtt"); err != nil {
		return f, nil, nil, err
	}
	if f.Think, err = p.optDuration(m, "think"); err != nil {
		return f, nil, nil, err
	}
	if f.Idle, err = p.optDuration(m, "idle"); err != nil {
		return f, nil, nil, err
	}
	if f.Keepalive, err = p.optDuration(m, "keepalive"); err != nil {
		return f, nil, nil, err
	}
	if f.NoReply, err = p.optBool(m, "no_reply"); err != nil {
		return f, nil, nil, err
	}
	if v := m.get("close"); v != nil {
		c, err := p.str(v, "close")
		if err != nil {
			return f, nil, nil, err
		}
		if c != synth.CloseFIN && c != synth.CloseRST && c != synth.CloseNone {
			return f, nil, nil, p.errAt(v, "close %q: want fin, rst or none", c)
		}
		f.Close = c
	}
	if v := m.get("id"); v != nil {
		id, err := p.integer(v, "id", 1, 65535)
		if err != nil {
			return f, nil, nil, err
		}
		f.ID = uint16(id)
	}
	if v := m.get("app"); v != nil {
		app, err := p.str(v, "app")
		if err != nil {
			return f, nil, nil, err
		}
		a, ok := udpApps[app]
		if !ok {
			return f, nil, nil, p.errAt(v, "app %q is not known; known: dns, ntp, snmp, syslog", app)
		}
		if f.DstPort == 0 {
			f.DstPort = a.port
		}
		if a.noReply && !m.has("no_reply") {
			f.NoReply = true
		}
	}
	if v := m.get("proto"); v != nil {
		pr, err := p.protocol(v, "proto")
		if err != nil {
			return f, nil, nil, err
		}
		switch {
		case pr < 0:
			return f, nil, nil, p.errAt(v, "proto: an other flow needs one protocol, not all")
		case isPortProto(pr) || isICMPProto(pr):
			return f, nil, nil, p.errAt(v, "proto %s has a flow kind of its own (tcp, udp, icmp_echo)", protoName(pr))
		}
		f.Proto = uint8(pr)
	} else if kind == "other" {
		return f, nil, nil, p.errAt(m.node, "other flow %s: proto is required (gre, esp, sctp or a number)", name)
	}
	needPort := kind == "tcp" || kind == "udp" || (kind == "other" && packet.HasPorts(f.Proto))
	if needPort && f.DstPort == 0 {
		return f, nil, nil, p.errAt(m.node, "%s flow %s: dst_port is required", kind, name)
	}
	if !needPort {
		for _, k := range []string{"src_port", "dst_port"} {
			if v := m.get(k); v != nil {
				return f, nil, nil, p.errAt(v, "%s: %s flows have no ports", k, kind)
			}
		}
	}
	if v := m.get("script"); v != nil {
		if f.Script, err = p.script(v, kind); err != nil {
			return f, nil, nil, err
		}
	}
	return f, m, nil, nil
}

// timing reads start, count, every and poisson.
func (p *parser) timing(m *mapping, f *synth.Flow) error {
	var err error
	if f.Start, err = p.optDuration(m, "start"); err != nil {
		return err
	}
	if v := m.get("count"); v != nil {
		c, err := p.integer(v, "count", 1, 1_000_000)
		if err != nil {
			return err
		}
		f.Count = int(c)
	}
	if f.Every, err = p.optDuration(m, "every"); err != nil {
		return err
	}
	f.Poisson, err = p.optBool(m, "poisson")
	return err
}

// endpoints resolves client and server (host names or addresses), picks
// the family and reads the ports.
func (p *parser) endpoints(m *mapping, f *synth.Flow) error {
	cv, err := p.require(m, "client")
	if err != nil {
		return err
	}
	sv, err := p.require(m, "server")
	if err != nil {
		return err
	}
	fam := 0
	if v := m.get("family"); v != nil {
		fv, err := p.integer(v, "family", 4, 6)
		if err != nil || fv == 5 {
			return p.errAt(v, "family: want 4 or 6")
		}
		fam = int(fv)
	}
	cl, ch, err := p.endpoint(cv, "client")
	if err != nil {
		return err
	}
	sl, sh, err := p.endpoint(sv, "server")
	if err != nil {
		return err
	}
	// A literal address fixes the family; else "family", else the
	// client's first address.
	why := ""
	switch {
	case fam != 0:
		why = "family: " + strconv.Itoa(fam)
	case cl.IsValid():
		fam, why = famOf(cl), "the client is "+cl.String()
	case sl.IsValid():
		fam, why = famOf(sl), "the server is "+sl.String()
	default:
		fam, why = famOf(ch.Addrs[0]), ch.Name+"'s first address is "+ch.Addrs[0].String()
	}
	ca, err := p.pick(cv, cl, ch, fam, why, false, nil)
	if err != nil {
		return err
	}
	sa, err := p.pick(sv, sl, sh, fam, why, ch == nil || ch.External, sh)
	if err != nil {
		return err
	}
	f.Client = synth.Endpoint{Name: cv.Value, Addr: ca, OS: "linux"}
	if ch != nil {
		f.Client.OS, f.Client.Ports, f.Client.Sequential = ch.OS, ch.Ports, ch.Sequential
	}
	f.Server = synth.Endpoint{Name: sv.Value, Addr: sa}
	for _, k := range []string{"src_port", "dst_port"} {
		if v := m.get(k); v != nil {
			port, err := p.integer(v, k, 1, 65535)
			if err != nil {
				return err
			}
			if k == "src_port" {
				f.SrcPort = uint16(port)
			} else {
				f.DstPort = uint16(port)
			}
		}
	}
	return nil
}

func famOf(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// endpoint resolves a client/server value: a literal address or a host.
func (p *parser) endpoint(n *yaml.Node, field string) (netip.Addr, *Host, error) {
	s, err := p.scalar(n, field, "a host name or an IP address")
	if err != nil {
		return netip.Addr{}, nil, err
	}
	if h, ok := p.hosts[s.Value]; ok {
		return netip.Addr{}, h, nil
	}
	if a, err := netip.ParseAddr(s.Value); err == nil {
		return a.Unmap(), p.hostByAddr(a.Unmap()), nil
	}
	return netip.Addr{}, nil, p.errAt(s, "%s: %q is neither a host nor an IP address; hosts: %s", field, s.Value, p.hostNames())
}

func (p *parser) hostByAddr(a netip.Addr) *Host {
	for i := range p.s.Hosts {
		for _, ha := range p.s.Hosts[i].Addrs {
			if ha == a {
				return &p.s.Hosts[i]
			}
		}
	}
	return nil
}

func (p *parser) hostNames() string {
	set := map[string]bool{}
	for k := range p.hosts {
		set[k] = true
	}
	return p.keys(set)
}

// pick chooses the address of an endpoint in family fam. A VPC server
// reached from outside the VPC is addressed by its public address when it
// has one (the internet gateway's 1:1 NAT, SPEC.md §6).
func (p *parser) pick(n *yaml.Node, lit netip.Addr, h *Host, fam int, why string, fromOutside bool, server *Host) (netip.Addr, error) {
	if lit.IsValid() {
		if famOf(lit) != fam {
			return lit, p.errAt(n, "%s is IPv%d but the flow is IPv%d (%s); client and server must be of one family", lit, famOf(lit), fam, why)
		}
		return lit, nil
	}
	if server != nil && fromOutside && !server.External {
		if ifc := p.iface(server.ID); ifc != nil {
			for _, a := range ifc.PublicAddrs {
				if famOf(a) == fam {
					return a, nil
				}
			}
		}
	}
	for _, a := range h.Addrs {
		if famOf(a) == fam {
			return a, nil
		}
	}
	return netip.Addr{}, p.errAt(n, "host %s has no IPv%d address, and the flow is IPv%d (%s)", h.Name, fam, fam, why)
}

func (p *parser) iface(id string) *firewall.Interface {
	for i := range p.s.Inventory.Interfaces {
		if p.s.Inventory.Interfaces[i].ID == id {
			return &p.s.Inventory.Interfaces[i]
		}
	}
	return nil
}

// icmpError reads an icmp_error flow: from (the sender), quote, to, and
// the error by name or by type/code.
func (p *parser) icmpError(m *mapping, f *synth.Flow) (*yaml.Node, error) {
	fv, err := p.require(m, "from")
	if err != nil {
		return nil, err
	}
	lit, h, err := p.endpoint(fv, "from")
	if err != nil {
		return nil, err
	}
	if !lit.IsValid() {
		lit = h.Addrs[0]
	}
	f.Client = synth.Endpoint{Name: fv.Value, Addr: lit}
	qv, err := p.require(m, "quote")
	if err != nil {
		return nil, err
	}
	if f.Quote, err = p.str(qv, "quote"); err != nil {
		return nil, err
	}
	if v := m.get("to"); v != nil {
		if f.QuoteTo, err = p.clientOrServer(v, "to", " (which end of the quoted flow gets the error)"); err != nil {
			return nil, err
		}
	}
	if v := m.get("error"); v != nil {
		e, err := p.str(v, "error")
		if err != nil {
			return nil, err
		}
		if known := synth.ICMPErrorNames(); !contains(known, e) {
			return nil, p.errAt(v, "error %q is not known; known: %s (or give icmp_type and icmp_code)", e, strings.Join(known, ", "))
		}
		if m.has("icmp_type") {
			return nil, p.errAt(m.get("icmp_type"), "give error or icmp_type/icmp_code, not both")
		}
		f.Error = e
	}
	if v := m.get("icmp_type"); v != nil {
		t, err := p.integer(v, "icmp_type", 0, 255)
		if err != nil {
			return nil, err
		}
		f.ICMPType = uint8(t)
	}
	if v := m.get("icmp_code"); v != nil {
		c, err := p.integer(v, "icmp_code", 0, 255)
		if err != nil {
			return nil, err
		}
		f.ICMPCode = uint8(c)
	}
	return qv, nil
}

// clientOrServer reads field v, one end of a flow: "client" or "server"
// (synth's FromClient/FromServer, QuoteToClient/QuoteToServer). why ends
// the error.
func (p *parser) clientOrServer(v *yaml.Node, field, why string) (string, error) {
	s, err := p.str(v, field)
	if err != nil {
		return "", err
	}
	if s != synth.FromClient && s != synth.FromServer {
		return "", p.errAt(v, "%s %q: want client or server%s", field, s, why)
	}
	return s, nil
}

// script reads explicit steps.
func (p *parser) script(n *yaml.Node, kind string) ([]synth.Step, error) {
	items, err := p.seq(n, "script")
	if err != nil {
		return nil, err
	}
	var out []synth.Step
	for _, it := range items {
		m, err := p.mapping(it, "script step", stepKeys...)
		if err != nil {
			return nil, err
		}
		var st synth.Step
		av, err := p.require(m, "at")
		if err != nil {
			return nil, err
		}
		if st.At, err = p.duration(av, "at"); err != nil {
			return nil, err
		}
		if len(out) > 0 && st.At < out[len(out)-1].At {
			return nil, p.errAt(av, "at %s is before the previous step's %s; steps go in time order", packet.FormatSeconds(st.At), packet.FormatSeconds(out[len(out)-1].At))
		}
		if v := m.get("from"); v != nil {
			if st.From, err = p.clientOrServer(v, "from", ""); err != nil {
				return nil, err
			}
		}
		if v := m.get("flags"); v != nil {
			if kind != "tcp" {
				return nil, p.errAt(v, "flags: only tcp steps have flags")
			}
			fl, err := p.str(v, "flags")
			if err != nil {
				return nil, err
			}
			if st.Flags, err = packet.ParseTCPFlags(fl); err != nil {
				return nil, p.errAt(v, "flags %q: %v", fl, err)
			}
		} else if kind == "tcp" {
			return nil, p.errAt(it, "script step: tcp steps need flags (S, S., ., P., F., R, R.)")
		}
		if v := m.get("bytes"); v != nil {
			b, err := p.integer(v, "bytes", 0, 65000)
			if err != nil {
				return nil, err
			}
			st.Bytes = int(b)
		}
		out = append(out, st)
	}
	return out, nil
}
