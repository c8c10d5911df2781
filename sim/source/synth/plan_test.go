package synth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestPacketsUntilCountsSimulatedPackets checks that PacketsUntil counts,
// per session, the packets at or before a horizon (a run simulates
// packets up to and including its horizon), and that Plan gives the same
// sessions and counts without keeping packets, so that a run cut short by
// its duration can be told apart from one that saw every packet (SPEC.md
// §2.4: the deciding packet of a UDP stream is its last).
func TestPacketsUntilCountsSimulatedPackets(t *testing.T) {
	flows := []Flow{
		{Name: "web", Kind: TCP, Client: cli4, Server: srv4, DstPort: 80, Count: 3, Every: 10 * time.Second, Poisson: true},
		{Name: "stream", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53, Requests: 5, Think: 45 * time.Second},
		{Name: "pmtu", Kind: ICMPError, Client: rtr4, Quote: "web", Start: 2 * time.Second},
	}
	g := gen(t, flows...)
	pkts := all(t, g)
	infos := g.Flows()
	for _, h := range []time.Duration{0, time.Second, 100 * time.Second, 180*time.Second + 10*time.Millisecond, time.Hour} {
		horizon := packet.Time(h)
		want := make([]int, len(infos))
		for _, p := range pkts {
			if p.At > horizon {
				continue
			}
			for i, fi := range infos {
				tu := p.Tuple()
				if fi.Kind == ICMPError {
					if p.IsICMPError() && tu.Src == fi.Tuple.Src && tu.Dst == fi.Tuple.Dst {
						want[i]++
						break
					}
					continue
				}
				if tu == fi.Tuple || tu == fi.Tuple.Reverse() {
					want[i]++
					break
				}
			}
		}
		got := g.PacketsUntil(horizon)
		pinfos, pgot, err := Plan(flows, 1, horizon)
		if err != nil {
			t.Fatalf("Plan: %v", err)
		}
		for i := range infos {
			if got[i] != want[i] {
				t.Errorf("horizon %s: %s session %d: PacketsUntil %d, want %d", h, infos[i].Name, infos[i].Session+1, got[i], want[i])
			}
			if pgot[i] != want[i] {
				t.Errorf("horizon %s: %s session %d: Plan counts %d, want %d", h, infos[i].Name, infos[i].Session+1, pgot[i], want[i])
			}
			pi := infos[i]
			pi.Tuple = packet.Tuple{}
			if pinfos[i] != pi {
				t.Errorf("Plan session %d = %+v, want %+v", i, pinfos[i], pi)
			}
		}
	}
	if got := g.PacketsUntil(packet.Time(time.Hour)); got[3] != 5*2 {
		t.Errorf("stream session: %d packets in all, want 10", got[3])
	}
}

// TestPlanPacketLimit checks that Plan reports the packet limit as New
// does, naming the flow and its count field.
func TestPlanPacketLimit(t *testing.T) {
	f := Flow{Name: "big", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53, Count: 100}
	_, _, err := plan([]Flow{f}, 1, 0, 50)
	var fe *FieldError
	if err == nil || !strings.Contains(err.Error(), `flow "big": the flows make more than 50 packets (at flow "big" session 26)`) {
		t.Fatalf("err = %v", err)
	}
	if !errors.As(err, &fe) || fe.Field != "count" {
		t.Errorf("err %v is not a FieldError on count", err)
	}
}
