package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// TestEveryDropReasonGetsAPlainWordsHint drives one flow to each drop
// reason and checks its hint names the facts a reader needs (DESIGN.md
// "Output": "a hint in plain words").
func TestEveryDropReasonGetsAPlainWordsHint(t *testing.T) {
	xp := func() *world {
		w := openSG(newWorld()).acl(nacl35()...).host("web", "s1", []string{"10.0.1.10"}, "sg-open").
			host("xp", "", []string{"198.51.100.7"}).edit(func(in *firewall.Interface) { in.OS = "windows-xp" })
		return w
	}
	for _, tc := range []struct {
		name   string
		w      *world
		opt    Options
		pkts   []string
		reason firewall.Reason
		want   []string
	}{
		{
			name:   "nacl default deny on a reply to an ephemeral port",
			w:      xp(),
			pkts:   []string{"0 tcp 198.51.100.7:1031 > 10.0.1.10:80 S", "0.01 tcp 10.0.1.10:80 > 198.51.100.7:1031 S."},
			reason: firewall.ReasonNACLDefaultDeny,
			want: []string{"return traffic to ephemeral port 1031 (windows-xp range 1025–5000) matches no outbound rule of acl-1",
				"rule 100 allows tcp 80, rule 110 allows tcp 443, rule 140 allows tcp 32768-65535 only",
				"rule 120 covers the port but only to 192.0.2.0/24"},
		},
		{
			name:   "nacl deny rule",
			w:      openSG(newWorld()).acl(nacl(90, "in", "deny", "tcp", 1433, 1433, "0.0.0.0/0")).host("a", "s1", []string{"10.0.1.10"}, "sg-open"),
			pkts:   []string{"0 tcp 198.51.100.7:40000 > 10.0.1.10:1433 S"},
			reason: firewall.ReasonNACLDeny,
			want:   []string{"acl-1 inbound rule 90 denies tcp 198.51.100.7:40000 > 10.0.1.10:1433", "lowest-numbered matching rule wins"},
		},
		{
			name:   "nacl default deny for icmp",
			w:      openSG(newWorld()).acl().host("a", "s1", []string{"10.0.1.10"}, "sg-open"),
			pkts:   []string{"0 icmp 198.51.100.7 > 10.0.1.10 echo-request id=1"},
			reason: firewall.ReasonNACLDefaultDeny,
			want:   []string{"matches no inbound rule of acl-1", "ICMP replies and errors need their own rule"},
		},
		{
			name:   "security group without a rule, egress",
			w:      newWorld().sg("sg-a", nil, nil).host("a", "s1", []string{"10.0.1.10"}, "sg-a"),
			pkts:   []string{"0 udp 10.0.1.10:40000 > 192.0.2.53:53"},
			reason: firewall.ReasonSGNoRule,
			want:   []string{"no rule of sg-a allows udp 53 to 192.0.2.53 (egress)"},
		},
		{
			name:   "icmp error not related",
			w:      pmtudWorld(),
			pkts:   []string{"0 tcp 198.51.100.7:50000 > 10.0.1.10:443 S", "1 icmp 192.0.2.1 > 10.0.1.10 frag-needed quoting tcp 10.0.1.10:443 > 198.51.100.7:50000"},
			reason: firewall.ReasonICMPErrorNotRelated,
			want:   []string{"the ICMP frag-needed quoting tcp 10.0.1.10:443 > 198.51.100.7:50000 matches no inbound rule of sg-a", "path MTU discovery breaks"},
		},
		{
			name:   "never sent",
			w:      newWorld().sg("sg-a", nil, []firewall.SGRule{sgr("all", "-1", 0, 0, "0.0.0.0/0")}).host("a", "s1", []string{"10.0.1.10"}, "sg-a"),
			opt:    Options{Replay: true, Profile: conntrack.ProfileAWS},
			pkts:   []string{"0 tcp 10.0.1.10:22 > 198.51.100.7:50000 S.", "1 tcp 10.0.1.10:22 > 198.51.100.7:50000 S."},
			reason: firewall.ReasonNone, // the first packet is allowed: no never_sent
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.w.engine(t, tc.opt)
			e.AddSource(&sliceSource{pkts: packets(tc.pkts...)})
			r, err := e.Run(Never)
			if err != nil {
				t.Fatal(err)
			}
			f := r.Flows[0]
			for _, g := range r.Flows {
				if g.FirstDrop != nil {
					f = g
					break
				}
			}
			if tc.reason == firewall.ReasonNone {
				if f.FirstDrop != nil {
					t.Fatalf("unexpected drop %+v", f.FirstDrop)
				}
				return
			}
			if f.FirstDrop == nil || f.FirstDrop.Step.Reason != tc.reason {
				t.Fatalf("first drop %+v, want %s", f.FirstDrop, tc.reason)
			}
			for _, w := range tc.want {
				if !strings.Contains(f.Hint, w) {
					t.Errorf("hint %q\nlacks %q", f.Hint, w)
				}
			}
		})
	}
}

// TestHintsForReplayReasons: never_sent, fragment and orphan drops explain
// themselves.
func TestHintsForReplayReasons(t *testing.T) {
	e := t1().engine(t, Options{Replay: true})
	e.Step(ptr(pkt(0, "tcp 198.51.100.7:50000 > 10.0.1.10:23 S")))
	e.Step(ptr(pkt(0.1, "tcp 10.0.1.10:23 > 198.51.100.7:50000 S.")))
	orphan := Packet{At: sec(1), Src: ip("198.51.100.8"), Dst: ip("10.0.1.10"), Proto: packet.ProtoUDP, Fragment: packet.Fragment{ID: 9, Offset: 8, IsFragment: true}}
	e.Step(&orphan)
	r := e.Result()
	if len(r.Flows) != 2 {
		t.Fatalf("%d flows", len(r.Flows))
	}
	if h := r.Flows[1].Hint; !strings.Contains(h, "without its first fragment") {
		t.Errorf("orphan hint %q", h)
	}
	if r.Flows[0].DroppedBack != 1 || r.Packets != nil {
		t.Errorf("flow %+v", r.Flows[0])
	}
	var never bool
	for _, c := range r.Summary.DroppedBy {
		never = never || c.Key == "replay:never_sent"
	}
	if !never {
		t.Errorf("dropped by %+v lacks replay:never_sent", r.Summary.DroppedBy)
	}
}

// TestHintQuotesTheRulesInForceAtTheDrop: a later change that fixes the
// rule does not rewrite the explanation of an earlier drop.
func TestHintQuotesTheRulesInForceAtTheDrop(t *testing.T) {
	w := openSG(newWorld()).acl(nacl35()...).host("web", "s1", []string{"10.0.1.10"}, "sg-open").
		host("xp", "", []string{"198.51.100.7"}).edit(func(in *firewall.Interface) { in.OS = "windows-xp" })
	e := w.engine(t, Options{})
	if err := e.Schedule(sec(5), Change{Kind: ReplaceNACLEntry, ACL: "acl-1", Entry: nacl(140, "out", "allow", "tcp", 1024, 65535, "0.0.0.0/0")}); err != nil {
		t.Fatal(err)
	}
	e.AddSource(&sliceSource{pkts: packets("0 tcp 198.51.100.7:1031 > 10.0.1.10:80 S", "0.01 tcp 10.0.1.10:80 > 198.51.100.7:1031 S.", "6 tcp 198.51.100.7:1032 > 10.0.1.10:80 S")})
	r, err := e.Run(Never)
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Flows[0].Hint; !strings.Contains(h, "rule 140 allows tcp 32768-65535") {
		t.Errorf("hint %q should quote rule 140 as it was at the drop", h)
	}
}

// TestExpiredHintNamesTheTimeoutInForceAtTheDrop: a SetTracking after the
// drop does not rewrite the timeout the explanation names (SPEC.md §2.4:
// UdpTimeout is configurable, 30–60 s).
func TestExpiredHintNamesTheTimeoutInForceAtTheDrop(t *testing.T) {
	e := dnsWorld().engine(t, Options{})
	if err := e.Schedule(sec(40), Change{Kind: SetTracking, Interface: "a", Tracking: firewall.TrackingSpec{UDP: 60 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	script(t, e, []step{
		{0, "udp 10.0.1.10:40002 > 192.0.2.53:53", true, firewall.ReasonSGRule, "a", 0},
		{32, "udp 192.0.2.53:53 > 10.0.1.10:40002", false, firewall.ReasonTrackingExpired, "a", 0},
		{41, "udp 10.0.1.10:40003 > 192.0.2.53:53", true, firewall.ReasonSGRule, "a", 0},
	})
	if h := e.Result().Flows[0].Hint; !strings.Contains(h, "UDP idle timeout 30s") {
		t.Errorf("hint %q should name the 30 s timeout in force at the drop, not the later 60 s", h)
	}
}
