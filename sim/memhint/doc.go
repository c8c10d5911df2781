// Package memhint manages the memory of the simulator's large,
// pointer-free tables: hints to the CPU and the kernel, and memory outside
// the Go heap.
//
// Prefetch and PrefetchSpan ask the CPU to start loading cache lines
// (PREFETCHT0 on amd64, a no-op elsewhere). They are hints: nothing
// observable changes, and neither can fault nor fail in a way a caller
// could see, so neither returns an error.
//
// Make allocates a large table outside the Go heap (anonymous mmap on
// Linux, 2 MiB-aligned and advised for transparent huge pages, make
// elsewhere) and Mem.Free returns it at once: a table that doubles frees
// its old copy as soon as it is rehashed, where the heap would keep it
// until the next collection — resident memory is then the tables, not up
// to twice them. Lookups in a table of millions of entries touch random
// pages; with 4 KiB pages nearly each one also misses the TLB, and on a
// virtual machine the page walk stalls even a prefetch.
//
// It is a leaf below sim, as sim/packet is: it imports only the standard
// library, so both sim (its flow index and flow records) and conntrack (its
// slot table) use it without conntrack importing sim (DESIGN.md: "firewall
// and conntrack import neither sim nor each other's internals"). It used to
// be two identical copies, one in each package.
package memhint
