package scenarios

import (
	"net/netip"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
)

var (
	allV4 = netip.MustParsePrefix("0.0.0.0/0")
	allV6 = netip.MustParsePrefix("::/0")
)

var (
	vpcKeys    = []string{"id", "name", "cidrs"}
	subnetKeys = []string{"id", "name", "cidr", "ipv6_cidr", "nacl"}
	hostKeys   = []string{"name", "id", "subnet", "external", "addresses", "public_addresses", "security_groups", "os", "ports", "sequential_ports", "instance_type", "service", "conntrack"}
	// timeoutKeys are the conntrack timeouts a host's conntrack mapping
	// and a set_tracking change accept: AWS's three (timeoutRanges), then
	// the simulator's own (otherTimeouts).
	timeoutKeys   = timeoutKeyList()
	conntrackKeys = append(timeoutKeys[:len(timeoutKeys):len(timeoutKeys)], "allowance")
	prefixKeys    = []string{"id", "name", "max_entries", "cidrs"}
)

// Host is what the scenario knows about a host beyond its
// firewall.Interface: how it picks client ports and its conntrack
// allowance.
type Host struct {
	Name string
	// ID is the interface ID in the Inventory (Name unless given).
	ID string
	// External marks a host outside the VPC (no subnet, no filter).
	External bool
	// Addrs are the host's addresses; the first is used as a traffic
	// endpoint unless a flow names the family.
	Addrs []netip.Addr
	// OS is the OS profile (packet.EphemeralRange); "linux" when unset.
	OS string
	// Ports is a custom ephemeral range; zero means the OS profile's.
	Ports packet.PortRange
	// Sequential selects sequential instead of random port allocation.
	Sequential bool
	// Allowance is the host's conntrack allowance; 0 = the scenario's.
	Allowance int
	Origin    firewall.Origin
}

func (d *decoder) origin(n *yaml.Node) firewall.Origin {
	n = resolve(n)
	if n == nil {
		return firewall.Origin{File: d.file}
	}
	return firewall.Origin{File: d.file, Line: n.Line, Col: n.Column}
}

// vpc parses the vpc mapping.
func (d *decoder) vpc(n *yaml.Node) (firewall.VPC, error) {
	var v firewall.VPC
	m, err := d.mapping(n, "vpc", vpcKeys...)
	if err != nil {
		return v, err
	}
	v.Origin = d.origin(n)
	if v.ID, err = d.reqStr(m, "id"); err != nil {
		return v, err
	}
	if v.Name, err = d.optStr(m, "name"); err != nil {
		return v, err
	}
	cv, err := d.require(m, "cidrs")
	if err != nil {
		return v, err
	}
	items, err := d.list(cv, "cidrs")
	if err != nil {
		return v, err
	}
	for _, it := range items {
		p, err := d.prefix(it, "cidrs")
		if err != nil {
			return v, err
		}
		v.CIDRs = append(v.CIDRs, p)
	}
	if len(v.CIDRs) == 0 || !v.CIDRs[0].Addr().Is4() {
		return v, d.errAt(cv, "cidrs: the first block must be IPv4 (the primary CIDR, whose base+2 is the Route 53 Resolver)")
	}
	return v, nil
}

// subnet parses one subnet; it must lie inside the VPC.
func (d *decoder) subnet(n *yaml.Node, vpc *firewall.VPC) (firewall.Subnet, error) {
	var s firewall.Subnet
	m, err := d.mapping(n, "subnet", subnetKeys...)
	if err != nil {
		return s, err
	}
	s.Origin = d.origin(n)
	if s.ID, err = d.reqStr(m, "id"); err != nil {
		return s, err
	}
	if s.Name, err = d.optStr(m, "name"); err != nil {
		return s, err
	}
	if s.NACL, err = d.optStr(m, "nacl"); err != nil {
		return s, err
	}
	if vpc == nil {
		return s, d.errAt(n, "subnet %s: a vpc with its cidrs is required before subnets", s.ID)
	}
	s.VPC = vpc.ID
	cv, err := d.require(m, "cidr")
	if err != nil {
		return s, err
	}
	if s.CIDR, err = d.prefix(cv, "cidr"); err != nil {
		return s, err
	}
	if !s.CIDR.Addr().Is4() {
		return s, d.errAt(cv, "cidr %s is IPv6; use ipv6_cidr", s.CIDR)
	}
	if !inAny(vpc.CIDRs, s.CIDR) {
		return s, d.errAt(cv, "cidr %s is not inside the vpc's cidrs %s", s.CIDR, joinPrefixes(vpc.CIDRs))
	}
	if v := m.get("ipv6_cidr"); v != nil {
		if s.IPv6CIDR, err = d.prefix(v, "ipv6_cidr"); err != nil {
			return s, err
		}
		if !s.IPv6CIDR.Addr().Is6() {
			return s, d.errAt(v, "ipv6_cidr %s is IPv4; use cidr", s.IPv6CIDR)
		}
		if !inAny(vpc.CIDRs, s.IPv6CIDR) {
			return s, d.errAt(v, "ipv6_cidr %s is not inside the vpc's cidrs %s", s.IPv6CIDR, joinPrefixes(vpc.CIDRs))
		}
	}
	return s, nil
}

func inAny(blocks []netip.Prefix, p netip.Prefix) bool {
	for _, b := range blocks {
		if b.Addr().Is4() == p.Addr().Is4() && b.Bits() <= p.Bits() && b.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// timeoutRange is an AWS-configurable conntrack timeout and its range
// (SPEC.md §2.4, ConnectionTrackingSpecification).
type timeoutRange struct {
	key, awsName string
	lo, hi       time.Duration
}

var timeoutRanges = []timeoutRange{
	{"tcp_established_timeout", "TcpEstablishedTimeout", 60 * time.Second, 432000 * time.Second},
	{"udp_timeout", "UdpTimeout", 30 * time.Second, 60 * time.Second},
	{"udp_stream_timeout", "UdpStreamTimeout", 60 * time.Second, 180 * time.Second},
}

// otherTimeouts are the timeouts AWS does not document and offers no
// setting for; the simulator assumes Linux's defaults (SPEC.md §5.1) and
// accepts any positive duration. field points at the key's TrackingSpec
// field.
var otherTimeouts = []struct {
	key   string
	field func(*firewall.TrackingSpec) *time.Duration
}{
	{"icmp_timeout", func(t *firewall.TrackingSpec) *time.Duration { return &t.ICMP }},
	{"tcp_syn_sent_timeout", func(t *firewall.TrackingSpec) *time.Duration { return &t.TCPSynSent }},
	{"tcp_syn_recv_timeout", func(t *firewall.TrackingSpec) *time.Duration { return &t.TCPSynRecv }},
	{"tcp_fin_wait_timeout", func(t *firewall.TrackingSpec) *time.Duration { return &t.TCPFinWait }},
	{"tcp_close_wait_timeout", func(t *firewall.TrackingSpec) *time.Duration { return &t.TCPCloseWait }},
	{"tcp_last_ack_timeout", func(t *firewall.TrackingSpec) *time.Duration { return &t.TCPLastAck }},
	{"tcp_time_wait_timeout", func(t *firewall.TrackingSpec) *time.Duration { return &t.TCPTimeWait }},
	{"tcp_close_timeout", func(t *firewall.TrackingSpec) *time.Duration { return &t.TCPClose }},
}

// timeoutKeyList returns the keys of timeoutRanges, then of otherTimeouts.
func timeoutKeyList() []string {
	keys := make([]string, 0, len(timeoutRanges)+len(otherTimeouts))
	for _, r := range timeoutRanges {
		keys = append(keys, r.key)
	}
	for _, o := range otherTimeouts {
		keys = append(keys, o.key)
	}
	return keys
}

// tracking parses a host's conntrack mapping: the three AWS timeouts,
// each inside AWS's range, the simulator's own timeouts and the allowance.
func (d *decoder) tracking(n *yaml.Node, host string) (firewall.TrackingSpec, int, error) {
	var t firewall.TrackingSpec
	m, err := d.mapping(n, "conntrack of "+host, conntrackKeys...)
	if err != nil {
		return t, 0, err
	}
	if t, err = d.timeouts(m); err != nil {
		return t, 0, err
	}
	allowance := 0
	if v := m.get("allowance"); v != nil {
		a, err := d.integer(v, "allowance", 0, 1<<31-1)
		if err != nil {
			return t, 0, err
		}
		allowance = int(a)
	}
	return t, allowance, nil
}

// timeouts reads the three AWS-configurable timeouts of m, each inside
// AWS's range (SPEC.md §2.4), and the simulator's own (otherTimeouts: ICMP
// and the per-state TCP timeouts, not AWS settings: any positive duration;
// default Linux's, SPEC.md §5.1).
func (d *decoder) timeouts(m *mapping) (firewall.TrackingSpec, error) {
	var t firewall.TrackingSpec
	for i, r := range timeoutRanges {
		v := m.get(r.key)
		if v == nil {
			continue
		}
		dur, err := d.duration(v, r.key)
		if err != nil {
			return t, err
		}
		if dur < r.lo || dur > r.hi {
			// conntrack's own error, so the message is the one the
			// engine would give, now with a position.
			rerr := &conntrack.RangeError{Field: r.key, Value: dur, Min: r.lo, Max: r.hi, AWSName: r.awsName}
			return t, d.wrapAt(v, rerr)
		}
		switch i {
		case 0:
			t.TCPEstablished = dur
		case 1:
			t.UDP = dur
		case 2:
			t.UDPStream = dur
		}
	}
	for _, o := range otherTimeouts {
		v := m.get(o.key)
		if v == nil {
			continue
		}
		dur, err := d.duration(v, o.key)
		if err != nil {
			return t, err
		}
		if dur <= 0 {
			return t, d.wrapAt(v, &conntrack.RangeError{Field: o.key, Value: dur})
		}
		*o.field(&t) = dur
	}
	return t, nil
}

// host parses one host into an Interface and a Host.
func (d *decoder) host(n *yaml.Node) (firewall.Interface, Host, error) {
	var ifc firewall.Interface
	var h Host
	m, err := d.mapping(n, "host", hostKeys...)
	if err != nil {
		return ifc, h, err
	}
	h.Origin = d.origin(n)
	ifc.Origin = h.Origin
	if h.Name, err = d.reqStr(m, "name"); err != nil {
		return ifc, h, err
	}
	what := "host " + h.Name
	if h.ID, err = d.optStr(m, "id"); err != nil {
		return ifc, h, err
	}
	if h.ID == "" {
		h.ID = h.Name
	}
	if h.External, err = d.optBool(m, "external"); err != nil {
		return ifc, h, err
	}
	if ifc.Subnet, err = d.optStr(m, "subnet"); err != nil {
		return ifc, h, err
	}
	switch {
	case h.External && ifc.Subnet != "":
		return ifc, h, d.errAt(m.get("subnet"), "%s: an external host has no subnet", what)
	case !h.External && ifc.Subnet == "":
		return ifc, h, d.errAt(m.node, "%s: give subnet (an interface in the VPC) or external: true (a host outside it)", what)
	}
	av, err := d.require(m, "addresses")
	if err != nil {
		return ifc, h, err
	}
	items, err := d.list(av, "addresses")
	if err != nil {
		return ifc, h, err
	}
	for _, it := range items {
		a, err := d.addr(it, "addresses")
		if err != nil {
			return ifc, h, err
		}
		h.Addrs = append(h.Addrs, a)
	}
	if len(h.Addrs) == 0 {
		return ifc, h, d.errAt(av, "%s: addresses must list at least one address", what)
	}
	ifc.Addrs = h.Addrs
	if v := m.get("public_addresses"); v != nil {
		if h.External {
			return ifc, h, d.errAt(v, "%s: public_addresses are for VPC interfaces (1:1 NAT by the internet gateway); list an external host's addresses under addresses", what)
		}
		items, err := d.list(v, "public_addresses")
		if err != nil {
			return ifc, h, err
		}
		for _, it := range items {
			a, err := d.addr(it, "public_addresses")
			if err != nil {
				return ifc, h, err
			}
			ifc.PublicAddrs = append(ifc.PublicAddrs, a)
		}
	}
	if v := m.get("security_groups"); v != nil {
		if h.External {
			return ifc, h, d.errAt(v, "%s: an external host has no security groups", what)
		}
		if ifc.Groups, err = d.strList(v, "security_groups"); err != nil {
			return ifc, h, err
		}
	} else if !h.External {
		return ifc, h, d.errAt(m.node, "%s: security_groups is required for a host in a subnet (list the group IDs, or [] for the VPC's default security group, as AWS gives an instance launched without one)", what)
	}
	if ifc.Groups == nil && !h.External {
		ifc.Groups = []string{}
	}
	h.OS = "linux"
	if v := m.get("os"); v != nil {
		os, err := d.str(v, "os")
		if err != nil {
			return ifc, h, err
		}
		if _, ok := packet.EphemeralRange(os); !ok {
			return ifc, h, d.errAt(v, "os %q is not a known profile; known: %s", os, strings.Join(packet.OSProfiles(), ", "))
		}
		h.OS = os
	}
	ifc.OS = h.OS
	if v := m.get("ports"); v != nil {
		lo, hi, err := d.portRange(v, "ports")
		if err != nil {
			return ifc, h, err
		}
		if lo == 0 {
			return ifc, h, d.errAt(v, "ports: an ephemeral range cannot include port 0")
		}
		h.Ports = packet.PortRange{Lo: uint16(lo), Hi: uint16(hi)}
	}
	if h.Sequential, err = d.optBool(m, "sequential_ports"); err != nil {
		return ifc, h, err
	}
	if ifc.InstanceType, err = d.optStr(m, "instance_type"); err != nil {
		return ifc, h, err
	}
	if v := m.get("service"); v != nil {
		svc, err := d.str(v, "service")
		if err != nil {
			return ifc, h, err
		}
		// A host may name any automatically tracked service (SPEC.md §2.3).
		if known := sim.DefaultAutoTracked(); !contains(known, svc) {
			return ifc, h, d.errAt(v, "service %q is not known; known: %s", svc, strings.Join(known, ", "))
		}
		ifc.Service = svc
	}
	if v := m.get("conntrack"); v != nil {
		if h.External {
			return ifc, h, d.errAt(v, "%s: an external host has no connection tracking", what)
		}
		if ifc.Tracking, h.Allowance, err = d.tracking(v, h.Name); err != nil {
			return ifc, h, err
		}
	}
	ifc.ID, ifc.Name = h.ID, h.Name
	return ifc, h, nil
}

// prefixList parses one managed prefix list.
func (d *decoder) prefixList(n *yaml.Node) (firewall.PrefixList, error) {
	var pl firewall.PrefixList
	m, err := d.mapping(n, "prefix list", prefixKeys...)
	if err != nil {
		return pl, err
	}
	pl.Origin = d.origin(n)
	if pl.ID, err = d.reqStr(m, "id"); err != nil {
		return pl, err
	}
	if pl.Name, err = d.optStr(m, "name"); err != nil {
		return pl, err
	}
	items, err := d.list(m.get("cidrs"), "cidrs")
	if err != nil {
		return pl, err
	}
	for _, it := range items {
		p, err := d.prefix(it, "cidrs")
		if err != nil {
			return pl, err
		}
		pl.CIDRs = append(pl.CIDRs, p)
	}
	if v := m.get("max_entries"); v != nil {
		me, err := d.integer(v, "max_entries", 1, 1000)
		if err != nil {
			return pl, err
		}
		if int(me) < len(pl.CIDRs) {
			return pl, d.errAt(v, "max_entries %d is below the %d cidrs listed", me, len(pl.CIDRs))
		}
		pl.MaxEntries = int(me)
	}
	return pl, nil
}
