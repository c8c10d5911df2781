package synth

import (
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestUDPSingleVersusStream checks UDP sessions: a single request/response
// stays on AWS's UdpTimeout (30 s) while more than one request/response
// transaction makes a stream on UdpStreamTimeout (180 s) (SPEC.md §2.4),
// so the generator must produce exactly the transactions asked for.
func TestUDPSingleVersusStream(t *testing.T) {
	base := Flow{Name: "dns", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53}
	tests := []struct {
		name string
		edit func(*Flow)
		want string
	}{
		{"single request and reply", func(*Flow) {}, lines("0s > udp", "0.01s < udp")},
		{"reply after 29 s", func(f *Flow) { f.RTT = 29 * time.Second }, lines("0s > udp", "29s < udp")},
		{"stream of three, Think apart", func(f *Flow) { f.Requests = 3; f.Think = 2 * time.Second }, lines(
			"0s > udp", "0.01s < udp", "2.01s > udp", "2.02s < udp", "4.02s > udp", "4.03s < udp")},
		{"stream idle before the last request", func(f *Flow) { f.Requests = 3; f.Idle = 181 * time.Second }, lines(
			"0s > udp", "0.01s < udp", "1.01s > udp", "1.02s < udp", "182.02s > udp", "182.03s < udp")},
		{"syslog stream without replies", func(f *Flow) { f.DstPort = 514; f.Requests = 3; f.NoReply = true }, lines(
			"0s > udp", "1s > udp", "2s > udp")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			tt.edit(&f)
			g := gen(t, f)
			pkts := all(t, g)
			if got := timeline(pkts, cli4.Addr); got != tt.want {
				t.Errorf("timeline:\n%s\nwant:\n%s", got, tt.want)
			}
			sport := g.Flows()[0].Tuple.SrcPort
			for _, p := range pkts {
				out := p.Src == cli4.Addr
				if (out && (p.SrcPort != sport || p.DstPort != f.DstPort)) || (!out && (p.SrcPort != f.DstPort || p.DstPort != sport)) {
					t.Errorf("packet %s: ports do not belong to the session %d↔%d", &p, sport, f.DstPort)
				}
			}
			if pkts[0].Length != 20+8+64 {
				t.Errorf("request length %d, want %d (IP 20 + UDP 8 + default 64)", pkts[0].Length, 20+8+64)
			}
		})
	}
}

// TestICMPEchoIdentifiers checks echo requests and replies: type 8/0 (or
// ICMPv6 128/129), a seeded identifier shared by the request and its reply
// so they form one ICMP flow (SPEC.md §2.4: ICMP is always tracked;
// §2.8 case "ICMP tracked"), a fixed identifier when given, and sequence
// numbers counting from 1.
func TestICMPEchoIdentifiers(t *testing.T) {
	tests := []struct {
		name       string
		flow       Flow
		wantID     uint16 // 0: any non-zero
		req, reply uint8
	}{
		{"ipv4 seeded id", Flow{Name: "ping", Kind: ICMPEcho, Client: cli4, Server: srv4, Requests: 3}, 0, 8, 0},
		{"ipv4 fixed id", Flow{Name: "ping", Kind: ICMPEcho, Client: cli4, Server: srv4, Requests: 2, ID: 4242}, 4242, 8, 0},
		{"ipv6 seeded id", Flow{Name: "ping6", Kind: ICMPEcho, Client: cli6, Server: srv6, Requests: 2}, 0, 128, 129},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gen(t, tt.flow)
			pkts := all(t, g)
			if len(pkts) != 2*tt.flow.Requests {
				t.Fatalf("got %d packets, want %d", len(pkts), 2*tt.flow.Requests)
			}
			id := pkts[0].ICMPID
			if id == 0 || (tt.wantID != 0 && id != tt.wantID) {
				t.Errorf("id %d, want %d (0: any non-zero)", id, tt.wantID)
			}
			for i, p := range pkts {
				typ, seq := tt.req, uint32(i/2+1)
				if i%2 == 1 {
					typ = tt.reply
				}
				if p.ICMPType != typ || p.ICMPID != id || p.Seq != seq || !p.IsICMPEcho() {
					t.Errorf("packet %d %s: type %d id %d seq %d, want type %d id %d seq %d", i, &p, p.ICMPType, p.ICMPID, p.Seq, typ, id, seq)
				}
				if p.Tuple() != pkts[0].Tuple() && p.Tuple() != pkts[0].Tuple().Reverse() {
					t.Errorf("packet %d tuple %s is not the session's %s", i, p.Tuple(), pkts[0].Tuple())
				}
			}
			if got := g.FlowName(pkts[1].Tuple()); got != tt.flow.Name {
				t.Errorf("FlowName(reply) = %q, want %q", got, tt.flow.Name)
			}
		})
	}
}

// TestICMPEchoSessionsGetDistinctIDs checks that overlapping ping sessions
// between the same hosts get different identifiers, so each is its own
// tracked ICMP flow (SPEC.md §2.4).
func TestICMPEchoSessionsGetDistinctIDs(t *testing.T) {
	g := gen(t, Flow{Name: "ping", Kind: ICMPEcho, Client: cli4, Server: srv4, Requests: 5, Count: 50, Every: ms(10)})
	seen := map[uint16]bool{}
	for _, fi := range g.Flows() {
		if seen[fi.Tuple.SrcPort] {
			t.Errorf("session %d reuses id %d", fi.Session, fi.Tuple.SrcPort)
		}
		seen[fi.Tuple.SrcPort] = true
	}
}

// TestICMPErrorQuotesFlow checks ICMP errors that quote another flow:
// frag-needed from a router to the client of a TCP flow, port-unreachable
// to a UDP client, and the IPv6 forms. Inner is the quoted flow's tuple in
// the direction of the original packet, which is opposite to the error's
// own direction (SPEC.md §2.7: such an error is not auto-admitted as
// related in AWS, so the model must see which flow it quotes; §3.10).
func TestICMPErrorQuotesFlow(t *testing.T) {
	tcp4 := Flow{Name: "upload", Kind: TCP, Client: cli4, Server: srv4, DstPort: 443}
	udp4 := Flow{Name: "dns", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53}
	tcp6 := Flow{Name: "upload6", Kind: TCP, Client: cli6, Server: srv6, DstPort: 443}
	tests := []struct {
		name           string
		quoted, err    Flow
		wantDst        Endpoint
		wantServerSide bool // the quoted packet went server→client
		typ, code      uint8
		proto          uint8
		length         uint32
	}{
		{"frag-needed to the client by default", tcp4,
			Flow{Name: "pmtu", Kind: ICMPError, Client: rtr4, Quote: "upload", Start: ms(25)},
			cli4, false, 3, 4, packet.ProtoICMP, 56},
		{"port-unreachable to the client", udp4,
			Flow{Name: "unreach", Kind: ICMPError, Client: srv4, Quote: "dns", Error: "port-unreachable"},
			cli4, false, 3, 3, packet.ProtoICMP, 56},
		{"time-exceeded to the server", tcp4,
			Flow{Name: "ttl", Kind: ICMPError, Client: rtr4, Quote: "upload", QuoteTo: QuoteToServer, Error: "time-exceeded"},
			srv4, true, 11, 0, packet.ProtoICMP, 56},
		{"explicit type and code", udp4,
			Flow{Name: "prohib", Kind: ICMPError, Client: rtr4, Quote: "dns", ICMPType: 3, ICMPCode: 10},
			cli4, false, 3, 10, packet.ProtoICMP, 56},
		{"ipv6 packet-too-big", tcp6,
			Flow{Name: "ptb", Kind: ICMPError, Client: rtr6, Quote: "upload6", Error: "packet-too-big"},
			cli6, false, 2, 0, packet.ProtoICMPv6, 96},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gen(t, tt.quoted, tt.err)
			var e *packet.Packet
			pkts := all(t, g)
			for i := range pkts {
				if pkts[i].IsICMP() {
					e = &pkts[i]
				}
			}
			if e == nil {
				t.Fatal("no ICMP error generated")
			}
			quoted := g.Flows()[0].Tuple
			if tt.wantServerSide {
				quoted = quoted.Reverse()
			}
			if e.Src != tt.err.Client.Addr || e.Dst != tt.wantDst.Addr {
				t.Errorf("error %s goes %s > %s, want %s > %s", e, e.Src, e.Dst, tt.err.Client.Addr, tt.wantDst.Addr)
			}
			if e.Inner != quoted {
				t.Errorf("inner %s, want %s", e.Inner, quoted)
			}
			if e.Inner.Dst == e.Dst || e.Inner.Src != e.Dst {
				t.Errorf("inner %s is not opposite to the error's direction %s > %s", e.Inner, e.Src, e.Dst)
			}
			if e.Proto != tt.proto || e.ICMPType != tt.typ || e.ICMPCode != tt.code || !e.IsICMPError() {
				t.Errorf("error %s: proto %d type %d code %d, want %d %d %d", e, e.Proto, e.ICMPType, e.ICMPCode, tt.proto, tt.typ, tt.code)
			}
			if e.Length != tt.length {
				t.Errorf("length %d, want %d", e.Length, tt.length)
			}
			if got := g.FlowName(e.Tuple()); got != tt.err.Name {
				t.Errorf("FlowName(error) = %q, want %q", got, tt.err.Name)
			}
		})
	}
}

// TestICMPErrorSessionsQuoteMatchingSessions checks that error session i
// quotes session i of the quoted flow, or its last one.
func TestICMPErrorSessionsQuoteMatchingSessions(t *testing.T) {
	g := gen(t,
		Flow{Name: "web", Kind: TCP, Client: cli4, Server: srv4, DstPort: 80, Count: 2},
		Flow{Name: "pmtu", Kind: ICMPError, Client: rtr4, Quote: "web", Count: 3, Start: ms(25)})
	info := g.Flows()
	var inners []packet.Tuple
	for _, p := range all(t, g) {
		if p.IsICMPError() {
			inners = append(inners, p.Inner)
		}
	}
	want := []packet.Tuple{info[0].Tuple, info[1].Tuple, info[1].Tuple}
	if len(inners) != 3 || inners[0] != want[0] || inners[1] != want[1] || inners[2] != want[2] {
		t.Errorf("inners %v, want %v", inners, want)
	}
}

// TestOtherProtocols checks flows of protocols other than TCP, UDP and
// ICMP, which AWS tracks by address and protocol for 600 s (SPEC.md §2.4):
// GRE and ESP have no ports; SCTP carries them (SPEC.md §1.1).
func TestOtherProtocols(t *testing.T) {
	tests := []struct {
		name   string
		flow   Flow
		want   string
		length uint32
		ports  bool
	}{
		{"gre reply within 600 s", Flow{Name: "gre", Kind: Other, Proto: 47, Client: cli4, Server: srv4, RTT: 599 * time.Second},
			lines("0s > gre", "599s < gre"), 20 + 4 + 100, false},
		{"esp two requests, idle before the last", Flow{Name: "esp", Kind: Other, Proto: 50, Client: cli4, Server: srv4, Requests: 2, Idle: 601 * time.Second, NoReply: true},
			lines("0s > esp", "601s > esp"), 20 + 8 + 100, false},
		{"sctp has ports", Flow{Name: "sctp", Kind: Other, Proto: 132, Client: cli6, Server: srv6, DstPort: 3868},
			lines("0s > sctp", "0.01s < sctp"), 40 + 12 + 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gen(t, tt.flow)
			pkts := all(t, g)
			if got := timeline(pkts, tt.flow.Client.Addr); got != tt.want {
				t.Errorf("timeline:\n%s\nwant:\n%s", got, tt.want)
			}
			p := pkts[0]
			if p.Proto != tt.flow.Proto || p.Length != tt.length {
				t.Errorf("packet %s: proto %d length %d, want %d %d", &p, p.Proto, p.Length, tt.flow.Proto, tt.length)
			}
			if hasPorts := p.SrcPort != 0 && p.DstPort == tt.flow.DstPort; hasPorts != tt.ports {
				t.Errorf("packet %s: ports %d>%d, want ports=%v", &p, p.SrcPort, p.DstPort, tt.ports)
			}
			if got := g.FlowName(pkts[len(pkts)-1].Tuple()); got != tt.flow.Name {
				t.Errorf("FlowName = %q, want %q", got, tt.flow.Name)
			}
		})
	}
}
