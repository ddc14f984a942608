package bios

import (
	"encoding/binary"

	"github.com/gox86/gox86/cpu"
	"github.com/gox86/gox86/devices"
)

// INT 13h disk services: CHS functions for floppies and hard disks, and
// the EDD extensions (Phoenix Enhanced Disk Drive Specification 3.0) for
// hard disks. Transfers are done directly between the image and memory.

// INT 13h status codes (IBM AT BIOS).
const (
	diskOK           = 0x00
	diskBadCommand   = 0x01
	diskWriteProtect = 0x03
	diskNotFound     = 0x04
	diskNoMedia      = 0xAA
	diskTimeout      = 0x80
)

const sectorSize = 512

// hardDiskGeometry is the translated CHS geometry INT 13h reports for a
// disk of n sectors: 63 sectors per track, up to 255 heads, at most 1024
// cylinders (the rest reachable through EDD).
func hardDiskGeometry(n uint64) geometry {
	g := geometry{spt: 63, heads: 16, sectors: n}
	for _, h := range []int{16, 32, 64, 128, 255} {
		g.heads = h
		if n/uint64(h*63) <= 1024 {
			break
		}
	}
	cyls := n / uint64(g.heads*g.spt)
	if cyls > 1024 {
		cyls = 1024
	}
	if cyls == 0 {
		cyls = 1
	}
	g.cyls = int(cyls)
	return g
}

// drive resolves DL to an image and its geometry.
func (b *BIOS) drive(dl uint8) (*devices.DiskImage, geometry, bool) {
	if dl < 0x80 {
		if int(dl) >= len(b.cfg.Floppies) || b.cfg.Floppies[dl] == nil {
			return nil, geometry{}, false
		}
		d := b.cfg.Floppies[dl]
		cyls, heads, spt, ok := devices.FloppyGeometry(int64(d.SectorCount()) * sectorSize)
		if !ok {
			cyls, heads, spt = 80, 2, 18
		}
		return d, geometry{cyls: cyls, heads: heads, spt: spt, sectors: uint64(d.SectorCount())}, true
	}
	k := int(dl - 0x80)
	if k >= len(b.cfg.Disks) || b.cfg.Disks[k] == nil {
		return nil, geometry{}, false
	}
	return b.cfg.Disks[k], b.hd[k], true
}

// setDiskStatus records the last status in the BDA and returns it to the
// caller in AH with CF.
func (b *BIOS) setDiskStatus(dl uint8, st uint8) {
	if dl < 0x80 {
		b.wr8(bdaFDStatus, st)
	} else {
		b.wr8(bdaHDStatus, st)
	}
	b.setAH(st)
	b.setCF(st != diskOK)
}

// transfer moves count sectors starting at lba between the disk and
// physical memory at addr.
func (b *BIOS) transfer(d *devices.DiskImage, lba uint64, count int, addr uint32, write bool) (int, uint8) {
	buf := make([]byte, sectorSize)
	for n := 0; n < count; n++ {
		a := addr + uint32(n*sectorSize)
		if write {
			b.mem.ReadBytes(a, buf)
			if err := d.WriteSectors(int64(lba)+int64(n), buf); err != nil {
				if d.ReadOnly() {
					return n, diskWriteProtect
				}
				return n, diskNotFound
			}
			continue
		}
		if err := d.ReadSectors(int64(lba)+int64(n), buf); err != nil {
			return n, diskNotFound
		}
		b.mem.WriteBytes(a, buf)
	}
	return count, diskOK
}

func (b *BIOS) int13() {
	dl := b.dl()
	d, g, present := b.drive(dl)
	ah := b.ah()
	if !present && ah != 0x00 && ah != 0x01 && ah != 0x15 {
		b.setDiskStatus(dl, diskTimeout)
		return
	}
	switch ah {
	case 0x00, 0x0D, 0x10, 0x11, 0x0C, 0x17: // reset, ready, recalibrate, seek, media type
		b.setDiskStatus(dl, diskOK)
	case 0x01:
		st := b.rd8(bdaFDStatus)
		if dl >= 0x80 {
			st = b.rd8(bdaHDStatus)
		}
		b.setAL(st)
		b.setAH(diskOK)
		b.setCF(false)
	case 0x02, 0x03, 0x04:
		count := int(b.al())
		cyl := int(b.ch()) | int(b.cl()&0xC0)<<2
		sec := int(b.cl() & 0x3F)
		head := int(b.dh())
		if count == 0 || sec == 0 || sec > g.spt || head >= g.heads || cyl >= g.cyls {
			b.setAL(0)
			b.setDiskStatus(dl, diskNotFound)
			return
		}
		lba := uint64((cyl*g.heads+head)*g.spt + sec - 1)
		if lba+uint64(count) > g.sectors {
			b.setAL(0)
			b.setDiskStatus(dl, diskNotFound)
			return
		}
		if ah == 0x04 {
			b.setDiskStatus(dl, diskOK)
			return
		}
		n, st := b.transfer(d, lba, count, b.phys(b.seg(cpu.ES), b.bx()), ah == 0x03)
		b.setAL(uint8(n))
		b.setDiskStatus(dl, st)
	case 0x05:
		if d.ReadOnly() {
			b.setDiskStatus(dl, diskWriteProtect)
			return
		}
		b.setDiskStatus(dl, diskOK)
	case 0x08:
		b.getDriveParams(dl, g)
	case 0x15:
		switch {
		case !present:
			b.setAH(0)
		case dl < 0x80:
			b.setAH(0x02) // floppy with change-line support
		default:
			b.setAH(0x03)
			b.set16(cpu.ECX, uint16(g.sectors>>16))
			b.set16(cpu.EDX, uint16(g.sectors))
		}
		b.setCF(false)
	case 0x16:
		b.setDiskStatus(dl, diskOK) // media not changed
	case 0x18:
		b.c.SetRealSegment(cpu.ES, 0xF000)
		b.set16(cpu.EDI, romDisketteTb)
		b.setDiskStatus(dl, diskOK)
	case 0x41:
		if dl < 0x80 || b.bx() != 0x55AA {
			b.setDiskStatus(dl, diskBadCommand)
			return
		}
		b.set16(cpu.EBX, 0xAA55)
		b.set16(cpu.ECX, 0x0005) // fixed disk access (42h-44h, 47h, 48h), EDD (48h)
		b.setAH(0x30)            // EDD 3.0
		b.setCF(false)
	case 0x42, 0x43, 0x44, 0x47:
		if dl < 0x80 {
			b.setDiskStatus(dl, diskBadCommand)
			return
		}
		b.extendedRW(dl, d, g, ah)
	case 0x48:
		if dl < 0x80 {
			b.setDiskStatus(dl, diskBadCommand)
			return
		}
		b.extendedParams(dl, g)
	default:
		b.setDiskStatus(dl, diskBadCommand)
	}
}

// getDriveParams is AH=08h.
func (b *BIOS) getDriveParams(dl uint8, g geometry) {
	maxCyl := g.cyls - 1
	b.setHi(cpu.ECX, uint8(maxCyl))
	b.setLo(cpu.ECX, uint8(g.spt)|uint8(maxCyl>>2)&0xC0)
	b.setHi(cpu.EDX, uint8(g.heads-1))
	if dl < 0x80 {
		n := 0
		for _, f := range b.cfg.Floppies {
			if f != nil {
				n++
			}
		}
		b.setLo(cpu.EDX, uint8(n))
		b.setLo(cpu.EBX, 4) // 1.44 MB drive
		b.c.SetRealSegment(cpu.ES, 0xF000)
		b.set16(cpu.EDI, romDisketteTb)
	} else {
		b.setLo(cpu.EDX, b.rd8(bdaHDCount))
	}
	b.setAL(0)
	b.setDiskStatus(dl, diskOK)
}

// extendedRW handles AH=42h/43h/44h/47h with the disk address packet at
// DS:SI: size, reserved, block count, buffer segment:offset, 64-bit LBA,
// and (size >= 24 with buffer FFFF:FFFF) a 64-bit flat buffer address.
func (b *BIOS) extendedRW(dl uint8, d *devices.DiskImage, g geometry, ah uint8) {
	dap := b.phys(b.seg(cpu.DS), b.si())
	size := b.rd8(dap)
	if size < 16 {
		b.setDiskStatus(dl, diskBadCommand)
		return
	}
	count := int(b.rd16(dap + 2))
	off, seg := b.rd16(dap+4), b.rd16(dap+6)
	lba := uint64(b.rd32(dap+8)) | uint64(b.rd32(dap+12))<<32
	addr := b.phys(seg, off)
	if off == 0xFFFF && seg == 0xFFFF && size >= 24 {
		addr = b.rd32(dap + 16)
	}
	if lba+uint64(count) > g.sectors || lba+uint64(count) < lba {
		b.wr16(dap+2, 0)
		b.setDiskStatus(dl, diskNotFound)
		return
	}
	if ah == 0x44 || ah == 0x47 {
		b.setDiskStatus(dl, diskOK)
		return
	}
	n, st := b.transfer(d, lba, count, addr, ah == 0x43)
	b.wr16(dap+2, uint16(n))
	b.setDiskStatus(dl, st)
}

// extendedParams is AH=48h: the result buffer at DS:SI (EDD 3.0 table 1).
func (b *BIOS) extendedParams(dl uint8, g geometry) {
	buf := b.phys(b.seg(cpu.DS), b.si())
	size := b.rd16(buf)
	if size < 26 {
		b.setDiskStatus(dl, diskBadCommand)
		return
	}
	var t [30]byte
	n := 26
	if size >= 30 {
		n = 30
		binary.LittleEndian.PutUint32(t[26:], 0xFFFFFFFF) // no DPTE
	}
	binary.LittleEndian.PutUint16(t[0:], uint16(n))
	binary.LittleEndian.PutUint16(t[2:], 0x0002) // CHS information valid
	binary.LittleEndian.PutUint32(t[4:], uint32(g.cyls))
	binary.LittleEndian.PutUint32(t[8:], uint32(g.heads))
	binary.LittleEndian.PutUint32(t[12:], uint32(g.spt))
	binary.LittleEndian.PutUint64(t[16:], g.sectors)
	binary.LittleEndian.PutUint16(t[24:], sectorSize)
	b.mem.WriteBytes(buf, t[:n])
	b.setDiskStatus(dl, diskOK)
}

// irq6 notes a floppy interrupt for the (HLE) driver and ends it.
func (b *BIOS) irq6() {
	b.wr8(bdaRecal, b.rd8(bdaRecal)|0x80)
	b.outb(0x20, 0x20)
}
