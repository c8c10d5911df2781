package pcap

import (
	"errors"
	"fmt"
	"io"
)

// SkipReason says why a capture record was read but not delivered as a
// packet. Its String is a stable snake_case token for reports (JSON, CSV).
// The zero SkipReason is reasonNone: the record was delivered.
type SkipReason uint8

// Skip reasons, in token order.
const (
	reasonNone SkipReason = iota
	// SkipCustomBlock: a pcapng Custom Block (type 0x00000BAD or
	// 0x40000BAD). It holds no packet, but Wireshark lists it as a record
	// and numbers it as a frame, so the reader counts it too.
	SkipCustomBlock
	// SkipMalformedIP: the IPv4/IPv6 header is invalid (bad version, header
	// length, total length smaller than the header, bad extension header) or
	// the link type promised one IP version and the payload is the other.
	SkipMalformedIP
	// SkipMalformedLink: the link-layer header is invalid (for example a
	// loopback family over 255).
	SkipMalformedLink
	// SkipMalformedTransport: the TCP/UDP/ICMP/SCTP header is invalid (TCP
	// data offset under 5, UDP length under 8).
	SkipMalformedTransport
	// SkipMPLS: an MPLS label stack whose payload is not IP (a pseudowire
	// with control word, say), or a stack deeper than 16 labels.
	SkipMPLS
	// SkipNotIP: the frame carries no IP datagram (ARP, LLDP, IS-IS over LLC,
	// slow protocols, Ethernet loopback, IPX, …).
	SkipNotIP
	// SkipOutsideWindow: the packet's capture-relative time is outside
	// Options.Start..Options.End.
	SkipOutsideWindow
	// SkipOversizedRecord: the record's captured length is over MaxRecord
	// (256 KiB) while its header is otherwise sane; it is passed over
	// without being read into memory and reading goes on. (A header whose
	// length is absurd, over 16 MiB or not fitting its block, ends the
	// capture with a *CaptureError instead.)
	SkipOversizedRecord
	// SkipTruncated: the record ends before the header the filters need (a
	// frame shorter than its link header, an IP header cut by the snap
	// length, a TCP header cut before its flags).
	SkipTruncated
	// SkipUnsupportedLinkType: the record's link type is none of Ethernet,
	// Linux SLL/SLL2, raw IP (101, 228, 229) or BSD null/loopback (0, 108).
	SkipUnsupportedLinkType
	numReasons
)

var reasonTokens = [numReasons]string{
	reasonNone:              "none",
	SkipCustomBlock:         "custom_block",
	SkipMalformedIP:         "malformed_ip",
	SkipMalformedLink:       "malformed_link",
	SkipMalformedTransport:  "malformed_transport",
	SkipMPLS:                "mpls",
	SkipNotIP:               "not_ip",
	SkipOutsideWindow:       "outside_window",
	SkipOversizedRecord:     "oversized_record",
	SkipTruncated:           "truncated",
	SkipUnsupportedLinkType: "unsupported_link_type",
}

// String returns the reason's stable token, such as "not_ip".
func (r SkipReason) String() string {
	if r < numReasons {
		return reasonTokens[r]
	}
	return fmt.Sprintf("skip_reason_%d", uint8(r))
}

// Warning names something odd about a record that was delivered anyway, or
// about the file header. Its String is a stable snake_case token.
type Warning uint8

// Warnings, in token order.
const (
	// WarnCaplenOverOriglen: a record's captured length is over its
	// original length; libpcap and Wireshark read the captured bytes
	// anyway, and so does the reader (pcapgo refuses the record).
	WarnCaplenOverOriglen Warning = iota
	// WarnCaplenOverSnaplen: a pcap record is longer than the snap length
	// its file header declares (the reader, like tcpdump, reads it anyway,
	// up to MaxRecord).
	WarnCaplenOverSnaplen
	// WarnLinkTypeFCSBits: the pcap header's link-type field has FCS bits
	// (27–31) set; like libpcap, the reader ignores them.
	WarnLinkTypeFCSBits
	// WarnSLLBadHalen: a Linux SLL header's link-layer address length is
	// over 8, the size of its address field; the header is 16 bytes
	// whatever that field says, so the datagram after it is decoded.
	WarnSLLBadHalen
	// WarnTCPHeaderCut: the TCP header is cut by the snap length after its
	// flags byte; ports, sequence numbers and flags are read, options are
	// lost.
	WarnTCPHeaderCut
	// WarnTimestampFraction: a pcap record's sub-second timestamp field is
	// not below one second (1e6 µs or 1e9 ns); like pcapgo and Wireshark,
	// the reader carries the excess into the seconds.
	WarnTimestampFraction
	numWarnings
)

var warningTokens = [numWarnings]string{
	WarnCaplenOverOriglen: "caplen_over_origlen",
	WarnCaplenOverSnaplen: "caplen_over_snaplen",
	WarnLinkTypeFCSBits:   "link_type_fcs_bits",
	WarnSLLBadHalen:       "sll_bad_halen",
	WarnTCPHeaderCut:      "tcp_header_cut",
	WarnTimestampFraction: "timestamp_fraction_overflow",
}

// String returns the warning's stable token, such as "tcp_header_cut".
func (w Warning) String() string {
	if w < numWarnings {
		return warningTokens[w]
	}
	return fmt.Sprintf("warning_%d", uint8(w))
}

// SkipCount is how many records were skipped for one reason (or, in
// Stats.Warnings, how many times a warning was raised).
type SkipCount struct {
	Reason string
	Count  uint64
}

// Stats accounts for every record a Reader has read so far:
// Read == Delivered + the sum of Skipped counts, always. The engine splits
// Delivered into forwarded and dropped.
//
// The zero Stats is a reader that has read nothing.
type Stats struct {
	// Read counts the records read: every pcap record, and every pcapng
	// EPB, SPB, OPB and custom block, whether delivered or skipped. It is
	// also the last frame number handed out.
	Read uint64
	// Delivered counts the packets returned by Next.
	Delivered uint64
	// Skipped counts the skipped records per reason, sorted by reason token;
	// reasons with no records are left out.
	Skipped []SkipCount
	// Bytes is the sum of the original (on-the-wire) lengths of the records
	// read into memory; CapturedBytes the sum of their captured lengths.
	// Records passed over unread (oversized_record, custom_block) are not
	// in them.
	Bytes, CapturedBytes uint64
	// Warnings counts oddities that did not stop a record from being
	// delivered, per Warning token, sorted; zero counts are left out.
	Warnings []SkipCount
	// ReorderedTimestamps counts delivered or skipped records whose
	// timestamp was earlier than the one before and was clamped to it.
	ReorderedTimestamps uint64
	// Truncated reports whether the capture was not read whole: Next
	// stopped with a *CaptureError (a truncated or corrupt file).
	Truncated bool
	// Err is the error that ended the capture early, nil after a clean end.
	Err error
}

// SkippedTotal returns the sum of the Skipped counts.
func (s Stats) SkippedTotal() uint64 {
	var n uint64
	for _, c := range s.Skipped {
		n += c.Count
	}
	return n
}

// CaptureError reports a capture file that could not be read whole: its
// header is unreadable, or a record or block is truncated or corrupt. Frame
// is the 1-based frame number that was being read (0 for the file header),
// Offset the byte offset where reading of that record began (for pcapng, the
// first block read for it). Packets before Frame were delivered.
type CaptureError struct {
	File   string
	Frame  uint64
	Offset int64
	Err    error
}

// Error formats e as "file.pcap: frame 12 at byte 3456: unexpected EOF
// (capture not read whole)", or "file.pcap: header: …" for the file header.
func (e *CaptureError) Error() string {
	if e.Frame == 0 {
		return fmt.Sprintf("%s: file header: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: frame %d at byte %d: %v (capture not read whole)", e.File, e.Frame, e.Offset, e.Err)
}

// Unwrap returns the underlying error, so errors.Is(err, io.ErrUnexpectedEOF)
// holds for a file cut in the middle of a record.
func (e *CaptureError) Unwrap() error { return e.Err }

// lowerErr shows a gopacket error with its first letter in lower case
// ("Interface id 7 not present" becomes "interface id 7 not present"), so
// that CaptureError messages read as one lower-case sentence; errors.Is and
// errors.As still reach the original.
type lowerErr struct{ err error }

func (e lowerErr) Error() string {
	s := e.err.Error()
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z') {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

func (e lowerErr) Unwrap() error { return e.err }

// lower wraps err in lowerErr when its message starts with a capital.
func lower(err error) error {
	if s := err.Error(); len(s) > 0 && s[0] >= 'A' && s[0] <= 'Z' {
		return lowerErr{err}
	}
	return err
}

// Errors the pcapng guard (guard.go) wraps in its findings.
var (
	errRecordTooLarge = errors.New("record too large")
	errBadBlock       = errors.New("corrupt pcapng block")
	// errTooManyInterfaces: a section declares more interfaces than
	// maxInterfaces, or more bytes of them than maxInterfaceBytes.
	errTooManyInterfaces = errors.New("too many interfaces")
)

// isTruncation reports whether err means the file ended inside a record.
func isTruncation(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }
