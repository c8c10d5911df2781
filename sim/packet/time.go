package packet

import (
	"fmt"
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
	neg := d < 0
	if neg {
		d = -d
	}
	sec := int64(d / time.Second)
	frac := int64(d % time.Second)
	s := fmt.Sprintf("%d", sec)
	if frac != 0 {
		f := fmt.Sprintf("%09d", frac)
		for f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		s += "." + f
	}
	if neg {
		s = "-" + s
	}
	return s + "s"
}
