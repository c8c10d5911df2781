package synth

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// FieldError is a problem with one field of one flow. Field is the field's
// snake_case name as a scenario file spells it ("dst_port",
// "client.os", "script[2].from"), so that a caller holding the file's
// positions can point at the right key; Msg is the whole message, starting
// with that name.
type FieldError struct {
	Flow  string
	Field string
	Msg   string
}

// Error formats e as `flow "dns": dst_port is required for udp flows`.
func (e *FieldError) Error() string { return fmt.Sprintf("flow %q: %s", e.Flow, e.Msg) }

func (f *Flow) errorf(field, format string, args ...any) error {
	return &FieldError{Flow: f.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Limits on sizes, so that a typo cannot ask for terabytes of packets.
const (
	// MaxPackets is the most packets one Generator holds (all flows).
	MaxPackets = 4 << 20
	// MaxTCPBytes is the largest TCP request or response payload.
	MaxTCPBytes = 1 << 30
	// MaxDatagramBytes is the largest UDP, ICMP or other-protocol payload
	// (an IPv4 datagram of 65535 bytes less its headers).
	MaxDatagramBytes = 65507
	// maxStart bounds session start times (about 146 years) so that
	// adding the session's own durations cannot overflow.
	maxStart = time.Duration(1 << 62)
	// maxDuration bounds every duration field (about 36 years).
	maxDuration = time.Duration(1 << 60)
)

// icmpErrors maps Flow.Error names to ICMP (v4) and ICMPv6 type/code.
var icmpErrors = []struct {
	name           string
	t4, c4, t6, c6 uint8
}{
	{"admin-prohibited", 3, 13, 1, 1},
	{"frag-needed", 3, 4, 2, 0},
	{"host-unreachable", 3, 1, 1, 3},
	{"packet-too-big", 3, 4, 2, 0},
	{"port-unreachable", 3, 3, 1, 4},
	{"time-exceeded", 11, 0, 3, 0},
}

// ICMPErrorNames returns the names Flow.Error accepts, sorted.
func ICMPErrorNames() []string {
	names := make([]string, len(icmpErrors))
	for i, e := range icmpErrors {
		names[i] = e.name
	}
	return names
}

// ICMPErrorCode returns the type and code of the named ICMP error
// (Flow.Error) for IPv4 (ICMP) or IPv6 (ICMPv6).
func ICMPErrorCode(name string, v6 bool) (typ, code uint8, ok bool) {
	for _, e := range icmpErrors {
		if e.name == name {
			if v6 {
				return e.t6, e.c6, true
			}
			return e.t4, e.c4, true
		}
	}
	return 0, 0, false
}

func isICMPErrorType(v6 bool, typ uint8) bool {
	p := packet.Packet{Proto: packet.ProtoICMP, ICMPType: typ}
	if v6 {
		p.Proto = packet.ProtoICMPv6
	}
	return p.IsICMPError()
}

// hasPorts reports whether flows of f's kind and protocol carry ports.
func (f *Flow) hasPorts() bool {
	switch f.Kind {
	case TCP, UDP:
		return true
	case Other:
		return packet.HasPorts(f.Proto)
	}
	return false
}

// is6 reports whether the flow is IPv6, decided by the client's address.
func (f *Flow) is6() bool { return f.Client.Addr.Unmap().Is6() }

// Validate checks the fields of f that f alone decides: required fields,
// ranges, and fields set that f's Kind doesn't use. Cross-flow checks (a
// unique Name, Quote naming a flow, the family of an ICMP error's target)
// happen in New. Errors are *FieldError.
func (f *Flow) Validate() error {
	if f.Name == "" {
		return f.errorf("name", "name is required")
	}
	if f.Kind == 0 {
		return f.errorf("kind", "kind is required (tcp, udp, icmp-echo, icmp-error, other)")
	}
	if f.Kind > Other {
		return f.errorf("kind", "kind %d is invalid (tcp, udp, icmp-echo, icmp-error, other)", uint8(f.Kind))
	}
	if err := f.validateEndpoints(); err != nil {
		return err
	}
	if err := f.validateUnused(); err != nil {
		return err
	}
	if err := f.validateNumbers(); err != nil {
		return err
	}
	if err := f.validateKind(); err != nil {
		return err
	}
	return f.validateScript()
}

func (f *Flow) validateEndpoints() error {
	c := &f.Client
	if !c.Addr.IsValid() {
		return f.errorf("client.addr", "client.addr is required")
	}
	if c.OS != "" {
		if _, ok := packet.EphemeralRange(c.OS); !ok {
			return f.errorf("client.os", "client.os %q is unknown (valid: %s)", c.OS, strings.Join(packet.OSProfiles(), ", "))
		}
	}
	if c.Ports != (packet.PortRange{}) {
		if c.Ports.Lo == 0 || c.Ports.Lo > c.Ports.Hi {
			return f.errorf("client.ports", "client.ports %d-%d is not a range of ports 1–65535 with lo ≤ hi", c.Ports.Lo, c.Ports.Hi)
		}
	}
	if f.Kind == ICMPError {
		if f.Server != (Endpoint{}) {
			return f.errorf("server", "server is not used by icmp-error flows: the error goes to an endpoint of the quoted flow (quote, quote_to)")
		}
		return nil
	}
	if !f.Server.Addr.IsValid() {
		return f.errorf("server.addr", "server.addr is required")
	}
	if f.Client.Addr.Unmap().Is4() != f.Server.Addr.Unmap().Is4() {
		return f.errorf("server.addr", "client %s and server %s are of different address families", c.Addr, f.Server.Addr)
	}
	return nil
}

// validateUnused rejects fields that f's Kind doesn't use, so that a
// mistake in a spec is reported rather than silently ignored.
func (f *Flow) validateUnused() error {
	k := f.Kind
	tcp, icmpErr := k == TCP, k == ICMPError
	reqResp := k == UDP || k == ICMPEcho || k == Other
	checks := []struct {
		set     bool
		allowed bool
		field   string
		hint    string
	}{
		{f.SrcPort != 0, f.hasPorts(), "src_port", ""},
		{f.DstPort != 0, f.hasPorts(), "dst_port", ""},
		{f.Exchanges != 0, tcp, "exchanges", "; udp, icmp-echo and other flows use requests"},
		{f.Requests != 0, reqResp, "requests", "; tcp flows use exchanges"},
		{f.RequestBytes != 0, !icmpErr, "request_bytes", ""},
		{f.ResponseBytes != 0, !icmpErr && k != ICMPEcho, "response_bytes", ""},
		{f.Think != 0, !icmpErr, "think", ""},
		{f.Idle != 0, !icmpErr, "idle", ""},
		{f.RTT != 0, !icmpErr, "rtt", ""},
		{f.Keepalive != 0, tcp, "keepalive", ""},
		{f.Close != "", tcp, "close", ""},
		{f.NoReply, !icmpErr, "no_reply", ""},
		{f.ID != 0, k == ICMPEcho, "id", ""},
		{f.Error != "", icmpErr, "error", ""},
		{f.ICMPType != 0, icmpErr, "icmp_type", ""},
		{f.ICMPCode != 0, icmpErr, "icmp_code", ""},
		{f.Quote != "", icmpErr, "quote", ""},
		{f.QuoteTo != "", icmpErr, "quote_to", ""},
		{f.Proto != 0, k == Other, "proto", ""},
		{len(f.Script) != 0, !icmpErr, "script", ""},
	}
	for _, c := range checks {
		if c.set && !c.allowed {
			what := k.String() + " flows"
			if k == Other {
				what = "other flows of protocol " + packet.ProtoName(f.Proto)
			}
			return f.errorf(c.field, "%s is not used by %s%s", c.field, what, c.hint)
		}
	}
	return nil
}

func (f *Flow) validateNumbers() error {
	durations := []struct {
		d     time.Duration
		field string
	}{
		{f.Start, "start"}, {f.Every, "every"}, {f.RTT, "rtt"}, {f.Think, "think"},
		{f.Idle, "idle"}, {f.Keepalive, "keepalive"},
	}
	for _, d := range durations {
		if d.d < 0 {
			return f.errorf(d.field, "%s %s is negative", d.field, d.d)
		}
		if d.d > maxDuration && d.field != "start" {
			return f.errorf(d.field, "%s %s is more than %s", d.field, d.d, maxDuration)
		}
	}
	if f.Start >= maxStart {
		return f.errorf("start", "start %s is too far in the future", f.Start)
	}
	ints := []struct {
		n     int
		field string
	}{
		{f.Count, "count"}, {f.Exchanges, "exchanges"}, {f.Requests, "requests"},
		{f.RequestBytes, "request_bytes"}, {f.ResponseBytes, "response_bytes"},
	}
	for _, n := range ints {
		if n.n < 0 {
			return f.errorf(n.field, "%s %d is negative", n.field, n.n)
		}
	}
	if f.Count > MaxPackets {
		return f.errorf("count", "count %d is more than %d sessions", f.Count, MaxPackets)
	}
	maxBytes := MaxDatagramBytes
	if f.Kind == TCP {
		maxBytes = MaxTCPBytes
	}
	if f.RequestBytes > maxBytes {
		return f.errorf("request_bytes", "request_bytes %d is more than %d", f.RequestBytes, maxBytes)
	}
	if f.ResponseBytes > maxBytes {
		return f.errorf("response_bytes", "response_bytes %d is more than %d", f.ResponseBytes, maxBytes)
	}
	return nil
}

func (f *Flow) validateKind() error {
	switch f.Kind {
	case TCP:
		if f.DstPort == 0 {
			return f.errorf("dst_port", "dst_port is required for tcp flows")
		}
		switch f.Close {
		case "", CloseFIN, CloseRST, CloseNone:
		default:
			return f.errorf("close", "close %q is invalid (fin, rst, none)", f.Close)
		}
		if f.Keepalive != 0 && f.Idle == 0 {
			return f.errorf("keepalive", "keepalive needs idle > 0: keepalives are sent during the idle gap")
		}
	case UDP, ICMPEcho, Other:
		if f.Idle != 0 && f.Requests < 2 && len(f.Script) == 0 {
			return f.errorf("idle", "idle needs requests ≥ 2: it is the pause before the last request")
		}
		if f.Kind == Other {
			switch f.Proto {
			case 0:
				return f.errorf("proto", "proto is required for other flows (for example 47 gre, 50 esp, 132 sctp)")
			case packet.ProtoTCP, packet.ProtoUDP, packet.ProtoICMP, packet.ProtoICMPv6:
				return f.errorf("proto", "proto %d is %s: use kind %s", f.Proto, packet.ProtoName(f.Proto), otherKindFor(f.Proto))
			}
		}
		if f.hasPorts() && f.DstPort == 0 {
			return f.errorf("dst_port", "dst_port is required for %s flows", packet.ProtoName(f.proto()))
		}
	case ICMPError:
		if f.Quote == "" {
			return f.errorf("quote", "quote is required for icmp-error flows: the name of the flow whose packet the error quotes")
		}
		if f.Quote == f.Name {
			return f.errorf("quote", "quote %q names the icmp-error flow itself", f.Quote)
		}
		switch f.QuoteTo {
		case "", QuoteToClient, QuoteToServer:
		default:
			return f.errorf("quote_to", "quote_to %q is invalid (client, server)", f.QuoteTo)
		}
		if f.Error != "" {
			if _, _, ok := ICMPErrorCode(f.Error, false); !ok {
				return f.errorf("error", "error %q is unknown (valid: %s)", f.Error, strings.Join(ICMPErrorNames(), ", "))
			}
			if f.ICMPType != 0 || f.ICMPCode != 0 {
				return f.errorf("icmp_type", "icmp_type and icmp_code must be unset when error %q names the message", f.Error)
			}
		} else if f.ICMPType != 0 && !isICMPErrorType(f.is6(), f.ICMPType) {
			valid := "3, 4, 5, 11, 12"
			if f.is6() {
				valid = "1, 2, 3, 4"
			}
			return f.errorf("icmp_type", "icmp_type %d is not an %s error type (valid: %s)", f.ICMPType, packet.ProtoName(f.proto()), valid)
		} else if f.ICMPType == 0 && f.ICMPCode != 0 {
			return f.errorf("icmp_code", "icmp_code %d needs icmp_type", f.ICMPCode)
		}
	}
	return nil
}

func otherKindFor(proto uint8) string {
	switch proto {
	case packet.ProtoTCP:
		return "tcp"
	case packet.ProtoUDP:
		return "udp"
	}
	return "icmp-echo or icmp-error"
}

func (f *Flow) validateScript() error {
	var prev time.Duration
	for i := range f.Script {
		s := &f.Script[i]
		field := fmt.Sprintf("script[%d]", i)
		if s.At < 0 {
			return f.errorf(field+".at", "%s.at %s is negative", field, s.At)
		}
		if s.At < prev {
			return f.errorf(field+".at", "%s.at %s is before the previous step's %s: steps must be in time order", field, s.At, prev)
		}
		if s.At >= maxStart {
			return f.errorf(field+".at", "%s.at %s is too far in the future", field, s.At)
		}
		prev = s.At
		switch s.From {
		case "", FromClient, FromServer:
		default:
			return f.errorf(field+".from", "%s.from %q is invalid (client, server)", field, s.From)
		}
		if s.Flags != 0 && f.Kind != TCP {
			return f.errorf(field+".flags", "%s.flags is not used by %s flows", field, f.Kind)
		}
		maxBytes := MaxDatagramBytes
		if f.Kind == TCP {
			maxBytes = f.mss()
		}
		if s.Bytes < 0 || s.Bytes > maxBytes {
			return f.errorf(field+".bytes", "%s.bytes %d is outside 0–%d", field, s.Bytes, maxBytes)
		}
	}
	return nil
}

// proto returns the IP protocol number f's packets carry (for ICMP errors
// and echo: ICMP or ICMPv6 by family).
func (f *Flow) proto() uint8 {
	switch f.Kind {
	case TCP:
		return packet.ProtoTCP
	case UDP:
		return packet.ProtoUDP
	case ICMPEcho, ICMPError:
		if f.is6() {
			return packet.ProtoICMPv6
		}
		return packet.ProtoICMP
	}
	return f.Proto
}

// mss is the TCP maximum segment size for a 1500-byte MTU.
func (f *Flow) mss() int {
	if f.is6() {
		return 1440
	}
	return 1460
}
