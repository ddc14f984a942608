package cpu

import (
	"encoding/binary"

	"github.com/gox86/gox86/mmu"
)

// Memory access through a segment register: limit and type checks (SDM
// vol. 3, 5.3 and 5.4), then the TLB fast path, then the slow path that
// walks page tables, reaches devices, handles page-crossing accesses and
// reports writes to code pages.

// segFault raises the fault for a bad access through segment s:
// #SS(0) for the stack segment, #GP(0) otherwise.
func (c *CPU) segFault(s int) {
	if s == SS {
		c.raise(excSS, 0)
	}
	c.raise(excGP, 0)
}

// checkRead returns the linear address of a size-byte read at s:off.
func (c *CPU) checkRead(s int, off, size uint32) uint32 {
	lin, ok := c.readable(s, off, size)
	if !ok {
		c.segFault(s)
	}
	return lin
}

// checkWriteRange checks an n-byte write at s:off against the segment,
// for multi-part stores (FSAVE, FSTENV) that must fault before storing
// anything.
func (c *CPU) checkWriteRange(s int, off, n uint32) {
	sg := &c.Seg[s]
	if !sg.canWrite || off < sg.lo || off > sg.hi || sg.hi-off < n-1 {
		c.segFault(s)
	}
}

// readable and writable are the inlinable cores of the checks: the
// linear address and whether the access is allowed.
func (c *CPU) readable(s int, off, size uint32) (uint32, bool) {
	sg := &c.Seg[s]
	return sg.Base + off, uint64(off-sg.lo) < sg.rBound[size&7]
}

func (c *CPU) writable(s int, off, size uint32) (uint32, bool) {
	sg := &c.Seg[s]
	return sg.Base + off, uint64(off-sg.lo) < sg.wBound[size&7]
}

// checkWrite returns the linear address of a size-byte write at s:off.
func (c *CPU) checkWrite(s int, off, size uint32) uint32 {
	lin, ok := c.writable(s, off, size)
	if !ok {
		c.segFault(s)
	}
	return lin
}

func (c *CPU) userAccess() bool { return c.cpl == 3 }

func (c *CPU) read8(s int, off uint32) uint8 {
	lin, ok := c.readable(s, off, 1)
	if !ok {
		c.segFault(s)
	}
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.ReadTag == lin&^0xFFF {
		return c.backing[e.Off+int(lin&0xFFF)]
	}
	return uint8(c.readLinSlow(lin, 1, c.userAccess()))
}

func (c *CPU) read16(s int, off uint32) uint16 {
	lin, ok := c.readable(s, off, 2)
	if !ok {
		c.segFault(s)
	}
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.ReadTag == lin&^0xFFF && lin&0xFFF != 0xFFF {
		return binary.LittleEndian.Uint16(c.backing[e.Off+int(lin&0xFFF):])
	}
	return uint16(c.readLinSlow(lin, 2, c.userAccess()))
}

func (c *CPU) read32(s int, off uint32) uint32 {
	lin, ok := c.readable(s, off, 4)
	if !ok {
		c.segFault(s)
	}
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.ReadTag == lin&^0xFFF && lin&0xFFF <= 0xFFC {
		return binary.LittleEndian.Uint32(c.backing[e.Off+int(lin&0xFFF):])
	}
	return c.readLinSlow(lin, 4, c.userAccess())
}

// readN reads a size-byte (1, 2, 4) value.
func (c *CPU) readN(s int, off uint32, size uint8) uint32 {
	switch size {
	case 1:
		return uint32(c.read8(s, off))
	case 2:
		return uint32(c.read16(s, off))
	}
	return c.read32(s, off)
}

func (c *CPU) write8(s int, off uint32, v uint8) {
	lin, ok := c.writable(s, off, 1)
	if !ok {
		c.segFault(s)
	}
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.WriteTag == lin&^0xFFF {
		c.backing[e.Off+int(lin&0xFFF)] = v
		return
	}
	c.writeLinSlow(lin, 1, uint32(v), c.userAccess())
}

func (c *CPU) write16(s int, off uint32, v uint16) {
	lin, ok := c.writable(s, off, 2)
	if !ok {
		c.segFault(s)
	}
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.WriteTag == lin&^0xFFF && lin&0xFFF != 0xFFF {
		binary.LittleEndian.PutUint16(c.backing[e.Off+int(lin&0xFFF):], v)
		return
	}
	c.writeLinSlow(lin, 2, uint32(v), c.userAccess())
}

func (c *CPU) write32(s int, off uint32, v uint32) {
	lin, ok := c.writable(s, off, 4)
	if !ok {
		c.segFault(s)
	}
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.WriteTag == lin&^0xFFF && lin&0xFFF <= 0xFFC {
		binary.LittleEndian.PutUint32(c.backing[e.Off+int(lin&0xFFF):], v)
		return
	}
	c.writeLinSlow(lin, 4, v, c.userAccess())
}

// writeN writes a size-byte (1, 2, 4) value.
func (c *CPU) writeN(s int, off uint32, size uint8, v uint32) {
	switch size {
	case 1:
		c.write8(s, off, uint8(v))
	case 2:
		c.write16(s, off, uint16(v))
	default:
		c.write32(s, off, v)
	}
}

// rmwRead starts a read-modify-write access: it checks the segment for
// writing and the page for writing (so a fault reports a write, as the
// SDM specifies for locked and RMW accesses), reads the value and returns
// it with the linear address for rmwWrite.
func (c *CPU) rmwRead(s int, off uint32, size uint8) (uint32, uint32) {
	lin := c.checkWrite(s, off, uint32(size))
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.WriteTag == lin&^0xFFF && int(lin&0xFFF)+int(size) <= mmu.PageSize {
		b := c.backing[e.Off+int(lin&0xFFF):]
		switch size {
		case 1:
			return uint32(b[0]), lin
		case 2:
			return uint32(binary.LittleEndian.Uint16(b)), lin
		}
		return binary.LittleEndian.Uint32(b), lin
	}
	user := c.userAccess()
	c.probeLin(lin, uint32(size), true, user)
	return c.readLinSlow(lin, int(size), user), lin
}

// rmwWrite completes a read-modify-write access started by rmwRead.
func (c *CPU) rmwWrite(lin uint32, size uint8, v uint32) {
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.WriteTag == lin&^0xFFF && int(lin&0xFFF)+int(size) <= mmu.PageSize {
		b := c.backing[e.Off+int(lin&0xFFF):]
		switch size {
		case 1:
			b[0] = uint8(v)
		case 2:
			binary.LittleEndian.PutUint16(b, uint16(v))
		default:
			binary.LittleEndian.PutUint32(b, v)
		}
		return
	}
	c.writeLinSlow(lin, int(size), v, c.userAccess())
}

// translate maps a linear address, raising #PF with CR2 set on failure.
func (c *CPU) translate(lin uint32, write, user bool) uint32 {
	phys, ec, ok := c.mmu.Translate(lin, write, user)
	if !ok {
		c.pageFault(lin, ec)
	}
	return phys
}

// probeLin checks that every page of [lin, lin+size) is accessible
// without accessing memory, so a multi-page operation faults before it
// changes anything.
func (c *CPU) probeLin(lin, size uint32, write, user bool) {
	c.translate(lin, write, user)
	last := lin + size - 1
	if last&^0xFFF != lin&^0xFFF {
		// A fault on the second page reports its first byte in CR2, as
		// the plain access path does.
		c.translate(last&^0xFFF, write, user)
	}
}

// readLinSlow reads size bytes at a linear address the long way.
func (c *CPU) readLinSlow(lin uint32, size int, user bool) uint32 {
	if c.alignCheck && user && lin&uint32(size-1) != 0 {
		c.raise(excAC, 0)
	}
	if c.bpData {
		c.noteDataAccess(lin, size, false)
	}
	if int(lin&0xFFF)+size <= mmu.PageSize {
		return c.mem.Read(c.translate(lin, false, user), size)
	}
	// Page-crossing: translate both pages before reading either.
	p1 := c.translate(lin, false, user)
	n1 := mmu.PageSize - int(lin&0xFFF)
	p2 := c.translate(lin+uint32(n1), false, user)
	var v uint32
	for i := 0; i < size; i++ {
		var b uint8
		if i < n1 {
			b = c.mem.Read8(p1 + uint32(i))
		} else {
			b = c.mem.Read8(p2 + uint32(i-n1))
		}
		v |= uint32(b) << (8 * i)
	}
	return v
}

// writeLinSlow writes size bytes at a linear address the long way.
func (c *CPU) writeLinSlow(lin uint32, size int, v uint32, user bool) {
	if c.alignCheck && user && lin&uint32(size-1) != 0 {
		c.raise(excAC, 0)
	}
	if c.bpData {
		c.noteDataAccess(lin, size, true)
	}
	if int(lin&0xFFF)+size <= mmu.PageSize {
		c.mem.Write(c.translate(lin, true, user), size, v)
		return
	}
	p1 := c.translate(lin, true, user)
	n1 := mmu.PageSize - int(lin&0xFFF)
	p2 := c.translate(lin+uint32(n1), true, user)
	for i := 0; i < size; i++ {
		b := uint8(v >> (8 * i))
		if i < n1 {
			c.mem.Write8(p1+uint32(i), b)
		} else {
			c.mem.Write8(p2+uint32(i-n1), b)
		}
	}
}

// Supervisor-mode linear accesses for descriptor tables, the TSS and the
// IVT: these are implicit system accesses made at privilege 0 whatever
// the CPL (SDM vol. 3, 4.6.1).
func (c *CPU) readSys(lin uint32, size int) uint32 { return c.readLinSlow(lin, size, false) }

func (c *CPU) writeSys(lin uint32, size int, v uint32) { c.writeLinSlow(lin, size, v, false) }

// Stack operations use SS and the stack address size (SS.B).

func (c *CPU) push16(v uint16) {
	sp := (c.R[ESP] - 2) & c.stackMask
	c.write16(SS, sp, v)
	c.R[ESP] = c.R[ESP]&^c.stackMask | sp
}

func (c *CPU) push32(v uint32) {
	sp := (c.R[ESP] - 4) & c.stackMask
	c.write32(SS, sp, v)
	c.R[ESP] = c.R[ESP]&^c.stackMask | sp
}

// push pushes a 2- or 4-byte value.
func (c *CPU) push(size uint8, v uint32) {
	if size == 4 {
		c.push32(v)
	} else {
		c.push16(uint16(v))
	}
}

func (c *CPU) pop16() uint16 {
	sp := c.R[ESP] & c.stackMask
	v := c.read16(SS, sp)
	c.R[ESP] = c.R[ESP]&^c.stackMask | (sp+2)&c.stackMask
	return v
}

func (c *CPU) pop32() uint32 {
	sp := c.R[ESP] & c.stackMask
	v := c.read32(SS, sp)
	c.R[ESP] = c.R[ESP]&^c.stackMask | (sp+4)&c.stackMask
	return v
}

// pop pops a 2- or 4-byte value.
func (c *CPU) pop(size uint8) uint32 {
	if size == 4 {
		return c.pop32()
	}
	return uint32(c.pop16())
}

// peek reads the stack at byte offset k from the top without popping.
func (c *CPU) peek(size uint8, k uint32) uint32 {
	return c.readN(SS, (c.R[ESP]+k)&c.stackMask, size)
}
