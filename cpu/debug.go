package cpu

import "github.com/gox86/gox86/mmu"

// Debug registers and breakpoints (SDM vol. 3, chapter 17). Instruction
// breakpoints are faults checked before an instruction executes; data
// breakpoints are traps reported after the instruction that touched the
// watched bytes. I/O breakpoints need CR4.DE, which this CPU does not
// implement (and does not advertise).

const (
	dr7GD  = 1 << 13 // general detect
	dr6BD  = 1 << 13
	dr6BS  = 1 << 14
	dr6BT  = 1 << 15
	dr6Hit = 0xF
)

// debugRegsChanged recomputes which breakpoints are armed.
func (c *CPU) debugRegsChanged() {
	c.bpExec, c.bpData = false, false
	dr7 := c.DR[7]
	for n := uint(0); n < 4; n++ {
		if dr7&(3<<(2*n)) == 0 {
			continue
		}
		switch dr7 >> (16 + 4*n) & 3 {
		case 0:
			c.bpExec = true
		case 1, 3:
			c.bpData = true
		}
	}
	c.selectTLB()
}

// selectTLB points the fast path at the TLB set for the current
// privilege, or at an always-missing set while data breakpoints are armed
// so every access reaches the slow path where they are checked.
func (c *CPU) selectTLB() {
	// Alignment checking (CR0.AM, EFLAGS.AC, CPL 3; SDM vol. 3, 6.15
	// interrupt 17) is done on the slow path too.
	c.alignCheck = c.CR0&CR0AM != 0 && c.flags&FlagAC != 0 && c.cpl == 3
	switch {
	case c.bpData || c.alignCheck:
		if c.missTLB == nil {
			c.missTLB = new([mmu.TLBSize]mmu.TLBEntry)
			mmu.InvalidateSet(c.missTLB)
		}
		c.tlbSet = c.missTLB
	case c.cpl == 3:
		c.tlbSet = &c.mmu.TLB.Sets[1]
	default:
		c.tlbSet = &c.mmu.TLB.Sets[0]
	}
}

// bpLen is the byte length a DR7 LEN field selects.
func bpLen(dr7 uint32, n uint) uint32 {
	switch dr7 >> (18 + 4*n) & 3 {
	case 0:
		return 1
	case 1:
		return 2
	}
	return 4
}

// execBreakpoint returns the DR6 B0-B3 bits of the instruction
// breakpoints at linear address lin.
func (c *CPU) execBreakpoint(lin uint32) uint32 {
	var hits uint32
	dr7 := c.DR[7]
	for n := uint(0); n < 4; n++ {
		if dr7&(3<<(2*n)) != 0 && dr7>>(16+4*n)&3 == 0 && c.DR[n] == lin {
			hits |= 1 << n
		}
	}
	return hits
}

// noteDataAccess records data breakpoints hit by an access of size bytes
// at linear address lin.
func (c *CPU) noteDataAccess(lin uint32, size int, write bool) {
	dr7 := c.DR[7]
	for n := uint(0); n < 4; n++ {
		if dr7&(3<<(2*n)) == 0 {
			continue
		}
		rw := dr7 >> (16 + 4*n) & 3
		if rw != 3 && !(rw == 1 && write) {
			continue
		}
		l := bpLen(dr7, n)
		start := c.DR[n] &^ (l - 1)
		if lin <= start+l-1 && start <= lin+uint32(size)-1 {
			c.dbHits |= 1 << n
		}
	}
}

// checkGeneralDetect raises #DB for a MOV to or from a debug register
// while DR7.GD is set (SDM vol. 3, 17.2.4).
func (c *CPU) checkGeneralDetect() {
	if c.DR[7]&dr7GD != 0 {
		c.DR[7] &^= dr7GD
		c.DR[6] |= dr6BD
		c.raise(excDB, 0)
	}
}
