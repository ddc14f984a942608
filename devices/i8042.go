// i8042.go implements the Intel 8042 keyboard controller as programmed in
// PS/2-class PCs (IBM "Personal System/2 Hardware Interface Technical
// Reference", 1988: "Keyboard/Auxiliary Device Controller"; the output
// and input ports as in the IBM "PC AT Technical Reference", 1984,
// "Keyboard Controller"), the PS/2 keyboard behind it (same PS/2
// reference, "Keyboard": commands, responses and scan code sets 1-3), and
// PS/2 "System Control Port A" at 0x92 (fast A20 and fast reset).
//
// Nothing is attached to the auxiliary (mouse) port. The controller still
// has the port, as Linux's i8042 driver checks: the 0xD3 loopback command
// works and raises IRQ12, 0xA7/0xA8 flip CCB bit 5 and 0xA9 reports a good
// interface (0x00). A byte sent to the missing device with 0xD4 gets what
// a controller reports when no device clocks the byte in: 0xFE in the
// output buffer with the AUXB and time-out status bits set. Linux's
// psmouse then fails its probe at once (libps2 treats SERIO_TIMEOUT as an
// error), and SeaBIOS's ps2_sendbyte sees a NAK on the aux channel.
//
// Interrupts: IRQ1 is high while the output buffer holds non-aux data and
// CCB bit 0 is set, IRQ12 likewise for aux data and CCB bit 1, as the AT's
// 8042 drives them from OBF. Each byte therefore gives the edge-triggered
// 8259 one rising edge: the line goes high when the byte is loaded and low
// when the guest reads port 0x60 (or clears the CCB enable bit); the next
// byte is loaded only after that read, so it makes a new edge.
//
// Timing: keyboard bytes reach the output buffer one PS/2 byte time
// (i8042ByteNS) after it empties, on a Timer; controller command results
// are loaded at once. Host key events go into a mutex-protected queue
// that a Timer drains every millisecond of virtual time, so the guest sees
// the same bytes at the same virtual times for the same events.
package devices

import (
	"errors"
	"fmt"
	"sync"
)

// The controller's ports.
const (
	I8042DataPort    uint16 = 0x60
	I8042CommandPort uint16 = 0x64 // status on read
	SystemControlA   uint16 = 0x92 // PS/2 System Control Port A
)

const (
	// i8042ByteNS is one byte on the keyboard cable: 11 bits at the
	// PS/2 clock of 10-16.7 kHz is 0.7-1.1 ms.
	i8042ByteNS = 1_000_000
	// i8042PollNS is how often host key events are taken in.
	i8042PollNS = 1_000_000
	// i8042BATNS is how long the keyboard's self test (BAT) takes after
	// a reset command. Real keyboards take hundreds of milliseconds; we
	// keep boots short. Software waits for 0xAA, not for a time.
	i8042BATNS = 2_000_000
	// i8042HostQueueMax bounds queued host key events; more are dropped.
	i8042HostQueueMax = 4096
	// i8042QueueMax bounds the controller's pending results and the
	// keyboard's buffer (the PS/2 keyboard buffers 16 bytes).
	i8042QueueMax = 16

	// Status register bits (port 0x64 read).
	i8042StatOBF     = 0x01
	i8042StatIBF     = 0x02
	i8042StatSys     = 0x04
	i8042StatCmd     = 0x08 // A2: last write was to port 0x64
	i8042StatNoInh   = 0x10 // keyboard not inhibited (no keylock)
	i8042StatAux     = 0x20 // AUXB: output buffer holds aux data
	i8042StatTimeout = 0x40
	i8042StatParity  = 0x80

	// Controller command byte (RAM 0) bits.
	i8042CCBKbdInt  = 0x01
	i8042CCBAuxInt  = 0x02
	i8042CCBSys     = 0x04
	i8042CCBKbdDis  = 0x10
	i8042CCBAuxDis  = 0x20
	i8042CCBXlate   = 0x40
	i8042PowerOnCCB = i8042CCBKbdInt | i8042CCBAuxInt // QEMU's reset value

	// Output port bits (AT TR; 0xD0/0xD1).
	i8042OutReset     = 0x01 // 0 resets the CPU
	i8042OutA20       = 0x02
	i8042OutIRQ1      = 0x10 // output buffer full (keyboard)
	i8042OutIRQ12     = 0x20 // output buffer full (aux)
	i8042PowerOnOutP  = 0xCF // reset high, A20 on, clock and data lines idle high
	i8042InputPortVal = 0xA0 // keyboard not inhibited, colour display, no manufacturing jumper, 2nd 256K on

	// Port 0x92 bits.
	port92Reset = 0x01
	port92A20   = 0x02

	// Keyboard responses.
	kbdACK    = 0xFA
	kbdResend = 0xFE
	kbdBATOK  = 0xAA
	kbdEcho   = 0xEE
	// kbdDefaultTypematic is 10.9 characters/s after 500 ms.
	kbdDefaultTypematic = 0x2B
)

// I8042Byte is a controller result waiting for the output buffer.
type I8042Byte struct {
	Data    uint8
	Aux     bool
	Timeout bool
}

// I8042KeyEvent is a host key press or release.
type I8042KeyEvent struct {
	Code KeyCode
	Down bool
}

// PS2KeyboardState is the keyboard's state.
type PS2KeyboardState struct {
	Resp      []uint8 // command responses, sent before scan codes
	Scan      []uint8 // scan code buffer
	Scanning  bool    // enabled (0xF4) or disabled (0xF5)
	InBAT     bool    // self test running after 0xFF
	Set       uint8   // scan code set 1, 2 or 3
	LEDs      uint8
	Typematic uint8
	WaitArg   uint8 // command waiting for its argument byte, 0 if none
	Last      uint8 // last byte sent, for 0xFE resend
}

// I8042State is the controller's complete state, for snapshots. Deadline
// fields are virtual times in ns, or -1 when not armed.
type I8042State struct {
	RAM         [32]uint8 // controller RAM; RAM[0] is the command byte
	Out         uint8     // output buffer
	OutFull     bool
	OutAux      bool
	Timeout     bool
	CommandLast bool
	Pending     uint8 // command waiting for its data byte, 0 if none
	OutputPort  uint8
	Port92      uint8
	CtrlQueue   []I8042Byte
	XlatBreak   bool // translating: an F0 prefix was absorbed
	IRQ1, IRQ12 bool
	A20         bool
	Kbd         PS2KeyboardState
	HostQueue   []I8042KeyEvent

	PumpAt, PollAt, BATAt int64
}

// I8042 is the keyboard controller with its keyboard and port 0x92.
type I8042 struct {
	bus         *Bus
	clock       *Clock
	irq1, irq12 IRQLine
	setA20      func(bool)
	reset       func()

	st I8042State

	pumpTimer *Timer // keyboard byte reaches the output buffer
	pollTimer *Timer // host key events are taken in
	batTimer  *Timer // keyboard self test ends

	hostMu sync.Mutex
	hostQ  []I8042KeyEvent
}

// NewI8042 creates the controller on ports 0x60, 0x64 and 0x92. irq1 and
// irq12 may be nil. setA20 is told the A20 gate, the OR of output port bit
// 1 and port 0x92 bit 1 (it is called once here with the power-on state,
// enabled); reset is called when the guest pulses the CPU reset line.
// Either callback may be nil.
func NewI8042(bus *Bus, clock *Clock, irq1, irq12 IRQLine, setA20 func(bool), reset func()) (*I8042, error) {
	if bus == nil || clock == nil {
		return nil, errors.New("devices: NewI8042 needs a bus and a clock")
	}
	k := &I8042{bus: bus, clock: clock, irq1: irq1, irq12: irq12, setA20: setA20, reset: reset}
	k.pumpTimer = clock.NewTimer("i8042 kbd byte", k.onPump)
	k.pollTimer = clock.NewTimer("i8042 host input", k.onPoll)
	k.batTimer = clock.NewTimer("i8042 kbd BAT", k.onBAT)
	k.st.RAM[0] = i8042PowerOnCCB
	k.st.CommandLast = true
	k.st.OutputPort = i8042PowerOnOutP
	k.st.A20 = true
	k.st.Kbd = PS2KeyboardState{Scanning: true, Set: 2, Typematic: kbdDefaultTypematic, Last: kbdBATOK}
	dev := ByteOnly{InB: k.inb, OutB: k.outb}
	ports := []uint16{I8042DataPort, I8042CommandPort, SystemControlA}
	for i, p := range ports {
		if err := bus.Register(p, 1, dev); err != nil {
			for _, q := range ports[:i] {
				bus.Unregister(q, 1)
			}
			return nil, fmt.Errorf("devices: i8042: %w", err)
		}
	}
	if setA20 != nil {
		setA20(true)
	}
	k.pollTimer.Schedule(clock.Now() + i8042PollNS)
	return k, nil
}

func (k *I8042) inb(port uint16) uint8 {
	switch port {
	case I8042DataPort:
		return k.readData()
	case I8042CommandPort:
		return k.status()
	case SystemControlA:
		return k.st.Port92
	default:
		// The rest of a wide access belongs to the next port.
		return uint8(k.bus.In(port, 1))
	}
}

func (k *I8042) outb(port uint16, v uint8) {
	switch port {
	case I8042DataPort:
		k.st.CommandLast = false
		k.writeData(v)
	case I8042CommandPort:
		k.st.CommandLast = true
		k.writeCommand(v)
	case SystemControlA:
		k.writePort92(v)
	default:
		k.bus.Out(port, 1, uint32(v))
	}
}

// status is the status register. IBF never reads 1: writes are processed
// at once. Parity errors cannot happen.
func (k *I8042) status() uint8 {
	s := &k.st
	v := uint8(i8042StatNoInh)
	if s.OutFull {
		v |= i8042StatOBF
		if s.OutAux {
			v |= i8042StatAux
		}
	}
	if s.RAM[0]&i8042CCBSys != 0 {
		v |= i8042StatSys // the system flag is CCB bit 2
	}
	if s.CommandLast {
		v |= i8042StatCmd
	}
	if s.Timeout {
		v |= i8042StatTimeout
	}
	return v
}

// readData reads the output buffer. Reading it empty returns the last
// byte again (QEMU notes EMM386 relies on this).
func (k *I8042) readData() uint8 {
	s := &k.st
	v := s.Out
	if s.OutFull {
		s.OutFull = false
		k.updateIRQ()
		k.pump(k.clock.Now())
	}
	return v
}

func (k *I8042) load(b I8042Byte) {
	s := &k.st
	s.Out, s.OutFull, s.OutAux, s.Timeout = b.Data, true, b.Aux, b.Timeout
	k.updateIRQ()
}

// pump refills an empty output buffer: controller results first, at once;
// keyboard bytes after a byte time, unless the interface is disabled
// (CCB bit 4), in which case the keyboard keeps them.
func (k *I8042) pump(now int64) {
	s := &k.st
	if s.OutFull {
		return
	}
	if len(s.CtrlQueue) > 0 {
		b := s.CtrlQueue[0]
		s.CtrlQueue = append(s.CtrlQueue[:0], s.CtrlQueue[1:]...)
		k.load(b)
		return
	}
	if s.RAM[0]&i8042CCBKbdDis == 0 && k.kbdHasByte() {
		if _, armed := k.pumpTimer.Pending(); !armed {
			k.pumpTimer.Schedule(now + i8042ByteNS)
		}
	}
}

// onPump moves one keyboard byte into the output buffer, translating set 2
// to set 1 when CCB bit 6 is set: an F0 prefix is absorbed and sets bit 7
// of the translated code that follows.
func (k *I8042) onPump(now int64) {
	s := &k.st
	if s.OutFull || s.RAM[0]&i8042CCBKbdDis != 0 {
		return // pumped again when the buffer empties or kbd is enabled
	}
	if len(s.CtrlQueue) > 0 {
		k.pump(now)
		return
	}
	b, ok := k.kbdNext()
	if !ok {
		return
	}
	s.Kbd.Last = b
	if s.RAM[0]&i8042CCBXlate != 0 {
		if b == 0xF0 {
			s.XlatBreak = true
			k.pump(now)
			return
		}
		b = i8042Xlat[b]
		if s.XlatBreak {
			b |= 0x80
			s.XlatBreak = false
		}
	}
	k.load(I8042Byte{Data: b})
}

func (k *I8042) updateIRQ() {
	s := &k.st
	l1 := s.OutFull && !s.OutAux && s.RAM[0]&i8042CCBKbdInt != 0
	l12 := s.OutFull && s.OutAux && s.RAM[0]&i8042CCBAuxInt != 0
	if l1 != s.IRQ1 {
		s.IRQ1 = l1
		if k.irq1 != nil {
			k.irq1.SetLevel(l1)
		}
	}
	if l12 != s.IRQ12 {
		s.IRQ12 = l12
		if k.irq12 != nil {
			k.irq12.SetLevel(l12)
		}
	}
}

// ctrlOut queues a controller result.
func (k *I8042) ctrlOut(b I8042Byte) {
	if len(k.st.CtrlQueue) < i8042QueueMax {
		k.st.CtrlQueue = append(k.st.CtrlQueue, b)
	}
}

// writeCommand runs a controller command (PS/2 TR, "Commands (I/O Address
// Hex 64)"). A command aborts one still waiting for its data byte.
// Unknown commands are ignored.
func (k *I8042) writeCommand(c uint8) {
	s := &k.st
	s.Pending = 0
	switch {
	case c >= 0x20 && c <= 0x3F: // read controller RAM; 0x20 is the CCB
		k.ctrlOut(I8042Byte{Data: s.RAM[c&0x1F]})
	case c >= 0x60 && c <= 0x7F: // write controller RAM; 0x60 is the CCB
		s.Pending = c
	case c == 0xA7: // disable auxiliary device interface
		s.RAM[0] |= i8042CCBAuxDis
	case c == 0xA8: // enable auxiliary device interface
		s.RAM[0] &^= i8042CCBAuxDis
	case c == 0xA9: // auxiliary interface test: 0x00 = no error
		k.ctrlOut(I8042Byte{Data: 0x00})
	case c == 0xAA: // self test: 0x55 = passed; sets the system flag
		s.RAM[0] |= i8042CCBSys
		k.ctrlOut(I8042Byte{Data: 0x55})
	case c == 0xAB: // keyboard interface test: 0x00 = no error
		k.ctrlOut(I8042Byte{Data: 0x00})
	case c == 0xAD: // disable keyboard interface
		s.RAM[0] |= i8042CCBKbdDis
	case c == 0xAE: // enable keyboard interface
		s.RAM[0] &^= i8042CCBKbdDis
	case c == 0xC0: // read input port
		k.ctrlOut(I8042Byte{Data: i8042InputPortVal})
	case c == 0xD0: // read output port
		k.ctrlOut(I8042Byte{Data: k.outputPort()})
	case c >= 0xD1 && c <= 0xD4: // the data byte follows on port 0x60
		s.Pending = c
	case c >= 0xF0: // pulse output port bits 0-3 whose command bit is 0
		if c&i8042OutReset == 0 {
			k.doReset()
		}
	}
	k.updateIRQ()
	k.pump(k.clock.Now())
}

// writeData takes a byte written to port 0x60: the data byte of a pending
// command, or else a byte for the keyboard. Sending to the keyboard
// re-enables its interface (as QEMU does).
func (k *I8042) writeData(v uint8) {
	s := &k.st
	switch p := s.Pending; {
	case p == 0:
		s.RAM[0] &^= i8042CCBKbdDis
		k.kbdWrite(v)
	case p >= 0x60 && p <= 0x7F:
		s.RAM[p&0x1F] = v
	case p == 0xD1: // write output port
		k.writeOutputPort(v)
	case p == 0xD2: // write keyboard output buffer: as if from the keyboard
		k.ctrlOut(I8042Byte{Data: v})
	case p == 0xD3: // write auxiliary output buffer: as if from the aux device
		k.ctrlOut(I8042Byte{Data: v, Aux: true})
	case p == 0xD4: // write to auxiliary device: nothing there
		s.RAM[0] &^= i8042CCBAuxDis
		k.ctrlOut(I8042Byte{Data: 0xFE, Aux: true, Timeout: true})
	}
	s.Pending = 0
	k.updateIRQ()
	k.pump(k.clock.Now())
}

// outputPort is the output port as 0xD0 reads it; bits 4 and 5 are the
// output-buffer-full (IRQ1/IRQ12) lines.
func (k *I8042) outputPort() uint8 {
	v := k.st.OutputPort &^ (i8042OutIRQ1 | i8042OutIRQ12)
	if k.st.IRQ1 {
		v |= i8042OutIRQ1
	}
	if k.st.IRQ12 {
		v |= i8042OutIRQ12
	}
	return v
}

// writeOutputPort sets A20 from bit 1; bit 0 = 0 resets the CPU. The reset
// line is treated as a pulse: it reads back 1, since a CPU in reset could
// never release it.
func (k *I8042) writeOutputPort(v uint8) {
	k.st.OutputPort = v | i8042OutReset
	k.updateA20()
	if v&i8042OutReset == 0 {
		k.doReset()
	}
}

// writePort92 handles System Control Port A: bit 1 is fast A20 (reads
// back); writing bit 0 = 1 pulses reset, and bit 0 reads 0 (as Bochs
// does), so read-modify-write never resets by accident.
func (k *I8042) writePort92(v uint8) {
	k.st.Port92 = v &^ port92Reset
	k.updateA20()
	if v&port92Reset != 0 {
		k.doReset()
	}
}

func (k *I8042) updateA20() {
	a := k.st.OutputPort&i8042OutA20 != 0 || k.st.Port92&port92A20 != 0
	if a != k.st.A20 {
		k.st.A20 = a
		if k.setA20 != nil {
			k.setA20(a)
		}
	}
}

func (k *I8042) doReset() {
	if k.reset != nil {
		k.reset()
	}
}

// A20 reports the A20 gate the controller and port 0x92 drive.
func (k *I8042) A20() bool { return k.st.A20 }

// ---- the PS/2 keyboard ----

func (k *I8042) kbdHasByte() bool {
	kb := &k.st.Kbd
	return len(kb.Resp) > 0 || (kb.Scanning && kb.WaitArg == 0 && len(kb.Scan) > 0)
}

func (k *I8042) kbdNext() (uint8, bool) {
	kb := &k.st.Kbd
	switch {
	case len(kb.Resp) > 0:
		b := kb.Resp[0]
		kb.Resp = append(kb.Resp[:0], kb.Resp[1:]...)
		return b, true
	case kb.Scanning && kb.WaitArg == 0 && len(kb.Scan) > 0:
		b := kb.Scan[0]
		kb.Scan = append(kb.Scan[:0], kb.Scan[1:]...)
		return b, true
	}
	return 0, false
}

func (k *I8042) kbdRespond(b ...uint8) {
	kb := &k.st.Kbd
	for _, x := range b {
		if len(kb.Resp) < i8042QueueMax {
			kb.Resp = append(kb.Resp, x)
		}
	}
}

func (k *I8042) kbdDefaults() {
	k.st.Kbd.Typematic = kbdDefaultTypematic
}

// kbdIsCommand reports whether b is a keyboard command byte (PS/2 TR,
// "Keyboard Commands from the System").
func kbdIsCommand(b uint8) bool {
	return b == 0xED || b == 0xEE || (b >= 0xF0 && b != 0xF1)
}

// kbdWrite is a byte from the system to the keyboard. While a command
// waits for its argument, a command byte that is not a valid argument
// aborts it and is executed instead.
func (k *I8042) kbdWrite(v uint8) {
	if k.st.Kbd.WaitArg != 0 && k.kbdArg(v) {
		return
	}
	k.st.Kbd.WaitArg = 0
	k.kbdCommand(v)
}

// kbdArg handles an argument byte; false means v is a new command.
func (k *I8042) kbdArg(v uint8) bool {
	kb := &k.st.Kbd
	switch kb.WaitArg {
	case 0xED: // LED bits: 0 scroll, 1 num, 2 caps lock
		if kbdIsCommand(v) {
			return false
		}
		kb.LEDs = v & 0x07
	case 0xF3: // typematic rate/delay, bit 7 must be 0
		switch {
		case v < 0x80:
			kb.Typematic = v
		case kbdIsCommand(v):
			return false
		default:
			k.kbdRespond(kbdResend)
			return true
		}
	case 0xF0: // 1-3 select the set; 0: ACK, then the current set number
		switch {
		case v == 0:
			kb.WaitArg = 0
			k.kbdRespond(kbdACK, kb.Set)
			return true
		case v <= 3:
			kb.Set = v
		case kbdIsCommand(v):
			return false
		default:
			k.kbdRespond(kbdResend)
			return true
		}
	default: // 0xFB-0xFD take a list of key codes (set 3 key types)
		if kbdIsCommand(v) {
			return false
		}
		k.kbdRespond(kbdACK)
		return true
	}
	kb.WaitArg = 0
	k.kbdRespond(kbdACK)
	return true
}

// kbdCommand executes a keyboard command (PS/2 TR, "Keyboard Commands
// from the System").
func (k *I8042) kbdCommand(v uint8) {
	kb := &k.st.Kbd
	switch v {
	case 0xED, 0xF0, 0xF3: // set LEDs, get/set scan code set, typematic
		kb.WaitArg = v
		k.kbdRespond(kbdACK)
	case 0xEE: // echo
		k.kbdRespond(kbdEcho)
	case 0xF2: // read ID: ACK, then 0xAB 0x83
		k.kbdRespond(kbdACK, 0xAB, 0x83)
	case 0xF4: // enable: clear the buffer, start scanning
		kb.Scan = kb.Scan[:0]
		kb.Scanning = true
		k.kbdRespond(kbdACK)
	case 0xF5: // default disable
		kb.Scan = kb.Scan[:0]
		k.kbdDefaults()
		kb.Scanning = false
		k.kbdRespond(kbdACK)
	case 0xF6: // set default, scanning on
		kb.Scan = kb.Scan[:0]
		k.kbdDefaults()
		kb.Scanning = true
		k.kbdRespond(kbdACK)
	case 0xF7, 0xF8, 0xF9, 0xFA: // set all keys' types (set 3): not modelled
		k.kbdRespond(kbdACK)
	case 0xFB, 0xFC, 0xFD: // set key types (set 3): key list follows
		kb.WaitArg = v
		k.kbdRespond(kbdACK)
	case 0xFE: // resend the last byte
		k.kbdRespond(kb.Last)
	case 0xFF: // reset: ACK, self test, 0xAA; defaults, set 2, LEDs off
		kb.Scan = kb.Scan[:0]
		kb.Resp = kb.Resp[:0]
		k.kbdDefaults()
		kb.Set = 2
		kb.LEDs = 0
		kb.Scanning = false
		kb.InBAT = true
		k.kbdRespond(kbdACK)
		k.batTimer.Schedule(k.clock.Now() + i8042BATNS)
	default:
		k.kbdRespond(kbdResend)
	}
}

func (k *I8042) onBAT(now int64) {
	kb := &k.st.Kbd
	kb.InBAT = false
	kb.Scanning = true
	k.kbdRespond(kbdBATOK)
	k.pump(now)
}

// onPoll takes host key events into the keyboard buffer. A keyboard that
// is not scanning (disabled, or in self test) does not see keys, so they
// are dropped; one waiting for a command argument, or whose buffer is
// full (its interface disabled, say), keeps them queued.
func (k *I8042) onPoll(now int64) {
	kb := &k.st.Kbd
	k.hostMu.Lock()
	switch {
	case !kb.Scanning:
		k.hostQ = k.hostQ[:0]
	case kb.WaitArg == 0:
		n := 0
		for _, ev := range k.hostQ {
			seq := kbdScanCodes(ev, kb.Set)
			if len(kb.Scan)+len(seq) > i8042QueueMax {
				break
			}
			kb.Scan = append(kb.Scan, seq...)
			n++
		}
		k.hostQ = append(k.hostQ[:0], k.hostQ[n:]...)
	}
	k.hostMu.Unlock()
	k.pump(now)
	k.pollTimer.Schedule(now + i8042PollNS)
}

// ---- host input ----

// KeyCode names a key of a US 101-key keyboard.
type KeyCode uint8

// The keys the host can press.
const (
	KeyNone KeyCode = iota
	KeyA
	KeyB
	KeyC
	KeyD
	KeyE
	KeyF
	KeyG
	KeyH
	KeyI
	KeyJ
	KeyK
	KeyL
	KeyM
	KeyN
	KeyO
	KeyP
	KeyQ
	KeyR
	KeyS
	KeyT
	KeyU
	KeyV
	KeyW
	KeyX
	KeyY
	KeyZ
	Key1
	Key2
	Key3
	Key4
	Key5
	Key6
	Key7
	Key8
	Key9
	Key0
	KeyGrave
	KeyMinus
	KeyEqual
	KeyLeftBracket
	KeyRightBracket
	KeyBackslash
	KeySemicolon
	KeyApostrophe
	KeyComma
	KeyPeriod
	KeySlash
	KeySpace
	KeyEnter
	KeyBackspace
	KeyTab
	KeyEscape
	KeyCapsLock
	KeyUp
	KeyDown
	KeyLeft
	KeyRight
	KeyInsert
	KeyDelete
	KeyHome
	KeyEnd
	KeyPageUp
	KeyPageDown
	KeyLeftCtrl
	KeyRightCtrl
	KeyLeftShift
	KeyRightShift
	KeyLeftAlt
	KeyRightAlt
	KeyF1
	KeyF2
	KeyF3
	KeyF4
	KeyF5
	KeyF6
	KeyF7
	KeyF8
	KeyF9
	KeyF10
	KeyF11
	KeyF12
	keyCount
)

// kbdKey is a key's make code in each scan code set (PS/2 TR, "Scan Code
// Tables"); ext keys have an E0 prefix in sets 1 and 2.
type kbdKey struct {
	set1, set2, set3 uint8
	ext              bool
}

var kbdKeys = [keyCount]kbdKey{
	KeyA: {0x1E, 0x1C, 0x1C, false}, KeyB: {0x30, 0x32, 0x32, false},
	KeyC: {0x2E, 0x21, 0x21, false}, KeyD: {0x20, 0x23, 0x23, false},
	KeyE: {0x12, 0x24, 0x24, false}, KeyF: {0x21, 0x2B, 0x2B, false},
	KeyG: {0x22, 0x34, 0x34, false}, KeyH: {0x23, 0x33, 0x33, false},
	KeyI: {0x17, 0x43, 0x43, false}, KeyJ: {0x24, 0x3B, 0x3B, false},
	KeyK: {0x25, 0x42, 0x42, false}, KeyL: {0x26, 0x4B, 0x4B, false},
	KeyM: {0x32, 0x3A, 0x3A, false}, KeyN: {0x31, 0x31, 0x31, false},
	KeyO: {0x18, 0x44, 0x44, false}, KeyP: {0x19, 0x4D, 0x4D, false},
	KeyQ: {0x10, 0x15, 0x15, false}, KeyR: {0x13, 0x2D, 0x2D, false},
	KeyS: {0x1F, 0x1B, 0x1B, false}, KeyT: {0x14, 0x2C, 0x2C, false},
	KeyU: {0x16, 0x3C, 0x3C, false}, KeyV: {0x2F, 0x2A, 0x2A, false},
	KeyW: {0x11, 0x1D, 0x1D, false}, KeyX: {0x2D, 0x22, 0x22, false},
	KeyY: {0x15, 0x35, 0x35, false}, KeyZ: {0x2C, 0x1A, 0x1A, false},
	Key1: {0x02, 0x16, 0x16, false}, Key2: {0x03, 0x1E, 0x1E, false},
	Key3: {0x04, 0x26, 0x26, false}, Key4: {0x05, 0x25, 0x25, false},
	Key5: {0x06, 0x2E, 0x2E, false}, Key6: {0x07, 0x36, 0x36, false},
	Key7: {0x08, 0x3D, 0x3D, false}, Key8: {0x09, 0x3E, 0x3E, false},
	Key9: {0x0A, 0x46, 0x46, false}, Key0: {0x0B, 0x45, 0x45, false},

	KeyGrave:        {0x29, 0x0E, 0x0E, false},
	KeyMinus:        {0x0C, 0x4E, 0x4E, false},
	KeyEqual:        {0x0D, 0x55, 0x55, false},
	KeyLeftBracket:  {0x1A, 0x54, 0x54, false},
	KeyRightBracket: {0x1B, 0x5B, 0x5B, false},
	KeyBackslash:    {0x2B, 0x5D, 0x5C, false},
	KeySemicolon:    {0x27, 0x4C, 0x4C, false},
	KeyApostrophe:   {0x28, 0x52, 0x52, false},
	KeyComma:        {0x33, 0x41, 0x41, false},
	KeyPeriod:       {0x34, 0x49, 0x49, false},
	KeySlash:        {0x35, 0x4A, 0x4A, false},
	KeySpace:        {0x39, 0x29, 0x29, false},
	KeyEnter:        {0x1C, 0x5A, 0x5A, false},
	KeyBackspace:    {0x0E, 0x66, 0x66, false},
	KeyTab:          {0x0F, 0x0D, 0x0D, false},
	KeyEscape:       {0x01, 0x76, 0x08, false},
	KeyCapsLock:     {0x3A, 0x58, 0x14, false},

	KeyUp:       {0x48, 0x75, 0x63, true},
	KeyDown:     {0x50, 0x72, 0x60, true},
	KeyLeft:     {0x4B, 0x6B, 0x61, true},
	KeyRight:    {0x4D, 0x74, 0x6A, true},
	KeyInsert:   {0x52, 0x70, 0x67, true},
	KeyDelete:   {0x53, 0x71, 0x64, true},
	KeyHome:     {0x47, 0x6C, 0x6E, true},
	KeyEnd:      {0x4F, 0x69, 0x65, true},
	KeyPageUp:   {0x49, 0x7D, 0x6F, true},
	KeyPageDown: {0x51, 0x7A, 0x6D, true},

	KeyLeftCtrl:   {0x1D, 0x14, 0x11, false},
	KeyRightCtrl:  {0x1D, 0x14, 0x58, true},
	KeyLeftShift:  {0x2A, 0x12, 0x12, false},
	KeyRightShift: {0x36, 0x59, 0x59, false},
	KeyLeftAlt:    {0x38, 0x11, 0x19, false},
	KeyRightAlt:   {0x38, 0x11, 0x39, true},

	KeyF1: {0x3B, 0x05, 0x07, false}, KeyF2: {0x3C, 0x06, 0x0F, false},
	KeyF3: {0x3D, 0x04, 0x17, false}, KeyF4: {0x3E, 0x0C, 0x1F, false},
	KeyF5: {0x3F, 0x03, 0x27, false}, KeyF6: {0x40, 0x0B, 0x2F, false},
	KeyF7: {0x41, 0x83, 0x37, false}, KeyF8: {0x42, 0x0A, 0x3F, false},
	KeyF9: {0x43, 0x01, 0x47, false}, KeyF10: {0x44, 0x09, 0x4F, false},
	KeyF11: {0x57, 0x78, 0x56, false}, KeyF12: {0x58, 0x07, 0x5E, false},
}

// kbdScanCodes is the byte sequence a key event sends in a scan code set:
// set 1 breaks are make|0x80, set 2 breaks are F0 make, both with E0 for
// extended keys; set 3 has no E0 and breaks with F0. Break codes are sent
// for every key (set 3's per-key make-only modes are not modelled), and
// the "fake shift" sequences around extended keys are not sent.
func kbdScanCodes(ev I8042KeyEvent, set uint8) []uint8 {
	key := kbdKeys[ev.Code]
	var seq []uint8
	switch set {
	case 1:
		if key.ext {
			seq = append(seq, 0xE0)
		}
		c := key.set1
		if !ev.Down {
			c |= 0x80
		}
		return append(seq, c)
	case 3:
		if !ev.Down {
			seq = append(seq, 0xF0)
		}
		return append(seq, key.set3)
	default:
		if key.ext {
			seq = append(seq, 0xE0)
		}
		if !ev.Down {
			seq = append(seq, 0xF0)
		}
		return append(seq, key.set2)
	}
}

func (k *I8042) enqueue(evs ...I8042KeyEvent) {
	for _, ev := range evs {
		if ev.Code == KeyNone || ev.Code >= keyCount {
			return
		}
	}
	k.hostMu.Lock()
	defer k.hostMu.Unlock()
	if len(k.hostQ)+len(evs) > i8042HostQueueMax {
		return
	}
	k.hostQ = append(k.hostQ, evs...)
}

// KeyDown queues a key press. It is safe to call from any goroutine; the
// keyboard sees it at its next virtual-millisecond poll.
func (k *I8042) KeyDown(code KeyCode) { k.enqueue(I8042KeyEvent{Code: code, Down: true}) }

// KeyUp queues a key release. It is safe to call from any goroutine.
func (k *I8042) KeyUp(code KeyCode) { k.enqueue(I8042KeyEvent{Code: code}) }

// asciiKey maps an ASCII byte to a key on a US layout with the modifiers
// it needs: control characters 0x01-0x1A are Ctrl+letter except Tab
// (0x09), LF and CR (both Enter); 0x1B is Escape, 0x7F Backspace, NUL
// Ctrl+2, 0x1C-0x1F Ctrl with \ ] 6 -.
func asciiKey(b byte) (code KeyCode, shift, ctrl, ok bool) {
	const shifted = "~!@#$%^&*()_+{}|:\"<>?"
	const plain = "`1234567890-=[]\\;',./"
	plainKeys := [...]KeyCode{KeyGrave, Key1, Key2, Key3, Key4, Key5, Key6, Key7, Key8, Key9, Key0,
		KeyMinus, KeyEqual, KeyLeftBracket, KeyRightBracket, KeyBackslash, KeySemicolon,
		KeyApostrophe, KeyComma, KeyPeriod, KeySlash}
	switch {
	case b >= 'a' && b <= 'z':
		return KeyA + KeyCode(b-'a'), false, false, true
	case b >= 'A' && b <= 'Z':
		return KeyA + KeyCode(b-'A'), true, false, true
	case b == ' ':
		return KeySpace, false, false, true
	case b == '\t':
		return KeyTab, false, false, true
	case b == '\n' || b == '\r':
		return KeyEnter, false, false, true
	case b == 0x1B:
		return KeyEscape, false, false, true
	case b == 0x7F:
		return KeyBackspace, false, false, true
	case b == 0x00:
		return Key2, false, true, true
	case b >= 0x01 && b <= 0x1A:
		return KeyA + KeyCode(b-1), false, true, true
	case b == 0x1C:
		return KeyBackslash, false, true, true
	case b == 0x1D:
		return KeyRightBracket, false, true, true
	case b == 0x1E:
		return Key6, false, true, true
	case b == 0x1F:
		return KeyMinus, false, true, true
	}
	for i := 0; i < len(plain); i++ {
		if plain[i] == b {
			return plainKeys[i], false, false, true
		}
		if shifted[i] == b {
			return plainKeys[i], true, false, true
		}
	}
	return KeyNone, false, false, false
}

// TypeASCII queues the presses and releases that type b on a US keyboard
// (Shift and Ctrl held around the key as needed, e.g. 0x03 is Ctrl+C). It
// reports false, queuing nothing, for bytes with no key (0x80 and up).
// It is safe to call from any goroutine.
func (k *I8042) TypeASCII(b byte) bool {
	code, shift, ctrl, ok := asciiKey(b)
	if !ok {
		return false
	}
	var evs []I8042KeyEvent
	if ctrl {
		evs = append(evs, I8042KeyEvent{KeyLeftCtrl, true})
	}
	if shift {
		evs = append(evs, I8042KeyEvent{KeyLeftShift, true})
	}
	evs = append(evs, I8042KeyEvent{code, true}, I8042KeyEvent{code, false})
	if shift {
		evs = append(evs, I8042KeyEvent{KeyLeftShift, false})
	}
	if ctrl {
		evs = append(evs, I8042KeyEvent{KeyLeftCtrl, false})
	}
	k.enqueue(evs...)
	return true
}

// ---- snapshots ----

// State returns a copy of the controller's state.
func (k *I8042) State() I8042State {
	st := k.st
	st.CtrlQueue = append([]I8042Byte(nil), k.st.CtrlQueue...)
	st.Kbd.Resp = append([]uint8(nil), k.st.Kbd.Resp...)
	st.Kbd.Scan = append([]uint8(nil), k.st.Kbd.Scan...)
	k.hostMu.Lock()
	st.HostQueue = append([]I8042KeyEvent(nil), k.hostQ...)
	k.hostMu.Unlock()
	st.PumpAt = uartDeadline(k.pumpTimer)
	st.PollAt = uartDeadline(k.pollTimer)
	st.BATAt = uartDeadline(k.batTimer)
	return st
}

// SetState restores a state from State and re-arms its timers. It drives
// neither the IRQ lines nor the A20 and reset callbacks: their owners
// restore their own state.
func (k *I8042) SetState(st I8042State) {
	clip := func(b []uint8) []uint8 {
		b = append([]uint8(nil), b...)
		if len(b) > i8042QueueMax {
			b = b[:i8042QueueMax]
		}
		return b
	}
	st.CtrlQueue = append([]I8042Byte(nil), st.CtrlQueue...)
	if len(st.CtrlQueue) > i8042QueueMax {
		st.CtrlQueue = st.CtrlQueue[:i8042QueueMax]
	}
	st.Kbd.Resp = clip(st.Kbd.Resp)
	st.Kbd.Scan = clip(st.Kbd.Scan)
	if st.Kbd.Set < 1 || st.Kbd.Set > 3 {
		st.Kbd.Set = 2
	}
	var host []I8042KeyEvent
	for _, ev := range st.HostQueue {
		if ev.Code != KeyNone && ev.Code < keyCount && len(host) < i8042HostQueueMax {
			host = append(host, ev)
		}
	}
	st.HostQueue = nil
	k.st = st
	k.hostMu.Lock()
	k.hostQ = host
	k.hostMu.Unlock()
	uartArm(k.pumpTimer, st.PumpAt)
	uartArm(k.batTimer, st.BATAt)
	if st.PollAt >= 0 {
		k.pollTimer.Schedule(st.PollAt)
	} else {
		k.pollTimer.Schedule(k.clock.Now() + i8042PollNS)
	}
	if st.Kbd.InBAT && st.BATAt < 0 {
		k.batTimer.Schedule(k.clock.Now() + i8042BATNS)
	}
	k.pump(k.clock.Now())
}

// i8042Xlat is the 8042's scan code translation table (set 2 in, set 1
// out), the table in the controller's ROM: each set-2 key code maps to
// that key's set-1 code; codes that are no key map to fillers. Codes from
// 0x80 pass unchanged except F7 (0x83) and Alt+SysRq (0x84). Checked
// against Linux's atkbd_unxlate_table (set 1 → set 2), which it inverts,
// and by TestI8042TranslationTable against our own set 1 and 2 tables.
var i8042Xlat = func() (t [256]uint8) {
	low := [128]uint8{
		0xFF, 0x43, 0x41, 0x3F, 0x3D, 0x3B, 0x3C, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3E, 0x0F, 0x29, 0x59,
		0x65, 0x38, 0x2A, 0x70, 0x1D, 0x10, 0x02, 0x5A, 0x66, 0x71, 0x2C, 0x1F, 0x1E, 0x11, 0x03, 0x5B,
		0x67, 0x2E, 0x2D, 0x20, 0x12, 0x05, 0x04, 0x5C, 0x68, 0x39, 0x2F, 0x21, 0x14, 0x13, 0x06, 0x5D,
		0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5E, 0x6A, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5F,
		0x6B, 0x33, 0x25, 0x17, 0x18, 0x0B, 0x0A, 0x60, 0x6C, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0C, 0x61,
		0x6D, 0x73, 0x28, 0x74, 0x1A, 0x0D, 0x62, 0x6E, 0x3A, 0x36, 0x1C, 0x1B, 0x75, 0x2B, 0x63, 0x76,
		0x55, 0x56, 0x77, 0x78, 0x79, 0x7A, 0x0E, 0x7B, 0x7C, 0x4F, 0x7D, 0x4B, 0x47, 0x7E, 0x7F, 0x6F,
		0x52, 0x53, 0x50, 0x4C, 0x4D, 0x48, 0x01, 0x45, 0x57, 0x4E, 0x51, 0x4A, 0x37, 0x49, 0x46, 0x54,
	}
	copy(t[:], low[:])
	for i := 0x80; i < 0x100; i++ {
		t[i] = uint8(i)
	}
	t[0x83] = 0x41
	t[0x84] = 0x54
	return t
}()
