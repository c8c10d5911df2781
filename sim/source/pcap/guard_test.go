package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// framesOf returns the frame numbers of the delivered packets.
func framesOf(t testing.TB, file []byte, wrap func(io.Reader) io.Reader) ([]uint64, Stats) {
	t.Helper()
	r, err := NewReader(wrap(bytes.NewReader(file)), "test.pcapng", Options{})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var frames []uint64
	ds := drain(t, r, nil)
	for _, d := range ds {
		frames = append(frames, d.frame)
	}
	s := r.Stats()
	checkInvariants(t, "test.pcapng", s, ds)
	return frames, s
}

// readers are the ways a capture arrives: whole, one byte at a time (every
// block header straddles reads), and in halves.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
}

// TestPcapngPassedOverBlocks: custom blocks (0x00000BAD, 0x40000BAD) are
// records in Wireshark's numbering, so they use up frame numbers and are
// skipped as custom_block; a sane packet block whose packet is over
// MaxRecord is skipped as oversized_record without being read into memory,
// like a pcap record of the same size; reading goes on after both. The
// result must not depend on how the file's bytes arrive (issue: frame
// numbers as Wireshark shows them; bounded memory).
func TestPcapngPassedOverBlocks(t *testing.T) {
	pkt := eth(0x0800, synV4)
	spbIDB := func(snap uint32) []byte { // Ethernet IDB with a snap length
		b := ngIDB(1, 0)
		binary.LittleEndian.PutUint32(b[12:16], snap)
		return b
	}
	var manyCustom []byte
	for range 3 * skipRing {
		manyCustom = append(manyCustom, ngBlock(blockCustom, nil)...)
	}
	tests := []struct {
		name    string
		body    []byte // after SHB and IDB
		frames  []uint64
		skipped []SkipCount
	}{
		{"custom blocks", cat(ngBlock(blockCustom, []byte("pen0")), ngEPB(0, 1, pkt), ngBlock(blockCustomNC, []byte("pen0")), ngEPB(0, 2, pkt), ngBlock(blockCustom, nil)),
			[]uint64{2, 4}, []SkipCount{{"custom_block", 3}}},
		{"EPB of 300000 bytes", cat(ngEPB(0, 1, pkt), ngEPB(0, 2, make([]byte, 300000)), ngEPB(0, 3, pkt)),
			[]uint64{1, 3}, []SkipCount{{"oversized_record", 1}}},
		{"EPB of 8 MiB", cat(ngEPB(0, 1, make([]byte, 8<<20)), ngEPB(0, 3, pkt)),
			[]uint64{2}, []SkipCount{{"oversized_record", 1}}},
		{"EPB of MaxRecord is read", cat(ngEPB(0, 1, cat(pkt, make([]byte, MaxRecord-len(pkt)))), ngEPB(0, 3, pkt)),
			[]uint64{1, 2}, nil},
		{"SPB over MaxRecord", cat(ngSPB(make([]byte, MaxRecord+4)), ngSPB(pkt)),
			[]uint64{2}, []SkipCount{{"oversized_record", 1}}},
		{"many custom blocks between packets", cat(ngEPB(0, 1, pkt), manyCustom, ngEPB(0, 2, pkt)),
			[]uint64{1, 3*skipRing + 2}, []SkipCount{{"custom_block", 3 * skipRing}}},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				if rd.name == "one byte" && len(tt.body) > 1<<20 {
					t.Skip("slow")
				}
				file := cat(ngSHB(), ngIDB(1, 0), tt.body)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				frames, s := framesOf(t, file, rd.wrap)
				runtime.ReadMemStats(&after)
				if s.Err != nil {
					t.Fatalf("error %v", s.Err)
				}
				if !slices.Equal(frames, tt.frames) || !slices.Equal(s.Skipped, tt.skipped) {
					t.Errorf("frames %v skipped %v, want %v and %v", frames, s.Skipped, tt.frames, tt.skipped)
				}
				if grew := after.TotalAlloc - before.TotalAlloc; rd.name == "whole" && grew > 3*MaxRecord {
					t.Errorf("allocated %d bytes: an oversized block must not be read into memory", grew)
				}
			})
		}
	}
	// An EPB whose captured length is over its original length is read,
	// with a warning, as a pcap record is.
	odd := ngEPB(0, 1, pkt)
	binary.LittleEndian.PutUint32(odd[24:28], 20)
	if frames, s := framesOf(t, cat(ngSHB(), ngIDB(1, 0), odd), readers[0].wrap); len(frames) != 1 ||
		!slices.Equal(s.Warnings, []SkipCount{{"caplen_over_origlen", 1}}) {
		t.Errorf("EPB caplen over origlen: frames %v, warnings %v", frames, s.Warnings)
	}
	// An SPB over MaxRecord cut to interface 0's snap length is read.
	spb := ngSPB(cat(pkt, make([]byte, 1500-len(pkt))))
	binary.LittleEndian.PutUint32(spb[8:12], 300000) // original length
	frames, s := framesOf(t, cat(ngSHB(), spbIDB(1500), spb), readers[0].wrap)
	if len(frames) != 1 || s.Err != nil || len(s.Skipped) != 0 {
		t.Errorf("SPB cut to its snap length: frames %v, error %v", frames, s.Err)
	}
}

// TestPcapngInsaneBlocksEndTheFile: a block whose header is absurd (over
// 16 MiB, a packet that does not fit its block) ends the capture with a
// *CaptureError naming it; the packets and passed-over blocks before it
// are counted (issue: malformed files are reported clearly).
func TestPcapngInsaneBlocksEndTheFile(t *testing.T) {
	pkt := eth(0x0800, synV4)
	head := cat(ngSHB(), ngIDB(1, 0), ngEPB(0, 1, pkt), ngBlock(blockCustom, nil))
	huge := ngEPB(0, 2, pkt)
	binary.LittleEndian.PutUint32(huge[4:], maxSaneRecord+4)
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			frames, s := framesOf(t, cat(head, huge, ngEPB(0, 3, pkt)), rd.wrap)
			var ce *CaptureError
			if !errors.As(s.Err, &ce) || ce.Frame != 3 || ce.Offset != int64(len(head)) || !strings.Contains(ce.Error(), "over the 16777216-byte limit") {
				t.Errorf("error %v, want frame 3 at byte %d over the limit", s.Err, len(head))
			}
			if !slices.Equal(frames, []uint64{1}) {
				t.Errorf("frames %v, want [1]", frames)
			}
		})
	}
}

// TestPcapngInterfaceLimit: a section with more than maxInterfaces IDBs,
// or more than maxInterfaceBytes of them, ends the capture with an error
// naming the block and the limit, instead of memory growing with the file
// (pcapgo keeps every interface of a section). The count starts again in
// each section (issue: any size in bounded memory).
func TestPcapngInterfaceLimit(t *testing.T) {
	pkt := eth(0x0800, synV4)
	idb := ngIDB(1, 0)
	var many []byte
	for range maxInterfaces {
		many = append(many, idb...)
	}
	bigIDB := func() []byte { // an IDB padded to 6 MiB after its options
		b := cat(binary.LittleEndian.AppendUint32([]byte{1, 0, 0, 0}, 0), []byte{0, 0, 0, 0}, make([]byte, 6<<20))
		return ngBlock(blockIDB, b)
	}
	twoSections := cat(ngSHB(), many, ngEPB(0, 1, pkt), ngSHB(), many, ngEPB(maxInterfaces-1, 2, pkt))
	tests := []struct {
		name   string
		file   []byte
		frames []uint64
		err    string
		offset int64
	}{
		{"65536 interfaces in each of two sections", twoSections, []uint64{1, 2}, "", 0},
		{"65537 interfaces", cat(ngSHB(), many, ngEPB(0, 1, pkt), idb, ngEPB(0, 2, pkt)), []uint64{1},
			"too many interfaces: interface description block 65537 of its section, over the limit of 65536", int64(len(ngSHB()) + len(many) + len(ngEPB(0, 1, pkt)))},
		{"18 MiB of interfaces", cat(ngSHB(), idb, ngEPB(0, 1, pkt), bigIDB(), bigIDB(), bigIDB(), ngEPB(0, 2, pkt)), []uint64{1},
			"too many interfaces: interface description blocks of its section total", int64(len(ngSHB()) + len(idb) + len(ngEPB(0, 1, pkt)) + 2*len(bigIDB()))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, s := framesOf(t, tt.file, readers[0].wrap)
			if !slices.Equal(frames, tt.frames) {
				t.Errorf("frames %v, want %v", frames, tt.frames)
			}
			var ce *CaptureError
			switch {
			case tt.err == "" && s.Err != nil:
				t.Errorf("error %v", s.Err)
			case tt.err != "" && (!errors.As(s.Err, &ce) || !strings.Contains(ce.Error(), tt.err) || ce.Offset != tt.offset):
				t.Errorf("error %v, want one at byte %d containing %q", s.Err, tt.offset, tt.err)
			}
		})
	}
}
