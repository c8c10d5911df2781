package memhint

import (
	"syscall"
	"unsafe"
)

// AdviseHuge asks the kernel to back the n bytes at p — a large table just
// allocated, before it is first written — with transparent huge pages
// (madvise MADV_HUGEPAGE on the whole 2 MiB pages inside it). Lookups in a
// table of millions of entries touch random pages; with 4 KiB pages nearly
// each one also misses the TLB, and on a virtual machine the nested page
// walk costs about as much as the cache miss, and it stalls even a
// prefetch. Tables under HugeMin bytes, or holding no whole huge page, are
// left alone. The advice is a hint: ignored where THP is disabled, and its
// error is of no consequence. Use it only for tables that hold no pointers.
func AdviseHuge(p unsafe.Pointer, n uintptr) {
	if n < HugeMin {
		return
	}
	const huge = 2 << 20
	skip := (huge - uintptr(p)%huge) % huge // to the first 2 MiB boundary inside
	if n < skip+huge {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, skip)), (n-skip)&^(huge-1)), syscall.MADV_HUGEPAGE)
}
