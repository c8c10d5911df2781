package main

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwarp"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// streamTable draws a section whose rows stream (section.Each) as
// writeTable does — tablewriter's borders, padding, widths and word
// wrapping (its own twwarp and twwidth) — but row by row, never holding
// the rows. tablewriter takes some 30 µs and several copies of every row,
// which for the flow table of a replay of 100 000 flows is seconds and
// hundreds of megabytes; this takes two passes over the rows instead, one
// to measure the columns, one to draw them. TestStreamTableDrawsAsTablewriter
// holds the two to the same bytes.
func (r renderer) streamTable(w io.Writer, s section) error {
	cols := len(s.Columns)
	widths := make([]int, cols)
	for c := range cols {
		widths[c] = twwidth.Width(s.Columns[c])
	}
	all := func(yield func([]string) bool) {
		for _, row := range s.Rows {
			if !yield(row) {
				return
			}
		}
		if s.Each != nil {
			for row := range s.Each {
				if !yield(row) {
					return
				}
			}
		}
	}
	cl := cellLines{cells: make([][]string, cols)}
	rows := 0
	for row := range all {
		if !plainCells(row) {
			// tablewriter expands tabs and treats other control
			// characters and empty lines its own way: let it draw this
			// (rare) table.
			return r.writeTable(w, s)
		}
		rows++
		for c, ls := range cl.split(r, &s, row) {
			for _, l := range ls {
				widths[c] = max(widths[c], textWidth(l))
			}
		}
	}
	if rows == 0 {
		return r.writeTable(w, s)
	}
	for c := range cols {
		if lim := s.Wrap[c]; lim > 0 {
			// A wrapped column is as wide as its limit, as tablewriter
			// draws it.
			widths[c] = max(lim-2, twwidth.Width(s.Columns[c]))
		}
	}
	return drawStreamed(w, widths, s.Columns, all, func(row []string) [][]string { return cl.split(r, &s, row) }, rows, s.Title)
}

// drawStreamed draws the table: the header, then each row of rows as split
// gives its cells' lines; want is how many rows the measuring pass saw.
func drawStreamed(w io.Writer, widths []int, header []string, rows iter.Seq[[]string], split func([]string) [][]string, want int, title string) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 64<<10)
	}
	widest := 0
	for _, wd := range widths {
		widest = max(widest, wd)
	}
	spaces := strings.Repeat(" ", widest+1)
	dashes := strings.Repeat("─", widest+2)
	border := func(left, mid, right string) {
		bw.WriteString(left)
		for c, wd := range widths {
			if c > 0 {
				bw.WriteString(mid)
			}
			bw.WriteString(dashes[:(wd+2)*len("─")])
		}
		bw.WriteString(right)
		bw.WriteByte('\n')
	}
	draw := func(cells [][]string) {
		height := 1
		for _, ls := range cells {
			height = max(height, len(ls))
		}
		for i := range height {
			bw.WriteString("│")
			for c, ls := range cells {
				l := ""
				if i < len(ls) {
					l = ls[i]
				}
				bw.WriteByte(' ')
				bw.WriteString(l)
				bw.WriteString(spaces[:widths[c]-textWidth(l)+1])
				bw.WriteString("│")
			}
			bw.WriteByte('\n')
		}
	}
	border("┌", "┬", "┐")
	head := make([][]string, len(header))
	for c, h := range header {
		head[c] = []string{h}
	}
	draw(head)
	border("├", "┼", "┤")
	drawn := 0
	for row := range rows {
		draw(split(row))
		drawn++
	}
	border("└", "┴", "┘")
	if drawn != want {
		return fmt.Errorf("rendering table %q: its rows changed between two passes (%d, then %d)", title, want, drawn)
	}
	return bw.Flush()
}

// cellLines splits a row's cells into the lines drawn, reusing its
// buffers from one row to the next.
type cellLines struct {
	cells [][]string
}

// split returns row's cells as lines: coloured as writeTable colours them,
// split at newlines, wrapped (and a word longer than its column cut, as
// tablewriter cuts it) in the section's wrapped columns.
func (cl *cellLines) split(r renderer, s *section, row []string) [][]string {
	for c := range cl.cells {
		v := ""
		if c < len(row) {
			v = row[c]
		}
		if f := s.Color[c]; r.color && f != nil {
			if code := f(v); code != "" {
				v = code + v + ansiReset
			}
		}
		out := cl.cells[c][:0]
		lim := s.Wrap[c] - 2
		for {
			l, rest, more := strings.Cut(v, "\n")
			if lim > 0 && (textWidth(l) > lim || strings.Contains(l, "  ") || strings.HasPrefix(l, " ") || strings.HasSuffix(l, " ")) {
				wrapped, _ := twwarp.WrapStringWithSpaces(l, lim)
				for _, wl := range wrapped {
					if twwidth.Width(wl) > lim {
						wl = twwidth.Truncate(wl, lim, "")
					}
					out = append(out, wl)
				}
			} else {
				out = append(out, l)
			}
			if !more {
				break
			}
			v = rest
		}
		cl.cells[c] = out
	}
	return cl.cells
}

// plainCells reports whether row's cells hold no control characters but
// line breaks, and no empty line within a cell: text streamTable draws as
// tablewriter does.
func plainCells(row []string) bool {
	for _, v := range row {
		if strings.HasPrefix(v, "\n") || strings.HasSuffix(v, "\n") || strings.Contains(v, "\n\n") {
			return false
		}
		for i := 0; i < len(v); i++ {
			if b := v[i]; (b < 0x20 && b != '\n') || b == 0x7f {
				return false
			}
		}
	}
	return true
}

// textWidth is twwidth.Width, measured directly for plain ASCII text.
func textWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f {
			return twwidth.Width(s)
		}
	}
	return len(s)
}
