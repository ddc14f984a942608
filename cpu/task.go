package cpu

// Hardware task switching, TR/LDTR loads and the I/O permission bitmap
// (SDM vol. 3, chapter 7; vol. 1, 18.5).

// taskSource says what started a task switch; it decides the busy bits,
// NT and the back link (SDM vol. 3, table 7-2).
type taskSource int

const (
	taskJump taskSource = iota
	taskCall
	taskInterrupt
	taskIRET
)

// TSS field offsets (SDM vol. 3, figures 7-2 and 7-11).
const (
	tss32CR3    = 0x1C
	tss32EIP    = 0x20
	tss32EFLAGS = 0x24
	tss32Regs   = 0x28 // EAX..EDI, 4 bytes each
	tss32Segs   = 0x48 // ES, CS, SS, DS, FS, GS, 4 bytes each
	tss32LDT    = 0x60
	tss32Trap   = 0x64
	tss32IOMap  = 0x66
	tss16IP     = 0x0E
	tss16FLAGS  = 0x10
	tss16Regs   = 0x12 // AX..DI, 2 bytes each
	tss16Segs   = 0x22 // ES, CS, SS, DS, 2 bytes each
	tss16LDT    = 0x2A
	tss32MinLim = 0x67
	tss16MinLim = 0x2B
)

func isTSS32(t uint8) bool { return t == sysTSS32Avail || t == sysTSS32Busy }

// switchTaskThroughGate switches to the TSS named by a task gate.
func (c *CPU) switchTaskThroughGate(sel uint16, src taskSource, code uint32, hasCode bool) {
	if sel&selectorTI != 0 {
		c.raise(excGP, uint32(sel&errorCodeMask))
	}
	d, lin := c.fetchDescriptor(sel, excGP)
	t := d.typ()
	if !d.isSystem() || (t != sysTSS16Avail && t != sysTSS32Avail) {
		c.raise(excGP, uint32(sel&errorCodeMask))
	}
	if !d.present() {
		c.raise(excNP, uint32(sel&errorCodeMask))
	}
	c.switchTask(sel, d, lin, src, code, hasCode)
}

// switchTaskBack returns from a nested task (IRET with NT set) to the
// task whose TSS selector is in the back link.
func (c *CPU) switchTaskBack(sel uint16) {
	ec := uint32(sel & errorCodeMask)
	if sel&selectorTI != 0 {
		c.raise(excTS, ec)
	}
	d, lin := c.fetchDescriptor(sel, excTS)
	t := d.typ()
	if !d.isSystem() || (t != sysTSS16Busy && t != sysTSS32Busy) {
		c.raise(excTS, ec)
	}
	if !d.present() {
		c.raise(excNP, ec)
	}
	c.switchTask(sel, d, lin, taskIRET, 0, false)
}

// switchTask performs a hardware task switch to the TSS described by d
// (at linear address lin in the GDT), following SDM vol. 3, 7.3.
func (c *CPU) switchTask(sel uint16, d descriptor, lin uint32, src taskSource, code uint32, hasCode bool) {
	ec := uint32(sel & errorCodeMask)
	newType := d.typ()
	new32 := isTSS32(newType)
	minLimit := uint32(tss16MinLim)
	if new32 {
		minLimit = tss32MinLim
	}
	if d.limit() < minLimit {
		c.raise(excTS, ec)
	}
	newBase := d.base()
	oldTR := c.TR
	old32 := isTSS32(uint8(oldTR.Attr & attrTypeMask))
	oldLin, ok := c.descriptorAddr(oldTR.Selector)
	if !ok {
		c.raise(excTS, uint32(oldTR.Selector&errorCodeMask))
	}
	// Make sure both TSSs are accessible before changing anything.
	c.probeLin(newBase, minLimit+1, true, false)
	oldMin := uint32(tss16MinLim)
	if old32 {
		oldMin = tss32MinLim
	}
	c.probeLin(oldTR.Base, oldMin+1, true, false)

	flags := c.eflags()
	if src == taskJump || src == taskIRET {
		od := c.readDescriptor(oldLin)
		c.writeSys(oldLin+4, 4, od.hi&^descBusy)
	}
	if src == taskIRET {
		flags &^= FlagNT
	}
	// Save the outgoing task's state.
	b := oldTR.Base
	if old32 {
		c.writeSys(b+tss32EIP, 4, c.EIP)
		c.writeSys(b+tss32EFLAGS, 4, flags)
		for r := 0; r < 8; r++ {
			c.writeSys(b+tss32Regs+uint32(r)*4, 4, c.R[r])
		}
		for s := 0; s < numSegs; s++ {
			c.writeSys(b+tss32Segs+uint32(s)*4, 2, uint32(c.Seg[s].Selector))
		}
	} else {
		c.writeSys(b+tss16IP, 2, c.EIP)
		c.writeSys(b+tss16FLAGS, 2, flags)
		for r := 0; r < 8; r++ {
			c.writeSys(b+tss16Regs+uint32(r)*2, 2, c.R[r])
		}
		for s := 0; s < 4; s++ {
			c.writeSys(b+tss16Segs+uint32(s)*2, 2, uint32(c.Seg[s].Selector))
		}
	}
	// Read the incoming task's state.
	nb := newBase
	var eip, nflags, cr3 uint32
	var regs [8]uint32
	var segs [numSegs]uint16
	var ldt uint16
	trap := false
	if new32 {
		cr3 = c.readSys(nb+tss32CR3, 4)
		eip = c.readSys(nb+tss32EIP, 4)
		nflags = c.readSys(nb+tss32EFLAGS, 4)
		for r := range regs {
			regs[r] = c.readSys(nb+tss32Regs+uint32(r)*4, 4)
		}
		for s := range segs {
			segs[s] = uint16(c.readSys(nb+tss32Segs+uint32(s)*4, 2))
		}
		ldt = uint16(c.readSys(nb+tss32LDT, 2))
		trap = c.readSys(nb+tss32Trap, 2)&1 != 0
	} else {
		eip = c.readSys(nb+tss16IP, 2)
		nflags = c.readSys(nb+tss16FLAGS, 2) | flags&0xFFFF0000&^(FlagVM|FlagRF)
		for r := range regs {
			regs[r] = c.R[r]&0xFFFF0000 | c.readSys(nb+tss16Regs+uint32(r)*2, 2)
		}
		for s := 0; s < 4; s++ {
			segs[s] = uint16(c.readSys(nb+tss16Segs+uint32(s)*2, 2))
		}
		ldt = uint16(c.readSys(nb+tss16LDT, 2))
	}
	if src == taskCall || src == taskInterrupt {
		nflags |= FlagNT
		c.writeSys(nb, 2, uint32(oldTR.Selector))
	}
	if src != taskIRET {
		c.writeSys(lin+4, 4, d.hi|descBusy)
		d.hi |= descBusy
	}
	// Commit: TR, then the new task's registers. Faults from here on are
	// taken in the new task (SDM vol. 3, 7.3, step 12).
	c.TR = d.segment(sel)
	c.TR.Attr = d.attr() | descBusy>>8
	c.CR0 |= CR0TS
	if new32 && c.CR0&CR0PG != 0 {
		c.CR3 = cr3 & 0xFFFFF018
		c.mmu.FlushCR3(c.CR3)
	}
	c.R = [9]uint32{regs[0], regs[1], regs[2], regs[3], regs[4], regs[5], regs[6], regs[7], 0}
	c.EIP = eip
	c.prevEIP = eip
	c.setEflagsRaw(nflags&writableFlags | flagRes1)
	// Selectors first, with null caches, so a fault leaves them visible.
	for s := range c.Seg {
		if !new32 && s >= FS {
			continue
		}
		c.Seg[s].Selector = segs[s]
	}
	c.LDTR.Selector = ldt
	if c.v86() {
		c.cpl = 3
		c.modeChanged()
		for s := range c.Seg {
			c.loadSegReal(s, segs[s])
		}
	} else {
		c.cpl = uint8(segs[CS] & selectorRPL)
		c.modeChanged()
		c.loadLDTForTask(ldt)
		c.loadTaskSegments(segs, new32)
	}
	c.modeChanged()
	if hasCode {
		c.push(c.pushSizeForTSS(new32), code)
	}
	if trap {
		c.DR[6] |= 1 << 15 // BT
		c.pendingDB = true
	}
}

func (c *CPU) pushSizeForTSS(new32 bool) uint8 {
	if new32 {
		return 4
	}
	return 2
}

// loadLDTForTask loads LDTR during a task switch; errors are #TS.
func (c *CPU) loadLDTForTask(sel uint16) {
	ec := uint32(sel & errorCodeMask)
	if sel&^selectorRPL == 0 {
		c.LDTR = nullSegment(sel)
		return
	}
	if sel&selectorTI != 0 {
		c.raise(excTS, ec)
	}
	d, _ := c.fetchDescriptor(sel, excTS)
	if !d.isSystem() || d.typ() != sysLDT {
		c.raise(excTS, ec)
	}
	if !d.present() {
		c.raise(excTS, ec)
	}
	c.LDTR = d.segment(sel)
	c.LDTR.Attr = d.attr()
}

// loadTaskSegments loads CS, SS and the data segments of a new task with
// the task-switch checks (#TS for bad descriptors, #NP/#SS when not
// present; SDM vol. 3, 7.3 and table 7-1).
func (c *CPU) loadTaskSegments(segs [numSegs]uint16, all bool) {
	cpl := c.cpl
	// CS.
	csel := segs[CS]
	cec := uint32(csel & errorCodeMask)
	if csel&^selectorRPL == 0 {
		c.raise(excTS, cec)
	}
	cd, clin := c.fetchDescriptor(csel, excTS)
	if !isCode(cd) || (!conforming(cd) && cd.dpl() != cpl) || (conforming(cd) && cd.dpl() > cpl) {
		c.raise(excTS, cec)
	}
	if !cd.present() {
		c.raise(excNP, cec)
	}
	c.markAccessed(clin, &cd)
	c.Seg[CS] = cd.segment(csel)
	c.modeChanged()
	// SS.
	ssd := c.checkNewStack(segs[SS], cpl, excTS)
	c.Seg[SS] = ssd.segment(segs[SS])
	c.modeChanged()
	for _, s := range [...]int{ES, DS, FS, GS} {
		if !all && s >= FS {
			c.Seg[s] = nullSegment(0)
			continue
		}
		sel := segs[s]
		ec := uint32(sel & errorCodeMask)
		if sel&^selectorRPL == 0 {
			c.Seg[s] = nullSegment(sel)
			continue
		}
		d, lin := c.fetchDescriptor(sel, excTS)
		if d.isSystem() || !readable(d) {
			c.raise(excTS, ec)
		}
		if (isData(d) || !conforming(d)) && (uint8(sel&selectorRPL) > d.dpl() || cpl > d.dpl()) {
			c.raise(excTS, ec)
		}
		if !d.present() {
			c.raise(excNP, ec)
		}
		c.markAccessed(lin, &d)
		c.Seg[s] = d.segment(sel)
	}
}

// loadLDT is LLDT (SDM vol. 2, LLDT).
func (c *CPU) loadLDT(sel uint16) {
	ec := uint32(sel & errorCodeMask)
	if sel&^selectorRPL == 0 {
		c.LDTR = nullSegment(sel)
		return
	}
	if sel&selectorTI != 0 {
		c.raise(excGP, ec)
	}
	d, _ := c.fetchDescriptor(sel, excGP)
	if !d.isSystem() || d.typ() != sysLDT {
		c.raise(excGP, ec)
	}
	if !d.present() {
		c.raise(excNP, ec)
	}
	c.LDTR = d.segment(sel)
	c.LDTR.Attr = d.attr()
}

// loadTR is LTR: the TSS must be available; it becomes busy (SDM vol. 2,
// LTR).
func (c *CPU) loadTR(sel uint16) {
	ec := uint32(sel & errorCodeMask)
	if sel&^selectorRPL == 0 {
		c.raise(excGP, 0)
	}
	if sel&selectorTI != 0 {
		c.raise(excGP, ec)
	}
	d, lin := c.fetchDescriptor(sel, excGP)
	t := d.typ()
	if !d.isSystem() || (t != sysTSS16Avail && t != sysTSS32Avail) {
		c.raise(excGP, ec)
	}
	if !d.present() {
		c.raise(excNP, ec)
	}
	d.hi |= descBusy
	c.writeSys(lin+4, 4, d.hi)
	c.TR = d.segment(sel)
	c.TR.Attr = d.attr()
}

// checkIO applies the I/O privilege rules: in protected mode with CPL >
// IOPL, and always in virtual-8086 mode, every port of the access must be
// allowed by the TSS I/O permission bitmap (SDM vol. 1, 18.5).
func (c *CPU) checkIO(port uint16, size uint8) {
	if !c.protected() || (!c.v86() && c.cpl <= c.iopl()) {
		return
	}
	tr := &c.TR
	if !isTSS32(uint8(tr.Attr&attrTypeMask)) || tr.Limit < tss32MinLim {
		c.raise(excGP, 0)
	}
	base := c.readSys(tr.Base+tss32IOMap, 2)
	off := base + uint32(port)/8
	if off+1 > tr.Limit {
		c.raise(excGP, 0)
	}
	bits := c.readSys(tr.Base+off, 2)
	mask := (uint32(1)<<size - 1) << (port & 7)
	if bits&mask != 0 {
		c.raise(excGP, 0)
	}
}
