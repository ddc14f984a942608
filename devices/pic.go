// Intel 8259A Programmable Interrupt Controller (Intel 8259A/82C59A
// datasheet), as the cascaded master/slave pair of the PC/AT, plus the
// Edge/Level Control Registers (ELCR) at 4D0h/4D1h of the Intel 82371SB
// PIIX3 datasheet ("Interrupt Controller Registers").
//
// Section names in comments refer to the 8259A datasheet: "Initialization
// Command Words", "Operation Command Words", "Interrupt Sequence",
// "The Fully Nested Mode", "End of Interrupt", "Automatic Rotation",
// "Specific Rotation", "Special Mask Mode", "Poll Command", "Special Fully
// Nested Mode", "Edge and Level Triggered Modes" and "Cascade Mode".

package devices

import "math/bits"

// PIC I/O ports on the PC/AT (master, slave) and the PIIX3 ELCR pair.
const (
	PICMasterPort = 0x20
	PICSlavePort  = 0xA0
	ELCRPort      = 0x4D0
)

// PIIX3 ELCR: IRQ0, IRQ1, IRQ2 (ELCR1 bits 0-2) and IRQ8, IRQ13 (ELCR2 bits
// 0 and 5) are always edge triggered; those bits are reserved and read 0.
const (
	elcr1Mask = 0xF8
	elcr2Mask = 0xDE
)

// Command word bits (8259A "Initialization Command Words" and "Operation
// Command Words").
const (
	icw1IC4  = 0x01 // ICW4 needed
	icw1SNGL = 0x02 // single (no ICW3)
	icw1LTIM = 0x08 // level triggered mode
	icw1Sel  = 0x10 // A0=0, D4=1 selects ICW1

	icw4AEOI = 0x02 // automatic end of interrupt
	icw4SFNM = 0x10 // special fully nested mode

	ocw3Sel  = 0x08 // A0=0, D4=0, D3=1 selects OCW3
	ocw3RIS  = 0x01
	ocw3RR   = 0x02
	ocw3P    = 0x04
	ocw3SMM  = 0x20
	ocw3ESMM = 0x40
)

// PICChipState is one 8259A's programmable state.
type PICChipState struct {
	IRR, ISR, IMR uint8
	// Lines holds the level of the IR input pins.
	Lines uint8
	// ICW1..ICW4 as last written (ICW4 reads 0 when ICW1 had IC4=0).
	ICW1, ICW2, ICW3, ICW4 uint8
	// InitStep is 0 when operational, else the ICW (2, 3 or 4) the next
	// A0=1 write is taken as.
	InitStep uint8
	// Lowest is the IR with the lowest priority (7 after ICW1); the one
	// after it (mod 8) has the highest.
	Lowest uint8
	// ReadISR selects the register a read with A0=0 returns (OCW3 RR/RIS):
	// ISR when set, IRR when clear.
	ReadISR bool
	// Poll is set by OCW3 P=1: the next read is a poll.
	Poll bool
	// SpecialMask is OCW3 special mask mode.
	SpecialMask bool
	// RotateAEOI is the OCW2 "rotate in automatic EOI mode" flip-flop.
	RotateAEOI bool
}

// PICState is the PIC pair's state for snapshots.
type PICState struct {
	Master, Slave PICChipState
	ELCR          [2]uint8
	// INTR is the level last driven on the CPU's INTR pin.
	INTR bool
}

// pic8259 is one chip. master tells its wiring: the PC's master has SP/EN
// tied high and the slave's INT on IR2, the slave has SP/EN tied low.
type pic8259 struct {
	PICChipState
	master bool
	elcr   *uint8 // this chip's PIIX3 ELCR byte
}

// PICPair is the PC/AT's two cascaded 8259As: the master at 20h/21h drives
// the CPU's INTR pin, the slave at A0h/A1h has its INT wired to the
// master's IR2. It also decodes the PIIX3 ELCR at 4D0h/4D1h.
type PICPair struct {
	master, slave pic8259
	elcr          [2]uint8
	intr          func(level bool)
	intrLevel     bool
	inputs        [16]picInput
}

type picInput struct {
	p *PICPair
	n int
}

// SetLevel implements IRQLine.
func (in *picInput) SetLevel(high bool) { in.p.setIRQ(in.n, high) }

type nopLine struct{}

func (nopLine) SetLevel(bool) {}

// NewPICPair returns a PIC pair registered on bus at 20h, A0h and 4D0h;
// intr is called when the level of the CPU's INTR pin changes.
//
// The datasheet leaves the power-on state undefined; the pair starts as a
// PC BIOS leaves it (ICW1=11h, vector bases 08h and 70h, slave on IR2,
// 8086 mode) with every IR masked, all edge triggered.
func NewPICPair(bus *Bus, intr func(level bool)) (*PICPair, error) {
	p := &PICPair{intr: intr}
	p.master = pic8259{master: true, elcr: &p.elcr[0]}
	p.slave = pic8259{elcr: &p.elcr[1]}
	for i := range p.inputs {
		p.inputs[i] = picInput{p: p, n: i}
	}
	p.master.PICChipState = PICChipState{ICW1: 0x11, ICW2: 0x08, ICW3: 0x04, ICW4: 0x01, IMR: 0xFF, Lowest: 7}
	p.slave.PICChipState = PICChipState{ICW1: 0x11, ICW2: 0x70, ICW3: 0x02, ICW4: 0x01, IMR: 0xFF, Lowest: 7}
	if bus == nil {
		return p, nil
	}
	if err := bus.Register(PICMasterPort, 2, ByteOnly{InB: p.masterIn, OutB: p.masterOut}); err != nil {
		return nil, err
	}
	if err := bus.Register(PICSlavePort, 2, ByteOnly{InB: p.slaveIn, OutB: p.slaveOut}); err != nil {
		return nil, err
	}
	if err := bus.Register(ELCRPort, 2, ByteOnly{InB: p.elcrIn, OutB: p.elcrOut}); err != nil {
		return nil, err
	}
	return p, nil
}

// IRQ returns the input for ISA IRQ n (0-7 master IR0-7, 8-15 slave
// IR0-7). Master IR2 is the cascade input driven by the slave's INT, so
// IRQ(2) and out-of-range numbers return a line that does nothing.
func (p *PICPair) IRQ(n int) IRQLine {
	if n < 0 || n > 15 || n == 2 {
		return nopLine{}
	}
	return &p.inputs[n]
}

func (p *PICPair) setIRQ(n int, high bool) {
	if n < 8 {
		p.master.setLine(n, high)
	} else {
		p.slave.setLine(n-8, high)
	}
	p.update()
}

// Acknowledge performs the INTA sequence ("Interrupt Sequence", 8086 mode)
// and returns the vector: T7-T3 from ICW2 and the IR number. When the
// master's winning IR has a slave (ICW3) and the slave, in cascade mode,
// has that ID, the slave supplies the vector. A request that has gone away
// by now yields the default IR7 vector with no ISR bit set (datasheet
// "Edge and Level Triggered Modes"); a cascade address no slave answers
// leaves the bus floating (FFh).
func (p *PICPair) Acknowledge() uint8 {
	m := &p.master
	ir := m.pending()
	if ir < 0 {
		return m.vector(7)
	}
	m.inta(ir)
	vec := m.vector(ir)
	if m.cascadeLine(ir) {
		vec = 0xFF
		if s := &p.slave; s.cascade() && s.ICW3&7 == uint8(ir) {
			if sir := s.pending(); sir < 0 {
				vec = s.vector(7)
			} else {
				s.inta(sir)
				vec = s.vector(sir)
				// The slave's INT falls while its ISR bit is set, so an
				// AEOI slave with more requests makes a fresh edge on IR2.
				m.setLine(2, s.pending() >= 0)
				s.autoEOI(sir)
			}
		}
	}
	m.autoEOI(ir)
	p.update()
	return vec
}

// update propagates the slave's INT to master IR2 and the master's INT to
// the CPU.
func (p *PICPair) update() {
	p.master.setLine(2, p.slave.pending() >= 0)
	level := p.master.pending() >= 0
	if level != p.intrLevel {
		p.intrLevel = level
		if p.intr != nil {
			p.intr(level)
		}
	}
}

func (p *PICPair) masterIn(port uint16) uint8 { v := p.master.in(port & 1); p.update(); return v }
func (p *PICPair) slaveIn(port uint16) uint8  { v := p.slave.in(port & 1); p.update(); return v }
func (p *PICPair) masterOut(port uint16, v uint8) {
	p.master.out(port&1, v)
	p.update()
}
func (p *PICPair) slaveOut(port uint16, v uint8) {
	p.slave.out(port&1, v)
	p.update()
}

func (p *PICPair) elcrIn(port uint16) uint8 { return p.elcr[port&1] }

func (p *PICPair) elcrOut(port uint16, v uint8) {
	if port&1 == 0 {
		p.elcr[0] = v & elcr1Mask
		p.master.retrigger()
	} else {
		p.elcr[1] = v & elcr2Mask
		p.slave.retrigger()
	}
	p.update()
}

// State returns the pair's state.
func (p *PICPair) State() PICState {
	return PICState{Master: p.master.PICChipState, Slave: p.slave.PICChipState, ELCR: p.elcr, INTR: p.intrLevel}
}

// SetState restores a state from State and drives INTR to match.
func (p *PICPair) SetState(s PICState) {
	p.master.PICChipState = s.Master
	p.slave.PICChipState = s.Slave
	for _, c := range []*pic8259{&p.master, &p.slave} {
		c.Lowest &= 7
		if c.InitStep != 0 && (c.InitStep < 2 || c.InitStep > 4) {
			c.InitStep = 0
		}
	}
	p.elcr = [2]uint8{s.ELCR[0] & elcr1Mask, s.ELCR[1] & elcr2Mask}
	p.master.retrigger()
	p.slave.retrigger()
	p.master.setLine(2, p.slave.pending() >= 0)
	p.intrLevel = p.master.pending() >= 0
	if p.intr != nil {
		p.intr(p.intrLevel)
	}
}

// levelMask is the set of level-triggered IRs: all with ICW1 LTIM, else
// those the ELCR selects. (The PIIX3 datasheet replaces LTIM by the ELCR;
// honouring both keeps a bare 8259A program working.)
func (c *pic8259) levelMask() uint8 {
	if c.ICW1&icw1LTIM != 0 {
		return 0xFF
	}
	return *c.elcr
}

// setLine drives IR input ir. An edge-triggered IR latches a rising edge;
// a level-triggered one requests while high. In both modes the request is
// withdrawn when the input falls before INTA ("Edge and Level Triggered
// Modes", and figure "Priority Cell").
func (c *pic8259) setLine(ir int, high bool) {
	m := uint8(1) << uint(ir&7)
	was := c.Lines&m != 0
	if high {
		c.Lines |= m
		if !was || c.levelMask()&m != 0 {
			c.IRR |= m
		}
	} else {
		c.Lines &^= m
		c.IRR &^= m
	}
}

// retrigger makes IRR follow the inputs of level-triggered IRs after a
// trigger-mode change.
func (c *pic8259) retrigger() {
	lvl := c.levelMask()
	c.IRR = c.IRR&^lvl | c.Lines&lvl
}

// highest returns the highest-priority IR among the bits of m, or -1.
func (c *pic8259) highest(m uint8) int {
	if m == 0 {
		return -1
	}
	first := (int(c.Lowest) + 1) & 7
	r := bits.RotateLeft8(m, -first)
	return (bits.TrailingZeros8(r) + first) & 7
}

// rank is an IR's priority position: 0 is the highest, 7 the lowest.
func (c *pic8259) rank(ir int) int { return (ir - int(c.Lowest) - 1) & 7 }

func (c *pic8259) cascade() bool { return c.ICW1&icw1SNGL == 0 }

// cascadeLine reports whether master IR ir has a slave (ICW3).
func (c *pic8259) cascadeLine(ir int) bool {
	return c.master && c.cascade() && c.ICW3&(1<<uint(ir)) != 0
}

// pending returns the IR whose request INT signals, or -1. In the fully
// nested mode a request must outrank every IR in service; in special mask
// mode any unmasked request whose own ISR bit is clear qualifies; in
// special fully nested mode a slave's IR in service does not block that
// slave's further requests.
func (c *pic8259) pending() int {
	req := c.IRR &^ c.IMR
	if req == 0 {
		return -1
	}
	if c.SpecialMask {
		return c.highest(req &^ c.ISR)
	}
	ir := c.highest(req)
	top := c.highest(c.ISR)
	if top < 0 || c.rank(ir) < c.rank(top) {
		return ir
	}
	if ir == top && c.ICW4&icw4SFNM != 0 && c.cascadeLine(ir) {
		return ir
	}
	return -1
}

func (c *pic8259) vector(ir int) uint8 { return c.ICW2&0xF8 | uint8(ir&7) }

// inta is the first INTA pulse: set the ISR bit, clear the IRR bit.
// Level-triggered IRR bits follow the input, so they stay set while it is
// high.
func (c *pic8259) inta(ir int) {
	m := uint8(1) << uint(ir)
	c.ISR |= m
	c.IRR &^= m
	c.IRR |= c.Lines & c.levelMask() & m
}

// autoEOI is the end of the last INTA pulse: in AEOI mode the ISR bit just
// set is cleared ("Automatic End of Interrupt (AEOI) Mode") and, with
// rotate in AEOI set, that IR becomes the lowest priority ("Automatic
// Rotation").
func (c *pic8259) autoEOI(ir int) {
	if c.ICW4&icw4AEOI == 0 {
		return
	}
	c.ISR &^= 1 << uint(ir)
	if c.RotateAEOI {
		c.Lowest = uint8(ir)
	}
}

// eoiTarget is the ISR bit a non-specific EOI clears: the highest priority
// one, except that in special mask mode an ISR bit masked by the IMR is
// not cleared ("End of Interrupt").
func (c *pic8259) eoiTarget() int {
	isr := c.ISR
	if c.SpecialMask {
		isr &^= c.IMR
	}
	return c.highest(isr)
}

func (c *pic8259) out(a0 uint16, v uint8) {
	if a0 == 0 {
		switch {
		case v&icw1Sel != 0:
			c.icw1(v)
		case v&ocw3Sel != 0:
			c.ocw3(v)
		default:
			c.ocw2(v)
		}
		return
	}
	switch c.InitStep {
	case 2:
		c.ICW2 = v
		switch {
		case c.cascade():
			c.InitStep = 3
		case c.ICW1&icw1IC4 != 0:
			c.InitStep = 4
		default:
			c.InitStep = 0
		}
	case 3:
		c.ICW3 = v
		if c.ICW1&icw1IC4 != 0 {
			c.InitStep = 4
		} else {
			c.InitStep = 0
		}
	case 4:
		c.ICW4 = v
		c.InitStep = 0
	default:
		c.IMR = v // OCW1
	}
}

// icw1 starts initialization ("Initialization Command Words"): the edge
// sense circuit is reset, the IMR cleared, IR7 gets the lowest priority,
// the slave address is 7, special mask mode is cleared and status read is
// set to IRR; with IC4=0 the ICW4 functions are all zero. The datasheet
// does not say what happens to IRR and ISR; like other PC chipsets'
// emulations we clear both, so an IR already high must rise again.
func (c *pic8259) icw1(v uint8) {
	c.ICW1 = v
	c.IMR = 0
	c.ISR = 0
	c.IRR = 0
	c.Lowest = 7
	c.ICW3 = 7
	c.SpecialMask = false
	c.ReadISR = false
	c.Poll = false
	c.RotateAEOI = false
	if v&icw1IC4 == 0 {
		c.ICW4 = 0
	}
	c.InitStep = 2
	c.retrigger()
}

// ocw2 handles the EOI and rotation commands (R, SL, EOI in D7-D5; level
// in D2-D0).
func (c *pic8259) ocw2(v uint8) {
	l := int(v & 7)
	switch v >> 5 {
	case 1: // non-specific EOI
		if ir := c.eoiTarget(); ir >= 0 {
			c.ISR &^= 1 << uint(ir)
		}
	case 3: // specific EOI
		c.ISR &^= 1 << uint(l)
	case 5: // rotate on non-specific EOI
		if ir := c.eoiTarget(); ir >= 0 {
			c.ISR &^= 1 << uint(ir)
			c.Lowest = uint8(ir)
		}
	case 4: // rotate in automatic EOI mode (set)
		c.RotateAEOI = true
	case 0: // rotate in automatic EOI mode (clear)
		c.RotateAEOI = false
	case 7: // rotate on specific EOI
		c.ISR &^= 1 << uint(l)
		c.Lowest = uint8(l)
	case 6: // set priority: L becomes the lowest
		c.Lowest = uint8(l)
	case 2: // no operation
	}
}

func (c *pic8259) ocw3(v uint8) {
	if v&ocw3ESMM != 0 {
		c.SpecialMask = v&ocw3SMM != 0
	}
	if v&ocw3RR != 0 {
		c.ReadISR = v&ocw3RIS != 0
	}
	c.Poll = v&ocw3P != 0
}

// in reads A0=0 (IRR or ISR per OCW3) or A0=1 (IMR). After a poll command
// the next read of either address is the poll word ("Poll Command"): the
// read acts as an interrupt acknowledge and returns 80h | level, or 00h
// with no request.
func (c *pic8259) in(a0 uint16) uint8 {
	if c.Poll {
		c.Poll = false
		ir := c.pending()
		if ir < 0 {
			return 0
		}
		c.inta(ir)
		c.autoEOI(ir)
		return 0x80 | uint8(ir)
	}
	if a0 != 0 {
		return c.IMR
	}
	if c.ReadISR {
		return c.ISR
	}
	return c.IRR
}
