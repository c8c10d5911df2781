package scenarios

import (
	"strings"
	"testing"
)

// TestYAMLSyntaxErrorsPointAtTheirLine checks that a YAML syntax error
// names the line (counted from 1) and, where it can be known, the column
// of what is wrong: the '[' or '{' of a flow collection left open, or the
// line the parser gave up on. The YAML library counts its parser's lines
// from 0 and gives no column (docs/scenario-format.md, "Errors").
func TestYAMLSyntaxErrorsPointAtTheirLine(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"open list on line 2", "name: x\nseed: [1\n", `x.yaml:2:7: yaml syntax: did not find expected ',' or ']'`},
		{"open mapping on line 2", "name: x\nseed: {a: 1\n", `x.yaml:2:7: yaml syntax: did not find expected ',' or '}'`},
		{"open list in a block list", "a:\n  - 1\n  - [2, 3\n  - 4\n", `x.yaml:3:5: yaml syntax: did not find expected ',' or ']'`},
		{"innermost open list", "a:\n  b: [1, [2, 3\n", `x.yaml:2:10: yaml syntax: did not find expected ',' or ']'`},
		{"open list on line 1", "hosts: [a, b\nseed: 1\n", `x.yaml:1:8: yaml syntax: did not find expected ',' or ']'`},
		{"open list over lines", "a: 1\nb: [1,\n  2,\n  3\nc: 2\n", `x.yaml:2:4: yaml syntax: did not find expected ',' or ']'`},
		{"bracket in a quoted scalar", "a: 'x[y'\nb: [1\n", `x.yaml:2:4: yaml syntax: did not find expected ',' or ']'`},
		{"bracket in a plain scalar", "note: see [docs\nb: [1, 2\n", `x.yaml:2:4: yaml syntax: did not find expected ',' or ']'`},
		{"bracket in a comment", "a: 1 # [x\nb: {c: 1\n", `x.yaml:2:4: yaml syntax: did not find expected ',' or '}'`},
		{"extra closing bracket", "a: 1\nb: [1, 2]]\n", `x.yaml:2:1: yaml syntax: did not find expected key`},
		{"list item in a mapping", "- a\n- b\nc: d\n", `x.yaml:3:1: yaml syntax: did not find expected '-' indicator`},
		// The scanner's lines are right already, and it gives no column.
		{"tab", "a: 1\n\tb: 2\n", `x.yaml:2: yaml syntax: found a tab character that violates indentation`},
		{"open quote", "a: 1\nb: 'abc\n", `x.yaml:2: yaml syntax: found unexpected end of stream`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

// FuzzParserErrorAt checks that placing a parser error never panics and
// always returns a line and column inside the document (or column 0).
func FuzzParserErrorAt(f *testing.F) {
	f.Add("a: [1, {b: 'x]', c: \"y\\\"[\"\n", 1, "did not find expected ',' or ']'")
	f.Add("- [\n  {\n", 2, "did not find expected ',' or '}'")
	f.Add("", 0, "did not find expected key")
	f.Fuzz(func(t *testing.T, doc string, line int, msg string) {
		l, c := parserErrorAt([]byte(doc), line, msg)
		lines := strings.Split(doc, "\n")
		if c != 0 && (l < 1 || l > len(lines) || c > len([]rune(lines[l-1]))) {
			t.Fatalf("position %d:%d outside the document (%d lines)", l, c, len(lines))
		}
	})
}
