package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// addCorpusSeeds adds every capture of ../shared/testdata/pcaps, when it is
// there, to f's seed corpus.
func addCorpusSeeds(f *testing.F) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "testdata", "pcaps")
	for _, sub := range []string{"valid", "malformed"} {
		paths, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
}

// FuzzReader feeds arbitrary bytes to the reader as a capture file. It
// must never panic, never allocate beyond its record limit, and always
// keep its accounting: read = delivered + skipped, frames rising, time
// never going back, errors as *CaptureError. A classic pcap read in place
// from windows (the mmap path, mapped.go) must give exactly what the read
// path gives. Seeds: the shared corpus,
// generated pcap and pcapng, and hand-built files of every link type.
func FuzzReader(f *testing.F) {
	addCorpusSeeds(f)
	var gen bytes.Buffer
	if err := GenerateCapture(&gen, 20, 4, 3); err != nil {
		f.Fatal(err)
	}
	f.Add(gen.Bytes())
	f.Add(toPcapng(f, gen.Bytes()))
	f.Add(cat(ngSHB(), ngIDB(1, 0), ngIDB(228, 9), ngEPB(0, 1, eth(0x0800, synV4)),
		ngSHB(), ngIDB(276, 0x80|10), ngEPB(0, 2, cat(sll2(0x86dd), synV6)), ngSPB(cat(sll2(0x0800), synV4))))
	for _, link := range []uint32{0, 1, 101, 108, 113, 228, 229, 276} {
		f.Add(pcapFile(binary.BigEndian, true, link, rec{0, synV4}, rec{1, synV6}, rec{2, eth(0x8100, vlan(1, 0x0800), synV4)}))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "test.pcap", Options{})
		var want read
		if err != nil {
			var ce *CaptureError
			if !errors.As(err, &ce) {
				t.Fatalf("NewReader error %v is not a *CaptureError", err)
			}
		} else {
			want = readWhole(t, r) // checks the invariants
		}
		// The mapped path (windows of several sizes) gives the same.
		checkMappedLikeRead(t, data, Options{}, want, err)
	})
}

// FuzzDecode feeds arbitrary frames of every supported link type to the
// decoder. It must never panic, and a delivered packet has both addresses
// of one family.
func FuzzDecode(f *testing.F) {
	frames := [][]byte{
		eth(0x0800, synV4), eth(0x86dd, synV6), eth(0x88a8, vlan(10, 0x8100), vlan(20, 0x0800), synV4),
		eth(0x8847, mplsLabel(1, true), synV4), cat(sll(6, 0x0800), synV4), cat(sll2(0x86dd), synV6),
		cat([]byte{2, 0, 0, 0}, synV4), synV4, synV6,
		ip4("10.0.1.5", "10.0.2.7", packet.ProtoICMP, icmp4(3, 4, 1492, synV4)),
		ip6("2001:db8::1", "2001:db8::5", packet.ProtoICMPv6, icmp6(2, 0, 1280, synV6)),
		ip6("2001:db8::5", "2001:db8::7", 0, cat(ext6(44), frag6(packet.ProtoUDP, 7, 0, true), udp(1, 2, 8))),
	}
	for _, fr := range frames {
		for _, link := range []uint16{0, 1, 101, 113, 228, 229, 276} {
			f.Add(link, fr)
		}
	}
	d := newDecoder()
	f.Fuzz(func(t *testing.T, link uint16, frame []byte) {
		var p packet.Packet
		if d.decode(frame, layers.LinkType(link), &p) != reasonNone {
			return
		}
		if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() != p.Dst.Is4() {
			t.Fatalf("delivered packet with bad addresses: %+v", p)
		}
		if p.Inner.IsValid() && p.Inner.Src.Is4() != p.Inner.Dst.Is4() {
			t.Fatalf("quoted flow with mixed families: %+v", p.Inner)
		}
	})
}

// FuzzParseQuoted compares parseQuoted, which reads the datagram an ICMP
// error quotes, with gopacket's full decoder as a reference (the role
// parseIPSlow plays for netip; STYLE.md lesson 15): whenever gopacket
// decodes the quote's IP header and transport ports, they must agree
// (SPEC.md §2.7).
func FuzzParseQuoted(f *testing.F) {
	f.Add(synV4)
	f.Add(synV6)
	f.Add(synV4[:28])
	f.Add(ip4("10.0.1.5", "8.8.8.8", packet.ProtoICMP, icmp4(8, 0, 7<<16, nil)))
	f.Add(ip6("2001:db8::5", "2001:db8::9", 60, cat(ext6(packet.ProtoUDP), udp(5353, 53, 4))))
	f.Add(ip6("2001:db8::5", "2001:db8::9", 44, cat(frag6(packet.ProtoUDP, 1, 8, false), udp(5353, 53, 4))))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseQuoted(b)
		if !ok {
			return
		}
		first := layers.LayerTypeIPv4
		if got.Src.Is6() {
			first = layers.LayerTypeIPv6
		}
		ref := gopacket.NewPacket(b, first, gopacket.DecodeOptions{NoCopy: true})
		nl := ref.NetworkLayer()
		if nl == nil {
			return
		}
		src, dst := nl.NetworkFlow().Endpoints()
		if len(src.Raw()) == 0 {
			return // gopacket refused the IP header (a bad length, say)
		}
		if !bytes.Equal(src.Raw(), got.Src.AsSlice()) || !bytes.Equal(dst.Raw(), got.Dst.AsSlice()) {
			t.Fatalf("addresses %v > %v, gopacket %v > %v", got.Src, got.Dst, src, dst)
		}
		if ref.ErrorLayer() != nil {
			return // gopacket gave up on the transport header (a short quote)
		}
		switch l := ref.TransportLayer().(type) {
		case *layers.TCP:
			if got.Proto != packet.ProtoTCP || got.SrcPort != uint16(l.SrcPort) || got.DstPort != uint16(l.DstPort) {
				t.Fatalf("quoted %v, gopacket tcp %d > %d", got, l.SrcPort, l.DstPort)
			}
		case *layers.UDP:
			if got.Proto != packet.ProtoUDP || got.SrcPort != uint16(l.SrcPort) || got.DstPort != uint16(l.DstPort) {
				t.Fatalf("quoted %v, gopacket udp %d > %d", got, l.SrcPort, l.DstPort)
			}
		}
	})
}

// FuzzEthLayer compares the decoder's Ethernet layer with gopacket's
// (the reference it replaces, STYLE.md lesson 15) on every frame of 14
// bytes or more: same next layer, and, unless that is LLC (which the
// decoder does not read on), the same payload.
func FuzzEthLayer(f *testing.F) {
	f.Add(eth(0x0800, synV4))
	f.Add(eth(0x86dd, synV6))
	f.Add(eth(0x8100, vlan(1, 0x0800), synV4))
	f.Add(eth(0x0806, make([]byte, 28)))
	f.Add(eth(0x0020, make([]byte, 10)))
	f.Fuzz(func(t *testing.T, frame []byte) {
		var ours ethLayer
		var ref layers.Ethernet
		errOurs := ours.DecodeFromBytes(frame, gopacket.NilDecodeFeedback)
		errRef := ref.DecodeFromBytes(frame, gopacket.NilDecodeFeedback)
		if (errOurs == nil) != (errRef == nil) {
			t.Fatalf("error %v, gopacket %v", errOurs, errRef)
		}
		if errOurs != nil {
			return
		}
		if ours.NextLayerType() != ref.NextLayerType() {
			t.Fatalf("next layer %v, gopacket %v", ours.NextLayerType(), ref.NextLayerType())
		}
		if ref.EthernetType != layers.EthernetTypeLLC && !bytes.Equal(ours.LayerPayload(), ref.LayerPayload()) {
			t.Fatalf("payload %x, gopacket %x", ours.LayerPayload(), ref.LayerPayload())
		}
	})
}

// FuzzTCPLayer compares the decoder's TCP layer with gopacket's (the
// reference it replaces, STYLE.md lesson 15) on every segment: both fail
// or neither, with the same truncation flag, and on success they read the
// same ports, sequence numbers, flags and payload.
func FuzzTCPLayer(f *testing.F) {
	f.Add(tcp(1, 2, packet.TCPFlags(0x12)))
	f.Add(synV4[20:])
	f.Add(append(tcp(443, 5000, 0x10), 1, 1, 30, 12, 0x10, 0, 0, 0, 0, 0, 0, 0))
	f.Add(make([]byte, 19))
	f.Fuzz(func(t *testing.T, seg []byte) {
		var ours tcpLayer
		var ref layers.TCP
		var fbOurs, fbRef truncFeedback
		errOurs := ours.DecodeFromBytes(seg, &fbOurs)
		errRef := ref.DecodeFromBytes(seg, &fbRef)
		if (errOurs == nil) != (errRef == nil) || fbOurs != fbRef {
			t.Fatalf("error %v (truncated %t), gopacket %v (truncated %t)", errOurs, fbOurs, errRef, fbRef)
		}
		if errOurs != nil {
			return
		}
		if ours.srcPort != uint16(ref.SrcPort) || ours.dstPort != uint16(ref.DstPort) || ours.seq != ref.Seq ||
			ours.ack != ref.Ack || ours.flags != ref.Contents[13] || !bytes.Equal(ours.payload, ref.Payload) {
			t.Fatalf("read %+v, gopacket %+v", ours, ref)
		}
	})
}

// truncFeedback records SetTruncated.
type truncFeedback bool

func (f *truncFeedback) SetTruncated() { *f = true }

// FuzzIPv4Layer compares the decoder's IPv4 layer with gopacket's IPv4
// plus the decoder's two extra checks (version, zero total length on
// non-TCP), the layer it replaces (STYLE.md lesson 15): both fail or
// neither, with the same truncation flag, and on success they read the same
// addresses, protocol, length, fragment fields and payload.
func FuzzIPv4Layer(f *testing.F) {
	f.Add(synV4)
	f.Add(synV4[:30])
	f.Add(ip4frag("10.0.0.1", "10.0.0.2", packet.ProtoUDP, 7, 16, true, udp(1, 2, 4)))
	opts := cat([]byte{0x47, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2},
		[]byte{1, 7, 3, 4, 0, 0}, tcp(1, 2, 2))
	f.Add(opts)
	f.Fuzz(func(t *testing.T, b []byte) {
		var ours ipv4Layer
		var ref layers.IPv4
		var fbOurs, fbRef truncFeedback
		errOurs := ours.DecodeFromBytes(b, &fbOurs)
		errRef := ref.DecodeFromBytes(b, &fbRef)
		if errRef == nil && ref.Version != 4 {
			errRef = errIPVersion
		}
		if errRef == nil && binary.BigEndian.Uint16(b[2:4]) == 0 && ref.Protocol != layers.IPProtocolTCP {
			errRef = errIPZeroLength
		}
		if (errOurs == nil) != (errRef == nil) || fbOurs != fbRef {
			t.Fatalf("error %v (truncated %t), gopacket %v (truncated %t)", errOurs, fbOurs, errRef, fbRef)
		}
		if errOurs != nil {
			return
		}
		if ours.src != [4]byte(ref.SrcIP) || ours.dst != [4]byte(ref.DstIP) || ours.proto != ref.Protocol ||
			ours.length != ref.Length || ours.id != ref.Id || ours.fragOffset != ref.FragOffset ||
			ours.more != (ref.Flags&layers.IPv4MoreFragments != 0) || !bytes.Equal(ours.payload, ref.Payload) {
			t.Fatalf("read %+v, gopacket %+v", ours, ref)
		}
	})
}
