package sim

import (
	"encoding/json"

	"github.com/ctsim/ctsim/firewall"
)

// stepJSON is Step's JSON shape.
type stepJSON struct {
	Where     string     `json:"where"`
	Filter    string     `json:"filter"`
	Direction string     `json:"direction"`
	Action    string     `json:"action"`
	Reason    string     `json:"reason"`
	Rule      *ruleJSON  `json:"rule,omitempty"`
	ExpiredAt *Timestamp `json:"expired_at,omitempty"`
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
//	 "expired_at": "31s", "note": "…"}
//
// where "rule" is present only when a rule decided and "expired_at" only
// for conntrack_entry_expired. Direction, action and reason are the stable
// tokens of firewall.Direction, firewall.Action and firewall.Reason.
func (s Step) MarshalJSON() ([]byte, error) {
	j := stepJSON{
		Where:     s.Where,
		Filter:    s.Filter,
		Direction: s.Direction.String(),
		Action:    s.Action.String(),
		Reason:    s.Reason.String(),
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
