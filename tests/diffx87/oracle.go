package diffx87

import (
	"encoding/binary"
	"math"
	"math/big"

	"github.com/gox86/gox86/cpu/float80"
)

// The SDM oracle: what the SDM says where qemu is known not to model it
// (doc.go, "When qemu is wrong"). It needs only exact arithmetic on the
// inputs and the result both sides agreed on, done here with math/big —
// independently of package float80.

// kind80 classifies an 80-bit value (SDM vol. 1, 8.2.2, table 8-3).
type kind80 uint8

const (
	kZero kind80 = iota
	kFinite
	kDenormal // denormal or pseudo-denormal: finite, signals DE
	kInf
	kNaN
	kUnsupported
)

func classify(v float80.F80) kind80 {
	e := v.SE & 0x7FFF
	j := v.Mant>>63 != 0
	switch {
	case e == 0 && v.Mant == 0:
		return kZero
	case e == 0:
		return kDenormal
	case e == 0x7FFF && !j:
		return kUnsupported
	case e == 0x7FFF && v.Mant<<1 == 0:
		return kInf
	case e == 0x7FFF:
		return kNaN
	case !j:
		return kUnsupported
	}
	return kFinite
}

func finite(k kind80) bool { return k == kZero || k == kFinite || k == kDenormal }

// exactPrec is enough bits for any exact sum of two 80-bit values (the
// exponent range spans 32767 bits) and any product.
const exactPrec = 33000

// bigOf returns the exact value of a finite 80-bit value.
func bigOf(v float80.F80) *big.Float {
	e := int(v.SE & 0x7FFF)
	if e == 0 {
		e = 1 // denormals and pseudo-denormals: 2^(1-16383)
	}
	f := new(big.Float).SetPrec(exactPrec).SetUint64(v.Mant)
	f.SetMantExp(f, e-16383-63)
	if v.SE&0x8000 != 0 {
		f.Neg(f)
	}
	return f
}

// operand returns the value of a sem operand: ST(n), ST(i) or the memory
// operand converted exactly to 80 bits.
func (c *Case) operand(f *Form, ref int) float80.F80 {
	switch ref {
	case stSTi:
		return c.st(c.I)
	case opMem:
		le := binary.LittleEndian
		b := c.Win[c.MemOff:]
		switch f.Mem {
		case memF32:
			bits := le.Uint32(b)
			return f32to80(bits)
		case memF64:
			return fromF64(math.Float64frombits(le.Uint64(b)))
		case memI16:
			return fromInt(int64(int16(le.Uint16(b))))
		case memI32:
			return fromInt(int64(int32(le.Uint32(b))))
		}
		panic("diffx87: operand format")
	}
	return c.st(ref)
}

// f32to80 is the exact 80-bit value of a float32 (a NaN keeps its
// fraction in the top bits).
func f32to80(bits uint32) float80.F80 {
	if bits>>23&0xFF == 0xFF {
		return f80(bits>>31 != 0, 0x7FFF, 1<<63|uint64(bits&(1<<23-1))<<40)
	}
	return fromF64(float64(math.Float32frombits(bits)))
}

// stIndex resolves an ST reference of the input and adjusts it for pops
// to index the output stack.
func (c *Case) outIndex(ref, pops int) int {
	if ref == stSTi {
		ref = c.I
	}
	return (ref - pops) & 7
}

// roundedUp reports |r| > |exact| for a finite exact value and a result
// that is finite or infinite.
func roundedUp(r float80.F80, exact *big.Float) bool {
	switch classify(r) {
	case kInf:
		return true
	case kNaN, kUnsupported:
		return false
	}
	a := new(big.Float).Abs(bigOf(r))
	b := new(big.Float).Abs(exact)
	return a.Cmp(b) > 0
}

// wantC1 returns the C1 the SDM prescribes for a case whose result is
// ours, and whether it could be determined. For the c1Round forms: "Set
// if result was rounded up; cleared otherwise" (SDM vol. 2, FPU Flags
// Affected), i.e. whether the delivered magnitude exceeds the exact one.
func wantC1(f *Form, c *Case, out *Result) (bool, bool) {
	switch f.C1 {
	case c1Zero:
		return false, true
	case c1Round:
	default:
		return false, false
	}
	s := f.Sem
	switch s.kind {
	case semArith:
		x, y := c.operand(f, s.x), c.operand(f, s.y)
		kx, ky := classify(x), classify(y)
		if !finite(kx) || !finite(ky) {
			return false, true // NaN, infinity or invalid: nothing is rounded
		}
		r := out.State.ST[c.outIndex(s.dst, s.pops)]
		bx, by := bigOf(x), bigOf(y)
		switch s.op {
		case '+':
			return roundedUp(r, new(big.Float).SetPrec(exactPrec).Add(bx, by)), true
		case '-':
			return roundedUp(r, new(big.Float).SetPrec(exactPrec).Sub(bx, by)), true
		case '*':
			return roundedUp(r, new(big.Float).SetPrec(exactPrec).Mul(bx, by)), true
		case '/':
			if ky == kZero {
				return false, true // ZE or IE: an exact infinity or the indefinite
			}
			switch classify(r) {
			case kInf:
				return true, true
			case kNaN, kUnsupported:
				return false, true
			}
			// |r| > |x/y|  ⇔  |r·y| > |x|
			ry := new(big.Float).SetPrec(exactPrec).Mul(bigOf(r), by)
			return ry.Abs(ry).Cmp(new(big.Float).Abs(bx)) > 0, true
		}
	case semSqrt:
		x := c.st(0)
		if !finite(classify(x)) || x.SE&0x8000 != 0 {
			return false, true
		}
		r := out.State.ST[0]
		if !finite(classify(r)) {
			return false, true
		}
		rr := new(big.Float).SetPrec(exactPrec).Mul(bigOf(r), bigOf(r))
		return rr.Cmp(bigOf(x)) > 0, true
	case semStoreF:
		x := c.st(0)
		if !finite(classify(x)) {
			return false, true
		}
		var v float80.F80
		b := out.Win[c.MemOff:]
		if f.Mem == memF32 {
			v = f32to80(binary.LittleEndian.Uint32(b))
		} else {
			v = fromF64(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		}
		return roundedUp(v, bigOf(x)), true
	case semStoreI, semStoreBCD:
		n, ok := intResult(f, c)
		if !ok {
			return false, true // invalid: the indefinite is stored, nothing rounded
		}
		x := bigOf(c.st(0))
		return new(big.Float).Abs(new(big.Float).SetInt(n)).Cmp(new(big.Float).Abs(x)) > 0, true
	case semRound:
		x := c.st(0)
		if !finite(classify(x)) {
			return false, true
		}
		return roundedUp(out.State.ST[0], bigOf(x)), true
	case semScale:
		x, y := c.st(0), c.st(1)
		if !finite(classify(x)) || !finite(classify(y)) {
			return false, true
		}
		n := new(big.Int)
		bigOf(y).Int(n) // truncates toward zero
		if n.CmpAbs(big.NewInt(100000)) > 0 {
			n.SetInt64(int64(n.Sign()) * 100000) // far beyond the range either way
		}
		exact := new(big.Float).SetPrec(exactPrec).SetMantExp(bigOf(x), int(n.Int64()))
		return roundedUp(out.State.ST[0], exact), true
	}
	return false, false
}

// intResult is the integer FIST/FISTP/FBSTP store: ST(0) rounded per RC
// (SDM vol. 1, 4.8.4, table 4-8), and whether it fits the destination;
// it does not when ST(0) is a NaN, an infinity, unsupported, or out of
// range (SDM vol. 2, FIST/FISTP, FBSTP: integer or BCD indefinite with
// IE).
func intResult(f *Form, c *Case) (*big.Int, bool) {
	x := c.st(0)
	if !finite(classify(x)) {
		return nil, false
	}
	v := bigOf(x)
	n := roundInt(v, int(c.CW>>10)&3)
	var lo, hi *big.Int
	switch f.Mem {
	case memI16:
		lo, hi = big.NewInt(math.MinInt16), big.NewInt(math.MaxInt16)
	case memI32:
		lo, hi = big.NewInt(math.MinInt32), big.NewInt(math.MaxInt32)
	case memI64:
		lo, hi = big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	case memBCD:
		hi = big.NewInt(999999999999999999)
		lo = new(big.Int).Neg(hi)
	}
	if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
		return nil, false
	}
	return n, true
}

// roundInt rounds v to an integer with rounding control rc.
func roundInt(v *big.Float, rc int) *big.Int {
	t := new(big.Int)
	v.Int(t) // toward zero
	frac := new(big.Float).SetPrec(exactPrec).Sub(v, new(big.Float).SetInt(t))
	if frac.Sign() == 0 {
		return t
	}
	neg := v.Sign() < 0
	away := false
	switch rc {
	case 0: // nearest, ties to even
		h := new(big.Float).Abs(frac).Cmp(big.NewFloat(0.5))
		away = h > 0 || h == 0 && t.Bit(0) == 1
	case 1: // down
		away = neg
	case 2: // up
		away = !neg
	}
	if away {
		if neg {
			t.Sub(t, big.NewInt(1))
		} else {
			t.Add(t, big.NewInt(1))
		}
	}
	return t
}

// storedInt decodes the integer (or BCD) the program stored.
func storedInt(f *Form, c *Case, out *Result) (*big.Int, bool) {
	b := out.Win[c.MemOff:]
	le := binary.LittleEndian
	switch f.Mem {
	case memI16:
		return big.NewInt(int64(int16(le.Uint16(b)))), true
	case memI32:
		return big.NewInt(int64(int32(le.Uint32(b)))), true
	case memI64:
		return big.NewInt(int64(le.Uint64(b))), true
	case memBCD:
		n := new(big.Int)
		for i := 8; i >= 0; i-- {
			hi, lo := b[i]>>4, b[i]&15
			if hi > 9 || lo > 9 {
				return nil, false
			}
			n.Mul(n, big.NewInt(100))
			n.Add(n, big.NewInt(int64(hi)*10+int64(lo)))
		}
		if b[9]&0x80 != 0 {
			n.Neg(n)
		}
		return n, true
	}
	return nil, false
}

// ulpDiff is |a - b| in units of the last place of b's 64-bit significand
// (for b = 0: of the smallest denormal), +Inf when they differ in class.
func ulpDiff(a, b float80.F80) float64 {
	ka, kb := classify(a), classify(b)
	if ka == kNaN && kb == kNaN {
		return 0
	}
	if !finite(ka) || !finite(kb) {
		if a == b {
			return 0
		}
		return math.Inf(1)
	}
	d := new(big.Float).SetPrec(exactPrec).Sub(bigOf(a), bigOf(b))
	e := int(b.SE & 0x7FFF)
	if e == 0 {
		e = 1
	}
	ulp := new(big.Float).SetMantExp(big.NewFloat(1), e-16383-63)
	q, _ := new(big.Float).Quo(d.Abs(d), ulp).Float64()
	return q
}

// absDiff is |a - b| as a float64 (for the double-precision tolerance).
func absDiff(a, b float80.F80) float64 {
	if !finite(classify(a)) || !finite(classify(b)) {
		if a == b {
			return 0
		}
		return math.Inf(1)
	}
	d, _ := new(big.Float).SetPrec(exactPrec).Sub(bigOf(a), bigOf(b)).Float64()
	return math.Abs(d)
}

func toFloat64(v float80.F80) float64 {
	if !finite(classify(v)) {
		return math.NaN()
	}
	x, _ := bigOf(v).Float64()
	return x
}

// roundF80 rounds v to prec significant bits with x87 rounding control
// rc and returns it as an 80-bit value, whether that was exact, and
// whether the result is a normal number (other results — zero, denormal,
// overflow — are left to qemu's comparison).
func roundF80(v *big.Float, prec uint, rc int) (r float80.F80, isExact, ok bool) {
	if v.Sign() == 0 || v.IsInf() {
		return r, false, false
	}
	mode := [...]big.RoundingMode{big.ToNearestEven, big.ToNegativeInf, big.ToPositiveInf, big.ToZero}[rc&3]
	z := new(big.Float).SetPrec(prec).SetMode(mode).Set(v)
	isExact = z.Cmp(v) == 0
	exp := z.MantExp(nil) - 1 // z = 1.f × 2^exp
	if exp < -16382 && isExact && exp >= -16382-63 {
		// An exactly representable denormal (for exact results only).
		m := new(big.Float).SetPrec(prec).SetMantExp(z, 16382+63)
		m.Abs(m)
		if m.IsInt() {
			u, _ := m.Uint64()
			return f80(z.Sign() < 0, 0, u), true, true
		}
	}
	if exp < -16382 || exp > 16383 {
		return r, false, false
	}
	m := new(big.Float).SetPrec(prec).SetMantExp(z, 63-exp)
	m.Abs(m)
	u, _ := m.Uint64()
	return f80(z.Sign() < 0, exp+16383, u), isExact, true
}

// precBits is the significand width of the control word's PC field
// (SDM vol. 1, 8.1.5.2, table 8-2; the reserved 01b as 64 bits).
func precBits(cw uint16) uint {
	switch cw >> 8 & 3 {
	case 0:
		return 24
	case 2:
		return 53
	}
	return 64
}

// sdmValue is the SDM's result for the forms where qemu is known to
// compute differently (doc.go, deviations "PC" and "NaN"): the value of
// ST(slot) after the instruction and the IE, ZE, OE, UE and PE flags. ok
// is false where the oracle does not apply (results outside the normal
// range, invalid operations other than NaN propagation), and the
// comparison then stays with qemu.
func sdmValue(f *Form, c *Case) (slot int, v float80.F80, flags uint16, ok bool) {
	rc := int(c.CW>>10) & 3
	pe := func(inexact bool) uint16 {
		if inexact {
			return swPE
		}
		return 0
	}
	switch {
	case f.Sem != nil && f.Sem.kind == semArith:
		slot = c.outIndex(f.Sem.dst, f.Sem.pops)
		x, y := c.operand(f, f.Sem.x), c.operand(f, f.Sem.y)
		if n, nf, nok := sdmNaN(x, y); nok {
			return slot, n, nf, true
		}
		r, fl, rok := sdmArith(f.Sem.op, x, y, precBits(c.CW), rc)
		return slot, r, fl, rok
	case f.Sem != nil && f.Sem.kind == semSqrt:
		x := c.st(0)
		if classify(x) != kFinite || x.SE&0x8000 != 0 {
			return
		}
		z := new(big.Float).SetPrec(300).SetMode(big.ToZero).Sqrt(bigOf(x))
		if new(big.Float).SetPrec(exactPrec).Mul(z, z).Cmp(bigOf(x)) != 0 {
			sticky := new(big.Float).SetMantExp(big.NewFloat(1), z.MantExp(nil)-350)
			z.SetPrec(400).Add(z, sticky)
		}
		r, ex, rok := roundF80(z, precBits(c.CW), rc)
		return 0, r, pe(!ex), rok
	case f.Name == "FLD_m32fp" || f.Name == "FLD_m64fp":
		// FLD m32fp/m64fp is exact (SDM vol. 2, FLD); an SNaN is quieted
		// with IE.
		v := c.operand(f, opMem)
		if classify(v) == kNaN {
			if v.Mant&(1<<62) == 0 {
				flags = swIE
			}
			v.Mant |= 1 << 62
		}
		return 0, v, flags, true
	case f.Name == "FBLD_m80bcd":
		in := Result{Win: c.Win}
		n, nok := storedInt(f, c, &in)
		if !nok {
			return
		}
		v := fromInt(n.Int64())
		if c.Win[c.MemOff+9]&0x80 != 0 && n.Sign() == 0 {
			v = f80(true, 0, 0)
		}
		return 0, v, 0, true
	case f.Name == "FRNDINT":
		x := c.st(0)
		if !finite(classify(x)) {
			return
		}
		if int(x.SE&0x7FFF)-16383 >= 63 {
			return 0, x, 0, true
		}
		n := roundInt(bigOf(x), rc)
		v := fromInt(n.Int64())
		if n.Sign() == 0 {
			v = f80(x.SE&0x8000 != 0, 0, 0)
		}
		return 0, v, pe(bigOf(v).Cmp(bigOf(x)) != 0), true
	case f.Name == "FPREM" || f.Name == "FPREM1":
		x, y := c.st(0), c.st(1)
		kx, ky := classify(x), classify(y)
		if (kx == kFinite || kx == kDenormal) && ky == kInf {
			return 0, x, 0, true // F rem ∞ = F (SDM vol. 2, FPREM table)
		}
		if kx != kFinite && kx != kDenormal || ky != kFinite && ky != kDenormal {
			return
		}
		r, _, _ := remainder(x, y, f.Name == "FPREM1")
		if r.Sign() == 0 {
			return 0, f80(x.SE&0x8000 != 0, 0, 0), 0, true
		}
		v, ex, rok := roundF80(r, 64, 0)
		return 0, v, 0, rok && ex
	}
	return
}

// sdmNaN is the result of an arithmetic operation with a NaN operand
// (SDM vol. 1, 4.8.3.5, table 4-7, x87 column): an SNaN and a QNaN give
// the QNaN; two SNaNs or two QNaNs the one with the larger significand
// (an SNaN quieted); a NaN and a number the NaN, quieted. An SNaN operand
// signals IE. Equal significands: the positive one (float80's doc.go; the
// SDM does not say).
func sdmNaN(x, y float80.F80) (float80.F80, uint16, bool) {
	kx, ky := classify(x), classify(y)
	if kx == kUnsupported || ky == kUnsupported {
		// An unsupported encoding is an invalid operand: the indefinite
		// (SDM vol. 1, 8.2.2 and 4.8.3.7).
		return f80(true, 0x7FFF, 0xC000000000000000), swIE, true
	}
	if kx != kNaN && ky != kNaN {
		return float80.F80{}, 0, false
	}
	snan := func(v float80.F80) bool { return classify(v) == kNaN && v.Mant&(1<<62) == 0 }
	quiet := func(v float80.F80) float80.F80 { v.Mant |= 1 << 62; return v }
	var flags uint16
	if snan(x) || snan(y) {
		flags = swIE
	}
	switch {
	case kx != kNaN:
		return quiet(y), flags, true
	case ky != kNaN:
		return quiet(x), flags, true
	case snan(x) != snan(y): // one of each: the QNaN
		if snan(x) {
			return y, flags, true
		}
		return x, flags, true
	}
	switch {
	case x.Mant > y.Mant:
		return quiet(x), flags, true
	case y.Mant > x.Mant:
		return quiet(y), flags, true
	case x.SE&0x8000 == 0:
		return quiet(x), flags, true
	}
	return quiet(y), flags, true
}

// sdmArith is x op y for non-NaN supported operands, rounded to prec bits
// per rc (SDM vol. 1, 4.8.4, 8.1.5.2), with its IE, ZE and PE flags.
// Results outside the normal range and invalid operations are not
// predicted (ok = false).
func sdmArith(op byte, x, y float80.F80, prec uint, rc int) (float80.F80, uint16, bool) {
	kx, ky := classify(x), classify(y)
	if kx == kUnsupported || ky == kUnsupported {
		return float80.F80{}, 0, false
	}
	sx, sy := x.SE&0x8000 != 0, y.SE&0x8000 != 0
	inf := func(neg bool) float80.F80 { return f80(neg, 0x7FFF, 1<<63) }
	zero := func(neg bool) float80.F80 { return f80(neg, 0, 0) }
	if op == '-' {
		op, sy = '+', !sy
		y = withSign(y, sy)
	}
	switch op {
	case '+':
		switch {
		case kx == kInf && ky == kInf:
			if sx != sy {
				return float80.F80{}, 0, false // IE
			}
			return inf(sx), 0, true
		case kx == kInf:
			return inf(sx), 0, true
		case ky == kInf:
			return inf(sy), 0, true
		case kx == kZero && ky == kZero:
			if sx == sy {
				return zero(sx), 0, true
			}
			return zero(rc == 1), 0, true // (−0) + (+0): −0 rounding down, else +0 (IEEE 754, SDM vol. 1, 4.8.3.2)
		}
	case '*':
		switch {
		case kx == kInf && ky == kZero || kx == kZero && ky == kInf:
			return float80.F80{}, 0, false // IE
		case kx == kInf || ky == kInf:
			return inf(sx != sy), 0, true
		case kx == kZero || ky == kZero:
			return zero(sx != sy), 0, true
		}
	case '/':
		switch {
		case kx == kInf && ky == kInf, kx == kZero && ky == kZero:
			return float80.F80{}, 0, false // IE
		case kx == kInf:
			return inf(sx != sy), 0, true
		case ky == kInf:
			return zero(sx != sy), 0, true
		case ky == kZero:
			return inf(sx != sy), swZE, true
		case kx == kZero:
			return zero(sx != sy), 0, true
		}
	}
	bx, by := bigOf(x), bigOf(y)
	z := new(big.Float).SetPrec(exactPrec)
	switch op {
	case '+':
		z.Add(bx, by)
		if z.Sign() == 0 { // exact cancellation: +0, or −0 rounding down
			return zero(rc == 1), 0, true
		}
	case '*':
		z.Mul(bx, by)
	case '/':
		// The quotient truncated to 200 bits, with a sticky bit below when
		// inexact: any value strictly between the truncation and the next
		// 200-bit value rounds alike to 64 bits.
		q := new(big.Float).SetPrec(200).SetMode(big.ToZero).Quo(bx, by)
		if new(big.Float).SetPrec(exactPrec).Mul(q, by).Cmp(bx) != 0 {
			sticky := new(big.Float).SetMantExp(big.NewFloat(1), q.MantExp(nil)-250)
			if q.Sign() < 0 {
				sticky.Neg(sticky)
			}
			q.SetPrec(300).Add(q, sticky)
		}
		z = q
	}
	r, ex, ok := roundF80(z, prec, rc)
	if !ok {
		return float80.F80{}, 0, false
	}
	if !ex {
		return r, swPE, true
	}
	return r, 0, true
}

// remainder is FPREM's (or FPREM1's) partial remainder: with D the
// exponent difference, D < 64 gives the true remainder (quotient
// truncated, or rounded to nearest even for FPREM1); otherwise one step
// reduces by N = 32 + D mod 32 bits with a truncated quotient (SDM vol. 2,
// FPREM/FPREM1 Operation, N implementation-specific; the value AMD
// documents, also qemu's and float80's).
func remainder(x, y float80.F80, ieee bool) (r *big.Float, q *big.Int, partial bool) {
	bx, by := bigOf(x), bigOf(y)
	d := bx.MantExp(nil) - by.MantExp(nil)
	div := by
	if d >= 64 {
		n := 32 + d%32
		div = new(big.Float).SetPrec(exactPrec).SetMantExp(by, d-n)
		ieee, partial = false, true
	}
	ratio := new(big.Rat).Quo(ratOf(bx), ratOf(div))
	q = new(big.Int).Quo(ratio.Num(), ratio.Denom()) // truncated
	if ieee {
		rem := new(big.Rat).Sub(ratio, new(big.Rat).SetInt(q))
		rem.Abs(rem)
		switch rem.Cmp(big.NewRat(1, 2)) {
		case 1:
			q.Add(q, big.NewInt(int64(ratio.Sign())))
		case 0:
			if q.Bit(0) == 1 {
				q.Add(q, big.NewInt(int64(ratio.Sign())))
			}
		}
	}
	qd := new(big.Float).SetPrec(exactPrec).Mul(new(big.Float).SetInt(q), div)
	return new(big.Float).SetPrec(exactPrec).Sub(bx, qd), q, partial
}

func ratOf(f *big.Float) *big.Rat {
	r, _ := f.Rat(nil)
	return r
}

// sdmCompare is the C3 C2 C0 result of comparing ST(0) with the source
// exactly (SDM vol. 2, FCOM table): qemu converts memory operands with the
// precision control applied (deviation "PC").
func sdmCompare(f *Form, c *Case) (uint16, bool) {
	if f.Mem == memNone || f.CC != cc3 || f.FCOMI {
		return 0, false
	}
	x, y := c.st(0), c.operand(f, opMem)
	kx, ky := classify(x), classify(y)
	switch {
	case kx == kNaN || ky == kNaN || kx == kUnsupported || ky == kUnsupported:
		return swC3 | swC2 | swC0, true // unordered
	case kx == kInf || ky == kInf:
		sx, sy := x.SE&0x8000 != 0, y.SE&0x8000 != 0
		switch {
		case kx == kInf && ky == kInf && sx == sy:
			return swC3, true
		case kx == kInf && !sx || ky == kInf && sy:
			return 0, true
		}
		return swC0, true
	}
	switch bigOf(x).Cmp(bigOf(y)) {
	case 1:
		return 0, true
	case -1:
		return swC0, true
	}
	return swC3, true
}
