package bios

import "github.com/gox86/gox86/cpu"

// BIOS Data Area (segment 40h) offsets, IBM PC/AT Technical Reference.
const (
	bda          = 0x400
	bdaCOM       = 0x400 // 4 serial port bases
	bdaLPT       = 0x408
	bdaEBDASeg   = 0x40E
	bdaEquip     = 0x410
	bdaMemKB     = 0x413
	bdaKbdFlags  = 0x417
	bdaKbdFlags2 = 0x418
	bdaKbdHead   = 0x41A
	bdaKbdTail   = 0x41C
	bdaKbdBuf    = 0x41E // 16 words
	bdaRecal     = 0x43E // floppy recalibrate status; bit 7 = IRQ 6 seen
	bdaMotor     = 0x43F
	bdaMotorTmo  = 0x440
	bdaFDStatus  = 0x441
	bdaVideoMode = 0x449
	bdaCols      = 0x44A
	bdaPageSize  = 0x44C
	bdaPageStart = 0x44E
	bdaCursor    = 0x450 // 8 pages × (col, row)
	bdaCurShape  = 0x460
	bdaPage      = 0x462
	bdaCRTCPort  = 0x463
	bdaModeCtl   = 0x465
	bdaTicks     = 0x46C
	bdaMidnight  = 0x470
	bdaHDStatus  = 0x474
	bdaHDCount   = 0x475
	bdaKbdStart  = 0x480
	bdaKbdEnd    = 0x482
	bdaRows      = 0x484 // rows - 1
	bdaCharH     = 0x485
	bdaVideoCtl  = 0x487
	bdaVideoSw   = 0x488
	bdaVGAFlags  = 0x489

	ebdaSeg  = 0x9FC0 // one KiB of EBDA below 640 KiB
	ebdaAddr = ebdaSeg << 4
)

// ticksPerDay is the BIOS timer count at midnight: 1193180/65536 Hz ×
// 86400 s, the value IBM's BIOS compares against (1800B0h).
const ticksPerDay = 0x1800B0

// post is the power-on self test, run from the reset vector. It leaves
// the CPU at the INT 19h that follows the trap in ROM.
func (b *BIOS) post() {
	c := b.c
	b.mem.ZeroRAM(0, 0x500) // IVT and BDA
	b.mem.ZeroRAM(ebdaAddr, 0x400)
	b.initIVT()
	b.initBDA()
	b.initPIC()
	b.initPIT()
	b.initKeyboard()
	b.initVideo()
	b.initTime()
	b.mem.SetA20(true)
	// Stack for the boot phase: 0000:7C00 grows down, as boot sectors
	// expect to find it usable.
	c.SetRealSegment(cpu.SS, 0)
	c.R[cpu.ESP] = 0x7C00
	c.SetRealSegment(cpu.DS, 0)
	c.SetRealSegment(cpu.ES, 0)
	c.SetFlags(0x2)
	b.puts("gox86 BIOS\r\n")
	b.logf("bios: POST done, %d KiB base, %d KiB extended\n", 639, (b.cfg.MemoryBytes-1<<20)>>10)
}

// setVector points interrupt vector n at F000:off.
func (b *BIOS) setVector(n int, off uint16) {
	b.wr16(uint32(n*4), off)
	b.wr16(uint32(n*4+2), 0xF000)
}

// initIVT fills the interrupt vector table (IBM AT layout).
func (b *BIOS) initIVT() {
	for n := 0; n < 256; n++ {
		b.setVector(n, romIRET)
	}
	r := b.rom
	master, slave := uint16(r.irqMaster), uint16(r.irqSlave)
	for n := 0x08; n < 0x10; n++ {
		b.setVector(n, master)
	}
	for n := 0x70; n < 0x78; n++ {
		b.setVector(n, slave)
	}
	b.setVector(0x02, romNMI)
	for _, v := range []int{0, 6, 7} {
		b.setVector(v, uint16(r.unhandled[v]))
	}
	b.setVector(0x05, romInt05)
	b.setVector(0x08, romInt08)
	b.setVector(0x09, romInt09)
	b.setVector(0x0E, romInt0E)
	b.setVector(0x10, romInt10)
	b.setVector(0x11, romInt11)
	b.setVector(0x12, romInt12)
	b.setVector(0x13, romInt13)
	b.setVector(0x14, romInt14)
	b.setVector(0x15, romInt15)
	b.setVector(0x16, romInt16)
	b.setVector(0x17, romInt17)
	b.setVector(0x18, uint16(r.int18))
	b.setVector(0x19, romInt19)
	b.setVector(0x1A, romInt1A)
	b.setVector(0x1D, romVideoParms)
	b.setVector(0x1E, romDisketteTb)
	b.setVector(0x1F, 0) // no graphics font for 80h-FFh
	b.wr16(0x1F*4+2, 0)
	b.setVector(0x41, romFDPT0)
	b.setVector(0x46, romFDPT1)
	b.setVector(0x70, uint16(r.irq8))
}

// initBDA records the hardware inventory in the BIOS Data Area.
func (b *BIOS) initBDA() {
	for k, port := range []uint16{0x3F8, 0x2F8, 0x3E8, 0x2E8} {
		b.wr16(uint32(bdaCOM+2*k), port)
	}
	b.wr16(bdaEBDASeg, ebdaSeg)
	b.wr16(ebdaAddr, 1)     // EBDA size in KiB
	equip := uint16(0x0020) // initial video mode: 80x25 colour
	equip |= 4 << 9         // four serial ports
	equip |= 1 << 1         // math coprocessor
	floppies := 0
	for _, f := range b.cfg.Floppies {
		if f != nil {
			floppies++
		}
	}
	if floppies > 0 {
		equip |= 1 | uint16(floppies-1)<<6
	}
	b.wr16(bdaEquip, equip)
	b.wr16(bdaMemKB, 639)
	b.wr16(bdaKbdStart, bdaKbdBuf-bda)
	b.wr16(bdaKbdEnd, bdaKbdBuf-bda+32)
	b.wr16(bdaKbdHead, bdaKbdBuf-bda)
	b.wr16(bdaKbdTail, bdaKbdBuf-bda)
	disks := 0
	for _, d := range b.cfg.Disks {
		if d != nil {
			disks++
		}
	}
	b.wr8(bdaHDCount, uint8(disks))
	b.wr8(bdaVideoCtl, 0x60)
	b.wr8(bdaVideoSw, 0x09)
	b.wr8(bdaVGAFlags, 0x51)
}

// initPIC programs both 8259As: edge triggered, cascaded on IR2, vectors
// 08h-0Fh and 70h-77h (8259A datasheet, ICW1-ICW4), with the IRQs the
// BIOS services unmasked.
func (b *BIOS) initPIC() {
	b.outb(0x20, 0x11)
	b.outb(0x21, 0x08)
	b.outb(0x21, 0x04)
	b.outb(0x21, 0x01)
	b.outb(0xA0, 0x11)
	b.outb(0xA1, 0x70)
	b.outb(0xA1, 0x02)
	b.outb(0xA1, 0x01)
	b.outb(0x21, 0xB8) // IRQ 0, 1, 2, 6 enabled
	b.outb(0xA1, 0x9F) // IRQ 13, 14 enabled (and 8/12 stay masked)
}

// initPIT sets channel 0 to mode 3 with count 65536: 18.2 Hz ticks.
func (b *BIOS) initPIT() {
	b.outb(0x43, 0x36)
	b.outb(0x40, 0)
	b.outb(0x40, 0)
}

// initKeyboard runs the 8042 self test and enables the keyboard with
// scan-code translation and IRQ 1.
func (b *BIOS) initKeyboard() {
	b.outb(0x64, 0xAA)
	b.inb(0x60)
	b.outb(0x64, 0x60)
	b.outb(0x60, 0x45) // translate, system flag, keyboard IRQ
	b.outb(0x64, 0xAE)
}

// initTime sets the tick count from the RTC, as the AT BIOS does.
func (b *BIOS) initTime() {
	h, m, s := b.rtcTime()
	secs := uint32(h)*3600 + uint32(m)*60 + uint32(s)
	b.wr32(bdaTicks, uint32(uint64(secs)*ticksPerDay/86400))
}
