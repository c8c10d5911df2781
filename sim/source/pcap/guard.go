package pcap

import (
	"encoding/binary"
	"fmt"
	"io"
)

// MaxRecord is the largest captured length the reader reads for one
// record, libpcap's MAXIMUM_SNAPLEN (256 KiB), in pcap and pcapng alike. No
// buffer is ever sized from a length in the file beyond it: a record (pcap
// record, or pcapng EPB, OPB or SPB) that captured more is passed over
// unread and skipped as oversized_record, as long as its header is sane
// (under maxSaneRecord, and fitting its pcapng block); an insane header
// ends the capture with a *CaptureError.
const MaxRecord = 262144

// Per-section limits on pcapng Interface Description Blocks. pcapgo keeps
// every interface of the current section in memory (with its name,
// description, filter and OS strings), so without a limit a file of nothing
// but IDBs makes memory grow with the file. 65 536 interfaces is all an
// OPB's 16-bit interface ID can name; 16 MiB of IDBs is 256 bytes each.
const (
	maxInterfaces     = 65536
	maxInterfaceBytes = 16 << 20
)

// pcapng block types the guard looks inside (pcapng spec §4), and
// blockPassedOver, the type (one reserved for local use) the guard writes
// over an oversized packet block's so that pcapgo skips it unread.
const (
	blockSHB        = 0x0A0D0D0A
	blockIDB        = 0x00000001
	blockOPB        = 0x00000002
	blockSPB        = 0x00000003
	blockEPB        = 0x00000006
	blockCustom     = 0x00000BAD
	blockCustomNC   = 0x40000BAD // custom block not to be copied
	blockPassedOver = 0x80000B0D
)

// skipRing is the size of the guard's queue of blocks pcapgo will not
// return that the Reader counts as frames. Entries lie at least 12 bytes
// apart and at most the read buffer (64 KiB) plus the carry has been
// scanned and not yet consumed by pcapgo, so at most 5 464 entries wait to
// be consumed; when the ring is full its oldest entry has been consumed.
const skipRing = 8192

// guard sits under the bufio.Reader that pcapgo reads from. It counts the
// bytes passed through (so the Reader can name byte offsets), and, when the
// stream is pcapng, it walks the block headers as they go past and:
//
//   - ends the stream with an error at the first block whose length is
//     absurd (below 12, not a multiple of 4, over maxSaneRecord), whose
//     packet claims more bytes than the block holds, or that is one
//     interface too many for its section (maxInterfaces, maxInterfaceBytes).
//     pcapgo v1.7.7 would otherwise grow a buffer to whatever a hostile EPB
//     declares, and keep every IDB in memory. The bytes before the bad
//     block are passed on first, so the packets in them are still
//     delivered;
//   - writes blockPassedOver over the type of a sane packet block whose
//     packet is over MaxRecord, so that pcapgo discards it unread, and
//     queues it, like every custom block (which pcapgo skips too), for the
//     Reader to count as a skipped frame (countPassedOver).
//
// To see a whole block header before passing any byte of it on, the guard
// reads the rest of a header that straddles the end of a read into carry,
// and hands those bytes out first on the next Read.
type guard struct {
	r   io.Reader
	pos int64 // bytes passed through so far

	out    []byte   // the bytes the current Read passes on, while it scans
	carry  [28]byte // header bytes read ahead and scanned, not yet passed on
	ncarry int

	// Per-section counts of interface description blocks, and the snap
	// length of interface 0 (pcapgo cuts an SPB's packet to it).
	ifaces  int
	ifBytes int64
	snap0   uint32

	// The queue of blocks passed over: offset and skip reason, a ring
	// indexed by skipIn (pushed) and skipOut (counted by the Reader);
	// early counts entries pushed out of the full ring, all consumed.
	skipAt          [skipRing]int64
	skipWhy         [skipRing]SkipReason
	skipIn, skipOut uint64
	early           [numReasons]uint64
	nearly          uint64

	ng      bool  // the stream is pcapng (decided by its first 4 bytes)
	decided bool  // ng is known
	be      bool  // current section is big-endian
	next    int64 // offset of the next block header
	hdr     [28]byte
	hdrN    int  // header bytes collected for the block at next
	lenOK   bool // the block at next has a good type and length
	length  uint32
	cur     int64 // offset of the block whose body is being passed
	err     error // sticky error to return
	badAt   int64 // offset of the block the guard refused

	// starts holds the offsets of the last len(starts) blocks, a ring
	// indexed by nstarts, so that an error pcapgo reports can be placed in
	// its block although the bufio.Reader above reads ahead (a 64 KiB
	// buffer holds at most 64Ki/12 blocks; the ring covers the usual case
	// of a few hundred and errs on the early side otherwise).
	starts  [512]int64
	nstarts int
}

// Read implements io.Reader.
func (g *guard) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if g.ncarry > 0 { // scanned already
		n := copy(p, g.carry[:g.ncarry])
		g.ncarry = copy(g.carry[:], g.carry[n:g.ncarry])
		g.pos += int64(n)
		return n, nil
	}
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if n > 0 && (!g.decided || g.ng) {
		g.out = p[:n]
		bad := g.scan(p[:n], g.pos)
		if bad == nil && err == nil && g.hdrN > 0 && g.hdrN < g.needed() {
			bad = g.topUp()
		}
		if bad != nil {
			g.err, n, err = bad, int(max(g.badAt-g.pos, 0)), nil
			g.ncarry = 0
		}
		g.out = nil
	}
	g.pos += int64(n)
	return n, err
}

// topUp reads the rest of the block header that g.out ends inside into
// carry and scans it. A short read (end of file, read error) is left for
// the next Read to meet again.
func (g *guard) topUp() error {
	for g.hdrN > 0 && g.hdrN < g.needed() {
		want := g.needed() - g.hdrN
		m, err := io.ReadFull(g.r, g.carry[g.ncarry:g.ncarry+want])
		if m > 0 {
			at := g.pos + int64(len(g.out)+g.ncarry)
			g.ncarry += m
			if bad := g.scan(g.carry[g.ncarry-m:g.ncarry], at); bad != nil {
				return bad
			}
		}
		if err != nil {
			return nil
		}
	}
	return nil
}

// scan follows the block structure through b, which starts at offset at.
// On a bad block it sets g.badAt to its offset and returns the error.
func (g *guard) scan(b []byte, at int64) error {
	for i := 0; i < len(b); {
		abs := at + int64(i)
		if abs < g.next {
			skip := g.next - abs
			if skip > int64(len(b)-i) {
				return nil
			}
			i += int(skip)
			continue
		}
		k := copy(g.hdr[g.hdrN:g.needed()], b[i:])
		g.hdrN += k
		i += k
		if g.hdrN < g.needed() {
			continue // the header goes on in the next read
		}
		if !g.decided {
			g.decided = true
			g.ng = binary.LittleEndian.Uint32(g.hdr[:4]) == blockSHB
			if !g.ng {
				return nil
			}
		}
		var err error
		if !g.lenOK {
			if g.length, err = g.checkLength(); err == nil {
				g.lenOK = true
				if g.hdrN < g.needed() {
					continue // now read the block's fixed fields
				}
			}
		}
		var skip SkipReason
		if err == nil {
			skip, err = g.checkBlock()
		}
		if err != nil {
			g.badAt = g.next
			return err
		}
		if skip != reasonNone {
			g.passOver(skip)
		}
		g.cur = g.next
		g.starts[g.nstarts%len(g.starts)] = g.next
		g.nstarts++
		g.next += int64(g.length)
		g.hdrN, g.lenOK = 0, false
	}
	return nil
}

// passOver queues the block at g.next as skipped for reason why; an
// oversized packet block gets the type blockPassedOver, which pcapgo
// discards. Its header is in g.out or in carry: Read only passes bytes on
// once the block header they start has been judged.
func (g *guard) passOver(why SkipReason) {
	if why == SkipOversizedRecord {
		var typ [4]byte
		if g.be {
			binary.BigEndian.PutUint32(typ[:], blockPassedOver)
		} else {
			binary.LittleEndian.PutUint32(typ[:], blockPassedOver)
		}
		for k, c := range typ {
			if o := int(g.next - g.pos + int64(k)); o < len(g.out) {
				g.out[o] = c
			} else {
				g.carry[o-len(g.out)] = c
			}
		}
	}
	if g.skipIn-g.skipOut == skipRing {
		g.early[g.skipWhy[g.skipOut%skipRing]]++
		g.nearly++
		g.skipOut++
	}
	g.skipAt[g.skipIn%skipRing] = g.next
	g.skipWhy[g.skipIn%skipRing] = why
	g.skipIn++
}

// nextPassedOver returns the skip reason of the next block passed over
// that starts before byte end, in file order (entries pushed out of the
// full ring first), or reasonNone.
func (g *guard) nextPassedOver(end int64) SkipReason {
	if g.nearly > 0 {
		for why, n := range g.early {
			if n > 0 {
				g.early[why]--
				g.nearly--
				return SkipReason(why)
			}
		}
	}
	if g.skipOut < g.skipIn && g.skipAt[g.skipOut%skipRing] < end {
		g.skipOut++
		return g.skipWhy[(g.skipOut-1)%skipRing]
	}
	return reasonNone
}

// needed returns how many header bytes the block at g.next must show before
// the guard can judge it: type and length (and the byte-order magic of a
// section header) first; once the length is known good, the original length
// of an SPB, the captured length of an EPB or OPB, or the snap length of an
// IDB.
func (g *guard) needed() int {
	if g.hdrN < 8 {
		return 8
	}
	if binary.LittleEndian.Uint32(g.hdr[:4]) == blockSHB {
		return 12
	}
	if !g.lenOK {
		return 8
	}
	switch g.u32(g.hdr[:4]) {
	case blockEPB, blockOPB:
		return 24
	case blockSPB:
		return 12
	case blockIDB:
		return 16
	}
	return 8
}

func (g *guard) u32(b []byte) uint32 {
	if g.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// checkLength validates the type and total length of the block at g.next
// (and a section header's byte order) and returns the length.
func (g *guard) checkLength() (uint32, error) {
	if binary.LittleEndian.Uint32(g.hdr[:4]) == blockSHB {
		switch {
		case binary.LittleEndian.Uint32(g.hdr[8:12]) == 0x1A2B3C4D:
			g.be = false
		case binary.BigEndian.Uint32(g.hdr[8:12]) == 0x1A2B3C4D:
			g.be = true
		default:
			return 0, fmt.Errorf("%w: bad byte-order magic %x", errBadBlock, g.hdr[8:12])
		}
	}
	typ, length := g.u32(g.hdr[:4]), g.u32(g.hdr[4:8])
	if length < 12 || length%4 != 0 {
		return 0, fmt.Errorf("%w: block length %d", errBadBlock, length)
	}
	if length > maxSaneRecord {
		return 0, fmt.Errorf("%w: block length %d over the %d-byte limit", errRecordTooLarge, length, maxSaneRecord)
	}
	if (typ == blockEPB || typ == blockOPB) && length < 32 {
		return 0, fmt.Errorf("%w: packet block length %d under 32", errBadBlock, length)
	}
	if typ == blockIDB && length < 20 {
		return 0, fmt.Errorf("%w: interface description block length %d under 20", errBadBlock, length)
	}
	return length, nil
}

// checkBlock judges the block at g.next once needed() header bytes are in:
// it counts a section's interfaces, checks that a packet block's packet fits
// in the block, and returns the skip reason of a block to pass over (a
// packet over MaxRecord, a custom block).
func (g *guard) checkBlock() (SkipReason, error) {
	switch g.u32(g.hdr[:4]) {
	case blockSHB:
		g.ifaces, g.ifBytes, g.snap0 = 0, 0, 0
	case blockIDB:
		g.ifaces++
		g.ifBytes += int64(g.length)
		if g.ifaces > maxInterfaces {
			return reasonNone, fmt.Errorf("%w: interface description block %d of its section, over the limit of %d", errTooManyInterfaces, g.ifaces, maxInterfaces)
		}
		if g.ifBytes > maxInterfaceBytes {
			return reasonNone, fmt.Errorf("%w: interface description blocks of its section total %d bytes, over the limit of %d", errTooManyInterfaces, g.ifBytes, maxInterfaceBytes)
		}
		if g.ifaces == 1 {
			g.snap0 = g.u32(g.hdr[12:16])
		}
	case blockEPB, blockOPB:
		caplen := g.u32(g.hdr[20:24])
		if caplen > g.length-32 {
			return reasonNone, fmt.Errorf("%w: captured length %d does not fit its %d-byte block", errBadBlock, caplen, g.length)
		}
		if caplen > MaxRecord {
			return SkipOversizedRecord, nil
		}
	case blockSPB:
		// pcapgo cuts an SPB's packet to interface 0's snap length (and
		// refuses an SPB before any IDB itself).
		caplen := g.u32(g.hdr[8:12])
		if g.ifaces > 0 && g.snap0 != 0 {
			caplen = min(caplen, g.snap0)
		}
		switch fits := caplen <= g.length-16; {
		case !fits && caplen > MaxRecord:
			return reasonNone, fmt.Errorf("%w: packet length %d does not fit its %d-byte block", errBadBlock, caplen, g.length)
		case fits && caplen > MaxRecord && g.ifaces > 0:
			return SkipOversizedRecord, nil
		}
	case blockCustom, blockCustomNC:
		return SkipCustomBlock, nil
	}
	return reasonNone, nil
}

// blockAt returns the offset of the pcapng block holding byte off, as far
// as the ring of recent block starts remembers, or -1.
func (g *guard) blockAt(off int64) int64 {
	for i := range min(g.nstarts, len(g.starts)) {
		if s := g.starts[(g.nstarts-1-i)%len(g.starts)]; s <= off {
			return s
		}
	}
	return -1
}

// truncatedAt returns the offset of the block the stream ended in, for a
// file that ends in the middle of a pcapng block.
func (g *guard) truncatedAt() int64 {
	if g.hdrN > 0 {
		return g.next // cut inside a block header
	}
	return g.cur
}
