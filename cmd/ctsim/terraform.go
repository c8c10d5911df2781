package main

import (
	"errors"

	"github.com/ctsim/ctsim/firewall"
)

// loadTerraform reads a Terraform plan or state for rules show.
func loadTerraform(path string) (*firewall.Inventory, firewall.Limits, string, []string, error) {
	return nil, firewall.Limits{}, "", nil, errors.New("--terraform " + path + ": Terraform import is not available in this build yet")
}
