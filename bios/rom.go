package bios

import "encoding/binary"

// The ROM is 64 KiB mapped at F0000-FFFFF (and aliased below 4 GiB). It
// holds only small x86 stubs: each BIOS entry point executes a firmware
// trap (0F 0B id16, see cpu.Hooks.FirmwareCall) that runs the Go handler,
// then returns to the caller. Entry points sit at the addresses the IBM
// PC/AT BIOS used, because some software calls them directly.

// Classic entry-point offsets in segment F000h (IBM PC/AT BIOS listing).
const (
	romPOST       = 0xE05B
	romNMI        = 0xE2C3
	romInt13HD    = 0xE3FE
	romInt19      = 0xE6F2
	romConfig     = 0xE6F5
	romInt14      = 0xE739
	romInt16      = 0xE82E
	romInt09      = 0xE987
	romInt13      = 0xEC59
	romInt0E      = 0xEF57
	romDisketteTb = 0xEFC7
	romInt17      = 0xEFD2
	romInt10      = 0xF065
	romVideoParms = 0xF0A4
	romInt12      = 0xF841
	romInt11      = 0xF84D
	romInt15      = 0xF859
	romFont8x8    = 0xFA6E
	romInt1A      = 0xFE6E
	romInt08      = 0xFEA5
	romIRET       = 0xFF53
	romInt05      = 0xFF54
	romReset      = 0xFFF0
	romDate       = 0xFFF5
	romModel      = 0xFFFE

	// Free space for stubs that do not fit at their classic address.
	romStubs = 0x1000
	// Fixed-disk parameter tables (INT 41h/46h), 16 bytes each.
	romFDPT0 = 0x0F00
	romFDPT1 = 0x0F10
)

// Firmware services, the id16 of each trap.
const (
	svcPOST uint16 = iota + 1
	svcInt10
	svcInt11
	svcInt12
	svcInt13
	svcInt14
	svcInt15
	svcInt16
	svcInt17
	svcInt18
	svcInt19
	svcInt1A
	svcIRQ0
	svcIRQ1
	svcIRQ6
	svcIRQ8
	svcIRQMaster // spurious/unhandled IRQ 2-7: EOI to the master
	svcIRQSlave  // unhandled IRQ 9-15: EOI to both
	svcInt05
	svcUnhandled // a CPU exception reached the BIOS's default vector
)

// romBuilder assembles the ROM image.
type romBuilder struct {
	img  [0x10000]byte
	next int // next free stub byte
	// int16Wait is where a blocking INT 16h read waits for a key.
	int16Wait int
	// Stubs whose vectors POST installs.
	irqMaster, irqSlave, int18, irq8 int
	// unhandled[v] is the stub for CPU exception vector v (0, 6, 7).
	unhandled [8]int
}

func (r *romBuilder) put(at int, b ...byte) int {
	copy(r.img[at:], b)
	return at + len(b)
}

func trap(id uint16) []byte { return []byte{0x0F, 0x0B, byte(id), byte(id >> 8)} }

const (
	opIRET = 0xCF
	opSTI  = 0xFB
	opCLI  = 0xFA
	opHLT  = 0xF4
)

// stub places code in the free area and returns its offset.
func (r *romBuilder) stub(code ...byte) int {
	at := r.next
	r.next = r.put(at, code...)
	return at
}

// jmpNear writes a near JMP at `at` to target.
func (r *romBuilder) jmpNear(at, target int) {
	rel := target - (at + 3)
	r.put(at, 0xE9, byte(rel), byte(rel>>8))
}

// entry places "trap id; IRET" at the classic address.
func (r *romBuilder) entry(at int, id uint16) {
	r.put(at, append(trap(id), opIRET)...)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// buildROM lays out the stubs, tables and the reset vector.
func buildROM() *romBuilder {
	r := &romBuilder{next: romStubs}
	for k := range r.img {
		r.img[k] = 0xFF
	}
	// POST: the Go handler initialises the machine, then INT 19h boots.
	r.put(romPOST, cat(trap(svcPOST), []byte{0xCD, 0x19, opCLI, opHLT, 0xEB, 0xFD})...)
	r.put(romNMI, opIRET)
	r.put(romIRET, opIRET)
	r.entry(romInt05, svcInt05)
	r.entry(romInt10, svcInt10)
	r.entry(romInt11, svcInt11)
	r.entry(romInt12, svcInt12)
	r.entry(romInt14, svcInt14)
	r.entry(romInt17, svcInt17)
	r.entry(romInt1A, svcInt1A)
	// INT 19h's classic entry has only three bytes before the
	// configuration table: jump to a stub.
	r.jmpNear(romInt19, r.stub(append(trap(svcInt19), opIRET)...))

	r.entry(romInt13, svcInt13)
	r.jmpNear(romInt13HD, romInt13)
	r.entry(romInt15, svcInt15)

	// INT 16h: blocking reads wait with interrupts enabled for IRQ 1.
	r.entry(romInt16, svcInt16)
	r.int16Wait = r.stub(opSTI, opHLT, opCLI, 0xE9, 0, 0)
	r.jmpNear(r.int16Wait+3, romInt16)

	// IRQ 0: update the tick count, call INT 1Ch, EOI.
	irq0 := r.stub(cat(trap(svcIRQ0), []byte{0xCD, 0x1C, 0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, opIRET})...)
	r.jmpNear(romInt08, irq0)
	r.entry(romInt09, svcIRQ1)
	r.entry(romInt0E, svcIRQ6)

	r.irqMaster = r.stub(append(trap(svcIRQMaster), opIRET)...)
	r.irqSlave = r.stub(append(trap(svcIRQSlave), opIRET)...)
	r.int18 = r.stub(append(trap(svcInt18), opIRET)...)
	for _, v := range []int{0, 6, 7} {
		// MOV AL, v (the vector, for the handler) then the trap.
		r.unhandled[v] = r.stub(append([]byte{0xB0, byte(v)}, trap(svcUnhandled)...)...)
	}
	r.irq8 = r.stub(append(trap(svcIRQ8), opIRET)...)

	r.put(romReset, 0xEA, romPOST&0xFF, romPOST>>8, 0x00, 0xF0)
	r.put(romDate, []byte("11/27/26")...)
	r.put(romModel, 0xFC)
	r.put(romConfig, configTable()...)
	r.put(romDisketteTb, disketteParams()...)
	r.put(romVideoParms, make([]byte, 16)...)
	return r
}

// configTable is the INT 15h AH=C0h system configuration table: length,
// model FCh (AT), submodel, BIOS revision, feature bytes (IBM PS/2
// Technical Reference): 2nd PIC, RTC, INT 15h/4Fh keyboard intercept,
// extended BIOS data area allocated.
func configTable() []byte {
	return []byte{8, 0, 0xFC, 0x01, 0x00, 0x74, 0x00, 0x00, 0x00, 0x00}
}

// disketteParams is the INT 1Eh table for a 1.44 MB drive (IBM BIOS
// defaults: SRT/HUT, HLT/DMA, motor off delay, 512-byte sectors, 18
// sectors per track, gap, DTL, format gap, fill, head settle, motor
// start).
func disketteParams() []byte {
	return []byte{0xAF, 0x02, 0x25, 0x02, 18, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08}
}

// fdpt builds an INT 41h/46h fixed-disk parameter table.
func fdpt(cyls, heads, spt int) []byte {
	t := make([]byte, 16)
	binary.LittleEndian.PutUint16(t[0:], uint16(cyls))
	t[2] = byte(heads)
	binary.LittleEndian.PutUint16(t[5:], 0xFFFF) // no write precompensation
	if heads > 8 {
		t[8] = 0x08
	}
	binary.LittleEndian.PutUint16(t[12:], uint16(cyls)) // landing zone
	t[14] = byte(spt)
	return t
}
