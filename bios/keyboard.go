package bios

import "github.com/gox86/gox86/cpu"

// Keyboard: the IRQ 1 handler translates scan codes (set 1, as the 8042
// delivers them with translation on) into BIOS key words (scan code << 8
// | ASCII) in the BDA ring buffer; INT 16h reads them (IBM PC/AT
// Technical Reference, keyboard BIOS).

// Shift-state bits at 40:17h.
const (
	kRShift = 1 << 0
	kLShift = 1 << 1
	kCtrl   = 1 << 2
	kAlt    = 1 << 3
	kScroll = 1 << 4
	kNum    = 1 << 5
	kCaps   = 1 << 6
)

// bdaKbdE0 remembers an E0 prefix between interrupts (40:96h bit 1).
const bdaKbdMode = 0x496

// keymap holds, per set-1 make code, the ASCII for plain and shifted keys.
var keymap = [0x59][2]byte{
	0x01: {0x1B, 0x1B}, 0x02: {'1', '!'}, 0x03: {'2', '@'}, 0x04: {'3', '#'}, 0x05: {'4', '$'},
	0x06: {'5', '%'}, 0x07: {'6', '^'}, 0x08: {'7', '&'}, 0x09: {'8', '*'}, 0x0A: {'9', '('},
	0x0B: {'0', ')'}, 0x0C: {'-', '_'}, 0x0D: {'=', '+'}, 0x0E: {0x08, 0x08}, 0x0F: {0x09, 0},
	0x10: {'q', 'Q'}, 0x11: {'w', 'W'}, 0x12: {'e', 'E'}, 0x13: {'r', 'R'}, 0x14: {'t', 'T'},
	0x15: {'y', 'Y'}, 0x16: {'u', 'U'}, 0x17: {'i', 'I'}, 0x18: {'o', 'O'}, 0x19: {'p', 'P'},
	0x1A: {'[', '{'}, 0x1B: {']', '}'}, 0x1C: {0x0D, 0x0D}, 0x1E: {'a', 'A'}, 0x1F: {'s', 'S'},
	0x20: {'d', 'D'}, 0x21: {'f', 'F'}, 0x22: {'g', 'G'}, 0x23: {'h', 'H'}, 0x24: {'j', 'J'},
	0x25: {'k', 'K'}, 0x26: {'l', 'L'}, 0x27: {';', ':'}, 0x28: {'\'', '"'}, 0x29: {'`', '~'},
	0x2B: {'\\', '|'}, 0x2C: {'z', 'Z'}, 0x2D: {'x', 'X'}, 0x2E: {'c', 'C'}, 0x2F: {'v', 'V'},
	0x30: {'b', 'B'}, 0x31: {'n', 'N'}, 0x32: {'m', 'M'}, 0x33: {',', '<'}, 0x34: {'.', '>'},
	0x35: {'/', '?'}, 0x37: {'*', '*'}, 0x39: {' ', ' '}, 0x4A: {'-', '-'}, 0x4E: {'+', '+'},
}

// irq1 reads one scan code from the 8042 and updates the shift state or
// the key buffer, then ends the interrupt.
func (b *BIOS) irq1() {
	defer b.outb(0x20, 0x20)
	sc := b.inb(0x60)
	mode := b.rd8(bdaKbdMode)
	if sc == 0xE0 {
		b.wr8(bdaKbdMode, mode|0x02)
		return
	}
	ext := mode&0x02 != 0
	b.wr8(bdaKbdMode, mode&^0x02)
	flags := b.rd8(bdaKbdFlags)
	brk := sc&0x80 != 0
	code := sc & 0x7F
	shiftBit := uint8(0)
	switch code {
	case 0x2A:
		shiftBit = kLShift
	case 0x36:
		shiftBit = kRShift
	case 0x1D:
		shiftBit = kCtrl
	case 0x38:
		shiftBit = kAlt
	}
	if shiftBit != 0 {
		if brk {
			flags &^= shiftBit
		} else {
			flags |= shiftBit
		}
		b.wr8(bdaKbdFlags, flags)
		return
	}
	if brk {
		return
	}
	switch code {
	case 0x3A:
		b.wr8(bdaKbdFlags, flags^kCaps)
		return
	case 0x45:
		b.wr8(bdaKbdFlags, flags^kNum)
		return
	case 0x46:
		b.wr8(bdaKbdFlags, flags^kScroll)
		return
	}
	if flags&(kCtrl|kAlt) == kCtrl|kAlt && code == 0x53 {
		// Ctrl-Alt-Del: warm boot through the keyboard controller.
		b.wr16(0x472, 0x1234)
		b.outb(0x64, 0xFE)
		return
	}
	b.pushKey(b.translate(code, ext, flags))
}

// translate turns a make code into a BIOS key word.
func (b *BIOS) translate(code uint8, ext bool, flags uint8) uint16 {
	if ext {
		// Grey keys: arrows, Home/End/PgUp/PgDn/Ins/Del, keypad Enter
		// and slash; ASCII E0h marks them for INT 16h AH=10h.
		switch code {
		case 0x1C:
			return 0xE00D
		case 0x35:
			return 0xE02F
		}
		return uint16(code)<<8 | 0xE0
	}
	var ascii byte
	if int(code) < len(keymap) {
		shifted := flags&(kLShift|kRShift) != 0
		ch := keymap[code][0]
		if ch >= 'a' && ch <= 'z' && flags&kCaps != 0 {
			shifted = !shifted
		}
		if shifted {
			ascii = keymap[code][1]
		} else {
			ascii = ch
		}
	}
	switch {
	case flags&kAlt != 0:
		ascii = 0
	case flags&kCtrl != 0:
		switch {
		case ascii >= 'a' && ascii <= 'z':
			ascii -= 'a' - 1
		case ascii >= 'A' && ascii <= 'Z':
			ascii -= 'A' - 1
		case ascii == '[':
			ascii = 0x1B
		case ascii == '\\':
			ascii = 0x1C
		case ascii == ']':
			ascii = 0x1D
		case code == 0x1C:
			ascii = 0x0A
		}
	}
	return uint16(code)<<8 | uint16(ascii)
}

// pushKey appends a key word to the ring buffer unless it is full.
func (b *BIOS) pushKey(k uint16) bool {
	start, end := b.rd16(bdaKbdStart), b.rd16(bdaKbdEnd)
	head, tail := b.rd16(bdaKbdHead), b.rd16(bdaKbdTail)
	next := tail + 2
	if next >= end {
		next = start
	}
	if next == head {
		return false
	}
	b.wr16(bda+uint32(tail), k)
	b.wr16(bdaKbdTail, next)
	return true
}

// peekKey returns the oldest key word, if any; pop removes it.
func (b *BIOS) peekKey(pop bool) (uint16, bool) {
	start, end := b.rd16(bdaKbdStart), b.rd16(bdaKbdEnd)
	head, tail := b.rd16(bdaKbdHead), b.rd16(bdaKbdTail)
	if head == tail {
		return 0, false
	}
	k := b.rd16(bda + uint32(head))
	if pop {
		head += 2
		if head >= end {
			head = start
		}
		b.wr16(bdaKbdHead, head)
	}
	return k, true
}

// int16 dispatches keyboard services by AH.
func (b *BIOS) int16() {
	ah := b.ah()
	switch ah {
	case 0x00, 0x10:
		k, ok := b.peekKey(true)
		if !ok {
			// Wait with interrupts enabled, then retry (the stub loops
			// back to this entry).
			b.c.EIP = uint32(b.rom.int16Wait)
			return
		}
		b.setAX(cookKey(k, ah == 0x10))
	case 0x01, 0x11:
		k, ok := b.peekKey(false)
		b.setZF(!ok)
		if ok {
			b.setAX(cookKey(k, ah == 0x11))
		}
	case 0x02:
		b.setAL(b.rd8(bdaKbdFlags))
	case 0x12:
		b.setAL(b.rd8(bdaKbdFlags))
		b.setAH(b.rd8(bdaKbdFlags2))
	case 0x03:
		// Typematic rate: accepted; the emulated keyboard has no repeat.
	case 0x05:
		if b.pushKey(b.cx()) {
			b.setAL(0)
		} else {
			b.setAL(1)
		}
	case 0x0A:
		b.set16(cpu.EBX, 0x83AB)
	}
}

// cookKey adapts a buffered key word to the legacy (AH=00h/01h) or
// enhanced (AH=10h/11h) interface: the legacy one hides the E0h marker.
func cookKey(k uint16, enhanced bool) uint16 {
	if !enhanced && k&0xFF == 0xE0 && k>>8 != 0 {
		return k &^ 0xFF
	}
	return k
}

// irq0 advances the BDA tick count (and the midnight flag) and the
// floppy motor time-out; the ROM stub then calls INT 1Ch and sends EOI.
func (b *BIOS) irq0() {
	t := b.rd32(bdaTicks) + 1
	if t >= ticksPerDay {
		t = 0
		b.wr8(bdaMidnight, 1)
	}
	b.wr32(bdaTicks, t)
	if m := b.rd8(bdaMotorTmo); m > 0 {
		m--
		b.wr8(bdaMotorTmo, m)
		if m == 0 {
			b.wr8(bdaMotor, b.rd8(bdaMotor)&0xF0)
			b.outb(0x3F2, 0x0C)
		}
	}
}

// irq8 acknowledges the RTC (reading register C) and ends the interrupt
// on both controllers.
func (b *BIOS) irq8() {
	b.cmos(0x0C)
	b.outb(0xA0, 0x20)
	b.outb(0x20, 0x20)
}

func (b *BIOS) irqMaster() { b.outb(0x20, 0x20) }

func (b *BIOS) irqSlave() {
	b.outb(0xA0, 0x20)
	b.outb(0x20, 0x20)
}
