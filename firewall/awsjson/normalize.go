package awsjson

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/ctsim/ctsim/firewall"
)

// Normalize returns a copy of inv in a canonical form, so that the same
// network read by different importers (AWS CLI JSON, a Terraform state,
// scenario YAML) compares equal with reflect.DeepEqual:
//
//   - every Origin is cleared, and so is every Name (AWS names come from
//     Name tags and group names, Terraform names are resource addresses);
//   - security group rule IDs are cleared (describe-security-groups has none,
//     importers generate them);
//   - objects are sorted by ID; rules by direction, number or content;
//     interface groups, public addresses and prefix list CIDRs are sorted.
//
// What stays in order: a VPC's CIDRs and an interface's private addresses,
// whose first IPv4 entry is the primary one. inv is not modified.
func Normalize(inv firewall.Inventory) firewall.Inventory {
	var out firewall.Inventory
	for _, v := range inv.VPCs {
		v.Name, v.Origin = "", firewall.Origin{}
		v.CIDRs = nilIfEmpty(slices.Clone(v.CIDRs))
		out.VPCs = append(out.VPCs, v)
	}
	slices.SortFunc(out.VPCs, func(a, b firewall.VPC) int { return strings.Compare(a.ID, b.ID) })
	for _, s := range inv.Subnets {
		s.Name, s.Origin = "", firewall.Origin{}
		out.Subnets = append(out.Subnets, s)
	}
	slices.SortFunc(out.Subnets, func(a, b firewall.Subnet) int { return strings.Compare(a.ID, b.ID) })
	for _, g := range inv.SecurityGroups {
		g.Name, g.Origin = "", firewall.Origin{}
		g.Ingress, g.Egress = normRules(g.Ingress), normRules(g.Egress)
		out.SecurityGroups = append(out.SecurityGroups, g)
	}
	slices.SortFunc(out.SecurityGroups, func(a, b firewall.SecurityGroup) int { return strings.Compare(a.ID, b.ID) })
	for _, n := range inv.NetworkACLs {
		n.Name, n.Origin = "", firewall.Origin{}
		n.Entries = slices.Clone(n.Entries)
		for i := range n.Entries {
			n.Entries[i].Origin = firewall.Origin{}
		}
		slices.SortStableFunc(n.Entries, func(a, b firewall.NACLEntry) int {
			if a.Egress != b.Egress {
				if a.Egress {
					return 1
				}
				return -1
			}
			return cmp.Compare(a.Number, b.Number)
		})
		if len(n.Entries) == 0 {
			n.Entries = nil
		}
		out.NetworkACLs = append(out.NetworkACLs, n)
	}
	slices.SortFunc(out.NetworkACLs, func(a, b firewall.NetworkACL) int { return strings.Compare(a.ID, b.ID) })
	for _, in := range inv.Interfaces {
		in.Name, in.Origin = "", firewall.Origin{}
		in.Addrs = nilIfEmpty(slices.Clone(in.Addrs))
		in.PublicAddrs = nilIfEmpty(slices.Clone(in.PublicAddrs))
		slices.SortFunc(in.PublicAddrs, netip.Addr.Compare)
		in.Groups = nilIfEmpty(slices.Clone(in.Groups))
		slices.Sort(in.Groups)
		out.Interfaces = append(out.Interfaces, in)
	}
	slices.SortFunc(out.Interfaces, func(a, b firewall.Interface) int { return strings.Compare(a.ID, b.ID) })
	for _, p := range inv.PrefixLists {
		p.Name, p.Origin = "", firewall.Origin{}
		p.CIDRs = nilIfEmpty(slices.Clone(p.CIDRs))
		slices.SortFunc(p.CIDRs, comparePrefix)
		out.PrefixLists = append(out.PrefixLists, p)
	}
	slices.SortFunc(out.PrefixLists, func(a, b firewall.PrefixList) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// normRules clears IDs and origins and sorts by content.
func normRules(rules []firewall.SGRule) []firewall.SGRule {
	if len(rules) == 0 {
		return nil
	}
	out := slices.Clone(rules)
	for i := range out {
		out[i].ID, out[i].Origin = "", firewall.Origin{}
	}
	slices.SortFunc(out, func(a, b firewall.SGRule) int {
		return cmp.Or(
			cmp.Compare(a.Protocol, b.Protocol),
			cmp.Compare(a.FromPort, b.FromPort),
			cmp.Compare(a.ToPort, b.ToPort),
			comparePrefix(a.CIDR, b.CIDR),
			strings.Compare(a.Group, b.Group),
			strings.Compare(a.PrefixList, b.PrefixList),
			strings.Compare(a.Description, b.Description),
		)
	})
	return out
}
