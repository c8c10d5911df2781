//go:build unix

package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
)

// cutFixture skips the test where files are not mapped, else returns the
// capture the cut tests cut (600 packets over 30 flows) and the page size.
func cutFixture(t *testing.T) (file []byte, page int) {
	t.Helper()
	if !mmapSupported {
		t.Skip("no mmap")
	}
	var gen bytes.Buffer
	if err := GenerateCapture(&gen, 600, 30, 11); err != nil {
		t.Fatal(err)
	}
	return gen.Bytes(), os.Getpagesize()
}

// recordStarts returns the offset of every record of a classic
// little-endian pcap file.
func recordStarts(file []byte) []int {
	var starts []int
	for off := 24; off+16 <= len(file); off += 16 + int(binary.LittleEndian.Uint32(file[off+8:])) {
		starts = append(starts, off)
	}
	return starts
}

// TestMappedFileCutShortWhileReading: a capture file cut short by someone
// else while Open's reader has it mapped never crashes the program (its
// lost pages fault, SIGBUS, when read). The reader ends the capture exactly
// as the read path ends a file that short: every packet before the cut,
// then a *CaptureError for io.ErrUnexpectedEOF naming the record the cut
// is in (issue #4; "a truncated file says how far it got"). Cuts at and
// around page boundaries, in record headers and in record data; the last
// page of the file is left alone (a cut there takes no page away).
func TestMappedFileCutShortWhileReading(t *testing.T) {
	file, page := cutFixture(t)
	starts := recordStarts(file)
	var cuts []int
	for p := page; p < len(file)/page*page; p += page {
		cuts = append(cuts, p, p-1, p+1, p-page/2)
	}
	for _, s := range starts[len(starts)/4 : len(starts)/4+4] {
		cuts = append(cuts, s, s+8, s+16, s+30)
	}
	path := filepath.Join(t.TempDir(), "cut.pcap")
	kinds := map[string]int{}
	for _, cut := range cuts {
		if cut <= starts[1] { // the first packet is read before the cut
			continue
		}
		kinds[cutKind(starts, cut)]++
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			want := readWhole(t, newBytesReader(t, file[:cut]))
			if err := os.WriteFile(path, file, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.name = "test.pcap"
			if r.m == nil {
				t.Fatal("Open did not map the file")
			}
			done := false
			got := readWholeThen(t, r, func() {
				if !done { // after the first packet: the file is mapped
					done = true
					if err := os.Truncate(path, int64(cut)); err != nil {
						t.Fatal(err)
					}
				}
			})
			sameRead(t, "cut while mapped", want, got)
		})
	}
	t.Logf("cuts by kind: %v", kinds)
	if len(kinds) < 3 {
		t.Errorf("cuts by kind %v: want cuts between records, in headers and in data", kinds)
	}
}

// cutKind says where in the file a cut at byte cut falls.
func cutKind(starts []int, cut int) string {
	for i, s := range starts {
		switch {
		case cut == s:
			return "between records"
		case cut < s:
			if cut-starts[i-1] < 16 {
				return "in a record header"
			}
			return "in record data"
		}
	}
	return "in the last record"
}

// newBytesReader is NewReader on the read path over file.
func newBytesReader(t testing.TB, file []byte) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file), "test.pcap", Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMappedFaultsInTheDecoderDoNotCrash: with the touch-ahead off, a file
// cut short under the reader faults in the decoder itself (in gopacket's
// layers, which turn the fault into an error, or in this package's code)
// and in Raw's copy. None of that crashes: the capture ends with a clean
// end or a *CaptureError, and the accounting holds.
func TestMappedFaultsInTheDecoderDoNotCrash(t *testing.T) {
	file, page := cutFixture(t)
	path := filepath.Join(t.TempDir(), "cut.pcap")
	for cut := page; cut < len(file)/page*page; cut += page {
		for _, raw := range []bool{false, true} {
			if err := os.WriteFile(path, file, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r.m.noTouch = true
			var p packet.Packet
			if ok, err := r.Next(&p); !ok {
				t.Fatal(err)
			}
			if err := os.Truncate(path, int64(cut)); err != nil {
				t.Fatal(err)
			}
			ds := []delivered{{p.Frame, p.At}}
			for {
				ok, err := r.Next(&p)
				if !ok {
					var ce *CaptureError
					if err != nil && !errors.As(err, &ce) {
						t.Errorf("cut at %d: error %v is not a *CaptureError", cut, err)
					}
					break
				}
				ds = append(ds, delivered{p.Frame, p.At})
				if raw {
					r.Raw()
				}
			}
			checkInvariants(t, fmt.Sprint("cut at ", cut), r.Stats(), ds)
			r.Close()
		}
	}
}

// TestMappedCloseKeepsRaw: Raw's bytes of a mapped file are the Reader's
// own copy, readable after Close unmaps the file; Next after Close ends
// with an error instead of a fault.
func TestMappedCloseKeepsRaw(t *testing.T) {
	if !mmapSupported {
		t.Skip("no mmap")
	}
	file := pcapFile(binary.LittleEndian, true, 1, rec{0, eth(0x0800, synV4)}, rec{1, eth(0x0800, synV4)})
	path := filepath.Join(t.TempDir(), "raw.pcap")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var p packet.Packet
	if ok, err := r.Next(&p); !ok {
		t.Fatal(err)
	}
	data, _, _ := r.Raw()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, eth(0x0800, synV4)) {
		t.Errorf("Raw after Close = %x", data)
	}
	if ok, err := r.Next(&p); ok || err == nil {
		t.Errorf("Next after Close = %v, %v; want false and an error", ok, err)
	}
}

// TestMappedPageWindowsMatchRead: with mmap windows of one page, so that
// records cross window boundaries all through the file, a real file reads
// exactly as on the read path (packets, Raw records, stats, errors), for a
// generated capture and every classic pcap of the corpus.
func TestMappedPageWindowsMatchRead(t *testing.T) {
	if !mmapSupported {
		t.Skip("no mmap")
	}
	var gen bytes.Buffer
	if err := GenerateCapture(&gen, 3000, 100, 4); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"generated": gen.Bytes()}
	if dir := corpusDirIfAny(); dir != "" {
		for _, sub := range []string{"valid", "malformed"} {
			paths, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
			for _, p := range paths {
				if b, err := os.ReadFile(p); err == nil && isClassicPcap(b) {
					files[filepath.Base(p)] = b
				}
			}
		}
	}
	page := int64(os.Getpagesize())
	path := filepath.Join(t.TempDir(), "page.pcap")
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			rr, wantErr := NewReader(bytes.NewReader(file), "test.pcap", Options{})
			if err := os.WriteFile(path, file, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := newMappedReader(&fileWindows{f: f, page: page}, "test.pcap", Options{}, page)
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("open error %v, read path %v", err, wantErr)
			}
			if err != nil {
				return
			}
			defer r.Close()
			sameRead(t, "page windows", readWhole(t, rr), readWhole(t, r))
		})
	}
}
