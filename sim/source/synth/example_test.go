package synth_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/synth"
)

// A Windows XP client browses a web server once and looks up a name; the
// client's source port comes from its OS profile's range, 1025–5000
// (SPEC.md §4), counting up from the bottom.
func Example() {
	client := synth.Endpoint{Name: "xp", Addr: netip.MustParseAddr("198.51.100.7"), OS: "windows-xp", Sequential: true}
	web := synth.Endpoint{Name: "web", Addr: netip.MustParseAddr("10.0.1.10")}
	dns := synth.Endpoint{Name: "resolver", Addr: netip.MustParseAddr("10.0.0.2")}
	g, err := synth.New([]synth.Flow{
		{Name: "browse", Kind: synth.TCP, Client: client, Server: web, DstPort: 80},
		{Name: "lookup", Kind: synth.UDP, Client: client, Server: dns, DstPort: 53, Start: 5 * time.Millisecond},
	}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	var p packet.Packet
	for {
		ok, err := g.Next(&p)
		if err != nil || !ok {
			break
		}
		fmt.Printf("%-6s %-7s %s\n", p.At, g.FlowName(p.Tuple()), p.String())
	}
	// Output:
	// 0s     browse  tcp 198.51.100.7:1025 > 10.0.1.10:80 S
	// 0.005s lookup  udp 198.51.100.7:1026 > 10.0.0.2:53
	// 0.01s  browse  tcp 10.0.1.10:80 > 198.51.100.7:1025 S.
	// 0.015s lookup  udp 10.0.0.2:53 > 198.51.100.7:1026
	// 0.02s  browse  tcp 198.51.100.7:1025 > 10.0.1.10:80 .
	// 0.02s  browse  tcp 198.51.100.7:1025 > 10.0.1.10:80 P.
	// 0.03s  browse  tcp 10.0.1.10:80 > 198.51.100.7:1025 P.
	// 0.04s  browse  tcp 198.51.100.7:1025 > 10.0.1.10:80 F.
	// 0.05s  browse  tcp 10.0.1.10:80 > 198.51.100.7:1025 F.
	// 0.06s  browse  tcp 198.51.100.7:1025 > 10.0.1.10:80 .
}

// An ICMP "fragmentation needed" error from a router quotes the TCP flow
// whose packet was too big: it travels towards the flow's client, and its
// Inner tuple is the client→server flow it refers to (SPEC.md §2.7, §3.10).
func ExampleFlow_icmpError() {
	client := synth.Endpoint{Addr: netip.MustParseAddr("10.0.1.5"), Ports: packet.PortRange{Lo: 40000, Hi: 40000}}
	server := synth.Endpoint{Addr: netip.MustParseAddr("203.0.113.80")}
	router := synth.Endpoint{Name: "router", Addr: netip.MustParseAddr("192.0.2.1")}
	g, err := synth.New([]synth.Flow{
		{Name: "upload", Kind: synth.TCP, Client: client, Server: server, DstPort: 443, RequestBytes: 1460},
		{Name: "pmtu", Kind: synth.ICMPError, Client: router, Quote: "upload", Error: "frag-needed", Start: 25 * time.Millisecond},
	}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	var p packet.Packet
	for ok, _ := g.Next(&p); ok; ok, _ = g.Next(&p) {
		if p.IsICMP() {
			fmt.Println(p.At, p.String(), "length", p.Length)
		}
	}
	for _, fi := range g.Flows() {
		fmt.Println(fi.Name, fi.Session, fi.Tuple, fi.Packets)
	}
	// Output:
	// 0.025s icmp 192.0.2.1 > 10.0.1.5 frag-needed quoting tcp 10.0.1.5:40000 > 203.0.113.80:443 length 56
	// upload 0 tcp 10.0.1.5:40000 > 203.0.113.80:443 8
	// pmtu 0 icmp 192.0.2.1 > 10.0.1.5 1
}

// A run with a 100 s horizon cuts a UDP stream whose last datagram comes
// 179 s after the one before it (SPEC.md §2.4's stream timeout is what the
// datagram would test): Plan says so without laying out any packet.
func ExamplePlan() {
	monitor := synth.Endpoint{Addr: netip.MustParseAddr("10.0.5.10")}
	collector := synth.Endpoint{Addr: netip.MustParseAddr("198.51.100.161")}
	infos, until, err := synth.Plan([]synth.Flow{
		{Name: "stream", Kind: synth.UDP, Client: monitor, Server: collector, DstPort: 2055, Requests: 3, Idle: 179 * time.Second},
	}, 1, packet.Time(100*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, fi := range infos {
		fmt.Printf("%s: %d of %d packets by 100s; last at %s\n", fi.Name, until[i], fi.Packets, fi.End)
	}
	// Output:
	// stream: 4 of 6 packets by 100s; last at 180.03s
}
