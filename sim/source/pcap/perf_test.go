package pcap

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestNextDoesNotAllocate: once warmed up, Next (and Raw) allocates
// nothing per packet, for pcap (read, and mapped) and for pcapng, with an
// address map in use (STYLE.md lesson 4; packet.Source requires it).
func TestNextDoesNotAllocate(t *testing.T) {
	var pcapBuf bytes.Buffer
	if err := GenerateCapture(&pcapBuf, 5000, 500, 1); err != nil {
		t.Fatal(err)
	}
	ngBuf := toPcapng(t, pcapBuf.Bytes())
	path := filepath.Join(t.TempDir(), "mapped.pcap")
	if err := os.WriteFile(path, pcapBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		file []byte
	}{{"pcap", pcapBuf.Bytes()}, {"pcapng", ngBuf}, {"pcap mapped", nil}, {"pcap mapped windows", pcapBuf.Bytes()}} {
		t.Run(tt.name, func(t *testing.T) {
			var r *Reader
			var err error
			switch tt.name {
			case "pcap mapped": // Open maps the file (where it can)
				r, err = Open(path, Options{})
			case "pcap mapped windows": // windows of a page: one slides every few packets
				r, err = mappedBytes(t, tt.file, Options{}, 4096, 4096)
			default:
				r, err = NewReader(bytes.NewReader(tt.file), tt.name, Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.Map(ip("10.0.0.1"), ip("192.0.2.1"))
			var p packet.Packet
			for range 500 { // warm up: buffers reach their size
				if ok, err := r.Next(&p); !ok {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(3000, func() {
				if ok, err := r.Next(&p); !ok {
					t.Fatal(err)
				}
				r.Raw()
			})
			if allocs != 0 {
				t.Errorf("Next allocates %.2f times per packet, want 0", allocs)
			}
		})
	}
}

// TestOpenAllocatesLittle: opening a capture costs a fixed, small number
// of allocations (the replay's allocation budget is 0.01 a packet over
// 20 000 packets, Open included: cmd/ctsim TestReplayLoopDoesNotAllocatePerPacket).
func TestOpenAllocatesLittle(t *testing.T) {
	var buf bytes.Buffer
	if err := GenerateCapture(&buf, 100, 10, 1); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "open.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(10, func() {
		r, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
	})
	if allocs > 120 {
		t.Errorf("Open and Close allocate %.0f times, want at most 120", allocs)
	}
}

// toPcapng rewrites a pcap as pcapng with pcapgo's NgWriter.
func toPcapng(t testing.TB, pcapFile []byte) []byte {
	t.Helper()
	pr, err := pcapgo.NewReader(bytes.NewReader(pcapFile))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := pcapgo.NewNgWriter(&out, pr.LinkType())
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := pr.ReadPacketData()
		if err != nil {
			break
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return out.Bytes()
}

// TestGenerateCapture: the generator is deterministic per seed, and every
// packet it writes decodes.
func TestGenerateCapture(t *testing.T) {
	var a, b, c bytes.Buffer
	for _, g := range []struct {
		w    *bytes.Buffer
		seed uint64
	}{{&a, 7}, {&b, 7}, {&c, 8}} {
		if err := GenerateCapture(g.w, 2000, 100, g.seed); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) || bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("GenerateCapture is not a function of its seed")
	}
	pkts, s := readAll(t, a.Bytes(), Options{})
	if s.Delivered != 2000 || len(s.Skipped) != 0 {
		t.Errorf("delivered %d, skipped %v; want 2000 and none", s.Delivered, s.Skipped)
	}
	flows := map[packet.Tuple]bool{}
	for _, p := range pkts {
		t := p.Tuple()
		if t.Src.Compare(t.Dst) > 0 {
			t = t.Reverse()
		}
		flows[t] = true
	}
	if len(flows) < 90 || len(flows) > 100 {
		t.Errorf("%d flows, want about 100", len(flows))
	}
	if err := GenerateCapture(&a, 1, 0, 1); err == nil {
		t.Error("zero flows accepted")
	}
}

// TestGenerateCaptureManyFlows: the replay benchmark needs over 100k flows;
// each has its own client address, so none collide.
func TestGenerateCaptureManyFlows(t *testing.T) {
	if testing.Short() {
		t.Skip("300k packets")
	}
	var buf bytes.Buffer
	if err := GenerateCapture(&buf, 300000, 100000, 5); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&buf, "many.pcap", Options{})
	if err != nil {
		t.Fatal(err)
	}
	clients := map[[16]byte]bool{}
	var p packet.Packet
	for {
		ok, err := r.Next(&p)
		if !ok {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if p.Src.Is4() && p.Src.As4()[0] == 10 || p.Src.Is6() && p.Src.As16()[1] == 0 {
			clients[p.Src.As16()] = true
		}
	}
	// 300k random picks among 100k flows reach about 95k of them.
	if n := len(clients); n < 90000 {
		t.Errorf("%d distinct clients, want about 95000", n)
	}
}

// BenchmarkReaderDecode reads and decodes a generated capture of 200k
// packets over 10k flows (58 MB, 290 bytes a record, like the replay
// benchmark's) from a file, end to end through Next: Open maps it.
// Reports packets per second and allocations per packet (target: >= 5 M
// pkts/s, 0 allocs/pkt).
func BenchmarkReaderDecode(b *testing.B) { benchReader(b, Open) }

// BenchmarkReaderDecodeBuffered is BenchmarkReaderDecode on the read path
// (NewReader on the file: read(2) into a 64 KiB buffer), as pcapng, gzip
// and pipes are read.
func BenchmarkReaderDecodeBuffered(b *testing.B) {
	benchReader(b, func(path string, opt Options) (*Reader, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		r, err := NewReader(f, path, opt)
		if err != nil {
			return nil, err
		}
		r.closer = f
		return r, nil
	})
}

func benchReader(b *testing.B, open func(string, Options) (*Reader, error)) {
	path := filepath.Join(b.TempDir(), "bench.pcap")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	const n = 200000
	if err := GenerateCapture(f, n, 10000, 42); err != nil {
		b.Fatal(err)
	}
	f.Close()
	var p packet.Packet
	var total uint64
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for b.Loop() {
		r, err := open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			ok, err := r.Next(&p)
			if !ok {
				if err != nil {
					b.Fatal(err)
				}
				break
			}
			total++
		}
		r.Close()
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(total), "allocs/pkt")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/pkt")
}

// BenchmarkDecode decodes one TCP/IPv4 Ethernet frame, without the file.
func BenchmarkDecode(b *testing.B) {
	frame := eth(0x0800, synV4)
	d := newDecoder()
	var p packet.Packet
	b.ReportAllocs()
	for b.Loop() {
		if d.decode(frame, layers.LinkTypeEthernet, &p) != reasonNone {
			b.Fatal("skipped")
		}
	}
}

// BenchmarkGopacketNewPacket is the baseline the DecodingLayerParser
// replaces: gopacket.NewPacket on the same frame.
func BenchmarkGopacketNewPacket(b *testing.B) {
	frame := eth(0x0800, synV4)
	b.ReportAllocs()
	for b.Loop() {
		pk := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.DecodeOptions{NoCopy: true, Lazy: true})
		if pk.TransportLayer() == nil {
			b.Fatal("no transport")
		}
	}
}
