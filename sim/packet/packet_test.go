package packet

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestFormatSecondsTrimsTrailingZeros(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{30 * time.Second, "30s"},
		{10 * time.Millisecond, "0.01s"},
		{180*time.Second - 1, "179.999999999s"},
		{-1500 * time.Millisecond, "-1.5s"},
		{432000 * time.Second, "432000s"},
	} {
		if got := FormatSeconds(tc.d); got != tc.want {
			t.Errorf("FormatSeconds(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if Never.String() != "never" {
		t.Errorf("Never.String() = %q", Never.String())
	}
}

// TestEchoRequestAndReplyShareTuplePorts checks that an ICMP echo's
// identifier stands in both port positions, so request and reply map to one
// connection (SPEC.md §2.1 CT2, CT8).
func TestEchoRequestAndReplyShareTuplePorts(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.1.10"), netip.MustParseAddr("198.51.100.7")
	req := Packet{Src: b, Dst: a, Proto: ProtoICMP, ICMPType: 8, ICMPID: 7}
	rep := Packet{Src: a, Dst: b, Proto: ProtoICMP, ICMPType: 0, ICMPID: 7}
	if got, want := rep.Tuple(), req.Tuple().Reverse(); got != want {
		t.Fatalf("reply tuple %v, want reverse of request %v", got, want)
	}
	if got := req.String(); got != "icmp 198.51.100.7 > 10.0.1.10 echo-request id=7" {
		t.Errorf("String() = %q", got)
	}
}

func TestICMPErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		proto, typ uint8
		err, echo  bool
	}{
		{ProtoICMP, 3, true, false},
		{ProtoICMP, 11, true, false},
		{ProtoICMP, 8, false, true},
		{ProtoICMP, 0, false, true},
		{ProtoICMP, 13, false, false},
		{ProtoICMPv6, 2, true, false},
		{ProtoICMPv6, 128, false, true},
		{ProtoICMPv6, 135, false, false},
		{ProtoTCP, 3, false, false},
	} {
		p := Packet{Proto: tc.proto, ICMPType: tc.typ}
		if p.IsICMPError() != tc.err || p.IsICMPEcho() != tc.echo {
			t.Errorf("proto %d type %d: error=%v echo=%v, want %v %v", tc.proto, tc.typ, p.IsICMPError(), p.IsICMPEcho(), tc.err, tc.echo)
		}
	}
}

func TestTupleStringFormatsFamiliesAndPortlessProtocols(t *testing.T) {
	for _, tc := range []struct {
		p    Packet
		want string
	}{
		{Packet{Src: netip.MustParseAddr("10.0.1.5"), Dst: netip.MustParseAddr("10.0.2.7"), Proto: ProtoTCP, SrcPort: 49152, DstPort: 443, Flags: SYN}, "tcp 10.0.1.5:49152 > 10.0.2.7:443 S"},
		{Packet{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), Proto: ProtoUDP, SrcPort: 5353, DstPort: 53}, "udp [2001:db8::1]:5353 > [2001:db8::2]:53"},
		{Packet{Src: netip.MustParseAddr("10.0.1.5"), Dst: netip.MustParseAddr("192.0.2.50"), Proto: ProtoGRE}, "gre 10.0.1.5 > 192.0.2.50"},
		{Packet{Src: netip.MustParseAddr("10.0.1.5"), Dst: netip.MustParseAddr("192.0.2.50"), Proto: 99}, "99 10.0.1.5 > 192.0.2.50"},
		// A later fragment has no transport header to show.
		{Packet{Src: netip.MustParseAddr("10.0.1.5"), Dst: netip.MustParseAddr("8.8.8.8"), Proto: ProtoICMP, Fragment: Fragment{IsFragment: true, ID: 9, Offset: 1480}}, "icmp 10.0.1.5 > 8.8.8.8 fragment id=9 offset=1480"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if tu := tc.p.Tuple(); string(tu.AppendTo([]byte("x"))) != "x"+tu.String() {
			t.Errorf("AppendTo = %q, want %q", tu.AppendTo([]byte("x")), "x"+tu.String())
		}
	}
}

func TestTCPFlagsStringIsTcpdumpStyle(t *testing.T) {
	for f, want := range map[TCPFlags]string{SYN: "S", SYN | ACK: "S.", ACK: ".", PSH | ACK: "P.", FIN | ACK: "F.", RST: "R", 0: "none"} {
		if got := f.String(); got != want {
			t.Errorf("%08b: %q, want %q", f, got, want)
		}
	}
}

// TestEphemeralRangesFollowSpec checks the OS profiles against SPEC.md §4
// and §3.8.
func TestEphemeralRangesFollowSpec(t *testing.T) {
	for os, want := range map[string]PortRange{
		"linux": {32768, 60999}, "amazon-linux-doc": {32768, 61000}, "windows": {49152, 65535},
		"windows-xp": {1025, 5000}, "macos": {49152, 65535}, "freebsd": {10000, 65535},
		"nat-gateway": {1024, 65535}, "elb": {1024, 65535}, "lambda": {1024, 65535},
	} {
		got, ok := EphemeralRange(os)
		if !ok || got != want {
			t.Errorf("EphemeralRange(%q) = %v %v, want %v", os, got, ok, want)
		}
	}
	if _, ok := EphemeralRange("plan9"); ok {
		t.Error("unknown profile reported as known")
	}
	if n := len(OSProfiles()); n != 9 {
		t.Errorf("OSProfiles() has %d names, want 9", n)
	}
}

func TestFragmentFirst(t *testing.T) {
	if !(Fragment{}).First() || !(Fragment{IsFragment: true, More: true}).First() || (Fragment{IsFragment: true, Offset: 1480}).First() {
		t.Error("Fragment.First misclassifies")
	}
}

// FuzzAppendSeconds checks the allocation-free seconds text against a slow
// reference built with math/big, over the whole int64 range (the time text
// of every report and of the JSON output; no SPEC.md section applies).
func FuzzAppendSeconds(f *testing.F) {
	for _, v := range []int64{0, 1, -1, 12_500_000_000, 17_000, 999_999_999, 1 << 62, 1<<63 - 1, -1 << 63} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		sec, frac := new(big.Int).QuoRem(big.NewInt(v), big.NewInt(1e9), new(big.Int))
		want := new(big.Int).Abs(sec).String()
		if v < 0 {
			want = "-" + want
		}
		if frac.Sign() != 0 {
			want += "." + strings.TrimRight(fmt.Sprintf("%09d", new(big.Int).Abs(frac)), "0")
		}
		want += "s"
		if got := string(AppendSeconds(nil, time.Duration(v))); got != want {
			t.Fatalf("AppendSeconds(%d) = %q, want %q", v, got, want)
		}
		if got := FormatSeconds(time.Duration(v)); got != want {
			t.Fatalf("FormatSeconds(%d) = %q, want %q", v, got, want)
		}
	})
}

func TestAppendSecondsDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 24)
	if n := testing.AllocsPerRun(100, func() { buf = AppendSeconds(buf[:0], -1<<63) }); n != 0 {
		t.Errorf("AppendSeconds allocates %v times", n)
	}
}

// TestParseTCPFlagsReadsWhatStringWrites: every combination of the flags
// String names reads back from its text; ECE and CWR read as E and W; an
// empty text or another letter ("A", not tcpdump's ".") is an error.
func TestParseTCPFlagsReadsWhatStringWrites(t *testing.T) {
	named := []TCPFlags{SYN, FIN, RST, PSH, URG, ACK}
	for mask := 1; mask < 1<<len(named); mask++ {
		var f TCPFlags
		for i, fl := range named {
			if mask&(1<<i) != 0 {
				f |= fl
			}
		}
		if got, err := ParseTCPFlags(f.String()); err != nil || got != f {
			t.Errorf("ParseTCPFlags(%q) = %v, %v; want %v", f.String(), got, err, f)
		}
	}
	if got, err := ParseTCPFlags("SEW"); err != nil || got != SYN|ECE|CWR {
		t.Errorf("ParseTCPFlags(SEW) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "SA", "none"} {
		if _, err := ParseTCPFlags(bad); err == nil {
			t.Errorf("ParseTCPFlags(%q): no error", bad)
		}
	}
}
