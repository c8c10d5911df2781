package awsimport

import (
	"net/netip"
	"strconv"
	"strings"
)

// ParseCIDR reads the CIDR s of the input member field ("CidrIp",
// "cidr_blocks[0]") for the given family ("4", "6" or "" for either) and
// returns it masked (AWS canonicalises 100.68.0.18/18 to 100.68.0.0/18,
// SPEC.md §3.1). canon reports whether it was already canonical. msg is
// non-empty, and p the zero Prefix, when s is not a CIDR of that family;
// it starts with the field and the quoted input and says what is allowed
// (`CidrIp "10.0.0.0/33": prefix length 33 is outside 0–32 for IPv4`).
func ParseCIDR(field, s, family string) (p netip.Prefix, canon bool, msg string) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false, field + " " + strconv.Quote(s) + ": " + whyNotCIDR(s, family)
	}
	switch {
	case family == "4" && !p.Addr().Is4():
		return netip.Prefix{}, false, field + " " + strconv.Quote(s) + " is an IPv6 CIDR, want IPv4"
	case family == "6" && !p.Addr().Is6():
		return netip.Prefix{}, false, field + " " + strconv.Quote(s) + " is an IPv4 CIDR, want IPv6"
	}
	m := p.Masked()
	return m, m == p, ""
}

// whyNotCIDR says, in AWS terms, why netip.ParsePrefix refused s.
func whyNotCIDR(s, family string) string {
	example, fam := "10.0.0.0/16", "IPv4 or IPv6"
	switch family {
	case "4":
		fam = "IPv4"
	case "6":
		example, fam = "2001:db8::/56", "IPv6"
	}
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "no prefix length: want an " + fam + " address, \"/\" and a prefix length, such as " + example
	}
	if i == 0 {
		return "no address before \"/\": want an " + fam + " address, \"/\" and a prefix length, such as " + example
	}
	a, err := netip.ParseAddr(s[:i])
	if err != nil {
		return strconv.Quote(s[:i]) + " is not an " + fam + " address"
	}
	if a.Zone() != "" {
		return "a CIDR cannot have an IPv6 zone (%" + a.Zone() + ")"
	}
	switch {
	case family == "4" && !a.Is4():
		return strconv.Quote(s[:i]) + " is an IPv6 address, want IPv4"
	case family == "6" && !a.Is6():
		return strconv.Quote(s[:i]) + " is an IPv4 address, want IPv6"
	}
	max, afam := 32, "IPv4"
	if !a.Is4() {
		max, afam = 128, "IPv6"
	}
	bits := s[i+1:]
	want := "0–" + strconv.Itoa(max) + " for " + afam
	digits := bits != "" && strings.Trim(bits, "0123456789") == ""
	switch {
	case !digits:
		return "prefix length " + strconv.Quote(bits) + " is not a number: want " + want
	case len(bits) > 1 && bits[0] == '0':
		return "prefix length " + strconv.Quote(bits) + " has a leading zero: want " + want
	case len(bits) > 3, mustAtoi(bits) > max:
		return "prefix length " + bits + " is outside " + want
	}
	return "not a CIDR: want an " + fam + " address, \"/\" and a prefix length, such as " + example
}

// mustAtoi reads a string of at most three decimal digits.
func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
