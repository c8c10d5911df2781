package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// bytesWindows is a windowSource over a byte slice, with any window
// alignment: the mapped path without mmap, for windows far smaller than a
// page (so that records cross window boundaries everywhere) and for fuzzing.
type bytesWindows struct {
	b    []byte
	al   int64
	open int // windows handed out and not released
}

func (w *bytesWindows) size() (int64, error) { return int64(len(w.b)), nil }

func (w *bytesWindows) window(off int64, n int) ([]byte, error) {
	if off%w.al != 0 || off+int64(n) > int64(len(w.b)) {
		return nil, errors.New("bad window")
	}
	w.open++
	return w.b[off : off+int64(n) : off+int64(n)], nil
}

func (w *bytesWindows) release([]byte) error { w.open--; return nil }
func (w *bytesWindows) align() int64         { return w.al }

// mappedBytes opens file on the mapped path with windows of winLen bytes
// aligned to align, or returns nil if that path does not take it.
func mappedBytes(t testing.TB, file []byte, opt Options, winLen, align int64) (*Reader, error) {
	t.Helper()
	return newMappedReader(&bytesWindows{b: file, al: align}, "test.pcap", opt, winLen)
}

// read is what a whole read of a capture gave: packets, each packet's Raw,
// and the stats.
type read struct {
	pkts []packet.Packet
	raws []rawRecord
	s    Stats
}

type rawRecord struct {
	data []byte
	ci   gopacket.CaptureInfo
	link layers.LinkType
}

// readWhole drains r, keeping every packet and its Raw.
func readWhole(t testing.TB, r *Reader, maps ...[2]string) read {
	t.Helper()
	return readWholeThen(t, r, nil, maps...)
}

// readWholeThen is readWhole calling then (if non-nil) after each packet.
func readWholeThen(t testing.TB, r *Reader, then func(), maps ...[2]string) read {
	t.Helper()
	for _, m := range maps {
		r.Map(ip(m[0]), ip(m[1]))
	}
	var out read
	ds := drain(t, r, func(p *packet.Packet) {
		out.pkts = append(out.pkts, *p)
		data, ci, link := r.Raw()
		out.raws = append(out.raws, rawRecord{bytes.Clone(data), ci, link})
		if then != nil {
			then()
		}
	})
	out.s = r.Stats()
	checkInvariants(t, r.name, out.s, ds)
	return out
}

// sameRead reports how b differs from a, the read path's result: packets,
// Raw records, stats and error, all must be the same.
func sameRead(t testing.TB, what string, a, b read) {
	t.Helper()
	if !reflect.DeepEqual(a.pkts, b.pkts) {
		n := min(len(a.pkts), len(b.pkts))
		for i := range n {
			if a.pkts[i] != b.pkts[i] {
				t.Errorf("%s: packet %d is %+v, read path %+v", what, i, b.pkts[i], a.pkts[i])
				break
			}
		}
		t.Errorf("%s: %d packets, read path %d", what, len(b.pkts), len(a.pkts))
	}
	if !reflect.DeepEqual(a.raws, b.raws) {
		t.Errorf("%s: Raw records differ from the read path's", what)
	}
	as, bs := a.s, b.s
	ae, be := as.Err, bs.Err
	as.Err, bs.Err = nil, nil
	if !reflect.DeepEqual(as, bs) {
		t.Errorf("%s: stats %+v, read path %+v", what, bs, as)
	}
	if (ae == nil) != (be == nil) || ae != nil && (ae.Error() != be.Error() ||
		errors.Is(ae, io.ErrUnexpectedEOF) != errors.Is(be, io.ErrUnexpectedEOF) ||
		errors.Is(ae, errRecordTooLarge) != errors.Is(be, errRecordTooLarge)) {
		t.Errorf("%s: error %v, read path %v", what, be, ae)
	}
}

// checkMappedLikeRead reads file on the mapped path with small windows of
// several sizes and checks that it gives what the read path gave (want),
// for a classic pcap file; for other files the mapped path must decline.
func checkMappedLikeRead(t testing.TB, file []byte, opt Options, want read, wantErr error, maps ...[2]string) {
	t.Helper()
	for _, w := range []struct{ win, align int64 }{{1, 1}, {40, 8}, {333, 1}, {4096, 4096}, {mapWindow, 4096}} {
		r, err := mappedBytes(t, file, opt, w.win, w.align)
		if r == nil && err == nil {
			if isClassicPcap(file) {
				t.Fatalf("mapped path declined a classic pcap file")
			}
			return
		}
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("mapped path: open error %v, read path %v", err, wantErr)
		}
		if err != nil {
			continue
		}
		got := readWhole(t, r, maps...)
		sameRead(t, "mapped", want, got)
	}
}

// isClassicPcap reports whether file starts like a classic pcap file.
func isClassicPcap(file []byte) bool {
	if len(file) < 24 {
		return false
	}
	switch binary.LittleEndian.Uint32(file) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return true
	}
	return false
}

// TestMappedMatchesRead: on every capture of the shared corpus and on
// generated captures of every byte order and resolution, a file read in
// place from mmap windows gives exactly what the read path gives: packets,
// frame numbers, Raw records, stats, warnings and errors (issue #4: a
// faster reader must not change a result).
func TestMappedMatchesRead(t *testing.T) {
	type capture struct {
		name string
		file []byte
	}
	var caps []capture
	var gen bytes.Buffer
	if err := GenerateCapture(&gen, 3000, 200, 9); err != nil {
		t.Fatal(err)
	}
	caps = append(caps, capture{"generated", gen.Bytes()})
	recs := []rec{{0, eth(0x0800, synV4)}, {1, eth(0x86dd, synV6)}, {-5, eth(0x0806, make([]byte, 28))}, {7, eth(0x0800, synV4[:30])}}
	for _, bo := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, nano := range []bool{false, true} {
			caps = append(caps, capture{"built", pcapFile(bo, nano, 1, recs...)})
		}
	}
	// Every prefix of one: cut in a file header, a record header, a
	// record's data, between records.
	built := caps[len(caps)-1].file
	for n := range len(built) {
		caps = append(caps, capture{fmt.Sprintf("cut at %d", n), built[:n]})
	}
	// Odd records: oversized (whole and cut), insane, caplen over origlen.
	head := pcapFile(binary.LittleEndian, false, 101)
	syn := pcapRecord(uint32(len(synV4)), uint32(len(synV4)), synV4)
	big := pcapRecord(MaxRecord+1, MaxRecord+1, make([]byte, MaxRecord+1))
	caps = append(caps,
		capture{"oversized", cat(head, syn, big, syn)},
		capture{"oversized cut", cat(head, syn, big[:1000])},
		capture{"insane", cat(head, syn, pcapRecord(maxSaneRecord+1, 1, nil), syn)},
		capture{"caplen over origlen", cat(head, pcapRecord(uint32(len(synV4)), 20, synV4), syn)},
		capture{"fraction over 1e6", cat(head, pcapRecordAt(5, 2e6, synV4), syn)})
	if dir := corpusDirIfAny(); dir != "" {
		for _, sub := range []string{"valid", "malformed"} {
			paths, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
			for _, p := range paths {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				caps = append(caps, capture{filepath.Base(p), b})
			}
		}
	}
	path := filepath.Join(t.TempDir(), "c.pcap")
	for _, c := range caps {
		t.Run(c.name, func(t *testing.T) {
			var want read
			rr, wantErr := NewReader(bytes.NewReader(c.file), "test.pcap", Options{})
			if wantErr == nil {
				want = readWhole(t, rr)
			}
			checkMappedLikeRead(t, c.file, Options{}, want, wantErr)
			// And through Open, on a real file, mapped with mmap.
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path, Options{})
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("Open error %v, read path %v", err, wantErr)
			}
			if err != nil {
				return
			}
			defer r.Close()
			if got := r.m != nil; got != (mmapSupported && isClassicPcap(c.file)) {
				t.Errorf("Open mapped the file: %t", got)
			}
			r.name = "test.pcap"
			sameRead(t, "Open", want, readWhole(t, r))
		})
	}
}

// corpusDirIfAny is corpusDir without the skip.
func corpusDirIfAny() string {
	dir := filepath.Join("..", "..", "..", "..", "shared", "testdata", "pcaps")
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// TestMappedWindowsReleased: the mapped path holds one window at a time,
// and gives it back at the end of the file and on Close.
func TestMappedWindowsReleased(t *testing.T) {
	var gen bytes.Buffer
	if err := GenerateCapture(&gen, 500, 20, 3); err != nil {
		t.Fatal(err)
	}
	src := &bytesWindows{b: gen.Bytes(), al: 64}
	r, err := newMappedReader(src, "test.pcap", Options{}, 1000)
	if err != nil || r == nil {
		t.Fatal(r, err)
	}
	var p packet.Packet
	for {
		ok, err := r.Next(&p)
		if src.open > 1 {
			t.Fatalf("%d windows mapped at once", src.open)
		}
		if !ok {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	r.Close()
	if src.open != 0 {
		t.Errorf("%d windows left mapped after Close", src.open)
	}
}

// pcapRecordAt is a classic pcap record with the given timestamp fields.
func pcapRecordAt(sec, frac uint32, data []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, sec)
	b = binary.LittleEndian.AppendUint32(b, frac)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}
