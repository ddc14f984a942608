// uart_test.go tests the PC16550D UART model against the National
// Semiconductor PC16550D datasheet (June 1995). Section and table numbers
// in comments are that datasheet's.
package devices

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Register offsets (datasheet register summary).
const (
	uartOffData = 0 // RBR / THR / DLL
	uartOffIER  = 1 // IER / DLM
	uartOffIIR  = 2 // IIR / FCR
	uartOffLCR  = 3
	uartOffMCR  = 4
	uartOffLSR  = 5
	uartOffMSR  = 6
	uartOffSCR  = 7
)

// Character times at 115200/divisor baud ("Programmable Baud Generator"): bits
// × divisor / 115200 s.
const (
	uartChar8N1   = 86805   // 10 bits / 115200 Bd = 86.805 µs
	uartChar8N1At = 1041666 // 10 bits / 9600 Bd (divisor 12)
)

// uartIRQProbe records the level of an IRQ line and its rising edges.
type uartIRQProbe struct {
	clk   *Clock
	level bool
	rises []int64
}

func (p *uartIRQProbe) SetLevel(high bool) {
	if high && !p.level {
		p.rises = append(p.rises, p.clk.Now())
	}
	p.level = high
}

// uartFakeBackend is a SerialBackend for tests, used on one goroutine.
type uartFakeBackend struct {
	clk    *Clock
	in     []byte
	out    []byte
	outAt  []int64
	closed bool
}

func (f *uartFakeBackend) Write(b byte) {
	f.out = append(f.out, b)
	f.outAt = append(f.outAt, f.clk.Now())
}

func (f *uartFakeBackend) Read() (byte, bool) {
	if len(f.in) == 0 {
		return 0, false
	}
	b := f.in[0]
	f.in = f.in[1:]
	return b, true
}

func (f *uartFakeBackend) Close() error { f.closed = true; return nil }

type uartRig struct {
	t    *testing.T
	clk  *Clock
	bus  *Bus
	u    *UART
	be   *uartFakeBackend
	irq  *uartIRQProbe
	base uint16
}

// newUARTRig returns a UART at reset (LCR 0 = 5N1) whose receiver first
// polls its backend after one 5N1 character time.
func newUARTRigAtReset(t *testing.T) *uartRig {
	t.Helper()
	clk := NewClock()
	bus := NewBus()
	be := &uartFakeBackend{clk: clk}
	irq := &uartIRQProbe{clk: clk}
	u, err := NewUART(bus, clk, COM1Base, irq, be)
	require.NoError(t, err)
	return &uartRig{t: t, clk: clk, bus: bus, u: u, be: be, irq: irq, base: COM1Base}
}

// newUARTRig returns a UART programmed for 8N1 at 115200 baud whose
// receiver polls its backend at every multiple of the 8N1 character time.
func newUARTRig(t *testing.T) *uartRig {
	t.Helper()
	r := newUARTRigAtReset(t)
	r.out(uartOffLCR, 0x03)
	r.u.rxTimer.Schedule(uartChar8N1)
	return r
}

func (r *uartRig) in(off uint16) uint8     { return uint8(r.bus.In(r.base+off, 1)) }
func (r *uartRig) out(off uint16, v uint8) { r.bus.Out(r.base+off, 1, uint32(v)) }
func (r *uartRig) advance(d int64)         { r.clk.Advance(r.clk.Now() + d) }
func (r *uartRig) writeAll(off uint16, bs []byte) {
	for _, b := range bs {
		r.out(off, b)
	}
}

func TestUARTResetValues(t *testing.T) {
	// The "UART Reset Configuration" table: IER, FCR, LCR, MCR = 0;
	// LSR = 0x60 (THRE and TEMT); IIR = 0x01; MSR bits 4-7 are the
	// modem inputs, here CTS, DSR and DCD asserted, no delta bits.
	r := newUARTRigAtReset(t)
	for _, tc := range []struct {
		name string
		off  uint16
		want uint8
	}{
		{"IER", uartOffIER, 0x00},
		{"IIR", uartOffIIR, 0x01},
		{"LCR", uartOffLCR, 0x00},
		{"MCR", uartOffMCR, 0x00},
		{"LSR", uartOffLSR, 0x60},
		{"MSR", uartOffMSR, 0xB0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, r.in(tc.off))
		})
	}
	assert.False(t, r.irq.level, "INTR is low after reset")
}

func TestUARTRegisterAccess(t *testing.T) {
	for _, tc := range []struct {
		name      string
		lcr       uint8
		off       uint16
		write     uint8
		want      uint8
		wantOther uint16 // a register that must be unaffected
	}{
		// "Programmable Baud Generator": DLAB=1 maps offsets 0 and 1 to
		// the divisor latches.
		{"DLL with DLAB", 0x80, uartOffData, 0x0C, 0x0C, 0},
		{"DLM with DLAB", 0x80, uartOffIER, 0x12, 0x12, 0},
		// "Interrupt Enable Register": IER bits 4-7 are always 0.
		{"IER reserved bits", 0x00, uartOffIER, 0xFF, 0x0F, 0},
		// "Modem Control Register": MCR bits 5-7 are always 0.
		{"MCR reserved bits", 0x00, uartOffMCR, 0xFF, 0x1F, 0},
		// "Line Control Register": the LCR reads back all 8 bits.
		{"LCR read back", 0x00, uartOffLCR, 0x5B, 0x5B, 0},
		// "Scratchpad Register": the scratch register holds any byte.
		{"SCR", 0x00, uartOffSCR, 0xA5, 0xA5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newUARTRig(t)
			r.out(uartOffLCR, tc.lcr)
			r.out(tc.off, tc.write)
			assert.Equal(t, tc.want, r.in(tc.off))
		})
	}

	t.Run("DLAB hides IER", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffIER, 0x05)
		r.out(uartOffLCR, 0x80)
		r.out(uartOffIER, 0x00) // DLM
		r.out(uartOffLCR, 0x03)
		assert.Equal(t, uint8(0x05), r.in(uartOffIER))
		assert.Equal(t, uint8(0x60), r.in(uartOffLSR), "no byte was sent by the DLL write")
		assert.Empty(t, r.be.out)
	})

	t.Run("LSR and MSR writes ignored", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffLSR, 0xFF)
		r.out(uartOffMSR, 0x0F)
		assert.Equal(t, uint8(0x60), r.in(uartOffLSR))
		assert.Equal(t, uint8(0xB0), r.in(uartOffMSR))
	})
}

func TestUARTCharacterTime(t *testing.T) {
	// "Programmable Baud Generator": baud = 1.8432 MHz / (16 × divisor) =
	// 115200 / divisor. A character is start + 5-8 data + parity + 1, 1.5
	// or 2 stop bits ("Line Control Register" LCR0-3). TEMT sets when the
	// character has left ("Line Status Register" LSR6).
	for _, tc := range []struct {
		name    string
		lcr     uint8
		divisor uint16
		want    int64
	}{
		{"8N1 115200", 0x03, 1, uartChar8N1},
		{"8N1 9600", 0x03, 12, uartChar8N1At},
		{"7E1 = 10 bits", 0x1A, 1, uartChar8N1},
		{"8N2 = 11 bits", 0x07, 1, 95486},    // 11/115200 s
		{"5N1 = 7 bits", 0x00, 1, 60763},     // 7/115200 s
		{"5N1.5 = 7.5 bits", 0x04, 1, 65104}, // 7.5/115200 s
		{"8O2 = 12 bits", 0x0F, 1, 104166},   // 12/115200 s
		{"divisor 0 = 65536", 0x03, 0, 5688888888},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newUARTRig(t)
			r.out(uartOffLCR, 0x80)
			r.out(uartOffData, uint8(tc.divisor))
			r.out(uartOffIER, uint8(tc.divisor>>8))
			r.out(uartOffLCR, tc.lcr)
			start := r.clk.Now()
			r.out(uartOffData, 0x41)
			r.advance(tc.want - 1)
			assert.Equal(t, uint8(0x20), r.in(uartOffLSR), "THRE but not TEMT one ns early")
			assert.Empty(t, r.be.out)
			r.advance(1)
			assert.Equal(t, uint8(0x60), r.in(uartOffLSR))
			require.Len(t, r.be.outAt, 1)
			assert.Equal(t, start+tc.want, r.be.outAt[0])
		})
	}
}

func TestUARTBytesPassWhole(t *testing.T) {
	// Our choice (see uart.go): the word length times the character but
	// bytes are not truncated, so an unprogrammed UART (5N1 at reset,
	// "UART Reset Configuration" table) still carries text.
	for _, lcr := range []uint8{0x00, 0x01, 0x02, 0x03} {
		r := newUARTRigAtReset(t)
		r.out(uartOffLCR, lcr)
		r.out(uartOffData, 0xC1)
		r.be.in = []byte{0xE2}
		r.advance(200000)
		assert.Equal(t, []byte{0xC1}, r.be.out, "LCR %#x", lcr)
		assert.Equal(t, uint8(0xE2), r.in(uartOffData), "LCR %#x", lcr)
	}
}

func TestUARTTransmitHoldingRegister(t *testing.T) {
	// 16450 mode: THR → TSR transfer sets THRE; TEMT only when both are
	// empty ("Line Status Register" LSR5, LSR6).
	r := newUARTRig(t)
	r.out(uartOffLCR, 0x03)
	r.out(uartOffData, 'a') // straight into the TSR
	assert.Equal(t, uint8(0x20), r.in(uartOffLSR))
	r.out(uartOffData, 'b') // waits in the THR
	assert.Equal(t, uint8(0x00), r.in(uartOffLSR))
	r.advance(uartChar8N1)
	assert.Equal(t, []byte("a"), r.be.out)
	assert.Equal(t, uint8(0x20), r.in(uartOffLSR))
	r.advance(uartChar8N1)
	assert.Equal(t, []byte("ab"), r.be.out)
	assert.Equal(t, []int64{uartChar8N1, 2 * uartChar8N1}, r.be.outAt)
	assert.Equal(t, uint8(0x60), r.in(uartOffLSR))
}

func TestUARTTransmitFIFO(t *testing.T) {
	// "FIFO Control Register" FCR0 enables the 16-byte XMIT FIFO; bytes
	// leave one per character time.
	r := newUARTRig(t)
	r.out(uartOffLCR, 0x03)
	r.out(uartOffIIR, 0x07) // enable and reset both FIFOs
	msg := []byte("0123456789ABCDEFGH")
	r.writeAll(uartOffData, msg) // 1 to the TSR, 16 queued, 'H' lost
	assert.Equal(t, uint8(0x00), r.in(uartOffLSR), "FIFO not empty")
	r.advance(17*uartChar8N1 - 1)
	assert.Equal(t, msg[:16], r.be.out)
	r.advance(1)
	assert.Equal(t, msg[:17], r.be.out)
	for i, at := range r.be.outAt {
		assert.Equal(t, int64(i+1)*uartChar8N1, at)
	}
	assert.Equal(t, uint8(0x60), r.in(uartOffLSR))

	t.Run("XMIT FIFO reset keeps the shift register", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffLCR, 0x03)
		r.out(uartOffIIR, 0x01)
		r.writeAll(uartOffData, []byte("xyz"))
		r.out(uartOffIIR, 0x05) // "FIFO Control Register" FCR2: clears the FIFO, not the TSR
		assert.Equal(t, uint8(0x20), r.in(uartOffLSR))
		r.advance(10 * uartChar8N1)
		assert.Equal(t, []byte("x"), r.be.out)
	})
}

func TestUARTFIFOControl(t *testing.T) {
	// "Interrupt Identification Register" IIR6-7 are set when FCR0 = 1;
	// "FIFO Control Register" FCR0 = 0 disables and clears the FIFOs, and
	// other bits are programmed only with FCR0 = 1.
	for _, tc := range []struct {
		name   string
		writes []uint8
		want   uint8
	}{
		{"enabled", []uint8{0x01}, 0xC1},
		{"enabled with trigger 14", []uint8{0xC7}, 0xC1},
		{"disabled again", []uint8{0x01, 0x00}, 0x01},
		{"bits without FCR0 ignored", []uint8{0xC6}, 0x01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newUARTRig(t)
			r.writeAll(uartOffIIR, tc.writes)
			assert.Equal(t, tc.want, r.in(uartOffIIR))
		})
	}

	t.Run("RCVR FIFO reset", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffIIR, 0x01)
		r.be.in = []byte("ab")
		r.advance(2 * uartChar8N1)
		assert.Equal(t, uint8(0x61), r.in(uartOffLSR))
		r.out(uartOffIIR, 0x03) // "FIFO Control Register" FCR1
		assert.Equal(t, uint8(0x60), r.in(uartOffLSR))
	})

	t.Run("changing FCR0 clears received data", func(t *testing.T) {
		r := newUARTRig(t)
		r.be.in = []byte("a")
		r.advance(uartChar8N1)
		assert.Equal(t, uint8(0x61), r.in(uartOffLSR))
		r.out(uartOffIIR, 0x01)
		assert.Equal(t, uint8(0x60), r.in(uartOffLSR))
	})
}

func TestUARTTriggerLevels(t *testing.T) {
	// "FIFO Control Register" FCR6-7: RCVR trigger 1, 4, 8 or 14 bytes;
	// received data interrupt (IIR 0x04) when the FIFO reaches it ("FIFO
	// Interrupt Mode Operation").
	for _, tc := range []struct {
		fcr   uint8
		level int
	}{
		{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xC1, 14},
	} {
		r := newUARTRig(t)
		r.out(uartOffIER, 0x01)
		r.out(uartOffMCR, 0x08) // OUT2
		r.out(uartOffIIR, tc.fcr)
		r.be.in = make([]byte, tc.level-1)
		r.advance(int64(tc.level-1) * uartChar8N1)
		assert.Equal(t, uint8(0xC1), r.in(uartOffIIR), "level %d: one short", tc.level)
		assert.False(t, r.irq.level)
		r.be.in = []byte{0x55}
		r.advance(uartChar8N1)
		assert.Equal(t, uint8(0xC4), r.in(uartOffIIR), "level %d reached", tc.level)
		assert.True(t, r.irq.level)
		r.in(uartOffData) // below the trigger: cleared ("Interrupt Control Functions")
		assert.NotEqual(t, uint8(0xC4), r.in(uartOffIIR))
	}
}

func TestUARTCharacterTimeout(t *testing.T) {
	// "FIFO Interrupt Mode Operation": timeout interrupt (IIR 0x0C) when
	// characters sit in the FIFO below the trigger and nothing was received
	// or read for 4 character times; reading RBR clears it and restarts the
	// timer.
	r := newUARTRig(t)
	r.out(uartOffLCR, 0x03)
	r.out(uartOffIER, 0x01)
	r.out(uartOffMCR, 0x08)
	r.out(uartOffIIR, 0xC1) // trigger 14
	r.be.in = []byte("hi")
	r.advance(2 * uartChar8N1) // 'h' at 1 char, 'i' at 2
	last := r.clk.Now()
	r.advance(4*uartChar8N1 - 1)
	assert.Equal(t, uint8(0xC1), r.in(uartOffIIR))
	r.advance(1)
	assert.Equal(t, uint8(0xCC), r.in(uartOffIIR))
	assert.True(t, r.irq.level)
	assert.Equal(t, []int64{last + 4*uartChar8N1}, r.irq.rises)

	assert.Equal(t, uint8('h'), r.in(uartOffData))
	assert.Equal(t, uint8(0xC1), r.in(uartOffIIR), "read clears the timeout")
	assert.False(t, r.irq.level)
	r.advance(4*uartChar8N1 - 1)
	assert.Equal(t, uint8(0xC1), r.in(uartOffIIR), "timer restarted by the read")
	r.advance(1)
	assert.Equal(t, uint8(0xCC), r.in(uartOffIIR))
	assert.Equal(t, uint8('i'), r.in(uartOffData))
	r.advance(10 * uartChar8N1)
	assert.Equal(t, uint8(0xC1), r.in(uartOffIIR), "no timeout with an empty FIFO")

	t.Run("not in 16450 mode", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffIER, 0x01)
		r.be.in = []byte("x")
		r.advance(10 * uartChar8N1)
		assert.Equal(t, uint8(0x04), r.in(uartOffIIR), "data available, never timeout")
	})
}

func TestUARTInterruptPriority(t *testing.T) {
	// "Interrupt Control Functions" table: line status (0x06) > received
	// data (0x04) > THR empty (0x02) > modem status (0x00); each is reset
	// by its own action.
	r := newUARTRig(t)
	r.out(uartOffLCR, 0x03)
	r.out(uartOffMCR, 0x10) // loopback: modem inputs drop → deltas
	r.out(uartOffIER, 0x0F)
	r.out(uartOffData, 1)
	r.out(uartOffData, 2)
	r.advance(2 * uartChar8N1) // second byte overruns the first
	steps := []struct {
		want   uint8
		action uint16 // register read that resets it
	}{
		{0x06, uartOffLSR},
		{0x04, uartOffData},
		{0x02, uartOffIIR},
		{0x00, uartOffMSR},
		{0x01, uartOffIIR},
	}
	for i, st := range steps {
		require.Equal(t, st.want, r.in(uartOffIIR), "step %d", i)
		r.in(st.action)
	}
}

func TestUARTTHREInterrupt(t *testing.T) {
	t.Run("enabling ETBEI with THR empty", func(t *testing.T) {
		// "Interrupt Control Functions" table: THRE interrupt reset by
		// reading IIR (if source).
		r := newUARTRig(t)
		r.out(uartOffMCR, 0x08)
		r.out(uartOffIER, 0x02)
		assert.True(t, r.irq.level)
		assert.Equal(t, uint8(0x02), r.in(uartOffIIR))
		assert.Equal(t, uint8(0x01), r.in(uartOffIIR))
		assert.False(t, r.irq.level)
	})

	t.Run("THR write clears, transfer to TSR sets", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffLCR, 0x03)
		r.out(uartOffMCR, 0x08)
		r.out(uartOffIER, 0x02)
		r.out(uartOffData, 'a') // THR→TSR at once: THR empty again
		assert.Equal(t, uint8(0x02), r.in(uartOffIIR))
		r.out(uartOffData, 'b') // held in THR
		assert.Equal(t, uint8(0x01), r.in(uartOffIIR))
		r.advance(uartChar8N1 - 1)
		assert.False(t, r.irq.level)
		r.advance(1)
		assert.True(t, r.irq.level, "'b' moved to the TSR")
		assert.Equal(t, uint8(0x02), r.in(uartOffIIR))
	})

	t.Run("not the source: IIR read leaves it", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffIER, 0x03)
		r.be.in = []byte("x")
		r.advance(uartChar8N1)
		assert.Equal(t, uint8(0x04), r.in(uartOffIIR))
		r.in(uartOffData)
		assert.Equal(t, uint8(0x02), r.in(uartOffIIR))
	})

	t.Run("FIFO mode delay", func(t *testing.T) {
		// "FIFO Interrupt Mode Operation", transmitter: THRE delayed
		// one character time minus the last stop bit unless the FIFO
		// held two bytes since THRE was last set; the first one after
		// changing FCR0 is immediate.
		r := newUARTRig(t)
		r.out(uartOffLCR, 0x03)
		r.out(uartOffMCR, 0x08)
		r.out(uartOffIER, 0x02)
		assert.Equal(t, uint8(0x02), r.in(uartOffIIR))
		r.out(uartOffIIR, 0x01) // FCR0 changes
		r.out(uartOffData, 'a')
		assert.Equal(t, uint8(0xC2), r.in(uartOffIIR), "first after FCR0 change: immediate")
		r.advance(uartChar8N1)
		start := r.clk.Now()
		r.out(uartOffData, 'b')
		assert.Equal(t, uint8(0xC1), r.in(uartOffIIR), "delayed")
		// 10 bits less the stop bit: 9/115200 s = 78.125 µs.
		r.advance(78125 - 1)
		assert.Equal(t, uint8(0xC1), r.in(uartOffIIR))
		r.advance(1)
		assert.Equal(t, uint8(0xC2), r.in(uartOffIIR))
		assert.Equal(t, start+78125, r.clk.Now())

		r.advance(uartChar8N1)
		r.writeAll(uartOffData, []byte("cde")) // c to the TSR; d and e queued together
		r.advance(2 * uartChar8N1)             // d, then e, to the TSR: FIFO empty
		assert.Equal(t, uint8(0xC2), r.in(uartOffIIR), "immediate after two bytes")
	})
}

func TestUARTLoopback(t *testing.T) {
	// "Modem Control Register" MCR4: SOUT marking, SIN disconnected, TSR
	// output looped to the RSR; modem outputs drive the modem inputs.
	r := newUARTRig(t)
	r.out(uartOffLCR, 0x03)
	r.out(uartOffMCR, 0x10)
	r.be.in = []byte("host")
	r.out(uartOffData, 'Z')
	r.advance(uartChar8N1 - 1)
	assert.Equal(t, uint8(0x20), r.in(uartOffLSR))
	r.advance(1)
	assert.Equal(t, uint8(0x61), r.in(uartOffLSR))
	assert.Equal(t, uint8('Z'), r.in(uartOffData))
	assert.Empty(t, r.be.out, "nothing reaches the backend")
	r.advance(10 * uartChar8N1)
	assert.Equal(t, []byte("host"), r.be.in, "SIN disconnected: host input untouched")
	assert.Equal(t, uint8(0x60), r.in(uartOffLSR))

	r.out(uartOffMCR, 0x00)
	r.advance(uartChar8N1)
	assert.Equal(t, uint8('h'), r.in(uartOffData), "input flows again after loopback")
}

func TestUARTLoopbackModemLines(t *testing.T) {
	// "Modem Control Register" MCR4: CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2.
	for _, tc := range []struct {
		mcr  uint8
		want uint8 // MSR bits 4-7
	}{
		{0x10, 0x00},
		{0x11, 0x20}, // DTR → DSR
		{0x12, 0x10}, // RTS → CTS
		{0x14, 0x40}, // OUT1 → RI
		{0x18, 0x80}, // OUT2 → DCD
		{0x1A, 0x90}, // Linux 8250 autoconfig's loopback check
		{0x1F, 0xF0},
		{0x0F, 0xB0}, // not loopback: the idle host's CTS, DSR, DCD
	} {
		r := newUARTRig(t)
		r.out(uartOffMCR, tc.mcr)
		assert.Equal(t, tc.want, r.in(uartOffMSR)&0xF0, "MCR %#x", tc.mcr)
	}
}

func TestUARTModemStatusDeltas(t *testing.T) {
	// "Modem Status Register": DCTS, DDSR, DDCD on any change; TERI only
	// when RI goes from on to off; all cleared by reading the MSR.
	r := newUARTRig(t)
	r.out(uartOffIER, 0x08)
	r.out(uartOffMCR, 0x18) // OUT2 for the IRQ; loopback
	// Entering loopback with OUT2 only: CTS and DSR drop, DCD stays.
	assert.Equal(t, uint8(0x00), r.in(uartOffIIR))
	assert.Equal(t, uint8(0x80|0x03), r.in(uartOffMSR))
	assert.Equal(t, uint8(0x01), r.in(uartOffIIR))
	for i, tc := range []struct {
		mcr  uint8
		want uint8
	}{
		{0x1B, 0x80 | 0x30 | 0x03}, // DTR, RTS on: DSR, CTS rise
		{0x1F, 0xF0},               // OUT1 on: RI rises, no TERI
		{0x1B, 0xB0 | 0x04},        // OUT1 off: RI falls, TERI
		{0x13, 0x30 | 0x08},        // OUT2 off: DCD falls
	} {
		r.out(uartOffMCR, tc.mcr)
		assert.Equal(t, tc.want, r.in(uartOffMSR), "step %d", i)
		assert.Equal(t, tc.want&0xF0, r.in(uartOffMSR), "step %d: deltas cleared", i)
	}
}

func TestUARTOverrun(t *testing.T) {
	// "Line Status Register" LSR1: in 16450 mode the new character
	// overwrites the RBR; in FIFO mode the FIFO keeps its 16 and the new
	// one is lost. Reading the LSR clears OE.
	t.Run("16450 mode", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffLCR, 0x03)
		r.out(uartOffMCR, 0x10)
		r.writeAll(uartOffData, []byte("12"))
		r.advance(2 * uartChar8N1)
		assert.Equal(t, uint8(0x63), r.in(uartOffLSR))
		assert.Equal(t, uint8(0x61), r.in(uartOffLSR), "OE cleared by the read")
		assert.Equal(t, uint8('2'), r.in(uartOffData))
	})
	t.Run("FIFO mode", func(t *testing.T) {
		r := newUARTRig(t)
		r.out(uartOffLCR, 0x03)
		r.out(uartOffMCR, 0x10)
		r.out(uartOffIIR, 0x01)
		msg := []byte("ABCDEFGHIJKLMNOPQ") // 17 bytes; FIFO + TSR hold them
		r.writeAll(uartOffData, msg)
		r.advance(17 * uartChar8N1)
		assert.Equal(t, uint8(0x63), r.in(uartOffLSR))
		var got []byte
		for r.in(uartOffLSR)&0x01 != 0 {
			got = append(got, r.in(uartOffData))
		}
		assert.Equal(t, msg[:16], got)
	})
	t.Run("host input never overruns", func(t *testing.T) {
		r := newUARTRig(t)
		r.be.in = []byte("abc")
		r.advance(10 * uartChar8N1)
		assert.Equal(t, uint8(0x61), r.in(uartOffLSR), "no OE: the backend waits")
		assert.Equal(t, []byte("bc"), r.be.in)
		assert.Equal(t, uint8('a'), r.in(uartOffData))
	})
}

func TestUARTBreakInLoopback(t *testing.T) {
	// "Line Control Register" LCR6 holds the line spacing; "Line Status
	// Register": BI when the input is spacing longer than a character (a
	// zero byte enters the FIFO), FE since the stop bit is spacing, LSR7 in
	// FIFO mode.
	for _, tc := range []struct {
		name     string
		fcr      uint8
		wantLSR  uint8
		wantLSR2 uint8
		wantIIR  uint8
	}{
		{"16450 mode", 0x00, 0x79, 0x61, 0x06},
		{"FIFO mode", 0x01, 0xF9, 0x61, 0xC6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newUARTRig(t)
			r.out(uartOffIIR, tc.fcr)
			r.out(uartOffIER, 0x05)
			r.out(uartOffMCR, 0x10)
			r.out(uartOffLCR, 0x43)
			r.advance(uartChar8N1 - 1)
			assert.Equal(t, uint8(0x60), r.in(uartOffLSR))
			r.advance(1)
			assert.Equal(t, tc.wantIIR, r.in(uartOffIIR), "line status first")
			assert.Equal(t, tc.wantLSR, r.in(uartOffLSR))
			assert.Equal(t, tc.wantLSR2, r.in(uartOffLSR))
			assert.Equal(t, uint8(0x00), r.in(uartOffData))
			r.advance(10 * uartChar8N1)
			assert.Equal(t, uint8(0x60), r.in(uartOffLSR), "one break character per break")
		})
	}
}

func TestUARTFIFOErrorsRevealedAtTop(t *testing.T) {
	// "Line Status Register": in FIFO mode PE/FE/BI show when their
	// character reaches the top of the FIFO; LSR7 is set while any errored
	// character is in the FIFO and cleared by an LSR read if no further
	// errors remain.
	r := newUARTRig(t)
	r.out(uartOffIIR, 0xC1)
	r.out(uartOffMCR, 0x10)
	r.out(uartOffLCR, 0x43) // break 1
	r.advance(uartChar8N1)
	r.out(uartOffLCR, 0x03)
	r.out(uartOffLCR, 0x43) // break 2
	r.advance(uartChar8N1)
	r.out(uartOffLCR, 0x03)
	for i, want := range []uint8{
		0xF9, // DR, FE, BI of the top character, THRE, TEMT, LSR7
		0xE1, // first's errors reported; the second's still queued: LSR7
	} {
		assert.Equal(t, want, r.in(uartOffLSR), "read %d", i)
	}
	assert.Equal(t, uint8(0x00), r.in(uartOffData))
	assert.Equal(t, uint8(0xF9), r.in(uartOffLSR), "second break now at the top")
	assert.Equal(t, uint8(0x61), r.in(uartOffLSR), "no errors left")
}

func TestUARTTimeoutFollowsCharacterTime(t *testing.T) {
	// "FIFO Interrupt Mode Operation": the timeout is 4 character times at
	// the current rate.
	r := newUARTRig(t)
	r.out(uartOffIER, 0x01)
	r.out(uartOffIIR, 0xC1)
	r.be.in = []byte("x")
	r.advance(uartChar8N1)
	arrived := r.clk.Now()
	r.out(uartOffLCR, 0x83) // divisor 2: 57600 Bd, 10 bits = 173611 ns
	r.out(uartOffData, 2)
	r.out(uartOffLCR, 0x03)
	r.advance(4*uartChar8N1 + 1)
	assert.Equal(t, uint8(0xC1), r.in(uartOffIIR), "not yet at the slower rate")
	r.clk.Advance(arrived + 4*173611 - 1)
	assert.Equal(t, uint8(0xC1), r.in(uartOffIIR))
	r.clk.Advance(arrived + 4*173611)
	assert.Equal(t, uint8(0xCC), r.in(uartOffIIR))
}

func TestUARTOUT2GatesIRQ(t *testing.T) {
	// PC wiring: INTR reaches the bus only when OUT2 is on; loopback
	// forces the OUT pins inactive ("Modem Control Register" MCR4).
	for _, tc := range []struct {
		mcr  uint8
		want bool
	}{
		{0x00, false},
		{0x04, false}, // OUT1 only
		{0x08, true},
		{0x0B, true},
		{0x18, false}, // loopback
	} {
		r := newUARTRig(t)
		r.out(uartOffMCR, tc.mcr)
		r.out(uartOffIER, 0x02) // THRE pending
		assert.Equal(t, tc.want, r.irq.level, "MCR %#x", tc.mcr)
		assert.Equal(t, uint8(0x02), r.in(uartOffIIR)&0x0F, "IIR reports it either way")
	}
}

func TestUARTReceiveFromBackend(t *testing.T) {
	r := newUARTRig(t)
	r.out(uartOffIIR, 0x01)
	r.be.in = []byte("0123456789abcdefXYZ")
	r.advance(uartChar8N1 - 1)
	assert.Equal(t, uint8(0x60), r.in(uartOffLSR), "nothing before one character time")
	r.advance(1)
	assert.Equal(t, uint8(0x61), r.in(uartOffLSR))
	r.advance(40 * uartChar8N1)
	assert.Equal(t, []byte("XYZ"), r.be.in, "polling stops while the FIFO is full")
	var got []byte
	for r.in(uartOffLSR)&0x01 != 0 {
		got = append(got, r.in(uartOffData))
	}
	assert.Equal(t, []byte("0123456789abcdef"), got)
	r.advance(3 * uartChar8N1)
	assert.Empty(t, r.be.in)
}

func TestUARTNoPollingWithoutInput(t *testing.T) {
	for _, be := range []SerialBackend{nil, NullBackend{}} {
		clk := NewClock()
		_, err := NewUART(NewBus(), clk, COM2Base, nil, be)
		require.NoError(t, err)
		_, armed := clk.NextDeadline()
		assert.False(t, armed, "an input-less backend needs no timer")
	}
}

// uartScenario drives a UART through a fixed script and returns what the
// guest and the host saw, with times.
func uartScenario(t *testing.T) ([]int64, []uint8, []int64) {
	r := newUARTRig(t)
	r.out(uartOffLCR, 0x03)
	r.out(uartOffIIR, 0x81)
	r.out(uartOffIER, 0x0F)
	r.out(uartOffMCR, 0x0B)
	r.be.in = []byte("the quick brown fox")
	var seen []uint8
	for i := 0; i < 200; i++ {
		r.advance(37000)
		iir := r.in(uartOffIIR)
		seen = append(seen, iir)
		switch iir & 0x0F {
		case 0x04, 0x0C:
			seen = append(seen, r.in(uartOffData))
		case 0x02:
			r.out(uartOffData, byte('A'+i%26))
		case 0x06:
			seen = append(seen, r.in(uartOffLSR))
		}
	}
	return r.irq.rises, seen, r.be.outAt
}

func TestUARTDeterministic(t *testing.T) {
	r1, s1, o1 := uartScenario(t)
	r2, s2, o2 := uartScenario(t)
	assert.Equal(t, r1, r2)
	assert.Equal(t, s1, s2)
	assert.Equal(t, o1, o2)
	assert.NotEmpty(t, r1)
}

func TestUARTSurvivesNonsense(t *testing.T) {
	rng := rand.New(rand.NewSource(16550))
	r := newUARTRig(t)
	r.be.in = make([]byte, 5000)
	rng.Read(r.be.in)
	for i := 0; i < 100000; i++ {
		port := r.base + uint16(rng.Intn(9))
		size := []int{1, 2, 4}[rng.Intn(3)]
		if rng.Intn(2) == 0 {
			r.bus.Out(port, size, rng.Uint32())
		} else {
			r.bus.In(port, size)
		}
		if rng.Intn(8) == 0 {
			r.advance(int64(rng.Intn(300000)))
		}
	}
	// Whatever was programmed, time still moves and the UART answers.
	r.advance(10 * uartNSPerSec)
	st := r.u.State()
	assert.LessOrEqual(t, len(st.RX), uartFIFOSize)
	assert.LessOrEqual(t, len(st.TX), uartFIFOSize)
}

func TestUARTStateRoundTrip(t *testing.T) {
	r := newUARTRig(t)
	r.out(uartOffLCR, 0x03)
	r.out(uartOffIIR, 0x41)
	r.out(uartOffIER, 0x0F)
	r.out(uartOffMCR, 0x0B)
	r.out(uartOffSCR, 0x99)
	r.be.in = []byte("abcdefgh")
	r.writeAll(uartOffData, []byte("hello"))
	r.advance(3*uartChar8N1 + 1234)

	st := r.u.State()
	clk2 := NewClock()
	clk2.Advance(r.clk.Now())
	be2 := &uartFakeBackend{clk: clk2, in: append([]byte(nil), r.be.in...)}
	irq2 := &uartIRQProbe{clk: clk2, level: r.irq.level}
	u2, err := NewUART(NewBus(), clk2, COM1Base, irq2, be2)
	require.NoError(t, err)
	u2.SetState(st)
	assert.Equal(t, st, u2.State())

	r2 := &uartRig{t: t, clk: clk2, bus: u2.bus, u: u2, be: be2, irq: irq2, base: COM1Base}
	var a, b []uint8
	for i := 0; i < 40; i++ {
		r.advance(50000)
		r2.advance(50000)
		for _, off := range []uint16{uartOffIIR, uartOffLSR, uartOffData, uartOffMSR, uartOffSCR} {
			a = append(a, r.in(off))
			b = append(b, r2.in(off))
		}
	}
	assert.Equal(t, a, b)
	require.NotEmpty(t, be2.out)
	assert.Equal(t, r.be.out[len(r.be.out)-len(be2.out):], be2.out)
	assert.Equal(t, r.be.outAt[len(r.be.outAt)-len(be2.outAt):], be2.outAt)
	assert.Equal(t, r.irq.rises[len(r.irq.rises)-len(irq2.rises):], irq2.rises)
}

func TestUARTWiring(t *testing.T) {
	t.Run("four COM ports", func(t *testing.T) {
		bus, clk := NewBus(), NewClock()
		for _, base := range []uint16{COM1Base, COM2Base, COM3Base, COM4Base} {
			_, err := NewUART(bus, clk, base, nil, nil)
			require.NoError(t, err)
			assert.Equal(t, uint32(0x60), bus.In(base+uartOffLSR, 1))
		}
	})
	t.Run("port conflict", func(t *testing.T) {
		bus, clk := NewBus(), NewClock()
		_, err := NewUART(bus, clk, COM1Base, nil, nil)
		require.NoError(t, err)
		_, err = NewUART(bus, clk, COM1Base+4, nil, nil)
		assert.Error(t, err)
	})
	t.Run("nil bus or clock", func(t *testing.T) {
		_, err := NewUART(nil, NewClock(), COM1Base, nil, nil)
		assert.Error(t, err)
		_, err = NewUART(NewBus(), nil, COM1Base, nil, nil)
		assert.Error(t, err)
	})
	t.Run("word access past the registers", func(t *testing.T) {
		r := newUARTRig(t)
		var got []uint32
		require.NoError(t, r.bus.Register(r.base+8, 1, ByteOnly{
			InB:  func(uint16) uint8 { return 0x5A },
			OutB: func(_ uint16, v uint8) { got = append(got, uint32(v)) },
		}))
		r.bus.Out(r.base+uartOffSCR, 2, 0xBEEF)
		assert.Equal(t, uint8(0xEF), r.in(uartOffSCR))
		assert.Equal(t, []uint32{0xBE}, got)
		assert.Equal(t, uint32(0x5AEF), r.bus.In(r.base+uartOffSCR, 2))
	})
}

// TestUARTFlush: bytes still in the transmitter when the machine stops are
// delivered by Flush, in order, and loopback bytes are not.
func TestUARTFlush(t *testing.T) {
	for _, tc := range []struct {
		name     string
		loopback bool
		want     string
	}{
		{"normal", false, "ab"},
		{"loopback", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bus := NewBus()
			clock := NewClock()
			be := &uartFakeBackend{clk: clock}
			u, err := NewUART(bus, clock, 0x3F8, nil, be)
			require.NoError(t, err)
			if tc.loopback {
				bus.Out(0x3FC, 1, 0x10)
			}
			bus.Out(0x3F8, 1, 'a') // into the shift register
			bus.Out(0x3F8, 1, 'b') // waits in THR
			u.Flush()
			require.Equal(t, tc.want, string(be.out))
		})
	}
}

// TestUARTTransmitSpeedup: with a speedup of n, a character leaves the
// transmitter after 1/n of the datasheet's character time (10 bits at
// 115200 baud = 86805 ns), and receive timing is unchanged.
func TestUARTTransmitSpeedup(t *testing.T) {
	for _, n := range []int64{1, 10, 1000} {
		bus, clock := NewBus(), NewClock()
		be := &uartFakeBackend{clk: clock}
		u, err := NewUART(bus, clock, 0x3F8, nil, be)
		require.NoError(t, err)
		u.SetTransmitSpeedup(n)
		bus.Out(0x3FB, 1, 0x03) // 8N1
		bus.Out(0x3F8, 1, 'x')
		want := int64(86805) / n
		clock.Advance(want - 2)
		require.Empty(t, be.out, "speedup %d: sent too early", n)
		clock.Advance(want + 2)
		require.Equal(t, "x", string(be.out), "speedup %d", n)
	}
}
