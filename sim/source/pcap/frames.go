package pcap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// WriteFrames copies the records with the given frame numbers (as
// Packet.Frame numbers them) from the capture at path to w, in file order:
// the CLI's --write-dropped, given the frames the engine dropped. It reads
// the capture a second time instead of holding records while the engine
// decides, so memory stays bounded and it does not matter how far ahead of
// the verdicts the engine has read.
//
// A pcap capture is copied as pcap (nanosecond, same link type). A pcapng
// capture is copied as pcapng with one interface per link type written.
// Only frames the Reader delivers can be copied; frames not found are
// ignored. WriteFrames returns how many records it wrote; it stops at the
// last wanted frame, so a file truncated after it is not an error.
func WriteFrames(w io.Writer, path string, frames []uint64) (int, error) {
	if len(frames) == 0 {
		return 0, nil
	}
	want := slices.Clone(frames)
	slices.Sort(want)
	want = slices.Compact(want)
	r, err := Open(path, Options{})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	bw := bufio.NewWriter(w)
	out := frameWriter{w: bw, ng: r.ng != nil, link: r.link}
	var p packet.Packet
	n := 0
	for len(want) > 0 {
		ok, err := r.Next(&p)
		if !ok {
			if err != nil {
				return n, errors.Join(err, out.flush(), bw.Flush())
			}
			break
		}
		for len(want) > 0 && want[0] < p.Frame {
			want = want[1:] // asked for a frame that was not delivered
		}
		if len(want) == 0 || want[0] != p.Frame {
			continue
		}
		want = want[1:]
		data, ci, link := r.Raw()
		if data == nil && ci.CaptureLength > 0 {
			// The file was cut short under a mapped reader since Next.
			var err error = fmt.Errorf("frame %d: its record can no longer be read", p.Frame)
			if r.err != nil {
				err = r.err
			}
			return n, errors.Join(err, out.flush(), bw.Flush())
		}
		if err := out.write(data, ci, link); err != nil {
			return n, fmt.Errorf("write frame %d: %w", p.Frame, err)
		}
		n++
	}
	if err := out.flush(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// frameWriter writes records as pcap or as pcapng, opening the writer on
// the first record.
type frameWriter struct {
	w     io.Writer
	ng    bool
	link  layers.LinkType
	pw    *pcapgo.Writer
	ngw   *pcapgo.NgWriter
	iface map[layers.LinkType]int
}

func (f *frameWriter) write(data []byte, ci gopacket.CaptureInfo, link layers.LinkType) error {
	ci.AncillaryData = nil
	ci.CaptureLength = len(data)
	if ci.Length < len(data) {
		ci.Length = len(data)
	}
	if !f.ng {
		if f.pw == nil {
			f.pw = pcapgo.NewWriterNanos(f.w)
			if err := f.pw.WriteFileHeader(MaxRecord, f.link); err != nil {
				return err
			}
		}
		return f.pw.WritePacket(ci, data)
	}
	id, ok := f.iface[link]
	switch {
	case f.ngw == nil:
		intf := pcapgo.DefaultNgInterface
		intf.LinkType = link
		ngw, err := pcapgo.NewNgWriterInterface(f.w, intf, pcapgo.DefaultNgWriterOptions)
		if err != nil {
			return err
		}
		f.ngw, f.iface, id = ngw, map[layers.LinkType]int{link: 0}, 0
	case !ok:
		intf := pcapgo.DefaultNgInterface
		intf.LinkType = link
		var err error
		if id, err = f.ngw.AddInterface(intf); err != nil {
			return err
		}
		f.iface[link] = id
	}
	ci.InterfaceIndex = id
	return f.ngw.WritePacket(ci, data)
}

func (f *frameWriter) flush() error {
	if f.ngw != nil {
		return f.ngw.Flush()
	}
	return nil
}
