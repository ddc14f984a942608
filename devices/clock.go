package devices

import "container/heap"

// Clock is the machine's virtual time. The machine advances it from the
// number of retired instructions, so the same program and input always see
// the same times. Devices compute their state from Now when read, and ask
// for a callback at a deadline instead of ticking (QEMU's approach for the
// i8254); HLT lets the machine jump straight to the next deadline.
//
// Time is in nanoseconds since power-on.
type Clock struct {
	now    int64
	timers timerHeap
	seq    uint64

	// source, when set, gives the CPU's current time, so a device read
	// in the middle of a run of instructions sees time advance with them.
	source    func() int64
	inAdvance bool
	// runLimit is the time the machine is currently running the CPU up
	// to; scheduling a timer before it calls onEarlier so the run ends in
	// time for the timer.
	runLimit  int64
	onEarlier func()
}

// NewClock returns a clock at time 0.
func NewClock() *Clock { return &Clock{} }

// Now is the current virtual time in nanoseconds. Outside Advance it
// follows the time source (the CPU's retired instructions); inside a
// timer callback it is that timer's deadline.
func (c *Clock) Now() int64 {
	if c.source != nil && !c.inAdvance {
		if t := c.source(); t > c.now {
			return t
		}
	}
	return c.now
}

// SetSource makes Now follow f between Advance calls.
func (c *Clock) SetSource(f func() int64) { c.source = f }

// SetRunLimit tells the clock how far the machine will run before its
// next Advance, and what to call if a timer is scheduled before that.
func (c *Clock) SetRunLimit(limit int64, onEarlier func()) {
	c.runLimit, c.onEarlier = limit, onEarlier
}

// Timer calls a function when virtual time reaches its deadline.
type Timer struct {
	clock    *Clock
	fn       func(now int64)
	deadline int64
	seq      uint64
	index    int // position in the heap, -1 when not scheduled
	name     string
}

// NewTimer returns an unscheduled timer that calls fn.
func (c *Clock) NewTimer(name string, fn func(now int64)) *Timer {
	return &Timer{clock: c, fn: fn, index: -1, name: name}
}

// Schedule arms the timer for virtual time at (replacing any earlier
// deadline). A deadline in the past fires at the next Advance.
func (t *Timer) Schedule(at int64) {
	c := t.clock
	if at < c.runLimit && c.onEarlier != nil && !c.inAdvance {
		c.onEarlier()
	}
	t.deadline = at
	c.seq++
	t.seq = c.seq
	if t.index >= 0 {
		heap.Fix(&c.timers, t.index)
		return
	}
	heap.Push(&c.timers, t)
}

// Cancel disarms the timer.
func (t *Timer) Cancel() {
	if t.index >= 0 {
		heap.Remove(&t.clock.timers, t.index)
	}
}

// Pending reports whether the timer is armed, and for when.
func (t *Timer) Pending() (int64, bool) { return t.deadline, t.index >= 0 }

// NextDeadline returns the earliest armed deadline.
func (c *Clock) NextDeadline() (int64, bool) {
	if len(c.timers) == 0 {
		return 0, false
	}
	return c.timers[0].deadline, true
}

// Advance moves time forward to at (never backwards) and fires, in
// deadline order (ties in scheduling order), every timer due by then.
// Each callback sees Now equal to its own deadline, so a periodic device
// can re-arm from it without drift.
func (c *Clock) Advance(at int64) {
	c.inAdvance = true
	defer func() { c.inAdvance = false }()
	for len(c.timers) > 0 && c.timers[0].deadline <= at {
		t := heap.Pop(&c.timers).(*Timer)
		if t.deadline > c.now {
			c.now = t.deadline
		}
		t.fn(c.now)
	}
	if at > c.now {
		c.now = at
	}
}

type timerHeap []*Timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].deadline != h[j].deadline {
		return h[i].deadline < h[j].deadline
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*Timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
