package memhint_test

import (
	"bytes"
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

// TestAdviseHugeKeepsContents: advice on a small table (left alone), on one
// just under HugeMin, on large ones (aligned or not) and on an empty one
// returns, and every byte written before it reads back unchanged after.
func TestAdviseHugeKeepsContents(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		offset int // advise from this byte on, to test an unaligned start
	}{
		{"empty", 0, 0},
		{"small", 64, 0},
		{"just under HugeMin", memhint.HugeMin - 1, 0},
		{"exactly HugeMin", memhint.HugeMin, 0},
		{"large", 16 << 20, 0},
		{"large, unaligned start", 16<<20 + 4096, 4095},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, tc.size)
			for i := range buf {
				buf[i] = byte(i*7 + 3)
			}
			want := bytes.Clone(buf)
			s := buf[tc.offset:]
			memhint.AdviseHuge(unsafe.Pointer(unsafe.SliceData(s)), uintptr(len(s)))
			if !bytes.Equal(buf, want) {
				t.Fatalf("AdviseHuge changed the table's contents")
			}
		})
	}
	memhint.AdviseHuge(nil, 0)
}

// TestHintsAllocateNothing: both are called on the hot path or right after
// allocating a table, so neither may allocate.
func TestHintsAllocateNothing(t *testing.T) {
	small := make([]byte, 256)
	large := make([]byte, 8<<20)
	allocs := testing.AllocsPerRun(100, func() {
		memhint.Prefetch(uintptr(unsafe.Pointer(&small[0])))
		memhint.AdviseHuge(unsafe.Pointer(&small[0]), uintptr(len(small)))
		memhint.AdviseHuge(unsafe.Pointer(&large[0]), uintptr(len(large)))
	})
	if allocs != 0 {
		t.Fatalf("hints allocate %.0f times per call, want 0", allocs)
	}
}
