package cpu

// Shifts and rotates (SDM vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR,
// SHLD, SHRD). The count is masked to 5 bits; a masked count of 0 changes
// neither the operand nor the flags. Flags the SDM leaves undefined (OF
// for counts other than 1, AF, CF for SHL/SHR counts of at least the
// operand width) get deterministic values here.

func opShiftImm(c *CPU, i *Inst) { c.shiftE(i, i.imm&0x1F) }

func opShiftCL(c *CPU, i *Inst) { c.shiftE(i, c.R[ECX]&0x1F) }

func (c *CPU) shiftE(i *Inst, count uint32) {
	v, lin := c.rmwE(i)
	if count == 0 {
		return
	}
	r := c.shift(i.op, i.size, v, count)
	c.finishE(i, lin, r)
}

// shift applies shift/rotate kind to the size-byte value v by a masked,
// non-zero count and sets the flags.
func (c *CPU) shift(kind, size uint8, v, count uint32) uint32 {
	width := uint32(size) * 8
	m := sizeMask(size)
	sign := sizeSign(size)
	v &= m
	var r uint32
	switch kind {
	case shROL:
		n := count % width
		r = (v<<n | v>>(width-n)) & m
		cf := r&1 != 0
		of := (r&sign != 0) != cf
		c.setCFOF(cf, of)
	case shROR:
		n := count % width
		r = (v>>n | v<<(width-n)) & m
		cf := r&sign != 0
		of := (r&sign != 0) != (r&(sign>>1) != 0)
		c.setCFOF(cf, of)
	case shRCL:
		n := count
		if size < 4 {
			n = count % (width + 1)
		}
		cf := c.cf()
		r = v
		if n == 0 {
			return r
		}
		// Rotate the (width+1)-bit quantity CF:v left by n.
		wide := uint64(b2u(cf))<<width | uint64(v)
		wide = (wide<<n | wide>>(uint64(width)+1-uint64(n))) & (1<<(width+1) - 1)
		r = uint32(wide) & m
		cf = wide>>width&1 != 0
		c.setCFOF(cf, (r&sign != 0) != cf)
	case shRCR:
		n := count
		if size < 4 {
			n = count % (width + 1)
		}
		cf := c.cf()
		r = v
		if n == 0 {
			return r
		}
		of := (v&sign != 0) != cf
		wide := uint64(b2u(cf))<<width | uint64(v)
		wide = (wide>>n | wide<<(uint64(width)+1-uint64(n))) & (1<<(width+1) - 1)
		r = uint32(wide) & m
		cf = wide>>width&1 != 0
		c.setCFOF(cf, of)
	case shSHL, shSAL:
		var cf bool
		if count <= width {
			cf = (uint64(v)>>(width-count))&1 != 0
		}
		r = uint32(uint64(v)<<count) & m
		of := (r&sign != 0) != cf
		c.setExplicit(size, r, flagBits(cf, of))
	case shSHR:
		cf := (uint64(v)>>(count-1))&1 != 0
		r = uint32(uint64(v) >> count)
		of := v&sign != 0
		c.setExplicit(size, r, flagBits(cf, of))
	case shSAR:
		sv := int64(int32(signExtend(v, size)))
		cf := (sv>>(count-1))&1 != 0
		r = uint32(sv>>count) & m
		c.setExplicit(size, r, flagBits(cf, false))
	}
	return r
}

func flagBits(cf, of bool) uint32 {
	var f uint32
	if cf {
		f |= FlagCF
	}
	if of {
		f |= FlagOF
	}
	return f
}

// setCFOF sets CF and OF, keeping the other flags (rotates).
func (c *CPU) setCFOF(cf, of bool) {
	c.materialize()
	c.flags = c.flags&^(FlagCF|FlagOF) | flagBits(cf, of)
}

func opSHxDImm(c *CPU, i *Inst) { c.shiftDouble(i, i.imm&0x1F) }

func opSHxDCL(c *CPU, i *Inst) { c.shiftDouble(i, c.R[ECX]&0x1F) }

// shiftDouble implements SHLD (op 0) and SHRD (op 1). For 16-bit operands
// with a count above 16 the result is undefined; it is computed here from
// the 48-bit concatenation as the operation is commonly implemented.
func (c *CPU) shiftDouble(i *Inst, count uint32) {
	v, lin := c.rmwE(i)
	if count == 0 {
		return
	}
	src := c.getReg(i.reg, i.size)
	width := uint32(i.size) * 8
	m := sizeMask(i.size)
	sign := sizeSign(i.size)
	var r uint32
	var cf bool
	if i.op == 0 {
		// SHLD: dst:src shifted left.
		wide := uint64(v)<<width | uint64(src)
		if width == 16 {
			wide = wide<<16 | uint64(v) // repeat dst for counts past 16
		}
		shifted := wide << count
		if width == 16 {
			r = uint32(shifted>>32) & m
			cf = (wide<<(count-1))>>47&1 != 0
		} else {
			r = uint32(shifted >> 32)
			cf = (wide<<(count-1))>>63&1 != 0
		}
	} else {
		// SHRD: src:dst shifted right.
		wide := uint64(src)<<width | uint64(v)
		if width == 16 {
			wide |= uint64(v) << 32
		}
		r = uint32(wide>>count) & m
		cf = (wide>>(count-1))&1 != 0
	}
	of := (r^v)&sign != 0
	c.setExplicit(i.size, r, flagBits(cf, of))
	c.finishE(i, lin, r)
}
