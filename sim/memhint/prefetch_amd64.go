package memhint

// Prefetch asks the CPU to start loading the cache line at addr
// (PREFETCHT0). It never faults and changes nothing observable: any
// address, even a stale one, is safe. It is written in assembly, so it is
// never inlined; a call costs a few cycles.
//
//go:noescape
func Prefetch(addr uintptr)

// PrefetchSpan is Prefetch for every cache line of the n bytes at addr, in
// one call: a record that straddles lines, or the probe window of an
// open-addressing table. Like Prefetch it never faults, whatever the
// address (the addition wraps harmlessly).
//
//go:noescape
func PrefetchSpan(addr, n uintptr)
