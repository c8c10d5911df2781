package pcap

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// rssFile returns the resident file-backed memory of the process, in
// bytes (RssFile in /proc/self/status): the pages of mapped files.
func rssFile(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// TestMappedResidentMemoryIsBounded: reading a mapped capture keeps at
// most about one window of the file resident, whatever the file size
// (issue #4: at most 100 MB resident for the 2 M-packet replay, and any
// size in bounded memory). Windows of 1 MiB over a 24 MB file; in long
// mode also Open's windows (mapWindow) over a 100 MB file.
func TestMappedResidentMemoryIsBounded(t *testing.T) {
	type run struct {
		packets int
		win     int64
	}
	runs := []run{{85000, 1 << 20}}
	if !testing.Short() {
		runs = append(runs, run{350000, mapWindow})
	}
	for _, rn := range runs {
		path := filepath.Join(t.TempDir(), "big.pcap")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := GenerateCapture(bw, rn.packets, 1000, 2); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		fi, _ := f.Stat()
		r, err := newMappedReader(&fileWindows{f: f, page: int64(os.Getpagesize())}, path, Options{}, rn.win)
		if err != nil || r == nil {
			t.Fatal(r, err)
		}
		base := rssFile(t)
		var peak int64
		var p packet.Packet
		for n := 0; ; n++ {
			ok, err := r.Next(&p)
			if !ok {
				if err != nil {
					t.Fatal(err)
				}
				break
			}
			if n%5000 == 0 {
				peak = max(peak, rssFile(t)-base)
			}
		}
		r.Close()
		f.Close()
		t.Logf("file %d MB, windows %d MiB: resident file pages grew by at most %d KiB", fi.Size()>>20, rn.win>>20, peak>>10)
		if limit := rn.win + 4<<20; peak > limit {
			t.Errorf("resident file pages grew by %d KiB reading a %d MB file, want under %d KiB", peak>>10, fi.Size()>>20, limit>>10)
		}
		if fi.Size() < 3*rn.win {
			t.Errorf("file of %d bytes spans too few windows", fi.Size())
		}
	}
}
