// Tests of the virtual Clock's contract as documented in clock.go.

package devices

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// firing records timer callbacks as "name@now".
type firing struct {
	name string
	now  int64
}

func TestClock(t *testing.T) {
	type sched struct {
		name string
		at   int64
	}
	tests := []struct {
		name     string
		schedule []sched
		cancel   []string // cancelled after scheduling
		advance  []int64  // successive Advance targets
		want     []firing
		wantNow  int64
	}{
		{
			name:     "fires in deadline order",
			schedule: []sched{{"c", 300}, {"a", 100}, {"b", 200}},
			advance:  []int64{1000},
			want:     []firing{{"a", 100}, {"b", 200}, {"c", 300}},
			wantNow:  1000,
		},
		{
			name:     "ties fire in scheduling order",
			schedule: []sched{{"x", 50}, {"y", 50}, {"z", 50}},
			advance:  []int64{50},
			want:     []firing{{"x", 50}, {"y", 50}, {"z", 50}},
			wantNow:  50,
		},
		{
			name:     "reschedule replaces the deadline and counts as a new scheduling for ties",
			schedule: []sched{{"a", 10}, {"b", 20}, {"a", 20}},
			advance:  []int64{100},
			want:     []firing{{"b", 20}, {"a", 20}},
			wantNow:  100,
		},
		{
			name:     "cancel disarms",
			schedule: []sched{{"a", 10}, {"b", 20}},
			cancel:   []string{"a"},
			advance:  []int64{100},
			want:     []firing{{"b", 20}},
			wantNow:  100,
		},
		{
			name:     "deadline equal to Advance target fires, later one waits",
			schedule: []sched{{"a", 100}, {"b", 101}},
			advance:  []int64{100},
			want:     []firing{{"a", 100}},
			wantNow:  100,
		},
		{
			name:     "Advance never moves time backwards",
			schedule: []sched{{"a", 500}},
			advance:  []int64{300, 100, 600},
			want:     []firing{{"a", 500}},
			wantNow:  600,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClock()
			var got []firing
			timers := map[string]*Timer{}
			for _, s := range tc.schedule {
				tm, ok := timers[s.name]
				if !ok {
					name := s.name
					tm = c.NewTimer(name, func(now int64) {
						got = append(got, firing{name, now})
						assert.Equal(t, now, c.Now(), "callback sees Now == its deadline")
					})
					timers[name] = tm
				}
				tm.Schedule(s.at)
			}
			for _, n := range tc.cancel {
				timers[n].Cancel()
				_, pending := timers[n].Pending()
				assert.False(t, pending)
			}
			for _, a := range tc.advance {
				c.Advance(a)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantNow, c.Now())
		})
	}
}

func TestClockPendingAndNextDeadline(t *testing.T) {
	c := NewClock()
	_, ok := c.NextDeadline()
	assert.False(t, ok, "no timers")
	a := c.NewTimer("a", func(int64) {})
	b := c.NewTimer("b", func(int64) {})
	_, ok = a.Pending()
	assert.False(t, ok, "new timer is unscheduled")
	a.Schedule(70)
	b.Schedule(30)
	d, ok := c.NextDeadline()
	require.True(t, ok)
	assert.Equal(t, int64(30), d)
	at, ok := a.Pending()
	assert.True(t, ok)
	assert.Equal(t, int64(70), at)
	b.Cancel()
	d, _ = c.NextDeadline()
	assert.Equal(t, int64(70), d)
	b.Cancel() // cancelling twice is harmless
	c.Advance(70)
	_, ok = a.Pending()
	assert.False(t, ok, "a fired timer is no longer pending")
}

// A callback that re-arms from its own Now fires at exact multiples of its
// period within one Advance: no drift.
func TestClockPeriodicRearmNoDrift(t *testing.T) {
	c := NewClock()
	var fired []int64
	var tm *Timer
	tm = c.NewTimer("p", func(now int64) {
		fired = append(fired, now)
		tm.Schedule(now + 7)
	})
	tm.Schedule(7)
	c.Advance(70)
	want := []int64{7, 14, 21, 28, 35, 42, 49, 56, 63, 70}
	assert.Equal(t, want, fired)
	d, _ := tm.Pending()
	assert.Equal(t, int64(77), d)
}

// A deadline already in the past fires at the next Advance, without moving
// time backwards.
func TestClockPastDeadline(t *testing.T) {
	c := NewClock()
	c.Advance(100)
	var at int64 = -1
	tm := c.NewTimer("late", func(now int64) { at = now })
	tm.Schedule(40)
	assert.Equal(t, int64(-1), at, "does not fire on Schedule")
	c.Advance(100)
	assert.Equal(t, int64(100), at)
}

// Timers a callback schedules within the Advance window fire in the same
// Advance, in deadline order.
func TestClockCallbackSchedulesOther(t *testing.T) {
	c := NewClock()
	var got []firing
	b := c.NewTimer("b", func(now int64) { got = append(got, firing{"b", now}) })
	a := c.NewTimer("a", func(now int64) {
		got = append(got, firing{"a", now})
		b.Schedule(now + 5)
	})
	a.Schedule(10)
	c.Advance(20)
	assert.Equal(t, []firing{{"a", 10}, {"b", 15}}, got)
}
