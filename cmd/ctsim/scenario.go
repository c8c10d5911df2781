package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/ctsim/ctsim/scenarios"
)

// loadScenario resolves a FILE|NAME argument: an existing file path is read
// from disk, anything else must be a built-in scenario's name; "" is the
// default scenario. --aws/--terraform add imported rules to it (see
// withImports). Scenario warnings go to stderr.
func loadScenario(e *env, arg string, sf *simFlags) (*scenarios.Scenario, error) {
	if arg == "" {
		arg = scenarios.DefaultScenario
	}
	name, onDisk, data, err := scenarioSource(arg)
	if err != nil {
		return nil, err
	}
	var s *scenarios.Scenario
	if onDisk && !sf.imports() {
		// Load resolves the file's own relative paths (rules: {aws: DIR})
		// against its directory.
		s, err = scenarios.Load(arg)
	} else {
		if data, err = withImports(name, data, sf); err != nil {
			return nil, err
		}
		s, err = scenarios.Parse(name, data)
	}
	if err != nil {
		return nil, err
	}
	for _, w := range s.Warnings {
		fmt.Fprintln(e.stderr, "ctsim: warning: "+w)
	}
	return s, nil
}

// scenarioSource returns the file name errors should carry, whether it is a
// file on disk (else a built-in), and the YAML.
func scenarioSource(arg string) (name string, onDisk bool, data []byte, err error) {
	if fi, statErr := os.Stat(arg); statErr == nil && !fi.IsDir() {
		data, err = os.ReadFile(arg)
		if err != nil {
			return "", false, nil, err
		}
		return arg, true, data, nil
	}
	for _, n := range scenarios.BuiltinNames() {
		if n == arg {
			data, err = scenarios.BuiltinSource(n)
			return n + ".yaml", false, data, err
		}
	}
	if strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return "", false, nil, fmt.Errorf("scenario file %s: no such file", arg)
	}
	return "", false, nil, fmt.Errorf("%q is neither a scenario file nor a built-in scenario (built-in: %s)",
		arg, strings.Join(scenarios.BuiltinNames(), ", "))
}

// withImports adds "rules: {aws: DIR}" or "rules: {terraform: FILE}" to a
// scenario's YAML for --aws/--terraform, so that the scenario's hosts,
// traffic, changes and expectations can refer to the imported names (the
// scenarios package resolves them while parsing). The key is appended at
// the end so that line numbers in error messages stay those of the file.
// The paths are made absolute: they are given relative to the working
// directory, not to the scenario file.
func withImports(name string, data []byte, sf *simFlags) ([]byte, error) {
	if !sf.imports() {
		return data, nil
	}
	if sf.aws != "" && sf.terraform != "" {
		return nil, &exitError{code: exitBadInput, err: errors.New("give --aws or --terraform, not both")}
	}
	key, path := "aws", sf.aws
	if sf.terraform != "" {
		key, path = "terraform", sf.terraform
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--%s %s: %w", key, path, errors.Unwrap(err))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if hasTopLevelKey(data, "rules") {
		return nil, fmt.Errorf("--%s: %s already imports its rules (rules: key); use one or the other", key, name)
	}
	var b bytes.Buffer
	b.Write(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "rules: {%s: %s}\n", key, strconv.Quote(abs))
	return b.Bytes(), nil
}

// hasTopLevelKey reports whether the YAML document's top-level mapping has
// key. Malformed YAML reports false: the scenario parser then says what is
// wrong, with its position.
func hasTopLevelKey(data []byte, key string) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return false
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

type scenariosOpts struct {
	out outputFlags
}

func scenariosCommand() *command {
	return &command{
		name:  "scenarios",
		args:  "[list | show NAME]",
		short: "list the built-in scenarios, or print one's YAML",
		long: `Without arguments (or with "list"), prints every built-in scenario: its name and
its one-line story. "show NAME" prints the scenario's YAML exactly as it is
built in: a starting point for a file of your own (ctsim run FILE).`,
		example: `  ctsim scenarios
  ctsim scenarios show udp-timeouts > my.yaml
  ctsim scenarios -o json`,
		flags: func(fs *pflag.FlagSet) any {
			o := &scenariosOpts{}
			o.out.add(fs, "table, json, csv, markdown")
			return o
		},
		run: runScenarios,
	}
}

// scenarioInfoJSON is one entry of `ctsim scenarios -o json`.
type scenarioInfoJSON struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

func runScenarios(e *env, opts any, args []string) error {
	o := opts.(*scenariosOpts)
	if len(args) > 0 && args[0] == "show" {
		if len(args) != 2 {
			return usageErrorf("scenarios", "scenarios show needs exactly one NAME")
		}
		data, err := scenarios.BuiltinSource(args[1])
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(data)
		return err
	}
	if len(args) > 1 || (len(args) == 1 && args[0] != "list") {
		return usageErrorf("scenarios", "unexpected argument %q: want list or show NAME", args[len(args)-1])
	}
	r, err := o.out.renderer(e, "scenarios", fmtTable, fmtJSON, fmtCSV, fmtMarkdown)
	if err != nil {
		return err
	}
	list := scenarios.List()
	infos := make([]scenarioInfoJSON, 0, len(list))
	rows := make([][]string, 0, len(list))
	for _, in := range list {
		infos = append(infos, scenarioInfoJSON{Name: in.Name, Title: in.Title})
		rows = append(rows, []string{in.Name, in.Title})
	}
	d := &document{
		Sections: []section{{
			Columns: []string{"name", "story"},
			Keys:    []string{"name", "title"},
			Rows:    rows,
			Notes:   []string{"", "Run one with 'ctsim run NAME'; print its YAML with 'ctsim scenarios show NAME'."},
		}},
		JSON: infos,
	}
	if r.format == fmtCSV || r.format == fmtMarkdown {
		d.Sections[0].Notes = nil
	}
	return r.render(e.stdout, d)
}
