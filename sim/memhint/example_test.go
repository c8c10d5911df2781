package memhint_test

import (
	"fmt"
	"unsafe"

	"github.com/ctsim/ctsim/sim/memhint"
)

// A large pointer-free table is allocated outside the Go heap (on huge
// pages where the system has them), a slot is prefetched a little before
// it is read, and the table is freed when done.
func Example() {
	type slot struct{ key, value uint64 }
	slots, mem := memhint.Make[slot](1 << 20) // 16 MiB
	defer mem.Free()

	i := 12345
	memhint.Prefetch(uintptr(unsafe.Pointer(&slots[i])))
	// ... other work while the line loads ...
	slots[i].value++
	fmt.Println(slots[i].value)
	// Output: 1
}
