package tfplan

import (
	"net/netip"
	"slices"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/internal/awsimport"
)

func (b *netBuilder) origin(r *res) firewall.Origin { return b.ix.Pos(r.path...) }

// cidr parses the CIDR at attribute path of r ("" family means either).
func (b *netBuilder) cidr(r *res, s, family string, path ...any) (netip.Prefix, error) {
	p, canon, msg := awsimport.ParseCIDR(pathString(path), s, family)
	if msg != "" {
		return p, b.errorf(r, path, "%s", msg)
	}
	if !canon {
		b.warn(r, "assumed %s for %s = %s (host bits cleared)", p, pathString(path), s)
	}
	return p, nil
}

func (b *netBuilder) vpcIndex(id string) int {
	return slices.IndexFunc(b.inv.VPCs, func(v firewall.VPC) bool { return v.ID == id })
}

func (b *netBuilder) subnetIndex(id string) int {
	return slices.IndexFunc(b.inv.Subnets, func(s firewall.Subnet) bool { return s.ID == id })
}

func (b *netBuilder) ifaceIndex(id string) int {
	return slices.IndexFunc(b.inv.Interfaces, func(in firewall.Interface) bool { return in.ID == id })
}

// vpc reads aws_vpc: the primary IPv4 block first, then the IPv6 block.
func (b *netBuilder) vpc(r *res) error {
	v := firewall.VPC{ID: r.id, Name: r.addr, Origin: b.origin(r)}
	for _, k := range []struct{ key, fam string }{{"cidr_block", "4"}, {"ipv6_cidr_block", "6"}} {
		s := r.str(k.key)
		if s == "" {
			if r.isUnknown(k.key) {
				b.warn(r, "%s is unknown until apply: assumed none", k.key)
			}
			continue
		}
		p, err := b.cidr(r, s, k.fam, k.key)
		if err != nil {
			return err
		}
		v.CIDRs = append(v.CIDRs, p)
	}
	b.inv.VPCs = append(b.inv.VPCs, v)
	return nil
}

// vpcCIDR reads aws_vpc_ipv4_cidr_block_association and
// aws_vpc_ipv6_cidr_block_association: a further block of a VPC.
func (b *netBuilder) vpcCIDR(r *res) error {
	vpc := b.refValue(r, "vpc_id")
	key, fam := "cidr_block", "4"
	if r.typ == "aws_vpc_ipv6_cidr_block_association" {
		key, fam = "ipv6_cidr_block", "6"
	}
	s := r.str(key)
	if s == "" {
		b.warn(r, "%s is unknown until apply: assumed none", key)
		return nil
	}
	p, err := b.cidr(r, s, fam, key)
	if err != nil {
		return err
	}
	i := b.vpcIndex(vpc)
	if i < 0 {
		b.warn(r, "VPC %q is not in this plan: block %s ignored", vpc, p)
		return nil
	}
	if !slices.Contains(b.inv.VPCs[i].CIDRs, p) {
		b.inv.VPCs[i].CIDRs = append(b.inv.VPCs[i].CIDRs, p)
	}
	return nil
}

// subnet reads aws_subnet.
func (b *netBuilder) subnet(r *res) error {
	s := firewall.Subnet{ID: r.id, Name: r.addr, VPC: b.refValue(r, "vpc_id"), Origin: b.origin(r)}
	if c := r.str("cidr_block"); c != "" {
		p, err := b.cidr(r, c, "4", "cidr_block")
		if err != nil {
			return err
		}
		s.CIDR = p
	} else if r.isUnknown("cidr_block") {
		b.warn(r, "cidr_block is unknown until apply: assumed none")
	}
	if c := r.str("ipv6_cidr_block"); c != "" {
		p, err := b.cidr(r, c, "6", "ipv6_cidr_block")
		if err != nil {
			return err
		}
		s.IPv6CIDR = p
	} else if r.isUnknown("ipv6_cidr_block") {
		b.warn(r, "ipv6_cidr_block is unknown until apply: assumed the subnet has no IPv6 block")
	}
	b.inv.Subnets = append(b.inv.Subnets, s)
	return nil
}

// prefixList reads aws_ec2_managed_prefix_list (entry blocks), and the data
// sources aws_ec2_managed_prefix_list (entries) and aws_prefix_list
// (cidr_blocks, for AWS-managed lists).
func (b *netBuilder) prefixList(r *res) error {
	pl := firewall.PrefixList{ID: r.id, Name: r.addr, Origin: b.origin(r)}
	if r.typ == "aws_prefix_list" && r.str("prefix_list_id") != "" {
		pl.ID = r.str("prefix_list_id")
	}
	if n, ok, _ := r.num("max_entries"); ok {
		pl.MaxEntries = int(n)
	}
	add := func(s string, path ...any) error {
		p, err := b.cidr(r, s, "", path...)
		if err != nil {
			return err
		}
		if !slices.Contains(pl.CIDRs, p) {
			pl.CIDRs = append(pl.CIDRs, p)
		}
		return nil
	}
	for _, key := range []string{"entry", "entries"} {
		for i := range r.blocks(key) {
			if err := add(r.str(key, i, "cidr"), key, i, "cidr"); err != nil {
				return err
			}
		}
	}
	for i, s := range r.strs("cidr_blocks") {
		if err := add(s, "cidr_blocks", i); err != nil {
			return err
		}
	}
	if r.anyUnknown("entry") || r.anyUnknown("cidr_blocks") {
		b.warn(r, "entries are unknown until apply: assumed only the known ones %v", pl.CIDRs)
	}
	b.inv.PrefixLists = append(b.inv.PrefixLists, pl)
	return nil
}

// prefixListEntry reads aws_ec2_managed_prefix_list_entry.
func (b *netBuilder) prefixListEntry(r *res) error {
	id := b.refValue(r, "prefix_list_id")
	p, err := b.cidr(r, r.str("cidr"), "", "cidr")
	if err != nil {
		return err
	}
	i := slices.IndexFunc(b.inv.PrefixLists, func(pl firewall.PrefixList) bool { return pl.ID == id })
	if i < 0 {
		b.warn(r, "assumed prefix list %s exists (not in this plan)", id)
		b.inv.PrefixLists = append(b.inv.PrefixLists, firewall.PrefixList{ID: id, Origin: b.origin(r)})
		i = len(b.inv.PrefixLists) - 1
	}
	if !slices.Contains(b.inv.PrefixLists[i].CIDRs, p) {
		b.inv.PrefixLists[i].CIDRs = append(b.inv.PrefixLists[i].CIDRs, p)
	}
	return nil
}

// addrs parses the addresses at key (a string or a list).
func (b *netBuilder) addrs(r *res, in *firewall.Interface, key string) error {
	var list []string
	var paths [][]any
	if s := r.str(key); s != "" {
		list, paths = []string{s}, [][]any{{key}}
	}
	for i, s := range r.strs(key) {
		list, paths = append(list, s), append(paths, []any{key, i})
	}
	for i, s := range list {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return b.errorf(r, paths[i], "bad address: %v", err)
		}
		if !slices.Contains(in.Addrs, a) {
			in.Addrs = append(in.Addrs, a)
		}
	}
	return nil
}

// public adds the public address at key, or reports that it is unknown.
func (b *netBuilder) public(r *res, in *firewall.Interface, key string) error {
	s := r.str(key)
	if s == "" {
		if r.isUnknown(key) {
			b.warn(r, "%s is unknown until apply: assumed none (filters see private addresses; a public address only matters for traffic from outside)", key)
		}
		return nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return b.errorf(r, []any{key}, "bad address: %v", err)
	}
	if !slices.Contains(in.PublicAddrs, a) {
		in.PublicAddrs = append(in.PublicAddrs, a)
	}
	return nil
}

// finishIface sorts IPv4 before IPv6 (keeping order within each family),
// queues an unknown primary address and adds the interface.
func (b *netBuilder) finishIface(r *res, in firewall.Interface, primaryKey string) {
	slices.SortStableFunc(in.Addrs, func(x, y netip.Addr) int {
		switch {
		case x.Is4() && !y.Is4():
			return -1
		case y.Is4() && !x.Is4():
			return 1
		}
		return 0
	})
	if !slices.ContainsFunc(in.Addrs, netip.Addr.Is4) && r.isUnknown(primaryKey) {
		b.pending = append(b.pending, pendingAddr{iface: len(b.inv.Interfaces), r: r})
	}
	b.inv.Interfaces = append(b.inv.Interfaces, in)
}

// networkInterface reads aws_network_interface.
func (b *netBuilder) networkInterface(r *res) error {
	in := firewall.Interface{ID: r.id, Name: r.addr, Subnet: b.refValue(r, "subnet_id"), Origin: b.origin(r)}
	for _, key := range []string{"private_ip", "private_ip_list", "private_ips", "ipv6_addresses", "ipv6_address_list"} {
		if err := b.addrs(r, &in, key); err != nil {
			return err
		}
	}
	if r.anyUnknown("ipv6_addresses") {
		b.warn(r, "ipv6_addresses are unknown until apply: assumed none")
	}
	for _, key := range []string{"ipv4_prefixes", "ipv6_prefixes"} {
		if len(r.strs(key)) > 0 {
			b.warn(r, "unsupported: %s %v ignored (prefix delegation)", key, r.strs(key))
		}
	}
	in.Groups = b.refValues(r, "security_groups")
	svc, ok := serviceOf(r.str("interface_type"))
	if !ok {
		b.warn(r, "unsupported interface_type %q: assumed an instance (not automatically tracked)", r.str("interface_type"))
	}
	in.Service = svc
	b.finishIface(r, in, "private_ip")
	return nil
}

// instanceENI returns the ID of an instance's primary network interface.
func (b *netBuilder) instanceENI(r *res) string {
	if s := r.str("primary_network_interface_id"); s != "" {
		return s
	}
	for i := range r.blocks("network_interface") {
		if n, _, _ := r.num("network_interface", i, "device_index"); n == 0 {
			if s := r.str("network_interface", i, "network_interface_id"); s != "" {
				return s
			}
			for _, rf := range b.refs(r, "network_interface", i, "network_interface_id") {
				return b.idOf(rf)
			}
		}
	}
	return r.addr + ".primary_network_interface_id"
}

// instance reads aws_instance: its primary interface, unless it attaches
// aws_network_interface resources (network_interface blocks), which then
// get its instance type.
func (b *netBuilder) instance(r *res) error {
	if r.blocks("network_interface") > 0 {
		for i := range r.blocks("network_interface") {
			id := b.refValue(r, "network_interface", i, "network_interface_id")
			if k := b.ifaceIndex(id); k >= 0 {
				b.inv.Interfaces[k].InstanceType = r.str("instance_type")
			} else {
				b.warn(r, "network interface %q is not in this plan: ignored", id)
			}
		}
		return nil
	}
	in := firewall.Interface{ID: b.instanceENI(r), Name: r.addr, Subnet: b.refValue(r, "subnet_id"),
		InstanceType: r.str("instance_type"), Origin: b.origin(r)}
	if in.ID == r.addr+".primary_network_interface_id" {
		b.warn(r, "assumed interface ID %s (primary_network_interface_id is unknown until apply)", in.ID)
	}
	for _, key := range []string{"private_ip", "secondary_private_ips", "ipv6_addresses"} {
		if err := b.addrs(r, &in, key); err != nil {
			return err
		}
	}
	if r.anyUnknown("ipv6_addresses") {
		b.warn(r, "ipv6_addresses are unknown until apply: assumed none")
	}
	if err := b.public(r, &in, "public_ip"); err != nil {
		return err
	}
	in.Groups = b.refValues(r, "vpc_security_group_ids")
	if len(in.Groups) == 0 && len(r.strs("security_groups")) > 0 {
		b.warn(r, "unsupported: security_groups by name %v ignored; use vpc_security_group_ids", r.strs("security_groups"))
	}
	b.finishIface(r, in, "private_ip")
	return nil
}

// natGateway reads aws_nat_gateway: its interface, automatically tracked
// (SPEC.md §2.3).
func (b *netBuilder) natGateway(r *res) error {
	id := r.str("network_interface_id")
	if id == "" {
		id = r.addr + ".network_interface_id"
		b.warn(r, "assumed interface ID %s (network_interface_id is unknown until apply)", id)
	}
	in := firewall.Interface{ID: id, Name: r.addr, Subnet: b.refValue(r, "subnet_id"), Service: "nat-gateway", Origin: b.origin(r)}
	if err := b.addrs(r, &in, "private_ip"); err != nil {
		return err
	}
	if r.str("connectivity_type") != "private" {
		if err := b.public(r, &in, "public_ip"); err != nil {
			return err
		}
	}
	b.finishIface(r, in, "private_ip")
	return nil
}

// sgAttachment reads aws_network_interface_sg_attachment.
func (b *netBuilder) sgAttachment(r *res) error {
	sg, eni := b.refValue(r, "security_group_id"), b.refValue(r, "network_interface_id")
	k := b.ifaceIndex(eni)
	if k < 0 {
		b.warn(r, "network interface %q is not in this plan: attachment of %s ignored", eni, sg)
		return nil
	}
	if !slices.Contains(b.inv.Interfaces[k].Groups, sg) {
		b.inv.Interfaces[k].Groups = append(b.inv.Interfaces[k].Groups, sg)
	}
	return nil
}

// eip reads aws_eip: a public address of an instance's or an interface's
// primary private address (SPEC.md §6, 1:1 NAT at the internet gateway).
func (b *netBuilder) eip(r *res) error {
	eni := b.refValue(r, "network_interface")
	if eni == "" {
		if inst := b.refValue(r, "instance"); inst != "" {
			for _, x := range b.res {
				if x.typ == "aws_instance" && x.id == inst {
					eni = b.instanceENI(x)
				}
			}
		}
	}
	if eni == "" {
		return nil // not attached: no effect on filtering
	}
	k := b.ifaceIndex(eni)
	if k < 0 {
		b.warn(r, "network interface %q is not in this plan: elastic IP ignored", eni)
		return nil
	}
	return b.public(r, &b.inv.Interfaces[k], "public_ip")
}

// defaults adds, for each VPC without one, the default security group and
// the default network ACL as AWS creates them (SPEC.md §1.3, §3.3): a plan
// or state that does not manage them still has them.
func (b *netBuilder) defaults() {
	for _, r := range b.res {
		if r.typ != "aws_vpc" || r.mode != "managed" {
			continue
		}
		vi := b.vpcIndex(r.id)
		if vi < 0 {
			continue
		}
		v := b.inv.VPCs[vi]
		ipv6 := slices.ContainsFunc(v.CIDRs, func(p netip.Prefix) bool { return p.Addr().Is6() })
		if !slices.ContainsFunc(b.inv.SecurityGroups, func(g firewall.SecurityGroup) bool { return g.IsDefault && g.VPC == v.ID }) {
			g := firewall.DefaultSecurityGroup(b.vpcDefault(r, "default_security_group_id", "aws_default_security_group"), v.ID, ipv6)
			g.Origin = v.Origin
			for i := range g.Ingress {
				g.Ingress[i].ID = g.ID + "-in-1"
			}
			for i := range g.Egress {
				g.Egress[i].ID = g.ID + "-out-1"
			}
			b.warn(r, "assumed default security group %s as AWS creates it (no aws_default_security_group manages it)", g.ID)
			b.inv.SecurityGroups = append(b.inv.SecurityGroups, g)
		}
		if !slices.ContainsFunc(b.inv.NetworkACLs, func(n firewall.NetworkACL) bool { return n.IsDefault && n.VPC == v.ID }) {
			n := firewall.DefaultNACL(b.vpcDefault(r, "default_network_acl_id", "aws_default_network_acl"), v.ID, ipv6)
			n.Name, n.Origin = r.addr+" default network ACL", v.Origin
			b.warn(r, "assumed default network ACL %s as AWS creates it (no aws_default_network_acl manages it)", n.ID)
			b.inv.NetworkACLs = append(b.inv.NetworkACLs, n)
		}
	}
}

// setNACL records that subnet uses nacl, from a source of priority prio:
// aws_network_acl_association (3) over aws_network_acl.subnet_ids (2) over
// aws_default_network_acl.subnet_ids (1).
func (b *netBuilder) setNACL(r *res, subnet, nacl string, prio int) {
	if subnet == "" || nacl == "" {
		return
	}
	if prev, ok := b.naclOf[subnet]; ok && prev != nacl {
		switch {
		case b.naclOfBy[subnet] > prio:
			return
		case b.naclOfBy[subnet] == prio:
			b.warn(r, "subnet %s is already associated with %s: association with %s ignored", subnet, prev, nacl)
			return
		}
	}
	b.naclOf[subnet], b.naclOfBy[subnet] = nacl, prio
}

// assignAddresses gives each interface whose private address is unknown
// until apply the first free address of its subnet after the four AWS
// reserves (SPEC.md §1.5), and says so.
func (b *netBuilder) assignAddresses() {
	used := make(map[netip.Addr]bool)
	for _, in := range b.inv.Interfaces {
		for _, a := range in.Addrs {
			used[a] = true
		}
	}
	for _, p := range b.pending {
		in := &b.inv.Interfaces[p.iface]
		si := b.subnetIndex(in.Subnet)
		if si < 0 || !b.inv.Subnets[si].CIDR.IsValid() {
			b.warn(p.r, "private_ip is unknown until apply and so is its subnet's CIDR: assumed no address")
			continue
		}
		cidr := b.inv.Subnets[si].CIDR
		a := cidr.Addr()
		for range 4 {
			a = a.Next()
		}
		for ; cidr.Contains(a) && used[a]; a = a.Next() {
		}
		if !cidr.Contains(a) || !cidr.Contains(a.Next()) { // the last address is the broadcast address
			b.warn(p.r, "private_ip is unknown until apply and subnet %s has no free address: assumed none", in.Subnet)
			continue
		}
		used[a] = true
		in.Addrs = slices.Insert(in.Addrs, 0, a)
		b.warn(p.r, "assumed private_ip %s (unknown until apply: the first free address of subnet %s %s)", a, in.Subnet, cidr)
	}
}

// serviceOf maps an interface_type to the sim's service name
// (firewall.Interface.Service, SPEC.md §2.3); ok is false for unknown types.
func serviceOf(t string) (service string, ok bool) {
	switch t {
	case "", "interface", "efa", "efa-only", "trunk", "branch":
		return "", true
	}
	return "", false
}
