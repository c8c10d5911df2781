package conntrack

import "github.com/ctsim/ctsim/sim/packet"

// The expiry index of a table with an allowance: what lets Insert, at the
// allowance, remove exactly the entries expired at now in O(log n) amortised
// per entry instead of a scan of every slot (2.6 ms per Insert at 200 k
// staggered entries before it existed; BenchmarkInsertAtAllowanceWithChurn).
//
// It is a binary min-heap of (deadline, key hash) items, 16 bytes each,
// ordered by deadline then hash (deterministic). Items are hints, not
// entries: an entry is found again by its hash and its true deadline read
// from the entry itself. The invariant is
//
//	every live entry has an item with its hash and a deadline at or
//	before its true deadline,
//
// kept by pushing an item when an entry is created, when a packet moves an
// entry's deadline earlier (a TCP FIN or RST shortens its timeout), and by
// rebuilding the heap when SetTimeouts changes every deadline. Then every
// entry expired at now has an item due at now, so popping the due items
// finds them all: an item whose entry is gone is dropped, one whose entry
// was refreshed is pushed again with the entry's true deadline. Items of
// entries removed by lookups and sweeps linger until due; the heap is
// rebuilt from the entries when it holds more than twice their number, so
// it stays within 32 bytes per entry. A table without an allowance keeps
// no heap (Insert never needs to reclaim).
type expiryItem struct {
	at packet.Time
	h  uint64
}

func (a expiryItem) less(b expiryItem) bool {
	return a.at < b.at || (a.at == b.at && a.h < b.h)
}

// pushExpiry records that the entry with hash h may expire at at.
func (t *Table) pushExpiry(h uint64, at packet.Time) {
	if t.cfg.Allowance == 0 {
		return
	}
	if len(t.expq) >= 2*t.count+64 {
		t.rebuildExpiry()
	}
	t.expq = append(t.expq, expiryItem{at: at, h: h})
	q := t.expq
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q[i].less(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

// popExpiry removes the earliest item.
func (t *Table) popExpiry() expiryItem {
	q := t.expq
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].less(q[l]) {
			m = r
		}
		if !q[m].less(q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	t.expq = q
	return top
}

// rebuildExpiry replaces the heap with one exact item per entry.
func (t *Table) rebuildExpiry() {
	t.expq = t.expq[:0]
	if t.cfg.Allowance == 0 {
		return
	}
	for i := range t.slots {
		e := &t.slots[i]
		if e.tag != 0 {
			t.expq = append(t.expq, expiryItem{at: deadline(e.lastSeen, t.tm.timeout(e)), h: e.key.hash(hashSeed)})
		}
	}
	q := t.expq
	for i := len(q)/2 - 1; i >= 0; i-- {
		for j := i; ; {
			l := 2*j + 1
			if l >= len(q) {
				break
			}
			m := l
			if r := l + 1; r < len(q) && q[r].less(q[l]) {
				m = r
			}
			if !q[m].less(q[j]) {
				break
			}
			q[j], q[m] = q[m], q[j]
			j = m
		}
	}
}

// reclaim removes every entry expired at now, keeping the expiries for the
// next Sweep. It pops the items due at now (see expiryItem): each due
// entry is expired, each refreshed one gets an item at its true deadline.
// With no item due it costs one comparison.
func (t *Table) reclaim(now packet.Time) {
	for len(t.expq) > 0 && t.expq[0].at <= now {
		it := t.popExpiry()
		if len(t.slots) == 0 {
			continue
		}
		// Every entry with hash it.h lies in the probe run from its home
		// slot (usually one entry).
		tag := tagOf(it.h)
		for i := it.h & t.mask; t.slots[i].tag != 0; {
			e := &t.slots[i]
			if e.tag != tag || e.key.hash(hashSeed) != it.h {
				i = (i + 1) & t.mask
				continue
			}
			at := deadline(e.lastSeen, t.tm.timeout(e))
			if now >= at {
				t.pending = append(t.pending, expiryOf(e, at))
				t.expire(int(i))
				continue // slot i may now hold a shifted entry
			}
			if at != it.at {
				t.pushExpiry(it.h, at)
			}
			i = (i + 1) & t.mask
		}
	}
}
