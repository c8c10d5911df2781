package sim

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// Time is virtual time in nanoseconds from the start (packet.Time).
type Time = packet.Time

// Packet is the header view of one packet (packet.Packet).
type Packet = packet.Packet

// Never is a Time later than any event; Run(Never) runs until the sources and
// the event queue are exhausted.
const Never = packet.Never

// Timestamp is a Time in a result. It marshals to JSON as a string of
// seconds with up to nine decimals and no trailing zeros ("12.5s", "0s",
// "432000.000000001s"), exactly as reports print it, so the JSON keeps
// nanosecond precision. The zero Timestamp is the start of the run.
type Timestamp Time

// Time returns ts as a Time.
func (ts Timestamp) Time() Time { return Time(ts) }

// String formats ts as seconds: "12.5s".
func (ts Timestamp) String() string { return Time(ts).String() }

// MarshalJSON encodes ts as a JSON string of seconds ("12.5s").
func (ts Timestamp) MarshalJSON() ([]byte, error) {
	d := time.Duration(ts)
	if Time(ts) == Never || d == math.MinInt64 {
		return []byte(strconv.Quote(Time(ts).String())), nil
	}
	// One allocation, not fmt's several: a large run's JSON holds two
	// or three per flow. The longest is `"-9223372036.854775807s"`.
	b := make([]byte, 0, 24)
	b = append(b, '"')
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	b = strconv.AppendInt(b, int64(d/time.Second), 10)
	if frac := int64(d % time.Second); frac != 0 {
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
	return append(b, 's', '"'), nil
}

// UnmarshalJSON decodes a string written by MarshalJSON ("12.5s",
// "never"), or a plain JSON number of seconds.
func (ts *Timestamp) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		u, err := strconv.Unquote(s)
		if err != nil {
			return err
		}
		if u == "never" {
			*ts = Timestamp(Never)
			return nil
		}
		d, err := time.ParseDuration(u)
		if err != nil {
			return err
		}
		*ts = Timestamp(d)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*ts = Timestamp(f * 1e9)
	return nil
}
