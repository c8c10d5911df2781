package packet

import (
	"strconv"
	"time"
)

// Time is virtual time: an integer count of nanoseconds from the start of a
// scenario (or of a capture). The zero Time is the scenario's start.
//
// Time is never read from a clock; it is passed to every method that depends
// on it (STYLE.md lesson 5).
type Time int64

// Never is a Time later than any event a simulation schedules.
const Never Time = 1<<63 - 1

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Duration returns t as the time.Duration since the start.
func (t Time) Duration() time.Duration { return time.Duration(t) }

// Seconds returns t in seconds since the start.
func (t Time) Seconds() float64 { return float64(t) / 1e9 }

// String formats t as seconds since the start with nanosecond precision
// trimmed of trailing zeros, for example "t=12.5s" is returned as "12.5s".
func (t Time) String() string {
	if t == Never {
		return "never"
	}
	return FormatSeconds(time.Duration(t))
}

// FormatSeconds formats d as seconds with up to nine decimals and no trailing
// zeros: 30s, 0.01s, 179.999999999s. Stable across runs and platforms.
func FormatSeconds(d time.Duration) string {
	var buf [24]byte
	return string(AppendSeconds(buf[:0], d))
}

// AppendSeconds appends d as FormatSeconds writes it and returns the extended
// buffer. It does not allocate when b has room (24 bytes always suffice):
// reports print two or three times per flow.
func AppendSeconds(b []byte, d time.Duration) []byte {
	u := uint64(d)
	if d < 0 {
		b = append(b, '-')
		u = -u // two's complement: also right for math.MinInt64
	}
	b = strconv.AppendUint(b, u/uint64(time.Second), 10)
	if frac := u % uint64(time.Second); frac != 0 {
		var f [9]byte
		for i := len(f) - 1; i >= 0; i-- {
			f[i] = byte('0' + frac%10)
			frac /= 10
		}
		n := len(f)
		for f[n-1] == '0' {
			n--
		}
		b = append(append(b, '.'), f[:n]...)
	}
	return append(b, 's')
}
