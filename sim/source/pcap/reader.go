package pcap

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Options selects what a Reader delivers. The zero Options delivers every
// decodable packet.
type Options struct {
	// Start and End bound the window of capture-relative time (time since
	// the first record) whose packets are delivered, both inclusive; a
	// zero End leaves the window open at the end. Packets outside are
	// skipped with reason "outside_window" (and still read and counted, so
	// the summary covers the whole file).
	Start, End time.Duration
}

// Reader reads a pcap or pcapng capture as a stream of packets. It
// implements packet.Source. It streams: memory stays bounded (one record of
// at most MaxRecord bytes plus fixed buffers) whatever the file size.
//
// A Reader is not safe for concurrent use. Use Open or NewReader; the zero
// Reader is not usable.
type Reader struct {
	name   string
	start  packet.Time
	end    packet.Time // 0: open
	closer io.Closer
	gz     *gzip.Reader

	g  *guard
	br *bufio.Reader
	pr *pcapgo.Reader   // classic pcap (its header; records: readPcapRecord), or
	ng *pcapgo.NgReader // pcapng
	// buf holds a classic pcap record too long to be returned in place
	// from br (at most MaxRecord bytes).
	buf []byte
	// link is the pcap file's link type (pcapng records carry their own).
	link layers.LinkType

	dec  *decoder
	maps map[netip.Addr]netip.Addr

	// m reads a regular classic pcap file in place, mapped (mapped.go);
	// nil on the bufio path.
	m *mapping
	// recStart is the offset of the record being read, recReordered the
	// reordered count before it (to put back after a fault in a mapping).
	recStart     int64
	recReordered uint64

	// The current (last delivered) record, for Raw: its bytes, its capture
	// info (pcapng) or timestamp and original length (pcap), its link type.
	raw     []byte
	ci      gopacket.CaptureInfo
	rawNS   int64
	rawOrig int
	rawLink layers.LinkType
	rawBuf  []byte // Raw's copy of a mapped record

	first     int64 // Unix ns of the first record
	haveFirst bool
	last      packet.Time

	read, delivered, reordered uint64
	bytes, capBytes            uint64
	skipped                    [numReasons]uint64
	warnings                   [numWarnings]uint64
	snaplen                    int    // pcap header's snap length, as declared
	bigEndian                  bool   // the pcap file's byte order
	fracLimit                  uint32 // 1e6 (µs) or 1e9 (ns) for pcap
	fracScale                  uint32 // 1000 (µs) or 1 (ns): to nanoseconds

	done bool
	err  *CaptureError
}

// A Reader is the packet.Source the engine replays.
var _ packet.Source = (*Reader)(nil)

// Open opens the capture file at path, telling pcap from pcapng (and
// gzip-compressed either) by its magic number. A regular, uncompressed
// classic pcap file is read in place from memory-mapped windows (see the
// package comment); the rest through NewReader. The caller must Close it.
func Open(path string, opt Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	r, err := openMapped(f, path, opt)
	if r != nil || err != nil {
		if err != nil {
			f.Close()
		}
		return r, err
	}
	r, err = NewReader(f, path, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a capture from src; name is used in errors. It reads and
// checks the file header now: an unreadable header is a *CaptureError with
// Frame 0.
func NewReader(src io.Reader, name string, opt Options) (*Reader, error) {
	if opt.Start < 0 || opt.End < 0 || (opt.End != 0 && opt.End < opt.Start) {
		return nil, fmt.Errorf("%s: capture window %v..%v is empty or negative", name, opt.Start, opt.End)
	}
	r := &Reader{name: name, start: packet.Time(opt.Start), end: packet.Time(opt.End), dec: newDecoder()}
	var head [2]byte
	n, err := io.ReadFull(src, head[:])
	if n == 0 {
		if err == io.EOF {
			err = errors.New("empty file")
		}
		return nil, r.headerError(err)
	}
	in := io.MultiReader(bytes.NewReader(head[:n]), src)
	if n == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(in)
		if err != nil {
			return nil, r.headerError(fmt.Errorf("gzip: %w", err))
		}
		r.gz, in = gz, gz
	}
	r.g = &guard{r: in}
	// pcapgo wraps its input in bufio.NewReader, which returns a
	// *bufio.Reader of at least 4 KiB unchanged: both readers below read
	// through br, so br.Buffered tells how far they have got.
	r.br = bufio.NewReaderSize(r.g, 64<<10)
	hdr, err := r.br.Peek(24)
	if len(hdr) < 4 {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, r.headerError(err)
	}
	switch magic := binary.LittleEndian.Uint32(hdr); magic {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		err = r.openPcap(hdr)
	case 0xa1b2cd34, 0x34cdb2a1:
		err = errors.New("unsupported pcap variant: Kuznetzov modified pcap (magic a1b2cd34)")
	case blockSHB:
		err = r.openPcapng()
	default:
		err = fmt.Errorf("not a pcap or pcapng file (magic %08x)", magic)
	}
	if err != nil {
		return nil, r.headerError(err)
	}
	return r, nil
}

func (r *Reader) headerError(err error) *CaptureError {
	return &CaptureError{File: r.name, Err: lower(err)}
}

// openPcap checks the 24-byte classic pcap header and opens pcapgo on it.
// pcapgo accepts a link-type field with its reserved bits set by dropping
// them; libpcap and Wireshark refuse such a file, and so does this reader.
// The FCS bits (28–31, and the F bit 27) are ignored as libpcap does: the
// decoder never reads past the IP datagram, so a trailing FCS is harmless.
func (r *Reader) openPcap(hdr []byte) error {
	if len(hdr) < 24 {
		return fmt.Errorf("pcap header: %w", io.ErrUnexpectedEOF)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if m := binary.LittleEndian.Uint32(hdr); m == 0xd4c3b2a1 || m == 0x4d3cb2a1 {
		bo = binary.BigEndian
	}
	if major, minor := bo.Uint16(hdr[4:6]), bo.Uint16(hdr[6:8]); major != 2 || minor != 4 {
		return fmt.Errorf("unsupported pcap version %d.%d (want 2.4)", major, minor)
	}
	field := bo.Uint32(hdr[20:24])
	if field&0x03ff0000 != 0 {
		return fmt.Errorf("link-type field %#08x has reserved bits set", field)
	}
	if field&0xfc000000 != 0 {
		r.warnings[WarnLinkTypeFCSBits]++
	}
	pr, err := pcapgo.NewReader(r.br)
	if err != nil {
		return err
	}
	r.snaplen = int(min(pr.Snaplen(), MaxRecord+1))
	r.pr, r.link, r.bigEndian = pr, pr.LinkType(), bo == binary.BigEndian
	r.fracLimit, r.fracScale = 1e6, 1000
	if pr.Resolution() == gopacket.TimestampResolutionNanosecond {
		r.fracLimit, r.fracScale = 1e9, 1
	}
	return nil
}

// openPcapng checks the section header's version and opens pcapgo's
// NgReader with mixed link types on: by default it drops, silently, every
// packet whose interface has a link type other than the first interface's.
func (r *Reader) openPcapng() error {
	hdr, _ := r.br.Peek(16)
	if len(hdr) == 16 {
		var bo binary.ByteOrder = binary.LittleEndian
		if binary.BigEndian.Uint32(hdr[8:12]) == 0x1A2B3C4D {
			bo = binary.BigEndian
		}
		if major, minor := bo.Uint16(hdr[12:14]), bo.Uint16(hdr[14:16]); major != 1 || minor != 0 {
			return fmt.Errorf("unsupported pcapng section version %d.%d (want 1.0)", major, minor)
		}
	}
	ng, err := pcapgo.NewNgReader(r.br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		if r.g.err != nil {
			err = r.g.err
		}
		return fmt.Errorf("pcapng section header: %w", err)
	}
	r.ng = ng
	return nil
}

// Next fills *p with the next decodable packet in the window and reports
// true, or reports false at the end. Records it cannot decode are skipped
// and counted (see Stats); they still use up a frame number, so p.Frame is
// the frame number Wireshark shows. p.At is the capture-relative time; see
// the package comment for how out-of-order timestamps are clamped.
//
// A file that ends inside a record, or is corrupt, makes Next return
// false and a *CaptureError after every good packet before it was
// delivered; Next keeps returning that error. Next does not allocate in
// steady state, with one exception outside this package's reach: pcapgo's
// NgReader boxes each packet's link type into CaptureInfo.AncillaryData,
// which costs a 2-byte allocation per packet on pcapng interfaces whose
// link type is 256 or more (Linux SLL2, 276).
func (r *Reader) Next(p *packet.Packet) (bool, error) {
	if r.m != nil {
		return r.nextMapped(p)
	}
	return r.next(p)
}

// next is Next. A record is counted in Read (and its lengths in the byte
// counts) only once its bytes have all been looked at, so that a mapped
// file cut short under the reader (mapped.go) ends the capture with the
// accounting of a file that short.
func (r *Reader) next(p *packet.Packet) (bool, error) {
	// The last record is no longer the one delivered (and on a mapped file
	// its window may go).
	r.raw = nil
	for {
		if r.done {
			if r.err != nil {
				return false, r.err
			}
			return false, nil
		}
		start := r.offset()
		r.recStart, r.recReordered = start, r.reordered
		var (
			data    []byte
			ns      int64 // pcap: Unix ns
			origlen int
			ci      gopacket.CaptureInfo // pcapng
			skip    SkipReason
			err     error
		)
		link := r.link
		switch {
		case r.m != nil:
			data, ns, origlen, skip, err = r.readMapped()
		case r.ng != nil:
			data, ci, err = r.ng.ZeroCopyReadPacketData()
			origlen = ci.Length
		default:
			data, ns, origlen, skip, err = r.readPcapRecord()
		}
		if err != nil {
			return false, r.fail(err, start)
		}
		var at packet.Time
		if r.ng != nil {
			r.countPassedOver(r.offset())
			if len(data) > ci.Length {
				r.warnings[WarnCaplenOverOriglen]++ // the pcap readers count pcap's
			}
			if len(ci.AncillaryData) > 0 {
				link, _ = ci.AncillaryData[0].(layers.LinkType)
			}
			at = r.stamp(ci.Timestamp)
		} else {
			if skip != reasonNone {
				r.read++
				r.skipped[skip]++
				continue
			}
			at = r.stampNS(ns)
		}
		if at < r.start || (r.end != 0 && at > r.end) {
			r.count(origlen, len(data))
			r.skipped[SkipOutsideWindow]++
			continue
		}
		reason := r.dec.decode(data, link, p)
		if reason != reasonNone && r.m != nil && r.dec.parseErr && r.m.cut() {
			return false, r.cutShort()
		}
		r.count(origlen, len(data))
		if r.dec.sll.badHalen {
			r.warnings[WarnSLLBadHalen]++
		}
		if reason != reasonNone {
			r.skipped[reason]++
			continue
		}
		if r.dec.cut {
			r.warnings[WarnTCPHeaderCut]++
		}
		p.At, p.Frame = at, r.read
		if r.maps != nil {
			r.mapPacket(p)
		}
		r.raw, r.rawLink = data, link
		if r.ng != nil {
			r.ci = ci
		} else {
			r.rawNS, r.rawOrig = ns, origlen
		}
		r.delivered++
		return true, nil
	}
}

// count counts a record read whole: in Read, its lengths, and a pcap
// record longer than the snap length.
func (r *Reader) count(origlen, caplen int) {
	r.read++
	r.bytes += uint64(origlen)
	r.capBytes += uint64(caplen)
	if r.ng == nil && caplen > r.snaplen {
		r.warnings[WarnCaplenOverSnaplen]++
	}
}

// countPassedOver counts as read, and skipped, the pcapng blocks before
// byte end that the guard passed over and pcapgo therefore never returns:
// custom blocks (Wireshark lists them as records, so they take frame
// numbers) and packet blocks over MaxRecord.
func (r *Reader) countPassedOver(end int64) {
	for why := r.g.nextPassedOver(end); why != reasonNone; why = r.g.nextPassedOver(end) {
		r.read++
		r.skipped[why]++
	}
}

// offset returns how many bytes of the (decompressed) file the pcapgo
// reader has consumed, or, on a mapped file, the reading position.
func (r *Reader) offset() int64 {
	if r.m != nil {
		return r.m.pos
	}
	return r.g.pos - int64(r.br.Buffered())
}

// fail ends the stream after a read error on the record that began at
// byte start. io.EOF before any byte of a record is the clean end.
func (r *Reader) fail(err error, start int64) error {
	r.done = true
	// pcapgo's NgReader turns an EOF inside a block into
	// io.ErrUnexpectedEOF itself; its io.EOF may follow trailing
	// non-packet blocks. The pcap reader returns io.EOF also when a record
	// header is followed by nothing, so that case is told by the offset.
	if err == io.EOF && r.g.err == nil && (r.ng != nil || r.offset() == start) {
		if r.ng != nil {
			r.countPassedOver(math.MaxInt64)
		}
		return nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // a record header without its data
	}
	at := start
	switch {
	case r.g.err != nil:
		err, at = r.g.err, r.g.badAt
	case r.ng != nil && isTruncation(err):
		at = r.g.truncatedAt()
	case r.ng != nil:
		// pcapgo stopped inside the block it could not read.
		if b := r.g.blockAt(r.offset() - 1); b >= start {
			at = b
		}
	}
	if r.ng != nil {
		r.countPassedOver(at)
	}
	r.err = &CaptureError{File: r.name, Frame: r.read + 1, Offset: at, Err: lower(err)}
	return r.err
}

// stamp turns a record's timestamp into capture-relative time, clamped so
// that it never goes backwards. A zero timestamp (a pcapng Simple Packet
// Block has none) takes the previous record's time.
func (r *Reader) stamp(ts time.Time) packet.Time {
	if ts.IsZero() {
		return r.last
	}
	return r.stampNS(ts.UnixNano())
}

// stampNS is stamp for a timestamp in Unix nanoseconds.
func (r *Reader) stampNS(ns int64) packet.Time {
	if !r.haveFirst {
		r.first, r.haveFirst = ns, true
	}
	rel := packet.Time(ns - r.first)
	if rel < r.last {
		r.reordered++
		rel = r.last
	}
	if rel >= packet.Never {
		rel = packet.Never - 1
	}
	r.last = rel
	return rel
}

// Map rewrites address from to address to in every packet delivered from
// now on: source, destination, and the flow an ICMP error quotes. It puts
// a capture's hosts onto a scenario's (the CLI's --map 192.168.1.10=web).
// An IPv4-mapped IPv6 address is taken as the IPv4 address.
func (r *Reader) Map(from, to netip.Addr) {
	if r.maps == nil {
		r.maps = make(map[netip.Addr]netip.Addr)
	}
	r.maps[from.Unmap()] = to.Unmap()
}

func (r *Reader) mapPacket(p *packet.Packet) {
	if a, ok := r.maps[p.Src]; ok {
		p.Src = a
	}
	if a, ok := r.maps[p.Dst]; ok {
		p.Dst = a
	}
	if p.Inner.IsValid() {
		if a, ok := r.maps[p.Inner.Src]; ok {
			p.Inner.Src = a
		}
		if a, ok := r.maps[p.Inner.Dst]; ok {
			p.Inner.Dst = a
		}
	}
}

// Raw returns the record of the packet Next last delivered: its bytes as
// captured, its capture info (timestamps, lengths, pcapng interface) and its
// link type, for writing it out again with pcapgo.Writer or NgWriter (the
// CLI's --write-dropped). data is owned by the Reader and valid only until
// the next call to Next; copy it to keep it. Before the first packet, and
// after a Next that delivered none, all three are zero. On a mapped file, Raw copies the record out of the
// mapping (into a buffer it reuses, so it does not allocate in steady
// state); if the file has been cut short under it since, data is nil and
// the next Next ends the capture with a *CaptureError.
func (r *Reader) Raw() (data []byte, ci gopacket.CaptureInfo, link layers.LinkType) {
	if r.raw == nil {
		return nil, ci, 0
	}
	if r.ng != nil {
		return r.raw, r.ci, r.rawLink
	}
	data = r.raw
	if r.m != nil {
		data = r.rawCopy(data)
	}
	ci = gopacket.CaptureInfo{
		Timestamp:     time.Unix(0, r.rawNS).UTC(),
		CaptureLength: len(r.raw),
		Length:        r.rawOrig,
	}
	return data, ci, r.rawLink
}

// Stats returns the accounting so far. After Next has returned false it
// covers the whole capture (or as much as could be read).
func (r *Reader) Stats() Stats {
	s := Stats{
		Read: r.read, Delivered: r.delivered,
		Bytes: r.bytes, CapturedBytes: r.capBytes,
		ReorderedTimestamps: r.reordered,
	}
	// The reason constants are declared in token order, so this is sorted.
	for reason, n := range r.skipped {
		if n > 0 {
			s.Skipped = append(s.Skipped, SkipCount{Reason: SkipReason(reason).String(), Count: n})
		}
	}
	for w, n := range r.warnings {
		if n > 0 {
			s.Warnings = append(s.Warnings, SkipCount{Reason: Warning(w).String(), Count: n})
		}
	}
	if r.err != nil {
		s.Truncated, s.Err = true, r.err
	}
	return s
}

// Close releases the file Open opened. It is safe to call more than once.
func (r *Reader) Close() error {
	var err error
	if r.m != nil {
		err = r.m.release() // the file is closed below: fill fails from now on
	}
	if r.gz != nil {
		err = r.gz.Close()
		r.gz = nil
	}
	if r.closer != nil {
		if cerr := r.closer.Close(); err == nil {
			err = cerr
		}
		r.closer = nil
	}
	return err
}
