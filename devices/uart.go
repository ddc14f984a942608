// uart.go implements the National Semiconductor PC16550D UART with FIFOs
// (datasheet "PC16550D Universal Asynchronous Receiver/Transmitter with
// FIFOs", National Semiconductor, June 1995; TI's TL16C550 is register
// compatible), wired as on the PC's COM ports: the INTR output reaches the
// ISA IRQ line only through a buffer enabled by the OUT2 modem output.
//
// Quoted names ("Line Status Register", ...) are sections of that datasheet.
//
// Timing model. The baud generator runs from the PC's 1.8432 MHz crystal, so
// the bit rate is 1843200/(16*divisor) = 115200/divisor ("Programmable Baud
// Generator"). A character takes 1 start bit + 5..8 data bits + optional parity
// + 1, 1.5 or 2 stop bits ("Line Control Register", LCR). Nothing ticks: the
// transmitter schedules a Timer for the end of the character in its shift
// register, the receiver polls the host backend on a Timer at the character
// rate, and the character-timeout indication is another Timer, 4 character
// times after the last receiver activity ("FIFO Interrupt Mode Operation").
//
// Data bits. The word length (LCR0-1) sets the character time, but bytes pass
// to and from the backend whole, as in QEMU: the reset LCR is 5N1 ("UART
// Reset Configuration" table), and guests that print without programming the
// UART, as many do on emulators, would otherwise send garbage.
package devices

import (
	"errors"
	"fmt"
)

// The PC's standard COM port assignments.
const (
	COM1Base uint16 = 0x3F8
	COM2Base uint16 = 0x2F8
	COM3Base uint16 = 0x3E8
	COM4Base uint16 = 0x2E8
	COM1IRQ         = 4
	COM2IRQ         = 3
	COM3IRQ         = 4
	COM4IRQ         = 3
)

const (
	uartBaud      = 115200 // 1.8432 MHz / 16 ("Programmable Baud Generator")
	uartFIFOSize  = 16     // 16-byte FIFOs (datasheet features)
	uartNSPerSec  = 1_000_000_000
	uartTimeoutCh = 4 // idle character times before a timeout ("FIFO Interrupt Mode Operation")

	// IER bits ("Interrupt Enable Register").
	uartIERRDA  = 0x01 // ERBFI: received data available (and timeout)
	uartIERTHRE = 0x02 // ETBEI: transmitter holding register empty
	uartIERRLS  = 0x04 // ELSI: receiver line status
	uartIERMS   = 0x08 // EDSSI: modem status

	// IIR identification codes ("Interrupt Control Functions" table).
	uartIIRNone    = 0x01
	uartIIRRLS     = 0x06
	uartIIRRDA     = 0x04
	uartIIRTimeout = 0x0C
	uartIIRTHRE    = 0x02
	uartIIRMS      = 0x00
	uartIIRFIFOs   = 0xC0 // IIR6-7 set when FCR0 = 1

	// LSR bits ("Line Status Register").
	uartLSRDR      = 0x01
	uartLSROE      = 0x02
	uartLSRPE      = 0x04
	uartLSRFE      = 0x08
	uartLSRBI      = 0x10
	uartLSRTHRE    = 0x20
	uartLSRTEMT    = 0x40
	uartLSRFIFOErr = 0x80
	uartLSRErrMask = uartLSROE | uartLSRPE | uartLSRFE | uartLSRBI

	// LCR bits ("Line Control Register").
	uartLCRSTB   = 0x04
	uartLCRPEN   = 0x08
	uartLCRBreak = 0x40
	uartLCRDLAB  = 0x80

	// MCR bits ("Modem Control Register").
	uartMCRDTR  = 0x01
	uartMCRRTS  = 0x02
	uartMCROUT1 = 0x04
	uartMCROUT2 = 0x08
	uartMCRLoop = 0x10

	// MSR bits ("Modem Status Register").
	uartMSRDCTS = 0x01
	uartMSRDDSR = 0x02
	uartMSRTERI = 0x04
	uartMSRDDCD = 0x08
	uartMSRCTS  = 0x10
	uartMSRDSR  = 0x20
	uartMSRRI   = 0x40
	uartMSRDCD  = 0x80

	// uartIdleModem is what the modem inputs read when not in loopback:
	// a null-modem cable to a host that is always ready (CTS, DSR and DCD
	// asserted, no ring), as QEMU reports.
	uartIdleModem = uartMSRCTS | uartMSRDSR | uartMSRDCD
)

// UARTChar is one received character with the LSR error bits (PE, FE, BI) that
// belong to it ("Line Status Register": in FIFO mode errors travel with their
// character and show in the LSR when it reaches the top of the FIFO).
type UARTChar struct {
	Data   uint8
	Errors uint8
}

// UARTState is a UART's complete state, for snapshots. Deadline fields are
// virtual times in ns, or -1 when the timer is not armed; they are filled
// by State and used by SetState.
type UARTState struct {
	IER, LCR, MCR, SCR, DLL, DLM, FCR uint8
	RBR                               uint8 // last byte read; read again when the receiver is empty
	MSRInputs                         uint8 // MSR bits 4-7 as last sampled
	MSRDeltas                         uint8 // MSR bits 0-3
	LSRErrors                         uint8 // latched OE, PE, FE, BI
	FIFOError                         bool  // LSR bit 7
	RX                                []UARTChar
	TX                                []byte
	TSRFull                           bool
	TSR                               uint8
	THRIPending                       bool  // THRE interrupt latch
	Timeout                           bool  // character timeout indication
	LastRX                            int64 // last receive or CPU read of the RX FIFO
	TXTwo                             bool  // XMIT FIFO held 2 bytes at once since THRE was last set
	FCR0Changed                       bool  // no THRE interrupt yet since FCR0 changed
	IRQ                               bool  // level last driven on the IRQ line

	TXDoneAt, RXPollAt, TimeoutAt, THRIAt, BreakAt int64
}

// UART is a 16550A at an I/O base, raising an IRQ line, talking to a host
// SerialBackend.
type UART struct {
	bus     *Bus
	clock   *Clock
	base    uint16
	irq     IRQLine
	backend SerialBackend
	// txSpeedup divides the transmit character time (SetTransmitSpeedup).
	txSpeedup int64
	pollIn    bool

	st UARTState

	txTimer   *Timer // end of the character in the transmitter shift register
	rxTimer   *Timer // receiver polls the backend once per character time
	toTimer   *Timer // character timeout check
	thriTimer *Timer // delayed FIFO-mode THRE interrupt ("FIFO Interrupt Mode Operation")
	brkTimer  *Timer // break detection in loopback
}

// NewUART creates a 16550A at ports base..base+7 driving irq (which may be
// nil) and registers it on the bus. A nil backend behaves like "none".
func NewUART(bus *Bus, clock *Clock, base uint16, irq IRQLine, backend SerialBackend) (*UART, error) {
	if bus == nil || clock == nil {
		return nil, errors.New("devices: NewUART needs a bus and a clock")
	}
	if backend == nil {
		backend = NullBackend{}
	}
	_, noInput := backend.(serialNoInput)
	u := &UART{bus: bus, clock: clock, base: base, irq: irq, backend: backend, pollIn: !noInput, txSpeedup: 1}
	name := fmt.Sprintf("uart@%#x", base)
	u.txTimer = clock.NewTimer(name+" tx", u.onTXDone)
	u.rxTimer = clock.NewTimer(name+" rx", u.onRXPoll)
	u.toTimer = clock.NewTimer(name+" timeout", u.onTimeout)
	u.thriTimer = clock.NewTimer(name+" thre", u.onTHRIDelay)
	u.brkTimer = clock.NewTimer(name+" break", u.onBreak)
	u.st = UARTState{
		// The "UART Reset Configuration" table gives IER, FCR, LCR, MCR
		// = 0, LSR = 0x60, IIR = 0x01. The divisor latch is not reset;
		// we start at 1 (115200 baud) so a guest that never programs it
		// still sees a sensible rate.
		DLL:       1,
		MSRInputs: uartIdleModem,
		LastRX:    clock.Now(),
	}
	if err := bus.Register(base, 8, ByteOnly{InB: u.inb, OutB: u.outb}); err != nil {
		return nil, err
	}
	if u.pollIn {
		u.rxTimer.Schedule(clock.Now() + u.charNS())
	}
	return u, nil
}

// Backend returns the host side the UART talks to.
func (u *UART) Backend() SerialBackend { return u.backend }

func (u *UART) fifoOn() bool { return u.st.FCR&0x01 != 0 }
func (u *UART) loop() bool   { return u.st.MCR&uartMCRLoop != 0 }

func (u *UART) divisor() int64 {
	d := int64(u.st.DLM)<<8 | int64(u.st.DLL)
	if d == 0 {
		d = 65536 // the 16-bit down-counter wraps: our reading of a 0 divisor
	}
	return d
}

// stopHalfBits is the stop-bit length in half bits: 1, or 1.5 with a
// 5-bit word, or 2 (LCR2, "Line Control Register").
func (u *UART) stopHalfBits() int64 {
	switch {
	case u.st.LCR&uartLCRSTB == 0:
		return 2
	case u.st.LCR&0x03 == 0:
		return 3
	default:
		return 4
	}
}

func (u *UART) halfBitsToNS(h int64) int64 {
	return h * u.divisor() * uartNSPerSec / (2 * uartBaud)
}

// charNS is the time one character takes on the line with the current LCR
// and divisor: start + data + parity + stop bits.
func (u *UART) charNS() int64 {
	h := 2 + 2*(int64(u.st.LCR&0x03)+5) + u.stopHalfBits()
	if u.st.LCR&uartLCRPEN != 0 {
		h += 2
	}
	return u.halfBitsToNS(h)
}

func (u *UART) stopNS() int64 { return u.halfBitsToNS(u.stopHalfBits()) }

// SetTransmitSpeedup makes the transmitter send n times faster than the
// programmed baud rate (n >= 1; 1 is the datasheet's timing). A host
// terminal is not a serial line: QEMU and v86 pass bytes on at once, and
// guests that poll THRE (every kernel console) otherwise spend most of
// their time waiting for a 9600-baud line. Receive timing is unchanged.
func (u *UART) SetTransmitSpeedup(n int64) {
	if n < 1 {
		n = 1
	}
	u.txSpeedup = n
}

// txNS is the time the transmitter takes for one character.
func (u *UART) txNS() int64 {
	t := u.charNS() / u.txSpeedup
	if t < 1 {
		t = 1
	}
	return t
}

// txStopNS is the stop-bit time at the transmit speed.
func (u *UART) txStopNS() int64 { return u.stopNS() / u.txSpeedup }

func (u *UART) triggerLevel() int {
	return [4]int{1, 4, 8, 14}[u.st.FCR>>6] // FCR6-7 ("FIFO Control Register")
}

func (u *UART) rdaActive() bool {
	if u.fifoOn() {
		return len(u.st.RX) >= u.triggerLevel()
	}
	return len(u.st.RX) > 0
}

// iir computes the highest-priority pending interrupt ("Interrupt Control
// Functions" table): line status > received data / timeout > THR empty > modem
// status.
func (u *UART) iir() uint8 {
	s := &u.st
	id := uint8(uartIIRNone)
	switch {
	case s.IER&uartIERRLS != 0 && s.LSRErrors != 0:
		id = uartIIRRLS
	case s.IER&uartIERRDA != 0 && u.rdaActive():
		id = uartIIRRDA
	case s.IER&uartIERRDA != 0 && u.fifoOn() && s.Timeout:
		id = uartIIRTimeout
	case s.IER&uartIERTHRE != 0 && s.THRIPending && len(s.TX) == 0:
		id = uartIIRTHRE
	case s.IER&uartIERMS != 0 && s.MSRDeltas != 0:
		id = uartIIRMS
	}
	if u.fifoOn() {
		id |= uartIIRFIFOs
	}
	return id
}

// update drives the IRQ line: INTR gated by OUT2 as on the PC. In loopback the
// datasheet forces the modem-control output pins, OUT2 included, inactive
// ("Modem Control Register" MCR4), so the PC's IRQ buffer is disabled there
// too.
func (u *UART) update() {
	s := &u.st
	level := u.iir()&0x01 == 0 && s.MCR&uartMCROUT2 != 0 && !u.loop()
	if level != s.IRQ {
		s.IRQ = level
		if u.irq != nil {
			u.irq.SetLevel(level)
		}
	}
}

func (u *UART) inb(port uint16) uint8 {
	off := port - u.base
	if off >= 8 {
		// A wide access ran past our 8 registers: the ISA bus splits
		// it, so the rest goes to whatever decodes that port.
		return uint8(u.bus.In(port, 1))
	}
	s := &u.st
	dlab := s.LCR&uartLCRDLAB != 0
	switch off {
	case 0:
		if dlab {
			return s.DLL
		}
		return u.readRBR()
	case 1:
		if dlab {
			return s.DLM
		}
		return s.IER
	case 2:
		return u.readIIR()
	case 3:
		return s.LCR
	case 4:
		return s.MCR
	case 5:
		return u.readLSR()
	case 6:
		return u.readMSR()
	default:
		return s.SCR
	}
}

func (u *UART) outb(port uint16, v uint8) {
	off := port - u.base
	if off >= 8 {
		u.bus.Out(port, 1, uint32(v))
		return
	}
	s := &u.st
	dlab := s.LCR&uartLCRDLAB != 0
	switch off {
	case 0:
		if dlab {
			s.DLL = v
			return
		}
		u.writeTHR(v)
	case 1:
		if dlab {
			s.DLM = v
			return
		}
		u.writeIER(v)
	case 2:
		u.writeFCR(v)
	case 3:
		u.writeLCR(v)
	case 4:
		u.writeMCR(v)
	case 5, 6:
		// LSR and MSR are read-only in normal use ("Line Status
		// Register": writing the LSR is for factory test only); writes
		// are ignored.
	default:
		s.SCR = v
	}
}

// readRBR pops the receiver buffer ("Receiver Buffer Register"). In FIFO mode a
// read resets the timeout timer and clears a timeout indication ("FIFO
// Interrupt Mode Operation"), and reveals the errors of the next character
// ("Line Status Register").
func (u *UART) readRBR() uint8 {
	s := &u.st
	if len(s.RX) == 0 {
		return s.RBR
	}
	ch := s.RX[0]
	copy(s.RX, s.RX[1:])
	s.RX = s.RX[:len(s.RX)-1]
	s.RBR = ch.Data
	if u.fifoOn() {
		s.Timeout = false
		s.LastRX = u.clock.Now()
		if len(s.RX) > 0 {
			s.LSRErrors |= s.RX[0].Errors
		}
		u.armTimeout()
	}
	u.update()
	return ch.Data
}

// readIIR reports the pending interrupt; reading it clears a THRE
// interrupt when that is what it reports ("Interrupt Reset Control" in
// the "Interrupt Control Functions" table).
func (u *UART) readIIR() uint8 {
	v := u.iir()
	if v&0x0F == uartIIRTHRE {
		u.st.THRIPending = false
		u.update()
	}
	return v
}

// readLSR returns the line status and clears OE, PE, FE and BI ("Line Status
// Register"). LSR7 is cleared unless more errored characters remain in the
// FIFO.
func (u *UART) readLSR() uint8 {
	s := &u.st
	v := s.LSRErrors
	if len(s.RX) > 0 {
		v |= uartLSRDR
	}
	if len(s.TX) == 0 {
		v |= uartLSRTHRE
		if !s.TSRFull {
			v |= uartLSRTEMT
		}
	}
	if u.fifoOn() && s.FIFOError {
		v |= uartLSRFIFOErr
	}
	s.LSRErrors = 0
	s.FIFOError = false
	if u.fifoOn() && len(s.RX) > 1 {
		for _, ch := range s.RX[1:] {
			if ch.Errors != 0 {
				s.FIFOError = true
				break
			}
		}
	}
	u.update()
	return v
}

// readMSR returns the modem status and clears the delta bits ("Modem Status
// Register").
func (u *UART) readMSR() uint8 {
	s := &u.st
	v := s.MSRInputs | s.MSRDeltas
	s.MSRDeltas = 0
	u.update()
	return v
}

// writeTHR loads the transmitter holding register or XMIT FIFO; it clears
// a pending THRE interrupt ("Interrupt Control Functions" table).
func (u *UART) writeTHR(v uint8) {
	s := &u.st
	s.THRIPending = false
	u.thriTimer.Cancel()
	if u.fifoOn() {
		if len(s.TX) < uartFIFOSize {
			s.TX = append(s.TX, v)
		} // a write to a full XMIT FIFO is lost (our choice)
		if len(s.TX) >= 2 {
			s.TXTwo = true
		}
	} else if len(s.TX) == 0 {
		s.TX = append(s.TX, v)
	} else {
		s.TX[0] = v // 16450 mode: the unsent byte is overwritten
	}
	if !s.TSRFull {
		u.startTX(u.clock.Now())
	}
	u.update()
}

// startTX moves the next byte into the transmitter shift register and
// schedules the end of its character.
func (u *UART) startTX(now int64) {
	s := &u.st
	s.TSR = s.TX[0]
	copy(s.TX, s.TX[1:])
	s.TX = s.TX[:len(s.TX)-1]
	s.TSRFull = true
	u.txTimer.Schedule(now + u.txNS())
	if len(s.TX) == 0 {
		u.thrEmptied(now)
	}
}

// thrEmptied runs when the THR/XMIT FIFO becomes empty. In FIFO mode the THRE
// interrupt is delayed one character time minus the last stop bit when the FIFO
// has not held two bytes at once since THRE was last set; the first one after
// FCR0 changes is immediate ("FIFO Interrupt Mode Operation", transmitter).
func (u *UART) thrEmptied(now int64) {
	s := &u.st
	if u.fifoOn() && !s.TXTwo && !s.FCR0Changed {
		u.thriTimer.Schedule(now + u.txNS() - u.txStopNS())
	} else {
		u.setTHRI()
	}
	s.TXTwo = false
}

func (u *UART) setTHRI() {
	u.st.THRIPending = true
	u.st.FCR0Changed = false
}

func (u *UART) onTHRIDelay(int64) {
	if len(u.st.TX) == 0 {
		u.setTHRI()
		u.update()
	}
}

// onTXDone finishes the character in the shift register: it goes to the
// backend, or back into the receiver in loopback ("Modem Control Register"
// MCR4).
func (u *UART) onTXDone(now int64) {
	s := &u.st
	if !s.TSRFull {
		return
	}
	b := s.TSR
	s.TSRFull = false
	if u.loop() {
		u.receive(UARTChar{Data: b}, now)
	} else {
		u.backend.Write(b)
	}
	if len(s.TX) > 0 {
		u.startTX(now)
	}
	u.update()
}

// Flush hands every byte still in the transmitter (shift register and
// THR/FIFO) to the backend at once. The machine calls it when a run ends,
// so output written just before the guest exits is not lost.
func (u *UART) Flush() {
	s := &u.st
	if u.loop() {
		return
	}
	if s.TSRFull {
		u.backend.Write(s.TSR)
		s.TSRFull = false
		u.txTimer.Cancel()
	}
	for _, b := range s.TX {
		u.backend.Write(b)
	}
	s.TX = s.TX[:0]
	u.update()
}

// rxRoom reports whether the receiver can take a character without
// overrunning. The backend is only read when it can, like QEMU's
// can_receive, so host input is never lost to an overrun.
func (u *UART) rxRoom() bool {
	if u.fifoOn() {
		return len(u.st.RX) < uartFIFOSize
	}
	return len(u.st.RX) == 0
}

func (u *UART) onRXPoll(now int64) {
	if !u.loop() && u.rxRoom() {
		if b, ok := u.backend.Read(); ok {
			u.receive(UARTChar{Data: b}, now)
		}
	}
	u.rxTimer.Schedule(now + u.charNS())
}

// receive puts a character that has just finished arriving into the RBR or RCVR
// FIFO. A full RBR (16450 mode) is overwritten; a full FIFO keeps its contents
// and the new character is lost; both set OE ("Line Status Register" LSR1).
func (u *UART) receive(ch UARTChar, now int64) {
	s := &u.st
	if u.fifoOn() {
		if len(s.RX) >= uartFIFOSize {
			s.LSRErrors |= uartLSROE
		} else {
			s.RX = append(s.RX, ch)
			if len(s.RX) == 1 {
				s.LSRErrors |= ch.Errors
			}
			if ch.Errors != 0 {
				s.FIFOError = true
			}
		}
		s.LastRX = now
		u.armTimeout()
	} else {
		if len(s.RX) > 0 {
			s.LSRErrors |= uartLSROE
			s.RX[0] = ch
		} else {
			s.RX = append(s.RX, ch)
		}
		s.LSRErrors |= ch.Errors
	}
	u.update()
}

func (u *UART) armTimeout() {
	if u.fifoOn() && len(u.st.RX) > 0 {
		u.toTimer.Schedule(u.st.LastRX + uartTimeoutCh*u.charNS())
	} else {
		u.toTimer.Cancel()
	}
}

// onTimeout sets the character timeout indication: at least one character in
// the FIFO, none received and none read for 4 character times ("FIFO Interrupt
// Mode Operation").
func (u *UART) onTimeout(now int64) {
	s := &u.st
	if !u.fifoOn() || len(s.RX) == 0 {
		return
	}
	if due := s.LastRX + uartTimeoutCh*u.charNS(); now < due {
		u.toTimer.Schedule(due) // the character time grew since arming
		return
	}
	s.Timeout = true
	u.update()
}

// writeIER sets the interrupt enables (bits 4-7 read as 0, "Interrupt Enable
// Register"). Enabling ETBEI while THRE is set raises a THRE interrupt, which
// Linux's 8250 driver tests for at startup.
func (u *UART) writeIER(v uint8) {
	s := &u.st
	old := s.IER
	s.IER = v & 0x0F
	if s.IER&uartIERTHRE != 0 && old&uartIERTHRE == 0 && len(s.TX) == 0 {
		u.setTHRI()
	}
	u.update()
}

// writeFCR programs the FIFOs ("FIFO Control Register"). Changing FCR0 clears
// both FIFOs; the other bits are only programmed when FCR0 is 1; FCR1 and FCR2
// clear the RCVR and XMIT FIFOs but not the shift registers.
func (u *UART) writeFCR(v uint8) {
	s := &u.st
	enable := v&0x01 != 0
	if enable != u.fifoOn() {
		u.clearRX()
		u.clearTX()
		s.FCR0Changed = true
	}
	if !enable {
		s.FCR &^= 0x01
		u.update()
		return
	}
	s.FCR = v & 0xC9 // enable, DMA mode, trigger level
	if v&0x02 != 0 {
		u.clearRX()
	}
	if v&0x04 != 0 {
		u.clearTX()
	}
	u.update()
}

func (u *UART) clearRX() {
	u.st.RX = u.st.RX[:0]
	u.st.Timeout = false
	u.st.FIFOError = false
	u.toTimer.Cancel()
}

func (u *UART) clearTX() {
	if len(u.st.TX) > 0 {
		u.st.TX = u.st.TX[:0]
		u.setTHRI()
	}
}

// writeLCR sets the line format. Setting break (LCR6) in loopback is
// detected by our receiver after one character time as a 0x00 character
// with BI and FE (a break holds the line spacing through the stop bit).
func (u *UART) writeLCR(v uint8) {
	s := &u.st
	old := s.LCR
	s.LCR = v
	switch {
	case v&uartLCRBreak == 0:
		u.brkTimer.Cancel()
	case old&uartLCRBreak == 0 && u.loop():
		u.brkTimer.Schedule(u.clock.Now() + u.charNS())
	}
}

func (u *UART) onBreak(now int64) {
	if u.loop() && u.st.LCR&uartLCRBreak != 0 {
		u.receive(UARTChar{Data: 0, Errors: uartLSRBI | uartLSRFE}, now)
	}
}

// writeMCR sets the modem controls (bits 5-7 read 0, "Modem Control Register")
// and resamples the modem inputs, which loopback connects to the outputs.
func (u *UART) writeMCR(v uint8) {
	u.st.MCR = v & 0x1F
	u.sampleModem()
	u.update()
}

// sampleModem updates MSR4-7 and latches the delta bits ("Modem Status
// Register"). In loopback CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2 ("Modem Control
// Register" MCR4).
func (u *UART) sampleModem() {
	s := &u.st
	in := uint8(uartIdleModem)
	if u.loop() {
		m := s.MCR
		in = (m&uartMCRRTS)<<3 | (m&uartMCRDTR)<<5 | (m&uartMCROUT1)<<4 | (m&uartMCROUT2)<<4
	}
	changed := in ^ s.MSRInputs
	if changed&uartMSRCTS != 0 {
		s.MSRDeltas |= uartMSRDCTS
	}
	if changed&uartMSRDSR != 0 {
		s.MSRDeltas |= uartMSRDDSR
	}
	if changed&uartMSRRI != 0 && in&uartMSRRI == 0 {
		s.MSRDeltas |= uartMSRTERI // trailing edge of RI only
	}
	if changed&uartMSRDCD != 0 {
		s.MSRDeltas |= uartMSRDDCD
	}
	s.MSRInputs = in
}

func uartDeadline(t *Timer) int64 {
	if at, ok := t.Pending(); ok {
		return at
	}
	return -1
}

func uartArm(t *Timer, at int64) {
	if at >= 0 {
		t.Schedule(at)
	} else {
		t.Cancel()
	}
}

// State returns a copy of the UART's state.
func (u *UART) State() UARTState {
	st := u.st
	st.RX = append([]UARTChar(nil), u.st.RX...)
	st.TX = append([]byte(nil), u.st.TX...)
	st.TXDoneAt = uartDeadline(u.txTimer)
	st.RXPollAt = uartDeadline(u.rxTimer)
	st.TimeoutAt = uartDeadline(u.toTimer)
	st.THRIAt = uartDeadline(u.thriTimer)
	st.BreakAt = uartDeadline(u.brkTimer)
	return st
}

// SetState restores a state from State and re-arms its timers. It does not
// drive the IRQ line: the interrupt controller restores its own inputs.
func (u *UART) SetState(st UARTState) {
	st.RX = append([]UARTChar(nil), st.RX...)
	st.TX = append([]byte(nil), st.TX...)
	if len(st.RX) > uartFIFOSize {
		st.RX = st.RX[:uartFIFOSize]
	}
	if len(st.TX) > uartFIFOSize {
		st.TX = st.TX[:uartFIFOSize]
	}
	st.IER &= 0x0F
	st.MCR &= 0x1F
	st.LSRErrors &= uartLSRErrMask
	u.st = st
	now := u.clock.Now()
	if st.TSRFull && st.TXDoneAt < 0 {
		st.TXDoneAt = now + u.txNS() // never leave a character stuck
	}
	uartArm(u.txTimer, st.TXDoneAt)
	if !st.TSRFull && len(st.TX) > 0 {
		u.startTX(now)
	}
	uartArm(u.toTimer, st.TimeoutAt)
	uartArm(u.thriTimer, st.THRIAt)
	uartArm(u.brkTimer, st.BreakAt)
	switch {
	case !u.pollIn:
		u.rxTimer.Cancel()
	case st.RXPollAt >= 0:
		u.rxTimer.Schedule(st.RXPollAt)
	default:
		u.rxTimer.Schedule(now + u.charNS())
	}
}
