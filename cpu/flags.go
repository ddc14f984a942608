package cpu

import "math/bits"

// ccOp says how the six arithmetic flags follow from the last
// flag-setting operation (lazy evaluation as in QEMU's cc_op and v86's
// flags_changed): the instruction stores its operands and result, and a
// flag is computed only when something reads it.
type ccOp uint32

const (
	// ccNone: the arithmetic flags are valid in CPU.flags.
	ccNone ccOp = iota
	// ccAdd: res = dst + src (+ aux for ADC).
	ccAdd
	// ccAdc: res = dst + src + aux, aux the carry in.
	ccAdc
	// ccSub: res = dst - src (CMP, SUB, NEG with dst = 0).
	ccSub
	// ccSbb: res = dst - src - aux.
	ccSbb
	// ccLogic: AND/OR/XOR/TEST: CF = OF = 0 (AF undefined; we clear it).
	ccLogic
	// ccInc/ccDec: like add/sub 1, but CF is the old CF kept in aux.
	ccInc
	ccDec
	// ccExplicit: CF, OF and AF are given in aux (in their EFLAGS
	// positions); ZF, SF and PF follow from res. Used by shifts,
	// multiplies and the like.
	ccExplicit
)

// lazyFlags is the state of the last flag-setting operation. dst, src and
// res are already masked to the operand size.
type lazyFlags struct {
	op   ccOp
	sign uint32 // the operand size's sign bit
	dst  uint32
	src  uint32
	res  uint32
	aux  uint32
}

// sizeSign is the sign bit of a 1-, 2- or 4-byte operand.
func sizeSign(size uint8) uint32 { return 1 << (uint32(size)*8 - 1) }

// sizeMask is the value mask of a 1-, 2- or 4-byte operand.
func sizeMask(size uint8) uint32 { return 0xFFFFFFFF >> (32 - uint32(size)*8) }

// setLazy records a flag-setting operation.
func (c *CPU) setLazy(op ccOp, size uint8, dst, src, res, aux uint32) {
	l := &c.lf
	l.op = op
	l.sign = sizeSign(size)
	l.dst = dst
	l.src = src
	l.res = res
	l.aux = aux
}

func (c *CPU) cf() bool {
	l := &c.lf
	switch l.op {
	case ccNone:
		return c.flags&FlagCF != 0
	case ccAdd:
		return l.res < l.dst
	case ccAdc:
		return l.res < l.dst || (l.aux != 0 && l.res == l.dst)
	case ccSub:
		return l.dst < l.src
	case ccSbb:
		return l.dst < l.src || (l.aux != 0 && l.dst == l.src)
	case ccLogic:
		return false
	case ccInc, ccDec:
		return l.aux != 0
	default:
		return l.aux&FlagCF != 0
	}
}

func (c *CPU) zf() bool {
	if c.lf.op == ccNone {
		return c.flags&FlagZF != 0
	}
	return c.lf.res == 0
}

func (c *CPU) sf() bool {
	if c.lf.op == ccNone {
		return c.flags&FlagSF != 0
	}
	return c.lf.res&c.lf.sign != 0
}

func (c *CPU) pf() bool {
	if c.lf.op == ccNone {
		return c.flags&FlagPF != 0
	}
	return bits.OnesCount8(uint8(c.lf.res))&1 == 0
}

func (c *CPU) of() bool {
	l := &c.lf
	switch l.op {
	case ccNone:
		return c.flags&FlagOF != 0
	case ccAdd, ccAdc, ccInc:
		return (l.dst^l.res)&(l.src^l.res)&l.sign != 0
	case ccSub, ccSbb, ccDec:
		return (l.dst^l.src)&(l.dst^l.res)&l.sign != 0
	case ccLogic:
		return false
	default:
		return l.aux&FlagOF != 0
	}
}

func (c *CPU) af() bool {
	l := &c.lf
	switch l.op {
	case ccNone:
		return c.flags&FlagAF != 0
	case ccLogic:
		return false
	case ccExplicit:
		return l.aux&FlagAF != 0
	default:
		return (l.dst^l.src^l.res)&0x10 != 0
	}
}

// eflags returns the architectural EFLAGS value.
func (c *CPU) eflags() uint32 {
	if c.lf.op == ccNone {
		return c.flags
	}
	f := c.flags &^ arithFlags
	if c.cf() {
		f |= FlagCF
	}
	if c.pf() {
		f |= FlagPF
	}
	if c.af() {
		f |= FlagAF
	}
	if c.zf() {
		f |= FlagZF
	}
	if c.sf() {
		f |= FlagSF
	}
	if c.of() {
		f |= FlagOF
	}
	return f
}

// materialize folds the lazy state into c.flags.
func (c *CPU) materialize() {
	if c.lf.op != ccNone {
		c.flags = c.eflags()
		c.lf.op = ccNone
	}
}

// setEflagsRaw stores v as EFLAGS with no checks or side effects.
func (c *CPU) setEflagsRaw(v uint32) {
	c.flags = v
	c.lf.op = ccNone
}

// setFlagBits sets or clears the given arithmetic bits, leaving the other
// arithmetic flags as they are.
func (c *CPU) setFlagBits(mask uint32, on bool) {
	c.materialize()
	if on {
		c.flags |= mask
	} else {
		c.flags &^= mask
	}
}

// Condition codes in encoding order (SDM vol. 1, appendix B).
const (
	ccO = iota
	ccNO
	ccB
	ccAE
	ccE
	ccNE
	ccBE
	ccA
	ccS
	ccNS
	ccP
	ccNP
	ccL
	ccGE
	ccLE
	ccG
)

// cond evaluates condition code cc (the low nibble of Jcc/SETcc/CMOVcc).
func (c *CPU) cond(cc uint8) bool {
	if c.lf.op == ccSub {
		return c.condSub(cc)
	}
	var r bool
	switch cc >> 1 {
	case 0:
		r = c.of()
	case 1:
		r = c.cf()
	case 2:
		r = c.zf()
	case 3:
		r = c.cf() || c.zf()
	case 4:
		r = c.sf()
	case 5:
		r = c.pf()
	case 6:
		r = c.sf() != c.of()
	default:
		r = c.zf() || c.sf() != c.of()
	}
	return r != (cc&1 != 0)
}

// parity8 reports even parity of the low byte (PF).
func parity8(v uint32) bool { return bits.OnesCount8(uint8(v))&1 == 0 }

// condSub evaluates a condition directly from a pending subtraction or
// comparison dst - src: unsigned order for B/BE, and signed order (by
// flipping the sign bits) for L/LE, which is what SF, OF, CF and ZF
// encode (SDM vol. 1, appendix B, table B-1).
func (c *CPU) condSub(cc uint8) bool {
	l := &c.lf
	var r bool
	switch cc >> 1 {
	case 0:
		r = (l.dst^l.src)&(l.dst^l.res)&l.sign != 0
	case 1:
		r = l.dst < l.src
	case 2:
		r = l.res == 0
	case 3:
		r = l.dst <= l.src
	case 4:
		r = l.res&l.sign != 0
	case 5:
		r = parity8(l.res)
	case 6:
		r = l.dst^l.sign < l.src^l.sign
	default:
		r = l.dst^l.sign <= l.src^l.sign
	}
	return r != (cc&1 != 0)
}
