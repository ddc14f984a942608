package float80

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// F80 is an x87 double extended-precision value (SDM vol. 1, 4.2.2, figure 4-3).
type F80 struct {
	// Mant is the 64-bit significand. Bit 63 is the explicit integer bit (J),
	// bits 62..0 are the fraction.
	Mant uint64
	// SE holds the sign in bit 15 and the 15-bit biased exponent in bits 14..0.
	SE uint16
}

const (
	// ExponentBias is the bias of the 15-bit exponent.
	ExponentBias = 16383
	// MaxExponent is the biased exponent of infinities and NaNs.
	MaxExponent = 0x7FFF

	signBit  = 0x8000
	expMask  = 0x7FFF
	intBit   = uint64(1) << 63
	quietBit = uint64(1) << 62

	// biasAdjust is the exponent adjustment of results delivered with an
	// unmasked overflow (subtracted) or underflow (added) exception
	// (SDM vol. 1, 8.5.4, 8.5.5).
	biasAdjust = 24576
)

// Frequently used values. They must not be modified.
var (
	PosZero = F80{SE: 0}
	NegZero = F80{SE: signBit}
	One     = F80{Mant: intBit, SE: ExponentBias}
	PosInf  = F80{Mant: intBit, SE: MaxExponent}
	NegInf  = F80{Mant: intBit, SE: signBit | MaxExponent}
	// Indefinite is the real indefinite QNaN, the masked response to an
	// invalid operation (SDM vol. 1, 4.8.3.7, table 4-3).
	Indefinite = F80{Mant: 0xC000000000000000, SE: 0xFFFF}
)

// New assembles a value from its fields. biasedExp is masked to 15 bits.
func New(negative bool, biasedExp uint16, mant uint64) F80 {
	se := biasedExp & expMask
	if negative {
		se |= signBit
	}
	return F80{Mant: mant, SE: se}
}

// FromBytes decodes the 10-byte little-endian memory form (m80fp).
func FromBytes(b [10]byte) F80 {
	return F80{Mant: binary.LittleEndian.Uint64(b[0:8]), SE: binary.LittleEndian.Uint16(b[8:10])}
}

// Bytes encodes x in the 10-byte little-endian memory form (m80fp).
func (x F80) Bytes() [10]byte {
	var b [10]byte
	binary.LittleEndian.PutUint64(b[0:8], x.Mant)
	binary.LittleEndian.PutUint16(b[8:10], x.SE)
	return b
}

// Negative reports whether the sign bit is set.
func (x F80) Negative() bool { return x.SE&signBit != 0 }

// BiasedExponent returns the 15-bit biased exponent field.
func (x F80) BiasedExponent() uint16 { return x.SE & expMask }

// Abs returns x with the sign bit cleared (FABS). No exception is possible.
func (x F80) Abs() F80 { return F80{Mant: x.Mant, SE: x.SE &^ signBit} }

// Neg returns x with the sign bit inverted (FCHS). No exception is possible.
func (x F80) Neg() F80 { return F80{Mant: x.Mant, SE: x.SE ^ signBit} }

// withSign returns x with the sign bit set to neg.
func (x F80) withSign(neg bool) F80 {
	if neg {
		return F80{Mant: x.Mant, SE: x.SE | signBit}
	}
	return F80{Mant: x.Mant, SE: x.SE &^ signBit}
}

// Class is the encoding class of an F80 value (SDM vol. 1, tables 4-3 and 8-3).
type Class uint8

// Encoding classes. Pseudo-NaNs, pseudo-infinities and unnormals are
// unsupported: the 387 and later processors signal an invalid-operation
// exception when they are used as operands.
const (
	ClassZero           Class = iota // exponent 0, significand 0
	ClassDenormal                    // exponent 0, J=0, fraction non-zero
	ClassPseudoDenormal              // exponent 0, J=1
	ClassNormal                      // exponent 1..7FFEh, J=1
	ClassInfinity                    // exponent 7FFFh, J=1, fraction 0
	ClassQNaN                        // exponent 7FFFh, J=1, bit 62 set
	ClassSNaN                        // exponent 7FFFh, J=1, bit 62 clear, fraction non-zero
	ClassPseudoNaN                   // exponent 7FFFh, J=0, fraction non-zero
	ClassPseudoInfinity              // exponent 7FFFh, J=0, fraction 0
	ClassUnnormal                    // exponent 1..7FFEh, J=0
)

var classNames = [...]string{"zero", "denormal", "pseudo-denormal", "normal", "infinity",
	"QNaN", "SNaN", "pseudo-NaN", "pseudo-infinity", "unnormal"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// Unsupported reports whether the class is an encoding the 387 and later
// reject as an invalid operand.
func (c Class) Unsupported() bool { return c >= ClassPseudoNaN }

// IsNaN reports whether the class is a QNaN or SNaN.
func (c Class) IsNaN() bool { return c == ClassQNaN || c == ClassSNaN }

// isDenormal reports whether using an operand of the class signals DE.
func (c Class) isDenormal() bool { return c == ClassDenormal || c == ClassPseudoDenormal }

// Class returns the encoding class of x.
func (x F80) Class() Class {
	e := x.SE & expMask
	j := x.Mant&intBit != 0
	switch e {
	case 0:
		switch {
		case x.Mant == 0:
			return ClassZero
		case j:
			return ClassPseudoDenormal
		default:
			return ClassDenormal
		}
	case MaxExponent:
		frac := x.Mant &^ intBit
		switch {
		case !j && frac == 0:
			return ClassPseudoInfinity
		case !j:
			return ClassPseudoNaN
		case frac == 0:
			return ClassInfinity
		case x.Mant&quietBit != 0:
			return ClassQNaN
		default:
			return ClassSNaN
		}
	default:
		if !j {
			return ClassUnnormal
		}
		return ClassNormal
	}
}

// IsNaN reports whether x is a QNaN or SNaN.
func (x F80) IsNaN() bool { return x.Class().IsNaN() }

// IsInf reports whether x is an infinity.
func (x F80) IsInf() bool { return x.Class() == ClassInfinity }

// IsZero reports whether x is ±0.
func (x F80) IsZero() bool { return x.SE&expMask == 0 && x.Mant == 0 }

// ExamineCodes returns the C3, C2 and C0 condition codes FXAM sets for a
// non-empty register (SDM vol. 2, FXAM; C1 is the sign). Pseudo-denormals
// report as denormals; the unsupported classes as "unsupported" (000).
func (x F80) ExamineCodes() (c3, c2, c0 bool) {
	switch x.Class() {
	case ClassQNaN, ClassSNaN:
		return false, false, true
	case ClassNormal:
		return false, true, false
	case ClassInfinity:
		return false, true, true
	case ClassZero:
		return true, false, false
	case ClassDenormal, ClassPseudoDenormal:
		return true, true, false
	default:
		return false, false, false
	}
}

// String formats x as sign, hexadecimal exponent and significand fields.
func (x F80) String() string {
	s := "+"
	if x.Negative() {
		s = "-"
	}
	return fmt.Sprintf("%s%04X:%016X(%s)", s, x.SE&expMask, x.Mant, x.Class())
}

// normalized returns the exponent and significand of a finite non-zero
// operand scaled so that bit 63 is set: x = mant × 2^(exp − 16383 − 63).
// exp is below 1 for denormals. Pseudo-denormals use exponent 1 (SDM vol. 1,
// 8.2.2).
func normalized(x F80) (exp int32, mant uint64) {
	exp = int32(x.SE & expMask)
	mant = x.Mant
	if exp == 0 {
		exp = 1
		lz := bits.LeadingZeros64(mant)
		mant <<= uint(lz)
		exp -= int32(lz)
	}
	return exp, mant
}

// quieted returns the NaN x with its quiet bit set.
func quieted(x F80) F80 { return F80{Mant: x.Mant | quietBit, SE: x.SE} }

// infinity returns ∞ with the given sign.
func infinity(neg bool) F80 { return PosInf.withSign(neg) }

// zero returns 0 with the given sign.
func zero(neg bool) F80 { return PosZero.withSign(neg) }
