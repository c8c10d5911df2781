package memhint_test

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/ctsim/ctsim/sim/memhint"
)

// No SPEC.md section applies: these are hints to the CPU and the kernel, and
// the tests prove the contract in doc.go — any address or table is accepted
// without a fault, nothing observable changes, nothing is allocated.

// TestPrefetchAcceptsAnyAddress: a prefetch never faults, whatever the
// address — nil, unmapped, the top of the address space (a span past it
// wraps and ends), a live table slot.
func TestPrefetchAcceptsAnyAddress(t *testing.T) {
	table := make([]uint64, 1024)
	for i := range table {
		table[i] = uint64(i)
	}
	for _, tc := range []struct {
		name string
		addr uintptr
	}{
		{"nil", 0},
		{"one", 1},
		{"top of the address space", ^uintptr(0)},
		{"unmapped low page", 4096},
		{"live slot", uintptr(unsafe.Pointer(&table[17]))},
		{"one past the end", uintptr(unsafe.Pointer(unsafe.SliceData(table))) + uintptr(len(table))*8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			memhint.Prefetch(tc.addr)
			memhint.Prefetch(tc.addr + 63)
			for _, n := range []uintptr{0, 1, 63, 64, 224, 4096} {
				memhint.PrefetchSpan(tc.addr, n)
			}
		})
	}
	for i, v := range table {
		if v != uint64(i) {
			t.Fatalf("table[%d] = %d after prefetching, want %d", i, v, i)
		}
	}
}

// TestHintsAllocateNothing: the prefetches are called on the hot path, so
// neither may allocate.
func TestHintsAllocateNothing(t *testing.T) {
	small := make([]byte, 256)
	allocs := testing.AllocsPerRun(100, func() {
		memhint.Prefetch(uintptr(unsafe.Pointer(&small[0])))
		memhint.PrefetchSpan(uintptr(unsafe.Pointer(&small[0])), uintptr(len(small)))
	})
	if allocs != 0 {
		t.Fatalf("hints allocate %.0f times per call, want 0", allocs)
	}
}

// TestMakeGivesZeroedUsableSlices: small slices come from make (no Mem);
// large ones are mapped (on Linux, 2 MiB-aligned), zeroed, writable end to
// end, and survive until freed; Free is safe twice and on nil.
func TestMakeGivesZeroedUsableSlices(t *testing.T) {
	type rec struct {
		a [16]byte
		n uint64
	}
	for _, n := range []int{0, 1, memhint.OffHeapMin/24 - 1, memhint.OffHeapMin / 24, 1 << 20} {
		s, m := memhint.Make[rec](n)
		if len(s) != n || cap(s) != n {
			t.Fatalf("n=%d: len %d cap %d", n, len(s), cap(s))
		}
		large := uintptr(n)*unsafe.Sizeof(rec{}) >= memhint.OffHeapMin
		if !large && m != nil {
			t.Errorf("n=%d: a small slice has a Mem", n)
		}
		if large && runtime.GOOS == "linux" {
			if m == nil {
				t.Fatalf("n=%d: a large slice was not mapped", n)
			}
			if p := uintptr(unsafe.Pointer(unsafe.SliceData(s))); p%(2<<20) != 0 {
				t.Errorf("n=%d: mapped at %#x, not on a 2 MiB boundary", n, p)
			}
		}
		for i := range s {
			if s[i] != (rec{}) {
				t.Fatalf("n=%d: s[%d] not zero", n, i)
			}
			s[i].n = uint64(i)
		}
		for i := range s {
			if s[i].n != uint64(i) {
				t.Fatalf("n=%d: s[%d] = %d", n, i, s[i].n)
			}
		}
		m.Free()
		m.Free()
	}
	var nilMem *memhint.Mem
	nilMem.Free()
}

// TestMakeRefusesPointers: the collector never looks inside mapped memory,
// so a type holding pointers (directly, in a field or an array) panics,
// as make does on a negative length.
func TestMakeRefusesPointers(t *testing.T) {
	tests := []struct {
		name string
		make func()
	}{
		{"string", func() { memhint.Make[string](1 << 20) }},
		{"struct with a slice", func() { memhint.Make[struct{ b []byte }](1 << 20) }},
		{"array of pointers", func() { memhint.Make[[4]*int](1 << 20) }},
		{"negative length", func() { memhint.Make[uint64](-1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.make()
		})
	}
}
