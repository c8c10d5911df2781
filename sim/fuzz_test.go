package sim

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"strconv"
	"testing"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// fuzzAddrs are the addresses fuzzed packets use: T1's instance (private,
// public, IPv6), outside hosts, service addresses, a second instance.
var fuzzAddrs = []netip.Addr{
	ip("10.0.1.10"), ip("203.0.113.10"), ip("2001:db8:0:1::10"), ip("203.0.113.1"),
	ip("198.51.100.7"), ip("2001:db8:ffff::1"), ip("10.0.0.2"), ip("169.254.169.254"),
	ip("10.0.2.20"), ip("192.0.2.1"),
}

var fuzzProtos = []uint8{packet.ProtoTCP, packet.ProtoUDP, packet.ProtoICMP, packet.ProtoICMPv6, packet.ProtoGRE, packet.ProtoSCTP}

// decodeFuzz turns bytes into packets, 12 bytes each, in time order.
func decodeFuzz(data []byte) []Packet {
	var out []Packet
	var at Time
	for len(data) >= 12 {
		b := data[:12]
		data = data[12:]
		at += Time(binary.BigEndian.Uint16(b[0:2])) * Time(1e7) // up to 655 s apart
		p := Packet{At: at, Length: 40 + uint32(b[11])}
		p.Src = fuzzAddrs[int(b[2])%len(fuzzAddrs)]
		p.Dst = fuzzAddrs[int(b[3])%len(fuzzAddrs)]
		p.Proto = fuzzProtos[int(b[4])%len(fuzzProtos)]
		p.SrcPort = binary.BigEndian.Uint16(b[5:7])%4 + []uint16{22, 80, 443, 50000}[b[5]%4]
		p.DstPort = []uint16{22, 80, 443, 50000, 53, 5432}[int(b[7])%6]
		p.Flags = packet.TCPFlags(b[8])
		p.ICMPType, p.ICMPCode, p.ICMPID = []uint8{0, 8, 3, 11, 128, 129, 2}[int(b[9])%7], b[10]%5, uint16(b[10])
		if p.IsICMPError() {
			p.Inner = packet.Tuple{Src: p.Dst, Dst: p.Src, SrcPort: 22, DstPort: 50000, Proto: packet.ProtoTCP}
		}
		if b[11]&0xC0 == 0xC0 {
			p.Fragment = packet.Fragment{ID: uint32(b[10]), Offset: uint16(b[9]) * 8, More: b[8]&1 == 1, IsFragment: true}
		}
		out = append(out, p)
	}
	return out
}

// fuzzRun runs the packets through T1 plus a second subnet, with a rule
// change half way, and returns the JSON result.
func fuzzRun(t *testing.T, pkts []Packet, opt Options) (*Result, []byte) {
	w := t1().sg("sg-b", []firewall.SGRule{sgr("pg", "tcp", 5432, 5432, "10.0.1.0/24")}, nil).
		host("b", "s2", []string{"10.0.2.20"}, "sg-b")
	e := w.engine(t, opt)
	if len(pkts) > 0 {
		mid := pkts[len(pkts)/2].At
		if err := e.Schedule(mid, Change{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "http4"}); err != nil {
			t.Fatal(err)
		}
		if err := e.Schedule(mid, Change{Kind: AddNACLEntry, ACL: "acl-1", Entry: nacl(50, "out", "deny", "tcp", 50000, 50000, "0.0.0.0/0")}); err != nil {
			t.Fatal(err)
		}
	}
	e.AddSource(&sliceSource{pkts: pkts})
	r, err := e.Run(Never)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	e.Finish()
	if b2, err := json.Marshal(e.Result()); err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("the result changed after Finish (%v):\n%s\nwas:\n%s", err, b2, b)
	}
	return r, b
}

// FuzzRunInvariants drives the engine with arbitrary packet sequences and
// checks what must always hold: no panic; every packet accounted for
// (read = forwarded + dropped, and per flow); every drop explained by a
// step with a reason and a hint; the same input gives the same bytes.
func FuzzRunInvariants(f *testing.F) {
	f.Add([]byte("\x00\x00\x03\x00\x00\x00\x00\x01\x02\x00\x00\x10" + "\x00\x01\x00\x03\x00\x00\x00\x01\x12\x00\x00\x10"))
	f.Add(bytes.Repeat([]byte{0, 50, 4, 0, 1, 0, 1, 4, 0, 0, 0, 0}, 5))
	f.Add(bytes.Repeat([]byte{1, 0, 0, 9, 2, 0, 0, 0, 0, 2, 4, 0xC1}, 8))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkts := decodeFuzz(data)
		if len(pkts) > 300 {
			pkts = pkts[:300]
		}
		for _, opt := range []Options{{Explain: true}, {Explain: true, Replay: true, NoStateOnLaterDrop: true, Allowance: 3}} {
			r, b := fuzzRun(t, pkts, opt)
			if r.Summary.Read != uint64(len(pkts)) || r.Summary.Read != r.Summary.Forwarded+r.Summary.Dropped {
				t.Fatalf("summary %+v for %d packets", r.Summary, len(pkts))
			}
			var sum uint64
			for _, fl := range r.Flows {
				sum += fl.PacketsOut + fl.PacketsBack
				if fl.PacketsOut+fl.PacketsBack != fl.ForwardedOut+fl.ForwardedBack+fl.DroppedOut+fl.DroppedBack {
					t.Fatalf("flow %s: packets do not add up: %+v", fl.Key, fl)
				}
				if (fl.FirstDrop != nil) != (fl.Verdict != Allowed) {
					t.Fatalf("flow %s: verdict %s with first drop %v", fl.Key, fl.Verdict, fl.FirstDrop)
				}
				if fl.FirstDrop != nil && (fl.Hint == "" || fl.FirstDrop.Step.Action != firewall.Deny || fl.FirstDrop.Step.Reason == firewall.ReasonNone) {
					t.Fatalf("flow %s: unexplained drop %+v hint %q", fl.Key, fl.FirstDrop, fl.Hint)
				}
			}
			if sum != r.Summary.Read {
				t.Fatalf("flows hold %d packets, read %d", sum, r.Summary.Read)
			}
			for _, p := range r.Packets {
				if len(p.Steps) == 0 {
					t.Fatalf("packet %d has no steps", p.N)
				}
			}
			if _, b2 := fuzzRun(t, pkts, opt); !bytes.Equal(b, b2) {
				t.Fatal("same input, different results")
			}
		}
	})
}

// FuzzTimestampJSON checks Timestamp.MarshalJSON's one-allocation
// formatting against the quoted Time.String it replaced, so the JSON of
// every result stays byte for byte the same. (Result formats are not AWS
// behaviour: no SPEC.md section applies; see DESIGN.md "Time".)
func FuzzTimestampJSON(f *testing.F) {
	for _, v := range []int64{0, 1, -1, 12_500_000_000, 17_000, 432000_000_000_001, 1<<63 - 1, -1 << 63, -1<<63 + 1, int64(Never), 999_999_999, 1_000_000_000} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		ts := Timestamp(v)
		got, err := ts.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.Quote(Time(ts).String()); string(got) != want {
			t.Fatalf("MarshalJSON(%d) = %s, want %s", v, got, want)
		}
	})
}
