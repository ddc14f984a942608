package cpu

import "math/bits"

// Bit instructions, SETcc and CMOVcc (SDM vol. 2).

// bitOp applies BT (0), BTS (1), BTR (2) or BTC (3) to v at bit n.
// It sets CF to the old bit; OF, SF, AF and PF are undefined (left as
// they are) and ZF is unaffected.
func (c *CPU) bitOp(op uint8, v, n uint32) (uint32, bool) {
	bit := v>>n&1 != 0
	c.setFlagBits(FlagCF, bit)
	switch op {
	case 1:
		return v | 1<<n, true
	case 2:
		return v &^ (1 << n), true
	case 3:
		return v ^ 1<<n, true
	}
	return v, false
}

// opBTImm: BT* r/m, imm8. The bit offset is taken modulo the width.
func opBTImm(c *CPU, i *Inst) {
	width := uint32(i.size) * 8
	n := i.imm & (width - 1)
	c.btAt(i, c.ea0(i), n)
}

// opBTReg: BT* r/m, reg. For a memory operand the register is a signed
// bit offset that may address memory outside the operand (SDM vol. 2, BT,
// "bit base" addressing).
func opBTReg(c *CPU, i *Inst) {
	width := uint32(i.size) * 8
	off := c.getReg(i.reg, i.size)
	if !i.mem {
		c.btAt(i, 0, off&(width-1))
		return
	}
	var delta uint32
	if i.size == 2 {
		delta = uint32(int32(int16(off))>>4) * 2
	} else {
		delta = uint32(int32(off)>>5) * 4
	}
	addr := c.ea(i) + delta
	if !i.a32 {
		addr &= 0xFFFF
	}
	c.btAt(i, addr, off&(width-1))
}

// ea0 is the effective address when the operand is memory, else 0.
func (c *CPU) ea0(i *Inst) uint32 {
	if i.mem {
		return c.ea(i)
	}
	return 0
}

func (c *CPU) btAt(i *Inst, addr, n uint32) {
	if !i.mem {
		v := c.getReg(i.rm, i.size)
		if r, w := c.bitOp(i.op, v, n); w {
			c.setReg(i.rm, i.size, r)
		}
		return
	}
	if i.op == 0 {
		c.bitOp(0, c.readN(int(i.seg), addr, i.size), n)
		return
	}
	v, lin := c.rmwRead(int(i.seg), addr, i.size)
	r, _ := c.bitOp(i.op, v, n)
	c.rmwWrite(lin, i.size, r)
}

// opBSF: bit scan forward. A zero source sets ZF and leaves the
// destination unchanged; CF, OF, SF, AF and PF are undefined (kept).
func opBSF(c *CPU, i *Inst) {
	v := c.readE(i)
	if v == 0 {
		c.setFlagBits(FlagZF, true)
		return
	}
	c.setFlagBits(FlagZF, false)
	c.setReg(i.reg, i.size, uint32(bits.TrailingZeros32(v)))
}

// opBSR: bit scan reverse.
func opBSR(c *CPU, i *Inst) {
	v := c.readE(i)
	if v == 0 {
		c.setFlagBits(FlagZF, true)
		return
	}
	c.setFlagBits(FlagZF, false)
	c.setReg(i.reg, i.size, uint32(31-bits.LeadingZeros32(v)))
}

// opBSWAP reverses the bytes of a 32-bit register. With a 16-bit operand
// the result is undefined (SDM vol. 2, BSWAP); the low word is cleared.
func opBSWAP(c *CPU, i *Inst) {
	if i.size == 2 {
		c.setReg(i.reg, 2, 0)
		return
	}
	c.R[i.reg] = bits.ReverseBytes32(c.R[i.reg])
}

func opSETcc(c *CPU, i *Inst) {
	c.writeE(i, b2u(c.cond(i.op)))
}

// opCMOV reads the source whatever the condition (so it can fault) and
// writes the destination only when the condition holds.
func opCMOV(c *CPU, i *Inst) {
	v := c.readE(i)
	if c.cond(i.op) {
		c.setReg(i.reg, i.size, v)
	}
}
