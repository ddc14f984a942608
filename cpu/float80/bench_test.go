package float80

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// benchOperands is a mix of ordinary, tiny and huge operands.
var benchOperands = func() []F80 {
	g := newGen(99)
	ops := make([]F80, 256)
	for i := range ops {
		ops[i] = F80{Mant: g.mantissa(), SE: g.sign() | g.exponent()}
	}
	return ops
}()

var sink F80

func benchBinary(b *testing.B, op func(e *Env, a, c F80) (F80, bool)) {
	e := NewEnv(0x037F)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r, _ := op(&e, benchOperands[i&255], benchOperands[(i*7+3)&255])
		sink = r
	}
}

func BenchmarkAdd(b *testing.B) { benchBinary(b, (*Env).Add) }
func BenchmarkSub(b *testing.B) { benchBinary(b, (*Env).Sub) }
func BenchmarkMul(b *testing.B) { benchBinary(b, (*Env).Mul) }
func BenchmarkDiv(b *testing.B) { benchBinary(b, (*Env).Div) }
func BenchmarkSqrt(b *testing.B) {
	benchBinary(b, func(e *Env, a, _ F80) (F80, bool) { return e.Sqrt(a.Abs()) })
}

func BenchmarkSin(b *testing.B) {
	benchBinary(b, func(e *Env, a, _ F80) (F80, bool) {
		a.SE = a.SE&0x8000 | 0x3FFF // |a| in [1, 2)
		r, _, ok := e.Sin(a)
		return r, ok
	})
}

// TestNoAllocations enforces that the per-operation code of the basic
// operations and conversions does not allocate.
func TestNoAllocations(t *testing.T) {
	e := NewEnv(0x037F)
	x, y := f(1.0/3), f(-7.25e300)
	den := hexF80(0, 0x0000123456789ABC)
	var i16 int16
	var i64 int64
	var u32 uint32
	var u64 uint64
	var bcd [10]byte
	var o Ordering
	ops := map[string]func(){
		"add":      func() { sink, _ = e.Add(x, y) },
		"sub":      func() { sink, _ = e.Sub(den, x) },
		"mul":      func() { sink, _ = e.Mul(x, den) },
		"div":      func() { sink, _ = e.Div(y, x) },
		"sqrt":     func() { sink, _ = e.Sqrt(x) },
		"arith":    func() { sink, _ = e.Arith(OpAdd, Reg(x), Float64Operand(0x000F000000000001)) },
		"compare":  func() { o, _ = e.CompareOrdered(x, y) },
		"fist16":   func() { i16, _ = e.ToInt16(y) },
		"fist64":   func() { i64, _ = e.ToInt64(x) },
		"fild":     func() { sink = FromInt64(-12345) },
		"fst32":    func() { u32, _ = e.StoreFloat32(x) },
		"fst64":    func() { u64, _ = e.StoreFloat64(den) },
		"fld32":    func() { sink, _ = e.LoadFloat32(0x00012345) },
		"fld64":    func() { sink, _ = e.LoadFloat64(0x3FF0000000000001) },
		"frndint":  func() { sink, _ = e.RoundToInt(x) },
		"fscale":   func() { sink, _ = e.Scale(x, y) },
		"fprem":    func() { sink, _, _, _ = e.PartialRemainder(y, x) },
		"fxtract":  func() { sink, _, _ = e.Extract(den) },
		"fbstp":    func() { bcd, _ = e.ToBCD(y) },
		"fbld":     func() { sink = FromBCD(bcd) },
		"constant": func() { sink = Pi.Value(RoundUp) },
	}
	for name, op := range ops {
		assert.Zero(t, testing.AllocsPerRun(100, op), name)
	}
	_, _, _, _, _ = i16, i64, u32, u64, o
}
