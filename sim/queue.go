package sim

// eventKind says what a queued event does.
type eventKind uint8

const (
	evChange eventKind = iota + 1 // apply e.changes[idx]
	evTest                        // used by tests and benchmarks only
)

// event is one entry of the queue: a small value, never boxed. Events are
// ordered by (at, seq); seq is the order of scheduling, so events at equal
// times run in the order they were scheduled (STYLE.md lesson 7).
type event struct {
	at   Time
	seq  uint64
	kind eventKind
	idx  int32
}

// before reports whether a runs before b.
func (a *event) before(b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// queue is a 4-ary min-heap of event values. A 4-ary heap halves the depth
// of a binary one and keeps a node's children in one or two cache lines,
// which is what matters with a million pending events. Cancel is lazy: a
// cancelled sequence number is remembered and its event is discarded when it
// reaches the top. Schedule, Pop and Peek do not allocate once the heap's
// backing array has grown to its peak size.
//
// The zero queue is empty and ready to use.
type queue struct {
	h    []event
	seq  uint64
	dead map[uint64]struct{} // cancelled, not yet popped; nil until Cancel
}

// Len returns the number of pending events, cancelled ones included until
// they are discarded.
func (q *queue) Len() int { return len(q.h) }

// Schedule queues an event at time at and returns its sequence number, the
// handle Cancel takes.
func (q *queue) Schedule(at Time, kind eventKind, idx int32) uint64 {
	q.seq++
	q.h = append(q.h, event{at: at, seq: q.seq, kind: kind, idx: idx})
	q.up(len(q.h) - 1)
	return q.seq
}

// Cancel marks the event with sequence number seq as cancelled. Cancelling
// an event that already ran, or twice, has no effect.
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
	if len(q.h) == 0 {
		return event{}, false
	}
	return q.h[0], true
}

// Pop removes and returns the next live event.
func (q *queue) Pop() (event, bool) {
	q.discard()
	if len(q.h) == 0 {
		return event{}, false
	}
	return q.pop(), true
}

// discard pops cancelled events off the top.
func (q *queue) discard() {
	for len(q.dead) > 0 && len(q.h) > 0 {
		if _, ok := q.dead[q.h[0].seq]; !ok {
			return
		}
		delete(q.dead, q.h[0].seq)
		q.pop()
	}
}

func (q *queue) pop() event {
	top := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h = q.h[:n]
	if n > 0 {
		q.down(0)
	}
	return top
}

func (q *queue) up(i int) {
	h := q.h
	x := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !x.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

func (q *queue) down(i int) {
	h := q.h
	n := len(h)
	x := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		end := c + 4
		if end > n {
			end = n
		}
		for j := c + 1; j < end; j++ {
			if h[j].before(&h[m]) {
				m = j
			}
		}
		if !h[m].before(&x) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
}
