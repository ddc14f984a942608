// Tests of the 8254 PIT and port 61h; expected values follow the Intel
// 8254 datasheet ("Mode Definitions", "Read-Back Command", ...) and the
// 82371SB PIIX3 datasheet for port 61h.

package devices

import (
	"fmt"
	"math/big"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clkTime is the first nanosecond at which CLK pulse k (of a 1.193182 MHz
// clock started at time 0) has occurred: ceil(k * 1e9 / 1193182).
func clkTime(k int64) int64 {
	n := new(big.Int).Mul(big.NewInt(k), big.NewInt(1e9))
	n.Add(n, big.NewInt(1193182-1))
	return n.Div(n, big.NewInt(1193182)).Int64()
}

type pitRig struct {
	t     *testing.T
	clock *Clock
	bus   *Bus
	p     *PIT
	irq   []bool  // IRQ0 levels driven
	irqAt []int64 // and when
}

func newPITRig(t *testing.T) *pitRig {
	r := &pitRig{t: t, clock: NewClock(), bus: NewBus()}
	p, err := NewPIT(r.bus, r.clock, IRQFunc(func(high bool) {
		r.irq = append(r.irq, high)
		r.irqAt = append(r.irqAt, r.clock.Now())
	}))
	require.NoError(t, err)
	r.p = p
	return r
}

func (r *pitRig) out(port uint16, v uint8) { r.bus.Out(port, 1, uint32(v)) }
func (r *pitRig) in(port uint16) uint8     { return uint8(r.bus.In(port, 1)) }
func (r *pitRig) toPulse(k int64)          { r.clock.Advance(clkTime(k)) }

// status latches and reads counter ch's status byte with the read-back
// command (D5=1: no count, D4=0: status).
func (r *pitRig) status(ch int) uint8 {
	r.out(0x43, 0xE0|2<<uint(ch))
	return r.in(0x40 + uint16(ch))
}

func (r *pitRig) outPin(ch int) bool { return r.status(ch)&0x80 != 0 }

// count reads counter ch after a counter latch command (RW=11 assumed).
func (r *pitRig) count(ch int) uint16 {
	r.out(0x43, uint8(ch)<<6)
	lo := r.in(0x40 + uint16(ch))
	hi := r.in(0x40 + uint16(ch))
	return uint16(hi)<<8 | uint16(lo)
}

// OUT waveforms for small counts, j CLK pulses after the count is written
// (modes 0, 2, 3, 4) or after the GATE trigger (modes 1, 5), all from the
// 8254 datasheet's "Mode Definitions".
func TestPITOutWaveforms(t *testing.T) {
	type wave func(n, j int64) bool
	// Mode 0: "OUT does not go high until N+1 CLK pulses after the initial
	// count is written" and then stays high.
	mode0 := func(n, j int64) bool { return j >= n+1 }
	// Mode 1: "OUT will go low on the CLK pulse following a trigger ... and
	// will remain low until the Counter reaches zero" (N pulses).
	mode1 := func(n, j int64) bool { return j < 1 || j > n }
	// Mode 2: loaded on the next pulse; "when the initial count has
	// decremented to 1, OUT goes low for one CLK pulse", then reload:
	// low at pulses N, 2N, ...
	mode2 := func(n, j int64) bool { return j < n || j%n != 0 }
	// Mode 3: loaded on the next pulse; high for (N+1)/2 and low for
	// (N-1)/2 pulses (N/2 each for even N), period N.
	mode3 := func(n, j int64) bool { return j < 1 || (j-1)%n < (n+1)/2 }
	// Modes 4 and 5: "OUT strobes low N+1 CLK pulses after" the count is
	// written (4) or after a trigger (5), for one pulse.
	strobe := func(n, j int64) bool { return j != n+1 }

	tests := []struct {
		mode    uint8
		trigger bool // GATE rising edge starts it
		counts  []int64
		want    wave
	}{
		{mode: 0, counts: []int64{1, 2, 3, 5}, want: mode0},
		{mode: 1, trigger: true, counts: []int64{1, 2, 3, 5}, want: mode1},
		{mode: 2, counts: []int64{2, 3, 4, 5}, want: mode2},
		{mode: 3, counts: []int64{2, 3, 4, 5, 6, 7}, want: mode3},
		{mode: 4, counts: []int64{1, 2, 3, 5}, want: strobe},
		{mode: 5, trigger: true, counts: []int64{1, 2, 3, 5}, want: strobe},
	}
	for _, tc := range tests {
		for _, n := range tc.counts {
			t.Run(fmt.Sprintf("mode %d count %d", tc.mode, n), func(t *testing.T) {
				r := newPITRig(t)
				r.out(0x61, 0x00)            // counter 2 GATE low
				r.out(0x43, 0x90|tc.mode<<1) // counter 2, LSB only, mode
				initial := tc.mode != 0      // OUT after the control word
				assert.Equal(t, initial, r.outPin(2), "OUT after the control word")
				start := int64(100)
				if tc.trigger {
					r.out(0x42, uint8(n))
					r.toPulse(start)
					r.out(0x61, 0x01) // trigger
				} else {
					r.out(0x61, 0x01)
					r.toPulse(start)
					r.out(0x42, uint8(n))
				}
				for j := int64(0); j <= 3*n+3; j++ {
					r.toPulse(start + j)
					assert.Equal(t, tc.want(n, j), r.outPin(2), "OUT %d pulses after, at the pulse", j)
					r.clock.Advance(clkTime(start+j+1) - 1)
					assert.Equal(t, tc.want(n, j), r.outPin(2), "OUT %d pulses after, just before the next", j)
					assert.Equal(t, tc.want(n, j), r.in(0x61)&0x20 != 0, "port 61h bit 5 is OUT2")
				}
			})
		}
	}
}

// Counter values read while counting, j pulses after the count is written.
func TestPITCountSequence(t *testing.T) {
	tests := []struct {
		name  string
		ctrl  uint8
		count uint16
		want  []uint16 // from j = 1 on
	}{
		// Mode 0: loaded on the first pulse, then decremented; after zero
		// the count wraps and counting continues.
		{name: "mode 0 binary", ctrl: 0x30, count: 4, want: []uint16{4, 3, 2, 1, 0, 0xFFFF, 0xFFFE}},
		{name: "mode 0 BCD wraps to 9999", ctrl: 0x31, count: 0x0002, want: []uint16{0x0002, 0x0001, 0x0000, 0x9999, 0x9998}},
		{name: "mode 0 BCD counts decimal", ctrl: 0x31, count: 0x0011, want: []uint16{0x0011, 0x0010, 0x0009, 0x0008}},
		// Mode 2: N, N-1, ..., 1, then reload.
		{name: "mode 2", ctrl: 0x34, count: 3, want: []uint16{3, 2, 1, 3, 2, 1, 3}},
		// Mode 3 even: N, N-2, ..., 2, reloaded as the count expires.
		{name: "mode 3 even", ctrl: 0x36, count: 6, want: []uint16{6, 4, 2, 6, 4, 2, 6}},
		// Mode 3 odd: N-1 loaded, decremented by two; with OUT high the
		// reload comes one pulse after the count expires (0 is visible).
		{name: "mode 3 odd", ctrl: 0x36, count: 5, want: []uint16{4, 2, 0, 4, 2, 4, 2, 0, 4}},
		// Count 0 is 2^16 in binary.
		{name: "mode 2 count 0 is 65536", ctrl: 0x34, count: 0, want: []uint16{0, 0xFFFF, 0xFFFE}},
		// Mode 4 keeps counting after the strobe.
		{name: "mode 4", ctrl: 0x38, count: 2, want: []uint16{2, 1, 0, 0xFFFF}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newPITRig(t)
			r.toPulse(10)
			r.out(0x43, tc.ctrl)
			r.out(0x40, uint8(tc.count))
			r.out(0x40, uint8(tc.count>>8))
			for j, want := range tc.want {
				r.toPulse(10 + int64(j) + 1)
				assert.Equal(t, want, r.count(0), "j=%d", j+1)
			}
		})
	}
}

// BCD: a count of 0 is 10^4 ("Minimum and Maximum Initial Counts").
func TestPITBCDPeriod(t *testing.T) {
	r := newPITRig(t)
	r.out(0x43, 0x35) // counter 0, LSB/MSB, mode 2, BCD
	r.out(0x40, 0x00)
	r.out(0x40, 0x00)
	r.clock.Advance(clkTime(10000) - 1)
	assert.Equal(t, []bool{true}, r.irq, "OUT high after the control word, still high")
	r.clock.Advance(clkTime(20001))
	assert.Equal(t, []bool{true, false, true, false, true}, r.irq)
	assert.Equal(t, []int64{clkTime(10000), clkTime(10001), clkTime(20000), clkTime(20001)}, r.irqAt[1:],
		"low for one pulse 10^4 pulses after the write, period 10^4")
}

func TestPITReadWriteModes(t *testing.T) {
	t.Run("RW=01 LSB only: MSB is 0, reads return the LSB", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x43, 0x10) // counter 0, LSB only, mode 0
		r.out(0x40, 0x05)
		r.toPulse(1)
		assert.Equal(t, uint8(5), r.in(0x40))
		assert.Equal(t, uint8(5), r.in(0x40))
		r.clock.Advance(clkTime(6) - 1)
		assert.False(t, r.outPin(0))
		r.toPulse(6)
		assert.True(t, r.outPin(0), "N=5 expires 6 pulses after the write")
	})
	t.Run("RW=10 MSB only: LSB is 0", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x43, 0x20) // counter 0, MSB only, mode 0
		r.out(0x40, 0x01) // 0100h = 256
		r.toPulse(1)
		assert.Equal(t, uint8(0x01), r.in(0x40))
		r.toPulse(2)
		assert.Equal(t, uint8(0x00), r.in(0x40), "00FFh: MSB 0")
		r.clock.Advance(clkTime(257) - 1)
		assert.False(t, r.outPin(0))
		r.toPulse(257)
		assert.True(t, r.outPin(0))
	})
	t.Run("RW=11: read and write flip-flops are separate", func(t *testing.T) {
		// "Read LSB, write new LSB, read MSB, write new MSB" is valid.
		r := newPITRig(t)
		r.out(0x43, 0xB0) // counter 2, LSB/MSB, mode 0
		r.out(0x42, 0x34)
		r.out(0x42, 0x12)
		r.toPulse(1)
		r.out(0x43, 0x80) // latch counter 2: 1234h
		assert.Equal(t, uint8(0x34), r.in(0x42))
		r.out(0x42, 0x10) // new LSB
		assert.Equal(t, uint8(0x12), r.in(0x42))
		r.out(0x42, 0x00) // new MSB: 0010h
		r.toPulse(2)
		assert.Equal(t, uint16(0x0010), r.count(2))
	})
	t.Run("mode 0: writing the first byte stops counting and sets OUT low", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x43, 0x30)
		r.out(0x40, 2)
		r.out(0x40, 0)
		r.toPulse(3)
		require.True(t, r.outPin(0))
		r.out(0x40, 0x05)
		assert.False(t, r.outPin(0), "OUT low with no clock pulse")
		v := r.count(0)
		r.toPulse(10)
		assert.Equal(t, v, r.count(0), "counting stopped")
		r.out(0x40, 0x00) // count 5 complete at pulse 10
		r.clock.Advance(clkTime(16) - 1)
		assert.False(t, r.outPin(0))
		r.toPulse(16)
		assert.True(t, r.outPin(0))
	})
	t.Run("mode 4: a new count restarts the strobe", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x43, 0x18) // counter 0, LSB, mode 4
		r.out(0x40, 5)
		r.toPulse(3)
		r.out(0x40, 4) // strobe 5 pulses from now, not at pulse 6
		r.toPulse(6)
		assert.True(t, r.outPin(0))
		r.toPulse(8)
		assert.False(t, r.outPin(0))
		r.toPulse(9)
		assert.True(t, r.outPin(0))
	})
	t.Run("port 43h reads float", func(t *testing.T) {
		r := newPITRig(t)
		assert.Equal(t, uint8(0xFF), r.in(0x43))
	})
}

func TestPITCounterLatch(t *testing.T) {
	r := newPITRig(t)
	r.out(0x43, 0x34) // counter 0, LSB/MSB, mode 2
	r.out(0x40, 0xE8)
	r.out(0x40, 0x03) // 1000
	r.toPulse(101)    // 100 pulses after loading: 900
	r.out(0x43, 0x00) // latch counter 0
	r.toPulse(300)
	r.out(0x43, 0x00) // ignored: already latched
	assert.Equal(t, uint8(0x84), r.in(0x40), "LSB of 900 = 0384h")
	r.toPulse(400)
	assert.Equal(t, uint8(0x03), r.in(0x40))
	// The latch is released: reads follow the counter again (loaded at
	// pulse 1, so 399 pulses later).
	assert.Equal(t, uint8(0x59), r.in(0x40), "LSB of 601 = 0259h")
	assert.Equal(t, uint8(0x02), r.in(0x40))
}

func TestPITReadBack(t *testing.T) {
	t.Run("status: OUT, null count, and bits 5-0 exactly as written", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x43, 0xBC) // counter 2, LSB/MSB, mode 6 (= mode 2), binary
		assert.Equal(t, uint8(0x80|0x40|0x3C), r.status(2), "OUT high, null count")
		r.out(0x61, 0x01)
		r.out(0x42, 10)
		r.out(0x42, 0)
		assert.Equal(t, uint8(0xFC), r.status(2), "null count until loaded")
		r.toPulse(1)
		assert.Equal(t, uint8(0xBC), r.status(2), "count loaded into CE")
		r.out(0x43, 0x31) // counter 0, LSB/MSB, mode 0, BCD
		assert.Equal(t, uint8(0x71), r.status(0), "mode 0: OUT low after the control word")
	})
	t.Run("count and status: status first, then the count", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x43, 0x34)
		r.out(0x40, 0x00)
		r.out(0x40, 0x10) // 1000h
		r.toPulse(1)
		r.out(0x43, 0xC2) // read back count and status of counter 0
		r.toPulse(50)
		assert.Equal(t, uint8(0x34|0x80), r.in(0x40))
		assert.Equal(t, uint8(0x00), r.in(0x40))
		assert.Equal(t, uint8(0x10), r.in(0x40))
		assert.Equal(t, uint8(0xCF), r.in(0x40), "unlatched: 1000h-49 = 0FCFh")
	})
	t.Run("several counters, and a second status latch is ignored", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x43, 0x34)
		r.out(0x43, 0x74)
		r.out(0x40, 0x00)
		r.out(0x40, 0x01)
		r.out(0x41, 0x00)
		r.out(0x41, 0x02)
		r.toPulse(2)      // both loaded at pulse 1, one pulse counted
		r.out(0x43, 0xC6) // count and status of counters 0 and 1
		r.out(0x41, 0x00) // a new count for counter 1 sets its null count...
		r.out(0x41, 0x03)
		r.out(0x43, 0xEC) // ...but its status is already latched: ignored for counter 1
		r.toPulse(90)
		assert.Equal(t, uint8(0xB4), r.in(0x40), "OUT high, count loaded, mode 2 LSB/MSB")
		assert.Equal(t, uint8(0xFF), r.in(0x40))
		assert.Equal(t, uint8(0x00), r.in(0x40))
		assert.Equal(t, uint8(0xB4), r.in(0x41), "the first status latched, null count 0")
		assert.Equal(t, uint8(0xFF), r.in(0x41))
		assert.Equal(t, uint8(0x01), r.in(0x41))
		assert.Equal(t, uint8(0x70), r.in(0x42), "counter 2: mode 0 with no count: OUT low, null count")
	})
}

// Null count: set by a control word or a count, cleared when the count
// reaches CE; in mode 2 a new count waits for the end of the period.
func TestPITNullCountAndNewCount(t *testing.T) {
	r := newPITRig(t)
	r.out(0x43, 0x34)
	r.out(0x40, 10)
	r.out(0x40, 0)
	r.toPulse(13) // mid second period (loaded at 1; low at 10, 20)
	r.out(0x40, 4)
	r.out(0x40, 0)
	assert.Equal(t, uint8(0x40), r.status(0)&0x40, "null count until the end of the cycle")
	r.toPulse(20)
	assert.False(t, r.outPin(0), "current cycle unaffected: low at 20")
	r.toPulse(21)
	assert.Equal(t, uint8(0x00), r.status(0)&0x40)
	assert.Equal(t, uint16(4), r.count(0))
	for _, k := range []int64{24, 28, 32} {
		r.clock.Advance(clkTime(k) - 1)
		assert.True(t, r.outPin(0))
		r.toPulse(k)
		assert.False(t, r.outPin(0), "new period 4: low at %d", k)
	}
}

func TestPITMode3NewCountAtHalfCycle(t *testing.T) {
	r := newPITRig(t)
	r.out(0x43, 0x36)
	r.out(0x40, 8)
	r.out(0x40, 0) // loaded at 1: high 1-4, low 5-8
	r.toPulse(2)
	r.out(0x40, 4)
	r.out(0x40, 0)
	r.clock.Advance(clkTime(5) - 1)
	assert.True(t, r.outPin(0), "the current half-cycle completes")
	r.toPulse(5)
	assert.False(t, r.outPin(0))
	r.toPulse(7)
	assert.True(t, r.outPin(0), "then halves of 2")
	r.toPulse(9)
	assert.False(t, r.outPin(0))
}

func TestPITGate(t *testing.T) {
	t.Run("mode 0: GATE low suspends counting", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x61, 0x01)
		r.out(0x43, 0x90) // counter 2, LSB, mode 0
		r.out(0x42, 5)    // loaded at 1, would expire at 6
		r.toPulse(3)
		r.out(0x61, 0x00) // pulses 4..7 do not count
		r.toPulse(7)
		r.out(0x61, 0x01)
		r.clock.Advance(clkTime(10) - 1)
		assert.False(t, r.outPin(2))
		r.toPulse(10)
		assert.True(t, r.outPin(2))
	})
	t.Run("mode 2: GATE low sets OUT high at once, rising edge reloads", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x61, 0x01)
		r.out(0x43, 0x94) // counter 2, LSB, mode 2
		r.out(0x42, 4)    // low at 4
		r.toPulse(4)
		require.False(t, r.outPin(2))
		r.out(0x61, 0x00)
		assert.True(t, r.outPin(2), "no clock pulse needed")
		r.toPulse(20)
		assert.True(t, r.outPin(2))
		r.out(0x61, 0x01) // trigger: reload on 21, low N pulses after
		r.clock.Advance(clkTime(24) - 1)
		assert.True(t, r.outPin(2))
		r.toPulse(24)
		assert.False(t, r.outPin(2))
	})
	t.Run("mode 1: retrigger restarts the one-shot", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x43, 0x92) // counter 2, LSB, mode 1
		r.out(0x42, 5)
		r.out(0x61, 0x01) // trigger at 0: low 1..5
		r.toPulse(3)
		r.out(0x61, 0x00)
		r.out(0x61, 0x01) // retrigger at 3: low until 3+1+5 = 9
		r.toPulse(8)
		assert.False(t, r.outPin(2))
		r.toPulse(9)
		assert.True(t, r.outPin(2))
	})
	t.Run("mode 3: GATE low while OUT is low sets it high", func(t *testing.T) {
		r := newPITRig(t)
		r.out(0x61, 0x01)
		r.out(0x43, 0x96) // counter 2, LSB, mode 3
		r.out(0x42, 4)    // high 1-2, low 3-4
		r.toPulse(3)
		require.False(t, r.outPin(2))
		r.out(0x61, 0x00)
		assert.True(t, r.outPin(2))
	})
}

// Counter 0 with count N raises IRQ0 every N CLK periods with no drift,
// while the machine advances the clock by arbitrary steps.
func TestPITIRQ0Periodic(t *testing.T) {
	for _, tc := range []struct {
		ctrl uint8
		n    int64
	}{{0x34, 1193}, {0x36, 1193}, {0x36, 0x10000}, {0x34, 7}} {
		t.Run(fmt.Sprintf("control %02Xh count %d", tc.ctrl, tc.n), func(t *testing.T) {
			r := newPITRig(t)
			r.out(0x43, tc.ctrl)
			r.out(0x40, uint8(tc.n))
			r.out(0x40, uint8(tc.n>>8))
			const periods = 2000
			rng := rand.New(rand.NewSource(tc.n))
			end := clkTime(tc.n*periods + 2)
			for r.clock.Now() < end {
				r.clock.Advance(r.clock.Now() + 1 + rng.Int63n(clkTime(tc.n)/3+1))
			}
			// Rising edges of OUT (not counting mode 2/3's initial high
			// after the control word).
			var rises []int64
			for i, h := range r.irq {
				if h && i > 0 {
					rises = append(rises, r.irqAt[i])
				}
			}
			require.GreaterOrEqual(t, len(rises), periods)
			tick := 1e9 / 1193182.0
			for m, at := range rises {
				ideal := float64(rises[0]) + float64(int64(m)*tc.n)*tick
				assert.InDelta(t, ideal, float64(at), tick, "rising edge %d", m)
			}
		})
	}
}

func TestPITIRQ0OneShot(t *testing.T) {
	r := newPITRig(t)
	r.out(0x43, 0x30)
	r.out(0x40, 100)
	r.out(0x40, 0)
	r.clock.Advance(clkTime(1000))
	require.Equal(t, []bool{true}, r.irq, "one rising edge, OUT stays high")
	assert.Equal(t, clkTime(101), r.irqAt[0], "N+1 pulses after the write")
	_, pending := r.p.timer.Pending()
	assert.False(t, pending, "no timer after terminal count")
}

func TestPITPortB(t *testing.T) {
	r := newPITRig(t)
	r.out(0x61, 0xFF)
	assert.Equal(t, uint8(0x0F), r.in(0x61)&0x0F, "bits 0-3 read back")
	r.out(0x61, 0x02)
	assert.Equal(t, uint8(0x02), r.in(0x61)&0x0F, "speaker data stored")
	tests := []struct {
		at   int64
		want uint8
	}{{0, 0}, {15084, 0}, {15085, 0x10}, {30169, 0x10}, {30170, 0}, {45255, 0x10}}
	for _, tc := range tests {
		r.clock.Advance(tc.at)
		assert.Equal(t, tc.want, r.in(0x61)&0x10, "refresh toggle at %d ns", tc.at)
	}
}

func TestPITState(t *testing.T) {
	r := newPITRig(t)
	r.out(0x43, 0x34)
	r.out(0x40, 0x00)
	r.out(0x40, 0x01) // 256
	r.out(0x61, 0x03)
	r.out(0x43, 0xB6)
	r.out(0x42, 0x10)
	r.toPulse(1000)
	s := r.p.State()

	r2 := newPITRig(t)
	r2.clock.Advance(r.clock.Now())
	r2.p.SetState(s)
	assert.Equal(t, s, r2.p.State())
	for _, k := range []int64{1001, 1100, 1300} {
		r.toPulse(k)
		r2.toPulse(k)
		assert.Equal(t, r.count(0), r2.count(0))
		assert.Equal(t, r.in(0x61)&0x2F, r2.in(0x61)&0x2F)
	}
	r.clock.Advance(clkTime(5000))
	r2.clock.Advance(clkTime(5000))
	n := len(r2.irqAt)
	assert.Equal(t, r.irqAt[len(r.irqAt)-n+1:], r2.irqAt[1:], "same IRQ0 edges after restore")
}

// Nonsense programming never panics or hangs, and nothing allocates on
// the hot paths.
func TestPITFuzz(t *testing.T) {
	r := newPITRig(t)
	rng := rand.New(rand.NewSource(2))
	ports := []uint16{0x40, 0x41, 0x42, 0x43, 0x61}
	assert.NotPanics(t, func() {
		for i := 0; i < 100000; i++ {
			switch rng.Intn(10) {
			case 0, 1, 2, 3:
				r.out(ports[rng.Intn(len(ports))], uint8(rng.Intn(256)))
			case 4, 5, 6:
				r.in(ports[rng.Intn(len(ports))])
			case 7, 8:
				r.clock.Advance(r.clock.Now() + rng.Int63n(5000))
			case 9:
				r.clock.Advance(r.clock.Now() + rng.Int63n(1e6))
			}
		}
		var s PITState
		s.Counters[0].Control = 0xFF
		s.Counters[0].CE = 1 << 30
		s.Counters[0].Counting = true
		s.Counters[0].LoadAt = -7
		s.Counters[1].Ref = 1 << 40
		r.p.SetState(s)
		r.clock.Advance(r.clock.Now() + 1e9)
	})
	r.out(0x43, 0x34)
	r.out(0x40, 0x10)
	r.out(0x40, 0x00)
	allocs := testing.AllocsPerRun(100, func() {
		r.clock.Advance(r.clock.Now() + 100000)
		r.in(0x40)
		r.in(0x61)
	})
	assert.Zero(t, allocs)
}
