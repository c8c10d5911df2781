package conntrack

import (
	"syscall"
	"unsafe"
)

// hugeMin is the smallest table, in bytes, worth backing with huge pages.
const hugeMin = 4 << 20

// adviseHuge asks the kernel to back the n bytes at p — a large table just
// allocated, before it is first written — with transparent huge pages
// (madvise MADV_HUGEPAGE on the whole 2 MiB pages inside it). Lookups in a
// table of millions of entries touch random pages; with 4 KiB pages nearly
// each one also misses the TLB, and on a virtual machine the nested page
// walk costs about as much as the cache miss, and it stalls even a
// prefetch. The advice is a hint: ignored where THP is disabled, and its
// error is of no consequence. The tables it is used for hold no pointers.
func adviseHuge(p unsafe.Pointer, n uintptr) {
	if n < hugeMin {
		return
	}
	const huge = 2 << 20
	skip := (huge - uintptr(p)%huge) % huge // to the first 2 MiB boundary inside
	if n < skip+huge {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, skip)), (n-skip)&^(huge-1)), syscall.MADV_HUGEPAGE)
}
