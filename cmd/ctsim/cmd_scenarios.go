package main

import (
	"github.com/spf13/pflag"

	"github.com/ctsim/ctsim/scenarios"
)

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
