package cpu

// Operand access for decoded instructions.

// getReg reads general register n at size bytes; for size 1, n follows
// the byte-register encoding (4-7 are AH, CH, DH, BH).
func (c *CPU) getReg(n, size uint8) uint32 {
	switch size {
	case 1:
		if n < 4 {
			return c.R[n] & 0xFF
		}
		return c.R[n-4] >> 8 & 0xFF
	case 2:
		return c.R[n] & 0xFFFF
	}
	return c.R[n]
}

// setReg writes general register n at size bytes, preserving the rest.
func (c *CPU) setReg(n, size uint8, v uint32) {
	switch size {
	case 1:
		if n < 4 {
			c.R[n] = c.R[n]&^0xFF | v&0xFF
		} else {
			c.R[n-4] = c.R[n-4]&^0xFF00 | (v&0xFF)<<8
		}
	case 2:
		c.R[n] = c.R[n]&^0xFFFF | v&0xFFFF
	default:
		c.R[n] = v
	}
}

// readE reads the ModRM r/m operand.
func (c *CPU) readE(i *Inst) uint32 {
	if i.mem {
		return c.readN(int(i.seg), c.ea(i), i.size)
	}
	return c.getReg(i.rm, i.size)
}

// readESize reads the ModRM r/m operand at an explicit size.
func (c *CPU) readESize(i *Inst, size uint8) uint32 {
	if i.mem {
		return c.readN(int(i.seg), c.ea(i), size)
	}
	return c.getReg(i.rm, size)
}

// writeE writes the ModRM r/m operand.
func (c *CPU) writeE(i *Inst, v uint32) {
	if i.mem {
		c.writeN(int(i.seg), c.ea(i), i.size, v)
		return
	}
	c.setReg(i.rm, i.size, v)
}

// rmwE starts a read-modify-write of the r/m operand; finish with
// finishE using the returned linear address (ignored for registers).
func (c *CPU) rmwE(i *Inst) (v, lin uint32) {
	if i.mem {
		return c.rmwRead(int(i.seg), c.ea(i), i.size)
	}
	return c.getReg(i.rm, i.size), 0
}

func (c *CPU) finishE(i *Inst, lin, v uint32) {
	if i.mem {
		c.rmwWrite(lin, i.size, v)
		return
	}
	c.setReg(i.rm, i.size, v)
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// signExtend sign-extends the low size bytes of v to 32 bits.
func signExtend(v uint32, size uint8) uint32 {
	switch size {
	case 1:
		return uint32(int32(int8(v)))
	case 2:
		return uint32(int32(int16(v)))
	}
	return v
}
