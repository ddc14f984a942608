package cpu

import (
	"encoding/binary"

	"github.com/gox86/gox86/cpu/float80"
)

// x87 instruction semantics (SDM vol. 2, F2XM1 through FYL2XP1; opcode
// map in vol. 2, appendix A.4). opFPU dispatches on the escape byte and
// ModRM.reg packed in Inst.op, ModRM.rm in Inst.rm.

// Memory operand formats.
const (
	fmtReal32 = iota
	fmtInt32
	fmtReal64
	fmtInt16
)

// arithmetic operation by ModRM.reg for D8/DA/DC/DE.
var fpuArithOps = [8]float80.ArithOp{float80.OpAdd, float80.OpMul, 0, 0, float80.OpSub, float80.OpSub, float80.OpDiv, float80.OpDiv}

// fpuWaits reports whether an x87 instruction checks for a pending
// unmasked exception first. Only FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV
// and FNSAVE do not (SDM vol. 1, 8.7.1 and 8.3.12).
func fpuWaits(esc, reg uint8, mem bool, rm uint8) bool {
	if mem {
		return !((esc == 1 && (reg == 6 || reg == 7)) || (esc == 5 && (reg == 6 || reg == 7)))
	}
	return !((esc == 3 && reg == 4 && (rm == 2 || rm == 3)) || (esc == 7 && reg == 4 && rm == 0))
}

// fpuControl reports the control instructions, which leave FIP, FOP and
// FDP alone: the non-waiting ones plus FLDCW, FLDENV and FRSTOR (SDM vol.
// 1, 8.1.8).
func fpuControl(esc, reg uint8, mem bool, rm uint8) bool {
	if mem {
		return (esc == 1 && reg >= 4) || (esc == 5 && (reg == 4 || reg == 6 || reg == 7))
	}
	return (esc == 3 && reg == 4) || (esc == 7 && reg == 4 && rm == 0)
}

// fpuValid reports whether an escape encoding is a P6 x87 instruction
// (SDM vol. 2, table ); the rest raise #UD without looking for
// pending exceptions (SDM vol. 3, 22.18.6.6).
func fpuValid(esc, reg uint8, mem bool, rm uint8) bool {
	if mem {
		switch esc {
		case 1:
			return reg != 1
		case 3:
			return reg != 1 && reg != 4 && reg != 6
		case 5:
			return reg != 1 && reg != 5
		case 7:
			return reg != 1
		}
		return true
	}
	switch esc {
	case 1:
		switch reg {
		case 2:
			return rm == 0
		case 4:
			return rm == 0 || rm == 1 || rm == 4 || rm == 5
		case 5:
			return rm != 7
		}
	case 2:
		return reg <= 3 || (reg == 5 && rm == 1)
	case 3:
		return reg != 7 && (reg != 4 || rm <= 4)
	case 5:
		return reg <= 5
	case 6:
		return reg != 3 || rm == 1
	case 7:
		return reg != 7 && (reg != 4 || rm == 0)
	}
	return true
}

func opFPU(c *CPU, i *Inst) {
	esc, reg := i.op>>3, i.op&7
	if c.CR0&(CR0EM|CR0TS) != 0 {
		c.raise(excNM, 0)
	}
	if !fpuValid(esc, reg, i.mem, i.rm) {
		c.raise(excUD, 0)
	}
	if fpuWaits(esc, reg, i.mem, i.rm) {
		c.fpuPending()
	}
	f := &c.fpu
	if !fpuControl(esc, reg, i.mem, i.rm) {
		f.fip, f.fcs = c.prevEIP, c.Seg[CS].Selector
		f.fop = uint16(esc)<<8 | uint16(i.imm2&0xFF) // escape bits and ModRM
		if i.mem {
			f.fdp, f.fds = c.ea(i), c.Seg[i.seg].Selector
		}
		f.env.C1 = false
	}
	if i.mem {
		c.fpuMem(i, esc, reg)
	} else {
		c.fpuReg(i, esc, reg, i.rm)
	}
	// With CR0.NE clear, FERR# follows the error as soon as the faulting
	// instruction completes (SDM vol. 3, 22.18.6.7).
	if c.CR0&CR0NE == 0 && f.env.Unmasked() != 0 && !f.ferr {
		f.ferr = true
		if c.Hooks.FERR != nil {
			c.Hooks.FERR(true)
		}
	}
}

// --- stack helpers -------------------------------------------------------

// st returns ST(n) and whether it holds a value. An empty register is a
// stack underflow: IE and SF with C1 = 0 (SDM vol. 1, 8.5.1.1).
func (c *CPU) st(n uint8) (float80.F80, bool) {
	f := &c.fpu
	if f.isEmpty(n) {
		c.stackFault(false)
		return float80.Indefinite, false
	}
	return f.st[f.phys(n)], true
}

// stackFault records a stack overflow (C1 = 1) or underflow (C1 = 0).
func (c *CPU) stackFault(overflow bool) {
	f := &c.fpu
	f.env.Flags |= float80.InvalidOperation
	f.sf = true
	f.env.C1 = overflow
}

// maskedIE reports whether invalid-operation is masked, i.e. whether a
// stack fault still delivers the indefinite result.
func (c *CPU) maskedIE() bool { return c.fpu.env.Masks&float80.InvalidOperation != 0 }

func (c *CPU) setST(n uint8, v float80.F80) {
	f := &c.fpu
	p := f.phys(n)
	f.st[p] = v
	f.empty &^= 1 << p
}

// push pushes v; a non-empty ST(7) is a stack overflow, delivered as the
// indefinite QNaN when IE is masked and not at all otherwise.
func (c *CPU) fpush(v float80.F80) {
	f := &c.fpu
	if f.isEmpty(7) {
		f.top = (f.top - 1) & 7
		c.setST(0, v)
		return
	}
	c.stackFault(true)
	if c.maskedIE() {
		f.top = (f.top - 1) & 7
		c.setST(0, float80.Indefinite)
	}
}

func (c *CPU) fpop() {
	f := &c.fpu
	f.empty |= 1 << f.top
	f.top = (f.top + 1) & 7
}

// result stores an operation's result in ST(n) unless it was suppressed
// by an unmasked exception, then pops pops times.
func (c *CPU) result(n uint8, v float80.F80, ok bool, pops int) {
	if ok {
		c.setST(n, v)
	} else if c.fpu.env.Unmasked() != 0 {
		return // unmasked: destination and stack unchanged
	}
	for ; pops > 0; pops-- {
		c.fpop()
	}
}

// --- memory operands -----------------------------------------------------

func (c *CPU) read64(s int, off uint32) uint64 {
	lo := c.read32(s, off)
	hi := c.read32(s, off+4)
	return uint64(hi)<<32 | uint64(lo)
}

func (c *CPU) write64(s int, off uint32, v uint64) {
	c.checkWrite(s, off, 4)
	c.checkWrite(s, off+4, 4)
	c.write32(s, off, uint32(v))
	c.write32(s, off+4, uint32(v>>32))
}

func (c *CPU) read80(s int, off uint32) [10]byte {
	var b [10]byte
	binary.LittleEndian.PutUint64(b[:], c.read64(s, off))
	binary.LittleEndian.PutUint16(b[8:], c.read16(s, off+8))
	return b
}

func (c *CPU) write80(s int, off uint32, b [10]byte) {
	c.checkWrite(s, off, 4)
	c.checkWrite(s, off+6, 4)
	c.write64(s, off, binary.LittleEndian.Uint64(b[:]))
	c.write16(s, off+8, binary.LittleEndian.Uint16(b[8:]))
}

// memOperand reads an arithmetic memory operand in the given format.
func (c *CPU) memOperand(i *Inst, format int) float80.Operand {
	s, off := int(i.seg), c.ea(i)
	switch format {
	case fmtReal32:
		return float80.Float32Operand(c.read32(s, off))
	case fmtInt32:
		return float80.Reg(float80.FromInt32(int32(c.read32(s, off))))
	case fmtReal64:
		return float80.Float64Operand(c.read64(s, off))
	default:
		return float80.Reg(float80.FromInt16(int16(c.read16(s, off))))
	}
}

// storeST0 converts ST(0) for a store: the converted value, the format's
// indefinite value after a masked stack underflow, or ok=false when an
// unmasked exception suppresses the store.
func storeST0[T any](c *CPU, conv func(float80.F80) (T, bool), indefinite T) (T, bool) {
	v, ok := c.st(0)
	if !ok {
		return indefinite, c.maskedIE()
	}
	return conv(v)
}

func toU16(conv func(float80.F80) (int16, bool)) func(float80.F80) (uint16, bool) {
	return func(x float80.F80) (uint16, bool) { v, ok := conv(x); return uint16(v), ok }
}

func toU32(conv func(float80.F80) (int32, bool)) func(float80.F80) (uint32, bool) {
	return func(x float80.F80) (uint32, bool) { v, ok := conv(x); return uint32(v), ok }
}

func toU64(conv func(float80.F80) (int64, bool)) func(float80.F80) (uint64, bool) {
	return func(x float80.F80) (uint64, bool) { v, ok := conv(x); return uint64(v), ok }
}

// --- memory forms ----------------------------------------------------------

func (c *CPU) fpuMem(i *Inst, esc, reg uint8) {
	f := &c.fpu
	s, off := int(i.seg), c.ea(i)
	switch esc {
	case 0, 2, 4, 6: // arithmetic and compares with m32real, m32int, m64real, m16int
		format := [...]int{0: fmtReal32, 2: fmtInt32, 4: fmtReal64, 6: fmtInt16}[esc]
		b := c.memOperand(i, format)
		a, ok := c.st(0)
		if reg == 2 || reg == 3 {
			c.fcompare(a, ok, b, false, reg == 3, 0)
			return
		}
		if !ok {
			c.result(0, float80.Indefinite, c.maskedIE(), 0)
			return
		}
		x, y := float80.Reg(a), b
		if reg == 5 || reg == 7 { // reversed subtract/divide
			x, y = y, x
		}
		r, rok := f.env.Arith(fpuArithOps[reg], x, y)
		c.result(0, r, rok, 0)
	case 1:
		switch reg {
		case 0: // FLD m32real
			v, ok := f.env.LoadFloat32(c.read32(s, off))
			if ok || c.fpu.env.Unmasked() == 0 {
				c.fpush(v)
			}
		case 2, 3: // FST/FSTP m32real
			if bits, ok := storeST0(c, f.env.StoreFloat32, uint32(0xFFC00000)); ok {
				c.write32(s, off, bits)
				if reg == 3 {
					c.fpop()
				}
			}
		case 4:
			c.fldenv(i)
		case 5: // FLDCW
			f.env.SetControlWord(c.read16(s, off))
		case 6:
			c.fstenv(i)
		case 7: // FNSTCW
			c.write16(s, off, f.env.ControlWord())
		default:
			c.raise(excUD, 0)
		}
	case 3:
		switch reg {
		case 0: // FILD m32int
			c.fpush(float80.FromInt32(int32(c.read32(s, off))))
		case 2, 3: // FIST/FISTP m32int
			if v, ok := storeST0(c, toU32(f.env.ToInt32), uint32(0x80000000)); ok {
				c.write32(s, off, v)
				if reg == 3 {
					c.fpop()
				}
			}
		case 5: // FLD m80real
			c.fpush(float80.FromBytes(c.read80(s, off)))
		case 7: // FSTP m80real
			v, ok := c.st(0)
			if !ok && !c.maskedIE() {
				return
			}
			c.write80(s, off, v.Bytes())
			c.fpop()
		default: // FISTTP is SSE3; reserved otherwise
			c.raise(excUD, 0)
		}
	case 5:
		switch reg {
		case 0: // FLD m64real
			v, ok := f.env.LoadFloat64(c.read64(s, off))
			if ok || c.fpu.env.Unmasked() == 0 {
				c.fpush(v)
			}
		case 2, 3: // FST/FSTP m64real
			if bits, ok := storeST0(c, f.env.StoreFloat64, uint64(0xFFF8000000000000)); ok {
				c.write64(s, off, bits)
				if reg == 3 {
					c.fpop()
				}
			}
		case 4:
			c.frstor(i)
		case 6:
			c.fsave(i)
		case 7: // FNSTSW m16
			c.write16(s, off, f.statusWord())
		default:
			c.raise(excUD, 0)
		}
	case 7:
		switch reg {
		case 0: // FILD m16int
			c.fpush(float80.FromInt16(int16(c.read16(s, off))))
		case 2, 3: // FIST/FISTP m16int
			if v, ok := storeST0(c, toU16(f.env.ToInt16), uint16(0x8000)); ok {
				c.write16(s, off, v)
				if reg == 3 {
					c.fpop()
				}
			}
		case 4: // FBLD
			c.fpush(float80.FromBCD(c.read80(s, off)))
		case 5: // FILD m64int
			c.fpush(float80.FromInt64(int64(c.read64(s, off))))
		case 6: // FBSTP
			if v, ok := storeST0(c, f.env.ToBCD, float80.BCDIndefinite); ok {
				c.write80(s, off, v)
				c.fpop()
			}
		case 7: // FISTP m64int
			if v, ok := storeST0(c, toU64(f.env.ToInt64), uint64(0x8000000000000000)); ok {
				c.write64(s, off, v)
				c.fpop()
			}
		default:
			c.raise(excUD, 0)
		}
	}
}

// fcompare compares a with b and sets C0/C2/C3 (or EFLAGS for FCOMI),
// popping as requested. quiet selects FUCOM's QNaN rule.
func (c *CPU) fcompare(a float80.F80, aok bool, b float80.Operand, quiet bool, pop1 bool, extraPops int) {
	f := &c.fpu
	var ord float80.Ordering
	ok := aok
	if aok {
		ord, ok = f.env.CompareOperands(float80.Reg(a), b, quiet)
	} else {
		ord = float80.Unordered
	}
	if ok || c.maskedIE() {
		c3, c2, c0 := ord.ConditionCodes()
		f.cc = f.cc &^ (fswC0 | fswC2 | fswC3)
		if c3 {
			f.cc |= fswC3
		}
		if c2 {
			f.cc |= fswC2
		}
		if c0 {
			f.cc |= fswC0
		}
	} else {
		return
	}
	if pop1 {
		c.fpop()
	}
	for ; extraPops > 0; extraPops-- {
		c.fpop()
	}
}

// fcomi compares ST(0) with ST(i) into ZF, PF and CF (OF, SF, AF
// cleared; SDM vol. 2, FCOMI/FUCOMI).
func (c *CPU) fcomi(i uint8, quiet, pop bool) {
	f := &c.fpu
	a, aok := c.st(0)
	b, bok := c.st(i)
	var ord float80.Ordering
	ok := aok && bok
	if ok {
		if quiet {
			ord, ok = f.env.CompareUnordered(a, b)
		} else {
			ord, ok = f.env.CompareOrdered(a, b)
		}
	} else {
		ord = float80.Unordered
	}
	if !ok && !c.maskedIE() {
		return
	}
	zf, pf, cf := ord.EFLAGS()
	c.materialize()
	c.flags &^= FlagZF | FlagPF | FlagCF | FlagOF | FlagSF | FlagAF
	c.flags |= flagBits(cf, false)
	if zf {
		c.flags |= FlagZF
	}
	if pf {
		c.flags |= FlagPF
	}
	if pop {
		c.fpop()
	}
}

// --- register forms ----------------------------------------------------------

func (c *CPU) fpuReg(i *Inst, esc, reg, rm uint8) {
	f := &c.fpu
	switch esc {
	case 0: // op ST(0), ST(i)
		if reg == 2 || reg == 3 {
			a, aok := c.st(0)
			b, bok := c.st(rm)
			if !bok {
				aok = false
			}
			c.fcompare(a, aok, float80.Reg(b), false, reg == 3, 0)
			return
		}
		c.farith(reg, 0, 0, rm, false)
	case 4, 6: // op ST(i), ST(0) [and pop]; DC/DE swap the SUB/SUBR, DIV/DIVR rows
		pop := esc == 6
		switch {
		case esc == 6 && reg == 3: // FCOMPP: compare ST(0) with ST(1), pop twice
			if rm != 1 {
				c.raise(excUD, 0)
			}
			a, aok := c.st(0)
			b, bok := c.st(1)
			if !bok {
				aok = false
			}
			c.fcompare(a, aok, float80.Reg(b), false, true, 1)
			return
		case reg == 2 || reg == 3: // FCOM2/FCOMP3 (DC) and FCOMP5 (DE) aliases
			a, aok := c.st(0)
			b, bok := c.st(rm)
			if !bok {
				aok = false
			}
			c.fcompare(a, aok, float80.Reg(b), false, reg == 3 || pop, 0)
			return
		}
		r := reg
		switch reg {
		case 4:
			r = 5
		case 5:
			r = 4
		case 6:
			r = 7
		case 7:
			r = 6
		}
		c.farith(r, rm, rm, 0, pop)
	case 1:
		c.fpuD9(reg, rm)
	case 2:
		switch {
		case reg <= 3: // FCMOVB, FCMOVE, FCMOVBE, FCMOVU
			c.fcmov(rm, [4]uint8{ccB, ccE, ccBE, ccP}[reg])
		case reg == 5 && rm == 1: // FUCOMPP
			a, aok := c.st(0)
			b, bok := c.st(1)
			if !bok {
				aok = false
			}
			c.fcompare(a, aok, float80.Reg(b), true, true, 1)
		default:
			c.raise(excUD, 0)
		}
	case 3:
		switch {
		case reg <= 3: // FCMOVNB, FCMOVNE, FCMOVNBE, FCMOVNU
			c.fcmov(rm, [4]uint8{ccAE, ccNE, ccA, ccNP}[reg])
		case reg == 4:
			switch rm {
			case 0, 1, 4: // FENI, FDISI, FSETPM: no-ops on a 387 or later
			case 2: // FNCLEX: ES and B follow the cleared flags
				f.env.Flags = 0
				f.sf = false
				c.ClearFERR()
			case 3: // FNINIT
				f.init()
				c.ClearFERR()
			default:
				c.raise(excUD, 0)
			}
		case reg == 5:
			c.fcomi(rm, true, false)
		case reg == 6:
			c.fcomi(rm, false, false)
		default:
			c.raise(excUD, 0)
		}
	case 5:
		switch reg {
		case 0: // FFREE
			f.empty |= 1 << f.phys(rm)
		case 1: // FXCH4 alias
			c.fxch(rm)
		case 2, 3: // FST/FSTP ST(i)
			v, ok := c.st(0)
			if ok || c.maskedIE() {
				c.setST(rm, v)
				if reg == 3 {
					c.fpop()
				}
			}
		case 4, 5: // FUCOM, FUCOMP
			a, aok := c.st(0)
			b, bok := c.st(rm)
			if !bok {
				aok = false
			}
			c.fcompare(a, aok, float80.Reg(b), true, reg == 5, 0)
		default:
			c.raise(excUD, 0)
		}
	case 7:
		switch {
		case reg == 0: // FFREEP (undocumented, executed by P6)
			f.empty |= 1 << f.phys(rm)
			c.fpop()
		case reg == 1: // FXCH7 alias
			c.fxch(rm)
		case reg == 2 || reg == 3: // FSTP8/FSTP9 aliases
			v, ok := c.st(0)
			if ok || c.maskedIE() {
				c.setST(rm, v)
				c.fpop()
			}
		case reg == 4 && rm == 0: // FNSTSW AX
			c.setReg(EAX, 2, uint32(f.statusWord()))
		case reg == 5:
			c.fcomi(rm, true, true)
		case reg == 6:
			c.fcomi(rm, false, true)
		default:
			c.raise(excUD, 0)
		}
	}
}

// farith computes dst = a op b with a = ST(ai), b = ST(bi) and ops by
// D8 reg encoding (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr).
func (c *CPU) farith(reg, dst, ai, bi uint8, pop bool) {
	f := &c.fpu
	a, aok := c.st(ai)
	b, bok := c.st(bi)
	pops := 0
	if pop {
		pops = 1
	}
	if !aok || !bok {
		c.result(dst, float80.Indefinite, c.maskedIE(), pops)
		return
	}
	x, y := a, b
	if reg == 5 || reg == 7 {
		x, y = y, x
	}
	r, ok := f.env.Arith(fpuArithOps[reg], float80.Reg(x), float80.Reg(y))
	c.result(dst, r, ok, pops)
}

func (c *CPU) fxch(n uint8) {
	f := &c.fpu
	a, aok := f.st[f.phys(0)], !f.isEmpty(0)
	b, bok := f.st[f.phys(n)], !f.isEmpty(n)
	if !aok || !bok {
		c.stackFault(false)
		if !c.maskedIE() {
			return
		}
		if !aok {
			a = float80.Indefinite
		}
		if !bok {
			b = float80.Indefinite
		}
	}
	c.setST(0, b)
	c.setST(n, a)
}

// fcmov copies ST(i) to ST(0) when the EFLAGS condition holds.
func (c *CPU) fcmov(n uint8, cc uint8) {
	v, ok := c.st(n)
	if _, ok0 := c.st(0); !ok0 {
		ok = false
	}
	if !ok {
		if c.maskedIE() {
			c.setST(0, float80.Indefinite)
		}
		return
	}
	if c.cond(cc) {
		c.setST(0, v)
	}
}

// fpuD9 is the D9 register group: FLD ST(i), FXCH, FNOP, FSTP1, and the
// constant, transcendental and stack-control instructions.
func (c *CPU) fpuD9(reg, rm uint8) {
	f := &c.fpu
	switch reg {
	case 0: // FLD ST(i)
		v, ok := c.st(rm)
		if ok || c.maskedIE() {
			c.fpush(v)
		}
	case 1:
		c.fxch(rm)
	case 2:
		if rm != 0 {
			c.raise(excUD, 0)
		}
	case 3: // FSTP1 alias
		v, ok := c.st(0)
		if ok || c.maskedIE() {
			c.setST(rm, v)
			c.fpop()
		}
	case 4:
		c.fpuD9E0(rm)
	case 5:
		if rm == 7 {
			c.raise(excUD, 0)
		}
		var v float80.F80
		switch rm {
		case 0:
			v = float80.One
		case 1:
			v = float80.Log2Ten.Value(f.env.Rounding)
		case 2:
			v = float80.Log2E.Value(f.env.Rounding)
		case 3:
			v = float80.Pi.Value(f.env.Rounding)
		case 4:
			v = float80.Log10Two.Value(f.env.Rounding)
		case 5:
			v = float80.LnTwo.Value(f.env.Rounding)
		case 6:
			v = float80.PosZero
		}
		c.fpush(v)
	case 6:
		c.fpuD9F0(rm)
	case 7:
		c.fpuD9F8(rm)
	}
}

// fpuD9E0: FCHS, FABS, FTST, FXAM.
func (c *CPU) fpuD9E0(rm uint8) {
	f := &c.fpu
	switch rm {
	case 0, 1:
		v, ok := c.st(0)
		if !ok {
			c.result(0, float80.Indefinite, c.maskedIE(), 0)
			return
		}
		if rm == 0 {
			v = v.Neg()
		} else {
			v = v.Abs()
		}
		c.setST(0, v)
	case 4: // FTST
		a, ok := c.st(0)
		c.fcompare(a, ok, float80.Reg(float80.PosZero), false, false, 0)
	case 5: // FXAM: classify ST(0); C1 = sign (SDM vol. 2, FXAM)
		f.cc &^= fswCC
		if f.isEmpty(0) {
			f.cc |= fswC3 | fswC0
			if f.st[f.phys(0)].Negative() {
				f.env.C1 = true
			}
			return
		}
		v := f.st[f.phys(0)]
		c3, c2, c0 := v.ExamineCodes()
		if c3 {
			f.cc |= fswC3
		}
		if c2 {
			f.cc |= fswC2
		}
		if c0 {
			f.cc |= fswC0
		}
		f.env.C1 = v.Negative()
	default:
		c.raise(excUD, 0)
	}
}

// fpuD9F0: F2XM1, FYL2X, FPTAN, FPATAN, FXTRACT, FPREM1, FDECSTP,
// FINCSTP.
func (c *CPU) fpuD9F0(rm uint8) {
	f := &c.fpu
	switch rm {
	case 0: // F2XM1
		c.unary(func(x float80.F80) (float80.F80, bool) { return f.env.Exp2M1(x) })
	case 1: // FYL2X: ST(1) = ST(1) × log2(ST(0)), pop
		c.binaryToST1(func(y, x float80.F80) (float80.F80, bool) { return f.env.YLog2X(y, x) })
	case 2: // FPTAN: ST(0) = tan(ST(0)), push 1.0
		x, ok := c.st(0)
		if !ok {
			if c.maskedIE() {
				c.setST(0, float80.Indefinite)
				c.fpush(float80.Indefinite)
			}
			return
		}
		if !f.isEmpty(7) {
			c.stackFault(true)
			if c.maskedIE() {
				c.setST(0, float80.Indefinite)
				c.fpush(float80.Indefinite)
			}
			return
		}
		r, outOfRange, rok := f.env.Tan(x)
		f.cc &^= fswC2
		if outOfRange {
			f.cc |= fswC2
			return
		}
		if rok {
			c.setST(0, r)
			c.fpush(float80.One)
		}
	case 3: // FPATAN: ST(1) = arctan(ST(1)/ST(0)), pop
		c.binaryToST1(func(y, x float80.F80) (float80.F80, bool) { return f.env.Atan2(y, x) })
	case 4: // FXTRACT: ST(0) = exponent, push significand
		x, ok := c.st(0)
		if !ok || !f.isEmpty(7) {
			if ok {
				c.stackFault(true)
			}
			if c.maskedIE() {
				c.setST(0, float80.Indefinite)
				c.fpush(float80.Indefinite)
			}
			return
		}
		e, m, rok := f.env.Extract(x)
		if rok {
			c.setST(0, e)
			c.fpush(m)
		}
	case 5:
		c.fprem(true)
	case 6: // FDECSTP
		f.top = (f.top - 1) & 7
		f.env.C1 = false
	case 7: // FINCSTP
		f.top = (f.top + 1) & 7
		f.env.C1 = false
	}
}

// fpuD9F8: FPREM, FYL2XP1, FSQRT, FSINCOS, FRNDINT, FSCALE, FSIN, FCOS.
func (c *CPU) fpuD9F8(rm uint8) {
	f := &c.fpu
	switch rm {
	case 0:
		c.fprem(false)
	case 1: // FYL2XP1
		c.binaryToST1(func(y, x float80.F80) (float80.F80, bool) { return f.env.YLog2XP1(y, x) })
	case 2:
		c.unary(f.env.Sqrt)
	case 3: // FSINCOS: ST(0) = sin, push cos
		x, ok := c.st(0)
		if !ok || !f.isEmpty(7) {
			if ok {
				c.stackFault(true)
			}
			if c.maskedIE() {
				c.setST(0, float80.Indefinite)
				c.fpush(float80.Indefinite)
			}
			return
		}
		s, co, outOfRange, rok := f.env.SinCos(x)
		f.cc &^= fswC2
		if outOfRange {
			f.cc |= fswC2
			return
		}
		if rok {
			c.setST(0, s)
			c.fpush(co)
		}
	case 4:
		c.unary(f.env.RoundToInt)
	case 5: // FSCALE: ST(0) = ST(0) × 2^trunc(ST(1))
		a, aok := c.st(0)
		b, bok := c.st(1)
		if !aok || !bok {
			c.result(0, float80.Indefinite, c.maskedIE(), 0)
			return
		}
		r, ok := f.env.Scale(a, b)
		c.result(0, r, ok, 0)
	case 6, 7: // FSIN, FCOS
		x, ok := c.st(0)
		if !ok {
			c.result(0, float80.Indefinite, c.maskedIE(), 0)
			return
		}
		var r float80.F80
		var outOfRange, rok bool
		if rm == 6 {
			r, outOfRange, rok = f.env.Sin(x)
		} else {
			r, outOfRange, rok = f.env.Cos(x)
		}
		f.cc &^= fswC2
		if outOfRange {
			f.cc |= fswC2
			return
		}
		c.result(0, r, rok, 0)
	}
}

// unary replaces ST(0) with op(ST(0)).
func (c *CPU) unary(op func(float80.F80) (float80.F80, bool)) {
	x, ok := c.st(0)
	if !ok {
		c.result(0, float80.Indefinite, c.maskedIE(), 0)
		return
	}
	r, rok := op(x)
	c.result(0, r, rok, 0)
}

// binaryToST1 sets ST(1) = op(ST(1), ST(0)) and pops.
func (c *CPU) binaryToST1(op func(y, x float80.F80) (float80.F80, bool)) {
	x, xok := c.st(0)
	y, yok := c.st(1)
	if !xok || !yok {
		c.result(1, float80.Indefinite, c.maskedIE(), 1)
		return
	}
	r, ok := op(y, x)
	c.result(1, r, ok, 1)
}

// fprem is FPREM (ieee=false) and FPREM1: ST(0) = partial remainder of
// ST(0)/ST(1); C2 set when incomplete, else C0, C3, C1 hold quotient bits
// 2, 1, 0 (SDM vol. 2, FPREM).
func (c *CPU) fprem(ieee bool) {
	f := &c.fpu
	x, xok := c.st(0)
	y, yok := c.st(1)
	if !xok || !yok {
		c.result(0, float80.Indefinite, c.maskedIE(), 0)
		return
	}
	var r float80.F80
	var q uint8
	var partial, ok bool
	if ieee {
		r, q, partial, ok = f.env.IEEERemainder(x, y)
	} else {
		r, q, partial, ok = f.env.PartialRemainder(x, y)
	}
	if !ok {
		c.result(0, r, false, 0)
		return
	}
	c.setST(0, r)
	f.cc &^= fswCC
	if partial {
		f.cc |= fswC2
		return
	}
	if q&4 != 0 {
		f.cc |= fswC0
	}
	if q&2 != 0 {
		f.cc |= fswC3
	}
	if q&1 != 0 {
		f.env.C1 = true
	}
}

// --- environment and state images ----------------------------------------

// envLayout describes FSTENV/FLDENV images (SDM vol. 1, figures 8-9 to
// 8-12): 28 bytes with 32-bit operands, 14 with 16-bit; the real-mode
// variants store linear instruction/data pointers and the opcode.
func (c *CPU) fstenv(i *Inst) uint32 {
	f := &c.fpu
	s, off := int(i.seg), c.ea(i)
	size := i.size
	real := !c.protected() || c.v86()
	words := []uint32{uint32(f.env.ControlWord()), uint32(f.statusWord()), uint32(f.tagWord())}
	if real {
		ip := uint32(f.fcs)<<4 + f.fip
		dp := uint32(f.fds)<<4 + f.fdp
		words = append(words, ip&0xFFFF, ip>>16<<12|uint32(f.fop&0x7FF), dp&0xFFFF, dp>>16<<12)
	} else {
		words = append(words, f.fip, uint32(f.fcs)|uint32(f.fop&0x7FF)<<16, f.fdp, uint32(f.fds))
	}
	step := uint32(2)
	if size == 4 {
		step = 4
	}
	// Check the whole image is writable before storing.
	c.checkWriteRange(s, off, step*7)
	for k, w := range words {
		if size == 4 {
			if k < 3 {
				w |= 0xFFFF0000 // reserved upper halves read as ones
			}
			c.write32(s, off+uint32(k)*4, w)
		} else {
			c.write16(s, off+uint32(k)*2, uint16(w))
		}
	}
	// FNSTENV masks all exceptions afterwards (SDM vol. 2, FSTENV).
	f.env.Masks = float80.AllExceptions
	return step * 7
}

func (c *CPU) fldenv(i *Inst) uint32 {
	f := &c.fpu
	s, off := int(i.seg), c.ea(i)
	step := uint32(2)
	if i.size == 4 {
		step = 4
	}
	rd := func(k uint32) uint32 {
		if step == 4 {
			return c.read32(s, off+k*4)
		}
		return uint32(c.read16(s, off+k*2))
	}
	var w [7]uint32
	for k := range w {
		w[k] = rd(uint32(k))
	}
	f.env.SetControlWord(uint16(w[0]))
	f.setStatusWord(uint16(w[1]))
	f.setTagWord(uint16(w[2]))
	if !c.protected() || c.v86() {
		f.fip = w[3]&0xFFFF | w[4]>>12<<16
		f.fop = uint16(w[4] & 0x7FF)
		f.fdp = w[5]&0xFFFF | w[6]>>12<<16
		f.fcs, f.fds = 0, 0
	} else {
		f.fip = w[3]
		f.fcs = uint16(w[4])
		f.fop = uint16(w[4]>>16) & 0x7FF
		f.fdp = w[5]
		f.fds = uint16(w[6])
	}
	// A pending exception in the loaded image is taken at the next x87
	// instruction, not here (SDM vol. 2, FLDENV).
	return step * 7
}

// fsave stores the environment and the eight registers in stack order,
// then initialises the FPU (SDM vol. 2, FSAVE).
func (c *CPU) fsave(i *Inst) {
	f := &c.fpu
	s, off := int(i.seg), c.ea(i)
	envSize := uint32(14)
	if i.size == 4 {
		envSize = 28
	}
	c.checkWriteRange(s, off, envSize+80)
	masks := f.env.Masks
	c.fstenv(i)
	f.env.Masks = masks
	for k := uint8(0); k < 8; k++ {
		c.write80(s, off+envSize+uint32(k)*10, f.st[f.phys(k)].Bytes())
	}
	f.init()
}

func (c *CPU) frstor(i *Inst) {
	f := &c.fpu
	s, off := int(i.seg), c.ea(i)
	envSize := c.fldenvSize(i)
	var regs [8][10]byte
	for k := range regs {
		regs[k] = c.read80(s, off+envSize+uint32(k)*10)
	}
	c.fldenv(i)
	for k := uint8(0); k < 8; k++ {
		f.st[f.phys(k)] = float80.FromBytes(regs[k])
	}
}

func (c *CPU) fldenvSize(i *Inst) uint32 {
	if i.size == 4 {
		return 28
	}
	return 14
}
