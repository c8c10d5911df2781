package sim

import (
	"time"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// Options configure an Engine. The zero Options are AWS's defaults: the AWS
// profile, default quotas, the union of the documented auto-tracked
// services, no conntrack allowance limit, SG state created at egress even if
// a later network ACL drops the packet, no network ACL propagation delay, a
// sweep every 10 s, no per-packet traces.
type Options struct {
	// Limits are the quotas checked when the rules are compiled; the zero
	// value means firewall.DefaultLimits().
	Limits firewall.Limits
	// Profile selects AWS (default) or Linux connection tracking semantics
	// (SPEC.md §5.5): it decides whether ICMP errors are "related".
	Profile conntrack.Profile
	// AutoTracked lists Interface.Service values whose flows are always
	// tracked (SPEC.md §2.3). Nil means DefaultAutoTracked(); an empty
	// non-nil slice means none.
	AutoTracked []string
	// Allowance is every interface's conntrack allowance (maximum tracked
	// entries, SPEC.md §2.6); 0 means unlimited.
	Allowance int
	// Allowances overrides Allowance per interface, keyed by interface ID
	// or name; 0 means unlimited for that interface.
	Allowances map[string]int
	// NoStateOnLaterDrop defers the conntrack entry a packet creates at its
	// source's egress until the packet has passed the whole path, so a
	// packet a network ACL drops leaves no state (SPEC.md §6, UNDOCUMENTED
	// by AWS; the default keeps the state).
	NoStateOnLaterDrop bool
	// NoMidStreamPickup refuses to create a TCP entry from a packet without
	// SYN (Linux tcp_loose=0); see conntrack.Config.
	NoMidStreamPickup bool
	// NACLPropagationDelay delays every network ACL change by this much
	// after the time it is scheduled at (SPEC.md §7.7; default 0).
	NACLPropagationDelay time.Duration
	// SweepInterval is the period of the conntrack sweep event; 0 means
	// 10 s. Sweeps run only while sources or other events remain.
	SweepInterval time.Duration
	// SweepBatch is the number of table slots one sweep visits per
	// interface; 0 means 4096.
	SweepBatch int
	// Explain keeps every packet's trace in Result.Packets.
	Explain bool
	// Replay marks packets that would never have been sent had the rules
	// applied (ReasonNeverSent; see the package comment).
	Replay bool
}

// DefaultAutoTracked returns the union of the services SPEC.md §2.3 lists as
// automatically tracked across both versions of the AWS page, sorted.
func DefaultAutoTracked() []string {
	return []string{
		"dynamodb-gateway-endpoint",
		"egress-only-internet-gateway",
		"gateway-load-balancer",
		"global-accelerator",
		"lambda",
		"nat-gateway",
		"network-firewall",
		"network-load-balancer",
		"privatelink",
		"transit-gateway",
	}
}

// Defaults used when an Options field is zero.
const (
	DefaultSweepInterval = 10 * time.Second
	DefaultSweepBatch    = 4096
	// FragmentMemory is how long the verdict of a first fragment is
	// remembered for its later fragments.
	FragmentMemory = 30 * time.Second
)

// FlowNamer is implemented by packet sources that know the names of their
// flows (the synthetic generator). FlowName returns the name of the flow a
// tuple belongs to, in either direction, or "".
type FlowNamer interface {
	FlowName(t packet.Tuple) string
}
