package float80

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// conformanceCount is the number of random cases per operation: 1,000,000
// by default, 100,000 with -short, or FLOAT80_CONFORMANCE_N.
func conformanceCount() int {
	if s := os.Getenv("FLOAT80_CONFORMANCE_N"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	if testing.Short() {
		return 100_000
	}
	return 1_000_000
}

// conformanceCase is one operation's random check: it draws operands and an
// environment from g, runs the implementation and the reference, and
// returns a description of the case when they differ.
type conformanceCase struct {
	name  string
	check func(g *gen) (mismatch string)
}

// refWiden decodes float32 (single) or float64 bits to the exact register
// value, keeping SNaNs signalling, and reports a denormal source.
func refWiden(bits uint64, single bool) (F80, bool) {
	var f float64
	var fracBits, expBits uint
	if single {
		f = float64(math.Float32frombits(uint32(bits)))
		fracBits, expBits = 23, 8
	} else {
		f = math.Float64frombits(bits)
		fracBits, expBits = 52, 11
	}
	neg := bits>>(fracBits+expBits)&1 == 1
	exp := bits >> fracBits & (1<<expBits - 1)
	frac := bits & (1<<fracBits - 1)
	var se uint16
	if neg {
		se = 0x8000
	}
	switch {
	case exp == 1<<expBits-1 && frac != 0:
		return F80{Mant: 1<<63 | frac<<(63-fracBits), SE: se | 0x7FFF}, false
	case math.IsInf(f, 0):
		return F80{Mant: 1 << 63, SE: se | 0x7FFF}, false
	case f == 0:
		return F80{SE: se}, false
	}
	v := refFromBig(new(big.Float).SetFloat64(f))
	return refEncodeExt(refNum{neg: v.neg, sig: v.mag, e: v.exp}), exp == 0
}

func describe(e Env, args ...any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rc=%v pc=%v masks=%v:", e.Rounding, e.Precision, e.Masks)
	for _, a := range args {
		fmt.Fprintf(&b, " %v", a)
	}
	return b.String()
}

// arithCase checks Env.Arith for op against the reference.
func arithCase(name string, op ArithOp) conformanceCase {
	return conformanceCase{name: name, check: func(g *gen) string {
		e := g.env()
		e0 := e
		a, b := g.pair(name)
		opA, opB := Reg(a), Reg(b)
		var aDen, bDen bool
		if g.r.IntN(10) == 0 { // a float32/float64 memory operand
			single := g.bool()
			bits := g.floatBits(single)
			var w F80
			w, bDen = refWiden(bits, single)
			if single {
				opB = Float32Operand(uint32(bits))
			} else {
				opB = Float64Operand(bits)
			}
			if opB.Value != w || opB.DenormalSource != bDen {
				return fmt.Sprintf("widening %#x: got %v/%v want %v/%v", bits, opB.Value, opB.DenormalSource, w, bDen)
			}
			b = w
			if g.bool() {
				a, b, opA, opB, aDen, bDen = b, a, opB, opA, bDen, aDen
			}
		}
		got, ok := e.Arith(op, opA, opB)
		var want refOut
		env := refEnvOf(e0)
		switch op {
		case OpAdd:
			want = refAddSub(a, b, false, aDen, bDen, env)
		case OpSub:
			want = refAddSub(a, b, true, aDen, bDen, env)
		case OpMul:
			want = refMul(a, b, aDen, bDen, env)
		default:
			want = refDiv(a, b, aDen, bDen, env)
		}
		if ok != want.ok || e.Flags != want.flags || e.C1 != want.c1 || ok && got != want.resultF80() {
			return describe(e0, a, b, aDen, bDen, "got", got, ok, e.Flags, e.C1, "want", want.resultF80(), want.ok, want.flags, want.c1)
		}
		return ""
	}}
}

var conformanceCases = []conformanceCase{
	arithCase("add", OpAdd),
	arithCase("sub", OpSub),
	arithCase("mul", OpMul),
	arithCase("div", OpDiv),
	{name: "sqrt", check: func(g *gen) string {
		e := g.env()
		e0 := e
		a := g.sqrtOperand()
		got, ok := e.Sqrt(a)
		want := refSqrt(a, refEnvOf(e0))
		if ok != want.ok || e.Flags != want.flags || e.C1 != want.c1 || ok && got != want.resultF80() {
			return describe(e0, a, "got", got, ok, e.Flags, e.C1, "want", want.resultF80(), want.ok, want.flags, want.c1)
		}
		return ""
	}},
	fistCase(16), fistCase(32), fistCase(64),
	fildCase(16), fildCase(32), fildCase(64),
	fstCase(true), fstCase(false),
	fldCase(true), fldCase(false),
	{name: "compare", check: func(g *gen) string {
		e := g.env()
		e0 := e
		a, b := g.pair("add")
		if g.r.IntN(4) == 0 {
			b = a
			if g.bool() {
				b.SE ^= 0x8000
			}
		}
		opA, opB := Reg(a), Reg(b)
		var bDen bool
		if g.r.IntN(10) == 0 {
			bits := g.floatBits(true)
			b, bDen = refWiden(bits, true)
			opB = Float32Operand(uint32(bits))
		}
		quiet := g.bool()
		got, ok := e.CompareOperands(opA, opB, quiet)
		want, wflags, wok := refCompare(a, b, false, bDen, quiet, refEnvOf(e0))
		if ok != wok || e.Flags != wflags || e.C1 || ok && got != want {
			return describe(e0, a, b, bDen, quiet, "got", got, ok, e.Flags, "want", want, wok, wflags)
		}
		return ""
	}},
	{name: "frndint", check: func(g *gen) string {
		e := g.env()
		e0 := e
		a := g.integerish()
		got, ok := e.RoundToInt(a)
		env := refEnvOf(e0)
		var want refOut
		switch k := refKindOf(a); k {
		case rkUnsupported:
			want = refInvalid(env)
		case rkQNaN, rkSNaN:
			want = refNaNResult(a, a, env)
		case rkZero, rkInf:
			want = refOut{val: refNum{neg: refNeg(a), inf: k == rkInf}, ok: true}
		default:
			if k == rkDenormal {
				if o, done := refDenormal(env, &want.flags); done {
					want = o
					break
				}
			}
			q, inexact, up := refRoundAt(refValue(a), 0, env.rc)
			want.val, want.ok, want.c1 = refNum{neg: refNeg(a), sig: q}, true, up
			if inexact {
				want.flags |= Inexact
			}
		}
		if ok != want.ok || e.Flags != want.flags || e.C1 != want.c1 || ok && got != want.resultF80() {
			return describe(e0, a, "got", got, ok, e.Flags, e.C1, "want", want.resultF80(), want.ok, want.flags, want.c1)
		}
		return ""
	}},
	remainderCase("fprem", false), remainderCase("fprem1", true),
	{name: "fscale", check: func(g *gen) string {
		e := g.env()
		e0 := e
		x := g.value()
		var s F80
		switch g.r.IntN(4) {
		case 0:
			s = g.value()
		case 1: // a scale that lands near the overflow or underflow threshold
			target := [...]int{0x7FFE, 0, -64, 0x7FFF + 24576, -24576}[g.r.IntN(5)]
			s = FromInt64(int64(target - expOf(x) + g.r.IntN(5) - 2))
		default:
			s = g.integerish()
		}
		got, ok := e.Scale(x, s)
		want := refScale(x, s, refEnvOf(e0))
		if ok != want.ok || e.Flags != want.flags || e.C1 != want.c1 || ok && got != want.resultF80() {
			return describe(e0, x, s, "got", got, ok, e.Flags, e.C1, "want", want.resultF80(), want.ok, want.flags, want.c1)
		}
		return ""
	}},
	{name: "fxtract", check: func(g *gen) string {
		e := g.env()
		e0 := e
		x := g.value()
		gotExp, gotSig, ok := e.Extract(x)
		env := refEnvOf(e0)
		var wantExp, wantSig F80
		var wflags Exceptions
		wok := true
		switch k := refKindOf(x); k {
		case rkUnsupported, rkQNaN, rkSNaN:
			o := refInvalid(env)
			if k != rkUnsupported {
				o = refNaNResult(x, x, env)
			}
			wantExp, wantSig, wflags, wok = o.nan, o.nan, o.flags, o.ok
		case rkZero:
			wflags, wok = ZeroDivide, env.masked(ZeroDivide)
			wantExp, wantSig = refEncodeExt(refNum{neg: true, inf: true}), x
		case rkInf:
			wantExp, wantSig = refEncodeExt(refNum{inf: true}), x
		default:
			if k == rkDenormal {
				wflags, wok = DenormalOperand, env.masked(DenormalOperand)
			}
			v := refValue(x)
			top := refTopExp(v)
			wantExp = refEncodeExt(refNum{neg: top < 0, sig: big.NewInt(int64(max(top, -top)))})
			wantSig = refEncodeExt(refNum{neg: v.neg, sig: v.mag, e: -v.mag.BitLen() + 1})
		}
		if ok != wok || e.Flags != wflags || e.C1 || ok && (gotExp != wantExp || gotSig != wantSig) {
			return describe(e0, x, "got", gotExp, gotSig, ok, e.Flags, "want", wantExp, wantSig, wok, wflags)
		}
		return ""
	}},
	{name: "fbstp", check: func(g *gen) string {
		e := g.env()
		e0 := e
		a := g.integerish()
		got, ok := e.ToBCD(a)
		want, wflags, wc1, wok := refToBCD(a, refEnvOf(e0))
		if ok != wok || e.Flags != wflags || e.C1 != wc1 || ok && got != want {
			return describe(e0, a, "got", got, ok, e.Flags, e.C1, "want", want, wok, wflags, wc1)
		}
		if ok && wflags&InvalidOperation == 0 {
			// FBLD of the stored value gives back the rounded value.
			back := FromBCD(got)
			r, _ := (&Env{Rounding: e0.Rounding, Masks: AllExceptions}).RoundToInt(a)
			if back != r && !(back.IsZero() && r.IsZero() && back.Negative() == r.Negative()) {
				return describe(e0, a, "FBLD round trip", back, "want", r)
			}
		}
		return ""
	}},
}

func fistCase(width int) conformanceCase {
	return conformanceCase{name: fmt.Sprintf("fist%d", width), check: func(g *gen) string {
		e := g.env()
		e0 := e
		a := g.integerish()
		var got int64
		var ok bool
		switch width {
		case 16:
			v, o := e.ToInt16(a)
			got, ok = int64(v), o
		case 32:
			v, o := e.ToInt32(a)
			got, ok = int64(v), o
		default:
			got, ok = e.ToInt64(a)
		}
		want, wflags, wc1, wok := refToInt(a, width, refEnvOf(e0))
		if ok != wok || e.Flags != wflags || e.C1 != wc1 || ok && got != want {
			return describe(e0, a, "got", got, ok, e.Flags, e.C1, "want", want, wok, wflags, wc1)
		}
		return ""
	}}
}

func fildCase(width int) conformanceCase {
	return conformanceCase{name: fmt.Sprintf("fild%d", width), check: func(g *gen) string {
		v := g.int64Value() >> (64 - width)
		var got F80
		switch width {
		case 16:
			got = FromInt16(int16(v))
		case 32:
			got = FromInt32(int32(v))
		default:
			got = FromInt64(v)
		}
		var want F80
		if v != 0 {
			b := big.NewInt(v)
			want = refEncodeExt(refNum{neg: v < 0, sig: b.Abs(b)})
		}
		if got != want {
			return fmt.Sprintf("%d: got %v want %v", v, got, want)
		}
		return ""
	}}
}

func fstCase(single bool) conformanceCase {
	name := "fst64"
	if single {
		name = "fst32"
	}
	return conformanceCase{name: name, check: func(g *gen) string {
		e := g.env()
		e0 := e
		a := g.floatOperand(single)
		var got uint64
		var ok bool
		if single {
			v, o := e.StoreFloat32(a)
			got, ok = uint64(v), o
		} else {
			got, ok = e.StoreFloat64(a)
		}
		want, wflags, wc1, wok := refStoreFloat(a, single, refEnvOf(e0))
		if ok != wok || e.Flags != wflags || e.C1 != wc1 || ok && got != want {
			return describe(e0, a, "got", fmt.Sprintf("%#x", got), ok, e.Flags, e.C1, "want", fmt.Sprintf("%#x", want), wok, wflags, wc1)
		}
		return ""
	}}
}

func fldCase(single bool) conformanceCase {
	name := "fld64"
	if single {
		name = "fld32"
	}
	return conformanceCase{name: name, check: func(g *gen) string {
		e := g.env()
		e0 := e
		bits := g.floatBits(single)
		var got F80
		var ok bool
		if single {
			got, ok = e.LoadFloat32(uint32(bits))
		} else {
			got, ok = e.LoadFloat64(bits)
		}
		want := refLoadFloat(bits, single, refEnvOf(e0))
		if ok != want.ok || e.Flags != want.flags || e.C1 || ok && got != want.resultF80() {
			return describe(e0, fmt.Sprintf("%#x", bits), "got", got, ok, e.Flags, "want", want.resultF80(), want.ok, want.flags)
		}
		return ""
	}}
}

// TestConformance checks each basic operation on conformanceCount() random
// edge-heavy cases, spread over all rounding modes, precisions and mask
// settings, against the independent math/big reference: results, flags,
// C1 and the store/no-store decision must all agree.
func TestConformance(t *testing.T) {
	for i, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n := conformanceCount()
			g := newGen(uint64(i)*0x1000193 + 12345)
			start := time.Now()
			var bad int
			var examples []string
			for range n {
				if msg := c.check(g); msg != "" {
					bad++
					if len(examples) < 8 {
						examples = append(examples, msg)
					}
				}
			}
			t.Logf("%s: %d cases, %d mismatches, %v", c.name, n, bad, time.Since(start).Round(time.Millisecond))
			require.Zerof(t, bad, "%d of %d cases differ from the reference, e.g.:\n%s", bad, n, strings.Join(examples, "\n"))
		})
	}
}

func remainderCase(name string, nearest bool) conformanceCase {
	return conformanceCase{name: name, check: func(g *gen) string {
		e := g.env()
		e0 := e
		x := g.value()
		y := g.value()
		if g.r.IntN(4) != 0 && refKindOf(x) == rkFinite {
			y = g.near(expOf(x) - g.r.IntN(150) + 5)
		}
		var got F80
		var q uint8
		var partial, ok bool
		if nearest {
			got, q, partial, ok = e.IEEERemainder(x, y)
		} else {
			got, q, partial, ok = e.PartialRemainder(x, y)
		}
		want, wq, wpartial := refRemainder(x, y, nearest, refEnvOf(e0))
		if ok != want.ok || e.Flags != want.flags || e.C1 != want.c1 ||
			ok && (got != want.resultF80() || q != wq || partial != wpartial) {
			return describe(e0, x, y, "got", got, q, partial, ok, e.Flags, e.C1,
				"want", want.resultF80(), wq, wpartial, want.ok, want.flags, want.c1)
		}
		return ""
	}}
}
