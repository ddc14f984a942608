// Tests of the 8259A pair and the PIIX3 ELCR; expected values follow the
// Intel 8259A datasheet and the 82371SB PIIX3 datasheet.

package devices

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// picRig is a PIC pair on a bus with INTR recorded.
type picRig struct {
	t    *testing.T
	bus  *Bus
	p    *PICPair
	intr bool
	log  []bool
}

func newPICRig(t *testing.T) *picRig {
	r := &picRig{t: t, bus: NewBus()}
	p, err := NewPICPair(r.bus, func(level bool) {
		r.intr = level
		r.log = append(r.log, level)
	})
	require.NoError(t, err)
	r.p = p
	return r
}

func (r *picRig) out(port uint16, v uint8) { r.bus.Out(port, 1, uint32(v)) }
func (r *picRig) in(port uint16) uint8     { return uint8(r.bus.In(port, 1)) }
func (r *picRig) irq(n int, high bool)     { r.p.IRQ(n).SetLevel(high) }
func (r *picRig) pulse(n int)              { r.irq(n, true); r.irq(n, false) }

// initPair programs both chips the PC way (ICW1 11h: edge, cascade, ICW4
// needed; master ICW3 04h: slave on IR2; slave ICW3 02h: ID 2) with the
// given ICW4s, then unmasks everything.
func (r *picRig) initPair(masterICW4, slaveICW4 uint8) {
	for _, w := range [][2]uint16{
		{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, uint16(masterICW4)},
		{0xA0, 0x11}, {0xA1, 0x70}, {0xA1, 0x02}, {0xA1, uint16(slaveICW4)},
		{0x21, 0x00}, {0xA1, 0x00},
	} {
		r.out(w[0], uint8(w[1]))
	}
}

// OCW3 read register command: 0Ah reads IRR, 0Bh reads ISR.
func (r *picRig) irr(base uint16) uint8 { r.out(base, 0x0A); return r.in(base) }
func (r *picRig) isr(base uint16) uint8 { r.out(base, 0x0B); return r.in(base) }

func TestPICInitialization(t *testing.T) {
	t.Run("ICW2 T7-T3 give the vector base in 8086 mode, low bits ignored", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		r.out(0x20, 0x11)
		r.out(0x21, 0x25) // T7-T3 = 20h; 8086 mode ignores D2-D0
		r.out(0x21, 0x04)
		r.out(0x21, 0x01)
		r.out(0x21, 0x00)
		r.pulse(0) // edge latched, then the line falls: IRR is cleared again
		assert.Equal(t, uint8(0), r.irr(0x20), "IR input must stay high until INTA")
		r.irq(0, true)
		assert.Equal(t, uint8(0x20), r.p.Acknowledge())
		r.irq(7, true)
		r.out(0x20, 0x20)
		assert.Equal(t, uint8(0x27), r.p.Acknowledge())
	})
	t.Run("single mode skips ICW3", func(t *testing.T) {
		r := newPICRig(t)
		r.out(0x20, 0x13) // ICW1: SNGL, IC4
		r.out(0x21, 0x40) // ICW2
		r.out(0x21, 0x01) // ICW4 (no ICW3 in single mode)
		r.out(0x21, 0x5A) // OCW1
		assert.Equal(t, uint8(0x5A), r.in(0x21))
		r.irq(0, true)
		assert.Equal(t, uint8(0x40), r.p.Acknowledge())
	})
	t.Run("IC4=0 skips ICW4 and zeroes its functions (no AEOI)", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x03, 0x01) // master AEOI
		r.out(0x20, 0x10)      // ICW1: cascade, no ICW4
		r.out(0x21, 0x08)
		r.out(0x21, 0x04) // ICW3, then initialization ends
		r.out(0x21, 0xF0) // OCW1
		assert.Equal(t, uint8(0xF0), r.in(0x21))
		r.irq(1, true)
		assert.Equal(t, uint8(0x09), r.p.Acknowledge())
		assert.Equal(t, uint8(0x02), r.isr(0x20), "no automatic EOI after IC4=0")
	})
	t.Run("ICW1 clears the IMR and selects IRR for reads", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		r.out(0x21, 0xFF)
		r.out(0x20, 0x0B) // read ISR
		r.out(0x20, 0x11)
		assert.Equal(t, uint8(0x00), r.in(0x21), "IMR cleared")
		r.out(0x21, 0x08)
		r.out(0x21, 0x04)
		r.out(0x21, 0x01)
		r.irq(3, true)
		assert.Equal(t, uint8(0x08), r.in(0x20), "status read is IRR after ICW1")
	})
	t.Run("ICW1 resets the edge sense: an input already high must rise again", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		r.irq(5, true)
		r.initPair(0x01, 0x01)
		assert.Equal(t, uint8(0), r.irr(0x20))
		assert.False(t, r.intr)
		r.irq(5, false)
		r.irq(5, true)
		assert.Equal(t, uint8(0x20), r.irr(0x20))
		assert.True(t, r.intr)
	})
	t.Run("ICW1 gives IR7 the lowest priority again", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		r.out(0x20, 0xC3) // set priority: IR3 lowest, IR4 highest
		r.initPair(0x01, 0x01)
		r.irq(4, true)
		r.irq(0, true)
		assert.Equal(t, uint8(0x08), r.p.Acknowledge(), "IR0 highest after ICW1")
	})
}

func TestPICFullyNested(t *testing.T) {
	r := newPICRig(t)
	r.initPair(0x01, 0x01)
	r.irq(3, true)
	r.irq(5, true)
	require.True(t, r.intr)
	assert.Equal(t, uint8(0x0B), r.p.Acknowledge(), "IR3 outranks IR5")
	assert.Equal(t, uint8(0x08), r.isr(0x20))
	assert.Equal(t, uint8(0x20), r.irr(0x20), "IR3's IRR bit cleared by INTA, IR5 still requesting")
	assert.False(t, r.intr, "IR5 is lower than IR3 in service")
	r.irq(1, true)
	assert.True(t, r.intr, "IR1 is higher than IR3 in service")
	assert.Equal(t, uint8(0x09), r.p.Acknowledge())
	assert.Equal(t, uint8(0x0A), r.isr(0x20))
	r.out(0x20, 0x20) // non-specific EOI clears the highest ISR bit (IR1)
	assert.Equal(t, uint8(0x08), r.isr(0x20))
	assert.False(t, r.intr)
	r.out(0x20, 0x20)
	assert.Equal(t, uint8(0x00), r.isr(0x20))
	assert.True(t, r.intr, "IR5 now serviced")
	assert.Equal(t, uint8(0x0D), r.p.Acknowledge())
}

func TestPICMask(t *testing.T) {
	r := newPICRig(t)
	r.initPair(0x01, 0x01)
	r.out(0x21, 0x10)
	assert.Equal(t, uint8(0x10), r.in(0x21), "OCW1 reads back at A0=1")
	r.irq(4, true)
	assert.Equal(t, uint8(0x10), r.irr(0x20), "a masked request is still latched in IRR")
	assert.False(t, r.intr)
	r.out(0x21, 0x00)
	assert.True(t, r.intr, "unmasking releases it")
	assert.Equal(t, uint8(0x0C), r.p.Acknowledge())
}

func TestPICOCW2(t *testing.T) {
	tests := []struct {
		name    string
		aeoi    bool
		setup   []uint8 // IRs acknowledged in turn (each raised then acked)
		ocw2    uint8
		wantISR uint8
		raise   []int // then raised together
		wantVec uint8 // first vector acknowledged after that
	}{
		{name: "non-specific EOI clears the highest ISR bit", setup: []uint8{3, 1}, ocw2: 0x20, wantISR: 0x08},
		{name: "specific EOI clears the given level", setup: []uint8{3, 1}, ocw2: 0x63, wantISR: 0x02},
		{name: "no operation", setup: []uint8{3, 1}, ocw2: 0x40, wantISR: 0x0A},
		{
			name: "rotate on non-specific EOI makes the serviced IR lowest", setup: []uint8{1}, ocw2: 0xA0,
			wantISR: 0, raise: []int{0, 3}, wantVec: 0x0B, // order now 2,3,...,7,0,1
		},
		{
			name: "rotate on specific EOI makes L lowest", setup: []uint8{6}, ocw2: 0xE6,
			wantISR: 0, raise: []int{5, 7}, wantVec: 0x0F, // order 7,0,1,...,6
		},
		{
			name: "set priority makes L lowest", ocw2: 0xC4,
			raise: []int{0, 5}, wantVec: 0x0D, // order 5,6,7,0,...,4
		},
		{
			name: "rotate in AEOI mode (set): acknowledged IR becomes lowest", aeoi: true, ocw2: 0x80,
			raise: []int{1}, wantVec: 0x09,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newPICRig(t)
			icw4 := uint8(0x01)
			if tc.aeoi {
				icw4 = 0x03
			}
			r.initPair(icw4, 0x01)
			for _, ir := range tc.setup {
				r.irq(int(ir), true)
				require.Equal(t, 0x08+ir, r.p.Acknowledge())
				r.irq(int(ir), false)
			}
			r.out(0x20, tc.ocw2)
			assert.Equal(t, tc.wantISR, r.isr(0x20))
			if tc.raise == nil {
				return
			}
			for _, ir := range tc.raise {
				r.irq(ir, true)
			}
			assert.Equal(t, tc.wantVec, r.p.Acknowledge())
		})
	}
}

func TestPICAutomaticEOI(t *testing.T) {
	t.Run("ISR bit is reset at the end of INTA", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x03, 0x01) // ICW4: AEOI, 8086
		r.irq(2+1, true)
		assert.Equal(t, uint8(0x0B), r.p.Acknowledge())
		assert.Equal(t, uint8(0), r.isr(0x20))
		r.irq(6, true)
		assert.True(t, r.intr, "a lower IR is not blocked: nothing is in service")
	})
	t.Run("rotate in AEOI: the acknowledged IR goes to the bottom", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x03, 0x01)
		r.out(0x20, 0x80) // rotate in AEOI mode (set)
		r.irq(1, true)
		assert.Equal(t, uint8(0x09), r.p.Acknowledge())
		r.irq(1, false)
		r.irq(0, true)
		r.irq(2+0, true) // IRQ(2) is the cascade input: ignored
		r.irq(3, true)
		assert.Equal(t, uint8(0x0B), r.p.Acknowledge(), "order 2,3,...,0,1: IR3 beats IR0")
		r.out(0x20, 0x00) // rotate in AEOI mode (clear)
		r.irq(4, true)
		assert.Equal(t, uint8(0x0C), r.p.Acknowledge(), "IR3 lowest after its own rotation: IR4 first")
		assert.Equal(t, uint8(0x08), r.p.Acknowledge(), "no rotation after clear: IR0 next")
	})
}

func TestPICOCW3ReadRegister(t *testing.T) {
	r := newPICRig(t)
	r.initPair(0x01, 0x01)
	r.irq(6, true)
	r.irq(4, true)
	r.p.Acknowledge() // IR4 in service
	r.out(0x20, 0x0A)
	assert.Equal(t, uint8(0x40), r.in(0x20), "RR=1 RIS=0: IRR")
	r.out(0x20, 0x0B)
	assert.Equal(t, uint8(0x10), r.in(0x20), "RR=1 RIS=1: ISR")
	r.out(0x20, 0x08)
	assert.Equal(t, uint8(0x10), r.in(0x20), "RR=0: no action, still ISR")
	assert.Equal(t, uint8(0x10), r.in(0x20), "the selection persists across reads")
	assert.Equal(t, uint8(0x00), r.in(0x21), "A0=1 reads the IMR")
}

func TestPICPoll(t *testing.T) {
	tests := []struct {
		name  string
		raise []int
		port  uint16
		want  uint8
		isr   uint8
	}{
		{name: "poll word is I=1 and the level", raise: []int{5, 6}, port: 0x20, want: 0x85, isr: 0x20},
		{name: "a poll read at A0=1 is a poll too", raise: []int{3}, port: 0x21, want: 0x83, isr: 0x08},
		{name: "no request: I=0", port: 0x20, want: 0x00, isr: 0},
		{name: "masked requests do not count", raise: []int{7}, port: 0x20, want: 0x00, isr: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newPICRig(t)
			r.initPair(0x01, 0x01)
			r.out(0x21, 0x80) // mask IR7
			for _, ir := range tc.raise {
				r.irq(ir, true)
			}
			r.out(0x20, 0x0C) // OCW3: P=1
			assert.Equal(t, tc.want, r.in(tc.port))
			assert.Equal(t, tc.isr, r.isr(0x20), "the poll read acts as INTA")
			r.out(0x20, 0x0A)
			assert.Equal(t, uint8(0x80), r.in(0x21), "the poll is one-shot")
		})
	}
}

func TestPICSpecialMaskMode(t *testing.T) {
	r := newPICRig(t)
	r.initPair(0x01, 0x01)
	r.irq(3, true)
	require.Equal(t, uint8(0x0B), r.p.Acknowledge())
	r.irq(5, true)
	assert.False(t, r.intr, "fully nested: IR5 waits for IR3")
	r.out(0x21, 0x08) // mask IR3 (in service)
	r.out(0x20, 0x68) // OCW3: ESMM=1 SMM=1
	assert.True(t, r.intr, "special mask mode enables lower levels")
	assert.Equal(t, uint8(0x0D), r.p.Acknowledge())
	assert.Equal(t, uint8(0x28), r.isr(0x20))
	r.out(0x20, 0x20) // non-specific EOI: IR3's ISR bit is masked, so IR5's goes
	assert.Equal(t, uint8(0x08), r.isr(0x20))
	r.out(0x20, 0x20)
	assert.Equal(t, uint8(0x08), r.isr(0x20), "a masked ISR bit is not cleared by non-specific EOI in SMM")
	r.out(0x20, 0x63)
	assert.Equal(t, uint8(0x00), r.isr(0x20), "specific EOI clears it")
	r.out(0x20, 0x48) // ESMM=1 SMM=0: reset special mask
	r.out(0x21, 0x00)
	r.irq(1, true)
	r.p.Acknowledge()
	r.irq(6, true)
	assert.False(t, r.intr, "fully nested again")
}

func TestPICCascade(t *testing.T) {
	t.Run("slave request: master IR2, vector from the slave", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		r.irq(10, true)
		assert.True(t, r.intr)
		assert.Equal(t, uint8(0x04), r.irr(0x20), "slave INT drives master IR2")
		assert.Equal(t, uint8(0x72), r.p.Acknowledge())
		assert.Equal(t, uint8(0x04), r.isr(0x20))
		assert.Equal(t, uint8(0x04), r.isr(0xA0))
		r.irq(15, true)
		assert.False(t, r.intr, "slave IR7 is below slave IR2 in service")
		r.out(0xA0, 0x20)
		r.out(0x20, 0x20)
		assert.Equal(t, uint8(0x77), r.p.Acknowledge())
	})
	t.Run("fully nested across the cascade", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		r.irq(11, true)
		require.Equal(t, uint8(0x73), r.p.Acknowledge())
		r.irq(9, true)
		assert.False(t, r.intr, "normal nested mode: the slave is locked out while IR2 is in service")
		r.irq(3, true)
		assert.False(t, r.intr, "IR3 is lower than IR2")
		r.irq(1, true)
		assert.True(t, r.intr, "IR1 is higher than IR2")
		assert.Equal(t, uint8(0x09), r.p.Acknowledge())
		r.out(0x20, 0x20) // EOI IR1
		r.out(0xA0, 0x20) // EOI slave IR3 (IRQ11)
		assert.False(t, r.intr, "master IR2 still in service")
		r.out(0x20, 0x20)
		assert.True(t, r.intr)
		assert.Equal(t, uint8(0x71), r.p.Acknowledge())
	})
	t.Run("special fully nested mode lets the slave's higher IR through", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x11, 0x01) // master ICW4: SFNM, 8086
		r.irq(11, true)
		require.Equal(t, uint8(0x73), r.p.Acknowledge())
		r.irq(12, true)
		assert.False(t, r.intr, "lower slave IR still blocked by the slave's own ISR")
		r.irq(9, true)
		assert.True(t, r.intr)
		assert.Equal(t, uint8(0x71), r.p.Acknowledge())
		assert.Equal(t, uint8(0x0A), r.isr(0xA0))
		r.irq(3, true)
		r.out(0xA0, 0x20)
		r.out(0xA0, 0x20)
		r.out(0x20, 0x20)
		assert.True(t, r.intr)
		assert.Equal(t, uint8(0x74), r.p.Acknowledge(), "IRQ12 (IR2) outranks IR3")
	})
	t.Run("automatic EOI slave re-requests through an edge on IR2", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x03, 0x03)
		r.irq(9, true)
		r.irq(10, true)
		assert.Equal(t, uint8(0x71), r.p.Acknowledge())
		assert.True(t, r.intr)
		assert.Equal(t, uint8(0x72), r.p.Acknowledge())
		assert.False(t, r.intr)
	})
	t.Run("a cascade address no slave answers floats the bus", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		r.out(0xA0, 0x11) // slave with ID 5
		r.out(0xA1, 0x70)
		r.out(0xA1, 0x05)
		r.out(0xA1, 0x01)
		r.irq(8, true)
		assert.Equal(t, uint8(0xFF), r.p.Acknowledge())
	})
}

func TestPICSpurious(t *testing.T) {
	t.Run("master: request withdrawn before INTA gives IR7 without ISR", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		r.irq(4, true)
		require.True(t, r.intr)
		r.irq(4, false)
		assert.False(t, r.intr)
		assert.Equal(t, uint8(0x0F), r.p.Acknowledge())
		assert.Equal(t, uint8(0), r.isr(0x20))
	})
	t.Run("slave: cascade selected with nothing to report gives IR15 without slave ISR", func(t *testing.T) {
		r := newPICRig(t)
		r.initPair(0x01, 0x01)
		// The slave's request went away between the master's priority
		// resolution and the slave's INTA: the master still holds IR2.
		r.p.master.Lines |= 0x04
		r.p.master.IRR |= 0x04
		assert.Equal(t, uint8(0x77), r.p.Acknowledge())
		assert.Equal(t, uint8(0x00), r.isr(0xA0))
		assert.Equal(t, uint8(0x04), r.isr(0x20), "the master's IR2 is in service and needs an EOI")
	})
}

func TestPICTriggerModes(t *testing.T) {
	tests := []struct {
		name      string
		icw1      uint8
		elcr      [2]uint8
		irq       int
		vec       uint8
		reRequest bool // after EOI with the input still high
	}{
		{name: "edge: one request per rising edge", icw1: 0x11, irq: 5, vec: 0x0D},
		{name: "LTIM: level triggered", icw1: 0x19, irq: 5, vec: 0x0D, reRequest: true},
		{name: "ELCR1 bit 5: IRQ5 level triggered", icw1: 0x11, elcr: [2]uint8{0x20, 0}, irq: 5, vec: 0x0D, reRequest: true},
		{name: "ELCR2 bit 3: IRQ11 level triggered", icw1: 0x11, elcr: [2]uint8{0, 0x08}, irq: 11, vec: 0x73, reRequest: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newPICRig(t)
			r.initPair(0x01, 0x01)
			base := uint16(0x20)
			if tc.irq >= 8 {
				base = 0xA0
			}
			r.out(base, tc.icw1)
			r.out(base+1, map[bool]uint8{false: 0x08, true: 0x70}[tc.irq >= 8])
			r.out(base+1, map[bool]uint8{false: 0x04, true: 0x02}[tc.irq >= 8])
			r.out(base+1, 0x01)
			r.out(0x4D0, tc.elcr[0])
			r.out(0x4D1, tc.elcr[1])
			r.irq(tc.irq, true)
			assert.Equal(t, tc.vec, r.p.Acknowledge())
			if tc.irq >= 8 {
				r.out(0xA0, 0x20)
			}
			r.out(0x20, 0x20)
			assert.Equal(t, tc.reRequest, r.intr)
			r.irq(tc.irq, false)
			assert.False(t, r.intr, "request withdrawn with the input")
		})
	}
	t.Run("ELCR bits for IRQ0, 1, 2, 8 and 13 are fixed 0", func(t *testing.T) {
		r := newPICRig(t)
		r.out(0x4D0, 0xFF)
		r.out(0x4D1, 0xFF)
		assert.Equal(t, uint8(0xF8), r.in(0x4D0))
		assert.Equal(t, uint8(0xDE), r.in(0x4D1))
		assert.Equal(t, uint32(0xDEF8), r.bus.In(0x4D0, 2), "word access reads both")
	})
}

func TestPICINTRPin(t *testing.T) {
	r := newPICRig(t)
	r.initPair(0x01, 0x01)
	r.irq(0, true)
	r.p.Acknowledge()
	r.out(0x20, 0x20)
	r.irq(8, true)
	r.irq(8, false)
	assert.Equal(t, []bool{true, false, true, false}, r.log)
}

func TestPICIRQLines(t *testing.T) {
	r := newPICRig(t)
	r.initPair(0x01, 0x01)
	for _, n := range []int{-1, 2, 16, 100} {
		assert.NotPanics(t, func() { r.p.IRQ(n).SetLevel(true) })
	}
	assert.False(t, r.intr, "IRQ(2) and out-of-range lines drive nothing")
	assert.NotPanics(t, func() {
		var _ IRQLine = r.p.IRQ(0)
		_ = r.p.IRQ(15)
	})
	r.out(0x20, 0x0A)
	allocs := testing.AllocsPerRun(100, func() {
		r.p.IRQ(6).SetLevel(true)
		r.p.IRQ(6).SetLevel(false)
	})
	assert.Zero(t, allocs)
}

func TestPICState(t *testing.T) {
	r := newPICRig(t)
	r.initPair(0x01, 0x01)
	r.out(0x4D0, 0x20)
	r.out(0xA1, 0x40)
	r.irq(10, true)
	require.Equal(t, uint8(0x72), r.p.Acknowledge()) // master ISR2, slave ISR2
	r.irq(1, true)
	r.irq(5, true)
	s := r.p.State()

	r2 := newPICRig(t)
	r2.p.SetState(s)
	assert.Equal(t, s, r2.p.State())
	assert.True(t, r2.intr, "INTR driven to match: IR1 outranks IR2 in service")
	assert.Equal(t, uint8(0x09), r2.p.Acknowledge())
	assert.Equal(t, uint8(0x40), r2.in(0xA1))
	assert.Equal(t, uint8(0x20), r2.in(0x4D0))
}

// Nonsense programming never panics and Acknowledge always answers.
func TestPICFuzz(t *testing.T) {
	r := newPICRig(t)
	rng := rand.New(rand.NewSource(1))
	ports := []uint16{0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1}
	assert.NotPanics(t, func() {
		for i := 0; i < 200000; i++ {
			switch rng.Intn(4) {
			case 0:
				r.out(ports[rng.Intn(len(ports))], uint8(rng.Intn(256)))
			case 1:
				r.in(ports[rng.Intn(len(ports))])
			case 2:
				r.irq(rng.Intn(18)-1, rng.Intn(2) == 0)
			case 3:
				r.p.Acknowledge()
			}
		}
		var s PICState
		s.Master.InitStep = 9
		s.Master.Lowest = 200
		r.p.SetState(s)
		r.p.Acknowledge()
	})
}
