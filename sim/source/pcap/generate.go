package pcap

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// MaxGenFlows is the most flows GenerateCapture spreads packets over: one
// client address each in 10.0.0.0/8.
const MaxGenFlows = 1<<24 - 1

// genFlow is one conversation of a generated capture.
type genFlow struct {
	client, server   netip.Addr
	cport, sport     uint16
	proto            uint8
	sent             uint32 // packets so far
	cseq, sseq       uint32
	clientMAC, svMAC [6]byte
}

// GenOptions shape the address plan of GenerateCaptureOpts. The zero
// GenOptions is GenerateCapture's plan.
type GenOptions struct {
	// Clients is the number of client addresses (per family): 0 means one
	// per flow, flow i's being 10.0.0.0/8 + i+1 (fd00::/64 + i+1) with a
	// random port in 32768–60999. Otherwise flow i's client is
	// 10.0.0.0/8 + i%Clients+1 (fd00::/64 likewise) and its port
	// 32768 + i/Clients, so the flows stay distinct: at most
	// Clients × 32768 flows.
	Clients int
	// Servers is the number of server addresses (per family), at most
	// 65535: flow i's server is 172.16.0.0/16 + i%Servers+1
	// (fd01::/64 likewise); 0 means 4096.
	Servers int
}

// GenerateCapture writes a classic pcap (nanosecond, little-endian,
// Ethernet) of n packets spread over the given number of flows (up to
// MaxGenFlows), for benchmarks and tests of the replay path. Flows are 3/4
// TCP (a SYN, SYN-ACK, then ACKs and data both ways, no teardown) and 1/4
// UDP, 1 in 8 over IPv6. Flow i's client is 10.0.0.0/8 + i+1 (fd00::/64 +
// i+1), its server one of 4096: 172.16.0.0/16 + i%4096+1 (fd01::/64 +
// the same); server ports are 443, 80, 53 or 123. Packets pick a flow at random
// and are 1–20 µs apart. The same (n, flows, seed) gives the same bytes.
func GenerateCapture(w io.Writer, n, flows int, seed uint64) error {
	return GenerateCaptureOpts(w, n, flows, seed, GenOptions{})
}

// GenerateCaptureOpts is GenerateCapture with the address plan o: a few
// hosts carrying many flows each, as a real network's clients and servers
// do, rather than one client address per flow.
func GenerateCaptureOpts(w io.Writer, n, flows int, seed uint64, o GenOptions) error {
	if n < 0 || flows <= 0 || flows > MaxGenFlows {
		return fmt.Errorf("generate capture: want n >= 0 and 1 <= flows <= %d, got n=%d flows=%d", MaxGenFlows, n, flows)
	}
	servers := o.Servers
	if servers == 0 {
		servers = 4096
	}
	if o.Clients < 0 || o.Clients > MaxGenFlows || servers < 0 || servers > 65535 ||
		(o.Clients > 0 && (flows+o.Clients-1)/o.Clients > 32768) {
		return fmt.Errorf("generate capture: want 0 <= clients <= %d with at most 32768 flows per client, and 1 <= servers <= 65535; got clients=%d servers=%d for %d flows",
			MaxGenFlows, o.Clients, o.Servers, flows)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	fl := make([]genFlow, flows)
	for i := range fl {
		f := &fl[i]
		f.proto = packet.ProtoTCP
		if rng.IntN(4) == 0 {
			f.proto = packet.ProtoUDP
		}
		c, sv := i+1, i%servers+1
		if o.Clients > 0 {
			c = i%o.Clients + 1
		}
		c2, c1, c0 := byte(c>>16), byte(c>>8), byte(c)
		s1, s0 := byte(sv>>8), byte(sv)
		if rng.IntN(8) == 0 {
			f.client = netip.AddrFrom16([16]byte{0: 0xfd, 13: c2, 14: c1, 15: c0})
			f.server = netip.AddrFrom16([16]byte{0: 0xfd, 1: 1, 14: s1, 15: s0})
		} else {
			f.client = netip.AddrFrom4([4]byte{10, c2, c1, c0})
			f.server = netip.AddrFrom4([4]byte{172, 16, s1, s0})
		}
		f.cport = uint16(32768 + rng.IntN(28232))
		if o.Clients > 0 {
			f.cport = uint16(32768 + i/o.Clients)
		}
		if f.proto == packet.ProtoTCP {
			f.sport = [...]uint16{443, 80}[rng.IntN(2)]
		} else {
			f.sport = [...]uint16{53, 123}[rng.IntN(2)]
		}
		f.cseq, f.sseq = rng.Uint32(), rng.Uint32()
		f.clientMAC = [6]byte{0x02, 0, 0, c2, c1, c0}
		f.svMAC = [6]byte{0x02, 1, 0, 0, s1, s0}
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	pw := pcapgo.NewWriterNanos(bw)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return fmt.Errorf("generate capture: %w", err)
	}
	buf := make([]byte, 0, 1600)
	// A fixed start instant, so that the same seed gives the same bytes.
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range n {
		f := &fl[rng.IntN(flows)]
		fromClient := f.sent == 0 || f.sent%2 == 0
		payload := 0
		var flags packet.TCPFlags
		switch {
		case f.proto == packet.ProtoUDP:
			payload = 20 + rng.IntN(200)
		case f.sent == 0:
			flags = packet.SYN
		case f.sent == 1:
			flags = packet.SYN | packet.ACK
		case f.sent == 2:
			flags = packet.ACK
		default:
			flags = packet.ACK
			if rng.IntN(2) == 0 {
				flags |= packet.PSH
				payload = 1 + rng.IntN(1200)
			}
		}
		src, dst, sp, dp := f.client, f.server, f.cport, f.sport
		smac, dmac := f.clientMAC, f.svMAC
		seq, ack := &f.cseq, f.sseq
		if !fromClient {
			src, dst, sp, dp = dst, src, dp, sp
			smac, dmac = dmac, smac
			seq, ack = &f.sseq, f.cseq
		}
		buf = appendFrame(buf[:0], smac, dmac, src, dst, f.proto, sp, dp, *seq, ack, flags, payload)
		if flags.Has(packet.SYN) {
			*seq++
		}
		*seq += uint32(payload)
		f.sent++
		at = at.Add(time.Duration(1+rng.IntN(20)) * time.Microsecond)
		ci := gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(buf), Length: len(buf)}
		if err := pw.WritePacket(ci, buf); err != nil {
			return fmt.Errorf("generate capture: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("generate capture: %w", err)
	}
	return nil
}

// appendFrame appends an Ethernet frame carrying an IPv4 or IPv6 datagram
// with a TCP (flags, seq, ack) or UDP header and payload zero bytes.
func appendFrame(b []byte, smac, dmac [6]byte, src, dst netip.Addr, proto uint8,
	sport, dport uint16, seq, ack uint32, flags packet.TCPFlags, payload int) []byte {
	l4 := 8
	if proto == packet.ProtoTCP {
		l4 = 20
	}
	etype := layers.EthernetTypeIPv4
	if src.Is6() {
		etype = layers.EthernetTypeIPv6
	}
	b = appendEthernet(b, smac, dmac, etype)
	if src.Is6() {
		b = appendIPv6(b, src, dst, proto, l4+payload)
	} else {
		b = appendIPv4(b, src, dst, proto, l4+payload, 0, 0)
	}
	if proto == packet.ProtoTCP {
		b = appendTCP(b, sport, dport, seq, ack, flags)
	} else {
		b = appendUDP(b, sport, dport, payload)
	}
	for range payload {
		b = append(b, 0)
	}
	return b
}

func appendEthernet(b []byte, smac, dmac [6]byte, etype layers.EthernetType) []byte {
	b = append(b, dmac[:]...)
	b = append(b, smac[:]...)
	return binary.BigEndian.AppendUint16(b, uint16(etype))
}

// appendIPv4 appends a 20-byte IPv4 header for a payload of plen bytes.
// frag is the flags+offset field (offset in 8-byte units; 0x2000 = MF).
// The checksum is left zero, as the reader does not verify it.
func appendIPv4(b []byte, src, dst netip.Addr, proto uint8, plen int, id, frag uint16) []byte {
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(20+plen))
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, frag)
	b = append(b, 64, proto, 0, 0)
	s, d := src.As4(), dst.As4()
	b = append(b, s[:]...)
	return append(b, d[:]...)
}

// appendIPv6 appends a 40-byte IPv6 header for plen bytes after it
// (extension headers included) whose Next Header is nh.
func appendIPv6(b []byte, src, dst netip.Addr, nh uint8, plen int) []byte {
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(plen))
	b = append(b, nh, 64)
	s, d := src.As16(), dst.As16()
	b = append(b, s[:]...)
	return append(b, d[:]...)
}

func appendTCP(b []byte, sport, dport uint16, seq, ack uint32, flags packet.TCPFlags) []byte {
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = binary.BigEndian.AppendUint32(b, ack)
	b = append(b, 5<<4, byte(flags))
	return append(b, 0xff, 0xff, 0, 0, 0, 0) // window, checksum, urgent
}

func appendUDP(b []byte, sport, dport uint16, payload int) []byte {
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint16(b, uint16(8+payload))
	return append(b, 0, 0)
}
