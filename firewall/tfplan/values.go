package tfplan

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// get returns the value at path in r's values (nil when absent or null).
func (r *res) get(path ...any) any {
	var v any = r.values
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// isUnknown reports whether the value at path is unknown until apply:
// after_unknown is true there or at an enclosing value.
func (r *res) isUnknown(path ...any) bool {
	v := r.unknown
	for _, p := range path {
		if b, ok := v.(bool); ok {
			return b
		}
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k < 0 || k >= len(a) {
				return false
			}
			v = a[k]
		}
	}
	b, _ := v.(bool)
	return b
}

// anyUnknown reports whether anything at or below path is unknown.
func (r *res) anyUnknown(path ...any) bool {
	if r.isUnknown(path...) {
		return true
	}
	v := r.unknown
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k < 0 || k >= len(a) {
				return false
			}
			v = a[k]
		}
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case bool:
			return x
		case []any:
			return slices.ContainsFunc(x, walk)
		case map[string]any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// str returns the string at path, "" when absent, null or not a string.
func (r *res) str(path ...any) string {
	s, _ := r.get(path...).(string)
	return s
}

// strs returns the strings of the list or set at path.
func (r *res) strs(path ...any) []string {
	a, _ := r.get(path...).([]any)
	var out []string
	for _, e := range a {
		if s, ok := e.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// num returns the integer at path; ok is false when it is absent or null.
func (r *res) num(path ...any) (n int64, ok bool, bad string) {
	switch v := r.get(path...).(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, false, string(v)
		}
		return i, true, ""
	case string: // some providers keep ports as strings
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false, strconv.Quote(v)
		}
		return i, true, ""
	case nil:
		return 0, false, ""
	}
	return 0, false, jsonKind(r.get(path...))
}

// jsonKind names the kind of a decoded JSON value in JSON words.
func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "true or false"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a value of another kind"
}

// boolean returns the bool at path (false when absent).
func (r *res) boolean(path ...any) bool {
	b, _ := r.get(path...).(bool)
	return b
}

// blocks returns the number of nested blocks (list elements) at key.
func (r *res) blocks(key string) int {
	a, _ := r.get(key).([]any)
	return len(a)
}

// ref is one resolved reference: a resource and the attribute read from it.
type ref struct {
	r    *res
	attr string
}

// refs returns the resources that the configuration expression at path
// references ("aws_security_group.web.id"), resolved in r's module. A path
// into a nested block ("ingress", 2, "security_groups") looks in block 2 if
// the configuration has that many blocks, else in all of them.
func (p *parser) refs(r *res, path ...any) []ref {
	var node any = r.exprs
	for _, k := range path {
		switch k := k.(type) {
		case string:
			m, ok := node.(map[string]any)
			if !ok {
				node = nil
				break
			}
			node = m[k]
		case int:
			if a, ok := node.([]any); ok && k < len(a) {
				node = a[k]
			}
		}
	}
	names := collectRefs(node)
	slices.Sort(names) // map order above; references are a set
	names = mostSpecific(names)
	var out []ref
	for _, name := range names {
		for _, rf := range p.resolve(r, name) {
			if !slices.ContainsFunc(out, func(o ref) bool { return o.r == rf.r && o.attr == rf.attr }) {
				out = append(out, rf)
			}
		}
	}
	// "aws_x.y.id" and "aws_x.y" both come: keep the one with an attribute.
	out = slices.DeleteFunc(out, func(o ref) bool {
		return o.attr == "" && slices.ContainsFunc(out, func(q ref) bool { return q.r == o.r && q.attr != "" })
	})
	return out
}

// mostSpecific drops every reference that is a prefix of another one in
// sorted names: Terraform lists a traversal with its prefixes
// ("aws_security_group.web.id", "aws_security_group.web";
// "module.net.ids[1]", "module.net.ids"), and the longest says the most.
func mostSpecific(names []string) []string {
	names = slices.Compact(names)
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(names, func(m string) bool {
			return len(m) > len(n) && strings.HasPrefix(m, n) && (m[len(n)] == '.' || m[len(n)] == '[')
		}) {
			out = append(out, n)
		}
	}
	return out
}

// collectRefs returns every reference string in an expression tree.
func collectRefs(node any) []string {
	var names []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if rs, ok := x["references"].([]any); ok {
				for _, s := range rs {
					if s, ok := s.(string); ok {
						names = append(names, s)
					}
				}
			}
			for k, e := range x {
				if k != "references" {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(node)
	return names
}

// resolve turns a reference string into resource instances of r's module.
// A module output ("module.net.vpc_id") is followed into the module: the
// references of the output's expression are resolved there.
func (p *parser) resolve(r *res, name string) []ref {
	parts := strings.Split(name, ".")
	if parts[0] == "module" && len(parts) >= 3 {
		return p.resolveOutput(r, parts[1], parts[2])
	}
	mode := ""
	if parts[0] == "data" {
		mode, parts = "data.", parts[1:]
	}
	if len(parts) < 2 || !strings.Contains(parts[0], "_") {
		return nil // var., local., module outputs, each., count., self.
	}
	nm, idx := parts[1], ""
	if i := strings.IndexByte(nm, '['); i >= 0 {
		nm, idx = nm[:i], nm[i:]
	}
	attr := ""
	if len(parts) > 2 {
		attr = parts[2]
		if i := strings.IndexByte(attr, '['); i >= 0 {
			attr = attr[:i]
		}
	}
	cands := p.byCfg[r.module+"|"+mode+parts[0]+"."+nm]
	var out []ref
	switch {
	case idx != "":
		for _, c := range cands {
			if c.index == idx {
				out = append(out, ref{c, attr})
			}
		}
	case len(cands) > 1:
		for _, c := range cands {
			if c.index == r.index {
				out = append(out, ref{c, attr})
			}
		}
		if len(out) == 0 {
			for _, c := range cands {
				out = append(out, ref{c, attr})
			}
		}
	default:
		for _, c := range cands {
			out = append(out, ref{c, attr})
		}
	}
	return out
}

// resolveOutput resolves output out of module call call (which may carry an
// instance key) of r's module, through the output's expression.
func (p *parser) resolveOutput(r *res, call, out string) []ref {
	idx := ""
	if i := strings.IndexByte(out, '['); i >= 0 {
		out, idx = out[:i], out[i:]
	}
	child := "module." + call
	if r.module != "" {
		child = r.module + "." + child
	}
	m := p.configModule(child)
	if m == nil {
		return nil
	}
	o, ok := m.Outputs[out]
	if !ok {
		return nil
	}
	names := collectRefs(o.Expression)
	slices.Sort(names)
	at := &res{module: child}
	var refs []ref
	for _, n := range mostSpecific(names) {
		refs = append(refs, p.resolve(at, n)...)
	}
	// An element of a list output made of counted instances
	// ("module.net.subnet_ids[1]" of "aws_subnet.private[*].id") is taken
	// to be the instance with that index.
	if idx != "" && len(refs) > 1 {
		if one := slices.DeleteFunc(slices.Clone(refs), func(rf ref) bool { return rf.r.index != idx }); len(one) == 1 {
			return one
		}
	}
	return refs
}
