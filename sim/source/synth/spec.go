package synth

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// Kind is the traffic pattern a [Flow] generates. The zero Kind is invalid:
// every flow must say what it is.
type Kind uint8

// Flow kinds.
const (
	// TCP is a TCP session: three-way handshake, request/response
	// exchanges, optional idle gap with keepalives, and a FIN, RST or no
	// close.
	TCP Kind = iota + 1
	// UDP is a run of UDP requests, each answered by the server unless
	// NoReply (DNS and NTP: one request; syslog: a stream with NoReply).
	UDP
	// ICMPEcho is a ping: echo requests answered by echo replies (ICMP
	// 8/0, or ICMPv6 128/129 when the addresses are IPv6).
	ICMPEcho
	// ICMPError is one ICMP error message per session (frag-needed,
	// port-unreachable, …) sent by Client to an endpoint of another flow,
	// quoting that flow's tuple.
	ICMPError
	// Other is any other IP protocol by number (GRE 47, ESP 50, SCTP 132):
	// requests and replies as for UDP, with ports only when the protocol
	// has them (SCTP).
	Other
)

var kindNames = [...]string{"", "tcp", "udp", "icmp-echo", "icmp-error", "other"}

// String returns the kind's name: "tcp", "udp", "icmp-echo", "icmp-error",
// "other", or "kind(N)" for an invalid value.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind returns the Kind named s (as Kind.String spells it).
func ParseKind(s string) (Kind, error) {
	for i := 1; i < len(kindNames); i++ {
		if kindNames[i] == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown flow kind %q (valid: tcp, udp, icmp-echo, icmp-error, other)", s)
}

// How a TCP session ends (Flow.Close).
const (
	// CloseFIN: the client sends F. (acknowledging the last response), the
	// server answers F., the client ACKs. The default.
	CloseFIN = "fin"
	// CloseRST: the client aborts with R. after the last response.
	CloseRST = "rst"
	// CloseNone: the client ACKs the last response and the session simply
	// stops, leaving the connection established (and tracked) until it
	// times out.
	CloseNone = "none"
)

// Which endpoint of the quoted flow an ICMP error is sent to (Flow.QuoteTo).
const (
	// QuoteToClient sends the error to the quoted flow's client; the
	// quoted tuple is client→server (as if the client's packet was too big
	// or unreachable). The default.
	QuoteToClient = "client"
	// QuoteToServer sends the error to the quoted flow's server; the
	// quoted tuple is server→client.
	QuoteToServer = "server"
)

// Step endpoints (Step.From).
const (
	FromClient = "client"
	FromServer = "server"
)

// Endpoint is one end of a flow: a host's address and, for a client, where
// its source ports come from. The zero Endpoint is invalid (no address).
type Endpoint struct {
	// Name is the host's name, used in error messages only ("" is fine).
	Name string
	// Addr is the host's address; the client's and the server's must be of
	// the same family, which decides IPv4 or IPv6 for the flow.
	Addr netip.Addr
	// OS is the client's OS profile naming its ephemeral port range
	// (SPEC.md §4; one of packet.OSProfiles()). "" means "linux". Ignored
	// for servers and when Ports is set.
	OS string
	// Ports is a custom ephemeral range that overrides OS; the zero value
	// means "the OS profile's range". Lo must be ≥ 1 and ≤ Hi.
	Ports packet.PortRange
	// Sequential makes the client allocate source ports one after another
	// from the range's Lo (one counter per client address, shared by all
	// its flows, in time order) instead of at random. ICMP echo
	// identifiers are always drawn at random.
	Sequential bool
}

// Step is one packet of a scripted session (Flow.Script), for teaching
// timelines where the generated pattern won't do. Seq and Ack numbers are
// computed as a TCP stack would: SYN and FIN count one, payload counts its
// bytes, and Ack is the peer's next sequence number when Flags has ACK.
type Step struct {
	// At is the time of the packet from the session's start; steps must be
	// in non-decreasing At order.
	At time.Duration
	// From is "client" (the default when "") or "server".
	From string
	// Flags are the TCP flags (TCP flows only; must be zero otherwise).
	Flags packet.TCPFlags
	// Bytes is the payload size in bytes (0 is a bare header). For ICMP
	// echo it is the echo payload: client steps are requests, server steps
	// replies.
	Bytes int
}

// Flow is the spec of one named piece of traffic: Count sessions of one
// Kind between Client and Server. Every field's zero value means "the
// default" as documented on the field; fields that don't apply to the Kind
// must be left zero (Validate says which one isn't).
//
// Default payload sizes by kind (RequestBytes / ResponseBytes): TCP
// 100/1000, UDP 64/128, ICMP echo 56/56 (the reply echoes the request),
// Other 100/100.
type Flow struct {
	// Name identifies the flow in reports, expectations and Quote. It must
	// be non-empty and unique among the flows given to New.
	Name string
	// Kind is the traffic pattern (required).
	Kind Kind
	// Client starts each session; for ICMPError it is the sender of the
	// error (a router, say 192.0.2.1).
	Client Endpoint
	// Server answers; unused (zero) for ICMPError.
	Server Endpoint
	// SrcPort is the client's source port for TCP, UDP and SCTP. 0 means
	// "allocate one per session from the client's range" (random with the
	// seed, or sequential); a port is not reused while another session of
	// the same client, server, protocol and destination port is using it,
	// and not at all while unused ports remain. A fixed SrcPort is used by
	// every session as is.
	SrcPort uint16
	// DstPort is the server's port: required for TCP, UDP and SCTP.
	DstPort uint16
	// Start is the time the first session starts.
	Start time.Duration
	// Count is the number of sessions (0 means 1).
	Count int
	// Every is the gap between session starts (0 means 1 s); with Poisson
	// it is the mean of exponentially distributed gaps (a Poisson arrival
	// process of rate 1/Every). The first session always starts at Start.
	Every time.Duration
	// Poisson draws the gaps between session starts from an exponential
	// distribution with mean Every, using the seed.
	Poisson bool

	// Exchanges is the number of request/response exchanges in a TCP
	// session after the handshake (0 means 1).
	Exchanges int
	// Requests is the number of requests in a UDP, ICMP echo or Other
	// session (0 means 1); each is answered RTT later unless NoReply. Two
	// or more answered requests make a UDP "stream" (SPEC.md §2.4).
	Requests int
	// RequestBytes is the payload of each request (0 means the kind's
	// default; TCP payloads above the MSS are split into segments).
	RequestBytes int
	// ResponseBytes is the payload of each response (0 means the kind's
	// default). Unused for ICMP echo, whose replies echo the request.
	ResponseBytes int
	// RTT is the reply delay: each answer is sent RTT after the packet it
	// answers (0 means 10 ms).
	RTT time.Duration
	// Think is the pause between the end of one exchange and the next
	// request (0 means 1 s).
	Think time.Duration
	// Idle replaces Think before the last exchange, so that the flow sits
	// idle across a timeout. A TCP session with one exchange idles between
	// the handshake and the exchange; other kinds need Requests ≥ 2.
	Idle time.Duration
	// Keepalive, for TCP, sends a keepalive probe (the client's ".",
	// answered by the server's ".") every Keepalive during Idle; 0 means
	// none.
	Keepalive time.Duration
	// Close is how a TCP session ends: CloseFIN ("fin", the default when
	// ""), CloseRST ("rst") or CloseNone ("none").
	Close string
	// NoReply makes the server silent: UDP/Other requests and echo
	// requests go unanswered, and a TCP session is a lone SYN.
	NoReply bool

	// ID is the ICMP echo identifier; 0 means "a seeded random identifier
	// per session", kept apart from identifiers in use like ports.
	ID uint16

	// Error names an ICMP error for ICMPError flows, chosen per family:
	// "frag-needed" (ICMP 3/4; ICMPv6 2/0 packet-too-big, also accepted as
	// "packet-too-big"), "port-unreachable" (3/3; v6 1/4),
	// "host-unreachable" (3/1; v6 1/3), "admin-prohibited" (3/13; v6 1/1),
	// "time-exceeded" (11/0; v6 3/0). "" with ICMPType 0 means
	// "frag-needed".
	Error string
	// ICMPType and ICMPCode give the error's type and code directly when
	// Error is ""; the type must be an error type (ICMP 3, 4, 5, 11, 12;
	// ICMPv6 1–4).
	ICMPType, ICMPCode uint8
	// Quote names the flow whose tuple an ICMPError quotes (required for
	// ICMPError). Session i of the error quotes session i of the quoted
	// flow, or its last session when it has fewer.
	Quote string
	// QuoteTo is which end of the quoted flow receives the error:
	// QuoteToClient ("client", the default when "") or QuoteToServer.
	QuoteTo string

	// Proto is the IP protocol number of an Other flow (required; not
	// TCP, UDP, ICMP or ICMPv6, which have kinds of their own).
	Proto uint8

	// Script, when non-empty, replaces the generated pattern of each
	// session with these packets (TCP, UDP, ICMP echo and Other flows).
	// RequestBytes, Exchanges, Requests, Idle and the like are then unused.
	Script []Step
}

// FlowInfo describes one generated session.
type FlowInfo struct {
	// Name is the flow's name (shared by all its sessions).
	Name string
	// Flow is the flow's index in the slice given to New.
	Flow int
	// Session is the 0-based session index within the flow.
	Session int
	// Kind is the flow's kind.
	Kind Kind
	// Tuple is the session's tuple in the client→server direction (for an
	// ICMP error: sender→receiver, with zero ports), as packet.Tuple()
	// returns it for the client's packets.
	Tuple packet.Tuple
	// Start and End are the times of the session's first and last packets.
	Start, End packet.Time
	// Packets is the number of packets the session sends, both ways.
	Packets int
}
