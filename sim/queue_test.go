package sim

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// TestQueueOrdersByTimeThenSchedulingOrder checks the engine's ordering
// contract: events pop by time, and events at equal times in the order they
// were scheduled (STYLE.md lesson 7; DESIGN.md "Time").
func TestQueueOrdersByTimeThenSchedulingOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   []Time
	}{
		{"empty", nil},
		{"one", []Time{5}},
		{"ascending", []Time{1, 2, 3, 4, 5, 6, 7}},
		{"descending", []Time{9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"all equal", []Time{3, 3, 3, 3, 3, 3}},
		{"mixed ties", []Time{5, 1, 5, 1, 3, 5, 0, 3, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q queue
			for i, at := range tc.at {
				q.Schedule(at, evTest, int32(i))
			}
			want := make([]int, len(tc.at))
			for i := range want {
				want[i] = i
			}
			sort.SliceStable(want, func(a, b int) bool { return tc.at[want[a]] < tc.at[want[b]] })
			for _, w := range want {
				ev, ok := q.Pop()
				if !ok || int(ev.idx()) != w {
					t.Fatalf("popped %+v (ok=%v), want event %d", ev, ok, w)
				}
			}
			if _, ok := q.Pop(); ok {
				t.Fatal("queue not empty at the end")
			}
		})
	}
}

// TestQueueMatchesSortedOrderOnRandomInput compares the heap with a stable
// sort over many random schedules with heavy ties.
func TestQueueMatchesSortedOrderOnRandomInput(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		n := r.IntN(500)
		at := make([]Time, n)
		var q queue
		for i := range at {
			at[i] = Time(r.IntN(20))
			q.Schedule(at[i], evTest, int32(i))
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		sort.SliceStable(want, func(a, b int) bool { return at[want[a]] < at[want[b]] })
		for _, w := range want {
			ev, _ := q.Pop()
			if int(ev.idx()) != w {
				t.Fatalf("round %d: popped %d, want %d", round, ev.idx(), w)
			}
		}
	}
}

// TestQueueCancelIsLazyAndExact checks that cancelled events never pop,
// others keep their order, and cancelling twice or after popping is harmless.
func TestQueueCancelIsLazyAndExact(t *testing.T) {
	var q queue
	var seqs []uint64
	for i := 0; i < 10; i++ {
		seqs = append(seqs, q.Schedule(Time(i%3), evTest, int32(i)))
	}
	q.Cancel(seqs[0]) // the first to pop
	q.Cancel(seqs[4])
	q.Cancel(seqs[4])
	q.Cancel(999) // never scheduled
	var got []int32
	for {
		ev, ok := q.Pop()
		if !ok {
			break
		}
		got = append(got, ev.idx())
	}
	want := []int32{3, 6, 9, 1, 7, 2, 5, 8}
	if len(got) != len(want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("popped %v, want %v", got, want)
		}
	}
	if _, ok := q.Peek(); ok {
		t.Fatal("Peek found an event in an empty queue")
	}
}

// TestQueueDoesNotAllocateInSteadyState is the allocation budget of the
// queue's hot path (STYLE.md lesson 4).
func TestQueueDoesNotAllocateInSteadyState(t *testing.T) {
	var q queue
	for i := 0; i < 1000; i++ {
		q.Schedule(Time(i), evTest, 0)
	}
	at := Time(1000)
	allocs := testing.AllocsPerRun(1000, func() {
		ev, _ := q.Pop()
		at++
		q.Schedule(ev.at+at%97, evTest, 0)
		q.Peek()
	})
	if allocs != 0 {
		t.Errorf("Schedule+Pop allocates %v times per run, want 0", allocs)
	}
}
