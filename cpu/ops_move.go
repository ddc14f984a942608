package cpu

// Data movement and stack instructions (SDM vol. 2).

func opMOVEG(c *CPU, i *Inst) { c.writeE(i, c.getReg(i.reg, i.size)) }

func opMOVGE(c *CPU, i *Inst) { c.setReg(i.reg, i.size, c.readE(i)) }

func opMOVEI(c *CPU, i *Inst) { c.writeE(i, i.imm) }

func opMOVZX(c *CPU, i *Inst) {
	c.setReg(i.reg, i.size, c.readESize(i, i.srcSize))
}

func opMOVSX(c *CPU, i *Inst) {
	c.setReg(i.reg, i.size, signExtend(c.readESize(i, i.srcSize), i.srcSize))
}

func opLEA(c *CPU, i *Inst) { c.setReg(i.reg, i.size, c.ea(i)) }

// opMOVSegE: MOV Sreg, r/m16. Loading SS inhibits interrupts and debug
// traps until after the next instruction (SDM vol. 2, MOV).
func opMOVSegE(c *CPU, i *Inst) {
	sel := uint16(c.readESize(i, 2))
	c.loadSeg(int(i.op), sel)
	if i.op == SS {
		c.setShadow()
	}
}

// opMOVESeg: MOV r/m, Sreg. A 32-bit register destination gets the
// selector zero-extended (P6 behaviour, SDM vol. 2, MOV).
func opMOVESeg(c *CPU, i *Inst) {
	sel := uint32(c.Seg[i.op].Selector)
	if i.mem {
		c.write16(int(i.seg), c.ea(i), uint16(sel))
		return
	}
	c.setReg(i.rm, i.size, sel)
}

// opXCHG swaps; with a memory operand it is implicitly locked.
func opXCHG(c *CPU, i *Inst) {
	g := c.getReg(i.reg, i.size)
	v, lin := c.rmwE(i)
	c.finishE(i, lin, g)
	c.setReg(i.reg, i.size, v)
}

func opXADD(c *CPU, i *Inst) {
	v, lin := c.rmwE(i)
	g := c.getReg(i.reg, i.size)
	sum := c.alu(aluADD, i.size, v, g)
	c.setReg(i.reg, i.size, v)
	c.finishE(i, lin, sum)
}

// opCMPXCHG compares the accumulator with the destination. The
// destination is always written, with its own value when the comparison
// fails (SDM vol. 2, CMPXCHG).
func opCMPXCHG(c *CPU, i *Inst) {
	v, lin := c.rmwE(i)
	acc := c.getReg(EAX, i.size)
	c.alu(aluCMP, i.size, acc, v)
	if acc == v {
		c.finishE(i, lin, c.getReg(i.reg, i.size))
		return
	}
	c.finishE(i, lin, v)
	c.setReg(EAX, i.size, v)
}

// opCMPXCHG8B compares EDX:EAX with m64; only ZF changes.
func opCMPXCHG8B(c *CPU, i *Inst) {
	off := c.ea(i)
	s := int(i.seg)
	lo, lin := c.rmwRead(s, off, 4)
	hi, lin2 := c.rmwRead(s, off+4, 4)
	if lo == c.R[EAX] && hi == c.R[EDX] {
		c.rmwWrite(lin, 4, c.R[EBX])
		c.rmwWrite(lin2, 4, c.R[ECX])
		c.setFlagBits(FlagZF, true)
		return
	}
	c.rmwWrite(lin, 4, lo)
	c.rmwWrite(lin2, 4, hi)
	c.R[EAX], c.R[EDX] = lo, hi
	c.setFlagBits(FlagZF, false)
}

// opPUSHE pushes a register or memory operand; PUSH ESP pushes the value
// before the decrement.
func opPUSHE(c *CPU, i *Inst) { c.push(i.size, c.readE(i)) }

func opPUSHImm(c *CPU, i *Inst) { c.push(i.size, i.imm) }

// opPUSHSeg pushes a segment selector, zero-extended for 32-bit pushes.
func opPUSHSeg(c *CPU, i *Inst) { c.push(i.size, uint32(c.Seg[i.op].Selector)) }

// opPOPE pops into a register or memory. A memory destination is
// addressed with ESP already incremented (SDM vol. 2, POP); ESP is only
// committed once the store succeeded.
func opPOPE(c *CPU, i *Inst) {
	v := c.peek(i.size, 0)
	oldESP := c.R[ESP]
	newESP := oldESP&^c.stackMask | (oldESP+uint32(i.size))&c.stackMask
	if !i.mem {
		c.R[ESP] = newESP
		c.setReg(i.rm, i.size, v)
		return
	}
	c.R[ESP] = newESP
	off := c.ea(i)
	c.R[ESP] = oldESP
	c.writeN(int(i.seg), off, i.size, v)
	c.R[ESP] = newESP
}

func opPOPSeg(c *CPU, i *Inst) {
	v := c.peek(i.size, 0)
	c.loadSeg(int(i.op), uint16(v))
	c.R[ESP] = c.R[ESP]&^c.stackMask | (c.R[ESP]+uint32(i.size))&c.stackMask
	if i.op == SS {
		c.setShadow()
	}
}

// opPUSHA pushes the eight general registers, ESP as it was before.
// Nothing is committed to ESP unless every store succeeds.
func opPUSHA(c *CPU, i *Inst) {
	sz := uint32(i.size)
	sp := c.R[ESP]
	for r := 0; r < 8; r++ {
		sp -= sz
		c.writeN(SS, sp&c.stackMask, i.size, c.R[r])
	}
	c.R[ESP] = c.R[ESP]&^c.stackMask | sp&c.stackMask
}

// opPOPA pops the general registers, discarding the saved ESP.
func opPOPA(c *CPU, i *Inst) {
	sz := uint32(i.size)
	sp := c.R[ESP]
	var vals [8]uint32
	for r := 7; r >= 0; r-- {
		vals[r] = c.readN(SS, sp&c.stackMask, i.size)
		sp += sz
	}
	for r := 0; r < 8; r++ {
		if r != ESP {
			c.setReg(uint8(r), i.size, vals[r])
		}
	}
	c.R[ESP] = c.R[ESP]&^c.stackMask | sp&c.stackMask
}

// opLAHF loads AH from SF:ZF:0:AF:0:PF:1:CF.
func opLAHF(c *CPU, i *Inst) {
	f := c.eflags()&(FlagSF|FlagZF|FlagAF|FlagPF|FlagCF) | flagRes1
	c.setReg(4, 1, f) // AH
}

// opSAHF stores AH into SF, ZF, AF, PF and CF.
func opSAHF(c *CPU, i *Inst) {
	const m = FlagSF | FlagZF | FlagAF | FlagPF | FlagCF
	c.materialize()
	c.flags = c.flags&^m | c.R[EAX]>>8&m
}

// opLoadFar: LDS/LES/LFS/LGS/LSS reg, m16:16/32. The segment is loaded
// first, so a faulting selector leaves the register unchanged.
func opLoadFar(c *CPU, i *Inst) {
	off := c.ea(i)
	s := int(i.seg)
	v := c.readN(s, off, i.size)
	next := off + uint32(i.size)
	if !i.a32 {
		next &= 0xFFFF
	}
	sel := c.read16(s, next)
	c.loadSeg(int(i.op), sel)
	c.setReg(i.reg, i.size, v)
	if i.op == SS {
		c.setShadow()
	}
}

// opXLAT: AL = [seg:(E)BX + AL].
func opXLAT(c *CPU, i *Inst) {
	a := c.R[EBX] + c.R[EAX]&0xFF
	if !i.a32 {
		a &= 0xFFFF
	}
	c.setReg(EAX, 1, uint32(c.read8(int(i.seg), a)))
}

// opENTER builds a stack frame (SDM vol. 2, ENTER). Registers are only
// committed after all stores succeed.
func opENTER(c *CPU, i *Inst) {
	size := uint32(i.size)
	level := i.imm2 & 0x1F
	sm := c.stackMask
	sp := c.R[ESP]
	bp := c.R[EBP]
	sp -= size
	c.writeN(SS, sp&sm, i.size, bp)
	frame := sp & sm
	if level > 0 {
		for n := uint32(1); n < level; n++ {
			bp -= size
			v := c.readN(SS, bp&sm, i.size)
			sp -= size
			c.writeN(SS, sp&sm, i.size, v)
		}
		sp -= size
		c.writeN(SS, sp&sm, i.size, frame)
	}
	sp -= i.imm & 0xFFFF
	c.setReg(EBP, i.size, frame)
	c.R[ESP] = c.R[ESP]&^sm | sp&sm
}

// opLEAVE: ESP = EBP, then pop EBP.
func opLEAVE(c *CPU, i *Inst) {
	sm := c.stackMask
	bp := c.R[EBP] & sm
	v := c.readN(SS, bp, i.size)
	c.R[ESP] = c.R[ESP]&^sm | (bp+uint32(i.size))&sm
	c.setReg(EBP, i.size, v)
}

// opBOUND raises #BR when the signed index is outside [lower, upper].
func opBOUND(c *CPU, i *Inst) {
	off := c.ea(i)
	s := int(i.seg)
	next := off + uint32(i.size)
	if !i.a32 {
		next &= 0xFFFF
	}
	lo := int32(signExtend(c.readN(s, off, i.size), i.size))
	hi := int32(signExtend(c.readN(s, next, i.size), i.size))
	v := int32(signExtend(c.getReg(i.reg, i.size), i.size))
	if v < lo || v > hi {
		c.raise(excBR, 0)
	}
}
