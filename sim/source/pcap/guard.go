package pcap

import (
	"encoding/binary"
	"fmt"
	"io"
)

// MaxRecord is the largest captured length the reader accepts for one
// record, libpcap's MAXIMUM_SNAPLEN (256 KiB). No buffer is ever sized from a
// length in the file beyond it: a pcap header's snap length is capped to it
// (pcapgo then refuses longer records), and the pcapng guard below refuses a
// packet block that declares more.
const MaxRecord = 262144

// Block size limits the guard enforces on pcapng. A packet block holds at
// most MaxRecord bytes of packet plus its options; other blocks (section and
// interface headers with long comments, name resolution) get more room, but
// pcapgo reads their options one at a time (at most 64 KiB each), so the
// limit only bounds the time spent skipping garbage.
const (
	maxPacketBlock = MaxRecord + 64<<10
	maxOtherBlock  = 16 << 20
)

// pcapng block types the guard looks inside (pcapng spec §4).
const (
	blockSHB = 0x0A0D0D0A
	blockOPB = 0x00000002
	blockSPB = 0x00000003
	blockEPB = 0x00000006
)

// guard sits under the bufio.Reader that pcapgo reads from. It counts the
// bytes passed through (so the Reader can name byte offsets), and, when the
// stream is pcapng, it walks the block headers as they go past and ends the
// stream with an error at the first block whose length is absurd (below 12,
// not a multiple of 4, over the limits above) or whose packet claims more
// bytes than the block holds. pcapgo v1.7.7 would otherwise grow a buffer to
// whatever a hostile EPB declares, as long as the file has bytes to give.
//
// The bytes before the bad block are passed on first, so the packets in
// them are still delivered.
type guard struct {
	r   io.Reader
	pos int64 // bytes passed through so far

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
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if n > 0 && (!g.decided || g.ng) {
		if cut, bad := g.scan(p[:n]); bad != nil {
			g.err, n, err = bad, cut, nil
		}
	}
	g.pos += int64(n)
	return n, err
}

// scan follows the block structure through b, which starts at offset g.pos.
// On a bad block it returns the number of bytes of b before that block and
// the error.
func (g *guard) scan(b []byte) (int, error) {
	for i := 0; i < len(b); {
		abs := g.pos + int64(i)
		if abs < g.next {
			skip := g.next - abs
			if skip > int64(len(b)-i) {
				return len(b), nil
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
				return len(b), nil
			}
		}
		var err error
		if !g.lenOK {
			if g.length, err = g.checkLength(); err == nil {
				g.lenOK = true
				if g.hdrN < g.needed() {
					continue // now read the packet block's lengths
				}
			}
		}
		if err == nil {
			err = g.checkPacket()
		}
		if err != nil {
			g.badAt = g.next
			cut := max(g.next-g.pos, 0)
			return int(cut), err
		}
		g.cur = g.next
		g.starts[g.nstarts%len(g.starts)] = g.next
		g.nstarts++
		g.next += int64(g.length)
		g.hdrN, g.lenOK = 0, false
	}
	return len(b), nil
}

// needed returns how many header bytes the block at g.next must show before
// the guard can judge it: type and length (and the byte-order magic of a
// section header) first; once the length is known good, the original length
// of an SPB or the captured length of an EPB or OPB.
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
	limit := uint32(maxOtherBlock)
	if typ == blockEPB || typ == blockOPB || typ == blockSPB {
		limit = maxPacketBlock
	}
	if length > limit {
		return 0, fmt.Errorf("%w: block length %d over the %d-byte limit", errRecordTooLarge, length, limit)
	}
	if (typ == blockEPB || typ == blockOPB) && length < 32 {
		return 0, fmt.Errorf("%w: packet block length %d under 32", errBadBlock, length)
	}
	return length, nil
}

// checkPacket checks that a packet block's packet fits in the block.
func (g *guard) checkPacket() error {
	switch g.u32(g.hdr[:4]) {
	case blockEPB, blockOPB:
		if caplen := g.u32(g.hdr[20:24]); caplen > g.length-32 {
			return fmt.Errorf("%w: captured length %d does not fit its %d-byte block", errBadBlock, caplen, g.length)
		}
	case blockSPB:
		// An SPB's packet may be cut to the interface's snap length, which
		// the guard does not know, so only an absurd length is refused.
		if origlen := g.u32(g.hdr[8:12]); origlen > MaxRecord && origlen > g.length-16 {
			return fmt.Errorf("%w: packet length %d does not fit its %d-byte block", errBadBlock, origlen, g.length)
		}
	}
	return nil
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
