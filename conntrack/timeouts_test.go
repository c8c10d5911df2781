package conntrack

import (
	"errors"
	"testing"
	"time"
)

// TestDefaultTimeoutsFollowAWSThenLinux checks every default against
// SPEC.md §2.4 (AWS) and §5.1 (Linux, for what AWS does not document).
func TestDefaultTimeoutsFollowAWSThenLinux(t *testing.T) {
	d := DefaultTimeouts()
	tests := []struct {
		name string
		got  time.Duration
		want int
	}{
		{"TCPEstablished (§2.4)", d.TCPEstablished, 432000},
		{"UDP (§2.4)", d.UDP, 30},
		{"UDPStream (§2.4)", d.UDPStream, 180},
		{"Other (CT3)", d.Other, 600},
		{"ICMP (§5.1 icmp_timeout)", d.ICMP, 30},
		{"TCPSynSent (§5.1)", d.TCPSynSent, 120},
		{"TCPSynRecv (§5.1)", d.TCPSynRecv, 60},
		{"TCPFinWait (§5.1)", d.TCPFinWait, 120},
		{"TCPCloseWait (§5.1)", d.TCPCloseWait, 60},
		{"TCPLastAck (§5.1)", d.TCPLastAck, 30},
		{"TCPTimeWait (§5.1)", d.TCPTimeWait, 120},
		{"TCPClose (§5.1)", d.TCPClose, 10},
	}
	for _, tc := range tests {
		if tc.got != sec(tc.want) {
			t.Errorf("%s = %v, want %ds", tc.name, tc.got, tc.want)
		}
	}
	if err := d.Validate(); err != nil {
		t.Errorf("DefaultTimeouts().Validate() = %v", err)
	}
	if l := LinuxTimeouts(); l.UDPStream != sec(120) || l.Validate() != nil {
		t.Errorf("LinuxTimeouts().UDPStream = %v (valid: %v), want 120s (§5.1)", l.UDPStream, l.Validate())
	}
}

// TestTimeoutsForNitroV6 checks the 350 s established default on Nitro v6
// (SPEC.md §2.4, §7 item 1) and 432000 s elsewhere.
func TestTimeoutsForNitroV6(t *testing.T) {
	tests := []struct {
		profile string
		want    int
	}{
		{"nitro-v6", 350},
		{"Nitro-V6", 350},
		{" nitro-v6 ", 350},
		{"", 432000},
		{"m5.large", 432000},
		{"nitro-v5", 432000},
	}
	for _, tc := range tests {
		if got := TimeoutsFor(tc.profile).TCPEstablished; got != sec(tc.want) {
			t.Errorf("TimeoutsFor(%q).TCPEstablished = %v, want %ds", tc.profile, got, tc.want)
		}
	}
}

// TestValidateRejectsOutOfRange checks AWS's ranges at both edges
// (SPEC.md §2.4: TCP established 60–432000 s, UDP 30–60 s, UDP stream
// 60–180 s) and the positivity of the other fields.
func TestValidateRejectsOutOfRange(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Timeouts)
		field string // "" means valid
		msg   string
	}{
		{"udp below", func(t *Timeouts) { t.UDP = sec(20) }, "udp_timeout", "udp_timeout 20s is outside 30s–60s (AWS UdpTimeout)"},
		{"udp at min", func(t *Timeouts) { t.UDP = sec(30) }, "", ""},
		{"udp at max", func(t *Timeouts) { t.UDP = sec(60) }, "", ""},
		{"udp above", func(t *Timeouts) { t.UDP = sec(60) + 1 }, "udp_timeout", "udp_timeout 60.000000001s is outside 30s–60s (AWS UdpTimeout)"},
		{"stream below", func(t *Timeouts) { t.UDPStream = sec(59) }, "udp_stream_timeout", "udp_stream_timeout 59s is outside 60s–180s (AWS UdpStreamTimeout)"},
		{"stream at min", func(t *Timeouts) { t.UDPStream = sec(60) }, "", ""},
		{"stream above", func(t *Timeouts) { t.UDPStream = sec(181) }, "udp_stream_timeout", "udp_stream_timeout 181s is outside 60s–180s (AWS UdpStreamTimeout)"},
		{"established below", func(t *Timeouts) { t.TCPEstablished = sec(59) }, "tcp_established_timeout", "tcp_established_timeout 59s is outside 60s–432000s (AWS TcpEstablishedTimeout)"},
		{"established at min", func(t *Timeouts) { t.TCPEstablished = sec(60) }, "", ""},
		{"established above", func(t *Timeouts) { t.TCPEstablished = sec(432001) }, "tcp_established_timeout", "tcp_established_timeout 432001s is outside 60s–432000s (AWS TcpEstablishedTimeout)"},
		{"icmp zero", func(t *Timeouts) { t.ICMP = 0 }, "icmp_timeout", "icmp_timeout 0s must be positive"},
		{"close negative", func(t *Timeouts) { t.TCPClose = -1 }, "tcp_close_timeout", "tcp_close_timeout -0.000000001s must be positive"},
		{"other tiny", func(t *Timeouts) { t.Other = 1 }, "", ""},
	}
	for _, tc := range tests {
		tm := DefaultTimeouts()
		tc.edit(&tm)
		err := tm.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			continue
		}
		var re *RangeError
		if !errors.As(err, &re) {
			t.Errorf("%s: error %v is not a *RangeError", tc.name, err)
			continue
		}
		if re.Field != tc.field || err.Error() != tc.msg {
			t.Errorf("%s: got field %q msg %q, want %q %q", tc.name, re.Field, err, tc.field, tc.msg)
		}
	}
}

// TestNewTableAndSetTimeoutsValidate: invalid timeouts are refused with a
// wrapped *RangeError, and SetTimeouts leaves the old ones in place.
func TestNewTableAndSetTimeoutsValidate(t *testing.T) {
	bad := DefaultTimeouts()
	bad.UDP = sec(10)
	_, err := NewTable(Config{Timeouts: bad})
	var re *RangeError
	if !errors.As(err, &re) || re.Field != "udp_timeout" {
		t.Fatalf("NewTable error = %v, want a udp_timeout *RangeError", err)
	}
	if _, err := NewTable(Config{Allowance: -1}); err == nil {
		t.Error("NewTable accepted a negative allowance")
	}
	tb := newTable(t, Config{})
	if err := tb.SetTimeouts(bad); !errors.As(err, &re) {
		t.Errorf("SetTimeouts error = %v, want *RangeError", err)
	}
	if got := tb.Config().Timeouts; got != DefaultTimeouts() {
		t.Errorf("timeouts changed after a refused SetTimeouts: %+v", got)
	}
	if got := newTable(t, Config{Profile: ProfileLinux}).Config().Timeouts; got != LinuxTimeouts() {
		t.Errorf("zero Timeouts with ProfileLinux gave %+v, want LinuxTimeouts", got)
	}
}
