package tfplan

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/awsjson"
)

// The shop network read from the AWS CLI's describe-… output and from the
// Terraform state that built it is the same Inventory once normalised
// (names, origins and generated rule IDs aside). The one difference is the
// load balancer's interface: aws_lb is not supported (and says so), so the
// AWS side's NLB interface is left out of the comparison. SPEC.md §1, §3.
func TestShopStateEqualsAWSDescribeOutput(t *testing.T) {
	aws, err := awsjson.Load(filepath.Join("..", "awsjson", "testdata", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := Load(filepath.Join("testdata", "shop.tfstate.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := aws.Inventory
	want.Interfaces = slices.DeleteFunc(slices.Clone(want.Interfaces), func(in firewall.Interface) bool { return in.Service == "network-load-balancer" })
	got, wantN := awsjson.Normalize(tf.Inventory), awsjson.Normalize(want)
	if !reflect.DeepEqual(got, wantN) {
		t.Errorf("Terraform state and AWS describe output differ:\n%s", diff(got, wantN))
	}
	var msgs []string
	for _, w := range tf.Warnings {
		msgs = append(msgs, w.Msg)
	}
	wantMsgs := []string{
		"aws_lb.front: unsupported resource type aws_lb ignored",
		"aws_route_table.public: unsupported resource type aws_route_table ignored",
	}
	if !slices.Equal(msgs, wantMsgs) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(wantMsgs, "\n"))
	}
}

// diff prints the first differing objects of two inventories.
func diff(a, b firewall.Inventory) string {
	var sb strings.Builder
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		if reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			continue
		}
		name := va.Type().Field(i).Name
		if fa.Len() != fb.Len() {
			fmt.Fprintf(&sb, "%s: %d vs %d\n", name, fa.Len(), fb.Len())
		}
		for j := range min(fa.Len(), fb.Len()) {
			if !reflect.DeepEqual(fa.Index(j).Interface(), fb.Index(j).Interface()) {
				fmt.Fprintf(&sb, "%s[%d]:\n got %+v\nwant %+v\n", name, j, fa.Index(j).Interface(), fb.Index(j).Interface())
			}
		}
	}
	return sb.String()
}
