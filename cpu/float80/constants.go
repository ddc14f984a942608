package float80

// Constant identifies one of the irrational constants of the x87
// load-constant instructions (SDM vol. 2, FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/
// FLDLN2/FLDZ). FLD1 and FLDZ load the exact values One and PosZero.
type Constant uint8

// Constants loaded by FLDL2T, FLDL2E, FLDPI, FLDLG2 and FLDLN2.
const (
	Log2Ten  Constant = iota // log2(10), FLDL2T
	Log2E                    // log2(e), FLDL2E
	Pi                       // π, FLDPI
	Log10Two                 // log10(2), FLDLG2
	LnTwo                    // ln(2), FLDLN2
)

// constantBits holds each constant's exponent and first 128 significand
// bits (truncated); every constant has non-zero bits beyond them.
var constantBits = [...]struct {
	se     uint16
	hi, lo uint64
}{
	Log2Ten:  {0x4000, 0xD49A784BCD1B8AFE, 0x492BF6FF4DAFDB4C},
	Log2E:    {0x3FFF, 0xB8AA3B295C17F0BB, 0xBE87FED0691D3E88},
	Pi:       {0x4000, 0xC90FDAA22168C234, 0xC4C6628B80DC1CD1},
	Log10Two: {0x3FFD, 0x9A209A84FBCFF798, 0x8F8959AC0B7C9178},
	LnTwo:    {0x3FFE, 0xB17217F7D1CF79AB, 0xC9E3B39803F2F6AF},
}

// Value returns the constant rounded per rc, as the load-constant
// instructions produce it. Loading a constant signals no exception and
// leaves C1 clear, although the value is inexact (SDM vol. 2, FLDPI).
func (c Constant) Value(rc RoundingControl) F80 {
	k := constantBits[c]
	m, carry, _, _ := roundSignificand(k.hi, k.lo|1, 64, rc, false)
	se := k.se
	if carry {
		se++
	}
	return F80{Mant: m, SE: se}
}

func (c Constant) String() string {
	switch c {
	case Log2Ten:
		return "log2(10)"
	case Log2E:
		return "log2(e)"
	case Pi:
		return "pi"
	case Log10Two:
		return "log10(2)"
	case LnTwo:
		return "ln(2)"
	}
	return "Constant(?)"
}
