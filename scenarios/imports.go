package scenarios

import (
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/awsjson"
	"github.com/ctsim/ctsim/firewall/tfplan"
)

// imports reads "rules: {aws: DIR}" or "rules: {terraform: FILE}": the
// network and rules from AWS CLI describe-* JSON (firewall/awsjson) or
// from terraform show -json (firewall/tfplan), resolved against the
// scenario file's directory. The imported objects come first in the Inventory;
// the file's own vpc, subnets, groups, ACLs and hosts are added to them
// and may refer to imported IDs.
func (p *parser) imports(n *yaml.Node) error {
	m, err := p.mapping(n, "rules", "aws", "terraform")
	if err != nil {
		return err
	}
	aws, tf := m.get("aws"), m.get("terraform")
	switch {
	case aws == nil && tf == nil:
		return p.errAt(m.node, "rules: give aws: DIR (AWS CLI describe-* JSON) or terraform: FILE (terraform show -json)")
	case aws != nil && tf != nil:
		return p.errAt(tf, "rules: give aws or terraform, not both")
	}
	v, kind := aws, "aws"
	if tf != nil {
		v, kind = tf, "terraform"
	}
	path, err := p.str(v, kind)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(path) && p.dir != "" {
		path = filepath.Join(p.dir, path)
	}
	if kind == "aws" {
		res, err := awsjson.Load(path)
		if err != nil {
			return p.errAt(v, "rules: aws: %v", err)
		}
		p.merge(res.Inventory)
		for _, w := range res.Warnings {
			p.warnings = append(p.warnings, prefixOrigin(w.Origin)+w.Msg)
		}
		return nil
	}
	res, err := tfplan.Load(path)
	if err != nil {
		return p.errAt(v, "rules: terraform: %v", err)
	}
	p.merge(res.Inventory)
	for _, w := range res.Warnings {
		p.warnings = append(p.warnings, prefixOrigin(w.Origin)+w.Msg)
	}
	return nil
}

// merge appends an imported inventory to the scenario's.
func (p *parser) merge(inv firewall.Inventory) {
	s := &p.s.Inventory
	s.VPCs = append(s.VPCs, inv.VPCs...)
	s.Subnets = append(s.Subnets, inv.Subnets...)
	s.SecurityGroups = append(s.SecurityGroups, inv.SecurityGroups...)
	s.NetworkACLs = append(s.NetworkACLs, inv.NetworkACLs...)
	s.Interfaces = append(s.Interfaces, inv.Interfaces...)
	s.PrefixLists = append(s.PrefixLists, inv.PrefixLists...)
}

func prefixOrigin(o firewall.Origin) string {
	if s := o.String(); s != "" {
		return s + ": "
	}
	return ""
}
