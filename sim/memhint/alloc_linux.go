package memhint

import (
	"syscall"
	"unsafe"
)

// mapAnon maps size bytes of zeroed anonymous memory, plus room to start
// at a 2 MiB boundary, advised for huge pages. It returns the mapping and
// the offset of the aligned start, or false.
func mapAnon(size uintptr) (raw []byte, off uintptr, ok bool) {
	const huge = 2 << 20
	raw, err := syscall.Mmap(-1, 0, int(size+huge), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, 0, false
	}
	off = (huge - uintptr(unsafe.Pointer(&raw[0]))%huge) % huge
	_ = syscall.Madvise(raw[off:off+size], syscall.MADV_HUGEPAGE)
	return raw, off, true
}

// unmapAnon releases a mapping mapAnon made.
func unmapAnon(raw []byte) { _ = syscall.Munmap(raw) }
