package cpu

// Virtual-8086 mode, the descriptor-inspecting instructions (LAR, LSL,
// VERR, VERW, ARPL) and SYSENTER/SYSEXIT.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// V86 segment values used by the virtual-8086 tests.
const (
	v86CS = 0x3000 // code at tmV86Code
	v86SS = 0x3000 // stack 3000:F000 = physical 3F000h
	v86SP = 0xF000
	v86DS = 0x3100
	v86ES = 0x3200
	v86FS = 0x3300
	v86GS = 0x3400
)

// v86Entry is ring-0 code entering virtual-8086 mode at v86CS:0000 with
// IRETD from a frame of EIP, CS, EFLAGS (VM = 1), ESP, SS, ES, DS, FS, GS
// (SDM vol. 2, IRET, RETURN-TO-VIRTUAL-8086-MODE; vol. 3, 20.2.5).
func v86Entry(eflags uint32) []byte {
	return tmCat(
		[]byte{0x68}, tmLE32(v86GS), // push v86GS
		[]byte{0x68}, tmLE32(v86FS), // push v86FS
		[]byte{0x68}, tmLE32(v86DS), // push v86DS
		[]byte{0x68}, tmLE32(v86ES), // push v86ES
		[]byte{0x68}, tmLE32(v86SS), // push v86SS
		[]byte{0x68}, tmLE32(v86SP), // push v86SP
		[]byte{0x68}, tmLE32(eflags|FlagVM|0x2), // push eflags with VM
		[]byte{0x68}, tmLE32(v86CS), // push v86CS
		[]byte{0x68}, tmLE32(0), // push 0 (EIP)
		[]byte{0xCF}, // iretd
	)
}

// tmV86 returns a protected-mode machine about to enter virtual-8086 mode
// with the given IOPL and run v86code. The I/O bitmap denies port 60h.
func tmV86(t *testing.T, iopl uint32, v86code []byte) *tmMachine {
	m := tmProt(t, v86Entry(iopl<<12))
	m.load(tmV86Code, v86code)
	m.w8(tmTSS+tmTSSIOMap+0x60/8, 1<<(0x60%8)) // port 60h denied
	return m
}

// expectV86Frame checks the ring-0 frame of an interrupt or exception from
// virtual-8086 mode (SDM vol. 3, 20.3.1.1, figure 20-2: GS, FS, DS, ES,
// SS, ESP, EFLAGS, CS, EIP, [error code]) and that the handler runs with
// null DS, ES, FS and GS, VM clear, at CPL 0.
func expectV86Frame(t *testing.T, m *tmMachine, vector int, ec int64, ip uint32) []uint32 {
	t.Helper()
	require.Equal(t, vector, m.hitVector(), "exceptions %v", m.excs)
	n := 9
	if ec >= 0 {
		n++
	}
	assert.EqualValues(t, tmStack0-4*n, m.r32(tmRecESP), "frame size")
	f := m.frame(n)
	if ec >= 0 {
		assert.EqualValues(t, ec, f[0], "error code")
		f = f[1:]
	}
	assert.Equal(t, ip, f[0], "EIP")
	assert.EqualValues(t, v86CS, f[1]&0xFFFF, "CS")
	assert.NotZero(t, f[2]&FlagVM, "saved EFLAGS.VM")
	assert.EqualValues(t, v86SP, f[3]&0xFFFF, "ESP")
	assert.EqualValues(t, v86SS, f[4]&0xFFFF, "SS")
	assert.EqualValues(t, v86ES, f[5]&0xFFFF, "ES")
	assert.EqualValues(t, v86DS, f[6]&0xFFFF, "DS")
	assert.EqualValues(t, v86FS, f[7]&0xFFFF, "FS")
	assert.EqualValues(t, v86GS, f[8]&0xFFFF, "GS")
	c := m.c
	for _, s := range []int{DS, ES, FS, GS} {
		assert.EqualValues(t, 0, c.Seg[s].Selector, "segment %d nulled in the handler", s)
	}
	assert.Zero(t, c.Flags()&FlagVM)
	assert.EqualValues(t, 0, c.CPL())
	return f
}

func TestV86IOPLSensitive(t *testing.T) {
	// SDM vol. 3, 20.2.7: in virtual-8086 mode with IOPL < 3, CLI, STI,
	// PUSHF, POPF, INT n and IRET raise #GP(0). HLT is privileged (CPL 3).
	// Vol. 2, INT n "Operation": "IF (VM = 1 and IOPL < 3 AND INT n) THEN
	// #GP(0)" — INT3 and INTO are not IOPL-sensitive and go through the
	// IDT (the gate DPL must be 3).
	cases := []struct {
		name   string
		code   []byte
		vector int
		ec     int64
		ip     uint32
	}{
		{"cli", []byte{0xFA}, 13, 0, 0},                       // cli
		{"sti", []byte{0xFB}, 13, 0, 0},                       // sti
		{"pushf", []byte{0x9C}, 13, 0, 0},                     // pushf
		{"popf", []byte{0x9D}, 13, 0, 0},                      // popf
		{"int n", []byte{0xCD, 0x30}, 13, 0, 0},               // int 0x30
		{"iret", []byte{0xCF}, 13, 0, 0},                      // iret
		{"hlt", []byte{0xF4}, 13, 0, 0},                       // hlt
		{"int3 goes through the IDT", []byte{0xCC}, 3, -1, 1}, // int3
		{"into goes through the IDT", []byte{
			0xB0, 0x7F, // mov al, 0x7F
			0x04, 0x01, // add al, 1
			0xCE, // into
		}, 4, -1, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tmV86(t, 0, tc.code)
			for _, v := range []uint8{3, 4, 0x30} {
				m.setIDT(v, tmGate(tmSelCode0, tmStubs+uint32(v)*32, tmAccIntGate|3<<5, 0))
			}
			m.runHalt()
			expectV86Frame(t, m, tc.vector, tc.ec, tc.ip)
		})
	}
}

func TestV86IOPL3(t *testing.T) {
	// SDM vol. 3, 20.2.7 and 20.3.3: with IOPL = 3 the sensitive
	// instructions execute; INT n is delivered through the IDT to a ring-0
	// handler (20.3.1.1), and then needs a DPL-3 gate (vol. 2, INT n:
	// #GP(vector*8 + 2) otherwise).
	t.Run("cli pushf int", func(t *testing.T) {
		m := tmV86(t, 3, []byte{
			0xFA,       // 0: cli
			0x9C,       // 1: pushf
			0xCD, 0x31, // 2: int 0x31
		})
		m.c.SetFlags(0x2 | FlagIF)
		m.setIDT(0x31, tmGate(tmSelCode0, tmStubs+0x31*32, tmAccIntGate|3<<5, 0))
		m.runHalt()
		require.Equal(t, 0x31, m.hitVector(), "exceptions %v", m.excs)
		f := m.frame(9)
		assert.EqualValues(t, 4, f[0])
		assert.NotZero(t, f[2]&FlagVM)
		assert.EqualValues(t, 3<<12, f[2]&FlagIOPL)
		assert.Zero(t, f[2]&FlagIF, "CLI worked")
		assert.EqualValues(t, v86SP-2, f[3], "PUSHF pushed a word")
		pushed := m.r16(v86SS<<4 + v86SP - 2)
		assert.EqualValues(t, 3<<12, uint32(pushed)&FlagIOPL)
		assert.Zero(t, uint32(pushed)&FlagIF)
		for _, s := range []int{DS, ES, FS, GS} {
			assert.EqualValues(t, 0, m.c.Seg[s].Selector)
		}
	})
	t.Run("int n through dpl-0 gate", func(t *testing.T) {
		m := tmV86(t, 3, []byte{0xCD, 0x32}) // int 0x32
		m.runHalt()
		expectV86Frame(t, m, 13, 0x32*8+2, 0)
	})
}

func TestV86IOBitmap(t *testing.T) {
	// SDM vol. 1, 19.5.2 and vol. 3, 20.2.8.1: in virtual-8086 mode IN and
	// OUT are not IOPL-sensitive; every byte port of the access is checked
	// in the TSS I/O permission bitmap and a set bit raises #GP(0).
	t.Run("allowed", func(t *testing.T) {
		m := tmV86(t, 0, []byte{
			0xE4, 0x70, // in al, 0x70
			0xBA, 0x5E, 0x00, // mov dx, 0x5E
			0xED,       // in ax, dx       ; ports 5Eh, 5Fh
			0x89, 0xC3, // mov bx, ax
			0xE6, tmExitPort, // out 0xE9, al
		})
		m.bus.in[0x70] = 0x5A
		m.bus.in[0x5E] = 0x1234
		require.Equal(t, StopRequested, m.run(), "exceptions %v", m.excs)
		assert.NotZero(t, m.c.Flags()&FlagVM, "still in virtual-8086 mode")
		assert.EqualValues(t, 0x1234, m.c.Reg(EBX)&0xFFFF)
	})
	for _, tc := range []struct {
		name string
		code []byte
		ip   uint32
	}{
		{"in denied byte", []byte{0xE4, 0x60}, 0},  // in al, 0x60
		{"out denied byte", []byte{0xE6, 0x60}, 0}, // out 0x60, al
		{"word straddling a denied port", []byte{
			0xBA, 0x5F, 0x00, // mov dx, 0x5F
			0xED, // in ax, dx        ; ports 5Fh, 60h
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tmV86(t, 3, tc.code) // IOPL 3 does not bypass the bitmap
			m.runHalt()
			expectV86Frame(t, m, 13, 0, tc.ip)
			assert.Empty(t, m.bus.outs)
		})
	}
}

func TestV86RoundTrip(t *testing.T) {
	// SDM vol. 3, 20.3.1.1: the ring-0 handler returns to virtual-8086
	// mode with IRETD, which reloads ES, DS, FS, GS, SS:ESP from the frame
	// (vol. 2, IRET, RETURN-TO-VIRTUAL-8086-MODE).
	m := tmV86(t, 0, []byte{
		0xFA,       // 0: cli             ; #GP, the handler skips it
		0x8C, 0xD8, // 1: mov ax, ds
		0x8C, 0xC3, // 3: mov bx, es
		0xE6, tmExitPort, // 5: out 0xE9, al
	})
	m.setHandler(13, 0, []byte{
		0x83, 0xC4, 0x04, // add esp, 4         ; drop the error code
		0xFF, 0x04, 0x24, // inc dword [esp]    ; skip the 1-byte CLI
		0xCF, // iretd
	})
	require.Equal(t, StopRequested, m.run(), "exceptions %v", m.excs)
	c := m.c
	assert.NotZero(t, c.Flags()&FlagVM)
	assert.EqualValues(t, 3, c.CPL())
	assert.EqualValues(t, v86DS, c.Reg(EAX)&0xFFFF)
	assert.EqualValues(t, v86ES, c.Reg(EBX)&0xFFFF)
	for s, sel := range map[int]uint16{CS: v86CS, SS: v86SS, DS: v86DS, ES: v86ES, FS: v86FS, GS: v86GS} {
		assert.Equal(t, sel, c.Seg[s].Selector, "segment %d", s)
		assert.Equal(t, uint32(sel)<<4, c.Seg[s].Base, "segment %d base", s)
	}
	assert.EqualValues(t, v86SP, c.Reg(ESP))
	assert.EqualValues(t, 7, c.EIP)
}

func TestProtLARLSLVERRVERW(t *testing.T) {
	// SDM vol. 2, LAR: ZF = 1 and dest = second descriptor dword AND
	// 00FxFF00h for a visible code/data descriptor or an LDT, TSS, call
	// gate or task gate; visible means conforming code, or DPL >= CPL and
	// DPL >= RPL. Otherwise (also null or out-of-table selectors) ZF = 0
	// and dest is unchanged. LSL: the same, but the valid system types are
	// LDT and TSS, and dest = the byte-granular limit. VERR/VERW: ZF = 1
	// if the segment is visible and readable / writable (code is never
	// writable). Bits 19:16 of the LAR result are not compared.
	lar := []byte{0x0F, 0x02, 0xC3}  // lar eax, ebx
	lsl := []byte{0x0F, 0x03, 0xC3}  // lsl eax, ebx
	verr := []byte{0x0F, 0x00, 0xE3} // verr bx
	verw := []byte{0x0F, 0x00, 0xEB} // verw bx
	type tc struct {
		name string
		cpl  int
		op   []byte
		sel  uint16
		zf   bool
		want uint32
	}
	cases := []tc{
		{"lar data", 0, lar, 0x10, true, 0x00C09300},
		{"lar exec-only code", 0, lar, 0x48, true, 0x00C09800},
		{"lar byte-granular data", 0, lar, 0x58, true, 0x00409000},
		{"lar ldt", 0, lar, 0x80, true, 0x00008200},
		{"lar busy tss", 0, lar, tmSelTSSA, true, 0x00008B00},
		{"lar call gate", 0, lar, 0x98, true, 0x0000EC00},
		{"lar interrupt gate", 0, lar, 0xA0, false, 0},
		{"lar null", 0, lar, 0x00, false, 0},
		{"lar beyond gdt", 0, lar, 0x200, false, 0},
		{"lar rpl > dpl", 0, lar, 0x13, false, 0},
		{"lar ring 3 dpl 0", 3, lar, 0x13, false, 0},
		{"lar ring 3 dpl 3", 3, lar, 0x63, true, 0x00C0F200},
		{"lar ring 3 conforming", 3, lar, 0x6B, true, 0x00C09E00},
		{"lsl 4 GiB", 0, lsl, 0x10, true, 0xFFFFFFFF},
		{"lsl byte limit", 0, lsl, 0x58, true, 0x1234},
		{"lsl tss", 0, lsl, tmSelTSSA, true, tmTSSLimit},
		{"lsl ldt", 0, lsl, 0x80, true, 0xFF},
		{"lsl call gate", 0, lsl, 0x98, false, 0},
		{"lsl ring 3 dpl 0", 3, lsl, 0x13, false, 0},
		{"verr data", 0, verr, 0x10, true, 0},
		{"verr readable code", 0, verr, 0x50, true, 0},
		{"verr exec-only code", 0, verr, 0x48, false, 0},
		{"verr tss", 0, verr, tmSelTSSA, false, 0},
		{"verr null", 0, verr, 0, false, 0},
		{"verr ring 3 conforming", 3, verr, 0x6B, true, 0},
		{"verr ring 3 dpl 0", 3, verr, 0x13, false, 0},
		{"verw data", 0, verw, 0x10, true, 0},
		{"verw read-only data", 0, verw, 0x58, false, 0},
		{"verw code", 0, verw, 0x50, false, 0},
		{"verw ring 3 dpl 0", 3, verw, 0x13, false, 0},
		{"verw ring 3 dpl 3", 3, verw, 0x63, true, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, tmCat([]byte{
				0xB8, 0xFF, 0xFF, 0xFF, 0xFF, // mov eax, 0xFFFFFFFF
				0xBB, byte(c.sel), byte(c.sel >> 8), 0x00, 0x00, // mov ebx, sel
			}, c.op, []byte{
				0x9C, // pushfd
				0x59, // pop ecx
			}, exitFor(c.cpl)))
			m.addTestDescriptors()
			if c.cpl == 3 {
				m.toRing3()
			}
			m.runHalt()
			if c.cpl == 3 {
				require.Equal(t, tmExitVector, m.hitVector(), "exceptions %v", m.excs)
			} else {
				require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			}
			assert.Equal(t, c.zf, m.c.Reg(ECX)&FlagZF != 0, "ZF")
			if c.op[1] == 0x00 {
				return // VERR/VERW have no destination
			}
			eax := m.c.Reg(EAX)
			switch {
			case !c.zf:
				assert.EqualValues(t, 0xFFFFFFFF, eax, "destination unchanged")
			case c.op[1] == 0x02:
				assert.Equal(t, c.want, eax&0x00F0FF00, "access rights")
			default:
				assert.Equal(t, c.want, eax, "limit")
			}
		})
	}
}

func TestProtARPL(t *testing.T) {
	// SDM vol. 2, ARPL: if dest.RPL < src.RPL then dest.RPL = src.RPL and
	// ZF = 1, else ZF = 0. ARPL is not recognised in real-address mode
	// (#UD), nor LAR, LSL, VERR, VERW.
	for _, tc := range []struct {
		dst, src, want uint16
		zf             bool
	}{
		{0x0010, 0x0003, 0x0013, true},
		{0x0013, 0x0001, 0x0013, false},
		{0x0012, 0x0002, 0x0012, false},
	} {
		m := tmProt(t, []byte{
			0x66, 0xB8, byte(tc.dst), byte(tc.dst >> 8), // mov ax, dst
			0x66, 0xBB, byte(tc.src), byte(tc.src >> 8), // mov bx, src
			0x63, 0xD8, // arpl ax, bx
			0x63, 0x1D, 0x00, 0x00, 0x02, 0x00, // arpl [0x20000], bx
			0xF4, // hlt
		})
		m.w16(tmData, tc.dst)
		m.runHalt()
		assert.Equal(t, tc.want, uint16(m.c.Reg(EAX)))
		assert.Equal(t, tc.want, m.r16(tmData))
		assert.Equal(t, tc.zf, m.zf())
	}
	for _, code := range [][]byte{
		{0x63, 0xD8},       // arpl ax, bx
		{0x0F, 0x02, 0xC3}, // lar ax, bx
		{0x0F, 0x03, 0xC3}, // lsl ax, bx
		{0x0F, 0x00, 0xE3}, // verr bx
	} {
		m := tmReal(t, code)
		m.runHalt()
		assert.Equal(t, 6, m.hitVector(), "% X in real mode", code)
	}
}

func TestSysenterSysexit(t *testing.T) {
	// SDM vol. 2, SYSENTER: CS = IA32_SYSENTER_CS AND FFFCh (flat, DPL 0),
	// SS = CS + 8, ESP = IA32_SYSENTER_ESP, EIP = IA32_SYSENTER_EIP; VM,
	// IF and RF are cleared; #GP(0) in real mode or with SYSENTER_CS = 0.
	// SYSEXIT: CS = SYSENTER_CS + 16 with RPL 3, SS = SYSENTER_CS + 24 with
	// RPL 3, ESP = ECX, EIP = EDX; #GP(0) unless CPL = 0, or with
	// SYSENTER_CS = 0. The MSRs are 174h-176h (vol. 4).
	m := tmProt(t, []byte{
		0xB9, 0x74, 0x01, 0x00, 0x00, // 00: mov ecx, 0x174
		0xB8, 0x08, 0x00, 0x00, 0x00, // 05: mov eax, 0x08
		0x31, 0xD2, // 0A: xor edx, edx
		0x0F, 0x30, // 0C: wrmsr
		0xB9, 0x75, 0x01, 0x00, 0x00, // 0E: mov ecx, 0x175
		0xB8, 0x00, 0x60, 0x00, 0x00, // 13: mov eax, 0x6000
		0x0F, 0x30, // 18: wrmsr
		0xB9, 0x76, 0x01, 0x00, 0x00, // 1A: mov ecx, 0x176
		0xB8, 0x00, 0xA0, 0x00, 0x00, // 1F: mov eax, 0xA000
		0x0F, 0x30, // 24: wrmsr
		0xB9, 0x00, 0xF0, 0x00, 0x00, // 26: mov ecx, 0xF000
		0xBA, 0x32, 0x00, 0x01, 0x00, // 2B: mov edx, 0x10032
		0x0F, 0x35, // 30: sysexit
		0x31, 0xC0, // 32: xor eax, eax      ; ring 3
		0x8C, 0xC8, // 34: mov eax, cs
		0x8C, 0xD3, // 36: mov ebx, ss
		0x89, 0xE6, // 38: mov esi, esp
		0x0F, 0x34, // 3A: sysenter
		0xF4, // 3C: hlt (not reached)
	})
	m.load(tmHandler, []byte{0xF4}) // hlt
	m.c.SetFlags(0x2 | FlagIF)
	m.runHalt()
	c := m.c
	require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, tmSelCode3, c.Reg(EAX)&0xFFFF, "CS after SYSEXIT")
	assert.EqualValues(t, tmSelData3, c.Reg(EBX)&0xFFFF, "SS after SYSEXIT")
	assert.EqualValues(t, 0xF000, c.Reg(ESI), "ESP after SYSEXIT")
	assert.EqualValues(t, tmSelCode0, c.Seg[CS].Selector)
	assert.EqualValues(t, tmSelData0, c.Seg[SS].Selector)
	assert.EqualValues(t, 0, c.CPL())
	assert.EqualValues(t, 0x6000, c.Reg(ESP))
	assert.EqualValues(t, tmHandler+1, c.EIP)
	assert.Zero(t, c.Flags()&FlagIF, "SYSENTER clears IF")

	t.Run("sysenter with SYSENTER_CS = 0", func(t *testing.T) {
		m := tmProt(t, []byte{0x0F, 0x34}) // sysenter
		m.toRing3()
		m.runHalt()
		require.Equal(t, 13, m.hitVector())
		assert.EqualValues(t, 0, m.frame(1)[0])
	})
	t.Run("sysexit at cpl 3", func(t *testing.T) {
		m := tmProt(t, []byte{0x0F, 0x35}) // sysexit
		m.c.sysenter[0] = tmSelCode0
		m.toRing3()
		m.runHalt()
		require.Equal(t, 13, m.hitVector())
		assert.EqualValues(t, 0, m.frame(1)[0])
	})
	t.Run("sysenter in real mode", func(t *testing.T) {
		m := tmReal(t, []byte{0x0F, 0x34}) // sysenter
		m.c.sysenter[0] = tmSelCode0
		m.runHalt()
		assert.Equal(t, 13, m.hitVector())
	})
}
