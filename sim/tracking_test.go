package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/firewall"
)

// closeWorld is host a (10.0.1.10) whose group allows all outbound
// traffic and nothing inbound, so a reply passes only while a's tracking
// entry lives.
func closeWorld() *world {
	return newWorld().
		sg("sg-out", nil, []firewall.SGRule{sgr("all4", "-1", 0, 0, "0.0.0.0/0")}).
		host("a", "s1", []string{"10.0.1.10"}, "sg-out")
}

// openSteps opens a's connection to 192.0.2.1:80 at 0–0.2 s.
var openSteps = []step{
	{0, "tcp 10.0.1.10:40000 > 192.0.2.1:80 S", true, firewall.ReasonSGRule, "a", 0},
	{0.1, "tcp 192.0.2.1:80 > 10.0.1.10:40000 S.", true, firewall.ReasonTracked, "a", 0},
	{0.2, "tcp 10.0.1.10:40000 > 192.0.2.1:80 .", true, firewall.ReasonNone, "a", 0},
}

// fullClose closes it from a at 1–1.3 s: FIN_WAIT, CLOSE_WAIT, LAST_ACK,
// then TIME_WAIT from 1.3 s (SPEC.md §5.3).
var fullClose = []step{
	{1, "tcp 10.0.1.10:40000 > 192.0.2.1:80 F.", true, firewall.ReasonNone, "a", 0},
	{1.1, "tcp 192.0.2.1:80 > 10.0.1.10:40000 .", true, firewall.ReasonTracked, "a", 0},
	{1.2, "tcp 192.0.2.1:80 > 10.0.1.10:40000 F.", true, firewall.ReasonTracked, "a", 0},
	{1.3, "tcp 10.0.1.10:40000 > 192.0.2.1:80 .", true, firewall.ReasonNone, "a", 0},
}

// TestPerStateTCPTimeoutsAreConfigurable: AWS does not document the TCP
// timeouts other than established (SPEC.md §2.4); the simulator takes
// Linux's defaults (§5.1: fin_wait 120 s, time_wait 120 s) and the non-AWS
// TrackingSpec fields change them, at New and by SetTracking.
func TestPerStateTCPTimeoutsAreConfigurable(t *testing.T) {
	late := func(at float64) step {
		return step{at, "tcp 192.0.2.1:80 > 10.0.1.10:40000 .", true, firewall.ReasonTracked, "a", 0}
	}
	expired := func(at float64) step {
		s := late(at)
		s.fwd, s.reason = false, firewall.ReasonTrackingExpired
		return s
	}
	for _, tc := range []struct {
		name  string
		spec  firewall.TrackingSpec // at New
		set   *firewall.TrackingSpec
		close []step
		then  []step
		hint  string // in the flow's hint when the case ends in a drop
	}{
		{"fin_wait default 120s (Linux)", firewall.TrackingSpec{}, nil,
			[]step{fullClose[0]}, []step{late(100)}, ""},
		{"fin_wait 5s keeps the half-closed entry 5s", firewall.TrackingSpec{TCPFinWait: 5 * time.Second}, nil,
			[]step{fullClose[0]}, []step{late(5.5)}, ""},
		{"fin_wait 5s expires the half-closed entry", firewall.TrackingSpec{TCPFinWait: 5 * time.Second}, nil,
			[]step{fullClose[0]}, []step{expired(6.5)}, "(TCP FIN_WAIT idle timeout 5s)"},
		{"time_wait default 120s (Linux)", firewall.TrackingSpec{}, nil,
			fullClose, []step{late(100)}, ""},
		{"time_wait 3s expires the closed entry", firewall.TrackingSpec{TCPTimeWait: 3 * time.Second}, nil,
			fullClose, []step{late(4), expired(7.5)}, "(TCP TIME_WAIT idle timeout 3s)"},
		{"time_wait 3s by set_tracking at 2s", firewall.TrackingSpec{}, &firewall.TrackingSpec{TCPTimeWait: 3 * time.Second},
			fullClose, []step{late(4), expired(7.5)}, ""},
		{"an unset time_wait returns to the default", firewall.TrackingSpec{TCPTimeWait: 3 * time.Second}, &firewall.TrackingSpec{},
			fullClose, []step{late(100)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := closeWorld().edit(func(in *firewall.Interface) { in.Tracking = tc.spec }).engine(t, Options{})
			if tc.set != nil {
				if err := e.Schedule(sec(2), Change{Kind: SetTracking, Interface: "a", Tracking: *tc.set}); err != nil {
					t.Fatal(err)
				}
			}
			steps := append(append(append([]step{}, openSteps...), tc.close...), tc.then...)
			script(t, e, steps)
			// The hint names the timeout of the state the entry expired in.
			if tc.hint != "" {
				if fl := e.Result().Flows; len(fl) != 1 || !strings.Contains(fl[0].Hint, tc.hint) {
					t.Errorf("flows %+v: want one whose hint has %q", fl, tc.hint)
				}
			}
		})
	}
}

// TestSetTrackingNamesTheTCPStateTimeoutsItSets: a change's description
// names the non-AWS timeouts (SPEC.md §5.1) it sets, and only those.
func TestSetTrackingNamesTheTCPStateTimeoutsItSets(t *testing.T) {
	e := closeWorld().engine(t, Options{})
	spec := firewall.TrackingSpec{
		TCPSynSent: 1 * time.Second, TCPSynRecv: 2 * time.Second, TCPFinWait: 3 * time.Second,
		TCPCloseWait: 4 * time.Second, TCPLastAck: 5 * time.Second, TCPTimeWait: 6 * time.Second,
		TCPClose: 7 * time.Second,
	}
	if err := e.Schedule(sec(1), Change{Kind: SetTracking, Interface: "a", Tracking: spec}); err != nil {
		t.Fatal(err)
	}
	script(t, e, openSteps[:1])
	script(t, e, []step{{2, "tcp 10.0.1.10:40001 > 192.0.2.1:80 S", true, firewall.ReasonSGRule, "a", 0}})
	want := ", tcp syn_sent 1s, tcp syn_recv 2s, tcp fin_wait 3s, tcp close_wait 4s, tcp last_ack 5s, tcp time_wait 6s, tcp close 7s"
	if d := e.Result().Changes[0].Description; !strings.HasSuffix(d, "udp stream 180s"+want) {
		t.Errorf("change description %q should end %q", d, want)
	}
}

// TestNewRejectsNonPositiveTCPStateTimeouts: the non-AWS timeouts must be
// positive (SPEC.md §5.1 gives only defaults; a negative value is no
// timeout at all).
func TestNewRejectsNonPositiveTCPStateTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec firewall.TrackingSpec
		want string
	}{
		{"syn_sent", firewall.TrackingSpec{TCPSynSent: -time.Second}, "interface a: tcp_syn_sent_timeout -1s must be positive"},
		{"syn_recv", firewall.TrackingSpec{TCPSynRecv: -time.Second}, "interface a: tcp_syn_recv_timeout -1s must be positive"},
		{"fin_wait", firewall.TrackingSpec{TCPFinWait: -time.Second}, "interface a: tcp_fin_wait_timeout -1s must be positive"},
		{"close_wait", firewall.TrackingSpec{TCPCloseWait: -time.Second}, "interface a: tcp_close_wait_timeout -1s must be positive"},
		{"last_ack", firewall.TrackingSpec{TCPLastAck: -time.Second}, "interface a: tcp_last_ack_timeout -1s must be positive"},
		{"time_wait", firewall.TrackingSpec{TCPTimeWait: -time.Second}, "interface a: tcp_time_wait_timeout -1s must be positive"},
		{"close", firewall.TrackingSpec{TCPClose: -time.Second}, "interface a: tcp_close_timeout -1s must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := closeWorld().edit(func(in *firewall.Interface) { in.Tracking = tc.spec })
			if _, err := New(w.inv, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want %q", err, tc.want)
			}
		})
	}
}
