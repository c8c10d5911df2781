package tfplan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/internal/awsimport"
)

// Result is the network a Terraform plan or state describes, and the
// warnings met on the way: resource types not supported, values unknown
// until apply and what was assumed for them. The zero Result is an empty
// network.
type Result struct {
	Inventory firewall.Inventory
	Warnings  []Warning
	// Plan reports whether the input was a plan (planned_values) rather
	// than a state (values).
	Plan bool
}

// Warning is something the importer did not read as-is: an unsupported
// resource type it ignored ("unsupported …"), a value unknown until apply
// and what it assumed instead ("assumed …"). Origin is the resource. The zero
// Warning says nothing.
type Warning struct {
	Origin firewall.Origin
	Msg    string
}

// String formats w as "file:line:col: msg".
func (w Warning) String() string {
	if s := w.Origin.String(); s != "" {
		return s + ": " + w.Msg
	}
	return w.Msg
}

// Load reads the output of terraform show -json (of a plan or of a state)
// from the file at path.
func Load(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tfplan: %w", err)
	}
	return Parse(path, data)
}

// The shapes of terraform show -json: only what this package reads
// (https://developer.hashicorp.com/terraform/internals/json-format).
type document struct {
	FormatVersion   string           `json:"format_version"`
	Values          *valuesShape     `json:"values"`
	PlannedValues   *valuesShape     `json:"planned_values"`
	PriorState      *stateShape      `json:"prior_state"`
	ResourceChanges []resourceChange `json:"resource_changes"`
	Configuration   *struct {
		RootModule configModule `json:"root_module"`
	} `json:"configuration"`
}

type stateShape struct {
	Values *valuesShape `json:"values"`
}

type valuesShape struct {
	RootModule moduleShape `json:"root_module"`
}

type moduleShape struct {
	Address      string          `json:"address"`
	Resources    []resourceShape `json:"resources"`
	ChildModules []moduleShape   `json:"child_modules"`
}

type resourceShape struct {
	Address string                     `json:"address"`
	Mode    string                     `json:"mode"`
	Type    string                     `json:"type"`
	Name    string                     `json:"name"`
	Index   json.RawMessage            `json:"index"`
	Values  map[string]json.RawMessage `json:"values"`
}

type resourceChange struct {
	Address string `json:"address"`
	Change  struct {
		Actions      []string `json:"actions"`
		AfterUnknown any      `json:"after_unknown"`
	} `json:"change"`
}

type configModule struct {
	Resources []configResource `json:"resources"`
	Outputs   map[string]struct {
		Expression any `json:"expression"`
	} `json:"outputs"`
	ModuleCalls map[string]struct {
		Module configModule `json:"module"`
	} `json:"module_calls"`
}

type configResource struct {
	Address     string         `json:"address"`
	Mode        string         `json:"mode"`
	Expressions map[string]any `json:"expressions"`
}

// res is one resource instance read from the plan or state.
type res struct {
	addr    string // "module.net.aws_subnet.a[0]"
	module  string // "module.net" ("" for the root module)
	cfgAddr string // "aws_subnet.a" (data sources: "data.aws_prefix_list.s3")
	typ     string
	mode    string
	index   string         // "[0]", `["a"]` or ""
	path    []any          // JSON path of the resource object
	values  map[string]any // decoded values (numbers as json.Number)
	unknown any            // after_unknown (plans only)
	exprs   map[string]any // configuration expressions, or nil
	id      string         // AWS ID, or the address while unknown
}

// parser holds one Parse.
type parser struct {
	ix       *awsimport.Index
	doc      document
	plan     bool
	res      []*res
	byCfg    map[string][]*res // module + "|" + cfgAddr → instances
	inv      firewall.Inventory
	warnings []Warning
}

// Parse reads the output of terraform show -json: a plan (planned_values,
// resource_changes, configuration) or a state (values). name is used in
// positions. Errors are *firewall.Error values with file:line:col.
func Parse(name string, data []byte) (*Result, error) {
	p := &parser{ix: awsimport.NewIndex(name, data), byCfg: make(map[string][]*res)}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &firewall.Error{Origin: firewall.Origin{File: name}, Msg: "empty file"}
	}
	var probe any
	err := json.Unmarshal(data, &probe)
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return nil, p.ix.JSONError(err)
	}
	if err := p.ix.Build(); err != nil {
		return nil, err
	}
	if _, ok := probe.(map[string]any); !ok {
		start := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
		return nil, &firewall.Error{Origin: p.ix.Origin(start), Msg: `expected the JSON object that "terraform show -json" prints ` +
			`(with a key such as "planned_values" or "values"), found ` + awsimport.JSONKind(data[start:])}
	}
	if err := json.Unmarshal(data, &p.doc); err != nil {
		return nil, p.ix.JSONError(err)
	}
	if v := p.doc.FormatVersion; v != "" && !strings.HasPrefix(v, "1.") && v != "1" {
		return nil, p.ix.Errorf([]any{"format_version"}, "format_version %q: only major version 1 is supported", v)
	}
	if err := p.collect(); err != nil {
		return nil, err
	}
	if err := p.build(); err != nil {
		return nil, err
	}
	return &Result{Inventory: p.inv, Warnings: p.warnings, Plan: p.plan}, nil
}

func (p *parser) warn(r *res, format string, args ...any) {
	p.warnings = append(p.warnings, Warning{Origin: p.ix.Pos(r.path...), Msg: r.addr + ": " + fmt.Sprintf(format, args...)})
}

// warnAt records a warning at attribute parts of r's values.
func (p *parser) warnAt(r *res, parts []any, format string, args ...any) {
	o := p.ix.Pos(awsimport.Sub(awsimport.Sub(r.path, "values"), parts...)...)
	p.warnings = append(p.warnings, Warning{Origin: o, Msg: r.addr + ": " + fmt.Sprintf(format, args...)})
}

// errorf returns an error at attribute parts of r's values.
func (p *parser) errorf(r *res, parts []any, format string, args ...any) error {
	return p.ix.Errorf(awsimport.Sub(awsimport.Sub(r.path, "values"), parts...), "%s: %s", r.addr, fmt.Sprintf(format, args...))
}

// collect gathers every resource instance with its values, its unknowns and
// its configuration.
func (p *parser) collect() error {
	var root *valuesShape
	rootKey := ""
	switch {
	case p.doc.PlannedValues != nil:
		p.plan, root, rootKey = true, p.doc.PlannedValues, "planned_values"
	case p.doc.Values != nil:
		root, rootKey = p.doc.Values, "values"
	default:
		return &firewall.Error{Origin: p.ix.Origin(0), Msg: "neither planned_values (a plan) nor values (a state): want the output of terraform show -json"}
	}
	unknown := make(map[string]any)
	for _, rc := range p.doc.ResourceChanges {
		unknown[rc.Address] = rc.Change.AfterUnknown
	}
	seen := make(map[string]bool)
	if err := p.walkModule(&root.RootModule, []any{rootKey, "root_module"}, unknown, seen); err != nil {
		return err
	}
	// A plan lists data sources read at plan time in prior_state only.
	if p.plan && p.doc.PriorState != nil && p.doc.PriorState.Values != nil {
		if err := p.walkModule(&p.doc.PriorState.Values.RootModule, []any{"prior_state", "values", "root_module"}, nil, seen, "data"); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) walkModule(m *moduleShape, at []any, unknown map[string]any, seen map[string]bool, onlyMode ...string) error {
	for i := range m.Resources {
		rs := &m.Resources[i]
		if len(onlyMode) > 0 && rs.Mode != onlyMode[0] {
			continue
		}
		if seen[rs.Address] {
			continue
		}
		seen[rs.Address] = true
		r := &res{addr: rs.Address, typ: rs.Type, mode: rs.Mode, path: awsimport.Sub(at, "resources", i), unknown: unknown[rs.Address]}
		r.module, r.cfgAddr, r.index = splitAddress(rs.Address, rs.Mode)
		r.values = make(map[string]any, len(rs.Values))
		for k, raw := range rs.Values {
			var v any
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				return p.ix.Errorf(awsimport.Sub(r.path, "values", k), "%s: %v", r.addr, err)
			}
			r.values[k] = v
		}
		r.exprs = p.config(r.module, r.cfgAddr)
		p.res = append(p.res, r)
		key := r.module + "|" + r.cfgAddr
		p.byCfg[key] = append(p.byCfg[key], r)
	}
	for i := range m.ChildModules {
		if err := p.walkModule(&m.ChildModules[i], awsimport.Sub(at, "child_modules", i), unknown, seen, onlyMode...); err != nil {
			return err
		}
	}
	return nil
}

// splitAddress splits "module.a[0].module.b.aws_x.y[2]" into the module
// ("module.a[0].module.b"), the address in the module ("aws_x.y"; data
// sources keep their "data." prefix) and the instance key ("[2]").
func splitAddress(addr, mode string) (module, cfg, index string) {
	rest := addr
	for strings.HasPrefix(rest, "module.") {
		// module.NAME or module.NAME[KEY], then a dot.
		end := moduleEnd(rest)
		if module != "" {
			module += "."
		}
		module += rest[:end]
		rest = strings.TrimPrefix(rest[end:], ".")
	}
	if i := strings.IndexByte(rest, '['); i >= 0 {
		rest, index = rest[:i], rest[i:]
	}
	if mode == "data" && !strings.HasPrefix(rest, "data.") {
		rest = "data." + rest
	}
	return module, rest, index
}

// moduleEnd returns the length of the leading "module.NAME[KEY]" of s.
func moduleEnd(s string) int {
	i := len("module.")
	for i < len(s) && s[i] != '.' && s[i] != '[' {
		i++
	}
	if i < len(s) && s[i] == '[' {
		depth := 0
		inStr := false
		for ; i < len(s); i++ {
			switch c := s[i]; {
			case c == '"':
				inStr = !inStr
			case c == '[' && !inStr:
				depth++
			case c == ']' && !inStr:
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	}
	return i
}

// configModule finds the configuration of module ("module.a[0].module.b";
// instance keys are ignored: configuration is per module call), or nil.
func (p *parser) configModule(module string) *configModule {
	if p.doc.Configuration == nil {
		return nil
	}
	m := &p.doc.Configuration.RootModule
	if module == "" {
		return m
	}
	for part := range strings.SplitSeq(module, ".module.") {
		part = strings.TrimPrefix(part, "module.")
		if i := strings.IndexByte(part, '['); i >= 0 {
			part = part[:i]
		}
		call, ok := m.ModuleCalls[part]
		if !ok {
			return nil
		}
		m = &call.Module
	}
	return m
}

// config finds the configuration expressions of the resource cfgAddr in
// module, or nil.
func (p *parser) config(module, cfgAddr string) map[string]any {
	m := p.configModule(module)
	if m == nil {
		return nil
	}
	for _, cr := range m.Resources {
		if cr.Address == cfgAddr {
			return cr.Expressions
		}
	}
	return nil
}
