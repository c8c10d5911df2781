package sim

import (
	"encoding/json"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim/packet"
)

// Result is what a run produced: every flow with its verdict, optional
// per-packet traces, totals, per-interface conntrack counters and the
// changes applied. It is plain data with stable JSON (snake_case keys; times
// as "12.5s" strings, see Timestamp). The same input gives an identical
// Result.
type Result struct {
	// Flows are sorted by FirstSeen, then by tuple string; IDs are 1-based
	// in that order.
	Flows []Flow `json:"flows"`
	// Packets holds one record per packet, in processing order; only with
	// Options.Explain.
	Packets []PacketRecord `json:"packets,omitempty"`
	// Summary totals the run.
	Summary Summary `json:"summary"`
	// Interfaces are the VPC interfaces, sorted by name.
	Interfaces []InterfaceStats `json:"interfaces"`
	// Changes are the changes that took effect, in order.
	Changes []AppliedChange `json:"changes,omitempty"`
}

// FlowVerdict is a flow's overall outcome.
type FlowVerdict string

// Flow verdicts.
const (
	// Allowed: every packet of the flow was forwarded.
	Allowed FlowVerdict = "allowed"
	// Dropped: some packets were forwarded, at least one was dropped.
	Dropped FlowVerdict = "dropped"
	// Blocked: nothing of the flow was forwarded.
	Blocked FlowVerdict = "blocked"
)

// Tracking classes of a flow (Flow.Tracked): what the security group steps
// its forwarded and dropped packets met made of it.
const (
	TrackingTracked     = "tracked"      // admitted or answered through a conntrack entry
	TrackingUntracked   = "untracked"    // judged by the rules on every packet (SPEC.md §2.2)
	TrackingNotFiltered = "not_filtered" // to or from an address AWS does not filter (SPEC.md §1.5)
	TrackingMixed       = "mixed"        // some packets one way, some another (a rule change)
	TrackingNone        = ""             // met no security group decision
)

// Flow is one connection or exchange: all packets of one 5-tuple in both
// directions, as the filters see it (after public-address NAT).
type Flow struct {
	// ID is the flow's 1-based number in Result.Flows order.
	ID int `json:"id"`
	// Name is the flow's name from its source (FlowNamer), or "".
	Name string `json:"name,omitempty"`
	// Tuple is in the direction of the flow's first packet
	// (initiator → responder).
	Tuple packet.Tuple `json:"-"`
	// Key is Tuple formatted ("tcp 10.0.1.5:49152 > 10.0.2.7:443").
	Key string `json:"flow"`
	// Initiator and Responder name the endpoints: the interface name, an
	// external host's name, or the address of a host the inventory does not
	// know.
	Initiator string `json:"initiator"`
	// Responder names the endpoint the first packet went to.
	Responder string `json:"responder"`
	// Proto is the protocol's name ("tcp", "udp", "icmp", "gre", …).
	Proto string `json:"proto"`
	// PacketsOut/BytesOut count packets seen from the initiator,
	// PacketsBack/BytesBack from the responder (Length, IP header
	// included).
	PacketsOut uint64 `json:"packets_out"`
	// PacketsBack counts packets seen from the responder.
	PacketsBack uint64 `json:"packets_back"`
	// BytesOut sums the lengths of the initiator's packets.
	BytesOut uint64 `json:"bytes_out"`
	// BytesBack sums the lengths of the responder's packets.
	BytesBack uint64 `json:"bytes_back"`
	// ForwardedOut counts the initiator's packets forwarded.
	ForwardedOut uint64 `json:"forwarded_out"`
	// ForwardedBack counts the responder's packets forwarded.
	ForwardedBack uint64 `json:"forwarded_back"`
	// DroppedOut counts the initiator's packets dropped.
	DroppedOut uint64 `json:"dropped_out"`
	// DroppedBack counts the responder's packets dropped.
	DroppedBack uint64 `json:"dropped_back"`
	// FirstSeen is the time of the flow's first packet.
	FirstSeen Timestamp `json:"first_seen"`
	// LastSeen is the time of the flow's last packet.
	LastSeen Timestamp `json:"last_seen"`
	// Tracked is one of the Tracking* classes.
	Tracked string `json:"tracked"`
	// Verdict is allowed, dropped or blocked (see FlowVerdict).
	Verdict FlowVerdict `json:"verdict"`
	// FirstDrop is the flow's first dropped packet, or nil.
	FirstDrop *Drop `json:"first_drop,omitempty"`
	// Hint explains the first drop in plain words; "" for allowed flows.
	Hint string `json:"hint,omitempty"`
}

// Drop locates a flow's first dropped packet.
type Drop struct {
	// Packet is the 1-based index of the packet within its flow.
	Packet int `json:"packet"`
	// Frame is the capture frame number, 0 for synthetic packets.
	Frame uint64 `json:"frame,omitempty"`
	// At is when the packet was dropped.
	At Timestamp `json:"at"`
	// Back reports whether the packet came from the responder.
	Back bool `json:"back"`
	// Step is the step that dropped it.
	Step Step `json:"step"`
}

// Filters a Step can name.
const (
	FilterSG       = "sg"       // a security group decision (rules or conntrack)
	FilterNACL     = "nacl"     // a network ACL decision
	FilterService  = "service"  // an unfiltered service address, or an AWS service on the path
	FilterNAT      = "nat"      // the internet gateway's 1:1 NAT rewrite
	FilterFragment = "fragment" // a later IP fragment following its first
	FilterReplay   = "replay"   // a packet that would never have been sent
	FilterNone     = "none"     // no filter on the path (outside the VPC)
	FilterClock    = "clock"    // a late packet processed at the clock's time (Summary.Reordered)
)

// Step is one check a packet met on its path. It marshals to JSON with its
// enums as their stable tokens (see MarshalJSON).
type Step struct {
	// Where is the interface name (SG steps), the subnet name (NACL
	// steps) or the service name (not-filtered addresses).
	Where string
	// Filter is one of the Filter* names.
	Filter string
	// Direction is the filter's direction: ingress or egress.
	Direction firewall.Direction
	// Action is what the step did: allow (pass on) or deny (drop).
	Action firewall.Action
	// Reason is why, as a stable token with a plain-words Hint.
	Reason firewall.Reason
	// Rule is the rule that decided, if a rule did (zero otherwise).
	Rule firewall.RuleRef
	// ExpiredAt is when the conntrack entry expired (Reason
	// conntrack_entry_expired), else zero.
	ExpiredAt Time
	// EntryGeneration is the rule generation under which the conntrack
	// entry that let the packet through was created (Reason
	// conntrack_tracked), else zero. Below the engine's current generation
	// it shows a connection surviving a rule change (CT4).
	EntryGeneration uint16
	// Note adds a fact in words ("dst 203.0.113.10 → 10.0.1.10").
	Note string
}

// PacketRecord is one packet's trace (Options.Explain).
type PacketRecord struct {
	// N is the 1-based index of the packet in the run.
	N uint64 `json:"n"`
	// Frame is the capture frame number, 0 for synthetic packets.
	Frame uint64 `json:"frame,omitempty"`
	// At is when the packet was processed.
	At Timestamp `json:"at"`
	// Flow is the Flow.ID the packet belongs to.
	Flow int `json:"flow"`
	// Packet is the packet as the filters saw it, tcpdump-style.
	Packet string `json:"packet"`
	// Length is the IP datagram length in bytes, header included.
	Length uint32 `json:"length"`
	// Forwarded reports whether the packet passed every step.
	Forwarded bool `json:"forwarded"`
	// Steps is the packet's trace, in the order it met them.
	Steps []Step `json:"steps"`
}

// Count is a labelled counter.
type Count struct {
	// Key is the label ("nacl:nacl_default_deny", "tracked").
	Key string `json:"key"`
	// Count is how many.
	Count uint64 `json:"count"`
}

// Summary totals a run. Read = Forwarded + Dropped.
type Summary struct {
	// Read counts packets given to the engine.
	Read uint64 `json:"read"`
	// Forwarded counts packets that passed every step.
	Forwarded uint64 `json:"forwarded"`
	// Dropped counts packets a step dropped.
	Dropped uint64 `json:"dropped"`
	// DroppedBy counts drops by "filter:reason" ("nacl:nacl_default_deny"),
	// sorted by key.
	DroppedBy []Count `json:"dropped_by,omitempty"`
	// ForwardedBy counts forwarded packets by the tracking class of the
	// security group steps that passed them: "tracked" (a packet of a
	// tracked connection, whether a rule admitted it and opened the entry
	// or the entry let it through), "untracked", "not_filtered",
	// "no_filter" (met no SG step), sorted by key. A later IP fragment
	// counts as its first fragment did.
	ForwardedBy []Count `json:"forwarded_by,omitempty"`
	// Flows counts flows by verdict.
	Flows int `json:"flows"`
	// FlowsAllowed counts flows with nothing dropped.
	FlowsAllowed int `json:"flows_allowed"`
	// FlowsDropped counts flows with some packets dropped, some forwarded.
	FlowsDropped int `json:"flows_dropped"`
	// FlowsBlocked counts flows with nothing forwarded.
	FlowsBlocked int `json:"flows_blocked"`
	// Expired counts conntrack entries that timed out, all interfaces.
	Expired uint64 `json:"expired"`
	// Reordered counts packets stamped earlier than the engine's clock
	// (a source out of time order, or Step called with a past time): each
	// was processed at the clock's time instead, and its trace starts with
	// a "clock" step saying so. Omitted from JSON when 0.
	Reordered uint64 `json:"reordered,omitempty"`
	// End is the time of the last packet or event processed.
	End Timestamp `json:"end"`
}

// InterfaceStats are one VPC interface's connection tracking counters.
type InterfaceStats struct {
	// ID is the interface's ID (its name if the inventory gives none).
	ID string `json:"id"`
	// Name is the interface's name.
	Name string `json:"name"`
	// Entries is the number of entries at the end; PeakEntries the most at
	// any time.
	Entries int `json:"entries"`
	// PeakEntries is the most entries held at any time.
	PeakEntries int `json:"peak_entries"`
	// Inserted counts entries created.
	Inserted uint64 `json:"inserted"`
	// Expired counts entries removed because they timed out.
	Expired uint64 `json:"expired"`
	// AllowanceExceeded is conntrack_allowance_exceeded: packets dropped
	// because a new entry was needed and the table was full (SPEC.md §2.6).
	AllowanceExceeded uint64 `json:"allowance_exceeded"`
	// Allowance is the interface's allowance (0 = unlimited);
	// AllowanceAvailable is conntrack_allowance_available at the end (-1
	// when unlimited).
	Allowance int `json:"allowance"`
	// AllowanceAvailable is conntrack_allowance_available at the end, -1 when unlimited.
	AllowanceAvailable int `json:"allowance_available"`
	// Forwarded counts packets whose path met this interface's security
	// groups and passed them.
	Forwarded uint64 `json:"forwarded"`
	// Dropped counts packets this interface's security groups dropped.
	Dropped uint64 `json:"dropped"`
}

// PacketOutcome is what Step did with one packet.
type PacketOutcome struct {
	// Forwarded reports whether the packet passed every step.
	Forwarded bool
	// Decisive is the step that dropped the packet, or the last step of a
	// forwarded packet.
	Decisive Step
	// Steps is the whole trace. It aliases a buffer the Engine reuses:
	// valid until the next call to Step or Run.
	Steps []Step
	// Flow is the index of the packet's flow in creation order (0-based;
	// Result renumbers flows by first-seen order).
	Flow int
}

// stepJSON is Step's JSON shape.
type stepJSON struct {
	Where     string     `json:"where"`
	Filter    string     `json:"filter"`
	Direction string     `json:"direction"`
	Action    string     `json:"action"`
	Reason    string     `json:"reason"`
	Rule      *ruleJSON  `json:"rule,omitempty"`
	ExpiredAt *Timestamp `json:"expired_at,omitempty"`
	EntryGen  uint16     `json:"entry_generation,omitempty"`
	Note      string     `json:"note,omitempty"`
}

// ruleJSON is RuleRef's JSON shape.
type ruleJSON struct {
	Kind   string `json:"kind"`
	Filter string `json:"filter"`
	ID     string `json:"id,omitempty"`
	Number int32  `json:"number,omitempty"`
	Egress bool   `json:"egress"`
	Text   string `json:"text,omitempty"`
}

// ruleKindTokens are RuleKind's JSON tokens.
var ruleKindTokens = [...]string{
	firewall.RuleNone:        "none",
	firewall.RuleSG:          "sg_rule",
	firewall.RuleNACL:        "nacl_entry",
	firewall.RuleNACLDefault: "nacl_default",
}

// MarshalJSON encodes s as
//
//	{"where": "web", "filter": "sg", "direction": "ingress",
//	 "action": "deny", "reason": "sg_no_matching_rule",
//	 "rule": {"kind": "sg_rule", "filter": "sg-web", "id": "…", "egress": false, "text": "…"},
//	 "expired_at": "31s", "entry_generation": 1, "note": "…"}
//
// where "rule" is present only when a rule decided, "expired_at" only for
// conntrack_entry_expired and "entry_generation" only for
// conntrack_tracked. Direction, action and reason are the stable
// tokens of firewall.Direction, firewall.Action and firewall.Reason.
func (s Step) MarshalJSON() ([]byte, error) {
	j := stepJSON{
		Where:     s.Where,
		Filter:    s.Filter,
		Direction: s.Direction.String(),
		Action:    s.Action.String(),
		Reason:    s.Reason.String(),
		EntryGen:  s.EntryGeneration,
		Note:      s.Note,
	}
	if !s.Rule.IsZero() {
		kind := "rule_kind"
		if int(s.Rule.Kind) < len(ruleKindTokens) {
			kind = ruleKindTokens[s.Rule.Kind]
		}
		j.Rule = &ruleJSON{Kind: kind, Filter: s.Rule.Filter, ID: s.Rule.ID, Number: s.Rule.Number, Egress: s.Rule.Egress, Text: s.Rule.Text}
	}
	if s.Reason == firewall.ReasonTrackingExpired {
		ts := Timestamp(s.ExpiredAt)
		j.ExpiredAt = &ts
	}
	return json.Marshal(j)
}
