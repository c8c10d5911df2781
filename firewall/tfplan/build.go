package tfplan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ctsim/ctsim/firewall/internal/awsimport"
)

// supported lists the resource types read, by mode ("managed" or "data"),
// in the order they are read: containers before what they contain, so that
// a rule finds its group and an interface its subnet.
var supported = []struct{ mode, typ string }{
	{"managed", "aws_vpc"},
	{"managed", "aws_vpc_ipv4_cidr_block_association"},
	{"managed", "aws_vpc_ipv6_cidr_block_association"},
	{"managed", "aws_subnet"},
	{"managed", "aws_ec2_managed_prefix_list"},
	{"managed", "aws_ec2_managed_prefix_list_entry"},
	{"data", "aws_prefix_list"},
	{"data", "aws_ec2_managed_prefix_list"},
	{"managed", "aws_default_security_group"},
	{"managed", "aws_security_group"},
	{"managed", "aws_security_group_rule"},
	{"managed", "aws_vpc_security_group_ingress_rule"},
	{"managed", "aws_vpc_security_group_egress_rule"},
	{"managed", "aws_default_network_acl"},
	{"managed", "aws_network_acl"},
	{"managed", "aws_network_acl_rule"},
	{"managed", "aws_network_acl_association"},
	{"managed", "aws_network_interface"},
	{"managed", "aws_instance"},
	{"managed", "aws_nat_gateway"},
	{"managed", "aws_network_interface_sg_attachment"},
	{"managed", "aws_eip"},
}

// build reads every supported resource, in the order of supported.
func (p *parser) build() error {
	isSupported := func(r *res) bool {
		return slices.ContainsFunc(supported, func(s struct{ mode, typ string }) bool { return s.mode == r.mode && s.typ == r.typ })
	}
	for _, r := range p.res {
		if !isSupported(r) {
			kind := "resource type"
			if r.mode == "data" {
				kind = "data source"
			}
			p.warn(r, "unsupported %s %s ignored", kind, r.typ)
			continue
		}
		r.id = r.str("id")
		if r.id == "" {
			r.id = r.addr
			if r.mode == "managed" && idMatters(r.typ) {
				p.warn(r, "assumed id %s (unknown until apply: the resource address stands for the AWS ID)", r.addr)
			}
		}
	}
	b := &netBuilder{parser: p, naclOf: make(map[string]string), naclOfBy: make(map[string]int)}
	for _, s := range supported {
		for _, r := range p.res {
			if r.mode != s.mode || r.typ != s.typ {
				continue
			}
			if err := b.read(r); err != nil {
				return err
			}
		}
	}
	b.defaults()
	awsimport.Associate(&b.inv, b.naclOf) // SPEC.md §3.1
	b.assignAddresses()
	return b.dedupe()
}

// idMatters reports whether other objects refer to resources of type typ by
// ID, so that an unknown ID is worth a warning.
func idMatters(typ string) bool {
	switch typ {
	case "aws_vpc", "aws_subnet", "aws_security_group", "aws_default_security_group", "aws_network_acl",
		"aws_default_network_acl", "aws_network_interface", "aws_ec2_managed_prefix_list":
		return true
	}
	return false
}

// netBuilder accumulates the inventory.
type netBuilder struct {
	*parser
	naclOf   map[string]string // subnet ID → NACL ID
	naclOfBy map[string]int    // subnet ID → priority of the source that set naclOf
	pending  []pendingAddr     // interfaces whose private address is unknown
	depth    int               // idOf nesting, against reference cycles
}

type pendingAddr struct {
	iface int
	r     *res
}

func (b *netBuilder) read(r *res) error {
	switch r.typ {
	case "aws_vpc":
		return b.vpc(r)
	case "aws_vpc_ipv4_cidr_block_association", "aws_vpc_ipv6_cidr_block_association":
		return b.vpcCIDR(r)
	case "aws_subnet":
		return b.subnet(r)
	case "aws_ec2_managed_prefix_list", "aws_prefix_list":
		return b.prefixList(r)
	case "aws_ec2_managed_prefix_list_entry":
		return b.prefixListEntry(r)
	case "aws_default_security_group", "aws_security_group":
		return b.securityGroup(r)
	case "aws_security_group_rule":
		return b.securityGroupRule(r)
	case "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule":
		return b.vpcSecurityGroupRule(r)
	case "aws_default_network_acl", "aws_network_acl":
		return b.networkACL(r)
	case "aws_network_acl_rule":
		return b.networkACLRule(r)
	case "aws_network_acl_association":
		b.setNACL(r, b.refValue(r, "subnet_id"), b.refValue(r, "network_acl_id"), 3)
		return nil
	case "aws_network_interface":
		return b.networkInterface(r)
	case "aws_instance":
		return b.instance(r)
	case "aws_nat_gateway":
		return b.natGateway(r)
	case "aws_network_interface_sg_attachment":
		return b.sgAttachment(r)
	case "aws_eip":
		return b.eip(r)
	}
	return nil
}

// pathString prints an attribute path as Terraform does: ingress[2].cidr_blocks.
func pathString(path []any) string {
	var sb strings.Builder
	for i, p := range path {
		switch k := p.(type) {
		case int:
			fmt.Fprintf(&sb, "[%d]", k)
		default:
			if i > 0 {
				sb.WriteByte('.')
			}
			fmt.Fprint(&sb, k)
		}
	}
	return sb.String()
}

// idOf returns the AWS ID a reference stands for. References can form
// cycles (two instances naming each other's interfaces); past a few hops the
// address stands for the value.
func (b *netBuilder) idOf(rf ref) string {
	r := rf.r
	if b.depth > 8 {
		return r.addr + "." + rf.attr
	}
	b.depth++
	defer func() { b.depth-- }()
	switch {
	case rf.attr == "" || rf.attr == "id":
		return r.id
	case r.typ == "aws_vpc" && rf.attr == "default_network_acl_id":
		return b.vpcDefault(r, "default_network_acl_id", "aws_default_network_acl")
	case r.typ == "aws_vpc" && rf.attr == "default_security_group_id":
		return b.vpcDefault(r, "default_security_group_id", "aws_default_security_group")
	case r.typ == "aws_instance" && rf.attr == "primary_network_interface_id":
		return b.instanceENI(r)
	}
	if s := r.str(rf.attr); s != "" {
		return s
	}
	if r.typ == "aws_ec2_managed_prefix_list" || r.typ == "aws_prefix_list" {
		return r.id // prefix_list_id, arn…: the list itself
	}
	return r.addr + "." + rf.attr
}

// vpcDefault returns the ID of a VPC's default network ACL or security
// group: the VPC's attribute when known, else the aws_default_… resource
// whose configuration points at it, else "<vpc address>.<attr>".
func (b *netBuilder) vpcDefault(vpc *res, attr, typ string) string {
	if s := vpc.str(attr); s != "" {
		return s
	}
	for _, d := range b.res {
		if d.typ != typ || d.module != vpc.module {
			continue
		}
		key := "vpc_id"
		if typ == "aws_default_network_acl" {
			key = "default_network_acl_id"
		}
		for _, rf := range b.refs(d, key) {
			if rf.r == vpc {
				return d.id
			}
		}
	}
	return vpc.addr + "." + attr
}

// refValue returns the string attribute at path: its value when known;
// when unknown until apply, the ID of the resource the configuration
// references there, with a warning saying so.
func (b *netBuilder) refValue(r *res, path ...any) string {
	if s := r.str(path...); s != "" {
		return s
	}
	if !r.isUnknown(path...) {
		return ""
	}
	rs := b.refs(r, path...)
	if len(rs) == 0 {
		b.warn(r, "%s is unknown until apply and the configuration does not reference a resource of this plan for it: left empty", pathString(path))
		return ""
	}
	id := b.idOf(rs[0])
	if len(rs) > 1 {
		b.warn(r, "assumed %s = %s (unknown until apply; the configuration references %d resources, the first is used)", pathString(path), id, len(rs))
		return id
	}
	b.warn(r, "assumed %s = %s (unknown until apply; from the configuration's reference to %s)", pathString(path), id, rs[0].r.addr)
	return id
}

// refValues returns the string list or set at path: the known elements,
// plus, when some are unknown until apply, the IDs of the resources the
// configuration references there (with a warning).
func (b *netBuilder) refValues(r *res, path ...any) []string {
	known := r.strs(path...)
	if !r.anyUnknown(path...) {
		return known
	}
	var added []string
	for _, rf := range b.refs(r, path...) {
		id := b.idOf(rf)
		if !slices.Contains(known, id) && !slices.Contains(added, id) {
			added = append(added, id)
		}
	}
	if len(added) == 0 {
		b.warn(r, "%s is unknown until apply and the configuration does not reference a resource of this plan for it: only its known elements %v are used", pathString(path), known)
		return known
	}
	b.warn(r, "assumed %s includes %s (unknown until apply; from the configuration's references)", pathString(path), strings.Join(added, ", "))
	return append(known, added...)
}
