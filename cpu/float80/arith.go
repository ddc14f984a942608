package float80

import "math/bits"

// Operand is a source operand of an arithmetic or compare instruction: a
// register value, or a float32/float64 memory operand widened exactly to the
// register format. The x87 signals DE for a memory operand that is denormal
// in its own format even though the widened value is normal
// (SDM vol. 1, 8.5.2), and keeps an SNaN memory operand signalling until
// the operation's NaN rules apply (SDM vol. 1, table 4-7).
type Operand struct {
	Value F80
	// DenormalSource reports that the value was a denormal in its memory format.
	DenormalSource bool
}

// Reg returns the operand for a register value (or an m80fp or integer
// memory operand, which need no special treatment).
func Reg(x F80) Operand { return Operand{Value: x} }

// Float32Operand widens an m32fp memory operand for an arithmetic or compare
// instruction (FADD m32fp, FCOM m32fp, ...).
func Float32Operand(bits uint32) Operand {
	x, den := widenFloat32(bits)
	return Operand{Value: x, DenormalSource: den}
}

// Float64Operand widens an m64fp memory operand for an arithmetic or compare
// instruction (FADD m64fp, FCOM m64fp, ...).
func Float64Operand(bits uint64) Operand {
	x, den := widenFloat64(bits)
	return Operand{Value: x, DenormalSource: den}
}

// operandInfo is an operand's class with the memory-denormal case folded in.
type operandInfo struct {
	x        F80
	class    Class
	denormal bool // using it signals DE
}

func info(op Operand) operandInfo {
	c := op.Value.Class()
	return operandInfo{x: op.Value, class: c, denormal: c.isDenormal() || op.DenormalSource && c == ClassNormal}
}

// ArithOp selects one of the four basic arithmetic operations.
type ArithOp uint8

// Arithmetic operations. Reversed instructions (FSUBR, FDIVR) swap the
// operands.
const (
	OpAdd ArithOp = iota // a + b
	OpSub                // a − b
	OpMul                // a × b
	OpDiv                // a ÷ b
)

// Add returns a + b rounded per the rounding and precision controls (FADD).
func (e *Env) Add(a, b F80) (F80, bool) { return e.Arith(OpAdd, Reg(a), Reg(b)) }

// Sub returns a − b (FSUB; FSUBR is Sub(b, a)).
func (e *Env) Sub(a, b F80) (F80, bool) { return e.Arith(OpSub, Reg(a), Reg(b)) }

// Mul returns a × b (FMUL).
func (e *Env) Mul(a, b F80) (F80, bool) { return e.Arith(OpMul, Reg(a), Reg(b)) }

// Div returns a ÷ b (FDIV; FDIVR is Div(b, a)).
func (e *Env) Div(a, b F80) (F80, bool) { return e.Arith(OpDiv, Reg(a), Reg(b)) }

// Arith performs op on a and b with the x87 rules for special operands
// (SDM vol. 1, tables 4-7 and 8-10; vol. 2, FADD/FSUB/FMUL/FDIV), rounding
// the result per the rounding and precision controls. It returns ok=false
// when an unmasked IE, ZE or DE suppresses the result.
func (e *Env) Arith(op ArithOp, a, b Operand) (F80, bool) {
	e.C1 = false
	ia, ib := info(a), info(b)
	if ia.class.Unsupported() || ib.class.Unsupported() {
		return e.invalid()
	}
	if ia.class.IsNaN() || ib.class.IsNaN() {
		return e.propagateNaN(ia.x, ib.x)
	}
	f := e.arithmeticPrecision()
	switch op {
	case OpAdd:
		return e.add(ia, ib, false, f)
	case OpSub:
		return e.add(ia, ib, true, f)
	case OpMul:
		return e.mul(ia, ib, f)
	default:
		return e.div(ia, ib, f)
	}
}

// propagateNaN returns the NaN result for operands at least one of which is
// a NaN (SDM vol. 1, table 4-7, x87 column): an SNaN signals IE; an SNaN and
// a QNaN give the QNaN; two NaNs of the same kind give the one with the
// larger significand (the positive one if the significands are equal); the
// result is quieted.
func (e *Env) propagateNaN(a, b F80) (F80, bool) {
	ca, cb := a.Class(), b.Class()
	if ca == ClassSNaN || cb == ClassSNaN {
		if !e.signal(InvalidOperation) {
			return F80{}, false
		}
	}
	return quieted(pickNaN(a, ca, b, cb)), true
}

func pickNaN(a F80, ca Class, b F80, cb Class) F80 {
	switch {
	case !cb.IsNaN():
		return a
	case !ca.IsNaN():
		return b
	case ca != cb: // one SNaN, one QNaN: the QNaN
		if ca == ClassQNaN {
			return a
		}
		return b
	case a.Mant > b.Mant:
		return a
	case b.Mant > a.Mant:
		return b
	case !a.Negative():
		return a
	default:
		return b
	}
}

// add computes a + b, or a − b when subtract is set, for non-NaN supported
// operands.
func (e *Env) add(a, b operandInfo, subtract bool, f *format) (F80, bool) {
	sa, sb := a.x.Negative(), b.x.Negative() != subtract
	ainf, binf := a.class == ClassInfinity, b.class == ClassInfinity
	if ainf && binf && sa != sb {
		return e.invalid() // ∞ − ∞
	}
	if (a.denormal || b.denormal) && !e.denormalOperand() {
		return F80{}, false
	}
	switch {
	case ainf:
		return infinity(sa), true
	case binf:
		return infinity(sb), true
	}
	az, bz := a.class == ClassZero, b.class == ClassZero
	switch {
	case az && bz:
		// Exact zero sum: −0 only for (−0)+(−0), or x−x rounded down
		// (SDM vol. 1, 4.8.3.2).
		if sa == sb {
			return zero(sa), true
		}
		return zero(e.Rounding&3 == RoundDown), true
	case az:
		exp, m := normalized(b.x)
		return e.roundPack(sb, exp, m, 0, f)
	case bz:
		exp, m := normalized(a.x)
		return e.roundPack(sa, exp, m, 0, f)
	}
	ea, ma := normalized(a.x)
	eb, mb := normalized(b.x)
	if ea < eb || ea == eb && ma < mb {
		ea, eb, ma, mb, sa, sb = eb, ea, mb, ma, sb, sa
	}
	// |a| ≥ |b|: align b to a with a sticky bit.
	bh, bl := shiftRightJam128(mb, 0, uint(min(ea-eb, 200)))
	if sa == sb {
		lo, c := bits.Add64(0, bl, 0)
		hi, c2 := bits.Add64(ma, bh, c)
		exp := ea
		if c2 != 0 {
			lo = lo>>1 | hi<<63 | lo&1
			hi = hi>>1 | intBit
			exp++
		}
		return e.roundPack(sa, exp, hi, lo, f)
	}
	lo, br := bits.Sub64(0, bl, 0)
	hi, _ := bits.Sub64(ma, bh, br)
	if hi|lo == 0 {
		return zero(e.Rounding&3 == RoundDown), true
	}
	hi, lo, n := normalize128(hi, lo)
	return e.roundPack(sa, ea-n, hi, lo, f)
}

// mul computes a × b for non-NaN supported operands.
func (e *Env) mul(a, b operandInfo, f *format) (F80, bool) {
	neg := a.x.Negative() != b.x.Negative()
	ainf, binf := a.class == ClassInfinity, b.class == ClassInfinity
	az, bz := a.class == ClassZero, b.class == ClassZero
	if ainf && bz || binf && az {
		return e.invalid() // 0 × ∞
	}
	if (a.denormal || b.denormal) && !e.denormalOperand() {
		return F80{}, false
	}
	switch {
	case ainf || binf:
		return infinity(neg), true
	case az || bz:
		return zero(neg), true
	}
	ea, ma := normalized(a.x)
	eb, mb := normalized(b.x)
	hi, lo := bits.Mul64(ma, mb)
	exp := ea + eb - ExponentBias + 1
	if hi&intBit == 0 {
		hi = hi<<1 | lo>>63
		lo <<= 1
		exp--
	}
	return e.roundPack(neg, exp, hi, lo, f)
}

// div computes a ÷ b for non-NaN supported operands.
func (e *Env) div(a, b operandInfo, f *format) (F80, bool) {
	neg := a.x.Negative() != b.x.Negative()
	ainf, binf := a.class == ClassInfinity, b.class == ClassInfinity
	az, bz := a.class == ClassZero, b.class == ClassZero
	switch {
	case ainf && binf, az && bz:
		return e.invalid() // ∞/∞, 0/0
	case bz && !ainf:
		// Finite non-zero ÷ 0 (ZE outranks DE, SDM vol. 1, 4.9.2).
		if !e.signal(ZeroDivide) {
			return F80{}, false
		}
		return infinity(neg), true
	}
	if (a.denormal || b.denormal) && !e.denormalOperand() {
		return F80{}, false
	}
	switch {
	case ainf || bz:
		return infinity(neg), true
	case az || binf:
		return zero(neg), true
	}
	ea, ma := normalized(a.x)
	eb, mb := normalized(b.x)
	exp := ea - eb + ExponentBias
	nh, nl := ma, uint64(0)
	if ma >= mb {
		nh, nl = ma>>1, ma<<63
	} else {
		exp--
	}
	q1, r := bits.Div64(nh, nl, mb)
	q2, r2 := bits.Div64(r, 0, mb)
	if r2 != 0 {
		q2 |= 1
	}
	return e.roundPack(neg, exp, q1, q2, f)
}

// Sqrt returns the square root of x rounded per the rounding and precision
// controls (FSQRT; SDM vol. 2, FSQRT, table 3-44).
func (e *Env) Sqrt(x F80) (F80, bool) {
	e.C1 = false
	c := x.Class()
	switch {
	case c.Unsupported():
		return e.invalid()
	case c.IsNaN():
		return e.propagateNaN(x, x)
	case c == ClassZero:
		return x, true
	case x.Negative():
		return e.invalid()
	case c == ClassInfinity:
		return x, true
	}
	if c.isDenormal() && !e.denormalOperand() {
		return F80{}, false
	}
	exp, m := normalized(x)
	unbiased := exp - ExponentBias
	nh, nl := m>>1, m<<63 // even exponent: m × 2^63
	if unbiased&1 != 0 {
		nh, nl = m, 0 // odd exponent: m × 2^64
	}
	root, remHi, remLo := sqrt128(nh, nl)
	var extra uint64
	switch {
	case remHi|remLo == 0:
	case remHi != 0 || remLo > root:
		extra = 0xC000000000000000 // above the halfway point (never exactly on it)
	default:
		extra = 0x4000000000000000 // below the halfway point
	}
	return e.roundPack(false, unbiased>>1+ExponentBias, root, extra, e.arithmeticPrecision())
}

// sqrt128 returns the integer square root of hi:lo (which must be below
// 2^128) and the remainder hi:lo − root², by the binary digit-by-digit method.
func sqrt128(hi, lo uint64) (root, remHi, remLo uint64) {
	var rh, rl uint64 // remainder, below 2^66
	for i := 63; i >= 0; i-- {
		// Bring down the next two bits of the radicand.
		var two uint64
		if i >= 32 {
			two = hi >> uint(2*i-64) & 3
		} else {
			two = lo >> uint(2*i) & 3
		}
		rh = rh<<2 | rl>>62
		rl = rl<<2 | two
		// Trial subtrahend: 4·root + 1.
		th, tl := root>>62, root<<2|1
		if rh > th || rh == th && rl >= tl {
			var b uint64
			rl, b = bits.Sub64(rl, tl, 0)
			rh -= th + b
			root = root<<1 | 1
		} else {
			root <<= 1
		}
	}
	return root, rh, rl
}
