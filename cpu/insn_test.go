package cpu

// CPUID, RDTSC, RDMSR/WRMSR and a set of P5/P6 integer instructions, run
// in flat 32-bit protected mode at CPL 0.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runProt runs code at CPL 0 with the given initial registers and requires
// it to halt without an exception.
func runProt(t *testing.T, code []byte, regs map[int]uint32) *tmMachine {
	t.Helper()
	m := tmProt(t, code)
	for r, v := range regs {
		m.c.SetReg(r, v)
	}
	m.runHalt()
	require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
	return m
}

func TestCPUID(t *testing.T) {
	// SDM vol. 2, CPUID: leaf 0 returns the highest basic leaf in EAX and
	// the vendor string in EBX, EDX, ECX ("GenuineIntel"); leaf 1 returns
	// the signature in EAX (family in bits 11:8: 6 for the P6 family) and
	// feature flags in EDX (TSC bit 4, MSR 5, CX8 8, CMOV 15; PSE 3, PGE
	// 13 and SEP 11 for what this CPU implements).
	m := runProt(t, []byte{
		0x31, 0xC0, // xor eax, eax
		0x0F, 0xA2, // cpuid
		0xF4, // hlt
	}, nil)
	c := m.c
	assert.GreaterOrEqual(t, c.Reg(EAX), uint32(1))
	vendor := string(tmCat(tmLE32(c.Reg(EBX)), tmLE32(c.Reg(EDX)), tmLE32(c.Reg(ECX))))
	assert.Equal(t, "GenuineIntel", vendor)

	m = runProt(t, []byte{
		0xB8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1
		0x0F, 0xA2, // cpuid
		0xF4, // hlt
	}, nil)
	c = m.c
	assert.EqualValues(t, 6, c.Reg(EAX)>>8&0xF, "family")
	edx := c.Reg(EDX)
	for bit, name := range map[uint]string{3: "PSE", 4: "TSC", 5: "MSR", 8: "CX8", 11: "SEP", 13: "PGE", 15: "CMOV"} {
		assert.NotZero(t, edx&(1<<bit), "CPUID.1:EDX.%s", name)
	}
}

func TestRDTSCMonotonic(t *testing.T) {
	// SDM vol. 3, 17.17: the time-stamp counter increments monotonically;
	// RDTSC loads it into EDX:EAX (vol. 2, RDTSC).
	m := runProt(t, []byte{
		0x0F, 0x31, // rdtsc
		0x89, 0xC6, // mov esi, eax
		0x89, 0xD7, // mov edi, edx
		0x90,       // nop
		0x0F, 0x31, // rdtsc
		0xF4, // hlt
	}, nil)
	c := m.c
	first := uint64(c.Reg(EDI))<<32 | uint64(c.Reg(ESI))
	second := uint64(c.Reg(EDX))<<32 | uint64(c.Reg(EAX))
	assert.Greater(t, second, first)
}

func TestMSRs(t *testing.T) {
	// SDM vol. 2, RDMSR/WRMSR: ECX selects the MSR, EDX:EAX is the value;
	// #GP(0) for a reserved or unimplemented MSR and at CPL > 0. Vol. 4:
	// IA32_TIME_STAMP_COUNTER (10h) is writable and then counts on from
	// the written value; IA32_SYSENTER_CS/ESP/EIP are 174h-176h.
	t.Run("tsc", func(t *testing.T) {
		m := runProt(t, []byte{
			0xB9, 0x10, 0x00, 0x00, 0x00, // mov ecx, 0x10
			0x31, 0xC0, // xor eax, eax
			0xBA, 0x01, 0x00, 0x00, 0x00, // mov edx, 1
			0x0F, 0x30, // wrmsr           ; TSC = 1_0000_0000h
			0x0F, 0x32, // rdmsr
			0xF4, // hlt
		}, nil)
		v := uint64(m.c.Reg(EDX))<<32 | uint64(m.c.Reg(EAX))
		assert.GreaterOrEqual(t, v, uint64(1)<<32)
		assert.Less(t, v, uint64(1)<<32+1000)
	})
	t.Run("sysenter msrs", func(t *testing.T) {
		for _, msr := range []uint32{0x174, 0x175, 0x176} {
			m := runProt(t, tmCat(
				[]byte{0xB9}, tmLE32(msr), // mov ecx, msr
				[]byte{
					0xB8, 0x78, 0x56, 0x34, 0x12, // mov eax, 0x12345678
					0x31, 0xD2, // xor edx, edx
					0x0F, 0x30, // wrmsr
					0x31, 0xC0, // xor eax, eax
					0x0F, 0x32, // rdmsr
					0xF4, // hlt
				}), nil)
			assert.EqualValues(t, 0x12345678, m.c.Reg(EAX), "MSR %#x", msr)
		}
	})
	for _, tc := range []struct {
		name string
		cpl  int
		code []byte
	}{
		{"rdmsr unknown", 0, []byte{
			0xB9, 0xAD, 0xDE, 0x00, 0x00, // mov ecx, 0xDEAD
			0x0F, 0x32, // rdmsr
		}},
		{"wrmsr unknown", 0, []byte{
			0xB9, 0xAD, 0xDE, 0x00, 0x00, // mov ecx, 0xDEAD
			0x0F, 0x30, // wrmsr
		}},
		{"rdmsr at cpl 3", 3, []byte{
			0xB9, 0x10, 0x00, 0x00, 0x00, // mov ecx, 0x10
			0x0F, 0x32, // rdmsr
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tmProt(t, tc.code)
			if tc.cpl == 3 {
				m.toRing3()
			}
			m.runHalt()
			require.Equal(t, 13, m.hitVector(), "exceptions %v", m.excs)
			f := m.frame(2)
			assert.EqualValues(t, 0, f[0], "#GP(0)")
			assert.EqualValues(t, tmCode+5, f[1], "fault at the MSR instruction")
		})
	}
}

func TestCMPXCHG8B(t *testing.T) {
	// SDM vol. 2, CMPXCHG8B: if EDX:EAX = m64 then ZF = 1, m64 = ECX:EBX,
	// else ZF = 0, EDX:EAX = m64. A register operand is #UD.
	code := []byte{
		0x0F, 0xC7, 0x0D, 0x00, 0x00, 0x02, 0x00, // cmpxchg8b [0x20000]
		0xF4, // hlt
	}
	t.Run("equal", func(t *testing.T) {
		m := tmProt(t, code)
		m.w32(tmData, 0x22222222)
		m.w32(tmData+4, 0x11111111)
		for r, v := range map[int]uint32{EAX: 0x22222222, EDX: 0x11111111, EBX: 0x44444444, ECX: 0x33333333} {
			m.c.SetReg(r, v)
		}
		m.runHalt()
		assert.True(t, m.zf())
		assert.EqualValues(t, 0x44444444, m.r32(tmData))
		assert.EqualValues(t, 0x33333333, m.r32(tmData+4))
	})
	t.Run("not equal", func(t *testing.T) {
		m := tmProt(t, code)
		m.w32(tmData, 0x22222222)
		m.w32(tmData+4, 0x11111111)
		for r, v := range map[int]uint32{EAX: 1, EDX: 2, EBX: 0x44444444, ECX: 0x33333333} {
			m.c.SetReg(r, v)
		}
		m.runHalt()
		assert.False(t, m.zf())
		assert.EqualValues(t, 0x22222222, m.c.Reg(EAX))
		assert.EqualValues(t, 0x11111111, m.c.Reg(EDX))
		assert.EqualValues(t, 0x22222222, m.r32(tmData))
		assert.EqualValues(t, 0x11111111, m.r32(tmData+4))
	})
	t.Run("register operand", func(t *testing.T) {
		m := tmProt(t, []byte{0x0F, 0xC7, 0xC8}) // cmpxchg8b eax (invalid)
		m.runHalt()
		assert.Equal(t, 6, m.hitVector())
	})
}

func TestCMOVcc(t *testing.T) {
	// SDM vol. 2, CMOVcc and appendix B (condition codes): after CMP a, b
	// the move happens iff the condition holds.
	cases := []struct {
		name  string
		cc    byte
		a, b  uint32
		taken bool
	}{
		{"cmove equal", 0x44, 5, 5, true},
		{"cmove not equal", 0x44, 5, 6, false},
		{"cmovne", 0x45, 5, 6, true},
		{"cmovb unsigned below", 0x42, 1, 2, true},
		{"cmovb not below", 0x42, 0xFFFFFFFF, 2, false},
		{"cmova", 0x47, 0xFFFFFFFF, 2, true},
		{"cmovbe equal", 0x46, 7, 7, true},
		{"cmovl signed less", 0x4C, 0xFFFFFFFF, 1, true},
		{"cmovl not less", 0x4C, 1, 0xFFFFFFFF, false},
		{"cmovge", 0x4D, 1, 0xFFFFFFFF, true},
		{"cmovg", 0x4F, 2, 1, true},
		{"cmovle", 0x4E, 2, 1, false},
		{"cmovs", 0x48, 1, 2, true},
		{"cmovns", 0x49, 1, 2, false},
		{"cmovo", 0x40, 0x80000000, 1, true},
		{"cmovno", 0x41, 0x80000000, 1, false},
		{"cmovp", 0x4A, 3, 0, true},  // 3: two bits set, even parity
		{"cmovnp", 0x4B, 1, 0, true}, // 1: odd parity
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := runProt(t, []byte{
				0x39, 0xD8, // cmp eax, ebx
				0x0F, tc.cc, 0xCA, // cmovcc ecx, edx
				0xF4, // hlt
			}, map[int]uint32{EAX: tc.a, EBX: tc.b, ECX: 0x11111111, EDX: 0x22222222})
			want := uint32(0x11111111)
			if tc.taken {
				want = 0x22222222
			}
			assert.Equal(t, want, m.c.Reg(ECX))
		})
	}
}

func TestBSWAPXADDBitScan(t *testing.T) {
	t.Run("bswap", func(t *testing.T) {
		// SDM vol. 2, BSWAP: reverses the byte order of a 32-bit register.
		m := runProt(t, []byte{
			0x0F, 0xC8, // bswap eax
			0x0F, 0xCB, // bswap ebx
			0xF4, // hlt
		}, map[int]uint32{EAX: 0x12345678, EBX: 0xFF000001})
		assert.EqualValues(t, 0x78563412, m.c.Reg(EAX))
		assert.EqualValues(t, 0x010000FF, m.c.Reg(EBX))
	})
	t.Run("xadd", func(t *testing.T) {
		// SDM vol. 2, XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP;
		// flags as for ADD.
		m := runProt(t, []byte{
			0x0F, 0xC1, 0xD8, // xadd eax, ebx
			0x0F, 0xC1, 0x0D, 0x00, 0x00, 0x02, 0x00, // xadd [0x20000], ecx
			0xF4, // hlt
		}, map[int]uint32{EAX: 5, EBX: 3, ECX: 1})
		m2 := m.c
		assert.EqualValues(t, 8, m2.Reg(EAX))
		assert.EqualValues(t, 5, m2.Reg(EBX))
		assert.EqualValues(t, 0, m2.Reg(ECX), "old memory value")
		assert.EqualValues(t, 1, m.r32(tmData))

		m = tmProt(t, []byte{
			0x0F, 0xC1, 0xD8, // xadd eax, ebx
			0xF4, // hlt
		})
		m.c.SetReg(EAX, 0xFFFFFFFF)
		m.c.SetReg(EBX, 1)
		m.runHalt()
		assert.EqualValues(t, 0, m.c.Reg(EAX))
		assert.EqualValues(t, 0xFFFFFFFF, m.c.Reg(EBX))
		f := m.c.Flags()
		assert.NotZero(t, f&FlagCF, "CF")
		assert.NotZero(t, f&FlagZF, "ZF")
	})
	t.Run("bsf bsr", func(t *testing.T) {
		// SDM vol. 2, BSF/BSR: index of the least/most significant set
		// bit, ZF = 0; a zero source sets ZF (destination undefined).
		for _, tc := range []struct {
			src      uint32
			bsf, bsr uint32
		}{
			{0x000000F0, 4, 7},
			{0x80000001, 0, 31},
			{0x00010000, 16, 16},
		} {
			m := runProt(t, []byte{
				0x0F, 0xBC, 0xC3, // bsf eax, ebx
				0x0F, 0xBD, 0xCB, // bsr ecx, ebx
				0xF4, // hlt
			}, map[int]uint32{EBX: tc.src})
			assert.Equal(t, tc.bsf, m.c.Reg(EAX), "bsf %#x", tc.src)
			assert.Equal(t, tc.bsr, m.c.Reg(ECX), "bsr %#x", tc.src)
			assert.False(t, m.zf())
		}
		m := runProt(t, []byte{
			0x0F, 0xBC, 0xC3, // bsf eax, ebx
			0xF4, // hlt
		}, map[int]uint32{EBX: 0})
		assert.True(t, m.zf(), "zero source")
	})
}

func TestSHLDSHRD(t *testing.T) {
	// SDM vol. 2, SHLD/SHRD: the destination is shifted and filled from the
	// source; CF = the last bit shifted out of the destination; OF (count
	// 1) = sign change; the count is masked to 5 bits and a count of 0
	// changes nothing, flags included.
	cases := []struct {
		name     string
		code     []byte
		dst, src uint32
		cl       uint32
		want     uint32
		cf       bool
	}{
		{"shld 4", []byte{0x0F, 0xA4, 0xD8, 0x04}, 0x12345678, 0x9ABCDEF0, 0, 0x23456789, true},            // shld eax, ebx, 4
		{"shrd 4", []byte{0x0F, 0xAC, 0xD8, 0x04}, 0x12345678, 0x9ABCDEF0, 0, 0x01234567, true},            // shrd eax, ebx, 4
		{"shld 8", []byte{0x0F, 0xA4, 0xD8, 0x08}, 0x12345678, 0x9ABCDEF0, 0, 0x3456789A, false},           // shld eax, ebx, 8
		{"shrd cl=12", []byte{0x0F, 0xAD, 0xD8}, 0x12345678, 0x9ABCDEF0, 12, 0xEF012345, false},            // shrd eax, ebx, cl
		{"shld cl=36 masks to 4", []byte{0x0F, 0xA5, 0xD8}, 0x12345678, 0x9ABCDEF0, 36, 0x23456789, true},  // shld eax, ebx, cl
		{"shld 16-bit", []byte{0x66, 0x0F, 0xA4, 0xD8, 0x04}, 0xAAAA1234, 0x0000ABCD, 0, 0xAAAA234A, true}, // shld ax, bx, 4
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := runProt(t, tmCat(tc.code, []byte{0xF4}),
				map[int]uint32{EAX: tc.dst, EBX: tc.src, ECX: tc.cl})
			assert.Equal(t, tc.want, m.c.Reg(EAX))
			assert.Equal(t, tc.src, m.c.Reg(EBX), "source unchanged")
			assert.Equal(t, tc.cf, m.c.Flags()&FlagCF != 0, "CF")
		})
	}
	t.Run("count 1 sets OF on sign change", func(t *testing.T) {
		m := runProt(t, []byte{
			0x0F, 0xA4, 0xD8, 0x01, // shld eax, ebx, 1
			0xF4, // hlt
		}, map[int]uint32{EAX: 0x40000000, EBX: 0})
		assert.EqualValues(t, 0x80000000, m.c.Reg(EAX))
		assert.NotZero(t, m.c.Flags()&FlagOF)
	})
	t.Run("count 0 changes nothing", func(t *testing.T) {
		m := runProt(t, []byte{
			0xF9,                   // stc
			0x0F, 0xA4, 0xD8, 0x00, // shld eax, ebx, 0
			0xF4, // hlt
		}, map[int]uint32{EAX: 0x12345678, EBX: 0xFFFFFFFF})
		assert.EqualValues(t, 0x12345678, m.c.Reg(EAX))
		assert.NotZero(t, m.c.Flags()&FlagCF, "CF kept")
	})
}

func TestBitTestMemoryOffsets(t *testing.T) {
	// SDM vol. 2, BT/BTS/BTR/BTC and table 3-2: with a register bit offset
	// and a memory bit base the offset is a signed value in -2^31..2^31-1
	// (-2^15..2^15-1 for 16-bit operands) and may select a bit outside the
	// addressed operand: the bit is BitOffset MOD operand size in the
	// operand at EA + operand size * (BitOffset DIV operand size). An
	// immediate offset is taken modulo the operand size. CF = the bit.
	// Memory around 20000h: dword -2 = FFFFFFFFh, dword -1 = 80000000h,
	// dword 0 = 0, dword 1 = 8 (bit 35), dword 3 = 0.
	setup := func(m *tmMachine) {
		m.w32(tmData-8, 0xFFFFFFFF)
		m.w32(tmData-4, 0x80000000)
		m.w32(tmData, 0)
		m.w32(tmData+4, 8)
		m.w32(tmData+12, 0)
	}
	cases := []struct {
		name string
		code []byte
		eax  uint32
		cf   bool
		addr uint32 // dword to check afterwards (0: none)
		want uint32
	}{
		{"bt +35", []byte{0x0F, 0xA3, 0x05, 0x00, 0x00, 0x02, 0x00}, 35, true, 0, 0},                                   // bt [0x20000], eax
		{"bt +36", []byte{0x0F, 0xA3, 0x05, 0x00, 0x00, 0x02, 0x00}, 36, false, 0, 0},                                  // bt [0x20000], eax
		{"bt -1", []byte{0x0F, 0xA3, 0x05, 0x00, 0x00, 0x02, 0x00}, 0xFFFFFFFF, true, 0, 0},                            // bt [0x20000], eax
		{"bt imm 35 is modulo 32", []byte{0x0F, 0xBA, 0x25, 0x00, 0x00, 0x02, 0x00, 35}, 0, false, 0, 0},               // bt dword [0x20000], 35
		{"bts +100", []byte{0x0F, 0xAB, 0x05, 0x00, 0x00, 0x02, 0x00}, 100, false, tmData + 12, 0x10},                  // bts [0x20000], eax
		{"btr -33", []byte{0x0F, 0xB3, 0x05, 0x00, 0x00, 0x02, 0x00}, 0xFFFFFFDF, true, tmData - 8, 0x7FFFFFFF},        // btr [0x20000], eax
		{"btc +35", []byte{0x0F, 0xBB, 0x05, 0x00, 0x00, 0x02, 0x00}, 35, true, tmData + 4, 0},                         // btc [0x20000], eax
		{"bt word +35", []byte{0x66, 0x0F, 0xA3, 0x05, 0x00, 0x00, 0x02, 0x00}, 35, true, 0, 0},                        // bt [0x20000], ax
		{"bt word -1", []byte{0x66, 0x0F, 0xA3, 0x05, 0x00, 0x00, 0x02, 0x00}, 0xFFFF, true, 0, 0},                     // bt [0x20000], ax
		{"bt word 0x1_0000 uses only ax", []byte{0x66, 0x0F, 0xA3, 0x05, 0x00, 0x00, 0x02, 0x00}, 0x10023, true, 0, 0}, // ax = 35
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tmProt(t, tmCat(tc.code, []byte{0xF4}))
			setup(m)
			m.c.SetReg(EAX, tc.eax)
			m.runHalt()
			require.Equal(t, -1, m.hitVector(), "exceptions %v", m.excs)
			assert.Equal(t, tc.cf, m.c.Flags()&FlagCF != 0, "CF")
			if tc.addr != 0 {
				assert.Equal(t, tc.want, m.r32(tc.addr))
			}
		})
	}
}
