package pcap

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestPcapByteOrderAndResolution reads the same three records from pcap in
// both byte orders and both timestamp resolutions; times are relative to
// the first record, to the file's resolution (DESIGN.md "Time").
func TestPcapByteOrderAndResolution(t *testing.T) {
	recs := []rec{
		{0, eth(0x0800, synV4)},
		{1500*time.Microsecond + 7, eth(0x0800, synV4)},
		{2 * time.Second, eth(0x86dd, synV6)},
	}
	tests := []struct {
		name string
		bo   binary.AppendByteOrder
		nano bool
		want []packet.Time
	}{
		{"microsecond little-endian", binary.LittleEndian, false, []packet.Time{0, 1500000, 2e9}},
		{"microsecond big-endian", binary.BigEndian, false, []packet.Time{0, 1500000, 2e9}},
		{"nanosecond little-endian", binary.LittleEndian, true, []packet.Time{0, 1500007, 2e9}},
		{"nanosecond big-endian", binary.BigEndian, true, []packet.Time{0, 1500007, 2e9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, s := readAll(t, pcapFile(tt.bo, tt.nano, 1, recs...), Options{})
			if len(pkts) != 3 || s.Read != 3 {
				t.Fatalf("got %d packets of %d records, want 3", len(pkts), s.Read)
			}
			for i, p := range pkts {
				if p.At != tt.want[i] || p.Frame != uint64(i+1) {
					t.Errorf("packet %d: at %v frame %d, want %v frame %d", i, p.At, p.Frame, tt.want[i], i+1)
				}
			}
			if pkts[2].String() != synV6s {
				t.Errorf("third packet %q, want %q", pkts[2].String(), synV6s)
			}
		})
	}
}

// TestPcapngSectionsInterfacesAndResolutions reads a pcapng with two
// sections; the first has an Ethernet interface in microseconds (no
// if_tsresol) and a raw-IPv4 (228) one in nanoseconds, the second an SLL2
// interface in 2^-10 s units and a Simple Packet Block. Every packet must
// come out, on its own link type and time scale, numbered as Wireshark
// numbers records: packet blocks and custom blocks (which are skipped).
func TestPcapngSectionsInterfacesAndResolutions(t *testing.T) {
	t0 := uint64(base.Unix())
	file := cat(
		ngSHB(), ngIDB(1, 0), ngIDB(228, 9),
		ngEPB(0, t0*1e6, eth(0x0800, synV4)),
		ngBlock(0x0BAD, []byte("custom block, not a packet")),
		ngEPB(1, t0*1e9+1500000001, synV4),
		ngSHB(), ngIDB(276, 0x80|10),
		ngEPB(0, t0<<10+3<<9, cat(sll2(0x86dd), synV6)), // +1.5 s
		ngSPB(cat(sll2(0x0800), synV4)),
	)
	pkts, s := readAll(t, file, Options{})
	if s.Read != 5 || len(pkts) != 4 || len(s.Skipped) != 1 || s.Skipped[0] != (SkipCount{"custom_block", 1}) {
		t.Fatalf("read %d, delivered %d, skipped %v; want 5, 4 and custom_block=1 (err %v)", s.Read, len(pkts), s.Skipped, s.Err)
	}
	want := []struct {
		at    packet.Time
		str   string
		frame uint64
	}{
		{0, synV4s, 1},
		{1500000001, synV4s, 3}, // frame 2 is the custom block
		{1500000001, synV6s, 4}, // 1.5 s exactly is earlier: clamped
		{1500000001, synV4s, 5}, // SPB: no timestamp, keeps the previous
	}
	for i, w := range want {
		if pkts[i].At != w.at || pkts[i].String() != w.str || pkts[i].Frame != w.frame {
			t.Errorf("packet %d: %v %q frame %d, want %v %q frame %d", i, pkts[i].At, pkts[i].String(), pkts[i].Frame, w.at, w.str, w.frame)
		}
	}
	if s.ReorderedTimestamps != 1 {
		t.Errorf("ReorderedTimestamps = %d, want 1", s.ReorderedTimestamps)
	}
}

// TestTimestampsClampAndLongGaps: a timestamp that goes back is clamped to
// the previous one and counted; a 5.8-year gap is just a large time
// (packet.Source needs non-decreasing times; DESIGN.md "Time").
func TestTimestampsClampAndLongGaps(t *testing.T) {
	const sixYears = 183109000 * time.Second
	file := pcapFile(binary.LittleEndian, true, 101,
		rec{0, synV4}, rec{2 * time.Second, synV4}, rec{time.Second, synV4},
		rec{3 * time.Second, synV4}, rec{sixYears, synV4}, rec{-time.Hour, synV4})
	pkts, s := readAll(t, file, Options{})
	want := []packet.Time{0, 2e9, 2e9, 3e9, packet.Time(sixYears), packet.Time(sixYears)}
	for i, p := range pkts {
		if p.At != want[i] {
			t.Errorf("packet %d at %v, want %v", i, p.At, want[i])
		}
	}
	if s.ReorderedTimestamps != 2 {
		t.Errorf("ReorderedTimestamps = %d, want 2", s.ReorderedTimestamps)
	}
}

// TestWindow skips packets outside Start..End (both inclusive) with reason
// outside_window and still counts them as read.
func TestWindow(t *testing.T) {
	var recs []rec
	for i := range 5 {
		recs = append(recs, rec{time.Duration(i) * time.Second, synV4})
	}
	file := pcapFile(binary.LittleEndian, false, 101, recs...)
	tests := []struct {
		name       string
		start, end time.Duration
		frames     []uint64
	}{
		{"open", 0, 0, []uint64{1, 2, 3, 4, 5}},
		{"start only", 2 * time.Second, 0, []uint64{3, 4, 5}},
		{"start and end inclusive", time.Second, 3 * time.Second, []uint64{2, 3, 4}},
		{"end only", 0, 500 * time.Millisecond, []uint64{1}},
		{"past the end", 10 * time.Second, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, s := readAll(t, file, Options{Start: tt.start, End: tt.end})
			var frames []uint64
			for _, p := range pkts {
				frames = append(frames, p.Frame)
			}
			if !equal(frames, tt.frames) {
				t.Errorf("frames %v, want %v", frames, tt.frames)
			}
			if out := 5 - uint64(len(tt.frames)); out > 0 && (len(s.Skipped) != 1 || s.Skipped[0] != SkipCount{"outside_window", out}) {
				t.Errorf("skipped %v, want outside_window=%d", s.Skipped, out)
			}
		})
	}
	if _, err := NewReader(bytes.NewReader(file), "w", Options{Start: 2 * time.Second, End: time.Second}); err == nil {
		t.Error("a window that ends before it starts was accepted")
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMap rewrites a capture's address onto a scenario host's, in the
// source, the destination and an ICMP error's quoted flow (issue: --map).
func TestMap(t *testing.T) {
	quoted := ip4("192.168.1.10", "198.51.100.9", packet.ProtoTCP, tcp(49152, 25, packet.ACK))
	file := pcapFile(binary.LittleEndian, false, 101,
		rec{0, ip4("192.168.1.10", "198.51.100.9", packet.ProtoTCP, tcp(49152, 25, packet.SYN))},
		rec{1, ip4("198.51.100.9", "192.168.1.10", packet.ProtoTCP, tcp(25, 49152, packet.SYN|packet.ACK))},
		rec{2, ip4("192.0.2.1", "192.168.1.10", packet.ProtoICMP, icmp4(3, 4, 1492, quoted))},
	)
	pkts, _ := readAll(t, file, Options{}, [2]string{"192.168.1.10", "10.0.1.5"}, [2]string{"::ffff:198.51.100.9", "10.0.2.7"})
	want := []string{
		"tcp 10.0.1.5:49152 > 10.0.2.7:25 S",
		"tcp 10.0.2.7:25 > 10.0.1.5:49152 S.",
		"icmp 192.0.2.1 > 10.0.1.5 frag-needed quoting tcp 10.0.1.5:49152 > 10.0.2.7:25",
	}
	for i, p := range pkts {
		if p.String() != want[i] {
			t.Errorf("packet %d: %q, want %q", i, p.String(), want[i])
		}
	}
}

// TestRaw returns the delivered record's bytes, capture info and link type
// for --write-dropped, skipping over records that were not delivered, and
// nothing before the first packet or after the last.
func TestRaw(t *testing.T) {
	arp := eth(0x0806, make([]byte, 28))
	file := cat(ngSHB(), ngIDB(1, 0), ngIDB(101, 9),
		ngEPB(0, uint64(base.Unix())*1e6, eth(0x0800, synV4)),
		ngEPB(0, uint64(base.Unix())*1e6+1, arp),
		ngEPB(1, uint64(base.Unix())*1e9+5000, synV6))
	r, err := NewReader(bytes.NewReader(file), "raw.pcapng", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if data, _, link := r.Raw(); data != nil || link != 0 {
		t.Errorf("Raw before Next = %d bytes, link %v; want nothing", len(data), link)
	}
	var p packet.Packet
	for i, want := range []struct {
		data  []byte
		link  layers.LinkType
		iface int
		frame uint64
	}{{eth(0x0800, synV4), 1, 0, 1}, {synV6, 101, 1, 3}} {
		if ok, err := r.Next(&p); !ok {
			t.Fatalf("Next %d: %v", i, err)
		}
		data, ci, link := r.Raw()
		if !bytes.Equal(data, want.data) || link != want.link || ci.InterfaceIndex != want.iface || p.Frame != want.frame {
			t.Errorf("Raw %d = %d bytes, link %v, iface %d, frame %d; want %d bytes, %v, %d, %d",
				i, len(data), link, ci.InterfaceIndex, p.Frame, len(want.data), want.link, want.iface, want.frame)
		}
		if ci.Timestamp.IsZero() || ci.CaptureLength != len(data) {
			t.Errorf("Raw %d capture info %+v", i, ci)
		}
	}
	// Once Next has delivered nothing more, Raw has no record to give (on
	// a mapped file its window may be gone).
	if ok, _ := r.Next(&p); ok {
		t.Fatal("a third packet")
	}
	if data, ci, link := r.Raw(); data != nil || ci.CaptureLength != 0 || link != 0 {
		t.Errorf("Raw after the end = %d bytes, %+v, link %v; want nothing", len(data), ci, link)
	}
}

// TestTruncatedFiles: a file cut anywhere inside a record delivers every
// packet before it, then a *CaptureError naming the frame and the byte
// offset where that record began, matching io.ErrUnexpectedEOF (issue: "a
// truncated file says how far it got").
func TestTruncatedFiles(t *testing.T) {
	f1, f2 := eth(0x0800, synV4), eth(0x86dd, synV6)
	whole := pcapFile(binary.LittleEndian, false, 1, rec{0, f1}, rec{1, f2}, rec{2, f1})
	third := int64(24 + 16 + len(f1) + 16 + len(f2))
	ng := cat(ngSHB(), ngIDB(1, 0), ngEPB(0, 1, f1), ngEPB(0, 2, f2))
	ngSecond := int64(len(ngSHB()) + len(ngIDB(1, 0)) + len(ngEPB(0, 1, f1)))
	tests := []struct {
		name      string
		file      []byte
		delivered uint64
		frame     uint64
		offset    int64
	}{
		{"pcap cut in record header", whole[:third+8], 2, 3, third},
		{"pcap cut right after record header", whole[:third+16], 2, 3, third},
		{"pcap cut in record data", whole[:third+16+20], 2, 3, third},
		{"pcapng cut in block header", ng[:ngSecond+6], 1, 2, ngSecond},
		{"pcapng cut in packet data", ng[:ngSecond+40], 1, 2, ngSecond},
		{"pcapng cut before trailer", ng[:len(ng)-2], 1, 2, ngSecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := readAll(t, tt.file, Options{})
			var ce *CaptureError
			if !errors.As(s.Err, &ce) || !errors.Is(s.Err, io.ErrUnexpectedEOF) || !s.Truncated {
				t.Fatalf("error %v (truncated %t), want a *CaptureError for io.ErrUnexpectedEOF", s.Err, s.Truncated)
			}
			if s.Delivered != tt.delivered || ce.Frame != tt.frame || ce.Offset != tt.offset {
				t.Errorf("delivered %d, error at frame %d byte %d; want %d, frame %d byte %d",
					s.Delivered, ce.Frame, ce.Offset, tt.delivered, tt.frame, tt.offset)
			}
			if !strings.HasSuffix(ce.Error(), "(capture not read whole)") {
				t.Errorf("message %q does not say the capture was not read whole", ce.Error())
			}
		})
	}
	// A cut exactly between records is a clean end.
	if _, s := readAll(t, whole[:third], Options{}); s.Err != nil || s.Delivered != 2 {
		t.Errorf("cut between records: delivered %d, err %v; want 2, nil", s.Delivered, s.Err)
	}
}

// TestBadHeaders: a file whose header cannot be read fails at NewReader
// with a *CaptureError for frame 0.
func TestBadHeaders(t *testing.T) {
	good := pcapFile(binary.LittleEndian, false, 1)
	tests := []struct {
		name string
		file []byte
		msg  string
	}{
		{"empty", nil, "empty file"},
		{"short", good[:10], "unexpected EOF"},
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "not a pcap or pcapng file"},
		{"version 2.2", func() []byte { b := bytes.Clone(good); b[6] = 2; return b }(), "unsupported pcap version 2.2"},
		{"reserved link-type bits", func() []byte { b := bytes.Clone(good); b[22] = 0x30; return b }(), "reserved bits"},
		{"pcapng version 2.0", func() []byte { b := ngSHB(); b[12] = 2; return b }(), "unsupported pcapng section version 2.0"},
		{"pcapng bad byte order", func() []byte { b := cat(ngSHB(), ngIDB(1, 0)); b[8] = 0; return b }(), "byte-order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tt.file), "bad.pcap", Options{})
			var ce *CaptureError
			if !errors.As(err, &ce) || ce.Frame != 0 || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want a header *CaptureError containing %q", err, tt.msg)
			}
		})
	}
}

// TestHostileLengths: lengths from the file never size a buffer beyond
// MaxRecord, whatever they claim; each ends the capture with a clear error.
func TestHostileLengths(t *testing.T) {
	hugeSnap := pcapFile(binary.LittleEndian, false, 1, rec{0, synV4})
	binary.LittleEndian.PutUint32(hugeSnap[16:], 0xffffffff)
	hugeRec := bytes.Clone(hugeSnap)
	binary.LittleEndian.PutUint32(hugeRec[24+8:], 1<<31) // caplen
	binary.LittleEndian.PutUint32(hugeRec[24+12:], 1<<31)
	epb := ngEPB(0, 1, synV4)
	hugeBlock := cat(ngSHB(), ngIDB(1, 0), bytes.Clone(epb))
	binary.LittleEndian.PutUint32(hugeBlock[len(hugeBlock)-len(epb)+4:], 3523215360)
	capOver := cat(ngSHB(), ngIDB(1, 0), bytes.Clone(epb))
	binary.LittleEndian.PutUint32(capOver[len(capOver)-len(epb)+20:], 1<<30)
	tests := []struct {
		name string
		file []byte
		msg  string
	}{
		{"pcap caplen 2 GiB under snaplen 4 GiB", hugeRec, "captured length 2147483648 over the 16777216-byte limit"},
		{"pcapng block length 3.5 GB", hugeBlock, "block length 3523215360"},
		{"pcapng captured length over its block", capOver, "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, s := readPath(t, tt.file, Options{})
			runtime.ReadMemStats(&after)
			readAll(t, tt.file, Options{}) // the mapped path gives the same
			if s.Err == nil || !strings.Contains(s.Err.Error(), tt.msg) {
				t.Errorf("error %v, want one containing %q", s.Err, tt.msg)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > uint64(4*MaxRecord+len(tt.file)) {
				t.Errorf("allocated %d bytes reading a %d-byte file", grew, len(tt.file))
			}
		})
	}
}

// TestGzip reads a gzip-compressed pcap as pcapgo does.
func TestGzip(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(pcapFile(binary.LittleEndian, true, 101, rec{0, synV4}, rec{1, synV6}))
	zw.Close()
	pkts, s := readAll(t, z.Bytes(), Options{})
	if len(pkts) != 2 || s.Err != nil {
		t.Errorf("gzip pcap: %d packets, err %v; want 2, nil", len(pkts), s.Err)
	}
}

// TestPcapgoWriters reads captures written by pcapgo's own writers: pcap
// microsecond and nanosecond, and pcapng with a second interface of
// another link type (which pcapgo's reader drops unless told not to).
func TestPcapgoWriters(t *testing.T) {
	ci := func(at time.Duration, data []byte, iface int) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: base.Add(at), CaptureLength: len(data), Length: len(data), InterfaceIndex: iface}
	}
	f1, f2 := eth(0x0800, synV4), synV6
	var us, ns, ng bytes.Buffer
	w := pcapgo.NewWriter(&us)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	w.WritePacket(ci(0, f1, 0), f1)
	w.WritePacket(ci(time.Millisecond, f1, 0), f1)
	wn := pcapgo.NewWriterNanos(&ns)
	wn.WriteFileHeader(65535, layers.LinkTypeEthernet)
	wn.WritePacket(ci(0, f1, 0), f1)
	wn.WritePacket(ci(time.Millisecond+1, f1, 0), f1)
	ngw, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	ngw.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, TimestampResolution: 9})
	ngw.WritePacket(ci(0, f1, 0), f1)
	ngw.WritePacket(ci(time.Millisecond+1, f2, 1), f2)
	ngw.Flush()
	for _, tt := range []struct {
		name string
		file []byte
		last packet.Time
		str  string
	}{
		{"pcap microsecond", us.Bytes(), 1e6, synV4s},
		{"pcap nanosecond", ns.Bytes(), 1e6 + 1, synV4s},
		{"pcapng mixed link types", ng.Bytes(), 1e6 + 1, synV6s},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pkts, _ := readAll(t, tt.file, Options{})
			if len(pkts) != 2 || pkts[1].At != tt.last || pkts[1].String() != tt.str {
				t.Fatalf("got %d packets, last %v", len(pkts), pkts)
			}
		})
	}
}

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

// TestCorruptBlockOffset: an error pcapgo finds inside a block (a packet on
// an interface the section never described) names that block's offset,
// not the blocks skipped before it.
func TestCorruptBlockOffset(t *testing.T) {
	head := cat(ngSHB(), ngIDB(1, 0), ngEPB(0, 1, eth(0x0800, synV4)), ngBlock(0x0BAD, make([]byte, 40)))
	file := cat(head, ngEPB(7, 2, eth(0x0800, synV4)))
	_, s := readAll(t, file, Options{})
	var ce *CaptureError
	if !errors.As(s.Err, &ce) || ce.Frame != 3 || ce.Offset != int64(len(head)) || !strings.Contains(ce.Error(), "interface id 7") {
		t.Errorf("error %v, want frame 3 (after a packet and a custom block) at byte %d about interface id 7", s.Err, len(head))
	}
}

// TestOpenAndClose: Open names the missing file; Close may be called twice.
func TestOpenAndClose(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "none.pcap"), Options{}); err == nil || !strings.Contains(err.Error(), "none.pcap") {
		t.Errorf("Open of a missing file: %v", err)
	}
	path := filepath.Join(dir, "one.pcap")
	if err := os.WriteFile(path, pcapFile(binary.LittleEndian, false, 101, rec{0, synV4}), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
