package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/scenarios"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/pcap"
)

// TestStreamTableDrawsAsTablewriter holds streamTable, which draws the
// flow table row by row, to the bytes tablewriter draws from all the rows
// at once (writeTable): the flow tables of every built-in scenario, of a
// replay of a generated capture with drops, of flows whose hints carry a
// word longer than the column and wide characters, and of names with
// control characters or empty lines (which streamTable leaves to
// tablewriter), with colour off and on (issue 3: the table format; issue
// 4: the same flow table for replays).
func TestStreamTableDrawsAsTablewriter(t *testing.T) {
	var cases []struct {
		name  string
		flows []sim.Flow
	}
	add := func(name string, flows []sim.Flow) {
		cases = append(cases, struct {
			name  string
			flows []sim.Flow
		}{name, flows})
	}
	for _, name := range scenarios.BuiltinNames() {
		s, err := scenarios.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Run(scenarios.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		add(name, out.Result.Flows)
	}

	var capBuf bytes.Buffer
	if err := pcap.GenerateCapture(&capBuf, 3000, 400, 3); err != nil {
		t.Fatal(err)
	}
	rd, err := pcap.NewReader(&capBuf, "gen.pcap", pcap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := sim.New(benchInventory(t, 400, 0, 0), sim.Options{Replay: true})
	if err != nil {
		t.Fatal(err)
	}
	eng.AddSource(rd)
	res, err := eng.Run(packet.Never)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Dropped == 0 {
		t.Fatal("the generated replay dropped nothing")
	}
	add("generated replay", res.Flows)

	odd := append([]sim.Flow(nil), res.Flows[:5]...)
	odd[0].Hint = "a " + strings.Repeat("x", 80) + " word longer than the column"
	odd[1].Hint = "全角の文字と ASCII が混ざったヒント、折り返しの幅は表示幅で数える"
	odd[2].Name = "名前"
	odd[3].Hint = "  leading and trailing spaces  "
	add("long words and wide characters", odd)
	for _, name := range []string{"web\tclient", "cr\rin a name", "a\n\nblank line", "trailing break\n", "\x7fdel"} {
		ctl := append([]sim.Flow(nil), res.Flows[:3]...)
		ctl[1].Name = name
		add(fmt.Sprintf("control characters %q", name), ctl)
	}

	for _, tc := range cases {
		for _, color := range []bool{false, true} {
			r := renderer{format: fmtTable, color: color}
			s := flowsSection(tc.flows)
			var want, got bytes.Buffer
			if err := r.writeTable(&want, s); err != nil {
				t.Fatal(err)
			}
			if err := r.streamTable(&got, s); err != nil {
				t.Fatal(err)
			}
			if want.String() != got.String() {
				t.Errorf("%s (colour %v): streamTable differs from tablewriter:\n%s", tc.name, color, firstDiff(want.String(), got.String()))
			}
		}
	}
}

// TestStreamTableOfNoRowsSaysNone: an empty streamed table is drawn as
// writeTable draws it, with its "(none)" row.
func TestStreamTableOfNoRowsSaysNone(t *testing.T) {
	var got, want bytes.Buffer
	r := renderer{format: fmtTable}
	if err := r.streamTable(&got, flowsSection(nil)); err != nil {
		t.Fatal(err)
	}
	if err := r.writeTable(&want, flowsSection(nil)); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() || !strings.Contains(got.String(), "(none)") {
		t.Errorf("empty table:\n%s\nwant:\n%s", got.String(), want.String())
	}
}
