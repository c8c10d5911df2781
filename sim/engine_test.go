package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// TestRunMergesSourcesByTime: packets of several sources are processed in
// time order, ties in the order the sources were added; a change at time t
// applies to packets stamped t (DESIGN.md "Time": events ordered by time,
// then sequence).
func TestRunMergesSourcesByTime(t *testing.T) {
	e := t1().engine(t, Options{Explain: true})
	e.AddSource(&sliceSource{pkts: packets(
		"0 tcp 198.51.100.1:1000 > 10.0.1.10:80 S",
		"2 tcp 198.51.100.1:1002 > 10.0.1.10:80 S",
		"5 tcp 198.51.100.1:1005 > 10.0.1.10:80 S",
	)})
	e.AddSource(&sliceSource{pkts: packets(
		"1 tcp 198.51.100.2:2001 > 10.0.1.10:80 S",
		"2 tcp 198.51.100.2:2002 > 10.0.1.10:80 S",
		"5 tcp 198.51.100.2:2005 > 10.0.1.10:80 S",
	)})
	if err := e.Schedule(sec(5), Change{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "http4"}); err != nil {
		t.Fatal(err)
	}
	r, err := e.Run(Never)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range r.Packets {
		got = append(got, strings.Fields(p.Packet)[1])
	}
	want := "198.51.100.1:1000 198.51.100.2:2001 198.51.100.1:1002 198.51.100.2:2002 198.51.100.1:1005 198.51.100.2:2005"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	if r.Summary.Read != 6 || r.Summary.Forwarded != 4 || r.Summary.Dropped != 2 {
		t.Errorf("summary %+v, want 6 read, 4 forwarded, 2 dropped (the change at 5s comes first)", r.Summary)
	}
	if r.Summary.Read != r.Summary.Forwarded+r.Summary.Dropped {
		t.Error("read != forwarded + dropped")
	}
	if len(r.Summary.DroppedBy) != 1 || r.Summary.DroppedBy[0] != (Count{"sg:sg_no_matching_rule", 2}) {
		t.Errorf("dropped by %+v", r.Summary.DroppedBy)
	}
}

// TestLatePacketsAreClampedAndCounted: a source out of time order cannot
// turn the clock back (DESIGN.md "Time"): its late packet is processed at
// the clock's time, counted in Summary.Reordered and its trace says so.
func TestLatePacketsAreClampedAndCounted(t *testing.T) {
	e := t1().engine(t, Options{Explain: true})
	e.AddSource(&sliceSource{pkts: packets(
		"2 tcp 198.51.100.1:1000 > 10.0.1.10:80 S",
		"1 tcp 198.51.100.1:1001 > 10.0.1.10:80 S",
		"3 tcp 198.51.100.1:1002 > 10.0.1.10:80 S",
	)})
	r, err := e.Run(Never)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Reordered != 1 || r.Summary.Read != 3 {
		t.Fatalf("summary %+v, want 1 reordered of 3 read", r.Summary)
	}
	late := r.Packets[1]
	if late.At != Timestamp(sec(2)) || len(late.Steps) < 2 || late.Steps[0].Filter != FilterClock || !strings.Contains(late.Steps[0].Note, "late") {
		t.Errorf("late packet at %s, trace %s, want it at 2s with a clock step first", late.At, traceString(late.Steps))
	}
	for _, i := range []int{0, 2} {
		if r.Packets[i].Steps[0].Filter == FilterClock {
			t.Errorf("packet %d in order has a clock step", i+1)
		}
	}
	// Step counts a past time too.
	if out := e.Step(ptr(pkt(0, "tcp 198.51.100.1:1003 > 10.0.1.10:80 S"))); !out.Forwarded || out.Steps[0].Filter != FilterClock {
		t.Errorf("Step with a past time: trace %s", traceString(out.Steps))
	}
	if n := e.Result().Summary.Reordered; n != 2 {
		t.Errorf("reordered %d after Step, want 2", n)
	}
}

// TestRunStopsAtHorizonAndContinues: Run(h) processes nothing later than h
// and a later Run carries on from there.
func TestRunStopsAtHorizonAndContinues(t *testing.T) {
	e := t1().engine(t, Options{})
	e.AddSource(&sliceSource{pkts: packets(
		"1 tcp 198.51.100.1:1000 > 10.0.1.10:80 S",
		"10 tcp 198.51.100.1:1001 > 10.0.1.10:80 S",
	)})
	r, err := e.Run(sec(5))
	if err != nil || r.Summary.Read != 1 {
		t.Fatalf("Run(5s) read %d (err %v), want 1", r.Summary.Read, err)
	}
	r, err = e.Run(Never)
	if err != nil || r.Summary.Read != 2 || r.Summary.End != Timestamp(sec(10)) {
		t.Fatalf("Run(Never) read %d end %s (err %v), want 2 at 10s", r.Summary.Read, r.Summary.End, err)
	}
}

// errSource delivers one packet, then fails.
type errSource struct{ n int }

func (s *errSource) Next(p *Packet) (bool, error) {
	s.n++
	if s.n == 1 {
		*p = pkt(0, "tcp 198.51.100.1:1000 > 10.0.1.10:80 S")
		return true, nil
	}
	return false, errors.New("unexpected EOF")
}

// TestSourceErrorEndsRunAfterItsPackets: a source's error is returned with
// the result of the packets already delivered.
func TestSourceErrorEndsRunAfterItsPackets(t *testing.T) {
	e := t1().engine(t, Options{})
	e.AddSource(&errSource{})
	r, err := e.Run(Never)
	if err == nil || !strings.Contains(err.Error(), "source 1: unexpected EOF") || r.Summary.Read != 1 {
		t.Fatalf("err %v read %d, want the source error after 1 packet", err, r.Summary.Read)
	}
}

// TestSweepsCountExpiries: periodic sweeps expire idle entries and the
// result counts them per interface; a later packet is still explained as an
// expired entry, with the time it expired.
func TestSweepsCountExpiries(t *testing.T) {
	e := dnsWorld().engine(t, Options{})
	e.AddSource(&sliceSource{pkts: packets(
		"0 udp 10.0.1.10:40002 > 192.0.2.53:53",
		"1 udp 192.0.2.53:53 > 10.0.1.10:40002",
		"100 udp 192.0.2.53:53 > 10.0.1.10:40002",
	)})
	r, err := e.Run(Never)
	if err != nil {
		t.Fatal(err)
	}
	if r.Interfaces[0].Expired != 1 || r.Summary.Expired != 1 || r.Interfaces[0].Entries != 0 {
		t.Errorf("interface %+v, want 1 expired and 0 entries", r.Interfaces[0])
	}
	d := r.Flows[0].FirstDrop
	if d == nil || d.Step.Reason != firewall.ReasonTrackingExpired || d.Step.ExpiredAt != sec(31) || d.Packet != 3 || !d.Back {
		t.Errorf("first drop %+v, want packet 3 back, tracking expired at 31s", d)
	}
}

// TestFlowsAreNamedSortedAndCounted checks the flow table: names from the
// source, first-seen order, counts both ways, verdicts.
func TestFlowsAreNamedSortedAndCounted(t *testing.T) {
	e := t1().engine(t, Options{})
	e.AddSource(&sliceSource{
		pkts: packets(
			"0 tcp 198.51.100.9:1000 > 10.0.1.10:22 S",
			"0 tcp 198.51.100.7:1000 > 10.0.1.10:80 S",
			"0.1 tcp 10.0.1.10:80 > 198.51.100.7:1000 S.",
			"0.2 tcp 198.51.100.7:1000 > 10.0.1.10:80 .",
			"1 icmp 198.51.100.7 > 10.0.1.10 echo-request id=1",
		),
		names: map[string]string{"tcp 198.51.100.7:1000 > 10.0.1.10:80": "web"},
	})
	r, err := e.Run(Never)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Flows) != 3 {
		t.Fatalf("%d flows, want 3", len(r.Flows))
	}
	// Equal first-seen times sort by tuple string: .7 before .9.
	web, ssh, ping := r.Flows[0], r.Flows[1], r.Flows[2]
	if web.Key != "tcp 198.51.100.7:1000 > 10.0.1.10:80" || web.ID != 1 || web.Name != "web" {
		t.Errorf("flow 1 = %+v", web)
	}
	if ssh.Key != "tcp 198.51.100.9:1000 > 10.0.1.10:22" || ssh.Verdict != Blocked || ssh.Initiator != "198.51.100.9" || ssh.Responder != "a" || ssh.ID != 2 {
		t.Errorf("flow 2 = %+v", ssh)
	}
	if web.PacketsOut != 2 || web.PacketsBack != 1 || web.ForwardedOut != 2 || web.ForwardedBack != 1 || web.BytesOut != 120 || web.Verdict != Allowed || web.Tracked != TrackingUntracked {
		t.Errorf("web counts %+v", web)
	}
	if ping.Proto != "icmp" || ping.Tracked != TrackingTracked || ping.FirstSeen != Timestamp(sec(1)) {
		t.Errorf("ping %+v", ping)
	}
	if r.Summary.Flows != 3 || r.Summary.FlowsBlocked != 1 || r.Summary.FlowsAllowed != 2 {
		t.Errorf("summary %+v", r.Summary)
	}
	if !strings.Contains(ssh.Hint, "no rule of sg-ex allows tcp 22 from 198.51.100.9 (ingress)") {
		t.Errorf("hint %q", ssh.Hint)
	}
}

// TestRunIsDeterministic runs the same input twice and compares the JSON
// byte for byte (STYLE.md lesson 7).
func TestRunIsDeterministic(t *testing.T) {
	run := func() []byte {
		e := t1().engine(t, Options{Explain: true})
		var lines []string
		for i := 0; i < 200; i++ {
			port := 1000 + i%37
			lines = append(lines,
				strings.Join([]string{itoa3(i), "tcp", "198.51.100." + itoa3(i%7+1) + ":" + itoa3(port), ">", "10.0.1.10:" + []string{"22", "80", "443"}[i%3], "S"}, " "))
		}
		e.AddSource(&sliceSource{pkts: packets(lines...)})
		if err := e.Schedule(sec(50), Change{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "http4"}); err != nil {
			t.Fatal(err)
		}
		r, err := e.Run(Never)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Fatal("two runs of the same input differ")
	}
}

func itoa3(i int) string { return strconv.Itoa(i) }

// TestFinishKeepsTheResultAndEndsTheRun: Finish releases the engine's
// tables without changing the Result, whose interface counters (SPEC.md
// §2.6 conntrack_allowance_*) and hints (an expired entry's timeout,
// SPEC.md §5.1; a full table, §2.6) come from them; afterwards the engine
// refuses to run or step. Release then frees the flow records, leaving the
// result already taken as it was.
func TestFinishKeepsTheResultAndEndsTheRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    *world
		opt  Options
		pkts []Packet
	}{
		{"expired entry", dnsWorld(), Options{Explain: true}, packets(
			"0 udp 10.0.1.10:40002 > 192.0.2.53:53",
			"1 udp 192.0.2.53:53 > 10.0.1.10:40002",
			"100 udp 192.0.2.53:53 > 10.0.1.10:40002",
		)},
		{"allowance exceeded", t1(), Options{Allowance: 1}, packets(
			"0 tcp 198.51.100.9:1000 > 10.0.1.10:22 S",
			"1 tcp 198.51.100.9:1001 > 10.0.1.10:22 S",
			"2 tcp 10.0.1.10:22 > 198.51.100.9:1000 S.",
		)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.w.engine(t, tc.opt)
			e.AddSource(&sliceSource{pkts: tc.pkts})
			if err := e.RunTo(Never); err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(e.Result())
			if err != nil {
				t.Fatal(err)
			}
			e.Finish()
			e.Finish() // a second Finish does nothing
			got, err := json.Marshal(e.Result())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result after Finish:\n%s\nwant:\n%s", got, want)
			}
			if err := e.RunTo(Never); err == nil {
				t.Error("RunTo after Finish: no error")
			}
			if r, err := e.Run(Never); err == nil || r == nil {
				t.Errorf("Run after Finish: %v, %v; want the result and an error", r, err)
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Error("Step after Finish did not panic")
					}
				}()
				p := tc.pkts[0]
				e.Step(&p)
			}()
			// Release frees the flow records; a second does nothing, and
			// the result taken before it stands.
			res := e.Result()
			e.Release()
			e.Release()
			if again, _ := json.Marshal(res); !bytes.Equal(again, want) {
				t.Errorf("result taken before Release changed:\n%s", again)
			}
			defer func() {
				if recover() == nil {
					t.Error("Result after Release did not panic")
				}
			}()
			e.Result()
		})
	}
}

// TestResultJSONShape pins the JSON field names and encodings the CLI
// prints: times as "12.5s" strings, enums as stable tokens.
func TestResultJSONShape(t *testing.T) {
	e := dnsWorld().engine(t, Options{Explain: true})
	e.AddSource(&sliceSource{pkts: packets(
		"0 udp 10.0.1.10:40002 > 192.0.2.53:53",
		"32.5 udp 192.0.2.53:53 > 10.0.1.10:40002",
	)})
	r, _ := e.Run(Never)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`"flow":"udp 10.0.1.10:40002 \u003e 192.0.2.53:53"`,
		`"first_seen":"0s"`, `"last_seen":"32.5s"`,
		`"verdict":"dropped"`, `"tracked":"tracked"`,
		`"step":{"where":"a","filter":"sg","direction":"ingress","action":"deny","reason":"conntrack_entry_expired"`,
		`"expired_at":"30s"`,
		`"rule":{"kind":"sg_rule","filter":"sg-a"`,
		`"dropped_by":[{"key":"sg:conntrack_entry_expired","count":1}]`,
		`"allowance_available":-1`,
		`"packets":[{"n":1,"at":"0s","flow":1,"packet":"udp 10.0.1.10:40002 \u003e 192.0.2.53:53"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s\n%s", want, s)
		}
	}
	var ts Timestamp
	if err := json.Unmarshal([]byte(`"432000.000000001s"`), &ts); err != nil || ts != Timestamp(432000*time.Second+1) {
		t.Errorf("Timestamp round trip: %v %v", ts, err)
	}
	if err := json.Unmarshal([]byte(`1.5`), &ts); err != nil || ts != Timestamp(sec(1.5)) {
		t.Errorf("Timestamp from a number: %v %v", ts, err)
	}
}

// TestStepDoesNotAllocate is the engine's allocation budget: one packet of
// an established flow through SG egress → NACL out → NACL in → SG ingress
// allocates nothing without Explain (STYLE.md lesson 4).
func TestStepDoesNotAllocate(t *testing.T) {
	e := benchWorld().engine(t, Options{})
	syn := pkt(0, "tcp 10.0.1.10:50000 > 10.0.2.20:443 S")
	e.Step(&syn)
	synack := pkt(0, "tcp 10.0.2.20:443 > 10.0.1.10:50000 S.")
	e.Step(&synack)
	p := pkt(0, "tcp 10.0.1.10:50000 > 10.0.2.20:443 P.")
	back := pkt(0, "tcp 10.0.2.20:443 > 10.0.1.10:50000 .")
	for _, q := range []*Packet{&p, &back} {
		allocs := testing.AllocsPerRun(1000, func() {
			q.At = e.Now() + Time(time.Millisecond)
			if out := e.Step(q); !out.Forwarded || len(out.Steps) != 4 {
				t.Fatalf("not forwarded through 4 steps: %s", traceString(out.Steps))
			}
		})
		if allocs != 0 {
			t.Errorf("Step(%s) allocates %v times, want 0", q, allocs)
		}
	}
	// Across sweeps too: jump 20 s per packet.
	allocs := testing.AllocsPerRun(100, func() {
		p.At += Time(20 * time.Second)
		e.Step(&p)
	})
	if allocs != 0 {
		t.Errorf("Step with sweeps allocates %v times, want 0", allocs)
	}
}

// TestNewRejectsBadInventories: errors name the object.
func TestNewRejectsBadInventories(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(w *world)
		opt  Options
		want string
	}{
		{"duplicate address", func(w *world) { w.host("b", "s1", []string{"10.0.1.10"}, "sg-ex") }, Options{}, "address 10.0.1.10 is also a's"},
		{"unknown subnet", func(w *world) { w.host("b", "s9", []string{"10.0.1.11"}, "sg-ex") }, Options{}, `unknown subnet "s9"`},
		{"bad timeout", func(w *world) { w.inv.Interfaces[0].Tracking.UDP = 5 * time.Second }, Options{}, "interface a: "},
		{"negative icmp timeout", func(w *world) { w.inv.Interfaces[0].Tracking.ICMP = -time.Second }, Options{}, "icmp_timeout -1s must be positive"},
		{"unknown allowance interface", func(w *world) {}, Options{Allowances: map[string]int{"zz": 3}}, `allowance for unknown interface "zz"`},
		{"unknown group", func(w *world) { w.inv.Interfaces[0].Groups = []string{"sg-nope"} }, Options{}, "sg-nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := t1()
			tc.edit(w)
			_, err := New(w.inv, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestICMPTimeoutIsConfigurable: AWS documents no ICMP timeout (SPEC.md
// §2.4); the simulator assumes Linux's 30 s (§5.1), and the non-AWS
// TrackingSpec.ICMP changes it, at New and by SetTracking.
func TestICMPTimeoutIsConfigurable(t *testing.T) {
	w := newWorld().
		sg("sg-a", nil, []firewall.SGRule{sgr("ping", "icmp", -1, -1, "0.0.0.0/0")}).
		host("a", "s1", []string{"10.0.1.10"}, "sg-a")
	script(t, w.engine(t, Options{}), []step{
		{0, "icmp 10.0.1.10 > 192.0.2.1 echo-request id=1", true, firewall.ReasonSGRule, "a", 0},
		{29, "icmp 192.0.2.1 > 10.0.1.10 echo-reply id=1", true, firewall.ReasonTracked, "a", 0},
	})
	w.edit(func(in *firewall.Interface) { in.Tracking.ICMP = 10 * time.Second })
	e := w.engine(t, Options{})
	if err := e.Schedule(sec(20), Change{Kind: SetTracking, Interface: "a", Tracking: firewall.TrackingSpec{ICMP: 5 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	script(t, e, []step{
		{0, "icmp 10.0.1.10 > 192.0.2.1 echo-request id=1", true, firewall.ReasonSGRule, "a", 0},
		{9, "icmp 192.0.2.1 > 10.0.1.10 echo-reply id=1", true, firewall.ReasonTracked, "a", 0},
		{19.5, "icmp 192.0.2.1 > 10.0.1.10 echo-reply id=1", false, firewall.ReasonTrackingExpired, "a", 0},
		{21, "icmp 10.0.1.10 > 192.0.2.1 echo-request id=2", true, firewall.ReasonSGRule, "a", 0},
		{26, "icmp 192.0.2.1 > 10.0.1.10 echo-reply id=2", false, firewall.ReasonTrackingExpired, "a", 0},
	})
	if d := e.Result().Changes[0].Description; !strings.HasSuffix(d, ", icmp 5s") {
		t.Errorf("change description %q should name the ICMP timeout", d)
	}
}

// TestNewCopiesTheInventory: changes edit the engine's copy only.
func TestNewCopiesTheInventory(t *testing.T) {
	w := t1()
	e := w.engine(t, Options{})
	if err := e.Schedule(0, Change{Kind: RemoveSGRule, Group: "sg-ex", Direction: firewall.Ingress, RuleID: "ssh"}); err != nil {
		t.Fatal(err)
	}
	e.Step(ptr(pkt(1, "udp 198.51.100.1:1 > 192.0.2.1:1")))
	if len(w.inv.SecurityGroups[0].Ingress) != 4 {
		t.Errorf("caller's inventory changed: %d ingress rules", len(w.inv.SecurityGroups[0].Ingress))
	}
}

// TestDefaultAutoTrackedIsTheUnion: SPEC.md §2.3's union of both versions.
func TestDefaultAutoTrackedIsTheUnion(t *testing.T) {
	got := strings.Join(DefaultAutoTracked(), ",")
	want := "dynamodb-gateway-endpoint,egress-only-internet-gateway,gateway-load-balancer,global-accelerator,lambda,nat-gateway,network-firewall,network-load-balancer,privatelink,transit-gateway"
	if got != want {
		t.Errorf("DefaultAutoTracked() = %s", got)
	}
}

// TestAutoTrackedServiceEndpoint: a flow to an interface whose Service is
// auto-tracked (a network load balancer) is tracked even with all-open
// rules; with an empty AutoTracked list it is not (SPEC.md §2.3).
func TestAutoTrackedServiceEndpoint(t *testing.T) {
	for _, tc := range []struct {
		auto   []string
		reason firewall.Reason
	}{{nil, firewall.ReasonSGRule}, {[]string{}, firewall.ReasonSGRuleUntracked}} {
		w := openSG(newWorld()).
			sg("sg-all", []firewall.SGRule{sgr("in", "tcp", 0, 65535, "0.0.0.0/0")}, []firewall.SGRule{sgr("out", "-1", 0, 0, "0.0.0.0/0")}).
			host("nlb", "s2", []string{"10.0.2.5"}, "sg-open").edit(func(in *firewall.Interface) { in.Service = "network-load-balancer" }).
			host("t", "s1", []string{"10.0.1.20"}, "sg-all")
		script(t, w.engine(t, Options{AutoTracked: tc.auto}), []step{
			{0, "tcp 10.0.2.5:40000 > 10.0.1.20:8080 S", true, tc.reason, "t", 0},
		})
	}
}

// ExampleNew builds a one-instance network, runs two packets of an SSH
// connection and a blocked one, and prints each flow's verdict.
func ExampleNew() {
	inv := firewall.Inventory{
		VPCs:    []firewall.VPC{{ID: "vpc-1", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}},
		Subnets: []firewall.Subnet{{ID: "public", VPC: "vpc-1", CIDR: netip.MustParsePrefix("10.0.1.0/24")}},
		SecurityGroups: []firewall.SecurityGroup{{
			ID: "sg-web", VPC: "vpc-1",
			Ingress: []firewall.SGRule{{ID: "ssh", Protocol: 6, FromPort: 22, ToPort: 22, CIDR: netip.MustParsePrefix("203.0.113.0/24")}},
		}},
		Interfaces: []firewall.Interface{{ID: "eni-1", Name: "web", Subnet: "public", Groups: []string{"sg-web"}, Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.10")}}},
	}
	e, err := New(inv, Options{})
	if err != nil {
		panic(err)
	}
	e.AddSource(&sliceSource{pkts: []Packet{
		{At: 0, Src: netip.MustParseAddr("203.0.113.5"), Dst: netip.MustParseAddr("10.0.1.10"), SrcPort: 50000, DstPort: 22, Proto: packet.ProtoTCP, Flags: packet.SYN},
		{At: Time(10 * time.Millisecond), Src: netip.MustParseAddr("10.0.1.10"), Dst: netip.MustParseAddr("203.0.113.5"), SrcPort: 22, DstPort: 50000, Proto: packet.ProtoTCP, Flags: packet.SYN | packet.ACK},
		{At: Time(time.Second), Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("10.0.1.10"), SrcPort: 50001, DstPort: 22, Proto: packet.ProtoTCP, Flags: packet.SYN},
	}})
	r, err := e.Run(Never)
	if err != nil {
		panic(err)
	}
	for _, f := range r.Flows {
		fmt.Printf("%s: %s (%s)\n", f.Key, f.Verdict, f.Tracked)
		if f.Hint != "" {
			fmt.Println("  " + f.Hint)
		}
	}
	// Output:
	// tcp 203.0.113.5:50000 > 10.0.1.10:22: allowed (tracked)
	// tcp 198.51.100.7:50001 > 10.0.1.10:22: blocked ()
	//   no rule of sg-web allows tcp 22 from 198.51.100.7 (ingress); security groups only allow, so anything no rule allows is dropped
}

// TestLongGapsDoNotReplayEverySweep: a jump of years between two packets (a
// capture with a clock jump) costs a bounded number of sweeps, and the entry
// is still reported expired at its own time.
func TestLongGapsDoNotReplayEverySweep(t *testing.T) {
	e := dnsWorld().engine(t, Options{})
	e.AddSource(&sliceSource{pkts: packets(
		"0 udp 10.0.1.10:40002 > 192.0.2.53:53",
		"183000000 udp 192.0.2.53:53 > 10.0.1.10:40002", // 5.8 years later
	)})
	r, err := e.Run(Never)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Flows[0].FirstDrop
	if d == nil || d.Step.Reason != firewall.ReasonTrackingExpired || d.Step.ExpiredAt != sec(30) {
		t.Errorf("first drop %+v, want expired at 30s", d)
	}
}

// TestEveryPathShapeIsAllocationFree: after a flow's first packet, each
// kind of path — untracked, tracked reply, NAT, not filtered, outside, and
// drops at a security group or a network ACL — costs no allocation.
func TestEveryPathShapeIsAllocationFree(t *testing.T) {
	w := t1()
	w.inv.NetworkACLs[0].Entries = append(w.inv.NetworkACLs[0].Entries, nacl(50, "in", "deny", "tcp", 23, 23, "0.0.0.0/0"))
	e := w.engine(t, Options{})
	e.Step(ptr(pkt(0, "tcp 203.0.113.1:50000 > 10.0.1.10:22 S")))
	for _, line := range []string{
		"tcp 198.51.100.7:51000 > 10.0.1.10:80 P.",
		"tcp 10.0.1.10:22 > 203.0.113.1:50000 .",
		"tcp 203.0.113.1:50000 > 203.0.113.10:22 .",
		"udp 10.0.1.10:40000 > 10.0.0.2:53",
		"udp 198.51.100.7:1 > 192.0.2.1:2",
		"tcp 198.51.100.7:51000 > 10.0.1.10:5432 S",
		"tcp 198.51.100.7:51000 > 10.0.1.10:23 S",
	} {
		p := pkt(0, line)
		e.Step(&p) // the flow's first packet may allocate
		allocs := testing.AllocsPerRun(200, func() {
			p.At += Time(time.Millisecond)
			e.Step(&p)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per packet, want 0", line, allocs)
		}
	}
}
