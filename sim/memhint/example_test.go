package memhint_test

import (
	"fmt"
	"unsafe"

	"github.com/ctsim/ctsim/sim/memhint"
)

// A large pointer-free table is advised right after it is allocated, and a
// slot is prefetched a little before it is read.
func Example() {
	type slot struct{ key, value uint64 }
	slots := make([]slot, 1<<20) // 16 MiB
	memhint.AdviseHuge(unsafe.Pointer(unsafe.SliceData(slots)), uintptr(len(slots))*unsafe.Sizeof(slot{}))

	i := 12345
	memhint.Prefetch(uintptr(unsafe.Pointer(&slots[i])))
	// ... other work while the line loads ...
	slots[i].value++
	fmt.Println(slots[i].value)
	// Output: 1
}
