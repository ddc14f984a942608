package cpu

// loadSeg loads segment register s (not CS) from a selector, with the
// checks of the current mode.
func (c *CPU) loadSeg(s int, sel uint16) {
	if !c.protected() || c.v86() {
		c.loadSegReal(s, sel)
		if s == SS {
			c.modeChanged()
		}
		return
	}
	panic("protected-mode segment loads: not implemented yet")
}

func (c *CPU) loadLDT(sel uint16)                      { panic("LLDT: not implemented yet") }
func (c *CPU) loadTR(sel uint16)                       { panic("LTR: not implemented yet") }
func (c *CPU) verify(sel uint16, write bool) bool      { panic("VERR: not implemented yet") }
func (c *CPU) farJumpProtected(sel uint16, off uint32, size uint8) {
	panic("protected far jump: not implemented yet")
}
func (c *CPU) farCallProtected(sel uint16, off uint32, size uint8) {
	panic("protected far call: not implemented yet")
}
func (c *CPU) farReturnProtected(size uint8, imm uint32) { panic("not implemented yet") }
func (c *CPU) iretProtected(size uint8)                  { panic("not implemented yet") }
func (c *CPU) protectedInterrupt(vector uint8, kind intKind, code uint32, hasCode bool) {
	panic("not implemented yet")
}

// checkIO applies the I/O privilege rules (SDM vol. 1, 18.5).
func (c *CPU) checkIO(port uint16, size uint8) {
	if !c.protected() {
		return
	}
	if !c.v86() && c.cpl <= c.iopl() {
		return
	}
	panic("I/O bitmap: not implemented yet")
}

func (c *CPU) debugRegsChanged() {}

func opSYSENTER(c *CPU, i *Inst) { c.raise(excGP, 0) }
func opSYSEXIT(c *CPU, i *Inst)  { c.raise(excGP, 0) }
func opLAR(c *CPU, i *Inst)      { c.requireProtected() }
func opLSL(c *CPU, i *Inst)      { c.requireProtected() }
func opARPL(c *CPU, i *Inst)     { c.requireProtected() }
