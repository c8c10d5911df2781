package synth

import (
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestOSProfilePortRanges checks that every OS profile's client draws its
// source ports from that profile's ephemeral range (SPEC.md §4, §3.8):
// the range a NACL's return rule must cover.
func TestOSProfilePortRanges(t *testing.T) {
	tests := []struct {
		os     string
		lo, hi uint16
	}{
		{"", 32768, 60999}, // "" means linux
		{"linux", 32768, 60999},
		{"amazon-linux-doc", 32768, 61000},
		{"windows", 49152, 65535},
		{"windows-xp", 1025, 5000},
		{"macos", 49152, 65535},
		{"freebsd", 10000, 65535},
		{"nat-gateway", 1024, 65535},
		{"elb", 1024, 65535},
		{"lambda", 1024, 65535},
	}
	if len(tests) != len(packet.OSProfiles())+1 {
		t.Errorf("the table covers %d profiles; packet.OSProfiles has %d", len(tests)-1, len(packet.OSProfiles()))
	}
	for _, tt := range tests {
		for _, seq := range []bool{false, true} {
			c := cli4
			c.OS, c.Sequential = tt.os, seq
			g := gen(t, Flow{Name: "f", Kind: UDP, Client: c, Server: srv4, DstPort: 53, Count: 500, Every: time.Millisecond})
			for _, fi := range g.Flows() {
				if p := fi.Tuple.SrcPort; p < tt.lo || p > tt.hi {
					t.Errorf("os %q sequential=%v: session %d port %d outside %d–%d", tt.os, seq, fi.Session, p, tt.lo, tt.hi)
				}
			}
		}
	}
}

// TestCustomPortRange checks that Endpoint.Ports overrides the OS profile
// ("or a custom range", SPEC.md §4).
func TestCustomPortRange(t *testing.T) {
	c := cli4
	c.OS, c.Ports = "windows", packet.PortRange{Lo: 40000, Hi: 40009}
	g := gen(t, Flow{Name: "f", Kind: TCP, Client: c, Server: srv4, DstPort: 80, Count: 10, Every: ms(1)})
	seen := map[uint16]bool{}
	for _, fi := range g.Flows() {
		p := fi.Tuple.SrcPort
		if p < 40000 || p > 40009 || seen[p] {
			t.Errorf("session %d port %d: want a distinct port in 40000–40009", fi.Session, p)
		}
		seen[p] = true
	}
}

// TestSequentialAllocation checks sequential allocation: ports count up
// from the range's Lo in time order, one counter per client shared by its
// flows, skipping ports another session to the same server holds, and
// wrapping at Hi (SPEC.md §4: Windows XP's 1025–5000).
func TestSequentialAllocation(t *testing.T) {
	c := cli4
	c.OS, c.Sequential = "windows-xp", true
	other := srv4
	other.Addr = srv4.Addr.Next()
	g := gen(t,
		// Sessions at 0, 2, 4 s.
		Flow{Name: "a", Kind: TCP, Client: c, Server: srv4, DstPort: 80, Count: 3, Every: 2 * time.Second},
		// Sessions at 1, 3 s: they take the ports in between, in time order.
		Flow{Name: "b", Kind: UDP, Client: c, Server: other, DstPort: 53, Count: 2, Every: 2 * time.Second, Start: time.Second},
		// A fixed port is used as is and not counted.
		Flow{Name: "fixed", Kind: TCP, Client: c, Server: srv4, DstPort: 80, SrcPort: 1030, Start: 10 * time.Second})
	var got []uint16
	for _, fi := range g.Flows() {
		got = append(got, fi.Tuple.SrcPort)
	}
	want := []uint16{1025, 1027, 1029, 1026, 1028, 1030}
	if len(got) != len(want) {
		t.Fatalf("ports %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ports %v, want %v", got, want)
		}
	}

	// Wrapping: a 3-port range serves 5 sessions that never overlap.
	c.Ports = packet.PortRange{Lo: 2000, Hi: 2002}
	g = gen(t, Flow{Name: "w", Kind: UDP, Client: c, Server: srv4, DstPort: 53, Count: 5, Every: time.Second})
	got = got[:0]
	for _, fi := range g.Flows() {
		got = append(got, fi.Tuple.SrcPort)
	}
	want = []uint16{2000, 2001, 2002, 2000, 2001}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("wrapping ports %v, want %v", got, want)
		}
	}
}

// TestPortsNotReusedWhileInUse checks that no two overlapping sessions of
// a client to the same server port share a source port, and that a range
// too small for the overlap is an error naming the flow (SPEC.md §4).
func TestPortsNotReusedWhileInUse(t *testing.T) {
	c := cli4
	c.Ports = packet.PortRange{Lo: 5000, Hi: 5003}
	// Four sessions of 10 s each, 1 s apart: all overlap.
	f := Flow{Name: "long", Kind: UDP, Client: c, Server: srv4, DstPort: 53, Count: 4, Every: time.Second, RTT: 10 * time.Second}
	g := gen(t, f)
	seen := map[uint16]bool{}
	for _, fi := range g.Flows() {
		if seen[fi.Tuple.SrcPort] {
			t.Errorf("port %d reused while in use", fi.Tuple.SrcPort)
		}
		seen[fi.Tuple.SrcPort] = true
	}
	// Random allocation reuses a port only once all have been used, and
	// never while it is held: 8 sessions 20 s apart fit the 4 ports.
	f.Count, f.Every = 8, 20*time.Second
	g = gen(t, f)
	if len(g.Flows()) != 8 {
		t.Errorf("got %d sessions, want 8", len(g.Flows()))
	}
	f.Count, f.Every = 5, time.Second
	_, err := New([]Flow{f}, 1)
	want := `flow "long": client 10.0.1.5 has no free source port in 5000-5003 for session 5 at 4s: all are in use`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
