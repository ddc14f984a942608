package cpu

// Debug registers (SDM vol. 3, chapter 17) and the resume flag.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tmDR6B0 = 1 << 0
	tmDR6B1 = 1 << 1
	tmDR6BD = 1 << 13
)

func TestDebugInstructionBreakpoint(t *testing.T) {
	// SDM vol. 3, 17.3.1.1: an instruction breakpoint (DR7 R/W = 00, LEN
	// = 00) is a fault taken before the instruction executes; the saved
	// EIP points at it and DR6.Bn is set. A handler that sets RF in the
	// saved EFLAGS and returns with IRETD resumes without re-triggering;
	// the instruction then runs once.
	m := tmProt(t, []byte{
		0xB8, 0x13, 0x00, 0x01, 0x00, // 00: mov eax, 0x10013     ; breakpoint address
		0x0F, 0x23, 0xC0, // 05: mov dr0, eax
		0xB8, 0x01, 0x00, 0x00, 0x00, // 08: mov eax, 1           ; DR7.L0
		0x0F, 0x23, 0xF8, // 0D: mov dr7, eax
		0x31, 0xC0, // 10: xor eax, eax
		0x40, // 12: inc eax
		0x40, // 13: inc eax     <- breakpoint
		0x40, // 14: inc eax
		0xF4, // 15: hlt
	})
	m.setHandler(1, 0, []byte{
		0x0F, 0x21, 0xF3, // mov ebx, dr6
		0x8B, 0x0C, 0x24, // mov ecx, [esp]              ; saved EIP
		0x36, 0xFF, 0x05, 0x08, 0x05, 0x00, 0x00, // inc dword [ss:0x508]
		0x81, 0x4C, 0x24, 0x08, 0x00, 0x00, 0x01, 0x00, // or dword [esp+8], 0x10000 ; RF
		0xCF, // iretd
	})
	m.runHalt()
	c := m.c
	require.EqualValues(t, tmCode+0x16, c.EIP, "exceptions %v", m.excs)
	assert.EqualValues(t, 1, m.hitCount(), "one #DB")
	assert.EqualValues(t, tmCode+0x13, c.Reg(ECX), "fault: saved EIP = the breakpoint")
	assert.EqualValues(t, tmDR6B0, c.Reg(EBX)&0xF, "DR6.B0")
	assert.EqualValues(t, 3, c.Reg(EAX), "the instruction ran exactly once")
	assert.Zero(t, c.Flags()&FlagRF, "RF cleared after one instruction")
}

func TestDebugDataWriteBreakpoint(t *testing.T) {
	// SDM vol. 3, 17.3.1.2: a data breakpoint (R/W = 01: writes only) is a
	// trap reported after the instruction that wrote the watched bytes
	// (the write is done, the saved EIP is the next instruction); DR6.Bn
	// is set. Reads do not trigger it.
	m := tmProt(t, []byte{
		0xB8, 0x00, 0x00, 0x02, 0x00, // 00: mov eax, 0x20000
		0x0F, 0x23, 0xC8, // 05: mov dr1, eax
		0xB8, 0x04, 0x00, 0xD0, 0x00, // 08: mov eax, 0x00D00004  ; L1, R/W1 = 01, LEN1 = 11
		0x0F, 0x23, 0xF8, // 0D: mov dr7, eax
		0xA1, 0x00, 0x00, 0x02, 0x00, // 10: mov eax, [0x20000]    ; read: no trap
		0xC7, 0x05, 0x02, 0x00, 0x02, 0x00, 0xEF, 0xBE, 0xAD, 0xDE, // 15: mov dword [0x20002], 0xDEADBEEF
		0x90, // 1F: nop    <- saved EIP
		0xF4, // 20: hlt
	})
	m.runHalt()
	require.Equal(t, 1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, 1, m.hitCount())
	assert.EqualValues(t, tmCode+0x1F, m.frame(1)[0], "trap: saved EIP = next instruction")
	assert.EqualValues(t, tmDR6B1, m.c.DR[6]&0xF, "DR6.B1")
	assert.EqualValues(t, 0xDEADBEEF, m.r32(0x20002), "the write completed")
}

func TestDebugGeneralDetect(t *testing.T) {
	// SDM vol. 3, 17.2.4 and 17.3.1.3: with DR7.GD set, any MOV to or from
	// a debug register raises #DB (a fault, before the MOV executes) with
	// DR6.BD set; the processor clears GD on entry to the handler.
	m := tmProt(t, []byte{
		0xB8, 0x00, 0x20, 0x00, 0x00, // 00: mov eax, 0x2000   ; GD
		0x0F, 0x23, 0xF8, // 05: mov dr7, eax
		0xBB, 0x55, 0x55, 0x55, 0x55, // 08: mov ebx, 0x55555555
		0x0F, 0x21, 0xC3, // 0D: mov ebx, dr0    <- #DB
		0xF4, // 10: hlt
	})
	m.runHalt()
	c := m.c
	require.Equal(t, 1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, tmCode+0x0D, m.frame(1)[0], "fault: saved EIP = the MOV")
	assert.NotZero(t, c.DR[6]&tmDR6BD, "DR6.BD")
	assert.Zero(t, c.DR[7]&(1<<13), "DR7.GD cleared")
	assert.EqualValues(t, 0x55555555, c.Reg(EBX), "the MOV did not execute")
}

func TestFaultPushesRF(t *testing.T) {
	// SDM vol. 3, 17.3.1.1: when calling an event handler, "for any
	// fault-class exception except a debug exception generated in response
	// to an instruction breakpoint, the value pushed for RF is 1"; for
	// traps and software interrupts RF is pushed as it was (0 here).
	for _, tc := range []struct {
		name   string
		code   []byte
		vector int
		ec     bool
		rf     bool
	}{
		{"#UD", []byte{0x0F, 0x0B}, 6, false, true},             // ud2
		{"#GP", movSeg(DS, 0x200), 13, true, true},              // mov ds, 0x200
		{"int n", []byte{0xCD, 0x30, 0xF4}, 0x30, false, false}, // int 0x30
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tmProt(t, tc.code)
			m.runHalt()
			require.Equal(t, tc.vector, m.hitVector(), "exceptions %v", m.excs)
			f := m.frame(4)
			if tc.ec {
				f = f[1:]
			}
			assert.Equal(t, tc.rf, f[2]&FlagRF != 0, "saved EFLAGS.RF")
		})
	}
}
