package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/spf13/pflag"
)

// Exit statuses (documented in docs/cli.md).
const (
	exitOK         = 0 // everything worked; in `test`, every expectation held
	exitFail       = 1 // `test`: an expectation failed
	exitBadInput   = 2 // bad usage or bad input (file, flag, scenario, rules)
	exitIncomplete = 3 // `replay`: the capture was not read whole
)

func main() {
	// tablewriter memoizes cell widths in a small LRU cache: a flow table
	// of many thousands of distinct cells misses nearly every time and
	// pays for the eviction too (a replay's table draws ~20% faster
	// without it). Widths are the same either way.
	twwidth.SetCacheCapacity(0)
	env := &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		getenv:    os.Getenv,
	}
	os.Exit(run(env, os.Args[1:]))
}

// env is everything a command may touch outside its arguments, so that tests
// can run commands in-process with buffers.
type env struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	stdoutTTY bool
	stderrTTY bool
	getenv    func(string) string
	// progressEvery is how often replay's progress line is redrawn on a
	// terminal; 0 means every 250 ms (tests set it below zero: always).
	progressEvery time.Duration
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// command is one subcommand.
type command struct {
	name    string
	args    string // argument synopsis, e.g. "[FILE|NAME]"
	short   string // one line for `ctsim help`
	long    string // paragraphs for `ctsim help CMD`
	hidden  bool   // not listed by `ctsim help` (still documented)
	flags   func(fs *pflag.FlagSet) any
	run     func(e *env, opts any, args []string) error
	example string
}

// commands returns every subcommand in the order `ctsim help` lists them.
func commands() []*command {
	return []*command{
		runCommand(),
		explainCommand(),
		testCommand(),
		scenariosCommand(),
		replayCommand(),
		rulesCommand(),
		gencapCommand(),
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// exitError carries an exit status with an error message. A nil err means
// "exit with code, print nothing more".
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports bad usage (exit 2) and reminds where help is.
func usageErrorf(cmd string, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if cmd != "" {
		msg += fmt.Sprintf(" (see 'ctsim help %s')", cmd)
	} else {
		msg += " (see 'ctsim help')"
	}
	return &exitError{code: exitBadInput, err: errors.New(msg)}
}

// run executes one ctsim invocation and returns its exit status.
func run(e *env, args []string) int {
	if len(args) == 0 {
		// A newcomer's first step: `ctsim` alone prints the overview.
		printOverview(e.stdout)
		return exitOK
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		return runHelp(e, args[1:])
	case "version", "--version":
		fmt.Fprintln(e.stdout, "ctsim "+version)
		return exitOK
	}
	c := findCommand(name)
	if c == nil {
		return report(e, usageErrorf("", "unknown command %q", name))
	}
	fs := pflag.NewFlagSet("ctsim "+c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = true
	opts := c.flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printCommandHelp(e.stdout, c)
			return exitOK
		}
		return report(e, usageErrorf(c.name, "%v", err))
	}
	return report(e, c.run(e, opts, fs.Args()))
}

// report prints err (if any) as "ctsim: <error>" and returns the exit status
// it stands for.
func report(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.err != nil {
			fmt.Fprintln(e.stderr, "ctsim: "+xe.err.Error())
		}
		return xe.code
	}
	fmt.Fprintln(e.stderr, "ctsim: "+err.Error())
	return exitBadInput
}

const version = "0.1.0"

func printOverview(w io.Writer) {
	var b strings.Builder
	b.WriteString("ctsim simulates AWS security groups, network ACLs and connection tracking, packet by packet.\n\n")
	b.WriteString("Usage:\n  ctsim COMMAND [flags] [arguments]\n\nCommands:\n")
	cmds := commands()
	width := 0
	for _, c := range cmds {
		if !c.hidden && len(c.name) > width {
			width = len(c.name)
		}
	}
	for _, c := range cmds {
		if c.hidden {
			continue
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.name, c.short)
	}
	fmt.Fprintf(&b, "  %-*s  %s\n", width, "help", "show help for ctsim or one command")
	b.WriteString("\nStart here:\n  ctsim run                      simulate the built-in ephemeral-ports scenario\n")
	b.WriteString("  ctsim scenarios                list the built-in scenarios\n")
	b.WriteString("  ctsim run NAME --explain       every packet, every check, in plain words\n")
	b.WriteString("\nRun 'ctsim help COMMAND' (or 'ctsim COMMAND --help') for a command's flags.\n")
	b.WriteString("Exit status: 0 ok, 1 an expectation failed (test), 2 bad usage or input, 3 capture not read whole (replay).\n")
	io.WriteString(w, b.String())
}

func runHelp(e *env, args []string) int {
	if len(args) == 0 {
		printOverview(e.stdout)
		return exitOK
	}
	c := findCommand(args[0])
	if c == nil {
		return report(e, usageErrorf("", "unknown help topic %q", args[0]))
	}
	printCommandHelp(e.stdout, c)
	return exitOK
}

func printCommandHelp(w io.Writer, c *command) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: ctsim %s", c.name)
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SortFlags = true
	c.flags(fs)
	if fs.HasFlags() {
		b.WriteString(" [flags]")
	}
	if c.args != "" {
		b.WriteString(" " + c.args)
	}
	b.WriteString("\n\n" + c.short + "\n")
	if c.long != "" {
		b.WriteString("\n" + strings.TrimRight(c.long, "\n") + "\n")
	}
	if fs.HasFlags() {
		b.WriteString("\nFlags:\n" + fs.FlagUsagesWrapped(100))
	}
	if c.example != "" {
		b.WriteString("\nExamples:\n" + strings.TrimRight(c.example, "\n") + "\n")
	}
	io.WriteString(w, b.String())
}

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
