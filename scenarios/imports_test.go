package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRulesImports checks rules: {aws: DIR} and rules: {terraform: FILE}:
// the imported network is used, relative paths resolve against the
// scenario file's directory (Load) or the working directory (Parse), and a
// missing path is an error at the path's position.
func TestRulesImports(t *testing.T) {
	awsDir := filepath.Join("..", "firewall", "awsjson", "testdata", "shop")
	tfFile := filepath.Join("..", "firewall", "tfplan", "testdata", "shop.tfstate.json")
	for _, p := range []string{awsDir, tfFile} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("fixture %s not found: %v", p, err)
		}
	}
	for _, tt := range []struct{ name, rules string }{
		{"aws", "aws: " + filepath.ToSlash(awsDir)},
		{"terraform", "terraform: " + filepath.ToSlash(tfFile)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("imp.yaml", []byte("rules: {"+tt.rules+"}\n"))
			if err != nil {
				t.Fatal(err)
			}
			inv := s.Inventory
			if len(inv.VPCs) == 0 || len(inv.Subnets) == 0 || len(inv.SecurityGroups) == 0 || len(inv.Interfaces) == 0 {
				t.Errorf("imported inventory is missing objects: %d VPCs, %d subnets, %d groups, %d interfaces",
					len(inv.VPCs), len(inv.Subnets), len(inv.SecurityGroups), len(inv.Interfaces))
			}
			if len(s.Hosts) != len(inv.Interfaces) || s.HostByName(inv.Interfaces[0].ID) == nil {
				t.Errorf("imported interfaces are not hosts: %+v", s.Hosts)
			}
			if _, err := s.Run(RunOptions{}); err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}

	// Load resolves the path against the file's directory.
	dir := t.TempDir()
	abs, err := filepath.Abs(awsDir)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Skip(err)
	}
	file := filepath.Join(dir, "net.yaml")
	if err := os.WriteFile(file, []byte("rules: {aws: "+filepath.ToSlash(rel)+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(file); err != nil {
		t.Errorf("Load with a path relative to the file: %v", err)
	}

	for _, tt := range []struct{ yaml, want string }{
		{"rules: {aws: ./no-such-dir}\n", "imp.yaml:1:14: rules: aws: awsjson: stat ./no-such-dir: "},
		{"rules: {terraform: ./no-such.json}\n", "imp.yaml:1:20: rules: terraform: tfplan: open ./no-such.json: "},
		{"rules: {aws: a, terraform: b}\n", "imp.yaml:1:28: rules: give aws or terraform, not both"},
		{"rules: {}\n", "imp.yaml:1:8: rules: give aws: DIR (AWS CLI describe-* JSON) or terraform: FILE (terraform show -json)"},
	} {
		_, err := Parse("imp.yaml", []byte(tt.yaml))
		var pe *ParseError
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want prefix %q", tt.yaml, err, tt.want)
		}
	}
}

// TestLoadReportsMissingFile checks that Load wraps the read error.
func TestLoadReportsMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want a wrapped os.ErrNotExist", err)
	}
}
