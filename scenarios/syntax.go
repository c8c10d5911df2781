package scenarios

import (
	"strings"
	"unicode/utf8"
)

// The YAML library numbers lines from 0 in the errors of its parser
// (unlike those of its scanner): it reports the line of the error's
// context (the '[' of an unclosed flow sequence, the start of a block
// mapping) or, when that is on the first line, of the problem, both
// counted from 0. Its message says neither which nor the column.

// isParserError reports whether msg is one of the YAML parser's messages,
// whose line is counted from 0.
func isParserError(msg string) bool {
	for _, p := range []string{"did not find expected", "found undefined tag handle", "found duplicate %", "found incompatible YAML document"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// parserErrorAt returns the position of a parser error the library places
// on line (counted from 1). For an unclosed flow collection ("did not find
// expected ',' or ']'") it is the innermost '[' (or '{') still open at the
// end of that line, wherever it was opened, once the document up to there
// confirms one; for other errors it is the first character of the line.
// When the line is not in data, it returns line and column 0.
func parserErrorAt(data []byte, line int, msg string) (int, int) {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return line, 0
	}
	var open byte
	switch {
	case strings.HasSuffix(msg, "']'"):
		open = '['
	case strings.HasSuffix(msg, "'}'"):
		open = '{'
	}
	if open != 0 {
		stack := flowOpeners(lines[:line])
		if n := len(stack); n > 0 && stack[n-1].ch == open {
			return stack[n-1].line, stack[n-1].col
		}
		return line, 0
	}
	text := lines[line-1]
	trimmed := strings.TrimLeft(text, " ")
	if trimmed == "" || strings.HasPrefix(trimmed, "#") {
		return line, 0
	}
	return line, len(text) - len(trimmed) + 1
}

// opener is an unclosed '[' or '{' at a 1-based line and column.
type opener struct {
	line, col int
	ch        byte
}

// flowOpeners scans YAML lines and returns the flow collections still
// open at the end of the last one, outermost first. It knows just enough
// YAML to find them: in block context a '[' or '{' opens a collection only
// where a value starts (at the start of a line, after "- " or after ": "),
// elsewhere it is part of a plain scalar; in flow context every bracket
// outside quotes counts. Comments and quoted scalars are skipped (a quoted
// scalar is assumed to end on its line).
func flowOpeners(lines []string) []opener {
	var stack []opener
	for li, text := range lines {
		i := 0
		if len(stack) == 0 {
			i = blockValueStart(text)
			if i < 0 || (text[i] != '[' && text[i] != '{') {
				continue
			}
		}
		for ; i < len(text); i++ {
			switch c := text[i]; c {
			case '[', '{':
				stack = append(stack, opener{line: li + 1, col: utf8.RuneCountInString(text[:i]) + 1, ch: c})
			case ']', '}':
				if n := len(stack); n > 0 && stack[n-1].ch == c-2 {
					stack = stack[:n-1]
				}
			case '\'', '"':
				i = quoteEnd(text, i)
			case '#':
				if i == 0 || text[i-1] == ' ' || text[i-1] == '\t' {
					i = len(text)
				}
			}
		}
	}
	return stack
}

// blockValueStart returns the index in a block-context line where a value
// starts (after indentation, "- " indicators and a "key: "), or -1 when
// the line holds no value (blank, a comment, or a key alone).
func blockValueStart(text string) int {
	i := skipSpaces(text, 0)
	for i+1 < len(text) && text[i] == '-' && (text[i+1] == ' ') {
		i = skipSpaces(text, i+1)
	}
	if i >= len(text) || text[i] == '#' {
		return -1
	}
	if text[i] == '[' || text[i] == '{' {
		return i
	}
	for j := i; j < len(text); j++ {
		switch text[j] {
		case '\'', '"':
			if j == i {
				j = quoteEnd(text, j)
			}
		case ':':
			if j+1 == len(text) {
				return -1
			}
			if text[j+1] == ' ' {
				k := skipSpaces(text, j+1)
				if k >= len(text) || text[k] == '#' {
					return -1
				}
				return k
			}
		case '#':
			if text[j-1] == ' ' {
				return -1
			}
		}
	}
	return -1
}

func skipSpaces(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return i
}

// quoteEnd returns the index of the quote closing the quoted scalar that
// starts at text[i], or the last index of text when it does not close on
// the line. A single-quoted scalar escapes a quote by doubling it; a
// double-quoted one escapes with a backslash.
func quoteEnd(text string, i int) int {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		switch {
		case q == '"' && text[j] == '\\':
			j++
		case text[j] == q && q == '\'' && j+1 < len(text) && text[j+1] == '\'':
			j++
		case text[j] == q:
			return j
		}
	}
	return len(text) - 1
}
