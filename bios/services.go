package bios

import (
	"encoding/binary"
	"fmt"

	"github.com/gox86/gox86/cpu"
)

// Miscellaneous BIOS services: INT 05h, 11h, 12h, 14h, 15h, 17h, 18h,
// 19h and 1Ah (IBM PC/AT Technical Reference; E820/E801 per the ACPI
// specification's "INT 15H, E820H - Query System Address Map").

func (b *BIOS) int05() {}

func (b *BIOS) int11() { b.setAX(b.rd16(bdaEquip)) }

func (b *BIOS) int12() { b.setAX(b.rd16(bdaMemKB)) }

// int14 drives a 16550 through its ports (AH=00h init, 01h send, 02h
// receive, 03h status), polling with a bounded count as BIOSes do.
func (b *BIOS) int14() {
	dx := b.dx()
	if dx > 3 {
		return
	}
	base := b.rd16(uint32(bdaCOM + 2*dx))
	if base == 0 {
		b.setAH(0x80)
		return
	}
	switch b.ah() {
	case 0x00:
		divisors := [8]uint16{0x417, 0x300, 0x180, 0xC0, 0x60, 0x30, 0x18, 0x0C}
		al := b.al()
		d := divisors[al>>5]
		b.outb(base+3, 0x80)
		b.outb(base, byte(d))
		b.outb(base+1, byte(d>>8))
		b.outb(base+3, al&0x1F)
		b.outb(base+1, 0)
		b.setAH(b.inb(base + 5))
		b.setAL(b.inb(base + 6))
	case 0x01:
		for n := 0; n < 100000 && b.inb(base+5)&0x20 == 0; n++ {
		}
		b.outb(base, b.al())
		b.setAH(b.inb(base + 5))
	case 0x02:
		if b.inb(base+5)&0x01 == 0 {
			b.setAH(0x80 | b.inb(base+5))
			return
		}
		b.setAL(b.inb(base))
		b.setAH(b.inb(base+5) &^ 0x80)
	case 0x03:
		b.setAH(b.inb(base + 5))
		b.setAL(b.inb(base + 6))
	}
}

// int17: no parallel printer is attached; report a time-out.
func (b *BIOS) int17() { b.setAH(0x01) }

// unhandled is reached through the default vectors of the CPU exceptions
// a real-mode program can provoke (#DE, #UD, #NM). An IRET there would
// return to the faulting instruction forever, so the BIOS reports the
// exception and where it happened, and stops the CPU.
func (b *BIOS) unhandled() {
	vec := b.al()
	sp := uint16(b.c.R[cpu.ESP])
	ss := b.seg(cpu.SS)
	ip := b.rd16(b.phys(ss, sp))
	cs := b.rd16(b.phys(ss, sp+2))
	b.fatal = fmt.Sprintf("unhandled CPU exception %s at %04X:%04X (no handler installed)", cpu.ExceptionName(vec), cs, ip)
	b.puts("\r\n" + b.fatal + "\r\n")
	b.logf("bios: %s\n", b.fatal)
	b.c.SetRealSegment(cpu.CS, 0xF000)
	b.c.EIP = haltOffset
}

// haltOffset is where POST's code parks the CPU if booting returns.
const haltOffset = romPOST + 6

// int18 is called when no device could be booted.
func (b *BIOS) int18() {
	b.puts("No bootable device.\r\n")
	b.logf("bios: no bootable device\n")
	b.c.SetRealSegment(cpu.CS, 0xF000)
	b.c.EIP = haltOffset
}

// int19 loads the boot sector of the first bootable drive, floppy A:
// first, then the first hard disk, and jumps to it at 0000:7C00 with DL
// holding the drive number.
func (b *BIOS) int19() {
	if b.cfg.Boot != nil && b.cfg.Boot(b.c) {
		return
	}
	buf := make([]byte, sectorSize)
	for _, dl := range []uint8{0x00, 0x80} {
		d, _, ok := b.drive(dl)
		if !ok {
			continue
		}
		if err := d.ReadSectors(0, buf); err != nil {
			continue
		}
		if dl >= 0x80 && (buf[510] != 0x55 || buf[511] != 0xAA) {
			b.puts("Hard disk has no boot signature.\r\n")
			continue
		}
		name := "floppy"
		if dl >= 0x80 {
			name = "hard disk"
		}
		b.puts("Booting from " + name + "...\r\n")
		b.logf("bios: booting from drive %02Xh\n", dl)
		b.mem.WriteBytes(0x7C00, buf)
		b.bootDrive = dl
		c := b.c
		c.SetRealSegment(cpu.CS, 0)
		c.SetRealSegment(cpu.DS, 0)
		c.SetRealSegment(cpu.ES, 0)
		c.SetRealSegment(cpu.SS, 0)
		c.R[cpu.ESP] = 0x7C00
		c.R[cpu.EDX] = uint32(dl)
		c.EIP = 0x7C00
		c.SetFlags(cpu.FlagIF | 0x2)
		return
	}
	b.int18()
}

// int15 dispatches system services by AH (and AX for E8xxh).
func (b *BIOS) int15() {
	switch ax := b.ax(); {
	case ax == 0xE820:
		b.e820()
	case ax == 0xE801:
		ext, above := b.memoryKB()
		lo := ext
		if lo > 15*1024 {
			lo = 15 * 1024
		}
		b.setAX(uint16(lo))
		b.set16(cpu.ECX, uint16(lo))
		b.set16(cpu.EBX, uint16(above))
		b.set16(cpu.EDX, uint16(above))
		b.setCF(false)
	case ax >= 0x2400 && ax <= 0x2403:
		b.a20Service(uint8(ax))
	default:
		switch b.ah() {
		case 0x4F: // keyboard intercept: leave the scan code alone
			b.setCF(true)
		case 0x86:
			us := uint32(b.cx())<<16 | uint32(b.dx())
			if b.cfg.Wait != nil {
				b.cfg.Wait(us)
			}
			b.ok()
		case 0x87:
			b.blockMove()
		case 0x88:
			ext, _ := b.memoryKB()
			if ext > 0xFFFF {
				ext = 0xFFFF
			}
			b.setAX(uint16(ext))
			b.setCF(false)
		case 0x90, 0x91:
			b.ok()
		case 0xC0:
			b.c.SetRealSegment(cpu.ES, 0xF000)
			b.set16(cpu.EBX, romConfig)
			b.ok()
		case 0xC1:
			b.c.SetRealSegment(cpu.ES, ebdaSeg)
			b.setCF(false)
		default:
			b.fail(0x86) // function not supported
		}
	}
}

// memoryKB returns extended memory in KiB above 1 MiB, and the number of
// 64 KiB blocks above 16 MiB.
func (b *BIOS) memoryKB() (ext uint32, above16 uint32) {
	ram := b.cfg.MemoryBytes
	ext = (ram - 1<<20) >> 10
	if ram > 16<<20 {
		above16 = (ram - 16<<20) >> 16
	}
	return ext, above16
}

// e820Map is the system address map reported by E820h.
func (b *BIOS) e820Map() [][3]uint64 {
	return [][3]uint64{
		{0, 0x9FC00, 1},
		{0x9FC00, 0x400, 2},
		{0xE0000, 0x20000, 2},
		{0x100000, uint64(b.cfg.MemoryBytes) - 0x100000, 1},
		{0xFFFC0000, 0x40000, 2},
	}
}

// e820 returns one map entry per call; EBX is the continuation value.
func (b *BIOS) e820() {
	c := b.c
	if c.R[cpu.EDX] != 0x534D4150 || c.R[cpu.ECX] < 20 {
		b.fail(0x86)
		return
	}
	m := b.e820Map()
	k := int(c.R[cpu.EBX])
	if k >= len(m) {
		b.fail(0x86)
		return
	}
	var e [20]byte
	binary.LittleEndian.PutUint64(e[0:], m[k][0])
	binary.LittleEndian.PutUint64(e[8:], m[k][1])
	binary.LittleEndian.PutUint32(e[16:], uint32(m[k][2]))
	b.mem.WriteBytes(b.phys(b.seg(cpu.ES), b.di()), e[:])
	c.R[cpu.EAX] = 0x534D4150
	c.R[cpu.ECX] = 20
	if k+1 < len(m) {
		c.R[cpu.EBX] = uint32(k + 1)
	} else {
		c.R[cpu.EBX] = 0
	}
	b.setCF(false)
}

// a20Service is AX=2400h-2403h (disable, enable, status, support).
func (b *BIOS) a20Service(al uint8) {
	switch al {
	case 0:
		b.mem.SetA20(false)
		b.ok()
	case 1:
		b.mem.SetA20(true)
		b.ok()
	case 2:
		b.setAL(0)
		if b.mem.A20() {
			b.setAL(1)
		}
		b.ok()
	case 3:
		b.set16(cpu.EBX, 0x0003) // keyboard controller and port 92h
		b.ok()
	}
}

// blockMove is AH=87h: copy CX words between the source and destination
// descriptors of the GDT at ES:SI (entries 2 and 3), as HIMEM-era code
// expects.
func (b *BIOS) blockMove() {
	gdt := b.phys(b.seg(cpu.ES), b.si())
	base := func(d uint32) uint32 {
		return uint32(b.rd16(d+2)) | uint32(b.rd8(d+4))<<16 | uint32(b.rd8(d+7))<<24
	}
	src, dst := base(gdt+0x10), base(gdt+0x18)
	n := uint32(b.cx()) * 2
	buf := make([]byte, n)
	b.mem.ReadBytes(src, buf)
	b.mem.WriteBytes(dst, buf)
	b.ok()
}

// CMOS RTC access through ports 70h/71h.
func (b *BIOS) cmos(reg uint8) uint8 {
	b.outb(0x70, reg)
	return b.inb(0x71)
}

func (b *BIOS) setCMOS(reg, v uint8) {
	b.outb(0x70, reg)
	b.outb(0x71, v)
}

func bcd(v uint8) uint8     { return v/10<<4 | v%10 }
func fromBCD(v uint8) uint8 { return v>>4*10 + v&0xF }

// rtcField reads an RTC register and returns it in BCD whatever the RTC's
// data mode.
func (b *BIOS) rtcField(reg uint8) uint8 {
	v := b.cmos(reg)
	if b.cmos(0x0B)&0x04 != 0 {
		return bcd(v)
	}
	return v
}

// rtcTime returns the RTC time in binary.
func (b *BIOS) rtcTime() (h, m, s uint8) {
	hr := b.rtcField(0x04)
	pm := hr&0x80 != 0
	h = fromBCD(hr & 0x7F)
	if b.cmos(0x0B)&0x02 == 0 { // 12-hour mode
		h %= 12
		if pm {
			h += 12
		}
	}
	return h, fromBCD(b.rtcField(0x02)), fromBCD(b.rtcField(0x00))
}

// int1A: time of day (AH=00h/01h ticks, 02h-05h RTC). PCI BIOS calls
// (B1xxh) report "not present", so software uses configuration
// mechanism #1 directly.
func (b *BIOS) int1A() {
	switch b.ah() {
	case 0x00:
		t := b.rd32(bdaTicks)
		b.set16(cpu.ECX, uint16(t>>16))
		b.set16(cpu.EDX, uint16(t))
		b.setAL(b.rd8(bdaMidnight))
		b.wr8(bdaMidnight, 0)
		b.setCF(false)
	case 0x01:
		b.wr32(bdaTicks, uint32(b.cx())<<16|uint32(b.dx()))
		b.wr8(bdaMidnight, 0)
		b.setCF(false)
	case 0x02:
		h, m, s := b.rtcTime()
		b.setHi(cpu.ECX, bcd(h))
		b.setLo(cpu.ECX, bcd(m))
		b.setHi(cpu.EDX, bcd(s))
		b.setLo(cpu.EDX, b.cmos(0x0B)&1)
		b.setCF(false)
	case 0x03:
		b.writeRTC([][2]uint8{{0x04, b.ch()}, {0x02, b.cl()}, {0x00, b.dh()}})
		b.setCF(false)
	case 0x04:
		b.setHi(cpu.ECX, b.rtcField(0x32))
		b.setLo(cpu.ECX, b.rtcField(0x09))
		b.setHi(cpu.EDX, b.rtcField(0x08))
		b.setLo(cpu.EDX, b.rtcField(0x07))
		b.setCF(false)
	case 0x05:
		b.writeRTC([][2]uint8{{0x32, b.ch()}, {0x09, b.cl()}, {0x08, b.dh()}, {0x07, b.dl()}})
		b.setCF(false)
	case 0xB1:
		b.fail(0x81)
	default:
		b.setCF(true)
	}
}

// writeRTC sets RTC registers from BCD values, honouring the RTC's data
// mode, with the SET bit held while writing (MC146818A, register B).
func (b *BIOS) writeRTC(regs [][2]uint8) {
	regB := b.cmos(0x0B)
	b.setCMOS(0x0B, regB|0x80)
	for _, r := range regs {
		v := r[1]
		if regB&0x04 != 0 {
			v = fromBCD(v)
		}
		b.setCMOS(r[0], v)
	}
	b.setCMOS(0x0B, regB&^0x80)
}
