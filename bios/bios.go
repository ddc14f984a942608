// Package bios is gox86's built-in PC BIOS, written in Go. A 64 KiB ROM
// at F0000h holds only entry stubs; each executes a firmware trap that
// runs a Go handler with full access to the CPU registers, memory and the
// devices (reached through their I/O ports, as real firmware would). It
// provides POST (PIC, PIT, BDA/EBDA, IVT, VGA text mode), INT 10h, 11h,
// 12h, 13h (floppy and hard disk, CHS and EDD extensions), 15h (E820,
// E801, 88h, A20, wait, C0h, block move), 16h, 1Ah, 18h/19h (boot:
// floppy, then hard disk) and the IRQ handlers.
//
// The BIOS assumes it is called in real mode (or from 16-bit protected
// code that set up real-mode-compatible segments, as boot loaders do); the
// physical address of seg:off is seg×16+off with the A20 gate applied.
package bios

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gox86/gox86/cpu"
	"github.com/gox86/gox86/devices"
	"github.com/gox86/gox86/mmu"
)

// Config connects the BIOS to a machine.
type Config struct {
	CPU    *cpu.CPU
	Memory *mmu.Memory
	Bus    *devices.Bus
	// VGA, when present, gets a BIOS mode set at POST and on INT 10h
	// AH=00h; without it text output still goes to B8000h.
	VGA *devices.VGA
	// Floppies are drives A: and B:; Disks are hard disks 80h and 81h.
	Floppies [2]*devices.DiskImage
	Disks    [2]*devices.DiskImage
	// MemoryBytes is the installed RAM.
	MemoryBytes uint32
	// Wait lets virtual time pass (INT 15h AH=86h), in microseconds.
	Wait func(us uint32)
	// Log, when non-nil, receives BIOS diagnostics (boot messages).
	Log io.Writer
	// Boot, when non-nil, is offered the boot step (INT 19h) first: a
	// machine that loads a kernel directly sets the CPU up there and
	// returns true.
	Boot func(c *cpu.CPU) bool
}

// BIOS is the firmware instance.
type BIOS struct {
	cfg      Config
	c        *cpu.CPU
	mem      *mmu.Memory
	bus      *devices.Bus
	rom      *romBuilder
	romOff   int64
	handlers map[uint16]func(*BIOS)
	// hd holds the geometry reported for each hard disk.
	hd [2]geometry
	// bootDrive is the drive INT 19h booted from.
	bootDrive uint8
	// fatal describes why the BIOS stopped the machine, if it did.
	fatal string
}

// Fatal says why the BIOS stopped the CPU (an unhandled CPU exception),
// or "" when it has not.
func (b *BIOS) Fatal() string { return b.fatal }

// geometry is a disk's BIOS-visible CHS shape.
type geometry struct {
	cyls, heads, spt int
	sectors          uint64
}

// ROMBase is where the BIOS ROM sits in the first megabyte.
const ROMBase = 0xF0000

// New builds the ROM, maps it at F0000h-FFFFFh and at the top of the 4
// GiB space, and installs the firmware trap on the CPU. The machine then
// resets the CPU, which starts at F000:FFF0 and runs POST.
func New(cfg Config) (*BIOS, error) {
	if cfg.CPU == nil || cfg.Memory == nil || cfg.Bus == nil {
		return nil, fmt.Errorf("bios: CPU, memory and bus are required")
	}
	b := &BIOS{cfg: cfg, c: cfg.CPU, mem: cfg.Memory, bus: cfg.Bus}
	b.rom = buildROM()
	for k, d := range cfg.Disks {
		if d != nil {
			b.hd[k] = hardDiskGeometry(uint64(d.SectorCount()))
			copy(b.rom.img[romFDPT0+16*k:], fdpt(b.hd[k].cyls, b.hd[k].heads, b.hd[k].spt))
		}
	}
	b.romOff = b.mem.AddROM(b.rom.img[:])
	if err := b.mem.MapPages(ROMBase, 0x10000, b.romOff, mmu.NoBacking); err != nil {
		return nil, err
	}
	if err := b.mem.MapPages(0xFFFF0000, 0x10000, b.romOff, mmu.NoBacking); err != nil {
		return nil, err
	}
	b.handlers = map[uint16]func(*BIOS){
		svcPOST: (*BIOS).post, svcInt10: (*BIOS).int10, svcInt11: (*BIOS).int11,
		svcInt12: (*BIOS).int12, svcInt13: (*BIOS).int13, svcInt14: (*BIOS).int14,
		svcInt15: (*BIOS).int15, svcInt16: (*BIOS).int16, svcInt17: (*BIOS).int17,
		svcInt18: (*BIOS).int18, svcInt19: (*BIOS).int19, svcInt1A: (*BIOS).int1A,
		svcIRQ0: (*BIOS).irq0, svcIRQ1: (*BIOS).irq1, svcIRQ6: (*BIOS).irq6,
		svcIRQ8: (*BIOS).irq8, svcIRQMaster: (*BIOS).irqMaster, svcIRQSlave: (*BIOS).irqSlave,
		svcInt05: (*BIOS).int05, svcUnhandled: (*BIOS).unhandled,
	}
	c := b.c
	c.Hooks.FirmwareCall = b.call
	c.Hooks.FirmwareLo, c.Hooks.FirmwareHi = ROMBase, ROMBase+0x10000
	return b, nil
}

// Attach connects devices created after the BIOS (the VGA, whose
// memory window is mapped once the firmware exists).
func (b *BIOS) Attach(vga *devices.VGA) error {
	b.cfg.VGA = vga
	return nil
}

// ROMOffset returns the backing offset of the ROM byte at physical
// address phys in F0000h-FFFFFh, for shadow-RAM control (PAM).
func (b *BIOS) ROMOffset(phys uint32) int64 { return b.romOff + int64(phys-ROMBase) }

// call dispatches a firmware trap.
func (b *BIOS) call(c *cpu.CPU, svc uint16) {
	if h, ok := b.handlers[svc]; ok {
		h(b)
	}
}

// Register access helpers (real-mode views).

func (b *BIOS) ax() uint16 { return uint16(b.c.R[cpu.EAX]) }
func (b *BIOS) bx() uint16 { return uint16(b.c.R[cpu.EBX]) }
func (b *BIOS) cx() uint16 { return uint16(b.c.R[cpu.ECX]) }
func (b *BIOS) dx() uint16 { return uint16(b.c.R[cpu.EDX]) }
func (b *BIOS) si() uint16 { return uint16(b.c.R[cpu.ESI]) }
func (b *BIOS) di() uint16 { return uint16(b.c.R[cpu.EDI]) }
func (b *BIOS) ah() uint8  { return uint8(b.c.R[cpu.EAX] >> 8) }
func (b *BIOS) al() uint8  { return uint8(b.c.R[cpu.EAX]) }
func (b *BIOS) bh() uint8  { return uint8(b.c.R[cpu.EBX] >> 8) }
func (b *BIOS) bl() uint8  { return uint8(b.c.R[cpu.EBX]) }
func (b *BIOS) ch() uint8  { return uint8(b.c.R[cpu.ECX] >> 8) }
func (b *BIOS) cl() uint8  { return uint8(b.c.R[cpu.ECX]) }
func (b *BIOS) dh() uint8  { return uint8(b.c.R[cpu.EDX] >> 8) }
func (b *BIOS) dl() uint8  { return uint8(b.c.R[cpu.EDX]) }

func (b *BIOS) set16(r int, v uint16) { b.c.R[r] = b.c.R[r]&^0xFFFF | uint32(v) }
func (b *BIOS) setLo(r int, v uint8)  { b.c.R[r] = b.c.R[r]&^0xFF | uint32(v) }
func (b *BIOS) setHi(r int, v uint8)  { b.c.R[r] = b.c.R[r]&^0xFF00 | uint32(v)<<8 }
func (b *BIOS) setAX(v uint16)        { b.set16(cpu.EAX, v) }
func (b *BIOS) setAH(v uint8)         { b.setHi(cpu.EAX, v) }
func (b *BIOS) setAL(v uint8)         { b.setLo(cpu.EAX, v) }

// seg returns a segment register's selector.
func (b *BIOS) seg(s int) uint16 { return b.c.Seg[s].Selector }

// phys is the physical address of seg:off in real mode.
func (b *BIOS) phys(seg, off uint16) uint32 {
	return (uint32(seg)<<4 + uint32(off)) & b.mem.A20Mask()
}

func (b *BIOS) rd8(a uint32) uint8       { return b.mem.Read8(a) }
func (b *BIOS) rd16(a uint32) uint16     { return uint16(b.mem.Read(a, 2)) }
func (b *BIOS) rd32(a uint32) uint32     { return b.mem.Read(a, 4) }
func (b *BIOS) wr8(a uint32, v uint8)    { b.mem.Write8(a, v) }
func (b *BIOS) wr16(a uint32, v uint16)  { b.mem.Write(a, 2, uint32(v)) }
func (b *BIOS) wr32(a uint32, v uint32)  { b.mem.Write(a, 4, v) }
func (b *BIOS) outb(port uint16, v byte) { b.bus.Out(port, 1, uint32(v)) }
func (b *BIOS) inb(port uint16) byte     { return byte(b.bus.In(port, 1)) }

// The interrupted code's FLAGS are on the stack at SS:SP+4 (pushed by the
// INT before CS and IP); handlers return status there so the stub's IRET
// restores the caller's IF together with the result flags.
func (b *BIOS) stackedFlags() uint32 {
	sp := uint16(b.c.R[cpu.ESP])
	return b.phys(b.seg(cpu.SS), sp+4)
}

func (b *BIOS) setStackedFlag(mask uint16, on bool) {
	a := b.stackedFlags()
	f := b.rd16(a)
	if on {
		f |= mask
	} else {
		f &^= mask
	}
	b.wr16(a, f)
}

// setCF reports success (false) or failure (true) to the caller.
func (b *BIOS) setCF(fail bool) { b.setStackedFlag(cpu.FlagCF, fail) }

func (b *BIOS) setZF(on bool) { b.setStackedFlag(cpu.FlagZF, on) }

// fail sets AH to an error code and CF.
func (b *BIOS) fail(code uint8) {
	b.setAH(code)
	b.setCF(true)
}

// ok clears AH and CF.
func (b *BIOS) ok() {
	b.setAH(0)
	b.setCF(false)
}

func (b *BIOS) logf(format string, args ...any) {
	if b.cfg.Log != nil {
		fmt.Fprintf(b.cfg.Log, format, args...)
	}
}

// putLE16 writes a little-endian word into a byte slice.
func putLE16(p []byte, v uint16) { binary.LittleEndian.PutUint16(p, v) }
