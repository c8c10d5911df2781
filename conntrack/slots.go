package conntrack

import (
	"unsafe"

	"github.com/ctsim/ctsim/sim/memhint"
	"github.com/ctsim/ctsim/sim/packet"
)

// The table's storage: an open-addressing hash table of entries, with
// linear probing and backward-shift deletion (no tombstones).
//
// Why not map[Key]int32 plus a slab of entries: the map would hold a second
// copy of every 38-byte key, and measured with Go 1.26 at 1 M entries the
// map alone costs ≈100 B per entry, ≈170 B with the slab — over the
// 160 B/connection budget. Entries stored in place cost 56 B per slot; at
// a load factor between 3/8 and 3/4 that is 75–150 B per connection
// (BenchmarkTableMemory1M). The slots hold no pointers, so the garbage
// collector never scans them (BenchmarkGC10M).

// entry is one tracked flow: 56 bytes, pointer-free (TestEntrySize).
type entry struct {
	lastSeen packet.Time // time of the last packet in either direction
	key      Key
	gen      uint16 // rule generation stamped at Insert (STYLE.md lesson 10)
	state    State  // TCP state; unused for other classes
	flags    uint8  // flagOrigIsA, flagSeenReply, flagStream, UDP transaction bits
	tag      uint16 // 0: free slot; otherwise high bits of the key's hash, never 0
	aux      uint32 // ProfileLinux UDP: flow age in ns, saturating (udp.go)
}

// Entry flag bits.
const (
	flagOrigIsA   uint8 = 1 << 0 // the original direction is a→b
	flagSeenReply uint8 = 1 << 1 // a packet travelled in the Reply direction
	flagStream    uint8 = 1 << 2 // UDP: classified as a stream
	flagPending   uint8 = 1 << 3 // UDP/AWS: an original packet awaits its reply
	txShift             = 4
	txMask        uint8 = 3 << txShift // UDP/AWS: completed transactions, 0–2
)

// hashSeed is fixed so that slot order, and so sweep order, is the same in
// every run (STYLE.md lesson 7).
const hashSeed = 0x9e3779b97f4a7c15

const minSlots = 16

// tagOf returns the non-zero tag of hash h.
func tagOf(h uint64) uint16 { return uint16(h>>48) | 1 }

// find returns the slot holding k, or -1. It does not allocate.
func (t *Table) find(k *Key, h uint64) int {
	if len(t.slots) == 0 {
		return -1
	}
	tag := tagOf(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		e := &t.slots[i]
		if e.tag == 0 {
			return -1
		}
		if e.tag == tag && e.key.equal(k) {
			return int(i)
		}
	}
}

// equal reports whether k and o are the same key. Field by field, the
// compiler compares inline; == on the whole 38-byte struct calls memequal.
func (k *Key) equal(o *Key) bool {
	return k.a == o.a && k.b == o.b && k.aport == o.aport && k.bport == o.bport && k.proto == o.proto && k.v6 == o.v6
}

// place claims a free slot for k (which must be absent), growing the table
// when the load would pass 3/4, and returns its index. The entry's other
// fields are zero.
func (t *Table) place(k *Key, h uint64) int {
	if (t.count+1)*4 > len(t.slots)*3 {
		t.resize(max(2*len(t.slots), minSlots))
	}
	i := h & t.mask
	for t.slots[i].tag != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i] = entry{key: *k, tag: tagOf(h)}
	return int(i)
}

// resize rehashes every entry into n slots (a power of two).
func (t *Table) resize(n int) {
	old, oldMem := t.slots, t.mem
	t.moves++
	// A large table lives outside the Go heap: the old copy is freed as
	// soon as it is rehashed below, not at the next collection.
	t.slots, t.mem = memhint.Make[entry](n)
	t.mask = uint64(n - 1)
	for j := range old {
		e := &old[j]
		if e.tag == 0 {
			continue
		}
		i := e.key.hash(hashSeed) & t.mask
		for t.slots[i].tag != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = *e
	}
	oldMem.Free()
	if t.cursor >= n {
		t.cursor = 0
	}
}

// remove frees slot i by backward-shift deletion: each following entry of
// the probe run moves back into the hole unless that would put it before
// its home slot. Holes only move forward, so a scan that re-examines slot i
// after a removal misses no entry (Sweep, reclaim). Slot indices held in
// earlier Matches may now name another entry; Advance sees the changed
// moves count and finds the entry by its key.
func (t *Table) remove(i int) {
	t.moves++
	hole := uint64(i)
	for j := (hole + 1) & t.mask; t.slots[j].tag != 0; j = (j + 1) & t.mask {
		home := t.slots[j].key.hash(hashSeed) & t.mask
		// Move j into the hole if home is not cyclically in (hole, j].
		if (j-home)&t.mask >= (j-hole)&t.mask {
			t.slots[hole] = t.slots[j]
			hole = j
		}
	}
	t.slots[hole] = entry{}
	t.count--
}

// Prefetch starts loading the slot where the entry of p's flow would be
// found, so that a Lookup of p a little later does not wait for memory.
// It is only a hint: it changes nothing and any later change to the table
// is fine. Callers that know several packets ahead (a capture replay) use
// it to overlap the cache misses of many lookups. It does not allocate.
func (t *Table) Prefetch(p *packet.Packet) {
	k, _ := KeyOf(p)
	t.PrefetchHashed(k.hash(hashSeed))
}

// PrefetchSlot is Prefetch for the entry a Match.Slot names (any value is
// accepted; -1 or out of range does nothing).
func (t *Table) PrefetchSlot(slot int32) {
	if uint(slot) < uint(len(t.slots)) {
		memhint.PrefetchSpan(uintptr(unsafe.Pointer(&t.slots[slot])), unsafe.Sizeof(entry{}))
	}
}

// PrefetchHashed is Prefetch for a key whose Key.Hash is h.
func (t *Table) PrefetchHashed(h uint64) {
	if len(t.slots) == 0 {
		return
	}
	// The entry and the next three: at the table's load (at most 3/4)
	// nearly every lookup ends within them.
	memhint.PrefetchSpan(uintptr(unsafe.Pointer(&t.slots[h&t.mask])), 4*unsafe.Sizeof(entry{}))
}
