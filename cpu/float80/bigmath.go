package float80

import (
	"encoding/binary"
	"math/big"
	"sync"
)

// Arbitrary-precision elementary functions for the transcendental
// instructions. Each function computes at the precision it is given and
// its result has a relative error of a few units in that precision; callers
// add guard bits.

func newFloat(prec uint) *big.Float { return new(big.Float).SetPrec(prec) }

// exponentOf returns the binary exponent of a non-zero x (x = m × 2^e with
// 0.5 ≤ |m| < 1).
func exponentOf(x *big.Float) int { return x.MantExp(nil) }

// negligible reports whether |t| < 2^(ref−prec−8), the stopping test of the
// series below.
func negligible(t *big.Float, ref int, prec uint) bool {
	return t.Sign() == 0 || exponentOf(t) < ref-int(prec)-8
}

var bigConstants struct {
	sync.Mutex
	pi, ln2 map[uint]*big.Float
}

// cachedConstant returns the constant computed by compute at a cached
// precision of at least prec (read-only).
func cachedConstant(m *map[uint]*big.Float, prec uint, compute func(uint) *big.Float) *big.Float {
	p := uint(512)
	for p < prec {
		p *= 2
	}
	bigConstants.Lock()
	defer bigConstants.Unlock()
	if *m == nil {
		*m = make(map[uint]*big.Float)
	}
	v, ok := (*m)[p]
	if !ok {
		v = compute(p + 32)
		(*m)[p] = v
	}
	return v
}

// bigPi returns π to at least prec bits (Machin's formula). Read-only.
func bigPi(prec uint) *big.Float {
	return cachedConstant(&bigConstants.pi, prec, func(p uint) *big.Float {
		a := atanInverse(5, p)
		b := atanInverse(239, p)
		a.Mul(a, newFloat(p).SetInt64(16))
		b.Mul(b, newFloat(p).SetInt64(4))
		return a.Sub(a, b)
	})
}

// bigLn2 returns ln 2 to at least prec bits (2·atanh(1/3)). Read-only.
func bigLn2(prec uint) *big.Float {
	return cachedConstant(&bigConstants.ln2, prec, func(p uint) *big.Float {
		s := newFloat(p).Quo(newFloat(p).SetInt64(1), newFloat(p).SetInt64(3))
		r := atanhSeries(s, p)
		return r.Mul(r, newFloat(p).SetInt64(2))
	})
}

// atanInverse returns atan(1/n) for an integer n ≥ 2.
func atanInverse(n int64, prec uint) *big.Float {
	x := newFloat(prec).Quo(newFloat(prec).SetInt64(1), newFloat(prec).SetInt64(n))
	return atanSeries(x, prec)
}

// atanSeries sums x − x³/3 + x⁵/5 − … for small |x|.
func atanSeries(x *big.Float, prec uint) *big.Float {
	x2 := newFloat(prec).Mul(x, x)
	x2.Neg(x2)
	return oddSeries(x, x2, prec)
}

// atanhSeries sums x + x³/3 + x⁵/5 + … for small |x|.
func atanhSeries(x *big.Float, prec uint) *big.Float {
	x2 := newFloat(prec).Mul(x, x)
	return oddSeries(x, x2, prec)
}

// oddSeries sums Σ x·q^k/(2k+1).
func oddSeries(x, q *big.Float, prec uint) *big.Float {
	sum := newFloat(prec).Set(x)
	if x.Sign() == 0 {
		return sum
	}
	ref := exponentOf(x)
	power := newFloat(prec).Set(x)
	term, div := newFloat(prec), newFloat(prec)
	for k := int64(1); ; k++ {
		power.Mul(power, q)
		term.Quo(power, div.SetInt64(2*k+1))
		sum.Add(sum, term)
		if negligible(term, ref, prec) {
			return sum
		}
	}
}

// sinCosSeries returns sin r and cos r for |r| ≤ 0.8 by their Taylor series.
func sinCosSeries(r *big.Float, prec uint) (sin, cos *big.Float) {
	sin = newFloat(prec)
	cos = newFloat(prec).SetInt64(1)
	if r.Sign() == 0 {
		return sin, cos
	}
	ref := exponentOf(r)
	term, div := newFloat(prec).SetInt64(1), newFloat(prec)
	for n := int64(1); ; n++ {
		term.Mul(term, r)
		term.Quo(term, div.SetInt64(n))
		switch n % 4 {
		case 1:
			sin.Add(sin, term)
		case 2:
			cos.Sub(cos, term)
		case 3:
			sin.Sub(sin, term)
		case 0:
			cos.Add(cos, term)
		}
		if negligible(term, ref, prec) {
			return sin, cos
		}
	}
}

// atanBig returns atan t for 0 ≤ t ≤ 1: three argument halvings
// t ← t/(1+√(1+t²)) bring t below tan(π/32), then the series.
func atanBig(t *big.Float, prec uint) *big.Float {
	x := newFloat(prec).Set(t)
	s := newFloat(prec)
	for i := 0; i < 3; i++ {
		s.Mul(x, x)
		s.Add(s, newFloat(prec).SetInt64(1))
		s.Sqrt(s)
		s.Add(s, newFloat(prec).SetInt64(1))
		x.Quo(x, s)
	}
	r := atanSeries(x, prec)
	return r.SetMantExp(r, 3)
}

// expm1Series returns e^z − 1 for |z| ≤ 0.75 by the Taylor series.
func expm1Series(z *big.Float, prec uint) *big.Float {
	sum := newFloat(prec)
	if z.Sign() == 0 {
		return sum
	}
	ref := exponentOf(z)
	term, div := newFloat(prec).SetInt64(1), newFloat(prec)
	for n := int64(1); ; n++ {
		term.Mul(term, z)
		term.Quo(term, div.SetInt64(n))
		sum.Add(sum, term)
		if negligible(term, ref, prec) {
			return sum
		}
	}
}

// lnBig returns ln x for x > 0: x = m·2^e with √½ ≤ m < √2, and
// ln m = 2·atanh((m−1)/(m+1)).
func lnBig(x *big.Float, prec uint) *big.Float {
	m := newFloat(prec)
	e := x.MantExp(m)
	if f, _ := m.Float64(); f < 0.7071067811865476 {
		m.SetMantExp(m, 1)
		e--
	}
	one := newFloat(prec).SetInt64(1)
	num := newFloat(prec).Sub(m, one)
	den := newFloat(prec).Add(m, one)
	s := atanhSeries(num.Quo(num, den), prec)
	s.SetMantExp(s, 1)
	if e != 0 {
		t := newFloat(prec).Mul(bigLn2(prec), newFloat(prec).SetInt64(int64(e)))
		s.Add(s, t)
	}
	return s
}

// log1pBig returns ln(1+x) for |x| < 0.5 as 2·atanh(x/(2+x)).
func log1pBig(x *big.Float, prec uint) *big.Float {
	den := newFloat(prec).Add(x, newFloat(prec).SetInt64(2))
	s := atanhSeries(newFloat(prec).Quo(x, den), prec)
	return s.SetMantExp(s, 1)
}

// f80ToBig returns the exact value of a finite x.
func f80ToBig(x F80) *big.Float {
	r := newFloat(64)
	if x.IsZero() {
		if x.Negative() {
			r.Neg(r)
		}
		return r
	}
	exp, m := normalized(x)
	r.SetUint64(m)
	r.SetMantExp(r, int(exp)-ExponentBias-63)
	if x.Negative() {
		r.Neg(r)
	}
	return r
}

// bigParts splits a non-zero finite v into sign, register-biased exponent
// and a 128-bit significand (bit 127 set) whose last bit is sticky, as
// roundPack takes them.
func bigParts(v *big.Float) (neg bool, exp int32, hi, lo uint64) {
	m := newFloat(v.MinPrec() + 1)
	e := v.MantExp(m)
	m.Abs(m)
	m.SetMantExp(m, 128)
	i, acc := m.Int(nil)
	var buf [16]byte
	i.FillBytes(buf[:])
	hi = binary.BigEndian.Uint64(buf[:8])
	lo = binary.BigEndian.Uint64(buf[8:])
	if acc != big.Exact {
		lo |= 1
	}
	return v.Signbit(), int32(e - 1 + ExponentBias), hi, lo
}
