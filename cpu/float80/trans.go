package float80

import (
	"math/big"
	"math/bits"
)

// x87TrigPi is the mantissa of p/2, where p = 0.C90FDAA22168C234C × 2^2 is
// the 66-bit approximation of π the x87 reduces trigonometric arguments with
// (SDM vol. 1, 8.3.8): p/2 = x87TrigPi × 2^−65.
var x87TrigPi, _ = new(big.Int).SetString("3243F6A8885A308D3", 16)

// guardBits is the working precision added to the precision an evaluation
// must reach.
const guardBits = 64

// maxZivPrecision bounds the working precision of correctlyRound. No
// argument of the instructions needs more than a few hundred bits (the
// cases where a result lies extremely close to a 64-bit number are handled
// separately), so the bound is never reached in practice.
const maxZivPrecision = 1 << 16

// correctlyRound rounds the value approximated by eval to 64 bits under e's
// settings (Ziv's strategy). eval(prec) must return an approximation of a
// value that is not a rounding boundary (an irrational value) with relative
// error below 2^−prec. The precision doubles until both ends of the error
// interval round to the same result with the same flags; should it reach
// maxZivPrecision, the approximation itself is rounded.
func (e *Env) correctlyRound(eval func(prec uint) *big.Float) (F80, bool) {
	for prec := uint(128); ; prec *= 2 {
		v := eval(prec)
		if prec >= maxZivPrecision {
			r, env := e.tryRound(v)
			e.Flags, e.C1 = env.Flags|Inexact, env.C1
			return r, true
		}
		delta := newFloat(prec + guardBits).Set(v)
		delta.SetMantExp(delta, -int(prec))
		delta.Abs(delta)
		lo := newFloat(prec+2*guardBits).Sub(v, delta)
		hi := newFloat(prec+2*guardBits).Add(v, delta)
		r1, env1 := e.tryRound(lo)
		r2, env2 := e.tryRound(hi)
		if r1 == r2 && env1 == env2 {
			e.Flags, e.C1 = env1.Flags, env1.C1
			return r1, true
		}
	}
}

// tryRound rounds v on a copy of e and returns the result and the copy.
func (e *Env) tryRound(v *big.Float) (F80, Env) {
	t := *e
	neg, exp, hi, lo := bigParts(v)
	r, _ := t.roundPack(neg, exp, hi, lo, &formatReg64)
	return r, t
}

// roundExactBig rounds an exactly known non-zero value to 64 bits.
func (e *Env) roundExactBig(v *big.Float) (F80, bool) {
	neg, exp, hi, lo := bigParts(v)
	return e.roundPack(neg, exp, hi, lo, &formatReg64)
}

// roundNudged rounds (−1)^neg × (|x| + dir·ε) to 64 bits, where x is finite
// and non-zero and ε > 0 is too small to matter except for the direction
// of rounding (dir = +1 or −1).
func (e *Env) roundNudged(neg bool, x F80, dir int) (F80, bool) {
	exp, m := normalized(x)
	return e.roundNudgedParts(neg, exp, m, 0, dir)
}

func (e *Env) roundNudgedParts(neg bool, exp int32, hi, lo uint64, dir int) (F80, bool) {
	if dir < 0 {
		var b uint64
		lo, b = bits.Sub64(lo, 1, 0)
		hi -= b
		if hi&intBit == 0 {
			hi, lo = hi<<1|lo>>63, lo<<1
			exp--
		}
	}
	return e.roundPack(neg, exp, hi, lo|1, &formatReg64)
}

// trigPrologue handles what FSIN, FCOS, FSINCOS and FPTAN do not compute.
// It returns handled=true with the outcome for unsupported, NaN and ∞
// operands, for |x| ≥ 2^63 (outOfRange: C2=1, ST(0) unchanged, nothing
// pushed) and for an unmasked denormal operand. Zeros are not handled.
func (e *Env) trigPrologue(x F80) (r F80, handled, outOfRange, ok bool) {
	e.C1 = false
	c := x.Class()
	switch {
	case c.Unsupported() || c == ClassInfinity:
		r, ok = e.invalid()
		return r, true, false, ok
	case c.IsNaN():
		r, ok = e.propagateNaN(x, x)
		return r, true, false, ok
	case c == ClassNormal && x.SE&expMask >= ExponentBias+63:
		return x, true, true, true
	case c.isDenormal() && !e.denormalOperand():
		return F80{}, true, false, false
	}
	return x, false, false, true
}

// tinyTrigArgument reports whether |x| < 2^−40, where sin, cos and tan
// differ from x, 1 and x by less than 2^−80 relative.
func tinyTrigArgument(x F80) bool {
	exp, _ := normalized(x)
	return exp < ExponentBias-40
}

// trigReduction is a reduced trigonometric argument: |x| = r + n·p/2.
type trigReduction struct {
	r        *big.Float // exact, |r| ≤ p/4
	quadrant int        // n mod 4
}

// reduceTrig reduces |x| (finite, non-zero, below 2^63) by the nearest
// multiple of p/2, exactly, as FPREM1 would with the x87's 66-bit π.
func reduceTrig(x F80) trigReduction {
	exp, m := normalized(x)
	k := int(exp) - ExponentBias - 63 // |x| = m·2^k
	if k+65 < 0 {
		r := newFloat(64).SetUint64(m)
		return trigReduction{r: r.SetMantExp(r, k)}
	}
	// |x|/(p/2) = m·2^(k+65) / x87TrigPi; x87TrigPi is odd, so no ties.
	num := new(big.Int).Lsh(new(big.Int).SetUint64(m), uint(k+65))
	n, rem := new(big.Int).QuoRem(num, x87TrigPi, new(big.Int))
	if new(big.Int).Lsh(rem, 1).Cmp(x87TrigPi) > 0 {
		n.Add(n, big.NewInt(1))
	}
	diff := num.Sub(num, new(big.Int).Mul(n, x87TrigPi)) // (|x| − n·p/2)·2^65
	r := newFloat(uint(diff.BitLen()) + 1).SetInt(diff)
	r.SetMantExp(r, -65)
	return trigReduction{r: r, quadrant: int(n.Uint64() & 3)}
}

// sinCosModel returns the x87 model of sin|x| and cos|x| for a reduction.
func (t trigReduction) sinCos(prec uint) (sin, cos *big.Float) {
	s, c := sinCosSeries(t.r, prec)
	switch t.quadrant {
	case 1:
		s, c = c, s.Neg(s)
	case 2:
		s, c = s.Neg(s), c.Neg(c)
	case 3:
		s, c = c.Neg(c), s
	}
	return s, c
}

// Sin computes FSIN: the sine of x (radians). outOfRange reports |x| ≥ 2^63
// (C2=1): x is returned unchanged.
func (e *Env) Sin(x F80) (r F80, outOfRange, ok bool) {
	if r, handled, oor, ok := e.trigPrologue(x); handled {
		return r, oor, ok
	}
	if x.IsZero() {
		return x, false, true
	}
	neg := x.Negative()
	if tinyTrigArgument(x) {
		r, ok = e.roundNudged(neg, x, -1)
		return r, false, ok
	}
	red := reduceTrig(x)
	r, ok = e.correctlyRound(func(prec uint) *big.Float {
		s, _ := red.sinCos(prec + guardBits)
		if neg {
			s.Neg(s)
		}
		return s
	})
	return r, false, ok
}

// Cos computes FCOS: the cosine of x (radians); see Sin.
func (e *Env) Cos(x F80) (r F80, outOfRange, ok bool) {
	if r, handled, oor, ok := e.trigPrologue(x); handled {
		return r, oor, ok
	}
	if x.IsZero() {
		return One, false, true
	}
	if tinyTrigArgument(x) {
		r, ok = e.roundNudged(false, One, -1)
		return r, false, ok
	}
	red := reduceTrig(x)
	r, ok = e.correctlyRound(func(prec uint) *big.Float {
		_, c := red.sinCos(prec + guardBits)
		return c
	})
	return r, false, ok
}

// SinCos computes FSINCOS: the sine (which replaces ST(0)) and the cosine
// (which is then pushed) of x. On outOfRange nothing is pushed and ST(0) is
// unchanged. C1 reflects the rounding of the cosine.
func (e *Env) SinCos(x F80) (sin, cos F80, outOfRange, ok bool) {
	if r, handled, oor, ok := e.trigPrologue(x); handled {
		return r, r, oor, ok
	}
	if x.IsZero() {
		return x, One, false, true
	}
	if tinyTrigArgument(x) {
		sin, _ = e.roundNudged(x.Negative(), x, -1)
		cos, _ = e.roundNudged(false, One, -1)
		return sin, cos, false, true
	}
	sin, _, _ = e.Sin(x)
	cos, _, _ = e.Cos(x)
	return sin, cos, false, true
}

// Tan computes FPTAN: the tangent of x, which replaces ST(0); the caller
// then pushes One (SDM vol. 2, FPTAN). On outOfRange nothing is pushed and
// ST(0) is unchanged.
func (e *Env) Tan(x F80) (r F80, outOfRange, ok bool) {
	if r, handled, oor, ok := e.trigPrologue(x); handled {
		return r, oor, ok
	}
	if x.IsZero() {
		return x, false, true
	}
	neg := x.Negative()
	if tinyTrigArgument(x) {
		r, ok = e.roundNudged(neg, x, +1)
		return r, false, ok
	}
	red := reduceTrig(x)
	r, ok = e.correctlyRound(func(prec uint) *big.Float {
		s, c := red.sinCos(prec + guardBits)
		t := s.Quo(s, c)
		if neg {
			t.Neg(t)
		}
		return t
	})
	return r, false, ok
}

// Atan2 computes FPATAN: the angle of the point (x, y), that is arctan(y/x)
// placed in the quadrant of (x, y), with y = ST(1) and x = ST(0) (SDM vol. 2,
// FPATAN, table 3-30: zeros and infinities give exact angles such as ±π and
// ±3π/4 without an invalid operation).
func (e *Env) Atan2(y, x F80) (F80, bool) {
	e.C1 = false
	cy, cx := y.Class(), x.Class()
	switch {
	case cy.Unsupported() || cx.Unsupported():
		return e.invalid()
	case cy.IsNaN() || cx.IsNaN():
		return e.propagateNaN(x, y)
	}
	if (cy.isDenormal() || cx.isDenormal()) && !e.denormalOperand() {
		return F80{}, false
	}
	ny, nx := y.Negative(), x.Negative()
	// multipleOfPi returns ±num·π/den rounded, with y's sign.
	multipleOfPi := func(num, den int64) (F80, bool) {
		return e.correctlyRound(func(prec uint) *big.Float {
			p := newFloat(prec+guardBits).Mul(bigPi(prec+guardBits), newFloat(prec+guardBits).SetInt64(num))
			p.Quo(p, newFloat(prec+guardBits).SetInt64(den))
			if ny {
				p.Neg(p)
			}
			return p
		})
	}
	switch {
	case cy == ClassZero:
		if nx {
			return multipleOfPi(1, 1)
		}
		return y, true
	case cy == ClassInfinity:
		switch {
		case cx != ClassInfinity:
			return multipleOfPi(1, 2)
		case nx:
			return multipleOfPi(3, 4)
		default:
			return multipleOfPi(1, 4)
		}
	case cx == ClassZero:
		return multipleOfPi(1, 2)
	case cx == ClassInfinity:
		if nx {
			return multipleOfPi(1, 1)
		}
		return zero(ny), true
	}
	ey, my := normalized(y)
	ex, mx := normalized(x)
	if !nx && ey-ex < -121 {
		// |y/x| < 2^−121: atan(y/x) = y/x − ε with ε below 2^−240 relative,
		// closer to y/x than y/x is to any other 128-bit value.
		exp := ey - ex + ExponentBias
		nh, nl := my, uint64(0)
		if my >= mx {
			nh, nl = my>>1, my<<63
		} else {
			exp--
		}
		q1, rem := bits.Div64(nh, nl, mx)
		q2, rem2 := bits.Div64(rem, 0, mx)
		if rem2 != 0 {
			return e.roundPack(ny, exp, q1, q2|1, &formatReg64)
		}
		return e.roundNudgedParts(ny, exp, q1, q2, -1)
	}
	yb, xb := f80ToBig(y.Abs()), f80ToBig(x.Abs())
	return e.correctlyRound(func(prec uint) *big.Float {
		w := prec + guardBits
		var a *big.Float
		if yb.Cmp(xb) <= 0 {
			a = atanBig(newFloat(w).Quo(yb, xb), w)
		} else {
			a = atanBig(newFloat(w).Quo(xb, yb), w)
			h := newFloat(w).Set(bigPi(w))
			a.Sub(h.SetMantExp(h, -1), a)
		}
		if nx {
			a.Sub(bigPi(w), a)
		}
		if ny {
			a.Neg(a)
		}
		return a
	})
}

// Exp2M1 computes F2XM1: 2^x − 1. The SDM defines it for −1 ≤ x ≤ 1 only;
// outside, this implementation still returns the correctly rounded 2^x − 1
// (with −1 for −∞ and +∞ for +∞).
func (e *Env) Exp2M1(x F80) (F80, bool) {
	e.C1 = false
	c := x.Class()
	switch {
	case c.Unsupported():
		return e.invalid()
	case c.IsNaN():
		return e.propagateNaN(x, x)
	case c == ClassZero:
		return x, true
	case c == ClassInfinity:
		if x.Negative() {
			return New(true, ExponentBias, intBit), true
		}
		return x, true
	}
	if c.isDenormal() && !e.denormalOperand() {
		return F80{}, false
	}
	exp, m := normalized(x)
	neg := x.Negative()
	switch {
	case exp >= ExponentBias+7 && neg:
		return e.roundNudged(true, One, -1) // 2^x < 2^−127: −1 + ε
	case exp >= ExponentBias+15:
		return e.roundNudged(false, New(false, 0x7FFF-1, intBit), +1) // overflows
	case exp >= ExponentBias && (exp >= ExponentBias+63 || m<<uint(exp-ExponentBias+1) == 0):
		// An integer n with |n| ≥ 1: 2^n − 1 exactly.
		n := int(f80Int(x))
		v := newFloat(uint(max(n, -n)) + 2).SetInt64(1)
		v.SetMantExp(v, n)
		v.Sub(v, newFloat(64).SetInt64(1))
		return e.roundExactBig(v)
	}
	xb := f80ToBig(x)
	return e.correctlyRound(func(prec uint) *big.Float {
		w := prec + guardBits
		if exp < ExponentBias { // |x| < 1
			z := newFloat(w).Mul(xb, bigLn2(w))
			return expm1Series(z, w)
		}
		// |x| ≥ 1: 2^x = 2^n·2^f with n = floor(x), 0 < f < 1.
		n := newFloat(w).Set(xb)
		ni, _ := n.Int64()
		if neg {
			ni--
		}
		f := newFloat(w).Sub(xb, newFloat(w).SetInt64(ni))
		z := f.Mul(f, bigLn2(w))
		p := expm1Series(z, w)
		p.Add(p, newFloat(w).SetInt64(1))
		p.SetMantExp(p, int(ni))
		return p.Sub(p, newFloat(w).SetInt64(1))
	})
}

// f80Int returns the integer value of an integral x with |x| < 2^63.
func f80Int(x F80) int64 {
	exp, m := normalized(x)
	v := int64(m >> uint(ExponentBias+63-exp))
	if x.Negative() {
		return -v
	}
	return v
}

// YLog2X computes FYL2X: y·log2(x), with y = ST(1) and x = ST(0) (SDM vol. 2,
// FYL2X, table 3-53).
func (e *Env) YLog2X(y, x F80) (F80, bool) {
	e.C1 = false
	cy, cx := y.Class(), x.Class()
	switch {
	case cy.Unsupported() || cx.Unsupported():
		return e.invalid()
	case cy.IsNaN() || cx.IsNaN():
		return e.propagateNaN(x, y)
	case x.Negative() && cx != ClassZero:
		return e.invalid() // logarithm of a negative number
	}
	return e.yLogSpecial(y, cy, x, cx, func() (F80, bool) {
		exp, m := normalized(x)
		if m == intBit {
			// x = 2^k: y·k exactly rounded.
			return e.mul(info(Reg(y)), info(Reg(FromInt64(int64(exp-ExponentBias)))), &formatReg64)
		}
		yb, xb := f80ToBig(y), f80ToBig(x)
		return e.correctlyRound(func(prec uint) *big.Float {
			w := prec + guardBits
			l := lnBig(xb, w)
			l.Quo(l, bigLn2(w))
			return l.Mul(l, yb)
		})
	})
}

// yLogSpecial handles the zero, infinity and unit cases shared by FYL2X and
// FYL2XP1 (x is the logarithm's argument, here already known not to be
// negative or NaN), then signals DE and calls general.
func (e *Env) yLogSpecial(y F80, cy Class, x F80, cx Class, general func() (F80, bool)) (F80, bool) {
	yz, yinf := cy == ClassZero, cy == ClassInfinity
	switch {
	case cx == ClassZero: // log2(0) = −∞
		switch {
		case yz:
			return e.invalid()
		case yinf:
			return infinity(!y.Negative()), true
		}
		if !e.signal(ZeroDivide) {
			return F80{}, false
		}
		return infinity(!y.Negative()), true
	case cx == ClassInfinity: // log2(∞) = +∞
		if yz {
			return e.invalid()
		}
		if cy.isDenormal() && !e.denormalOperand() {
			return F80{}, false
		}
		return infinity(y.Negative()), true
	case x == One: // log2(1) = +0
		if yinf {
			return e.invalid()
		}
		if cy.isDenormal() && !e.denormalOperand() {
			return F80{}, false
		}
		return zero(y.Negative()), true
	}
	if (cy.isDenormal() || cx.isDenormal()) && !e.denormalOperand() {
		return F80{}, false
	}
	logNegative := x.SE&expMask < ExponentBias
	switch {
	case yz:
		return zero(y.Negative() != logNegative), true
	case yinf:
		return infinity(y.Negative() != logNegative), true
	}
	return general()
}

// YLog2XP1 computes FYL2XP1: y·log2(x + 1), with y = ST(1) and x = ST(0).
// The SDM defines it for |x| < 1 − √2/2 only; outside, this implementation
// still returns the correctly rounded value where it is real (SDM vol. 2,
// FYL2XP1, table 3-54).
func (e *Env) YLog2XP1(y, x F80) (F80, bool) {
	e.C1 = false
	cy, cx := y.Class(), x.Class()
	switch {
	case cy.Unsupported() || cx.Unsupported():
		return e.invalid()
	case cy.IsNaN() || cx.IsNaN():
		return e.propagateNaN(x, y)
	case cx == ClassInfinity && x.Negative():
		return e.invalid()
	case cx == ClassInfinity:
		return e.yLogSpecial(y, cy, x, cx, nil)
	case cx == ClassZero:
		if cy == ClassInfinity {
			return e.invalid() // ∞ × log2(1)
		}
		if cy.isDenormal() && !e.denormalOperand() {
			return F80{}, false
		}
		return zero(x.Negative() != y.Negative()), true
	}
	exp, _ := normalized(x)
	var onePlusX *big.Float // exact, when 1+x may be ≤ 0 or a power of two
	if exp >= ExponentBias-64 {
		top := max(exp-ExponentBias, 0)
		bottom := min(exp-ExponentBias-63, 0)
		onePlusX = newFloat(uint(top-bottom)+2).Add(f80ToBig(x), newFloat(64).SetInt64(1))
		switch onePlusX.Sign() {
		case -1:
			return e.invalid()
		case 0:
			return e.yLogSpecial(y, cy, PosZero, ClassZero, nil)
		}
	}
	// log2(1+x) is finite, non-zero and has the sign of x.
	if (cy.isDenormal() || cx.isDenormal()) && !e.denormalOperand() {
		return F80{}, false
	}
	switch cy {
	case ClassZero:
		return zero(y.Negative() != x.Negative()), true
	case ClassInfinity:
		return infinity(y.Negative() != x.Negative()), true
	}
	if onePlusX != nil {
		m := new(big.Float)
		if k := onePlusX.MantExp(m); m.Cmp(big.NewFloat(0.5)) == 0 {
			// 1+x = 2^(k−1): y·(k−1) exactly rounded.
			return e.mul(info(Reg(y)), info(Reg(FromInt64(int64(k-1)))), &formatReg64)
		}
	}
	xb, yb := f80ToBig(x), f80ToBig(y)
	small := exp < ExponentBias-1 // |x| < 0.5
	return e.correctlyRound(func(prec uint) *big.Float {
		w := prec + guardBits
		var l *big.Float
		if small {
			l = log1pBig(xb, w)
		} else {
			l = lnBig(onePlusX, w)
		}
		l.Quo(l, bigLn2(w))
		return l.Mul(l, yb)
	})
}
