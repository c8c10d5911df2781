//go:build unix && !linux

package pcap

// adviseSequential does nothing where package syscall has no madvise.
func adviseSequential(b []byte) {}
