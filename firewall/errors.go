package firewall

import (
	"errors"
	"fmt"
	"net/netip"
)

// Error is one problem Compile found in an Inventory or in Limits: where the
// object was read, which object ("sg-web ingress rule 3", "acl-1 inbound rule
// 100", "interface eni-1"), which field (snake_case, as the scenario format
// spells it: "from_port", "cidr", "groups", …; "" for the object as a whole)
// and what is wrong, in lowercase words that say what would be right.
//
// Error prints as "file:line:col: sg-web ingress rule 3: from_port 70000 is
// outside 0–65535"; the origin is left out when unknown. Match it with
// errors.As on the error Compile returns.
type Error struct {
	Origin Origin // where the object was read; zero if unknown
	Object string // the object in words: "sg-web ingress rule 3"
	Field  string // the field in snake_case ("from_port"), or "" for the whole object
	Msg    string // what is wrong, lowercase: "from_port 70000 is outside 0–65535"
}

// Error formats e as "origin: object: msg".
func (e *Error) Error() string {
	s := e.Msg
	if e.Object != "" {
		s = e.Object + ": " + s
	}
	if o := e.Origin.String(); o != "" {
		s = o + ": " + s
	}
	return s
}

// errList collects *Errors in the order they are found.
type errList []error

func (l *errList) add(e *Error) { *l = append(*l, e) }

// err returns nil, or every collected error joined with errors.Join.
func (l errList) err() error {
	if len(l) == 0 {
		return nil
	}
	return errors.Join(l...)
}

// pick returns the rule's own origin, or the origin of its parent object
// when the rule has none (rules built in code).
func pick(rule, parent Origin) Origin {
	if rule.File != "" {
		return rule
	}
	return parent
}

// checker builds Errors about one object.
type checker struct {
	errs   *errList
	origin Origin
	object string
}

func (c checker) bad(field, format string, args ...any) {
	c.errs.add(&Error{Origin: c.origin, Object: c.object, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// protocol checks an AWS protocol value: -1 or 0–255 (SPEC.md §1.1, §3.2).
func (c checker) protocol(p Protocol) bool {
	if p < -1 || p > 255 {
		c.bad("protocol", "protocol %d is not -1 (all) or an IP protocol number 0–255", p)
		return false
	}
	return true
}

// portRange checks a TCP/UDP port range: 0–65535 each, from ≤ to.
func (c checker) portRange(from, to int32) {
	ok := true
	if from < 0 || from > 65535 {
		c.bad("from_port", "from_port %d is outside 0–65535", from)
		ok = false
	}
	if to < 0 || to > 65535 {
		c.bad("to_port", "to_port %d is outside 0–65535", to)
		ok = false
	}
	if ok && from > to {
		c.bad("to_port", "to_port %d is below from_port %d; the range must run from low to high", to, from)
	}
}

// icmpTypeCode checks an ICMP type and code: -1 (all) or 0–255 each.
func (c checker) icmpTypeCode(typeField, codeField string, typ, code int32) bool {
	ok := true
	if typ < -1 || typ > 255 {
		c.bad(typeField, "%s %d is not an icmp type: use -1 (all types) or 0–255", typeField, typ)
		ok = false
	}
	if code < -1 || code > 255 {
		c.bad(codeField, "%s %d is not an icmp code: use -1 (all codes) or 0–255", codeField, code)
		ok = false
	}
	return ok
}

// cidr checks that p is set and valid and returns it canonical (host bits
// cleared, as AWS stores 100.68.0.18/18 as 100.68.0.0/18, SPEC.md §3.1).
func (c checker) cidr(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() {
		c.bad("cidr", "cidr is missing or invalid; give an IPv4 or IPv6 block such as 10.0.0.0/16 or ::/0")
		return p, false
	}
	if p.Addr().Is4In6() {
		c.bad("cidr", "cidr %s is an IPv4-mapped IPv6 block; write it as an IPv4 block", p)
		return p, false
	}
	return p.Masked(), true
}
