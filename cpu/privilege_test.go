package cpu

// More protected-mode rules: alignment checking, IOPL and the I/O bitmap
// outside virtual-8086 mode, EFLAGS privilege rules, far transfers,
// expand-down segments, LTR, control-register checks, NMI blocking,
// interrupts inside REP string instructions and a few self-modifying-code
// and stack-pointer corner cases.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProtAlignmentCheck(t *testing.T) {
	// SDM vol. 3, 6.15, interrupt 17: with CR0.AM = 1, EFLAGS.AC = 1 and
	// CPL = 3, an unaligned data reference (word at an odd address, dword
	// not a multiple of 4) raises #AC with error code 0 (a fault).
	cases := []struct {
		name  string
		code  []byte
		am    bool
		ac    bool
		cpl   int
		fault bool
	}{
		{"dword misaligned", []byte{0xA1, 0x01, 0x00, 0x02, 0x00}, true, true, 3, true},      // mov eax, [0x20001]
		{"word misaligned", []byte{0x66, 0xA1, 0x01, 0x00, 0x02, 0x00}, true, true, 3, true}, // mov ax, [0x20001]
		{"word aligned", []byte{0x66, 0xA1, 0x02, 0x00, 0x02, 0x00}, true, true, 3, false},   // mov ax, [0x20002]
		{"byte", []byte{0xA0, 0x01, 0x00, 0x02, 0x00}, true, true, 3, false},                 // mov al, [0x20001]
		{"store misaligned", []byte{0xA3, 0x02, 0x00, 0x02, 0x00}, true, true, 3, true},      // mov [0x20002], eax
		{"AM clear", []byte{0xA1, 0x01, 0x00, 0x02, 0x00}, false, true, 3, false},
		{"AC clear", []byte{0xA1, 0x01, 0x00, 0x02, 0x00}, true, false, 3, false},
		{"CPL 0", []byte{0xA1, 0x01, 0x00, 0x02, 0x00}, true, true, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, tmCat(c.code, exitFor(c.cpl)))
			cr0 := uint32(CR0PE)
			if c.am {
				cr0 |= CR0AM
			}
			m.c.SetControlRegisters(cr0, 0, 0)
			if c.cpl == 3 {
				m.toRing3()
			}
			fl := uint32(0x2)
			if c.ac {
				fl |= FlagAC
			}
			m.c.SetFlags(fl)
			m.runHalt()
			if !c.fault {
				if c.cpl == 3 {
					require.Equal(t, tmExitVector, m.hitVector(), "exceptions %v", m.excs)
				} else {
					require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
				}
				return
			}
			require.Equal(t, 17, m.hitVector(), "exceptions %v", m.excs)
			f := m.frame(2)
			assert.EqualValues(t, 0, f[0], "#AC(0)")
			assert.EqualValues(t, tmCode, f[1], "fault")
		})
	}
}

func TestProtIOPLAndIOBitmap(t *testing.T) {
	// SDM vol. 1, 19.5.1 and 19.5.2: in protected mode IN/OUT are allowed
	// when CPL <= IOPL; otherwise every byte port must be clear in the TSS
	// I/O permission bitmap (bits beyond the TSS limit count as set), else
	// #GP(0). Vol. 2, CLI/STI: #GP(0) when CPL > IOPL. HLT: #GP(0) at CPL
	// > 0.
	cases := []struct {
		name  string
		iopl  uint32
		code  []byte
		limit uint32 // TSS limit override (0: keep)
		fault bool
	}{
		{"in allowed by bitmap", 0, []byte{0xE4, 0x70}, 0, false},                // in al, 0x70
		{"in denied by bitmap", 0, []byte{0xE4, 0x60}, 0, true},                  // in al, 0x60
		{"out dx denied", 0, []byte{0xBA, 0x60, 0, 0, 0, 0xEE}, 0, true},         // mov edx, 0x60; out dx, al
		{"iopl 3 bypasses the bitmap", 3, []byte{0xE4, 0x60}, 0, false},          // in al, 0x60
		{"bitmap beyond tss limit", 0, []byte{0xE4, 0x70}, tmTSSIOMap + 8, true}, // port 70h is in byte 14
		{"cli at cpl 3, iopl 0", 0, []byte{0xFA}, 0, true},                       // cli
		{"sti at cpl 3, iopl 0", 0, []byte{0xFB}, 0, true},                       // sti
		{"cli at cpl 3, iopl 3", 3, []byte{0xFA}, 0, false},                      // cli
		{"hlt at cpl 3", 3, []byte{0xF4}, 0, true},                               // hlt
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, tmCat(c.code, exitFor(3)))
			m.w8(tmTSS+tmTSSIOMap+0x60/8, 1<<(0x60%8))
			if c.limit != 0 {
				m.c.TR.Limit = c.limit
			}
			m.toRing3()
			m.c.SetFlags(0x2 | c.iopl<<12)
			m.runHalt()
			if !c.fault {
				require.Equal(t, tmExitVector, m.hitVector(), "exceptions %v", m.excs)
				return
			}
			require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
			assert.EqualValues(t, 0, m.frame(1)[0])
		})
	}
}

func TestProtEFLAGSPrivilege(t *testing.T) {
	// SDM vol. 2, POPF: at CPL > 0 IOPL is not changed, and IF only when
	// CPL <= IOPL; no exception. IRET to the same level follows the same
	// rules.
	m := tmProt(t, []byte{
		0x9C,                                     // pushfd
		0x81, 0x24, 0x24, 0xFF, 0xFD, 0xFF, 0xFF, // and dword [esp], ~0x200   ; clear IF
		0x81, 0x0C, 0x24, 0x00, 0x30, 0x00, 0x00, // or dword [esp], 0x3000    ; IOPL 3
		0x9D,       // popfd
		0x9C,       // pushfd
		0x58,       // pop eax
		0xCD, 0x7F, // int 0x7F
	})
	m.toRing3()
	m.c.SetFlags(0x2 | FlagIF)
	m.runHalt()
	require.Equal(t, tmExitVector, m.hitVector(), "exceptions %v", m.excs)
	eax := m.c.Reg(EAX)
	assert.NotZero(t, eax&FlagIF, "IF unchanged at CPL 3 > IOPL 0")
	assert.Zero(t, eax&FlagIOPL, "IOPL unchanged at CPL 3")
}

func TestProtIRETToOuterLevel(t *testing.T) {
	// SDM vol. 2, IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL: SS:ESP are popped
	// and ES, FS, GS, DS holding data or non-conforming code segments with
	// DPL < the new CPL are loaded with null selectors.
	m := tmProt(t, []byte{
		0xCD, 0x30, // int 0x30
		0x8C, 0xD3, // mov ebx, ss
		0xCD, 0x7F, // int 0x7F
	})
	m.setHandler(0x30, 3, []byte{
		0x66, 0xB8, 0x10, 0x00, // mov ax, 0x10
		0x8E, 0xC0, // mov es, ax     ; DPL 0
		0x8E, 0xE8, // mov gs, ax     ; DPL 0
		0x66, 0xB8, 0x23, 0x00, // mov ax, 0x23
		0x8E, 0xE0, // mov fs, ax     ; DPL 3
		0xCF, // iretd
	})
	m.toRing3()
	m.runHalt()
	require.Equal(t, tmExitVector, m.hitVector(), "exceptions %v", m.excs)
	c := m.c
	assert.EqualValues(t, tmSelData3, c.Reg(EBX)&0xFFFF, "SS restored")
	assert.EqualValues(t, tmCode+6, m.frame(1)[0])
	assert.EqualValues(t, tmStack3, m.frame(4)[3], "ESP restored")
	assert.EqualValues(t, 0, c.Seg[ES].Selector, "ES nulled")
	assert.EqualValues(t, 0, c.Seg[GS].Selector, "GS nulled")
	assert.EqualValues(t, tmSelData3, c.Seg[FS].Selector, "FS kept")
	assert.EqualValues(t, tmSelData3, c.Seg[DS].Selector, "DS kept")
}

func TestProtFarTransfers(t *testing.T) {
	// SDM vol. 2, JMP/CALL (far, protected mode) and RET (far):
	//  - to a conforming segment with DPL <= CPL: allowed, CPL unchanged,
	//    CS.RPL = CPL;
	//  - to a non-conforming segment with DPL != CPL (not via a gate):
	//    #GP(selector);
	//  - to a data segment: #GP(selector);
	//  - offset beyond the code segment limit: #GP(0);
	//  - RET to a selector with RPL < CPL: #GP(selector).
	cases := []struct {
		name string
		cpl  int
		code []byte
		vec  int
		ec   uint32
	}{
		{"jmp conforming from ring 3", 3, []byte{
			0xEA, 0x10, 0x00, 0x01, 0x00, 0x68, 0x00, // jmp 0x0068:0x10010
		}, tmExitVector, 0},
		{"call non-conforming dpl 0 from ring 3", 3, []byte{
			0x9A, 0x10, 0x00, 0x01, 0x00, 0x08, 0x00, // call 0x0008:0x10010
		}, 13, 0x08},
		{"jmp data segment", 0, []byte{
			0xEA, 0x10, 0x00, 0x01, 0x00, 0x10, 0x00, // jmp 0x0010:0x10010
		}, 13, 0x10},
		{"jmp beyond limit", 0, []byte{
			0xEA, 0x00, 0x00, 0x01, 0x00, 0x30, 0x00, // jmp 0x0030:0x10000  (limit FFFFh)
		}, 13, 0},
		{"retf to inner level", 3, []byte{
			0x6A, 0x08, // push 8          ; CS
			0x68, 0x10, 0x00, 0x01, 0x00, // push 0x10010    ; EIP
			0xCB, // retf
		}, 13, 0x08},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, c.code)
			m.addTestDescriptors()
			m.load(tmCode+0x10, []byte{
				0x8C, 0xC8, // mov eax, cs
				0xCD, tmExitVector, // int 0x7F
			})
			if c.cpl == 3 {
				m.toRing3()
			}
			m.runHalt()
			require.Equal(t, c.vec, m.hitVector(), "exceptions %v", m.excs)
			if c.vec == tmExitVector {
				assert.EqualValues(t, 0x6B, m.c.Reg(EAX)&0xFFFF, "CS.RPL = CPL")
				assert.EqualValues(t, 0x6B, m.frame(2)[1]&0xFFFF)
				assert.EqualValues(t, tmSelData3, m.frame(5)[4]&0xFFFF, "interrupt came from CPL 3")
				return
			}
			assert.Equal(t, c.ec, m.frame(1)[0], "error code")
		})
	}
}

func TestProtExpandDownSegments(t *testing.T) {
	// SDM vol. 3, 3.4.5.1 and 5.3: for an expand-down data segment the
	// valid offsets run from limit+1 to FFFFFFFFh (B = 1) or FFFFh (B =
	// 0); an access outside raises #GP(0) (#SS(0) for SS).
	const sel32, sel16 = 0xB0, 0xB8
	cases := []struct {
		name string
		sel  uint16
		load []byte
		gp   bool
	}{
		{"below limit+1", sel32, []byte{0x26, 0x8B, 0x05, 0x00, 0x08, 0x00, 0x00}, true},           // mov eax, [es:0x800]
		{"at limit+1", sel32, []byte{0x26, 0x8B, 0x05, 0x00, 0x10, 0x00, 0x00}, false},             // mov eax, [es:0x1000]
		{"dword across limit", sel32, []byte{0x26, 0x8B, 0x05, 0xFE, 0x0F, 0x00, 0x00}, true},      // mov eax, [es:0xFFE]
		{"top of 4 GiB", sel32, []byte{0x26, 0x8B, 0x05, 0xFC, 0xFF, 0xFF, 0xFF}, false},           // mov eax, [es:0xFFFFFFFC]
		{"B=0 dword past FFFF", sel16, []byte{0x26, 0x8B, 0x05, 0xFE, 0xFF, 0x00, 0x00}, true},     // mov eax, [es:0xFFFE]
		{"B=0 word at FFFE", sel16, []byte{0x26, 0x66, 0x8B, 0x05, 0xFE, 0xFF, 0x00, 0x00}, false}, // mov ax, [es:0xFFFE]
		{"B=0 above FFFF", sel16, []byte{0x26, 0x8B, 0x05, 0x00, 0x00, 0x01, 0x00}, true},          // mov eax, [es:0x10000]
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, tmCat(movSeg(ES, c.sel), c.load, []byte{0xF4}))
			m.setGDT(sel32, tmSeg(0, 0xFFF, 0x96, 0x4)) // expand-down r/w, B = 1
			m.setGDT(sel16, tmSeg(0, 0xFFF, 0x96, 0x0)) // expand-down r/w, B = 0
			m.runHalt()
			if !c.gp {
				require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
				return
			}
			require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
			assert.EqualValues(t, 0, m.frame(1)[0])
			assert.EqualValues(t, tmCode+6, m.frame(2)[1])
		})
	}
}

func TestProtLTR(t *testing.T) {
	// SDM vol. 2, LTR: loads TR from an available TSS descriptor and marks
	// it busy; a busy or non-TSS descriptor is #GP(selector); CPL > 0 is
	// #GP(0).
	const sel = 0x48
	ltr := func(s uint16) []byte {
		return []byte{
			0x66, 0xB8, byte(s), byte(s >> 8), // mov ax, s
			0x0F, 0x00, 0xD8, // ltr ax
		}
	}
	t.Run("available tss", func(t *testing.T) {
		m := tmProt(t, tmCat(ltr(sel), []byte{0xF4}))
		m.setGDT(sel, tmSeg(tmTSSC, 0x67, tmAccTSSAvail, 0))
		m.runHalt()
		require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, sel, m.c.TR.Selector)
		assert.EqualValues(t, tmAccTSSBusy, m.gdtAccess(sel), "marked busy")
	})
	for _, tc := range []struct {
		name string
		cpl  int
		sel  uint16
		ec   uint32
	}{
		{"busy tss", 0, tmSelTSSA, tmSelTSSA},
		{"data segment", 0, tmSelData0, tmSelData0},
		{"cpl 3", 3, sel, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tmProt(t, ltr(tc.sel))
			m.setGDT(sel, tmSeg(tmTSSC, 0x67, tmAccTSSAvail, 0))
			if tc.cpl == 3 {
				m.toRing3()
			}
			m.runHalt()
			require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
			assert.Equal(t, tc.ec, m.frame(1)[0])
		})
	}
}

func TestProtControlRegisterChecks(t *testing.T) {
	// SDM vol. 2, MOV (control registers): #GP(0) for setting PG with PE
	// clear, NW with CD clear, a reserved CR4 bit, or at CPL > 0.
	cases := []struct {
		name string
		cpl  int
		code []byte
	}{
		{"PG without PE", 0, []byte{
			0xB8, 0x00, 0x00, 0x00, 0x80, // mov eax, 0x80000000
			0x0F, 0x22, 0xC0, // mov cr0, eax
		}},
		{"NW without CD", 0, []byte{
			0xB8, 0x01, 0x00, 0x00, 0x20, // mov eax, 0x20000001
			0x0F, 0x22, 0xC0, // mov cr0, eax
		}},
		{"reserved CR4 bit", 0, []byte{
			0xB8, 0x00, 0x80, 0x00, 0x00, // mov eax, 0x8000   (bit 15)
			0x0F, 0x22, 0xE0, // mov cr4, eax
		}},
		{"mov from cr0 at cpl 3", 3, []byte{
			0x90, 0x90, 0x90, 0x90, 0x90, // nop x5
			0x0F, 0x20, 0xC0, // mov eax, cr0
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, c.code)
			if c.cpl == 3 {
				m.toRing3()
			}
			m.runHalt()
			require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
			f := m.frame(2)
			assert.EqualValues(t, 0, f[0])
			assert.EqualValues(t, tmCode+5, f[1])
			assert.EqualValues(t, CR0PE, m.c.CR0&(CR0PE|CR0PG|CR0NW))
		})
	}
}

func TestNMIBlockedUntilIRET(t *testing.T) {
	// SDM vol. 3, 6.7.1: while an NMI handler runs, further NMIs are
	// blocked until the next IRET; one NMI stays pending and is delivered
	// after it. 6.8.1: IF does not mask NMI.
	m := tmProt(t, []byte{
		0xF4, // hlt
		0xF4, // hlt
	})
	m.setHandler(2, 0, []byte{
		0x36, 0xFF, 0x05, 0x08, 0x05, 0x00, 0x00, // inc dword [ss:0x508]
		0xF4, // hlt
		0xCF, // iretd
	})
	m.runHalt() // halted at the first HLT, IF = 0
	require.Zero(t, m.hitCount())
	m.c.RaiseNMI()
	m.runHalt()
	require.EqualValues(t, 1, m.hitCount(), "NMI delivered with IF = 0")
	require.EqualValues(t, tmHandler+8, m.c.EIP, "halted in the NMI handler")

	m.c.RaiseNMI()
	m.runHalt()
	assert.EqualValues(t, 1, m.hitCount(), "second NMI held while the handler runs")

	m.resume() // IRET unblocks NMIs: the pending one is delivered
	assert.EqualValues(t, 2, m.hitCount())
}

func TestInterruptDuringRepString(t *testing.T) {
	// SDM vol. 2, REP: a repeated string instruction can be interrupted
	// between iterations; the registers then reflect the completed
	// iterations and the saved EIP points at the instruction, which
	// resumes after IRET. Vol. 3, 17.3.1.1: for an interrupt arriving after
	// any iteration but the last, the value pushed for RF is 1.
	const n = 3000
	m := tmProt(t, []byte{
		0xBE, 0x00, 0x00, 0x02, 0x00, // 00: mov esi, 0x20000
		0xB9, 0xB8, 0x0B, 0x00, 0x00, // 05: mov ecx, 3000
		0xBA, 0x80, 0x00, 0x00, 0x00, // 0A: mov edx, 0x80
		0xFC,       // 0F: cld
		0xF3, 0x6E, // 10: rep outsb
		0xF4, // 12: hlt
	})
	m.setHandler(0x40, 0, []byte{
		0x8B, 0x1C, 0x24, // mov ebx, [esp]        ; saved EIP
		0x8B, 0x6C, 0x24, 0x08, // mov ebp, [esp+8]      ; saved EFLAGS
		0x89, 0xCF, // mov edi, ecx          ; ECX when interrupted
		0x89, 0x35, 0x00, 0x06, 0x00, 0x00, // mov [0x600], esi      ; ESI when interrupted
		0xCF, // iretd
	})
	data := make([]byte, n)
	for k := range data {
		data[k] = byte(k * 7)
	}
	m.load(tmData, data)
	m.c.SetFlags(0x2 | FlagIF)
	m.pic.vector = 0x40
	m.bus.onOut = func(port uint16, _ int, _ uint32) {
		if port == 0x80 && len(m.bus.outs) == 1 {
			m.c.SetINTR(true)
		}
	}
	m.runHalt()
	c := m.c
	require.Equal(t, 1, m.pic.acks, "exceptions %v", m.excs)
	assert.EqualValues(t, tmCode+0x10, c.Reg(EBX), "saved EIP = REP OUTSB")
	left := c.Reg(EDI)
	assert.True(t, left > 0 && left < n, "interrupted mid-way (ECX = %d)", left)
	assert.EqualValues(t, tmData+n-left, m.r32(0x600), "ESI matches ECX")
	assert.NotZero(t, c.Reg(EBP)&FlagRF, "RF pushed as 1")
	assert.EqualValues(t, 0, c.Reg(ECX))
	assert.EqualValues(t, tmData+n, c.Reg(ESI))
	require.Len(t, m.bus.outs, n)
	for k, o := range m.bus.outs {
		if o.V != uint32(data[k]) {
			t.Fatalf("byte %d: port got %#x, want %#x", k, o.V, data[k])
		}
	}
}

func TestProtSelfModifyingCode(t *testing.T) {
	// SDM vol. 3, 11.6 (see TestRealSelfModifyingCode).
	t.Run("rep stosb over the following code", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xB0, 0x90, // 00: mov al, 0x90 (nop)
			0xBF, 0x0E, 0x00, 0x01, 0x00, // 02: mov edi, 0x1000E
			0xB9, 0x02, 0x00, 0x00, 0x00, // 07: mov ecx, 2
			0xF3, 0xAA, // 0C: rep stosb
			0xB3, 0x77, // 0E: mov bl, 0x77   -> nop; nop
			0xF4, // 10: hlt
		})
		m.runHalt()
		assert.EqualValues(t, 0, m.c.Reg(EBX))
		assert.EqualValues(t, tmCode+0x11, m.c.EIP)
	})
	t.Run("page written as data before it held code", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xC6, 0x05, 0x00, 0x1F, 0x02, 0x00, 0x01, // mov byte [0x21F00], 1
			0xE9, 0xF4, 0x0F, 0x01, 0x00, // jmp 0x21000
		})
		m.load(0x21000, []byte{
			0xC6, 0x05, 0x0B, 0x10, 0x02, 0x00, 0x42, // 21000: mov byte [0x2100B], 0x42
			0x90, 0x90, 0x90, // 21007: nop x3
			0xB0, 0x11, // 2100A: mov al, 0x11
			0xF4, // 2100C: hlt
		})
		m.runHalt()
		assert.EqualValues(t, 0x42, m.c.Reg(EAX)&0xFF)
	})
	t.Run("loop body patched from another block", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xB9, 0x03, 0x00, 0x00, 0x00, // 00: mov ecx, 3
			0x31, 0xD2, // 05: xor edx, edx
			0xB0, 0x10, // 07: mov al, 0x10    ; imm at 08, patched
			0x00, 0xC2, // 09: add dl, al
			0xEB, 0x03, // 0B: jmp 0x10
			0x90, 0x90, 0x90, // 0D: nop x3
			0xFE, 0x05, 0x08, 0x00, 0x01, 0x00, // 10: inc byte [0x10008]
			0xE2, 0xEF, // 16: loop 0x07
			0xF4, // 18: hlt
		})
		m.runHalt()
		assert.EqualValues(t, 0x10+0x11+0x12, m.c.Reg(EDX)&0xFF)
	})
}

func TestStackPointerOperands(t *testing.T) {
	// SDM vol. 2, PUSH: PUSH ESP pushes ESP as it was before the
	// instruction. POP: with ESP as the base of a memory destination the
	// address is computed after ESP is incremented; POP ESP loads the
	// popped value.
	m := tmProt(t, []byte{
		0x54,             // push esp               ; [6FFC] = 7000
		0x8F, 0x04, 0x24, // pop dword [esp]         ; ESP = 7000, [7000] = 7000
		0x8B, 0x1C, 0x24, // mov ebx, [esp]
		0x89, 0xE1, // mov ecx, esp
		0xBC, 0xF8, 0x6F, 0x00, 0x00, // mov esp, 0x6FF8
		0x5C, // pop esp                ; ESP = [6FF8]
		0xF4, // hlt
	})
	m.w32(0x6FF8, 0x12345678)
	m.runHalt()
	c := m.c
	require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, tmStack0, c.Reg(ECX), "ESP after pop [esp]")
	assert.EqualValues(t, tmStack0, c.Reg(EBX), "[ESP] = value pushed by PUSH ESP")
	assert.EqualValues(t, 0x12345678, c.Reg(ESP), "POP ESP")
}

func TestRealHLTWithIFClear(t *testing.T) {
	// SDM vol. 2, HLT and vol. 3, 6.8.1: with IF = 0 a maskable interrupt
	// does not end HLT.
	m := tmReal(t, []byte{
		0xFA, // cli
		0xF4, // hlt
	})
	m.pic.vector = 0x40
	m.c.SetINTR(true)
	m.runHalt()
	m.runHalt()
	assert.Equal(t, -1, m.hitVector())
	assert.Equal(t, 0, m.pic.acks)
}
