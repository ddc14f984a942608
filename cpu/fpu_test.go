package cpu

// x87 FPU integration tests: hand-encoded x87 code runs on the CPU in
// real-address mode and in flat 32-bit protected mode, and the tests check
// the register stack, the status, control and tag words, memory and EFLAGS
// as the program itself stores them (FNSAVE, FNSTSW, FNSTENV), so that what
// is checked is what software sees.
//
// The arithmetic itself (package float80) is tested elsewhere against
// math/big; here the values are simple enough to be worked out by hand, and
// every expected value comes from the Intel SDM (the section is cited at
// each test), never from running this emulator.
//
// This file holds the harness and the instruction tests; fpu_env_test.go
// covers FSTENV/FLDENV/FSAVE/FRSTOR and the FIP/FDP/FOP pointers, and
// fpu_exc_test.go CR0.EM/MP/TS, #MF, FERR# and unmasked exceptions.

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"testing"

	"github.com/gox86/gox86/cpu/float80"
	"github.com/gox86/gox86/mmu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --- harness ------------------------------------------------------------

// Data area offsets (relative to DS; DS base is tmData in real mode, and
// in protected mode the encoder adds tmData to the displacement, so the
// physical address is tmData+offset in both modes).
const (
	dA    = 0x000
	dB    = 0x010
	dC    = 0x020
	dD    = 0x030
	dE    = 0x040
	dOut  = 0x100 // results stored by the code under test
	dOut2 = 0x180
	dEnv  = 0x200 // FSTENV/FSAVE images under test
	dEnv2 = 0x300
	dCW   = 0x400 // control word loaded by fldcw()
	dDump = 0x800 // the final FNSAVE image
)

// Extra status-word bits (SDM vol. 1, 8.1.3, figure 8-4).
const (
	swIE = fswIE
	swDE = 1 << 1
	swZE = 1 << 2
	swOE = 1 << 3
	swUE = 1 << 4
	swPE = 1 << 5
	swSF = fswSF
	swES = fswES
	swC0 = fswC0
	swC1 = fswC1
	swC2 = fswC2
	swC3 = fswC3
	swB  = fswB

	swExc = 0x3F
)

// fasm assembles x87 test code for one mode. Memory operands are direct
// DS-relative addresses: [disp16] (ModRM mod 00, r/m 110) in real mode,
// [disp32] (mod 00, r/m 101) in protected mode.
type fasm struct {
	real bool
	b    []byte
}

func (a *fasm) op(b ...byte) *fasm { a.b = append(a.b, b...); return a }

// disp is the displacement that addresses data offset off.
func (a *fasm) disp(off uint32) uint32 {
	if a.real {
		return off
	}
	return tmData + off
}

// mem emits prefixes, the escape byte esc and a ModRM with reg and a
// direct memory operand at data offset off.
func (a *fasm) mem(esc, reg byte, off uint32, prefixes ...byte) *fasm {
	a.b = append(a.b, prefixes...)
	if a.real {
		a.b = append(a.b, esc, reg<<3|6)
		a.b = binary.LittleEndian.AppendUint16(a.b, uint16(a.disp(off)))
	} else {
		a.b = append(a.b, esc, reg<<3|5)
		a.b = binary.LittleEndian.AppendUint32(a.b, a.disp(off))
	}
	return a
}

// modrm is the ModRM byte mem uses for reg.
func (a *fasm) modrm(reg byte) byte {
	if a.real {
		return reg<<3 | 6
	}
	return reg<<3 | 5
}

// here is the code offset of the next byte; eip converts a code offset to
// the EIP a handler sees (IP relative to CS = 1000h in real mode).
func (a *fasm) here() uint32 { return uint32(len(a.b)) }

func (a *fasm) eip(off uint32) uint32 {
	if a.real {
		return off
	}
	return tmCode + off
}

// Common instructions.
func (a *fasm) fninit() *fasm             { return a.op(0xDB, 0xE3) }
func (a *fasm) fld80(off uint32) *fasm    { return a.mem(0xDB, 5, off) } // FLD m80fp
func (a *fasm) fld64(off uint32) *fasm    { return a.mem(0xDD, 0, off) } // FLD m64fp
func (a *fasm) fld32(off uint32) *fasm    { return a.mem(0xD9, 0, off) } // FLD m32fp
func (a *fasm) fstp80(off uint32) *fasm   { return a.mem(0xDB, 7, off) } // FSTP m80fp
func (a *fasm) fnstsw(off uint32) *fasm   { return a.mem(0xDD, 7, off) } // FNSTSW m2byte
func (a *fasm) fnstcw(off uint32) *fasm   { return a.mem(0xD9, 7, off) } // FNSTCW m2byte
func (a *fasm) fldcwAt(off uint32) *fasm  { return a.mem(0xD9, 5, off) } // FLDCW m2byte
func (a *fasm) hlt() *fasm                { return a.op(0xF4) }
func (a *fasm) fnstenv(off uint32) *fasm  { return a.mem(0xD9, 6, off) }
func (a *fasm) fldenv(off uint32) *fasm   { return a.mem(0xD9, 4, off) }
func (a *fasm) fnsave(off uint32) *fasm   { return a.mem(0xDD, 6, off) }
func (a *fasm) frstor(off uint32) *fasm   { return a.mem(0xDD, 4, off) }
func (a *fasm) fnsave32(off uint32) *fasm { return a.mem(0xDD, 6, off, a.o32()...) }

// o32 is the operand-size prefix that selects the 32-bit environment
// format in this mode (66h in 16-bit code, none in 32-bit code); o16 the
// one that selects the 16-bit format.
func (a *fasm) o32() []byte {
	if a.real {
		return []byte{0x66}
	}
	return nil
}

func (a *fasm) o16() []byte {
	if a.real {
		return nil
	}
	return []byte{0x66}
}

// fpuMachine returns a test machine whose CPU has an x87 unit (CR0.ET
// set, as on a Pentium II), set up in real mode or flat protected mode.
func fpuMachine(t testing.TB, real bool) *tmMachine {
	mem := mmu.NewMemory(tmMemSize)
	bus := &tmBus{in: map[uint16]uint32{}}
	c := New(Config{Memory: mem, Bus: bus, FPU: true})
	m := &tmMachine{t: t, mem: mem, c: c, bus: bus}
	bus.m = m
	m.pic = &tmPIC{m: m}
	c.SetInterruptController(m.pic)
	c.Hooks.Exception = func(_ *CPU, v uint8, code uint32) {
		m.excs = append(m.excs, tmExc{v, code})
	}
	m.w32(tmRecVector, 0xFFFFFFFF)
	if real {
		m.setupReal()
	} else {
		m.setupProt()
	}
	return m
}

// setCR0 sets the x87 control bits of CR0 (MP, EM, TS, NE), keeping PE.
func (m *tmMachine) setCR0(bits uint32) {
	m.c.SetControlRegisters(m.c.CR0&CR0PE|bits, m.c.CR3, m.c.CR4)
}

// x87State is the machine state as FNSAVE with a 32-bit operand size
// stores it (SDM vol. 1, 8.1.10, figures 8-9 and 8-10), decoded. In real
// mode FIP and FDP are the 32-bit linear addresses of figure 8-10, so a
// test expects tmCode+offset and tmData+offset in both modes.
type x87State struct {
	CW, SW, TW uint16
	FIP, FDP   uint32
	FCS, FDS   uint16 // protected mode only
	FOP        uint16
	ST         [8]float80.F80 // ST(0)..ST(7)
}

func (s x87State) top() int { return int(s.SW>>11) & 7 }

// tag returns the two-bit tag of ST(i) (the tag word is indexed by
// physical register, SDM vol. 1, 8.1.7).
func (s x87State) tag(i int) int { return int(s.TW>>(2*((s.top()+i)&7))) & 3 }

func (s x87State) String() string {
	str := fmt.Sprintf("CW=%04X SW=%04X TW=%04X FIP=%08X FCS=%04X FOP=%03X FDP=%08X FDS=%04X",
		s.CW, s.SW, s.TW, s.FIP, s.FCS, s.FOP, s.FDP, s.FDS)
	for i := range s.ST {
		str += fmt.Sprintf("\n  ST(%d) %04X %016X tag %d", i, s.ST[i].SE, s.ST[i].Mant, s.tag(i))
	}
	return str
}

// parseSave32 decodes a 108-byte FSAVE image in the 32-bit format of the
// given mode.
func parseSave32(b []byte, real bool) x87State {
	le := binary.LittleEndian
	d := func(k int) uint32 { return le.Uint32(b[4*k:]) }
	s := x87State{CW: uint16(d(0)), SW: uint16(d(1)), TW: uint16(d(2))}
	if real {
		s.FIP = d(3)&0xFFFF | (d(4)>>12&0xFFFF)<<16
		s.FOP = uint16(d(4) & 0x7FF)
		s.FDP = d(5)&0xFFFF | (d(6)>>12&0xFFFF)<<16
	} else {
		s.FIP = d(3)
		s.FCS = uint16(d(4))
		s.FOP = uint16(d(4)>>16) & 0x7FF
		s.FDP = d(5)
		s.FDS = uint16(d(6))
	}
	for i := range s.ST {
		var r [10]byte
		copy(r[:], b[28+10*i:])
		s.ST[i] = float80.FromBytes(r)
	}
	return s
}

// fpuRun assembles code (with FNSAVE to dDump and HLT appended), runs it
// and returns the machine and the saved state. setup, if not nil, runs
// before the CPU does.
func fpuRun(t *testing.T, real bool, setup func(m *tmMachine), code func(a *fasm)) (*tmMachine, x87State) {
	t.Helper()
	a := &fasm{real: real}
	code(a)
	a.fnsave32(dDump).hlt()
	m := fpuMachine(t, real)
	m.load(tmCode, a.b)
	if setup != nil {
		setup(m)
	}
	m.runHalt()
	require.Equal(t, -1, m.hitVector(), "unexpected exception (%v)", m.excs)
	return m, parseSave32(m.bytes(tmData+dDump, 108), real)
}

// bothModes runs f as subtests in real mode and in protected mode.
func bothModes(t *testing.T, f func(t *testing.T, real bool)) {
	t.Run("real", func(t *testing.T) { f(t, true) })
	t.Run("prot", func(t *testing.T) { f(t, false) })
}

// --- values -------------------------------------------------------------

func x80(se uint16, mant uint64) float80.F80 { return float80.F80{SE: se, Mant: mant} }

func b80(v float80.F80) []byte {
	b := v.Bytes()
	return b[:]
}

// fd converts a float64 to the 80-bit format exactly (SDM vol. 1, 4.2.2:
// the 52-bit fraction becomes bits 62..11 of the significand, the integer
// bit is explicit and the exponent is rebiased from 1023 to 16383).
func fd(x float64) float80.F80 {
	u := math.Float64bits(x)
	sign := uint16(u>>63) << 15
	exp := int(u>>52) & 0x7FF
	frac := u & (1<<52 - 1)
	switch {
	case exp == 0 && frac == 0:
		return x80(sign, 0)
	case exp == 0x7FF:
		return x80(sign|0x7FFF, 1<<63|frac<<11)
	case exp == 0: // denormal: normalize
		lz := bits.LeadingZeros64(frac)
		return x80(sign|uint16(16383-1022-(lz-11)), frac<<lz)
	}
	return x80(sign|uint16(exp-1023+16383), 1<<63|frac<<11)
}

// fint is the exact 80-bit value of an integer.
func fint(v int64) float80.F80 {
	if v == 0 {
		return x80(0, 0)
	}
	var sign uint16
	mag := uint64(v)
	if v < 0 {
		sign, mag = 0x8000, uint64(-v)
	}
	lz := bits.LeadingZeros64(mag)
	return x80(sign|uint16(16383+63-lz), mag<<lz)
}

// Special values (SDM vol. 1, 4.8.3.7 and table 8-3).
var (
	fIndef  = x80(0xFFFF, 0xC000000000000000) // real indefinite
	fPosInf = x80(0x7FFF, 0x8000000000000000)
	fNegInf = x80(0xFFFF, 0x8000000000000000)
	fQNaN   = x80(0x7FFF, 0xC000000000001234)
	fSNaN   = x80(0x7FFF, 0x8000000000001234)
	fDenorm = x80(0x0000, 0x0000000000001234) // 80-bit denormal
	fUnnorm = x80(0x4000, 0x4000000000000000) // unnormal: J=0, exp≠0
	fPseudo = x80(0x7FFF, 0x4000000000000000) // pseudo-NaN: J=0
	fPosZ   = x80(0, 0)
	fNegZ   = x80(0x8000, 0)
)

// load writes values at consecutive 16-byte slots from data offset off.
func (m *tmMachine) loadData(off uint32, b []byte) { m.load(tmData+off, b) }

// pushAll emits FLD m80fp for vals[len-1] down to vals[0] from data slots
// at dE, dE+16, ... so that ST(i) = vals[i] afterwards; the loads signal
// no exception (SDM vol. 2, FLD: m80fp operands are not converted).
func pushAll(a *fasm, n int) {
	for i := n - 1; i >= 0; i-- {
		a.fld80(dE + uint32(16*i))
	}
}

func setupVals(vals ...float80.F80) func(m *tmMachine) {
	return func(m *tmMachine) {
		for i, v := range vals {
			m.loadData(dE+uint32(16*i), b80(v))
		}
	}
}

func assertST(t *testing.T, s x87State, i int, want float80.F80, msg ...any) {
	t.Helper()
	assert.Equalf(t, fmt.Sprintf("%04X:%016X", want.SE, want.Mant),
		fmt.Sprintf("%04X:%016X", s.ST[i].SE, s.ST[i].Mant), "ST(%d) %v\n%v", i, fmt.Sprint(msg...), s)
}

// fldcw emits FLDCW from dCW after setup stored cw there.
func fldcwSetup(cw uint16) func(m *tmMachine) {
	return func(m *tmMachine) { m.w16(tmData+dCW, cw) }
}

func chain(fs ...func(m *tmMachine)) func(m *tmMachine) {
	return func(m *tmMachine) {
		for _, f := range fs {
			if f != nil {
				f(m)
			}
		}
	}
}

// Control words: all exceptions masked, 64-bit precision, with the four
// rounding controls (SDM vol. 1, 8.1.5, table 4-8).
const (
	cwNearest = 0x037F
	cwDown    = 0x077F
	cwUp      = 0x0B7F
	cwChop    = 0x0F7F
)

var rcNames = map[uint16]string{cwNearest: "nearest", cwDown: "down", cwUp: "up", cwChop: "chop"}

// --- FNINIT and RESET state ----------------------------------------------

// TestFPUInitState: FINIT/FNINIT set CW=037Fh, SW=0, TW=FFFFh and clear
// the instruction and data pointers and the opcode (SDM vol. 2,
// FINIT/FNINIT, Description and Operation). The data registers are left
// unchanged, only tagged empty (same section).
func TestFPUInitState(t *testing.T) {
	for _, form := range []struct {
		name string
		code []byte
	}{{"FNINIT", []byte{0xDB, 0xE3}}, {"FINIT", []byte{0x9B, 0xDB, 0xE3}}} {
		t.Run(form.name, func(t *testing.T) {
			bothModes(t, func(t *testing.T, real bool) {
				_, s := fpuRun(t, real, chain(setupVals(fd(3)), fldcwSetup(0x0C60)), func(a *fasm) {
					a.fninit().fldcwAt(dCW) // unmask everything, chop
					pushAll(a, 1)
					a.op(0xD8, 0xC0) // FADD ST0, ST0: sets pointers
					a.op(form.code...)
				})
				assert.Equal(t, uint16(0x037F), s.CW, "CW")
				assert.Equal(t, uint16(0x0000), s.SW, "SW")
				assert.Equal(t, uint16(0xFFFF), s.TW, "TW")
				assert.Zero(t, s.FIP, "FIP")
				assert.Zero(t, s.FDP, "FDP")
				assert.Zero(t, s.FOP, "FOP")
				assert.Zero(t, s.FCS, "FCS")
				assert.Zero(t, s.FDS, "FDS")
				// "The data registers in the register stack are left
				// unchanged, but they are all tagged as empty" (SDM vol.
				// 2, FINIT/FNINIT; vol. 3, table 9-1).
				assertST(t, s, 7, fd(6), "R7 keeps FADD's result")
			})
		})
	}
}

// TestFPUResetState: after RESET the x87 control word is 0040h, the status
// word 0, the tag word 5555h (every register valid, +0.0), the pointers 0
// (SDM vol. 3, 9.1.2 and table 9-1, "x87 FPU ... after RESET").
func TestFPUResetState(t *testing.T) {
	m := fpuMachine(t, true)
	m.c.Reset()
	m.setupReal()
	a := &fasm{real: true}
	a.fnsave32(dDump).hlt()
	m.load(tmCode, a.b)
	m.runHalt()
	s := parseSave32(m.bytes(tmData+dDump, 108), true)
	assert.Equal(t, uint16(0x0040), s.CW, "CW")
	assert.Equal(t, uint16(0x0000), s.SW, "SW")
	assert.Equal(t, uint16(0x5555), s.TW, "TW")
	assert.Zero(t, s.FIP)
	assert.Zero(t, s.FDP)
	for i := range s.ST {
		assertST(t, s, i, fPosZ)
	}
	assert.NotZero(t, m.c.CR0&CR0ET, "CR0.ET reports the x87 (SDM vol. 3, 2.5)")
}

// --- stack: TOP and tags ----------------------------------------------

// TestFPUStackTags: loads decrement TOP and fill the tag of the physical
// register: 00 valid, 01 zero, 10 special (NaN, infinity, denormal,
// unsupported), 11 empty (SDM vol. 1, 8.1.7, figure 8-7; 8.1.2).
func TestFPUStackTags(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		_, s := fpuRun(t, real, setupVals(fd(1), fPosZ, fPosInf, fDenorm, fQNaN, fUnnorm), func(a *fasm) {
			a.fninit()
			pushAll(a, 6)
		})
		assert.Equal(t, 2, s.top(), "TOP after six pushes")
		// Physical R7 = unnormal (pushed first) ... R2 = 1.0.
		wantTags := []int{0, 1, 2, 2, 2, 2}
		for i, w := range wantTags {
			assert.Equal(t, w, s.tag(i), "tag of ST(%d)", i)
		}
		assert.Equal(t, uint16(0xAA4F), s.TW, "TW: R0,R1 empty; R2 valid; R3 zero; R4-R7 special")
		assert.Equal(t, uint16(0x1000), s.SW, "SW: TOP=2, no exception")
	})
}

// TestFPUStackControl: FINCSTP/FDECSTP rotate TOP without touching tags and
// clear C1 (SDM vol. 2, FINCSTP, FDECSTP); FFREE tags ST(i) empty without
// changing TOP (FFREE); FFREEP (DF C0+i, the P6's undocumented "free and
// pop", SDM vol. 2 appendix A.4 opcode map note) frees ST(i) and pops.
func TestFPUStackControl(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		vals := setupVals(fd(1), fd(2), fd(3))
		t.Run("FINCSTP", func(t *testing.T) {
			_, s := fpuRun(t, real, vals, func(a *fasm) {
				a.fninit()
				pushAll(a, 3)
				a.op(0xD9, 0xF7)
			})
			assert.Equal(t, 6, s.top())
			assertST(t, s, 0, fd(2))
			assertST(t, s, 1, fd(3))
			assert.Equal(t, 0, s.tag(7), "old ST(0) keeps its value and tag as ST(7)")
			assertST(t, s, 7, fd(1))
			assert.Equal(t, uint16(0x03FF), s.TW, "tags unchanged: R5-R7 valid")
		})
		t.Run("FDECSTP", func(t *testing.T) {
			_, s := fpuRun(t, real, vals, func(a *fasm) {
				a.fninit()
				pushAll(a, 3)
				a.op(0xD9, 0xF6)
			})
			assert.Equal(t, 4, s.top())
			assert.Equal(t, 3, s.tag(0), "new ST(0) is empty")
			assertST(t, s, 1, fd(1))
			assert.Equal(t, uint16(0x03FF), s.TW)
		})
		t.Run("FINCSTP clears C1", func(t *testing.T) {
			_, s := fpuRun(t, real, setupVals(fd(1)), func(a *fasm) {
				a.fninit()
				for k := 0; k < 9; k++ { // the ninth load overflows: C1=1
					a.fld80(dE)
				}
				a.op(0xD9, 0xF7)
			})
			assert.Zero(t, s.SW&swC1, "C1 cleared: SW=%04X", s.SW)
			assert.Equal(t, uint16(swIE|swSF), s.SW&(swExc|swSF), "the stack fault is still recorded")
		})
		t.Run("FFREE", func(t *testing.T) {
			_, s := fpuRun(t, real, vals, func(a *fasm) {
				a.fninit()
				pushAll(a, 3)
				a.op(0xDD, 0xC1) // FFREE ST(1)
			})
			assert.Equal(t, 5, s.top())
			assert.Equal(t, 0, s.tag(0))
			assert.Equal(t, 3, s.tag(1))
			assert.Equal(t, 0, s.tag(2))
		})
		t.Run("FFREEP", func(t *testing.T) {
			_, s := fpuRun(t, real, vals, func(a *fasm) {
				a.fninit()
				pushAll(a, 3)
				a.op(0xDF, 0xC1) // FFREEP ST(1): free ST(1), then pop
			})
			assert.Equal(t, 6, s.top())
			assert.Equal(t, 3, s.tag(0), "old ST(1) freed")
			assertST(t, s, 1, fd(3))
			assert.Equal(t, 3, s.tag(7), "old ST(0) popped")
		})
	})
}

// TestFPUMoves: FLD ST(i), FST/FSTP ST(i), FXCH and the P6 aliases
// FSTP1 (D9 D8+i), FSTP8 (DF D0+i), FSTP9 (DF D8+i), FXCH4 (DD C8+i),
// FXCH7 (DF C8+i), which behave as FSTP ST(i) and FXCH ST(i) (SDM vol. 2,
// appendix A.4.2, table A-10 and its notes on reserved x87 encodings).
func TestFPUMoves(t *testing.T) {
	type tc struct {
		name string
		code []byte
		top  int
		want []float80.F80 // ST(0).. after
	}
	one, two, three := fd(1), fd(2), fd(3)
	cases := []tc{
		{"FLD ST(2)", []byte{0xD9, 0xC2}, 4, []float80.F80{three, one, two, three}},
		{"FST ST(2)", []byte{0xDD, 0xD2}, 5, []float80.F80{one, two, one}},
		{"FSTP ST(2)", []byte{0xDD, 0xDA}, 6, []float80.F80{two, one}},
		{"FSTP1 ST(2)", []byte{0xD9, 0xDA}, 6, []float80.F80{two, one}},
		{"FSTP8 ST(2)", []byte{0xDF, 0xD2}, 6, []float80.F80{two, one}},
		{"FSTP9 ST(2)", []byte{0xDF, 0xDA}, 6, []float80.F80{two, one}},
		{"FXCH ST(2)", []byte{0xD9, 0xCA}, 5, []float80.F80{three, two, one}},
		{"FXCH ST(1)", []byte{0xD9, 0xC9}, 5, []float80.F80{two, one, three}},
		{"FXCH4 ST(2)", []byte{0xDD, 0xCA}, 5, []float80.F80{three, two, one}},
		{"FXCH7 ST(2)", []byte{0xDF, 0xCA}, 5, []float80.F80{three, two, one}},
		{"FST ST(0)", []byte{0xDD, 0xD0}, 5, []float80.F80{one, two, three}},
		{"FSTP ST(0)", []byte{0xDD, 0xD8}, 6, []float80.F80{two, three}},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, s := fpuRun(t, real, setupVals(one, two, three), func(a *fasm) {
					a.fninit()
					pushAll(a, 3)
					a.op(c.code...)
				})
				assert.Equal(t, c.top, s.top(), "TOP")
				for i, w := range c.want {
					assertST(t, s, i, w)
					assert.NotEqual(t, 3, s.tag(i), "ST(%d) tag", i)
				}
				assert.Zero(t, s.SW&(swExc|swSF|swES), "no exception: SW=%04X", s.SW)
			})
		}
	})
}

// --- arithmetic: every D8/DA/DC/DE form ----------------------------------

// TestFPUArithmeticForms runs every arithmetic encoding (SDM vol. 2,
// FADD/FADDP/FIADD, FSUB..., FMUL..., FDIV..., FSUBR..., FDIVR...; opcode
// map appendix A.4) with ST(0) = 8 and ST(1) = 2 (memory operand 2 in each
// format): the reversed forms, the ST(i) destinations of DC/DE and the
// pops are told apart by the results.
func TestFPUArithmeticForms(t *testing.T) {
	type tc struct {
		name  string
		code  func(a *fasm)
		st0   float64
		st1   float64 // or the value left in ST(1) (before any pop)
		popsN int
	}
	mem := func(esc, reg byte) func(a *fasm) {
		return func(a *fasm) { a.mem(esc, reg, dC) }
	}
	reg := func(b ...byte) func(a *fasm) { return func(a *fasm) { a.op(b...) } }
	var cases []tc
	ops := []struct {
		name string
		reg  byte
		res  float64 // 8 op 2
	}{{"FADD", 0, 10}, {"FMUL", 1, 16}, {"FSUB", 4, 6}, {"FSUBR", 5, -6}, {"FDIV", 6, 4}, {"FDIVR", 7, 0.25}}
	for _, o := range ops {
		cases = append(cases,
			tc{o.name + " ST0,ST1 (D8)", reg(0xD8, 0xC0|o.reg<<3|1), o.res, 2, 0},
			tc{o.name + " m32fp (D8)", mem(0xD8, o.reg), o.res, 2, 0},
			tc{"FI" + o.name[1:] + " m32int (DA)", mem(0xDA, o.reg), o.res, 2, 0},
			tc{o.name + " m64fp (DC)", mem(0xDC, o.reg), o.res, 2, 0},
			tc{"FI" + o.name[1:] + " m16int (DE)", mem(0xDE, o.reg), o.res, 2, 0},
		)
	}
	// DC/DE register forms: ST(1) = ST(1) op ST(0). In these rows the
	// ModRM reg values of SUB/SUBR and DIV/DIVR are swapped relative to D8
	// (SDM vol. 2 opcode tables: DC E8+i FSUB ST(i),ST(0); DC E0+i FSUBR
	// ST(i),ST(0); DC F8+i FDIV; DC F0+i FDIVR; likewise DE ...P).
	dst := []struct {
		name  string
		modrm byte
		res   float64 // ST(1) op ST(0) with ST(1)=2, ST(0)=8
	}{
		{"FADD", 0xC1, 10}, {"FMUL", 0xC9, 16},
		{"FSUBR", 0xE1, 6}, {"FSUB", 0xE9, -6},
		{"FDIVR", 0xF1, 4}, {"FDIV", 0xF9, 0.25},
	}
	for _, o := range dst {
		cases = append(cases,
			tc{o.name + " ST1,ST0 (DC)", reg(0xDC, o.modrm), 8, o.res, 0},
			tc{o.name + "P ST1,ST0 (DE)", reg(0xDE, o.modrm), o.res, 0, 1},
		)
	}
	cases = append(cases, tc{"FADD ST0,ST0", reg(0xD8, 0xC0), 16, 2, 0})
	// The memory operand depends on the escape: m32fp, m32int, m64fp and
	// m16int (SDM vol. 2, FADD: "D8 /0 m32fp, DC /0 m64fp"; FIADD: "DA /0
	// m32int, DE /0 m16int").
	memFor := map[byte][]byte{
		0xD8: le32(math.Float32bits(2)),
		0xDA: le32(2),
		0xDC: le64(math.Float64bits(2)),
		0xDE: {2, 0},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				probe := &fasm{real: real}
				c.code(probe)
				_, s := fpuRun(t, real, func(m *tmMachine) {
					setupVals(fd(8), fd(2))(m)
					if b, ok := memFor[probe.b[0]]; ok {
						m.loadData(dC, b)
					}
				}, func(a *fasm) {
					a.fninit()
					pushAll(a, 2)
					c.code(a)
				})
				assert.Equal(t, (6+c.popsN)&7, s.top(), "TOP")
				assertST(t, s, 0, fd(c.st0))
				if c.popsN == 0 {
					assertST(t, s, 1, fd(c.st1))
				} else {
					assert.Equal(t, 3, s.tag(1), "popped")
				}
				assert.Zero(t, s.SW&(swExc|swSF|swES|swC1), "exact result, no exception: SW=%04X", s.SW)
			})
		}
	})
}

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// --- comparisons ----------------------------------------------------------

// Condition codes of the compare instructions (SDM vol. 2, FCOM/FCOMP/
// FCOMPP table "FCOM/FCOMP/FCOMPP Results", FUCOM, FICOM, FTST): ST(0) >
// source 000, < C0, = C3, unordered C3 C2 C0; C1 cleared.
const (
	ccGT = 0
	ccLT = swC0
	ccEQ = swC3
	ccUN = swC3 | swC2 | swC0
)

// TestFPUCompareForms runs every compare encoding, including the P6
// aliases FCOM2 (DC D0+i), FCOMP3 (DC D8+i) and FCOMP5 (DE D0+i), for the
// four relations. FCOM/FICOM/FTST raise IE for any NaN; FUCOM only for an
// SNaN (SDM vol. 2, FUCOM: "#IA One or both operands are SNaN values").
func TestFPUCompareForms(t *testing.T) {
	type form struct {
		name  string
		code  func(a *fasm)
		mem   func(v float64) []byte // memory source format, nil: ST(1)
		pops  int
		quiet bool
		ftst  bool
	}
	reg := func(b ...byte) func(a *fasm) { return func(a *fasm) { a.op(b...) } }
	mem := func(esc, r byte) func(a *fasm) { return func(a *fasm) { a.mem(esc, r, dC) } }
	m32 := func(v float64) []byte { return le32(math.Float32bits(float32(v))) }
	m64 := func(v float64) []byte { return le64(math.Float64bits(v)) }
	i32 := func(v float64) []byte { return le32(uint32(int32(v))) }
	i16 := func(v float64) []byte { return le16(uint16(int16(v))) }
	forms := []form{
		{"FCOM ST1", reg(0xD8, 0xD1), nil, 0, false, false},
		{"FCOMP ST1", reg(0xD8, 0xD9), nil, 1, false, false},
		{"FCOM2 ST1 (DC D1)", reg(0xDC, 0xD1), nil, 0, false, false},
		{"FCOMP3 ST1 (DC D9)", reg(0xDC, 0xD9), nil, 1, false, false},
		{"FCOMP5 ST1 (DE D1)", reg(0xDE, 0xD1), nil, 1, false, false},
		{"FCOMPP", reg(0xDE, 0xD9), nil, 2, false, false},
		{"FUCOM ST1", reg(0xDD, 0xE1), nil, 0, true, false},
		{"FUCOMP ST1", reg(0xDD, 0xE9), nil, 1, true, false},
		{"FUCOMPP", reg(0xDA, 0xE9), nil, 2, true, false},
		{"FCOM m32fp", mem(0xD8, 2), m32, 0, false, false},
		{"FCOMP m32fp", mem(0xD8, 3), m32, 1, false, false},
		{"FCOM m64fp", mem(0xDC, 2), m64, 0, false, false},
		{"FCOMP m64fp", mem(0xDC, 3), m64, 1, false, false},
		{"FICOM m32int", mem(0xDA, 2), i32, 0, false, false},
		{"FICOMP m32int", mem(0xDA, 3), i32, 1, false, false},
		{"FICOM m16int", mem(0xDE, 2), i16, 0, false, false},
		{"FICOMP m16int", mem(0xDE, 3), i16, 1, false, false},
		{"FTST", reg(0xD9, 0xE4), nil, 0, false, true},
	}
	type rel struct {
		name     string
		st0, src float80.F80
		srcV     float64
		cc       uint16
		nan      bool
	}
	rels := []rel{
		{"greater", fd(8), fd(2), 2, ccGT, false},
		{"less", fd(2), fd(8), 8, ccLT, false},
		{"equal", fd(2), fd(2), 2, ccEQ, false},
		{"unordered QNaN", fQNaN, fd(2), 2, ccUN, true},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, f := range forms {
			for _, r := range rels {
				if f.ftst { // FTST compares with 0.0
					switch r.name {
					case "greater":
						r.st0 = fd(8)
					case "less":
						r.st0 = fd(-2)
					case "equal":
						r.st0 = fNegZ // -0 = +0
					}
				}
				t.Run(f.name+"/"+r.name, func(t *testing.T) {
					_, s := fpuRun(t, real, func(m *tmMachine) {
						setupVals(r.st0, r.src)(m)
						if f.mem != nil {
							m.loadData(dC, f.mem(r.srcV))
						}
					}, func(a *fasm) {
						a.fninit()
						pushAll(a, 2)
						f.code(a)
					})
					assert.Equal(t, r.cc, s.SW&(swC0|swC1|swC2|swC3), "C3 C2 C1 C0: SW=%04X", s.SW)
					wantIE := r.nan && !f.quiet
					assert.Equal(t, wantIE, s.SW&swIE != 0, "IE: SW=%04X", s.SW)
					assert.Zero(t, s.SW&swSF, "no stack fault")
					assert.Equal(t, (6+f.pops)&7, s.top(), "TOP (pops %d)", f.pops)
				})
			}
		}
		// FUCOM with an SNaN raises IE (SDM vol. 2, FUCOM).
		t.Run("FUCOM SNaN", func(t *testing.T) {
			_, s := fpuRun(t, real, setupVals(fSNaN, fd(1)), func(a *fasm) {
				a.fninit()
				pushAll(a, 2)
				a.op(0xDD, 0xE1)
			})
			assert.Equal(t, uint16(ccUN|swIE), s.SW&(swC0|swC1|swC2|swC3|swExc), "SW=%04X", s.SW)
		})
		// C1 is cleared by a compare even when an earlier instruction
		// (FXAM of a negative value) left it set.
		t.Run("C1 cleared after FXAM", func(t *testing.T) {
			_, s := fpuRun(t, real, setupVals(fd(-1), fd(2)), func(a *fasm) {
				a.fninit()
				pushAll(a, 2)
				a.op(0xD9, 0xE5) // FXAM: C1 = sign = 1
				a.op(0xD8, 0xD1) // FCOM ST1: C1 = 0
			})
			assert.Equal(t, uint16(ccLT), s.SW&(swC0|swC1|swC2|swC3), "SW=%04X", s.SW)
		})
	})
}

// TestFPUFxam: FXAM classes (SDM vol. 2, FXAM, table "FXAM Results"): C3
// C2 C0 = 000 unsupported, 001 NaN, 010 normal, 011 infinity, 100 zero,
// 101 empty, 110 denormal; C1 is the sign.
func TestFPUFxam(t *testing.T) {
	cases := []struct {
		name string
		v    float80.F80
		cc   uint16
	}{
		{"+normal", fd(1.5), swC2},
		{"-normal", fd(-1.5), swC2 | swC1},
		{"+0", fPosZ, swC3},
		{"-0", fNegZ, swC3 | swC1},
		{"+inf", fPosInf, swC2 | swC0},
		{"-inf", fNegInf, swC2 | swC0 | swC1},
		{"QNaN", fQNaN, swC0},
		{"SNaN", fSNaN, swC0},
		{"-QNaN", fIndef, swC0 | swC1},
		{"denormal", fDenorm, swC3 | swC2},
		{"pseudo-denormal", x80(0, 0x8000000000000001), swC3 | swC2},
		{"unnormal", fUnnorm, 0},
		{"pseudo-NaN", fPseudo, 0},
		{"pseudo-infinity", x80(0x7FFF, 0), 0},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, s := fpuRun(t, real, setupVals(c.v), func(a *fasm) {
					a.fninit()
					pushAll(a, 1)
					a.op(0xD9, 0xE5)
				})
				assert.Equal(t, c.cc, s.SW&(swC0|swC1|swC2|swC3), "SW=%04X", s.SW)
				assert.Zero(t, s.SW&swExc, "FXAM raises no exception")
			})
		}
		t.Run("empty", func(t *testing.T) {
			_, s := fpuRun(t, real, nil, func(a *fasm) {
				a.fninit()
				a.op(0xD9, 0xE5)
			})
			assert.Equal(t, uint16(swC3|swC0), s.SW&(swC0|swC2|swC3), "SW=%04X", s.SW)
			assert.Zero(t, s.SW&(swExc|swSF), "an empty ST(0) is no stack fault for FXAM")
		})
	})
}

// TestFPUComi: FCOMI/FCOMIP/FUCOMI/FUCOMIP set ZF, PF, CF (> 000, < CF, =
// ZF, unordered all three) and clear OF, SF, AF (SDM vol. 2, FCOMI/FCOMIP/
// FUCOMI/FUCOMIP, table "FCOMI/FCOMIP/ FUCOMI/FUCOMIP Results" and "Flags
// Affected"); the x87 condition codes C0, C2, C3 are not written.
func TestFPUComi(t *testing.T) {
	const zpc = FlagZF | FlagPF | FlagCF
	forms := []struct {
		name  string
		code  []byte
		pop   bool
		quiet bool
	}{
		{"FCOMI", []byte{0xDB, 0xF1}, false, false},
		{"FUCOMI", []byte{0xDB, 0xE9}, false, true},
		{"FCOMIP", []byte{0xDF, 0xF1}, true, false},
		{"FUCOMIP", []byte{0xDF, 0xE9}, true, true},
	}
	rels := []struct {
		name     string
		st0, st1 float80.F80
		flags    uint32
		nan      bool
	}{
		{"greater", fd(3), fd(2), 0, false},
		{"less", fd(-3), fd(2), FlagCF, false},
		{"equal", fd(2), fd(2), FlagZF, false},
		{"equal zeros", fNegZ, fPosZ, FlagZF, false},
		{"unordered", fQNaN, fd(2), zpc, true},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, f := range forms {
			for _, r := range rels {
				for _, initial := range []uint32{0x2, 0x2 | FlagOF | FlagSF | FlagAF | FlagZF | FlagPF | FlagCF} {
					t.Run(fmt.Sprintf("%s/%s/flags%03X", f.name, r.name, initial), func(t *testing.T) {
						m, s := fpuRun(t, real, func(m *tmMachine) {
							setupVals(r.st0, r.st1)(m)
							m.c.SetFlags(initial)
						}, func(a *fasm) {
							a.fninit()
							pushAll(a, 2)
							a.op(f.code...)
						})
						fl := m.c.Flags()
						assert.Equal(t, r.flags, fl&zpc, "ZF PF CF: EFLAGS=%08X", fl)
						assert.Zero(t, fl&(FlagOF|FlagSF|FlagAF), "OF SF AF cleared: EFLAGS=%08X", fl)
						assert.Equal(t, r.nan && !f.quiet, s.SW&swIE != 0, "IE: SW=%04X", s.SW)
						assert.Zero(t, s.SW&(swC0|swC2|swC3), "C0 C2 C3 untouched: SW=%04X", s.SW)
						top := 6
						if f.pop {
							top = 7
						}
						assert.Equal(t, top, s.top())
					})
				}
			}
		}
	})
}

// TestFPUFcmov: FCMOVcc copies ST(i) to ST(0) when the EFLAGS condition
// holds (SDM vol. 2, FCMOVcc: B CF=1, E ZF=1, BE CF=1 or ZF=1, U PF=1 and
// their negations).
func TestFPUFcmov(t *testing.T) {
	forms := []struct {
		name string
		code []byte
		cond func(f uint32) bool
	}{
		{"FCMOVB", []byte{0xDA, 0xC1}, func(f uint32) bool { return f&FlagCF != 0 }},
		{"FCMOVE", []byte{0xDA, 0xC9}, func(f uint32) bool { return f&FlagZF != 0 }},
		{"FCMOVBE", []byte{0xDA, 0xD1}, func(f uint32) bool { return f&(FlagCF|FlagZF) != 0 }},
		{"FCMOVU", []byte{0xDA, 0xD9}, func(f uint32) bool { return f&FlagPF != 0 }},
		{"FCMOVNB", []byte{0xDB, 0xC1}, func(f uint32) bool { return f&FlagCF == 0 }},
		{"FCMOVNE", []byte{0xDB, 0xC9}, func(f uint32) bool { return f&FlagZF == 0 }},
		{"FCMOVNBE", []byte{0xDB, 0xD1}, func(f uint32) bool { return f&(FlagCF|FlagZF) == 0 }},
		{"FCMOVNU", []byte{0xDB, 0xD9}, func(f uint32) bool { return f&FlagPF == 0 }},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, f := range forms {
			for _, fl := range []uint32{0, FlagCF, FlagZF, FlagPF, FlagCF | FlagZF | FlagPF} {
				t.Run(fmt.Sprintf("%s/%03X", f.name, fl), func(t *testing.T) {
					_, s := fpuRun(t, real, func(m *tmMachine) {
						setupVals(fd(1), fd(2))(m)
						m.c.SetFlags(0x2 | fl)
					}, func(a *fasm) {
						a.fninit()
						pushAll(a, 2)
						a.op(f.code...)
					})
					want := fd(1)
					if f.cond(fl) {
						want = fd(2)
					}
					assertST(t, s, 0, want)
					assertST(t, s, 1, fd(2))
					assert.Equal(t, 6, s.top())
					assert.Zero(t, s.SW&(swExc|swSF), "SW=%04X", s.SW)
				})
			}
		}
	})
}

// --- memory formats -----------------------------------------------------

// TestFPULoadFormats: FLD m32fp/m64fp convert exactly to the 80-bit format
// (SDM vol. 2, FLD); a denormal source signals DE, an SNaN IE and loads the
// quieted NaN; m80fp values, even unsupported ones, load unchanged with no
// exception ("#IA ... Does not occur if the source operand is in double
// extended-precision floating-point format").
func TestFPULoadFormats(t *testing.T) {
	cases := []struct {
		name string
		esc  byte
		reg  byte
		mem  []byte
		want float80.F80
		sw   uint16
	}{
		{"m32 1.5", 0xD9, 0, le32(0x3FC00000), fd(1.5), 0},
		{"m32 -0", 0xD9, 0, le32(0x80000000), fNegZ, 0},
		{"m32 +inf", 0xD9, 0, le32(0x7F800000), fPosInf, 0},
		{"m32 denormal", 0xD9, 0, le32(0x00000001), x80(0x3FFF-149, 1<<63), swDE},
		{"m32 QNaN indefinite", 0xD9, 0, le32(0xFFC00000), fIndef, 0},
		{"m32 SNaN", 0xD9, 0, le32(0x7F800001), x80(0x7FFF, 0xC000010000000000), swIE},
		{"m64 1/3", 0xDD, 0, le64(0x3FD5555555555555), x80(0x3FFD, 0xAAAAAAAAAAAAA800), 0},
		{"m64 max", 0xDD, 0, le64(0x7FEFFFFFFFFFFFFF), x80(0x3FFF+1023, 0xFFFFFFFFFFFFF800), 0},
		{"m64 denormal", 0xDD, 0, le64(1), x80(0x3FFF-1074, 1<<63), swDE},
		{"m64 SNaN", 0xDD, 0, le64(0xFFF0000000000001), x80(0xFFFF, 0xC000000000000800), swIE},
		{"m80 unnormal", 0xDB, 5, b80(fUnnorm), fUnnorm, 0},
		{"m80 SNaN", 0xDB, 5, b80(fSNaN), fSNaN, 0},
		{"m80 denormal", 0xDB, 5, b80(fDenorm), fDenorm, 0},
		{"FILD m16 -5", 0xDF, 0, le16(0xFFFB), fint(-5), 0},
		{"FILD m16 -32768", 0xDF, 0, le16(0x8000), fint(-32768), 0},
		{"FILD m32 min", 0xDB, 0, le32(0x80000000), fint(math.MinInt32), 0},
		{"FILD m32 max", 0xDB, 0, le32(0x7FFFFFFF), fint(math.MaxInt32), 0},
		{"FILD m64 max", 0xDF, 5, le64(0x7FFFFFFFFFFFFFFF), x80(0x403D, 0xFFFFFFFFFFFFFFFE), 0},
		{"FILD m64 min", 0xDF, 5, le64(0x8000000000000000), x80(0xC03E, 1<<63), 0},
		{"FILD m64 0", 0xDF, 5, le64(0), fPosZ, 0},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, s := fpuRun(t, real, func(m *tmMachine) { m.loadData(dC, c.mem) }, func(a *fasm) {
					a.fninit()
					a.mem(c.esc, c.reg, dC)
				})
				assertST(t, s, 0, c.want)
				assert.Equal(t, 7, s.top())
				assert.Equal(t, c.sw, s.SW&(swExc|swSF|swC1), "SW=%04X", s.SW)
			})
		}
	})
}

// TestFPUStoreFloat: FST/FSTP m32fp/m64fp round per RC (SDM vol. 1, 4.8.4
// table 4-8) and report PE with C1 = 1 exactly when the stored magnitude
// was rounded up (SDM vol. 1, 8.1.3.1 and vol. 2, FST "FPU Flags
// Affected"); overflow and underflow follow the masked responses of SDM
// vol. 1, 4.9.1.4 (table 4-10) and 4.9.1.5.
func TestFPUStoreFloat(t *testing.T) {
	tie32 := x80(0x3FFF, 0x8000008000000000)    // 1 + 2^-24
	above32 := x80(0x3FFF, 0x800000C000000000)  // 1 + 3*2^-25
	tie64 := x80(0x3FFF, 0x8000000000000400)    // 1 + 2^-53
	big := x80(0x3FFF+130, 1<<63)               // 2^130
	tiny := x80(0x3FFF-149, 0xC000000000000000) // 1.5 * 2^-149
	type tc struct {
		name string
		v    float80.F80
		cw   uint16
		m64  bool
		want uint64
		sw   uint16 // exception flags and C1
	}
	cases := []tc{
		{"tie nearest", tie32, cwNearest, false, 0x3F800000, swPE},
		{"tie down", tie32, cwDown, false, 0x3F800000, swPE},
		{"tie up", tie32, cwUp, false, 0x3F800001, swPE | swC1},
		{"tie chop", tie32, cwChop, false, 0x3F800000, swPE},
		{"-tie nearest", tie32.Neg(), cwNearest, false, 0xBF800000, swPE},
		{"-tie down", tie32.Neg(), cwDown, false, 0xBF800001, swPE | swC1},
		{"-tie up", tie32.Neg(), cwUp, false, 0xBF800000, swPE},
		{"-tie chop", tie32.Neg(), cwChop, false, 0xBF800000, swPE},
		{"above-half nearest", above32, cwNearest, false, 0x3F800001, swPE | swC1},
		{"exact", fd(-0.75), cwNearest, false, 0xBF400000, 0},
		{"overflow nearest", big, cwNearest, false, 0x7F800000, swOE | swPE | swC1},
		{"overflow chop", big, cwChop, false, 0x7F7FFFFF, swOE | swPE},
		{"-overflow up", big.Neg(), cwUp, false, 0xFF7FFFFF, swOE | swPE},
		{"underflow nearest", tiny, cwNearest, false, 0x00000002, swUE | swPE | swC1},
		{"underflow down", tiny, cwDown, false, 0x00000001, swUE | swPE},
		{"SNaN", fSNaN, cwNearest, false, 0x7FC00000, swIE},
		{"QNaN", fIndef, cwNearest, false, 0xFFC00000, 0},
		{"m64 tie nearest", tie64, cwNearest, true, 0x3FF0000000000000, swPE},
		{"m64 tie up", tie64, cwUp, true, 0x3FF0000000000001, swPE | swC1},
		{"m64 exact", fd(1.0 / 3), cwNearest, true, 0x3FD5555555555555, 0},
		{"m64 -2^130 exact", big.Neg(), cwNearest, true, 0xC810000000000000, 0},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range cases {
			for _, pop := range []bool{false, true} {
				name := c.name + "/FST"
				if pop {
					name = c.name + "/FSTP"
				}
				t.Run(name, func(t *testing.T) {
					esc, reg := byte(0xD9), byte(2)
					if c.m64 {
						esc = 0xDD
					}
					if pop {
						reg = 3
					}
					m, s := fpuRun(t, real, chain(setupVals(c.v), fldcwSetup(c.cw)), func(a *fasm) {
						a.fninit().fldcwAt(dCW)
						pushAll(a, 1)
						a.mem(esc, reg, dOut)
					})
					if c.m64 {
						assert.Equal(t, fmt.Sprintf("%016X", c.want), fmt.Sprintf("%016X", binary.LittleEndian.Uint64(m.bytes(tmData+dOut, 8))))
					} else {
						assert.Equal(t, fmt.Sprintf("%08X", c.want), fmt.Sprintf("%08X", m.r32(tmData+dOut)))
					}
					assert.Equal(t, c.sw, s.SW&(swExc|swC1|swSF), "SW=%04X", s.SW)
					if pop {
						assert.Equal(t, 0, s.top())
					} else {
						assert.Equal(t, 7, s.top())
						assertST(t, s, 0, c.v, "the register keeps its value")
					}
				})
			}
		}
		t.Run("FSTP m80", func(t *testing.T) {
			for _, v := range []float80.F80{fd(1.0 / 3), fSNaN, fUnnorm, fDenorm, fNegInf} {
				m, s := fpuRun(t, real, setupVals(v), func(a *fasm) {
					a.fninit()
					pushAll(a, 1)
					a.fstp80(dOut)
				})
				assert.Equal(t, b80(v), m.bytes(tmData+dOut, 10), "m80 stores the register unchanged")
				assert.Equal(t, 0, s.top())
				assert.Zero(t, s.SW&(swExc|swC1), "no exception: SW=%04X", s.SW)
			}
		})
	})
}

// TestFPUStoreInteger: FIST/FISTP m16/m32/m64 round per RC; an
// out-of-range value, a NaN or an infinity is an invalid operation and,
// masked, stores the integer indefinite (8000h, 80000000h,
// 8000000000000000h) (SDM vol. 2, FIST/FISTP "Description" and table
// "FIST/FISTP Results"; vol. 1, 4.2.1.2: the integer indefinite is the
// most negative value of the format).
func TestFPUStoreInteger(t *testing.T) {
	type tc struct {
		name string
		v    float80.F80
		cw   uint16
		want int64
		sw   uint16
	}
	common := []tc{
		{"2.5 nearest", fd(2.5), cwNearest, 2, swPE},
		{"2.5 down", fd(2.5), cwDown, 2, swPE},
		{"2.5 up", fd(2.5), cwUp, 3, swPE | swC1},
		{"2.5 chop", fd(2.5), cwChop, 2, swPE},
		{"3.5 nearest", fd(3.5), cwNearest, 4, swPE | swC1},
		{"-2.5 nearest", fd(-2.5), cwNearest, -2, swPE},
		{"-2.5 down", fd(-2.5), cwDown, -3, swPE | swC1},
		{"-2.5 up", fd(-2.5), cwUp, -2, swPE},
		{"-2.5 chop", fd(-2.5), cwChop, -2, swPE},
		{"0.4 nearest", fd(0.4), cwNearest, 0, swPE},
		{"exact -7", fd(-7), cwNearest, -7, 0},
		{"-0", fNegZ, cwNearest, 0, 0},
		{"QNaN", fQNaN, cwNearest, math.MinInt64, swIE},
		{"+inf", fPosInf, cwNearest, math.MinInt64, swIE},
		{"-inf", fNegInf, cwNearest, math.MinInt64, swIE},
	}
	widths := []struct {
		name      string
		esc, reg  byte
		pop       bool
		size      int
		min, max  int64
		outOfRang []tc
	}{
		{"FIST m16", 0xDF, 2, false, 2, math.MinInt16, math.MaxInt16, []tc{
			{"32768", fd(32768), cwNearest, math.MinInt64, swIE},
			{"32767.5 nearest", fd(32767.5), cwNearest, math.MinInt64, swIE},
			{"32767.5 chop", fd(32767.5), cwChop, 32767, swPE},
			{"-32768", fd(-32768), cwNearest, -32768, 0},
			{"-32768.5 nearest", fd(-32768.5), cwNearest, -32768, swPE},
			{"-32769", fd(-32769), cwNearest, math.MinInt64, swIE},
		}},
		{"FISTP m16", 0xDF, 3, true, 2, math.MinInt16, math.MaxInt16, nil},
		{"FIST m32", 0xDB, 2, false, 4, math.MinInt32, math.MaxInt32, []tc{
			{"2^31", fd(1 << 31), cwNearest, math.MinInt64, swIE},
			{"-2^31", fd(-(1 << 31)), cwNearest, math.MinInt32, 0},
			{"2^31-0.5 up", fd(1<<31 - 0.5), cwUp, math.MinInt64, swIE},
			{"2^31-0.5 down", fd(1<<31 - 0.5), cwDown, math.MaxInt32, swPE},
		}},
		{"FISTP m32", 0xDB, 3, true, 4, math.MinInt32, math.MaxInt32, nil},
		{"FISTP m64", 0xDF, 7, true, 8, math.MinInt64, math.MaxInt64, []tc{
			{"2^63", x80(0x403E, 1<<63), cwNearest, math.MinInt64, swIE},
			{"-2^63", x80(0xC03E, 1<<63), cwNearest, math.MinInt64, 0},
			{"2^63-1", x80(0x403D, 0xFFFFFFFFFFFFFFFE), cwNearest, math.MaxInt64, 0},
			{"2^62+0.5 nearest", x80(0x403D, 0x8000000000000001), cwNearest, 1 << 62, swPE},
		}},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, w := range widths {
			for _, c := range append(append([]tc(nil), common...), w.outOfRang...) {
				t.Run(w.name+"/"+c.name, func(t *testing.T) {
					m, s := fpuRun(t, real, chain(setupVals(c.v), fldcwSetup(c.cw), func(m *tmMachine) {
						m.loadData(dOut, []byte{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA})
					}), func(a *fasm) {
						a.fninit().fldcwAt(dCW)
						pushAll(a, 1)
						a.mem(w.esc, w.reg, dOut)
					})
					want := c.want
					if want == math.MinInt64 { // integer indefinite
						want = w.min
					}
					mask := uint64(1)<<(8*w.size) - 1
					if w.size == 8 {
						mask = ^uint64(0)
					}
					got := binary.LittleEndian.Uint64(m.bytes(tmData+dOut, 8))
					assert.Equal(t, fmt.Sprintf("%X", uint64(want)&mask), fmt.Sprintf("%X", got&mask), "stored integer")
					assert.Equal(t, fmt.Sprintf("%X", uint64(0xAAAAAAAAAAAAAAAA)&^mask), fmt.Sprintf("%X", got&^mask), "bytes beyond the operand")
					if c.sw&swIE != 0 {
						assert.NotZero(t, s.SW&swIE, "IE: SW=%04X", s.SW)
					} else {
						assert.Equal(t, c.sw, s.SW&(swExc|swC1|swSF), "SW=%04X", s.SW)
					}
					if w.pop {
						assert.Equal(t, 0, s.top())
					} else {
						assert.Equal(t, 7, s.top())
					}
				})
			}
		}
	})
}

// TestFPUBCD: FBLD loads 18 packed BCD digits and the sign exactly; FBSTP
// rounds per RC, stores and pops; a value of 10^18 or more after rounding
// stores the packed BCD indefinite (FFFF C000000000000000h) with IE
// (SDM vol. 2, FBLD, FBSTP; vol. 1, 4.7, the packed BCD encodings and
// the packed BCD integer indefinite).
func TestFPUBCD(t *testing.T) {
	bcd := func(neg bool, digits string) []byte {
		b := make([]byte, 10)
		for i := 0; i < len(digits); i++ {
			d := digits[len(digits)-1-i] - '0'
			b[i/2] |= d << (4 * (i % 2))
		}
		if neg {
			b[9] = 0x80
		}
		return b
	}
	indefinite := []byte{0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range []struct {
			name string
			mem  []byte
			want float80.F80
		}{
			{"123456789012345678", bcd(false, "123456789012345678"), fint(123456789012345678)},
			{"-999999999999999999", bcd(true, "999999999999999999"), fint(-999999999999999999)},
			{"-0", bcd(true, "0"), fNegZ},
			{"+0", bcd(false, "0"), fPosZ},
		} {
			t.Run("FBLD "+c.name, func(t *testing.T) {
				_, s := fpuRun(t, real, func(m *tmMachine) { m.loadData(dC, c.mem) }, func(a *fasm) {
					a.fninit()
					a.mem(0xDF, 4, dC)
				})
				assertST(t, s, 0, c.want)
				assert.Equal(t, 7, s.top())
				assert.Zero(t, s.SW&swExc, "SW=%04X", s.SW)
			})
		}
		for _, c := range []struct {
			name string
			v    float80.F80
			cw   uint16
			want []byte
			sw   uint16
		}{
			{"-1234.5 nearest", fd(-1234.5), cwNearest, bcd(true, "1234"), swPE},
			{"-1234.5 down", fd(-1234.5), cwDown, bcd(true, "1235"), swPE | swC1},
			{"-1234.5 up", fd(-1234.5), cwUp, bcd(true, "1234"), swPE},
			{"-1234.5 chop", fd(-1234.5), cwChop, bcd(true, "1234"), swPE},
			{"max", fint(999999999999999999), cwNearest, bcd(false, "999999999999999999"), 0},
			{"1e18", fint(1000000000000000000), cwNearest, indefinite, swIE},
			{"-1e18", fint(-1000000000000000000), cwNearest, indefinite, swIE},
			{"999999999999999999.5", x80(0x403A, 0xDE0B6B3A763FFFFC), cwNearest, indefinite, swIE},
			{"NaN", fQNaN, cwNearest, indefinite, swIE},
			{"inf", fPosInf, cwNearest, indefinite, swIE},
		} {
			t.Run("FBSTP "+c.name, func(t *testing.T) {
				m, s := fpuRun(t, real, chain(setupVals(c.v), fldcwSetup(c.cw)), func(a *fasm) {
					a.fninit().fldcwAt(dCW)
					pushAll(a, 1)
					a.mem(0xDF, 6, dOut)
				})
				assert.Equal(t, c.want, m.bytes(tmData+dOut, 10))
				if c.sw&swIE != 0 {
					assert.NotZero(t, s.SW&swIE, "IE: SW=%04X", s.SW)
				} else {
					assert.Equal(t, c.sw, s.SW&(swExc|swC1), "SW=%04X", s.SW)
				}
				assert.Equal(t, 0, s.top(), "FBSTP pops")
			})
		}
	})
}

// TestFPUConstants: FLD1, FLDZ load exact values; FLDL2T, FLDL2E, FLDPI,
// FLDLG2, FLDLN2 load the constant rounded per RC (SDM vol. 1, 8.3.8 "Pi"
// and vol. 2, FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/FLDLN2/FLDZ: "...the
// constant is rounded as specified by the RC field"); the expected
// significands are the constants' leading 64 bits (log2 10 =
// D49A784BCD1B8AFE 492B..., log2 e = B8AA3B295C17F0BB BE87..., π =
// C90FDAA22168C234 C4C6..., log10 2 = 9A209A84FBCFF798 8F89..., ln 2 =
// B17217F7D1CF79AB C9E3...) rounded by hand. No exception is signalled and
// C1 is 0.
func TestFPUConstants(t *testing.T) {
	type k struct {
		name                  string
		modrm                 byte
		se                    uint16
		nearest, down, up, ch uint64
	}
	ks := []k{
		{"FLD1", 0xE8, 0x3FFF, 1 << 63, 1 << 63, 1 << 63, 1 << 63},
		{"FLDL2T", 0xE9, 0x4000, 0xD49A784BCD1B8AFE, 0xD49A784BCD1B8AFE, 0xD49A784BCD1B8AFF, 0xD49A784BCD1B8AFE},
		{"FLDL2E", 0xEA, 0x3FFF, 0xB8AA3B295C17F0BC, 0xB8AA3B295C17F0BB, 0xB8AA3B295C17F0BC, 0xB8AA3B295C17F0BB},
		{"FLDPI", 0xEB, 0x4000, 0xC90FDAA22168C235, 0xC90FDAA22168C234, 0xC90FDAA22168C235, 0xC90FDAA22168C234},
		{"FLDLG2", 0xEC, 0x3FFD, 0x9A209A84FBCFF799, 0x9A209A84FBCFF798, 0x9A209A84FBCFF799, 0x9A209A84FBCFF798},
		{"FLDLN2", 0xED, 0x3FFE, 0xB17217F7D1CF79AC, 0xB17217F7D1CF79AB, 0xB17217F7D1CF79AC, 0xB17217F7D1CF79AB},
		{"FLDZ", 0xEE, 0, 0, 0, 0, 0},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range ks {
			for _, cw := range []uint16{cwNearest, cwDown, cwUp, cwChop} {
				t.Run(c.name+"/"+rcNames[cw], func(t *testing.T) {
					_, s := fpuRun(t, real, fldcwSetup(cw), func(a *fasm) {
						a.fninit().fldcwAt(dCW)
						a.op(0xD9, c.modrm)
					})
					want := map[uint16]uint64{cwNearest: c.nearest, cwDown: c.down, cwUp: c.up, cwChop: c.ch}[cw]
					assertST(t, s, 0, x80(c.se, want))
					assert.Equal(t, 7, s.top())
					assert.Zero(t, s.SW&(swExc|swC1), "SW=%04X", s.SW)
				})
			}
		}
	})
}

// TestFPUStatusControlWords: FNSTSW AX (DF E0) writes AX only; FSTSW,
// FNSTSW m2byte; FNSTCW/FSTCW read back what FLDCW loaded (SDM vol. 2,
// FSTSW/FNSTSW, FSTCW/FNSTCW, FLDCW; vol. 1, 8.1.3 and 8.1.5).
func TestFPUStatusControlWords(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		for _, f := range []struct {
			name string
			code []byte
		}{{"FNSTSW AX", []byte{0xDF, 0xE0}}, {"FSTSW AX", []byte{0x9B, 0xDF, 0xE0}}} {
			t.Run(f.name, func(t *testing.T) {
				m, _ := fpuRun(t, real, func(m *tmMachine) { m.c.SetReg(EAX, 0x12345678) }, func(a *fasm) {
					a.fninit()
					a.op(0xD9, 0xE8, 0xD9, 0xEE) // FLD1, FLDZ: TOP = 6
					a.op(0xD8, 0xD1)             // FCOM ST1: 0 < 1 → C0
					a.op(f.code...)
				})
				assert.Equal(t, uint32(0x12343100), m.c.Reg(EAX), "AX = SW (TOP 6, C0), upper EAX kept")
			})
		}
		for _, f := range []struct {
			name string
			code func(a *fasm)
		}{
			{"FNSTSW m16", func(a *fasm) { a.fnstsw(dOut) }},
			{"FSTSW m16", func(a *fasm) { a.op(0x9B).fnstsw(dOut) }},
		} {
			t.Run(f.name, func(t *testing.T) {
				m, _ := fpuRun(t, real, nil, func(a *fasm) {
					a.fninit()
					a.op(0xD9, 0xE8, 0xD9, 0xEE, 0xD8, 0xD1)
					f.code(a)
				})
				assert.Equal(t, uint16(0x3100), m.r16(tmData+dOut))
			})
		}
		for _, cw := range []uint16{0x037F, 0x0A7F, 0x0C40, 0x0060, 0x0372} {
			t.Run(fmt.Sprintf("FLDCW %04X", cw), func(t *testing.T) {
				m, s := fpuRun(t, real, fldcwSetup(cw), func(a *fasm) {
					a.fninit().fldcwAt(dCW)
					a.fnstcw(dOut)
					a.op(0x9B).fnstcw(dOut + 2) // FSTCW
				})
				assert.Equal(t, cw, m.r16(tmData+dOut), "FNSTCW")
				assert.Equal(t, cw, m.r16(tmData+dOut+2), "FSTCW")
				assert.Equal(t, cw, s.CW, "FNSAVE")
			})
		}
	})
}

// TestFPUPrecisionRounding: RC and PC of the control word govern FADD
// (SDM vol. 1, 8.1.5.2 table 8-2 and 4.8.4 table 4-8): 1 + 2^-30 is exact
// at 64 bits, rounds to 1 at 24 bits (nearest) or to 1 + 2^-23 (up); 1 +
// 2^-64 needs RC=up to leave 1.
func TestFPUPrecisionRounding(t *testing.T) {
	cases := []struct {
		name string
		cw   uint16
		add  float64
		want float80.F80
		sw   uint16
	}{
		{"PC64 exact", 0x037F, 0x1p-30, x80(0x3FFF, 0x8000000200000000), 0},
		{"PC53 nearest", 0x027F, 0x1p-60, x80(0x3FFF, 1<<63), swPE},
		{"PC53 up", 0x0A7F, 0x1p-60, x80(0x3FFF, 0x8000000000000800), swPE | swC1},
		{"PC24 nearest", 0x007F, 0x1p-30, x80(0x3FFF, 1<<63), swPE},
		{"PC24 up", 0x087F, 0x1p-30, x80(0x3FFF, 0x8000010000000000), swPE | swC1},
		{"PC64 nearest tiny", 0x037F, 0x1p-64, x80(0x3FFF, 1<<63), swPE},
		{"PC64 up tiny", 0x0B7F, 0x1p-64, x80(0x3FFF, 0x8000000000000001), swPE | swC1},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, s := fpuRun(t, real, chain(setupVals(fd(1)), fldcwSetup(c.cw), func(m *tmMachine) {
					m.loadData(dC, le64(math.Float64bits(c.add)))
				}), func(a *fasm) {
					a.fninit().fldcwAt(dCW)
					pushAll(a, 1)
					a.mem(0xDC, 0, dC) // FADD m64fp
				})
				assertST(t, s, 0, c.want)
				assert.Equal(t, c.sw, s.SW&(swExc|swC1), "SW=%04X", s.SW)
			})
		}
	})
}

// --- stack faults ---------------------------------------------------------

// TestFPUStackFaults: a push onto a non-empty ST(7) is a stack overflow and
// a read of an empty register a stack underflow; both set IE and SF, C1 = 1
// for overflow and 0 for underflow, and, with IE masked, deliver the real
// indefinite (integer or BCD indefinite for integer/BCD stores) (SDM vol. 1,
// 8.5.1.1 "Stack Overflow or Underflow Exception (#IS)" and 8.1.3.1).
func TestFPUStackFaults(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		t.Run("overflow", func(t *testing.T) {
			for _, ld := range []struct {
				name string
				code func(a *fasm)
			}{
				{"FLD1", func(a *fasm) { a.op(0xD9, 0xE8) }},
				{"FLD m80", func(a *fasm) { a.fld80(dE) }},
				{"FILD m16", func(a *fasm) { a.mem(0xDF, 0, dC) }},
				{"FLD ST(3)", func(a *fasm) { a.op(0xD9, 0xC3) }},
			} {
				t.Run(ld.name, func(t *testing.T) {
					_, s := fpuRun(t, real, setupVals(fd(5)), func(a *fasm) {
						a.fninit()
						for k := 0; k < 8; k++ {
							a.op(0xD9, 0xE8) // FLD1
						}
						ld.code(a)
					})
					assert.Equal(t, uint16(swIE|swSF|swC1), s.SW&(swExc|swSF|swC0|swC1|swC2|swC3), "SW=%04X", s.SW)
					assert.Equal(t, 7, s.top(), "the masked response pushes")
					assertST(t, s, 0, fIndef)
					assertST(t, s, 1, fd(1))
				})
			}
		})
		t.Run("FXTRACT overflow", func(t *testing.T) {
			_, s := fpuRun(t, real, nil, func(a *fasm) {
				a.fninit()
				for k := 0; k < 8; k++ {
					a.op(0xD9, 0xE8)
				}
				a.op(0xD9, 0xF4)
			})
			assert.Equal(t, uint16(swIE|swSF|swC1), s.SW&(swExc|swSF|swC1), "SW=%04X", s.SW)
		})
		underflows := []struct {
			name  string
			code  func(a *fasm)
			top   int
			check func(t *testing.T, m *tmMachine, s x87State)
		}{
			{"FADD ST0,ST1", func(a *fasm) { a.op(0xD8, 0xC1) }, 7, func(t *testing.T, m *tmMachine, s x87State) {
				assertST(t, s, 0, fIndef, "masked response: indefinite in the destination")
			}},
			{"FADD m64", func(a *fasm) { a.op(0xD9, 0xF7).mem(0xDC, 0, dC) }, 0, func(t *testing.T, m *tmMachine, s x87State) {
				assertST(t, s, 0, fIndef)
				assert.Equal(t, 2, s.tag(0), "ST(0) now holds a NaN")
			}},
			{"FLD ST(3)", func(a *fasm) { a.op(0xD9, 0xC3) }, 6, func(t *testing.T, m *tmMachine, s x87State) {
				assertST(t, s, 0, fIndef)
			}},
			{"FST m32", func(a *fasm) { a.op(0xD9, 0xF7).mem(0xD9, 2, dOut) }, 0, func(t *testing.T, m *tmMachine, s x87State) {
				assert.Equal(t, uint32(0xFFC00000), m.r32(tmData+dOut), "single-precision QNaN indefinite")
			}},
			{"FSTP m64", func(a *fasm) { a.op(0xD9, 0xF7).mem(0xDD, 3, dOut) }, 1, func(t *testing.T, m *tmMachine, s x87State) {
				assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0xF8, 0xFF}, m.bytes(tmData+dOut, 8))
			}},
			{"FSTP m80", func(a *fasm) { a.op(0xD9, 0xF7).fstp80(dOut) }, 1, func(t *testing.T, m *tmMachine, s x87State) {
				assert.Equal(t, b80(fIndef), m.bytes(tmData+dOut, 10))
			}},
			{"FISTP m16", func(a *fasm) { a.op(0xD9, 0xF7).mem(0xDF, 3, dOut) }, 1, func(t *testing.T, m *tmMachine, s x87State) {
				assert.Equal(t, uint16(0x8000), m.r16(tmData+dOut))
			}},
			{"FIST m32", func(a *fasm) { a.op(0xD9, 0xF7).mem(0xDB, 2, dOut) }, 0, func(t *testing.T, m *tmMachine, s x87State) {
				assert.Equal(t, uint32(0x80000000), m.r32(tmData+dOut))
			}},
			{"FBSTP", func(a *fasm) { a.op(0xD9, 0xF7).mem(0xDF, 6, dOut) }, 1, func(t *testing.T, m *tmMachine, s x87State) {
				assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF}, m.bytes(tmData+dOut, 10))
			}},
			{"FXCH with ST1 empty", func(a *fasm) { a.op(0xD9, 0xC9) }, 7, func(t *testing.T, m *tmMachine, s x87State) {
				assertST(t, s, 0, fIndef)
				assertST(t, s, 1, fd(1))
			}},
			{"FCOM ST1", func(a *fasm) { a.op(0xD8, 0xD1) }, 7, func(t *testing.T, m *tmMachine, s x87State) {
				assert.Equal(t, uint16(ccUN), s.SW&(swC0|swC2|swC3), "unordered")
			}},
			{"FCHS empty", func(a *fasm) { a.op(0xD9, 0xF7, 0xD9, 0xE0) }, 0, func(t *testing.T, m *tmMachine, s x87State) {
				assertST(t, s, 0, fIndef)
			}},
			{"FSQRT empty", func(a *fasm) { a.op(0xD9, 0xF7, 0xD9, 0xFA) }, 0, func(t *testing.T, m *tmMachine, s x87State) {
				assertST(t, s, 0, fIndef)
			}},
		}
		for _, u := range underflows {
			t.Run("underflow "+u.name, func(t *testing.T) {
				m, s := fpuRun(t, real, setupVals(fd(1)), func(a *fasm) {
					a.fninit()
					// C1 = 1 first (an overflow), then free everything
					// but one register holding 1.0 at ST(0).
					for k := 0; k < 9; k++ {
						a.op(0xD9, 0xE8)
					}
					a.fninit()
					for k := 0; k < 8; k++ {
						a.op(0xD9, 0xE8)
					}
					a.op(0xD9, 0xE8)             // overflow: C1 = 1, TOP = 7
					a.op(0xD9, 0xF7, 0xD9, 0xF7) // FINCSTP ×2 (C1 cleared)...
					a.op(0xD9, 0xF6, 0xD9, 0xF6) // ...FDECSTP ×2: back to TOP 7
					for k := 1; k < 8; k++ {
						a.op(0xDD, 0xC0+byte(k)) // FFREE ST(1..7)
					}
					a.mem(0xDB, 5, dE) // FLD m80 1.0 overflows? no: ST(7) is free
					a.op(0xDD, 0xD9)   // FSTP ST(1): ST(0)=1.0 alone at TOP 7
					a.fnstenv(dEnv2)   // (masks all; already masked)
					a.op(0xD9, 0xE8)   // FLD1 (TOP 6) ...
					a.op(0xD9, 0xE8)   // FLD1 (TOP 5)
					a.op(0xDD, 0xD8)   // FSTP ST0 (TOP 6)
					a.op(0xDD, 0xD8)   // FSTP ST0 (TOP 7)
					u.code(a)
				})
				assert.Equal(t, uint16(swIE|swSF), s.SW&(swExc|swSF|swC1), "IE, SF, C1=0: SW=%04X", s.SW)
				assert.Equal(t, u.top, s.top(), "TOP")
				u.check(t, m, s)
			})
		}
	})
}

// --- other arithmetic and transcendental instructions --------------------

// TestFPUMiscOps checks the remaining D9 instructions on operands with
// exact (or hand-rounded) results: FSQRT, FABS, FCHS, FRNDINT, FSCALE,
// FXTRACT, FPREM, FPREM1, F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN,
// FCOS, FSINCOS (SDM vol. 2, each instruction's Description and
// Operation sections).
func TestFPUMiscOps(t *testing.T) {
	type tc struct {
		name string
		in   []float80.F80 // ST(0), ST(1), ...
		cw   uint16
		code []byte
		out  []float80.F80 // ST(0), ST(1) after
		top  int
		sw   uint16 // exception flags and C0-C3
	}
	pi4 := x80(0x3FFE, 0xC90FDAA22168C235)
	cases := []tc{
		{"FSQRT 4", []float80.F80{fd(4)}, cwNearest, []byte{0xD9, 0xFA}, []float80.F80{fd(2)}, 7, 0},
		{"FSQRT 2 nearest", []float80.F80{fd(2)}, cwNearest, []byte{0xD9, 0xFA}, []float80.F80{x80(0x3FFF, 0xB504F333F9DE6484)}, 7, swPE},
		{"FSQRT 2 up", []float80.F80{fd(2)}, cwUp, []byte{0xD9, 0xFA}, []float80.F80{x80(0x3FFF, 0xB504F333F9DE6485)}, 7, swPE | swC1},
		{"FSQRT -1", []float80.F80{fd(-1)}, cwNearest, []byte{0xD9, 0xFA}, []float80.F80{fIndef}, 7, swIE},
		{"FSQRT -0", []float80.F80{fNegZ}, cwNearest, []byte{0xD9, 0xFA}, []float80.F80{fNegZ}, 7, 0},
		{"FABS", []float80.F80{fd(-2)}, cwNearest, []byte{0xD9, 0xE1}, []float80.F80{fd(2)}, 7, 0},
		{"FABS NaN", []float80.F80{fIndef}, cwNearest, []byte{0xD9, 0xE1}, []float80.F80{x80(0x7FFF, 0xC000000000000000)}, 7, 0},
		{"FCHS", []float80.F80{fd(2)}, cwNearest, []byte{0xD9, 0xE0}, []float80.F80{fd(-2)}, 7, 0},
		{"FCHS +0", []float80.F80{fPosZ}, cwNearest, []byte{0xD9, 0xE0}, []float80.F80{fNegZ}, 7, 0},
		{"FRNDINT 2.5 nearest", []float80.F80{fd(2.5)}, cwNearest, []byte{0xD9, 0xFC}, []float80.F80{fd(2)}, 7, swPE},
		{"FRNDINT 2.5 up", []float80.F80{fd(2.5)}, cwUp, []byte{0xD9, 0xFC}, []float80.F80{fd(3)}, 7, swPE | swC1},
		{"FRNDINT -2.5 down", []float80.F80{fd(-2.5)}, cwDown, []byte{0xD9, 0xFC}, []float80.F80{fd(-3)}, 7, swPE | swC1},
		{"FRNDINT -2.5 chop", []float80.F80{fd(-2.5)}, cwChop, []byte{0xD9, 0xFC}, []float80.F80{fd(-2)}, 7, swPE},
		{"FRNDINT -0.25 nearest", []float80.F80{fd(-0.25)}, cwNearest, []byte{0xD9, 0xFC}, []float80.F80{fNegZ}, 7, swPE},
		{"FRNDINT 7", []float80.F80{fd(7)}, cwNearest, []byte{0xD9, 0xFC}, []float80.F80{fd(7)}, 7, 0},
		{"FSCALE 1.5,3.7", []float80.F80{fd(1.5), fd(3.7)}, cwNearest, []byte{0xD9, 0xFD}, []float80.F80{fd(12), fd(3.7)}, 6, 0},
		{"FSCALE 1,-2.9", []float80.F80{fd(1), fd(-2.9)}, cwNearest, []byte{0xD9, 0xFD}, []float80.F80{fd(0.25), fd(-2.9)}, 6, 0},
		{"FXTRACT 10", []float80.F80{fd(10)}, cwNearest, []byte{0xD9, 0xF4}, []float80.F80{fd(1.25), fd(3)}, 6, 0},
		{"FXTRACT -0.375", []float80.F80{fd(-0.375)}, cwNearest, []byte{0xD9, 0xF4}, []float80.F80{fd(-1.5), fd(-2)}, 6, 0},
		{"FXTRACT +0", []float80.F80{fPosZ}, cwNearest, []byte{0xD9, 0xF4}, []float80.F80{fPosZ, fNegInf}, 6, swZE},
		// FPREM: Q = 3 → C0=Q2=0, C3=Q1=1, C1=Q0=1; FPREM1: Q = 4 → C0=1.
		{"FPREM 7,2", []float80.F80{fd(7), fd(2)}, cwNearest, []byte{0xD9, 0xF8}, []float80.F80{fd(1), fd(2)}, 6, swC3 | swC1},
		{"FPREM1 7,2", []float80.F80{fd(7), fd(2)}, cwNearest, []byte{0xD9, 0xF5}, []float80.F80{fd(-1), fd(2)}, 6, swC0},
		{"FPREM 13,3", []float80.F80{fd(13), fd(3)}, cwNearest, []byte{0xD9, 0xF8}, []float80.F80{fd(1), fd(3)}, 6, swC0},
		{"FPREM 5.5,1", []float80.F80{fd(5.5), fd(1)}, cwNearest, []byte{0xD9, 0xF8}, []float80.F80{fd(0.5), fd(1)}, 6, swC0 | swC1},
		{"FPREM x,0", []float80.F80{fd(5), fPosZ}, cwNearest, []byte{0xD9, 0xF8}, []float80.F80{fIndef, fPosZ}, 6, swIE},
		{"F2XM1 1", []float80.F80{fd(1)}, cwNearest, []byte{0xD9, 0xF0}, []float80.F80{fd(1)}, 7, 0},
		{"F2XM1 -1", []float80.F80{fd(-1)}, cwNearest, []byte{0xD9, 0xF0}, []float80.F80{fd(-0.5)}, 7, 0},
		{"F2XM1 0.5", []float80.F80{fd(0.5)}, cwNearest, []byte{0xD9, 0xF0}, []float80.F80{x80(0x3FFD, 0xD413CCCFE7799211)}, 7, swPE},
		{"FYL2X 8,1.5", []float80.F80{fd(8), fd(1.5)}, cwNearest, []byte{0xD9, 0xF1}, []float80.F80{fd(4.5)}, 7, 0},
		{"FYL2X -1", []float80.F80{fd(-1), fd(1)}, cwNearest, []byte{0xD9, 0xF1}, []float80.F80{fIndef}, 7, swIE},
		{"FYL2X 0", []float80.F80{fPosZ, fd(1)}, cwNearest, []byte{0xD9, 0xF1}, []float80.F80{fNegInf}, 7, swZE},
		{"FYL2XP1 0,5", []float80.F80{fPosZ, fd(5)}, cwNearest, []byte{0xD9, 0xF9}, []float80.F80{fPosZ}, 7, 0},
		{"FPTAN 0", []float80.F80{fPosZ}, cwNearest, []byte{0xD9, 0xF2}, []float80.F80{fd(1), fPosZ}, 6, 0},
		{"FPTAN 2^63", []float80.F80{x80(0x403E, 1<<63)}, cwNearest, []byte{0xD9, 0xF2}, []float80.F80{x80(0x403E, 1<<63)}, 7, swC2},
		{"FPATAN 1,1", []float80.F80{fd(1), fd(1)}, cwNearest, []byte{0xD9, 0xF3}, []float80.F80{pi4}, 7, swPE | swC1}, // π/4 rounds up
		{"FPATAN -0,+0", []float80.F80{fNegZ, fPosZ}, cwNearest, []byte{0xD9, 0xF3}, []float80.F80{x80(0x4000, 0xC90FDAA22168C235)}, 7, swPE | swC1},
		{"FSIN 0", []float80.F80{fPosZ}, cwNearest, []byte{0xD9, 0xFE}, []float80.F80{fPosZ}, 7, 0},
		{"FSIN -0", []float80.F80{fNegZ}, cwNearest, []byte{0xD9, 0xFE}, []float80.F80{fNegZ}, 7, 0},
		{"FSIN 2^63", []float80.F80{x80(0x403E, 1<<63)}, cwNearest, []byte{0xD9, 0xFE}, []float80.F80{x80(0x403E, 1<<63)}, 7, swC2},
		{"FSIN inf", []float80.F80{fPosInf}, cwNearest, []byte{0xD9, 0xFE}, []float80.F80{fIndef}, 7, swIE},
		{"FCOS 0", []float80.F80{fPosZ}, cwNearest, []byte{0xD9, 0xFF}, []float80.F80{fd(1)}, 7, 0},
		{"FCOS -2^63", []float80.F80{x80(0xC03E, 1<<63)}, cwNearest, []byte{0xD9, 0xFF}, []float80.F80{x80(0xC03E, 1<<63)}, 7, swC2},
		{"FSINCOS 0", []float80.F80{fPosZ}, cwNearest, []byte{0xD9, 0xFB}, []float80.F80{fd(1), fPosZ}, 6, 0},
		{"FSINCOS 2^63", []float80.F80{x80(0x403E, 1<<63)}, cwNearest, []byte{0xD9, 0xFB}, []float80.F80{x80(0x403E, 1<<63)}, 7, swC2},
		{"FNOP", []float80.F80{fd(3)}, cwNearest, []byte{0xD9, 0xD0}, []float80.F80{fd(3)}, 7, 0},
		{"FENI (DB E0) is a no-op", []float80.F80{fd(3)}, cwNearest, []byte{0xDB, 0xE0}, []float80.F80{fd(3)}, 7, 0},
		{"FDISI (DB E1) is a no-op", []float80.F80{fd(3)}, cwNearest, []byte{0xDB, 0xE1}, []float80.F80{fd(3)}, 7, 0},
		{"FSETPM (DB E4) is a no-op", []float80.F80{fd(3)}, cwNearest, []byte{0xDB, 0xE4}, []float80.F80{fd(3)}, 7, 0},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, s := fpuRun(t, real, chain(setupVals(c.in...), fldcwSetup(c.cw)), func(a *fasm) {
					a.fninit().fldcwAt(dCW)
					pushAll(a, len(c.in))
					a.op(c.code...)
				})
				for i, w := range c.out {
					assertST(t, s, i, w)
				}
				assert.Equal(t, c.top, s.top(), "TOP")
				assert.Equal(t, c.sw, s.SW&(swExc|swC0|swC1|swC2|swC3), "SW=%04X", s.SW)
			})
		}
		// FPREM with an exponent difference above 63 only reduces
		// partially (C2 = 1); repeating until C2 = 0 gives the remainder:
		// 2^100 mod 3 = 1 (SDM vol. 2, FPREM: "software can re-execute
		// the instruction ... until C2 is cleared").
		t.Run("FPREM loop", func(t *testing.T) {
			_, s := fpuRun(t, real, setupVals(x80(0x3FFF+100, 1<<63), fd(3)), func(a *fasm) {
				a.fninit()
				pushAll(a, 2)
				a.op(0xD9, 0xF8) // FPREM
				a.fnstsw(dOut)   // first status: partial
				loop := a.here()
				a.op(0xD9, 0xF8)       // FPREM
				a.op(0xDF, 0xE0, 0x9E) // FNSTSW AX; SAHF (C2 -> PF)
				a.op(0x7A, byte(int8(int(loop)-int(a.here())-2)))
			})
			assertST(t, s, 0, fd(1))
			assert.Zero(t, s.SW&swC2)
		})
		t.Run("FPREM partial sets C2", func(t *testing.T) {
			m, _ := fpuRun(t, real, setupVals(x80(0x3FFF+100, 1<<63), fd(3)), func(a *fasm) {
				a.fninit()
				pushAll(a, 2)
				a.op(0xD9, 0xF8)
				a.fnstsw(dOut)
			})
			assert.NotZero(t, m.r16(tmData+dOut)&swC2, "C2 after the first FPREM")
		})
	})
}

// --- encodings ----------------------------------------------------------

// TestFPUReservedEncodings: the x87 encodings left blank in the opcode
// map raise #UD (SDM vol. 2, appendix A.4.2 tables A-7..A-22; vol. 3,
// "Architecture Compatibility", FPU error signals: "an undefined
// floating-point opcode will cause an invalid-opcode exception (#UD)").
// FISTTP (DB /1, DD /1, DF /1) came with SSE3 and is #UD on a Pentium II.
func TestFPUReservedEncodings(t *testing.T) {
	regForms := [][]byte{
		{0xD9, 0xD1}, {0xD9, 0xD7}, {0xD9, 0xE2}, {0xD9, 0xE3}, {0xD9, 0xE6}, {0xD9, 0xE7}, {0xD9, 0xEF},
		{0xDA, 0xE0}, {0xDA, 0xE8}, {0xDA, 0xEA}, {0xDA, 0xF0}, {0xDA, 0xF8}, {0xDA, 0xFF},
		{0xDB, 0xE5}, {0xDB, 0xE6}, {0xDB, 0xE7}, {0xDB, 0xF8}, {0xDB, 0xFF},
		{0xDD, 0xF0}, {0xDD, 0xF8}, {0xDD, 0xFF},
		{0xDE, 0xD8}, {0xDE, 0xDA}, {0xDE, 0xDF},
		{0xDF, 0xE1}, {0xDF, 0xE7}, {0xDF, 0xF8}, {0xDF, 0xFF},
	}
	memForms := []struct{ esc, reg byte }{{0xD9, 1}, {0xDB, 1}, {0xDB, 4}, {0xDB, 6}, {0xDD, 1}, {0xDD, 5}, {0xDF, 1}}
	bothModes(t, func(t *testing.T, real bool) {
		run := func(t *testing.T, name string, insn func(a *fasm)) {
			t.Run(name, func(t *testing.T) {
				a := &fasm{real: real}
				a.fninit()
				at := a.here()
				insn(a)
				a.hlt()
				m := fpuMachine(t, real)
				m.load(tmCode, a.b)
				m.runHalt()
				require.Equal(t, 6, m.hitVector(), "#UD expected (exceptions %v)", m.excs)
				if real {
					assert.Equal(t, uint16(at), m.frame16(1)[0], "saved IP points at the instruction")
				} else {
					assert.Equal(t, a.eip(at), m.frame(1)[0], "saved EIP points at the instruction")
				}
			})
		}
		for _, f := range regForms {
			run(t, fmt.Sprintf("% X", f), func(a *fasm) { a.op(f...) })
		}
		for _, f := range memForms {
			run(t, fmt.Sprintf("%02X /%d", f.esc, f.reg), func(a *fasm) { a.mem(f.esc, f.reg, dC) })
		}
		run(t, "LOCK FADD", func(a *fasm) { a.mem(0xD8, 0, dC, 0xF0) })
	})
}
