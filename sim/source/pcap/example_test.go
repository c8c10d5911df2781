package pcap_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/pcap"
)

// Example reads a capture (here a generated one), puts one of its hosts
// onto a scenario address, and accounts for every record.
func Example() {
	var capture bytes.Buffer
	if err := pcap.GenerateCapture(&capture, 6, 2, 1); err != nil {
		fmt.Println(err)
		return
	}
	r, err := pcap.NewReader(&capture, "generated.pcap", pcap.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	r.Map(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.10"))

	var p packet.Packet
	for {
		ok, err := r.Next(&p)
		if err != nil {
			fmt.Println("error:", err) // a truncated or corrupt file
		}
		if !ok {
			break
		}
		fmt.Printf("#%d %-12s %s\n", p.Frame, p.At, p.String())
	}
	s := r.Stats()
	fmt.Printf("read %d, delivered %d, skipped %d\n", s.Read, s.Delivered, s.SkippedTotal())
	// Output:
	// #1 0s           tcp 192.0.2.10:52064 > 172.16.0.1:443 S
	// #2 0.000018s    tcp 10.0.0.2:58325 > 172.16.0.2:443 S
	// #3 0.00003s     tcp 172.16.0.2:443 > 10.0.0.2:58325 S.
	// #4 0.000046s    tcp 10.0.0.2:58325 > 172.16.0.2:443 .
	// #5 0.000055s    tcp 172.16.0.2:443 > 10.0.0.2:58325 P.
	// #6 0.000057s    tcp 172.16.0.1:443 > 192.0.2.10:52064 S.
	// read 6, delivered 6, skipped 0
}

// ExampleCaptureError shows what a capture cut short gives: every packet
// before the cut, then an error that says how far reading got; a replay
// should exit non-zero because the capture was not read whole.
func ExampleCaptureError() {
	var capture bytes.Buffer
	if err := pcap.GenerateCapture(&capture, 3, 1, 1); err != nil {
		fmt.Println(err)
		return
	}
	cut := capture.Bytes()[:capture.Len()-10] // lose the end of frame 3
	r, err := pcap.NewReader(bytes.NewReader(cut), "cut.pcap", pcap.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	var p packet.Packet
	for {
		ok, err := r.Next(&p)
		if !ok {
			fmt.Println(err)
			fmt.Println("cut short:", errors.Is(err, io.ErrUnexpectedEOF), r.Stats().Truncated)
			break
		}
		fmt.Println(p.Frame, p.String())
	}
	// Output:
	// 1 tcp 10.0.0.1:52064 > 172.16.0.1:443 S
	// 2 tcp 172.16.0.1:443 > 10.0.0.1:52064 S.
	// cut.pcap: frame 3 at byte 164: unexpected EOF (capture not read whole)
	// cut short: true true
}

// ExampleWriteFrames copies the frames a replay dropped into a new capture
// (the CLI's --write-dropped).
func ExampleWriteFrames() {
	dir, err := os.MkdirTemp("", "ctsim-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pcap")
	f, err := os.Create(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = pcap.GenerateCapture(f, 100, 10, 1)
	f.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	var dropped bytes.Buffer
	n, err := pcap.WriteFrames(&dropped, in, []uint64{7, 42})
	fmt.Println(n, err)
	// Output: 2 <nil>
}
