package float80

import (
	"fmt"
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hand-written cases from the SDM tables: special operands for each
// operation, the NaN rules of table 4-7, the unsupported encodings of table
// 8-3, denormal operands and the masked and unmasked exception responses.

func f(x float64) F80 {
	v, _ := widenFloat64(math.Float64bits(x))
	return v
}

func hexF80(se uint16, mant uint64) F80 { return F80{Mant: mant, SE: se} }

// Representative operands.
var (
	pZero  = PosZero
	nZero  = NegZero
	pDen   = hexF80(0x0000, 0x0000000000000123) // +denormal
	nDen   = hexF80(0x8000, 0x4000000000000000) // −denormal
	pPDen  = hexF80(0x0000, 0x8000000000000001) // +pseudo-denormal
	pInf   = PosInf
	nInf   = NegInf
	qnanA  = hexF80(0x7FFF, 0xC000000000000001) // QNaN, small payload
	qnanB  = hexF80(0xFFFF, 0xE000000000000000) // −QNaN, larger payload
	snanA  = hexF80(0x7FFF, 0x8000000000000005) // SNaN, small payload
	snanB  = hexF80(0xFFFF, 0xA000000000000000) // −SNaN, larger payload
	pseudo = []F80{
		hexF80(0x7FFF, 0x4000000000000000), // pseudo-NaN (quiet pattern)
		hexF80(0x7FFF, 0x0000000000000001), // pseudo-NaN (signalling pattern)
		hexF80(0xFFFF, 0x0000000000000000), // pseudo-infinity
		hexF80(0x3FFF, 0x4000000000000000), // unnormal
		hexF80(0x0001, 0x0000000000000000), // pseudo-zero (an unnormal)
	}
	masked = Env{Masks: AllExceptions, Precision: Precision64}
)

// classValues is the SDM tables' operand order −∞, −F, −0, +0, +F, +∞, NaN.
var classNamesSDM = [...]string{"-inf", "-F", "-0", "+0", "+F", "+inf", "NaN"}

// sdmCell is the expected result of one table cell: "*" an invalid
// operation (indefinite), "**" a zero divide, "NaN" the QNaN operand, a
// literal such as "-0" or "+inf", "±0" (+0, or −0 when rounding down),
// "dest"/"src" (an operand unchanged), or a number.
func checkCell(t *testing.T, name string, cell string, got F80, ok bool, env Env, dest, src F80, qnan F80) {
	t.Helper()
	require.True(t, ok, name)
	switch cell {
	case "*":
		assert.Equal(t, Indefinite, got, name)
		assert.Equal(t, InvalidOperation, env.Flags, name)
	case "**":
		assert.True(t, got.IsInf(), name)
		assert.Equal(t, ZeroDivide, env.Flags, name)
	case "NaN":
		assert.Equal(t, quieted(qnan), got, name)
		assert.Zero(t, env.Flags&InvalidOperation, name)
	case "dest":
		assert.Equal(t, dest, got, name)
	case "src":
		assert.Equal(t, src, got, name)
	case "+0":
		assert.Equal(t, PosZero, got, name)
	case "-0":
		assert.Equal(t, NegZero, got, name)
	case "±0":
		if env.Rounding == RoundDown {
			assert.Equal(t, NegZero, got, name)
		} else {
			assert.Equal(t, PosZero, got, name)
		}
	case "+inf":
		assert.Equal(t, PosInf, got, name)
	case "-inf":
		assert.Equal(t, NegInf, got, name)
	default:
		var want float64
		_, err := fmt.Sscan(cell, &want)
		require.NoError(t, err, name)
		assert.Equal(t, f(want), got, name)
	}
}

// binaryTable runs an SDM result table: rows are the first operand of
// fn, columns the second, in classNamesSDM order, with the finite operands
// given.
func binaryTable(t *testing.T, op string, rowF, colF [2]float64, table [7][7]string,
	fn func(e *Env, a, b F80) (F80, bool)) {
	t.Helper()
	operand := func(i int, fin [2]float64) F80 {
		switch i {
		case 0:
			return NegInf
		case 1:
			return f(fin[0])
		case 2:
			return NegZero
		case 3:
			return PosZero
		case 4:
			return f(fin[1])
		case 5:
			return PosInf
		}
		return qnanA
	}
	for _, rc := range []RoundingControl{RoundNearestEven, RoundDown} {
		for i := range 7 {
			for j := range 7 {
				e := masked
				e.Rounding = rc
				a, b := operand(i, rowF), operand(j, colF)
				got, ok := fn(&e, a, b)
				name := fmt.Sprintf("%s %s,%s rc=%v", op, classNamesSDM[i], classNamesSDM[j], rc)
				checkCell(t, name, table[i][j], got, ok, e, a, b, qnanA)
			}
		}
	}
}

func TestSDMTableAdd(t *testing.T) {
	// FADD (SDM vol. 2, table 3-18), rows = ST(0) (dest), columns = source.
	binaryTable(t, "add", [2]float64{-3, 1.5}, [2]float64{-0.5, 2}, [7][7]string{
		{"-inf", "-inf", "-inf", "-inf", "-inf", "*", "NaN"},
		{"-inf", "-3.5", "dest", "dest", "-1", "+inf", "NaN"},
		{"-inf", "src", "-0", "±0", "src", "+inf", "NaN"},
		{"-inf", "src", "±0", "+0", "src", "+inf", "NaN"},
		{"-inf", "1", "dest", "dest", "3.5", "+inf", "NaN"},
		{"*", "+inf", "+inf", "+inf", "+inf", "+inf", "NaN"},
		{"NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"},
	}, (*Env).Add)
	// x + (−x) is +0, or −0 when rounding down.
	for _, rc := range []RoundingControl{RoundNearestEven, RoundDown, RoundUp, RoundTowardZero} {
		e := masked
		e.Rounding = rc
		r, _ := e.Add(f(1.25), f(-1.25))
		assert.Equal(t, rc == RoundDown, r.Negative(), rc.String())
		assert.True(t, r.IsZero())
	}
}

func TestSDMTableSub(t *testing.T) {
	// FSUB (table 3-39): dest − src, rows = src, columns = dest in the SDM;
	// here rows are the minuend.
	binaryTable(t, "sub", [2]float64{-3, 1.5}, [2]float64{-0.5, 2}, [7][7]string{
		{"*", "-inf", "-inf", "-inf", "-inf", "-inf", "NaN"},
		{"+inf", "-2.5", "dest", "dest", "-5", "-inf", "NaN"},
		{"+inf", "0.5", "±0", "-0", "-2", "-inf", "NaN"},
		{"+inf", "0.5", "+0", "±0", "-2", "-inf", "NaN"},
		{"+inf", "2", "dest", "dest", "-0.5", "-inf", "NaN"},
		{"+inf", "+inf", "+inf", "+inf", "+inf", "*", "NaN"},
		{"NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"},
	}, (*Env).Sub)
}

func TestSDMTableMul(t *testing.T) {
	// FMUL (table 3-27).
	binaryTable(t, "mul", [2]float64{-3, 1.5}, [2]float64{-0.5, 2}, [7][7]string{
		{"+inf", "+inf", "*", "*", "-inf", "-inf", "NaN"},
		{"+inf", "1.5", "+0", "-0", "-6", "-inf", "NaN"},
		{"*", "+0", "+0", "-0", "-0", "*", "NaN"},
		{"*", "-0", "-0", "+0", "+0", "*", "NaN"},
		{"-inf", "-0.75", "-0", "+0", "3", "+inf", "NaN"},
		{"-inf", "-inf", "*", "*", "+inf", "+inf", "NaN"},
		{"NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"},
	}, (*Env).Mul)
}

func TestSDMTableDiv(t *testing.T) {
	// FDIV (table 3-24): dividend rows, divisor columns.
	binaryTable(t, "div", [2]float64{-3, 1.5}, [2]float64{-0.5, 2}, [7][7]string{
		{"*", "+inf", "+inf", "-inf", "-inf", "*", "NaN"},
		{"+0", "6", "**", "**", "-1.5", "-0", "NaN"},
		{"+0", "+0", "*", "*", "-0", "-0", "NaN"},
		{"-0", "-0", "*", "*", "+0", "+0", "NaN"},
		{"-0", "-3", "**", "**", "0.75", "+0", "NaN"},
		{"*", "-inf", "-inf", "+inf", "+inf", "*", "NaN"},
		{"NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"},
	}, (*Env).Div)
	// Zero divide signs: ±F / ±0 gives ∞ with the XOR of the signs.
	for _, c := range []struct{ a, b, want F80 }{{f(-3), pZero, nInf}, {f(-3), nZero, pInf}, {f(3), nZero, nInf}, {pDen, pZero, pInf}} {
		e := masked
		r, ok := e.Div(c.a, c.b)
		assert.True(t, ok)
		assert.Equal(t, c.want, r)
		assert.Equal(t, ZeroDivide, e.Flags, "ZE alone, even for a denormal dividend (SDM vol. 1, 4.9.2)")
	}
}

func TestSDMTableScale(t *testing.T) {
	// FSCALE (table 3-48): rows ST(0), columns ST(1).
	binaryTable(t, "scale", [2]float64{-3, 1.5}, [2]float64{-1.5, 2.75}, [7][7]string{
		{"*", "-inf", "-inf", "-inf", "-inf", "-inf", "NaN"},
		{"-0", "-1.5", "dest", "dest", "-12", "-inf", "NaN"},
		{"-0", "-0", "-0", "-0", "-0", "*", "NaN"},
		{"+0", "+0", "+0", "+0", "+0", "*", "NaN"},
		{"+0", "0.75", "dest", "dest", "6", "+inf", "NaN"},
		{"*", "+inf", "+inf", "+inf", "+inf", "+inf", "NaN"},
		{"NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"},
	}, (*Env).Scale)
}

func TestSDMTableRemainder(t *testing.T) {
	// FPREM and FPREM1 (tables 3-31, 3-32): rows ST(0), columns ST(1).
	rem := func(e *Env, a, b F80) (F80, bool) { r, _, _, ok := e.PartialRemainder(a, b); return r, ok }
	rem1 := func(e *Env, a, b F80) (F80, bool) { r, _, _, ok := e.IEEERemainder(a, b); return r, ok }
	table := [7][7]string{
		{"*", "*", "*", "*", "*", "*", "NaN"},
		{"dest", "-1", "*", "*", "-1", "dest", "NaN"}, // −7 = 4×(−1.5) − 1 = (−3)×2 − 1
		{"-0", "-0", "*", "*", "-0", "-0", "NaN"},
		{"+0", "+0", "*", "*", "+0", "+0", "NaN"},
		{"dest", "1", "*", "*", "1", "dest", "NaN"},
		{"*", "*", "*", "*", "*", "*", "NaN"},
		{"NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"},
	}
	binaryTable(t, "fprem", [2]float64{-7, 7}, [2]float64{-1.5, 2}, table, rem)
	table[1][1], table[1][4], table[4][1], table[4][4] = "0.5", "1", "-0.5", "-1" // −7/−1.5 → 5, −7/2 = −3.5 → −4 (even)
	binaryTable(t, "fprem1", [2]float64{-7, 7}, [2]float64{-1.5, 2}, table, rem1)
}

func TestSDMTableAtan2(t *testing.T) {
	// FPATAN (table 3-30): rows ST(1) = y, columns ST(0) = x. Exact angles
	// are checked against the correctly rounded multiples of π.
	pi := Pi.Value(RoundNearestEven)
	e := masked
	halfPi, _ := e.Div(pi, f(2))
	quarterPi, _ := e.Div(pi, f(4))
	threeQuarterPi, _ := e.Mul(quarterPi, f(3)) // exact in this case? checked below against big π
	_ = threeQuarterPi
	cases := []struct {
		y, x F80
		want F80
	}{
		{nInf, nInf, F80{}}, // −3π/4, checked separately
		{nInf, f(-1), halfPi.Neg()}, {nInf, nZero, halfPi.Neg()}, {nInf, pZero, halfPi.Neg()}, {nInf, f(1), halfPi.Neg()},
		{nInf, pInf, quarterPi.Neg()},
		{f(-1), nInf, pi.Neg()}, {f(-1), nZero, halfPi.Neg()}, {f(-1), pZero, halfPi.Neg()}, {f(-1), pInf, nZero},
		{nZero, nInf, pi.Neg()}, {nZero, f(-2), pi.Neg()}, {nZero, nZero, pi.Neg()}, {nZero, pZero, nZero}, {nZero, f(2), nZero}, {nZero, pInf, nZero},
		{pZero, nInf, pi}, {pZero, f(-2), pi}, {pZero, nZero, pi}, {pZero, pZero, pZero}, {pZero, f(2), pZero}, {pZero, pInf, pZero},
		{f(1), nInf, pi}, {f(1), nZero, halfPi}, {f(1), pZero, halfPi}, {f(1), pInf, pZero},
		{pInf, f(-1), halfPi}, {pInf, nZero, halfPi}, {pInf, pZero, halfPi}, {pInf, f(1), halfPi}, {pInf, pInf, quarterPi},
		{f(1), f(1), quarterPi}, {f(-1), f(1), quarterPi.Neg()},
	}
	for _, c := range cases {
		if c.want == (F80{}) {
			continue
		}
		e := masked
		r, ok := e.Atan2(c.y, c.x)
		require.True(t, ok)
		assert.Equal(t, c.want, r, "atan2(%v, %v)", c.y, c.x)
		assert.Zero(t, e.Flags&^Inexact, "no exception other than PE for atan2(%v, %v)", c.y, c.x)
	}
	// ±3π/4 = 2.35619449019234492884698253745962716…: 0x4000 0x96CBE3F9990E91A8 (rounded to nearest).
	e = masked
	r, _ := e.Atan2(nInf, nInf)
	assert.Equal(t, hexF80(0xC000, 0x96CBE3F9990E91A8), r)
	r, _ = e.Atan2(pInf, nInf)
	assert.Equal(t, hexF80(0x4000, 0x96CBE3F9990E91A8), r)
	// NaN operands.
	r, _ = e.Atan2(qnanA, f(1))
	assert.Equal(t, qnanA, r)
}

func TestSDMTableYLog2X(t *testing.T) {
	// FYL2X (table 3-53): rows ST(1) = y, columns ST(0) = x in the order
	// −∞, −F, ±0, +0<F<+1, +1, +F>+1, +∞, NaN.
	xs := []F80{nInf, f(-2), pZero, f(0.5), One, f(4), pInf, qnanA}
	ys := []F80{nInf, f(-3), nZero, pZero, f(3), pInf, qnanA}
	table := [7][8]string{
		{"*", "*", "+inf", "+inf", "*", "-inf", "-inf", "NaN"},
		{"*", "*", "**", "3", "-0", "-6", "-inf", "NaN"},
		{"*", "*", "*", "+0", "-0", "-0", "*", "NaN"},
		{"*", "*", "*", "-0", "+0", "+0", "*", "NaN"},
		{"*", "*", "**", "-3", "+0", "6", "+inf", "NaN"},
		{"*", "*", "-inf", "-inf", "*", "+inf", "+inf", "NaN"},
		{"NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN", "NaN"},
	}
	for i, y := range ys {
		for j, x := range xs {
			e := masked
			r, ok := e.YLog2X(y, x)
			checkCell(t, fmt.Sprintf("fyl2x y=%v x=%v", y, x), table[i][j], r, ok, e, y, x, qnanA)
			if table[i][j] == "**" {
				assert.Equal(t, y.Negative(), !r.Negative(), "∞ with the sign opposite to ST(1)")
			}
		}
	}
	e := masked
	r, _ := e.YLog2X(f(3), nZero) // −0 is a zero, not a negative operand
	assert.Equal(t, NegInf, r)
	assert.Equal(t, ZeroDivide, e.Flags)
}

func TestSDMTableYLog2XP1(t *testing.T) {
	// FYL2XP1 (table 3-54): rows ST(1), columns ST(0) = −(1−√2/2)..−0, −0,
	// +0, +0..+(1−√2/2), NaN.
	xs := []F80{f(-0.25), nZero, pZero, f(0.25), qnanA}
	ys := []F80{nInf, f(-3), nZero, pZero, f(3), pInf, qnanA}
	table := [7][5]string{
		{"+inf", "*", "*", "-inf", "NaN"},
		{"F+", "+0", "-0", "F-", "NaN"},
		{"+0", "+0", "-0", "-0", "NaN"},
		{"-0", "-0", "+0", "+0", "NaN"},
		{"F-", "-0", "+0", "F+", "NaN"},
		{"-inf", "*", "*", "+inf", "NaN"},
		{"NaN", "NaN", "NaN", "NaN", "NaN"},
	}
	for i, y := range ys {
		for j, x := range xs {
			e := masked
			r, ok := e.YLog2XP1(y, x)
			name := fmt.Sprintf("fyl2xp1 y=%v x=%v", y, x)
			switch cell := table[i][j]; cell {
			case "F+", "F-":
				require.True(t, ok, name)
				assert.Equal(t, ClassNormal, r.Class(), name)
				assert.Equal(t, cell == "F-", r.Negative(), name)
				assert.Equal(t, Inexact, e.Flags, name)
			default:
				checkCell(t, name, cell, r, ok, e, y, x, qnanA)
			}
		}
	}
}

func TestSDMUnaryTables(t *testing.T) {
	type unary func(e *Env, x F80) (F80, bool)
	sin := func(e *Env, x F80) (F80, bool) { r, _, ok := e.Sin(x); return r, ok }
	cos := func(e *Env, x F80) (F80, bool) { r, _, ok := e.Cos(x); return r, ok }
	tan := func(e *Env, x F80) (F80, bool) { r, _, ok := e.Tan(x); return r, ok }
	xs := []F80{nInf, f(-0.5), nZero, pZero, f(0.5), pInf, qnanA}
	for _, c := range []struct {
		name  string
		fn    unary
		cells [7]string
	}{
		// FSQRT (table 3-44), FSIN (3-35), FCOS (3-16), FPTAN (3-33),
		// F2XM1 (3-26), FRNDINT.
		{"fsqrt", (*Env).Sqrt, [7]string{"*", "*", "-0", "+0", "F+", "+inf", "NaN"}},
		{"fsin", sin, [7]string{"*", "F-", "-0", "+0", "F+", "*", "NaN"}},
		{"fcos", cos, [7]string{"*", "F+", "1", "1", "F+", "*", "NaN"}},
		{"fptan", tan, [7]string{"*", "F-", "-0", "+0", "F+", "*", "NaN"}},
		{"f2xm1", (*Env).Exp2M1, [7]string{"-1", "F-", "-0", "+0", "F+", "+inf", "NaN"}},
		{"frndint", (*Env).RoundToInt, [7]string{"-inf", "-0", "-0", "+0", "+0", "+inf", "NaN"}},
	} {
		for i, x := range xs {
			e := masked
			r, ok := c.fn(&e, x)
			name := fmt.Sprintf("%s(%v)", c.name, x)
			switch cell := c.cells[i]; cell {
			case "F+", "F-":
				require.True(t, ok, name)
				assert.Equal(t, ClassNormal, r.Class(), name)
				assert.Equal(t, cell == "F-", r.Negative(), name)
			default:
				checkCell(t, name, cell, r, ok, e, x, x, qnanA)
			}
		}
	}
}

func TestTrigOutOfRange(t *testing.T) {
	// |x| ≥ 2^63: C2=1, ST(0) unchanged, no exception (SDM vol. 2, FSIN).
	for _, x := range []F80{hexF80(0x403E, 0x8000000000000000), hexF80(0xC03E, 0xFFFFFFFFFFFFFFFF), hexF80(0x7FFE, 0x8000000000000000)} {
		e := masked
		r, oor, ok := e.Sin(x)
		assert.True(t, oor && ok)
		assert.Equal(t, x, r)
		_, _, oor, _ = e.SinCos(x)
		assert.True(t, oor)
		_, oor, _ = e.Cos(x)
		assert.True(t, oor)
		_, oor, _ = e.Tan(x)
		assert.True(t, oor)
		assert.Zero(t, e.Flags)
	}
	e := masked
	_, oor, _ := e.Sin(hexF80(0x403D, 0xFFFFFFFFFFFFFFFF)) // largest in-range value
	assert.False(t, oor)
}

func TestNaNRules(t *testing.T) {
	// SDM vol. 1, table 4-7, x87 column, for every two-operand arithmetic op.
	ops := map[string]func(e *Env, a, b F80) (F80, bool){
		"add": (*Env).Add, "sub": (*Env).Sub, "mul": (*Env).Mul, "div": (*Env).Div, "scale": (*Env).Scale,
	}
	cases := []struct {
		a, b  F80
		want  F80
		flags Exceptions
	}{
		{snanA, qnanA, qnanA, InvalidOperation},                // SNaN and QNaN: the QNaN
		{qnanA, snanB, qnanA, InvalidOperation},                // even when the SNaN's significand is larger
		{snanA, snanB, quieted(snanB), InvalidOperation},       // two SNaNs: larger significand, quieted
		{qnanA, qnanB, qnanB, 0},                               // two QNaNs: larger significand
		{snanA, f(1), quieted(snanA), InvalidOperation},        // SNaN and a value: quieted
		{f(1), qnanB, qnanB, 0},                                // QNaN and a value
		{qnanA, pDen, qnanA, 0},                                // QNaN outranks the denormal operand: no DE
		{snanA.Neg(), snanA, quieted(snanA), InvalidOperation}, // equal significands: the positive one
		{qnanB, qnanB.Abs(), qnanB.Abs(), 0},                   // (positive either side)
		{Indefinite, f(2), Indefinite, 0},                      // the indefinite is an ordinary QNaN
	}
	for name, op := range ops {
		for _, c := range cases {
			e := masked
			r, ok := op(&e, c.a, c.b)
			assert.True(t, ok)
			assert.Equal(t, c.want, r, "%s(%v, %v)", name, c.a, c.b)
			assert.Equal(t, c.flags, e.Flags, "%s(%v, %v)", name, c.a, c.b)
			// Unmasked IE: no result.
			if c.flags != 0 {
				e := Env{Masks: AllExceptions &^ InvalidOperation}
				_, ok := op(&e, c.a, c.b)
				assert.False(t, ok, "%s(%v, %v) with IE unmasked", name, c.a, c.b)
			}
		}
	}
	// One-operand instructions quiet an SNaN.
	e := masked
	r, _ := e.Sqrt(snanB)
	assert.Equal(t, quieted(snanB), r)
	assert.Equal(t, InvalidOperation, e.Flags)
}

func TestUnsupportedOperands(t *testing.T) {
	// Pseudo-NaNs, pseudo-infinities and unnormals are invalid operands on
	// the 387 and later (SDM vol. 1, 8.2.2): IE and the real indefinite.
	for _, u := range pseudo {
		assert.True(t, u.Class().Unsupported(), "%v", u)
		ops := map[string]func(e *Env) (F80, bool){
			"add":     func(e *Env) (F80, bool) { return e.Add(u, f(1)) },
			"sub":     func(e *Env) (F80, bool) { return e.Sub(f(1), u) },
			"mul":     func(e *Env) (F80, bool) { return e.Mul(u, qnanA) },
			"div":     func(e *Env) (F80, bool) { return e.Div(snanA, u) },
			"sqrt":    func(e *Env) (F80, bool) { return e.Sqrt(u) },
			"frndint": func(e *Env) (F80, bool) { return e.RoundToInt(u) },
			"fscale":  func(e *Env) (F80, bool) { return e.Scale(u, f(1)) },
			"fprem":   func(e *Env) (F80, bool) { r, _, _, ok := e.PartialRemainder(u, f(1)); return r, ok },
			"fsin":    func(e *Env) (F80, bool) { r, _, ok := e.Sin(u); return r, ok },
			"fpatan":  func(e *Env) (F80, bool) { return e.Atan2(u, f(1)) },
			"f2xm1":   func(e *Env) (F80, bool) { return e.Exp2M1(u) },
			"fyl2x":   func(e *Env) (F80, bool) { return e.YLog2X(f(1), u) },
			"fyl2xp1": func(e *Env) (F80, bool) { return e.YLog2XP1(u, f(0.1)) },
			"fxtract": func(e *Env) (F80, bool) { r, _, ok := e.Extract(u); return r, ok },
		}
		for name, op := range ops {
			e := masked
			r, ok := op(&e)
			assert.True(t, ok, name)
			assert.Equal(t, Indefinite, r, "%s(%v)", name, u)
			assert.Equal(t, InvalidOperation, e.Flags, "%s(%v)", name, u)
			e = Env{}
			_, ok = op(&e)
			assert.False(t, ok, "%s(%v) unmasked", name, u)
		}
		e := masked
		_, ok := e.CompareUnordered(u, f(1))
		assert.True(t, ok)
		assert.Equal(t, InvalidOperation, e.Flags, "FUCOM signals IE for unsupported operands")
		e = masked
		v, _ := e.ToInt32(u)
		assert.Equal(t, int32(math.MinInt32), v)
		e = masked
		b, _ := e.StoreFloat32(u)
		assert.Equal(t, uint32(0xFFC00000), b)
		e = masked
		d, _ := e.StoreFloat64(u)
		assert.Equal(t, uint64(0xFFF8000000000000), d)
		e = masked
		bcd, _ := e.ToBCD(u)
		assert.Equal(t, BCDIndefinite, bcd)
	}
	// Abs and Neg are bit operations with no checks.
	assert.Equal(t, hexF80(0x7FFF, 0x4000000000000000), pseudo[0].Abs())
	assert.Equal(t, hexF80(0xFFFF, 0x4000000000000000), pseudo[0].Neg())
}

func TestDenormalOperands(t *testing.T) {
	// Denormal and pseudo-denormal operands signal DE; masked, the operation
	// proceeds with the value (a pseudo-denormal's exponent reads as 1);
	// unmasked, no result is delivered (SDM vol. 1, 8.5.2; 8.2.2).
	type op func(e *Env, x F80) (F80, bool)
	ops := map[string]op{
		"add":     func(e *Env, x F80) (F80, bool) { return e.Add(x, f(1)) },
		"mul":     func(e *Env, x F80) (F80, bool) { return e.Mul(x, f(0.5)) },
		"div":     func(e *Env, x F80) (F80, bool) { return e.Div(f(1), x) },
		"sqrt":    (*Env).Sqrt,
		"frndint": (*Env).RoundToInt,
		"fscale":  func(e *Env, x F80) (F80, bool) { return e.Scale(x, f(3)) },
		"fprem":   func(e *Env, x F80) (F80, bool) { r, _, _, ok := e.PartialRemainder(x, f(3)); return r, ok },
		"fsin":    func(e *Env, x F80) (F80, bool) { r, _, ok := e.Sin(x); return r, ok },
		"fpatan":  func(e *Env, x F80) (F80, bool) { return e.Atan2(x, f(1)) },
		"f2xm1":   (*Env).Exp2M1,
		"fyl2x":   func(e *Env, x F80) (F80, bool) { return e.YLog2X(f(1), x) },
		"fyl2xp1": func(e *Env, x F80) (F80, bool) { return e.YLog2XP1(f(1), x) },
		"fxtract": func(e *Env, x F80) (F80, bool) { _, s, ok := e.Extract(x); return s, ok },
	}
	for name, o := range ops {
		for _, x := range []F80{pDen, pPDen} {
			e := masked
			_, ok := o(&e, x)
			assert.True(t, ok, name)
			assert.NotZero(t, e.Flags&DenormalOperand, "%s(%v) signals DE", name, x)
			e = Env{Masks: AllExceptions &^ DenormalOperand}
			_, ok = o(&e, x)
			assert.False(t, ok, "%s(%v) with DE unmasked stores nothing", name, x)
		}
	}
	// The pseudo-denormal 0:8000000000000001 has the value of the normal 1:8000000000000001.
	e := masked
	r, _ := e.Add(pPDen, pZero)
	assert.Equal(t, hexF80(0x0001, 0x8000000000000001), r)
	assert.Equal(t, DenormalOperand, e.Flags)
	// Compare: DE with ordered results; unmasked, no condition codes.
	e = masked
	o, ok := e.CompareOrdered(pDen, pZero)
	assert.True(t, ok)
	assert.Equal(t, Greater, o)
	assert.Equal(t, DenormalOperand, e.Flags)
	e = Env{Masks: AllExceptions &^ DenormalOperand}
	_, ok = e.CompareOrdered(pDen, pZero)
	assert.False(t, ok)
	// FIST, FBSTP and FST do not signal DE (SDM vol. 2, FIST, FBSTP, FST).
	e = masked
	v, _ := e.ToInt16(nDen)
	assert.Equal(t, int16(0), v)
	assert.Equal(t, Inexact, e.Flags)
	e = masked
	bits, _ := e.StoreFloat64(pDen)
	assert.Equal(t, uint64(0), bits)
	assert.Equal(t, Underflow|Inexact, e.Flags)
	// FLD m32fp/m64fp of a denormal signals DE and normalizes the value.
	e = masked
	x, ok := e.LoadFloat32(1)
	assert.True(t, ok)
	assert.Equal(t, hexF80(16383-149, 1<<63), x)
	assert.Equal(t, DenormalOperand, e.Flags)
	e = Env{Masks: AllExceptions &^ DenormalOperand}
	_, ok = e.LoadFloat64(1)
	assert.False(t, ok)
	// A float32 denormal memory operand of FADD signals DE although its
	// widened value is normal.
	e = masked
	_, _ = e.Arith(OpAdd, Reg(f(1)), Float32Operand(3))
	assert.Equal(t, DenormalOperand|Inexact, e.Flags)
}

func TestOverflowResponses(t *testing.T) {
	big := hexF80(0x7FFE, 0xC000000000000000)
	// Masked overflow (SDM vol. 1, table 4-10): ∞ or the largest finite
	// value of the current precision, per RC and sign.
	for _, c := range []struct {
		rc        RoundingControl
		pc        PrecisionControl
		neg       bool
		want      F80
		roundedUp bool
	}{
		{RoundNearestEven, Precision64, false, PosInf, true},
		{RoundNearestEven, Precision64, true, NegInf, true},
		{RoundUp, Precision64, false, PosInf, true},
		{RoundUp, Precision64, true, hexF80(0xFFFE, 0xFFFFFFFFFFFFFFFF), false},
		{RoundDown, Precision64, false, hexF80(0x7FFE, 0xFFFFFFFFFFFFFFFF), false},
		{RoundDown, Precision64, true, NegInf, true},
		{RoundTowardZero, Precision64, false, hexF80(0x7FFE, 0xFFFFFFFFFFFFFFFF), false},
		{RoundTowardZero, Precision53, true, hexF80(0xFFFE, 0xFFFFFFFFFFFFF800), false},
		{RoundTowardZero, Precision24, false, hexF80(0x7FFE, 0xFFFFFF0000000000), false},
	} {
		e := Env{Rounding: c.rc, Precision: c.pc, Masks: AllExceptions}
		a := big.withSign(c.neg)
		r, ok := e.Mul(a, f(2))
		assert.True(t, ok)
		assert.Equal(t, c.want, r, "%v %v neg=%v", c.rc, c.pc, c.neg)
		assert.Equal(t, Overflow|Inexact, e.Flags)
		assert.Equal(t, c.roundedUp, e.C1)
	}
	// Unmasked overflow, register destination: exponent − 24576 (SDM vol. 1, 8.5.4).
	e := Env{Masks: AllExceptions &^ Overflow, Precision: Precision64}
	r, ok := e.Mul(big, f(2)) // 1.5 × 2^16384
	assert.True(t, ok)
	assert.Equal(t, hexF80(0x7FFF-24576, 0xC000000000000000), r)
	assert.Equal(t, Overflow, e.Flags)
	e = Env{Masks: AllExceptions &^ Overflow, Precision: Precision24, Rounding: RoundUp}
	r, _ = e.Add(hexF80(0x7FFE, 0xFFFFFFFFFFFFFFFF), hexF80(0x7FFE, 0xFFFFFFFFFFFFFFFF))
	assert.Equal(t, hexF80(0x7FFF+1-24576, 0x8000000000000000), r, "rounded to 24 bits, carried")
	assert.Equal(t, Overflow|Inexact, e.Flags)
	assert.True(t, e.C1)
	// Unmasked overflow, memory destination: nothing stored, OE only.
	e = Env{Masks: AllExceptions &^ Overflow}
	_, ok = e.StoreFloat32(f(1e39))
	assert.False(t, ok)
	assert.Equal(t, Overflow, e.Flags)
	// FSCALE massive overflow: ∞ even unmasked (SDM vol. 1, 8.5.4).
	e = Env{Masks: AllExceptions &^ Overflow}
	r, ok = e.Scale(f(1), f(50000))
	assert.True(t, ok)
	assert.Equal(t, PosInf, r)
	e = Env{Masks: AllExceptions &^ Overflow}
	r, _ = e.Scale(f(1), f(30000))
	assert.Equal(t, hexF80(16383+30000-24576, 1<<63), r, "bias-adjusted into range")
}

func TestUnderflowResponses(t *testing.T) {
	minNormal := hexF80(0x0001, 0x8000000000000000)
	// Tininess after rounding: 2^−16382·(1 + 2^−63)·(1 − 2^−63) =
	// 2^−16382·(1 − 2^−126) rounds to 2^−16382 at 64 bits with an unbounded
	// exponent, so it is not tiny: no UE.
	a, b := hexF80(0x0001, 0x8000000000000001), hexF80(0x3FFE, 0xFFFFFFFFFFFFFFFE)
	e := masked
	r, _ := e.Mul(a, b)
	assert.Equal(t, minNormal, r)
	assert.Equal(t, Inexact, e.Flags, "not tiny after rounding: no UE")
	assert.True(t, e.C1)
	// The same value rounded toward zero is tiny and inexact: UE and PE.
	e = masked
	e.Rounding = RoundTowardZero
	r, _ = e.Mul(a, b)
	assert.Equal(t, hexF80(0x0000, 0x7FFFFFFFFFFFFFFF), r)
	assert.Equal(t, Underflow|Inexact, e.Flags)
	// 2^−16382 − 2^−16446 is exact at 64 bits, hence tiny; denormalized it
	// is a tie that rounds to even, the smallest normal: UE and PE although
	// the delivered value is normal.
	e = masked
	r, _ = e.Mul(minNormal, hexF80(0x3FFE, 0xFFFFFFFFFFFFFFFF))
	assert.Equal(t, minNormal, r)
	assert.Equal(t, Underflow|Inexact, e.Flags)
	// Exact tiny result, masked: a denormal without UE.
	e = masked
	r, _ = e.Mul(minNormal, f(0.5))
	assert.Equal(t, hexF80(0x0000, 0x4000000000000000), r)
	assert.Zero(t, e.Flags)
	// Unmasked: UE for any tiny result, exponent + 24576 (SDM vol. 1, 8.5.5).
	e = Env{Masks: AllExceptions &^ Underflow}
	r, _ = e.Mul(minNormal, f(0.5))
	assert.Equal(t, hexF80(24576, 0x8000000000000000), r)
	assert.Equal(t, Underflow, e.Flags)
	// Precision control: a 24-bit denormal is rounded at the 24th bit of the
	// smallest exponent's significand.
	e = masked
	e.Precision = Precision24
	r, _ = e.Mul(hexF80(0x0001, 0xFFFFFFFFFFFFFFFF), f(0.5)) // (1 − 2^−64)·2^−16382
	assert.Equal(t, hexF80(0x0001, 0x8000000000000000), r, "rounds up to the smallest normal")
	assert.Equal(t, Inexact, e.Flags, "not tiny at 24 bits")
	e = masked
	e.Precision = Precision24
	r, _ = e.Mul(hexF80(0x0001, 0xFFFFFD0000000000), f(0.5)) // 24 bits exact, tiny
	assert.Equal(t, hexF80(0x0000, 0x7FFFFE0000000000), r, "a tie at the 24-bit position rounds to even")
	assert.Equal(t, Underflow|Inexact, e.Flags)
	// A result whose denormalization shifts by exactly 64 bits keeps its
	// sticky bits: (1 + 2^−64 − ε)·2^−16447 is above half the smallest denormal.
	e = masked
	q, _ := e.Div(hexF80(0x0001-63+64, 0xFFFFFFFFFFFFFFFF), hexF80(0x3FFF+64+1, 0xFFFFFFFFFFFFFFFE))
	assert.Equal(t, hexF80(0x0000, 0x0000000000000001), q)
	assert.Equal(t, Underflow|Inexact, e.Flags)
	// Unmasked underflow on FST m32fp: nothing stored.
	e = Env{Masks: AllExceptions &^ Underflow}
	_, ok := e.StoreFloat32(f(1e-40))
	assert.False(t, ok)
	assert.Equal(t, Underflow, e.Flags)
}

func TestStoreFloatNaNs(t *testing.T) {
	e := masked
	b, ok := e.StoreFloat32(hexF80(0xFFFF, 0xC000000000000000))
	assert.True(t, ok)
	assert.Equal(t, uint32(0xFFC00000), b, "the indefinite")
	b, _ = e.StoreFloat32(hexF80(0x7FFF, 0xC0000123456789AB))
	assert.Equal(t, uint32(0x7FC00000|0x123456789AB>>40), b, "significand truncated")
	assert.Zero(t, e.Flags)
	b, _ = e.StoreFloat32(snanA)
	assert.Equal(t, uint32(0x7FC00000), b, "SNaN quieted; its payload is below float32 precision")
	assert.Equal(t, InvalidOperation, e.Flags)
	e = masked
	d, _ := e.StoreFloat64(hexF80(0xFFFF, 0xA000000000000800))
	assert.Equal(t, uint64(0xFFFC000000000001), d)
	// FLD m32fp: SNaN → IE, quieted; QNaN unchanged.
	e = masked
	x, _ := e.LoadFloat32(0x7F800001)
	assert.Equal(t, hexF80(0x7FFF, 0xC000010000000000), x)
	assert.Equal(t, InvalidOperation, e.Flags)
	e = masked
	x, _ = e.LoadFloat64(0xFFF8000000000000)
	assert.Equal(t, Indefinite, x)
	assert.Zero(t, e.Flags)
}

func TestIntegerConversions(t *testing.T) {
	// FIST (table 3-37): ∞, NaN and out-of-range give IE and the integer
	// indefinite; −0 stores 0; rounding per RC.
	e := masked
	for _, c := range []struct {
		x    F80
		rc   RoundingControl
		want int64
		fl   Exceptions
		c1   bool
	}{
		{f(2.5), RoundNearestEven, 2, Inexact, false},
		{f(3.5), RoundNearestEven, 4, Inexact, true},
		{f(-2.5), RoundDown, -3, Inexact, true},
		{f(-2.5), RoundUp, -2, Inexact, false},
		{f(2.999), RoundTowardZero, 2, Inexact, false},
		{nZero, RoundNearestEven, 0, 0, false},
		{f(-32768), RoundNearestEven, -32768, 0, false},
		{f(32767.5), RoundNearestEven, math.MinInt16, InvalidOperation, false},
		{f(32767.5), RoundDown, 32767, Inexact, false},
		{f(-32768.5), RoundUp, -32768, Inexact, false},
		{pInf, RoundNearestEven, math.MinInt16, InvalidOperation, false},
		{qnanA, RoundNearestEven, math.MinInt16, InvalidOperation, false},
	} {
		e = masked
		e.Rounding = c.rc
		v, ok := e.ToInt16(c.x)
		assert.True(t, ok)
		assert.Equal(t, int16(c.want), v, "%v %v", c.x, c.rc)
		assert.Equal(t, c.fl, e.Flags, "%v %v", c.x, c.rc)
		assert.Equal(t, c.c1, e.C1, "%v %v", c.x, c.rc)
	}
	e = masked
	v, _ := e.ToInt64(hexF80(0xC03E, 0x8000000000000000))
	assert.Equal(t, int64(math.MinInt64), v)
	assert.Zero(t, e.Flags)
	v, _ = e.ToInt64(hexF80(0x403E, 0x8000000000000000))
	assert.Equal(t, int64(math.MinInt64), v)
	assert.Equal(t, InvalidOperation, e.Flags)
	e = Env{}
	_, ok := e.ToInt32(f(1e10))
	assert.False(t, ok, "unmasked IE: nothing stored")
	// FILD is exact.
	assert.Equal(t, hexF80(0xC03E, 0x8000000000000000), FromInt64(math.MinInt64))
	assert.Equal(t, PosZero, FromInt16(0))
	assert.Equal(t, f(-12345), FromInt32(-12345))
}

func TestBCD(t *testing.T) {
	// FBLD: 18 digits, least significant pair first, sign bit 79.
	b := [10]byte{0x89, 0x67, 0x45, 0x23, 0x01, 0x89, 0x67, 0x45, 0x23, 0x80}
	x := FromBCD(b)
	assert.Equal(t, FromInt64(-234567890123456789), x)
	b9 := b
	b9[9] = 0x81 // bits 72..78 are ignored
	assert.Equal(t, x, FromBCD(b9))
	assert.Equal(t, NegZero, FromBCD([10]byte{9: 0x80}))
	// FBSTP round trip and rounding.
	e := masked
	got, ok := e.ToBCD(x)
	assert.True(t, ok)
	assert.Equal(t, b, got)
	e.Rounding = RoundUp
	got, _ = e.ToBCD(f(-0.25))
	assert.Equal(t, [10]byte{9: 0x80}, got, "−0.25 rounded up is −0")
	assert.Equal(t, Inexact, e.Flags)
	// Out of range: IE and the BCD indefinite FFFF C000 0000 0000 0000.
	e = masked
	got, _ = e.ToBCD(f(1e18))
	assert.Equal(t, [10]byte{0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF}, got)
	assert.Equal(t, InvalidOperation, e.Flags)
	e = masked
	got, _ = e.ToBCD(f(999999999999999999.0 - 127)) // largest float64 below the limit
	assert.NotEqual(t, BCDIndefinite, got)
	e = Env{}
	_, ok = e.ToBCD(qnanA)
	assert.False(t, ok)
}

func TestExtract(t *testing.T) {
	// FXTRACT: exponent and significand; ±0 → ZE, −∞ and ±0; ∞ → +∞, ±∞.
	e := masked
	exp, sig, ok := e.Extract(f(-12))
	assert.True(t, ok)
	assert.Equal(t, f(3), exp)
	assert.Equal(t, f(-1.5), sig)
	exp, sig, _ = e.Extract(pDen) // 0x123 × 2^−16445 = 1.00100011b × 2^−16437
	assert.Equal(t, f(-16437), exp)
	assert.Equal(t, hexF80(0x3FFF, 0x9180000000000000), sig)
	assert.Equal(t, DenormalOperand, e.Flags)
	e = masked
	exp, sig, _ = e.Extract(nZero)
	assert.Equal(t, NegInf, exp)
	assert.Equal(t, NegZero, sig)
	assert.Equal(t, ZeroDivide, e.Flags)
	e = masked
	exp, sig, _ = e.Extract(nInf)
	assert.Equal(t, PosInf, exp)
	assert.Equal(t, NegInf, sig)
	e = Env{}
	_, _, ok = e.Extract(pZero)
	assert.False(t, ok)
}

func TestRemainder(t *testing.T) {
	e := masked
	// Complete reduction: quotient bits in C0 (Q2), C3 (Q1), C1 (Q0).
	r, q, partial, ok := e.PartialRemainder(f(23), f(3)) // 23 = 7×3 + 2
	assert.True(t, ok && !partial)
	assert.Equal(t, f(2), r)
	assert.Equal(t, uint8(7), q)
	r, q, _, _ = e.IEEERemainder(f(23), f(3)) // 23 = 8×3 − 1
	assert.Equal(t, f(-1), r)
	assert.Equal(t, uint8(0), q)
	r, q, _, _ = e.IEEERemainder(f(7.5), f(3)) // tie: 2.5 → 2 (even): 7.5 − 6 = 1.5
	assert.Equal(t, f(1.5), r)
	assert.Equal(t, uint8(2), q)
	r, q, _, _ = e.IEEERemainder(f(4.5), f(3)) // tie 1.5 → 2: 4.5 − 6 = −1.5
	assert.Equal(t, f(-1.5), r)
	assert.Equal(t, uint8(2), q)
	r, q, _, _ = e.IEEERemainder(f(-2), f(3)) // −2/3 rounds to −1: −2 + 3
	assert.Equal(t, f(1), r)
	assert.Equal(t, uint8(1), q)
	r, q, _, _ = e.IEEERemainder(f(-1.5), f(2)) // exponent difference −1: −0.75 rounds to −1
	assert.Equal(t, f(0.5), r)
	assert.Equal(t, uint8(1), q)
	r, q, _, _ = e.IEEERemainder(f(1), f(2)) // tie 0.5 rounds to 0
	assert.Equal(t, f(1), r)
	assert.Equal(t, uint8(0), q)
	r, _, _, _ = e.PartialRemainder(f(-6), f(3))
	assert.Equal(t, NegZero, r, "a zero remainder has the dividend's sign")
	// Partial reduction: exponent difference ≥ 64.
	x := hexF80(0x3FFF+100, 0xC90FDAA22168C234)
	y := f(3)
	steps := 0
	for {
		before := x.BiasedExponent()
		r, q, partial, _ = e.PartialRemainder(x, y)
		steps++
		x = r
		if !partial {
			break
		}
		assert.Equal(t, uint8(0), q, "C0, C3, C1 cleared on a partial remainder")
		assert.GreaterOrEqual(t, int(before)-int(x.BiasedExponent()), 32, "a partial step reduces the exponent by at least 32")
	}
	assert.LessOrEqual(t, steps, 4)
	assert.Zero(t, e.Flags)
	want := new(big.Int).Lsh(new(big.Int).SetUint64(0xC90FDAA22168C234), 37)
	want.Mod(want, big.NewInt(3))
	assert.Equal(t, FromInt64(want.Int64()), x, "the remainder is exact")
	// The remainder is exact: check x mod 3 against integer arithmetic for a
	// value with an exponent difference below 64.
	e = masked
	r, q, _, _ = e.PartialRemainder(FromInt64(1<<62+12345), f(3))
	assert.Equal(t, FromInt64((1<<62+12345)%3), r)
	assert.Equal(t, uint8(((1<<62+12345)/3)&7), q)
}

func TestCompare(t *testing.T) {
	e := masked
	for _, c := range []struct {
		a, b F80
		want Ordering
	}{
		{pZero, nZero, Equal}, {f(1), f(2), Less}, {f(-1), f(-2), Greater}, {nInf, f(-1e300), Less},
		{pInf, pInf, Equal}, {pDen, nDen, Greater}, {pPDen, hexF80(1, 0x8000000000000001), Equal},
	} {
		o, ok := e.CompareOrdered(c.a, c.b)
		assert.True(t, ok)
		assert.Equal(t, c.want, o, "%v vs %v", c.a, c.b)
	}
	// FCOM: any NaN → IE; FUCOM: only SNaN.
	e = masked
	o, _ := e.CompareOrdered(qnanA, f(1))
	assert.Equal(t, Unordered, o)
	assert.Equal(t, InvalidOperation, e.Flags)
	e = masked
	o, _ = e.CompareUnordered(qnanA, f(1))
	assert.Equal(t, Unordered, o)
	assert.Zero(t, e.Flags)
	e = masked
	_, _ = e.CompareUnordered(snanA, f(1))
	assert.Equal(t, InvalidOperation, e.Flags)
	e = Env{}
	_, ok := e.CompareOrdered(qnanA, f(1))
	assert.False(t, ok, "unmasked IE: condition codes not set")
	c3, c2, c0 := Unordered.ConditionCodes()
	assert.True(t, c3 && c2 && c0)
	zf, pf, cf := Less.EFLAGS()
	assert.True(t, !zf && !pf && cf)
}

func TestConstants(t *testing.T) {
	// Values per RC, as the processor loads them (round-to-nearest values
	// are those of the 8087/287; SDM vol. 2, FLDPI).
	for _, c := range []struct {
		k                     Constant
		se                    uint16
		nearest, down, up, rz uint64
	}{
		{Log2Ten, 0x4000, 0xD49A784BCD1B8AFE, 0xD49A784BCD1B8AFE, 0xD49A784BCD1B8AFF, 0xD49A784BCD1B8AFE},
		{Log2E, 0x3FFF, 0xB8AA3B295C17F0BC, 0xB8AA3B295C17F0BB, 0xB8AA3B295C17F0BC, 0xB8AA3B295C17F0BB},
		{Pi, 0x4000, 0xC90FDAA22168C235, 0xC90FDAA22168C234, 0xC90FDAA22168C235, 0xC90FDAA22168C234},
		{Log10Two, 0x3FFD, 0x9A209A84FBCFF799, 0x9A209A84FBCFF798, 0x9A209A84FBCFF799, 0x9A209A84FBCFF798},
		{LnTwo, 0x3FFE, 0xB17217F7D1CF79AC, 0xB17217F7D1CF79AB, 0xB17217F7D1CF79AC, 0xB17217F7D1CF79AB},
	} {
		assert.Equal(t, hexF80(c.se, c.nearest), c.k.Value(RoundNearestEven), c.k.String())
		assert.Equal(t, hexF80(c.se, c.down), c.k.Value(RoundDown), c.k.String())
		assert.Equal(t, hexF80(c.se, c.up), c.k.Value(RoundUp), c.k.String())
		assert.Equal(t, hexF80(c.se, c.rz), c.k.Value(RoundTowardZero), c.k.String())
	}
}

func TestRepresentation(t *testing.T) {
	x := hexF80(0xC00A, 0x8123456789ABCDEF)
	b := x.Bytes()
	assert.Equal(t, [10]byte{0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x81, 0x0A, 0xC0}, b)
	assert.Equal(t, x, FromBytes(b))
	assert.Equal(t, x, New(true, 0x400A, 0x8123456789ABCDEF))
	assert.True(t, x.Negative())
	assert.Equal(t, uint16(0x400A), x.BiasedExponent())
	for _, c := range []struct {
		x    F80
		want Class
	}{
		{pZero, ClassZero}, {pDen, ClassDenormal}, {pPDen, ClassPseudoDenormal}, {One, ClassNormal},
		{pInf, ClassInfinity}, {qnanA, ClassQNaN}, {snanA, ClassSNaN}, {pseudo[0], ClassPseudoNaN},
		{pseudo[1], ClassPseudoNaN}, {pseudo[2], ClassPseudoInfinity}, {pseudo[3], ClassUnnormal},
	} {
		assert.Equal(t, c.want, c.x.Class(), "%v", c.x)
	}
	c3, c2, c0 := pPDen.ExamineCodes()
	assert.True(t, c3 && c2 && !c0, "FXAM reports pseudo-denormals as denormals")
	c3, c2, c0 = pseudo[2].ExamineCodes()
	assert.False(t, c3 || c2 || c0, "FXAM: unsupported")
	env := NewEnv(0x037F)
	assert.Equal(t, AllExceptions, env.Masks)
	assert.Equal(t, Precision64, env.Precision)
	assert.Equal(t, RoundNearestEven, env.Rounding)
	assert.Equal(t, uint16(0x037F), env.ControlWord())
	env.SetControlWord(0x0C72)
	assert.Equal(t, RoundTowardZero, env.Rounding)
	assert.Equal(t, Precision24, env.Precision)
	assert.Equal(t, Exceptions(0x32), env.Masks)
	env.Flags = Overflow | Underflow
	assert.Equal(t, Overflow, env.Unmasked())
	assert.Equal(t, "OE|UE", (Overflow | Underflow).String())
}
