// Motorola MC146818A Real-Time Clock plus RAM (Motorola MC146818A
// datasheet) at 70h/71h as in the PC/AT, with the 128 bytes of the
// PIIX3's RTC (Intel 82371SB datasheet, "Real Time Clock"); byte 32h is
// the IBM AT century byte.
//
// Section names in comments refer to the MC146818A datasheet: "Address
// Map", "Time, Calendar, and Alarm Locations" (table "Time, Calendar, and
// Alarm Data Modes"), "Update Cycle", "Register A" to "Register D",
// "Periodic Interrupt" (table "Periodic Interrupt Rate and Square-Wave
// Output Frequency") and "Interrupts".

package devices

import "time"

// CMOSPort is the RTC's index port; the data port follows it.
const CMOSPort = 0x70

// Register numbers ("Address Map").
const (
	rtcSeconds      = 0x00
	rtcSecondsAlarm = 0x01
	rtcMinutes      = 0x02
	rtcMinutesAlarm = 0x03
	rtcHours        = 0x04
	rtcHoursAlarm   = 0x05
	rtcDayOfWeek    = 0x06
	rtcDate         = 0x07
	rtcMonth        = 0x08
	rtcYear         = 0x09
	rtcRegA         = 0x0A
	rtcRegB         = 0x0B
	rtcRegC         = 0x0C
	rtcRegD         = 0x0D
	rtcCentury      = 0x32 // IBM AT convention
	cmosChecksumHi  = 0x2E
	cmosChecksumLo  = 0x2F
)

// Register bits.
const (
	regAUIP     = 0x80
	regADV      = 0x70
	regADVClock = 0x20 // DV2-DV0 = 010: 32.768 kHz time base, running
	regARS      = 0x0F

	regBSET  = 0x80
	regBPIE  = 0x40
	regBAIE  = 0x20
	regBUIE  = 0x10
	regBSQWE = 0x08
	regBDM   = 0x04 // 1 = binary, 0 = BCD
	regB24   = 0x02 // 1 = 24-hour, 0 = 12-hour
	regBDSE  = 0x01

	regCIRQF = 0x80
	regCPF   = 0x40
	regCAF   = 0x20
	regCUF   = 0x10

	regDVRT = 0x80

	hourPM = 0x80 // 12-hour mode
)

// uipLeadNs is tBUC, the time UIP is set before an update ("Register A":
// when UIP is 0 the update will not occur for at least 244 µs). The update
// itself is modelled as instant at the end of it.
const uipLeadNs = 244000

// CMOSState is the RTC's state for snapshots.
type CMOSState struct {
	// RAM is the register file. The time registers hold their bytes as of
	// Ref; register C holds the flags latched by Ref; register A's UIP
	// and register D are computed when read.
	RAM [128]uint8
	// Index is the register selected through port 70h (bits 6-0);
	// NMIMasked is bit 7 of the last write to 70h.
	Index     uint8
	NMIMasked bool
	// Ref is the clock time RAM describes.
	Ref int64
	// Origin is the clock time the divider chain left reset: updates
	// happen at Origin + 0.5 s + k s and periodic flags at odd multiples
	// of half the period after it.
	Origin int64
	// IRQ is the level last driven on IRQ8.
	IRQ bool
}

// CMOS is the MC146818A RTC and its battery-backed RAM. Time is kept in
// the time registers themselves and advanced by whole updates computed
// from the clock when accessed, so a time the guest writes persists.
// Periodic, alarm and update-ended interrupts drive IRQ8 through deadline
// timers.
type CMOS struct {
	clock *Clock
	irq   IRQLine
	timer *Timer
	s     CMOSState
}

// NewCMOS returns an RTC registered on bus at 70h/71h. The clock shows
// base's wall-clock fields (in base's own location) at the clock's current
// time, with its next update when base's fraction of a second completes.
// Register A starts at 26h and B at 02h (running, 1024 Hz rate, BCD,
// 24-hour), as a PC BIOS leaves them. irq8 may be nil.
func NewCMOS(bus *Bus, clock *Clock, irq8 IRQLine, base time.Time) (*CMOS, error) {
	if clock == nil {
		clock = NewClock()
	}
	c := &CMOS{clock: clock, irq: irq8}
	c.timer = clock.NewTimer("rtc", c.fire)
	now := clock.Now()
	r := &c.s.RAM
	r[rtcRegA] = regADVClock | 0x06
	r[rtcRegB] = regB24
	r[rtcRegD] = regDVRT
	c.s.Ref = now
	c.s.Origin = now - int64(base.Nanosecond()) - 5e8
	t := time.Date(base.Year(), base.Month(), base.Day(), base.Hour(), base.Minute(), base.Second(), 0, time.UTC)
	c.setRegTime(t)
	r[rtcDayOfWeek] = c.enc(int(t.Weekday()) + 1) // 1 = Sunday
	if bus == nil {
		return c, nil
	}
	if err := bus.Register(CMOSPort, 2, ByteOnly{InB: c.in, OutB: c.out}); err != nil {
		return nil, err
	}
	return c, nil
}

// NMIMasked reports bit 7 of the last write to port 70h (1 masks NMI).
func (c *CMOS) NMIMasked() bool { return c.s.NMIMasked }

// Byte reads register or RAM byte index (mod 128) as the guest would,
// except that reading register C does not clear it.
func (c *CMOS) Byte(index uint8) uint8 { return c.read(index&0x7F, false) }

// SetByte writes register or RAM byte index (mod 128) as the guest would.
func (c *CMOS) SetByte(index, v uint8) { c.write(index&0x7F, v) }

// UpdateChecksum stores the IBM AT checksum of bytes 10h-2Dh, their 16-bit
// sum, at 2Eh (high byte) and 2Fh (low byte), and returns it.
func (c *CMOS) UpdateChecksum() uint16 {
	var sum uint16
	for i := 0x10; i <= 0x2D; i++ {
		sum += uint16(c.s.RAM[i])
	}
	c.s.RAM[cmosChecksumHi] = uint8(sum >> 8)
	c.s.RAM[cmosChecksumLo] = uint8(sum)
	return sum
}

// State returns the RTC's state.
func (c *CMOS) State() CMOSState {
	c.sync(c.clock.Now())
	return c.s
}

// SetState restores a state from State, taken at the clock's current time,
// re-arming the timer and driving IRQ8 to match.
func (c *CMOS) SetState(s CMOSState) {
	c.s = s
	c.s.Index &= 0x7F
	c.s.RAM[rtcRegA] &^= regAUIP
	c.s.RAM[rtcRegC] &= regCPF | regCAF | regCUF
	c.s.RAM[rtcRegD] = regDVRT
	c.s.IRQ = c.s.RAM[rtcRegC]&c.s.RAM[rtcRegB]&0x70 != 0
	if c.irq != nil {
		c.irq.SetLevel(c.s.IRQ)
	}
	c.refresh(c.clock.Now())
}

func (c *CMOS) in(port uint16) uint8 {
	if port == CMOSPort {
		return 0xFF // the index register is write-only
	}
	return c.read(c.s.Index, true)
}

func (c *CMOS) out(port uint16, v uint8) {
	if port == CMOSPort {
		c.s.Index = v & 0x7F
		c.s.NMIMasked = v&0x80 != 0
		return
	}
	c.write(c.s.Index, v)
}

func (c *CMOS) read(i uint8, guest bool) uint8 {
	now := c.clock.Now()
	c.sync(now)
	r := &c.s.RAM
	switch i {
	case rtcRegA:
		v := r[rtcRegA] &^ regAUIP
		if c.uip(now) {
			v |= regAUIP
		}
		return v
	case rtcRegC:
		v := r[rtcRegC] &^ regCIRQF
		if v&r[rtcRegB]&0x70 != 0 {
			v |= regCIRQF
		}
		if guest { // "Register C": all flags clear when read
			r[rtcRegC] = 0
			c.refresh(now)
		}
		return v
	case rtcRegD:
		return regDVRT // "the VRT bit is set to 1 by reading register D"
	}
	if (r[rtcRegC]&r[rtcRegB]&0x70 != 0) != c.s.IRQ {
		c.refresh(now)
	}
	return r[i]
}

func (c *CMOS) write(i uint8, v uint8) {
	now := c.clock.Now()
	c.sync(now)
	r := &c.s.RAM
	switch i {
	case rtcRegA:
		// UIP is read-only. Leaving divider reset (or any setting but
		// DV=010) starts the chain: the first update comes half a second
		// later ("Register A", DV2-DV0).
		was := c.running()
		r[rtcRegA] = v &^ regAUIP
		if !was && c.running() {
			c.s.Origin = now
		}
	case rtcRegB:
		// "The SET bit going high clears the UIE bit"; SET=1 inhibits
		// updates (and so UIP).
		if v&regBSET != 0 && r[rtcRegB]&regBSET == 0 {
			v &^= regBUIE
		}
		r[rtcRegB] = v
	case rtcRegC, rtcRegD: // read-only
	default:
		r[i] = v
	}
	c.refresh(now)
}

// fire is the timer callback: an enabled interrupt source is due.
func (c *CMOS) fire(now int64) {
	c.sync(now)
	c.refresh(now)
}

// running reports whether the divider runs from the 32.768 kHz time base.
// Divider reset (11x) and the settings meant for other crystals stop it.
func (c *CMOS) running() bool { return c.s.RAM[rtcRegA]&regADV == regADVClock }

// updating reports whether update cycles happen (divider running, SET=0).
func (c *CMOS) updating() bool { return c.running() && c.s.RAM[rtcRegB]&regBSET == 0 }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// updateIndex is the index of the last update at or before time x.
func (c *CMOS) updateIndex(x int64) int64 { return floorDiv(x-c.s.Origin-5e8, 1e9) }

func (c *CMOS) updateTime(k int64) int64 { return c.s.Origin + 5e8 + k*1e9 }

// uip: UIP is 1 for tBUC before each update.
func (c *CMOS) uip(now int64) bool {
	return c.updating() && c.updateTime(c.updateIndex(now)+1)-now <= uipLeadNs
}

// halfRate is twice the periodic interrupt rate in Hz (the rate of the
// selected divider tap's transitions), or 0 when RS3-RS0 = 0. With the
// 32.768 kHz time base, rates 1 and 2 equal rates 8 and 9 (table
// "Periodic Interrupt Rate"); rate r gives 2^(16-r) Hz.
func (c *CMOS) halfRate() int64 {
	rs := int64(c.s.RAM[rtcRegA] & regARS)
	if rs == 0 {
		return 0
	}
	if rs < 3 {
		rs += 7
	}
	return 1 << uint(17-rs)
}

// halfIndex is the number of tap transitions (at rate f per second) from
// Origin to x: floor((x - Origin) * f / 1e9).
func (c *CMOS) halfIndex(x, f int64) int64 {
	d := x - c.s.Origin
	q := floorDiv(d, 1e9)
	return q*f + (d-q*1e9)*f/1e9
}

// halfTime is the time of transition m: Origin + ceil(m * 1e9 / f).
func (c *CMOS) halfTime(m, f int64) int64 {
	q := floorDiv(m, f)
	r := m - q*f
	return c.s.Origin + q*1e9 + (r*1e9+f-1)/f
}

// edgeCount is the number of periodic flags up to x: the odd transitions
// of the tap, the first half a period after the divider leaves reset.
func (c *CMOS) edgeCount(x, f int64) int64 { return floorDiv(c.halfIndex(x, f)+1, 2) }

func (c *CMOS) nextEdge(x, f int64) int64 {
	m := c.halfIndex(x, f) + 1
	if m&1 == 0 {
		m++
	}
	return c.halfTime(m, f)
}

// sync brings the time registers and flags from Ref to now. PF, UF and AF
// are set whether or not their interrupts are enabled ("Register C").
func (c *CMOS) sync(now int64) {
	if now <= c.s.Ref {
		return
	}
	if c.running() {
		r := &c.s.RAM
		if f := c.halfRate(); f != 0 && c.edgeCount(now, f) > c.edgeCount(c.s.Ref, f) {
			r[rtcRegC] |= regCPF
		}
		if c.updating() {
			if k := c.updateIndex(now) - c.updateIndex(c.s.Ref); k > 0 {
				r[rtcRegC] |= regCUF
				if a := c.alarmIn(); a > 0 && a <= k {
					r[rtcRegC] |= regCAF
				}
				c.advanceTime(k)
			}
		}
	}
	c.s.Ref = now
}

// refresh drives IRQ8 from IRQF = PF·PIE + AF·AIE + UF·UIE and, while it
// is low, arms the timer for the next enabled source.
func (c *CMOS) refresh(now int64) {
	r := &c.s.RAM
	irqf := r[rtcRegC]&r[rtcRegB]&0x70 != 0
	if irqf {
		r[rtcRegC] |= regCIRQF
	} else {
		r[rtcRegC] &^= regCIRQF
	}
	if irqf != c.s.IRQ {
		c.s.IRQ = irqf
		if c.irq != nil {
			c.irq.SetLevel(irqf)
		}
	}
	if irqf || !c.running() {
		c.timer.Cancel()
		return
	}
	next := int64(-1)
	b := r[rtcRegB]
	if f := c.halfRate(); f != 0 && b&regBPIE != 0 {
		next = c.nextEdge(now, f)
	}
	if c.updating() {
		k := c.updateIndex(now)
		if b&regBUIE != 0 {
			next = earliest(next, c.updateTime(k+1))
		}
		if b&regBAIE != 0 {
			if a := c.alarmIn(); a > 0 {
				next = earliest(next, c.updateTime(k+a))
			}
		}
	}
	if next >= 0 {
		c.timer.Schedule(next)
	} else {
		c.timer.Cancel()
	}
}

func earliest(a, b int64) int64 {
	if a < 0 || b < a {
		return b
	}
	return a
}

// Data mode ("Time, Calendar, and Alarm Data Modes"): DM=0 BCD, DM=1
// binary; in 12-hour mode hours are 1-12 with bit 7 set for PM. The
// registers are not converted when DM or 24/12 changes; as the datasheet
// requires, software rewrites them.

func (c *CMOS) binary() bool { return c.s.RAM[rtcRegB]&regBDM != 0 }

func (c *CMOS) dec(v uint8) int {
	if c.binary() {
		return int(v)
	}
	return int(v>>4)*10 + int(v&15)
}

func (c *CMOS) enc(n int) uint8 {
	if c.binary() {
		return uint8(n)
	}
	n %= 100
	return uint8(n/10<<4 | n%10)
}

func (c *CMOS) decHour(v uint8) int {
	if c.s.RAM[rtcRegB]&regB24 != 0 {
		return c.dec(v)
	}
	h := c.dec(v&^hourPM) % 12
	if v&hourPM != 0 {
		h += 12
	}
	return h
}

func (c *CMOS) encHour(h int) uint8 {
	if c.s.RAM[rtcRegB]&regB24 != 0 {
		return c.enc(h)
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	v := c.enc(h12)
	if h >= 12 {
		v |= hourPM
	}
	return v
}

// regTime is the time in the registers. Out-of-range values are
// normalized (the datasheet leaves their increments unspecified).
func (c *CMOS) regTime() time.Time {
	r := &c.s.RAM
	year := c.dec(r[rtcCentury])*100 + c.dec(r[rtcYear])
	return time.Date(year, time.Month(c.dec(r[rtcMonth])), c.dec(r[rtcDate]),
		c.decHour(r[rtcHours]), c.dec(r[rtcMinutes]), c.dec(r[rtcSeconds]), 0, time.UTC)
}

// setRegTime stores t in the time registers except the day of week.
func (c *CMOS) setRegTime(t time.Time) {
	r := &c.s.RAM
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	y = int(wrap(int64(y), 10000))
	r[rtcCentury] = c.enc(y / 100)
	r[rtcYear] = c.enc(y % 100)
	r[rtcMonth] = c.enc(int(mo))
	r[rtcDate] = c.enc(d)
	r[rtcHours] = c.encHour(h)
	r[rtcMinutes] = c.enc(mi)
	r[rtcSeconds] = c.enc(s)
}

// advanceTime performs k update cycles. The calendar is Gregorian with the
// century byte; the day of week is its own counter, 1-7, stepped at each
// midnight.
func (c *CMOS) advanceTime(k int64) {
	t0 := c.regTime()
	u0 := t0.Unix()
	t1 := time.Unix(u0+k, 0).UTC()
	days := floorDiv(u0+k, 86400) - floorDiv(u0, 86400)
	r := &c.s.RAM
	r[rtcDayOfWeek] = c.enc(int(wrap(int64(c.dec(r[rtcDayOfWeek])-1)+days, 7)) + 1)
	c.setRegTime(t1)
}

// alarmIn is the number of updates until the first whose new time matches
// the alarm registers, or 0 if none ever does. An alarm byte with its two
// high bits set is "don't care" ("Interrupts", alarm).
func (c *CMOS) alarmIn() int64 {
	r := &c.s.RAM
	as, am, ah := r[rtcSecondsAlarm], r[rtcMinutesAlarm], r[rtcHoursAlarm]
	sod := wrap(c.regTime().Unix()+1, 86400) // time of day after the next update
	for d := int64(0); d < 2; d++ {
		for h := 0; h < 24; h++ {
			hb := d*86400 + int64(h)*3600
			if hb+3599 < sod || ah&0xC0 != 0xC0 && c.encHour(h) != ah {
				continue
			}
			for m := 0; m < 60; m++ {
				mb := hb + int64(m)*60
				if mb+59 < sod || am&0xC0 != 0xC0 && c.enc(m) != am {
					continue
				}
				for s := 0; s < 60; s++ {
					t := mb + int64(s)
					if t < sod || as&0xC0 != 0xC0 && c.enc(s) != as {
						continue
					}
					return t - sod + 1
				}
			}
		}
	}
	return 0
}
