package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/spf13/pflag"

	"github.com/ctsim/ctsim/scenarios"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/pcap"
)

type replayOpts struct {
	out          outputFlags
	sim          simFlags
	scenario     string
	maps         []string
	start, end   string
	writeDropped string
}

func replayCommand() *command {
	return &command{
		name:  "replay",
		args:  "CAPTURE",
		short: "say what a scenario's rules would do to every flow in a real capture",
		long: `Reads a pcap or pcapng capture (tcpdump, Wireshark; gzip-compressed too) and
puts every packet through the scenario's network and rules, in capture time:
the scenario's timed changes apply at capture-relative times (seconds since
the first packet). The scenario's own traffic is not generated.

--map ADDR=HOST puts a capture address onto a scenario host (repeatable): the
host's first address of the same family replaces ADDR in every packet,
ICMP-quoted flows included. --start/--end select a window of capture time;
packets outside it are counted as skipped (outside_window).

Prints the same flow table as 'ctsim run', with Wireshark frame numbers, and a
summary that accounts for every packet: read = forwarded + dropped + skipped
(by reason). Packets the rules drop can be written to a capture with
--write-dropped FILE (pcapng when FILE ends in .pcapng, else pcap).

A progress line (packets/s, % of file) goes to stderr only when stderr is a
terminal. A truncated or corrupt capture is replayed as far as it can be read;
stderr says how far, and the exit status is 3.`,
		example: `  ctsim replay office.pcapng --scenario office.yaml --map 192.168.1.10=web
  ctsim replay big.pcap --scenario my.yaml --start 60s --end 120s -o csv
  ctsim replay trace.pcap --aws ./describe-output/ --write-dropped dropped.pcapng`,
		flags: func(fs *pflag.FlagSet) any {
			o := &replayOpts{}
			o.out.add(fs, "table, json, csv, markdown")
			o.sim.add(fs, true)
			// A capture has no synthetic traffic to seed.
			fs.Lookup("seed").Hidden = true
			fs.StringVar(&o.scenario, "scenario", "", "the scenario `FILE|NAME` (a file or a built-in) whose network and rules the capture meets")
			fs.StringArrayVar(&o.maps, "map", nil, "`ADDR=HOST` puts capture address ADDR onto scenario host HOST (HOST may also be an address); repeatable")
			fs.StringVar(&o.start, "start", "", "skip packets before capture-relative `TIME` (\"30s\", \"1m30s\", or seconds)")
			fs.StringVar(&o.end, "end", "", "skip packets after capture-relative `TIME`")
			fs.StringVar(&o.writeDropped, "write-dropped", "", "write the packets the rules drop to capture `FILE` (pcapng if it ends in .pcapng, else pcap)")
			return o
		},
		run: func(e *env, opts any, args []string) error { return runReplay(e, opts.(*replayOpts), args) },
	}
}

// parseSeconds reads a capture-relative time: a Go duration ("90s",
// "1m30s") or a plain number of seconds ("90", "1.5").
func parseSeconds(flag, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, usageErrorf("replay", "--%s %s is negative", flag, s)
		}
		return d, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 1e9) { // NaN fails both comparisons
		return 0, usageErrorf("replay", "--%s %q is not a time: want seconds such as 30s, 1m30s or 12.5", flag, s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// replayScenario loads --scenario, or makes an empty scenario around
// --aws/--terraform when only those are given.
func replayScenario(e *env, o *replayOpts, capture string) (*scenarios.Scenario, error) {
	if o.scenario != "" {
		return loadScenario(e, o.scenario, &o.sim)
	}
	if !o.sim.imports() {
		return nil, usageErrorf("replay", "replay needs the rules: --scenario FILE|NAME, --aws DIR or --terraform FILE")
	}
	name := strings.TrimSuffix(filepath.Base(capture), filepath.Ext(capture))
	yml := fmt.Sprintf("name: %s\ntitle: %s\n", strconv.Quote(name), strconv.Quote("replay of "+filepath.Base(capture)))
	data, err := withImports("(--aws/--terraform)", []byte(yml), &o.sim)
	if err != nil {
		return nil, err
	}
	s, err := scenarios.Parse(name+".yaml", data)
	if err != nil {
		return nil, err
	}
	for _, w := range s.Warnings {
		fmt.Fprintln(e.stderr, "ctsim: warning: "+w)
	}
	return s, nil
}

// hostAddr returns the address of scenario host name in the family of
// like: a host's first address of that family (hosts of the scenario
// file, then interfaces imported with --aws/--terraform), or name itself
// when it is an address.
func hostAddr(s *scenarios.Scenario, name string, like netip.Addr) (netip.Addr, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		if a.Is4() != like.Is4() {
			return netip.Addr{}, fmt.Errorf("--map %s=%s: the addresses are of different families", like, name)
		}
		return a, nil
	}
	var addrs []netip.Addr
	found := false
	if h := s.HostByName(name); h != nil {
		addrs, found = h.Addrs, true
	} else {
		for _, in := range s.Inventory.Interfaces {
			if in.Name == name || in.ID == name {
				addrs, found = append(append([]netip.Addr(nil), in.Addrs...), in.PublicAddrs...), true
				break
			}
		}
	}
	if !found {
		return netip.Addr{}, fmt.Errorf("--map %s=%s: the scenario has no host %q", like, name, name)
	}
	for _, a := range addrs {
		if a.Unmap().Is4() == like.Is4() {
			return a, nil
		}
	}
	fam := "IPv6"
	if like.Is4() {
		fam = "IPv4"
	}
	return netip.Addr{}, fmt.Errorf("--map %s=%s: host %s has no %s address", like, name, name, fam)
}

// captureJSON describes the replayed capture in JSON output: every packet
// read is accounted for, read = forwarded + dropped + skipped.
type captureJSON struct {
	File string `json:"file"`
	// Read counts packet records read (the last frame number).
	Read uint64 `json:"read"`
	// Forwarded and Dropped split the packets the rules saw.
	Forwarded uint64 `json:"forwarded"`
	Dropped   uint64 `json:"dropped"`
	// Skipped counts records not simulated, by reason token.
	Skipped      uint64      `json:"skipped"`
	SkippedBy    []sim.Count `json:"skipped_by,omitempty"`
	Warnings     []sim.Count `json:"warnings,omitempty"`
	Reordered    uint64      `json:"reordered_timestamps,omitempty"`
	WroteDropped uint64      `json:"wrote_dropped,omitempty"`
	// Complete is false when the capture was not read whole (exit status
	// 3); Error then says how far it got.
	Complete bool   `json:"complete"`
	Error    string `json:"error,omitempty"`
}

func counts(sc []pcap.SkipCount) []sim.Count {
	out := make([]sim.Count, 0, len(sc))
	for _, c := range sc {
		out = append(out, sim.Count{Key: c.Reason, Count: c.Count})
	}
	return out
}

func runReplay(e *env, o *replayOpts, args []string) error {
	r, err := o.out.renderer(e, "replay", fmtTable, fmtJSON, fmtCSV, fmtMarkdown)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageErrorf("replay", "replay takes one CAPTURE file, got %d", len(args))
	}
	capPath := args[0]
	var popt pcap.Options
	if popt.Start, err = parseSeconds("start", o.start); err != nil {
		return err
	}
	if popt.End, err = parseSeconds("end", o.end); err != nil {
		return err
	}
	if popt.End != 0 && popt.End < popt.Start {
		return usageErrorf("replay", "--end %s is before --start %s", o.end, o.start)
	}
	s, err := replayScenario(e, o, capPath)
	if err != nil {
		return err
	}
	type mapping struct{ from, to netip.Addr }
	var maps []mapping
	for _, m := range o.maps {
		from, host, ok := strings.Cut(m, "=")
		if !ok {
			return usageErrorf("replay", "--map %q: want ADDR=HOST", m)
		}
		fa, err := netip.ParseAddr(strings.TrimSpace(from))
		if err != nil {
			return usageErrorf("replay", "--map %q: %q is not an IP address", m, from)
		}
		to, err := hostAddr(s, strings.TrimSpace(host), fa.Unmap())
		if err != nil {
			return err
		}
		maps = append(maps, mapping{fa, to})
	}
	rd, err := pcap.Open(capPath, popt)
	if err != nil {
		return err
	}
	defer rd.Close()
	for _, m := range maps {
		rd.Map(m.from, m.to)
	}
	so := s.Options
	so.Replay = true
	so.Explain = o.sim.explain
	eng, err := sim.New(s.Inventory, so)
	if err != nil {
		return fmt.Errorf("%s: %w", s.File, err)
	}
	for _, c := range s.Changes {
		if err := eng.Schedule(sim.Time(c.At), c.Change); err != nil {
			return err
		}
	}
	var dw *droppedWriter
	if o.writeDropped != "" {
		if dw, err = newDroppedWriter(o.writeDropped); err != nil {
			return err
		}
	}
	var prog *progress
	if e.stderrTTY {
		prog = newProgress(e, capPath)
	}
	var res *sim.Result
	var readErr error
	if dw == nil {
		// Nothing needs each packet's raw record: the engine reads the
		// capture ahead itself (Engine.Run), which is faster than
		// stepping packet by packet.
		res, readErr, err = replayRun(rd, eng, prog)
	} else {
		var firstLink layers.LinkType
		readErr, firstLink, err = replayDropped(rd, eng, dw, prog)
		if cerr := dw.close(firstLink); err == nil {
			err = cerr
		}
	}
	if prog != nil {
		prog.done()
	}
	if err != nil {
		return err
	}
	if eng.Err() != nil {
		return eng.Err()
	}
	if res == nil {
		res = finish(eng)
	}
	// The engine is garbage now: collect it (its first drops and what
	// Release left) so that rendering's garbage reuses its memory instead
	// of growing the heap past it (-o json peaks ~8 MB lower).
	eng = nil
	runtime.GC()
	// Rendering makes garbage fast while the result — ~300 bytes a flow —
	// stays live, and the collector lets the heap reach twice what is live
	// before it collects: for a large result, collect at 1.5 times instead
	// (a 131,072-flow table then peaks ~15 MB lower for ~5 more
	// collections of a few milliseconds each).
	// A lower GOGC the user set (or off) stands.
	if len(res.Flows) > 10000 {
		if old := debug.SetGCPercent(50); old < 50 {
			debug.SetGCPercent(old)
		} else {
			defer debug.SetGCPercent(old)
		}
	}
	st := rd.Stats()
	cj := &captureJSON{File: capPath, Read: st.Read, Forwarded: res.Summary.Forwarded, Dropped: res.Summary.Dropped,
		Skipped: st.SkippedTotal(), SkippedBy: counts(st.Skipped), Warnings: counts(st.Warnings),
		Reordered: st.ReorderedTimestamps, Complete: readErr == nil}
	if dw != nil {
		cj.WroteDropped = dw.written
	}
	if readErr != nil {
		cj.Error = readErr.Error()
	}
	d := resultDocument(r.format, "replay", scenarioInfo(s, nil), res, o.sim.explain)
	d.JSON.(*runJSON).Capture = cj
	d.Heading = []string{"replay of " + capPath + " through " + s.Name,
		fmt.Sprintf("%s; times are seconds since the first packet; frame numbers as Wireshark shows them.", s.File)}
	for i := range d.Sections {
		if d.Sections[i].Title == packetsTitle {
			d.Sections[i] = captureSection(cj, &res.Summary)
		}
	}
	if err := r.render(e.stdout, d); err != nil {
		return err
	}
	if readErr != nil {
		return &exitError{code: exitIncomplete, err: readErr}
	}
	return nil
}

// replayDropped hands the capture to the engine as a source that keeps
// the last raw records (droppedSource) and writes the dropped packets to dw
// as the engine decides them. It returns the capture error that ended the
// reading early (nil after a clean end), the link type of the first
// record, and any other error; an error applying a change is left in
// eng.Err.
func replayDropped(rd *pcap.Reader, eng *sim.Engine, dw *droppedWriter, prog *progress) (readErr error, firstLink layers.LinkType, err error) {
	src := &droppedSource{rd: rd, w: dw, prog: prog, first: layers.LinkTypeEthernet}
	eng.AddSource(src)
	// RunTo's error joins the source's (kept in src.readErr) and eng.Err.
	_ = eng.RunTo(packet.Never)
	if src.err != nil {
		return nil, src.first, src.err
	}
	if src.readErr != nil && !errors.As(src.readErr, new(*pcap.CaptureError)) {
		return nil, src.first, src.readErr
	}
	return src.readErr, src.first, nil
}

// replayRun hands the capture to the engine as a source (Engine.Run, which
// reads ahead of the packet it processes), read and decoded on a second
// goroutine (capturePipe). It returns the result, the capture error that
// ended the reading early (nil after a clean end) and any other error; an
// error applying a change is left in eng.Err.
func replayRun(rd *pcap.Reader, eng *sim.Engine, prog *progress) (res *sim.Result, readErr error, err error) {
	src := startCapturePipe(rd, prog)
	eng.AddSource(src)
	// RunTo's error joins the source's (kept in src.err) and eng.Err.
	_ = eng.RunTo(packet.Never)
	src.stop()
	if src.err != nil && !errors.As(src.err, new(*pcap.CaptureError)) {
		return nil, nil, src.err
	}
	return finish(eng), src.err, nil
}

// captureSection accounts for every packet of a replay: it replaces the
// Packets section of the summary.
func captureSection(c *captureJSON, sum *sim.Summary) section {
	sec := packetsSection(sum)
	sec.Rows[0] = []string{"read from the capture", u64(c.Read)}
	rows := append(sec.Rows, []string{"skipped", u64(c.Skipped)})
	for _, s := range c.SkippedBy {
		rows = append(rows, []string{"  skipped: " + s.Key, u64(s.Count)})
	}
	notes := sec.Notes
	if sum := c.Forwarded + c.Dropped + c.Skipped; sum == c.Read {
		notes = append(notes, fmt.Sprintf("Every packet is accounted for: %d read = %d forwarded + %d dropped + %d skipped.", c.Read, c.Forwarded, c.Dropped, c.Skipped))
	} else {
		notes = append(notes, fmt.Sprintf("Accounting mismatch: %d read, but %d forwarded + %d dropped + %d skipped = %d.", c.Read, c.Forwarded, c.Dropped, c.Skipped, sum))
	}
	for _, w := range c.Warnings {
		notes = append(notes, fmt.Sprintf("Warning: %s (%d packets).", w.Key, w.Count))
	}
	if c.Reordered > 0 {
		notes = append(notes, fmt.Sprintf("%d packets had timestamps earlier than the packet before; they were taken as simultaneous.", c.Reordered))
	}
	if c.WroteDropped > 0 {
		notes = append(notes, fmt.Sprintf("%d dropped packets written to the --write-dropped capture.", c.WroteDropped))
	}
	if !c.Complete {
		notes = append(notes, "The capture was not read whole: "+c.Error)
	}
	sec.Rows, sec.Notes = rows, notes
	return sec
}

// progress prints a progress line on stderr (a terminal) while replaying.
type progress struct {
	e       *env
	start   time.Time
	last    time.Time
	size    int64
	printed bool
}

func newProgress(e *env, path string) *progress {
	p := &progress{e: e, start: time.Now()}
	p.last = p.start
	if fi, err := os.Stat(path); err == nil && !strings.HasSuffix(path, ".gz") {
		p.size = fi.Size()
	}
	return p
}

func (p *progress) tick(rd *pcap.Reader) {
	now := time.Now()
	every := p.e.progressEvery
	if every == 0 {
		every = 250 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	st := rd.Stats()
	rate := float64(st.Read) / now.Sub(p.start).Seconds()
	line := fmt.Sprintf("\rreplay: %d packets, %.0f packets/s", st.Read, rate)
	if p.size > 0 {
		// Record headers are 16 bytes in pcap and at least 28 in pcapng:
		// an estimate, capped at 100%.
		pct := 100 * float64(int64(st.CapturedBytes)+16*int64(st.Read)) / float64(p.size)
		if pct > 100 {
			pct = 100
		}
		line += fmt.Sprintf(", %.0f%% of file", pct)
	}
	fmt.Fprint(p.e.stderr, line+"   ")
	p.printed = true
}

func (p *progress) done() {
	if p.printed {
		fmt.Fprint(p.e.stderr, "\r\x1b[K")
	}
}

// finish ends the run and builds its result. Engine.Finish frees the
// conntrack tables and the flow index (large ones live outside the Go heap
// and are unmapped at once); FreeOSMemory returns what the heap held for
// the run before the result's flows are allocated; Engine.Release frees the
// flow records, which the result has copied, before it is written out. A
// 131,072-flow replay so stays under 100 MB resident in every format.
func finish(eng *sim.Engine) *sim.Result {
	eng.Finish()
	debug.FreeOSMemory()
	res := eng.Result()
	// The flow records are in the result now: free them before it is
	// written out.
	eng.Release()
	return res
}
