package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
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

func (r renderer) render(w io.Writer, d *document) error {
	var buf bytes.Buffer
	var err error
	switch r.format {
	case fmtJSON:
		err = writeJSON(&buf, d.JSON)
	case fmtCSV:
		err = writeCSV(&buf, d)
	case fmtMarkdown:
		err = writeMarkdown(&buf, d)
	default:
		err = r.writeTables(&buf, d)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// writeJSON writes v as indented JSON with a final newline. HTML escaping is
// off so that "<" and ">" in packet strings stay readable.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
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
	var b strings.Builder
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
		for _, row := range s.Rows {
			b.WriteString("|")
			for _, c := range row {
				b.WriteString(" " + mdEscape(c) + " |")
			}
			b.WriteString("\n")
		}
		if len(s.Notes) > 0 {
			b.WriteString("\n")
			for _, n := range s.Notes {
				b.WriteString(n + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
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
		if err := r.writeTable(w, s); err != nil {
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
	if r.color && len(s.Color) > 0 {
		rows = make([][]string, len(s.Rows))
		for i, row := range s.Rows {
			row2 := append([]string(nil), row...)
			for col, f := range s.Color {
				if col < len(row2) {
					if c := f(row2[col]); c != "" {
						row2[col] = c + row2[col] + ansiReset
					}
				}
			}
			rows[i] = row2
		}
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
