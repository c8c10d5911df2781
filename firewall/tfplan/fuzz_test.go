package tfplan

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, seeded with the plan and state
// fixtures and small shapes. Parse must not panic and must be
// deterministic; a success never carries an error and vice versa.
func FuzzParse(f *testing.F) {
	for _, n := range []string{"web.plan.json", "shop.tfstate.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(state(`{"address": "aws_security_group_rule.r", "mode": "managed", "type": "aws_security_group_rule", "name": "r",
 "values": {"type": "ingress", "security_group_id": "sg-1", "protocol": "icmp", "from_port": -1, "to_port": -1, "self": true}}`))
	f.Add([]byte(`{"format_version": "1.2", "planned_values": {"root_module": {"child_modules": [{"resources": [{"address": "module.m[0].aws_vpc.v", "mode": "managed", "type": "aws_vpc", "name": "v", "values": {}}]}]}},
 "resource_changes": [{"address": "module.m[0].aws_vpc.v", "change": {"after_unknown": {"id": true, "cidr_block": true}}}],
 "configuration": {"root_module": {"module_calls": {"m": {"module": {"resources": [{"address": "aws_vpc.v", "expressions": {"cidr_block": {"references": ["module.x.y[0]"]}}}]}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<17 {
			return // keep each input well under a second
		}
		r1, err1 := Parse("f.json", data)
		r2, err2 := Parse("f.json", data)
		if (err1 == nil) != (err2 == nil) || (err1 == nil) != (r1 != nil) {
			t.Fatalf("inconsistent results: %v / %v", err1, err2)
		}
		if err1 == nil && !reflect.DeepEqual(r1, r2) {
			t.Fatalf("Parse is not deterministic")
		}
	})
}
