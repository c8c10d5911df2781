package pcap

import "syscall"

// adviseSequential tells the kernel a mapped window is read once, in
// order: it reads ahead further and drops the pages behind sooner. It is
// advice only; an error changes nothing.
func adviseSequential(b []byte) { _ = syscall.Madvise(b, syscall.MADV_SEQUENTIAL) }
