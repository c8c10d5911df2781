package sim

// eventKind says what a queued event does.
type eventKind uint8

const (
	evChange eventKind = iota + 1 // apply e.changes[idx]
	evTest                        // used by tests and benchmarks only
)

// Layout of event.key: the sequence number in the high bits, so that
// comparing keys compares sequence numbers, then the kind and the payload
// index.
const (
	idxBits  = 21
	kindBits = 3
	seqShift = idxBits + kindBits
	// maxEventIdx is the largest payload index an event can carry.
	maxEventIdx = 1<<idxBits - 1
)

// event is one entry of the queue: a 16-byte value, never boxed. Events are
// ordered by (at, seq); seq is the order of scheduling, so events at equal
// times run in the order they were scheduled (STYLE.md lesson 7). key packs
// seq (40 bits, about 10¹² events per run), the kind and a payload index.
type event struct {
	at  Time
	key uint64
}

func (ev event) seq() uint64     { return ev.key >> seqShift }
func (ev event) kind() eventKind { return eventKind(ev.key >> idxBits & (1<<kindBits - 1)) }
func (ev event) idx() int32      { return int32(ev.key & maxEventIdx) }

// before reports whether a runs before b.
func before(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.key < b.key)
}

// arity is the heap's fan-out. Measured on the engine's hold pattern (pop
// the earliest, schedule one later; Go 1.26, thread CPU time per event, best
// of 6 on a shared 2-core machine): at 1 M pending 4-ary 380 ns, 8-ary 352
// ns; at 10 k pending both 111 ns.
const arity = 8

// heapPad is the number of unused slots before the root. With the root at
// physical index arity-1, the children of logical node i sit at physical
// arity·(i+1) …: a 128-byte-aligned group of two adjacent cache lines.
const heapPad = arity - 1

// queue is an 8-ary min-heap of event values. A wide heap cuts the depth of
// a binary one by three and, with 16-byte events whose sibling groups are
// aligned to cache lines, reads two adjacent lines per level, which is what
// matters with a million pending events. Cancel is lazy: a cancelled sequence number is remembered and its
// event is discarded when it reaches the top. Schedule, Pop and Peek do not
// allocate once the heap's backing array has grown to its peak size.
//
// The zero queue is empty and ready to use.
type queue struct {
	h    []event // h[:heapPad] unused; the root is h[heapPad]
	seq  uint64
	dead map[uint64]struct{} // cancelled, not yet popped; nil until Cancel
}

// grow reserves room for n pending events.
func (q *queue) grow(n int) {
	if cap(q.h) < n+heapPad {
		h := make([]event, len(q.h), n+heapPad)
		copy(h, q.h)
		q.h = h
	}
}

// Len returns the number of pending events, cancelled ones included until
// they are discarded.
func (q *queue) Len() int { return max(len(q.h)-heapPad, 0) }

// Schedule queues an event at time at and returns its sequence number, the
// handle Cancel takes. idx must be in [0, maxEventIdx].
func (q *queue) Schedule(at Time, kind eventKind, idx int32) uint64 {
	if len(q.h) < heapPad {
		q.h = append(q.h, make([]event, heapPad-len(q.h))...)
	}
	q.seq++
	q.h = append(q.h, event{at: at, key: q.seq<<seqShift | uint64(kind)<<idxBits | uint64(idx)&maxEventIdx})
	q.up(len(q.h) - 1 - heapPad)
	return q.seq
}

// Cancel marks the event with sequence number seq as cancelled. Cancelling
// an event that already ran, or twice, has no effect on the others.
func (q *queue) Cancel(seq uint64) {
	if seq == 0 || seq > q.seq {
		return
	}
	if q.dead == nil {
		q.dead = make(map[uint64]struct{})
	}
	q.dead[seq] = struct{}{}
}

// Peek returns the next live event without removing it.
func (q *queue) Peek() (event, bool) {
	q.discard()
	if q.Len() == 0 {
		return event{}, false
	}
	return q.h[heapPad], true
}

// Pop removes and returns the next live event.
func (q *queue) Pop() (event, bool) {
	q.discard()
	if q.Len() == 0 {
		return event{}, false
	}
	return q.pop(), true
}

// discard pops cancelled events off the top.
func (q *queue) discard() {
	for len(q.dead) > 0 && q.Len() > 0 {
		s := q.h[heapPad].seq()
		if _, ok := q.dead[s]; !ok {
			return
		}
		delete(q.dead, s)
		q.pop()
	}
}

func (q *queue) pop() event {
	top := q.h[heapPad]
	last := len(q.h) - 1
	x := q.h[last]
	q.h = q.h[:last]
	if last > heapPad {
		q.down(x)
	}
	return top
}

// up moves the event at logical index i towards the root.
func (q *queue) up(i int) { q.rise(i, q.h[heapPad+i]) }

// rise puts x in the hole at logical index i, or above it: parents that
// come after x move down into the hole.
func (q *queue) rise(i int, x event) {
	h := q.h[heapPad:]
	for i > 0 {
		p := (i - 1) / arity
		if !before(&x, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

// down places x, which replaces the root. It moves the hole from the root
// down to a leaf along the smallest children, then x up from there
// (Floyd's bottom-up variant): one comparison fewer per level than
// comparing x at each level, and x, the heap's last leaf, rarely rises far.
func (q *queue) down(x event) {
	h := q.h[heapPad:]
	n := len(h)
	i := 0
	for {
		c := arity*i + 1
		if c >= n {
			break
		}
		m := c
		end := min(c+arity, n)
		for j := c + 1; j < end; j++ {
			if before(&h[j], &h[m]) {
				m = j
			}
		}
		h[i] = h[m]
		i = m
	}
	q.rise(i, x)
}
