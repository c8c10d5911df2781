package awsjson

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, seeded with the shop fixture
// and a few broken shapes. Parse must not panic, must return either an
// error or a result, must be deterministic, and a failed Parse must leave
// the Result untouched.
func FuzzParse(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "shop", "*.json"))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(n), data)
	}
	f.Add("x.json", []byte(`{"SecurityGroups":[{"GroupId":"sg-1","IpPermissions":[{"IpProtocol":"icmpv6"}]}]}`))
	f.Add("x.json", []byte(`{"NetworkAcls":[{"NetworkAclId":"a","Entries":[{"RuleNumber":32768,"RuleAction":"deny"}]}]}`))
	f.Add("pl-1.entries.json", []byte(`{"Entries":[{"Cidr":"::/0"}],"NextToken":"x"}`))
	f.Add("x.json", []byte(`{"Vpcs":null}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if len(data) > 1<<16 {
			return // keep each input well under a second
		}
		var r1, r2 Result
		err1 := Parse(name, data, &r1)
		err2 := Parse(name, data, &r2)
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(r1.Inventory, r2.Inventory) || !reflect.DeepEqual(r1.Warnings, r2.Warnings) {
			t.Fatalf("Parse is not deterministic: %v / %v", err1, err2)
		}
		if err1 != nil {
			if len(r1.files) != 0 || len(r1.Inventory.VPCs)+len(r1.Inventory.SecurityGroups)+len(r1.Inventory.Interfaces) != 0 {
				t.Fatalf("failed Parse changed the Result: %v", err1)
			}
			return
		}
		_ = Normalize(r1.Inventory)
	})
}
