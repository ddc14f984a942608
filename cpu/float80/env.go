package float80

import "strings"

// Exceptions is a set of x87 floating-point exceptions. The bit layout is
// that of the status word flags and of the control word masks (bits 0–5,
// SDM vol. 1, 8.1.3.3 and 8.1.5).
type Exceptions uint8

// The six x87 floating-point exceptions.
const (
	InvalidOperation Exceptions = 1 << iota // IE: invalid operation (#I)
	DenormalOperand                         // DE: denormal operand (#D)
	ZeroDivide                              // ZE: divide by zero (#Z)
	Overflow                                // OE: numeric overflow (#O)
	Underflow                               // UE: numeric underflow (#U)
	Inexact                                 // PE: inexact result / precision (#P)

	// AllExceptions is the set of all six exceptions.
	AllExceptions Exceptions = 0x3F
)

func (x Exceptions) String() string {
	names := [...]string{"IE", "DE", "ZE", "OE", "UE", "PE"}
	var parts []string
	for i, n := range names {
		if x&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// RoundingControl is the RC field of the control word (bits 10–11,
// SDM vol. 1, 4.8.4, table 4-8).
type RoundingControl uint8

// Rounding modes, with their RC encodings.
const (
	RoundNearestEven RoundingControl = 0 // round to nearest (even)
	RoundDown        RoundingControl = 1 // round toward −∞
	RoundUp          RoundingControl = 2 // round toward +∞
	RoundTowardZero  RoundingControl = 3 // round toward zero (truncate)
)

func (rc RoundingControl) String() string {
	switch rc & 3 {
	case RoundNearestEven:
		return "nearest"
	case RoundDown:
		return "down"
	case RoundUp:
		return "up"
	default:
		return "zero"
	}
}

// PrecisionControl is the PC field of the control word (bits 8–9,
// SDM vol. 1, 8.1.5.2, table 8-2).
type PrecisionControl uint8

// Precision control settings, with their PC encodings.
const (
	Precision24 PrecisionControl = 0 // single precision (24-bit significand)
	Precision53 PrecisionControl = 2 // double precision (53-bit significand)
	Precision64 PrecisionControl = 3 // double extended precision (64 bits); the FINIT default
)

// Bits returns the significand width selected by pc. The reserved encoding
// 01b is treated as 64 bits.
func (pc PrecisionControl) Bits() uint {
	switch pc & 3 {
	case Precision24:
		return 24
	case Precision53:
		return 53
	default:
		return 64
	}
}

func (pc PrecisionControl) String() string {
	switch pc & 3 {
	case Precision24:
		return "24-bit"
	case Precision53:
		return "53-bit"
	case Precision64:
		return "64-bit"
	default:
		return "reserved"
	}
}

// Env is the floating-point environment one operation runs in: the control
// word settings it reads and the status it reports.
//
// The zero Env rounds to nearest with 24-bit precision and all exceptions
// unmasked; use [NewEnv] with a control word (0x037F after FINIT) instead.
type Env struct {
	Rounding  RoundingControl
	Precision PrecisionControl
	// Masks holds the exception mask bits: a set bit masks the exception.
	Masks Exceptions
	// Flags accumulates the exceptions signalled, like the status word
	// flags: operations only ever set bits in it.
	Flags Exceptions
	// C1 reports, after each operation that rounds, whether the result's
	// significand was rounded up (away from zero). Every operation clears it
	// first (SDM vol. 1, 8.1.3.1; vol. 2, "FPU Flags Affected").
	C1 bool
}

// NewEnv returns an Env configured from an x87 control word.
func NewEnv(controlWord uint16) Env {
	var e Env
	e.SetControlWord(controlWord)
	return e
}

// SetControlWord loads the exception masks, precision control and rounding
// control from an x87 control word. Flags and C1 are left alone.
func (e *Env) SetControlWord(cw uint16) {
	e.Masks = Exceptions(cw) & AllExceptions
	e.Precision = PrecisionControl(cw>>8) & 3
	e.Rounding = RoundingControl(cw>>10) & 3
}

// ControlWord returns the control word bits the Env represents (bit 6, which
// always reads as 1, included; the infinity control bit 12 is left 0).
func (e *Env) ControlWord() uint16 {
	return uint16(e.Masks&AllExceptions) | 0x40 | uint16(e.Precision&3)<<8 | uint16(e.Rounding&3)<<10
}

// Unmasked returns the signalled exceptions whose masks are clear: when it is
// not empty the x87 sets the error-summary bit and raises #MF at the next
// waiting FPU instruction.
func (e *Env) Unmasked() Exceptions { return e.Flags &^ e.Masks & AllExceptions }

// signal records exceptions x and reports whether all of them are masked.
func (e *Env) signal(x Exceptions) bool {
	e.Flags |= x
	return x&^e.Masks == 0
}

// masked reports whether all of the exceptions x are masked.
func (e *Env) masked(x Exceptions) bool { return x&^e.Masks == 0 }

// invalid signals an invalid operation and returns the masked response, the
// real indefinite (SDM vol. 1, 8.5.1).
func (e *Env) invalid() (F80, bool) {
	if !e.signal(InvalidOperation) {
		return F80{}, false
	}
	return Indefinite, true
}

// denormalOperand signals DE and reports whether the operation may go on.
func (e *Env) denormalOperand() bool { return e.signal(DenormalOperand) }

// arithmeticPrecision returns the rounding format precision control selects.
func (e *Env) arithmeticPrecision() *format {
	switch e.Precision & 3 {
	case Precision24:
		return &formatReg24
	case Precision53:
		return &formatReg53
	default:
		return &formatReg64
	}
}
