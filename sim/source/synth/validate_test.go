package synth

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// TestValidationErrors checks that every invalid spec is rejected with a
// message naming the flow and the field, and saying what is allowed. The
// OS profile list is SPEC.md §4's.
func TestValidationErrors(t *testing.T) {
	tcp := Flow{Name: "web", Kind: TCP, Client: cli4, Server: srv4, DstPort: 80}
	udp := Flow{Name: "dns", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53}
	echo := Flow{Name: "ping", Kind: ICMPEcho, Client: cli4, Server: srv4}
	icmpErr := Flow{Name: "pmtu", Kind: ICMPError, Client: rtr4, Quote: "web"}
	other := Flow{Name: "gre", Kind: Other, Proto: 47, Client: cli4, Server: srv4}
	with := func(f Flow, edit func(*Flow)) Flow { edit(&f); return f }
	tests := []struct {
		name  string
		flows []Flow
		field string
		want  string
	}{
		{"name required", []Flow{with(tcp, func(f *Flow) { f.Name = "" })}, "name",
			`flow "": name is required`},
		{"kind required", []Flow{with(tcp, func(f *Flow) { f.Kind = 0 })}, "kind",
			`flow "web": kind is required (tcp, udp, icmp-echo, icmp-error, other)`},
		{"kind invalid", []Flow{with(tcp, func(f *Flow) { f.Kind = 9 })}, "kind",
			`flow "web": kind 9 is invalid (tcp, udp, icmp-echo, icmp-error, other)`},
		{"client address required", []Flow{with(tcp, func(f *Flow) { f.Client.Addr = netip.Addr{} })}, "client.addr",
			`flow "web": client.addr is required`},
		{"server address required", []Flow{with(udp, func(f *Flow) { f.Server = Endpoint{} })}, "server.addr",
			`flow "dns": server.addr is required`},
		{"mixed families", []Flow{with(tcp, func(f *Flow) { f.Server = srv6 })}, "server.addr",
			`flow "web": client 10.0.1.5 and server 2001:db8:2::7 are of different address families`},
		{"unknown os lists the valid ones", []Flow{with(tcp, func(f *Flow) { f.Client.OS = "solaris" })}, "client.os",
			`flow "web": client.os "solaris" is unknown (valid: amazon-linux-doc, elb, freebsd, lambda, linux, macos, nat-gateway, windows, windows-xp)`},
		{"empty port range", []Flow{with(tcp, func(f *Flow) { f.Client.Ports = packet.PortRange{Lo: 5000, Hi: 1025} })}, "client.ports",
			`flow "web": client.ports 5000-1025 is not a range of ports 1–65535 with lo ≤ hi`},
		{"dst_port required", []Flow{with(udp, func(f *Flow) { f.DstPort = 0 })}, "dst_port",
			`flow "dns": dst_port is required for udp flows`},
		{"sctp needs dst_port", []Flow{with(other, func(f *Flow) { f.Proto = 132 })}, "dst_port",
			`flow "gre": dst_port is required for sctp flows`},
		{"ports unused by gre", []Flow{with(other, func(f *Flow) { f.DstPort = 1 })}, "dst_port",
			`flow "gre": dst_port is not used by other flows of protocol gre`},
		{"src_port unused by echo", []Flow{with(echo, func(f *Flow) { f.SrcPort = 1 })}, "src_port",
			`flow "ping": src_port is not used by icmp-echo flows`},
		{"requests is not tcp's", []Flow{with(tcp, func(f *Flow) { f.Requests = 2 })}, "requests",
			`flow "web": requests is not used by tcp flows; tcp flows use exchanges`},
		{"exchanges is not udp's", []Flow{with(udp, func(f *Flow) { f.Exchanges = 2 })}, "exchanges",
			`flow "dns": exchanges is not used by udp flows; udp, icmp-echo and other flows use requests`},
		{"keepalive is tcp's", []Flow{with(udp, func(f *Flow) { f.Keepalive = time.Second })}, "keepalive",
			`flow "dns": keepalive is not used by udp flows`},
		{"echo replies echo the request", []Flow{with(echo, func(f *Flow) { f.ResponseBytes = 10 })}, "response_bytes",
			`flow "ping": response_bytes is not used by icmp-echo flows`},
		{"negative start", []Flow{with(tcp, func(f *Flow) { f.Start = -time.Second })}, "start",
			`flow "web": start -1s is negative`},
		{"negative count", []Flow{with(tcp, func(f *Flow) { f.Count = -1 })}, "count",
			`flow "web": count -1 is negative`},
		{"udp payload too big", []Flow{with(udp, func(f *Flow) { f.RequestBytes = 70000 })}, "request_bytes",
			`flow "dns": request_bytes 70000 is more than 65507`},
		{"bad close", []Flow{with(tcp, func(f *Flow) { f.Close = "shutdown" })}, "close",
			`flow "web": close "shutdown" is invalid (fin, rst, none)`},
		{"keepalive needs idle", []Flow{with(tcp, func(f *Flow) { f.Keepalive = time.Minute })}, "keepalive",
			`flow "web": keepalive needs idle > 0: keepalives are sent during the idle gap`},
		{"udp idle needs two requests", []Flow{with(udp, func(f *Flow) { f.Idle = time.Minute })}, "idle",
			`flow "dns": idle needs requests ≥ 2: it is the pause before the last request`},
		{"other needs proto", []Flow{with(other, func(f *Flow) { f.Proto = 0 })}, "proto",
			`flow "gre": proto is required for other flows (for example 47 gre, 50 esp, 132 sctp)`},
		{"other is not udp", []Flow{with(other, func(f *Flow) { f.Proto = 17 })}, "proto",
			`flow "gre": proto 17 is udp: use kind udp`},
		{"icmp error needs quote", []Flow{tcp, with(icmpErr, func(f *Flow) { f.Quote = "" })}, "quote",
			`flow "pmtu": quote is required for icmp-error flows: the name of the flow whose packet the error quotes`},
		{"icmp error has no server", []Flow{tcp, with(icmpErr, func(f *Flow) { f.Server = srv4 })}, "server",
			`flow "pmtu": server is not used by icmp-error flows: the error goes to an endpoint of the quoted flow (quote, quote_to)`},
		{"icmp error unknown name", []Flow{tcp, with(icmpErr, func(f *Flow) { f.Error = "bad-karma" })}, "error",
			`flow "pmtu": error "bad-karma" is unknown (valid: admin-prohibited, frag-needed, host-unreachable, packet-too-big, port-unreachable, time-exceeded)`},
		{"icmp error type not an error", []Flow{tcp, with(icmpErr, func(f *Flow) { f.ICMPType = 8 })}, "icmp_type",
			`flow "pmtu": icmp_type 8 is not an icmp error type (valid: 3, 4, 5, 11, 12)`},
		{"icmpv6 error type not an error", []Flow{with(tcp, func(f *Flow) { f.Client, f.Server = cli6, srv6 }),
			with(icmpErr, func(f *Flow) { f.Client = rtr6; f.ICMPType = 128 })}, "icmp_type",
			`flow "pmtu": icmp_type 128 is not an icmpv6 error type (valid: 1, 2, 3, 4)`},
		{"bad quote_to", []Flow{tcp, with(icmpErr, func(f *Flow) { f.QuoteTo = "router" })}, "quote_to",
			`flow "pmtu": quote_to "router" is invalid (client, server)`},
		{"quote names no flow", []Flow{tcp, with(icmpErr, func(f *Flow) { f.Quote = "nope" })}, "quote",
			`flow "pmtu": quote "nope" names no flow`},
		{"quote of another family", []Flow{tcp, with(icmpErr, func(f *Flow) { f.Client = rtr6 })}, "quote",
			`flow "pmtu": quote "web" is a flow of the other address family than client 2001:db8:ff::1`},
		{"duplicate names", []Flow{tcp, with(udp, func(f *Flow) { f.Name = "web" })}, "name",
			`flow "web": name "web" is used by flow 1 too; flow names must be unique`},
		{"script out of order", []Flow{with(tcp, func(f *Flow) { f.Script = []Step{{At: time.Second}, {At: 0}} })}, "script[1].at",
			`flow "web": script[1].at 0s is before the previous step's 1s: steps must be in time order`},
		{"script bad from", []Flow{with(tcp, func(f *Flow) { f.Script = []Step{{From: "router"}} })}, "script[0].from",
			`flow "web": script[0].from "router" is invalid (client, server)`},
		{"script flags on udp", []Flow{with(udp, func(f *Flow) { f.Script = []Step{{Flags: packet.SYN}} })}, "script[0].flags",
			`flow "dns": script[0].flags is not used by udp flows`},
		{"script segment above mss", []Flow{with(tcp, func(f *Flow) { f.Script = []Step{{Bytes: 2000}} })}, "script[0].bytes",
			`flow "web": script[0].bytes 2000 is outside 0–1460`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.flows, 1)
			if err == nil {
				t.Fatalf("New succeeded, want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("err:\n%s\nwant:\n%s", err, tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("err %#v: want *FieldError with Field %q", err, tt.field)
			}
		})
	}
}

// TestLimits checks that flows asking for more than the packet limit fail
// with an error naming the flow and session instead of exhausting memory
// (huge keepalive counts stop at the limit too), and that times too far in
// the future fail instead of overflowing.
func TestLimits(t *testing.T) {
	tests := []struct {
		name string
		flow Flow
		want string
	}{
		{"many sessions", Flow{Name: "web", Kind: TCP, Client: cli4, Server: srv4, DstPort: 80, Count: 1000},
			`flow "web": the flows make more than 100 packets (at flow "web" session 13)`},
		{"keepalive every nanosecond", Flow{Name: "ka", Kind: TCP, Client: cli4, Server: srv4, DstPort: 80,
			Idle: 432000 * time.Second, Keepalive: 1}, `flow "ka": the flows make more than 100 packets (at flow "ka" session 1)`},
		{"session start overflows", Flow{Name: "far", Kind: UDP, Client: cli4, Server: srv4, DstPort: 53,
			Start: maxStart - 1, Count: 2, Every: maxDuration}, `flow "far": session 2 starts at 1601279h52m3.034234879s, too far in the future (count 2, every 320255h58m24.606846976s)`},
		{"session runs too long", Flow{Name: "long", Kind: TCP, Client: cli4, Server: srv4, DstPort: 80,
			Exchanges: 8, Think: maxDuration}, `flow "long": session 1 runs past 1281023h53m38.427387904s: too far in the future`},
		{"duration too large", Flow{Name: "rtt", Kind: TCP, Client: cli4, Server: srv4, DstPort: 80,
			RTT: maxDuration + 1}, `flow "rtt": rtt 320255h58m24.606846977s is more than 320255h58m24.606846976s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newGenerator([]Flow{tt.flow}, 1, 100)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestKindNames checks that every kind's name parses back to it.
func TestKindNames(t *testing.T) {
	for k := TCP; k <= Other; k++ {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	if _, err := ParseKind("sctp"); err == nil {
		t.Error(`ParseKind("sctp") succeeded, want an error`)
	}
	if got := Kind(0).String(); got != "kind(0)" {
		t.Errorf("Kind(0).String() = %q", got)
	}
}
