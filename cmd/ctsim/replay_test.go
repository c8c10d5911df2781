package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/scenarios"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/pcap"
	"github.com/gopacket/gopacket/layers"
)

// TestReplayLoopDoesNotAllocatePerPacket checks the replay hot path —
// reading, decoding, the whole filter path and writing the dropped packets
// out (--write-dropped) — allocates nothing per packet in steady state
// (issue 4: "0 allocs/packet"): a second pass over the same flows
// allocates only what opening the capture and the output costs, not per
// packet. STYLE.md lesson 4.
func TestReplayLoopDoesNotAllocatePerPacket(t *testing.T) {
	const packets = 20000
	path := filepath.Join(t.TempDir(), "steady.pcap")
	var buf bytes.Buffer
	if err := pcap.GenerateCapture(&buf, packets, 64, 9); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := sim.New(benchInventory(t, 64, 0, 0), sim.Options{Replay: true})
	if err != nil {
		t.Fatal(err)
	}
	dropped := filepath.Join(t.TempDir(), "dropped.pcap")
	pass := func() {
		rd, err := pcap.Open(path, pcap.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer rd.Close()
		dw, err := newDroppedWriter(dropped)
		if err != nil {
			t.Fatal(err)
		}
		readErr, link, err := replayDropped(rd, eng, dw, nil)
		if err != nil || readErr != nil {
			t.Fatal(err, readErr)
		}
		if err := dw.close(link); err != nil {
			t.Fatal(err)
		}
		if dw.written == 0 {
			t.Fatal("no dropped packet written")
		}
	}
	pass() // the flows, conntrack entries and buffers now exist
	allocs := testing.AllocsPerRun(3, pass)
	if perPacket := allocs / packets; perPacket > 0.01 {
		t.Errorf("%.0f allocations for %d packets (%.4f per packet); want none per packet", allocs, packets, perPacket)
	}
}

// TestParseSeconds checks --start/--end values (issue 4).
func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, true},
		{"30s", 30 * time.Second, true},
		{"1m30s", 90 * time.Second, true},
		{"12.5", 12500 * time.Millisecond, true},
		{"0", 0, true},
		{"-1s", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
		{"1e12", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSeconds("start", tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// FuzzParseSeconds checks that no --start/--end value panics and that
// accepted values are never negative.
func FuzzParseSeconds(f *testing.F) {
	for _, s := range []string{"30s", "1m30s", "12.5", "-1", "NaN", "Inf", "1e400", "9223372036s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseSeconds("start", s)
		if err == nil && d < 0 {
			t.Errorf("parseSeconds(%q) = %v", s, d)
		}
	})
}

// FuzzScenarioArgument checks that any FILE|NAME argument or --map value
// ends in a result or an error, never a panic.
func FuzzScenarioArgument(f *testing.F) {
	for _, s := range []string{"ephemeral-ports", "x.yaml", "", "10.0.0.1=web", "::1=web", "=", "a=b=c"} {
		f.Add(s)
	}
	s, err := loadScenario(&env{stderr: &bytes.Buffer{}}, "ephemeral-ports", &simFlags{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if !strings.ContainsAny(arg, "/\\") {
			_, _, _, _ = scenarioSource(arg)
		}
		from, host, ok := strings.Cut(arg, "=")
		if a, err := netipParse(from); ok && err == nil {
			_, _ = hostAddr(s, host, a)
		}
	})
}

func netipParse(s string) (netip.Addr, error) { return netip.ParseAddr(s) }

// TestReplayProgressOnlyOnATerminal checks the progress line: written to
// stderr when it is a terminal (packets/s and % of the file), erased at the
// end, and absent otherwise (issue 4: "nothing in CI logs").
func TestReplayProgressOnlyOnATerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.pcap")
	var buf bytes.Buffer
	if err := pcap.GenerateCapture(&buf, 10000, 10, 1); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tty := range []bool{true, false} {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, stderrTTY: tty, progressEvery: -1, getenv: func(string) string { return "" }}
		if code := run(e, []string{"replay", path, "--scenario", "testdata/replay-web.yaml", "-o", "csv"}); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		got := errb.String()
		if tty && (!strings.Contains(got, "\rreplay: 8192 packets, ") || !strings.Contains(got, "% of file") || !strings.HasSuffix(got, "\r\x1b[K")) {
			t.Errorf("terminal: progress %q", got)
		}
		if !tty && got != "" {
			t.Errorf("not a terminal: stderr %q", got)
		}
	}
}

// benchInventory is the network of `ctsim gencap --scenario` for a
// capture of the given number of flows, clients and servers (0, 0: the
// plan of pcap.GenerateCapture): client and server ENIs in two subnets,
// so every packet crosses two security groups with conntrack and two
// network ACLs.
func benchInventory(tb testing.TB, flows, clients, servers int) firewall.Inventory {
	tb.Helper()
	if servers == 0 {
		servers = 4096
	}
	s, err := scenarios.Parse("gencap-bench.yaml", benchScenario(flows, clients, servers))
	if err != nil {
		tb.Fatal(err)
	}
	return s.Inventory
}

// BenchmarkReplay replays a generated capture of 2 M packets over 131,072
// flows end to end — pcap reading and decoding, then the whole path
// through two security groups with conntrack and two network ACLs, then
// the Result — and reports packets/s and allocations per packet (issue 4:
// ≥ 2 M packets/s, 0 allocs/packet in steady state). Each iteration builds
// a new engine (sim.New) and its Result, so both are in the time. With
// -short, 200 k packets.
//
// Three ways to drive the engine: "run" hands the reader to the engine as
// a source (Engine.AddSource, Engine.Run), which reads ahead and prefetches
// the lookups of the next packets (sim/ahead.go); "pipe" is `ctsim
// replay`'s path (replayRun): "run" with the capture read and decoded on a
// second goroutine (capturePipe), which only gains with -cpu 2 or more;
// "dropped" is `ctsim replay --write-dropped`'s (replayDropped): "run" with
// a source that keeps the last raw records and writes the dropped packets
// to a capture file.
//
// Two address plans: "hosts" is gencap's default (64 client and 16 server
// addresses per family on ENIs of 8 addresses, many flows each), "perflow"
// pcap.GenerateCapture's (a client address per flow, 4096 servers: 131,072
// client addresses on 16,384 ENIs).
func BenchmarkReplay(b *testing.B) {
	const flows = 1 << 17
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	plans := []struct {
		name             string
		clients, servers int
	}{
		{"hosts", gencapClients, gencapServers},
		{"perflow", 0, 4096},
	}
	for _, pl := range plans {
		b.Run(pl.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.pcap")
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			bw := bufio.NewWriterSize(f, 1<<20)
			if err := pcap.GenerateCaptureOpts(bw, n, flows, 1, pcap.GenOptions{Clients: pl.clients, Servers: pl.servers}); err != nil {
				b.Fatal(err)
			}
			if err := bw.Flush(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			inv := benchInventory(b, flows, pl.clients, pl.servers)
			for _, mode := range []string{"run", "pipe", "dropped"} {
				b.Run(mode, func(b *testing.B) { benchReplay(b, path, inv, n, mode) })
			}
		})
	}
}

func benchReplay(b *testing.B, path string, inv firewall.Inventory, n int, mode string) {
	var res *sim.Result
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU()
	for b.Loop() {
		rd, err := pcap.Open(path, pcap.Options{})
		if err != nil {
			b.Fatal(err)
		}
		eng, err := sim.New(inv, sim.Options{Replay: true})
		if err != nil {
			b.Fatal(err)
		}
		switch mode {
		case "run":
			eng.AddSource(rd)
			res, err = eng.Run(packet.Never)
			if err != nil {
				b.Fatal(err)
			}
		case "pipe":
			var readErr error
			res, readErr, err = replayRun(rd, eng, nil)
			if err != nil || readErr != nil || eng.Err() != nil {
				b.Fatal(err, readErr, eng.Err())
			}
		default:
			dw, err := newDroppedWriter(filepath.Join(b.TempDir(), "dropped.pcap"))
			if err != nil {
				b.Fatal(err)
			}
			readErr, link, err := replayDropped(rd, eng, dw, nil)
			if err != nil || readErr != nil {
				b.Fatal(err, readErr)
			}
			if err := dw.close(link); err != nil {
				b.Fatal(err)
			}
			res = eng.Result()
		}
		rd.Close()
	}
	cpu := processCPU() - cpu0
	runtime.ReadMemStats(&ms1)
	b.StopTimer()
	if res.Summary.Read != uint64(n) {
		b.Fatalf("engine read %d packets, want %d", res.Summary.Read, n)
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(n)/perOp, "packets/s")
	if cpu > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds(), "packets/cpu-s")
	}
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N)/float64(n), "allocs/packet")
	b.ReportMetric(float64(len(res.Flows)), "flows")
	b.ReportMetric(float64(res.Summary.Dropped)/float64(n)*100, "%dropped")
}

// TestReplayRunAndStepAgree checks the two ways replay drives the engine
// give the same flow table: Engine.Run reading the capture ahead (no
// --write-dropped) and stepping packet by packet (--write-dropped needs
// each packet's raw record), on a whole capture and on one cut short
// (exit 3 both ways). Issue 4: the same flow table as ctsim run.
func TestReplayRunAndStepAgree(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := pcap.GenerateCapture(&buf, 20000, 300, 5); err != nil {
		t.Fatal(err)
	}
	whole := filepath.Join(dir, "whole.pcap")
	cut := filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(whole, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, buf.Bytes()[:buf.Len()*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		code       int
	}{
		{"whole", whole, exitOK},
		{"cut short", cut, exitIncomplete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			replay := func(extra ...string) string {
				var out, errb bytes.Buffer
				e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
				args := append([]string{"replay", tc.path, "--scenario", "testdata/replay-web.yaml", "--map", "172.16.0.1=web", "-o", "csv"}, extra...)
				if code := run(e, args); code != tc.code {
					t.Fatalf("%v: exit %d, want %d: %s", extra, code, tc.code, errb.String())
				}
				return out.String()
			}
			viaRun := replay()
			viaStep := replay("--write-dropped", filepath.Join(t.TempDir(), "d.pcap"))
			if viaRun != viaStep {
				t.Errorf("Engine.Run and Engine.Step disagree:\nrun:\n%.2000s\nstep:\n%.2000s", viaRun, viaStep)
			}
			if strings.Count(viaRun, "\n") < 100 {
				t.Errorf("only %d lines of flows", strings.Count(viaRun, "\n"))
			}
		})
	}
}

// TestRunJSONStreamsAsTheEncoderWould checks that writing a run document's
// flows one at a time (writeRunJSON, so that a replay's JSON is never held
// whole) gives the very bytes of encoding the whole document at once, for
// every built-in scenario with and without the explain trace (issue 3:
// byte-identical output; the JSON is documented in docs/json.md).
func TestRunJSONStreamsAsTheEncoderWould(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		for _, explain := range []bool{false, true} {
			s, err := scenarios.Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Run(scenarios.RunOptions{Explain: explain})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Result.Flows) == 0 {
				t.Fatalf("%s: no flows", name)
			}
			doc := &runJSON{Version: jsonVersion, Command: "run", Scenario: scenarioInfo(s, nil), Result: out.Result,
				Capture: &captureJSON{File: "a<b>.pcap", Complete: true}}
			var whole, streamed bytes.Buffer
			enc := json.NewEncoder(&whole)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			// Chunks of 1, 2 and 3 flows: both goroutines of writeFlowsJSON
			// take turns, ending on either.
			for _, chunk := range []int{jsonChunk, 1, 2, 3} {
				streamed.Reset()
				if err := writeRunJSON(&streamed, doc, chunk); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(whole.Bytes(), streamed.Bytes()) {
					t.Errorf("%s (explain %v, chunks of %d): streamed JSON differs from the encoder's:\n%s", name, explain, chunk, firstDiff(whole.String(), streamed.String()))
				}
			}
			if len(out.Result.Flows) != len(doc.Result.Flows) {
				t.Errorf("%s: writeJSON changed the result", name)
			}
		}
	}
}

// firstDiff shows where two texts part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-200)
	return "want …" + a[from:min(len(a), i+200)] + "…\ngot …" + b[from:min(len(b), i+200)] + "…"
}

// FuzzAppendIndented checks appendIndented against json.Indent on what the
// encoder writes: strings with quotes, backslashes, braces and commas,
// nested and empty objects and arrays (the flows of -o json must be the
// bytes of encoding the whole document; issue 3).
func FuzzAppendIndented(f *testing.F) {
	f.Add("plain", 1.5, true)
	f.Add(`"{[,:]}\" \\ <&> é`, -2.0, false)
	f.Add("", 0.0, false)
	f.Fuzz(func(t *testing.T, s string, x float64, b bool) {
		v := map[string]any{
			"s": s, "x": x, "b": b, "empty": []int{}, "none": struct{}{},
			"list":   []any{s, map[string]any{s: []string{s, s}}, []any{}, nil},
			"nested": map[string]any{"k": map[string]any{}, s: x},
		}
		if x != x || x > 1e300 || x < -1e300 { // NaN and infinities do not encode
			v["x"] = 0
		}
		var compact bytes.Buffer
		enc := json.NewEncoder(&compact)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Skip(err)
		}
		src := bytes.TrimSuffix(compact.Bytes(), []byte("\n"))
		var want bytes.Buffer
		if err := json.Indent(&want, src, "    ", "  "); err != nil {
			t.Fatal(err)
		}
		if got := appendIndented(nil, src, "    ", "  "); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendIndented:\n%s\njson.Indent:\n%s", got, want.Bytes())
		}
	})
}

// TestWriteDroppedWritesExactlyTheDroppedRecords: --write-dropped, which
// lets the engine read the capture ahead and writes each dropped packet's
// record from the ones it keeps (replayDropped), writes the very bytes that
// stepping packet by packet and writing each dropped packet's record at
// once does, in pcap and in pcapng (issue 4: "--write-dropped FILE.pcap
// writes the packets that would be dropped").
func TestWriteDroppedWritesExactlyTheDroppedRecords(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "gen.pcap")
	var buf bytes.Buffer
	if err := pcap.GenerateCapture(&buf, 20000, 300, 5); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(capPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := benchInventory(t, 300, 0, 0)
	for _, name := range []string{"d.pcap", "d.pcapng"} {
		write := func(path string, viaRun bool) []byte {
			rd, err := pcap.Open(capPath, pcap.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			eng, err := sim.New(inv, sim.Options{Replay: true})
			if err != nil {
				t.Fatal(err)
			}
			dw, err := newDroppedWriter(path)
			if err != nil {
				t.Fatal(err)
			}
			link := layers.LinkTypeEthernet
			if viaRun {
				if _, link, err = replayDropped(rd, eng, dw, nil); err != nil {
					t.Fatal(err)
				}
			} else {
				var p packet.Packet
				for {
					ok, _ := rd.Next(&p)
					if !ok {
						break
					}
					if !eng.Pass(&p) {
						if err := dw.write(rd.Raw()); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if err := dw.close(link); err != nil {
				t.Fatal(err)
			}
			if dw.written == 0 {
				t.Fatal("nothing dropped")
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		want := write(filepath.Join(dir, "want-"+name), false)
		got := write(filepath.Join(dir, "got-"+name), true)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: replayDropped wrote %d bytes, stepping %d; they differ", name, len(got), len(want))
		}
	}
}
