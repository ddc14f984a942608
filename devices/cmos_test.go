// Tests of the MC146818A RTC and CMOS RAM; expected values follow the
// Motorola MC146818A datasheet and the IBM AT CMOS conventions.

package devices

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type rtcRig struct {
	t     *testing.T
	clock *Clock
	bus   *Bus
	c     *CMOS
	irq   []bool
	irqAt []int64
	level bool
}

// A Thursday; the fraction of a second is zero, so updates come at whole
// seconds of clock time.
var rtcBase = time.Date(2024, 2, 29, 13, 45, 7, 0, time.UTC)

func newRTCRig(t *testing.T, base time.Time) *rtcRig {
	r := &rtcRig{t: t, clock: NewClock(), bus: NewBus()}
	c, err := NewCMOS(r.bus, r.clock, IRQFunc(func(high bool) {
		r.level = high
		r.irq = append(r.irq, high)
		r.irqAt = append(r.irqAt, r.clock.Now())
	}), base)
	require.NoError(t, err)
	r.c = c
	return r
}

func (r *rtcRig) get(i uint8) uint8 {
	r.bus.Out(0x70, 1, uint32(i))
	return uint8(r.bus.In(0x71, 1))
}

func (r *rtcRig) set(i, v uint8) {
	r.bus.Out(0x70, 1, uint32(i))
	r.bus.Out(0x71, 1, uint32(v))
}

func (r *rtcRig) at(ns int64) { r.clock.Advance(ns) }

// setTime writes the time registers with SET=1 under register B mode b
// ("Register B": SET lets the program initialize the time without an
// update in between), then clears SET.
func (r *rtcRig) setTime(b uint8, regs map[uint8]uint8) {
	r.set(0x0B, b|0x80)
	for i, v := range regs {
		r.set(i, v)
	}
	r.set(0x0B, b)
}

// rises returns the clock times at which IRQ8 went high.
func (r *rtcRig) rises() []int64 {
	var out []int64
	for i, h := range r.irq {
		if h {
			out = append(out, r.irqAt[i])
		}
	}
	return out
}

func TestCMOSInitialTimeFromBase(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	want := map[uint8]uint8{
		0x00: 0x07, 0x02: 0x45, 0x04: 0x13, 0x06: 0x05, // Thursday = 5 (Sunday = 1)
		0x07: 0x29, 0x08: 0x02, 0x09: 0x24, 0x32: 0x20,
		0x0A: 0x26, 0x0B: 0x02, 0x0D: 0x80,
	}
	for i, v := range want {
		assert.Equal(t, v, r.get(i), "register %02Xh", i)
	}
	r.at(int64(time.Hour + 2*time.Second))
	assert.Equal(t, uint8(0x09), r.get(0x00))
	assert.Equal(t, uint8(0x14), r.get(0x04))
}

func TestCMOSBaseFraction(t *testing.T) {
	r := newRTCRig(t, rtcBase.Add(300*time.Millisecond))
	r.at(700e6 - 1)
	assert.Equal(t, uint8(0x07), r.get(0x00))
	r.at(700e6)
	assert.Equal(t, uint8(0x08), r.get(0x00), "the next update when base's second completes")
}

// Data modes ("Time, Calendar, and Alarm Data Modes"): BCD or binary,
// 24-hour (0-23) or 12-hour (1-12, bit 7 = PM), checked across updates.
func TestCMOSDataModes(t *testing.T) {
	tests := []struct {
		name     string
		b        uint8
		hour     uint8 // written, with minutes and seconds 59
		wantHour uint8 // one second later
		wantMin  uint8 // 0 in both modes
	}{
		{name: "BCD 24h 09:59:59", b: 0x02, hour: 0x09, wantHour: 0x10},
		{name: "binary 24h 09:59:59", b: 0x06, hour: 9, wantHour: 10},
		{name: "BCD 24h 23:59:59", b: 0x02, hour: 0x23, wantHour: 0x00},
		{name: "BCD 12h 11:59:59 AM", b: 0x00, hour: 0x11, wantHour: 0x92},
		{name: "binary 12h 11:59:59 AM", b: 0x04, hour: 0x0B, wantHour: 0x8C},
		{name: "BCD 12h 12:59:59 PM", b: 0x00, hour: 0x92, wantHour: 0x81},
		{name: "binary 12h 12:59:59 PM", b: 0x04, hour: 0x8C, wantHour: 0x81},
		{name: "BCD 12h 11:59:59 PM", b: 0x00, hour: 0x91, wantHour: 0x12},
		{name: "binary 12h 11:59:59 PM", b: 0x04, hour: 0x8B, wantHour: 0x0C},
		{name: "BCD 12h 12:59:59 AM", b: 0x00, hour: 0x12, wantHour: 0x01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRTCRig(t, rtcBase)
			sec59 := uint8(0x59)
			if tc.b&0x04 != 0 {
				sec59 = 59
			}
			r.setTime(tc.b, map[uint8]uint8{0x00: sec59, 0x02: sec59, 0x04: tc.hour})
			assert.Equal(t, tc.hour, r.get(0x04), "reads back as written")
			assert.Equal(t, sec59, r.get(0x00))
			r.at(1e9)
			assert.Equal(t, tc.wantHour, r.get(0x04))
			assert.Equal(t, uint8(0), r.get(0x02))
			assert.Equal(t, uint8(0), r.get(0x00))
		})
	}
}

// UIP is 1 for the 244 µs (tBUC) before each update and 0 otherwise.
func TestCMOSUpdateInProgress(t *testing.T) {
	tests := []struct {
		at   int64
		want uint8
		sec  uint8
	}{
		{at: 0, want: 0, sec: 0x07},
		{at: 1e9 - 244001, want: 0, sec: 0x07},
		{at: 1e9 - 244000, want: 0x80, sec: 0x07},
		{at: 1e9 - 1, want: 0x80, sec: 0x07},
		{at: 1e9, want: 0, sec: 0x08},
		{at: 2e9 - 100000, want: 0x80, sec: 0x08},
	}
	r := newRTCRig(t, rtcBase)
	for _, tc := range tests {
		r.at(tc.at)
		assert.Equal(t, tc.want, r.get(0x0A)&0x80, "UIP at %d ns", tc.at)
		assert.Equal(t, uint8(0x26), r.get(0x0A)&0x7F, "other bits of register A")
		assert.Equal(t, tc.sec, r.get(0x00))
	}
	r.set(0x0B, 0x82) // SET inhibits updates and clears UIP
	assert.Equal(t, uint8(0), r.get(0x0A)&0x80)
	r.at(3e9 - 1000)
	assert.Equal(t, uint8(0), r.get(0x0A)&0x80)
	assert.Equal(t, uint8(0x08), r.get(0x00), "no update while SET")
	r.set(0x0A, 0xA6)
	assert.Equal(t, uint8(0x26), r.get(0x0A), "UIP is read-only")
}

// Periodic interrupt rates with the 32.768 kHz time base (table "Periodic
// Interrupt Rate and Square-Wave Output Frequency").
func TestCMOSPeriodicRates(t *testing.T) {
	hz := map[uint8]float64{
		1: 256, 2: 128, 3: 8192, 4: 4096, 5: 2048, 6: 1024, 7: 512, 8: 256,
		9: 128, 10: 64, 11: 32, 12: 16, 13: 8, 14: 4, 15: 2,
	}
	for rs := uint8(0); rs < 16; rs++ {
		t.Run(fmt.Sprintf("RS=%d", rs), func(t *testing.T) {
			r := newRTCRig(t, rtcBase)
			r.set(0x0A, 0x20|rs)
			r.set(0x0B, 0x42) // PIE
			var times []int64
			for r.clock.Now() < 2e9 {
				next, ok := r.clock.NextDeadline()
				if !ok || next > 2e9 {
					break
				}
				r.at(next)
				if r.level {
					times = append(times, r.clock.Now())
					assert.Equal(t, uint8(0xC0), r.get(0x0C)&0xC0, "IRQF and PF (UF is set by updates too)")
					assert.False(t, r.level, "reading C deasserts IRQ")
				}
			}
			if rs == 0 {
				assert.Empty(t, times)
				return
			}
			require.NotEmpty(t, times)
			assert.InDelta(t, 2*hz[rs], float64(len(times)), 1, "interrupts in 2 s")
			for i := 1; i < len(times); i++ {
				assert.InDelta(t, 1e9/hz[rs], float64(times[i]-times[i-1]), 1, "interval %d", i)
			}
		})
	}
}

// PF, UF and AF are set whether or not their interrupts are enabled;
// IRQ is asserted only for an enabled one ("Register C").
func TestCMOSFlagsWithoutInterrupts(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	r.set(0x01, 0x08) // alarm 13:45:08
	r.set(0x03, 0x45)
	r.set(0x05, 0x13)
	r.at(1e9)
	assert.Equal(t, uint8(0x70), r.get(0x0C), "PF, AF and UF; IRQF clear")
	assert.Equal(t, uint8(0x00), r.get(0x0C), "cleared by the read")
	assert.Empty(t, r.irq)
	r.set(0x0B, 0x12) // UIE
	r.at(2e9)
	r.at(3e9)
	assert.Equal(t, []bool{true}, r.irq, "IRQ stays asserted until C is read")
	assert.Equal(t, []int64{2e9}, r.irqAt)
	assert.Equal(t, uint8(0xD0), r.get(0x0C), "IRQF, PF, UF")
	assert.Equal(t, []bool{true, false}, r.irq)
	r.at(3e9 + 2e6)   // two periods of the 1024 Hz rate
	r.set(0x0B, 0x52) // PIE with PF pending: IRQ at once
	assert.Equal(t, []bool{true, false, true}, r.irq)
	r.set(0x0B, 0x12)
	assert.Equal(t, []bool{true, false, true, false}, r.irq, "IRQF follows the enables")
}

func TestCMOSUpdateEndedInterrupt(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	r.set(0x0B, 0x12) // UIE
	for s := int64(1); s <= 5; s++ {
		r.at(s*1e9 - 1)
		assert.False(t, r.level)
		r.at(s * 1e9)
		assert.True(t, r.level, "update %d", s)
		assert.Equal(t, uint8(0x90), r.get(0x0C)&0xB0, "IRQF and UF")
	}
}

func TestCMOSAlarm(t *testing.T) {
	tests := []struct {
		name    string
		b       uint8
		time    [3]uint8 // hours, minutes, seconds written
		alarm   [3]uint8 // hours, minutes, seconds alarm
		want    []int64  // seconds after which AF interrupts come
		horizon int64
	}{
		{name: "exact match", b: 0x22, time: [3]uint8{0x10, 0x00, 0x00}, alarm: [3]uint8{0x10, 0x00, 0x05}, want: []int64{5}, horizon: 100},
		{name: "once a day", b: 0x22, time: [3]uint8{0x10, 0x00, 0x00}, alarm: [3]uint8{0x09, 0x59, 0x59}, want: []int64{86399}, horizon: 86400 + 100},
		{name: "all don't care: every second", b: 0x22, time: [3]uint8{0x10, 0x00, 0x00}, alarm: [3]uint8{0xC0, 0xFF, 0xC5}, want: []int64{1, 2, 3, 4}, horizon: 4},
		{name: "seconds don't care: each second of 10:01", b: 0x22, time: [3]uint8{0x10, 0x00, 0x58}, alarm: [3]uint8{0x10, 0x01, 0xFF}, want: []int64{2, 3, 4}, horizon: 4},
		{name: "hours don't care: each hour at :30:00", b: 0x22, time: [3]uint8{0x10, 0x29, 0x59}, alarm: [3]uint8{0xFF, 0x30, 0x00}, want: []int64{1, 3601, 7201}, horizon: 7300},
		{name: "12-hour: 1 PM", b: 0x20, time: [3]uint8{0x92, 0x59, 0x58}, alarm: [3]uint8{0x81, 0x00, 0x00}, want: []int64{2}, horizon: 100},
		{name: "12-hour: 1 AM does not match 1 PM", b: 0x20, time: [3]uint8{0x92, 0x59, 0x58}, alarm: [3]uint8{0x01, 0x00, 0x00}, want: []int64{12*3600 + 2}, horizon: 12*3600 + 100},
		{name: "binary", b: 0x26, time: [3]uint8{23, 59, 59}, alarm: [3]uint8{0, 0, 1}, want: []int64{2}, horizon: 100},
		{name: "impossible alarm never fires", b: 0x22, time: [3]uint8{0x10, 0x00, 0x00}, alarm: [3]uint8{0x10, 0x00, 0x60}, horizon: 2 * 86400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRTCRig(t, rtcBase)
			r.set(0x05, tc.alarm[0])
			r.set(0x03, tc.alarm[1])
			r.set(0x01, tc.alarm[2])
			r.setTime(tc.b&^0x20, map[uint8]uint8{0x04: tc.time[0], 0x02: tc.time[1], 0x00: tc.time[2]})
			r.set(0x0B, tc.b)
			var got []int64
			for {
				next, ok := r.clock.NextDeadline()
				if !ok || next > tc.horizon*1e9 {
					break
				}
				r.at(next)
				if r.level {
					got = append(got, r.clock.Now()/1e9)
					assert.Equal(t, uint8(0xA0), r.get(0x0C)&0xA0, "IRQF and AF")
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCMOSSetTime(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	r.set(0x0B, 0x12)
	r.at(300e6)
	r.set(0x0B, 0x92) // SET going high clears UIE
	assert.Equal(t, uint8(0x82), r.get(0x0B))
	for i, v := range map[uint8]uint8{0x00: 0x30, 0x02: 0x15, 0x04: 0x08, 0x06: 0x02, 0x07: 0x15, 0x08: 0x06, 0x09: 0x09, 0x32: 0x20} {
		r.set(i, v)
	}
	r.at(5300e6)
	assert.Equal(t, uint8(0x30), r.get(0x00), "no updates while SET")
	r.set(0x0B, 0x02)
	r.at(7800e6) // updates at 6 s and 7 s: the divider kept its phase
	assert.Equal(t, uint8(0x32), r.get(0x00))
	r.at(7800e6 + int64(3*time.Hour))
	assert.Equal(t, []uint8{0x32, 0x15, 0x11, 0x02, 0x15, 0x06, 0x09, 0x20},
		[]uint8{r.get(0x00), r.get(0x02), r.get(0x04), r.get(0x06), r.get(0x07), r.get(0x08), r.get(0x09), r.get(0x32)},
		"the guest's time persists relative to the clock")
	r.set(0x02, 0x59) // a write with SET=0 takes effect too
	r.at(7800e6 + int64(3*time.Hour) + 1e9)
	assert.Equal(t, uint8(0x59), r.get(0x02))
	assert.Equal(t, uint8(0x33), r.get(0x00))
}

func TestCMOSDayOfWeek(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	// Saturday (7) 23:59:59 rolls to Sunday (1).
	r.setTime(0x02, map[uint8]uint8{0x06: 0x07, 0x04: 0x23, 0x02: 0x59, 0x00: 0x59})
	r.at(1e9)
	assert.Equal(t, uint8(0x01), r.get(0x06))
	// The day of week is its own counter: a value that disagrees with the
	// date is kept and stepped at midnight.
	r.setTime(0x02, map[uint8]uint8{0x06: 0x03, 0x04: 0x23, 0x02: 0x59, 0x00: 0x59})
	r.at(2e9)
	assert.Equal(t, uint8(0x04), r.get(0x06))
	r.at(2e9 + int64(7*24*time.Hour))
	assert.Equal(t, uint8(0x04), r.get(0x06), "a week later")
	r.at(2e9 + int64(9*24*time.Hour))
	assert.Equal(t, uint8(0x06), r.get(0x06))
}

func TestCMOSCalendarRollover(t *testing.T) {
	tests := []struct {
		name string
		from [4]uint8 // century, year, month, date at 23:59:59 (BCD)
		to   [4]uint8
	}{
		{name: "31-day month", from: [4]uint8{0x20, 0x24, 0x01, 0x31}, to: [4]uint8{0x20, 0x24, 0x02, 0x01}},
		{name: "30-day month", from: [4]uint8{0x20, 0x24, 0x04, 0x30}, to: [4]uint8{0x20, 0x24, 0x05, 0x01}},
		{name: "February of a leap year", from: [4]uint8{0x20, 0x24, 0x02, 0x28}, to: [4]uint8{0x20, 0x24, 0x02, 0x29}},
		{name: "leap day", from: [4]uint8{0x20, 0x24, 0x02, 0x29}, to: [4]uint8{0x20, 0x24, 0x03, 0x01}},
		{name: "February of a common year", from: [4]uint8{0x20, 0x23, 0x02, 0x28}, to: [4]uint8{0x20, 0x23, 0x03, 0x01}},
		{name: "2000 is a leap year", from: [4]uint8{0x20, 0x00, 0x02, 0x28}, to: [4]uint8{0x20, 0x00, 0x02, 0x29}},
		{name: "new year", from: [4]uint8{0x20, 0x23, 0x12, 0x31}, to: [4]uint8{0x20, 0x24, 0x01, 0x01}},
		{name: "new century", from: [4]uint8{0x19, 0x99, 0x12, 0x31}, to: [4]uint8{0x20, 0x00, 0x01, 0x01}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRTCRig(t, rtcBase)
			r.setTime(0x02, map[uint8]uint8{
				0x32: tc.from[0], 0x09: tc.from[1], 0x08: tc.from[2], 0x07: tc.from[3],
				0x04: 0x23, 0x02: 0x59, 0x00: 0x59,
			})
			r.at(1e9)
			assert.Equal(t, tc.to, [4]uint8{r.get(0x32), r.get(0x09), r.get(0x08), r.get(0x07)})
			assert.Equal(t, [3]uint8{0, 0, 0}, [3]uint8{r.get(0x04), r.get(0x02), r.get(0x00)})
		})
	}
	t.Run("binary century and year", func(t *testing.T) {
		r := newRTCRig(t, rtcBase)
		r.setTime(0x06, map[uint8]uint8{0x32: 19, 0x09: 99, 0x08: 12, 0x07: 31, 0x04: 23, 0x02: 59, 0x00: 59})
		r.at(1e9)
		assert.Equal(t, [4]uint8{20, 0, 1, 1}, [4]uint8{r.get(0x32), r.get(0x09), r.get(0x08), r.get(0x07)})
	})
}

// Divider reset (DV=11x) stops the clock; "when the divider reset is
// removed, the first update cycle begins one-half second later".
func TestCMOSDividerReset(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	r.at(100e6)
	r.set(0x0A, 0x76)
	r.at(5e9)
	assert.Equal(t, uint8(0x07), r.get(0x00), "stopped")
	r.set(0x0A, 0x26)
	r.at(5500e6 - 1)
	assert.Equal(t, uint8(0x07), r.get(0x00))
	r.at(5500e6)
	assert.Equal(t, uint8(0x08), r.get(0x00))
	r.at(6500e6)
	assert.Equal(t, uint8(0x09), r.get(0x00))
}

func TestCMOSRegistersAndRAM(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	r.set(0x0D, 0x00)
	assert.Equal(t, uint8(0x80), r.get(0x0D), "register D: VRT=1, read-only")
	r.set(0x0C, 0xFF)
	assert.Equal(t, uint8(0x00), r.get(0x0C)&0x0F, "register C bits 3-0 read 0")
	for i := 0x0E; i < 0x80; i++ {
		if i == 0x32 {
			continue
		}
		r.set(uint8(i), uint8(i*7))
	}
	for i := 0x0E; i < 0x80; i++ {
		if i == 0x32 {
			continue
		}
		assert.Equal(t, uint8(i*7), r.get(uint8(i)), "RAM %02Xh", i)
		assert.Equal(t, uint8(i*7), r.c.Byte(uint8(i)))
	}
	r.bus.Out(0x70, 1, 0x8F) // NMI mask bit, index 0Fh
	assert.True(t, r.c.NMIMasked())
	assert.Equal(t, uint8(0x0F*7), uint8(r.bus.In(0x71, 1)))
	r.bus.Out(0x70, 1, 0x0F)
	assert.False(t, r.c.NMIMasked())
	assert.Equal(t, uint8(0xFF), uint8(r.bus.In(0x70, 1)), "index port is write-only")

	// Checksum: 16-bit sum of 10h-2Dh, high byte at 2Eh, low at 2Fh.
	var sum uint16
	for i := uint8(0x10); i <= 0x2D; i++ {
		r.c.SetByte(i, 0xF0+i%16)
		sum += uint16(0xF0 + i%16)
	}
	assert.Equal(t, sum, r.c.UpdateChecksum())
	assert.Equal(t, uint8(sum>>8), r.get(0x2E))
	assert.Equal(t, uint8(sum), r.get(0x2F))

	r.set(0x0B, 0x12)
	r.at(1e9)
	assert.Equal(t, uint8(0x90), r.c.Byte(0x0C)&0x90, "Byte does not clear C")
	assert.Equal(t, uint8(0x90), r.get(0x0C)&0x90)
	assert.Equal(t, uint8(0x00), r.get(0x0C))
}

func TestCMOSState(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	r.set(0x0A, 0x2A) // 64 Hz
	r.set(0x0B, 0x62) // PIE, AIE
	r.set(0x05, 0xFF)
	r.set(0x03, 0xFF)
	r.set(0x01, 0x10)
	r.set(0x40, 0x5A)
	r.at(2500e6)
	s := r.c.State()

	r2 := newRTCRig(t, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC))
	r2.at(2500e6)
	r2.c.SetState(s)
	assert.Equal(t, s, r2.c.State())
	assert.Equal(t, r.level, r2.level)
	for _, at := range []int64{2600e6, 9e9, 20e9} {
		r.at(at)
		r2.at(at)
		for _, i := range []uint8{0x00, 0x02, 0x04, 0x0C, 0x40} {
			assert.Equal(t, r.get(i), r2.get(i), "register %02Xh at %d", i, at)
		}
	}
}

// Nonsense programming never panics or hangs.
func TestCMOSFuzz(t *testing.T) {
	r := newRTCRig(t, rtcBase)
	rng := rand.New(rand.NewSource(3))
	assert.NotPanics(t, func() {
		for i := 0; i < 100000; i++ {
			switch rng.Intn(6) {
			case 0:
				r.set(uint8(rng.Intn(256)), uint8(rng.Intn(256)))
			case 1:
				r.set(uint8(rng.Intn(16)), uint8(rng.Intn(256)))
			case 2:
				r.get(uint8(rng.Intn(256)))
			case 3:
				r.get(0x0C)
			case 4:
				r.at(r.clock.Now() + rng.Int63n(1e6))
			case 5:
				r.at(r.clock.Now() + rng.Int63n(1e11))
			}
		}
		var s CMOSState
		for i := range s.RAM {
			s.RAM[i] = uint8(rng.Intn(256))
		}
		s.RAM[0x0A] = 0x23
		s.RAM[0x0B] = 0x70
		s.Index = 0xFF
		s.Ref = r.clock.Now() + 1e12
		s.Origin = -1e15
		r.c.SetState(s)
		r.at(r.clock.Now() + 1e10)
		r.get(0x00)
	})
	r.set(0x0A, 0x26)
	r.set(0x0B, 0x42)
	allocs := testing.AllocsPerRun(100, func() {
		r.at(r.clock.Now() + 1e6)
		r.get(0x00)
		r.get(0x0C)
	})
	assert.Zero(t, allocs)
}
