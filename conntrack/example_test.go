package conntrack_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/sim/packet"
)

// A client's UDP query creates an entry; the server's response finds it in
// the Reply direction; after 30 s of silence (a single request-response
// transaction, SPEC.md §2.4) the entry is gone and a late datagram is
// reported as having found an entry that expired at t = 31 s.
func Example() {
	tb, err := conntrack.NewTable(conntrack.Config{Allowance: 1000})
	if err != nil {
		panic(err)
	}
	client := netip.MustParseAddr("10.0.1.10")
	server := netip.MustParseAddr("10.0.2.53")
	query := &packet.Packet{Src: client, Dst: server, SrcPort: 40002, DstPort: 53, Proto: packet.ProtoUDP}
	reply := &packet.Packet{Src: server, Dst: client, SrcPort: 53, DstPort: 40002, Proto: packet.ProtoUDP}
	sec := func(s int) packet.Time { return packet.Time(s) * packet.Time(time.Second) }

	// t=0: the query finds nothing; the security group allows it; track it.
	if m := tb.Lookup(query, sec(0)); !m.Found {
		m, ok := tb.Insert(query, sec(0), 1)
		fmt.Println("insert:", ok, m.State)
	}
	// t=1: the response matches the entry.
	m := tb.Lookup(reply, sec(1))
	fmt.Println("reply:", m.Found, m.Dir, m.State)
	tb.Update(m, reply, sec(1))

	// t=32: a late datagram: the entry expired at 1 s + 30 s.
	m = tb.Lookup(reply, sec(32))
	fmt.Println("late:", m.Found, m.Expired, m.ExpiredAt)
	fmt.Println("available:", tb.Available())
	// Output:
	// insert: true UNREPLIED
	// reply: true reply UNREPLIED
	// late: false true 31s
	// available: 1000
}

// Sweep hands out expiries at the time they happened, in the original
// direction, a bounded number of slots per call.
func ExampleTable_Sweep() {
	tb, _ := conntrack.NewTable(conntrack.Config{})
	a, b := netip.MustParseAddr("10.0.1.5"), netip.MustParseAddr("192.0.2.50")
	gre := &packet.Packet{Src: a, Dst: b, Proto: packet.ProtoGRE}
	tb.Insert(gre, 0, 1)

	var out []conntrack.Expiry
	out = tb.Sweep(packet.Time(700*time.Second), 0, out)
	for _, e := range out {
		fmt.Println(e.Tuple, "expired at", e.At)
	}
	// Output:
	// gre 10.0.1.5 > 192.0.2.50 expired at 600s
}

// TimeoutsFor gives the Nitro v6 default, and Validate explains a value
// AWS would refuse (SPEC.md §2.4).
func ExampleTimeoutsFor() {
	tm := conntrack.TimeoutsFor("nitro-v6")
	fmt.Println("established:", tm.TCPEstablished)
	tm.UDP = 20 * time.Second
	fmt.Println(tm.Validate())
	// Output:
	// established: 5m50s
	// udp_timeout 20s is outside 30s–60s (AWS UdpTimeout)
}

// An ICMP "fragmentation needed" error quoting a tracked flow is found with
// LookupRelated. Whether that admits it is the caller's decision: the AWS
// profile does not (SPEC.md §2.7), the Linux profile does (§5.4).
func ExampleTable_LookupRelated() {
	tb, _ := conntrack.NewTable(conntrack.Config{})
	a, c := netip.MustParseAddr("10.0.1.10"), netip.MustParseAddr("198.51.100.7")
	syn := &packet.Packet{Src: a, Dst: c, SrcPort: 50000, DstPort: 443, Proto: packet.ProtoTCP, Flags: packet.SYN}
	tb.Insert(syn, 0, 1)

	fragNeeded := &packet.Packet{
		Src: netip.MustParseAddr("192.0.2.1"), Dst: a, Proto: packet.ProtoICMP, ICMPType: 3, ICMPCode: 4,
		Inner: syn.Tuple(),
	}
	m := tb.LookupRelated(fragNeeded, packet.Time(time.Second))
	fmt.Println(m.Found, m.Related, m.Dir, m.State)
	// Output:
	// true true reply SYN_SENT
}
