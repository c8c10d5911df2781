package main

import (
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/tfplan"
)

// loadTerraform reads a Terraform plan or state (terraform show -json) for
// rules show, with the importer's warnings (unsupported resources,
// values assumed because they are unknown until apply).
func loadTerraform(path string) (*firewall.Inventory, firewall.Limits, string, []string, error) {
	res, err := tfplan.Load(path)
	if err != nil {
		return nil, firewall.Limits{}, "", nil, err
	}
	ws := make([]string, 0, len(res.Warnings))
	for _, w := range res.Warnings {
		ws = append(ws, w.String())
	}
	return &res.Inventory, firewall.Limits{}, path, ws, nil
}
