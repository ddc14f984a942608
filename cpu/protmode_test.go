package cpu

// Protected-mode tests: segment loads, call gates, interrupt and trap
// gates, exceptions and their error codes, double and triple faults,
// hardware task switching. The setup (harness_test.go) is flat 32-bit
// code at CPL 0 with recording stubs behind every IDT vector.

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Extra descriptors used by the protected-mode tests.
func (m *tmMachine) addTestDescriptors() {
	m.setGDT(0x40, tmSeg(0, 0xFFFFF, 0x12, tmFlags32))          // data r/w DPL 0, not present
	m.setGDT(0x48, tmSeg(0, 0xFFFFF, 0x98, tmFlags32))          // code execute-only DPL 0
	m.setGDT(0x50, tmSeg(0, 0xFFFFF, 0x9A, tmFlags32))          // code execute/read DPL 0
	m.setGDT(0x58, tmSeg(0, 0x1234, 0x90, 0x4))                 // data read-only DPL 0, byte limit 1234h
	m.setGDT(0x60, tmSeg(0, 0xFFFFF, 0xF2, tmFlags32))          // data r/w DPL 3
	m.setGDT(0x68, tmSeg(0, 0xFFFFF, 0x9E, tmFlags32))          // code conforming readable DPL 0
	m.setGDT(0x70, tmSeg(0, 0xFFFFF, 0x12, tmFlags32))          // data r/w DPL 0, not present (for SS)
	m.setGDT(0x78, tmSeg(0, 0xFFFFF, 0x92, tmFlags32))          // data r/w DPL 0, accessed bit clear
	m.setGDT(0x80, tmSeg(tmData, 0xFF, 0x82, 0))                // LDT descriptor
	m.setGDT(0x88, tmSeg(0, 0xFFF, 0xF3, 0x4))                  // data r/w DPL 3, limit FFFh, B=1
	m.setGDT(0x90, tmSeg(tmTSSB, 0x60, tmAccTSSAvail, 0))       // TSS with limit < 67h
	m.setGDT(0x98, tmGate(tmSelCode0, tmHandler, 0x8C|3<<5, 0)) // call gate DPL 3 (used by LAR)
	m.setGDT(0xA0, tmGate(tmSelCode0, tmHandler, 0x8E, 0))      // an interrupt gate in the GDT
}

// movSeg returns "mov ax, sel ; mov sreg, ax" (32-bit code).
func movSeg(s int, sel uint16) []byte {
	return []byte{
		0x66, 0xB8, byte(sel), byte(sel >> 8), // mov ax, sel
		0x8E, 0xC0 | byte(s)<<3, // mov sreg, ax
	}
}

// exitFor is the instruction that ends a test program at the given CPL:
// HLT at ring 0, INT 7Fh (DPL-3 gate to a halting stub) at ring 3.
func exitFor(cpl int) []byte {
	if cpl == 3 {
		return []byte{0xCD, tmExitVector} // int 0x7F
	}
	return []byte{0xF4} // hlt
}

func TestProtSegmentLoads(t *testing.T) {
	// SDM vol. 2, MOV, "Operation" (loading a segment register in
	// protected mode) and LDS/LES/LFS/LGS/LSS "Operation":
	//  SS: null -> #GP(0); index outside the table, RPL != CPL, not a
	//      writable data segment, or DPL != CPL -> #GP(selector); not
	//      present -> #SS(selector).
	//  DS/ES/FS/GS: null is allowed; outside the table, not data or
	//      readable code, or (data or non-conforming code and (RPL > DPL
	//      or CPL > DPL)) -> #GP(selector); not present -> #NP(selector).
	// Selector error codes carry index and TI with the low two bits 0
	// (vol. 3, 6.13, figure 6-7).
	type tc struct {
		name   string
		cpl    int
		code   []byte
		vector int // -1: none
		code32 uint32
	}
	lds := []byte{
		0xC5, 0x05, 0x00, 0x00, 0x02, 0x00, // lds eax, [0x20000]   ; far pointer 0040:11111111
	}
	cases := []tc{
		{"ds null", 0, movSeg(DS, 0x0000), -1, 0},
		{"ds null rpl3", 0, movSeg(DS, 0x0003), -1, 0},
		{"ds readable code", 0, movSeg(DS, 0x50), -1, 0},
		{"ds beyond gdt limit", 0, movSeg(DS, 0x200), 13, 0x200},
		{"ds ldt selector without ldt", 0, movSeg(DS, 0x0C), 13, 0x0C},
		{"ds system descriptor", 0, movSeg(DS, tmSelTSSA), 13, tmSelTSSA},
		{"ds execute-only code", 0, movSeg(DS, 0x48), 13, 0x48},
		{"ds not present", 0, movSeg(DS, 0x40), 11, 0x40},
		{"es rpl > dpl", 0, movSeg(ES, 0x13), 13, 0x10},
		{"fs dpl < cpl", 3, movSeg(FS, 0x10), 13, 0x10},
		{"gs conforming code from ring 3", 3, movSeg(GS, 0x6B), -1, 0},
		{"ds dpl3 data rpl0 from ring 3", 3, movSeg(DS, 0x60), -1, 0},
		{"ss null", 0, movSeg(SS, 0x0000), 13, 0},
		{"ss read-only", 0, movSeg(SS, 0x58), 13, 0x58},
		{"ss code", 0, movSeg(SS, 0x50), 13, 0x50},
		{"ss dpl != cpl", 0, movSeg(SS, 0x60), 13, 0x60},
		{"ss rpl != cpl", 0, movSeg(SS, 0x13), 13, 0x10},
		{"ss not present", 0, movSeg(SS, 0x70), 12, 0x70},
		{"ss ok", 0, movSeg(SS, 0x10), -1, 0},
		{"ss from ring 3 with dpl0", 3, movSeg(SS, 0x13), 13, 0x10},
		{"lds not present", 0, lds, 11, 0x40},
		{"lss null", 0, []byte{
			0x0F, 0xB2, 0x05, 0x08, 0x00, 0x02, 0x00, // lss eax, [0x20008]
		}, 13, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, nil)
			m.addTestDescriptors()
			m.w32(tmData, 0x11111111) // far pointer 0040:11111111 at 20000h
			m.w16(tmData+4, 0x40)
			m.w32(tmData+8, 0x22222222) // far pointer 0000:22222222 at 20008h
			m.w16(tmData+12, 0)
			if c.cpl == 3 {
				m.toRing3()
			}
			m.load(tmCode, tmCat(c.code, exitFor(c.cpl)))
			before := m.c.Seg
			m.runHalt()
			if c.vector < 0 {
				if c.cpl == 3 {
					require.Equal(t, tmExitVector, m.hitVector(), "exceptions %v", m.excs)
				} else {
					require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
				}
				if c.code[0] == 0x66 { // movSeg: the register holds the selector
					s, sel := int(c.code[5]>>3&7), uint16(c.code[2])|uint16(c.code[3])<<8
					assert.Equal(t, sel, m.c.Seg[s].Selector)
				}
				return
			}
			require.Equal(t, c.vector, m.hitVector(), "exceptions %v", m.excs)
			require.Len(t, m.excs, 1)
			assert.Equal(t, c.code32, m.excs[0].Code, "error code")
			// movSeg programs fault on their second instruction (at +4),
			// LDS/LSS on their first.
			at := uint32(0)
			if c.code[0] == 0x66 {
				at = 4
			}
			f := m.frame(3)
			assert.Equal(t, c.code32, f[0], "error code on the stack")
			assert.Equal(t, tmCode+at, f[1], "saved EIP = the faulting load")
			for _, s := range []int{ES, SS, DS, FS, GS} {
				if c.cpl == 0 {
					assert.Equal(t, before[s].Selector, m.c.Seg[s].Selector, "segment %d unchanged", s)
				}
			}
			if at == 0 {
				assert.Zero(t, m.c.Reg(EAX), "LDS/LSS leave the offset register unchanged")
			}
		})
	}
}

func TestProtSegmentLoadSetsAccessed(t *testing.T) {
	// SDM vol. 3, 3.4.5.1: the processor sets the accessed bit of a
	// segment descriptor when it loads the selector into a segment
	// register.
	m := tmProt(t, tmCat(movSeg(ES, 0x78), []byte{0xF4}))
	m.addTestDescriptors()
	require.Zero(t, m.gdtAccess(0x78)&1)
	m.runHalt()
	require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, 0x93, m.gdtAccess(0x78))
	assert.EqualValues(t, 0x78, m.c.Seg[ES].Selector)
}

func TestProtCallGateRing3ToRing0(t *testing.T) {
	// SDM vol. 2, CALL, "CALL-GATE" / "MORE-PRIVILEGE" and vol. 3, 5.8.5 and
	// 5.8.6 (figure 5-13): a far CALL through a call gate to a more
	// privileged non-conforming segment loads SS:ESP for the new CPL from
	// the TSS, pushes the caller's SS and ESP, copies the gate's parameter
	// count of dwords from the old stack (keeping their order), then pushes
	// the caller's CS and EIP. RET n to the outer level (vol. 2, RET,
	// "RETURN-TO-OUTER-PRIVILEGE-LEVEL") releases n bytes on both stacks,
	// restores SS:ESP, and loads a null selector into any of ES, FS, GS, DS
	// that holds a data or non-conforming code segment with DPL < CPL.
	m := tmProt(t, []byte{
		0x68, 0x11, 0x11, 0x00, 0x00, // 00: push 0x1111
		0x68, 0x22, 0x22, 0x00, 0x00, // 05: push 0x2222
		0x9A, 0x00, 0x00, 0x00, 0x00, 0x43, 0x00, // 0A: call 0x0043:0   (call gate)
		0xCD, tmExitVector, // 11: int 0x7F
	})
	m.setGDT(0x40, tmGate(tmSelCode0, tmHandler, 0x8C|3<<5, 2)) // 32-bit call gate, DPL 3, 2 params
	m.load(tmHandler, []byte{
		0x66, 0xB8, 0x10, 0x00, // mov ax, 0x10
		0x8E, 0xC0, // mov es, ax     ; DPL-0 data: nulled by the return
		0x66, 0xB8, 0x23, 0x00, // mov ax, 0x23
		0x8E, 0xE0, // mov fs, ax     ; DPL-3 data: kept
		0xF4,             // hlt
		0xCA, 0x08, 0x00, // retf 8
	})
	m.toRing3()
	m.runHalt()
	c := m.c
	require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, 0, c.CPL())
	assert.EqualValues(t, tmSelCode0, c.Seg[CS].Selector)
	assert.EqualValues(t, tmSelData0, c.Seg[SS].Selector, "SS0 from the TSS")
	esp := c.Reg(ESP)
	require.EqualValues(t, tmStack0-24, esp)
	f := make([]uint32, 6)
	for k := range f {
		f[k] = m.r32(esp + uint32(k)*4)
	}
	assert.EqualValues(t, tmCode+0x11, f[0], "return EIP")
	assert.EqualValues(t, tmSelCode3, f[1]&0xFFFF, "return CS")
	assert.EqualValues(t, 0x2222, f[2], "parameter at the lowest address")
	assert.EqualValues(t, 0x1111, f[3], "second parameter")
	assert.EqualValues(t, tmStack3-8, f[4], "caller ESP")
	assert.EqualValues(t, tmSelData3, f[5]&0xFFFF, "caller SS")

	m.resume()
	require.Equal(t, tmExitVector, m.hitVector(), "exceptions %v", m.excs)
	g := m.frame(5)
	assert.EqualValues(t, tmCode+0x13, g[0], "back in ring 3 after the call")
	assert.EqualValues(t, tmSelCode3, g[1]&0xFFFF)
	assert.EqualValues(t, tmStack3, g[3], "RETF 8 released the parameters on the outer stack")
	assert.EqualValues(t, tmSelData3, g[4]&0xFFFF)
	assert.EqualValues(t, 0, c.Seg[ES].Selector, "ES (DPL 0 < CPL 3) nulled")
	assert.EqualValues(t, tmSelData3, c.Seg[FS].Selector, "FS (DPL 3) kept")
	assert.EqualValues(t, tmSelData3, c.Seg[DS].Selector, "DS (DPL 3) kept")
}

func TestProtInterruptVsTrapGate(t *testing.T) {
	// SDM vol. 3, 6.12.1.3: entering through an interrupt gate clears IF;
	// a trap gate leaves it. Both clear TF, VM, RF and NT. Same-privilege
	// frame: EFLAGS, CS, EIP (6.12.1, figure 6-4).
	for _, tc := range []struct {
		name   string
		access uint8
		ifOn   bool
	}{
		{"interrupt gate", tmAccIntGate, false},
		{"trap gate", tmAccTrapGate, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tmProt(t, []byte{
				0xCD, 0x30, // int 0x30
				0xF4, // hlt
			})
			m.setIDT(0x30, tmGate(tmSelCode0, tmStubs+0x30*32, tc.access, 0))
			m.c.SetFlags(0x2 | FlagIF)
			m.runHalt()
			require.Equal(t, 0x30, m.hitVector())
			assert.Equal(t, tc.ifOn, m.c.Flags()&FlagIF != 0, "IF in the handler")
			f := m.frame(3)
			assert.EqualValues(t, tmCode+2, f[0])
			assert.EqualValues(t, tmSelCode0, f[1]&0xFFFF)
			assert.NotZero(t, f[2]&FlagIF, "saved EFLAGS.IF")
			assert.EqualValues(t, tmStack0-12, m.r32(tmRecESP))
		})
	}
}

func TestProtInterruptFromRing3(t *testing.T) {
	// SDM vol. 3, 6.12.1 and figure 6-4: an interrupt or exception that
	// changes privilege switches to SS:ESP for the new CPL from the TSS and
	// pushes SS, ESP, EFLAGS, CS, EIP and, if any, the error code.
	t.Run("int n", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xCD, 0x30, // int 0x30
		})
		m.setIDT(0x30, tmGate(tmSelCode0, tmStubs+0x30*32, tmAccIntGate|3<<5, 0))
		m.toRing3()
		m.runHalt()
		require.Equal(t, 0x30, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, tmStack0-20, m.r32(tmRecESP))
		f := m.frame(5)
		assert.EqualValues(t, tmCode+2, f[0])
		assert.EqualValues(t, tmSelCode3, f[1]&0xFFFF)
		assert.EqualValues(t, tmStack3, f[3])
		assert.EqualValues(t, tmSelData3, f[4]&0xFFFF)
		assert.EqualValues(t, tmSelData0, m.c.Seg[SS].Selector)
		assert.EqualValues(t, 0, m.c.CPL())
	})
	t.Run("#GP with error code", func(t *testing.T) {
		m := tmProt(t, movSeg(DS, 0x10))
		m.toRing3()
		m.runHalt()
		require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, tmStack0-24, m.r32(tmRecESP))
		f := m.frame(6)
		assert.EqualValues(t, 0x10, f[0], "error code")
		assert.EqualValues(t, tmCode+4, f[1], "EIP of mov ds")
		assert.EqualValues(t, tmSelCode3, f[2]&0xFFFF)
		assert.EqualValues(t, tmStack3, f[4])
		assert.EqualValues(t, tmSelData3, f[5]&0xFFFF)
	})
}

func TestProtSoftwareInterruptChecks(t *testing.T) {
	// SDM vol. 2, INT n/INTO/INT3/INT1, "Operation":
	//  - vector*8+7 beyond the IDT limit, or not an interrupt, trap or
	//    task gate: #GP(vector*8 + 2 + EXT);
	//  - software interrupt (INT n, INT3, INTO; not INT1) with gate DPL <
	//    CPL: #GP(vector*8 + 2);
	//  - gate not present: #NP(vector*8 + 2 + EXT).
	// EXT is 1 for hardware interrupts and exceptions (vol. 3, 6.13).
	type tc struct {
		name   string
		cpl    int
		code   []byte
		setup  func(m *tmMachine)
		vector int
		ec     uint32
	}
	cases := []tc{
		{"int n gate dpl < cpl", 3, []byte{0xCD, 0x32}, // int 0x32
			nil, 13, 0x32*8 + 2},
		{"int3 gate dpl < cpl", 3, []byte{0xCC}, // int3
			nil, 13, 3*8 + 2},
		{"into gate dpl < cpl", 3, []byte{
			0xB0, 0x7F, // mov al, 0x7F
			0x04, 0x01, // add al, 1
			0xCE, // into
		}, nil, 13, 4*8 + 2},
		{"int1 has no dpl check", 3, []byte{0xF1}, // int1 (icebp)
			nil, 1, 0},
		{"gate not present", 3, []byte{0xCD, 0x33}, // int 0x33
			func(m *tmMachine) { m.setIDT(0x33, tmGate(tmSelCode0, tmStubs, 0x6E, 0)) }, 11, 0x33*8 + 2},
		{"beyond idt limit", 0, []byte{0xCD, 0x50}, // int 0x50
			func(m *tmMachine) { m.c.IDTR.Limit = 0x1FF }, 13, 0x50*8 + 2},
		{"not a gate", 0, []byte{0xCD, 0x35}, // int 0x35
			func(m *tmMachine) { m.setIDT(0x35, tmSeg(tmTSS, 0x67, tmAccTSSAvail, 0)) }, 13, 0x35*8 + 2},
		{"exception through not-present gate", 0, []byte{0x0F, 0x0B}, // ud2
			func(m *tmMachine) { m.setIDT(6, tmGate(tmSelCode0, tmStubs, 0x0E, 0)) }, 11, 6*8 + 2 + 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, tmCat(c.code, exitFor(c.cpl)))
			if c.cpl == 3 {
				m.toRing3()
			}
			if c.setup != nil {
				c.setup(m)
			}
			m.runHalt()
			require.Equal(t, c.vector, m.hitVector(), "exceptions %v", m.excs)
			if tmHasErrorCode(uint8(c.vector)) {
				assert.Equal(t, c.ec, m.frame(1)[0], "error code")
			}
		})
	}
	t.Run("hardware interrupt through not-present gate", func(t *testing.T) {
		m := tmProt(t, []byte{
			0x90, // nop
			0xF4, // hlt
		})
		m.setIDT(0x36, tmGate(tmSelCode0, tmStubs, 0x0E, 0))
		m.c.SetFlags(0x2 | FlagIF)
		m.pic.vector = 0x36
		m.c.SetINTR(true)
		m.runHalt()
		require.Equal(t, 11, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, 0x36*8+2+1, m.frame(1)[0], "#NP(vector*8 + IDT + EXT)")
	})
	t.Run("hardware interrupt beyond idt limit", func(t *testing.T) {
		m := tmProt(t, []byte{
			0x90, // nop
			0xF4, // hlt
		})
		m.c.IDTR.Limit = 0x1FF
		m.c.SetFlags(0x2 | FlagIF)
		m.pic.vector = 0x50
		m.c.SetINTR(true)
		m.runHalt()
		require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, 0x50*8+2+1, m.frame(1)[0], "#GP(vector*8 + IDT + EXT)")
	})
}

func TestProtExceptionFrames(t *testing.T) {
	// SDM vol. 3, 6.15 and table 6-1: #DF, #TS, #NP, #SS, #GP, #PF and #AC
	// push an error code, the others do not; faults save the CS:EIP of the
	// faulting instruction, traps those of the next one.
	cases := []struct {
		name   string
		cpl    int
		code   []byte
		vector int
		ec     int64 // -1: no error code
		eip    uint32
	}{
		{"#UD", 0, []byte{0x0F, 0x0B}, 6, -1, tmCode},          // ud2
		{"#BP trap", 0, []byte{0xCC, 0xF4}, 3, -1, tmCode + 1}, // int3
		{"#DE", 0, []byte{
			0x31, 0xDB, // xor ebx, ebx
			0xF7, 0xF3, // div ebx
		}, 0, -1, tmCode + 2},
		{"#GP(sel)", 0, movSeg(DS, 0x200), 13, 0x200, tmCode + 4},
		{"#GP(0) limit", 0, []byte{
			0x8B, 0x05, 0xFE, 0xFF, 0xFF, 0xFF, // mov eax, [0xFFFFFFFE]
		}, 13, 0, tmCode},
		{"#NP(sel)", 0, movSeg(DS, 0x40), 11, 0x40, tmCode + 4},
		{"#SS(sel)", 0, movSeg(SS, 0x70), 12, 0x70, tmCode + 4},
		{"#SS(0) stack limit", 3, tmCat(movSeg(SS, 0x8B), []byte{
			0xBC, 0x00, 0x20, 0x00, 0x00, // mov esp, 0x2000
			0x50, // push eax       ; 1FFCh > limit FFFh
		}), 12, 0, tmCode + 11},
		{"#TS(sel) tss limit < 67h", 0, []byte{
			0xEA, 0x00, 0x00, 0x00, 0x00, 0x90, 0x00, // jmp 0x0090:0
		}, 10, 0x90, tmCode},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, c.code)
			m.addTestDescriptors()
			m.writeTSS32(tmTSSB, tmTSSState{EIP: tmTaskCode, CS: tmSelCode0, SS: tmSelData0, DS: tmSelData0, ES: tmSelData0, EFLAGS: 2})
			if c.cpl == 3 {
				m.toRing3()
			}
			m.runHalt()
			require.Equal(t, c.vector, m.hitVector(), "exceptions %v", m.excs)
			frameLen := uint32(3)
			if c.cpl == 3 {
				frameLen = 5
			}
			f := m.frame(6)
			if c.ec >= 0 {
				frameLen++
				assert.EqualValues(t, c.ec, f[0], "error code")
				f = f[1:]
			}
			assert.Equal(t, c.eip, f[0], "saved EIP")
			assert.EqualValues(t, tmStack0-4*frameLen, m.r32(tmRecESP), "frame size")
		})
	}
}

func TestProtDoubleFault(t *testing.T) {
	// SDM vol. 3, 6.15, interrupt 8, tables 6-4 and 6-5: a contributory
	// exception (#DE, #TS, #NP, #SS, #GP) raised while delivering another
	// contributory exception, or a contributory exception or #PF while
	// delivering a #PF, becomes #DF with error code 0; a benign first
	// exception is followed serially. A fault while delivering #DF shuts
	// the processor down (triple fault).
	t.Run("#GP during #NP delivery", func(t *testing.T) {
		m := tmProt(t, movSeg(DS, 0x40))
		m.addTestDescriptors()
		m.setIDT(11, tmGate(0x200, tmStubs+11*32, tmAccIntGate, 0)) // code selector beyond the GDT
		m.runHalt()
		require.Equal(t, 8, m.hitVector(), "exceptions %v", m.excs)
		v := m.excVectors()
		assert.EqualValues(t, 11, v[0])
		assert.EqualValues(t, 8, v[len(v)-1])
		assert.NotContains(t, v, uint8(13), "the #GP is not delivered")
		assert.EqualValues(t, 0, m.frame(1)[0], "#DF error code is 0")
	})
	t.Run("#NP during #GP delivery", func(t *testing.T) {
		m := tmProt(t, movSeg(DS, 0x200))
		m.setIDT(13, tmGate(tmSelCode0, tmStubs+13*32, 0x0E, 0)) // not present
		m.runHalt()
		require.Equal(t, 8, m.hitVector(), "exceptions %v", m.excs)
		v := m.excVectors()
		assert.EqualValues(t, 13, v[0])
		assert.EqualValues(t, 8, v[len(v)-1])
		assert.EqualValues(t, 0, m.frame(1)[0])
	})
	t.Run("benign then contributory is serial", func(t *testing.T) {
		m := tmProt(t, []byte{0x0F, 0x0B})                        // ud2
		m.setIDT(6, tmGate(0x200, tmStubs+6*32, tmAccIntGate, 0)) // #UD gate: bad selector
		m.runHalt()
		require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
		assert.Equal(t, []uint8{6, 13}, m.excVectors())
	})
	t.Run("triple fault", func(t *testing.T) {
		m := tmProt(t, []byte{0x0F, 0x0B}) // ud2
		m.c.IDTR.Limit = 0
		r := m.run()
		require.Equal(t, StopShutdown, r, "exceptions %v", m.excs)
		assert.True(t, m.c.Shutdown())
		assert.Equal(t, -1, m.hitVector())
		assert.Equal(t, []uint8{6, 13, 8}, m.excVectors())
		info := m.c.ShutdownInfo
		for _, s := range []string{"triple", "#UD", "#GP", "#DF", "0008:"} {
			assert.Contains(t, info, s)
		}
		assert.Contains(t, info, fmt.Sprintf("%05X", tmCode), "EIP of the UD2")
		// Once shut down, the CPU stays there.
		assert.Equal(t, StopShutdown, m.c.Run(100))
	})
	t.Run("fault in #DF delivery", func(t *testing.T) {
		m := tmProt(t, movSeg(DS, 0x200))
		m.setIDT(13, tmGate(tmSelCode0, tmStubs+13*32, 0x0E, 0)) // #GP gate not present
		m.setIDT(8, tmGate(tmSelCode0, tmStubs+8*32, 0x0E, 0))   // #DF gate not present
		require.Equal(t, StopShutdown, m.run(), "exceptions %v", m.excs)
		assert.Contains(t, m.c.ShutdownInfo, "#DF")
	})
}

func TestProtErrorCodeEXTBit(t *testing.T) {
	// SDM vol. 3, 6.13: the EXT bit (bit 0) of an error code is set when
	// the exception occurred during delivery of an event external to the
	// program (a hardware interrupt or an earlier exception). Vol. 2, INT n
	// pseudo-code: "#GP(selector + EXT)" for a gate code selector beyond
	// the descriptor table, "#TS(NewSS selector + EXT)" for a bad TSS stack
	// segment.
	t.Run("INTR gate selector beyond GDT", func(t *testing.T) {
		m := tmProt(t, []byte{
			0x90, // nop
			0xF4, // hlt
		})
		m.setIDT(0x38, tmGate(0x200, tmStubs, tmAccIntGate, 0))
		m.c.SetFlags(0x2 | FlagIF)
		m.pic.vector = 0x38
		m.c.SetINTR(true)
		m.runHalt()
		require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, 0x200|1, m.frame(1)[0], "#GP(selector + EXT)")
	})
	t.Run("exception with bad SS0", func(t *testing.T) {
		m := tmProt(t, []byte{0x0F, 0x0B}) // ud2
		m.toRing3()
		m.w16(tmTSS+8, tmSelCode0) // SS0 = a code segment
		m.run()
		require.GreaterOrEqual(t, len(m.excs), 2, "exceptions %v", m.excs)
		assert.Equal(t, tmExc{6, 0}, m.excs[0])
		assert.Equal(t, tmExc{10, tmSelCode0 | 1}, m.excs[1], "#TS(SS0 + EXT)")
	})
	t.Run("INT n with bad SS0 has EXT clear", func(t *testing.T) {
		m := tmProt(t, []byte{0xCD, 0x30}) // int 0x30
		m.setIDT(0x30, tmGate(tmSelCode0, tmStubs+0x30*32, tmAccIntGate|3<<5, 0))
		m.toRing3()
		m.w16(tmTSS+8, tmSelCode0)
		m.run()
		require.NotEmpty(t, m.excs)
		assert.Equal(t, tmExc{10, tmSelCode0}, m.excs[0], "#TS(SS0)")
	})
}

func TestProtTaskSwitch(t *testing.T) {
	// SDM vol. 3, 7.3 and table 7-2. JMP: old task not busy, new task busy,
	// NT of the new task as loaded, link unchanged. CALL, interrupt:
	// old task stays busy, new task busy, NT set, the previous-task link of
	// the new TSS holds the old TR. IRET with NT: back to the linked task,
	// the returning task's busy flag cleared and NT cleared in its saved
	// EFLAGS. Every task switch sets CR0.TS. The outgoing state is saved in
	// the old TSS (EIP of the next instruction; of the faulting one for a
	// fault) and an error code is pushed on the new task's stack.
	const selTSSB = 0x48
	const selGate = 0x50
	setup := func(t *testing.T, code []byte) *tmMachine {
		m := tmProt(t, code)
		m.setGDT(selTSSB, tmSeg(tmTSSB, 0x67, tmAccTSSAvail, 0))
		m.setGDT(selGate, tmGate(selTSSB, 0, tmAccTaskGate, 0))
		m.writeTSS32(tmTSSB, tmTSSState{
			EIP: tmTaskCode, EFLAGS: 0x2, EAX: 0xB0B0, ESP: tmStackB,
			CS: tmSelCode0, SS: tmSelData0, DS: tmSelData0, ES: tmSelData0, FS: tmSelData0, GS: tmSelData0,
		})
		m.load(tmTaskCode, []byte{
			0xF4, // hlt
			0xCF, // iretd     ; return to the calling task
		})
		m.c.SetReg(EAX, 0xA1A1)
		return m
	}
	typ := func(m *tmMachine, sel uint16) uint8 { return m.gdtAccess(sel) & 0xF }

	t.Run("jmp to tss", func(t *testing.T) {
		m := setup(t, []byte{
			0xEA, 0x00, 0x00, 0x00, 0x00, selTSSB, 0x00, // jmp 0x0048:0
			0xF4, // hlt
		})
		m.runHalt()
		c := m.c
		require.EqualValues(t, selTSSB, c.TR.Selector, "exceptions %v", m.excs)
		assert.EqualValues(t, tmTaskCode+1, c.EIP)
		assert.EqualValues(t, 0xB0B0, c.Reg(EAX))
		assert.EqualValues(t, tmStackB, c.Reg(ESP))
		assert.EqualValues(t, 0x9, typ(m, tmSelTSSA), "old task no longer busy")
		assert.EqualValues(t, 0xB, typ(m, selTSSB), "new task busy")
		assert.Zero(t, c.Flags()&FlagNT)
		assert.EqualValues(t, 0, m.r16(tmTSSB), "link unchanged")
		assert.NotZero(t, c.CR0&CR0TS)
		assert.EqualValues(t, tmCode+7, m.r32(tmTSS+0x20), "saved EIP")
		assert.EqualValues(t, 0xA1A1, m.r32(tmTSS+0x28), "saved EAX")
		assert.EqualValues(t, tmStack0, m.r32(tmTSS+0x38), "saved ESP")
		assert.EqualValues(t, tmSelCode0, m.r16(tmTSS+0x4C), "saved CS")
		assert.EqualValues(t, tmSelData0, m.r16(tmTSS+0x50), "saved SS")
	})
	t.Run("call through task gate and iret back", func(t *testing.T) {
		m := setup(t, []byte{
			0x9A, 0x00, 0x00, 0x00, 0x00, selGate, 0x00, // call 0x0050:0
			0xF4, // hlt
		})
		m.runHalt()
		c := m.c
		require.EqualValues(t, selTSSB, c.TR.Selector, "exceptions %v", m.excs)
		assert.NotZero(t, c.Flags()&FlagNT, "NT set in the called task")
		assert.EqualValues(t, tmSelTSSA, m.r16(tmTSSB), "previous-task link")
		assert.EqualValues(t, 0xB, typ(m, tmSelTSSA), "caller stays busy")
		assert.EqualValues(t, 0xB, typ(m, selTSSB))
		assert.EqualValues(t, tmCode+7, m.r32(tmTSS+0x20))

		m.c.CR0 &^= CR0TS
		m.resume()
		require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, tmSelTSSA, c.TR.Selector, "back in task A")
		assert.EqualValues(t, tmCode+8, c.EIP)
		assert.EqualValues(t, 0xA1A1, c.Reg(EAX))
		assert.EqualValues(t, tmStack0, c.Reg(ESP))
		assert.EqualValues(t, 0x9, typ(m, selTSSB), "returning task not busy")
		assert.EqualValues(t, 0xB, typ(m, tmSelTSSA))
		assert.Zero(t, c.Flags()&FlagNT)
		assert.Zero(t, m.r32(tmTSSB+0x24)&FlagNT, "NT cleared in the saved EFLAGS of task B")
		assert.EqualValues(t, tmTaskCode+2, m.r32(tmTSSB+0x20), "task B saved EIP after IRET")
		assert.NotZero(t, c.CR0&CR0TS)
	})
	t.Run("interrupt through task gate", func(t *testing.T) {
		m := setup(t, []byte{
			0xCD, 0x40, // int 0x40
			0xF4, // hlt
		})
		m.setIDT(0x40, tmGate(selTSSB, 0, tmAccTaskGate, 0))
		m.runHalt()
		c := m.c
		require.EqualValues(t, selTSSB, c.TR.Selector, "exceptions %v", m.excs)
		assert.NotZero(t, c.Flags()&FlagNT)
		assert.EqualValues(t, tmSelTSSA, m.r16(tmTSSB))
		assert.EqualValues(t, tmCode+2, m.r32(tmTSS+0x20), "saved EIP after INT")
		assert.EqualValues(t, tmStackB, c.Reg(ESP), "no error code")
	})
	t.Run("exception with error code through task gate", func(t *testing.T) {
		m := setup(t, movSeg(DS, 0x200))
		m.setIDT(13, tmGate(selTSSB, 0, tmAccTaskGate, 0))
		m.runHalt()
		c := m.c
		require.EqualValues(t, selTSSB, c.TR.Selector, "exceptions %v", m.excs)
		assert.EqualValues(t, tmStackB-4, c.Reg(ESP))
		assert.EqualValues(t, 0x200, m.r32(tmStackB-4), "error code on the new task's stack")
		assert.EqualValues(t, tmCode+4, m.r32(tmTSS+0x20), "saved EIP = faulting instruction")
	})
	t.Run("jmp to busy tss", func(t *testing.T) {
		// Vol. 2, JMP, TASK-STATE-SEGMENT: #GP(TSS selector) if the TSS
		// is not available.
		m := setup(t, []byte{
			0xEA, 0x00, 0x00, 0x00, 0x00, tmSelTSSA, 0x00, // jmp 0x0028:0
		})
		m.runHalt()
		require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, tmSelTSSA, m.frame(1)[0])
	})
	t.Run("call through task gate to busy tss", func(t *testing.T) {
		// Vol. 2, CALL, TASK-GATE: #GP(TSS selector) if the TSS is busy.
		m := setup(t, []byte{
			0x9A, 0x00, 0x00, 0x00, 0x00, selGate, 0x00, // call 0x0050:0
		})
		m.setGDT(selTSSB, tmSeg(tmTSSB, 0x67, tmAccTSSBusy, 0))
		m.runHalt()
		require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, selTSSB, m.frame(1)[0])
	})
}

func TestProtTaskSwitchTrapBit(t *testing.T) {
	// SDM vol. 3, 17.3.1.5 and 7.2.1: when the T flag of the new task's
	// TSS is set, a debug exception (DR6.BT = 1) is generated after control
	// has passed to the new task and before its first instruction executes.
	const selTSSB = 0x48
	m := tmProt(t, []byte{
		0xEA, 0x00, 0x00, 0x00, 0x00, selTSSB, 0x00, // jmp 0x0048:0
	})
	m.setGDT(selTSSB, tmSeg(tmTSSB, 0x67, tmAccTSSAvail, 0))
	m.writeTSS32(tmTSSB, tmTSSState{
		EIP: tmTaskCode, EFLAGS: 0x2, ESP: tmStackB,
		CS: tmSelCode0, SS: tmSelData0, DS: tmSelData0, ES: tmSelData0, FS: tmSelData0, GS: tmSelData0,
	})
	m.w16(tmTSSB+0x64, 1) // T
	m.load(tmTaskCode, []byte{
		0x40, // inc eax
		0xF4, // hlt
	})
	m.runHalt()
	require.Equal(t, 1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, selTSSB, m.c.TR.Selector)
	assert.EqualValues(t, tmTaskCode, m.frame(1)[0], "before the new task's first instruction")
	assert.EqualValues(t, 0, m.c.Reg(EAX))
	assert.NotZero(t, m.c.DR[6]&(1<<15), "DR6.BT")
}

func TestProt16BitInterruptGate(t *testing.T) {
	// SDM vol. 3, 6.12.1 (figure 6-4 note): through a 16-bit interrupt or
	// trap gate the processor pushes 16-bit FLAGS, CS and IP, and the
	// handler offset is 16 bits.
	m := tmProt(t, []byte{
		0xCD, 0x30, // int 0x30      (16-bit code segment 30h, IP 0)
		0xF4, // hlt
	})
	m.load(tmCode+0x100, []byte{0xF4}) // handler: hlt
	m.setIDT(0x30, tmGate(tmSelCode16, 0x0100, 0x86, 0))
	m.setSeg(CS, tmSelCode16)
	m.c.EIP = 0
	m.runHalt()
	c := m.c
	require.Empty(t, m.excs)
	assert.EqualValues(t, tmSelCode16, c.Seg[CS].Selector)
	assert.EqualValues(t, 0x101, c.EIP)
	require.EqualValues(t, tmStack0-6, c.Reg(ESP), "three words pushed")
	assert.EqualValues(t, 2, m.r16(tmStack0-6), "IP")
	assert.EqualValues(t, tmSelCode16, m.r16(tmStack0-4), "CS")
	assert.EqualValues(t, 0x2, m.r16(tmStack0-2)&0xFF, "FLAGS")
}

func TestProtJumpToNotPresentCode(t *testing.T) {
	// SDM vol. 2, JMP (far): a code segment that is not present raises
	// #NP(selector).
	m := tmProt(t, []byte{
		0xEA, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, // jmp 0x00C0:0
	})
	m.setGDT(0xC0, tmSeg(0, 0xFFFFF, 0x1A, tmFlags32)) // code, not present
	m.runHalt()
	require.Equal(t, 11, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, 0xC0, m.frame(1)[0])
}

func TestEnterNested(t *testing.T) {
	// SDM vol. 2, ENTER, "Operation" for a nesting level of 2: push EBP,
	// FrameTemp = ESP, push the frame pointer found at EBP-4, push
	// FrameTemp, EBP = FrameTemp, ESP = ESP - size.
	m := tmProt(t, []byte{
		0xC8, 0x08, 0x00, 0x02, // enter 8, 2
		0xF4, // hlt
	})
	m.c.SetReg(EBP, 0x6F00)
	m.w32(0x6EFC, 0xAAAA)
	m.runHalt()
	c := m.c
	require.Empty(t, m.excs)
	assert.EqualValues(t, 0x6FFC, c.Reg(EBP))
	assert.EqualValues(t, 0x6FEC, c.Reg(ESP))
	assert.EqualValues(t, 0x6F00, m.r32(0x6FFC), "old EBP")
	assert.EqualValues(t, 0xAAAA, m.r32(0x6FF8), "outer frame pointer")
	assert.EqualValues(t, 0x6FFC, m.r32(0x6FF4), "FrameTemp")
}

func TestDeviceNotAvailable(t *testing.T) {
	// SDM vol. 3, 2.5 and table 2-2: with CR0.EM = 1 an x87 instruction
	// raises #NM; with CR0.TS = 1 and CR0.MP = 1, WAIT/FWAIT raises #NM.
	// #NM is a fault without error code (6.15, interrupt 7).
	for _, tc := range []struct {
		name string
		cr0  uint32
		code []byte
	}{
		{"EM: fld st0", CR0EM, []byte{0xD9, 0xC0}},   // fld st0
		{"EM: fninit", CR0EM, []byte{0xDB, 0xE3}},    // fninit
		{"TS+MP: wait", CR0TS | CR0MP, []byte{0x9B}}, // wait
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tmProt(t, tmCat(tc.code, []byte{0xF4}))
			m.c.SetControlRegisters(CR0PE|tc.cr0, 0, 0)
			m.runHalt()
			require.Equal(t, 7, m.hitVector(), "exceptions %v", m.excs)
			assert.EqualValues(t, tmCode, m.frame(1)[0])
		})
	}
}

func TestLMSWCannotClearPE(t *testing.T) {
	// SDM vol. 2, LMSW: loads CR0 bits 0-3 but cannot clear PE.
	m := tmProt(t, []byte{
		0x66, 0xB8, 0x08, 0x00, // mov ax, 8      ; TS
		0x0F, 0x01, 0xF0, // lmsw ax
		0xF4, // hlt
	})
	m.runHalt()
	require.Empty(t, m.excs)
	assert.EqualValues(t, CR0PE|CR0TS, m.c.CR0&0xF)
}
