// Package memhint gives the CPU and the kernel hints about the memory of
// the simulator's large tables: prefetching and transparent huge pages.
// Hints only: nothing observable changes.
//
// Prefetch asks the CPU to start loading a cache line (PREFETCHT0 on amd64,
// a no-op elsewhere); AdviseHuge asks the kernel to back a large,
// pointer-free table with transparent huge pages (madvise MADV_HUGEPAGE on
// Linux, a no-op elsewhere). Neither can fault nor fail in a way a caller
// could see, so neither returns an error.
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
