package pcap

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.txt from the current output")

// corpusDir returns ../shared/testdata/pcaps beside the repository root, or
// skips the test when it is absent.
func corpusDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	dir := filepath.Join(root, "..", "shared", "testdata", "pcaps")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("capture corpus absent: %v", err)
	}
	return dir
}

// corpusFiles lists valid/ and malformed/ captures, sorted.
func corpusFiles(t testing.TB) []string {
	dir := corpusDir(t)
	var files []string
	for _, sub := range []string{"valid", "malformed"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			files = append(files, filepath.Join(dir, sub, e.Name()))
		}
	}
	sort.Strings(files)
	return files
}

// summarize reads a whole capture, checks the accounting invariants on
// it, and renders what a golden file holds: the accounting line, the
// warnings, the error, and the first packets.
func summarize(t testing.TB, path string, first int) (string, Stats, error) {
	t.Helper()
	var b strings.Builder
	r, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintf(&b, "open error: %s\n", relErr(err))
		return b.String(), Stats{}, err
	}
	defer r.Close()
	// The first packets, then the first ICMP error and the first later
	// fragment if they come after, then the last packet.
	var lines []string
	var sawErr, sawFrag bool
	var last string
	pkts := drain(t, r, func(p *packet.Packet) {
		d := describe(p)
		switch {
		case len(lines) < first:
			lines = append(lines, "  "+d)
		case p.IsICMPError() && !sawErr:
			lines = append(lines, "  ... "+d)
		case !p.Fragment.First() && !sawFrag:
			lines = append(lines, "  ... "+d)
		}
		sawErr = sawErr || p.IsICMPError()
		sawFrag = sawFrag || !p.Fragment.First()
		last = "  last " + d
	})
	if len(pkts) > first {
		lines = append(lines, last)
	}
	s := r.Stats()
	checkInvariants(t, path, s, pkts)
	fmt.Fprintf(&b, "read=%d delivered=%d bytes=%d captured=%d reordered=%d\n",
		s.Read, s.Delivered, s.Bytes, s.CapturedBytes, s.ReorderedTimestamps)
	if len(s.Skipped) > 0 {
		b.WriteString("skipped:")
		for _, c := range s.Skipped {
			fmt.Fprintf(&b, " %s=%d", c.Reason, c.Count)
		}
		b.WriteString("\n")
	}
	if len(s.Warnings) > 0 {
		b.WriteString("warnings:")
		for _, c := range s.Warnings {
			fmt.Fprintf(&b, " %s=%d", c.Reason, c.Count)
		}
		b.WriteString("\n")
	}
	if s.Err != nil {
		fmt.Fprintf(&b, "error: %s\n", relErr(s.Err))
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String(), s, nil
}

// describe renders one packet for golden files: frame, time, the packet's
// own String, and what String leaves out (fragment, length).
func describe(p *packet.Packet) string {
	s := fmt.Sprintf("#%d %s %s len=%d", p.Frame, p.At, p.String(), p.Length)
	if p.Fragment.IsFragment {
		s += fmt.Sprintf(" frag id=%d off=%d more=%t", p.Fragment.ID, p.Fragment.Offset, p.Fragment.More)
	}
	return s
}

// delivered is what checkInvariants needs to know of each packet.
type delivered struct {
	frame uint64
	at    packet.Time
}

// drain reads r to its end, calling each (if non-nil) on every packet.
func drain(t testing.TB, r *Reader, each func(*packet.Packet)) []delivered {
	t.Helper()
	var out []delivered
	var p packet.Packet
	for {
		ok, err := r.Next(&p)
		if !ok {
			if again, err2 := r.Next(&p); again || err2 != err {
				t.Errorf("Next after the end = %v, %v; want false, %v", again, err2, err)
			}
			return out
		}
		if err != nil {
			t.Fatalf("Next = true with error %v", err)
		}
		if !p.Src.IsValid() || !p.Dst.IsValid() {
			t.Errorf("frame %d delivered without addresses: %+v", p.Frame, p)
		}
		out = append(out, delivered{p.Frame, p.At})
		if each != nil {
			each(&p)
		}
	}
}

// checkInvariants asserts what every capture must satisfy: every record is
// accounted for, frame numbers rise and stay within Read, time never goes
// back, and an error is a *CaptureError.
func checkInvariants(t testing.TB, name string, s Stats, pkts []delivered) {
	t.Helper()
	if got := s.Delivered + s.SkippedTotal(); got != s.Read {
		t.Errorf("%s: delivered %d + skipped %d != read %d", name, s.Delivered, s.SkippedTotal(), s.Read)
	}
	if uint64(len(pkts)) != s.Delivered {
		t.Errorf("%s: %d packets returned, Stats.Delivered %d", name, len(pkts), s.Delivered)
	}
	for i, p := range pkts {
		if p.frame == 0 || p.frame > s.Read {
			t.Errorf("%s: packet %d has frame %d outside 1..%d", name, i, p.frame, s.Read)
		}
		if i > 0 && (p.frame <= pkts[i-1].frame || p.at < pkts[i-1].at) {
			t.Errorf("%s: packet %d (frame %d at %s) not after frame %d at %s", name, i, p.frame, p.at, pkts[i-1].frame, pkts[i-1].at)
		}
	}
	for i := 1; i < len(s.Skipped); i++ {
		if s.Skipped[i-1].Reason >= s.Skipped[i].Reason {
			t.Errorf("%s: skip reasons not sorted: %v", name, s.Skipped)
		}
	}
	if s.Err != nil {
		var ce *CaptureError
		if !errors.As(s.Err, &ce) || !s.Truncated {
			t.Errorf("%s: error %v is not a *CaptureError with Truncated set", name, s.Err)
		}
	}
}

// relErr prints err with the file's directory removed, so golden files do
// not depend on where the corpus lives.
func relErr(err error) string {
	var ce *CaptureError
	if errors.As(err, &ce) {
		c := *ce
		c.File = filepath.Base(c.File)
		return c.Error()
	}
	return err.Error()
}

// TestCorpusGolden decodes every capture of the shared corpus and compares
// a summary with testdata/golden/<file>.txt (go test -update rewrites
// them). valid/ files must read whole; malformed/ files must give an error,
// a skip reason or a warning. Never a panic. (MANIFEST.md; SPEC.md §1.1
// for the protocols, §2.7 for the ICMP errors' quoted flows.)
func TestCorpusGolden(t *testing.T) {
	for _, path := range corpusFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			got, s, openErr := summarize(t, path, 3)
			golden := filepath.Join("testdata", "golden", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("summary differs from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
			malformed := filepath.Base(filepath.Dir(path)) == "malformed"
			reported := openErr != nil || s.Err != nil || len(s.Skipped) > 0 || len(s.Warnings) > 0
			switch {
			case !malformed && (openErr != nil || s.Err != nil):
				t.Errorf("valid capture not read whole: %v %v", openErr, s.Err)
			case malformed && !reported:
				t.Errorf("malformed capture read without any error, skip or warning")
			}
		})
	}
}
