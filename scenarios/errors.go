package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// ParseError is an error in a scenario file, at a position. Error formats
// it as "file:line:col: msg" (STYLE.md lesson 13); Line or Col is 0 when
// the YAML library did not report it, and that part is then left out.
type ParseError struct {
	File      string
	Line, Col int
	Msg       string
}

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
// position for a few (tabs, "mapping values are not allowed").
func syntaxError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ParseError{File: file, Line: line, Msg: "yaml syntax: " + m[2]}
	}
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return &ParseError{File: file, Msg: "yaml syntax: " + msg}
}
