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

// summarize reads a whole capture and renders what a golden file holds:
// the accounting line, the error, and the first packets.
func summarize(t testing.TB, path string, first int) (string, Stats, error) {
	var b strings.Builder
	r, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintf(&b, "open error: %s\n", relErr(err))
		return b.String(), Stats{}, err
	}
	defer r.Close()
	var p packet.Packet
	var n int
	var lines []string
	for {
		ok, err := r.Next(&p)
		if !ok {
			_ = err
			break
		}
		if n < first {
			lines = append(lines, fmt.Sprintf("  #%d %s %s", p.Frame, p.At, p.String()))
		}
		n++
	}
	s := r.Stats()
	fmt.Fprintf(&b, "read=%d delivered=%d", s.Read, s.Delivered)
	for _, c := range s.Skipped {
		fmt.Fprintf(&b, " %s=%d", c.Reason, c.Count)
	}
	fmt.Fprintf(&b, " reordered=%d bytes=%d\n", s.ReorderedTimestamps, s.Bytes)
	if s.Err != nil {
		fmt.Fprintf(&b, "error: %s\n", relErr(s.Err))
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String(), s, nil
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

func TestDump(t *testing.T) {
	for _, f := range corpusFiles(t) {
		out, _, _ := summarize(t, f, 3)
		t.Logf("%s\n%s", filepath.Base(f), out)
	}
}
