package cpu

// Integer arithmetic and logic (SDM vol. 2: ADD, ADC, SUB, SBB, AND, OR,
// XOR, CMP, TEST, INC, DEC, NEG, NOT, MUL, IMUL, DIV, IDIV, and the BCD
// adjustments).

// alu performs a two-operand ALU operation on size-byte values, records
// the flags and returns the result.
func (c *CPU) alu(op, size uint8, a, b uint32) uint32 {
	m := sizeMask(size)
	a &= m
	b &= m
	var r uint32
	switch op {
	case aluADD:
		r = (a + b) & m
		c.setLazy(ccAdd, size, a, b, r, 0)
	case aluOR:
		r = a | b
		c.setLazy(ccLogic, size, a, b, r, 0)
	case aluADC:
		cin := b2u(c.cf())
		r = (a + b + cin) & m
		c.setLazy(ccAdc, size, a, b, r, cin)
	case aluSBB:
		cin := b2u(c.cf())
		r = (a - b - cin) & m
		c.setLazy(ccSbb, size, a, b, r, cin)
	case aluAND, aluTEST:
		r = a & b
		c.setLazy(ccLogic, size, a, b, r, 0)
	case aluSUB, aluCMP:
		r = (a - b) & m
		c.setLazy(ccSub, size, a, b, r, 0)
	case aluXOR:
		r = a ^ b
		c.setLazy(ccLogic, size, a, b, r, 0)
	}
	return r
}

// aluWrites reports whether the ALU operation stores its result.
func aluWrites(op uint8) bool { return op < aluCMP }

// opAluEG: op r/m, reg (and reg, reg).
func opAluEG(c *CPU, i *Inst) {
	src := c.getReg(i.reg, i.size)
	if !i.mem {
		r := c.alu(i.op, i.size, c.getReg(i.rm, i.size), src)
		if aluWrites(i.op) {
			c.setReg(i.rm, i.size, r)
		}
		return
	}
	if !aluWrites(i.op) {
		c.alu(i.op, i.size, c.readN(int(i.seg), c.ea(i), i.size), src)
		return
	}
	v, lin := c.rmwRead(int(i.seg), c.ea(i), i.size)
	c.rmwWrite(lin, i.size, c.alu(i.op, i.size, v, src))
}

// opAluGE: op reg, mem.
func opAluGE(c *CPU, i *Inst) {
	src := c.readN(int(i.seg), c.ea(i), i.size)
	r := c.alu(i.op, i.size, c.getReg(i.reg, i.size), src)
	if aluWrites(i.op) {
		c.setReg(i.reg, i.size, r)
	}
}

// opAluEI: op r/m, imm.
func opAluEI(c *CPU, i *Inst) {
	if !i.mem {
		r := c.alu(i.op, i.size, c.getReg(i.rm, i.size), i.imm)
		if aluWrites(i.op) {
			c.setReg(i.rm, i.size, r)
		}
		return
	}
	if !aluWrites(i.op) {
		c.alu(i.op, i.size, c.readN(int(i.seg), c.ea(i), i.size), i.imm)
		return
	}
	v, lin := c.rmwRead(int(i.seg), c.ea(i), i.size)
	c.rmwWrite(lin, i.size, c.alu(i.op, i.size, v, i.imm))
}

func opINC(c *CPU, i *Inst) {
	v, lin := c.rmwE(i)
	m := sizeMask(i.size)
	r := (v + 1) & m
	c.setLazy(ccInc, i.size, v, 1, r, b2u(c.cf()))
	c.finishE(i, lin, r)
}

func opDEC(c *CPU, i *Inst) {
	v, lin := c.rmwE(i)
	m := sizeMask(i.size)
	r := (v - 1) & m
	c.setLazy(ccDec, i.size, v, 1, r, b2u(c.cf()))
	c.finishE(i, lin, r)
}

func opNEG(c *CPU, i *Inst) {
	v, lin := c.rmwE(i)
	m := sizeMask(i.size)
	r := -v & m
	c.setLazy(ccSub, i.size, 0, v, r, 0)
	c.finishE(i, lin, r)
}

func opNOT(c *CPU, i *Inst) {
	v, lin := c.rmwE(i)
	c.finishE(i, lin, ^v&sizeMask(i.size))
}

// setMulFlags records CF = OF = overflow; SF, ZF, AF and PF are undefined
// after multiplies (SDM vol. 2, MUL/IMUL) and follow the low result here.
func (c *CPU) setMulFlags(size uint8, low uint32, overflow bool) {
	aux := uint32(0)
	if overflow {
		aux = FlagCF | FlagOF
	}
	c.setLazy(ccExplicit, size, 0, 0, low&sizeMask(size), aux)
}

func opMUL(c *CPU, i *Inst) {
	src := c.readE(i)
	switch i.size {
	case 1:
		r := (c.R[EAX] & 0xFF) * src
		c.setReg(EAX, 2, r)
		c.setMulFlags(1, r, r>>8 != 0)
	case 2:
		r := (c.R[EAX] & 0xFFFF) * src
		c.setReg(EAX, 2, r)
		c.setReg(EDX, 2, r>>16)
		c.setMulFlags(2, r, r>>16 != 0)
	default:
		r := uint64(c.R[EAX]) * uint64(src)
		c.R[EAX], c.R[EDX] = uint32(r), uint32(r>>32)
		c.setMulFlags(4, uint32(r), r>>32 != 0)
	}
}

func opIMUL1(c *CPU, i *Inst) {
	src := c.readE(i)
	switch i.size {
	case 1:
		r := int32(int8(c.R[EAX])) * int32(int8(src))
		c.setReg(EAX, 2, uint32(r))
		c.setMulFlags(1, uint32(r), r != int32(int8(r)))
	case 2:
		r := int32(int16(c.R[EAX])) * int32(int16(src))
		c.setReg(EAX, 2, uint32(r))
		c.setReg(EDX, 2, uint32(r)>>16)
		c.setMulFlags(2, uint32(r), r != int32(int16(r)))
	default:
		r := int64(int32(c.R[EAX])) * int64(int32(src))
		c.R[EAX], c.R[EDX] = uint32(r), uint32(uint64(r)>>32)
		c.setMulFlags(4, uint32(r), r != int64(int32(r)))
	}
}

// imulTrunc multiplies signed size-byte values, truncating to size, with
// CF/OF set when the full product does not fit.
func (c *CPU) imulTrunc(size uint8, a, b uint32) uint32 {
	if size == 2 {
		r := int32(int16(a)) * int32(int16(b))
		c.setMulFlags(2, uint32(r), r != int32(int16(r)))
		return uint32(r) & 0xFFFF
	}
	r := int64(int32(a)) * int64(int32(b))
	c.setMulFlags(4, uint32(r), r != int64(int32(r)))
	return uint32(r)
}

func opIMULGE(c *CPU, i *Inst) {
	c.setReg(i.reg, i.size, c.imulTrunc(i.size, c.getReg(i.reg, i.size), c.readE(i)))
}

func opIMULGEI(c *CPU, i *Inst) {
	c.setReg(i.reg, i.size, c.imulTrunc(i.size, c.readE(i), i.imm))
}

// DIV and IDIV leave the flags unchanged here; the SDM makes all six
// undefined.
func opDIV(c *CPU, i *Inst) {
	src := c.readE(i)
	if src == 0 {
		c.raise(excDE, 0)
	}
	switch i.size {
	case 1:
		n := c.R[EAX] & 0xFFFF
		q, r := n/src, n%src
		if q > 0xFF {
			c.raise(excDE, 0)
		}
		c.setReg(EAX, 2, r<<8|q)
	case 2:
		n := (c.R[EDX]&0xFFFF)<<16 | c.R[EAX]&0xFFFF
		q, r := n/src, n%src
		if q > 0xFFFF {
			c.raise(excDE, 0)
		}
		c.setReg(EAX, 2, q)
		c.setReg(EDX, 2, r)
	default:
		n := uint64(c.R[EDX])<<32 | uint64(c.R[EAX])
		q, r := n/uint64(src), n%uint64(src)
		if q > 0xFFFFFFFF {
			c.raise(excDE, 0)
		}
		c.R[EAX], c.R[EDX] = uint32(q), uint32(r)
	}
}

func opIDIV(c *CPU, i *Inst) {
	src := c.readE(i)
	if src&sizeMask(i.size) == 0 {
		c.raise(excDE, 0)
	}
	switch i.size {
	case 1:
		n := int32(int16(c.R[EAX]))
		d := int32(int8(src))
		q, r := n/d, n%d
		if q != int32(int8(q)) {
			c.raise(excDE, 0)
		}
		c.setReg(EAX, 2, uint32(r&0xFF)<<8|uint32(q&0xFF))
	case 2:
		n := int32((c.R[EDX]&0xFFFF)<<16 | c.R[EAX]&0xFFFF)
		d := int32(int16(src))
		if n == -1<<31 && d == -1 {
			c.raise(excDE, 0)
		}
		q, r := n/d, n%d
		if q != int32(int16(q)) {
			c.raise(excDE, 0)
		}
		c.setReg(EAX, 2, uint32(q))
		c.setReg(EDX, 2, uint32(r))
	default:
		n := int64(uint64(c.R[EDX])<<32 | uint64(c.R[EAX]))
		d := int64(int32(src))
		if n == -1<<63 && d == -1 {
			c.raise(excDE, 0)
		}
		q, r := n/d, n%d
		if q != int64(int32(q)) {
			c.raise(excDE, 0)
		}
		c.R[EAX], c.R[EDX] = uint32(q), uint32(r)
	}
}

// setExplicit records flags given as CF/AF/OF bits plus a result for
// ZF/SF/PF.
func (c *CPU) setExplicit(size uint8, res, cfafof uint32) {
	c.setLazy(ccExplicit, size, 0, 0, res&sizeMask(size), cfafof)
}

// opAAA: ASCII adjust after addition (SDM vol. 2, AAA). OF, SF, ZF and PF
// are undefined; they follow AL here.
func opAAA(c *CPU, i *Inst) {
	ax := c.R[EAX] & 0xFFFF
	var f uint32
	if ax&0xF > 9 || c.af() {
		ax += 0x106
		f = FlagAF | FlagCF
	}
	ax &^= 0xF0
	c.setReg(EAX, 2, ax)
	c.setExplicit(1, ax, f)
}

// opAAS: ASCII adjust after subtraction (SDM vol. 2, AAS).
func opAAS(c *CPU, i *Inst) {
	ax := c.R[EAX] & 0xFFFF
	var f uint32
	if ax&0xF > 9 || c.af() {
		ax -= 6
		ax -= 0x100
		f = FlagAF | FlagCF
	}
	ax &^= 0xF0
	c.setReg(EAX, 2, ax)
	c.setExplicit(1, ax, f)
}

// opDAA: decimal adjust after addition (SDM vol. 2, DAA).
func opDAA(c *CPU, i *Inst) {
	al := c.R[EAX] & 0xFF
	oldAL, oldCF := al, c.cf()
	var f uint32
	if al&0xF > 9 || c.af() {
		al += 6
		if oldCF || al > 0xFF {
			f |= FlagCF
		}
		f |= FlagAF
	}
	if oldAL > 0x99 || oldCF {
		al += 0x60
		f |= FlagCF
	} else {
		f &^= FlagCF
	}
	c.setReg(EAX, 1, al)
	c.setExplicit(1, al, f)
}

// opDAS: decimal adjust after subtraction (SDM vol. 2, DAS).
func opDAS(c *CPU, i *Inst) {
	al := c.R[EAX] & 0xFF
	oldAL, oldCF := al, c.cf()
	var f uint32
	if al&0xF > 9 || c.af() {
		if oldCF || al < 6 {
			f |= FlagCF
		}
		al -= 6
		f |= FlagAF
	}
	if oldAL > 0x99 || oldCF {
		al -= 0x60
		f |= FlagCF
	}
	c.setReg(EAX, 1, al)
	c.setExplicit(1, al, f)
}

// opAAM: ASCII adjust AX after multiply (SDM vol. 2, AAM); imm 0 is #DE.
func opAAM(c *CPU, i *Inst) {
	base := i.imm & 0xFF
	if base == 0 {
		c.raise(excDE, 0)
	}
	al := c.R[EAX] & 0xFF
	ah, nal := al/base, al%base
	c.setReg(EAX, 2, ah<<8|nal)
	c.setExplicit(1, nal, 0)
}

// opAAD: ASCII adjust AX before division (SDM vol. 2, AAD).
func opAAD(c *CPU, i *Inst) {
	al := c.R[EAX] & 0xFF
	ah := c.R[EAX] >> 8 & 0xFF
	r := (al + ah*(i.imm&0xFF)) & 0xFF
	c.setReg(EAX, 2, r)
	// OF, AF and CF are undefined; they are computed here as for the
	// 8-bit addition AL + AH×imm.
	c.setLazy(ccAdd, 1, al, (ah*(i.imm&0xFF))&0xFF, r, 0)
}

// opCBW: CBW (16-bit) / CWDE (32-bit).
func opCBW(c *CPU, i *Inst) {
	if i.size == 2 {
		c.setReg(EAX, 2, signExtend(c.R[EAX], 1))
	} else {
		c.R[EAX] = signExtend(c.R[EAX], 2)
	}
}

// opCWD: CWD (16-bit) / CDQ (32-bit).
func opCWD(c *CPU, i *Inst) {
	if i.size == 2 {
		c.setReg(EDX, 2, uint32(int32(int16(c.R[EAX]))>>16))
	} else {
		c.R[EDX] = uint32(int32(c.R[EAX]) >> 31)
	}
}

// opSALC sets AL to 0xFF if CF, else 0 (undocumented D6).
func opSALC(c *CPU, i *Inst) {
	if c.cf() {
		c.setReg(EAX, 1, 0xFF)
	} else {
		c.setReg(EAX, 1, 0)
	}
}
