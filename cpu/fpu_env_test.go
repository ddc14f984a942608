package cpu

// x87 environment and state images: FSTENV/FNSTENV, FLDENV, FSAVE/FNSAVE
// and FRSTOR in the four layouts of SDM vol. 1, 8.1.10, figures 8-9
// (protected mode, 32-bit), 8-10 (real mode, 32-bit), 8-11 (protected
// mode, 16-bit) and 8-12 (real mode, 16-bit), and the last-instruction
// pointers FIP/FCS, FDP/FDS and the opcode FOP (SDM vol. 1, 8.1.8-8.1.9).

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envImage is an FSTENV image decoded from one of the four layouts.
type envImage struct {
	CW, SW, TW uint16
	FIP, FDP   uint32 // offsets (protected mode) or linear addresses (real mode)
	FCS, FDS   uint16 // protected mode
	FOP        uint16 // all but the 16-bit protected-mode layout
}

// parseEnv decodes an environment image. Reserved fields are not read.
func parseEnv(b []byte, real, o32 bool) envImage {
	le := binary.LittleEndian
	var e envImage
	if o32 {
		d := func(k int) uint32 { return le.Uint32(b[4*k:]) }
		e.CW, e.SW, e.TW = uint16(d(0)), uint16(d(1)), uint16(d(2))
		if real { // figure 8-10
			e.FIP = d(3)&0xFFFF | (d(4)>>12&0xFFFF)<<16
			e.FOP = uint16(d(4) & 0x7FF)
			e.FDP = d(5)&0xFFFF | (d(6)>>12&0xFFFF)<<16
		} else { // figure 8-9
			e.FIP = d(3)
			e.FCS = uint16(d(4))
			e.FOP = uint16(d(4)>>16) & 0x7FF
			e.FDP = d(5)
			e.FDS = uint16(d(6))
		}
		return e
	}
	w := func(k int) uint16 { return le.Uint16(b[2*k:]) }
	e.CW, e.SW, e.TW = w(0), w(1), w(2)
	if real { // figure 8-12
		e.FIP = uint32(w(3)) | uint32(w(4)>>12)<<16
		e.FOP = w(4) & 0x7FF
		e.FDP = uint32(w(5)) | uint32(w(6)>>12)<<16
	} else { // figure 8-11
		e.FIP, e.FCS, e.FDP, e.FDS = uint32(w(3)), w(4), uint32(w(5)), w(6)
	}
	return e
}

// buildEnv encodes an environment image in one of the four layouts, the
// reserved fields as zeros.
func buildEnv(e envImage, real, o32 bool) []byte {
	le := binary.LittleEndian
	if o32 {
		d := make([]uint32, 7)
		d[0], d[1], d[2] = uint32(e.CW), uint32(e.SW), uint32(e.TW)
		if real {
			d[3] = e.FIP & 0xFFFF
			d[4] = (e.FIP>>16)<<12 | uint32(e.FOP&0x7FF)
			d[5] = e.FDP & 0xFFFF
			d[6] = (e.FDP >> 16) << 12
		} else {
			d[3], d[4], d[5], d[6] = e.FIP, uint32(e.FCS)|uint32(e.FOP&0x7FF)<<16, e.FDP, uint32(e.FDS)
		}
		var b []byte
		for _, v := range d {
			b = le.AppendUint32(b, v)
		}
		return b
	}
	w := make([]uint16, 7)
	w[0], w[1], w[2] = e.CW, e.SW, e.TW
	if real {
		w[3] = uint16(e.FIP)
		w[4] = uint16(e.FIP>>16&0xF)<<12 | e.FOP&0x7FF
		w[5] = uint16(e.FDP)
		w[6] = uint16(e.FDP>>16&0xF) << 12
	} else {
		w[3], w[4], w[5], w[6] = uint16(e.FIP), e.FCS, uint16(e.FDP), e.FDS
	}
	var b []byte
	for _, v := range w {
		b = le.AppendUint16(b, v)
	}
	return b
}

// layouts enumerates the four formats: mode × operand size.
var envLayouts = []struct {
	name      string
	real, o32 bool
	size      int
}{
	{"real16 (fig 8-12)", true, false, 14},
	{"real32 (fig 8-10)", true, true, 28},
	{"prot16 (fig 8-11)", false, false, 14},
	{"prot32 (fig 8-9)", false, true, 28},
}

// envPrefix is the operand-size prefix that selects the layout's size.
func envPrefix(a *fasm, o32 bool) []byte {
	if o32 {
		return a.o32()
	}
	return a.o16()
}

// fillData writes n bytes of 0xCC at data offset off.
func (m *tmMachine) fillData(off uint32, n int) {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xCC
	}
	m.loadData(off, b)
}

// TestFPUFstenvLayouts: FNSTENV stores CW, SW, TW, the instruction pointer
// and opcode of the last non-control instruction and its operand pointer
// in the layout of the mode and operand size (SDM vol. 1, figures 8-9 to
// 8-12: in real mode the pointers are 20-bit (16-bit format) or 32-bit
// linear addresses split 15..0 / high bits at bit 12, with the 11-bit
// opcode in the low bits of the fifth field; in protected mode they are
// offset and selector, the 32-bit format putting FOP in bits 26..16 next
// to FCS), writes exactly 14 or 28 bytes, and then masks all exceptions
// (SDM vol. 2, FSTENV/FNSTENV).
func TestFPUFstenvLayouts(t *testing.T) {
	for _, l := range envLayouts {
		t.Run(l.name, func(t *testing.T) {
			a := &fasm{real: l.real}
			a.fninit().fldcwAt(dCW) // CW 0A60: unmasked, RC up, PC 53
			a.op(0xD9, 0xE8)        // FLD1
			at := a.here()
			a.fld64(dA)                                  // FLD m64fp: the last non-control instruction
			a.mem(0xD9, 6, dEnv, envPrefix(a, l.o32)...) // FNSTENV
			a.fnstcw(dOut)
			a.hlt()
			m := fpuMachine(t, l.real)
			m.load(tmCode, a.b)
			m.w16(tmData+dCW, 0x0A60)
			m.loadData(dA, le64(0x4000000000000000)) // 2.0
			m.fillData(dEnv, 64)
			m.runHalt()
			require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			img := m.bytes(tmData+dEnv, 64)
			e := parseEnv(img, l.real, l.o32)
			assert.Equal(t, uint16(0x0A60), e.CW, "CW as it was before FNSTENV")
			assert.Equal(t, uint16(0x3000), e.SW, "SW: TOP 6")
			assert.Equal(t, uint16(0x0FFF), e.TW, "TW: R6, R7 valid, the rest empty")
			assert.Equal(t, uint32(tmCode+at)&ifThen(l.real || l.o32, 0xFFFFFFFF, 0xFFFF), e.FIP, "FIP")
			assert.Equal(t, uint32(tmData+dA)&ifThen(l.real || l.o32, 0xFFFFFFFF, 0xFFFF), e.FDP, "FDP")
			if !(!l.real && !l.o32) {
				assert.Equal(t, uint16(0x500|uint16(a.modrm(0))), e.FOP, "FOP: DD and ModRM")
			}
			if !l.real {
				assert.Equal(t, uint16(tmSelCode0), e.FCS, "FCS")
				assert.Equal(t, uint16(tmSelData0), e.FDS, "FDS")
			}
			if l.o32 {
				d4 := binary.LittleEndian.Uint32(img[16:])
				if l.real {
					assert.Zero(t, d4&0xF0000800, "real32 dword 4: bits 31..28 and 11 are 0")
					assert.Zero(t, binary.LittleEndian.Uint32(img[24:])&0xF0000FFF, "real32 dword 6: bits 31..28, 11..0 are 0")
				} else {
					assert.Zero(t, d4&0xF8000000, "prot32 dword 4: bits 31..27 are 0")
				}
			} else if l.real {
				assert.Zero(t, binary.LittleEndian.Uint16(img[8:])&0x0800, "real16 word 4: bit 11 is 0")
				assert.Zero(t, binary.LittleEndian.Uint16(img[12:])&0x0FFF, "real16 word 6: bits 11..0 are 0")
			}
			assert.Equal(t, []byte{0xCC, 0xCC}, img[l.size:l.size+2], "nothing stored past the %d-byte image", l.size)
			assert.Equal(t, uint16(0x0A7F), m.r16(tmData+dOut), "all exceptions masked afterwards")
		})
	}
}

func ifThen(c bool, a, b uint32) uint32 {
	if c {
		return a
	}
	return b
}

// TestFPUFldenvLayouts: FLDENV loads CW, SW (TOP, condition codes,
// flags), the pointers and the opcode from each layout; of the tag word
// only "empty" is taken, the other tags are recomputed from the registers
// (SDM vol. 2, FLDENV; vol. 1, 8.1.7: "the FPU uses those tag values only
// to determine if the data registers are empty (11B) or non-empty"). An
// FNSTENV right after (no non-control instruction in between) must give
// the same values back.
func TestFPUFldenvLayouts(t *testing.T) {
	for _, l := range envLayouts {
		t.Run(l.name, func(t *testing.T) {
			in := envImage{
				CW: 0x0A7E, // RC up, PC 53, IE unmasked (no IE pending)
				SW: swC3 | swC1 | swC0 | 5<<11 | swPE | swUE,
				// R5 says "valid" (holds π), R6 says "valid" but holds 0,
				// R7 says empty although it holds 1.0.
				TW:  0xC3FF,
				FIP: 0x00012345, FCS: 0x001B, FOP: 0x04D5,
				FDP: 0x00023456, FDS: 0x0023,
			}
			if l.o32 {
				in.FIP, in.FDP = 0x01234567, 0x0789ABCD
				if l.real {
					in.FIP, in.FDP = 0x0ABCD123, 0x0765432A // 28-bit fields
				}
			}
			if l.real {
				in.FCS, in.FDS = 0, 0 // not in the real-mode layouts
			} else if !l.o32 {
				in.FOP = 0 // not in the 16-bit protected layout
				in.FIP, in.FDP = 0x2345, 0x3456
			}
			a := &fasm{real: l.real}
			a.fninit()
			a.op(0xD9, 0xE8, 0xD9, 0xEE, 0xD9, 0xEB) // FLD1, FLDZ, FLDPI: R7=1, R6=0, R5=π
			a.mem(0xD9, 4, dEnv, envPrefix(a, l.o32)...)
			a.mem(0xD9, 6, dEnv2, envPrefix(a, l.o32)...)
			a.fnstsw(dOut)
			a.fnstcw(dOut + 2)
			a.hlt()
			m := fpuMachine(t, l.real)
			m.load(tmCode, a.b)
			m.loadData(dEnv, buildEnv(in, l.real, l.o32))
			m.runHalt()
			require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			out := parseEnv(m.bytes(tmData+dEnv2, 28), l.real, l.o32)
			want := in
			want.TW = 0xD3FF // R7 empty, R6 zero, R5 valid
			if !l.real && !l.o32 {
				out.FOP = 0
			}
			assert.Equal(t, fmt.Sprintf("%+v", want), fmt.Sprintf("%+v", out))
			assert.Equal(t, in.SW, m.r16(tmData+dOut), "FNSTSW after FLDENV")
			assert.Equal(t, uint16(0x0A7F), m.r16(tmData+dOut+2), "FNSTENV masked the exceptions")
		})
	}
}

// TestFPUFsaveFrstor: FNSAVE stores the environment followed by ST(0)..
// ST(7) as 80-bit values (SDM vol. 1, 8.1.10: "the eight 80-bit registers
// (R0-R7) follow the above structure in sequence" — in stack order,
// vol. 2 FSAVE table "the contents of the ST(0)..."), then initializes the
// FPU like FNINIT; FRSTOR loads it all back (SDM vol. 2, FSAVE/FNSAVE,
// FRSTOR).
func TestFPUFsaveFrstor(t *testing.T) {
	for _, l := range envLayouts {
		t.Run(l.name, func(t *testing.T) {
			a := &fasm{real: l.real}
			p := func() []byte { return envPrefix(a, l.o32) }
			a.fninit().fldcwAt(dCW)
			a.op(0xD9, 0xE8, 0xD9, 0xEE, 0xD9, 0xEB) // FLD1, FLDZ, FLDPI
			a.op(0xD9, 0xF7)                         // FINCSTP: TOP 6, ST(7)=π
			a.op(0xDD, 0xC1)                         // FFREE ST(1): R7 empty
			at := a.here()
			a.mem(0xD8, 1, dA)            // FMUL m32fp [dA] (0 × 2): pointers
			a.mem(0xDD, 6, dEnv, p()...)  // FNSAVE
			a.mem(0xD9, 6, dOut2, p()...) // FNSTENV: the initialized state
			a.mem(0xDD, 4, dEnv, p()...)  // FRSTOR
			a.mem(0xDD, 6, dEnv2, p()...) // FNSAVE again
			a.hlt()
			m := fpuMachine(t, l.real)
			m.load(tmCode, a.b)
			m.w16(tmData+dCW, 0x0E7F) // RC chop, PC 53
			m.loadData(dA, le32(0x40000000))
			m.fillData(dEnv, 0x100)
			m.fillData(dEnv2, 0x100)
			m.runHalt()
			require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			img := m.bytes(tmData+dEnv, l.size+80+2)
			e := parseEnv(img, l.real, l.o32)
			assert.Equal(t, uint16(0x0E7F), e.CW)
			assert.Equal(t, uint16(6<<11), e.SW, "SW: TOP 6")
			// R6 = 0×2 = +0 (zero), R5 = π (valid), R7 empty, R0-R4 empty.
			assert.Equal(t, uint16(0xD3FF), e.TW, "TW")
			assert.Equal(t, uint32(tmCode+at)&ifThen(l.real || l.o32, 0xFFFFFFFF, 0xFFFF), e.FIP)
			assert.Equal(t, uint32(tmData+dA)&ifThen(l.real || l.o32, 0xFFFFFFFF, 0xFFFF), e.FDP)
			regs := img[l.size:]
			assert.Equal(t, b80(fPosZ), regs[0:10], "ST(0) = R6")
			assert.Equal(t, b80(fd(1)), regs[10:20], "ST(1) = R7 (empty, content kept)")
			assert.Equal(t, b80(x80(0x4000, 0xC90FDAA22168C234)), regs[70:80], "ST(7) = R5 = π (chop)")
			assert.Equal(t, []byte{0xCC, 0xCC}, regs[80:82], "nothing past the image")

			after := parseEnv(m.bytes(tmData+dOut2, 28), l.real, l.o32)
			assert.Equal(t, uint16(0x037F), after.CW, "FNSAVE initializes: CW")
			assert.Equal(t, uint16(0), after.SW, "SW")
			assert.Equal(t, uint16(0xFFFF), after.TW, "TW")
			assert.Zero(t, after.FIP, "FIP")
			assert.Zero(t, after.FDP, "FDP")

			assert.Equal(t, img[:l.size+80], m.bytes(tmData+dEnv2, l.size+80), "FRSTOR then FNSAVE gives the same image")
		})
	}
}

// TestFPUFrstorStackOrder: the registers of an FRSTOR image are ST(0)..
// ST(7) for the TOP in the image's status word (SDM vol. 2, FRSTOR).
func TestFPUFrstorStackOrder(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		var img []byte
		img = append(img, buildEnv(envImage{CW: 0x037F, SW: 3 << 11, TW: 0x0000}, real, true)...)
		for i := 0; i < 8; i++ {
			img = append(img, b80(fd(float64(10+i)))...)
		}
		_, s := fpuRun(t, real, func(m *tmMachine) { m.loadData(dEnv, img) }, func(a *fasm) {
			a.fninit()
			a.mem(0xDD, 4, dEnv, a.o32()...)
			a.op(0xDE, 0xC1) // FADDP ST1, ST0: ST(0) = 10 + 11
		})
		assert.Equal(t, 4, s.top())
		assertST(t, s, 0, fd(21))
		for i := 1; i < 7; i++ {
			assertST(t, s, i, fd(float64(11+i)))
		}
		assert.Equal(t, 3, s.tag(7), "the popped register")
	})
}

// TestFPULastInstructionPointers: FIP/FCS point at the last non-control
// x87 instruction, including its prefixes; FDP/FDS at its memory operand
// with the segment actually used; FOP holds the low three bits of the
// escape and the ModRM byte; the control instructions (FINIT, FCLEX,
// FLDCW, FSTCW, FSTSW, FSTENV, FLDENV, FSAVE, FRSTOR, WAIT) leave them
// alone (SDM vol. 1, 8.1.8 "x87 FPU Instruction and Data (Operand)
// Pointers": "the x87 FPU instruction pointer points to any prefixes that
// preceded the instruction"; 8.1.9 "Last Instruction Opcode", figure 8-8).
func TestFPULastInstructionPointers(t *testing.T) {
	bothModes(t, func(t *testing.T, real bool) {
		t.Run("control instructions keep the pointers", func(t *testing.T) {
			var at uint32
			_, s := fpuRun(t, real, func(m *tmMachine) {
				m.loadData(dA, le64(0x3FF0000000000000))
				m.w16(tmData+dCW, 0x037F)
			}, func(a *fasm) {
				a.fninit()
				at = a.here()
				a.fld64(dA)
				a.fnstcw(dOut).fldcwAt(dCW).fnstsw(dOut).op(0xDF, 0xE0) // FNSTCW, FLDCW, FNSTSW m, FNSTSW AX
				a.op(0xDB, 0xE2, 0x9B)                                  // FNCLEX, WAIT
				a.fnstenv(dEnv)
			})
			assert.Equal(t, tmCode+at, s.FIP)
			assert.Equal(t, uint32(tmData+dA), s.FDP)
			assert.Equal(t, uint16(0x500)|uint16((&fasm{real: real}).modrm(0)), s.FOP)
		})
		t.Run("register form sets FIP and FOP", func(t *testing.T) {
			var at uint32
			_, s := fpuRun(t, real, setupVals(fd(1), fd(2)), func(a *fasm) {
				a.fninit()
				pushAll(a, 2)
				at = a.here()
				a.op(0xDC, 0xF9) // FDIV ST1, ST0
			})
			assert.Equal(t, tmCode+at, s.FIP)
			assert.Equal(t, uint16(0x4F9), s.FOP)
			if !real {
				assert.Equal(t, uint16(tmSelCode0), s.FCS)
			}
		})
		t.Run("prefixes and segment override", func(t *testing.T) {
			var at uint32
			_, s := fpuRun(t, real, func(m *tmMachine) {
				m.loadData(dA, le32(0x3F800000))
				if !real {
					m.setSeg(FS, tmSelData3) // a flat data segment with its own selector
				} else {
					m.c.SetRealSegment(FS, tmData>>4)
				}
			}, func(a *fasm) {
				a.fninit()
				at = a.here()
				a.mem(0xD9, 0, dA, 0x64) // FLD m32fp FS:[dA]
			})
			assert.Equal(t, tmCode+at, s.FIP, "FIP points at the FS prefix")
			assert.Equal(t, uint16(0x100)|uint16((&fasm{real: real}).modrm(0)), s.FOP, "FOP leaves the prefix out")
			assert.Equal(t, uint32(tmData+dA), s.FDP)
			if !real {
				assert.Equal(t, uint16(tmSelData3), s.FDS, "FDS is the selector of the segment used")
				assert.Equal(t, uint16(tmSelCode0), s.FCS)
			}
		})
		t.Run("CS override in the data pointer", func(t *testing.T) {
			var at uint32
			_, s := fpuRun(t, real, func(m *tmMachine) {
				// CS:[x] addresses tmCode+x in real mode, x in protected mode.
				if real {
					m.load(tmCode+0x7000, le32(0x3F800000))
				} else {
					m.load(tmData+0x7000, le32(0x3F800000))
				}
			}, func(a *fasm) {
				a.fninit()
				at = a.here()
				if real {
					a.op(0x2E, 0xD9, 0x06, 0x00, 0x70) // FLD dword CS:[7000h]
				} else {
					a.op(0x2E, 0xD9, 0x05).op(le32(tmData + 0x7000)...)
				}
			})
			assert.Equal(t, tmCode+at, s.FIP)
			assertST(t, s, 0, fd(1))
			if real {
				assert.Equal(t, uint32(tmCode+0x7000), s.FDP, "linear address CS×16 + offset")
			} else {
				assert.Equal(t, uint32(tmData+0x7000), s.FDP)
				assert.Equal(t, uint16(tmSelCode0), s.FDS)
			}
		})
	})
}
