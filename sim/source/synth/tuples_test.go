package synth

import (
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestCloseNoneHoldsPortUntilEnd checks that a TCP session with close
// "none" keeps its source port for the rest of the run: its connection
// stays established in conntrack after its last packet (SPEC.md §2.3), so
// a later session reusing the port would join it. A closed session's port
// is free again once it has ended (SPEC.md §4).
func TestCloseNoneHoldsPortUntilEnd(t *testing.T) {
	c := cli4
	c.Ports = packet.PortRange{Lo: 5000, Hi: 5000}
	tests := []struct {
		name, close string
		wantErr     string
	}{
		{"fin frees the port", CloseFIN, ""},
		{"rst frees the port", CloseRST, ""},
		{"none keeps it", CloseNone, "no free source port in 5000-5000 for session 2 at 10s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Flow{Name: "web", Kind: TCP, Client: c, Server: srv4, DstPort: 80, Count: 2, Every: 10 * time.Second, Close: tt.close}
			_, err := New([]Flow{f}, 1)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	// With two ports, the second session of a close "none" flow takes the
	// other one, for sequential and random allocation alike.
	for _, seq := range []bool{false, true} {
		c.Ports, c.Sequential = packet.PortRange{Lo: 5000, Hi: 5001}, seq
		g := gen(t, Flow{Name: "web", Kind: TCP, Client: c, Server: srv4, DstPort: 80, Count: 2, Every: 10 * time.Second, Close: CloseNone})
		fs := g.Flows()
		if fs[0].Tuple.SrcPort == fs[1].Tuple.SrcPort {
			t.Errorf("sequential=%v: both sessions got port %d", seq, fs[0].Tuple.SrcPort)
		}
	}
}

// TestFlowsSharingATupleAreRejected checks that two flows whose sessions
// have the same tuple (in either direction) are an error naming both,
// whether they overlap or one follows the other: the simulator keeps one
// flow per tuple for the whole run (SPEC.md §2.1: a connection is its
// 5-tuple), so their packets could only be reported under one name.
// Sessions of one flow may share a fixed port.
func TestFlowsSharingATupleAreRejected(t *testing.T) {
	a := Flow{Name: "a", Kind: TCP, Client: cli4, Server: srv4, SrcPort: 40000, DstPort: 80}
	later := a
	later.Name, later.Start = "b", time.Minute
	overlap := a
	overlap.Name, overlap.Start = "b", 5*time.Millisecond
	reverse := Flow{Name: "b", Kind: TCP, Client: srv4, Server: cli4, SrcPort: 80, DstPort: 40000, Start: time.Minute}
	otherPort := later
	otherPort.SrcPort = 40001
	ping := Flow{Name: "p", Kind: ICMPEcho, Client: cli4, Server: srv4, ID: 7}
	ping2 := ping
	ping2.Name, ping2.Start = "q", time.Minute
	gre := Flow{Name: "g1", Kind: Other, Proto: 47, Client: cli4, Server: srv4}
	gre2 := gre
	gre2.Name, gre2.Start = "g2", time.Second/2
	same := a
	same.Count, same.Every = 3, time.Minute
	tests := []struct {
		name    string
		flows   []Flow
		wantErr string
	}{
		{"overlapping", []Flow{a, overlap},
			`flow "b": session 1 has the tuple tcp 10.0.1.5:40000 > 10.0.2.7:80 of flow "a" (session 1), at the same time; the simulator keeps one flow per tuple, so give one of them another src_port`},
		{"one after the other", []Flow{a, later},
			`flow "b": session 1 has the tuple tcp 10.0.1.5:40000 > 10.0.2.7:80 of flow "a" (session 1), after it; the simulator keeps one flow per tuple, so give one of them another src_port`},
		{"reverse direction", []Flow{a, reverse}, `flow "b": session 1 has the tuple tcp 10.0.2.7:80 > 10.0.1.5:40000 of flow "a"`},
		{"echo identifier", []Flow{ping, ping2}, `flow "q": session 1 has the tuple`},
		{"portless protocol", []Flow{gre, gre2}, `flow "g2": session 1 has the tuple`},
		{"another port is fine", []Flow{a, otherPort}, ""},
		{"one flow's sessions may share a port", []Flow{same}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.flows, 1)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v\nwant it to contain %s", err, tt.wantErr)
			}
		})
	}
}

// TestAllocationAvoidsOtherFlowsPorts checks that an allocated port is
// never one another flow to the same server port has used, even long
// after that flow ended, so that every tuple names one flow (SPEC.md §4
// ranges; FlowName).
func TestAllocationAvoidsOtherFlowsPorts(t *testing.T) {
	for _, seq := range []bool{false, true} {
		c := cli4
		c.Ports, c.Sequential = packet.PortRange{Lo: 5000, Hi: 5001}, seq
		g := gen(t,
			Flow{Name: "first", Kind: UDP, Client: c, Server: srv4, DstPort: 53},
			Flow{Name: "second", Kind: UDP, Client: c, Server: srv4, DstPort: 53, Start: time.Minute, Count: 3, Every: time.Minute})
		fs := g.Flows()
		for _, fi := range fs[1:] {
			if fi.Tuple.SrcPort == fs[0].Tuple.SrcPort {
				t.Errorf("sequential=%v: %s session %d reuses port %d of flow first", seq, fi.Name, fi.Session+1, fi.Tuple.SrcPort)
			}
			if got := g.FlowName(fi.Tuple); got != "second" {
				t.Errorf("sequential=%v: FlowName(%s) = %q, want second", seq, fi.Tuple, got)
			}
		}
	}
}
