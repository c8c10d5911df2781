package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ctsim/ctsim/sim"
)

// format is an output format chosen with -o/--output.
type format string

// Output formats. Not every command offers every format: junit is for
// `ctsim test` only.
const (
	fmtTable    format = "table"
	fmtJSON     format = "json"
	fmtCSV      format = "csv"
	fmtMarkdown format = "markdown"
	fmtJUnit    format = "junit"
)

// parseFormat checks s against the formats a command offers.
func parseFormat(cmd, s string, allowed ...format) (format, error) {
	names := make([]string, len(allowed))
	for i, f := range allowed {
		if string(f) == s || (f == fmtMarkdown && s == "md") {
			return f, nil
		}
		names[i] = string(f)
	}
	return "", usageErrorf(cmd, "unknown output format %q: want %s", s, strings.Join(names, ", "))
}

// section is one table of a document: a title, a header and rows of plain
// strings. Renderers never reorder rows: callers sort them.
type section struct {
	// Title is printed above the table (table and markdown formats).
	Title string
	// Columns are the header cells, in words ("first seen").
	Columns []string
	// Keys are the CSV header cells (snake_case); nil means Columns.
	Keys []string
	Rows [][]string
	// Each, when set, yields the rows after Rows, one at a time, so that
	// a long table is never held whole in the csv and markdown formats
	// (the table format must measure every row first). The row slice may
	// be reused from one row to the next.
	Each iter.Seq[[]string]
	// Notes are lines printed under the table (table and markdown).
	Notes []string
	// Wrap gives, per column, the width at which cells wrap in the table
	// format (0 = never wrap).
	Wrap map[int]int
	// Color names, per column, a function choosing an ANSI colour for a
	// cell ("" = none); used only when colour is on.
	Color map[int]func(cell string) string
}

// document is what a command prints: sections for table, markdown and CSV,
// and a typed value for JSON.
type document struct {
	// Heading is printed first: as lines in the table format, as a "##"
	// heading and a paragraph in markdown. Not in CSV.
	Heading  []string
	Sections []section
	// CSV lists the sections the csv format prints (indexes into
	// Sections), separated by a blank line; nil means the first only.
	CSV []int
	// JSON is marshalled for -o json; documented in docs/json.md.
	JSON any
	// Text is printed verbatim before the sections in table and markdown
	// formats (e.g. an explain trace), nil for none.
	Text []string
}

// renderer writes documents in one format.
type renderer struct {
	format format
	color  bool
}

// render writes d to w as it goes, through a buffer: the output of a
// replay of a large capture is never held whole in memory.
func (r renderer) render(w io.Writer, d *document) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var err error
	switch r.format {
	case fmtJSON:
		err = writeJSON(bw, d.JSON)
	case fmtCSV:
		err = writeCSV(bw, d)
	case fmtMarkdown:
		err = writeMarkdown(bw, d)
	default:
		err = r.writeTables(bw, d)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// writeJSON writes v as indented JSON with a final newline. HTML escaping is
// off so that "<" and ">" in packet strings stay readable. A run or replay
// document's flows are written one by one (writeRunJSON).
func writeJSON(w io.Writer, v any) error {
	if d, ok := v.(*runJSON); ok && d.Result != nil && len(d.Result.Flows) > 0 {
		return writeRunJSON(w, d, jsonChunk)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// flowsHole is where the flows go in a run document marshalled without
// them: the "flows" member of the top-level object. A newline followed by
// two spaces occurs only as indentation (newlines in strings are escaped),
// so it cannot be mistaken.
const flowsHole = "\n  \"flows\": null"

// jsonChunk is how many flows writeRunJSON encodes at a time on each of
// its two goroutines.
const jsonChunk = 1024

// writeRunJSON writes d exactly as writeJSON's encoder would, but encodes
// its flows a chunk at a time into the rest of the document (marshalled
// without them), so that the flows' JSON is never held whole.
func writeRunJSON(w io.Writer, d *runJSON, chunk int) error {
	res := *d.Result
	flows := res.Flows
	res.Flows = nil
	doc := *d
	doc.Result = &res
	var rest bytes.Buffer
	if err := writeJSON(&rest, &doc); err != nil {
		return err
	}
	at := bytes.Index(rest.Bytes(), []byte(flowsHole))
	if at < 0 {
		return fmt.Errorf("writing JSON: no flows member in the document")
	}
	at += len(flowsHole) - len("null")
	if _, err := w.Write(rest.Bytes()[:at]); err != nil {
		return err
	}
	if err := writeFlowsJSON(w, flows, chunk); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\n  ]"); err != nil {
		return err
	}
	_, err := w.Write(rest.Bytes()[at+len("null"):])
	return err
}

// flowEncoder encodes flows as elements of the top-level "flows" array.
type flowEncoder struct {
	compact bytes.Buffer
	enc     *json.Encoder
}

func newFlowEncoder() *flowEncoder {
	fe := &flowEncoder{}
	fe.enc = json.NewEncoder(&fe.compact)
	fe.enc.SetEscapeHTML(false)
	return fe
}

// appendFlows appends flows[lo:hi], each after its separator: the opening
// bracket before the first flow of all, a comma before the others.
func (fe *flowEncoder) appendFlows(out []byte, flows []sim.Flow, lo, hi int) ([]byte, error) {
	for i := lo; i < hi; i++ {
		fe.compact.Reset()
		if err := fe.enc.Encode(&flows[i]); err != nil {
			return out, err
		}
		if i == 0 {
			out = append(out, "[\n    "...)
		} else {
			out = append(out, ",\n    "...)
		}
		// Array elements of a top-level member are indented twice.
		out = appendIndented(out, bytes.TrimSuffix(fe.compact.Bytes(), []byte("\n")), "    ", "  ")
	}
	return out, nil
}

// writeFlowsJSON writes the flows, chunk by chunk, in order: this
// goroutine encodes the even chunks and a second one, which it owns and
// waits for, the odd ones, so that a large replay's JSON takes two cores.
func writeFlowsJSON(w io.Writer, flows []sim.Flow, chunk int) error {
	chunks := (len(flows) + chunk - 1) / chunk
	bounds := func(c int) (int, int) { return c * chunk, min((c+1)*chunk, len(flows)) }
	type encoded struct {
		buf []byte
		err error
	}
	results := make(chan encoded, 1)
	bufs := make(chan []byte, 2) // the odd chunks' two buffers, back from writing
	bufs <- nil
	bufs <- nil
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		fe := newFlowEncoder()
		for c := 1; c < chunks; c += 2 {
			var buf []byte
			select {
			case buf = <-bufs:
			case <-quit:
				return
			}
			lo, hi := bounds(c)
			buf, err := fe.appendFlows(buf[:0], flows, lo, hi)
			select {
			case results <- encoded{buf, err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(quit)
		<-done
	}()
	fe := newFlowEncoder()
	var mine []byte
	for c := range chunks {
		var buf []byte
		if c%2 == 0 {
			lo, hi := bounds(c)
			var err error
			if mine, err = fe.appendFlows(mine[:0], flows, lo, hi); err != nil {
				return err
			}
			buf = mine
		} else {
			r := <-results
			if r.err != nil {
				return r.err
			}
			buf = r.buf
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		if c%2 == 1 {
			bufs <- buf // never blocks: there are two buffers
		}
	}
	return nil
}

// appendIndented appends src, compact JSON as encoding/json writes it (no
// space outside strings), indented as json.Indent would: one faster pass
// for the trusted output of the encoder, which json.Indent scans again.
func appendIndented(dst, src []byte, prefix, indent string) []byte {
	newline := func(dst []byte, depth int) []byte {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
		return dst
	}
	depth := 0
	open, inString, escaped := false, false, false
	for _, c := range src {
		if inString {
			dst = append(dst, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if open && c != '}' && c != ']' {
			// The first member of an object or array that is not empty.
			open = false
			depth++
			dst = newline(dst, depth)
		}
		switch c {
		case '"':
			inString = true
			dst = append(dst, c)
		case '{', '[':
			open = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = newline(dst, depth)
		case ':':
			dst = append(dst, ':', ' ')
		case '}', ']':
			if open {
				open = false // {} and [] stay on their line
			} else {
				depth--
				dst = newline(dst, depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func writeCSV(w io.Writer, d *document) error {
	idx := d.CSV
	if idx == nil {
		idx = []int{0}
	}
	cw := csv.NewWriter(w)
	for n, i := range idx {
		if i >= len(d.Sections) {
			continue
		}
		s := d.Sections[i]
		if n > 0 {
			cw.Flush()
			io.WriteString(w, "\n")
		}
		keys := s.Keys
		if keys == nil {
			keys = s.Columns
		}
		if err := cw.Write(keys); err != nil {
			return err
		}
		for _, row := range s.Rows {
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		if s.Each != nil {
			for row := range s.Each {
				if err := cw.Write(row); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// mdEscape makes s safe inside a markdown table cell.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", "<br>")
	if s == "" {
		return " "
	}
	return s
}

func writeMarkdown(w io.Writer, d *document) error {
	b := bufio.NewWriter(w)
	for i, h := range d.Heading {
		if i == 0 {
			b.WriteString("## " + h + "\n\n")
		} else {
			b.WriteString(h + "\n")
		}
	}
	if len(d.Heading) > 1 {
		b.WriteString("\n")
	}
	if len(d.Text) > 0 {
		b.WriteString("```\n")
		for _, l := range d.Text {
			b.WriteString(l + "\n")
		}
		b.WriteString("```\n\n")
	}
	for i, s := range d.Sections {
		if i > 0 {
			b.WriteString("\n")
		}
		if s.Title != "" {
			b.WriteString("### " + s.Title + "\n\n")
		}
		b.WriteString("|")
		for _, c := range s.Columns {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n|")
		for range s.Columns {
			b.WriteString(" --- |")
		}
		b.WriteString("\n")
		writeRow := func(row []string) {
			b.WriteString("|")
			for _, c := range row {
				b.WriteString(" " + mdEscape(c) + " |")
			}
			b.WriteString("\n")
		}
		for _, row := range s.Rows {
			writeRow(row)
		}
		if s.Each != nil {
			for row := range s.Each {
				writeRow(row)
			}
		}
		if len(s.Notes) > 0 {
			b.WriteString("\n")
			for _, n := range s.Notes {
				b.WriteString(n + "\n")
			}
		}
	}
	return b.Flush()
}

// ANSI colours used in the table format when colour is on.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
)

func (r renderer) writeTables(w io.Writer, d *document) error {
	for i, h := range d.Heading {
		if i == 0 && r.color {
			h = ansiBold + h + ansiReset
		}
		io.WriteString(w, h+"\n")
	}
	if len(d.Heading) > 0 {
		io.WriteString(w, "\n")
	}
	for _, l := range d.Text {
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			return err
		}
	}
	if len(d.Text) > 0 && len(d.Sections) > 0 {
		io.WriteString(w, "\n")
	}
	for i, s := range d.Sections {
		if i > 0 {
			io.WriteString(w, "\n")
		}
		if s.Title != "" {
			title := s.Title
			if r.color {
				title = ansiBold + title + ansiReset
			}
			io.WriteString(w, title+"\n")
		}
		write := r.writeTable
		if s.Each != nil {
			write = r.streamTable
		}
		if err := write(w, s); err != nil {
			return err
		}
		for _, n := range s.Notes {
			io.WriteString(w, n+"\n")
		}
	}
	return nil
}

func (r renderer) writeTable(w io.Writer, s section) error {
	widths := tw.NewMapper[int, int]()
	for col, n := range s.Wrap {
		widths.Set(col, n)
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithColumnWidths(widths),
		tablewriter.WithTrimSpace(tw.Off),
	)
	t.Header(toAny(s.Columns)...)
	rows := s.Rows
	if s.Each != nil {
		rows = slices.Clip(rows)
		for row := range s.Each {
			rows = append(rows, slices.Clone(row))
		}
	}
	if r.color && len(s.Color) > 0 {
		colored := make([][]string, len(rows))
		for i, row := range rows {
			row2 := append([]string(nil), row...)
			for col, f := range s.Color {
				if col < len(row2) {
					if c := f(row2[col]); c != "" {
						row2[col] = c + row2[col] + ansiReset
					}
				}
			}
			colored[i] = row2
		}
		rows = colored
	}
	if len(rows) == 0 {
		empty := make([]string, len(s.Columns))
		if len(empty) > 0 {
			empty[0] = "(none)"
		}
		rows = [][]string{empty}
	}
	if err := t.Bulk(rows); err != nil {
		return fmt.Errorf("rendering table %q: %w", s.Title, err)
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("rendering table %q: %w", s.Title, err)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
