package float80

import "math/bits"

// FromInt64 converts an integer exactly (FILD m16int/m32int/m64int; no
// exception is possible).
func FromInt64(v int64) F80 {
	if v == 0 {
		return PosZero
	}
	neg := v < 0
	mag := uint64(v)
	if neg {
		mag = -mag
	}
	return fromMagnitude(neg, mag)
}

// FromInt32 converts an integer exactly (FILD m32int).
func FromInt32(v int32) F80 { return FromInt64(int64(v)) }

// FromInt16 converts an integer exactly (FILD m16int).
func FromInt16(v int16) F80 { return FromInt64(int64(v)) }

// fromMagnitude returns ±mag exactly; mag 0 gives a signed zero.
func fromMagnitude(neg bool, mag uint64) F80 {
	if mag == 0 {
		return zero(neg)
	}
	lz := bits.LeadingZeros64(mag)
	return New(neg, uint16(ExponentBias+63-lz), mag<<uint(lz))
}

// ToInt16 converts x to an integer rounded per RC (FIST/FISTP m16int).
// NaNs, infinities, unsupported encodings and out-of-range values signal IE;
// the masked response is the integer indefinite 8000h (SDM vol. 2, FIST).
func (e *Env) ToInt16(x F80) (int16, bool) {
	v, ok := e.toInt(x, 16)
	return int16(v), ok
}

// ToInt32 converts x to an integer rounded per RC (FIST/FISTP m32int).
func (e *Env) ToInt32(x F80) (int32, bool) {
	v, ok := e.toInt(x, 32)
	return int32(v), ok
}

// ToInt64 converts x to an integer rounded per RC (FISTP m64int).
func (e *Env) ToInt64(x F80) (int64, bool) { return e.toInt(x, 64) }

func (e *Env) toInt(x F80, width uint) (int64, bool) {
	e.C1 = false
	indefinite := int64(-1) << (width - 1)
	neg, mag, ok := e.roundToInteger(x, width-1)
	if !ok {
		if !e.signal(InvalidOperation) {
			return 0, false
		}
		return indefinite, true
	}
	if neg {
		return -int64(mag), true
	}
	return int64(mag), true
}

// roundToInteger rounds a supported finite x to an integer per RC and checks
// that its magnitude fits in valueBits bits (one more for the most negative
// value). It sets PE and C1 for an inexact in-range result, and returns
// ok=false (without flags) for NaN, ∞, unsupported or out-of-range operands.
// Denormal operands signal nothing (SDM vol. 2, FIST, FBSTP).
func (e *Env) roundToInteger(x F80, valueBits uint) (neg bool, mag uint64, ok bool) {
	c := x.Class()
	neg = x.Negative()
	switch {
	case c == ClassZero:
		return neg, 0, true
	case c != ClassNormal && !c.isDenormal():
		return neg, 0, false
	}
	exp, m := normalized(x)
	limit := uint64(1) << valueBits // largest magnitude, reachable only when negative
	shift := exp - ExponentBias - 63
	if shift >= 0 {
		// Already an integer, ≥ 2^63.
		if shift == 0 && m == limit && neg && valueBits == 63 {
			return neg, m, true
		}
		return neg, 0, false
	}
	intPart, up, inexact := roundShiftRight(m, uint(min(-shift, 127)), e.Rounding, neg)
	if intPart > limit || intPart == limit && !neg {
		return neg, 0, false
	}
	if inexact {
		e.Flags |= Inexact
		e.C1 = up
	}
	return neg, intPart, true
}

// roundShiftRight returns m/2^n rounded to an integer per rc (n ≥ 1), with
// the round-up and inexact indications.
func roundShiftRight(m uint64, n uint, rc RoundingControl, neg bool) (q uint64, up, inexact bool) {
	var rest uint64 // the discarded bits, left-aligned
	var sticky bool
	switch {
	case n < 64:
		q, rest = m>>n, m<<(64-n)
	case n == 64:
		q, rest = 0, m
	default:
		q, rest, sticky = 0, 0, m != 0
	}
	if rest == 0 && !sticky {
		return q, false, false
	}
	const half = uint64(1) << 63
	switch rc & 3 {
	case RoundNearestEven:
		up = rest > half || rest == half && (sticky || q&1 != 0)
	case RoundDown:
		up = neg
	case RoundUp:
		up = !neg
	}
	if up {
		q++
	}
	return q, up, true
}

// RoundToInt rounds x to an integral value per RC (FRNDINT). Precision
// control does not apply; denormal operands signal DE (SDM vol. 2, FRNDINT).
func (e *Env) RoundToInt(x F80) (F80, bool) {
	e.C1 = false
	c := x.Class()
	switch {
	case c.Unsupported():
		return e.invalid()
	case c.IsNaN():
		return e.propagateNaN(x, x)
	case c == ClassZero || c == ClassInfinity:
		return x, true
	}
	if c.isDenormal() && !e.denormalOperand() {
		return F80{}, false
	}
	exp, m := normalized(x)
	if exp >= ExponentBias+63 {
		return x, true // already integral
	}
	neg := x.Negative()
	q, up, inexact := roundShiftRight(m, uint(min(ExponentBias+63-exp, 127)), e.Rounding, neg)
	if inexact {
		e.Flags |= Inexact
		e.C1 = up
	}
	return fromMagnitude(neg, q), true
}

// widenFloat32 converts float32 bits exactly, keeping SNaNs signalling, and
// reports whether the source was a denormal.
func widenFloat32(b uint32) (F80, bool) {
	neg := b>>31 != 0
	exp := int32(b >> 23 & 0xFF)
	frac := uint64(b & 0x7FFFFF)
	switch exp {
	case 0xFF:
		return New(neg, MaxExponent, intBit|frac<<40), false
	case 0:
		if frac == 0 {
			return zero(neg), false
		}
		lz := bits.LeadingZeros64(frac)
		return New(neg, uint16(ExponentBias-126+40-lz), frac<<uint(lz)), true
	}
	return New(neg, uint16(exp-127+ExponentBias), intBit|frac<<40), false
}

// widenFloat64 is widenFloat32 for float64 bits.
func widenFloat64(b uint64) (F80, bool) {
	neg := b>>63 != 0
	exp := int32(b >> 52 & 0x7FF)
	frac := b & (1<<52 - 1)
	switch exp {
	case 0x7FF:
		return New(neg, MaxExponent, intBit|frac<<11), false
	case 0:
		if frac == 0 {
			return zero(neg), false
		}
		lz := bits.LeadingZeros64(frac)
		return New(neg, uint16(ExponentBias-1022+11-lz), frac<<uint(lz)), true
	}
	return New(neg, uint16(exp-1023+ExponentBias), intBit|frac<<11), false
}

// LoadFloat32 converts an m32fp value for FLD m32fp: exact, except that an
// SNaN signals IE and is quieted and a denormal signals DE
// (SDM vol. 2, FLD; vol. 1, 8.5.2).
func (e *Env) LoadFloat32(bits uint32) (F80, bool) {
	x, den := widenFloat32(bits)
	return e.load(x, den)
}

// LoadFloat64 converts an m64fp value for FLD m64fp.
func (e *Env) LoadFloat64(bits uint64) (F80, bool) {
	x, den := widenFloat64(bits)
	return e.load(x, den)
}

func (e *Env) load(x F80, denormal bool) (F80, bool) {
	e.C1 = false
	if x.Class() == ClassSNaN {
		if !e.signal(InvalidOperation) {
			return F80{}, false
		}
		return quieted(x), true
	}
	if denormal && !e.denormalOperand() {
		return F80{}, false
	}
	return x, true
}

// StoreFloat32 converts x for FST/FSTP m32fp: rounded per RC to single
// precision, with OE, UE and PE as for arithmetic results. Denormal operands
// do not signal DE; SNaN and unsupported operands signal IE; NaNs keep the
// top of their significand and are quieted (SDM vol. 2, FST). ok is false
// when an unmasked exception suppresses the store.
func (e *Env) StoreFloat32(x F80) (uint32, bool) {
	e.C1 = false
	c := x.Class()
	sign := uint32(signOf(x.Negative())) << 16
	switch {
	case c.Unsupported():
		if !e.signal(InvalidOperation) {
			return 0, false
		}
		return 0xFFC00000, true // single-precision real indefinite
	case c.IsNaN():
		if c == ClassSNaN && !e.signal(InvalidOperation) {
			return 0, false
		}
		return sign | 0x7FC00000 | uint32(x.Mant>>40)&0x7FFFFF, true
	case c == ClassInfinity:
		return sign | 0x7F800000, true
	case c == ClassZero:
		return sign, true
	}
	exp, m := normalized(x)
	r, ok := e.roundPack(x.Negative(), exp, m, 0, &formatMem32)
	if !ok {
		return 0, false
	}
	return encodeFloat32(r), true
}

// StoreFloat64 converts x for FST/FSTP m64fp (see StoreFloat32).
func (e *Env) StoreFloat64(x F80) (uint64, bool) {
	e.C1 = false
	c := x.Class()
	sign := uint64(signOf(x.Negative())) << 48
	switch {
	case c.Unsupported():
		if !e.signal(InvalidOperation) {
			return 0, false
		}
		return 0xFFF8000000000000, true // double-precision real indefinite
	case c.IsNaN():
		if c == ClassSNaN && !e.signal(InvalidOperation) {
			return 0, false
		}
		return sign | 0x7FF8000000000000 | x.Mant>>11&(1<<52-1), true
	case c == ClassInfinity:
		return sign | 0x7FF0000000000000, true
	case c == ClassZero:
		return sign, true
	}
	exp, m := normalized(x)
	r, ok := e.roundPack(x.Negative(), exp, m, 0, &formatMem64)
	if !ok {
		return 0, false
	}
	return encodeFloat64(r), true
}

// encodeFloat32 encodes a value produced by roundPack for formatMem32.
func encodeFloat32(r F80) uint32 {
	sign := uint32(signOf(r.Negative())) << 16
	c := r.Class()
	switch c {
	case ClassZero:
		return sign
	case ClassInfinity:
		return sign | 0x7F800000
	}
	exp := int32(r.SE&expMask) - ExponentBias + 127
	if exp >= 1 {
		return sign | uint32(exp)<<23 | uint32(r.Mant>>40)&0x7FFFFF
	}
	return sign | uint32(r.Mant>>uint(40+1-exp))
}

// encodeFloat64 encodes a value produced by roundPack for formatMem64.
func encodeFloat64(r F80) uint64 {
	sign := uint64(signOf(r.Negative())) << 48
	c := r.Class()
	switch c {
	case ClassZero:
		return sign
	case ClassInfinity:
		return sign | 0x7FF0000000000000
	}
	exp := int32(r.SE&expMask) - ExponentBias + 1023
	if exp >= 1 {
		return sign | uint64(exp)<<52 | r.Mant>>11&(1<<52-1)
	}
	return sign | r.Mant>>uint(11+1-exp)
}

// FromBCD converts an 18-digit packed BCD integer (FBLD m80bcd, 10 bytes,
// least significant digit pair first, sign in bit 7 of byte 9). The
// conversion is exact; −0 stays −0. Digits above 9 are undefined on the
// processor and are simply weighted by their position here.
func FromBCD(b [10]byte) F80 {
	var v uint64
	for i := 8; i >= 0; i-- {
		v = v*100 + uint64(b[i]>>4)*10 + uint64(b[i]&0xF)
	}
	return fromMagnitude(b[9]&0x80 != 0, v)
}

// BCDIndefinite is the packed BCD integer indefinite FBSTP stores as the
// masked response to an invalid operation (SDM vol. 1, table 4-4).
var BCDIndefinite = [10]byte{7: 0xC0, 8: 0xFF, 9: 0xFF}

// ToBCD converts x to an 18-digit packed BCD integer rounded per RC
// (FBSTP m80bcd). NaNs, infinities, unsupported encodings and magnitudes
// above 999999999999999999 after rounding signal IE; the masked response is
// BCDIndefinite. The sign of x is kept, even for a zero result.
func (e *Env) ToBCD(x F80) ([10]byte, bool) {
	e.C1 = false
	const maxBCD = 999999999999999999
	flags, c1 := e.Flags, e.C1
	neg, mag, ok := e.roundToInteger(x, 63)
	if ok && mag > maxBCD {
		e.Flags, e.C1 = flags, c1 // out of range: IE only, no PE
		ok = false
	}
	if !ok {
		if !e.signal(InvalidOperation) {
			return [10]byte{}, false
		}
		return BCDIndefinite, true
	}
	var b [10]byte
	for i := 0; i < 9; i++ {
		lo := mag % 10
		mag /= 10
		hi := mag % 10
		mag /= 10
		b[i] = byte(hi<<4 | lo)
	}
	if neg {
		b[9] = 0x80
	}
	return b, true
}
