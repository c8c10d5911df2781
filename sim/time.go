package sim

import (
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

// MarshalJSON encodes ts as a JSON string of seconds ("12.5s", "never"),
// in one allocation: a large run's JSON holds two or three per flow.
func (ts Timestamp) MarshalJSON() ([]byte, error) {
	if Time(ts) == Never {
		return []byte(`"never"`), nil
	}
	b := make([]byte, 0, 26) // the longest is `"-9223372036.854775808s"`
	b = append(b, '"')
	b = packet.AppendSeconds(b, time.Duration(ts))
	return append(b, '"'), nil
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
