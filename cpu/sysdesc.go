package cpu

// Descriptor-inspecting instructions and fast system calls (SDM vol. 2:
// LAR, LSL, VERR, VERW, ARPL, SYSENTER, SYSEXIT).

// inspectDescriptor reads the descriptor for sel for LAR/LSL/VERR/VERW,
// returning ok=false (ZF=0) when it is null, outside its table, or not
// visible at the current CPL and the selector's RPL.
func (c *CPU) inspectDescriptor(sel uint16) (descriptor, bool) {
	if sel&^selectorRPL == 0 {
		return descriptor{}, false
	}
	lin, ok := c.descriptorAddr(sel)
	if !ok {
		return descriptor{}, false
	}
	d := c.readDescriptor(lin)
	if !conforming(d) {
		rpl := uint8(sel & selectorRPL)
		if d.dpl() < c.cpl || d.dpl() < rpl {
			return d, false
		}
	}
	return d, true
}

// opLAR loads the access rights of a descriptor (SDM vol. 2, LAR).
func opLAR(c *CPU, i *Inst) {
	c.requireProtected()
	sel := uint16(c.readESize(i, 2))
	d, ok := c.inspectDescriptor(sel)
	if ok && d.isSystem() {
		switch d.typ() {
		case sysTSS16Avail, sysLDT, sysTSS16Busy, sysCallGate16, sysTaskGate,
			sysTSS32Avail, sysTSS32Busy, sysCallGate32:
		default:
			ok = false
		}
	}
	if !ok {
		c.setFlagBits(FlagZF, false)
		return
	}
	c.setFlagBits(FlagZF, true)
	c.setReg(i.reg, i.size, d.hi&0x00F0FF00)
}

// opLSL loads a segment limit (SDM vol. 2, LSL).
func opLSL(c *CPU, i *Inst) {
	c.requireProtected()
	sel := uint16(c.readESize(i, 2))
	d, ok := c.inspectDescriptor(sel)
	if ok && d.isSystem() {
		switch d.typ() {
		case sysTSS16Avail, sysLDT, sysTSS16Busy, sysTSS32Avail, sysTSS32Busy:
		default:
			ok = false
		}
	}
	if !ok {
		c.setFlagBits(FlagZF, false)
		return
	}
	c.setFlagBits(FlagZF, true)
	c.setReg(i.reg, i.size, d.limit())
}

// verify implements VERR (write=false) and VERW.
func (c *CPU) verify(sel uint16, write bool) bool {
	d, ok := c.inspectDescriptor(sel)
	if !ok || d.isSystem() {
		return false
	}
	if write {
		return writableSeg(d)
	}
	return readable(d)
}

// opARPL raises the RPL of the destination selector to the source's.
func opARPL(c *CPU, i *Inst) {
	c.requireProtected()
	v, lin := c.rmwE(i)
	src := c.getReg(i.reg, 2)
	if v&3 < src&3 {
		c.finishE(i, lin, v&^3|src&3)
		c.setFlagBits(FlagZF, true)
		return
	}
	c.finishE(i, lin, v)
	c.setFlagBits(FlagZF, false)
}

// flatSegment is the fixed flat descriptor cache SYSENTER/SYSEXIT load.
func flatSegment(sel uint16, code bool, dpl uint8) Segment {
	attr := uint16(attrPresent|attrS|attrDB|attrG|attrAccessed) | uint16(dpl)<<attrDPLShift
	if code {
		attr |= typeCode | typeReadable
	} else {
		attr |= typeWritable
	}
	s := Segment{Selector: sel, Base: 0, Limit: 0xFFFFFFFF, Attr: attr}
	s.refresh()
	return s
}

// opSYSENTER enters CPL 0 through the SYSENTER MSRs (SDM vol. 2,
// SYSENTER).
func opSYSENTER(c *CPU, i *Inst) {
	cs := uint16(c.sysenter[0])
	if !c.protected() || cs&0xFFFC == 0 {
		c.raise(excGP, 0)
	}
	c.materialize()
	c.flags &^= FlagVM | FlagIF | FlagRF
	c.Seg[CS] = flatSegment(cs&0xFFFC, true, 0)
	c.Seg[SS] = flatSegment((cs&0xFFFC)+8, false, 0)
	c.cpl = 0
	c.R[ESP] = c.sysenter[1]
	c.EIP = c.sysenter[2]
	c.modeChanged()
}

// opSYSEXIT returns to CPL 3 (SDM vol. 2, SYSEXIT).
func opSYSEXIT(c *CPU, i *Inst) {
	cs := uint16(c.sysenter[0])
	if !c.protected() || c.v86() || cs&0xFFFC == 0 || c.cpl != 0 {
		c.raise(excGP, 0)
	}
	c.Seg[CS] = flatSegment((cs+16)|3, true, 3)
	c.Seg[SS] = flatSegment((cs+24)|3, false, 3)
	c.cpl = 3
	c.R[ESP] = c.R[ECX]
	c.EIP = c.R[EDX]
	c.modeChanged()
}

// FlatSegment returns the hidden state of a present, accessed, DPL-0,
// 32-bit segment with base 0 and a 4 GiB limit: code (execute/read) or
// data (read/write). Loaders use it to enter protected mode directly.
func FlatSegment(sel uint16, code bool) Segment { return flatSegment(sel, code, 0) }
