package conntrack

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// Timeouts holds one idle timeout per tracked TCP state or flow class. An
// entry whose last packet was at L, with idle timeout T for its current
// state, has expired at every time t ≥ L+T (see Table).
//
// Only TCPEstablished, UDP and UDPStream are documented and configurable
// on AWS (ConnectionTrackingSpecification, SPEC.md §2.4); Other is
// documented but fixed. Everything else is UNDOCUMENTED by AWS and takes
// Linux netfilter's default (SPEC.md §5.1), which is an assumption of this
// simulator, not an AWS fact. All fields are configurable here.
//
// The zero Timeouts is not valid; NewTable replaces a zero Timeouts in its
// Config by DefaultTimeouts.
type Timeouts struct {
	// TCPEstablished: AWS TcpEstablishedTimeout, 432000 s by default,
	// 350 s on Nitro v6 instance types (excluding P6e-GB200); 60–432000 s
	// (SPEC.md §2.4; EC2-API-CTS, EC2-API-CTC-NEW, AWS-BLOG-TCP).
	TCPEstablished time.Duration
	// TCPSynSent: undocumented by AWS; Linux tcp_timeout_syn_sent 120 s
	// (SPEC.md §5.1, LNX-CT-DOC). Also used for SYN_SENT2 (simultaneous
	// open), whose Linux timeout is the same 2 minutes (LNX-TCP).
	TCPSynSent time.Duration
	// TCPSynRecv: undocumented by AWS; Linux tcp_timeout_syn_recv 60 s
	// (SPEC.md §5.1).
	TCPSynRecv time.Duration
	// TCPFinWait: undocumented by AWS; Linux tcp_timeout_fin_wait 120 s
	// (SPEC.md §5.1).
	TCPFinWait time.Duration
	// TCPCloseWait: undocumented by AWS; Linux tcp_timeout_close_wait 60 s
	// (SPEC.md §5.1).
	TCPCloseWait time.Duration
	// TCPLastAck: undocumented by AWS; Linux tcp_timeout_last_ack 30 s
	// (SPEC.md §5.1).
	TCPLastAck time.Duration
	// TCPTimeWait: undocumented by AWS; Linux tcp_timeout_time_wait 120 s
	// (SPEC.md §5.1).
	TCPTimeWait time.Duration
	// TCPClose: undocumented by AWS; Linux tcp_timeout_close 10 s
	// (SPEC.md §5.1).
	TCPClose time.Duration
	// UDP: AWS UdpTimeout, for "idle UDP flows that have seen traffic only
	// in a single direction or a single request-response transaction",
	// 30 s, 30–60 s (SPEC.md §2.4, EC2-API-CTS). Linux udp_timeout is also
	// 30 s (§5.1).
	UDP time.Duration
	// UDPStream: AWS UdpStreamTimeout, for flows that "have seen more than
	// one request-response transaction", 180 s, 60–180 s (SPEC.md §2.4).
	// Linux udp_timeout_stream is 120 s today (§5.1; LinuxTimeouts).
	UDPStream time.Duration
	// ICMP: undocumented by AWS ("ICMP traffic is always tracked", CT8, no
	// timeout stated); Linux icmp_timeout 30 s (SPEC.md §5.1).
	ICMP time.Duration
	// Other: protocols other than TCP, UDP and ICMP, keyed by addresses and
	// protocol: 600 s, not configurable on AWS (SPEC.md §2.1 CT3, §2.4);
	// Linux generic_timeout is also 600 s (§5.1).
	Other time.Duration
}

// AWS's configurable ranges (SPEC.md §2.4).
const (
	minTCPEstablished = 60 * time.Second
	maxTCPEstablished = 432000 * time.Second
	minUDP            = 30 * time.Second
	maxUDP            = 60 * time.Second
	minUDPStream      = 60 * time.Second
	maxUDPStream      = 180 * time.Second
	// nitroV6TCPEstablished is the TcpEstablishedTimeout default on Nitro
	// v6 instance types excluding P6e-GB200 (SPEC.md §2.4, AWS-BLOG-TCP).
	nitroV6TCPEstablished = 350 * time.Second
)

// DefaultTimeouts returns AWS's defaults for an instance that is not Nitro
// v6, with Linux's defaults where AWS documents none (SPEC.md §2.4, §5.1).
func DefaultTimeouts() Timeouts {
	return Timeouts{
		TCPEstablished: maxTCPEstablished, // §2.4: 432000 s (5 days), EC2-API-CTS
		TCPSynSent:     120 * time.Second, // §5.1: Linux tcp_timeout_syn_sent (AWS: undocumented)
		TCPSynRecv:     60 * time.Second,  // §5.1: Linux tcp_timeout_syn_recv (AWS: undocumented)
		TCPFinWait:     120 * time.Second, // §5.1: Linux tcp_timeout_fin_wait (AWS: undocumented)
		TCPCloseWait:   60 * time.Second,  // §5.1: Linux tcp_timeout_close_wait (AWS: undocumented)
		TCPLastAck:     30 * time.Second,  // §5.1: Linux tcp_timeout_last_ack (AWS: undocumented)
		TCPTimeWait:    120 * time.Second, // §5.1: Linux tcp_timeout_time_wait (AWS: undocumented)
		TCPClose:       10 * time.Second,  // §5.1: Linux tcp_timeout_close (AWS: undocumented)
		UDP:            minUDP,            // §2.4: UdpTimeout 30 s, EC2-API-CTS
		UDPStream:      maxUDPStream,      // §2.4: UdpStreamTimeout 180 s, EC2-API-CTS
		ICMP:           30 * time.Second,  // §5.1: Linux icmp_timeout (AWS: undocumented, CT8)
		Other:          600 * time.Second, // §2.1 CT3: "within 600 seconds", EC2-CT-2023
	}
}

// LinuxTimeouts returns Linux netfilter's defaults (SPEC.md §5.1), for the
// Linux comparison profile: as DefaultTimeouts but UDPStream 120 s
// (current udp_timeout_stream; 180 s in Linux 3.0.8).
func LinuxTimeouts() Timeouts {
	t := DefaultTimeouts()
	t.UDPStream = 120 * time.Second
	return t
}

// NitroV6 is the profile name TimeoutsFor accepts for a Nitro v6 instance.
const NitroV6 = "nitro-v6"

// TimeoutsFor returns the defaults for an instance profile. "nitro-v6"
// (any case) gives TCPEstablished 350 s, the default "for Nitro v6 instance
// types (excluding P6e-GB200)" (SPEC.md §2.4, EC2-API-CTC-NEW,
// AWS-BLOG-TCP); anything else gives DefaultTimeouts (432000 s).
//
// SPEC.md names no instance families, so this function maps none: whether
// an instance type is Nitro v6 is the user's to state, by writing
// "nitro-v6" as its profile.
func TimeoutsFor(instanceType string) Timeouts {
	t := DefaultTimeouts()
	if strings.EqualFold(strings.TrimSpace(instanceType), NitroV6) {
		t.TCPEstablished = nitroV6TCPEstablished
	}
	return t
}

// RangeError reports a timeout outside the range AWS accepts, or a
// non-positive timeout for a field AWS does not configure (then Max is 0
// and AWSName is empty).
type RangeError struct {
	Field    string        // the field's snake_case name: "udp_timeout"
	Value    time.Duration // the rejected value
	Min, Max time.Duration // AWS's range, inclusive; both 0 for a field AWS does not configure
	AWSName  string        // the AWS API member: "UdpTimeout"
}

// Error formats the error as
// "udp_timeout 20s is outside 30s–60s (AWS UdpTimeout)".
func (e *RangeError) Error() string {
	if e.Max == 0 {
		return fmt.Sprintf("%s %s must be positive", e.Field, packet.FormatSeconds(e.Value))
	}
	return fmt.Sprintf("%s %s is outside %s–%s (AWS %s)", e.Field, packet.FormatSeconds(e.Value),
		packet.FormatSeconds(e.Min), packet.FormatSeconds(e.Max), e.AWSName)
}

// Validate checks the AWS-configurable fields against AWS's ranges
// (SPEC.md §2.4: TCP established 60–432000 s, UDP 30–60 s, UDP stream
// 60–180 s) and every other field for being positive. It returns the first
// violation, in field order, as a *RangeError.
func (t Timeouts) Validate() error {
	ranged := []struct {
		name, aws string
		v, lo, hi time.Duration
	}{
		{"tcp_established_timeout", "TcpEstablishedTimeout", t.TCPEstablished, minTCPEstablished, maxTCPEstablished},
		{"udp_timeout", "UdpTimeout", t.UDP, minUDP, maxUDP},
		{"udp_stream_timeout", "UdpStreamTimeout", t.UDPStream, minUDPStream, maxUDPStream},
	}
	for _, r := range ranged {
		if r.v < r.lo || r.v > r.hi {
			return &RangeError{Field: r.name, Value: r.v, Min: r.lo, Max: r.hi, AWSName: r.aws}
		}
	}
	positive := []struct {
		name string
		v    time.Duration
	}{
		{"tcp_syn_sent_timeout", t.TCPSynSent},
		{"tcp_syn_recv_timeout", t.TCPSynRecv},
		{"tcp_fin_wait_timeout", t.TCPFinWait},
		{"tcp_close_wait_timeout", t.TCPCloseWait},
		{"tcp_last_ack_timeout", t.TCPLastAck},
		{"tcp_time_wait_timeout", t.TCPTimeWait},
		{"tcp_close_timeout", t.TCPClose},
		{"icmp_timeout", t.ICMP},
		{"other_timeout", t.Other},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return &RangeError{Field: p.name, Value: p.v}
		}
	}
	return nil
}

// ForState returns the idle timeout of a TCP state (for reports: an
// expired Match names the state its entry was in).
func (t *Timeouts) ForState(s State) time.Duration {
	switch s {
	case StateSynSent, StateSynSent2:
		return t.TCPSynSent
	case StateSynRecv:
		return t.TCPSynRecv
	case StateEstablished:
		return t.TCPEstablished
	case StateFinWait:
		return t.TCPFinWait
	case StateCloseWait:
		return t.TCPCloseWait
	case StateLastAck:
		return t.TCPLastAck
	case StateTimeWait:
		return t.TCPTimeWait
	}
	return t.TCPClose // StateClose, and StateNone, which no entry holds
}

// deadline returns last+d, saturating at packet.Never.
func deadline(last packet.Time, d time.Duration) packet.Time {
	if d >= 0 && last > packet.Never-packet.Time(d) {
		return packet.Never
	}
	return last + packet.Time(d)
}
