package awsimport

import (
	"encoding/json"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/ctsim/ctsim/firewall"
)

// FuzzParseProtocol checks ParseProtocol on any string (SPEC.md §1.1, §3.2):
// it accepts only ProtoAll or a number 0–255, and a number it accepts reads
// back the same from its decimal form.
func FuzzParseProtocol(f *testing.F) {
	for _, s := range []string{"tcp", "UDP", "icmp", "icmpv6", "icmp6", "-1", "all", "6", "58", "255", "256", "-2", "", "+6", "sctp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParseProtocol(s)
		if !ok {
			if p != 0 {
				t.Fatalf("ParseProtocol(%q) = %d, false: want 0 when refused", s, p)
			}
			return
		}
		if p != firewall.ProtoAll && (p < 0 || p > 255) {
			t.Fatalf("ParseProtocol(%q) = %d, out of range", s, p)
		}
		if q, ok := ParseProtocol(strconv.Itoa(int(p))); !ok || q != p {
			t.Fatalf("ParseProtocol(%q) = %d, but ParseProtocol(%d) = %d, %v", s, p, p, q, ok)
		}
	})
}

// FuzzParseCIDR compares ParseCIDR with netip.ParsePrefix, its oracle
// (SPEC.md §3.1: AWS masks the host bits): an accepted CIDR is the masked
// prefix of the family asked for, canon says whether masking changed it, and
// a refused one comes with a message in AWS terms (the field, the input,
// what is allowed; never netip's Go-flavoured text) and the zero Prefix.
func FuzzParseCIDR(f *testing.F) {
	for _, s := range []string{"10.0.0.0/16", "100.68.0.18/18", "::/0", "2001:db8::1/64", "10.0.0.0/33", "::ffff:1.2.3.4/128", "1.2.3.4", "", "fe80::1%eth0/64"} {
		for _, fam := range []string{"", "4", "6"} {
			f.Add(s, fam)
		}
	}
	f.Fuzz(func(t *testing.T, s, family string) {
		if len(s) > 256 {
			return // keep each input well under a second
		}
		p, canon, msg := ParseCIDR("CidrIp", s, family)
		want, err := netip.ParsePrefix(s)
		wrongFamily := (family == "4" && !want.Addr().Is4()) || (family == "6" && !want.Addr().Is6())
		switch {
		case err != nil || wrongFamily:
			if msg == "" || p.IsValid() || canon {
				t.Fatalf("ParseCIDR(%q, %q) = %v, %v, %q: want a message", s, family, p, canon, msg)
			}
			if !strings.HasPrefix(msg, "CidrIp "+strconv.Quote(s)+": ") && !strings.HasPrefix(msg, "CidrIp "+strconv.Quote(s)+" is ") {
				t.Fatalf("ParseCIDR(%q, %q): message %q does not start with the field and the quoted input", s, family, msg)
			}
			if strings.Contains(msg, "netip") || strings.Contains(msg, "ParsePrefix") {
				t.Fatalf("ParseCIDR(%q, %q): message %q speaks Go, not AWS", s, family, msg)
			}
		case msg != "" || p != want.Masked() || canon != (want == want.Masked()):
			t.Fatalf("ParseCIDR(%q, %q) = %v, %v, %q; want %v, %v", s, family, p, canon, msg, want.Masked(), want == want.Masked())
		}
	})
}

// FuzzSGPorts checks SGPorts on any protocol and ports (SPEC.md §1.1): what
// it accepts is in range and ordered for TCP/UDP, in -1–255 for ICMP with no
// code for all types, and zero for anything else.
func FuzzSGPorts(f *testing.F) {
	f.Add(int16(6), int32(80), int32(443), true, true)
	f.Add(int16(17), int32(53), int32(53), true, false)
	f.Add(int16(1), int32(-1), int32(4), true, true)
	f.Add(int16(58), int32(0), int32(0), false, false)
	f.Add(int16(-1), int32(99999), int32(-9), true, true)
	f.Fuzz(func(t *testing.T, proto int16, from, to int32, hasFrom, hasTo bool) {
		var fp, tp *int32
		if hasFrom {
			fp = &from
		}
		if hasTo {
			tp = &to
		}
		p := firewall.Protocol(proto)
		fr, tr, msg := SGPorts(p, fp, tp)
		if msg != "" {
			if fr != 0 || tr != 0 {
				t.Fatalf("SGPorts(%d, %d, %d) = %d, %d with message %q: want 0, 0", p, from, to, fr, tr, msg)
			}
			return
		}
		switch p {
		case ProtoTCP, ProtoUDP:
			if !hasFrom || !hasTo || fr != from || tr != to || fr < 0 || fr > tr || tr > 65535 {
				t.Fatalf("SGPorts(%d, %d, %d) accepted %d-%d", p, from, to, fr, tr)
			}
		case ProtoICMP, ProtoICMPv6:
			if fr < -1 || fr > 255 || tr < -1 || tr > 255 || (fr == -1 && tr != -1) {
				t.Fatalf("SGPorts(%d, %d, %d) accepted %d/%d", p, from, to, fr, tr)
			}
		default:
			if fr != 0 || tr != 0 {
				t.Fatalf("SGPorts(%d, …) = %d, %d: want 0, 0 for a protocol without ports", p, fr, tr)
			}
		}
	})
}

// FuzzIndex builds an Index over any bytes. Build succeeds on valid JSON;
// then every indexed offset is a key or a value start inside the
// data, and Origin inverts to it through the line table. On invalid JSON the
// error is a *firewall.Error inside the file. (No SPEC.md section: JSON
// positions are ctsim's own contract.)
func FuzzIndex(f *testing.F) {
	f.Add([]byte(sgDoc))
	f.Add([]byte(`{"a": [1, {"b": null}], "c": "d"}`))
	f.Add([]byte("[\n1,\n2\n]"))
	f.Add([]byte(`{"a": [1,`))
	f.Add([]byte(`{"a" 1}`))
	f.Add([]byte(`  "x"  `))
	f.Add([]byte(`{"é": {"\u00e9": []}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return // keep each input well under a second
		}
		ix := NewIndex("f.json", data)
		err := ix.Build()
		// Build reads the first value only, so it may accept invalid data
		// with trailing bytes after a valid value; it must accept all
		// valid JSON.
		if json.Valid(data) && err != nil {
			t.Fatalf("valid JSON but Build: %v", err)
		}
		if err != nil {
			var fe *firewall.Error
			if !errors.As(err, &fe) || fe.Origin.File != "f.json" || fe.Origin.Line < 1 || fe.Origin.Line > len(ix.lines) || fe.Msg == "" {
				t.Fatalf("Build error %#v is not positioned inside the file", err)
			}
			return
		}
		for path, off := range ix.at {
			if off < 0 || off >= len(data) {
				t.Fatalf("path %q at offset %d outside the data (%d bytes)", path, off, len(data))
			}
			if c := data[off]; c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' {
				t.Fatalf("path %q at offset %d points at %q", path, off, c)
			}
			o := ix.Origin(off)
			if o.Line < 1 || o.Col < 1 || ix.lines[o.Line-1]+o.Col-1 != off {
				t.Fatalf("Origin(%d) = %v does not invert", off, o)
			}
		}
		if _, ok := ix.at[""]; !ok {
			t.Fatalf("the root is not indexed")
		}
	})
}
