// Intel 8254 Programmable Interval Timer (Intel 8254 datasheet) at
// 40h-43h, every counter clocked at 1.193182 MHz as in the PC/AT, and the
// AT's system control port B at 61h (Intel 82371SB PIIX3 datasheet, "NMI
// Status and Control Register").
//
// Section names in comments refer to the 8254 datasheet: "Control Word
// Format", "Counter Latch Command", "Read-Back Command", "Status Byte",
// "Null Count", "Mode Definitions" (modes 0-5, "Operation Common to All
// Modes") and "Minimum and Maximum Initial Counts".

package devices

import (
	"math"
	"math/bits"
)

// PIT wiring on the PC/AT.
const (
	PITPort   = 0x40    // counters 0-2 at 40h-42h, control word at 43h
	PortB     = 0x61    // system control port B
	PITHz     = 1193182 // CLK of every counter
	RefreshNs = 15085   // port B bit 4 toggles this often (ns)
)

// Port B (61h) bits.
const (
	portBGate2    = 0x01 // counter 2 GATE
	portBSpeaker  = 0x02 // speaker data enable
	portBWritable = 0x0F // bits 2-3 (SERR#/IOCHK# enables) are stored only
	portBRefresh  = 0x10 // refresh toggle (read only)
	portBOut2     = 0x20 // counter 2 OUT (read only)
)

// pitTick is the number of CLK pulses that have occurred by virtual time
// ns: floor(ns * PITHz / 1e9).
func pitTick(ns int64) int64 {
	if ns <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(ns), PITHz)
	q, _ := bits.Div64(hi, lo, 1e9) // hi < 2^21 < 1e9
	return int64(q)
}

// pitTickTime is the virtual time of CLK pulse k: the least ns with
// pitTick(ns) >= k, i.e. ceil(k * 1e9 / PITHz).
func pitTickTime(k int64) int64 {
	if k <= 0 {
		return 0
	}
	if k > 1<<53 { // beyond ~240 years of virtual time
		return math.MaxInt64
	}
	hi, lo := bits.Mul64(uint64(k), 1e9)
	q, r := bits.Div64(hi, lo, PITHz) // hi < PITHz for k <= 2^53
	if r != 0 {
		q++
	}
	return int64(q)
}

// PITChannelState is one counter's state. The counting element (CE) is
// described as of CLK pulse Ref and advanced in closed form on access.
type PITChannelState struct {
	// Control is bits 5-0 of the last control word (RW1 RW0 M2 M1 M0
	// BCD), kept exactly as written for the status byte.
	Control uint8
	// CR is the count register as written (BCD digits in BCD mode);
	// CRValid says a whole count was written since the control word.
	CR      uint16
	CRValid bool
	// LSB is the first byte of a two-byte write; WriteMSB and ReadMSB
	// are the write and read flip-flops of RW=11.
	LSB               uint8
	WriteMSB, ReadMSB bool
	// Latched/Latch is the output latch (counter latch or read-back);
	// StatusLatched/Status the latched status byte.
	Latched       bool
	Latch         uint16
	StatusLatched bool
	Status        uint8
	Gate          bool
	NullCount     bool

	// Ref is the CLK pulse the fields below describe.
	Ref int64
	// CE is the counting element's value (binary; 0 stands for 2^16 or
	// 10^4 right after loading that count).
	CE  uint32
	Out bool
	// Loaded: a count has been loaded into CE since the control word.
	Loaded bool
	// Counting: CLK pulses decrement CE.
	Counting bool
	// TCPending (modes 0, 1, 4, 5): CE has not reached zero since loading.
	TCPending bool
	// Reload (modes 2, 3) is the count reloaded each period (1..2^16).
	Reload uint32
	// LowHalf (mode 3): OUT is in the low half of the square wave.
	LowHalf bool
	// LoadAt is the CLK pulse of a pending CR->CE load, or -1.
	LoadAt int64
	// Switch (modes 2, 3): a new count loads at the end of the current
	// period (mode 2) or half-period (mode 3).
	Switch bool
}

// PITState is the PIT's state for snapshots.
type PITState struct {
	Counters [3]PITChannelState
	// PortB holds bits 3-0 of port 61h as written.
	PortB uint8
	// IRQ0 is the level last driven on IRQ0 (counter 0 OUT).
	IRQ0 bool
}

type pitCounter struct{ PITChannelState }

// PIT is the 8254 with the PC's wiring: counter 0 OUT drives IRQ0,
// counter 1 (DRAM refresh on the AT) drives nothing, counter 2's GATE is
// port 61h bit 0 and its OUT reads back as port 61h bit 5. GATE 0 and 1
// are tied high.
type PIT struct {
	clock *Clock
	ctr   [3]pitCounter
	irq0  IRQLine
	level bool // IRQ0 as driven
	timer *Timer
	portB uint8
}

// NewPIT returns a PIT registered on bus at 40h-43h and 61h. irq0 may be
// nil.
//
// The datasheet leaves the power-on state undefined; each counter starts
// as after control word 30h (mode 0, LSB then MSB, binary) with no count,
// so no OUT edges happen until software programs a count.
func NewPIT(bus *Bus, clock *Clock, irq0 IRQLine) (*PIT, error) {
	if clock == nil {
		clock = NewClock()
	}
	p := &PIT{clock: clock, irq0: irq0}
	p.timer = clock.NewTimer("pit0", p.sync0)
	now := pitTick(clock.Now())
	for i := range p.ctr {
		c := &p.ctr[i]
		c.Ref = now
		c.Gate = i != 2
		c.control(0x30)
	}
	if bus == nil {
		return p, nil
	}
	if err := bus.Register(PITPort, 4, ByteOnly{InB: p.in, OutB: p.out}); err != nil {
		return nil, err
	}
	if err := bus.Register(PortB, 1, ByteOnly{InB: p.in, OutB: p.out}); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PIT) in(port uint16) uint8 {
	now := p.clock.Now()
	switch port {
	case PITPort, PITPort + 1, PITPort + 2:
		return p.ctr[port-PITPort].read(pitTick(now))
	case PortB:
		v := p.portB
		if (now/RefreshNs)&1 != 0 {
			v |= portBRefresh
		}
		c := &p.ctr[2]
		c.advance(pitTick(now))
		if c.Out {
			v |= portBOut2
		}
		return v
	}
	return 0xFF // 43h: "no-operation (3-state)" on read
}

func (p *PIT) out(port uint16, v uint8) {
	t := pitTick(p.clock.Now())
	switch port {
	case PITPort, PITPort + 1, PITPort + 2:
		p.ctr[port-PITPort].write(t, v)
	case PITPort + 3:
		p.controlWord(t, v)
	case PortB:
		p.portB = v & portBWritable
		p.ctr[2].setGate(t, v&portBGate2 != 0)
		return
	}
	p.sync0(p.clock.Now())
}

// sync0 brings counter 0 to now, drives IRQ0 from its OUT and arms the
// timer for the next pulse on which OUT can change.
func (p *PIT) sync0(now int64) {
	c := &p.ctr[0]
	c.advance(pitTick(now))
	if c.Out != p.level {
		p.level = c.Out
		if p.irq0 != nil {
			p.irq0.SetLevel(c.Out)
		}
	}
	if e := c.nextEvent(); e >= 0 {
		p.timer.Schedule(pitTickTime(e))
	} else {
		p.timer.Cancel()
	}
}

// controlWord decodes a write to 43h ("Control Word Format"): SC=11 is the
// read-back command, RW=00 the counter latch command.
func (p *PIT) controlWord(t int64, v uint8) {
	sc := v >> 6
	if sc == 3 {
		p.readBack(t, v)
		return
	}
	c := &p.ctr[sc]
	c.advance(t)
	if v&0x30 == 0 {
		c.latchCount()
		return
	}
	c.control(v)
}

// readBack is the read-back command: D5=0 latches the count and D4=0 the
// status of each counter selected by D3-D1. A counter already latched
// keeps its first latch ("Read-Back Command").
func (p *PIT) readBack(t int64, v uint8) {
	for i := range p.ctr {
		if v&(2<<uint(i)) == 0 {
			continue
		}
		c := &p.ctr[i]
		c.advance(t)
		if v&0x20 == 0 {
			c.latchCount()
		}
		if v&0x10 == 0 && !c.StatusLatched {
			c.Status = c.Control & 0x3F
			if c.Out {
				c.Status |= 0x80
			}
			if c.NullCount {
				c.Status |= 0x40
			}
			c.StatusLatched = true
		}
	}
}

// State returns the PIT's state as of the clock's current time.
func (p *PIT) State() PITState {
	var s PITState
	t := pitTick(p.clock.Now())
	for i := range p.ctr {
		p.ctr[i].advance(t)
		s.Counters[i] = p.ctr[i].PITChannelState
	}
	s.PortB = p.portB
	s.IRQ0 = p.level
	return s
}

// SetState restores a state from State, taken at the clock's current
// time, re-arming the timer and driving IRQ0 to match. Values no 8254
// could hold are brought into range.
func (p *PIT) SetState(s PITState) {
	for i := range p.ctr {
		c := &p.ctr[i]
		c.PITChannelState = s.Counters[i]
		if c.Control&0x30 == 0 {
			c.Control |= 0x30
		}
		c.Control &= 0x3F
		mod := uint32(c.modulus())
		c.CE %= mod
		if c.Reload == 0 || c.Reload > mod {
			c.Reload = mod
		}
		if c.LoadAt < -1 {
			c.LoadAt = -1
		}
		c.Gate = i != 2
	}
	p.portB = s.PortB & portBWritable
	p.ctr[2].Gate = p.portB&portBGate2 != 0
	p.level = s.IRQ0
	p.sync0(p.clock.Now())
}

func (c *pitCounter) rw() uint8 { return c.Control >> 4 & 3 }
func (c *pitCounter) bcd() bool { return c.Control&1 != 0 }

// mode is the counter mode; M2 is don't-care for modes 2 and 3.
func (c *pitCounter) mode() uint8 {
	m := c.Control >> 1 & 7
	if m >= 6 {
		m -= 4
	}
	return m
}

// modulus is 2^16 in binary and 10^4 in BCD counting.
func (c *pitCounter) modulus() int64 {
	if c.bcd() {
		return 10000
	}
	return 65536
}

// count is the count register's value, 1..modulus (0 means the maximum,
// "Minimum and Maximum Initial Counts"). Non-decimal BCD digits are
// reduced modulo 10^4.
func (c *pitCounter) count() uint32 {
	n := uint32(c.CR)
	if c.bcd() {
		n = fromBCD16(c.CR) % 10000
	}
	if n == 0 {
		n = uint32(c.modulus())
	}
	return n
}

// pattern is CE as the 16 bits a read returns.
func (c *pitCounter) pattern() uint16 {
	if c.bcd() {
		return toBCD16(c.CE % 10000)
	}
	return uint16(c.CE)
}

func fromBCD16(v uint16) uint32 {
	return uint32(v>>12&15)*1000 + uint32(v>>8&15)*100 + uint32(v>>4&15)*10 + uint32(v&15)
}

func toBCD16(n uint32) uint16 {
	return uint16(n/1000%10)<<12 | uint16(n/100%10)<<8 | uint16(n/10%10)<<4 | uint16(n%10)
}

func wrap(x, mod int64) int64 {
	x %= mod
	if x < 0 {
		x += mod
	}
	return x
}

// control programs the counter ("Control Word Format"): control logic is
// reset, OUT goes low in mode 0 and high in every other mode, both
// flip-flops and any latch are cleared, Null Count is set ("Null Count"),
// and nothing counts until a count is written. CE keeps its bits.
func (c *pitCounter) control(v uint8) {
	pat := c.pattern()
	c.Control = v & 0x3F
	c.CE = uint32(pat)
	if c.bcd() {
		c.CE = fromBCD16(pat) % 10000
	}
	c.CRValid = false
	c.Loaded = false
	c.Counting = false
	c.TCPending = false
	c.LowHalf = false
	c.LoadAt = -1
	c.Switch = false
	c.Reload = uint32(c.modulus())
	c.Out = c.mode() != 0
	c.NullCount = true
	c.Latched = false
	c.StatusLatched = false
	c.ReadMSB = false
	c.WriteMSB = false
}

// latchCount is the counter latch command: the first latch holds until
// read; later ones are ignored ("Counter Latch Command").
func (c *pitCounter) latchCount() {
	if !c.Latched {
		c.Latch = c.pattern()
		c.Latched = true
	}
}

// read returns the next byte of the latched status, the latched count or
// the live count, in that order of precedence ("Read-Back Command": status
// first when both are latched).
func (c *pitCounter) read(t int64) uint8 {
	if c.StatusLatched {
		c.StatusLatched = false
		return c.Status
	}
	v := c.Latch
	if !c.Latched {
		c.advance(t)
		v = c.pattern()
	}
	switch c.rw() {
	case 1:
		c.Latched = false
		return uint8(v)
	case 2:
		c.Latched = false
		return uint8(v >> 8)
	}
	if !c.ReadMSB {
		c.ReadMSB = true
		return uint8(v)
	}
	c.ReadMSB = false
	c.Latched = false
	return uint8(v >> 8)
}

// write takes one byte of a count per RW. In mode 0 the first byte of a
// two-byte count stops counting and sets OUT low at once (datasheet
// "Mode 0").
func (c *pitCounter) write(t int64, v uint8) {
	c.advance(t)
	switch c.rw() {
	case 1:
		c.setCount(t, uint16(v))
		return
	case 2:
		c.setCount(t, uint16(v)<<8)
		return
	}
	if !c.WriteMSB {
		c.WriteMSB = true
		c.LSB = v
		if c.mode() == 0 {
			c.Out = false
			c.Counting = false
			c.LoadAt = -1
		}
		return
	}
	c.WriteMSB = false
	c.setCount(t, uint16(v)<<8|uint16(c.LSB))
}

// setCount handles a complete count written at pulse t. Modes 0 and 4 load
// it on the next pulse; modes 1 and 5 keep it for the next trigger; modes
// 2 and 3 load it on the next pulse when nothing is loaded yet, else at
// the end of the current (half-)cycle, or on a trigger if GATE is low.
func (c *pitCounter) setCount(t int64, cr uint16) {
	c.CR = cr
	c.CRValid = true
	c.NullCount = true
	switch c.mode() {
	case 0:
		c.Out = false
		c.Counting = false
		c.LoadAt = t + 1
	case 4:
		c.LoadAt = t + 1
	case 2, 3:
		switch {
		case c.LoadAt >= 0: // the pending load takes the new count
		case !c.Loaded:
			c.LoadAt = t + 1
		case c.Counting:
			c.Switch = true
		}
	}
}

// setGate drives GATE at pulse t. Modes 0 and 4: GATE enables counting.
// Modes 1 and 5: a rising edge triggers a load on the next pulse. Modes 2
// and 3: low stops counting and sets OUT high at once; a rising edge
// reloads on the next pulse.
func (c *pitCounter) setGate(t int64, high bool) {
	c.advance(t)
	if high == c.Gate {
		return
	}
	c.Gate = high
	switch c.mode() {
	case 0, 4:
		c.Counting = high && c.Loaded
	case 1, 5:
		if high && c.CRValid {
			c.LoadAt = t + 1
		}
	case 2, 3:
		if high {
			if c.CRValid {
				c.LoadAt = t + 1
			}
			return
		}
		c.Counting = false
		c.Out = true
		c.Switch = false
	}
}

// load transfers CR to CE ("Counter Loading"), which clears Null Count,
// and starts the mode's sequence from this pulse.
func (c *pitCounter) load() {
	n := c.count()
	mod := uint32(c.modulus())
	c.LoadAt = -1
	c.NullCount = false
	c.Loaded = true
	c.Switch = false
	c.TCPending = true
	c.LowHalf = false
	c.CE = n % mod
	switch c.mode() {
	case 0:
		c.Out = false
		c.Counting = c.Gate
	case 1:
		c.Out = false // "OUT will go low on the CLK pulse following a trigger"
		c.Counting = true
	case 4:
		c.Out = true
		c.Counting = c.Gate
	case 5:
		c.Out = true
		c.Counting = true
	case 2:
		c.Reload = n
		c.Counting = c.Gate
		c.Out = !c.Counting || n != 1
	case 3:
		// Odd counts load the initial count minus one.
		c.Reload = n
		c.CE = (n &^ 1) % mod
		c.Out = true
		c.Counting = c.Gate
	}
}

// tcDistance is the number of pulses until CE reaches zero.
func (c *pitCounter) tcDistance() int64 {
	if c.CE == 0 {
		return c.modulus()
	}
	return int64(c.CE)
}

// halfLeft (mode 3) is the number of pulses until OUT toggles. Even counts
// go N, N-2, ..., 2 and toggle as the count expires; odd counts go N-1,
// ..., 0 and toggle one pulse later when OUT is high, and go N-1, ..., 2
// and toggle as the count expires when OUT is low.
func (c *pitCounter) halfLeft() int64 {
	ce := int64(c.CE)
	var h int64
	switch {
	case c.Reload&1 == 0:
		if ce == 0 {
			ce = c.modulus()
		}
		h = ce / 2
	case !c.LowHalf:
		h = ce/2 + 1
	default:
		h = ce / 2
	}
	return max(h, 1)
}

// reloadNow applies a pending new count at the end of a (half-)cycle.
func (c *pitCounter) reloadNow() {
	if c.Switch {
		c.Switch = false
		c.Reload = c.count()
		c.NullCount = false
	}
}

// advance moves the counting element to pulse t.
func (c *pitCounter) advance(t int64) {
	if t <= c.Ref {
		return
	}
	if c.LoadAt >= 0 && c.LoadAt <= t {
		if c.LoadAt > c.Ref {
			c.Ref = c.LoadAt
		}
		c.load()
	}
	c.run(t - c.Ref)
	c.Ref = t
}

// run applies k CLK pulses with no load in between, in closed form.
func (c *pitCounter) run(k int64) {
	if k <= 0 {
		return
	}
	mod := c.modulus()
	switch m := c.mode(); m {
	case 0, 1, 4, 5:
		strobe := m >= 4
		if strobe {
			c.Out = true // the strobe lasts one pulse
		}
		if !c.Counting {
			return
		}
		if c.TCPending {
			if d := c.tcDistance(); k >= d {
				c.TCPending = false
				c.Out = !strobe || k != d
			}
		}
		c.CE = uint32(wrap(int64(c.CE)-k, mod))
	case 2:
		// CE runs N, N-1, ..., 1 (OUT low for that pulse), then reloads.
		if !c.Counting {
			return
		}
		if r := c.tcDistance(); k < r {
			c.CE = uint32(wrap(int64(c.CE)-k, mod))
		} else {
			c.reloadNow()
			n := int64(c.Reload)
			c.CE = uint32(wrap(n-(k-r)%n, mod))
		}
		c.Out = c.CE != 1
	case 3:
		if !c.Counting {
			return
		}
		h := c.halfLeft()
		if k < h {
			ce := int64(c.CE)
			if ce == 0 && c.Reload&1 == 0 {
				ce = mod
			}
			c.CE = uint32(wrap(ce-2*k, mod))
			return
		}
		k -= h
		c.LowHalf = !c.LowHalf
		c.reloadNow()
		n := int64(c.Reload)
		hi, lo := (n+1)/2, n/2
		if lo == 0 { // count 1 (illegal): the low half has no length
			c.LowHalf = false
			c.CE = 0
			c.Out = true
			return
		}
		j := k % n
		first := hi
		if c.LowHalf {
			first = lo
		}
		if j >= first {
			c.LowHalf = !c.LowHalf
			j -= first
		}
		c.CE = uint32(wrap(n&^1-2*j, mod))
		c.Out = !c.LowHalf
	}
}

// nextEvent is the next pulse after Ref at which OUT may change or a load
// is due, or -1 if none is.
func (c *pitCounter) nextEvent() int64 {
	e := int64(-1)
	switch m := c.mode(); m {
	case 0, 1, 4, 5:
		switch {
		case m >= 4 && !c.Out:
			e = c.Ref + 1
		case c.Counting && c.TCPending:
			e = c.Ref + c.tcDistance()
		}
	case 2:
		if c.Counting {
			if !c.Out {
				if c.Reload != 1 || c.Switch {
					e = c.Ref + 1
				}
			} else {
				e = c.Ref + max(c.tcDistance()-1, 1)
			}
		}
	case 3:
		if c.Counting && (c.Reload != 1 || c.Switch) {
			e = c.Ref + c.halfLeft()
		}
	}
	if c.LoadAt >= 0 {
		l := max(c.LoadAt, c.Ref+1)
		if e < 0 || l < e {
			e = l
		}
	}
	return e
}
