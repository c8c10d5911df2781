package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/ctsim/ctsim/sim/packet"
)

// This file holds the zero-copy path for classic pcap files: the records
// are read in place from a memory-mapped window of the file instead of
// being copied out of it by read(2). Only the header of each record, and
// the frame headers the decoder looks at, are read (touchAhead loads one
// byte of each cache line ahead, to have them in the cache).
//
// The windows come from a windowSource: mmap(2) on unix (mmap_unix.go),
// plain byte slices in tests. Open uses this path for a regular, not
// compressed, classic pcap file; everything else (pcapng, gzip, pipes,
// stdin, NewReader) reads through the guard and a bufio.Reader. Both paths
// deliver the same packets, Stats and errors (TestMappedMatchesRead, and
// FuzzReader on every input).

// mapWindow is the default window length: 2 MiB, mapped at a time and
// unmapped when reading moves past it, so that the mapped pages of the file
// that count in the resident set stay under it whatever the file size (the
// 2 M-packet replay must stay under 100 MB resident: 32 MiB windows took
// it from 96 MB to 132). The benchmark reads as fast with windows of 1 to
// 32 MiB: a window costs four system calls, once per ~7 000 packets.
const mapWindow = 2 << 20

// windowSource maps windows of a file. Its methods are called once per
// window, never per record.
type windowSource interface {
	// size returns the file's current size.
	size() (int64, error)
	// window returns the n bytes of the file at offset off, off a multiple
	// of align. The bytes are valid until release.
	window(off int64, n int) ([]byte, error)
	// release gives back a window.
	release(b []byte) error
	// align is the alignment of window offsets (the page size for mmap).
	align() int64
}

// mapping is the reading position in a mapped classic pcap file and the
// window around it.
type mapping struct {
	src windowSource
	// win holds bytes [base, base+len(win)) of the file; pos is the offset
	// of the next unread byte (the next record header).
	win       []byte
	base, pos int64
	size      int64 // the file size, as last seen
	winLen    int64 // the length of a window (at least one record)
	// retry is the offset of the last record read again after a fault.
	retry int64
	// ahead is the index in win up to which cache lines have been touched
	// ahead of the reading position, look how far ahead to touch them
	// (lookahead), sink keeps those loads; noTouch turns touchAhead off
	// (in a test that needs faults in the decoder).
	ahead, look int64
	sink        byte
	noTouch     bool
}

// newMapping starts reading src at offset pos with windows of winLen bytes.
func newMapping(src windowSource, pos, winLen int64) *mapping {
	a := src.align()
	winLen = max((winLen+a-1)/a*a, a)
	return &mapping{src: src, base: pos, pos: pos, winLen: winLen, look: lookahead}
}

// fill maps the window that holds bytes [pos, pos+n) of the file. It first
// reads the file size again, so a file that grew since is read on (as read(2)
// would), and a file cut short is found before its missing pages are
// mapped. It returns io.EOF when the file ends at pos and
// io.ErrUnexpectedEOF when it ends inside [pos, pos+n).
func (m *mapping) fill(n int64) error {
	size, err := m.src.size()
	if err != nil {
		return err
	}
	m.size = size
	end := m.pos + n
	if end > size {
		if m.pos >= size {
			return io.EOF
		}
		return io.ErrUnexpectedEOF
	}
	if err := m.release(); err != nil {
		return err
	}
	a := m.src.align()
	base := m.pos / a * a
	length := min(max(m.winLen, end-base), size-base)
	b, err := m.src.window(base, int(length))
	if err != nil {
		return fmt.Errorf("map capture: %w", err)
	}
	m.win, m.base, m.ahead = b, base, m.pos-base
	return nil
}

// lookahead is how far past the record being read touchAhead loads the
// window's cache lines: a page (4 KiB on most systems) and a line, so that
// the first page a cut took away is touched, and faults, before the record
// that crosses the cut is returned (see nextMapped).
const lookahead = 4096 + 64

// touchAhead loads one byte of every cache line of the window from index
// start, the record being read, to at least m.look bytes after its end, in
// runs of touchRun bytes. Each record header says where the next one is,
// so reading them is a chain of dependent loads that the CPU cannot
// overlap: a cache miss per record (~90 ns on the benchmark capture),
// which read(2)'s copy of all the bytes did not pay. The loads here depend
// on nothing, so they overlap, and the records' lines are in the cache by
// the time they are read. (Measured on the benchmark capture: reading the
// records alone costs 90 ns each without the loads, 21 ns with one line at
// a time, 14 ns with runs of 1 KiB; prefetch instructions in assembly did
// no better than loads.)
func (m *mapping) touchAhead(start, end int64) {
	if m.noTouch {
		return
	}
	end = min(end+m.look, int64(len(m.win)))
	t, s := max(m.ahead, start), m.sink
	if t >= end {
		return
	}
	end = min(max(end, t+touchRun), int64(len(m.win)))
	for ; t < end; t += 64 {
		s += m.win[t]
	}
	m.ahead, m.sink = t, s
}

// touchRun is how many bytes touchAhead touches at a time.
const touchRun = 1024

// skip moves past n bytes at pos without mapping them (an oversized
// record's data), or reports io.ErrUnexpectedEOF if the file ends first.
func (m *mapping) skip(n int64) error {
	if m.pos+n > m.size {
		size, err := m.src.size()
		if err != nil {
			return err
		}
		m.size = size
		if m.pos+n > size {
			return io.ErrUnexpectedEOF
		}
	}
	m.pos += n
	return nil
}

// release gives back the current window.
func (m *mapping) release() error {
	if m.win == nil {
		return nil
	}
	b := m.win
	m.win, m.base = nil, m.pos
	return m.src.release(b)
}

// faultIn reports whether panic value e is a memory fault (under
// debug.SetPanicOnFault) at an address in b.
func faultIn(e any, b []byte) bool {
	fault, ok := e.(interface {
		runtime.Error
		Addr() uintptr
	})
	if !ok || len(b) == 0 {
		return false
	}
	lo, addr := uintptr(unsafe.Pointer(unsafe.SliceData(b))), fault.Addr()
	return addr >= lo && addr-lo < uintptr(len(b))
}

// copyMapped copies mapped bytes src into dst, and reports false, instead
// of crashing, if reading src faults (its file cut short under the
// mapping).
func copyMapped(dst, src []byte) (ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if e := recover(); e != nil {
			if !faultIn(e, src) {
				panic(e)
			}
			ok = false
		}
	}()
	copy(dst, src)
	return true
}

// newMappedReader reads the classic pcap file that src maps, from its
// header on, or returns nil when src is not one (too short for a pcap
// header, or another format): the caller then reads the file through
// NewReader, which reports it as it always has. The file header is checked
// by NewReader itself, so its errors are the same.
func newMappedReader(src windowSource, name string, opt Options, winLen int64) (*Reader, error) {
	size, err := src.size()
	if err != nil || size < 24 {
		return nil, nil
	}
	w, err := src.window(0, 24)
	if err != nil {
		return nil, nil
	}
	var hdr [24]byte
	ok := copyMapped(hdr[:], w)
	if err := src.release(w); err != nil || !ok {
		return nil, nil
	}
	switch binary.LittleEndian.Uint32(hdr[:]) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
	default:
		return nil, nil
	}
	r, err := NewReader(bytes.NewReader(hdr[:]), name, opt)
	if err != nil {
		return nil, err
	}
	r.m = newMapping(src, 24, winLen)
	r.m.size = size
	return r, nil
}

// readMapped is readPcapRecord for a mapped file: the record's bytes are
// returned in place, in the current window. It counts the same warnings
// and returns the same errors, at the same points. Every load from the
// window happens before anything is counted or m.pos moves, so a fault
// (the file cut short under it) can be retried from the record's start
// (see nextMapped).
func (r *Reader) readMapped() (data []byte, ns int64, origlen int, skip SkipReason, err error) {
	m := r.m
	i := m.pos - m.base
	if i+16 > int64(len(m.win)) {
		if err := m.fill(16); err != nil {
			return nil, 0, 0, reasonNone, err
		}
		i = m.pos - m.base
	}
	h := m.win[i : i+16 : i+16]
	sec, frac, caplen, orig, err := r.recordHeader(h)
	if err != nil {
		return nil, 0, 0, reasonNone, err
	}
	n := 16 + int64(caplen)
	if caplen > MaxRecord {
		err := m.skip(n)
		ns = r.recordTime(sec, frac, caplen, orig)
		if err != nil {
			return nil, 0, 0, reasonNone, err
		}
		return nil, ns, int(orig), SkipOversizedRecord, nil
	}
	if i+n > int64(len(m.win)) {
		if err := m.fill(n); err != nil { // io.ErrUnexpectedEOF: the header is there
			r.recordTime(sec, frac, caplen, orig)
			return nil, 0, 0, reasonNone, err
		}
		i = m.pos - m.base
	}
	m.touchAhead(i, i+n)
	ns = r.recordTime(sec, frac, caplen, orig)
	m.pos += n
	return m.win[i+16 : i+n : i+n], ns, int(orig), reasonNone, nil
}

// recordTime counts the warnings a classic pcap record header raises and
// returns its timestamp in Unix nanoseconds.
func (r *Reader) recordTime(sec, frac, caplen, origlen uint32) int64 {
	if frac >= r.fracLimit {
		// Like pcapgo (including its uint32 product), carry an
		// out-of-range fraction into the seconds.
		r.warnings[WarnTimestampFraction]++
	}
	if caplen > origlen {
		r.warnings[WarnCaplenOverOriglen]++
	}
	// time.Unix(sec, frac*scale).UnixNano(), without the time.Time: no
	// overflow, as sec < 2^32 and the fraction < 2^32.
	return int64(sec)*1e9 + int64(frac*r.fracScale)
}

// errMapFault ends a mapped capture whose pages fault although the file
// is as long as they: an I/O error under the mapping, most likely.
var errMapFault = errors.New("memory fault reading the mapped capture (an I/O error?)")

// nextMapped is Next on a mapped file. A file cut short by someone else
// while it is mapped makes its lost pages fault (SIGBUS) when read; the
// fault is recovered instead of crashing the program, and reading goes on
// as if the file had been that short all along: the record is read again
// from its start in a window of the file's new size (at most once: a
// second fault on the same record is errMapFault), or, if the fault came
// while the record was decoded (its own bytes are gone), the capture ends
// with a *CaptureError for io.ErrUnexpectedEOF, as read(2) would end it.
// touchAhead touches a page past each record before the record is
// returned, so a cut is met (as a fault in touchAhead, read again) before
// the record that crosses it. What is left: the rest of the page a cut
// falls in stays readable, as zeros, so a cut inside the file's last page
// (which takes no page away), a cut made between touchAhead and the read,
// or a system with pages over 4 KiB, can have records read from zeros
// until the reader next looks at the file size (at the next window).
// TestMappedFileCutShortWhileReading checks cuts at and around every page.
func (r *Reader) nextMapped(p *packet.Packet) (bool, error) {
	for {
		ok, err, again := r.nextGuarded(p)
		if !again {
			return ok, err
		}
	}
}

// nextGuarded is next with faults in the window recovered by faulted.
func (r *Reader) nextGuarded(p *packet.Packet) (ok bool, err error, again bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if e := recover(); e != nil {
			again, err = r.faulted(e)
			ok = false
		}
	}()
	ok, err = r.next(p)
	return ok, err, false
}

// faulted handles a memory fault e in the window, met on the record that
// began at r.recStart, and reports whether to read that record again. A
// panic that is not a fault in the window is not the reader's to handle
// and goes on.
func (r *Reader) faulted(e any) (again bool, err error) {
	if !faultIn(e, r.m.win) {
		panic(e)
	}
	if r.m.pos != r.recStart {
		return false, r.cutShort() // in the decoder: the record is cut
	}
	if r.m.retry == r.recStart {
		r.m.release()
		r.done = true
		r.err = &CaptureError{File: r.name, Frame: r.read + 1, Offset: r.recStart, Err: errMapFault}
		return false, r.err
	}
	r.m.retry = r.recStart
	return true, r.m.release()
}

// cutShort ends a mapped capture whose current record was found cut short
// under the reader: cleanly if the file now ends before the record, else
// with a *CaptureError for io.ErrUnexpectedEOF. The counters the record had
// moved before are put back.
func (r *Reader) cutShort() error {
	r.reordered = r.recReordered
	r.m.pos = r.recStart
	r.m.release()
	size, err := r.m.src.size()
	switch {
	case err != nil:
	case r.recStart >= size:
		err = io.EOF
	default:
		err = io.ErrUnexpectedEOF
	}
	return r.fail(err, r.recStart)
}

// cut reports whether the mapped file now ends before the end of the
// record just read: the decoder's parser turns a fault into an error of
// its own (gopacket recovers panics), so a failed decode of a mapped record
// asks the file.
func (m *mapping) cut() bool {
	size, err := m.src.size()
	return err != nil || size < m.pos
}

// rawCopy copies the mapped record data into r.rawBuf, so that Raw's bytes
// stay readable whatever happens to the file (and after Close). A fault
// while copying (the file cut short since) gives no bytes and ends the
// capture: the next Next returns a *CaptureError for io.ErrUnexpectedEOF.
func (r *Reader) rawCopy(data []byte) []byte {
	if cap(r.rawBuf) < len(data) {
		r.rawBuf = make([]byte, max(len(data), 2048))
	}
	buf := r.rawBuf[:len(data)]
	if !copyMapped(buf, data) {
		if !r.done {
			r.done = true
			// The record whose bytes are gone: the one Next delivered.
			r.err = &CaptureError{File: r.name, Frame: r.read, Offset: r.recStart, Err: io.ErrUnexpectedEOF}
		}
		return nil
	}
	return buf
}
