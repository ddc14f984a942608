package diffx87

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/gox86/gox86/cpu/float80"
)

// Outcome is the comparison of one case.
type Outcome struct {
	// Diffs are the mismatches: fields where our CPU differs from qemu
	// (or, for the fields listed in doc.go, from the SDM oracle).
	Diffs []string
	// Deviations name the documented qemu deviations this case showed
	// (qemu differs from the SDM oracle, which our CPU matched or was
	// checked against).
	Deviations []string
	// Ulp is the largest difference in a transcendental result, in ulps
	// (transUlp and transDouble forms).
	Ulp float64
}

func (o *Outcome) diff(format string, a ...any) { o.Diffs = append(o.Diffs, fmt.Sprintf(format, a...)) }

func (o *Outcome) dev(name string) {
	for _, d := range o.Deviations {
		if d == name {
			return
		}
	}
	o.Deviations = append(o.Deviations, name)
}

var swNames = []struct {
	bit  uint16
	name string
}{{swIE, "IE"}, {swDE, "DE"}, {swZE, "ZE"}, {swOE, "OE"}, {swUE, "UE"}, {swPE, "PE"}, {swSF, "SF"}, {swES, "ES"},
	{swC0, "C0"}, {swC1, "C1"}, {swC2, "C2"}, {swC3, "C3"}, {swB, "B"}}

// expect is the SDM's value for one field, used where qemu is documented
// to deviate (doc.go): if our CPU matches it, the case counts toward the
// deviation dev; if not, it is a mismatch.
type expect struct {
	want string
	dev  string
}

// Compare checks our result against qemu's (ref) for case c of form f
// (instruction at address at), applying the SDM where qemu is documented
// to deviate from it.
func Compare(f *Form, c *Case, at uint32, ours, ref *Result) Outcome {
	var o Outcome
	os, rs := &ours.State, &ref.State
	sdm := expectations(f, c, at, ours, ref)
	check := func(field, a, b string) {
		if a == b {
			return
		}
		if e, ok := sdm[field]; ok {
			if a == e.want {
				o.dev(e.dev)
				return
			}
			o.diff("%s ours %s, SDM %s (qemu %s)", field, a, e.want, b)
			return
		}
		o.diff("%s ours %s qemu %s", field, a, b)
	}
	hex16 := func(v uint16) string { return fmt.Sprintf("%04X", v) }
	bit := func(v uint16, b uint16) string { return fmt.Sprint(b2i(v&b != 0)) }

	check("CW", hex16(os.CW), hex16(rs.CW))
	check("TOP", fmt.Sprint(os.top()), fmt.Sprint(rs.top()))
	check("TW", hex16(os.TW), hex16(rs.TW))

	// Status word: exception flags, SF, ES, B always; C0/C2/C3 where the
	// SDM defines them; C1 by the form's rule.
	mask := uint16(swFlags|swSF|swES|swB) | f.CC
	if f.C1 == c1Qemu {
		mask |= swC1
	}
	for _, n := range swNames {
		if mask&n.bit != 0 {
			check(n.name, bit(os.SW, n.bit), bit(rs.SW, n.bit))
		}
	}
	if want, ok := wantC1(f, c, ours); ok && f.C1 != c1Qemu {
		if got := os.SW&swC1 != 0; got != want {
			o.diff("C1 ours %d, SDM %d (qemu %d)", b2i(got), b2i(want), b2i(rs.SW&swC1 != 0))
		}
		if rs.SW&swC1 != 0 != want {
			o.dev("C1")
		}
	}
	// The integer stores are also checked against the SDM's rounding
	// (oracle.go): they are the one place a qemu rounding bug would
	// otherwise be copied.
	if f.Sem != nil && (f.Sem.kind == semStoreI || f.Sem.kind == semStoreBCD) {
		if n, ok := intResult(f, c); ok {
			if got, gok := storedInt(f, c, ours); !gok || got.Cmp(n) != 0 {
				o.diff("stored integer ours %v, SDM %v", got, n)
			}
		}
	}

	// Pointers (SDM vol. 1, 8.1.8-8.1.9). The data pointer is undefined
	// after an instruction without a memory operand. qemu stores no
	// opcode (deviation "FOP"): FOP is checked against the instruction.
	check("FIP", fmt.Sprintf("%04X:%08X", os.FCS, os.FIP), fmt.Sprintf("%04X:%08X", rs.FCS, rs.FIP))
	if f.Mem != memNone {
		check("FDP", fmt.Sprintf("%04X:%08X", os.FDS, os.FDP), fmt.Sprintf("%04X:%08X", rs.FDS, rs.FDP))
	}
	wantFOP := uint16(0) // control instructions leave the FRSTOR image's 0
	if !f.Control {
		op := c.Code
		for op[0] < 0xD8 || op[0] > 0xDF { // skip prefixes
			op = op[1:]
		}
		wantFOP = uint16(op[0]&7)<<8 | uint16(op[1])
	}
	if os.FOP != wantFOP {
		o.diff("FOP ours %03X, SDM %03X", os.FOP, wantFOP)
	}
	if rs.FOP != wantFOP {
		o.dev("FOP")
	}

	// Registers, in stack order. Transcendental results are compared
	// within a tolerance (doc.go).
	tol := transSlots(f, c, ref)
	for i := 0; i < 8; i++ {
		a, b := os.ST[i], rs.ST[i]
		name := fmt.Sprintf("ST(%d)", i)
		if t, ok := tol[i]; ok {
			u := ulpDiff(a, b)
			if u > o.Ulp {
				o.Ulp = u
			}
			switch {
			case t.ok(a, b, u):
			case t.pc(a, b):
				o.dev("PC")
			default:
				o.diff("%s ours %s qemu %s (%.3g ulp)", name, hex80(a), hex80(b), u)
			}
			continue
		}
		check(name, hex80(a), hex80(b))
	}

	check("EAX", fmt.Sprintf("%08X", ours.EAX), fmt.Sprintf("%08X", ref.EAX))
	fmask := uint32(statusFlags)
	if f.FCOMI {
		// SDM vol. 2, FCOMI: "The OF, SF, and AF flags are cleared"; qemu
		// keeps them (deviation "FCOMI-OSA").
		fmask &^= fOF | fSF | fAF
		if ours.Flags&(fOF|fSF|fAF) != 0 {
			o.diff("EFLAGS OF/SF/AF ours %03X, SDM 000", ours.Flags&(fOF|fSF|fAF))
		}
		if ref.Flags&(fOF|fSF|fAF) != 0 {
			o.dev("FCOMI-OSA")
		}
	}
	if x := (ours.Flags ^ ref.Flags) & fmask; x != 0 {
		o.diff("EFLAGS ours %03X qemu %03X", ours.Flags&statusFlags, ref.Flags&statusFlags)
	}
	if ours.Win != ref.Win {
		o.diff("window ours % X qemu % X", ours.Win[:], ref.Win[:])
	}
	return o
}

// expectations collects the SDM's values for the fields where qemu is
// documented to deviate (doc.go), for this case.
func expectations(f *Form, c *Case, at uint32, ours, ref *Result) map[string]expect {
	e := map[string]expect{}
	b := func(v bool) string { return fmt.Sprint(b2i(v)) }
	// DE (deviation "DE"): qemu's softfloat never reports a denormal
	// operand.
	if want, ok := wantDE(f, c); ok {
		e["DE"] = expect{b(want), "DE"}
	}
	// Precision control (deviation "PC"): qemu rounds memory operands,
	// FBLD, FRNDINT and FPREM results to the precision control, and the
	// SDM applies it to FADD, FSUB, FMUL, FDIV and FSQRT results only.
	if slot, v, flags, ok := sdmValue(f, c); ok {
		dev := "PC"
		if classify(v) == kNaN {
			dev = "NaN"
		}
		e[fmt.Sprintf("ST(%d)", slot)] = expect{hex80(v), dev}
		for _, n := range swNames[:6] {
			if n.bit != swDE {
				e[n.name] = expect{b(flags&n.bit != 0), dev}
			}
		}
		e["TW"] = expect{fmt.Sprintf("%04X", tagWord(&ours.State)), dev}
	}
	// FPREM1's quotient bits (deviation "FPREM1-Q"): C0 = Q2, C3 = Q1,
	// C1 = Q0 of the complete reduction (SDM vol. 2, FPREM1).
	if f.Name == "FPREM" || f.Name == "FPREM1" {
		if x, y := c.st(0), c.st(1); classify(x) == kFinite && classify(y) == kFinite {
			if _, q, partial := remainder(x, y, f.Name == "FPREM1"); !partial {
				q3 := new(big.Int).Abs(q).Uint64() & 7
				e["C0"] = expect{b(q3&4 != 0), "FPREM1-Q"}
				e["C3"] = expect{b(q3&2 != 0), "FPREM1-Q"}
				e["C1"] = expect{b(q3&1 != 0), "FPREM1-Q"}
			}
		}
	}
	if cc, ok := sdmCompare(f, c); ok {
		e["C0"] = expect{b(cc&swC0 != 0), "PC"}
		e["C2"] = expect{b(cc&swC2 != 0), "PC"}
		e["C3"] = expect{b(cc&swC3 != 0), "PC"}
		e["PE"] = expect{"0", "PC"}
	}
	// FIP (deviation "FIP"): the control instructions keep it, the others
	// point it at themselves, prefixes included (SDM vol. 1, 8.1.8); qemu
	// updates it for FNSTSW AX and not for FNOP.
	if f.Control {
		e["FIP"] = expect{"0000:00000000", "FIP"}
	} else {
		e["FIP"] = expect{fmt.Sprintf("%04X:%08X", UserCS, at), "FIP"}
	}
	// FST/FSTP ST(i) into an empty register leave it tagged empty in qemu
	// (deviation "FST-TAG"); the copy is a value like any other (SDM vol.
	// 1, 8.1.7).
	if f.Name == "FST_STi" || f.Name == "FSTP_STi" || f.Name == "FSTP1_STi" || f.Name == "FSTP8_STi" || f.Name == "FSTP9_STi" {
		e["TW"] = expect{fmt.Sprintf("%04X", tagWord(&ours.State)), "FST-TAG"}
	}
	// FSIN, FCOS, FSINCOS, FPTAN: qemu signals no exception at all
	// (deviation "TRIG"); the result of a non-zero operand is inexact.
	if f.Trans == transDouble && ref.State.SW&swC2 == 0 {
		e["PE"] = expect{b(!classifyZero(c.st(0))), "TRIG"}
	}
	return e
}

func classifyZero(v float80.F80) bool { return classify(v) == kZero }

// tagWord is the tag word the SDM defines for a state's register contents
// and empty set (SDM vol. 1, 8.1.7: 00 valid, 01 zero, 10 special — NaN,
// infinity, denormal, unsupported — 11 empty).
func tagWord(s *State) uint16 {
	var tw uint16
	for i := 0; i < 8; i++ {
		r := (s.top() + i) & 7
		t := uint16(3)
		if !s.empty(i) {
			switch classify(s.ST[i]) {
			case kZero:
				t = 1
			case kFinite:
				t = 0
			default:
				t = 2
			}
		}
		tw |= t << (2 * r)
	}
	return tw
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tolerance compares a transcendental result.
type tolerance struct {
	ulps float64 // transUlp: allowed ulps
	// transDouble: allowed absolute error.
	abs  float64
	pc24 bool
}

// pc reports whether a and b agree to qemu's result rounded to the 24-bit
// precision control (deviation "PC": qemu rounds its transcendental
// results per PC; the SDM does not apply PC to them).
func (t tolerance) pc(a, b float80.F80) bool {
	return t.abs > 0 && t.pc24 && absDiff(a, b) <= t.abs+math.Abs(toFloat64(b))*0x1p-23
}

func (t tolerance) ok(a, b float80.F80, u float64) bool {
	if t.abs > 0 {
		return absDiff(a, b) <= t.abs || u <= 1
	}
	return u <= t.ulps
}

// transSlots lists the result registers of a transcendental form and the
// tolerance each gets; an out-of-range trigonometric operand (C2 = 1)
// leaves everything exact.
func transSlots(f *Form, c *Case, ref *Result) map[int]tolerance {
	switch f.Trans {
	case transUlp:
		return map[int]tolerance{0: {ulps: 1}}
	case transDouble:
		if ref.State.SW&swC2 != 0 {
			return nil
		}
		// qemu evaluates sin, cos and tan of the argument rounded to a
		// double with the host's libm and rounds the result to a double:
		// an error of up to about 2^-53·|x|·|f'(x)| from the argument and
		// 2^-53·|f(x)| from each rounding. Allow 2^-50·(|x|·(1+r²) + |r|)
		// plus the smallest double.
		x := math.Abs(toFloat64(c.st(0)))
		t := func(r float80.F80) tolerance {
			v := math.Abs(toFloat64(r))
			return tolerance{abs: 0x1p-50*(x*(1+v*v)+v) + 0x1p-1074, pc24: precBits(c.CW) == 24}
		}
		s := ref.State.ST
		switch f.Name {
		case "FSINCOS":
			return map[int]tolerance{0: t(s[0]), 1: t(s[1])}
		case "FPTAN":
			return map[int]tolerance{1: t(s[1])} // ST(0) is the exact 1.0
		}
		return map[int]tolerance{0: t(s[0])}
	}
	return nil
}

// wantDE returns whether the SDM has the instruction signal DE for this
// case, and whether this is known: DE when an operand is a denormal or
// pseudo-denormal — including a denormal single or double memory operand
// — and no invalid-operation or zero-divide exception, which take
// precedence, occurs (SDM vol. 1, 4.9.1.3, 4.9.2 and 8.5.2; vol. 2, "#D
// Source operand is a denormal value" in FADD, FSUB, FMUL, FDIV, FSQRT,
// FCOM, FUCOM, FICOM, FTST, FLD, FRNDINT, FSCALE, FXTRACT, FPREM).
func wantDE(f *Form, c *Case) (bool, bool) {
	var ops []float80.F80
	memDenormal := false
	if f.Mem == memF32 || f.Mem == memF64 {
		b := c.Win[c.MemOff:]
		if f.Mem == memF32 {
			u := binary.LittleEndian.Uint32(b)
			memDenormal = u>>23&0xFF == 0 && u&(1<<23-1) != 0
		} else {
			u := binary.LittleEndian.Uint64(b)
			memDenormal = u>>52&0x7FF == 0 && u&(1<<52-1) != 0
		}
	}
	switch {
	case f.Sem != nil && f.Sem.kind == semArith:
		ops = []float80.F80{c.operand(f, f.Sem.x), c.operand(f, f.Sem.y)}
	case f.Sem != nil && (f.Sem.kind == semSqrt || f.Sem.kind == semRound):
		ops = []float80.F80{c.st(0)}
	case f.Name == "FXTRACT":
		ops = []float80.F80{c.st(0)}
	case f.Name == "FSCALE" || f.Name == "FPREM" || f.Name == "FPREM1":
		ops = []float80.F80{c.st(0), c.st(1)}
	case f.CC == cc3 && f.C1 == c1Zero && !f.Control: // compares
		switch {
		case f.Name == "FTST":
			ops = []float80.F80{c.st(0), f80(false, 0, 0)}
		case f.Mem != memNone:
			ops = []float80.F80{c.st(0), c.operand(f, opMem)}
		case f.Name == "FCOMPP" || f.Name == "FUCOMPP":
			ops = []float80.F80{c.st(0), c.st(1)}
		default:
			ops = []float80.F80{c.st(0), c.st(c.I)}
		}
	case f.Push == 1 && (f.Mem == memF32 || f.Mem == memF64): // FLD m32fp/m64fp
		ops = []float80.F80{c.operand(f, opMem)}
	default:
		return false, false
	}
	de := memDenormal
	for _, v := range ops {
		switch classify(v) {
		case kNaN, kUnsupported:
			return false, true
		case kDenormal:
			de = true
		}
	}
	if !de {
		return false, true
	}
	if f.Sem != nil && f.Sem.kind == semArith && len(ops) == 2 {
		x, y := ops[0], ops[1]
		kx, ky := classify(x), classify(y)
		neg := func(v float80.F80) bool { return v.SE&0x8000 != 0 }
		switch f.Sem.op {
		case '/':
			if ky == kZero || kx == kInf && ky == kInf {
				return false, true
			}
		case '*':
			if kx == kZero && ky == kInf || kx == kInf && ky == kZero {
				return false, true
			}
		case '+', '-':
			if kx == kInf && ky == kInf && (neg(x) != neg(y)) == (f.Sem.op == '+') {
				return false, true
			}
		}
	}
	if f.Sem != nil && f.Sem.kind == semSqrt && c.st(0).SE&0x8000 != 0 {
		return false, true // square root of a negative denormal: IE
	}
	if (f.Name == "FPREM" || f.Name == "FPREM1") && (classify(ops[1]) == kZero || classify(ops[0]) == kInf) {
		return false, true // invalid
	}
	if f.Name == "FSCALE" && classify(ops[1]) == kInf && (classify(ops[0]) == kZero) {
		return false, true // 0 × 2^±∞: invalid for +∞
	}
	return true, true
}

// Describe reports a mismatching case.
func Describe(f *Form, k int, c *Case, ours, ref *Result, o Outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s case %d: %s   (% X)\n  %s\n  ours %s\n   EAX %08X EFLAGS %03X\n  qemu %s\n   EAX %08X EFLAGS %03X\n  differences: %s",
		f.Name, k, Disasm(c.Code), c.Code, c.Describe(), ours.State.String(), ours.EAX, ours.Flags&statusFlags,
		ref.State.String(), ref.EAX, ref.Flags&statusFlags, strings.Join(o.Diffs, "; "))
	return b.String()
}
