package cpu

// Control transfer, flag control, interrupts and port I/O (SDM vol. 2).

// setShadow starts the interrupt and debug-trap shadow of MOV SS / POP SS
// (SDM vol. 3, 6.8.3).
func (c *CPU) setShadow() {
	c.inhibitIRQ = true
	c.shadowFresh = true
	c.shadowDB = true
	c.stopBlock = true
}

// nearTarget applies the operand size to a branch target and checks it
// against the CS limit (#GP(0) if beyond, SDM vol. 2, JMP).
func (c *CPU) nearTarget(t uint32, size uint8) uint32 {
	if size == 2 {
		t &= 0xFFFF
	}
	if t > c.Seg[CS].Limit {
		c.raise(excGP, 0)
	}
	return t
}

func opJMPRel(c *CPU, i *Inst) { c.EIP = c.nearTarget(c.EIP+i.imm, i.size) }

func opJcc(c *CPU, i *Inst) {
	if c.cond(i.op) {
		c.EIP = c.nearTarget(c.EIP+i.imm, i.size)
	}
}

func opJMPE(c *CPU, i *Inst) { c.EIP = c.nearTarget(c.readE(i), i.size) }

func opCALLRel(c *CPU, i *Inst) {
	t := c.nearTarget(c.EIP+i.imm, i.size)
	c.push(i.size, c.EIP)
	c.EIP = t
}

func opCALLE(c *CPU, i *Inst) {
	t := c.nearTarget(c.readE(i), i.size)
	c.push(i.size, c.EIP)
	c.EIP = t
}

// opRETNear pops EIP and releases imm16 bytes of parameters. ESP is
// committed only after the target passed its limit check.
func opRETNear(c *CPU, i *Inst) {
	t := c.nearTarget(c.peek(i.size, 0), i.size)
	sm := c.stackMask
	c.R[ESP] = c.R[ESP]&^sm | (c.R[ESP]+uint32(i.size)+i.imm&0xFFFF)&sm
	c.EIP = t
}

// counter returns CX or ECX per the address size.
func (c *CPU) counter(i *Inst) uint32 {
	if i.a32 {
		return c.R[ECX]
	}
	return c.R[ECX] & 0xFFFF
}

// decCounter decrements CX/ECX and returns the new value.
func (c *CPU) decCounter(i *Inst) uint32 {
	if i.a32 {
		c.R[ECX]--
		return c.R[ECX]
	}
	v := (c.R[ECX] - 1) & 0xFFFF
	c.R[ECX] = c.R[ECX]&^0xFFFF | v
	return v
}

func opJCXZ(c *CPU, i *Inst) {
	if c.counter(i) == 0 {
		c.EIP = c.nearTarget(c.EIP+i.imm, i.size)
	}
}

// The LOOP family checks the target before committing the decrement, so
// a #GP leaves ECX unchanged.
func opLOOP(c *CPU, i *Inst)   { c.loop(i, c.counter(i) != 1) }
func opLOOPE(c *CPU, i *Inst)  { c.loop(i, c.counter(i) != 1 && c.zf()) }
func opLOOPNE(c *CPU, i *Inst) { c.loop(i, c.counter(i) != 1 && !c.zf()) }

func (c *CPU) loop(i *Inst, taken bool) {
	if taken {
		t := c.nearTarget(c.EIP+i.imm, i.size)
		c.decCounter(i)
		c.EIP = t
		return
	}
	c.decCounter(i)
}

// opFarImm: JMP/CALL ptr16:16/32 (op 1 = CALL).
func opFarImm(c *CPU, i *Inst) {
	if i.op == 1 {
		c.farCall(uint16(i.imm2), i.imm, i.size)
	} else {
		c.farJump(uint16(i.imm2), i.imm, i.size)
	}
}

// opFarMem: JMP/CALL m16:16/32.
func opFarMem(c *CPU, i *Inst) {
	off := c.ea(i)
	s := int(i.seg)
	target := c.readN(s, off, i.size)
	next := off + uint32(i.size)
	if !i.a32 {
		next &= 0xFFFF
	}
	sel := c.read16(s, next)
	if i.op == 1 {
		c.farCall(sel, target, i.size)
	} else {
		c.farJump(sel, target, i.size)
	}
}

func opRETFar(c *CPU, i *Inst) { c.farReturn(i.size, i.imm&0xFFFF) }

// farJump transfers to sel:off.
func (c *CPU) farJump(sel uint16, off uint32, size uint8) {
	if size == 2 {
		off &= 0xFFFF
	}
	if c.protected() && !c.v86() {
		c.farJumpProtected(sel, off, size)
		return
	}
	if off > c.Seg[CS].Limit {
		c.raise(excGP, 0)
	}
	c.loadCSReal(sel)
	c.EIP = off
}

// farCall pushes CS and EIP and transfers to sel:off.
func (c *CPU) farCall(sel uint16, off uint32, size uint8) {
	if size == 2 {
		off &= 0xFFFF
	}
	if c.protected() && !c.v86() {
		c.farCallProtected(sel, off, size)
		return
	}
	if off > c.Seg[CS].Limit {
		c.raise(excGP, 0)
	}
	sm := c.stackMask
	sp := c.R[ESP]
	sz := uint32(size)
	c.writeN(SS, (sp-sz)&sm, size, uint32(c.Seg[CS].Selector))
	c.writeN(SS, (sp-2*sz)&sm, size, c.EIP)
	c.R[ESP] = sp&^sm | (sp-2*sz)&sm
	c.loadCSReal(sel)
	c.EIP = off
}

// farReturn pops EIP and CS and releases imm bytes.
func (c *CPU) farReturn(size uint8, imm uint32) {
	if c.protected() && !c.v86() {
		c.farReturnProtected(size, imm)
		return
	}
	off := c.peek(size, 0)
	sel := uint16(c.peek(size, uint32(size)))
	if off > c.Seg[CS].Limit {
		c.raise(excGP, 0)
	}
	sm := c.stackMask
	c.R[ESP] = c.R[ESP]&^sm | (c.R[ESP]+2*uint32(size)+imm)&sm
	c.loadCSReal(sel)
	c.EIP = off
}

// opINT: INT imm8. The machine may claim the vector first (BIOS services
// implemented in Go).
func opINT(c *CPU, i *Inst) {
	vec := uint8(i.imm)
	if c.v86() && c.iopl() < 3 {
		c.raise(excGP, 0)
	}
	if c.Hooks.Trap != nil && c.Hooks.Trap(c, vec) {
		return
	}
	c.interrupt(vec, intSoftware, 0, false)
}

// opINT3: the one-byte breakpoint (CC). Unlike INT n it is not
// IOPL-sensitive in virtual-8086 mode (SDM vol. 3, 20.2.7).
func opINT3(c *CPU, i *Inst) { c.interrupt(excBP, intSoftware, 0, false) }

// opINTO raises #OF as a trap when OF is set; like INT3 it is not
// IOPL-sensitive in virtual-8086 mode.
func opINTO(c *CPU, i *Inst) {
	if !c.of() {
		return
	}
	c.interrupt(excOF, intSoftware, 0, false)
}

// opICEBP: INT1 (F1) raises #DB as a trap without the gate DPL check.
func opICEBP(c *CPU, i *Inst) { c.interrupt(excDB, intICEBP, 0, false) }

// opIRET returns from an interrupt; it also ends NMI blocking (SDM vol.
// 3, 6.7.1).
func opIRET(c *CPU, i *Inst) {
	c.nmiBlocked = false
	if c.protected() {
		c.iretProtected(i.size)
		return
	}
	// Real-address mode (SDM vol. 2, IRET, REAL-ADDRESS-MODE).
	off := c.peek(i.size, 0)
	sel := uint16(c.peek(i.size, uint32(i.size)))
	fl := c.peek(i.size, 2*uint32(i.size))
	if i.size == 2 {
		off &= 0xFFFF
	}
	if off > c.Seg[CS].Limit {
		c.raise(excGP, 0)
	}
	sm := c.stackMask
	c.R[ESP] = c.R[ESP]&^sm | (c.R[ESP]+3*uint32(i.size))&sm
	c.loadCSReal(sel)
	c.EIP = off
	if i.size == 2 {
		c.writeFlags(fl, 0xFFFF&writableFlags)
	} else {
		c.writeFlags(fl, writableFlags&^(FlagVIP|FlagVIF|FlagVM))
	}
}

// iopl is EFLAGS.IOPL.
func (c *CPU) iopl() uint8 { return uint8(c.flags>>12) & 3 }

// writeFlags replaces the EFLAGS bits in mask with those of v, then
// updates anything that depends on them.
func (c *CPU) writeFlags(v, mask uint32) {
	c.materialize()
	c.flags = c.flags&^mask | v&mask | flagRes1
	c.modeChanged()
}

// opPUSHF pushes EFLAGS with VM and RF cleared (SDM vol. 2, PUSHF).
func opPUSHF(c *CPU, i *Inst) {
	if c.v86() && c.iopl() < 3 {
		c.raise(excGP, 0)
	}
	c.push(i.size, c.eflags()&^(FlagVM|FlagRF))
}

// opPOPF pops EFLAGS under the privilege rules of SDM vol. 2, POPF: IOPL
// changes only at CPL 0, IF only when CPL <= IOPL; VM, VIP and VIF never
// change; RF is cleared.
func opPOPF(c *CPU, i *Inst) {
	if c.v86() && c.iopl() < 3 {
		c.raise(excGP, 0)
	}
	v := c.peek(i.size, 0)
	mask := uint32(writableFlags &^ (FlagVIP | FlagVIF | FlagVM))
	if i.size == 2 {
		mask &= 0xFFFF
	}
	if c.protected() {
		if c.cpl > 0 {
			mask &^= FlagIOPL
		}
		if c.cpl > c.iopl() {
			mask &^= FlagIF
		}
	}
	sm := c.stackMask
	c.R[ESP] = c.R[ESP]&^sm | (c.R[ESP]+uint32(i.size))&sm
	c.writeFlags(v&^FlagRF, mask)
}

func opCLC(c *CPU, i *Inst) { c.setFlagBits(FlagCF, false) }
func opSTC(c *CPU, i *Inst) { c.setFlagBits(FlagCF, true) }
func opCMC(c *CPU, i *Inst) { c.setFlagBits(FlagCF, !c.cf()) }
func opCLD(c *CPU, i *Inst) { c.flags &^= FlagDF }
func opSTD(c *CPU, i *Inst) { c.flags |= FlagDF }

// opCLI clears IF; in protected mode it needs CPL <= IOPL, in virtual-8086
// mode IOPL 3 (SDM vol. 2, CLI).
func opCLI(c *CPU, i *Inst) {
	if c.protected() && c.cpl > c.iopl() {
		c.raise(excGP, 0)
	}
	c.flags &^= FlagIF
}

// opSTI sets IF; when IF was clear, interrupts stay blocked until after
// the next instruction.
func opSTI(c *CPU, i *Inst) {
	if c.protected() && c.cpl > c.iopl() {
		c.raise(excGP, 0)
	}
	if c.flags&FlagIF == 0 {
		c.flags |= FlagIF
		c.inhibitIRQ = true
		c.shadowFresh = true
		c.shadowDB = false
		c.stopBlock = true
	}
}

func opNOP(c *CPU, i *Inst) {}

// opHLT stops the CPU until an interrupt; it needs CPL 0.
func opHLT(c *CPU, i *Inst) {
	if c.protected() && c.cpl != 0 {
		c.raise(excGP, 0)
	}
	c.halted = true
	c.stopBlock = true
}

// port returns the port of an IN/OUT: imm8 or DX.
func (c *CPU) port(i *Inst) uint16 {
	if i.op == 1 {
		return uint16(c.R[EDX])
	}
	return uint16(i.imm)
}

func opIN(c *CPU, i *Inst) {
	p := c.port(i)
	c.checkIO(p, i.size)
	c.idle += c.IOCost
	c.setReg(EAX, i.size, c.bus.In(p, int(i.size)))
}

// opOUT writes a port and ends the block, so an interrupt or stop request
// the device raised is seen at once.
func opOUT(c *CPU, i *Inst) {
	p := c.port(i)
	c.checkIO(p, i.size)
	c.idle += c.IOCost
	c.bus.Out(p, int(i.size), c.getReg(EAX, i.size))
	c.stopBlock = true
}
