// Package memhint manages the memory of the simulator's large,
// pointer-free tables: hints to the CPU and the kernel, and memory outside
// the Go heap.
//
// Prefetch and PrefetchSpan ask the CPU to start loading cache lines
// (PREFETCHT0 on amd64, a no-op elsewhere); AdviseHuge asks the kernel to
// back a large table with transparent huge pages (madvise MADV_HUGEPAGE on
// Linux, a no-op elsewhere). These are hints: nothing observable changes,
// and neither can fault nor fail in a way a caller could see, so neither
// returns an error.
//
// Make allocates a large table outside the Go heap (anonymous mmap on
// Linux, make elsewhere) and Mem.Free returns it at once: a table that
// doubles frees its old copy as soon as it is rehashed, where the heap would
// keep it until the next collection — resident memory is then the tables,
// not up to twice them.
//
// It is a leaf below sim, as sim/packet is: it imports only the standard
// library, so both sim (its flow index and flow records) and conntrack (its
// slot table) use it without conntrack importing sim (DESIGN.md: "firewall
// and conntrack import neither sim nor each other's internals"). It used to
// be two identical copies, one in each package.
package memhint

// HugeMin is the smallest table, in bytes, that AdviseHuge backs with huge
// pages; smaller ones are left alone.
const HugeMin = 4 << 20
