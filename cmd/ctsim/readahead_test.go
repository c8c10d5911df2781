package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/pcap"
)

// writeCaptures writes a generated capture of n packets and a copy cut
// short in the middle of a record, and returns their paths.
func writeCaptures(t *testing.T, n int) (whole, cut string) {
	t.Helper()
	var buf bytes.Buffer
	if err := pcap.GenerateCapture(&buf, n, 50, 7); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whole, cut = filepath.Join(dir, "whole.pcap"), filepath.Join(dir, "cut.pcap")
	if err := os.WriteFile(whole, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, buf.Bytes()[:buf.Len()-10], 0o644); err != nil {
		t.Fatal(err)
	}
	return whole, cut
}

func openCapture(t testing.TB, path string) *pcap.Reader {
	t.Helper()
	rd, err := pcap.Open(path, pcap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// TestCapturePipeDeliversTheReadersPackets checks the pipe that reads the
// capture on a second goroutine delivers exactly the reader's packets, in
// order, then the reader's own error: none after a whole capture, the
// capture error of one cut short (issue 4: "a truncated file says how far
// it got"), for captures that fill a whole number of batches and not.
func TestCapturePipeDeliversTheReadersPackets(t *testing.T) {
	for _, n := range []int{0, 1, pipeBatch, pipeBatch*pipeBatches*3 + 17} {
		whole, cut := writeCaptures(t, n)
		paths := []string{whole, cut}
		if n == 0 {
			paths = paths[:1] // cut short, it has no file header
		}
		for _, path := range paths {
			var want []packet.Packet
			rd := openCapture(t, path)
			var p packet.Packet
			ok, wantErr := rd.Next(&p)
			for ; ok; ok, wantErr = rd.Next(&p) {
				want = append(want, p)
			}
			rd.Close()

			rd = openCapture(t, path)
			pipe := startCapturePipe(rd, nil)
			var got []packet.Packet
			ok, gotErr := pipe.Next(&p)
			for ; ok; ok, gotErr = pipe.Next(&p) {
				got = append(got, p)
			}
			pipe.stop()
			rd.Close()
			if len(got) != len(want) {
				t.Fatalf("%d packets, %s: pipe delivered %d packets, reader %d", n, filepath.Base(path), len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%d packets, %s: packet %d differs: %+v, want %+v", n, filepath.Base(path), i, got[i], want[i])
				}
			}
			if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) || pipe.err != gotErr {
				t.Errorf("%d packets, %s: error %v (kept %v), want %v", n, filepath.Base(path), gotErr, pipe.err, wantErr)
			}
			if filepath.Base(path) == "cut.pcap" && n > 0 && gotErr == nil {
				t.Errorf("%d packets: a cut capture ended without an error", n)
			}
		}
	}
}

// TestCapturePipeStopsWhenTheEngineStopsEarly checks stop ends the reading
// goroutine when the engine stops before the end of the capture (an error
// applying a change), whether it read nothing, a little, or all of it.
func TestCapturePipeStopsWhenTheEngineStopsEarly(t *testing.T) {
	whole, _ := writeCaptures(t, pipeBatch*pipeBatches*4)
	for _, read := range []int{0, 1, pipeBatch * 2, pipeBatch * pipeBatches * 4} {
		rd := openCapture(t, whole)
		pipe := startCapturePipe(rd, nil)
		var p packet.Packet
		for range read {
			if ok, err := pipe.Next(&p); !ok {
				t.Fatal(err)
			}
		}
		stopped := make(chan struct{})
		go func() { pipe.stop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatalf("after %d packets: stop did not end the reading goroutine", read)
		}
		rd.Close()
	}
}

// TestCapturePipeDoesNotAllocatePerPacket checks reading a capture
// through the pipe allocates nothing per packet: only the batches, once
// per capture (issue 4: "0 allocs/packet"; STYLE.md lesson 4).
func TestCapturePipeDoesNotAllocatePerPacket(t *testing.T) {
	const packets = 50000
	whole, _ := writeCaptures(t, packets)
	pass := func() {
		rd := openCapture(t, whole)
		defer rd.Close()
		pipe := startCapturePipe(rd, nil)
		defer pipe.stop()
		var p packet.Packet
		for ok, _ := pipe.Next(&p); ok; ok, _ = pipe.Next(&p) {
		}
	}
	pass()
	allocs := testing.AllocsPerRun(3, pass)
	if perPacket := allocs / packets; perPacket > 0.01 {
		t.Errorf("%.0f allocations for %d packets (%.4f per packet); want none per packet", allocs, packets, perPacket)
	}
}
