package main

import (
	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/pcap"
)

// Sizes of the capture pipeline: batches of decoded packets handed from
// the reading goroutine to the engine.
const (
	pipeBatch   = 256 // packets per batch
	pipeBatches = 4   // batches in flight
)

// packetBatch is up to pipeBatch decoded packets; the last batch of a
// capture carries the reader's final error (nil after a clean end).
type packetBatch struct {
	pkts [pipeBatch]packet.Packet
	n    int
	last bool
	err  error
}

// capturePipe reads and decodes a capture on its own goroutine, a few
// batches ahead of the engine, so that a replay uses a second core for
// the reading (about a fifth of its work). It is the engine's source
// (packet.Source) in replayRun. The goroutine belongs to the pipe: stop
// ends it and waits for it, and only after stop may the reader, the
// progress line or err be looked at. Batches are reused: nothing is
// allocated per packet.
type capturePipe struct {
	full, free chan *packetBatch
	quit, done chan struct{}
	cur        *packetBatch
	i          int
	// err is the reader's error that ended the capture (nil after a
	// clean end); set when Next reaches it.
	err error
}

// startCapturePipe starts reading rd; prog (nil: none) is drawn from the
// reading goroutine.
func startCapturePipe(rd *pcap.Reader, prog *progress) *capturePipe {
	p := &capturePipe{
		full: make(chan *packetBatch, pipeBatches),
		free: make(chan *packetBatch, pipeBatches),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range pipeBatches {
		p.free <- new(packetBatch)
	}
	go p.read(rd, prog)
	return p
}

// read is the pipe's goroutine: it fills free batches and hands them on
// until the capture ends or stop is called.
func (p *capturePipe) read(rd *pcap.Reader, prog *progress) {
	defer close(p.done)
	var n uint64
	for {
		var b *packetBatch
		select {
		case b = <-p.free:
		case <-p.quit:
			return
		}
		b.n = 0
		for b.n < len(b.pkts) {
			ok, err := rd.Next(&b.pkts[b.n])
			if !ok {
				b.last, b.err = true, err
				break
			}
			b.n++
			if n++; prog != nil && n&0xfff == 0 {
				prog.tick(rd)
			}
		}
		select {
		case p.full <- b:
		case <-p.quit:
			return
		}
		if b.last {
			return
		}
	}
}

// Next delivers the next packet of the capture, in order.
func (p *capturePipe) Next(pkt *packet.Packet) (bool, error) {
	for p.cur == nil || p.i == p.cur.n {
		if p.cur != nil {
			if p.cur.last {
				p.err = p.cur.err
				return false, p.err
			}
			p.free <- p.cur // never blocks: there are only pipeBatches batches
		}
		p.cur, p.i = <-p.full, 0
	}
	*pkt = p.cur.pkts[p.i]
	p.i++
	return true, nil
}

// stop ends the reading goroutine (if the engine stopped early) and waits
// for it.
func (p *capturePipe) stop() {
	close(p.quit)
	<-p.done
}
