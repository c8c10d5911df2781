package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/pcap"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// droppedWriter writes the records of dropped packets to a capture for
// Wireshark (--write-dropped): pcapng when the file name ends in
// ".pcapng" (any mix of link types), else classic nanosecond pcap with the
// link type of the first packet written. Records are written as captured,
// with their original timestamps and frame contents.
type droppedWriter struct {
	path    string
	f       *os.File
	bw      *bufio.Writer
	ng      bool
	pw      *pcapgo.Writer
	nw      *pcapgo.NgWriter
	link    layers.LinkType
	started bool
	ngIntf  map[layers.LinkType]int
	written uint64
}

func newDroppedWriter(path string) (*droppedWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--write-dropped: %w", err)
	}
	return &droppedWriter{path: path, f: f, bw: bufio.NewWriterSize(f, 256<<10),
		ng: strings.HasSuffix(strings.ToLower(path), ".pcapng")}, nil
}

// start writes the file header for link type lt.
func (w *droppedWriter) start(lt layers.LinkType) error {
	w.started, w.link = true, lt
	if w.ng {
		intf := pcapgo.DefaultNgInterface
		intf.LinkType = lt
		intf.TimestampResolution = 9
		nw, err := pcapgo.NewNgWriterInterface(w.bw, intf, pcapgo.DefaultNgWriterOptions)
		if err != nil {
			return err
		}
		w.nw = nw
		w.ngIntf = map[layers.LinkType]int{lt: 0}
		return nil
	}
	w.pw = pcapgo.NewWriterNanos(w.bw)
	return w.pw.WriteFileHeader(262144, lt)
}

// write appends one record.
func (w *droppedWriter) write(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType) error {
	if !w.started {
		if err := w.start(lt); err != nil {
			return err
		}
	}
	ci.CaptureLength = len(data)
	if ci.Length < len(data) {
		ci.Length = len(data)
	}
	w.written++
	if w.ng {
		id, ok := w.ngIntf[lt]
		if !ok {
			intf := pcapgo.DefaultNgInterface
			intf.LinkType = lt
			intf.TimestampResolution = 9
			var err error
			if id, err = w.nw.AddInterface(intf); err != nil {
				return err
			}
			w.ngIntf[lt] = id
		}
		ci.InterfaceIndex = id
		return w.nw.WritePacket(ci, data)
	}
	if lt != w.link {
		return fmt.Errorf("--write-dropped %s: the capture mixes link types (%s, %s); a classic pcap holds one: name the file .pcapng", w.path, w.link, lt)
	}
	return w.pw.WritePacket(ci, data)
}

// close finishes the file; an empty capture gets a header of link type lt.
func (w *droppedWriter) close(lt layers.LinkType) error {
	var err error
	if !w.started {
		err = w.start(lt)
	}
	if err == nil && w.nw != nil {
		err = w.nw.Flush()
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--write-dropped %s: %w", w.path, err)
	}
	return nil
}

// keptRecords is how many of the last raw records droppedSource keeps: more
// than the engine reads ahead of the packet it decides (sim.AddSource).
const keptRecords = 16

// droppedSource hands the capture to the engine (Engine.Run reads it ahead)
// and writes the packets the engine drops to w, from copies of the last
// keptRecords raw records: by the time a packet is decided the reader has
// moved on, and Raw describes a later record.
type droppedSource struct {
	rd      *pcap.Reader
	w       *droppedWriter
	prog    *progress
	n       uint64
	frame   [keptRecords]uint64 // 0: empty
	data    [keptRecords][]byte
	ci      [keptRecords]gopacket.CaptureInfo
	link    [keptRecords]layers.LinkType
	first   layers.LinkType // the first record's link type
	err     error           // the first write error
	readErr error           // the reader's error that ended the capture
}

// Next reads the next packet and keeps a copy of its record.
func (s *droppedSource) Next(p *packet.Packet) (bool, error) {
	ok, err := s.rd.Next(p)
	if !ok {
		s.readErr = err
		return false, err
	}
	data, ci, lt := s.rd.Raw()
	i := s.n % keptRecords
	s.frame[i], s.data[i], s.ci[i], s.link[i] = p.Frame, append(s.data[i][:0], data...), ci, lt
	if s.n == 0 {
		s.first = lt
	}
	s.n++
	if s.prog != nil && s.n&0xfff == 0 {
		s.prog.tick(s.rd)
	}
	return true, nil
}

// Dropped writes the record of p, which the engine dropped.
func (s *droppedSource) Dropped(p *packet.Packet) {
	if s.err != nil {
		return
	}
	for i := range keptRecords {
		if s.frame[i] == p.Frame {
			s.err = s.w.write(s.data[i], s.ci[i], s.link[i])
			return
		}
	}
	s.err = fmt.Errorf("--write-dropped: frame %d was no longer held (read ahead too far)", p.Frame)
}
