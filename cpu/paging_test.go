package cpu

// Paging (CR0.PG) tests. enablePaging identity-maps 0-4 MiB with user,
// writable pages; the tests map pages at 4 MiB and above through tmPT1 or
// 4-MiB page-directory entries. PTE bits (SDM vol. 3, 4.3, tables 4-5/4-6).

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	pgP  = 1 << 0
	pgRW = 1 << 1
	pgUS = 1 << 2
	pgA  = 1 << 5
	pgD  = 1 << 6
	pgPS = 1 << 7
	pgG  = 1 << 8
)

func TestPagingFaultErrorCodes(t *testing.T) {
	// SDM vol. 3, 4.7 and figure 4-12: the #PF error code has P = 0 for a
	// not-present page and 1 for a protection violation, W/R = 1 for a
	// write, U/S = 1 for a user-mode (CPL 3) access; CR2 holds the linear
	// address. 4.6: user accesses need U/S = 1 in both PDE and PTE, user
	// writes R/W = 1 in both; supervisor writes to read-only pages fault
	// only with CR0.WP = 1.
	const lin = 0x401000
	const phys = 0x601000
	read := []byte{0xA1, 0x00, 0x10, 0x40, 0x00} // mov eax, [0x401000]
	write := []byte{
		0xC7, 0x05, 0x00, 0x10, 0x40, 0x00, 0x78, 0x56, 0x34, 0x12, // mov dword [0x401000], 0x12345678
	}
	cases := []struct {
		name  string
		cpl   int
		wp    bool
		pde   uint32 // extra restriction: PDE bits to clear
		pte   uint32
		write bool
		ec    int64 // -1: no fault
	}{
		{"not present read cpl0", 0, false, 0, 0, false, 0},
		{"not present write cpl0", 0, false, 0, 0, true, 2},
		{"not present read cpl3", 3, false, 0, 0, false, 4},
		{"not present write cpl3", 3, false, 0, 0, true, 6},
		{"user write read-only", 3, false, 0, pgP | pgUS, true, 7},
		{"user read read-only ok", 3, false, 0, pgP | pgUS, false, -1},
		{"user read supervisor", 3, false, 0, pgP | pgRW, false, 5},
		{"user write supervisor", 3, false, 0, pgP | pgRW, true, 7},
		{"supervisor write read-only wp=0", 0, false, 0, pgP, true, -1},
		{"supervisor write read-only wp=1", 0, true, 0, pgP, true, 3},
		{"supervisor read supervisor ok", 0, true, 0, pgP, false, -1},
		{"user write with read-only pde", 3, false, pgRW, pgP | pgRW | pgUS, true, 7},
		{"user read with supervisor pde", 3, false, pgUS, pgP | pgRW | pgUS, false, 5},
		{"user write ok", 3, true, 0, pgP | pgRW | pgUS, true, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code := read
			if c.write {
				code = write
			}
			m := tmProt(t, tmCat(code, exitFor(c.cpl)))
			var cr0 uint32
			if c.wp {
				cr0 = CR0WP
			}
			m.enablePaging(cr0, 0)
			m.w32(tmPD+4, m.r32(tmPD+4)&^c.pde)
			m.w32(tmPTEAddr(lin), phys|c.pte)
			m.w32(phys, 0xCAFEF00D)
			if c.cpl == 3 {
				m.toRing3()
			}
			m.c.SetReg(EAX, 0x11111111)
			m.runHalt()
			if c.ec < 0 {
				if c.cpl == 3 {
					require.Equal(t, tmExitVector, m.hitVector(), "exceptions %v", m.excs)
				} else {
					require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
				}
				if c.write {
					assert.EqualValues(t, 0x12345678, m.r32(phys))
				} else {
					assert.EqualValues(t, 0xCAFEF00D, m.c.Reg(EAX))
				}
				return
			}
			require.Equal(t, 14, m.hitVector(), "exceptions %v", m.excs)
			assert.EqualValues(t, c.ec, m.frame(1)[0], "error code")
			assert.EqualValues(t, lin, m.c.CR2)
			assert.EqualValues(t, tmCode, m.frame(2)[1], "saved EIP")
			assert.EqualValues(t, 0xCAFEF00D, m.r32(phys), "no write")
			assert.EqualValues(t, 0x11111111, m.c.Reg(EAX), "no load")
		})
	}
}

func TestPagingAccessedDirty(t *testing.T) {
	// SDM vol. 3, 4.8: the processor sets the accessed flag in every
	// paging-structure entry used for a translation, and the dirty flag in
	// the entry mapping the page (PTE, or PDE with PS = 1) on a write.
	t.Run("4 KiB", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xA1, 0x00, 0x10, 0x40, 0x00, // mov eax, [0x401000]
			0xF4,                                                       // hlt
			0xC7, 0x05, 0x00, 0x10, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00, // mov dword [0x401000], 1
			0xF4, // hlt
		})
		m.enablePaging(0, 0)
		m.w32(tmPD+4, tmPT1|pgP|pgRW|pgUS) // A clear
		m.w32(tmPTEAddr(0x401000), 0x601000|pgP|pgRW)
		m.runHalt()
		assert.NotZero(t, m.r32(tmPD+4)&pgA, "PDE.A after a read")
		pte := m.r32(tmPTEAddr(0x401000))
		assert.NotZero(t, pte&pgA, "PTE.A after a read")
		assert.Zero(t, pte&pgD, "PTE.D clear after a read")
		m.resume()
		assert.NotZero(t, m.r32(tmPTEAddr(0x401000))&pgD, "PTE.D after a write")
		assert.EqualValues(t, 1, m.r32(0x601000))
	})
	t.Run("4 MiB", func(t *testing.T) {
		// Vol. 3, 4.3 and table 4-4: with CR4.PSE = 1 a PDE with PS = 1
		// maps a 4-MiB page; bits 31:22 are the page frame.
		m := tmProt(t, []byte{
			0xA1, 0x10, 0x00, 0x80, 0x00, // mov eax, [0x800010]
			0xF4,                                                       // hlt
			0xC7, 0x05, 0x14, 0x00, 0x80, 0x00, 0x99, 0x00, 0x00, 0x00, // mov dword [0x800014], 0x99
			0xF4, // hlt
		})
		m.enablePaging(0, CR4PSE)
		m.w32(tmPD+8, 0x400000|pgPS|pgP|pgRW) // linear 800000h -> physical 400000h
		m.w32(0x400010, 0x4D4D4D4D)
		m.runHalt()
		require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, 0x4D4D4D4D, m.c.Reg(EAX))
		pde := m.r32(tmPD + 8)
		assert.NotZero(t, pde&pgA)
		assert.Zero(t, pde&pgD)
		m.resume()
		assert.NotZero(t, m.r32(tmPD+8)&pgD)
		assert.EqualValues(t, 0x99, m.r32(0x400014))
	})
}

func TestPagingRepMovsbRestart(t *testing.T) {
	// SDM vol. 3, 6.5 (faults are restartable) and vol. 2, REP: a fault
	// in an iteration of a repeated string instruction leaves ECX, ESI and
	// EDI reflecting the iterations completed; after the handler fixes
	// the cause, IRET re-executes the instruction, which finishes the job.
	m := tmProt(t, []byte{
		0xBE, 0x00, 0x10, 0x40, 0x00, // 00: mov esi, 0x401000
		0xBF, 0xF8, 0x2F, 0x40, 0x00, // 05: mov edi, 0x402FF8
		0xB9, 0x10, 0x00, 0x00, 0x00, // 0A: mov ecx, 16
		0xFC,       // 0F: cld
		0xF3, 0xA4, // 10: rep movsb
		0xF4, // 12: hlt
	})
	m.enablePaging(0, 0)
	m.w32(tmPTEAddr(0x401000), 0x601000|pgP|pgRW)
	m.w32(tmPTEAddr(0x402000), 0x602000|pgP|pgRW)
	// 403000h not present yet.
	src := []byte("0123456789ABCDEF")
	m.load(0x601000, src)
	m.runHalt()
	c := m.c
	require.Equal(t, 14, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, 0x403000, c.CR2)
	assert.EqualValues(t, 2, m.frame(1)[0], "supervisor write to a not-present page")
	assert.EqualValues(t, tmCode+0x10, m.frame(2)[1], "saved EIP = REP MOVSB")
	assert.EqualValues(t, 8, c.Reg(ECX))
	assert.EqualValues(t, 0x401008, c.Reg(ESI))
	assert.EqualValues(t, 0x403000, c.Reg(EDI))
	assert.Equal(t, src[:8], m.bytes(0x602FF8, 8))

	m.w32(tmPTEAddr(0x403000), 0x603000|pgP|pgRW)
	m.resume() // the stub drops the error code and IRETs
	require.EqualValues(t, tmCode+0x13, c.EIP, "exceptions %v", m.excs)
	assert.EqualValues(t, 0, c.Reg(ECX))
	assert.EqualValues(t, 0x401010, c.Reg(ESI))
	assert.EqualValues(t, 0x403008, c.Reg(EDI))
	assert.Equal(t, src[8:], m.bytes(0x603000, 8))
}

func TestPagingCrossPageAccess(t *testing.T) {
	// An access that spans two pages, the second not present, raises #PF
	// for the second page (CR2 = its first byte) and, being a fault,
	// leaves the state as before the instruction (SDM vol. 3, 6.5): no
	// byte of a store is written.
	cases := []struct {
		name  string
		cpl   int
		code  []byte
		write bool
	}{
		{"dword store", 0, []byte{
			0xC7, 0x05, 0xFE, 0x2F, 0x40, 0x00, 0x44, 0x33, 0x22, 0x11, // mov dword [0x402FFE], 0x11223344
		}, true},
		{"word store", 0, []byte{
			0x66, 0xC7, 0x05, 0xFF, 0x2F, 0x40, 0x00, 0x22, 0x11, // mov word [0x402FFF], 0x1122
		}, true},
		{"read-modify-write", 0, []byte{
			0x83, 0x05, 0xFE, 0x2F, 0x40, 0x00, 0x01, // add dword [0x402FFE], 1
		}, true},
		{"push (ring 3)", 3, []byte{
			0xBC, 0x02, 0x30, 0x40, 0x00, // mov esp, 0x403002
			0x68, 0x44, 0x33, 0x22, 0x11, // push 0x11223344    ; 402FFEh..403001h
		}, true},
		{"dword load", 0, []byte{
			0xA1, 0xFE, 0x2F, 0x40, 0x00, // mov eax, [0x402FFE]
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, c.code)
			m.enablePaging(0, 0)
			m.w32(tmPTEAddr(0x402000), 0x602000|pgP|pgRW|pgUS)
			m.w16(0x602FFE, 0xEEEE)
			if c.cpl == 3 {
				m.toRing3()
			}
			m.runHalt()
			require.Equal(t, 14, m.hitVector(), "exceptions %v", m.excs)
			assert.EqualValues(t, 0x403000, m.c.CR2)
			ec := uint32(0)
			if c.write {
				ec = 2
			}
			if c.cpl == 3 {
				ec |= 4
			}
			assert.Equal(t, ec, m.frame(1)[0])
			assert.EqualValues(t, 0xEEEE, m.r16(0x602FFE), "first page untouched")
		})
	}
}

func TestPagingInstructionFetchAcrossPages(t *testing.T) {
	// An instruction whose tail lies on a not-present page faults with
	// CR2 = the start of that page and the saved EIP at the instruction
	// (SDM vol. 3, 6.15, interrupt 14; fetches are reads: error code 0 at
	// CPL 0). After the page is mapped the instruction restarts. When the
	// tail page is later remapped (and invalidated with INVLPG, vol. 3,
	// 4.10.4.1), the instruction must be fetched from the new frame.
	m := tmProt(t, nil)
	m.enablePaging(0, 0)
	m.w32(tmPTEAddr(0x402000), 0x602000|pgP|pgRW)
	m.load(0x602FFC, []byte{0xB8, 0x78, 0x56, 0x34}) // mov eax, 0x12345678 (first 4 bytes)
	m.load(0x603000, []byte{0x12, 0xF4})             // ... last byte; hlt
	m.load(0x604000, []byte{0xAB, 0xF4})             // alternative tail
	m.c.EIP = 0x402FFC
	m.runHalt()
	c := m.c
	require.Equal(t, 14, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, 0x403000, c.CR2)
	assert.EqualValues(t, 0, m.frame(1)[0])
	assert.EqualValues(t, 0x402FFC, m.frame(2)[1])

	m.w32(tmPTEAddr(0x403000), 0x603000|pgP|pgRW)
	m.resume()
	require.EqualValues(t, 0x403002, c.EIP, "exceptions %v", m.excs)
	assert.EqualValues(t, 0x12345678, c.Reg(EAX))

	m.w32(tmPTEAddr(0x403000), 0x604000|pgP|pgRW)
	c.MMU().Invalidate(0x403000)
	c.EIP = 0x402FFC
	m.resume()
	require.EqualValues(t, 0x403002, c.EIP)
	assert.EqualValues(t, 0xAB345678, c.Reg(EAX), "tail fetched from the new frame")
}

func TestPagingSelfModifyingThroughAlias(t *testing.T) {
	// SDM vol. 3, 11.6: the self-modifying-code check is based on the
	// physical address; when the store goes through a different linear
	// address, a serializing instruction (CPUID) before the modified code
	// guarantees the new bytes are executed.
	m := tmProt(t, nil)
	m.enablePaging(0, 0)
	m.w32(tmPTEAddr(0x404000), 0x605000|pgP|pgRW) // code view
	m.w32(tmPTEAddr(0x405000), 0x605000|pgP|pgRW) // data alias of the same frame
	m.load(0x605000, []byte{
		0xC6, 0x05, 0x0A, 0x50, 0x40, 0x00, 0x42, // 0: mov byte [0x40500A], 0x42
		0x0F, 0xA2, // 7: cpuid
		0xB0, 0x11, // 9: mov al, 0x11   ; imm byte at +0Ah
		0xF4, // B: hlt
	})
	m.c.EIP = 0x404000
	m.runHalt()
	require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, 0x42, m.c.Reg(EAX)&0xFF)
}

func TestPagingTLBInvalidation(t *testing.T) {
	// SDM vol. 3, 4.10.4.1: INVLPG invalidates the TLB entries for the
	// page of its operand (for a 4-MiB page, all entries derived from it:
	// INVLPG footnote in vol. 2 and 4.10.2.3); MOV to CR3 invalidates all
	// entries except global ones (PTE.G with CR4.PGE = 1, 4.10.2.4); a MOV
	// to CR4 that changes PGE invalidates all entries, global included.
	// Reads after the paging-structure write but before an invalidation
	// may return either mapping and are not checked.
	const pgPTEL = tmPT1 + 6*4 // PTE of linear 406000h
	const (
		oldV = 0xAAAAAAAA // at physical 606000h
		newV = 0xBBBBBBBB // at physical 607000h
	)
	setPTE := func(g uint32) []byte {
		return tmCat([]byte{0xC7, 0x05}, tmLE32(pgPTEL), tmLE32(0x607000|pgP|pgRW|g)) // mov dword [PTE], new frame
	}
	readL := []byte{0xA1, 0x00, 0x60, 0x40, 0x00}              // mov eax, [0x406000]
	readECX := []byte{0x8B, 0x0D, 0x00, 0x60, 0x40, 0x00}      // mov ecx, [0x406000]
	readEBX := []byte{0x8B, 0x1D, 0x00, 0x60, 0x40, 0x00}      // mov ebx, [0x406000]
	invlpg := []byte{0x0F, 0x01, 0x3D, 0x00, 0x60, 0x40, 0x00} // invlpg [0x406000]
	reloadCR3 := []byte{
		0x0F, 0x20, 0xDA, // mov edx, cr3
		0x0F, 0x22, 0xDA, // mov cr3, edx
	}
	togglePGE := []byte{
		0x0F, 0x20, 0xE2, // mov edx, cr4
		0x81, 0xE2, 0x7F, 0xFF, 0xFF, 0xFF, // and edx, ~0x80
		0x0F, 0x22, 0xE2, // mov cr4, edx
		0x81, 0xCA, 0x80, 0x00, 0x00, 0x00, // or edx, 0x80
		0x0F, 0x22, 0xE2, // mov cr4, edx
	}
	hlt := []byte{0xF4}
	cases := []struct {
		name   string
		global bool
		code   []byte
		ebx    uint32 // 0: not checked
		ecx    uint32
	}{
		{"invlpg", false, tmCat(readL, setPTE(0), invlpg, readECX, hlt), 0, newV},
		{"cr3 reload flushes non-global", false, tmCat(readL, setPTE(0), reloadCR3, readECX, hlt), 0, newV},
		{"cr3 reload keeps global", true, tmCat(readL, setPTE(pgG), reloadCR3, readEBX, invlpg, readECX, hlt), oldV, newV},
		{"cr4.pge toggle flushes global", true, tmCat(readL, setPTE(pgG), togglePGE, readECX, hlt), 0, newV},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := tmProt(t, c.code)
			var g uint32
			var cr4 uint32
			if c.global {
				g, cr4 = pgG, CR4PGE
			}
			m.enablePaging(0, cr4)
			m.w32(pgPTEL, 0x606000|pgP|pgRW|g)
			m.w32(0x606000, oldV)
			m.w32(0x607000, newV)
			m.runHalt()
			require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			assert.EqualValues(t, oldV, m.c.Reg(EAX))
			if c.ebx != 0 {
				assert.EqualValues(t, c.ebx, m.c.Reg(EBX), "global translation survives MOV to CR3")
			}
			assert.EqualValues(t, c.ecx, m.c.Reg(ECX))
		})
	}
	t.Run("invlpg on a 4 MiB page", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xA1, 0x00, 0x00, 0x90, 0x00, // mov eax, [0x900000]
			0x8B, 0x1D, 0x00, 0x10, 0x90, 0x00, // mov ebx, [0x901000]
			0xC7, 0x05, 0x08, 0x00, 0x08, 0x00, 0x83, 0x00, 0x00, 0x00, // mov dword [PDE 2], 0 | PS | RW | P
			0x0F, 0x01, 0x3D, 0x00, 0x00, 0x90, 0x00, // invlpg [0x900000]
			0x8B, 0x0D, 0x00, 0x00, 0x90, 0x00, // mov ecx, [0x900000]
			0x8B, 0x15, 0x00, 0x10, 0x90, 0x00, // mov edx, [0x901000]
			0xF4, // hlt
		})
		m.enablePaging(0, CR4PSE)
		m.w32(tmPD+8, 0x400000|pgPS|pgP|pgRW) // 800000h-BFFFFFh -> 400000h
		m.w32(0x500000, 0x11111111)
		m.w32(0x501000, 0x22222222)
		m.w32(0x100000, 0x33333333)
		m.w32(0x101000, 0x44444444)
		m.runHalt()
		require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
		c := m.c
		assert.EqualValues(t, 0x11111111, c.Reg(EAX))
		assert.EqualValues(t, 0x22222222, c.Reg(EBX))
		assert.EqualValues(t, 0x33333333, c.Reg(ECX))
		assert.EqualValues(t, 0x44444444, c.Reg(EDX), "the whole 4-MiB page was invalidated")
	})
}

func TestPagingFaultDuringPrivilegeChangeRestoresState(t *testing.T) {
	// A #PF raised while INT n (or a far CALL through a call gate) pushes
	// its frame on the ring-0 stack is a fault of that instruction: the
	// state is restored to that before the instruction (SDM vol. 3, 6.5),
	// so the handler sees the ring-3 context (CS 1Bh, SS 23h, ESP, EIP of
	// the INT/CALL). The #PF handler is a task (task gate, vol. 3, 6.12.2)
	// so the old context is saved in the old TSS, and the error code is
	// pushed on the new task's stack.
	const selTSSC = 0x48
	const selCallGate = 0x50
	for _, tc := range []struct {
		name string
		code []byte
	}{
		{"int n", []byte{
			0xCD, 0x30, // int 0x30
		}},
		{"call gate", []byte{
			0x9A, 0x00, 0x00, 0x00, 0x00, selCallGate | 3, 0x00, // call 0x0053:0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tmProt(t, tc.code)
			m.enablePaging(0, 0)
			m.setIDT(0x30, tmGate(tmSelCode0, tmStubs+0x30*32, tmAccIntGate|3<<5, 0))
			m.setGDT(selCallGate, tmGate(tmSelCode0, tmHandler, tmAccCallGate|3<<5, 0))
			m.setGDT(selTSSC, tmSeg(tmTSSC, 0x67, tmAccTSSAvail, 0))
			m.setIDT(14, tmGate(selTSSC, 0, tmAccTaskGate, 0))
			m.writeTSS32(tmTSSC, tmTSSState{
				CR3: tmPD, EIP: tmTaskCode, EFLAGS: 0x2, ESP: tmStackB,
				CS: tmSelCode0, SS: tmSelData0, DS: tmSelData0, ES: tmSelData0,
			})
			m.load(tmTaskCode, []byte{0xF4}) // hlt
			m.w32(tmTSS+4, 0x40000)          // ESP0 = 40000h ...
			m.w32(tmPTEAddr(0x3F000), 0)     // ... on a not-present page
			m.toRing3()
			m.runHalt()
			c := m.c
			require.EqualValues(t, selTSSC, c.TR.Selector, "exceptions %v", m.excs)
			assert.EqualValues(t, 0x3F000, c.CR2&^0xFFF, "CR2 in the ring-0 stack page")
			assert.EqualValues(t, 2, m.r32(tmStackB-4)&3, "error code: write, not present")
			assert.EqualValues(t, tmCode, m.r32(tmTSS+0x20), "saved EIP = the INT/CALL")
			assert.EqualValues(t, tmSelCode3, m.r16(tmTSS+0x4C), "saved CS")
			assert.EqualValues(t, tmSelData3, m.r16(tmTSS+0x50), "saved SS")
			assert.EqualValues(t, tmStack3, m.r32(tmTSS+0x38), "saved ESP")
		})
	}
}

func TestPagingCodeFetchFaultSavesNextEIP(t *testing.T) {
	// A #PF on an instruction fetch is a fault of the instruction being
	// fetched: the saved CS:EIP point at it (SDM vol. 3, 6.15, interrupt
	// 14, "Saved Instruction Pointer"), not at the instruction executed
	// before it, which completed and must not run again after the handler
	// maps the page (demand paging of code).
	t.Run("fall through into a not-present page", func(t *testing.T) {
		m := tmProt(t, nil)
		m.enablePaging(0, 0)
		m.w32(tmPTEAddr(0x402000), 0x602000|pgP|pgRW)
		m.load(0x602FFD, []byte{
			0x40, // 402FFD: inc eax
			0x40, // 402FFE: inc eax
			0x40, // 402FFF: inc eax
		})
		m.load(0x603000, []byte{0xF4}) // 403000: hlt (page mapped later)
		m.c.EIP = 0x402FFD
		m.runHalt()
		require.Equal(t, 14, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, 0x403000, m.c.CR2)
		assert.EqualValues(t, 0x403000, m.frame(2)[1], "saved EIP")
		m.w32(tmPTEAddr(0x403000), 0x603000|pgP|pgRW)
		m.resume()
		assert.EqualValues(t, 0x403001, m.c.EIP, "exceptions %v", m.excs)
		assert.EqualValues(t, 3, m.c.Reg(EAX), "each INC ran once")
	})
	t.Run("call into a not-present page", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xE8, 0xFB, 0x2F, 0x3F, 0x00, // call 0x403000   (rel32 = 403000h - 10005h)
			0xF4, // hlt
		})
		m.enablePaging(0, 0)
		m.load(0x603000, []byte{0xC3}) // 403000: ret (page mapped later)
		m.runHalt()
		require.Equal(t, 14, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, 0x403000, m.frame(2)[1], "saved EIP = call target")
		m.w32(tmPTEAddr(0x403000), 0x603000|pgP|pgRW)
		m.resume()
		assert.EqualValues(t, tmCode+6, m.c.EIP, "exceptions %v", m.excs)
		assert.EqualValues(t, tmStack0, m.c.Reg(ESP), "the CALL pushed its return address once")
	})
}

func TestPagingPSBitIgnoredWithoutPSE(t *testing.T) {
	// SDM vol. 3, 4.3 and table 4-5: with CR4.PSE = 0, bit 7 of a PDE is
	// ignored and the PDE references a page table.
	m := tmProt(t, []byte{
		0xA1, 0x00, 0x50, 0x80, 0x00, // mov eax, [0x805000]
		0xF4, // hlt
	})
	m.enablePaging(0, 0)
	m.w32(tmPD+8, 0x483000|pgPS|pgP|pgRW) // PDE 2 -> page table at 483000h
	m.w32(0x483000+5*4, 0x605000|pgP|pgRW)
	m.w32(0x605000, 0x600D600D) // through the page table
	m.w32(0x405000, 0xBAD0BAD0) // as a 4-MiB page
	m.runHalt()
	require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
	assert.EqualValues(t, 0x600D600D, m.c.Reg(EAX))
}

func TestPagingTLBPrivilegeAndWP(t *testing.T) {
	// SDM vol. 3, 4.6 and 4.10.4.1: a translation used by a supervisor
	// access gives no user access (CPL 3 still faults on a supervisor
	// page), and a MOV to CR0 that changes WP invalidates the TLBs, so a
	// supervisor write that succeeded with WP = 0 faults after WP = 1.
	t.Run("supervisor translation, then user access", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xA1, 0x00, 0x10, 0x40, 0x00, // mov eax, [0x401000]   ; CPL 0: fine
			0x6A, 0x23, // push 0x23
			0x68, 0x00, 0xF0, 0x00, 0x00, // push 0xF000
			0x6A, 0x02, // push 2
			0x6A, 0x1B, // push 0x1B
			0x68, 0x19, 0x00, 0x01, 0x00, // push 0x10019
			0xCF,             // iretd                 ; to CPL 3
			0x90, 0x90, 0x90, // padding to 0x10019
			0x36, 0xA1, 0x00, 0x10, 0x40, 0x00, // mov eax, [ss:0x401000] ; CPL 3: #PF (DS was nulled)
		})
		m.enablePaging(0, 0)
		m.w32(tmPTEAddr(0x401000), 0x601000|pgP|pgRW) // supervisor page
		m.runHalt()
		require.Equal(t, 14, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, 5, m.frame(1)[0], "user read, protection")
		assert.EqualValues(t, tmCode+0x19, m.frame(2)[1])
	})
	t.Run("WP toggled after a cached supervisor write", func(t *testing.T) {
		m := tmProt(t, []byte{
			0xC7, 0x05, 0x00, 0x10, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00, // 00: mov dword [0x401000], 1
			0x0F, 0x20, 0xC0, // 0A: mov eax, cr0
			0x0D, 0x00, 0x00, 0x01, 0x00, // 0D: or eax, 0x10000 (WP)
			0x0F, 0x22, 0xC0, // 12: mov cr0, eax
			0xC7, 0x05, 0x00, 0x10, 0x40, 0x00, 0x02, 0x00, 0x00, 0x00, // 15: mov dword [0x401000], 2
			0xF4, // 1F: hlt
		})
		m.enablePaging(0, 0)
		m.w32(tmPTEAddr(0x401000), 0x601000|pgP|pgD|pgA) // read-only, already dirty
		m.runHalt()
		require.Equal(t, 14, m.hitVector(), "exceptions %v", m.excs)
		assert.EqualValues(t, 3, m.frame(1)[0], "supervisor write, protection")
		assert.EqualValues(t, tmCode+0x15, m.frame(2)[1])
		assert.EqualValues(t, 1, m.r32(0x601000))
	})
}
