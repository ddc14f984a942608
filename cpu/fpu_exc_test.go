package cpu

// x87 exceptions and their delivery: CR0.EM/MP/TS and #NM, unmasked
// floating-point exceptions and their responses, #MF in native mode
// (CR0.NE=1) at the next waiting instruction, FERR# in MS-DOS
// compatibility mode (CR0.NE=0), FCLEX.

import (
	"fmt"
	"testing"

	"github.com/gox86/gox86/cpu/float80"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fpuHandler installs code as the handler of vector v (real-mode IVT
// entry 0000:tmHandler, or an interrupt gate in protected mode).
func (m *tmMachine) fpuHandler(real bool, v uint8, code []byte) {
	if real {
		m.load(tmHandler, code)
		m.w16(uint32(v)*4, tmHandler)
		m.w16(uint32(v)*4+2, 0)
		return
	}
	m.setHandler(v, 0, code)
}

// jmpStub appends a near JMP from handler code (loaded at tmHandler) to
// the recording stub of vector v, which records the vector and the stack
// pointer and halts.
func (a *fasm) jmpStub(v uint8) *fasm {
	target := tmStubs + uint32(v)*32
	if a.real {
		rel := int32(target) - int32(tmHandler+a.here()+3)
		return a.op(0xE9).op(le16(uint16(rel))...)
	}
	rel := int32(target) - int32(tmHandler+a.here()+5)
	return a.op(0xE9).op(le32(uint32(rel))...)
}

// fpuRunRaw runs code as is (nothing appended) and returns the machine.
func fpuRunRaw(t *testing.T, real bool, setup func(m *tmMachine), a *fasm) *tmMachine {
	t.Helper()
	m := fpuMachine(t, real)
	m.load(tmCode, a.b)
	if setup != nil {
		setup(m)
	}
	m.runHalt()
	return m
}

// savedIP is the return address an exception handler got (IP in real
// mode, EIP in protected mode).
func (m *tmMachine) savedIP(real bool) uint32 {
	if real {
		return uint32(m.frame16(1)[0])
	}
	return m.frame(1)[0]
}

// --- CR0.EM, MP, TS ---------------------------------------------------------

// TestFPUDeviceNotAvailable: x87 instructions raise #NM when CR0.EM or
// CR0.TS is set; WAIT/FWAIT only when both MP and TS are (SDM vol. 3,
// 2.5 "Control Registers", table 2-2 "Action Taken By x87 FPU
// Instructions for Different Combinations of EM, MP, and TS"; vol. 2,
// WAIT/FWAIT "#NM If CR0.MP[bit 1] = 1 and CR0.TS[bit 3] = 1").
func TestFPUDeviceNotAvailable(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		for em := 0; em < 2; em++ {
			for mp := 0; mp < 2; mp++ {
				for ts := 0; ts < 2; ts++ {
					cr0 := uint32(em)*CR0EM | uint32(mp)*CR0MP | uint32(ts)*CR0TS
					for _, insn := range []struct {
						name   string
						code   []byte
						raises bool
					}{
						{"FLD1", []byte{0xD9, 0xE8}, em == 1 || ts == 1},
						{"WAIT", []byte{0x9B}, mp == 1 && ts == 1},
					} {
						t.Run(fmt.Sprintf("EM%d_MP%d_TS%d/%s", em, mp, ts, insn.name), func(t *testing.T) {
							a := &fasm{real: real}
							a.op(0x90) // NOP, so the faulting instruction is not at offset 0
							a.op(insn.code...).hlt()
							m := fpuRunRaw(t, real, func(m *tmMachine) { m.setCR0(cr0) }, a)
							if insn.raises {
								require.Equal(t, 7, m.hitVector(), "#NM expected (exceptions %v)", m.excs)
								assert.Equal(t, a.eip(1), m.savedIP(real), "#NM is a fault on the instruction")
							} else {
								assert.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
							}
						})
					}
				}
			}
		}
		// Every escape, including the no-wait and the undefined ones,
		// faults with TS set (SDM vol. 3, 2.5 "TS"; "Architecture
		// Compatibility": undefined floating-point opcodes "cause a device
		// not available exception (#NM) when either the TS or EM flag in
		// control register CR0 is set").
		for _, insn := range [][]byte{
			{0xDB, 0xE3}, {0xDB, 0xE2}, {0xDF, 0xE0}, {0xD9, 0xD0}, {0xD9, 0xD1}, {0xDF, 0xF8},
		} {
			t.Run(fmt.Sprintf("TS/% X", insn), func(t *testing.T) {
				a := &fasm{real: real}
				a.op(insn...).hlt()
				m := fpuRunRaw(t, real, func(m *tmMachine) { m.setCR0(CR0TS | CR0MP) }, a)
				require.Equal(t, 7, m.hitVector(), "#NM expected (exceptions %v)", m.excs)
			})
		}
		for _, insn := range []func(a *fasm){
			func(a *fasm) { a.fnstenv(dEnv) },
			func(a *fasm) { a.fnsave(dEnv) },
			func(a *fasm) { a.fnstcw(dOut) },
			func(a *fasm) { a.fldcwAt(dCW) },
			func(a *fasm) { a.fnstsw(dOut) },
		} {
			a := &fasm{real: real}
			insn(a)
			t.Run(fmt.Sprintf("EM/% X", a.b[:2]), func(t *testing.T) {
				a.hlt()
				m := fpuRunRaw(t, real, func(m *tmMachine) { m.setCR0(CR0EM) }, a)
				require.Equal(t, 7, m.hitVector(), "#NM expected (exceptions %v)", m.excs)
			})
		}
		// The lazy context switch: the #NM handler clears TS and returns;
		// the x87 instruction then runs (SDM vol. 3, 13.4 / 2.5 "TS").
		t.Run("CLTS and restart", func(t *testing.T) {
			m, s := fpuRun(t, real, func(m *tmMachine) {
				m.setCR0(CR0TS | CR0MP | CR0NE)
				m.fpuHandler(real, 7, []byte{0x0F, 0x06, 0xCF}) // CLTS; IRET
			}, func(a *fasm) {
				a.fninit()       // #NM, then runs
				a.op(0xD9, 0xE8) // FLD1
				a.op(0x9B)       // WAIT
			})
			assert.Equal(t, []uint8{7}, m.excVectors(), "one #NM")
			assert.Equal(t, 7, s.top())
			assertST(t, s, 0, fd(1))
		})
	})
}

// --- unmasked exceptions: responses ------------------------------------

// TestFPUUnmaskedResponses: with the exception unmasked, IE, ZE and DE
// leave the destination and the stack unchanged; OE and UE with a register
// destination store the result with its exponent bias-adjusted by ∓24576;
// OE/UE with a memory destination store nothing; PE stores the rounded
// result. The flag, ES and B are set and nothing is raised yet (SDM vol.
// 1, 4.9.2, 8.5.1-8.5.6 "... if the exception is not masked"; 8.1.3.5 and
// 8.7). CR0.NE = 1 here, so any #MF raised at the faulting instruction
// fails the test.
func TestFPUUnmaskedResponses(t *testing.T) {
	big := x80(0x3FFF+16000, 1<<63)
	tiny := x80(0x3FFF-16000, 1<<63)
	cases := []struct {
		name  string
		cw    uint16
		in    []float80.F80
		mem   []byte
		code  func(a *fasm)
		top   int
		out   []float80.F80
		sw    uint16 // flags expected (ES and B are added)
		check func(t *testing.T, m *tmMachine)
	}{
		{"IE FSQRT -1", 0x037E, []float80.F80{fd(-1)}, nil, func(a *fasm) { a.op(0xD9, 0xFA) }, 7, []float80.F80{fd(-1)}, swIE, nil},
		{"IE FADD SNaN", 0x037E, []float80.F80{fSNaN, fd(1)}, nil, func(a *fasm) { a.op(0xDE, 0xC1) }, 6, []float80.F80{fSNaN, fd(1)}, swIE, nil},
		{"IE stack overflow", 0x037E, []float80.F80{fd(1), fd(1), fd(1), fd(1), fd(1), fd(1), fd(1), fd(1)}, nil,
			func(a *fasm) { a.op(0xD9, 0xEE) }, 0, []float80.F80{fd(1)}, swIE | swSF | swC1, nil},
		{"IE stack underflow", 0x037E, nil, nil, func(a *fasm) { a.op(0xD9, 0xE1) }, 0, nil, swIE | swSF, func(t *testing.T, m *tmMachine) {}},
		{"IE FIST out of range", 0x037E, []float80.F80{fd(1e10)}, nil, func(a *fasm) { a.mem(0xDB, 3, dOut) }, 7, []float80.F80{fd(1e10)}, swIE,
			func(t *testing.T, m *tmMachine) {
				assert.Equal(t, uint32(0xAAAAAAAA), m.r32(tmData+dOut), "memory unchanged, no pop")
			}},
		{"IE FCOM NaN keeps CC", 0x037E, []float80.F80{fQNaN, fd(1)}, nil, func(a *fasm) { a.op(0xD9, 0xE5, 0xD8, 0xD9) }, 6, []float80.F80{fQNaN, fd(1)}, swIE | swC0,
			nil}, // FXAM left C0 (NaN: C3 C2 C0 = 001); FCOMP neither sets CC nor pops
		{"ZE FDIV", 0x037B, []float80.F80{fd(1), fPosZ}, nil, func(a *fasm) { a.op(0xD8, 0xF1) }, 6, []float80.F80{fd(1), fPosZ}, swZE, nil},
		{"ZE FDIVP", 0x037B, []float80.F80{fPosZ, fd(1)}, nil, func(a *fasm) { a.op(0xDE, 0xF9) }, 6, []float80.F80{fPosZ, fd(1)}, swZE, nil},
		{"DE FLD m32 denormal", 0x037D, nil, le32(1), func(a *fasm) { a.mem(0xD9, 0, dC) }, 0, nil, swDE, nil},
		{"DE FADD denormal", 0x037D, []float80.F80{fd(1), fDenorm}, nil, func(a *fasm) { a.op(0xD8, 0xC1) }, 6, []float80.F80{fd(1), fDenorm}, swDE, nil},
		{"OE to register", 0x0377, []float80.F80{big, big}, nil, func(a *fasm) { a.op(0xD8, 0xC9) }, 6,
			[]float80.F80{x80(uint16(16383+32000-24576), 1<<63), big}, swOE, nil},
		{"UE to register", 0x036F, []float80.F80{tiny, tiny}, nil, func(a *fasm) { a.op(0xD8, 0xC9) }, 6,
			[]float80.F80{x80(uint16(16383-32000+24576), 1<<63), tiny}, swUE, nil},
		{"OE FSTP m32", 0x0377, []float80.F80{x80(0x3FFF+130, 1<<63)}, nil, func(a *fasm) { a.mem(0xD9, 3, dOut) }, 7,
			[]float80.F80{x80(0x3FFF+130, 1<<63)}, swOE, func(t *testing.T, m *tmMachine) {
				assert.Equal(t, uint32(0xAAAAAAAA), m.r32(tmData+dOut), "nothing stored, no pop")
			}},
		{"PE FDIV 1/3", 0x035F, []float80.F80{fd(1), fd(3)}, nil, func(a *fasm) { a.op(0xD8, 0xF1) }, 6,
			[]float80.F80{x80(0x3FFD, 0xAAAAAAAAAAAAAAAB), fd(3)}, swPE | swC1, nil},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				m, s := fpuRun(t, real, chain(setupVals(c.in...), fldcwSetup(c.cw), func(m *tmMachine) {
					m.setCR0(CR0NE)
					m.loadData(dOut, []byte{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA})
					if c.mem != nil {
						m.loadData(dC, c.mem)
					}
				}), func(a *fasm) {
					a.fninit()
					pushAll(a, len(c.in))
					a.fldcwAt(dCW)
					c.code(a)
				})
				assert.Equal(t, c.sw|swES|swB, s.SW&(swExc|swSF|swES|swB|swC0|swC1|swC2|swC3), "SW=%04X", s.SW)
				assert.Equal(t, c.top, s.top(), "TOP")
				for i, w := range c.out {
					assertST(t, s, i, w)
				}
				if c.check != nil {
					c.check(t, m)
				}
				assert.Empty(t, m.excs, "no exception is raised by the faulting instruction itself")
			})
		}
	})
}

// --- #MF (native mode) ------------------------------------------------------

// mfProgram builds: FNINIT; FLDCW (ZE unmasked); FLDZ; FLD1; FDIV
// ST0,ST1 (an unmasked zero divide: the "faulting" instruction); the
// no-wait instructions FNSTSW m, FNSTCW, FNSTSW AX, FNOP-free filler; then
// next, the instruction that must take the #MF. It returns the offsets of
// FDIV and of next.
func mfProgram(a *fasm, next func(a *fasm)) (fdiv, at uint32) {
	a.fninit().fldcwAt(dCW)
	a.op(0xD9, 0xEE, 0xD9, 0xE8) // FLDZ, FLD1
	fdiv = a.here()
	a.op(0xD8, 0xF1) // FDIV ST0, ST1
	a.fnstsw(dOut).fnstcw(dOut+2).op(0xDF, 0xE0)
	at = a.here()
	next(a)
	a.hlt()
	return
}

// mfSetup: CR0.NE = 1, CW = 037Bh (ZE unmasked), a #MF handler that saves
// the x87 state (FNSAVE, 32-bit format) at dDump and then jumps to the
// recording stub.
func mfSetup(real bool) func(m *tmMachine) {
	return func(m *tmMachine) {
		m.setCR0(CR0NE)
		m.w16(tmData+dCW, 0x037B)
		h := &fasm{real: real}
		h.fnsave32(dDump).jmpStub(16)
		m.fpuHandler(real, 16, h.b)
	}
}

// TestFPUNativeErrorReporting: with CR0.NE = 1 an unmasked exception sets
// its flag, ES and B, and #MF (vector 16) is raised "immediately before
// execution of" the next waiting x87 instruction or WAIT, not at the
// instruction that caused it, and not at the no-wait instructions FNINIT,
// FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE (SDM vol. 1, 8.7.1 "Native Mode";
// 8.6). #MF is a fault on that next instruction, and the handler sees FIP,
// FOP of the instruction that caused the exception (SDM vol. 1, 8.1.8).
func TestFPUNativeErrorReporting(t *testing.T) {
	nexts := []struct {
		name string
		code func(a *fasm)
	}{
		{"FLD1", func(a *fasm) { a.op(0xD9, 0xE8) }},
		{"WAIT", func(a *fasm) { a.op(0x9B) }},
		{"FADD m64", func(a *fasm) { a.mem(0xDC, 0, dC) }},
		{"FNOP", func(a *fasm) { a.op(0xD9, 0xD0) }},
		{"FXCH", func(a *fasm) { a.op(0xD9, 0xC9) }},
		{"FSTP m80", func(a *fasm) { a.fstp80(dOut2) }},
		{"FCOMPP", func(a *fasm) { a.op(0xDE, 0xD9) }},
		{"FSTSW AX (9B DF E0)", func(a *fasm) { a.op(0x9B, 0xDF, 0xE0) }},
		{"FINIT (9B DB E3)", func(a *fasm) { a.op(0x9B, 0xDB, 0xE3) }},
		{"FCLEX (9B DB E2)", func(a *fasm) { a.op(0x9B, 0xDB, 0xE2) }},
		{"FSTENV (9B D9 /6)", func(a *fasm) { a.op(0x9B).fnstenv(dEnv) }},
		{"FSAVE (9B DD /6)", func(a *fasm) { a.op(0x9B).fnsave(dEnv) }},
		{"FSTCW (9B D9 /7)", func(a *fasm) { a.op(0x9B).fnstcw(dOut2) }},
		// FLDCW, FLDENV and FRSTOR have no no-wait form: they are waiting
		// instructions (only FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV and
		// FNSAVE are not, SDM vol. 1, 8.7.1).
		{"FLDCW", func(a *fasm) { a.fldcwAt(dCW) }},
		{"FLDENV", func(a *fasm) { a.fldenv(dEnv2) }},
		{"FRSTOR", func(a *fasm) { a.frstor(dEnv2) }},
	}
	bothModes(t, func(t *testing.T, real bool) {
		for _, n := range nexts {
			t.Run("next "+n.name, func(t *testing.T) {
				a := &fasm{real: real}
				fdiv, at := mfProgram(a, n.code)
				m := fpuRunRaw(t, real, mfSetup(real), a)
				require.Equal(t, 16, m.hitVector(), "#MF expected (exceptions %v)", m.excs)
				assert.Equal(t, []uint8{16}, m.excVectors(), "one #MF, nothing before it")
				assert.Equal(t, a.eip(at), m.savedIP(real), "#MF is taken on the next waiting instruction")
				assert.Equal(t, uint16(0xB084), m.r16(tmData+dOut), "FNSTSW after the FDIV: TOP 6, ES, B, ZE")
				s := parseSave32(m.bytes(tmData+dDump, 108), real)
				assert.Equal(t, uint16(swZE|swES|swB), s.SW&(swExc|swES|swB|swSF), "SW in the handler")
				assert.Equal(t, tmCode+fdiv, s.FIP, "FIP: the FDIV, not the instruction that took the #MF")
				assert.Equal(t, uint16(0x0F1), s.FOP, "FOP: D8 F1")
				assert.Equal(t, 6, s.top())
				assertST(t, s, 0, fd(1), "unmasked ZE leaves the destination")
				assertST(t, s, 1, fPosZ)
			})
		}
		noWait := []struct {
			name string
			code func(a *fasm)
		}{
			{"FNSTENV", func(a *fasm) { a.fnstenv(dEnv) }},
			{"FNSAVE", func(a *fasm) { a.fnsave(dEnv) }},
			{"FNCLEX", func(a *fasm) { a.op(0xDB, 0xE2) }},
			{"FNINIT", func(a *fasm) { a.op(0xDB, 0xE3) }},
		}
		for _, n := range noWait {
			t.Run("no-wait "+n.name, func(t *testing.T) {
				a := &fasm{real: real}
				mfProgram(a, n.code)
				m := fpuRunRaw(t, real, mfSetup(real), a)
				assert.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			})
		}
		// After FNCLEX (or FNINIT, FNSAVE) the next waiting instruction
		// runs normally.
		t.Run("FNCLEX then FLD1", func(t *testing.T) {
			a := &fasm{real: real}
			mfProgram(a, func(a *fasm) { a.op(0xDB, 0xE2, 0xD9, 0xE8) })
			m := fpuRunRaw(t, real, mfSetup(real), a)
			assert.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
		})
		// The handler clears the exception and returns: the instruction
		// that took the #MF is restarted and completes.
		t.Run("handler FNCLEX; IRET", func(t *testing.T) {
			_, s := fpuRun(t, real, func(m *tmMachine) {
				mfSetup(real)(m)
				m.fpuHandler(real, 16, []byte{0xDB, 0xE2, 0xCF}) // FNCLEX; IRET
			}, func(a *fasm) {
				mfProgram(a, func(a *fasm) { a.op(0xD9, 0xE8) }) // FLD1
				a.b = a.b[:len(a.b)-1]                           // (fpuRun appends its own HLT)
			})
			assert.Equal(t, 5, s.top(), "the restarted FLD1 pushed")
			assertST(t, s, 0, fd(1))
			assert.Zero(t, s.SW&(swExc|swES|swB))
		})
		// A masked exception is not reported.
		t.Run("masked ZE", func(t *testing.T) {
			a := &fasm{real: real}
			mfProgram(a, func(a *fasm) { a.op(0xD9, 0xE8) })
			m := fpuRunRaw(t, real, chain(mfSetup(real), fldcwSetup(0x037F)), a)
			assert.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
		})
		// FLDCW that unmasks an exception whose flag is already set makes
		// it pending: #MF at the next waiting instruction, not at FLDCW
		// (SDM vol. 2, FLDCW: "that exception is then generated upon
		// execution of the next 'waiting' floating-point instruction").
		t.Run("FLDCW unmasks a set flag", func(t *testing.T) {
			a := &fasm{real: real}
			a.fninit()
			a.op(0xD9, 0xEE, 0xD9, 0xE8, 0xD8, 0xF1) // FLDZ, FLD1, FDIV (ZE masked: flag only)
			a.fldcwAt(dCW)                           // unmask ZE
			a.fnstsw(dOut)
			at := a.here()
			a.op(0xD9, 0xE8).hlt()
			m := fpuRunRaw(t, real, mfSetup(real), a)
			require.Equal(t, 16, m.hitVector(), "exceptions %v", m.excs)
			assert.Equal(t, a.eip(at), m.savedIP(real))
			assert.Equal(t, uint16(swZE|swES|swB), m.r16(tmData+dOut)&(swExc|swES|swB), "ES and B follow the unmasking")
		})
		// FLDENV/FRSTOR loading a status word with an unmasked flag set:
		// "a floating-point exception will be generated upon execution of
		// the next floating-point instruction" (SDM vol. 2, FLDENV;
		// FRSTOR), so neither FLDENV nor FRSTOR itself takes the #MF.
		for _, ld := range []struct {
			name string
			op   func(a *fasm)
			img  []byte
		}{
			{"FLDENV", func(a *fasm) { a.mem(0xD9, 4, dEnv, a.o32()...) },
				buildEnv(envImage{CW: 0x037B, SW: swZE | swES | swB, TW: 0xFFFF}, real, true)},
			{"FRSTOR", func(a *fasm) { a.mem(0xDD, 4, dEnv, a.o32()...) },
				append(buildEnv(envImage{CW: 0x037B, SW: swZE | swES | swB, TW: 0xFFFF}, real, true), make([]byte, 80)...)},
		} {
			t.Run(ld.name+" with a pending exception", func(t *testing.T) {
				a := &fasm{real: real}
				a.fninit()
				ld.op(a)
				a.fnstsw(dOut)
				at := a.here()
				a.op(0xD9, 0xE8).hlt()
				m := fpuRunRaw(t, real, chain(mfSetup(real), func(m *tmMachine) { m.loadData(dEnv, ld.img) }), a)
				require.Equal(t, 16, m.hitVector(), "exceptions %v", m.excs)
				assert.Equal(t, []uint8{16}, m.excVectors())
				assert.Equal(t, a.eip(at), m.savedIP(real), "#MF at the instruction after %s", ld.name)
				assert.Equal(t, uint16(swZE|swES|swB), m.r16(tmData+dOut)&(swExc|swES|swB))
			})
		}
		// Priorities: an undefined x87 opcode raises #UD without checking
		// for a pending error (SDM vol. 3, "Architecture Compatibility",
		// "FPU Error Signals": "The P6 family, Pentium, and Intel486
		// processors do not check for floating-point error conditions on
		// encountering an undefined floating-point opcode"); #NM comes
		// before #MF (SDM vol. 3, 6.9, table 6-2: faults from decoding the
		// next instruction, priority 6, before the x87 error, priority 7).
		t.Run("undefined opcode with a pending error", func(t *testing.T) {
			a := &fasm{real: real}
			mfProgram(a, func(a *fasm) { a.op(0xD9, 0xD1) })
			m := fpuRunRaw(t, real, mfSetup(real), a)
			assert.Equal(t, []uint8{6}, m.excVectors())
		})
		t.Run("TS with a pending error", func(t *testing.T) {
			a := &fasm{real: real}
			mfProgram(a, func(a *fasm) {
				a.op(0x0F, 0x20, 0xC0) // MOV EAX, CR0
				if real {
					a.op(0x66)
				}
				a.op(0x0D).op(le32(CR0TS)...) // OR EAX, CR0.TS
				a.op(0x0F, 0x22, 0xC0)        // MOV CR0, EAX
				a.op(0xD9, 0xE8)              // FLD1
			})
			m := fpuRunRaw(t, real, mfSetup(real), a)
			assert.Equal(t, []uint8{7}, m.excVectors())
		})
		// An unmasked stack overflow is reported the same way.
		t.Run("unmasked stack overflow", func(t *testing.T) {
			a := &fasm{real: real}
			a.fninit().fldcwAt(dCW)
			for k := 0; k < 9; k++ {
				a.op(0xD9, 0xE8)
			}
			a.fnstsw(dOut)
			at := a.here()
			a.op(0xD9, 0xE8).hlt()
			m := fpuRunRaw(t, real, chain(mfSetup(real), fldcwSetup(0x037E)), a)
			require.Equal(t, 16, m.hitVector(), "exceptions %v", m.excs)
			assert.Equal(t, a.eip(at), m.savedIP(real))
			assert.Equal(t, uint16(swIE|swSF|swC1|swES|swB), m.r16(tmData+dOut)&(swExc|swSF|swC1|swES|swB))
			assert.Equal(t, 0, int(m.r16(tmData+dOut)>>11&7), "no push: TOP stays 0")
		})
	})
}

// --- FERR# (MS-DOS compatibility mode) ----------------------------------

// TestFPUFERR: with CR0.NE = 0 no #MF is raised; the FERR# output signals
// the error instead. "For the P6 family and Intel386 processors, an
// unmasked floating-point exception always causes the FERR# pin to be
// asserted upon completion of the instruction that caused the exception"
// (SDM vol. 3, "Architecture Compatibility", "Assertion of the FERR#
// Pin"; vol. 1, 8.7.2 and appendix D.2.2). The PC's IRQ 13 handler
// releases it (port F0h: CPU.ClearFERR); FNCLEX and FNINIT clear ES and so
// deassert FERR#.
func TestFPUFERR(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		run := func(t *testing.T, cw uint16, tail func(a *fasm)) (*tmMachine, *[]bool) {
			var events []bool
			a := &fasm{real: real}
			a.fninit().fldcwAt(dCW)
			a.op(0xD9, 0xEE, 0xD9, 0xE8, 0xD8, 0xF1) // FLDZ, FLD1, FDIV ST0,ST1
			tail(a)
			a.hlt()
			m := fpuRunRaw(t, real, func(m *tmMachine) {
				m.setCR0(0) // NE = 0
				m.w16(tmData+dCW, cw)
				m.c.Hooks.FERR = func(on bool) { events = append(events, on) }
			}, a)
			assert.Empty(t, m.excs, "no #MF with CR0.NE = 0")
			return m, &events
		}
		t.Run("asserted at the faulting instruction", func(t *testing.T) {
			m, ev := run(t, 0x037B, func(a *fasm) {})
			assert.True(t, m.c.FERR(), "FERR# asserted after the FDIV")
			assert.Equal(t, []bool{true}, *ev)
		})
		t.Run("still asserted after waiting instructions", func(t *testing.T) {
			m, ev := run(t, 0x037B, func(a *fasm) { a.op(0x9B, 0xD9, 0xE8, 0x9B) })
			assert.True(t, m.c.FERR())
			assert.Equal(t, []bool{true}, *ev, "one assertion")
			m.c.ClearFERR()
			assert.False(t, m.c.FERR(), "released by ClearFERR (port F0h)")
			assert.Equal(t, []bool{true, false}, *ev)
		})
		t.Run("masked", func(t *testing.T) {
			m, ev := run(t, 0x037F, func(a *fasm) { a.op(0x9B) })
			assert.False(t, m.c.FERR())
			assert.Empty(t, *ev)
		})
		for _, clr := range []struct {
			name string
			code []byte
		}{{"FNCLEX", []byte{0xDB, 0xE2}}, {"FNINIT", []byte{0xDB, 0xE3}}} {
			t.Run("deasserted by "+clr.name, func(t *testing.T) {
				m, ev := run(t, 0x037B, func(a *fasm) { a.op(0x9B).op(clr.code...) })
				assert.False(t, m.c.FERR())
				assert.Equal(t, []bool{true, false}, *ev)
			})
		}
	})
}

// TestFPUClearExceptions: FNCLEX/FCLEX clear PE, UE, OE, ZE, DE, IE, SF,
// ES and B, and leave TOP and the registers (SDM vol. 2, FCLEX/FNCLEX);
// FCLEX first waits, so a pending unmasked exception is raised on it
// (covered by TestFPUNativeErrorReporting).
func TestFPUClearExceptions(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		_, s := fpuRun(t, real, fldcwSetup(0x0340), func(a *fasm) {
			a.fninit()
			for k := 0; k < 9; k++ { // IE, SF, C1 (masked overflow)
				a.op(0xD9, 0xE8)
			}
			a.op(0xD9, 0xEB)       // FLDPI: overflow again
			a.op(0xD9, 0xF7)       // FINCSTP
			a.fldcwAt(dCW)         // unmask all: ES, B
			a.op(0xDB, 0xE2)       // FNCLEX
			a.fnstsw(dOut)         // (kept in the dump)
			a.op(0xD9, 0xF6, 0x9B) // FDECSTP, WAIT: nothing pending
		})
		assert.Zero(t, s.SW&(swExc|swSF|swES|swB), "SW=%04X", s.SW)
		assert.Equal(t, 6, s.top())
		assertST(t, s, 0, fIndef)
		assertST(t, s, 1, fIndef)
		assertST(t, s, 2, fd(1))
	})
}
