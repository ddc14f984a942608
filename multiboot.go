package gox86

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gox86/gox86/cpu"
)

// Multiboot (version 0.6.96) constants: the header a kernel carries and
// the state a loader hands over.
const (
	multibootHeaderMagic = 0x1BADB002
	multibootBootMagic   = 0x2BADB002
	multibootSearch      = 8192

	mbFlagPageAlign = 1 << 0
	mbFlagMemInfo   = 1 << 1
	mbFlagVideo     = 1 << 2
	mbFlagAOut      = 1 << 16
	// Bits 0-15 are requirements; we can meet 0 and 1 (2 asks for a
	// graphics mode, which is only a preference we may ignore).
	mbRequiredUnknown = 0xFFF8

	// Info structure flags (multiboot spec, 3.3).
	mbInfoMem     = 1 << 0
	mbInfoCmdline = 1 << 2
	mbInfoMods    = 1 << 3
	mbInfoMmap    = 1 << 6
	mbInfoLoader  = 1 << 9
)

// Where the loader puts its own structures in low memory.
const (
	bootGDTAddr  = 0x6000
	mbInfoAddr   = 0x7000
	mbCmdAddr    = 0x7400
	mbMmapAddr   = 0x7800
	mbLoaderName = 0x7C00
	mbCmdMax     = 0x3FF
	bootCodeSel  = 0x08
	bootDataSel  = 0x10
)

// multibootHeader is the kernel's request.
type multibootHeader struct {
	offset                                       int
	flags                                        uint32
	headerAddr, loadAddr, loadEnd, bssEnd, entry uint32
}

func findMultibootHeader(img []byte) (*multibootHeader, error) {
	n := len(img)
	if n > multibootSearch {
		n = multibootSearch
	}
	for off := 0; off+12 <= n; off += 4 {
		if binary.LittleEndian.Uint32(img[off:]) != multibootHeaderMagic {
			continue
		}
		flags := binary.LittleEndian.Uint32(img[off+4:])
		sum := binary.LittleEndian.Uint32(img[off+8:])
		if multibootHeaderMagic+flags+sum != 0 {
			return nil, fmt.Errorf("multiboot: header at offset %#x has a bad checksum", off)
		}
		h := &multibootHeader{offset: off, flags: flags}
		if flags&mbFlagAOut != 0 {
			if off+32 > len(img) {
				return nil, fmt.Errorf("multiboot: header at offset %#x is truncated", off)
			}
			f := func(k int) uint32 { return binary.LittleEndian.Uint32(img[off+12+4*k:]) }
			h.headerAddr, h.loadAddr, h.loadEnd, h.bssEnd, h.entry = f(0), f(1), f(2), f(3), f(4)
		}
		return h, nil
	}
	return nil, fmt.Errorf("multiboot: no multiboot header in the first %d bytes: not a multiboot kernel", multibootSearch)
}

// LoadMultiboot loads a Multiboot v1 kernel (an ELF32 image, or a binary
// with the header's address fields) and sets the CPU up in the state the
// specification requires: protected mode, flat 4 GiB segments, paging
// off, A20 on, EAX = 0x2BADB002, EBX = the info structure (memory sizes,
// memory map, command line, loader name).
func (m *Machine) LoadMultiboot(img []byte, cmdline string) error {
	if len(img) == 0 {
		return ErrNoImage
	}
	h, err := findMultibootHeader(img)
	if err != nil {
		return err
	}
	if h.flags&mbRequiredUnknown != 0 {
		return fmt.Errorf("multiboot: kernel requires features this loader lacks (flags %#x)", h.flags)
	}
	if len(cmdline) > mbCmdMax {
		return fmt.Errorf("multiboot: command line is %d bytes; at most %d fit", len(cmdline), mbCmdMax)
	}
	var entry uint32
	if h.flags&mbFlagAOut != 0 {
		entry, err = m.loadAOutKludge(img, h)
	} else {
		entry, err = m.loadELF(img)
	}
	if err != nil {
		return err
	}
	m.writeMultibootInfo(cmdline)
	m.enterFlatProtectedMode(entry)
	m.CPU.SetReg(cpu.EAX, multibootBootMagic)
	m.CPU.SetReg(cpu.EBX, mbInfoAddr)
	if m.BIOS != nil {
		// After a guest reset, the BIOS's boot step loads the kernel
		// again, in the state the specification requires.
		m.reload = func() error { return m.LoadMultiboot(img, cmdline) }
	}
	return nil
}

// checkLoadRange rejects loads outside RAM or over the loader's own area.
func (m *Machine) checkLoadRange(addr, size uint32, what string) error {
	end := uint64(addr) + uint64(size)
	if end > uint64(m.Mem.RAMSize()) {
		return fmt.Errorf("multiboot: %s at %#x+%#x does not fit in %d MiB of RAM", what, addr, size, m.Mem.RAMSize()>>20)
	}
	if addr < 0x100000 && end > bootGDTAddr && addr < mbLoaderName+0x100 {
		return fmt.Errorf("multiboot: %s at %#x+%#x overlaps the loader's data at %#x", what, addr, size, bootGDTAddr)
	}
	return nil
}

func (m *Machine) loadELF(img []byte) (uint32, error) {
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("multiboot: not a valid ELF file: truncated at %d bytes", len(img))
		}
		return 0, fmt.Errorf("multiboot: not a valid ELF file: %w", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS32 || f.Machine != elf.EM_386 {
		return 0, fmt.Errorf("multiboot: ELF is %v/%v; need a 32-bit i386 kernel", f.Class, f.Machine)
	}
	loaded := 0
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		if p.Filesz > p.Memsz || p.Memsz > 1<<32 {
			return 0, fmt.Errorf("multiboot: ELF segment at %#x has file size %#x > memory size %#x", p.Paddr, p.Filesz, p.Memsz)
		}
		if p.Off+p.Filesz > uint64(len(img)) {
			return 0, fmt.Errorf("multiboot: ELF segment at %#x is truncated: file has %d bytes, segment needs %d", p.Paddr, len(img), p.Off+p.Filesz)
		}
		addr := uint32(p.Paddr)
		if err := m.checkLoadRange(addr, uint32(p.Memsz), "ELF segment"); err != nil {
			return 0, err
		}
		m.Mem.WriteBytes(addr, img[p.Off:p.Off+p.Filesz])
		m.Mem.ZeroRAM(addr+uint32(p.Filesz), uint32(p.Memsz-p.Filesz))
		loaded++
	}
	if loaded == 0 {
		return 0, fmt.Errorf("multiboot: ELF has no loadable segments")
	}
	return uint32(f.Entry), nil
}

// loadAOutKludge loads an image using the header's address fields
// (multiboot spec 3.1.3, flag bit 16).
func (m *Machine) loadAOutKludge(img []byte, h *multibootHeader) (uint32, error) {
	if h.loadAddr > h.headerAddr || h.headerAddr-h.loadAddr > uint32(h.offset) {
		return 0, fmt.Errorf("multiboot: header addresses are inconsistent (load %#x, header %#x)", h.loadAddr, h.headerAddr)
	}
	start := h.offset - int(h.headerAddr-h.loadAddr)
	size := len(img) - start
	if h.loadEnd != 0 {
		if h.loadEnd < h.loadAddr || int(h.loadEnd-h.loadAddr) > size {
			return 0, fmt.Errorf("multiboot: load_end_addr %#x lies beyond the file", h.loadEnd)
		}
		size = int(h.loadEnd - h.loadAddr)
	}
	total := uint32(size)
	if h.bssEnd != 0 {
		if h.bssEnd < h.loadAddr+uint32(size) {
			return 0, fmt.Errorf("multiboot: bss_end_addr %#x precedes the loaded data", h.bssEnd)
		}
		total = h.bssEnd - h.loadAddr
	}
	if err := m.checkLoadRange(h.loadAddr, total, "kernel image"); err != nil {
		return 0, err
	}
	m.Mem.WriteBytes(h.loadAddr, img[start:start+size])
	m.Mem.ZeroRAM(h.loadAddr+uint32(size), total-uint32(size))
	return h.entry, nil
}

// writeMultibootInfo builds the boot information structure (multiboot
// spec, 3.3) with a BIOS-like memory map.
func (m *Machine) writeMultibootInfo(cmdline string) {
	ram := m.Mem.RAMSize()
	mem := m.Mem
	mem.ZeroRAM(mbInfoAddr, 0x1000)
	put := func(off, v uint32) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], v)
		mem.WriteBytes(mbInfoAddr+off, b[:])
	}
	put(0, mbInfoMem|mbInfoCmdline|mbInfoMmap|mbInfoLoader)
	put(4, 639)             // mem_lower, KiB
	put(8, (ram-1<<20)>>10) // mem_upper, KiB
	put(16, mbCmdAddr)      // cmdline
	mem.WriteBytes(mbCmdAddr, append([]byte(cmdline), 0))
	type region struct {
		base, size uint64
		typ        uint32
	}
	regions := []region{
		{0, 0x9FC00, 1},
		{0x9FC00, 0x400, 2},
		{0xF0000, 0x10000, 2},
		{0x100000, uint64(ram) - 0x100000, 1},
	}
	var mm []byte
	for _, r := range regions {
		var e [24]byte
		binary.LittleEndian.PutUint32(e[0:], 20)
		binary.LittleEndian.PutUint64(e[4:], r.base)
		binary.LittleEndian.PutUint64(e[12:], r.size)
		binary.LittleEndian.PutUint32(e[20:], r.typ)
		mm = append(mm, e[:]...)
	}
	mem.WriteBytes(mbMmapAddr, mm)
	put(44, uint32(len(mm)))
	put(48, mbMmapAddr)
	mem.WriteBytes(mbLoaderName, []byte("gox86\x00"))
	put(64, mbLoaderName)
}

// enterFlatProtectedMode builds a three-entry GDT (null, flat 32-bit
// code, flat 32-bit data) and loads it as a boot loader would.
func (m *Machine) enterFlatProtectedMode(entry uint32) {
	gdt := []uint64{0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF}
	var b [24]byte
	for k, d := range gdt {
		binary.LittleEndian.PutUint64(b[k*8:], d)
	}
	m.Mem.WriteBytes(bootGDTAddr, b[:])
	c := m.CPU
	c.GDTR = cpu.DescriptorTable{Base: bootGDTAddr, Limit: 23}
	c.IDTR = cpu.DescriptorTable{Base: 0, Limit: 0x3FF}
	c.SetControlRegisters(cpu.CR0PE|cpu.CR0ET, 0, 0)
	c.SetSegment(cpu.CS, cpu.FlatSegment(bootCodeSel, true))
	for _, s := range []int{cpu.DS, cpu.ES, cpu.FS, cpu.GS, cpu.SS} {
		c.SetSegment(s, cpu.FlatSegment(bootDataSel, false))
	}
	c.SetFlags(0x2)
	c.EIP = entry
	m.Mem.SetA20(true)
}
