package conntrack

// STUB FILE — written by the lead to fix the API; the conntrack implementer
// replaces every body below, splits it into key.go, table.go, tcp.go, udp.go,
// icmp.go, other.go, timeouts.go, and deletes this file.

import (
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// Dir is a packet's direction relative to the connection that tracks it.
type Dir uint8

// Directions.
const (
	Original Dir = iota // the direction of the packet that created the entry
	Reply
)

// Profile selects whose semantics the table follows.
type Profile uint8

// Profiles.
const (
	ProfileAWS   Profile = iota // AWS security groups (SPEC.md §2)
	ProfileLinux                // Linux netfilter, for comparison (SPEC.md §5)
)

// Timeouts holds one idle timeout per tracked state or flow class.
type Timeouts struct {
	TCPEstablished time.Duration
	TCPSynSent     time.Duration
	TCPSynRecv     time.Duration
	TCPFinWait     time.Duration
	TCPCloseWait   time.Duration
	TCPLastAck     time.Duration
	TCPTimeWait    time.Duration
	TCPClose       time.Duration
	UDP            time.Duration
	UDPStream      time.Duration
	ICMP           time.Duration
	Other          time.Duration
}

// DefaultTimeouts returns AWS's defaults for a non-Nitro-v6 instance.
func DefaultTimeouts() Timeouts { panic("unimplemented") }

// TimeoutsFor returns the defaults for an instance type or profile name
// ("nitro-v6" and Nitro v6 instance families: TCP established 350 s).
func TimeoutsFor(instanceType string) Timeouts { panic("unimplemented") }

// Validate checks the AWS-configurable fields against AWS's ranges.
func (t Timeouts) Validate() error { panic("unimplemented") }

// Config configures one ENI's table.
type Config struct {
	Timeouts  Timeouts
	Allowance int // maximum tracked entries; 0 = unlimited
	Profile   Profile
	// NoMidStreamPickup disables creating an ESTABLISHED entry from a TCP
	// packet without SYN (Linux tcp_loose=0).
	NoMidStreamPickup bool
}

// Match is the result of a lookup: whether an entry exists for the packet's
// flow, the packet's direction relative to it, and what the entry knows.
type Match struct {
	Found     bool
	Dir       Dir
	Gen       uint16      // rule generation stamped at insert
	Expired   bool        // an entry existed but had expired (it is removed)
	ExpiredAt packet.Time // lastSeen + timeout of the expired entry
	slot      int32
}

// Stats are a table's counters.
type Stats struct {
	Entries           int
	Peak              int
	Inserted          uint64
	Expired           uint64
	AllowanceExceeded uint64 // conntrack_allowance_exceeded
}

// Expiry records one entry that timed out.
type Expiry struct {
	Tuple packet.Tuple // in the original direction
	At    packet.Time  // lastSeen + timeout
}

// Table is one ENI's connection tracking table.
type Table struct{}

// NewTable returns an empty table.
func NewTable(cfg Config) (*Table, error) { panic("unimplemented") }

// Lookup finds p's entry. An expired entry is removed and reported in the
// Match. Does not allocate.
func (t *Table) Lookup(p *packet.Packet, now packet.Time) Match { panic("unimplemented") }

// LookupRelated finds the entry of the flow an ICMP error quotes.
func (t *Table) LookupRelated(p *packet.Packet, now packet.Time) Match { panic("unimplemented") }

// Update advances m's entry with p. Does not allocate.
func (t *Table) Update(m Match, p *packet.Packet, now packet.Time) { panic("unimplemented") }

// Insert creates an entry with p as the original direction; ok is false
// when the allowance is used up (the drop is counted).
func (t *Table) Insert(p *packet.Packet, now packet.Time, gen uint16) (m Match, ok bool) {
	panic("unimplemented")
}

// Sweep expires up to max entries idle at now, appending them to out.
func (t *Table) Sweep(now packet.Time, max int, out []Expiry) []Expiry { panic("unimplemented") }

// SetTimeouts changes the timeouts; existing entries use them from now on.
func (t *Table) SetTimeouts(tm Timeouts) error { panic("unimplemented") }

// Stats returns the counters.
func (t *Table) Stats() Stats { panic("unimplemented") }

// Available returns conntrack_allowance_available (allowance − entries), or
// -1 when unlimited.
func (t *Table) Available() int { panic("unimplemented") }
