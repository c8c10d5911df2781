package pcap

import (
	"encoding/binary"
	"runtime"
	"slices"
	"testing"
)

// pcapRecord is one raw classic pcap record (little-endian) with its own
// captured and original lengths, for headers pcapFile cannot write.
func pcapRecord(caplen, origlen uint32, data []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(base.Unix()))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, caplen)
	b = binary.LittleEndian.AppendUint32(b, origlen)
	return append(b, data...)
}

// TestPcapOddRecordLengths: a classic pcap record whose header is sane but
// odd does not end the capture. A captured length over the original length
// is read and decoded with warning caplen_over_origlen (tshark reads such a
// record; aoe-oobr-1 in the corpus). A record over MaxRecord but under the
// 16 MiB sanity limit is passed over unread and skipped as oversized_record,
// like a pcapng block of the same size; both are counted in Read and use up
// a frame number (issue: malformed files; frame numbers as Wireshark's).
func TestPcapOddRecordLengths(t *testing.T) {
	head := pcapFile(binary.LittleEndian, false, 101)
	tests := []struct {
		name    string
		record  []byte
		frames  []uint64
		skipped string
		warn    string
	}{
		{"caplen over origlen", pcapRecord(uint32(len(synV4)), 32, synV4), []uint64{1, 2, 3}, "", "caplen_over_origlen"},
		{"caplen 299054", pcapRecord(299054, 299054, make([]byte, 299054)), []uint64{1, 3}, "oversized_record", ""},
		{"caplen MaxRecord+1", pcapRecord(MaxRecord+1, MaxRecord+1, make([]byte, MaxRecord+1)), []uint64{1, 3}, "oversized_record", ""},
		{"caplen 8 MiB", pcapRecord(8<<20, 8<<20, make([]byte, 8<<20)), []uint64{1, 3}, "oversized_record", ""},
		{"caplen MaxRecord is read", pcapRecord(MaxRecord, MaxRecord, cat(synV4, make([]byte, MaxRecord-len(synV4)))), []uint64{1, 2, 3}, "", "caplen_over_snaplen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := cat(head, pcapRecord(uint32(len(synV4)), uint32(len(synV4)), synV4), tt.record,
				pcapRecord(uint32(len(synV4)), uint32(len(synV4)), synV4))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			pkts, s := readPath(t, file, Options{})
			runtime.ReadMemStats(&after)
			readAll(t, file, Options{}) // the mapped path gives the same
			if s.Err != nil || s.Read != 3 {
				t.Fatalf("read %d, error %v; want 3 records and no error", s.Read, s.Err)
			}
			var frames []uint64
			for _, p := range pkts {
				frames = append(frames, p.Frame)
			}
			if !slices.Equal(frames, tt.frames) {
				t.Errorf("frames %v, want %v", frames, tt.frames)
			}
			var skipped, warn string
			for _, c := range s.Skipped {
				skipped = c.Reason
			}
			for _, c := range s.Warnings {
				warn = c.Reason
			}
			if skipped != tt.skipped || warn != tt.warn {
				t.Errorf("skipped %v warnings %v, want %q and %q", s.Skipped, s.Warnings, tt.skipped, tt.warn)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 2*MaxRecord {
				t.Errorf("allocated %d bytes: an oversized record must not be read into memory", grew)
			}
		})
	}
}
