package scenarios

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseError is an error in a scenario file, at a position. Error formats
// it as "file:line:col: msg" (STYLE.md lesson 13); Line or Col is 0 when
// the YAML library did not report it, and that part is then left out.
type ParseError struct {
	File      string
	Line, Col int
	Msg       string
	// Err is the underlying error when another package decided (a
	// *conntrack.RangeError for a timeout out of range), else nil.
	Err error
}

// Unwrap returns e.Err.
func (e *ParseError) Unwrap() error { return e.Err }

// Error returns "file:line:col: msg".
func (e *ParseError) Error() string {
	switch {
	case e.Line == 0:
		return e.File + ": " + e.Msg
	case e.Col == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// errorAt returns a *ParseError at node n of file.
func errorAt(file string, n *yaml.Node, format string, args ...any) error {
	pe := &ParseError{File: file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		pe.Line, pe.Col = n.Line, n.Column
	}
	return pe
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns an error of the YAML library into a *ParseError. The
// library reports "yaml: line N: msg" for most syntax errors and no
// position for a few (tabs, "mapping values are not allowed"). data is the
// document, to place parser errors (see parserErrorAt).
func syntaxError(file string, data []byte, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col := 0
		if isParserError(m[2]) {
			line, col = parserErrorAt(data, line+1, m[2])
		}
		return &ParseError{File: file, Line: line, Col: col, Msg: "yaml syntax: " + m[2]}
	}
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return &ParseError{File: file, Msg: "yaml syntax: " + msg}
}

// decoder turns yaml.Nodes into values, reporting every problem as a
// *ParseError at the offending node. It collects warnings (valid input
// that AWS would store differently, such as a non-canonical CIDR).
type decoder struct {
	file     string
	warnings []string
}

func (d *decoder) errAt(n *yaml.Node, format string, args ...any) error {
	return errorAt(d.file, n, format, args...)
}

// wrapAt returns err as a *ParseError at node n that unwraps to err.
func (d *decoder) wrapAt(n *yaml.Node, err error) error {
	pe := errorAt(d.file, n, "%v", err).(*ParseError)
	pe.Err = err
	return pe
}

func (d *decoder) warn(n *yaml.Node, format string, args ...any) {
	d.warnings = append(d.warnings, errorAt(d.file, n, format, args...).Error())
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null ("~", "null", "").
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// describe names a node's kind for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return "a document"
}

// mapping is a YAML mapping whose keys were checked against a list of
// allowed keys. Lookups go through a map; anything that reaches output
// iterates node.Content in file order instead.
type mapping struct {
	node *yaml.Node
	what string
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
}

// mapping checks that n is a mapping whose keys are all in allowed, with
// no key twice. what names the object in messages ("host", "ingress rule").
func (d *decoder) mapping(n *yaml.Node, what string, allowed ...string) (*mapping, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, d.errAt(n, "%s: want a mapping, got %s", what, describe(n))
	}
	m := &mapping{node: n, what: what, vals: make(map[string]*yaml.Node, len(n.Content)/2),
		keys: make(map[string]*yaml.Node, len(n.Content)/2)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, d.errAt(k, "%s: keys must be plain words, got %s", what, describe(k))
		}
		if k.Value == "<<" {
			return nil, d.errAt(k, "%s: YAML merge keys (<<) are not supported; write the fields out", what)
		}
		if !contains(allowed, k.Value) {
			return nil, d.errAt(k, "unknown key %q in %s; allowed: %s", k.Value, what, strings.Join(allowed, ", "))
		}
		if first, dup := m.keys[k.Value]; dup {
			return nil, d.errAt(k, "key %q appears twice in %s (first at line %d)", k.Value, what, first.Line)
		}
		m.keys[k.Value] = k
		m.vals[k.Value] = v
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// get returns the value of key, or nil when absent or null.
func (m *mapping) get(key string) *yaml.Node {
	v := m.vals[key]
	if isNull(v) {
		return nil
	}
	return resolve(v)
}

// has reports whether key is present with a non-null value.
func (m *mapping) has(key string) bool { return m.get(key) != nil }

// require returns the value of key or an error at the mapping.
func (d *decoder) require(m *mapping, key string) (*yaml.Node, error) {
	v := m.get(key)
	if v == nil {
		return nil, d.errAt(m.node, "%s: %s is required", m.what, key)
	}
	return v, nil
}

// scalar checks that n is a scalar.
func (d *decoder) scalar(n *yaml.Node, field, want string) (*yaml.Node, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return nil, d.errAt(n, "%s: want %s, got %s", field, want, describe(n))
	}
	return n, nil
}

func (d *decoder) str(n *yaml.Node, field string) (string, error) {
	s, err := d.scalar(n, field, "a string")
	if err != nil {
		return "", err
	}
	return s.Value, nil
}

// optStr returns m[key] as a string, or "" when absent.
func (d *decoder) optStr(m *mapping, key string) (string, error) {
	v := m.get(key)
	if v == nil {
		return "", nil
	}
	return d.str(v, key)
}

// reqStr returns m[key] as a non-empty string.
func (d *decoder) reqStr(m *mapping, key string) (string, error) {
	v, err := d.require(m, key)
	if err != nil {
		return "", err
	}
	s, err := d.str(v, key)
	if err == nil && s == "" {
		err = d.errAt(v, "%s: must not be empty", key)
	}
	return s, err
}

// integer parses n as a decimal integer in [lo, hi].
func (d *decoder) integer(n *yaml.Node, field string, lo, hi int64) (int64, error) {
	s, err := d.scalar(n, field, "an integer")
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseInt(s.Value, 10, 64)
	if perr != nil || (s.Tag != "!!int" && s.Tag != "!!str") {
		return 0, d.errAt(s, "%s: want an integer, got %s", field, describe(s))
	}
	if v < lo || v > hi {
		return 0, d.errAt(s, "%s %d is outside %d–%d", field, v, lo, hi)
	}
	return v, nil
}

func (d *decoder) boolean(n *yaml.Node, field string) (bool, error) {
	s, err := d.scalar(n, field, "true or false")
	if err != nil {
		return false, err
	}
	switch s.Value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, d.errAt(s, "%s: want true or false, got %s", field, describe(s))
}

// optBool returns m[key] as a bool, false when absent.
func (d *decoder) optBool(m *mapping, key string) (bool, error) {
	v := m.get(key)
	if v == nil {
		return false, nil
	}
	return d.boolean(v, key)
}

// duration parses a Go duration ("30s", "5m", "1h30m", "0.5s") or a plain
// number of seconds ("30", "432000"); negative values are errors.
func (d *decoder) duration(n *yaml.Node, field string) (time.Duration, error) {
	s, err := d.scalar(n, field, "a duration such as 30s, 5m or 432000 (seconds)")
	if err != nil {
		return 0, err
	}
	v, ok := parseDuration(s.Value)
	if !ok {
		return 0, d.errAt(s, "%s: want a duration such as 30s, 5m or 432000 (seconds), got %s", field, describe(s))
	}
	if v < 0 {
		return 0, d.errAt(s, "%s: %s is negative", field, s.Value)
	}
	return v, nil
}

// parseDuration accepts Go durations and plain (possibly fractional)
// numbers of seconds.
func parseDuration(s string) (time.Duration, bool) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > float64(math.MaxInt64)/1e9 {
			return 0, false
		}
		return time.Duration(math.Round(f * 1e9)), true
	}
	v, err := time.ParseDuration(s)
	return v, err == nil
}

// optDuration returns m[key] as a duration, 0 when absent.
func (d *decoder) optDuration(m *mapping, key string) (time.Duration, error) {
	v := m.get(key)
	if v == nil {
		return 0, nil
	}
	return d.duration(v, key)
}

// prefix parses a CIDR block. A non-canonical block (host bits set) is
// accepted and masked, as AWS does (SPEC.md §3.1), with a warning.
func (d *decoder) prefix(n *yaml.Node, field string) (netip.Prefix, error) {
	s, err := d.scalar(n, field, "a CIDR block such as 10.0.0.0/16")
	if err != nil {
		return netip.Prefix{}, err
	}
	p, perr := netip.ParsePrefix(s.Value)
	if perr != nil {
		return netip.Prefix{}, d.errAt(s, "%s %q is not a CIDR block (want an address and a prefix length, such as 10.0.0.0/16, 203.0.113.1/32 or 2001:db8::/56)", field, s.Value)
	}
	if m := p.Masked(); m != p {
		d.warn(s, "%s %s has host bits set; AWS stores it as %s", field, p, m)
		p = m
	}
	return p, nil
}

// addr parses one IP address.
func (d *decoder) addr(n *yaml.Node, field string) (netip.Addr, error) {
	s, err := d.scalar(n, field, "an IP address")
	if err != nil {
		return netip.Addr{}, err
	}
	a, perr := netip.ParseAddr(s.Value)
	if perr != nil || a.Zone() != "" {
		return netip.Addr{}, d.errAt(s, "%s %q is not an IP address (want 10.0.1.10 or 2001:db8::10)", field, s.Value)
	}
	return a.Unmap(), nil
}

// list returns the items of a sequence; a single scalar counts as a
// one-item list (so "addresses: 10.0.1.10" reads naturally).
func (d *decoder) list(n *yaml.Node, field string) ([]*yaml.Node, error) {
	n = resolve(n)
	switch {
	case n == nil || isNull(n):
		return nil, nil
	case n.Kind == yaml.SequenceNode:
		out := make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			out[i] = resolve(c)
		}
		return out, nil
	case n.Kind == yaml.ScalarNode:
		return []*yaml.Node{n}, nil
	}
	return nil, d.errAt(n, "%s: want a list, got %s", field, describe(n))
}

// seq returns the items of a sequence of mappings (no scalar shortcut).
func (d *decoder) seq(n *yaml.Node, field string) ([]*yaml.Node, error) {
	n = resolve(n)
	if n == nil || isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errAt(n, "%s: want a list, got %s", field, describe(n))
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out, nil
}

// strList reads a list of strings.
func (d *decoder) strList(n *yaml.Node, field string) ([]string, error) {
	items, err := d.list(n, field)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := d.str(it, field)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// portRange parses "80", "1024-65535" or an integer, each port in 0–65535.
func (d *decoder) portRange(n *yaml.Node, field string) (lo, hi int32, err error) {
	s, err := d.scalar(n, field, `a port or a range such as "1024-65535"`)
	if err != nil {
		return 0, 0, err
	}
	a, b, isRange := strings.Cut(s.Value, "-")
	pa, e1 := strconv.Atoi(strings.TrimSpace(a))
	pb := pa
	var e2 error
	if isRange {
		pb, e2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if e1 != nil || e2 != nil {
		return 0, 0, d.errAt(s, "%s: want a port or a range such as \"1024-65535\", got %s", field, describe(s))
	}
	for _, p := range []int{pa, pb} {
		if p < 0 || p > 65535 {
			return 0, 0, d.errAt(s, "%s: port %d is outside 0–65535", field, p)
		}
	}
	if pa > pb {
		return 0, 0, d.errAt(s, "%s: %d-%d runs backwards (from %d to %d)", field, pa, pb, pa, pb)
	}
	return int32(pa), int32(pb), nil
}
