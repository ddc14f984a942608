package float80

import (
	"math/bits"
	"math/rand/v2"
)

// gen draws edge-heavy random operands.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15))} }

func (g *gen) bool() bool { return g.r.Uint64()&1 == 1 }

func (g *gen) sign() uint16 {
	if g.bool() {
		return 0x8000
	}
	return 0
}

// mantissa returns a significand with the integer bit set, drawn from
// patterns that stress rounding: random, all ones, a lone integer bit, few
// bits set, and values at, just below and just above a rounding halfway
// point of 24, 53 or 64 bits.
func (g *gen) mantissa() uint64 {
	switch g.r.IntN(10) {
	case 0:
		return ^uint64(0)
	case 1:
		return 1 << 63
	case 2: // few bits
		m := uint64(1) << 63
		for i := g.r.IntN(4); i >= 0; i-- {
			m |= 1 << g.r.IntN(63)
		}
		return m
	case 3, 4: // around a halfway point of precision p
		p := [...]uint{24, 53, 64, 24, 53}[g.r.IntN(5)]
		m := g.r.Uint64() | 1<<63
		if p < 64 {
			low := uint64(1)<<(64-p) - 1
			half := uint64(1) << (63 - p)
			switch g.r.IntN(4) {
			case 0:
				m = m&^low | half
			case 1:
				m = m&^low | half - 1
			case 2:
				m = m&^low | half + 1
			default:
				m = m&^low | low // all ones below
			}
		}
		return m
	case 5: // short significand (exact products, integers)
		return (g.r.Uint64()|1<<63)&^(1<<(64-g.r.IntN(33))-1) | 1<<63
	}
	return g.r.Uint64() | 1<<63
}

// exponent returns a biased exponent for a normal value, favouring the
// extremes and the middle of the range.
func (g *gen) exponent() uint16 {
	switch g.r.IntN(8) {
	case 0:
		return uint16(1 + g.r.IntN(80))
	case 1:
		return uint16(0x7FFE - g.r.IntN(80))
	case 2, 3:
		return uint16(16383 - 70 + g.r.IntN(141))
	}
	return uint16(1 + g.r.IntN(0x7FFE))
}

// special returns a non-normal value of any class.
func (g *gen) special() F80 {
	s := g.sign()
	switch g.r.IntN(12) {
	case 0, 1:
		return F80{SE: s}
	case 2, 3: // denormal, sometimes tiny
		m := g.r.Uint64() >> 1 >> g.r.IntN(63)
		if m == 0 {
			m = 1
		}
		return F80{Mant: m, SE: s}
	case 4:
		return F80{Mant: g.r.Uint64() | 1<<63, SE: s} // pseudo-denormal
	case 5:
		return F80{Mant: 1 << 63, SE: s | 0x7FFF}
	case 6: // QNaN
		return F80{Mant: 3<<62 | g.r.Uint64()>>2&-uint64(g.r.IntN(2)), SE: s | 0x7FFF}
	case 7: // SNaN
		f := g.r.Uint64() >> 2
		if f == 0 {
			f = 1
		}
		return F80{Mant: 1<<63 | f, SE: s | 0x7FFF}
	case 8:
		return F80{Mant: 0xC000000000000000, SE: 0xFFFF}
	case 9: // pseudo-NaN or pseudo-infinity
		return F80{Mant: g.r.Uint64() >> 1 >> g.r.IntN(2) * uint64(g.r.IntN(2)), SE: s | 0x7FFF}
	case 10: // unnormal
		return F80{Mant: g.r.Uint64() >> 1, SE: s | g.exponent()}
	}
	// Denormal near the normal boundary.
	return F80{Mant: ^uint64(0) >> 1 &^ uint64(g.r.IntN(8)), SE: s}
}

// value returns an edge-heavy random operand: mostly normal, sometimes of
// another class.
func (g *gen) value() F80 {
	if g.r.IntN(100) < 15 {
		return g.special()
	}
	return F80{Mant: g.mantissa(), SE: g.sign() | g.exponent()}
}

// near returns a normal value whose exponent is exp, clamped to the normal
// range, with a random significand; sometimes it returns a special.
func (g *gen) near(exp int) F80 {
	if g.r.IntN(100) < 5 {
		return g.special()
	}
	if exp < 1 || exp > 0x7FFE {
		if g.bool() {
			// Out of the normal range: a denormal or a value at the extreme.
			if exp < 1 {
				return F80{Mant: g.mantissa() >> min(uint(1-exp), 63), SE: g.sign()}
			}
		}
		exp = max(1, min(exp, 0x7FFE))
	}
	return F80{Mant: g.mantissa(), SE: g.sign() | uint16(exp)}
}

func expOf(x F80) int { return int(x.SE & 0x7FFF) }

// pair returns operands for op, often related so that results land near
// overflow, underflow, cancellation, exactness or rounding boundaries.
func (g *gen) pair(op string) (F80, F80) {
	a := g.value()
	k := g.r.IntN(10)
	if k < 3 || refKindOf(a) != rkFinite {
		return a, g.value()
	}
	ea := expOf(a)
	d := g.r.IntN(141) - 70
	switch op {
	case "add", "sub":
		switch k {
		case 3, 4: // cancellation: b close to ±a
			b := a
			b.Mant += uint64(g.r.IntN(2001) - 1000)
			if b.Mant>>63 == 0 {
				b.Mant |= 1 << 63
			}
			b.SE ^= g.sign()
			return a, b
		case 5:
			return a, g.near(ea + g.r.IntN(7) - 3)
		}
		return a, g.near(ea + d)
	case "mul":
		switch k {
		case 3, 4:
			return a, g.near(0x7FFE + 16383 - ea + g.r.IntN(5) - 2) // near overflow
		case 5, 6:
			return a, g.near(16383 - ea + d/2) // near underflow
		}
		return a, g.near(2*16383 - ea + d) // near 1
	case "div":
		switch k {
		case 3, 4:
			return a, g.near(ea + 16383 - 0x7FFE + g.r.IntN(5) - 2) // near overflow
		case 5, 6:
			return a, g.near(ea + 16383 + d/2) // near underflow
		case 7: // exact quotient: a = b × c with a short c
			b := F80{Mant: g.mantissa() &^ (1<<40 - 1), SE: g.sign() | g.exponent()}
			c := F80{Mant: (g.r.Uint64() | 1<<63) &^ (1<<40 - 1), SE: uint16(16383 + g.r.IntN(20) - 10)}
			e := Env{Masks: AllExceptions, Precision: Precision64}
			p, _ := e.Mul(b, c)
			return p, b
		}
		return a, g.near(ea + d)
	}
	return a, g.value()
}

// sqrtOperand returns an operand for FSQRT, sometimes an exact square.
func (g *gen) sqrtOperand() F80 {
	if g.r.IntN(5) == 0 {
		r := g.r.Uint64()>>32 | 1<<31
		m := r * r
		lz := bits.LeadingZeros64(m)
		return F80{Mant: m << uint(lz), SE: uint16(16383 + 2*(g.r.IntN(16000)-8000))}
	}
	x := g.value()
	if g.r.IntN(4) != 0 {
		x.SE &^= 0x8000
	}
	return x
}

// integerish returns a value near the integers or the limits of a width.
func (g *gen) integerish() F80 {
	switch g.r.IntN(6) {
	case 0:
		return g.value()
	case 1: // near ±2^15, ±2^31, ±2^63 and 10^18
		limits := [...]uint64{1 << 15, 1 << 31, 1 << 63, 999999999999999999, 1000000000000000000}
		v := limits[g.r.IntN(len(limits))]
		v += uint64(g.r.IntN(5)) - 2
		x := FromInt64(int64(v))
		if v>>63 == 1 {
			x = F80{Mant: v, SE: 16383 + 63}
		}
		x.SE |= g.sign()
		if g.bool() { // add a fraction of ±½ ulp-ish
			x, _ = (&Env{Masks: AllExceptions, Precision: Precision64}).Add(x, F80{Mant: g.mantissa(), SE: g.sign() | uint16(16383-1-g.r.IntN(3))})
		}
		return x
	case 2: // small halves: n + 0.5 and neighbours
		n := g.r.Int64N(1 << 20)
		x := FromInt64(2*n + 1)
		x.SE -= 1
		x.Mant += uint64(g.r.IntN(3)) - 1
		x.SE |= g.sign()
		return x
	}
	return F80{Mant: g.mantissa(), SE: g.sign() | uint16(16383-3+g.r.IntN(70))}
}

// floatOperand returns a value to store as float32 (single) or float64.
func (g *gen) floatOperand(single bool) F80 {
	emin, emax, p := -126, 127, 24
	if !single {
		emin, emax, p = -1022, 1023, 53
	}
	switch g.r.IntN(6) {
	case 0:
		return g.value()
	case 1: // denormal range of the destination
		return F80{Mant: g.mantissa(), SE: g.sign() | uint16(16383+emin-g.r.IntN(p+3))}
	case 2: // around the overflow threshold
		return F80{Mant: g.mantissa(), SE: g.sign() | uint16(16383+emax-1+g.r.IntN(3))}
	case 3: // around the underflow threshold
		return F80{Mant: g.mantissa(), SE: g.sign() | uint16(16383+emin-1+g.r.IntN(3))}
	}
	return F80{Mant: g.mantissa(), SE: g.sign() | uint16(16383+emin-5+g.r.IntN(emax-emin+10))}
}

// floatBits returns edge-heavy float32 (single) or float64 bits.
func (g *gen) floatBits(single bool) uint64 {
	if single {
		var exp uint32
		switch g.r.IntN(6) {
		case 0:
			exp = 0
		case 1:
			exp = 0xFF
		case 2:
			exp = uint32(1 + g.r.IntN(2))
		default:
			exp = uint32(g.r.IntN(256))
		}
		frac := uint32(g.r.Uint64()) & 0x7FFFFF
		if g.r.IntN(4) == 0 {
			frac >>= g.r.IntN(23)
		}
		return uint64(uint32(g.sign())<<16 | exp<<23 | frac)
	}
	var exp uint64
	switch g.r.IntN(6) {
	case 0:
		exp = 0
	case 1:
		exp = 0x7FF
	case 2:
		exp = uint64(1 + g.r.IntN(2))
	default:
		exp = uint64(g.r.IntN(2048))
	}
	frac := g.r.Uint64() & (1<<52 - 1)
	if g.r.IntN(4) == 0 {
		frac >>= g.r.IntN(52)
	}
	return uint64(g.sign())<<48 | exp<<52 | frac
}

// int64Value returns an edge-heavy integer.
func (g *gen) int64Value() int64 {
	switch g.r.IntN(5) {
	case 0:
		edges := [...]int64{0, 1, -1, 1 << 62, -1 << 63, 1<<63 - 1, 1 << 31, -1 << 31, 1<<15 - 1, -1 << 15}
		return edges[g.r.IntN(len(edges))]
	case 1:
		return int64(g.r.Uint64()) >> g.r.IntN(64)
	}
	return int64(g.r.Uint64())
}

// env returns a random environment: every rounding mode and precision, and
// a mix of masked and unmasked exceptions.
func (g *gen) env() Env {
	e := Env{
		Rounding:  RoundingControl(g.r.IntN(4)),
		Precision: [...]PrecisionControl{Precision24, Precision53, Precision64}[g.r.IntN(3)],
		Masks:     AllExceptions,
		C1:        g.bool(),
	}
	if g.r.IntN(4) == 0 {
		e.Masks = Exceptions(g.r.Uint64()) & AllExceptions
	}
	return e
}

func refEnvOf(e Env) refEnv { return refEnv{rc: e.Rounding, pc: e.Precision, masks: e.Masks} }
