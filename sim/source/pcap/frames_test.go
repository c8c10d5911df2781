package pcap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFrames copies chosen frames (the ones the engine dropped) to a
// new capture that reads back as the same packets, for pcap and for a
// pcapng with two link types (issue: --write-dropped).
func TestWriteFrames(t *testing.T) {
	dir := t.TempDir()
	var gen bytes.Buffer
	if err := GenerateCapture(&gen, 50, 5, 9); err != nil {
		t.Fatal(err)
	}
	ng := cat(ngSHB(), ngIDB(1, 0), ngIDB(229, 9),
		ngEPB(0, 1, eth(0x0800, synV4)), ngEPB(1, 2e9, synV6), ngEPB(0, 3, eth(0x0806, make([]byte, 28))), ngEPB(0, 4, eth(0x86dd, synV6)))
	tests := []struct {
		name   string
		file   []byte
		frames []uint64
		want   []uint64 // frames that come out
	}{
		{"pcap", gen.Bytes(), []uint64{49, 3, 10, 10, 1000}, []uint64{3, 10, 49}},
		{"pcapng two link types, a skipped frame asked for", ng, []uint64{2, 3, 4}, []uint64{2, 4}},
		{"nothing", gen.Bytes(), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(dir, "in")
			if err := os.WriteFile(src, tt.file, 0o644); err != nil {
				t.Fatal(err)
			}
			orig, _ := readAll(t, tt.file, Options{})
			byFrame := map[uint64]string{}
			for _, p := range orig {
				byFrame[p.Frame] = p.String()
			}
			var out bytes.Buffer
			n, err := WriteFrames(&out, src, tt.frames)
			if err != nil || n != len(tt.want) {
				t.Fatalf("WriteFrames = %d, %v; want %d, nil", n, err, len(tt.want))
			}
			if n == 0 {
				return
			}
			got, _ := readAll(t, out.Bytes(), Options{})
			if len(got) != len(tt.want) {
				t.Fatalf("read back %d packets, want %d", len(got), len(tt.want))
			}
			for i, p := range got {
				if want := byFrame[tt.want[i]]; p.String() != want {
					t.Errorf("packet %d: %q, want frame %d %q", i, p.String(), tt.want[i], want)
				}
			}
		})
	}
	if _, err := WriteFrames(&bytes.Buffer{}, filepath.Join(dir, "missing"), []uint64{1}); err == nil {
		t.Error("missing file: no error")
	}
}
