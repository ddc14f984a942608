package diffx87

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/gox86/gox86/cpu/float80"
)

// gen draws operand values for a form's cases. The mix stresses rounding:
// random doubles (exact in 80 bits), random full 64-bit significands,
// significands with round-to-nearest ties and near-ties at bit 24, 53
// and 64, small integers and halves, the whole exponent range, edge values,
// and a few denormals, pseudo-denormals, infinities, NaNs and unsupported
// encodings (SDM vol. 1, 8.2.2, table 8-3). All cases run with every
// exception masked.
type gen struct{ r *rand.Rand }

func (g *gen) n(k int) int          { return g.r.IntN(k) }
func (g *gen) chance(a, b int) bool { return g.r.IntN(b) < a }
func (g *gen) u64() uint64          { return g.r.Uint64() }
func (g *gen) sign() bool           { return g.n(2) == 0 }
func (g *gen) rng(lo, hi int) int   { return lo + g.n(hi-lo+1) }
func f80(neg bool, exp int, mant uint64) float80.F80 {
	return float80.New(neg, uint16(exp), mant)
}

// fromF64 is the exact 80-bit value of a float64 (SDM vol. 1, 4.2.2).
func fromF64(x float64) float80.F80 {
	u := math.Float64bits(x)
	neg := u>>63 != 0
	exp := int(u>>52) & 0x7FF
	frac := u & (1<<52 - 1)
	switch {
	case exp == 0 && frac == 0:
		return f80(neg, 0, 0)
	case exp == 0x7FF:
		return f80(neg, 0x7FFF, 1<<63|frac<<11)
	case exp == 0:
		lz := bits.LeadingZeros64(frac)
		return f80(neg, 16383-1022-(lz-11), frac<<lz)
	}
	return f80(neg, exp-1023+16383, 1<<63|frac<<11)
}

// fromInt is the exact 80-bit value of an integer.
func fromInt(v int64) float80.F80 {
	if v == 0 {
		return f80(false, 0, 0)
	}
	neg := v < 0
	mag := uint64(v)
	if neg {
		mag = -mag
	}
	lz := bits.LeadingZeros64(mag)
	return f80(neg, 16383+63-lz, mag<<lz)
}

// tieMant sets the bits below precision p (24, 53 or 64) of a normalized
// significand to a rounding-boundary pattern.
func (g *gen) tieMant() uint64 {
	m := g.u64() | 1<<63
	cut := [...]uint{40, 11, 0}[g.n(3)] // bits below 24/53-bit precision
	if cut == 0 {
		// At 64 bits the boundary shows up in the operation's result, not
		// in the operand: use a significand with few bits so that sums and
		// products land on ties.
		return 1<<63 | uint64(g.n(16))<<uint(g.rng(0, 62))
	}
	low := uint64(1)<<cut - 1
	half := uint64(1) << (cut - 1)
	switch g.n(5) {
	case 0:
		m = m&^low | half // exact tie
	case 1:
		m = m&^low | (half - 1)
	case 2:
		m = m&^low | (half + 1)
	case 3:
		m &^= low // representable
	default:
		m |= low // all ones below
	}
	return m
}

// value draws an 80-bit register value.
func (g *gen) value() float80.F80 {
	neg := g.sign()
	switch x := g.n(100); {
	case x < 28: // a random double near 1
		e := g.rng(-40, 40)
		return withSign(fromF64(math.Ldexp(1+float64(g.u64()>>12)/(1<<52), e)), neg)
	case x < 50: // a random 64-bit significand
		return f80(neg, 16383+g.rng(-64, 64), g.u64()|1<<63)
	case x < 62:
		return f80(neg, 16383+g.rng(-30, 30), g.tieMant())
	case x < 69: // small integers, halves, quarters
		return withSign(fromF64(float64(g.rng(0, 64))/float64(int(1)<<g.n(3))), neg)
	case x < 77: // anywhere in the exponent range
		return f80(neg, g.rng(1, 0x7FFE), g.u64()|1<<63)
	case x < 84:
		return g.edge(neg)
	case x < 89: // denormals; one in six a pseudo-denormal (J=1, exponent 0)
		if g.chance(1, 6) {
			return f80(neg, 0, g.u64()|1<<63)
		}
		return f80(neg, 0, g.u64()>>uint(g.rng(1, 63)))
	case x < 93:
		return f80(neg, 0x7FFF, 1<<63)
	case x < 98:
		return g.nan(neg)
	default: // unsupported: unnormal, pseudo-NaN, pseudo-infinity
		switch g.n(3) {
		case 0:
			return f80(neg, g.rng(1, 0x7FFE), g.u64()>>1)
		case 1:
			return f80(neg, 0x7FFF, g.u64()>>1|1)
		default:
			return f80(neg, 0x7FFF, 0)
		}
	}
}

func (g *gen) nan(neg bool) float80.F80 {
	m := g.u64() | 1<<63
	if g.chance(1, 2) {
		m &^= 1 << 62 // signaling
		if m<<2 == 0 {
			m |= 1
		}
	} else {
		m |= 1 << 62
	}
	if g.chance(1, 4) {
		m = 0xC000000000000000 // the indefinite
	}
	return f80(neg, 0x7FFF, m)
}

func (g *gen) edge(neg bool) float80.F80 {
	switch g.n(9) {
	case 0:
		return f80(neg, 0, 0)
	case 1:
		return f80(neg, 16383, 1<<63)
	case 2:
		return f80(neg, 0x7FFE, ^uint64(0)) // largest finite
	case 3:
		return f80(neg, 1, 1<<63) // smallest normal
	case 4:
		return f80(neg, 0, 1) // smallest denormal
	case 5:
		return f80(neg, g.rng(0x7FF0, 0x7FFE), g.u64()|1<<63) // near overflow
	case 6:
		return f80(neg, g.rng(1, 0x40), g.u64()|1<<63) // near underflow
	case 7:
		return f80(neg, 16383+g.rng(-1, 1), ^uint64(0)<<uint(g.n(3))) // just below a power of two
	default:
		return f80(neg, 16383+g.rng(-80, 80), 1<<63) // a power of two
	}
}

// finite draws a normal value with a moderate exponent (for the
// transcendental instructions, whose special operands are out of scope).
func (g *gen) finite(minExp, maxExp int) float80.F80 {
	if g.chance(1, 3) {
		return withSign(fromF64(math.Ldexp(1+float64(g.u64()>>12)/(1<<52), g.rng(minExp, maxExp))), g.sign())
	}
	return f80(g.sign(), 16383+g.rng(minExp, maxExp), g.u64()|1<<63)
}

// related draws a second operand close to, equal to, or a simple function
// of a (cancellation, exact ties, equal-magnitude compares).
func (g *gen) related(a float80.F80) float80.F80 {
	switch g.n(6) {
	case 0:
		return a
	case 1:
		return a.Neg()
	case 2: // a few ulps away
		m := a.Mant + uint64(g.rng(-3, 3))
		return float80.New(a.Negative(), a.BiasedExponent(), m|a.Mant&(1<<63))
	case 3: // scaled by a power of two
		e := int(a.BiasedExponent()) + g.rng(-70, 70)
		if e < 1 || e > 0x7FFE {
			return a
		}
		return float80.New(g.sign(), uint16(e), a.Mant)
	case 4: // shares the leading bits
		m := a.Mant ^ g.u64()>>uint(g.rng(20, 63))
		return float80.New(g.sign(), a.BiasedExponent(), m|1<<63)
	default:
		return g.value()
	}
}

func withSign(v float80.F80, neg bool) float80.F80 {
	return float80.New(neg, v.BiasedExponent(), v.Mant)
}

// float32/float64 operand bits: random normals, values derived from an
// 80-bit register value (rounded by truncation), denormals and specials.
func (g *gen) f32(like float80.F80) uint32 {
	s := uint32(g.n(2)) << 31
	switch x := g.n(100); {
	case x < 55:
		return s | uint32(g.rng(1, 254))<<23 | uint32(g.u64())&(1<<23-1)
	case x < 75:
		e := int(like.BiasedExponent()) - 16383 + 127
		if e < 1 || e > 254 {
			e = g.rng(100, 154)
		}
		return uint32(b2u(like.Negative()))<<31 | uint32(e)<<23 | uint32(like.Mant>>40)&(1<<23-1)
	case x < 82:
		return s | uint32(g.rng(120, 134))<<23 | uint32(g.n(8))<<20
	case x < 88:
		return s | uint32(g.u64())&(1<<23-1) // denormal (or zero)
	case x < 91:
		return s
	case x < 94:
		return s | 0x7F800000
	default:
		return s | 0x7F800000 | uint32(g.u64())&(1<<23-1) | 1
	}
}

func (g *gen) f64(like float80.F80) uint64 {
	s := uint64(g.n(2)) << 63
	switch x := g.n(100); {
	case x < 55:
		return s | uint64(g.rng(1, 2046))<<52 | g.u64()&(1<<52-1)
	case x < 75:
		e := int(like.BiasedExponent()) - 16383 + 1023
		if e < 1 || e > 2046 {
			e = g.rng(900, 1100)
		}
		return b2u(like.Negative())<<63 | uint64(e)<<52 | like.Mant>>11&(1<<52-1)
	case x < 82:
		return s | uint64(g.rng(1015, 1031))<<52 | uint64(g.n(8))<<49
	case x < 88:
		return s | g.u64()&(1<<52-1)
	case x < 91:
		return s
	case x < 94:
		return s | 0x7FF0000000000000
	default:
		return s | 0x7FF0000000000000 | g.u64()&(1<<52-1) | 1
	}
}

// integer operand of the given width in bits, biased to the edges.
func (g *gen) int(w uint) int64 {
	max := int64(1)<<(w-1) - 1
	min := -max - 1
	switch g.n(10) {
	case 0:
		return []int64{0, 1, -1, max, min, max - 1, min + 1}[g.n(7)]
	case 1, 2:
		return int64(g.rng(-1000, 1000))
	default:
		v := int64(g.u64() >> (64 - w))
		v = v << (64 - w) >> (64 - w) // sign-extend
		return v >> uint(g.n(int(w)))
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
