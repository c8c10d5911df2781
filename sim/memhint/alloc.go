package memhint

import (
	"fmt"
	"reflect"
	"runtime"
	"unsafe"
)

// OffHeapMin is the smallest slice, in bytes, that Make maps outside the Go
// heap; smaller ones come from make.
const OffHeapMin = 1 << 20

// Mem holds the memory of a slice Make returned outside the Go heap. The
// slice is valid while its Mem is reachable and not freed: keep the two
// together. Free releases the memory at once; a Mem never freed releases it
// when the garbage collector finds the Mem unreachable. The zero Mem, and a
// nil *Mem, hold nothing.
type Mem struct {
	raw     []byte // as mapped; nil when freed or never mapped
	cleanup runtime.Cleanup
}

// Make returns a zeroed slice of n Ts and the Mem that holds it. A slice of
// OffHeapMin bytes or more is mapped outside the Go heap where the system
// allows it (anonymous mmap on Linux, aligned to 2 MiB and advised for
// transparent huge pages), so that a table that doubles
// frees the old copy as soon as it has been rehashed instead of leaving it
// for the next collection — a large run's resident memory is then its
// tables, not twice them — and the collector never counts it. Otherwise,
// or if mapping fails, the slice comes from make and the Mem is nil.
//
// T must hold no pointers (the collector does not look inside the mapped
// memory): Make panics otherwise, as make panics on a negative length.
func Make[T any](n int) ([]T, *Mem) {
	if n < 0 {
		panic("memhint.Make: negative length")
	}
	var zero T
	elem := unsafe.Sizeof(zero)
	if elem != 0 && uintptr(n) > ^uintptr(0)/elem/2 {
		panic("memhint.Make: length out of range")
	}
	size := uintptr(n) * elem
	if size < OffHeapMin {
		return make([]T, n), nil
	}
	if t := reflect.TypeFor[T](); hasPointers(t) {
		panic(fmt.Sprintf("memhint.Make: %v holds pointers", t))
	}
	raw, off, ok := mapAnon(size)
	if !ok {
		return make([]T, n), nil
	}
	m := &Mem{raw: raw}
	m.cleanup = runtime.AddCleanup(m, unmapAnon, raw)
	return unsafe.Slice((*T)(unsafe.Pointer(&raw[off])), n), m
}

// Free releases m's memory now. The slice it holds must not be used again.
// It is safe on a nil or freed Mem.
func (m *Mem) Free() {
	if m == nil || m.raw == nil {
		return
	}
	m.cleanup.Stop()
	unmapAnon(m.raw)
	m.raw = nil
}

// hasPointers reports whether values of t hold pointers the collector
// would have to see.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	return true
}
