package sim

import (
	"fmt"
	"net/netip"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// addrKey is an address as a pointer-free map key (IPv4 as 4-in-6, so the
// two families never collide: an IPv4 address and its IPv4-mapped IPv6 form
// are the same host to the filters, which see unmapped addresses).
type addrKey [16]byte

func keyOf(a netip.Addr) addrKey { return addrKey(a.As16()) }

// iface is one interface or host of the inventory, with what the path needs
// precomputed.
type iface struct {
	id, name string
	inv      int   // index into Engine.inv.Interfaces
	subnet   int32 // index into network.subnets; -1 outside the VPC
	// sg is the union of the interface's groups; nil outside the VPC and
	// for interfaces without groups (AWS services such as NAT gateways).
	sg        *firewall.SG
	table     *conntrack.Table
	allowance int
	service   string
	// autoTracked: flows to or from it are always tracked (SPEC.md §2.3).
	autoTracked bool
	// public4/public6: the interface has a public address of that family
	// (it reaches outside through the internet gateway, not a NAT).
	public4, public6 bool
	// private4/private6: the first private address of each family, the
	// target of the public-address NAT.
	private4, private6 netip.Addr
	// pub4/pub6: the first public address of each family, the form of
	// private4/private6 seen outside the VPC; invalid if none.
	pub4, pub6 netip.Addr
	os         string
	// gwNote is the trace note of a gateway hop through this interface.
	gwNote    string
	fwd, drop uint64
}

// inVPC reports whether the interface is in a subnet of the VPC.
func (f *iface) inVPC() bool { return f.subnet >= 0 }

// subnet is one subnet with its compiled network ACL.
type subnet struct {
	id, name string
	nacl     *firewall.NACL
}

// network is the inventory resolved for the path: who owns which address,
// which addresses AWS does not filter, which subnets and ACLs apply.
type network struct {
	ifaces  []iface
	subnets []subnet
	// byAddr maps private addresses (and external hosts' addresses) to
	// ifaces indices.
	byAddr map[addrKey]int32
	// byName maps interfaces' IDs and names (unique together) to ifaces
	// indices.
	byName map[string]int32
	// public maps public addresses to the index of the interface they are
	// NATed to (SPEC.md §6).
	public map[addrKey]int32
	// notFiltered maps addresses AWS does not filter to their service
	// (SPEC.md §1.5).
	notFiltered map[addrKey]service
	// gw4/gw6: the interface of an auto-tracked gateway through which VPC
	// interfaces without a public address reach outside (NAT gateway for
	// IPv4, egress-only internet gateway for IPv6); -1 if none.
	gw4, gw6 int32
	// natNotes are the trace notes of the public-address NAT, by public
	// address, computed once.
	natNotes map[addrKey]string
}

// service is an address AWS does not filter, with its trace notes.
type service struct {
	name, to, from string
}

func newService(name string, a netip.Addr) service {
	return service{name: name, to: "to " + name + " at " + a.String(), from: "from " + name + " at " + a.String()}
}

// Not-filtered link-local service addresses (SPEC.md §1.5).
var linkLocalServices = []struct {
	addr netip.Addr
	name string
}{
	{netip.MustParseAddr("169.254.169.253"), "route53-resolver"},
	{netip.MustParseAddr("fd00:ec2::253"), "route53-resolver"},
	{netip.MustParseAddr("169.254.169.254"), "instance-metadata"},
	{netip.MustParseAddr("fd00:ec2::254"), "instance-metadata"},
	{netip.MustParseAddr("169.254.169.123"), "time-sync"},
	{netip.MustParseAddr("fd00:ec2::123"), "time-sync"},
}

// base2 returns the prefix's base address plus 2 (the Route 53 Resolver of
// a VPC, reserved in every subnet; SPEC.md §1.5).
func base2(p netip.Prefix) (netip.Addr, bool) {
	a, ok := base1(p)
	return a.Next(), ok
}

// base1 returns the prefix's base address plus 1 (the VPC router's address,
// reserved in every IPv4 subnet; SPEC.md §1.5).
func base1(p netip.Prefix) (netip.Addr, bool) {
	a := p.Masked().Addr()
	if !a.Is4() || p.Bits() > 30 {
		return netip.Addr{}, false
	}
	return a.Next(), true
}

// buildNetwork indexes inv. It checks what the path needs and Compile does
// not: unique names and addresses, subnet references.
func buildNetwork(inv *firewall.Inventory, auto map[string]bool) (network, error) {
	n := network{
		byAddr:      make(map[addrKey]int32),
		byName:      make(map[string]int32, 2*len(inv.Interfaces)),
		public:      make(map[addrKey]int32),
		notFiltered: make(map[addrKey]service),
		natNotes:    make(map[addrKey]string),
		gw4:         -1,
		gw6:         -1,
	}
	for _, s := range linkLocalServices {
		n.notFiltered[keyOf(s.addr)] = newService(s.name, s.addr)
	}
	for _, v := range inv.VPCs {
		for _, c := range v.CIDRs {
			if a, ok := base2(c); ok {
				n.notFiltered[keyOf(a)] = newService("route53-resolver", a)
				break // the primary IPv4 CIDR only
			}
		}
	}
	subnetIdx := make(map[string]int32, len(inv.Subnets))
	for i, s := range inv.Subnets {
		if s.ID == "" {
			return n, fmt.Errorf("%ssubnet %d has no id", prefix(s.Origin), i+1)
		}
		if _, dup := subnetIdx[s.ID]; dup {
			return n, fmt.Errorf("%ssubnet %s is defined twice", prefix(s.Origin), s.ID)
		}
		subnetIdx[s.ID] = int32(i)
		name := s.Name
		if name == "" {
			name = s.ID
		}
		n.subnets = append(n.subnets, subnet{id: s.ID, name: name})
		if a, ok := base2(s.CIDR); ok {
			n.notFiltered[keyOf(a)] = newService("route53-resolver", a)
		}
		// "reserved IP addresses used by the default VPC router" are not
		// filtered either (SPEC.md §1.5): the subnet's base+1.
		if a, ok := base1(s.CIDR); ok {
			n.notFiltered[keyOf(a)] = newService("vpc-router", a)
		}
	}
	names := make(map[string]bool, len(inv.Interfaces))
	for i, in := range inv.Interfaces {
		f := iface{id: in.ID, name: in.Name, inv: i, subnet: -1, service: in.Service, os: in.OS}
		if f.name == "" {
			f.name = f.id
		}
		if f.id == "" {
			f.id = f.name
		}
		if f.name == "" {
			return n, fmt.Errorf("%sinterface %d has neither id nor name", prefix(in.Origin), i+1)
		}
		if names[f.id] || (f.name != f.id && names[f.name]) {
			return n, fmt.Errorf("%sinterface %s is defined twice", prefix(in.Origin), f.name)
		}
		names[f.id], names[f.name] = true, true
		if in.Subnet != "" {
			si, ok := subnetIdx[in.Subnet]
			if !ok {
				return n, fmt.Errorf("%sinterface %s: unknown subnet %q", prefix(in.Origin), f.name, in.Subnet)
			}
			f.subnet = si
		}
		f.autoTracked = in.Service != "" && auto[in.Service]
		for _, a := range in.Addrs {
			a = a.Unmap()
			if o, dup := n.byAddr[keyOf(a)]; dup {
				return n, fmt.Errorf("%sinterface %s: address %s is also %s's", prefix(in.Origin), f.name, a, n.ifaces[o].name)
			}
			n.byAddr[keyOf(a)] = int32(i)
			if a.Is4() && !f.private4.IsValid() {
				f.private4 = a
			}
			if a.Is6() && !f.private6.IsValid() {
				f.private6 = a
			}
		}
		for _, a := range in.PublicAddrs {
			a = a.Unmap()
			if _, dup := n.public[keyOf(a)]; dup {
				return n, fmt.Errorf("%sinterface %s: public address %s is used twice", prefix(in.Origin), f.name, a)
			}
			if _, dup := n.byAddr[keyOf(a)]; dup {
				return n, fmt.Errorf("%sinterface %s: public address %s is also a private address", prefix(in.Origin), f.name, a)
			}
			to := f.private4
			if a.Is6() {
				to = f.private6
				f.public6 = true
				if !f.pub6.IsValid() {
					f.pub6 = a
				}
			} else {
				f.public4 = true
				if !f.pub4.IsValid() {
					f.pub4 = a
				}
			}
			if !to.IsValid() {
				return n, fmt.Errorf("%sinterface %s: public address %s has no private address of its family to map to", prefix(in.Origin), f.name, a)
			}
			n.public[keyOf(a)] = int32(i)
			n.natNotes[keyOf(a)] = "internet gateway 1:1 NAT: " + a.String() + " is " + f.name + "'s " + to.String()
		}
		f.gwNote = "through " + in.Service + " " + f.name + ": its connections are always tracked"
		if f.inVPC() && f.autoTracked {
			switch in.Service {
			case "nat-gateway":
				if n.gw4 < 0 {
					n.gw4 = int32(i)
				}
			case "egress-only-internet-gateway":
				if n.gw6 < 0 {
					n.gw6 = int32(i)
				}
			}
		}
		n.byName[f.id], n.byName[f.name] = int32(len(n.ifaces)), int32(len(n.ifaces))
		n.ifaces = append(n.ifaces, f)
	}
	return n, nil
}

// prefix returns "origin: " or "".
func prefix(o firewall.Origin) string {
	if s := o.String(); s != "" {
		return s + ": "
	}
	return ""
}

// lookup returns the index of the interface or host owning a, or -1.
func (n *network) lookup(a netip.Addr) int32 {
	if i, ok := n.byAddr[keyOf(a)]; ok {
		return i
	}
	return -1
}

// natTarget returns the private address the public address a maps to, the
// interface index, and whether a is a public address.
func (n *network) natTarget(a netip.Addr) (netip.Addr, int32, bool) {
	i, ok := n.public[keyOf(a)]
	if !ok {
		return netip.Addr{}, -1, false
	}
	f := &n.ifaces[i]
	if a.Is4() {
		return f.private4, i, true
	}
	return f.private6, i, true
}

// natInner rewrites the public addresses in t, the flow an ICMP error
// quotes, to the private addresses the filters see, as the internet
// gateway's 1:1 NAT rewrites the error's own header (SPEC.md §6), so the
// error is matched to its tracked flow.
func (n *network) natInner(t *packet.Tuple) {
	if to, _, ok := n.natTarget(t.Src); ok {
		t.Src = to
	}
	if to, _, ok := n.natTarget(t.Dst); ok {
		t.Dst = to
	}
}

// publicForm returns t with each private address that has a public address
// of its family replaced by it: the tuple as seen outside the VPC, before
// the internet gateway's 1:1 NAT. ok is false if nothing changed.
func (n *network) publicForm(t packet.Tuple) (packet.Tuple, bool) {
	u := t
	for _, a := range []*netip.Addr{&u.Src, &u.Dst} {
		i, found := n.byAddr[keyOf(*a)]
		if !found {
			continue
		}
		f := &n.ifaces[i]
		switch {
		case *a == f.private4 && f.pub4.IsValid():
			*a = f.pub4
		case *a == f.private6 && f.pub6.IsValid():
			*a = f.pub6
		}
	}
	return u, u != t
}
