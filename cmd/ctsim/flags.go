package main

import (
	"github.com/spf13/pflag"
)

// outputFlags are the flags of every command that prints data.
type outputFlags struct {
	output  string
	noColor bool
}

func (o *outputFlags) add(fs *pflag.FlagSet, formats string) {
	fs.StringVarP(&o.output, "output", "o", "table", "output `FORMAT`: "+formats)
	fs.BoolVar(&o.noColor, "no-color", false, "never colour the table output (colour is only ever used on a terminal; NO_COLOR is honoured too)")
}

// renderer returns the renderer for the chosen format. Colour is used only
// for the table format written to a terminal, without --no-color and
// without NO_COLOR set (https://no-color.org).
func (o *outputFlags) renderer(e *env, cmd string, allowed ...format) (renderer, error) {
	f, err := parseFormat(cmd, o.output, allowed...)
	if err != nil {
		return renderer{}, err
	}
	color := f == fmtTable && e.stdoutTTY && !o.noColor && e.getenv("NO_COLOR") == ""
	return renderer{format: f, color: color}, nil
}

// simFlags are the flags of every command that simulates: the seed, the
// explain trace and the imported rules.
type simFlags struct {
	seed      uint64
	explain   bool
	aws       string
	terraform string
	fs        *pflag.FlagSet
}

func (s *simFlags) add(fs *pflag.FlagSet, explain bool) {
	s.fs = fs
	fs.Uint64Var(&s.seed, "seed", 0, "override the scenario's random seed (same file and seed give byte-identical output)")
	if explain {
		fs.BoolVar(&s.explain, "explain", false, "print the per-packet trace: every check in order, in plain words")
	}
	fs.StringVar(&s.aws, "aws", "", "import the network and rules from AWS CLI describe-* JSON: a `DIR` of files, or one file")
	fs.StringVar(&s.terraform, "terraform", "", "import the network and rules from `FILE`, the output of 'terraform show -json' for a plan or a state")
}

// seedOverride returns the --seed value when it was given, else nil.
func (s *simFlags) seedOverride() *uint64 {
	if f := s.fs.Lookup("seed"); f != nil && f.Changed {
		v := s.seed
		return &v
	}
	return nil
}

// imports reports whether --aws or --terraform was given.
func (s *simFlags) imports() bool { return s != nil && (s.aws != "" || s.terraform != "") }
