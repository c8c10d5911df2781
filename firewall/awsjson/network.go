package awsjson

import (
	"errors"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/internal/awsimport"
)

// usable reports whether a CIDR association in state st counts: associated
// (or associating) blocks do, disassociated and failed ones do not; a block
// without a state is taken as associated.
func usable(st *stateShape) bool {
	return st == nil || st.State == "" || st.State == "associated" || st.State == "associating"
}

// vpcs reads describe-vpcs: the primary IPv4 CIDR first, then the other
// IPv4 blocks, then the IPv6 blocks.
func (b *builder) vpcs(f *file) error {
	for i, v := range f.doc.Vpcs {
		at := []any{"Vpcs", i}
		o := f.ix.Pos(at...)
		if v.VpcId == "" {
			return f.ix.Errorf(at, "VPC without VpcId")
		}
		if !b.first("VPC", v.VpcId, o) {
			continue
		}
		vpc := firewall.VPC{ID: v.VpcId, Name: tagName(v.Tags), Origin: o}
		add := func(s, fam string, kat []any) error {
			p, _, msg := awsimport.ParseCIDR(kat[len(kat)-1].(string), s, fam)
			if msg != "" {
				return f.ix.Errorf(kat, "VPC %s: %s", v.VpcId, msg)
			}
			if !slices.Contains(vpc.CIDRs, p) {
				vpc.CIDRs = append(vpc.CIDRs, p)
			}
			return nil
		}
		if v.CidrBlock != "" {
			if err := add(v.CidrBlock, "4", awsimport.Sub(at, "CidrBlock")); err != nil {
				return err
			}
		}
		for j, a := range v.CidrBlockAssociationSet {
			if usable(a.CidrBlockState) && a.CidrBlock != "" {
				if err := add(a.CidrBlock, "4", awsimport.Sub(at, "CidrBlockAssociationSet", j, "CidrBlock")); err != nil {
					return err
				}
			}
		}
		for j, a := range v.Ipv6CidrBlockAssociationSet {
			if usable(a.Ipv6CidrBlockState) && a.Ipv6CidrBlock != "" {
				if err := add(a.Ipv6CidrBlock, "6", awsimport.Sub(at, "Ipv6CidrBlockAssociationSet", j, "Ipv6CidrBlock")); err != nil {
					return err
				}
			}
		}
		b.inv.VPCs = append(b.inv.VPCs, vpc)
	}
	return nil
}

// subnets reads describe-subnets. The network ACL is filled in once every
// file is read (awsimport.Associate, at the end of rebuild).
func (b *builder) subnets(f *file) error {
	for i, s := range f.doc.Subnets {
		at := []any{"Subnets", i}
		o := f.ix.Pos(at...)
		if s.SubnetId == "" {
			return f.ix.Errorf(at, "subnet without SubnetId")
		}
		if !b.first("subnet", s.SubnetId, o) {
			continue
		}
		sn := firewall.Subnet{ID: s.SubnetId, Name: tagName(s.Tags), VPC: s.VpcId, Origin: o}
		if s.CidrBlock != "" {
			p, _, msg := awsimport.ParseCIDR("CidrBlock", s.CidrBlock, "4")
			if msg != "" {
				return f.ix.Errorf(awsimport.Sub(at, "CidrBlock"), "subnet %s: %s", s.SubnetId, msg)
			}
			sn.CIDR = p
		}
		for j, a := range s.Ipv6CidrBlockAssociationSet {
			if !usable(a.Ipv6CidrBlockState) || a.Ipv6CidrBlock == "" {
				continue
			}
			kat := awsimport.Sub(at, "Ipv6CidrBlockAssociationSet", j, "Ipv6CidrBlock")
			p, _, msg := awsimport.ParseCIDR("Ipv6CidrBlock", a.Ipv6CidrBlock, "6")
			if msg != "" {
				return f.ix.Errorf(kat, "subnet %s: %s", s.SubnetId, msg)
			}
			if sn.IPv6CIDR.IsValid() {
				b.warn(f.ix.Pos(kat...), "unsupported: subnet %s has a second IPv6 block %s, ignored", s.SubnetId, p)
				continue
			}
			sn.IPv6CIDR = p
		}
		b.inv.Subnets = append(b.inv.Subnets, sn)
	}
	return nil
}

// serviceOf maps an ENI's InterfaceType to the sim's service name
// (firewall.Interface.Service, SPEC.md §2.3). ok is false for types this
// importer does not know; instance-like types map to "".
func serviceOf(t string) (service string, ok bool) {
	switch t {
	case "", "interface", "efa", "efa-only", "trunk", "branch", "load_balancer", "api_gateway_managed":
		return "", true
	case "nat_gateway", "natGateway":
		return "nat-gateway", true
	case "network_load_balancer":
		return "network-load-balancer", true
	case "gateway_load_balancer", "gateway_load_balancer_endpoint":
		return "gateway-load-balancer", true
	case "vpc_endpoint":
		return "privatelink", true
	case "lambda":
		return "lambda", true
	case "transit_gateway":
		return "transit-gateway", true
	case "global_accelerator_managed":
		return "global-accelerator", true
	case "network_firewall":
		return "network-firewall", true
	}
	return "", false
}

// interfaces reads describe-network-interfaces: the primary private IPv4
// address first, then the secondary ones, then the IPv6 addresses; public
// addresses from the associations; groups in the order AWS lists them.
func (b *builder) interfaces(f *file) error {
	for i, n := range f.doc.NetworkInterfaces {
		at := []any{"NetworkInterfaces", i}
		o := f.ix.Pos(at...)
		if n.NetworkInterfaceId == "" {
			return f.ix.Errorf(at, "network interface without NetworkInterfaceId")
		}
		if !b.first("network interface", n.NetworkInterfaceId, o) {
			continue
		}
		in := firewall.Interface{ID: n.NetworkInterfaceId, Name: tagName(n.TagSet, n.Tags), Subnet: n.SubnetId, Origin: o}
		svc, ok := serviceOf(n.InterfaceType)
		if !ok {
			b.warn(f.ix.Pos(awsimport.Sub(at, "InterfaceType")...), "unsupported InterfaceType %q of %s: assumed an instance (not automatically tracked)", n.InterfaceType, n.NetworkInterfaceId)
		}
		in.Service = svc
		addr := func(s string, kat []any) (netip.Addr, error) {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return a, f.ix.Errorf(kat, "network interface %s: bad address: %v", n.NetworkInterfaceId, err)
			}
			return a, nil
		}
		addPublic := func(as *associationShape, kat []any) error {
			if as == nil || as.PublicIp == "" {
				return nil
			}
			a, err := addr(as.PublicIp, awsimport.Sub(kat, "PublicIp"))
			if err != nil {
				return err
			}
			if !slices.Contains(in.PublicAddrs, a) {
				in.PublicAddrs = append(in.PublicAddrs, a)
			}
			return nil
		}
		// Primary first, whatever order AWS lists them in.
		order := make([]int, len(n.PrivateIpAddresses))
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(x, y int) int {
			px, py := n.PrivateIpAddresses[x].Primary, n.PrivateIpAddresses[y].Primary
			switch {
			case px && !py:
				return -1
			case py && !px:
				return 1
			}
			return 0
		})
		for _, j := range order {
			p := n.PrivateIpAddresses[j]
			a, err := addr(p.PrivateIpAddress, awsimport.Sub(at, "PrivateIpAddresses", j, "PrivateIpAddress"))
			if err != nil {
				return err
			}
			in.Addrs = append(in.Addrs, a)
			if err := addPublic(p.Association, awsimport.Sub(at, "PrivateIpAddresses", j, "Association")); err != nil {
				return err
			}
		}
		if n.PrivateIpAddress != "" {
			a, err := addr(n.PrivateIpAddress, awsimport.Sub(at, "PrivateIpAddress"))
			if err != nil {
				return err
			}
			if !slices.Contains(in.Addrs, a) {
				in.Addrs = slices.Insert(in.Addrs, 0, a)
			}
		}
		if err := addPublic(n.Association, awsimport.Sub(at, "Association")); err != nil {
			return err
		}
		for j, p := range n.Ipv6Addresses {
			a, err := addr(p.Ipv6Address, awsimport.Sub(at, "Ipv6Addresses", j, "Ipv6Address"))
			if err != nil {
				return err
			}
			in.Addrs = append(in.Addrs, a)
		}
		if len(n.Ipv4Prefixes) > 0 {
			b.warn(f.ix.Pos(awsimport.Sub(at, "Ipv4Prefixes")...), "unsupported: Ipv4Prefixes of %s ignored (prefix delegation)", n.NetworkInterfaceId)
		}
		if len(n.Ipv6Prefixes) > 0 {
			b.warn(f.ix.Pos(awsimport.Sub(at, "Ipv6Prefixes")...), "unsupported: Ipv6Prefixes of %s ignored (prefix delegation)", n.NetworkInterfaceId)
		}
		for j, g := range n.Groups {
			if g.GroupId == "" {
				return f.ix.Errorf(awsimport.Sub(at, "Groups", j), "network interface %s: group without GroupId", n.NetworkInterfaceId)
			}
			in.Groups = append(in.Groups, g.GroupId)
		}
		if c := n.ConnectionTrackingConfiguration; c != nil {
			var err error
			cat := awsimport.Sub(at, "ConnectionTrackingConfiguration")
			if in.Tracking.TCPEstablished, err = timeout(f, cat, n.NetworkInterfaceId, "TcpEstablishedTimeout", c.TcpEstablishedTimeout); err != nil {
				return err
			}
			if in.Tracking.UDPStream, err = timeout(f, cat, n.NetworkInterfaceId, "UdpStreamTimeout", c.UdpStreamTimeout); err != nil {
				return err
			}
			if in.Tracking.UDP, err = timeout(f, cat, n.NetworkInterfaceId, "UdpTimeout", c.UdpTimeout); err != nil {
				return err
			}
		}
		b.inv.Interfaces = append(b.inv.Interfaces, in)
	}
	return nil
}

// timeout reads one member of an ENI's ConnectionTrackingConfiguration, at
// path at, in seconds (0 when absent: the default), and checks it against
// the range AWS accepts (SPEC.md §2.4: TcpEstablishedTimeout 60–432000 s,
// UdpStreamTimeout 60–180 s, UdpTimeout 30–60 s). The ranges are
// conntrack's (conntrack.Timeouts.Validate), so that an importer and the
// simulator cannot disagree; the error points at the member, not the ENI.
func timeout(f *file, at []any, eni, name string, secs *int32) (time.Duration, error) {
	if secs == nil {
		return 0, nil
	}
	d := time.Duration(*secs) * time.Second
	t := conntrack.DefaultTimeouts()
	switch name {
	case "TcpEstablishedTimeout":
		t.TCPEstablished = d
	case "UdpStreamTimeout":
		t.UDPStream = d
	case "UdpTimeout":
		t.UDP = d
	}
	if re, ok := errors.AsType[*conntrack.RangeError](t.Validate()); ok && re.AWSName == name {
		return 0, f.ix.Errorf(awsimport.Sub(at, name), "network interface %s: %s %d is outside %d–%d seconds (AWS ConnectionTrackingConfiguration)",
			eni, name, *secs, re.Min/time.Second, re.Max/time.Second)
	}
	return d, nil
}

// prefixLists reads describe-managed-prefix-lists.
func (b *builder) prefixLists(f *file) error {
	for i, p := range f.doc.PrefixLists {
		at := []any{"PrefixLists", i}
		o := f.ix.Pos(at...)
		if p.PrefixListId == "" {
			return f.ix.Errorf(at, "prefix list without PrefixListId")
		}
		if !b.first("prefix list", p.PrefixListId, o) {
			continue
		}
		pl := firewall.PrefixList{ID: p.PrefixListId, Name: p.PrefixListName, Origin: o}
		if p.MaxEntries != nil {
			pl.MaxEntries = *p.MaxEntries
		}
		b.inv.PrefixLists = append(b.inv.PrefixLists, pl)
	}
	return nil
}

// plIDInName finds a prefix list ID in a file name.
var plIDInName = regexp.MustCompile(`pl-[0-9A-Za-z]+`)

// prefixListEntries reads get-managed-prefix-list-entries, whose output does
// not name the list: the list ID is taken from the file's base name, which
// must contain it ("pl-0123abcd.entries.json",
// "get-managed-prefix-list-entries-pl-0123abcd.json").
func (b *builder) prefixListEntries(f *file) error {
	if f.doc.Entries == nil {
		return nil
	}
	id := plIDInName.FindString(filepath.Base(f.name))
	if id == "" {
		return f.ix.Errorf([]any{"Entries"}, "get-managed-prefix-list-entries output: cannot tell which prefix list; put its ID in the file name (pl-….entries.json)")
	}
	o := f.ix.Pos("Entries")
	var cidrs []netip.Prefix
	for i, e := range f.doc.Entries {
		p, _, msg := awsimport.ParseCIDR("Cidr", e.Cidr, "")
		if msg != "" {
			return f.ix.Errorf([]any{"Entries", i, "Cidr"}, "prefix list %s: %s", id, msg)
		}
		cidrs = append(cidrs, p)
	}
	if !b.first("prefix list entries of", id, o) {
		return nil
	}
	for k := range b.inv.PrefixLists {
		if b.inv.PrefixLists[k].ID == id {
			b.inv.PrefixLists[k].CIDRs = cidrs
			return nil
		}
	}
	b.warn(o, "assumed prefix list %s exists (entries without describe-managed-prefix-lists; MaxEntries = number of entries)", id)
	b.inv.PrefixLists = append(b.inv.PrefixLists, firewall.PrefixList{ID: id, CIDRs: cidrs, Origin: o})
	return nil
}

// instances reads describe-instances for one thing the interfaces do not
// say: the instance type of each attached interface (it selects defaults such
// as the TCP established timeout, SPEC.md §2.4).
func (b *builder) instances(f *file) error {
	for i, r := range f.doc.Reservations {
		for j, inst := range r.Instances {
			for k, ni := range inst.NetworkInterfaces {
				at := []any{"Reservations", i, "Instances", j, "NetworkInterfaces", k}
				found := false
				for x := range b.inv.Interfaces {
					if b.inv.Interfaces[x].ID == ni.NetworkInterfaceId {
						b.inv.Interfaces[x].InstanceType = inst.InstanceType
						found = true
						break
					}
				}
				if !found {
					b.warn(f.ix.Pos(at...), "interface %s of instance %s ignored: describe-network-interfaces does not list it", ni.NetworkInterfaceId, inst.InstanceId)
				}
			}
		}
	}
	return nil
}
