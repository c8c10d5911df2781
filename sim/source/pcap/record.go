package pcap

import (
	"encoding/binary"
	"fmt"
	"io"
)

// maxSaneRecord is the length beyond which a record header (a pcap
// record's captured length, a pcapng block's total length) is taken as
// garbage: the capture ends there with a *CaptureError. A record over
// MaxRecord but within this limit is sane: it is passed over without being
// read into memory, skipped with reason oversized_record, and reading goes
// on. 16 MiB is libpcap's and Wireshark's largest pcapng block.
const maxSaneRecord = 16 << 20

// readPcapRecord reads the next classic pcap record. pcapgo's Reader is
// only used for the file header: it ends the whole capture at a record
// whose captured length is over its original length (libpcap and Wireshark
// read such a record) or over the snap length, and it copies every record
// out of the read buffer. Here a record of up to the read buffer's size is
// returned in place (valid until the next read), a longer one is copied
// into r.buf, and a sane record over MaxRecord is discarded unread and
// reported as skip = SkipOversizedRecord.
//
// A clean end of file (no byte of a next record header) is io.EOF; a file
// that ends inside a record is io.ErrUnexpectedEOF.
// recordHeader reads the 16-byte header h of a classic pcap record in the
// file's byte order, refusing a captured length no sane record has.
func (r *Reader) recordHeader(h []byte) (sec, frac, caplen, orig uint32, err error) {
	if r.bigEndian {
		sec, frac = binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint32(h[4:8])
		caplen, orig = binary.BigEndian.Uint32(h[8:12]), binary.BigEndian.Uint32(h[12:16])
	} else {
		sec, frac = binary.LittleEndian.Uint32(h[0:4]), binary.LittleEndian.Uint32(h[4:8])
		caplen, orig = binary.LittleEndian.Uint32(h[8:12]), binary.LittleEndian.Uint32(h[12:16])
	}
	if caplen > maxSaneRecord {
		return 0, 0, 0, 0, fmt.Errorf("%w: captured length %d over the %d-byte limit", errRecordTooLarge, caplen, maxSaneRecord)
	}
	return sec, frac, caplen, orig, nil
}

func (r *Reader) readPcapRecord() (data []byte, ns int64, origlen int, skip SkipReason, err error) {
	h, err := r.br.Peek(16)
	if len(h) < 16 {
		if len(h) > 0 && (err == nil || err == io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, 0, reasonNone, err
	}
	sec, frac, caplen, orig, err := r.recordHeader(h)
	if err != nil {
		return nil, 0, 0, reasonNone, err
	}
	r.br.Discard(16) // the 16 bytes are buffered: this cannot fail
	ns, origlen = r.recordTime(sec, frac, caplen, orig), int(orig)
	n := int(caplen)
	switch {
	case n > MaxRecord:
		if m, err := r.br.Discard(n); m < n {
			return nil, 0, 0, reasonNone, truncation(err)
		}
		return nil, ns, origlen, SkipOversizedRecord, nil
	case n <= r.br.Size():
		data, err = r.br.Peek(n)
		if len(data) < n {
			return nil, 0, 0, reasonNone, truncation(err)
		}
		r.br.Discard(n)
		return data, ns, origlen, reasonNone, nil
	}
	if cap(r.buf) < n {
		r.buf = make([]byte, MaxRecord)
	}
	data = r.buf[:n]
	if _, err := io.ReadFull(r.br, data); err != nil {
		return nil, 0, 0, reasonNone, truncation(err)
	}
	return data, ns, origlen, reasonNone, nil
}

// truncation turns the error of a read cut short inside a record into
// io.ErrUnexpectedEOF; other errors (a gzip checksum, a disk error) pass.
func truncation(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
