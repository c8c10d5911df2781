//go:build !unix

package pcap

import "os"

// openMapped reads no file in place on this system: f is read with
// NewReader.
func openMapped(f *os.File, name string, opt Options) (*Reader, error) { return nil, nil }

// mmapSupported reports whether Open maps classic pcap files.
const mmapSupported = false
