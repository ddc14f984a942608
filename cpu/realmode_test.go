package cpu

// Real-address mode tests. Code runs at 1000:0000 (physical tmCode), the
// stack is 0000:7000, DS = ES = 2000h; every IVT vector leads to a stub
// that records the vector and SS:SP and halts (see harness_test.go).
// Real-mode exceptions push FLAGS, CS, IP and no error code (SDM vol. 3,
// 21.1.4; vol. 2 INT n, REAL-ADDRESS-MODE).

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expectRealFault checks that exactly one exception (vector) was taken and
// that its frame points at CS:IP = 1000:ip.
func expectRealFault(t *testing.T, m *tmMachine, vector int, ip uint16) {
	t.Helper()
	require.Equal(t, vector, m.hitVector(), "vector (exceptions %v)", m.excs)
	require.EqualValues(t, 1, m.hitCount())
	f := m.frame16(3)
	assert.Equal(t, ip, f[0], "saved IP")
	assert.Equal(t, uint16(tmCode>>4), f[1], "saved CS")
}

func TestRealLockPrefix(t *testing.T) {
	// SDM vol. 2, "LOCK—Assert LOCK# Signal Prefix": LOCK is valid only
	// with ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, CMPXCHG8B, DEC, INC,
	// NEG, NOT, OR, SBB, SUB, XOR, XADD, XCHG with a memory destination;
	// otherwise #UD. #UD is a fault (vol. 3, 6.15, interrupt 6): the
	// saved IP points at the instruction, its LOCK prefix included.
	cases := []struct {
		name string
		code []byte
		ud   bool
		mem  uint16 // expected word at DS:0100 when no #UD
	}{
		{"lock add reg,reg", []byte{
			0xF0, 0x01, 0xD8, // lock add ax, bx
		}, true, 0x10},
		{"lock nop", []byte{
			0xF0, 0x90, // lock nop
		}, true, 0x10},
		{"lock mov mem", []byte{
			0xF0, 0x89, 0x06, 0x00, 0x01, // lock mov [0x100], ax
		}, true, 0x10},
		{"lock cmp mem", []byte{
			0xF0, 0x39, 0x06, 0x00, 0x01, // lock cmp [0x100], ax
		}, true, 0x10},
		{"lock bt mem", []byte{
			0xF0, 0x0F, 0xA3, 0x06, 0x00, 0x01, // lock bt [0x100], ax
		}, true, 0x10},
		{"lock add reg,mem", []byte{
			0xF0, 0x03, 0x06, 0x00, 0x01, // lock add ax, [0x100]
		}, true, 0x10},
		{"lock xchg reg,reg", []byte{
			0xF0, 0x87, 0xD8, // lock xchg ax, bx
		}, true, 0x10},
		{"lock add mem,reg", []byte{
			0xF0, 0x01, 0x06, 0x00, 0x01, // lock add [0x100], ax
			0xF4, // hlt
		}, false, 0x15},
		{"lock inc mem", []byte{
			0xF0, 0xFF, 0x06, 0x00, 0x01, // lock inc word [0x100]
			0xF4, // hlt
		}, false, 0x11},
		{"lock xchg mem", []byte{
			0xF0, 0x87, 0x06, 0x00, 0x01, // lock xchg [0x100], ax
			0xF4, // hlt
		}, false, 0x05},
		{"lock btS mem", []byte{
			0xF0, 0x0F, 0xAB, 0x1E, 0x00, 0x01, // lock bts [0x100], bx
			0xF4, // hlt
		}, false, 0x18},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tmReal(t, tc.code)
			m.c.SetReg(EAX, 5)
			m.c.SetReg(EBX, 3)
			m.w16(tmData+0x100, 0x10)
			m.runHalt()
			if tc.ud {
				expectRealFault(t, m, 6, 0)
			} else {
				assert.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			}
			assert.Equal(t, tc.mem, m.r16(tmData+0x100))
		})
	}
}

func TestRealSegmentLimitFFFF(t *testing.T) {
	// SDM vol. 2, MOV, "Real-Address Mode Exceptions": #GP if a memory
	// operand effective address is outside the CS, DS, ES, FS or GS
	// segment limit; #SS if outside the SS limit. A word at offset FFFFh
	// ends at 10000h, past the 64 KiB limit. Both are faults (vol. 3,
	// 6.15, interrupts 12 and 13).
	cases := []struct {
		name   string
		code   []byte
		vector int // -1: no exception
		ip     uint16
	}{
		{"ds word at FFFF", []byte{
			0x8B, 0x06, 0xFF, 0xFF, // mov ax, [0xFFFF]
			0xF4, // hlt
		}, 13, 0},
		{"es word store at FFFF", []byte{
			0x26, 0x89, 0x06, 0xFF, 0xFF, // mov [es:0xFFFF], ax
			0xF4, // hlt
		}, 13, 0},
		{"ds dword at FFFD", []byte{
			0x66, 0x8B, 0x06, 0xFD, 0xFF, // mov eax, [0xFFFD]
			0xF4, // hlt
		}, 13, 0},
		{"ss word via bp", []byte{
			0xBD, 0xFF, 0xFF, // mov bp, 0xFFFF
			0x8B, 0x46, 0x00, // mov ax, [bp+0]
			0xF4, // hlt
		}, 12, 3},
		{"ss override word", []byte{
			0x36, 0x8B, 0x06, 0xFF, 0xFF, // mov ax, [ss:0xFFFF]
			0xF4, // hlt
		}, 12, 0},
		{"byte at FFFF is fine", []byte{
			0x8A, 0x06, 0xFF, 0xFF, // mov al, [0xFFFF]
			0xF4, // hlt
		}, -1, 0},
		{"word at FFFE is fine", []byte{
			0x8B, 0x06, 0xFE, 0xFF, // mov ax, [0xFFFE]
			0xF4, // hlt
		}, -1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tmReal(t, tc.code)
			m.runHalt()
			if tc.vector < 0 {
				assert.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
				return
			}
			expectRealFault(t, m, tc.vector, tc.ip)
		})
	}
}

func TestRealPushSP1Shutdown(t *testing.T) {
	// SDM vol. 2, PUSH, "IA-32 Architecture Compatibility": in real-address
	// mode, if SP is 1 when PUSH executes, #SS is generated but not
	// delivered (the stack error prevents delivery); the processor then
	// generates #DF and enters shutdown (vol. 3, 6.15, interrupt 8).
	m := tmReal(t, []byte{
		0x50, // push ax
		0xF4, // hlt
	})
	m.c.SetReg(ESP, 1)
	r := m.run()
	require.Equal(t, StopShutdown, r, "exceptions %v", m.excs)
	assert.True(t, m.c.Shutdown())
	assert.Equal(t, -1, m.hitVector(), "no handler may run")
	info := m.c.ShutdownInfo
	assert.Contains(t, info, "#SS")
	assert.Contains(t, info, "#DF")
	assert.Contains(t, info, "1000:0000", "CS:EIP of the PUSH")
	require.GreaterOrEqual(t, len(m.excs), 2)
	assert.EqualValues(t, 12, m.excs[0].Vector)
	assert.Contains(t, m.excVectors(), uint8(8))
}

func TestRealIntIretFrame(t *testing.T) {
	// SDM vol. 2, INT n, REAL-ADDRESS-MODE: push FLAGS, clear IF, TF and
	// AC, push CS, push IP (of the next instruction), load CS:IP from the
	// IVT entry at 4*n. IRET, REAL-ADDRESS-MODE: pop IP, CS, FLAGS.
	m := tmReal(t, []byte{
		0xF9,       // 0: stc
		0xFB,       // 1: sti
		0xCD, 0x21, // 2: int 0x21
		0x9C, // 4: pushf
		0x58, // 5: pop ax
		0xF4, // 6: hlt
	})
	m.load(tmHandler, []byte{
		0x9C,       // pushf
		0x5B,       // pop bx           ; FLAGS inside the handler
		0x89, 0xE5, // mov bp, sp
		0x8B, 0x4E, 0x00, // mov cx, [bp+0]   ; saved IP
		0x8B, 0x56, 0x02, // mov dx, [bp+2]   ; saved CS
		0x8B, 0x76, 0x04, // mov si, [bp+4]   ; saved FLAGS
		0xF8, // clc             ; IRET must restore CF
		0xCF, // iret
	})
	m.w16(0x21*4, tmHandler)
	m.w16(0x21*4+2, 0)
	m.runHalt()
	c := m.c
	assert.EqualValues(t, 4, c.Reg(ECX)&0xFFFF, "saved IP = next instruction")
	assert.EqualValues(t, 0x1000, c.Reg(EDX)&0xFFFF, "saved CS")
	assert.EqualValues(t, 0x0203, c.Reg(ESI)&0xFFFF, "saved FLAGS: CF, IF, bit 1")
	bx := c.Reg(EBX)
	assert.Zero(t, bx&FlagIF, "IF cleared in the handler")
	assert.Zero(t, bx&FlagTF, "TF cleared in the handler")
	assert.NotZero(t, bx&FlagCF, "CF untouched on entry")
	ax := c.Reg(EAX)
	assert.NotZero(t, ax&FlagCF, "IRET restored CF")
	assert.NotZero(t, ax&FlagIF, "IRET restored IF")
	assert.EqualValues(t, tmStack0, c.Reg(ESP)&0xFFFF, "SP balanced")
	assert.EqualValues(t, 7, c.EIP)
}

func TestRealSingleStep(t *testing.T) {
	// SDM vol. 3, 17.3.1.4: with TF set the processor generates a
	// single-step trap after each instruction (saved CS:IP = next
	// instruction, DR6.BS = 1), but not after the instruction that sets
	// TF: when POPF sets TF, the trap follows the next instruction.
	t.Run("tf already set", func(t *testing.T) {
		m := tmReal(t, []byte{
			0x40, // 0: inc ax
			0x40, // 1: inc ax
			0xF4, // 2: hlt
		})
		m.c.SetFlags(0x2 | FlagTF)
		m.runHalt()
		expectRealFault(t, m, 1, 1)
		assert.EqualValues(t, 1, m.c.Reg(EAX)&0xFFFF, "exactly one instruction ran")
		assert.NotZero(t, m.frame16(3)[2]&FlagTF, "saved FLAGS keep TF")
		assert.NotZero(t, m.c.DR[6]&(1<<14), "DR6.BS")
		assert.Zero(t, m.c.Flags()&FlagTF, "handler runs with TF clear")
	})
	t.Run("popf sets tf", func(t *testing.T) {
		m := tmReal(t, []byte{
			0x9C,             // 0: pushf
			0x58,             // 1: pop ax
			0x0D, 0x00, 0x01, // 2: or ax, 0x100
			0x50, // 5: push ax
			0x9D, // 6: popf     ; sets TF: no trap here
			0x43, // 7: inc bx   ; trap after this one
			0x43, // 8: inc bx
			0xF4, // 9: hlt
		})
		m.runHalt()
		expectRealFault(t, m, 1, 8)
		assert.EqualValues(t, 1, m.c.Reg(EBX)&0xFFFF)
	})
}

func TestRealMovSSShadow(t *testing.T) {
	// SDM vol. 2, MOV and POP: loading SS inhibits interrupts and debug
	// exceptions (including the single-step trap) until the instruction
	// boundary after the next instruction (vol. 3, 6.8.3).
	cases := []struct {
		name   string
		code   []byte
		shadow bool
		// ip is the IP saved by the INTR that arrives after Step()
		// executed the first instruction.
		ip uint16
	}{
		{"mov ss", []byte{
			0x8E, 0xD0, // 0: mov ss, ax
			0xBC, 0x00, 0x70, // 2: mov sp, 0x7000
			0x90, // 5: nop
			0xF4, // 6: hlt
		}, true, 5},
		{"pop ss", []byte{
			0x17,             // 0: pop ss
			0xBC, 0x00, 0x70, // 1: mov sp, 0x7000
			0x90, // 4: nop
			0xF4, // 5: hlt
		}, true, 4},
		{"control: mov ax,ax", []byte{
			0x89, 0xC0, // 0: mov ax, ax
			0xBC, 0x00, 0x70, // 2: mov sp, 0x7000
			0x90, // 5: nop
			0xF4, // 6: hlt
		}, false, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/interrupt", func(t *testing.T) {
			m := tmReal(t, tc.code)
			m.c.SetFlags(0x2 | FlagIF)
			require.Equal(t, StopBudget, m.c.Step())
			m.pic.vector = 0x40
			m.c.SetINTR(true)
			m.runHalt()
			require.Equal(t, 0x40, m.hitVector())
			assert.Equal(t, tc.ip, m.frame16(3)[0], "INTR taken at this boundary")
		})
		if !tc.shadow {
			continue
		}
		t.Run(tc.name+"/single-step", func(t *testing.T) {
			m := tmReal(t, tc.code)
			m.c.SetFlags(0x2 | FlagTF)
			m.runHalt()
			require.Equal(t, 1, m.hitVector())
			assert.Equal(t, tc.ip, m.frame16(3)[0], "single-step trap deferred past the next instruction")
		})
	}
}

func TestRealSTIShadow(t *testing.T) {
	// SDM vol. 2, STI: if IF was 0, interrupts stay inhibited until the
	// end of the instruction after STI; a pending INTR is taken after it.
	m := tmReal(t, []byte{
		0xFB, // 0: sti
		0x90, // 1: nop     ; still in the shadow
		0x90, // 2: nop     ; INTR is taken before this one
		0xF4, // 3: hlt
	})
	m.pic.vector = 0x40
	m.c.SetINTR(true)
	m.runHalt()
	require.Equal(t, 0x40, m.hitVector())
	assert.Equal(t, uint16(2), m.frame16(3)[0])
	assert.Equal(t, 1, m.pic.acks)
}

func TestRealHLTWokenByINTR(t *testing.T) {
	// SDM vol. 2, HLT: an enabled interrupt resumes execution; the saved
	// CS:IP points to the instruction following HLT.
	m := tmReal(t, []byte{
		0xFB, // 0: sti
		0xF4, // 1: hlt
		0x40, // 2: inc ax
		0xF4, // 3: hlt
	})
	m.load(tmHandler, []byte{
		0x89, 0xE5, // mov bp, sp
		0x8B, 0x4E, 0x00, // mov cx, [bp+0]   ; saved IP
		0x43, // inc bx
		0xCF, // iret
	})
	m.w16(0x40*4, tmHandler)
	m.w16(0x40*4+2, 0)
	m.runHalt()
	require.EqualValues(t, 2, m.c.EIP, "halted after the first HLT")
	require.Zero(t, m.c.Reg(EBX))
	m.pic.vector = 0x40
	m.c.SetINTR(true)
	m.runHalt()
	assert.EqualValues(t, 1, m.c.Reg(EBX)&0xFFFF, "handler ran once")
	assert.EqualValues(t, 2, m.c.Reg(ECX)&0xFFFF, "saved IP follows HLT")
	assert.EqualValues(t, 1, m.c.Reg(EAX)&0xFFFF)
	assert.EqualValues(t, 4, m.c.EIP)
	assert.Equal(t, 1, m.pic.acks)
}

func TestRealDivideError(t *testing.T) {
	// SDM vol. 2, DIV/IDIV: #DE if the divisor is 0 or the quotient does
	// not fit the destination; AAM: #DE if imm8 is 0. Vol. 3, 6.15,
	// interrupt 0: a fault, the saved CS:IP point at the instruction.
	cases := []struct {
		name string
		code []byte
		de   bool
		ip   uint16
		ax   uint16 // AX afterwards (unchanged on #DE)
	}{
		{"div by zero", []byte{
			0xB8, 0x34, 0x12, // 0: mov ax, 0x1234
			0xB3, 0x00, // 3: mov bl, 0
			0xF6, 0xF3, // 5: div bl
			0xF4, // 7: hlt
		}, true, 5, 0x1234},
		{"div quotient overflow", []byte{
			0xB8, 0x00, 0x10, // 0: mov ax, 0x1000
			0xB3, 0x02, // 3: mov bl, 2
			0xF6, 0xF3, // 5: div bl     ; 0x800 > 0xFF
			0xF4, // 7: hlt
		}, true, 5, 0x1000},
		{"idiv 128/1 overflows", []byte{
			0xB8, 0x80, 0x00, // 0: mov ax, 128
			0xB3, 0x01, // 3: mov bl, 1
			0xF6, 0xFB, // 5: idiv bl    ; +128 > 7Fh
			0xF4, // 7: hlt
		}, true, 5, 0x0080},
		{"idiv -128/1 fits", []byte{
			0xB8, 0x80, 0xFF, // 0: mov ax, -128
			0xB3, 0x01, // 3: mov bl, 1
			0xF6, 0xFB, // 5: idiv bl    ; -128 = 80h is in range
			0xF4, // 7: hlt
		}, false, 0, 0x0080},
		{"idiv16 -2^31/-1", []byte{
			0xBA, 0x00, 0x80, // 0: mov dx, 0x8000
			0xB8, 0x00, 0x00, // 3: mov ax, 0
			0xBB, 0xFF, 0xFF, // 6: mov bx, -1
			0xF7, 0xFB, // 9: idiv bx
			0xF4, // 11: hlt
		}, true, 9, 0x0000},
		{"div32 by zero", []byte{
			0x66, 0x31, 0xDB, // 0: xor ebx, ebx
			0x66, 0xF7, 0xF3, // 3: div ebx
			0xF4, // 6: hlt
		}, true, 3, 0x0000},
		{"aam 0", []byte{
			0xB0, 0x2A, // 0: mov al, 42
			0xD4, 0x00, // 2: aam 0
			0xF4, // 4: hlt
		}, true, 2, 0x002A},
		{"aam 10", []byte{
			0xB0, 0x2A, // 0: mov al, 42
			0xD4, 0x0A, // 2: aam
			0xF4, // 4: hlt
		}, false, 0, 0x0402},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tmReal(t, tc.code)
			m.runHalt()
			if tc.de {
				expectRealFault(t, m, 0, tc.ip)
			} else {
				assert.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			}
			assert.Equal(t, tc.ax, uint16(m.c.Reg(EAX)))
		})
	}
}

func TestRealBound(t *testing.T) {
	// SDM vol. 2, BOUND: #BR if the signed index is below the lower or
	// above the upper bound (inclusive); vol. 3, 6.15, interrupt 5: a
	// fault, the saved CS:IP point at BOUND.
	for _, tc := range []struct {
		ax uint16
		br bool
	}{
		{5, false}, {0xFFFB, false}, {0, false}, // -5..5 inclusive
		{6, true}, {0xFFFA, true}, {0x8000, true},
	} {
		m := tmReal(t, []byte{
			0xB8, byte(tc.ax), byte(tc.ax >> 8), // 0: mov ax, imm
			0x62, 0x06, 0x00, 0x01, // 3: bound ax, [0x100]
			0xF4, // 7: hlt
		})
		m.w16(tmData+0x100, 0xFFFB) // lower bound -5
		m.w16(tmData+0x102, 5)      // upper bound 5
		m.runHalt()
		if tc.br {
			expectRealFault(t, m, 5, 3)
		} else {
			assert.Equal(t, -1, m.hitVector(), "AX=%#x", tc.ax)
		}
	}
}

func TestRealINTO(t *testing.T) {
	// SDM vol. 2, INTO: raises #OF (vector 4) when OF = 1; it is a trap,
	// the saved IP points after INTO (vol. 3, 6.15, interrupt 4).
	m := tmReal(t, []byte{
		0xB0, 0x7F, // 0: mov al, 0x7F
		0x04, 0x01, // 2: add al, 1     ; OF = 1
		0xCE, // 4: into
		0x40, // 5: inc ax
		0xF4, // 6: hlt
	})
	m.runHalt()
	expectRealFault(t, m, 4, 5)

	m = tmReal(t, []byte{
		0xB0, 0x10, // 0: mov al, 0x10
		0x04, 0x01, // 2: add al, 1     ; OF = 0
		0xCE, // 4: into         ; no-op
		0x40, // 5: inc ax
		0xF4, // 6: hlt
	})
	m.runHalt()
	assert.Equal(t, -1, m.hitVector())
	assert.EqualValues(t, 0x12, m.c.Reg(EAX)&0xFFFF)
}

func TestRealA20Wrap(t *testing.T) {
	// FFFF:4010 is linear 104000h. With A20 masked (the A20M# input, SDM
	// vol. 3, 21.1.1 and 8.7.13.4) bit 20 of the address is forced to 0 and
	// the store lands at 004000h, as on an 8086.
	code := []byte{
		0xB8, 0xFF, 0xFF, // mov ax, 0xFFFF
		0x8E, 0xC0, // mov es, ax
		0x26, 0xC6, 0x06, 0x10, 0x40, 0xAB, // mov byte [es:0x4010], 0xAB
		0x26, 0xA0, 0x10, 0x40, // mov al, [es:0x4010]
		0xF4, // hlt
	}
	for _, a20 := range []bool{false, true} {
		m := tmReal(t, code)
		m.mem.SetA20(a20)
		m.runHalt()
		assert.EqualValues(t, 0xAB, m.c.Reg(EAX)&0xFF)
		if a20 {
			assert.EqualValues(t, 0xAB, m.r8(0x104000), "A20 on: above 1 MiB")
			assert.Zero(t, m.r8(0x004000))
		} else {
			m.mem.SetA20(true)
			assert.EqualValues(t, 0xAB, m.r8(0x004000), "A20 off: wrapped")
			assert.Zero(t, m.r8(0x104000))
		}
	}
}

func TestRealSelfModifyingCode(t *testing.T) {
	// SDM vol. 3, 11.6: a write to a code location that is prefetched or
	// cached is detected (by physical address) and the stale copy is
	// invalidated; the next instruction executes with the new bytes.
	t.Run("next instruction", func(t *testing.T) {
		m := tmReal(t, []byte{
			0x2E, 0xC6, 0x06, 0x07, 0x00, 0x42, // 0: mov byte [cs:0x0007], 0x42
			0xB0, 0x11, // 6: mov al, 0x11   ; imm byte at 7
			0xF4, // 8: hlt
		})
		m.runHalt()
		assert.EqualValues(t, 0x42, m.c.Reg(EAX)&0xFF)
	})
	t.Run("loop rewriting its own body", func(t *testing.T) {
		m := tmReal(t, []byte{
			0xB9, 0x03, 0x00, // 00: mov cx, 3
			0x31, 0xD2, // 03: xor dx, dx
			0xB3, 0x10, // 05: mov bl, 0x10
			0x80, 0xC3, 0x01, // 07: add bl, 1
			0x2E, 0x88, 0x1E, 0x10, 0x00, // 0A: mov [cs:0x0010], bl
			0xB0, 0x00, // 0F: mov al, 0      ; imm byte at 0x10
			0x00, 0xC2, // 11: add dl, al
			0xE2, 0xF2, // 13: loop 0x07
			0xF4, // 15: hlt
		})
		m.runHalt()
		assert.EqualValues(t, 0x11+0x12+0x13, m.c.Reg(EDX)&0xFF)
	})
}

func TestRealInstructionStraddlesPage(t *testing.T) {
	// An instruction may cross a 4 KiB boundary; its bytes come from both
	// pages. Rewriting the part on the second page must be seen on the
	// next execution (SDM vol. 3, 11.6).
	m := tmReal(t, nil)
	m.load(tmCode+0x0FF0, []byte{
		0x2E, 0xC6, 0x06, 0x01, 0x10, 0xAA, // 0FF0: mov byte [cs:0x1001], 0xAA
		0x90, 0x90, 0x90, 0x90, 0x90, 0x90, // 0FF6: nop x6
		0x66, 0xB8, 0x78, 0x56, 0x34, 0x12, // 0FFC: mov eax, 0x12345678 (crosses 1000h)
		0xF4, // 1002: hlt
	})
	m.c.EIP = 0x0FFC
	m.runHalt()
	require.EqualValues(t, 0x12345678, m.c.Reg(EAX))
	require.EqualValues(t, 0x1003, m.c.EIP)

	// Run the patching prologue: it stores into the second page of the
	// instruction executed (and cached) above.
	m.c.EIP = 0x0FF0
	m.c.Wake()
	m.runHalt()
	assert.EqualValues(t, 0xAA345678, m.c.Reg(EAX))
}

func TestRealInstructionTooLong(t *testing.T) {
	// SDM vol. 3, 6.15, interrupt 13: #GP for "exceeding the instruction
	// length limit of 15 bytes (this only can occur when redundant
	// prefixes are placed before an instruction)". A 15-byte instruction
	// is legal.
	prefixes := func(n int) []byte { return []byte(strings.Repeat("\x2E", n)) }
	cases := []struct {
		name string
		code []byte
		gp   bool
	}{
		{"15-byte nop", tmCat(prefixes(14), []byte{0x90, 0xF4}), false},
		{"16-byte nop", tmCat(prefixes(15), []byte{0x90, 0xF4}), true},
		{"15-byte mov", tmCat(prefixes(6), []byte{
			0x66, 0xC7, 0x06, 0x00, 0x01, 0x78, 0x56, 0x34, 0x12, // mov dword [0x100], 0x12345678
			0xF4, // hlt
		}), false},
		{"16-byte mov", tmCat(prefixes(7), []byte{
			0x66, 0xC7, 0x06, 0x00, 0x01, 0x78, 0x56, 0x34, 0x12, // mov dword [0x100], 0x12345678
			0xF4, // hlt
		}), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tmReal(t, tc.code)
			m.runHalt()
			if tc.gp {
				expectRealFault(t, m, 13, 0)
				assert.Zero(t, m.r32(tmData+0x100))
			} else {
				assert.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			}
		})
	}
}

func TestRealUnrealMode(t *testing.T) {
	// SDM vol. 3, 9.9.2: on the switch back to real-address mode the
	// segment registers keep the descriptor cache loaded in protected
	// mode until reloaded; a real-mode load changes only selector and base
	// (vol. 3, 21.1.1). A 4 GiB DS limit therefore survives and a 32-bit
	// offset of 2 MiB is usable in real mode ("unreal mode").
	m := tmReal(t, []byte{
		0x0F, 0x01, 0x16, 0x00, 0x00, // 00: lgdt [0x0000]
		0x0F, 0x20, 0xC0, // 05: mov eax, cr0
		0x66, 0x83, 0xC8, 0x01, // 08: or eax, 1
		0x0F, 0x22, 0xC0, // 0C: mov cr0, eax
		0xEA, 0x14, 0x00, 0x08, 0x00, // 0F: jmp 0x0008:0x0014
		0xBB, 0x10, 0x00, // 14: mov bx, 0x10
		0x8E, 0xDB, // 17: mov ds, bx           ; 4 GiB flat data
		0x66, 0x83, 0xE0, 0xFE, // 19: and eax, 0xFFFFFFFE
		0x0F, 0x22, 0xC0, // 1D: mov cr0, eax          ; back to real mode
		0xEA, 0x25, 0x00, 0x00, 0x10, // 20: jmp 0x1000:0x0025
		0x31, 0xDB, // 25: xor bx, bx
		0x8E, 0xDB, // 27: mov ds, bx           ; base 0, limit kept
		0x66, 0xBE, 0x00, 0x00, 0x20, 0x00, // 29: mov esi, 0x200000
		0x67, 0x66, 0x8B, 0x06, // 2F: mov eax, [esi]
		0xF4, // 33: hlt
	})
	m.load(tmData, []byte{0x17, 0x00, 0x00, 0x10, 0x00, 0x00}) // GDTR: limit 17h, base 1000h
	m.setGDT(0x08, tmSeg(tmCode, 0xFFFF, tmAccCode0, 0))
	m.setGDT(0x10, tmSeg(0, 0xFFFFF, tmAccData0, tmFlags32))
	m.w32(0x200000, 0xDEADBEEF)
	m.runHalt()
	require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
	assert.Zero(t, m.c.CR0&CR0PE, "back in real mode")
	assert.EqualValues(t, 0xDEADBEEF, m.c.Reg(EAX))
	assert.EqualValues(t, 0x34, m.c.EIP)
	assert.EqualValues(t, 0, m.c.Seg[DS].Selector)
}
