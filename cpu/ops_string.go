package cpu

// String instructions with REP/REPE/REPNE (SDM vol. 2, MOVS, CMPS, STOS,
// LODS, SCAS, INS, OUTS, REP). The source is seg:(E)SI with seg DS or an
// override; the destination is always ES:(E)DI. A repeated instruction
// runs at most repChunk iterations per execution and then restarts itself,
// so interrupts and the instruction budget are honoured during long
// copies; a fault leaves the registers at the faulting iteration, as on
// hardware.

const repChunk = 1024

func (c *CPU) strIndex(i *Inst, r int) uint32 {
	if i.a32 {
		return c.R[r]
	}
	return c.R[r] & 0xFFFF
}

func (c *CPU) strAdvance(i *Inst, r int) {
	d := uint32(i.size)
	if c.flags&FlagDF != 0 {
		d = -d
	}
	if i.a32 {
		c.R[r] += d
	} else {
		c.R[r] = c.R[r]&^0xFFFF | (c.R[r]+d)&0xFFFF
	}
}

// repeat runs one element operation under the instruction's REP prefix.
// cond, when non-nil, is the REPE/REPNE termination test after each
// element (CMPS, SCAS).
func (c *CPU) repeat(i *Inst, elem func(c *CPU, i *Inst), zfTest bool) {
	if i.rep == repNone {
		elem(c, i)
		return
	}
	n := 0
	limit := repChunk
	if left := c.runEnd - (c.icount + c.idle); left < uint64(limit) {
		// Stop where the run's budget ends (counting this instruction).
		limit = max(int(left), 1)
	}
	for c.counter(i) != 0 {
		if n == limit {
			// Resume later from the same instruction. RF is set so an
			// interrupt taken here pushes it and the instruction is not
			// re-checked against instruction breakpoints (SDM vol. 3,
			// 17.3.1.1).
			c.EIP = c.prevEIP
			c.stopBlock = true
			c.materialize()
			c.flags |= FlagRF
			break
		}
		elem(c, i)
		c.decCounter(i)
		n++
		if zfTest && c.zf() != (i.rep == repE) {
			break
		}
	}
	if n > 1 {
		c.icount += uint64(n - 1)
	}
}

func movsElem(c *CPU, i *Inst) {
	v := c.readN(int(i.seg), c.strIndex(i, ESI), i.size)
	c.writeN(ES, c.strIndex(i, EDI), i.size, v)
	c.strAdvance(i, ESI)
	c.strAdvance(i, EDI)
}

func cmpsElem(c *CPU, i *Inst) {
	a := c.readN(int(i.seg), c.strIndex(i, ESI), i.size)
	b := c.readN(ES, c.strIndex(i, EDI), i.size)
	c.alu(aluCMP, i.size, a, b)
	c.strAdvance(i, ESI)
	c.strAdvance(i, EDI)
}

func stosElem(c *CPU, i *Inst) {
	c.writeN(ES, c.strIndex(i, EDI), i.size, c.getReg(EAX, i.size))
	c.strAdvance(i, EDI)
}

func lodsElem(c *CPU, i *Inst) {
	c.setReg(EAX, i.size, c.readN(int(i.seg), c.strIndex(i, ESI), i.size))
	c.strAdvance(i, ESI)
}

func scasElem(c *CPU, i *Inst) {
	b := c.readN(ES, c.strIndex(i, EDI), i.size)
	c.alu(aluCMP, i.size, c.getReg(EAX, i.size), b)
	c.strAdvance(i, EDI)
}

// insElem reads the port first, then stores: a faulting store loses the
// port read, as on hardware.
func insElem(c *CPU, i *Inst) {
	p := uint16(c.R[EDX])
	c.checkIO(p, i.size)
	di := c.strIndex(i, EDI)
	// Check the destination before touching the device.
	c.checkWrite(ES, di, uint32(i.size))
	c.idle += c.IOCost
	v := c.bus.In(p, int(i.size))
	c.writeN(ES, di, i.size, v)
	c.strAdvance(i, EDI)
}

func outsElem(c *CPU, i *Inst) {
	p := uint16(c.R[EDX])
	c.checkIO(p, i.size)
	v := c.readN(int(i.seg), c.strIndex(i, ESI), i.size)
	c.idle += c.IOCost
	c.bus.Out(p, int(i.size), v)
	c.strAdvance(i, ESI)
}

func opMOVS(c *CPU, i *Inst) { c.repeat(i, movsElem, false) }

func opCMPS(c *CPU, i *Inst) { c.repeat(i, cmpsElem, true) }

func opSTOS(c *CPU, i *Inst) { c.repeat(i, stosElem, false) }

func opLODS(c *CPU, i *Inst) { c.repeat(i, lodsElem, false) }
func opSCAS(c *CPU, i *Inst) { c.repeat(i, scasElem, true) }
func opINS(c *CPU, i *Inst)  { c.repeat(i, insElem, false) }

func opOUTS(c *CPU, i *Inst) {
	c.repeat(i, outsElem, false)
	c.stopBlock = true
}
