package float80

import "math/bits"

// Extract splits x into its unbiased exponent and its significand, both as
// values (FXTRACT: the exponent replaces ST(0), then the significand, with
// x's sign and exponent 3FFFh, is pushed; SDM vol. 2, FXTRACT). Denormals
// are normalized first. ±0 signals ZE; the masked response is exponent −∞
// and significand ±0. ±∞ gives exponent +∞ and significand ±∞.
func (e *Env) Extract(x F80) (exponent, significand F80, ok bool) {
	e.C1 = false
	c := x.Class()
	switch {
	case c.Unsupported():
		r, ok := e.invalid()
		return r, r, ok
	case c.IsNaN():
		r, ok := e.propagateNaN(x, x)
		return r, r, ok
	case c == ClassZero:
		if !e.signal(ZeroDivide) {
			return F80{}, F80{}, false
		}
		return NegInf, x, true
	case c == ClassInfinity:
		return PosInf, x, true
	}
	if c.isDenormal() && !e.denormalOperand() {
		return F80{}, F80{}, false
	}
	exp, m := normalized(x)
	return FromInt64(int64(exp - ExponentBias)), F80{Mant: m, SE: ExponentBias | x.SE&signBit}, true
}

// Scale returns x × 2^trunc(s) (FSCALE with x = ST(0), s = ST(1); SDM vol. 2,
// FSCALE, table 3-48). The result is rounded to 64 bits (precision control
// does not apply) with the usual overflow and underflow responses; a result
// that is out of range even after the unmasked-response bias adjustment is
// stored as a signed ∞ or 0 (SDM vol. 1, 8.5.4).
func (e *Env) Scale(x, s F80) (F80, bool) {
	e.C1 = false
	cx, cs := x.Class(), s.Class()
	switch {
	case cx.Unsupported() || cs.Unsupported():
		return e.invalid()
	case cx.IsNaN() || cs.IsNaN():
		return e.propagateNaN(x, s)
	case cx == ClassInfinity && cs == ClassInfinity && s.Negative(), // ∞ × 2^−∞
		cx == ClassZero && cs == ClassInfinity && !s.Negative(): // 0 × 2^+∞
		return e.invalid()
	}
	if (cx.isDenormal() || cs.isDenormal()) && !e.denormalOperand() {
		return F80{}, false
	}
	switch {
	case cx == ClassInfinity || cx == ClassZero:
		return x, true
	case cs == ClassInfinity:
		if s.Negative() {
			return zero(x.Negative()), true
		}
		return infinity(x.Negative()), true
	}
	// n = trunc(s), clamped well beyond any exponent that can matter.
	var n int32
	if cs != ClassZero {
		se, sm := normalized(s)
		switch sh := se - ExponentBias - 63; {
		case sh >= -63+20:
			n = 1 << 20 // |s| ≥ 2^20
		case sh <= -64:
			n = 0 // |s| < 1
		default:
			n = int32(sm >> uint(-sh))
		}
		if s.Negative() {
			n = -n
		}
	}
	exp, m := normalized(x)
	return e.roundPack(x.Negative(), exp+n, m, 0, &formatReg64)
}

// PartialRemainder computes the FPREM partial remainder of x (ST(0)) by the
// modulus y (ST(1)): x − q·y with q = trunc(x/y), exact (SDM vol. 2, FPREM).
// When the exponent difference is 64 or more only a partial reduction is
// done and partial is true (C2=1); otherwise quotient holds the three
// least significant bits of q (C0=bit 2, C3=bit 1, C1=bit 0: the caller sets
// C1 from the quotient, not from Env.C1). A partial reduction clears C0, C3
// and C1 (quotient is 0).
func (e *Env) PartialRemainder(x, y F80) (r F80, quotient uint8, partial, ok bool) {
	return e.remainder(x, y, false)
}

// IEEERemainder computes the FPREM1 remainder: as PartialRemainder, but with
// q = x/y rounded to the nearest integer (ties to even), which makes the
// complete result the IEEE 754 remainder (SDM vol. 2, FPREM1).
func (e *Env) IEEERemainder(x, y F80) (r F80, quotient uint8, partial, ok bool) {
	return e.remainder(x, y, true)
}

func (e *Env) remainder(x, y F80, nearest bool) (F80, uint8, bool, bool) {
	e.C1 = false
	cx, cy := x.Class(), y.Class()
	switch {
	case cx.Unsupported() || cy.Unsupported():
		r, ok := e.invalid()
		return r, 0, false, ok
	case cx.IsNaN() || cy.IsNaN():
		r, ok := e.propagateNaN(x, y)
		return r, 0, false, ok
	case cx == ClassInfinity || cy == ClassZero:
		r, ok := e.invalid()
		return r, 0, false, ok
	}
	if (cx.isDenormal() || cy.isDenormal()) && !e.denormalOperand() {
		return F80{}, 0, false, false
	}
	if cx == ClassZero {
		return x, 0, false, true
	}
	neg := x.Negative()
	ex, mx := normalized(x)
	if cy == ClassInfinity {
		// The result is the dividend's value, delivered like any other
		// remainder (a pseudo-denormal normalized, a denormal subject to
		// the underflow rules), as when |x| < |y|.
		return e.packRemainder(neg, ex, mx), 0, false, true
	}
	ey, my := normalized(y)
	d := ex - ey
	if d >= 64 {
		// Partial remainder: reduce by y·2^(d−n) with truncation, n = 32 + d mod 32.
		n := 32 + d%32
		rm, rexp, _ := truncatedRemainder(mx, my, ey+(d-n), n)
		return e.packRemainder(neg, rexp, rm), 0, true, true
	}
	if d < 0 {
		if !nearest || d < -1 || mx <= my {
			// |x| < |y| (for FPREM1, |x| ≤ |y|/2): q = 0, remainder x.
			return e.packRemainder(neg, ex, mx), 0, false, true
		}
		// FPREM1 with |y|/2 < |x| < |y|: q = 1, remainder |y| − |x| with
		// the opposite sign, on x's scale 2·my − mx, which is below my
		// (the subtraction below wraps exactly).
		return e.packRemainder(!neg, ex, my<<1-mx), 1, false, true
	}
	rm, rexp, q := truncatedRemainder(mx, my, ey, d)
	if nearest && rm != 0 {
		// Round q to nearest: if the remainder exceeds half the modulus (or
		// equals it with q odd), take one more multiple.
		twice, carry := bits.Add64(rm, rm, 0)
		if carry != 0 || twice > my || twice == my && q&1 != 0 {
			rm = my - rm
			q++
			neg = !neg
		}
	}
	return e.packRemainder(neg, rexp, rm), uint8(q & 7), false, true
}

// truncatedRemainder divides mx·2^d by my (0 ≤ d < 64) and returns the
// remainder (in units of my's last bit, so with exponent ey) and the
// quotient's low 64 bits.
func truncatedRemainder(mx, my uint64, ey, d int32) (rem uint64, exp int32, q uint64) {
	hi, lo := uint64(0), mx
	if d > 0 {
		hi, lo = mx>>uint(64-d), mx<<uint(d)
	}
	q, rem = bits.Div64(hi, lo, my)
	return rem, ey, q
}

// packRemainder delivers the exact remainder (−1)^neg × m ×
// 2^(exp−16383−63): zero keeps the dividend's sign, and tiny results follow
// the underflow rules.
func (e *Env) packRemainder(neg bool, exp int32, m uint64) F80 {
	if m == 0 {
		return zero(neg)
	}
	lz := bits.LeadingZeros64(m)
	r, _ := e.roundPack(neg, exp-int32(lz), m<<uint(lz), 0, &formatReg64)
	return r
}
