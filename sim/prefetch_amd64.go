package sim

// prefetch asks the CPU to start loading the cache line at addr
// (PREFETCHT0). It never faults and changes nothing observable: any
// address, even a stale one, is safe.
//
//go:noescape
func prefetch(addr uintptr)
