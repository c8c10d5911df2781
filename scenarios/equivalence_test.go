package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/awsjson"
)

// shopTraffic runs over the shop network: HTTPS from the internet to the
// web server's public address, web → app, app → db, and DNS from the app
// tier whose replies the app subnet's ACL does not let in.
const shopTraffic = `
hosts:
  - { name: shopper, external: true, addresses: [198.18.0.7], os: windows }
traffic:
  - { name: https, tcp: { client: shopper, server: eni-0b1c2d3e4f5a60001, dst_port: 443, exchanges: 2 } }
  - { name: web-to-app, tcp: { client: eni-0b1c2d3e4f5a60001, server: eni-0b1c2d3e4f5a60002, dst_port: 8080, start: 1s } }
  - { name: app-to-db, tcp: { client: eni-0b1c2d3e4f5a60002, server: eni-0b1c2d3e4f5a60003, dst_port: 5432, start: 2s } }
  - { name: app-dns, udp: { client: eni-0b1c2d3e4f5a60002, server: 8.8.8.8, app: dns, start: 3s } }
  - { name: ssh-outsider, tcp: { client: shopper, server: eni-0b1c2d3e4f5a60001, dst_port: 22, start: 4s } }
`

// canonical clears what the two formats legitimately differ in: the
// importers' Normalize (names, origins, rule IDs, order), the OS profile
// (not an AWS attribute; the YAML defaults it to linux), and nil vs empty
// group lists.
func canonical(inv firewall.Inventory) firewall.Inventory {
	inv = awsjson.Normalize(inv)
	for i := range inv.Interfaces {
		inv.Interfaces[i].OS = ""
		if len(inv.Interfaces[i].Groups) == 0 {
			inv.Interfaces[i].Groups = nil
		}
		if len(inv.Interfaces[i].PublicAddrs) == 0 {
			inv.Interfaces[i].PublicAddrs = nil
		}
	}
	return inv
}

// TestYAMLAndAWSJSONGiveTheSameNetwork checks issue 5's promise: the same
// network written in scenario YAML and in AWS CLI JSON reads to the same
// Inventory and gives the same simulation result, flow for flow.
func TestYAMLAndAWSJSONGiveTheSameNetwork(t *testing.T) {
	awsDir := filepath.Join("..", "firewall", "awsjson", "testdata", "shop")
	if _, err := os.Stat(awsDir); err != nil {
		t.Skipf("AWS JSON fixture not found: %v", err)
	}
	yamlSrc, err := os.ReadFile(filepath.Join("testdata", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := Parse("shop.yaml", yamlSrc)
	if err != nil {
		t.Fatal(err)
	}
	imported, err := awsjson.Load(awsDir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := canonical(fromYAML.Inventory), canonical(imported.Inventory)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("inventories differ at %s", firstDiff(reflect.ValueOf(a), reflect.ValueOf(b), "Inventory"))
	}

	run := func(name string, src []byte) []byte {
		t.Helper()
		s, err := Parse(name, src)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Run(RunOptions{Explain: true})
		if err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(out.Result)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	yamlRun := run("shop.yaml", append(bytes.Replace(yamlSrc, []byte("\nhosts:\n"), []byte("\nhosts:\n  - { name: shopper, external: true, addresses: [198.18.0.7], os: windows }\n"), 1),
		[]byte(shopTraffic[bytes.Index([]byte(shopTraffic), []byte("traffic:")):])...))
	awsRun := run("shop-aws.yaml", []byte("rules: { aws: "+filepath.ToSlash(awsDir)+" }\n"+shopTraffic))
	if !bytes.Equal(yamlRun, awsRun) {
		i := 0
		for i < len(yamlRun) && i < len(awsRun) && yamlRun[i] == awsRun[i] {
			i++
		}
		lo := max(0, i-200)
		t.Errorf("results differ from byte %d:\n yaml …%s\n  aws …%s", i, yamlRun[lo:min(len(yamlRun), i+200)], awsRun[lo:min(len(awsRun), i+200)])
	}
	for _, v := range []string{`"verdict":"blocked"`, `"verdict":"allowed"`} {
		if !bytes.Contains(yamlRun, []byte(v)) {
			t.Errorf("the traffic should give flows with %s", v)
		}
	}
}

// firstDiff names the first place where a and b differ, with both values.
func firstDiff(a, b reflect.Value, path string) string {
	if a.Type() != b.Type() {
		return path + ": types differ"
	}
	switch a.Kind() {
	case reflect.Struct:
		if a.Type().PkgPath() == "net/netip" {
			break
		}
		for i := 0; i < a.NumField(); i++ {
			if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
				return firstDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
			}
		}
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return fmt.Sprintf("%s: nil %v vs nil %v", path, a.IsNil(), b.IsNil())
		}
		for i := 0; i < a.Len() && i < b.Len(); i++ {
			if !reflect.DeepEqual(a.Index(i).Interface(), b.Index(i).Interface()) {
				return firstDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		}
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: length %d vs %d", path, a.Len(), b.Len())
		}
	}
	return fmt.Sprintf("%s: %#v vs %#v", path, a.Interface(), b.Interface())
}

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
