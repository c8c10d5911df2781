package awsimport

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/ctsim/ctsim/firewall"
)

// sgDoc is a describe-security-groups output, two spaces an indent level.
// The byte columns of its keys are what the tests expect.
const sgDoc = `{
  "SecurityGroups": [
    {
      "GroupId": "sg-1",
      "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/33"}]}
      ]
    }
  ]
}`

func built(t *testing.T, name, data string) *Index {
	t.Helper()
	ix := NewIndex(name, []byte(data))
	if err := ix.Build(); err != nil {
		t.Fatalf("Build: %v", err)
	}
	return ix
}

// Positions are file:line:col with lines and columns from 1, columns in
// bytes, and point at the key of a member or the first byte of an element:
// the precision awsjson and tfplan document for their errors. No SPEC.md
// section applies to the index tests; positions are ctsim's own contract
// (STYLE.md lesson 13).
func TestPosPointsAtKeyOrElement(t *testing.T) {
	ix := built(t, "sg.json", sgDoc)
	tests := []struct {
		parts     []any
		line, col int
	}{
		{nil, 1, 1},                        // the root
		{[]any{"SecurityGroups"}, 2, 3},    // a key
		{[]any{"SecurityGroups", 0}, 3, 5}, // an array element
		{[]any{"SecurityGroups", 0, "GroupId"}, 4, 7},
		{[]any{"SecurityGroups", 0, "IpPermissions", 0}, 6, 9},
		{[]any{"SecurityGroups", 0, "IpPermissions", 0, "FromPort"}, 6, 31},
		{[]any{"SecurityGroups", 0, "IpPermissions", 0, "IpRanges", 0, "CidrIp"}, 7, 24},
		// absent: the nearest enclosing value
		{[]any{"SecurityGroups", 0, "IpPermissions", 0, "ToPort", "x"}, 6, 47},
		{[]any{"SecurityGroups", 0, "Description"}, 3, 5},
		{[]any{"SecurityGroups", 7, "GroupId"}, 2, 3},
		{[]any{"Vpcs"}, 1, 1},
	}
	for _, tt := range tests {
		want := firewall.Origin{File: "sg.json", Line: tt.line, Col: tt.col}
		if got := ix.Pos(tt.parts...); got != want {
			t.Errorf("Pos(%v) = %v, want %v", tt.parts, got, want)
		}
	}
}

func TestOriginCountsLinesAndByteColumns(t *testing.T) {
	ix := NewIndex("f.json", []byte("ab\n\ncé\nx"))
	tests := []struct{ off, line, col int }{
		{0, 1, 1},
		{2, 1, 3}, // the newline ends its line
		{3, 2, 1}, // an empty line
		{4, 3, 1},
		{7, 3, 4}, // é is two bytes
		{8, 4, 1},
		{9, 4, 2}, // end of input
	}
	for _, tt := range tests {
		want := firewall.Origin{File: "f.json", Line: tt.line, Col: tt.col}
		if got := ix.Origin(tt.off); got != want {
			t.Errorf("Origin(%d) = %v, want %v", tt.off, got, want)
		}
	}
}

func TestErrorfNamesTheMemberAtFault(t *testing.T) {
	ix := built(t, "sg.json", sgDoc)
	tests := []struct {
		parts []any
		want  firewall.Error
	}{
		{[]any{"SecurityGroups", 0, "IpPermissions", 0, "IpRanges", 0, "CidrIp"},
			firewall.Error{Origin: firewall.Origin{File: "sg.json", Line: 7, Col: 24}, Field: "CidrIp", Msg: "security group sg-1: bad CIDR"}},
		{[]any{"SecurityGroups", 0}, // an element: no Field
			firewall.Error{Origin: firewall.Origin{File: "sg.json", Line: 3, Col: 5}, Msg: "security group sg-1: bad CIDR"}},
		{nil,
			firewall.Error{Origin: firewall.Origin{File: "sg.json", Line: 1, Col: 1}, Msg: "security group sg-1: bad CIDR"}},
	}
	for _, tt := range tests {
		err := ix.Errorf(tt.parts, "security group %s: %s", "sg-1", "bad CIDR")
		var fe *firewall.Error
		if !errors.As(err, &fe) || *fe != tt.want {
			t.Errorf("Errorf(%v) = %#v, want %#v", tt.parts, err, tt.want)
		}
	}
	if got, want := ix.Errorf([]any{"SecurityGroups"}, "x").Error(), "sg.json:2:3: x"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// JSON syntax errors point at the offending byte, type errors at the key of
// the member whose value has the wrong type.
func TestJSONErrorPositionsDecoderErrors(t *testing.T) {
	tests := []struct {
		name, data string
		into       any
		want       firewall.Error
	}{
		{"syntax error at a byte", "{\n  \"a\": x\n}", new(any),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 2, Col: 8}, Msg: "invalid JSON: invalid character 'x' looking for beginning of value"}},
		{"unexpected end", "{\"a\": [1,", new(any),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 10}, Msg: "invalid JSON: unexpected end of JSON input"}},
		// Type errors name JSON kinds, never Go types (int32, struct { … }).
		{"type error at the key", "{\n  \"FromPort\": \"22\"\n}", new(struct{ FromPort int32 }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 2, Col: 3}, Field: "FromPort", Msg: "FromPort is a string, want a number"}},
		{"type error at the root", `[1]`, new(struct{ A int }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 1}, Msg: "found an array, want an object"}},
		{"number too big for int32", `{"FromPort": 1e10}`, new(struct{ FromPort *int32 }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 2}, Field: "FromPort", Msg: "FromPort is the number 1e10, want a whole number from -2147483648 to 2147483647"}},
		{"fraction for an int", `{"MaxEntries": 1.5}`, new(struct{ MaxEntries int }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 2}, Field: "MaxEntries", Msg: "MaxEntries is the number 1.5, want a whole number from -9223372036854775808 to 9223372036854775807"}},
		{"negative for a uint8", `{"N": -1}`, new(struct{ N uint8 }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 2}, Field: "N", Msg: "N is the number -1, want a whole number from 0 to 255"}},
		{"bool for a string", `{"GroupId": true}`, new(struct{ GroupId string }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 2}, Field: "GroupId", Msg: "GroupId is true or false, want a string"}},
		{"number for a list", `{"IpRanges": 3}`, new(struct{ IpRanges []struct{ CidrIp string } }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 2}, Field: "IpRanges", Msg: "IpRanges is a number, want an array"}},
		{"string for an object", `{"Tags": {"a": "b"}, "PortRange": "80"}`, new(struct{ PortRange *struct{ From int32 } }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 22}, Field: "PortRange", Msg: "PortRange is a string, want an object"}},
		{"array for a bool", `{"Egress": []}`, new(struct{ Egress bool }),
			firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 1, Col: 2}, Field: "Egress", Msg: "Egress is an array, want true or false"}},
	}
	for _, tt := range tests {
		ix := NewIndex("f.json", []byte(tt.data))
		err := json.Unmarshal([]byte(tt.data), tt.into)
		if err == nil {
			t.Fatalf("%s: Unmarshal succeeded", tt.name)
		}
		if _, syntax := errors.AsType[*json.SyntaxError](err); !syntax {
			if err := ix.Build(); err != nil {
				t.Fatalf("%s: Build: %v", tt.name, err)
			}
		}
		var fe *firewall.Error
		if got := ix.JSONError(err); !errors.As(got, &fe) || *fe != tt.want {
			t.Errorf("%s: JSONError = %#v, want %#v", tt.name, got, tt.want)
		}
	}
}

func TestJSONErrorPositionsEOFAtTheEndAndOthersAtTheFile(t *testing.T) {
	ix := NewIndex("f.json", []byte("{\n"))
	tests := []struct {
		err  error
		want firewall.Error
	}{
		{io.ErrUnexpectedEOF, firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 2, Col: 1}, Msg: "invalid JSON: unexpected end of input"}},
		{io.EOF, firewall.Error{Origin: firewall.Origin{File: "f.json", Line: 2, Col: 1}, Msg: "invalid JSON: unexpected end of input"}},
		{errors.New("disk on fire"), firewall.Error{Origin: firewall.Origin{File: "f.json"}, Msg: "disk on fire"}},
	}
	for _, tt := range tests {
		var fe *firewall.Error
		if got := ix.JSONError(tt.err); !errors.As(got, &fe) || *fe != tt.want {
			t.Errorf("JSONError(%v) = %#v, want %#v", tt.err, got, tt.want)
		}
	}
}

func TestBuildReportsTruncatedInput(t *testing.T) {
	for _, data := range []string{"", "{", `{"a": [1, 2`, `{"a"`, `[{"b": {}}`} {
		err := NewIndex("f.json", []byte(data)).Build()
		var fe *firewall.Error
		if !errors.As(err, &fe) || fe.Origin.File != "f.json" || fe.Origin.Line != 1 || fe.Msg == "" {
			t.Errorf("Build(%q) = %#v, want a positioned *firewall.Error", data, err)
		}
	}
}

func TestSubNeverSharesTheParentArray(t *testing.T) {
	at := make([]any, 2, 10)
	at[0], at[1] = "NetworkAcls", 0
	a := Sub(at, "Entries", 1)
	b := Sub(at, "Associations")
	if !slices.Equal(a, []any{"NetworkAcls", 0, "Entries", 1}) || !slices.Equal(b, []any{"NetworkAcls", 0, "Associations"}) {
		t.Errorf("Sub = %v and %v", a, b)
	}
	if len(Sub(nil)) != 0 {
		t.Errorf("Sub(nil) = %v", Sub(nil))
	}
}
