package float80

// An independent reference model of x87 arithmetic, written from the SDM
// definitions with math/big integers and sharing no code with the
// implementation: operands are decoded from their fields, results are
// computed exactly (or with a sticky bit beyond ample extra bits) and
// rounded by explicit integer arithmetic, and flags are derived from
// their definitions.

import (
	"math"
	"math/big"
)

// refExact is the value (−1)^neg × (mag + δ) × 2^exp, where δ is 0 when
// sticky is false and lies strictly between 0 and 1 otherwise.
type refExact struct {
	neg    bool
	mag    *big.Int
	exp    int
	sticky bool
}

// refFmt is a rounding destination.
type refFmt struct {
	p          int // significand bits
	emin, emax int // unbiased exponents of the smallest and largest normals
	memory     bool
}

var (
	refExt24 = refFmt{p: 24, emin: -16382, emax: 16383}
	refExt53 = refFmt{p: 53, emin: -16382, emax: 16383}
	refExt64 = refFmt{p: 64, emin: -16382, emax: 16383}
	refSgl   = refFmt{p: 24, emin: -126, emax: 127, memory: true}
	refDbl   = refFmt{p: 53, emin: -1022, emax: 1023, memory: true}
)

// refNum is a rounded result: ±∞, ±0, or (−1)^neg × sig × 2^e.
type refNum struct {
	neg, inf bool
	sig      *big.Int // nil or zero for ±0
	e        int
}

// refEnv is the part of the environment the reference reads.
type refEnv struct {
	rc    RoundingControl
	pc    PrecisionControl
	masks Exceptions
}

func (r refEnv) masked(x Exceptions) bool { return r.masks&x == x }

func (r refEnv) arithFmt() refFmt {
	switch r.pc {
	case 0:
		return refExt24
	case 2:
		return refExt53
	}
	return refExt64
}

// refOut is the complete outcome of an operation.
type refOut struct {
	val   refNum
	nan   F80 // when isNaN: the NaN result (register encoding)
	isNaN bool
	flags Exceptions
	c1    bool
	ok    bool
}

// refRoundAt rounds v to an integer multiple of 2^g and returns the
// multiplier, whether the rounding was inexact and whether the magnitude
// went up.
func refRoundAt(v refExact, g int, rc RoundingControl) (q *big.Int, inexact, up bool) {
	s := g - v.exp
	if s <= 0 {
		if v.sticky {
			panic("reference: sticky value rounded at or below its last bit")
		}
		return new(big.Int).Lsh(v.mag, uint(-s)), false, false
	}
	if v.sticky && s < 2 {
		panic("reference: too few bits beyond the rounding point")
	}
	var c int // the discarded part compared with half a unit
	if s > v.mag.BitLen()+1 {
		q, c = new(big.Int), -1 // everything is discarded, and it is below half
	} else {
		q = new(big.Int).Rsh(v.mag, uint(s))
		rem := new(big.Int).Sub(v.mag, new(big.Int).Lsh(q, uint(s)))
		c = rem.Cmp(new(big.Int).Lsh(big.NewInt(1), uint(s-1)))
	}
	inexact = new(big.Int).Lsh(q, uint(s)).Cmp(v.mag) != 0 || v.sticky
	switch rc {
	case RoundNearestEven:
		up = c > 0 || c == 0 && (v.sticky || q.Bit(0) == 1)
	case RoundDown:
		up = inexact && v.neg
	case RoundUp:
		up = inexact && !v.neg
	}
	if up {
		q.Add(q, big.NewInt(1))
	}
	return q, inexact, up
}

// refRound rounds a non-zero exact value to format f (SDM vol. 1, 4.9.1.4,
// 4.9.1.5, 8.5.4, 8.5.5).
func refRound(v refExact, f refFmt, env refEnv) refOut {
	if v.mag.Sign() == 0 {
		panic("reference: refRound of zero")
	}
	n := v.mag.BitLen()
	top := v.exp + n - 1 // exponent of the leading bit
	g1 := top - f.p + 1
	q1, inexact1, up1 := refRoundAt(v, g1, env.rc)
	e1 := top
	if q1.BitLen() > f.p {
		e1++
	}
	var o refOut
	o.ok = true
	switch {
	case e1 > f.emax:
		if env.masked(Overflow) {
			o.flags = Overflow | Inexact
			toInf := env.rc == RoundNearestEven || env.rc == RoundUp && !v.neg || env.rc == RoundDown && v.neg
			if toInf {
				o.val = refNum{neg: v.neg, inf: true}
				o.c1 = true
			} else {
				max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(f.p)), big.NewInt(1))
				o.val = refNum{neg: v.neg, sig: max, e: f.emax - f.p + 1}
			}
			return o
		}
		o.flags = Overflow
		if f.memory {
			o.ok = false
			return o
		}
		if inexact1 {
			o.flags |= Inexact
		}
		o.c1 = up1
		o.val = refNum{neg: v.neg, sig: q1, e: g1 - 24576}
		return o
	case e1 < f.emin:
		if env.masked(Underflow) {
			g2 := f.emin - f.p + 1
			q2, inexact2, up2 := refRoundAt(v, g2, env.rc)
			if inexact2 {
				o.flags = Underflow | Inexact
			}
			o.c1 = up2
			o.val = refNum{neg: v.neg, sig: q2, e: g2}
			return o
		}
		o.flags = Underflow
		if f.memory {
			o.ok = false
			return o
		}
		if inexact1 {
			o.flags |= Inexact
		}
		o.c1 = up1
		o.val = refNum{neg: v.neg, sig: q1, e: g1 + 24576}
		return o
	}
	if inexact1 {
		o.flags = Inexact
	}
	o.c1 = up1
	o.val = refNum{neg: v.neg, sig: q1, e: g1}
	return o
}

// refEncodeExt encodes a result in the register format.
func refEncodeExt(r refNum) F80 {
	var se uint16
	if r.neg {
		se = 0x8000
	}
	if r.inf {
		return F80{Mant: 1 << 63, SE: se | 0x7FFF}
	}
	if r.sig == nil || r.sig.Sign() == 0 {
		return F80{SE: se}
	}
	n := r.sig.BitLen()
	top := r.e + n - 1
	biased := top + 16383
	if biased >= 1 {
		m := new(big.Int)
		if n <= 64 {
			m.Lsh(r.sig, uint(64-n))
		} else {
			m.Rsh(r.sig, uint(n-64)) // only zero bits are dropped
		}
		if biased >= 0x7FFF {
			panic("reference: exponent out of range")
		}
		return F80{Mant: m.Uint64(), SE: se | uint16(biased)}
	}
	// Denormal: value = mant × 2^(−16382−63).
	m := new(big.Int).Lsh(r.sig, uint(r.e+16445))
	return F80{Mant: m.Uint64(), SE: se}
}

// refEncodeSgl encodes a result as float32 bits.
func refEncodeSgl(r refNum) uint32 {
	var s uint32
	if r.neg {
		s = 1 << 31
	}
	if r.inf {
		return s | 0x7F800000
	}
	if r.sig == nil || r.sig.Sign() == 0 {
		return s
	}
	n := r.sig.BitLen()
	top := r.e + n - 1
	if top >= -126 {
		m := new(big.Int)
		if n > 24 { // carried: only zero bits are dropped
			m.Rsh(r.sig, uint(n-24))
		} else {
			m.Lsh(r.sig, uint(24-n))
		}
		return s | uint32(top+127)<<23 | uint32(m.Uint64())&0x7FFFFF
	}
	return s | uint32(new(big.Int).Lsh(r.sig, uint(r.e+149)).Uint64())
}

// refEncodeDbl encodes a result as float64 bits.
func refEncodeDbl(r refNum) uint64 {
	var s uint64
	if r.neg {
		s = 1 << 63
	}
	if r.inf {
		return s | 0x7FF0000000000000
	}
	if r.sig == nil || r.sig.Sign() == 0 {
		return s
	}
	n := r.sig.BitLen()
	top := r.e + n - 1
	if top >= -1022 {
		m := new(big.Int)
		if n > 53 {
			m.Rsh(r.sig, uint(n-53))
		} else {
			m.Lsh(r.sig, uint(53-n))
		}
		return s | uint64(top+1023)<<52 | m.Uint64()&(1<<52-1)
	}
	return s | new(big.Int).Lsh(r.sig, uint(r.e+1074)).Uint64()
}

// Operand decoding, from the fields alone (SDM vol. 1, tables 4-3, 8-3).

type refKind int

const (
	rkZero refKind = iota
	rkFinite
	rkDenormal // exponent field 0, including pseudo-denormals
	rkInf
	rkQNaN
	rkSNaN
	rkUnsupported
)

func refKindOf(x F80) refKind {
	e := x.SE & 0x7FFF
	j := x.Mant>>63 == 1
	switch {
	case e == 0 && x.Mant == 0:
		return rkZero
	case e == 0:
		return rkDenormal
	case e == 0x7FFF && !j, e != 0x7FFF && !j:
		return rkUnsupported
	case e == 0x7FFF && x.Mant<<1 == 0:
		return rkInf
	case e == 0x7FFF && x.Mant>>62&1 == 1:
		return rkQNaN
	case e == 0x7FFF:
		return rkSNaN
	}
	return rkFinite
}

func refNeg(x F80) bool { return x.SE>>15 == 1 }

// refValue returns the exact value of a finite x.
func refValue(x F80) refExact {
	e := int(x.SE & 0x7FFF)
	if e == 0 {
		e = 1
	}
	return refExact{neg: refNeg(x), mag: new(big.Int).SetUint64(x.Mant), exp: e - 16383 - 63}
}

var refIndefinite = F80{Mant: 0xC000000000000000, SE: 0xFFFF}

func refInvalid(env refEnv) refOut {
	if !env.masked(InvalidOperation) {
		return refOut{flags: InvalidOperation}
	}
	return refOut{isNaN: true, nan: refIndefinite, flags: InvalidOperation, ok: true}
}

// refNaNResult applies SDM vol. 1 table 4-7 (x87 column).
func refNaNResult(a, b F80, env refEnv) refOut {
	ka, kb := refKindOf(a), refKindOf(b)
	var flags Exceptions
	if ka == rkSNaN || kb == rkSNaN {
		flags = InvalidOperation
		if !env.masked(InvalidOperation) {
			return refOut{flags: flags}
		}
	}
	isNaN := func(k refKind) bool { return k == rkQNaN || k == rkSNaN }
	var r F80
	switch {
	case isNaN(ka) && isNaN(kb):
		switch {
		case ka == rkQNaN && kb == rkSNaN:
			r = a
		case ka == rkSNaN && kb == rkQNaN:
			r = b
		case a.Mant > b.Mant:
			r = a
		case b.Mant > a.Mant:
			r = b
		case !refNeg(a):
			r = a
		default:
			r = b
		}
	case isNaN(ka):
		r = a
	default:
		r = b
	}
	r.Mant |= 1 << 62
	return refOut{isNaN: true, nan: r, flags: flags, ok: true}
}

func refSpecial(v refNum, flags Exceptions) refOut {
	return refOut{val: v, flags: flags, ok: true}
}

// refDenormal signals DE; it returns done=true with the outcome when DE is
// unmasked.
func refDenormal(env refEnv, flags *Exceptions) (refOut, bool) {
	*flags |= DenormalOperand
	if !env.masked(DenormalOperand) {
		return refOut{flags: *flags}, true
	}
	return refOut{}, false
}

func refAddSub(a, b F80, sub bool, aDen, bDen bool, env refEnv) refOut {
	ka, kb := refKindOf(a), refKindOf(b)
	if ka == rkUnsupported || kb == rkUnsupported {
		return refInvalid(env)
	}
	if ka >= rkQNaN || kb >= rkQNaN {
		return refNaNResult(a, b, env)
	}
	na, nb := refNeg(a), refNeg(b) != sub
	if ka == rkInf && kb == rkInf && na != nb {
		return refInvalid(env)
	}
	var flags Exceptions
	if ka == rkDenormal || kb == rkDenormal || aDen || bDen {
		if o, done := refDenormal(env, &flags); done {
			return o
		}
	}
	if ka == rkInf {
		return refSpecial(refNum{neg: na, inf: true}, flags)
	}
	if kb == rkInf {
		return refSpecial(refNum{neg: nb, inf: true}, flags)
	}
	var sum *big.Int
	exp := 0
	switch {
	case ka == rkZero && kb == rkZero:
		sum = new(big.Int)
	case ka == rkZero:
		vb := refValue(b)
		sum, exp = vb.mag, vb.exp
		if nb {
			sum = new(big.Int).Neg(sum)
		}
	case kb == rkZero:
		va := refValue(a)
		sum, exp = va.mag, va.exp
		if na {
			sum = new(big.Int).Neg(sum)
		}
	default:
		va, vb := refValue(a), refValue(b)
		if va.exp+va.mag.BitLen() < vb.exp+vb.mag.BitLen() {
			va, vb, na, nb = vb, va, nb, na
		}
		if k := 70 - va.mag.BitLen(); vb.exp+vb.mag.BitLen() <= va.exp-k {
			// |b| < u = 2^(va.exp−k): |a| = ma·2^k·u (at least 70 bits), so
			// |a| ± |b| = (ma·2^k + δ)·u with 0 < δ < 1 for a sum, or
			// (ma·2^k − 1 + δ)·u with 0 < δ < 1 for a difference.
			m := new(big.Int).Lsh(va.mag, uint(k))
			if na != nb {
				m.Sub(m, big.NewInt(1))
			}
			o := refRound(refExact{neg: na, mag: m, exp: va.exp - k, sticky: true}, env.arithFmt(), env)
			o.flags |= flags
			return o
		}
		exp = min(va.exp, vb.exp)
		x := new(big.Int).Lsh(va.mag, uint(va.exp-exp))
		y := new(big.Int).Lsh(vb.mag, uint(vb.exp-exp))
		if na {
			x.Neg(x)
		}
		if nb {
			y.Neg(y)
		}
		sum = x.Add(x, y)
	}
	if sum.Sign() == 0 {
		neg := env.rc == RoundDown
		if ka == rkZero && kb == rkZero && na == nb {
			neg = na
		}
		return refSpecial(refNum{neg: neg}, flags)
	}
	o := refRound(refExact{neg: sum.Sign() < 0, mag: new(big.Int).Abs(sum), exp: exp}, env.arithFmt(), env)
	o.flags |= flags
	return o
}

func refMul(a, b F80, aDen, bDen bool, env refEnv) refOut {
	ka, kb := refKindOf(a), refKindOf(b)
	if ka == rkUnsupported || kb == rkUnsupported {
		return refInvalid(env)
	}
	if ka >= rkQNaN || kb >= rkQNaN {
		return refNaNResult(a, b, env)
	}
	neg := refNeg(a) != refNeg(b)
	if ka == rkInf && kb == rkZero || ka == rkZero && kb == rkInf {
		return refInvalid(env)
	}
	var flags Exceptions
	if ka == rkDenormal || kb == rkDenormal || aDen || bDen {
		if o, done := refDenormal(env, &flags); done {
			return o
		}
	}
	if ka == rkInf || kb == rkInf {
		return refSpecial(refNum{neg: neg, inf: true}, flags)
	}
	if ka == rkZero || kb == rkZero {
		return refSpecial(refNum{neg: neg}, flags)
	}
	va, vb := refValue(a), refValue(b)
	o := refRound(refExact{neg: neg, mag: new(big.Int).Mul(va.mag, vb.mag), exp: va.exp + vb.exp}, env.arithFmt(), env)
	o.flags |= flags
	return o
}

func refDiv(a, b F80, aDen, bDen bool, env refEnv) refOut {
	ka, kb := refKindOf(a), refKindOf(b)
	if ka == rkUnsupported || kb == rkUnsupported {
		return refInvalid(env)
	}
	if ka >= rkQNaN || kb >= rkQNaN {
		return refNaNResult(a, b, env)
	}
	neg := refNeg(a) != refNeg(b)
	if ka == rkInf && kb == rkInf || ka == rkZero && kb == rkZero {
		return refInvalid(env)
	}
	if kb == rkZero && ka != rkInf {
		if !env.masked(ZeroDivide) {
			return refOut{flags: ZeroDivide}
		}
		return refSpecial(refNum{neg: neg, inf: true}, ZeroDivide)
	}
	var flags Exceptions
	if ka == rkDenormal || kb == rkDenormal || aDen || bDen {
		if o, done := refDenormal(env, &flags); done {
			return o
		}
	}
	if ka == rkInf || kb == rkZero {
		return refSpecial(refNum{neg: neg, inf: true}, flags)
	}
	if ka == rkZero || kb == rkInf {
		return refSpecial(refNum{neg: neg}, flags)
	}
	va, vb := refValue(a), refValue(b)
	const extra = 140
	q, r := new(big.Int).QuoRem(new(big.Int).Lsh(va.mag, extra), vb.mag, new(big.Int))
	o := refRound(refExact{neg: neg, mag: q, exp: va.exp - vb.exp - extra, sticky: r.Sign() != 0}, env.arithFmt(), env)
	o.flags |= flags
	return o
}

func refSqrt(a F80, env refEnv) refOut {
	k := refKindOf(a)
	switch {
	case k == rkUnsupported:
		return refInvalid(env)
	case k >= rkQNaN:
		return refNaNResult(a, a, env)
	case k == rkZero:
		return refSpecial(refNum{neg: refNeg(a)}, 0)
	case refNeg(a):
		return refInvalid(env)
	case k == rkInf:
		return refSpecial(refNum{inf: true}, 0)
	}
	var flags Exceptions
	if k == rkDenormal {
		if o, done := refDenormal(env, &flags); done {
			return o
		}
	}
	v := refValue(a)
	m, e := new(big.Int).Set(v.mag), v.exp
	if e&1 != 0 {
		m.Lsh(m, 1)
		e--
	}
	m.Lsh(m, 160)
	e -= 160
	root := new(big.Int).Sqrt(m)
	sticky := new(big.Int).Mul(root, root).Cmp(m) != 0
	o := refRound(refExact{mag: root, exp: e / 2, sticky: sticky}, env.arithFmt(), env)
	o.flags |= flags
	return o
}

// refToInt models FIST/FISTP for a width of 16, 32 or 64 bits.
func refToInt(x F80, width int, env refEnv) (int64, Exceptions, bool, bool) {
	indefinite := int64(-1) << (width - 1)
	invalid := func() (int64, Exceptions, bool, bool) {
		if !env.masked(InvalidOperation) {
			return 0, InvalidOperation, false, false
		}
		return indefinite, InvalidOperation, false, true
	}
	switch refKindOf(x) {
	case rkZero:
		return 0, 0, false, true
	case rkFinite, rkDenormal:
	default:
		return invalid()
	}
	q, inexact, up := refRoundAt(refValue(x), 0, env.rc)
	if refNeg(x) {
		q.Neg(q)
	}
	lo := new(big.Int).Lsh(big.NewInt(-1), uint(width-1))
	hi := new(big.Int).Sub(new(big.Int).Neg(lo), big.NewInt(1))
	if q.Cmp(lo) < 0 || q.Cmp(hi) > 0 {
		return invalid()
	}
	var flags Exceptions
	if inexact {
		flags = Inexact
	}
	return q.Int64(), flags, up, true
}

// refToBCD models FBSTP.
func refToBCD(x F80, env refEnv) ([10]byte, Exceptions, bool, bool) {
	invalid := func() ([10]byte, Exceptions, bool, bool) {
		if !env.masked(InvalidOperation) {
			return [10]byte{}, InvalidOperation, false, false
		}
		return [10]byte{7: 0xC0, 8: 0xFF, 9: 0xFF}, InvalidOperation, false, true
	}
	var q *big.Int
	var inexact, up bool
	switch refKindOf(x) {
	case rkZero:
		q = new(big.Int)
	case rkFinite, rkDenormal:
		q, inexact, up = refRoundAt(refValue(x), 0, env.rc)
	default:
		return invalid()
	}
	if q.Cmp(big.NewInt(999999999999999999)) > 0 {
		return invalid()
	}
	var b [10]byte
	digits := q.String()
	for i := 0; i < len(digits); i++ {
		d := digits[len(digits)-1-i] - '0'
		b[i/2] |= d << (4 * (i % 2))
	}
	if refNeg(x) {
		b[9] = 0x80
	}
	var flags Exceptions
	if inexact {
		flags = Inexact
	}
	return b, flags, up, true
}

// refFromBig converts a finite big.Float exactly to a refExact.
func refFromBig(f *big.Float) refExact {
	m := new(big.Float)
	e := f.MantExp(m)
	m.Abs(m)
	m.SetMantExp(m, 1100)
	i, acc := m.Int(nil)
	if acc != big.Exact {
		panic("reference: inexact big.Float conversion")
	}
	return refExact{neg: f.Signbit(), mag: i, exp: e - 1100}
}

// refLoadFloat models FLD m32fp (single=true) and FLD m64fp.
func refLoadFloat(bits uint64, single bool, env refEnv) refOut {
	var f float64
	var isNaN, isSNaN, denormal bool
	var nan F80
	if single {
		b := uint32(bits)
		f = float64(math.Float32frombits(b))
		if b&0x7F800000 == 0x7F800000 && b&0x7FFFFF != 0 {
			isNaN, isSNaN = true, b&0x400000 == 0
			nan = F80{Mant: 1<<63 | uint64(b&0x7FFFFF)<<40, SE: uint16(b>>31)<<15 | 0x7FFF}
		}
		denormal = b&0x7F800000 == 0 && b&0x7FFFFF != 0
	} else {
		f = math.Float64frombits(bits)
		if bits&0x7FF0000000000000 == 0x7FF0000000000000 && bits&(1<<52-1) != 0 {
			isNaN, isSNaN = true, bits&(1<<51) == 0
			nan = F80{Mant: 1<<63 | (bits&(1<<52-1))<<11, SE: uint16(bits>>63)<<15 | 0x7FFF}
		}
		denormal = bits&0x7FF0000000000000 == 0 && bits&(1<<52-1) != 0
	}
	var flags Exceptions
	switch {
	case isNaN:
		if isSNaN {
			flags = InvalidOperation
			if !env.masked(InvalidOperation) {
				return refOut{flags: flags}
			}
		}
		nan.Mant |= 1 << 62
		return refOut{isNaN: true, nan: nan, flags: flags, ok: true}
	case math.IsInf(f, 0):
		return refSpecial(refNum{neg: f < 0, inf: true}, 0)
	case f == 0:
		return refSpecial(refNum{neg: math.Signbit(f)}, 0)
	}
	if denormal {
		if o, done := refDenormal(env, &flags); done {
			return o
		}
	}
	v := refFromBig(new(big.Float).SetFloat64(f))
	return refSpecial(refNum{neg: v.neg, sig: v.mag, e: v.exp}, flags)
}

// refStoreFloat models FST m32fp (single=true) and FST m64fp; it returns
// the stored bits.
func refStoreFloat(x F80, single bool, env refEnv) (uint64, Exceptions, bool, bool) {
	k := refKindOf(x)
	neg := refNeg(x)
	var sign uint64
	if neg {
		sign = 1
	}
	switch k {
	case rkUnsupported:
		if !env.masked(InvalidOperation) {
			return 0, InvalidOperation, false, false
		}
		if single {
			return 0xFFC00000, InvalidOperation, false, true
		}
		return 0xFFF8000000000000, InvalidOperation, false, true
	case rkQNaN, rkSNaN:
		var flags Exceptions
		if k == rkSNaN {
			flags = InvalidOperation
			if !env.masked(InvalidOperation) {
				return 0, flags, false, false
			}
		}
		if single {
			return sign<<31 | 0x7FC00000 | x.Mant>>40&0x7FFFFF, flags, false, true
		}
		return sign<<63 | 0x7FF8000000000000 | x.Mant>>11&(1<<52-1), flags, false, true
	case rkInf:
		if single {
			return sign<<31 | 0x7F800000, 0, false, true
		}
		return sign<<63 | 0x7FF0000000000000, 0, false, true
	case rkZero:
		if single {
			return sign << 31, 0, false, true
		}
		return sign << 63, 0, false, true
	}
	f := refDbl
	if single {
		f = refSgl
	}
	o := refRound(refValue(x), f, env)
	if !o.ok {
		return 0, o.flags, o.c1, false
	}
	if single {
		return uint64(refEncodeSgl(o.val)), o.flags, o.c1, true
	}
	return refEncodeDbl(o.val), o.flags, o.c1, true
}

// refCompare models FCOM (quiet=false) and FUCOM (quiet=true).
func refCompare(a, b F80, aDen, bDen, quiet bool, env refEnv) (Ordering, Exceptions, bool) {
	ka, kb := refKindOf(a), refKindOf(b)
	signal := ka == rkUnsupported || kb == rkUnsupported || ka == rkSNaN || kb == rkSNaN ||
		!quiet && (ka == rkQNaN || kb == rkQNaN)
	if signal {
		return Unordered, InvalidOperation, env.masked(InvalidOperation)
	}
	if ka == rkQNaN || kb == rkQNaN {
		return Unordered, 0, true
	}
	var flags Exceptions
	if ka == rkDenormal || kb == rkDenormal || aDen || bDen {
		flags = DenormalOperand
		if !env.masked(DenormalOperand) {
			return Unordered, flags, false
		}
	}
	toBig := func(x F80, k refKind) *big.Float {
		switch k {
		case rkZero:
			return new(big.Float)
		case rkInf:
			return new(big.Float).SetInf(refNeg(x))
		}
		v := refValue(x)
		f := new(big.Float).SetInt(v.mag)
		f.SetMantExp(f, v.exp)
		if v.neg {
			f.Neg(f)
		}
		return f
	}
	switch toBig(a, ka).Cmp(toBig(b, kb)) {
	case -1:
		return Less, flags, true
	case 1:
		return Greater, flags, true
	}
	return Equal, flags, true
}

// refResultF80 encodes an outcome's register result.
func (o refOut) resultF80() F80 {
	if o.isNaN {
		return o.nan
	}
	return refEncodeExt(o.val)
}

// refTopExp returns floor(log2 |v|) of a non-zero exact value.
func refTopExp(v refExact) int { return v.exp + v.mag.BitLen() - 1 }

// refRemainder models FPREM (nearest=false) and FPREM1 (nearest=true). It
// returns the outcome, the quotient's low three bits and the partial flag.
func refRemainder(x, y F80, nearest bool, env refEnv) (refOut, uint8, bool) {
	kx, ky := refKindOf(x), refKindOf(y)
	switch {
	case kx == rkUnsupported || ky == rkUnsupported:
		return refInvalid(env), 0, false
	case kx >= rkQNaN || ky >= rkQNaN:
		return refNaNResult(x, y, env), 0, false
	case kx == rkInf || ky == rkZero:
		return refInvalid(env), 0, false
	}
	var flags Exceptions
	if kx == rkDenormal || ky == rkDenormal {
		if o, done := refDenormal(env, &flags); done {
			return o, 0, false
		}
	}
	if kx == rkZero || ky == rkInf {
		// The dividend unchanged (a denormal dividend goes through rounding,
		// which is exact, but an unmasked underflow still signals).
		if kx == rkZero {
			return refSpecial(refNum{neg: refNeg(x)}, flags), 0, false
		}
		o := refRound(refValue(x), refExt64, env)
		o.flags |= flags
		return o, 0, false
	}
	vx, vy := refValue(x), refValue(y)
	d := refTopExp(vx) - refTopExp(vy)
	partial := d >= 64
	modulus := refExact{mag: vy.mag, exp: vy.exp}
	if partial {
		modulus.exp += d - (32 + d%32)
	}
	// |x| = q·|m| + r exactly, on a common exponent.
	e := min(vx.exp, modulus.exp)
	xm := new(big.Int).Lsh(vx.mag, uint(vx.exp-e))
	mm := new(big.Int).Lsh(modulus.mag, uint(modulus.exp-e))
	q, r := new(big.Int).QuoRem(xm, mm, new(big.Int))
	neg := refNeg(x)
	if nearest && !partial {
		twice := new(big.Int).Lsh(r, 1)
		if c := twice.Cmp(mm); c > 0 || c == 0 && q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
			r.Sub(mm, r)
			neg = !neg
		}
	}
	var bits uint8
	if !partial {
		bits = uint8(q.Uint64() & 7)
	}
	if r.Sign() == 0 {
		return refSpecial(refNum{neg: refNeg(x)}, flags), bits, partial
	}
	o := refRound(refExact{neg: neg, mag: r, exp: e}, refExt64, env)
	o.flags |= flags
	return o, bits, partial
}

// refScale models FSCALE.
func refScale(x, s F80, env refEnv) refOut {
	kx, ks := refKindOf(x), refKindOf(s)
	switch {
	case kx == rkUnsupported || ks == rkUnsupported:
		return refInvalid(env)
	case kx >= rkQNaN || ks >= rkQNaN:
		return refNaNResult(x, s, env)
	case kx == rkInf && ks == rkInf && refNeg(s), kx == rkZero && ks == rkInf && !refNeg(s):
		return refInvalid(env)
	}
	var flags Exceptions
	if kx == rkDenormal || ks == rkDenormal {
		if o, done := refDenormal(env, &flags); done {
			return o
		}
	}
	switch {
	case kx == rkInf:
		return refSpecial(refNum{neg: refNeg(x), inf: true}, flags)
	case kx == rkZero:
		return refSpecial(refNum{neg: refNeg(x)}, flags)
	case ks == rkInf:
		return refSpecial(refNum{neg: refNeg(x), inf: !refNeg(s)}, flags)
	}
	n := 0
	if ks != rkZero {
		q, _, _ := refRoundAt(refValue(s), 0, RoundTowardZero)
		if q.BitLen() > 20 {
			q.SetInt64(1 << 20) // far beyond any representable result
		}
		n = int(q.Int64())
		if refNeg(s) {
			n = -n
		}
	}
	v := refValue(x)
	v.exp += n
	o := refRound(v, refExt64, env)
	if o.ok && !o.val.inf && o.val.sig != nil && o.val.sig.Sign() != 0 {
		// A bias-adjusted result still out of range is a signed ∞ or 0
		// (SDM vol. 1, 8.5.4).
		top := o.val.e + o.val.sig.BitLen() - 1 + 16383
		if top >= 0x7FFF {
			o.val = refNum{neg: o.val.neg, inf: true}
		} else if top < 1 && !env.masked(Underflow) {
			o.val = refNum{neg: o.val.neg}
		}
	}
	o.flags |= flags
	return o
}
