package diffx87

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/gox86/gox86/cpu/float80"
)

// DefaultSeed is the seed of the committed test run. Cases depend only on
// the seed and the form's name.
const DefaultSeed = 0x6f78_3837_3837 // "ox8787"

// memFmt is the format of a memory operand (SDM vol. 1, 4.2 and 8.2).
type memFmt uint8

const (
	memNone memFmt = iota
	memF32
	memF64
	memF80
	memI16
	memI32
	memI64
	memBCD
	memW16 // control or status word
)

var memSize = [...]int{memNone: 0, memF32: 4, memF64: 8, memF80: 10, memI16: 2, memI32: 4, memI64: 8, memBCD: 10, memW16: 2}

// c1Rule says how C1 is checked (SDM vol. 2, each instruction's "FPU
// Flags Affected").
type c1Rule uint8

const (
	// c1Undefined: not compared — undefined by the SDM for the
	// instruction, or (transcendentals) not checkable without an exact
	// reference.
	c1Undefined c1Rule = iota
	// c1Qemu: compared with qemu (FXAM's sign, FPREM's quotient bit).
	c1Qemu
	// c1Zero: "C1 Set to 0" (no stack fault occurs in these cases).
	c1Zero
	// c1Round: "Set if result was rounded up; cleared otherwise",
	// checked against the exact result computed with math/big (qemu
	// does not implement this bit, see doc.go).
	c1Round
)

// transKind selects how a transcendental's result registers are compared.
type transKind uint8

const (
	exact       transKind = iota
	transUlp              // within 1 ulp of qemu (its extended-precision F2XM1, FYL2X, FYL2XP1, FPATAN)
	transDouble           // within the error of qemu's double-precision FSIN, FCOS, FSINCOS, FPTAN
)

// Operand references for the oracle.
const (
	stSTi = -1 // the register form's ST(i)
	opMem = -2 // the memory operand
)

type semKind uint8

const (
	semNone     semKind = iota
	semArith            // dst = x op y
	semSqrt             // ST(0) = sqrt(ST(0))
	semStoreF           // memory float ← ST(0)
	semStoreI           // memory integer ← ST(0)
	semStoreBCD         // memory packed BCD ← ST(0)
	semRound            // FRNDINT
	semScale            // FSCALE
)

// sem is what the C1 oracle (oracle.go) needs to know about a form.
type sem struct {
	kind semKind
	op   byte // '+', '-', '*', '/'
	x, y int  // operands: ST index, stSTi or opMem
	dst  int  // destination: ST index or stSTi (before the pops)
	pops int
}

// Form is one x87 instruction form.
type Form struct {
	Name string
	// Op is the x86asm mnemonic TestEncodings expects, "" for the P6
	// aliases x86asm does not decode by that name.
	Op       string
	Esc, Reg byte
	// RM: register forms only; -1 draws ST(i) at random, 0..7 fixes it
	// (the second byte of one-byte-operand forms such as D9 E8).
	RM  int
	Mem memFmt
	// Need lists the ST slots that must hold a value (stSTi: ST(i));
	// Push the pushes the instruction does (ST(7) must then be empty).
	// The differential test stays clear of stack faults, which qemu does
	// not model (doc.go).
	Need []int
	Push int
	// Gen adjusts the operands after the defaults are drawn.
	Gen func(g *gen, c *Case)
	// CC are the condition-code bits among C0, C2 and C3 the SDM defines
	// for this instruction; they are compared with qemu.
	CC    uint16
	C1    c1Rule
	Sem   *sem
	Trans transKind
	// Control instructions leave FIP, FDP and FOP alone (SDM vol. 1,
	// 8.1.8).
	Control bool
	// FCOMI: sets ZF, PF, CF and clears OF, SF, AF.
	FCOMI bool
	// CWGen, if set, draws the control word (otherwise every exception
	// is masked, with random RC and PC).
	CWGen func(g *gen) uint16
	// SWFlags: the input status word carries random exception flags and
	// SF.
	SWFlags bool
	// MaxI bounds a random ST(i) (FLD ST(i) pushes, so i ≤ 6).
	MaxI int
}

// Case is one test case: the x87 state FRSTOR loads, EFLAGS, EAX, the
// memory window and the instruction under test.
type Case struct {
	CW, SW uint16 // SW: TOP, condition codes, (SWFlags) flags
	Empty  uint8  // bit r: physical register r is empty
	Phys   [8]float80.F80
	Flags  uint32
	EAX    uint32
	Win    [WindowSize]byte
	MemOff uint32
	I      int // ST(i) of a register form
	Code   []byte
}

var cc3 = uint16(swC0 | swC2 | swC3)

// Forms returns the catalogue.
func Forms() []Form {
	var fs []Form
	add := func(f Form) {
		if f.MaxI == 0 {
			f.MaxI = 7
		}
		fs = append(fs, f)
	}
	reg := func(name, op string, esc, r byte, rm int) Form {
		return Form{Name: name, Op: op, Esc: esc, Reg: r, RM: rm}
	}
	mem := func(name, op string, esc, r byte, m memFmt) Form {
		return Form{Name: name, Op: op, Esc: esc, Reg: r, Mem: m}
	}

	// Arithmetic (SDM vol. 2, FADD/FADDP/FIADD, FSUB.., FSUBR.., FMUL..,
	// FDIV.., FDIVR..). In the DC and DE register rows the /4-/7 values
	// of SUB/SUBR and DIV/DIVR are swapped (opcode map, A.4.2).
	arith := []struct {
		name   string
		r, rDC byte
		op     byte
		rev    bool
	}{
		{"ADD", 0, 0, '+', false}, {"MUL", 1, 1, '*', false},
		{"SUB", 4, 5, '-', false}, {"SUBR", 5, 4, '-', true},
		{"DIV", 6, 7, '/', false}, {"DIVR", 7, 6, '/', true},
	}
	for _, a := range arith {
		xy := func(x, y int) (int, int) {
			if a.rev {
				return y, x
			}
			return x, y
		}
		withSem := func(f Form, x, y, dst, pops int) Form {
			x, y = xy(x, y)
			f.Sem = &sem{kind: semArith, op: a.op, x: x, y: y, dst: dst, pops: pops}
			f.C1 = c1Round
			f.Gen = genArith
			return f
		}
		f := withSem(reg("F"+a.name+"_ST0_STi", "F"+a.name, 0xD8, a.r, -1), 0, stSTi, 0, 0)
		f.Need = []int{0, stSTi}
		add(f)
		for _, m := range []struct {
			esc  byte
			fmt  memFmt
			name string
			i    string
		}{{0xD8, memF32, "m32fp", ""}, {0xDC, memF64, "m64fp", ""}, {0xDA, memI32, "m32int", "I"}, {0xDE, memI16, "m16int", "I"}} {
			f := withSem(mem("F"+m.i+a.name+"_"+m.name, "F"+m.i+a.name, m.esc, a.r, m.fmt), 0, opMem, 0, 0)
			f.Need = []int{0}
			add(f)
		}
		// DC: ST(i) = ST(i) op ST(0); DE: the same, then pop.
		f = withSem(reg("F"+a.name+"_STi_ST0", "F"+a.name, 0xDC, a.rDC, -1), stSTi, 0, stSTi, 0)
		f.Need = []int{0, stSTi}
		add(f)
		f = withSem(reg("F"+a.name+"P_STi_ST0", "F"+a.name+"P", 0xDE, a.rDC, -1), stSTi, 0, stSTi, 1)
		f.Need = []int{0, stSTi}
		add(f)
	}

	// Comparisons (SDM vol. 2, FCOM/FCOMP/FCOMPP, FUCOM.., FICOM.., FTST,
	// FXAM): C0, C2, C3 per the result tables; C1 = 0 (FXAM: sign).
	cmp := func(f Form, need ...int) Form {
		f.Need, f.CC, f.C1, f.Gen = need, cc3, c1Zero, genCompare
		return f
	}
	add(cmp(reg("FCOM_STi", "FCOM", 0xD8, 2, -1), 0, stSTi))
	add(cmp(reg("FCOMP_STi", "FCOMP", 0xD8, 3, -1), 0, stSTi))
	add(cmp(reg("FCOM2_STi", "", 0xDC, 2, -1), 0, stSTi))  // DC D0+i alias
	add(cmp(reg("FCOMP3_STi", "", 0xDC, 3, -1), 0, stSTi)) // DC D8+i alias
	add(cmp(reg("FCOMP5_STi", "", 0xDE, 2, -1), 0, stSTi)) // DE D0+i alias
	add(cmp(reg("FCOMPP", "FCOMPP", 0xDE, 3, 1), 0, 1))
	add(cmp(reg("FUCOM_STi", "FUCOM", 0xDD, 4, -1), 0, stSTi))
	add(cmp(reg("FUCOMP_STi", "FUCOMP", 0xDD, 5, -1), 0, stSTi))
	add(cmp(reg("FUCOMPP", "FUCOMPP", 0xDA, 5, 1), 0, 1))
	add(cmp(mem("FCOM_m32fp", "FCOM", 0xD8, 2, memF32), 0))
	add(cmp(mem("FCOMP_m32fp", "FCOMP", 0xD8, 3, memF32), 0))
	add(cmp(mem("FCOM_m64fp", "FCOM", 0xDC, 2, memF64), 0))
	add(cmp(mem("FCOMP_m64fp", "FCOMP", 0xDC, 3, memF64), 0))
	add(cmp(mem("FICOM_m32int", "FICOM", 0xDA, 2, memI32), 0))
	add(cmp(mem("FICOMP_m32int", "FICOMP", 0xDA, 3, memI32), 0))
	add(cmp(mem("FICOM_m16int", "FICOM", 0xDE, 2, memI16), 0))
	add(cmp(mem("FICOMP_m16int", "FICOMP", 0xDE, 3, memI16), 0))
	add(cmp(reg("FTST", "FTST", 0xD9, 4, 4), 0))
	f := reg("FXAM", "FXAM", 0xD9, 4, 5) // ST(0) may be empty
	f.CC, f.C1 = cc3, c1Qemu
	add(f)
	// FCOMI family (SDM vol. 2, FCOMI/FCOMIP/FUCOMI/FUCOMIP): ZF, PF, CF;
	// C0, C2, C3 "not affected", C1 = 0.
	for _, x := range []struct {
		name string
		esc  byte
		r    byte
	}{{"FCOMI", 0xDB, 6}, {"FUCOMI", 0xDB, 5}, {"FCOMIP", 0xDF, 6}, {"FUCOMIP", 0xDF, 5}} {
		f := cmp(reg(x.name+"_STi", x.name, x.esc, x.r, -1), 0, stSTi)
		f.FCOMI = true
		add(f)
	}
	// FCMOVcc (SDM vol. 2): C0, C2, C3 undefined; C1 only defined for a
	// stack underflow.
	for k, n := range []string{"FCMOVB", "FCMOVE", "FCMOVBE", "FCMOVU", "FCMOVNB", "FCMOVNE", "FCMOVNBE", "FCMOVNU"} {
		esc := byte(0xDA)
		if k >= 4 {
			esc = 0xDB
		}
		f := reg(n+"_STi", n, esc, byte(k%4), -1)
		f.Need = []int{0, stSTi}
		add(f)
	}

	// Register moves and stack control.
	mv := func(f Form, c1 c1Rule, need ...int) Form {
		f.Need, f.C1 = need, c1
		return f
	}
	f = mv(reg("FLD_STi", "FLD", 0xD9, 0, -1), c1Zero, stSTi)
	f.Push, f.MaxI = 1, 6
	add(f)
	add(mv(reg("FST_STi", "FST", 0xDD, 2, -1), c1Zero, 0))
	add(mv(reg("FSTP_STi", "FSTP", 0xDD, 3, -1), c1Zero, 0))
	add(mv(reg("FSTP1_STi", "", 0xD9, 3, -1), c1Zero, 0)) // D9 D8+i alias
	add(mv(reg("FSTP8_STi", "", 0xDF, 2, -1), c1Zero, 0)) // DF D0+i alias
	add(mv(reg("FSTP9_STi", "", 0xDF, 3, -1), c1Zero, 0)) // DF D8+i alias
	add(mv(reg("FXCH_STi", "FXCH", 0xD9, 1, -1), c1Zero, 0, stSTi))
	add(mv(reg("FXCH4_STi", "", 0xDD, 1, -1), c1Zero, 0, stSTi)) // DD C8+i alias
	add(mv(reg("FXCH7_STi", "", 0xDF, 1, -1), c1Zero, 0, stSTi)) // DF C8+i alias
	add(mv(reg("FFREE_STi", "FFREE", 0xDD, 0, -1), c1Undefined))
	add(mv(reg("FFREEP_STi", "FFREEP", 0xDF, 0, -1), c1Undefined))
	add(mv(reg("FINCSTP", "FINCSTP", 0xD9, 6, 7), c1Zero))
	add(mv(reg("FDECSTP", "FDECSTP", 0xD9, 6, 6), c1Zero))
	add(mv(reg("FCHS", "FCHS", 0xD9, 4, 0), c1Zero, 0))
	add(mv(reg("FABS", "FABS", 0xD9, 4, 1), c1Zero, 0))
	add(mv(reg("FNOP", "FNOP", 0xD9, 2, 0), c1Undefined))

	// Loads: "C1 Set to 1 if stack overflow occurred; otherwise, set to 0".
	ld := func(f Form) Form {
		f.Push, f.C1 = 1, c1Zero
		return f
	}
	add(ld(mem("FLD_m32fp", "FLD", 0xD9, 0, memF32)))
	add(ld(mem("FLD_m64fp", "FLD", 0xDD, 0, memF64)))
	add(ld(mem("FLD_m80fp", "FLD", 0xDB, 5, memF80)))
	add(ld(mem("FILD_m16int", "FILD", 0xDF, 0, memI16)))
	add(ld(mem("FILD_m32int", "FILD", 0xDB, 0, memI32)))
	add(ld(mem("FILD_m64int", "FILD", 0xDF, 5, memI64)))
	add(ld(mem("FBLD_m80bcd", "FBLD", 0xDF, 4, memBCD)))
	for k, n := range []string{"FLD1", "FLDL2T", "FLDL2E", "FLDPI", "FLDLG2", "FLDLN2", "FLDZ"} {
		add(ld(reg(n, n, 0xD9, 5, k)))
	}

	// Stores.
	st := func(f Form, kind semKind, pops int, g func(g *gen, c *Case)) Form {
		f.Need, f.C1, f.Gen = []int{0}, c1Round, g
		f.Sem = &sem{kind: kind, x: 0, pops: pops}
		return f
	}
	add(st(mem("FST_m32fp", "FST", 0xD9, 2, memF32), semStoreF, 0, genStoreFloat))
	add(st(mem("FSTP_m32fp", "FSTP", 0xD9, 3, memF32), semStoreF, 1, genStoreFloat))
	add(st(mem("FST_m64fp", "FST", 0xDD, 2, memF64), semStoreF, 0, genStoreFloat))
	add(st(mem("FSTP_m64fp", "FSTP", 0xDD, 3, memF64), semStoreF, 1, genStoreFloat))
	f = mem("FSTP_m80fp", "FSTP", 0xDB, 7, memF80)
	f.Need, f.C1 = []int{0}, c1Zero
	add(f)
	add(st(mem("FIST_m16int", "FIST", 0xDF, 2, memI16), semStoreI, 0, genStoreInt(16)))
	add(st(mem("FISTP_m16int", "FISTP", 0xDF, 3, memI16), semStoreI, 1, genStoreInt(16)))
	add(st(mem("FIST_m32int", "FIST", 0xDB, 2, memI32), semStoreI, 0, genStoreInt(32)))
	add(st(mem("FISTP_m32int", "FISTP", 0xDB, 3, memI32), semStoreI, 1, genStoreInt(32)))
	add(st(mem("FISTP_m64int", "FISTP", 0xDF, 7, memI64), semStoreI, 1, genStoreInt(64)))
	add(st(mem("FBSTP_m80bcd", "FBSTP", 0xDF, 6, memBCD), semStoreBCD, 1, genStoreBCD))

	// Other arithmetic (SDM vol. 2, FSQRT, FRNDINT, FSCALE, FXTRACT,
	// FPREM, FPREM1).
	f = reg("FSQRT", "FSQRT", 0xD9, 7, 2)
	f.Need, f.C1, f.Sem, f.Gen = []int{0}, c1Round, &sem{kind: semSqrt}, genSqrt
	add(f)
	f = reg("FRNDINT", "FRNDINT", 0xD9, 7, 4)
	f.Need, f.C1, f.Sem, f.Gen = []int{0}, c1Round, &sem{kind: semRound}, genRound
	add(f)
	f = reg("FSCALE", "FSCALE", 0xD9, 7, 5)
	f.Need, f.C1, f.Sem, f.Gen = []int{0, 1}, c1Round, &sem{kind: semScale}, genScale
	add(f)
	f = reg("FXTRACT", "FXTRACT", 0xD9, 6, 4)
	f.Need, f.Push, f.C1 = []int{0}, 1, c1Zero
	add(f)
	for _, p := range []struct {
		name string
		r    byte
		rm   int
	}{{"FPREM", 7, 0}, {"FPREM1", 6, 5}} {
		f = reg(p.name, p.name, 0xD9, p.r, p.rm)
		f.Need, f.CC, f.C1, f.Gen = []int{0, 1}, cc3, c1Qemu, genPrem
		add(f)
	}

	// Control instructions.
	f = reg("FNSTSW_AX", "FNSTSW", 0xDF, 4, 0)
	f.Control, f.SWFlags = true, true
	add(f)
	f = mem("FNSTSW_m16", "FNSTSW", 0xDD, 7, memW16)
	f.Control, f.SWFlags = true, true
	add(f)
	f = mem("FNSTCW_m16", "FNSTCW", 0xD9, 7, memW16)
	f.Control, f.CWGen = true, randomCW
	add(f)
	f = mem("FLDCW_m16", "FLDCW", 0xD9, 5, memW16)
	f.Control, f.Gen = true, genFLDCW
	add(f)
	f = reg("FNCLEX", "FNCLEX", 0xDB, 4, 2)
	f.Control, f.SWFlags = true, true
	add(f)
	f = reg("FNINIT", "FNINIT", 0xDB, 4, 3)
	f.Control, f.SWFlags, f.CC, f.C1 = true, true, cc3, c1Zero
	add(f)

	// Transcendentals (SDM vol. 2, F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN,
	// FCOS, FSINCOS, FPTAN).
	tr := func(f Form, t transKind, push int, g func(g *gen, c *Case), need ...int) Form {
		f.Need, f.Push, f.Trans, f.Gen = need, push, t, g
		if t == transDouble {
			f.CC = swC2
		}
		return f
	}
	add(tr(reg("F2XM1", "F2XM1", 0xD9, 6, 0), transUlp, 0, genF2XM1, 0))
	add(tr(reg("FYL2X", "FYL2X", 0xD9, 6, 1), transUlp, 0, genFYL2X, 0, 1))
	add(tr(reg("FYL2XP1", "FYL2XP1", 0xD9, 7, 1), transUlp, 0, genFYL2XP1, 0, 1))
	add(tr(reg("FPATAN", "FPATAN", 0xD9, 6, 3), transUlp, 0, genFPATAN, 0, 1))
	add(tr(reg("FSIN", "FSIN", 0xD9, 7, 6), transDouble, 0, genTrig, 0))
	add(tr(reg("FCOS", "FCOS", 0xD9, 7, 7), transDouble, 0, genTrig, 0))
	add(tr(reg("FSINCOS", "FSINCOS", 0xD9, 7, 3), transDouble, 1, genTrig, 0))
	add(tr(reg("FPTAN", "FPTAN", 0xD9, 6, 2), transDouble, 1, genTrig, 0))
	return fs
}

// --- case generation ------------------------------------------------------

// GenCases generates n cases of form f.
func GenCases(f *Form, n int, seed uint64) []Case {
	h := fnv.New64a()
	h.Write([]byte(f.Name))
	g := &gen{r: rand.New(rand.NewPCG(seed, h.Sum64()))}
	cases := make([]Case, n)
	for k := range cases {
		cases[k] = f.genCase(g)
	}
	return cases
}

// randomCW draws a control word with random masks, PC (24, 53 or 64 bits)
// and RC, bit 6 set (it reads as 1).
func randomCW(g *gen) uint16 {
	pc := [...]uint16{0, 2, 3, 3}[g.n(4)]
	return uint16(g.n(64)) | 0x40 | pc<<8 | uint16(g.n(4))<<10
}

func (f *Form) genCase(g *gen) Case {
	var c Case
	// Every exception masked; PC 64 in half the cases, else 53 or 24
	// (SDM vol. 1, 8.1.5.2); RC at random (4.8.4).
	pc := [...]uint16{3, 3, 2, 0}[g.n(4)]
	c.CW = 0x7F | pc<<8 | uint16(g.n(4))<<10
	if f.CWGen != nil {
		c.CW = f.CWGen(g)
	}
	c.SW = uint16(g.n(8))<<11 | uint16(g.n(16)&1)<<8 | uint16(g.n(2))<<9 | uint16(g.n(2))<<10 | uint16(g.n(2))<<14
	if f.SWFlags {
		c.SW |= uint16(g.n(128))
	}
	for r := range c.Phys {
		if g.chance(1, 2) {
			c.Empty |= 1 << r
			c.Phys[r] = g.value() // empty registers keep a value
		} else {
			c.Phys[r] = g.value()
		}
	}
	c.I = f.RM
	if f.RM < 0 {
		c.I = g.n(f.MaxI)
	}
	for _, s := range f.Need {
		if s == stSTi {
			s = c.I
		}
		c.setST(s, g.value())
	}
	for k := 0; k < f.Push; k++ {
		c.freeST(7 - k)
	}
	for i := range c.Win {
		c.Win[i] = byte(g.n(256))
	}
	if f.Mem != memNone {
		c.MemOff = uint32(g.n(WindowSize - memSize[f.Mem] + 1))
		f.genMem(g, &c)
	}
	c.Flags = uint32(g.u64())&statusFlags | 2
	c.EAX = uint32(g.u64())
	if f.Gen != nil {
		f.Gen(g, &c)
	}
	c.Code = f.encode(g, &c)
	return c
}

func (f *Form) genMem(g *gen, c *Case) {
	b := c.Win[c.MemOff:]
	le := binary.LittleEndian
	like := c.st(0)
	switch f.Mem {
	case memF32:
		le.PutUint32(b, g.f32(like))
	case memF64:
		le.PutUint64(b, g.f64(like))
	case memF80:
		v := g.value().Bytes()
		copy(b, v[:])
	case memI16:
		le.PutUint16(b, uint16(g.int(16)))
	case memI32:
		le.PutUint32(b, uint32(g.int(32)))
	case memI64:
		le.PutUint64(b, uint64(g.int(64)))
	case memBCD:
		// 18 random digits (each 0-9), then the sign byte; the unused bits
		// 72-78 are zero (SDM vol. 1, 4.7, figure 4-10).
		digits := g.n(19)
		for i := 0; i < 9; i++ {
			var d byte
			if 2*i < digits {
				d = byte(g.n(10))
			}
			if 2*i+1 < digits {
				d |= byte(g.n(10)) << 4
			}
			b[i] = d
		}
		b[9] = byte(g.n(2)) << 7
	case memW16:
		le.PutUint16(b, uint16(g.u64()))
	}
}

func (f *Form) encode(g *gen, c *Case) []byte {
	var b []byte
	if f.Mem == memNone {
		return append(b, f.Esc, 0xC0|f.Reg<<3|byte(c.I))
	}
	if g.chance(1, 4) { // a redundant DS, ES or SS override: all flat here
		b = append(b, [...]byte{0x3E, 0x26, 0x36}[g.n(3)])
	}
	b = append(b, f.Esc, f.Reg<<3|5)
	return binary.LittleEndian.AppendUint32(b, WindowAddr+c.MemOff)
}

// --- operand generators ---------------------------------------------------

// genArith correlates the second operand with the first in a third of the
// cases (cancellation, equal magnitudes, exact ties).
func genArith(g *gen, c *Case) {
	if c.I != 0 && g.chance(1, 3) && !c.isEmpty(c.I) {
		c.setST(c.I, g.related(c.st(0)))
	}
}

func genCompare(g *gen, c *Case) {
	if g.chance(1, 3) && c.I != 0 {
		c.setST(c.I, g.related(c.st(0)))
	}
}

// genStoreFloat: values near the float32/float64 rounding points, the
// overflow and underflow thresholds of each format.
func genStoreFloat(g *gen, c *Case) {
	if g.chance(1, 3) {
		e := []int{g.rng(-30, 30), g.rng(120, 132), g.rng(-155, -120), g.rng(1015, 1030), g.rng(-1080, -1015)}[g.n(5)]
		c.setST(0, f80(g.sign(), 16383+e, g.tieMant()))
	}
}

// genStoreInt: values around integers and around the edges of the width.
func genStoreInt(w int) func(g *gen, c *Case) {
	return func(g *gen, c *Case) {
		switch g.n(4) {
		case 0:
			e := g.rng(-2, w+1)
			c.setST(0, f80(g.sign(), 16383+e, g.u64()|1<<63))
		case 1: // k + j/4
			v := float64(g.rng(-1000, 1000)) + float64(g.n(4))/4
			c.setST(0, fromF64(v))
		case 2: // near ±2^(w-1)
			m := ^uint64(0) << uint(g.rng(0, 63-(w-1)))
			if g.chance(1, 2) {
				m = 1<<63 | uint64(g.n(4))<<uint(63-w)
			}
			c.setST(0, f80(g.sign(), 16383+w-1-g.n(2), m))
		}
	}
}

// genStoreBCD: integers and fractions below and around 10^18.
func genStoreBCD(g *gen, c *Case) {
	switch g.n(3) {
	case 0:
		c.setST(0, f80(g.sign(), 16383+g.rng(-2, 61), g.u64()|1<<63))
	case 1: // around 10^18 = 0DE0B6B3A7640000h
		m := uint64(0xDE0B6B3A76400000) + uint64(g.rng(-40, 40))<<4
		c.setST(0, f80(g.sign(), 16383+59, m))
	}
}

func genSqrt(g *gen, c *Case) {
	if g.chance(2, 3) {
		v := c.st(0)
		c.setST(0, withSign(v, false))
	}
}

func genRound(g *gen, c *Case) {
	if g.chance(1, 2) {
		c.setST(0, f80(g.sign(), 16383+g.rng(-3, 64), g.tieMant()))
	}
}

// genScale: the scale factor ST(1) is mostly small (with a fraction, which
// FSCALE truncates), sometimes far beyond the exponent range.
func genScale(g *gen, c *Case) {
	switch g.n(4) {
	case 0, 1:
		c.setST(1, fromF64(float64(g.rng(-80, 80))+float64(g.n(8))/8))
	case 2:
		c.setST(1, fromF64(float64(g.rng(-40000, 40000))))
	}
}

// genPrem: exponent differences from 0 to about 100, so that some
// remainders are partial (C2 = 1, SDM vol. 2, FPREM).
func genPrem(g *gen, c *Case) {
	if g.chance(3, 4) {
		y := f80(g.sign(), 16383+g.rng(-20, 20), g.u64()|1<<63)
		x := f80(g.sign(), int(y.BiasedExponent())+g.rng(-2, 100), g.u64()|1<<63)
		c.setST(0, x)
		c.setST(1, y)
	}
}

func genFLDCW(g *gen, c *Case) {
	binary.LittleEndian.PutUint16(c.Win[c.MemOff:], randomCW(g))
}

// Transcendental operands stay finite and inside each instruction's
// domain (SDM vol. 2: F2XM1 −1..+1; FYL2X x > 0; FYL2XP1 |x| < 1 − √2/2;
// FSIN, FCOS, FSINCOS, FPTAN |x| < 2^63, here mostly < 2^10).
func genF2XM1(g *gen, c *Case) {
	c.setST(0, g.finite(-64, -1))
	if g.chance(1, 8) {
		c.setST(0, withSign(fromF64(1), g.sign()))
	}
}

func genFYL2X(g *gen, c *Case) {
	x := g.finite(-100, 100)
	if g.chance(1, 6) {
		x = f80(false, 16383+g.rng(-100, 100), 1<<63) // a power of two
	}
	c.setST(0, withSign(x, false))
	c.setST(1, g.finite(-30, 30))
}

func genFYL2XP1(g *gen, c *Case) {
	c.setST(0, f80(g.sign(), 16383+g.rng(-70, -3), g.u64()|1<<63))
	c.setST(1, g.finite(-30, 30))
}

func genFPATAN(g *gen, c *Case) {
	c.setST(0, g.finite(-40, 40))
	c.setST(1, g.finite(-40, 40))
	if g.chance(1, 8) {
		c.setST(g.n(2), f80(g.sign(), 0, 0))
	}
}

func genTrig(g *gen, c *Case) {
	switch g.n(8) {
	case 0: // out of range: C2 = 1, operand unchanged
		c.setST(0, f80(g.sign(), 16383+g.rng(63, 70), g.u64()|1<<63))
	case 1: // tiny
		c.setST(0, g.finite(-60, -20))
	default:
		c.setST(0, g.finite(-8, 10))
	}
}

// Describe names the case's inputs.
func (c *Case) Describe() string {
	in := c.In()
	return fmt.Sprintf("flags %03X EAX %08X window % X\n  input %s", c.Flags, c.EAX, c.Win[:], in.String())
}
