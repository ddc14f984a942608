package cpu

// Protected-mode segmentation and control transfers (SDM vol. 3,
// chapters 3 and 5; vol. 2, JMP, CALL, RET, MOV, POP, LDS...).

// System descriptor types (SDM vol. 3, table 3-2).
const (
	sysTSS16Avail = 0x1
	sysLDT        = 0x2
	sysTSS16Busy  = 0x3
	sysCallGate16 = 0x4
	sysTaskGate   = 0x5
	sysIntGate16  = 0x6
	sysTrapGate16 = 0x7
	sysTSS32Avail = 0x9
	sysTSS32Busy  = 0xB
	sysCallGate32 = 0xC
	sysIntGate32  = 0xE
	sysTrapGate32 = 0xF
	descAccessed  = 1 << 8 // in the high dword
	descBusy      = 1 << 9 // TSS busy bit, in the high dword
	selectorRPL   = 3
	selectorTI    = 4
	selectorIndex = 0xFFF8
	errorCodeMask = 0xFFFC // selector error codes drop the RPL
	errorCodeExt  = 1      // EXT: the event was external to the program
	errorCodeIDT  = 2      // IDT: the index refers to the IDT
)

// descriptorAddr returns the linear address of the descriptor for sel,
// or ok=false if it lies beyond the GDT/LDT limit (or the LDT is unusable).
func (c *CPU) descriptorAddr(sel uint16) (uint32, bool) {
	idx := uint32(sel & selectorIndex)
	if sel&selectorTI != 0 {
		if c.LDTR.Attr&attrPresent == 0 || idx+7 > c.LDTR.Limit {
			return 0, false
		}
		return c.LDTR.Base + idx, true
	}
	if idx+7 > uint32(c.GDTR.Limit) {
		return 0, false
	}
	return c.GDTR.Base + idx, true
}

func (c *CPU) readDescriptor(lin uint32) descriptor {
	return descriptor{lo: c.readSys(lin, 4), hi: c.readSys(lin+4, 4)}
}

// fetchDescriptor reads the descriptor for sel, raising vector with the
// selector error code when it lies outside its table.
func (c *CPU) fetchDescriptor(sel uint16, vector uint8) (descriptor, uint32) {
	lin, ok := c.descriptorAddr(sel)
	if !ok {
		c.raise(vector, uint32(sel&errorCodeMask))
	}
	return c.readDescriptor(lin), lin
}

// markAccessed sets the accessed bit of a code/data descriptor in memory.
func (c *CPU) markAccessed(lin uint32, d *descriptor) {
	if d.hi&descAccessed == 0 {
		d.hi |= descAccessed
		c.writeSys(lin+4, 4, d.hi)
	}
}

func isCode(d descriptor) bool      { return !d.isSystem() && d.typ()&typeCode != 0 }
func isData(d descriptor) bool      { return !d.isSystem() && d.typ()&typeCode == 0 }
func conforming(d descriptor) bool  { return isCode(d) && d.typ()&typeConform != 0 }
func readable(d descriptor) bool    { return isData(d) || d.typ()&typeReadable != 0 }
func writableSeg(d descriptor) bool { return isData(d) && d.typ()&typeWritable != 0 }

// nullSegment is the hidden state of a segment register loaded with a null
// selector: any access through it raises #GP(0).
func nullSegment(sel uint16) Segment {
	s := Segment{Selector: sel}
	s.refresh()
	return s
}

// loadSeg loads segment register s (not CS) from a selector with the
// checks of the current mode (SDM vol. 2, MOV, "Operation").
func (c *CPU) loadSeg(s int, sel uint16) {
	if !c.protected() || c.v86() {
		c.loadSegReal(s, sel)
		if s == SS {
			c.modeChanged()
		}
		return
	}
	rpl := uint8(sel & selectorRPL)
	ec := uint32(sel & errorCodeMask)
	if s == SS {
		if sel&^selectorRPL == 0 {
			c.raise(excGP, 0)
		}
		d, lin := c.fetchDescriptor(sel, excGP)
		if rpl != c.cpl || !writableSeg(d) || d.dpl() != c.cpl {
			c.raise(excGP, ec)
		}
		if !d.present() {
			c.raise(excSS, ec)
		}
		c.markAccessed(lin, &d)
		c.Seg[SS] = d.segment(sel)
		c.modeChanged()
		return
	}
	if sel&^selectorRPL == 0 {
		c.Seg[s] = nullSegment(sel)
		return
	}
	d, lin := c.fetchDescriptor(sel, excGP)
	if d.isSystem() || !readable(d) {
		c.raise(excGP, ec)
	}
	if (isData(d) || !conforming(d)) && (rpl > d.dpl() || c.cpl > d.dpl()) {
		c.raise(excGP, ec)
	}
	if !d.present() {
		c.raise(excNP, ec)
	}
	c.markAccessed(lin, &d)
	c.Seg[s] = d.segment(sel)
}

// loadCS installs a code-segment descriptor as CS with the given RPL
// (which becomes the CPL).
func (c *CPU) loadCS(sel uint16, d descriptor, cpl uint8) {
	seg := d.segment(sel&^selectorRPL | uint16(cpl))
	c.Seg[CS] = seg
	c.cpl = cpl
	c.modeChanged()
}

// checkCodeTarget validates a code segment descriptor for a direct far
// JMP or CALL (SDM vol. 2, JMP, "far jump to a conforming or
// nonconforming code segment").
func (c *CPU) checkCodeTarget(sel uint16, d descriptor) {
	ec := uint32(sel & errorCodeMask)
	rpl := uint8(sel & selectorRPL)
	if conforming(d) {
		if d.dpl() > c.cpl {
			c.raise(excGP, ec)
		}
	} else if rpl > c.cpl || d.dpl() != c.cpl {
		c.raise(excGP, ec)
	}
	if !d.present() {
		c.raise(excNP, ec)
	}
}

// checkSystemTarget applies the checks far JMP and CALL share for a call
// gate, task gate or TSS: DPL >= CPL and DPL >= RPL, else #GP(selector);
// not present, #NP(selector) (SDM vol. 2, JMP and CALL).
func (c *CPU) checkSystemTarget(sel uint16, d descriptor) {
	ec := uint32(sel & errorCodeMask)
	rpl := uint8(sel & selectorRPL)
	if d.dpl() < c.cpl || d.dpl() < rpl {
		c.raise(excGP, ec)
	}
	if !d.present() {
		c.raise(excNP, ec)
	}
}

// farJumpProtected is JMP ptr16:xx / m16:xx in protected mode.
func (c *CPU) farJumpProtected(sel uint16, off uint32, size uint8) {
	if sel&^selectorRPL == 0 {
		c.raise(excGP, 0)
	}
	d, lin := c.fetchDescriptor(sel, excGP)
	ec := uint32(sel & errorCodeMask)
	if isCode(d) {
		c.checkCodeTarget(sel, d)
		if off > d.limit() {
			c.raise(excGP, 0)
		}
		c.markAccessed(lin, &d)
		c.loadCS(sel, d, c.cpl)
		c.EIP = off
		return
	}
	if !d.isSystem() {
		c.raise(excGP, ec)
	}
	switch d.typ() {
	case sysCallGate16, sysCallGate32:
		c.checkSystemTarget(sel, d)
		csel := d.gateSelector()
		if csel&^selectorRPL == 0 {
			c.raise(excGP, 0)
		}
		cd, clin := c.fetchDescriptor(csel, excGP)
		cec := uint32(csel & errorCodeMask)
		if !isCode(cd) || (conforming(cd) && cd.dpl() > c.cpl) || (!conforming(cd) && cd.dpl() != c.cpl) {
			c.raise(excGP, cec)
		}
		if !cd.present() {
			c.raise(excNP, cec)
		}
		target := d.gateOffset()
		if d.typ() == sysCallGate16 {
			target &= 0xFFFF
		}
		if target > cd.limit() {
			c.raise(excGP, 0)
		}
		c.markAccessed(clin, &cd)
		c.loadCS(csel, cd, c.cpl)
		c.EIP = target
	case sysTaskGate:
		c.checkSystemTarget(sel, d)
		c.switchTaskThroughGate(d.gateSelector(), taskJump, 0, false)
	case sysTSS16Avail, sysTSS32Avail:
		c.checkSystemTarget(sel, d)
		c.switchTask(sel, d, lin, taskJump, 0, false)
	default:
		c.raise(excGP, ec)
	}
}

// farCallProtected is CALL ptr16:xx / m16:xx in protected mode.
func (c *CPU) farCallProtected(sel uint16, off uint32, size uint8) {
	if sel&^selectorRPL == 0 {
		c.raise(excGP, 0)
	}
	d, lin := c.fetchDescriptor(sel, excGP)
	ec := uint32(sel & errorCodeMask)
	if isCode(d) {
		c.checkCodeTarget(sel, d)
		if off > d.limit() {
			c.raise(excGP, 0)
		}
		c.pushFar(size, uint32(c.Seg[CS].Selector), c.EIP)
		c.markAccessed(lin, &d)
		c.loadCS(sel, d, c.cpl)
		c.EIP = off
		return
	}
	if !d.isSystem() {
		c.raise(excGP, ec)
	}
	switch d.typ() {
	case sysCallGate16, sysCallGate32:
		c.checkSystemTarget(sel, d)
		c.callGate(d)
	case sysTaskGate:
		c.checkSystemTarget(sel, d)
		c.switchTaskThroughGate(d.gateSelector(), taskCall, 0, false)
	case sysTSS16Avail, sysTSS32Avail:
		c.checkSystemTarget(sel, d)
		c.switchTask(sel, d, lin, taskCall, 0, false)
	default:
		c.raise(excGP, ec)
	}
}

// pushFar pushes a return CS:EIP, committing ESP only after both stores.
func (c *CPU) pushFar(size uint8, cs, eip uint32) {
	sm := c.stackMask
	sp := c.R[ESP]
	sz := uint32(size)
	c.writeN(SS, (sp-sz)&sm, size, cs)
	c.writeN(SS, (sp-2*sz)&sm, size, eip)
	c.R[ESP] = sp&^sm | (sp-2*sz)&sm
}

// callGate transfers through a call gate, switching to an inner stack
// when the target is more privileged (SDM vol. 3, 5.8.5 and 5.8.6).
func (c *CPU) callGate(g descriptor) {
	csel := g.gateSelector()
	if csel&^selectorRPL == 0 {
		c.raise(excGP, 0)
	}
	cd, clin := c.fetchDescriptor(csel, excGP)
	cec := uint32(csel & errorCodeMask)
	if !isCode(cd) || cd.dpl() > c.cpl {
		c.raise(excGP, cec)
	}
	if !cd.present() {
		c.raise(excNP, cec)
	}
	gate32 := g.typ() == sysCallGate32
	size := uint8(2)
	target := g.gateOffset() & 0xFFFF
	if gate32 {
		size = 4
		target = g.gateOffset()
	}
	if target > cd.limit() {
		c.raise(excGP, 0)
	}
	if !conforming(cd) && cd.dpl() < c.cpl {
		// Inner privilege: new stack from the TSS, then copy parameters.
		newCPL := cd.dpl()
		ssSel, esp := c.tssStack(newCPL)
		ssd := c.checkNewStack(ssSel, newCPL, excTS)
		newSS := ssd.segment(ssSel)
		newMask := uint32(0xFFFF)
		if newSS.Attr&attrDB != 0 {
			newMask = 0xFFFFFFFF
		}
		params := g.gateParams()
		sz := uint32(size)
		oldSS, oldESP := c.Seg[SS], c.R[ESP]
		// Read the parameters from the old stack first.
		var args [31]uint32
		for k := uint32(0); k < params; k++ {
			args[k] = c.readN(SS, (oldESP+k*sz)&c.stackMask, size)
		}
		// Build the new frame; validate it fits before changing state.
		frame := (2 + params + 2) * sz
		sp := esp
		if !newSS.inLimit((sp-frame)&newMask, frame) {
			c.raise(excSS, uint32(ssSel&errorCodeMask))
		}
		// A fault while building the inner frame must leave the caller's
		// stack and privilege in place.
		defer c.restoreStackOnFault(c.saveStack())()
		c.markAccessed(clin, &cd)
		c.Seg[SS] = newSS
		c.stackMask = newMask
		c.cpl = newCPL
		c.selectTLB()
		put := func(v uint32) {
			sp -= sz
			c.writeN(SS, sp&newMask, size, v)
		}
		put(uint32(oldSS.Selector))
		put(oldESP)
		for k := int(params) - 1; k >= 0; k-- {
			put(args[k])
		}
		put(uint32(c.Seg[CS].Selector))
		put(c.EIP)
		if newMask == 0xFFFF {
			c.R[ESP] = c.R[ESP]&^0xFFFF | sp&0xFFFF
		} else {
			c.R[ESP] = sp
		}
		c.loadCS(csel, cd, newCPL)
		c.EIP = target
		return
	}
	// Same privilege (or conforming target).
	c.pushFar(size, uint32(c.Seg[CS].Selector), c.EIP)
	c.markAccessed(clin, &cd)
	c.loadCS(csel, cd, c.cpl)
	c.EIP = target
}

// checkNewStack validates a stack segment read from a TSS for privilege
// level cpl; failures raise vector (#TS) with the selector, a non-present
// segment raises #SS (SDM vol. 3, 6.12.1 and 7.3).
func (c *CPU) checkNewStack(sel uint16, cpl uint8, vector uint8) descriptor {
	ec := uint32(sel & errorCodeMask)
	if sel&^selectorRPL == 0 {
		c.raise(vector, ec)
	}
	d, lin := c.fetchDescriptor(sel, vector)
	if uint8(sel&selectorRPL) != cpl || d.dpl() != cpl || !writableSeg(d) {
		c.raise(vector, ec)
	}
	if !d.present() {
		c.raise(excSS, ec)
	}
	c.markAccessed(lin, &d)
	return d
}

// tssStack reads the SS:ESP for privilege level pl from the current TSS.
func (c *CPU) tssStack(pl uint8) (uint16, uint32) {
	tr := &c.TR
	if tr.Attr&attrTypeMask == sysTSS32Busy || tr.Attr&attrTypeMask == sysTSS32Avail {
		off := uint32(pl)*8 + 4
		if off+5 > tr.Limit {
			c.raise(excTS, uint32(tr.Selector&errorCodeMask))
		}
		esp := c.readSys(tr.Base+off, 4)
		ss := uint16(c.readSys(tr.Base+off+4, 2))
		return ss, esp
	}
	off := uint32(pl)*4 + 2
	if off+3 > tr.Limit {
		c.raise(excTS, uint32(tr.Selector&errorCodeMask))
	}
	sp := c.readSys(tr.Base+off, 2)
	ss := uint16(c.readSys(tr.Base+off+2, 2))
	return ss, sp
}

// checkReturnCS validates the code segment of a far RET or IRET to
// privilege rpl (SDM vol. 2, RET, "PROTECTED-MODE").
func (c *CPU) checkReturnCS(sel uint16) (descriptor, uint32) {
	if sel&^selectorRPL == 0 {
		c.raise(excGP, 0)
	}
	d, lin := c.fetchDescriptor(sel, excGP)
	ec := uint32(sel & errorCodeMask)
	rpl := uint8(sel & selectorRPL)
	if !isCode(d) || rpl < c.cpl {
		c.raise(excGP, ec)
	}
	if conforming(d) && d.dpl() > rpl {
		c.raise(excGP, ec)
	}
	if !conforming(d) && d.dpl() != rpl {
		c.raise(excGP, ec)
	}
	if !d.present() {
		c.raise(excNP, ec)
	}
	return d, lin
}

// checkReturnSS validates the stack segment popped by a return to an
// outer privilege level rpl.
func (c *CPU) checkReturnSS(sel uint16, rpl uint8) descriptor {
	if sel&^selectorRPL == 0 {
		c.raise(excGP, 0)
	}
	d, lin := c.fetchDescriptor(sel, excGP)
	ec := uint32(sel & errorCodeMask)
	if uint8(sel&selectorRPL) != rpl || !writableSeg(d) || d.dpl() != rpl {
		c.raise(excGP, ec)
	}
	if !d.present() {
		c.raise(excSS, ec)
	}
	c.markAccessed(lin, &d)
	return d
}

// farReturnProtected is RETF [imm16] in protected mode.
func (c *CPU) farReturnProtected(size uint8, imm uint32) {
	sz := uint32(size)
	off := c.peek(size, 0)
	sel := uint16(c.peek(size, sz))
	cd, clin := c.checkReturnCS(sel)
	rpl := uint8(sel & selectorRPL)
	if size == 2 {
		off &= 0xFFFF
	}
	if rpl == c.cpl {
		if off > cd.limit() {
			c.raise(excGP, 0)
		}
		sm := c.stackMask
		c.R[ESP] = c.R[ESP]&^sm | (c.R[ESP]+2*sz+imm)&sm
		c.markAccessed(clin, &cd)
		c.loadCS(sel, cd, rpl)
		c.EIP = off
		return
	}
	// Return to an outer level: the outer SS:ESP follow the parameters.
	newESP := c.peek(size, 2*sz+imm)
	ssSel := uint16(c.peek(size, 3*sz+imm))
	ssd := c.checkReturnSS(ssSel, rpl)
	if off > cd.limit() {
		c.raise(excGP, 0)
	}
	c.markAccessed(clin, &cd)
	c.loadCS(sel, cd, rpl)
	c.EIP = off
	c.Seg[SS] = ssd.segment(ssSel)
	c.modeChanged()
	if c.stackMask == 0xFFFF {
		c.R[ESP] = c.R[ESP]&^0xFFFF | (newESP+imm)&0xFFFF
	} else {
		c.R[ESP] = newESP + imm
	}
	c.nullInvalidSegments()
}

// nullInvalidSegments clears data segment registers the new, outer CPL
// may not use (SDM vol. 2, RET and IRET: "FOR each of segment register
// ES, FS, GS, and DS").
func (c *CPU) nullInvalidSegments() {
	for _, s := range [...]int{ES, DS, FS, GS} {
		sg := &c.Seg[s]
		if sg.Attr&attrPresent == 0 {
			continue
		}
		t := sg.Attr & attrTypeMask
		dataOrNC := t&typeCode == 0 || t&typeConform == 0
		if dataOrNC && sg.DPL() < c.cpl {
			*sg = nullSegment(0)
		}
	}
}

// iretProtected is IRET/IRETD in protected or virtual-8086 mode (SDM
// vol. 2, IRET).
func (c *CPU) iretProtected(size uint8) {
	if c.v86() {
		// IOPL-sensitive; returns within virtual-8086 mode.
		if c.iopl() < 3 {
			c.raise(excGP, 0)
		}
		sz := uint32(size)
		off := c.peek(size, 0)
		sel := uint16(c.peek(size, sz))
		fl := c.peek(size, 2*sz)
		if size == 2 {
			off &= 0xFFFF
		}
		if off > c.Seg[CS].Limit {
			c.raise(excGP, 0)
		}
		sm := c.stackMask
		c.R[ESP] = c.R[ESP]&^sm | (c.R[ESP]+3*sz)&sm
		c.loadCSReal(sel)
		c.EIP = off
		mask := uint32(writableFlags &^ (FlagIOPL | FlagVM | FlagVIP | FlagVIF))
		if size == 2 {
			mask &= 0xFFFF
		}
		c.writeFlags(fl, mask)
		return
	}
	if c.flags&FlagNT != 0 {
		// Return from a nested task through the back link.
		link := uint16(c.readSys(c.TR.Base, 2))
		c.switchTaskBack(link)
		return
	}
	sz := uint32(size)
	off := c.peek(size, 0)
	sel := uint16(c.peek(size, sz))
	fl := c.peek(size, 2*sz)
	if size == 2 {
		off &= 0xFFFF
		fl = c.eflags()&0xFFFF0000 | fl&0xFFFF
	}
	if fl&FlagVM != 0 && c.cpl == 0 && size == 4 {
		c.iretToV86(off, sel, fl)
		return
	}
	cd, clin := c.checkReturnCS(sel)
	rpl := uint8(sel & selectorRPL)
	oldCPL := c.cpl
	// Which EFLAGS bits the IRET may change (SDM vol. 2, IRET).
	mask := uint32(FlagCF | FlagPF | FlagAF | FlagZF | FlagSF | FlagTF | FlagDF | FlagOF | FlagNT | FlagRF | FlagAC | FlagID)
	if oldCPL <= c.iopl() {
		mask |= FlagIF
	}
	if oldCPL == 0 {
		mask |= FlagIOPL | FlagVIF | FlagVIP
	}
	if size == 2 {
		mask &= 0xFFFF
	}
	if rpl == c.cpl {
		if off > cd.limit() {
			c.raise(excGP, 0)
		}
		sm := c.stackMask
		c.R[ESP] = c.R[ESP]&^sm | (c.R[ESP]+3*sz)&sm
		c.markAccessed(clin, &cd)
		c.loadCS(sel, cd, rpl)
		c.EIP = off
		c.writeFlags(fl, mask)
		return
	}
	newESP := c.peek(size, 3*sz)
	ssSel := uint16(c.peek(size, 4*sz))
	ssd := c.checkReturnSS(ssSel, rpl)
	if off > cd.limit() {
		c.raise(excGP, 0)
	}
	c.markAccessed(clin, &cd)
	c.loadCS(sel, cd, rpl)
	c.EIP = off
	c.writeFlags(fl, mask)
	c.Seg[SS] = ssd.segment(ssSel)
	c.modeChanged()
	if c.stackMask == 0xFFFF {
		c.R[ESP] = c.R[ESP]&^0xFFFF | newESP&0xFFFF
	} else {
		c.R[ESP] = newESP
	}
	c.nullInvalidSegments()
}

// iretToV86 returns from a CPL-0 handler to virtual-8086 mode: the stack
// holds EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS as dwords (SDM vol. 2,
// IRET, RETURN-TO-VIRTUAL-8086-MODE).
func (c *CPU) iretToV86(off uint32, cs uint16, fl uint32) {
	var v [6]uint32
	for k := range v {
		v[k] = c.peek(4, uint32(12+4*k))
	}
	c.setEflagsRaw(fl&writableFlags | flagRes1)
	c.cpl = 3
	c.modeChanged()
	c.loadSegReal(CS, cs)
	c.loadSegReal(SS, uint16(v[1]))
	c.loadSegReal(ES, uint16(v[2]))
	c.loadSegReal(DS, uint16(v[3]))
	c.loadSegReal(FS, uint16(v[4]))
	c.loadSegReal(GS, uint16(v[5]))
	c.R[ESP] = v[0]
	c.EIP = off & 0xFFFF
	c.modeChanged()
}

// protectedInterrupt delivers an interrupt or exception through the IDT
// (SDM vol. 3, 6.10-6.14; vol. 2, INT n pseudo-code).
func (c *CPU) protectedInterrupt(vector uint8, kind intKind, code uint32, hasCode bool) {
	ext := uint32(0)
	if kind == intHardware || kind == intException {
		ext = errorCodeExt
	}
	gec := uint32(vector)*8 | errorCodeIDT | ext
	if uint32(vector)*8+7 > uint32(c.IDTR.Limit) {
		c.raise(excGP, gec)
	}
	g := c.readDescriptor(c.IDTR.Base + uint32(vector)*8)
	t := g.typ()
	if !g.isSystem() || (t != sysTaskGate && t != sysIntGate16 && t != sysTrapGate16 && t != sysIntGate32 && t != sysTrapGate32) {
		c.raise(excGP, gec)
	}
	if kind == intSoftware && g.dpl() < c.cpl {
		c.raise(excGP, gec)
	}
	if !g.present() {
		c.raise(excNP, gec)
	}
	if t == sysTaskGate {
		c.switchTaskThroughGate(g.gateSelector(), taskInterrupt, code, hasCode)
		return
	}
	csel := g.gateSelector()
	if csel&^selectorRPL == 0 {
		c.raise(excGP, ext)
	}
	cd, clin := c.fetchDescriptor(csel, excGP)
	cec := uint32(csel&errorCodeMask) | ext
	if !isCode(cd) || cd.dpl() > c.cpl {
		c.raise(excGP, cec)
	}
	if !cd.present() {
		c.raise(excNP, cec)
	}
	gate32 := t == sysIntGate32 || t == sysTrapGate32
	size := uint8(2)
	target := g.gateOffset() & 0xFFFF
	if gate32 {
		size = 4
		target = g.gateOffset()
	}
	if target > cd.limit() {
		c.raise(excGP, ext)
	}
	flags := c.eflags()
	wasV86 := c.v86()
	newCPL := c.cpl
	if !conforming(cd) && cd.dpl() < c.cpl {
		newCPL = cd.dpl()
	}
	if wasV86 && newCPL != 0 {
		c.raise(excGP, cec)
	}
	if newCPL != c.cpl {
		// Inter-privilege: switch to the inner stack from the TSS.
		ssSel, esp := c.tssStack(newCPL)
		ssd := c.checkNewStack(ssSel, newCPL, excTS)
		newSS := ssd.segment(ssSel)
		newMask := uint32(0xFFFF)
		if newSS.Attr&attrDB != 0 {
			newMask = 0xFFFFFFFF
		}
		sz := uint32(size)
		n := uint32(5)
		if wasV86 {
			n += 4
		}
		if hasCode {
			n++
		}
		if !newSS.inLimit((esp-n*sz)&newMask, n*sz) {
			c.raise(excSS, uint32(ssSel&errorCodeMask)|ext)
		}
		oldSS, oldESP := c.Seg[SS].Selector, c.R[ESP]
		var oldSegs [4]uint16
		for k, s := range [...]int{GS, FS, DS, ES} {
			oldSegs[k] = c.Seg[s].Selector
		}
		defer c.restoreStackOnFault(c.saveStack())()
		c.Seg[SS] = newSS
		c.cpl = newCPL
		c.stackMask = newMask
		c.selectTLB()
		sp := esp
		put := func(v uint32) {
			sp -= sz
			c.writeN(SS, sp&newMask, size, v)
		}
		if wasV86 {
			for _, s := range oldSegs {
				put(uint32(s))
			}
		}
		put(uint32(oldSS))
		put(oldESP)
		put(flags)
		put(uint32(c.Seg[CS].Selector))
		put(c.EIP)
		if hasCode {
			put(code)
		}
		if newMask == 0xFFFF {
			c.R[ESP] = c.R[ESP]&^0xFFFF | sp&0xFFFF
		} else {
			c.R[ESP] = sp
		}
		if wasV86 {
			for _, s := range [...]int{GS, FS, DS, ES} {
				c.Seg[s] = nullSegment(0)
			}
		}
	} else {
		sz := uint32(size)
		n := uint32(3)
		if hasCode {
			n++
		}
		sm := c.stackMask
		sp := c.R[ESP]
		if !c.Seg[SS].inLimit((sp-n*sz)&sm, n*sz) {
			c.raise(excSS, ext)
		}
		put := func(v uint32) {
			sp -= sz
			c.writeN(SS, sp&sm, size, v)
		}
		put(flags)
		put(uint32(c.Seg[CS].Selector))
		put(c.EIP)
		if hasCode {
			put(code)
		}
		c.R[ESP] = c.R[ESP]&^sm | sp&sm
	}
	c.markAccessed(clin, &cd)
	clear := uint32(FlagTF | FlagNT | FlagVM | FlagRF)
	if t == sysIntGate16 || t == sysIntGate32 {
		clear |= FlagIF
	}
	c.materialize()
	c.flags &^= clear
	c.loadCS(csel, cd, newCPL)
	c.EIP = target
}

// stackState is what an inter-privilege transfer changes before its
// stores: SS, ESP, CPL, the stack size and the data segments.
type stackState struct {
	seg       [numSegs]Segment
	esp       uint32
	cpl       uint8
	stackMask uint32
	flags     uint32
}

func (c *CPU) saveStack() stackState {
	return stackState{seg: c.Seg, esp: c.R[ESP], cpl: c.cpl, stackMask: c.stackMask, flags: c.eflags()}
}

// restoreStackOnFault returns a function for defer that, if a fault is
// unwinding, puts the saved state back and lets the fault continue.
func (c *CPU) restoreStackOnFault(s stackState) func() {
	return func() {
		if r := recover(); r != nil {
			c.Seg, c.R[ESP], c.cpl, c.stackMask = s.seg, s.esp, s.cpl, s.stackMask
			c.setEflagsRaw(s.flags)
			c.modeChanged()
			panic(r)
		}
	}
}
