package conformance

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// shiftTest is a group-2 test whose count comes from CL (D2/D3) or from
// the immediate before the trailing HLT (C0/C1).
func shiftTest(bytes []byte, cx uint16) *Test {
	t := &Test{Bytes: bytes, Exception: -1}
	t.Init.Regs[RegCX] = cx
	return t
}

const allStatus = fCF | fPF | fAF | fZF | fSF | fOF

// Each name quotes the SDM vol. 2 "Flags Affected" text it checks.
func TestMaskForFixedFamilies(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  uint16
	}{
		{"AND/OR/XOR/TEST: OF and CF are cleared; SF, ZF, PF set by the result; AF is undefined",
			[]string{"08", "09", "0A", "0B", "0C", "0D", "20", "21", "22", "23", "24", "25", "30", "31", "32", "33", "34", "35",
				"84", "85", "A8", "A9", "80.1", "80.4", "80.6", "81.1", "81.4", "81.6", "82.1", "82.4", "82.6",
				"83.1", "83.4", "83.6", "F6.0", "F6.1", "F7.0", "F7.1"}, fAF},
		{"MUL/IMUL: OF and CF set by the upper half; SF, ZF, AF and PF are undefined",
			[]string{"F6.4", "F7.4", "F6.5", "F7.5", "69", "6B"}, fSF | fZF | fAF | fPF},
		{"DIV/IDIV: CF, OF, SF, ZF, AF and PF are undefined",
			[]string{"F6.6", "F7.6", "F6.7", "F7.7"}, allStatus},
		{"AAA/AAS: AF and CF set on adjustment; OF, SF, ZF and PF are undefined",
			[]string{"37", "3F"}, fOF | fSF | fZF | fPF},
		{"DAA/DAS: CF and AF set on adjustment; SF, ZF, PF set by the result; OF is undefined",
			[]string{"27", "2F"}, fOF},
		{"AAM/AAD: SF, ZF, PF set by AL; OF, AF and CF are undefined",
			[]string{"D4", "D5"}, fOF | fAF | fCF},
		{"ADD/ADC/SUB/SBB/CMP/INC/DEC/NEG: all status flags defined",
			[]string{"00", "01", "02", "03", "04", "05", "10", "11", "18", "19", "28", "29", "38", "39", "3C", "3D",
				"40", "48", "80.0", "80.2", "80.3", "80.5", "80.7", "81.0", "83.7", "F6.3", "F7.3", "FE.0", "FE.1", "FF.0", "FF.1"}, 0},
		{"no flags affected (MOV, NOT, PUSH, JMP)", []string{"88", "8B", "F6.2", "F7.2", "50", "E9", "FF.4", "C6"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range tc.files {
				m := MaskFor(f, &Test{Bytes: []byte{0x90, 0xF4}, Exception: -1})
				assert.Equal(t, tc.want, m.Undefined, "file %s", f)
				if tc.want != 0 {
					assert.Contains(t, m.Why, "SDM vol. 2", "file %s", f)
				}
			}
		})
	}
}

func TestMaskForShifts(t *testing.T) {
	const (
		shlFlags = fAF             // count 1
		manyBits = fAF | fOF       // 1 < count < width
		overflow = fAF | fOF | fCF // SHL/SHR count >= width
	)
	tests := []struct {
		name string
		file string
		t    *Test
		want uint16
	}{
		// "If the count is 0, the flags are not affected."
		{"SHL: if the count is 0, the flags are not affected (CL=0)", "D2.4", shiftTest([]byte{0xD2, 0xE0, 0xF4}, 0x0000), 0},
		{"SHL: count masked to 5 bits, CL=20h is 0, flags not affected", "D3.4", shiftTest([]byte{0xD3, 0xE0, 0xF4}, 0x0020), 0},
		{"SHL: imm 0 affects no flags", "C0.4", shiftTest([]byte{0xC0, 0xE0, 0x00, 0xF4}, 5), 0},
		{"SHL: imm E0h masks to 0", "C1.4", shiftTest([]byte{0xC1, 0xE0, 0xE0, 0xF4}, 5), 0},
		// "For a non-zero count, the AF flag is undefined." and "The OF flag is affected only for 1-bit shifts".
		{"SAL/SHL D0: count 1, AF undefined, OF defined", "D0.4", shiftTest([]byte{0xD0, 0xE0, 0xF4}, 0x00FF), shlFlags},
		{"SHR D1: count 1, AF undefined, OF defined", "D1.5", shiftTest([]byte{0xD1, 0xE8, 0xF4}, 0x00FF), shlFlags},
		{"SAR D1: count 1", "D1.7", shiftTest([]byte{0xD1, 0xF8, 0xF4}, 0), shlFlags},
		{"SHL CL=1: OF defined", "D2.4", shiftTest([]byte{0xD2, 0xE0, 0xF4}, 0x0001), shlFlags},
		{"SHL CL=21h masks to 1: OF defined", "D3.4", shiftTest([]byte{0xD3, 0xE0, 0xF4}, 0x0021), shlFlags},
		{"SHL: only CL counts, CH ignored (CX=0102h is 2)", "D2.4", shiftTest([]byte{0xD2, 0xE0, 0xF4}, 0x0102), manyBits},
		{"SHL 8-bit CL=7: OF undefined for counts other than 1", "D2.4", shiftTest([]byte{0xD2, 0xE0, 0xF4}, 7), manyBits},
		// "CF ... is undefined for SHL and SHR instructions where the count is greater than or equal to the size (in bits) of the destination operand."
		{"SHL 8-bit CL=8: CF undefined when count >= operand size", "D2.4", shiftTest([]byte{0xD2, 0xE0, 0xF4}, 8), overflow},
		{"SHR 8-bit CL=1Fh: CF undefined when count >= operand size", "D2.5", shiftTest([]byte{0xD2, 0xE8, 0xF4}, 0x1F), overflow},
		{"SAL alias /6 8-bit CL=9: CF undefined when count >= operand size", "D2.6", shiftTest([]byte{0xD2, 0xF0, 0xF4}, 9), overflow},
		{"SAR 8-bit CL=8: CF stays defined for SAR", "D2.7", shiftTest([]byte{0xD2, 0xF8, 0xF4}, 8), manyBits},
		{"SHL 16-bit CL=15: count below operand size, CF defined", "D3.4", shiftTest([]byte{0xD3, 0xE0, 0xF4}, 15), manyBits},
		{"SHL 16-bit CL=16: CF undefined when count >= operand size", "D3.4", shiftTest([]byte{0xD3, 0xE0, 0xF4}, 16), overflow},
		{"SHR 16-bit CL=1Fh: CF undefined when count >= operand size", "D3.5", shiftTest([]byte{0xD3, 0xE8, 0xF4}, 0x1F), overflow},
		{"SAR 16-bit CL=1Fh: CF stays defined for SAR", "D3.7", shiftTest([]byte{0xD3, 0xF8, 0xF4}, 0x1F), manyBits},
		{"SHL imm8 8-bit count 8: CF undefined", "C0.4", shiftTest([]byte{0xC0, 0xE0, 0x08, 0xF4}, 0), overflow},
		{"SHL imm8 8-bit count 3 after a disp16", "C0.4", shiftTest([]byte{0xC0, 0x26, 0x34, 0x12, 0x03, 0xF4}, 0), manyBits},
		{"SHR imm8 16-bit count 10h: CF undefined", "C1.5", shiftTest([]byte{0xC1, 0xE8, 0x10, 0xF4}, 0), overflow},
		{"SHR imm8 16-bit count 0Fh", "C1.5", shiftTest([]byte{0xC1, 0xE8, 0x0F, 0xF4}, 0), manyBits},
		{"SHL imm8 with prefixes, count 1", "C1.4", shiftTest([]byte{0x26, 0xF0, 0xC1, 0x27, 0x01, 0xF4}, 0), shlFlags},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := MaskFor(tc.file, tc.t)
			assert.Equal(t, fmt.Sprintf("%#04x", tc.want), fmt.Sprintf("%#04x", m.Undefined))
			if tc.want != 0 {
				assert.Contains(t, m.Why, "SAL/SAR/SHL/SHR")
			}
		})
	}
}

func TestMaskForRotates(t *testing.T) {
	tests := []struct {
		name string
		file string
		t    *Test
		want uint16
	}{
		// "If the masked count is 0, the flags are not affected."
		{"ROL: masked count 0, flags not affected", "D2.0", shiftTest([]byte{0xD2, 0xC0, 0xF4}, 0x0040), 0},
		{"ROR imm 0: flags not affected", "C1.1", shiftTest([]byte{0xC1, 0xC8, 0x00, 0xF4}, 0), 0},
		// "If the masked count is 1, then the OF flag is affected"
		{"ROL D0: masked count 1, OF defined", "D0.0", shiftTest([]byte{0xD0, 0xC0, 0xF4}, 0), 0},
		{"RCL D1: masked count 1, OF defined", "D1.2", shiftTest([]byte{0xD1, 0xD0, 0xF4}, 0), 0},
		{"RCR CL=1", "D2.3", shiftTest([]byte{0xD2, 0xD8, 0xF4}, 1), 0},
		{"ROR CL=21h masks to 1", "D3.1", shiftTest([]byte{0xD3, 0xC8, 0xF4}, 0x21), 0},
		// "otherwise (masked count is greater than 1) the OF flag is undefined"; "The SF, ZF, AF, and PF flags are always unaffected."
		{"ROL CL=2: OF undefined for masked count > 1", "D2.0", shiftTest([]byte{0xD2, 0xC0, 0xF4}, 2), fOF},
		{"ROR 8-bit CL=8: OF undefined (CF still defined)", "D2.1", shiftTest([]byte{0xD2, 0xC8, 0xF4}, 8), fOF},
		{"RCL 8-bit CL=9: OF undefined", "D2.2", shiftTest([]byte{0xD2, 0xD0, 0xF4}, 9), fOF},
		{"RCR 16-bit CL=1Fh: OF undefined", "D3.3", shiftTest([]byte{0xD3, 0xD8, 0xF4}, 0x1F), fOF},
		{"ROL imm 10h: OF undefined", "C1.0", shiftTest([]byte{0xC1, 0xC0, 0x10, 0xF4}, 0), fOF},
		{"RCL imm 2 8-bit: OF undefined", "C0.2", shiftTest([]byte{0xC0, 0xD0, 0x02, 0xF4}, 0), fOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := MaskFor(tc.file, tc.t)
			assert.Equal(t, tc.want, m.Undefined)
			if tc.want != 0 {
				assert.Contains(t, m.Why, "ROL/ROR/RCL/RCR")
			}
		})
	}
}

// excl builds a test for Exclusion: bytes include the trailing HLT.
type excl struct {
	bytes    []byte
	exc      int
	initSP   uint16
	initSI   uint16
	initDI   uint16
	finalSet map[int]uint16
	hash     string
}

func (e excl) test() *Test {
	t := &Test{Bytes: e.bytes, Exception: e.exc}
	t.Init.Set = 1<<NumRegs - 1
	t.Init.Regs[RegSP] = e.initSP
	t.Init.Regs[RegSI] = e.initSI
	t.Init.Regs[RegDI] = e.initDI
	for k, v := range e.finalSet {
		t.Final.Set |= 1 << k
		t.Final.Regs[k] = v
	}
	if e.hash != "" {
		h, err := hex.DecodeString(e.hash)
		if err != nil || len(h) != len(t.Hash) {
			panic("bad hash " + e.hash)
		}
		copy(t.Hash[:], h)
	}
	return t
}

// noExc is the MOO value for "no exception".
const noExc = -1

func TestExclusionRules(t *testing.T) {
	// 11 bytes of instruction (prefixes + 81 /0 disp16 imm16) then HLT.
	long11 := []byte{0x26, 0x26, 0x26, 0x26, 0x26, 0x81, 0x86, 0x34, 0x12, 0x78, 0x56, 0xF4}
	long10 := long11[1:]
	tests := []struct {
		name string
		file string
		e    excl
		want string // substring of the reason; "" means not excluded
	}{
		// SDM vol. 2, 2.3.11: a P6 allows 15-byte instructions.
		{"11-byte instruction that faulted", "81.0", excl{bytes: long11, exc: 13}, "longer than 10 bytes"},
		{"12-byte instruction that faulted", "81.0", excl{bytes: append([]byte{0x2E}, long11...), exc: 13}, "longer than 10 bytes"},
		{"11-byte instruction that did not fault", "81.0", excl{bytes: long11, exc: noExc}, ""},
		{"10-byte instruction that faulted", "81.0", excl{bytes: long10, exc: 13}, ""},
		// SDM vol. 2, MOV: 8C/8E reg 4 and 5 are FS and GS.
		{"8E /4 (mov fs,ax)", "8E", excl{bytes: []byte{0x8E, 0xE0, 0xF4}, exc: 6}, "FS and GS"},
		{"8C /5 (mov ax,gs)", "8C", excl{bytes: []byte{0x8C, 0xE8, 0xF4}, exc: 6}, "FS and GS"},
		{"8E /5 after a prefix", "8E", excl{bytes: []byte{0x26, 0x8E, 0x2F, 0xF4}, exc: 6}, "FS and GS"},
		{"8E /0 (mov es,ax)", "8E", excl{bytes: []byte{0x8E, 0xC0, 0xF4}, exc: noExc}, ""},
		{"8C /3", "8C", excl{bytes: []byte{0x8C, 0xD8, 0xF4}, exc: noExc}, ""},
		{"8E /6 is #UD on both", "8E", excl{bytes: []byte{0x8E, 0xF0, 0xF4}, exc: 6}, ""},
		{"8E /7 is #UD on both", "8E", excl{bytes: []byte{0x8E, 0xF8, 0xF4}, exc: 6}, ""},
		{"89 /4 is not a segment move", "89", excl{bytes: []byte{0x89, 0xE0, 0xF4}, exc: noExc}, ""},
		// SDM vol. 3, 6.5: a fault leaves the state as before the instruction.
		{"MOVSW #GP with SI advanced", "A5", excl{bytes: []byte{0xA5, 0xF4}, exc: 13, initSI: 0xFFFF, finalSet: map[int]uint16{RegSI: 0x0001}}, "advances (E)SI/(E)DI"},
		{"REP STOSB #GP with DI advanced", "AA", excl{bytes: []byte{0xF3, 0xAA, 0xF4}, exc: 13, initDI: 0xFFFF, finalSet: map[int]uint16{RegDI: 0x0000}}, "advances (E)SI/(E)DI"},
		{"INSW #GP with DI advanced", "6D", excl{bytes: []byte{0x6D, 0xF4}, exc: 13, initDI: 0xFFFF, finalSet: map[int]uint16{RegDI: 0x0001}}, "advances (E)SI/(E)DI"},
		{"MOVSW #GP with SI and DI unchanged", "A5", excl{bytes: []byte{0xA5, 0xF4}, exc: 13, initSI: 0xFFFF, finalSet: map[int]uint16{RegSP: 0x1234}}, ""},
		{"MOVSW without a fault", "A5", excl{bytes: []byte{0xA5, 0xF4}, exc: noExc, finalSet: map[int]uint16{RegSI: 2, RegDI: 2}}, ""},
		{"MOVSW with #SS-like vector 12 and SI changed", "A5", excl{bytes: []byte{0xA5, 0xF4}, exc: 12, finalSet: map[int]uint16{RegSI: 2}}, ""},
		{"LODSB (AC) is a string op", "AC", excl{bytes: []byte{0xAC, 0xF4}, exc: 13, finalSet: map[int]uint16{RegSI: 1}}, "advances (E)SI/(E)DI"},
		{"XLAT (D7) is not a string op", "D7", excl{bytes: []byte{0xD7, 0xF4}, exc: 13, finalSet: map[int]uint16{RegSI: 1}}, ""},
		{"POP m16 #GP with SP committed (+2-6)", "8F", excl{bytes: []byte{0x8F, 0x06, 0xFF, 0xFF, 0xF4}, exc: 13, initSP: 0x1000, finalSet: map[int]uint16{RegSP: 0x0FFC}}, "POP m16"},
		{"POP m16 #GP with SP as a P6 leaves it (-6)", "8F", excl{bytes: []byte{0x8F, 0x06, 0xFF, 0xFF, 0xF4}, exc: 13, initSP: 0x1000, finalSet: map[int]uint16{RegSP: 0x0FFA}}, ""},
		{"POP m16 #GP, SP wraps below 0", "8F", excl{bytes: []byte{0x8F, 0x06, 0xFF, 0xFF, 0xF4}, exc: 13, initSP: 0x0002, finalSet: map[int]uint16{RegSP: 0xFFFC}}, ""},
		{"POP m16 without a fault", "8F", excl{bytes: []byte{0x8F, 0x06, 0x00, 0x10, 0xF4}, exc: noExc, initSP: 0x1000, finalSet: map[int]uint16{RegSP: 0x1002}}, ""},
		{"AAM 0 raising #DE", "D4", excl{bytes: []byte{0xD4, 0x00, 0xF4}, exc: 0}, "AAM 0"},
		{"AAM 10 without a fault", "D4", excl{bytes: []byte{0xD4, 0x0A, 0xF4}, exc: noExc}, ""},
		{"AAD 0 is not excluded", "D5", excl{bytes: []byte{0xD5, 0x00, 0xF4}, exc: noExc}, ""},
		{"known hardware quirk by hash", "F6.7", excl{bytes: []byte{0xF6, 0x3C, 0xF4}, exc: noExc, hash: "0038b4bacfb75535b5da175f619b0812b16d0601"}, "IDIV quotient out of range"},
		{"same instruction, another hash", "F6.7", excl{bytes: []byte{0xF6, 0x3C, 0xF4}, exc: noExc, hash: "0038b4bacfb75535b5da175f619b0812b16d0602"}, ""},
		{"prefixes only", "26", excl{bytes: []byte{0x26, 0x2E}, exc: 6}, ""},
		{"empty", "90", excl{bytes: nil, exc: noExc}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Exclusion(tc.file, tc.e.test())
			if tc.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tc.want)
			assert.Contains(t, got, "SDM", "every exclusion cites the SDM")
		})
	}
}

// A #UD raised by an invalid register form (BOUND or LDS with mod=3) is
// not the 286's length fault even when the test's BYTS field is long: the
// generator pads BYTS past the point where decoding stops. The real data
// has three such tests (62 #0c16b915…, 62 #d9142968…, C5 #d6f72e83…),
// which a P6 also answers with #UD (SDM vol. 2, BOUND and LDS: "#UD If
// the second operand is not a memory location").
func TestExclusionLengthRuleSkipsUDFromRegisterForms(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		bytes []byte
	}{
		// 3e 26 3e 36 2e 62 c6 28 91 ef f5 f4: bound ax,si is 7 bytes.
		{"BOUND with a register operand", "62", []byte{0x3E, 0x26, 0x3E, 0x36, 0x2E, 0x62, 0xC6, 0x28, 0x91, 0xEF, 0xF5, 0xF4}},
		// 26 2e 26 2e 2e c5 fd 70 90 bb 78 b6 f4: lds di,bp is 7 bytes.
		{"LDS with a register operand", "C5", []byte{0x26, 0x2E, 0x26, 0x2E, 0x2E, 0xC5, 0xFD, 0x70, 0x90, 0xBB, 0x78, 0xB6, 0xF4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Exclusion(tc.file, excl{bytes: tc.bytes, exc: 6}.test())
			assert.Empty(t, got, "a 7-byte instruction's #UD is not a length fault")
		})
	}
}

func TestNeutralLock(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []byte // nil: no rewrite
	}{
		// Not lockable: LOCK becomes the default segment (DS, or SS for BP-based 16-bit ModRM).
		{"no ModRM (inc ax)", []byte{0xF0, 0x40, 0xF4}, []byte{0x3E, 0x40, 0xF4}},
		{"[bx+si] -> DS", []byte{0xF0, 0x8B, 0x00, 0xF4}, []byte{0x3E, 0x8B, 0x00, 0xF4}},
		{"[bx+di] -> DS", []byte{0xF0, 0x8B, 0x01, 0xF4}, []byte{0x3E, 0x8B, 0x01, 0xF4}},
		{"[bp+si] -> SS", []byte{0xF0, 0x8B, 0x02, 0xF4}, []byte{0x36, 0x8B, 0x02, 0xF4}},
		{"[bp+di] -> SS", []byte{0xF0, 0x8B, 0x03, 0xF4}, []byte{0x36, 0x8B, 0x03, 0xF4}},
		{"[si] -> DS", []byte{0xF0, 0x8B, 0x04, 0xF4}, []byte{0x3E, 0x8B, 0x04, 0xF4}},
		{"[di] -> DS", []byte{0xF0, 0x8B, 0x05, 0xF4}, []byte{0x3E, 0x8B, 0x05, 0xF4}},
		{"mod 0 rm 6 is [disp16] -> DS", []byte{0xF0, 0x8B, 0x06, 0x34, 0x12, 0xF4}, []byte{0x3E, 0x8B, 0x06, 0x34, 0x12, 0xF4}},
		{"[bx] -> DS", []byte{0xF0, 0x8B, 0x07, 0xF4}, []byte{0x3E, 0x8B, 0x07, 0xF4}},
		{"[bp+disp8] -> SS", []byte{0xF0, 0x8B, 0x46, 0x10, 0xF4}, []byte{0x36, 0x8B, 0x46, 0x10, 0xF4}},
		{"[bp+disp16] -> SS", []byte{0xF0, 0x8B, 0x86, 0x00, 0x10, 0xF4}, []byte{0x36, 0x8B, 0x86, 0x00, 0x10, 0xF4}},
		{"[bp+si+disp8] -> SS", []byte{0xF0, 0x8B, 0x42, 0x10, 0xF4}, []byte{0x36, 0x8B, 0x42, 0x10, 0xF4}},
		{"[bx+disp8] -> DS", []byte{0xF0, 0x8B, 0x47, 0x10, 0xF4}, []byte{0x3E, 0x8B, 0x47, 0x10, 0xF4}},
		{"register ModRM with rm=6 -> DS", []byte{0xF0, 0x8B, 0xC6, 0xF4}, []byte{0x3E, 0x8B, 0xC6, 0xF4}},
		{"no-ModRM opcode with a BP-like next byte -> DS", []byte{0xF0, 0xB8, 0x46, 0x00, 0xF4}, []byte{0x3E, 0xB8, 0x46, 0x00, 0xF4}},
		// A segment override present: copy the last one.
		{"copies ES override", []byte{0x26, 0xF0, 0x8B, 0x46, 0x00, 0xF4}, []byte{0x26, 0x26, 0x8B, 0x46, 0x00, 0xF4}},
		{"copies override after LOCK", []byte{0xF0, 0x2E, 0x8B, 0x07, 0xF4}, []byte{0x2E, 0x2E, 0x8B, 0x07, 0xF4}},
		{"copies the last of several", []byte{0x26, 0xF0, 0x2E, 0x36, 0x8B, 0x07, 0xF4}, []byte{0x26, 0x36, 0x2E, 0x36, 0x8B, 0x07, 0xF4}},
		{"every LOCK is replaced", []byte{0xF0, 0x26, 0xF0, 0x8B, 0x07, 0xF4}, []byte{0x26, 0x26, 0x26, 0x8B, 0x07, 0xF4}},
		{"with REP", []byte{0xF3, 0xF0, 0xA4, 0xF4}, []byte{0xF3, 0x3E, 0xA4, 0xF4}},
		// Register destinations are not lockable.
		{"add ax,ax", []byte{0xF0, 0x01, 0xC0, 0xF4}, []byte{0x3E, 0x01, 0xC0, 0xF4}},
		{"inc bl (FE /0 reg)", []byte{0xF0, 0xFE, 0xC3, 0xF4}, []byte{0x3E, 0xFE, 0xC3, 0xF4}},
		// Lockable forms with a forbidden reg field.
		{"cmp [bx],1 (80 /7)", []byte{0xF0, 0x80, 0x3F, 0x01, 0xF4}, []byte{0x3E, 0x80, 0x3F, 0x01, 0xF4}},
		{"test [bp],1 (F6 /0)", []byte{0xF0, 0xF6, 0x46, 0x00, 0x01, 0xF4}, []byte{0x36, 0xF6, 0x46, 0x00, 0x01, 0xF4}},
		{"mul [bx] (F7 /4)", []byte{0xF0, 0xF7, 0x27, 0xF4}, []byte{0x3E, 0xF7, 0x27, 0xF4}},
		{"push [bx] (FF /6)", []byte{0xF0, 0xFF, 0x37, 0xF4}, []byte{0x3E, 0xFF, 0x37, 0xF4}},
		{"cmp [bx],ax (39)", []byte{0xF0, 0x39, 0x07, 0xF4}, []byte{0x3E, 0x39, 0x07, 0xF4}},
		{"mov [bx],ax (89)", []byte{0xF0, 0x89, 0x07, 0xF4}, []byte{0x3E, 0x89, 0x07, 0xF4}},
		{"add ax,[bx] (03, memory source)", []byte{0xF0, 0x03, 0x07, 0xF4}, []byte{0x3E, 0x03, 0x07, 0xF4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]byte(nil), tc.in...)
			got := neutralLock(in)
			assert.Equal(t, fmt.Sprintf("% x", tc.want), fmt.Sprintf("% x", got))
			assert.Equal(t, tc.in, in, "the input is not modified")
		})
	}
}

// SDM vol. 2, LOCK: ADD, ADC, AND, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR
// and XCHG with a memory destination may be locked; those are left alone.
func TestNeutralLockLeavesLockableFormsAndUnlocked(t *testing.T) {
	lockable := [][]byte{
		{0xF0, 0x00, 0x07, 0xF4},             // add [bx],al
		{0xF0, 0x01, 0x46, 0x00, 0xF4},       // add [bp],ax
		{0xF0, 0x08, 0x07, 0xF4},             // or
		{0xF0, 0x09, 0x07, 0xF4},             // or
		{0xF0, 0x10, 0x07, 0xF4},             // adc
		{0xF0, 0x11, 0x07, 0xF4},             // adc
		{0xF0, 0x18, 0x07, 0xF4},             // sbb
		{0xF0, 0x19, 0x07, 0xF4},             // sbb
		{0xF0, 0x20, 0x07, 0xF4},             // and
		{0xF0, 0x21, 0x07, 0xF4},             // and
		{0xF0, 0x28, 0x07, 0xF4},             // sub
		{0xF0, 0x29, 0x07, 0xF4},             // sub
		{0xF0, 0x30, 0x07, 0xF4},             // xor
		{0xF0, 0x31, 0x07, 0xF4},             // xor
		{0xF0, 0x86, 0x07, 0xF4},             // xchg
		{0xF0, 0x87, 0x07, 0xF4},             // xchg
		{0xF0, 0x80, 0x07, 0x01, 0xF4},       // add [bx],1
		{0xF0, 0x81, 0x37, 0x01, 0x00, 0xF4}, // xor [bx],1
		{0xF0, 0x82, 0x2F, 0x01, 0xF4},       // sub
		{0xF0, 0x83, 0x17, 0x01, 0xF4},       // adc
		{0xF0, 0xF6, 0x17, 0xF4},             // not byte [bx]
		{0xF0, 0xF7, 0x1F, 0xF4},             // neg word [bx]
		{0xF0, 0xFE, 0x07, 0xF4},             // inc byte [bx]
		{0xF0, 0xFF, 0x0F, 0xF4},             // dec word [bx]
		{0x26, 0xF0, 0xFF, 0x0F, 0xF4},       // with a segment override
	}
	for _, b := range lockable {
		assert.Nil(t, neutralLock(b), "% x", b)
	}
	for _, b := range [][]byte{
		{0x40, 0xF4}, {0x26, 0x8B, 0x07, 0xF4}, {0xF3, 0xA4, 0xF4}, {0xF0}, {0xF0, 0x26}, {}, nil,
	} {
		assert.Nil(t, neutralLock(b), "% x", b)
	}
}

func TestHasModRM(t *testing.T) {
	with := []byte{0x00, 0x01, 0x02, 0x03, 0x38, 0x3B, 0x62, 0x63, 0x69, 0x6B, 0x80, 0x83, 0x84, 0x88, 0x8C, 0x8D, 0x8E, 0x8F,
		0xC0, 0xC1, 0xC4, 0xC5, 0xC6, 0xC7, 0xD0, 0xD3, 0xD8, 0xDF, 0xF6, 0xF7, 0xFE, 0xFF}
	without := []byte{0x04, 0x05, 0x06, 0x07, 0x26, 0x27, 0x3C, 0x3F, 0x40, 0x5F, 0x60, 0x61, 0x68, 0x6A, 0x6C, 0x70, 0x7F,
		0x90, 0x9A, 0xA0, 0xA4, 0xB0, 0xBF, 0xC2, 0xC3, 0xC8, 0xCD, 0xD4, 0xD5, 0xD7, 0xE0, 0xE8, 0xEA, 0xF4, 0xF5, 0xF8, 0xFD}
	for _, op := range with {
		assert.True(t, hasModRM(op), "%02X", op)
	}
	for _, op := range without {
		assert.False(t, hasModRM(op), "%02X", op)
	}
}

// codeBytes maps the rewritten instruction to CS:IP, wrapping IP at 64 KiB.
func TestCodeBytes(t *testing.T) {
	tt := &Test{Bytes: []byte{0xF0, 0x8B, 0x46, 0x00, 0xF4}}
	tt.Init.Regs[RegCS] = 0x1000
	tt.Init.Regs[RegIP] = 0xFFFE
	assert.Equal(t, map[uint32]uint8{
		0x1FFFE: 0x36, 0x1FFFF: 0x8B, 0x10000: 0x46, 0x10001: 0x00, 0x10002: 0xF4,
	}, codeBytes(tt))

	tt.Bytes = []byte{0xF0, 0x01, 0x07, 0xF4} // lockable: no rewrite
	assert.Nil(t, codeBytes(tt))
}
