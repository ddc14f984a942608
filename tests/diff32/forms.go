package diff32

import (
	"fmt"
	"math"
	"sync"
)

// Form is one instruction form under test: an opcode with one operand
// kind (register or memory, immediate size, count source...) at 32-bit
// operand size.
type Form struct {
	// Name identifies the form in reports and subtest names.
	Name string
	// Op is the mnemonic x86asm gives the instruction (checked by
	// TestEncodings).
	Op string
	// MemWords is the size, in dwords, of the memory window at
	// WindowAddr that each case initializes and whose final content is
	// compared.
	MemWords int
	// Marker forms are branches over a 10-byte store of 1 to the first
	// window dword: the dword tells whether the branch was taken.
	Marker bool
	// gen fills a case whose registers, flags and window already hold
	// random values. It returns false to ask for another try (an operand
	// combination that would fault).
	gen func(b *builder) bool
	// memSource: the memory operand is a source only, so LOCK is not
	// allowed even when the mnemonic is lockable (it raises #UD).
	memSource bool
	// noPre: the cases never start from arithmetic flags (see
	// qemuAvoided).
	noPre bool
}

// markerLen is the length of the marker store that branch forms skip:
// MOV DWORD [WindowAddr], 1 (C7 05 disp32 imm32).
const markerLen = 10

// defaultWindow is the window of a form with an ordinary memory operand:
// the operand lies anywhere inside it, aligned or not.
const defaultWindow = 4

func window(mem bool) int {
	if mem {
		return defaultWindow
	}
	return 0
}

// rm emits opcode and the r/m operand: a random register (returned), or
// with mem a memory operand of size bytes at a random offset (returned,
// with rm -1) in the default window, addressed without the registers in
// avoid.
func (b *builder) rm(opcode []byte, reg int, mem bool, size int, avoid regMask) (rm, off int) {
	if mem {
		b.memPrefixes()
	}
	b.emit(opcode...)
	if mem {
		off = b.intn(defaultWindow*4 - size + 1)
		b.mem(reg, WindowAddr+uint32(off), avoid)
		return -1, off
	}
	rm = b.anyReg()
	b.emit(byte(0xC0 | reg<<3 | rm))
	return rm, 0
}

func opnd(mem bool, size int) string {
	k := "r"
	if mem {
		k = "m"
	}
	return fmt.Sprintf("%s%d", k, size*8)
}

// formRM is "op r/m, r" or "op r, r/m" with a random register in the
// ModRM reg field (ext < 0) or an opcode extension, and an optional
// immediate (immSize 0, 1 or 4).
func formRM(name, op string, opcode []byte, ext int, mem bool, size, immSize int, undef uint32) Form {
	return Form{Name: name, Op: op, MemWords: window(mem), gen: func(b *builder) bool {
		reg := ext
		if reg < 0 {
			reg = b.anyReg()
		}
		b.rm(opcode, reg, mem, size, 0)
		switch immSize {
		case 1:
			b.emit(b.imm8())
		case 4:
			b.emit32(b.val())
		}
		b.c.UndefFlags = undef
		return true
	}}
}

func srcForm(f Form) Form {
	f.memSource = true
	return f
}

var aluNames = [8]string{"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"}

func aluForms() []Form {
	var fs []Form
	for k, name := range aluNames {
		undef := uint32(0)
		if name == "AND" || name == "OR" || name == "XOR" {
			undef = undefLogic
		}
		base := byte(k * 8)
		eax := func(b *builder) bool {
			b.emit(base + 5)
			b.emit32(b.val())
			b.c.UndefFlags = undef
			return true
		}
		fs = append(fs,
			formRM(fmt.Sprintf("%s_r32_r32_%02X", name, base+1), name, []byte{base + 1}, -1, false, 4, 0, undef),
			formRM(name+"_m32_r32", name, []byte{base + 1}, -1, true, 4, 0, undef),
			formRM(fmt.Sprintf("%s_r32_r32_%02X", name, base+3), name, []byte{base + 3}, -1, false, 4, 0, undef),
			srcForm(formRM(name+"_r32_m32", name, []byte{base + 3}, -1, true, 4, 0, undef)),
			formRM(name+"_r32_imm32", name, []byte{0x81}, k, false, 4, 4, undef),
			formRM(name+"_m32_imm32", name, []byte{0x81}, k, true, 4, 4, undef),
			formRM(name+"_r32_imm8", name, []byte{0x83}, k, false, 4, 1, undef),
			formRM(name+"_m32_imm8", name, []byte{0x83}, k, true, 4, 1, undef),
			Form{Name: name + "_EAX_imm32", Op: name, gen: eax},
		)
	}
	fs = append(fs,
		formRM("TEST_r32_r32", "TEST", []byte{0x85}, -1, false, 4, 0, undefLogic),
		formRM("TEST_m32_r32", "TEST", []byte{0x85}, -1, true, 4, 0, undefLogic),
		formRM("TEST_r32_imm32", "TEST", []byte{0xF7}, 0, false, 4, 4, undefLogic),
		formRM("TEST_m32_imm32", "TEST", []byte{0xF7}, 0, true, 4, 4, undefLogic),
		Form{Name: "TEST_EAX_imm32", Op: "TEST", gen: func(b *builder) bool {
			b.emit(0xA9)
			b.emit32(b.val())
			b.c.UndefFlags = undefLogic
			return true
		}},
	)
	return fs
}

// oneByteReg is an opcode with the register in its low three bits.
func oneByteReg(name, op string, prefix []byte, base byte) Form {
	return Form{Name: name, Op: op, gen: func(b *builder) bool {
		b.emit(prefix...)
		b.emit(base + byte(b.anyReg()))
		return true
	}}
}

// fixed is an instruction without operands in its encoding.
func fixed(name, op string, code []byte, prep func(b *builder), undef uint32) Form {
	return Form{Name: name, Op: op, gen: func(b *builder) bool {
		if prep != nil {
			prep(b)
		}
		b.emit(code...)
		b.c.UndefFlags = undef
		return true
	}}
}

func unaryForms() []Form {
	return []Form{
		oneByteReg("INC_r32_40", "INC", nil, 0x40),
		formRM("INC_r32_FF", "INC", []byte{0xFF}, 0, false, 4, 0, 0),
		formRM("INC_m32", "INC", []byte{0xFF}, 0, true, 4, 0, 0),
		oneByteReg("DEC_r32_48", "DEC", nil, 0x48),
		formRM("DEC_r32_FF", "DEC", []byte{0xFF}, 1, false, 4, 0, 0),
		formRM("DEC_m32", "DEC", []byte{0xFF}, 1, true, 4, 0, 0),
		formRM("NOT_r32", "NOT", []byte{0xF7}, 2, false, 4, 0, 0),
		formRM("NOT_m32", "NOT", []byte{0xF7}, 2, true, 4, 0, 0),
		formRM("NEG_r32", "NEG", []byte{0xF7}, 3, false, 4, 0, 0),
		formRM("NEG_m32", "NEG", []byte{0xF7}, 3, true, 4, 0, 0),
	}
}

// mulDivForm is MUL/IMUL/DIV/IDIV r/m32 (F7 /ext), with EDX:EAX implicit:
// the memory operand is not addressed through EAX or EDX, whose values
// matter.
func mulDivForm(name, op string, ext int, mem bool) Form {
	div := ext >= 6
	signed := ext == 5 || ext == 7
	undef := uint32(undefMul)
	if div {
		undef = undefDiv
	}
	return Form{Name: name, Op: op, MemWords: window(mem), gen: func(b *builder) bool {
		rm, off := b.rm([]byte{0xF7}, ext, mem, 4, regs(EAX, EDX))
		b.c.UndefFlags = undef
		if !div {
			return true
		}
		d := b.val()
		if !mem {
			d = b.reg(rm)
		}
		if mem || (rm != EAX && rm != EDX) {
			// Build the dividend from a quotient that fits and a
			// remainder smaller than the divisor.
			if d == 0 {
				d = 1 + uint32(b.intn(1000))
			}
			var n uint64
			if signed {
				q := int64(int32(b.val()))
				dv := int64(int32(d))
				r := int64(0)
				if a := dv; a != 0 {
					if a < 0 {
						a = -a
					}
					r = int64(b.below(uint64(a)))
				}
				if q*dv < 0 || (q == 0 && b.chance(1, 2)) {
					r = -r
				}
				n = uint64(q*dv + r)
			} else {
				q := uint64(b.val())
				n = q*uint64(d) + b.below(uint64(d))
			}
			b.c.Regs[EAX], b.c.Regs[EDX] = uint32(n), uint32(n>>32)
			if mem {
				b.memWrite(off, 4, d)
			} else {
				b.c.Regs[rm] = d
			}
		} else if rm == EAX && b.chance(3, 4) {
			if d == 0 {
				d = b.val() | 1
				b.c.Regs[EAX] = d
			}
			if signed {
				b.c.Regs[EDX] = uint32(int32(d) >> 31)
			} else {
				b.c.Regs[EDX] = b.r.Uint32N(d)
			}
		} else if rm == EDX && signed && b.chance(3, 4) {
			// Only EDX = -1 with EAX above 80000000h divides without
			// overflow.
			b.c.Regs[EDX] = 0xFFFFFFFF
			b.c.Regs[EAX] = 0x80000001 + b.r.Uint32N(0x7FFFFFFF)
		}
		if mem {
			d = b.memRead(off, 4)
		} else {
			d = b.reg(rm)
		}
		return divides(signed, b.reg(EDX), b.reg(EAX), d)
	}}
}

// below is a remainder for divisor n: 0, n-1 or random.
func (b *builder) below(n uint64) uint64 {
	switch b.intn(4) {
	case 0:
		return 0
	case 1:
		return n - 1
	}
	return b.r.Uint64N(n)
}

// divides reports whether DIV/IDIV of EDX:EAX by d completes without #DE
// (SDM vol. 2, DIV/IDIV: divisor 0, or a quotient too large for EAX).
func divides(signed bool, hi, lo, d uint32) bool {
	if d == 0 {
		return false
	}
	if !signed {
		return hi < d
	}
	n := int64(uint64(hi)<<32 | uint64(lo))
	dv := int64(int32(d))
	if n == math.MinInt64 && dv == -1 {
		return false
	}
	q := n / dv
	return q >= math.MinInt32 && q <= math.MaxInt32
}

func mulDivForms() []Form {
	var fs []Form
	for _, e := range []struct {
		name string
		ext  int
	}{{"MUL", 4}, {"IMUL", 5}, {"DIV", 6}, {"IDIV", 7}} {
		fs = append(fs, mulDivForm(e.name+"_r32", e.name, e.ext, false), mulDivForm(e.name+"_m32", e.name, e.ext, true))
	}
	return append(fs,
		formRM("IMUL_r32_r32", "IMUL", []byte{0x0F, 0xAF}, -1, false, 4, 0, undefMul),
		formRM("IMUL_r32_m32", "IMUL", []byte{0x0F, 0xAF}, -1, true, 4, 0, undefMul),
		formRM("IMUL_r32_r32_imm32", "IMUL", []byte{0x69}, -1, false, 4, 4, undefMul),
		formRM("IMUL_r32_m32_imm32", "IMUL", []byte{0x69}, -1, true, 4, 4, undefMul),
		formRM("IMUL_r32_r32_imm8", "IMUL", []byte{0x6B}, -1, false, 4, 1, undefMul),
		formRM("IMUL_r32_m32_imm8", "IMUL", []byte{0x6B}, -1, true, 4, 1, undefMul),
	)
}

var shiftNames = [8]string{"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "", "SAR"}

// shiftForm is a group-2 shift or rotate by 1 (D1), by imm8 (C1) or by CL
// (D3). The CL forms keep ECX out of the memory operand's address.
func shiftForm(name string, ext int, by string, mem bool) Form {
	undef := undefShift
	if ext < 4 {
		undef = undefRotate
	}
	op := map[string]byte{"1": 0xD1, "imm8": 0xC1, "CL": 0xD3}[by]
	return Form{
		Name:     fmt.Sprintf("%s_%s_%s", shiftNames[ext], opnd(mem, 4), by),
		Op:       shiftNames[ext],
		MemWords: window(mem),
		gen: func(b *builder) bool {
			var avoid regMask
			if by == "CL" {
				avoid = regs(ECX)
			}
			b.rm([]byte{op}, ext, mem, 4, avoid)
			n := uint8(1)
			switch by {
			case "imm8":
				n = b.count()
				b.emit(n)
			case "CL":
				n = b.count()
				b.c.Regs[ECX] = b.c.Regs[ECX]&^0xFF | uint32(n)
			}
			b.c.UndefFlags = undef(n)
			return true
		},
	}
}

func shiftForms() []Form {
	var fs []Form
	for ext, name := range shiftNames {
		if name == "" {
			continue
		}
		for _, by := range []string{"1", "imm8", "CL"} {
			fs = append(fs, shiftForm(name, ext, by, false), shiftForm(name, ext, by, true))
		}
	}
	// SHLD/SHRD r/m32, r32, imm8 or CL (0F A4/A5, 0F AC/AD).
	for _, d := range []struct {
		name string
		op   byte
	}{{"SHLD", 0xA4}, {"SHRD", 0xAC}} {
		for _, mem := range []bool{false, true} {
			for _, byCL := range []bool{false, true} {
				opcode := []byte{0x0F, d.op}
				suffix := "imm8"
				if byCL {
					opcode[1]++
					suffix = "CL"
				}
				fs = append(fs, Form{
					Name:     fmt.Sprintf("%s_%s_r32_%s", d.name, opnd(mem, 4), suffix),
					Op:       d.name,
					MemWords: window(mem),
					gen: func(b *builder) bool {
						var avoid regMask
						if byCL {
							avoid = regs(ECX)
						}
						b.rm(opcode, b.anyReg(), mem, 4, avoid)
						n := b.count()
						if byCL {
							b.c.Regs[ECX] = b.c.Regs[ECX]&^0xFF | uint32(n)
						} else {
							b.emit(n)
						}
						b.c.UndefFlags = undefShiftDouble(n)
						return true
					},
				})
			}
		}
	}
	return fs
}

// bitOffset is a BT-family register bit offset for a memory operand:
// mostly within ±256 bits, so it reaches dwords before and after the one
// at the effective address.
func (b *builder) bitOffset() uint32 {
	if b.chance(1, 4) {
		e := [...]int32{0, 1, 31, 32, 33, 63, 64, -1, -31, -32, -33, -64, 255, -256}
		return uint32(e[b.intn(len(e))])
	}
	return uint32(int32(b.intn(512)) - 256)
}

// btWindow is the window of BT m32, r32: the operand is in its middle so
// that ±256-bit offsets stay inside.
const btWindow = 32

func bitForms() []Form {
	var fs []Form
	for k, name := range []string{"BT", "BTS", "BTR", "BTC"} {
		ext := 4 + k
		regOp := []byte{0x0F, 0xA3 + byte(k)*8}
		fs = append(fs,
			formRM(name+"_r32_r32", name, regOp, -1, false, 4, 0, undefBT),
			Form{Name: name + "_m32_r32", Op: name, MemWords: btWindow, gen: func(b *builder) bool {
				r := b.anyReg()
				b.set(r, b.bitOffset())
				b.memPrefixes()
				b.emit(regOp...)
				b.mem(r, WindowAddr+48+uint32(b.intn(16)), 0)
				b.c.UndefFlags = undefBT
				return true
			}},
			formRM(name+"_r32_imm8", name, []byte{0x0F, 0xBA}, ext, false, 4, 1, undefBT),
			formRM(name+"_m32_imm8", name, []byte{0x0F, 0xBA}, ext, true, 4, 1, undefBT),
		)
	}
	// BSF/BSR r32, r/m32. A zero source (chosen often) leaves the
	// destination undefined.
	for k, name := range []string{"BSF", "BSR"} {
		for _, mem := range []bool{false, true} {
			opcode := []byte{0x0F, 0xBC + byte(k)}
			fs = append(fs, Form{Name: name + "_r32_" + opnd(mem, 4), Op: name, MemWords: window(mem), gen: func(b *builder) bool {
				dst := b.anyReg()
				rm, off := b.rm(opcode, dst, mem, 4, 0)
				var src uint32
				switch k := b.intn(10); {
				case k < 3:
					src = 0
				case k < 5:
					src = 1 << uint(b.intn(32))
				default:
					src = b.val()
				}
				if mem {
					b.memWrite(off, 4, src)
				} else {
					b.c.Regs[rm] = src
				}
				b.c.UndefFlags = undefBitScan
				if src == 0 {
					b.c.UndefRegs = regs(dst)
				}
				return true
			}})
		}
	}
	fs = append(fs, oneByteReg("BSWAP_r32", "BSWAP", []byte{0x0F}, 0xC8))
	return fs
}

func moveForms() []Form {
	var fs []Form
	for _, m := range []struct {
		name string
		op   byte
		size int
	}{{"MOVZX", 0xB6, 1}, {"MOVZX", 0xB7, 2}, {"MOVSX", 0xBE, 1}, {"MOVSX", 0xBF, 2}} {
		for _, mem := range []bool{false, true} {
			fs = append(fs, formRM(m.name+"_r32_"+opnd(mem, m.size), m.name, []byte{0x0F, m.op}, -1, mem, m.size, 0, 0))
		}
	}
	fs = append(fs,
		formRM("MOV_r32_r32_89", "MOV", []byte{0x89}, -1, false, 4, 0, 0),
		formRM("MOV_m32_r32", "MOV", []byte{0x89}, -1, true, 4, 0, 0),
		formRM("MOV_r32_r32_8B", "MOV", []byte{0x8B}, -1, false, 4, 0, 0),
		formRM("MOV_r32_m32", "MOV", []byte{0x8B}, -1, true, 4, 0, 0),
		formRM("MOV_m32_imm32", "MOV", []byte{0xC7}, 0, true, 4, 4, 0),
		Form{Name: "MOV_r32_imm32", Op: "MOV", gen: func(b *builder) bool {
			b.emit(0xB8 + byte(b.anyReg()))
			b.emit32(b.val())
			return true
		}},
	)
	for _, m := range []struct {
		name string
		op   byte
	}{{"MOV_EAX_moffs32", 0xA1}, {"MOV_moffs32_EAX", 0xA3}} {
		fs = append(fs, Form{Name: m.name, Op: "MOV", MemWords: defaultWindow, gen: func(b *builder) bool {
			ea := WindowAddr + uint32(b.intn(13))
			b.c.HasEA, b.c.EA, b.c.NaiveEA = true, ea, ea
			b.emit(m.op)
			b.emit32(ea)
			return true
		}})
	}
	fs = append(fs,
		formRM("XCHG_r32_r32", "XCHG", []byte{0x87}, -1, false, 4, 0, 0),
		formRM("XCHG_m32_r32", "XCHG", []byte{0x87}, -1, true, 4, 0, 0),
		// 90h (XCHG EAX, EAX) is NOP: ECX..EDI only.
		Form{Name: "XCHG_EAX_r32", Op: "XCHG", gen: func(b *builder) bool {
			b.emit(0x91 + byte(b.intn(7)))
			return true
		}},
		formRM("XADD_r32_r32", "XADD", []byte{0x0F, 0xC1}, -1, false, 4, 0, 0),
		formRM("XADD_m32_r32", "XADD", []byte{0x0F, 0xC1}, -1, true, 4, 0, 0),
	)
	// CMPXCHG r/m32, r32: EAX equals the destination half of the time.
	for _, mem := range []bool{false, true} {
		fs = append(fs, Form{Name: "CMPXCHG_" + opnd(mem, 4) + "_r32", Op: "CMPXCHG", MemWords: window(mem), gen: func(b *builder) bool {
			rm, off := b.rm([]byte{0x0F, 0xB1}, b.anyReg(), mem, 4, regs(EAX))
			if b.chance(1, 2) {
				if mem {
					b.c.Regs[EAX] = b.memRead(off, 4)
				} else {
					b.c.Regs[EAX] = b.reg(rm)
				}
			}
			return true
		}})
	}
	// CMPXCHG8B m64: EDX:EAX equals the operand half of the time. The
	// address avoids the four implicit registers.
	fs = append(fs, Form{Name: "CMPXCHG8B_m64", Op: "CMPXCHG8B", MemWords: defaultWindow, noPre: true, gen: func(b *builder) bool {
		_, off := b.rm([]byte{0x0F, 0xC7}, 1, true, 8, regs(EAX, ECX, EDX, EBX))
		if b.chance(1, 2) {
			b.c.Regs[EAX] = b.memRead(off, 4)
			b.c.Regs[EDX] = b.memRead(off+4, 4)
		} else if b.chance(1, 3) {
			b.c.Regs[EAX] = b.memRead(off, 4) // low half only
		}
		return true
	}})
	fs = append(fs,
		fixed("CWDE", "CWDE", []byte{0x98}, nil, 0),
		fixed("CDQ", "CDQ", []byte{0x99}, nil, 0),
		fixed("LAHF", "LAHF", []byte{0x9F}, nil, 0),
		fixed("SAHF", "SAHF", []byte{0x9E}, nil, 0),
		fixed("CLC", "CLC", []byte{0xF8}, nil, 0),
		fixed("STC", "STC", []byte{0xF9}, nil, 0),
		fixed("CMC", "CMC", []byte{0xF5}, nil, 0),
		fixed("CLD", "CLD", []byte{0xFC}, nil, 0),
		fixed("STD", "STD", []byte{0xFD}, nil, 0),
		// XLAT: AL <- [EBX + unsigned AL].
		Form{Name: "XLAT", Op: "XLATB", MemWords: defaultWindow, gen: func(b *builder) bool {
			b.set(EBX, WindowAddr+uint32(b.intn(16))-b.reg(EAX)&0xFF)
			b.emit(0xD7)
			return true
		}},
	)
	return fs
}

// LEA forms, one per addressing mode, with random registers and
// displacements (LEA does not access memory).
func leaForms() []Form {
	names := [numAddrModes]string{"disp32", "base", "base_disp8", "base_disp32", "sib", "sib_disp8", "sib_disp32", "index_disp32", "sib_noindex"}
	var fs []Form
	for mode, n := range names {
		fs = append(fs, Form{Name: "LEA_r32_" + n, Op: "LEA", gen: func(b *builder) bool {
			b.emit(0x8D)
			b.addr(b.anyReg(), 0, 0, mode, false)
			return true
		}})
	}
	// LEA r32 with 16-bit addressing (67h): the 16-bit effective address
	// is zero-extended (SDM vol. 2, LEA, table 3-54).
	fs = append(fs, Form{Name: "LEA_r32_a16", Op: "LEA", gen: func(b *builder) bool {
		mod, rm := b.intn(3), b.intn(8)
		b.emit(0x67, 0x8D, byte(mod<<6|b.anyReg()<<3|rm))
		switch {
		case mod == 0 && rm == 6, mod == 2:
			b.emit16(b.val())
		case mod == 1:
			b.emit(b.imm8())
		}
		return true
	}})
	return fs
}

var ccNames = [16]string{"O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE", "LE", "G"}

// ecxVal biases ECX for LOOP and JECXZ toward 0, 1 and the 16-bit edges.
func (b *builder) ecxVal() uint32 {
	if b.chance(2, 3) {
		e := [...]uint32{0, 1, 2, 0xFFFF, 0x10000, 0x10001, 0xFFFFFFFF}
		return e[b.intn(len(e))]
	}
	return b.val()
}

func condForms() []Form {
	var fs []Form
	for cc, n := range ccNames {
		for _, mem := range []bool{false, true} {
			fs = append(fs, formRM("CMOV"+n+"_r32_"+opnd(mem, 4), "CMOV"+n, []byte{0x0F, 0x40 + byte(cc)}, -1, mem, 4, 0, 0))
		}
	}
	for cc, n := range ccNames {
		for _, mem := range []bool{false, true} {
			fs = append(fs, formRM("SET"+n+"_"+opnd(mem, 1), "SET"+n, []byte{0x0F, 0x90 + byte(cc)}, 0, mem, 1, 0, 0))
		}
	}
	branch := func(name, op string, code []byte, prep func(b *builder)) Form {
		return Form{Name: name, Op: op, MemWords: 1, Marker: true, gen: func(b *builder) bool {
			b.c.Mem[0] = 0
			if prep != nil {
				prep(b)
			}
			b.emit(code...)
			return true
		}}
	}
	for cc, n := range ccNames {
		fs = append(fs,
			branch("J"+n+"_rel8", "J"+n, []byte{0x70 + byte(cc), markerLen}, nil),
			branch("J"+n+"_rel32", "J"+n, []byte{0x0F, 0x80 + byte(cc), markerLen, 0, 0, 0}, nil),
		)
	}
	ecx := func(b *builder) { b.c.Regs[ECX] = b.ecxVal() }
	fs = append(fs,
		branch("LOOP_rel8", "LOOP", []byte{0xE2, markerLen}, ecx),
		branch("LOOPE_rel8", "LOOPE", []byte{0xE1, markerLen}, ecx),
		branch("LOOPNE_rel8", "LOOPNE", []byte{0xE0, markerLen}, ecx),
		branch("JECXZ_rel8", "JECXZ", []byte{0xE3, markerLen}, ecx),
		// With a 16-bit address size LOOP counts in CX and JCXZ tests
		// CX (SDM vol. 2, LOOPcc and Jcc).
		branch("LOOP_rel8_a16", "LOOP", []byte{0x67, 0xE2, markerLen}, ecx),
		branch("JCXZ_rel8_a16", "JCXZ", []byte{0x67, 0xE3, markerLen}, ecx),
	)
	return fs
}

// stackWindow is the window of the stack forms; the stack pointer starts
// in its middle, stackOperand is where PUSH/POP m32 operands lie.
const (
	stackWindow  = 32
	stackESP     = 64
	stackOperand = 96
)

// stackPointer pins ESP in the window's middle, misaligned one time in
// five.
func (b *builder) stackPointer(off int) uint32 {
	esp := WindowAddr + uint32(off)
	if b.chance(1, 5) {
		esp += uint32(1 + b.intn(3))
	}
	b.set(ESP, esp)
	return esp
}

func stackForms() []Form {
	plain := func(name, op string, code func(b *builder)) Form {
		return Form{Name: name, Op: op, MemWords: stackWindow, gen: func(b *builder) bool {
			b.stackPointer(stackESP)
			code(b)
			return true
		}}
	}
	// mem32 emits a memory operand in the stack window, ESP-based one
	// time in four (espAddr is the ESP value the address uses).
	mem32 := func(b *builder, reg int, espAddr uint32) {
		ea := WindowAddr + stackOperand + uint32(b.intn(13))
		if b.chance(1, 4) {
			b.memFixedBase(reg, ea, ESP, espAddr)
		} else {
			b.mem(reg, ea, 0)
		}
	}
	return []Form{
		plain("PUSH_r32", "PUSH", func(b *builder) { b.emit(0x50 + byte(b.anyReg())) }),
		plain("PUSH_imm32", "PUSH", func(b *builder) { b.emit(0x68); b.emit32(b.val()) }),
		plain("PUSH_imm8", "PUSH", func(b *builder) { b.emit(0x6A, b.imm8()) }),
		plain("PUSH_m32", "PUSH", func(b *builder) { b.emit(0xFF); mem32(b, 6, b.reg(ESP)) }),
		plain("POP_r32", "POP", func(b *builder) { b.emit(0x58 + byte(b.anyReg())) }),
		// POP m32 with an ESP base computes the address after ESP is
		// incremented (SDM vol. 2, POP).
		plain("POP_m32", "POP", func(b *builder) { b.emit(0x8F); mem32(b, 0, b.reg(ESP)+4) }),
		plain("PUSHAD", "PUSHAD", func(b *builder) { b.emit(0x60) }),
		plain("POPAD", "POPAD", func(b *builder) { b.emit(0x61) }),
		{Name: "LEAVE", Op: "LEAVE", MemWords: stackWindow, gen: func(b *builder) bool {
			ebp := WindowAddr + 32 + 4*uint32(b.intn(16))
			if b.chance(1, 5) {
				ebp += uint32(1 + b.intn(3))
			}
			b.set(EBP, ebp)
			b.emit(0xC9)
			return true
		}},
		// ENTER imm16, imm8: the nesting level is taken modulo 32; with
		// ESP at 160 and EBP at 200 or above, up to 32 pushes and 30
		// copies from the old frame stay in the 256-byte window.
		{Name: "ENTER", Op: "ENTER", MemWords: 64, gen: func(b *builder) bool {
			b.stackPointer(160)
			b.set(EBP, WindowAddr+200+4*uint32(b.intn(8)))
			var level uint8
			switch k := b.intn(4); {
			case k < 2:
				level = uint8(b.intn(5))
			case k < 3:
				level = [...]uint8{0x1F, 0x20, 0x21, 0xFF}[b.intn(4)]
			default:
				level = uint8(b.r.Uint32())
			}
			b.emit(0xC8)
			b.emit16(b.val())
			b.emit(level)
			return true
		}},
	}
}

// String forms: the window holds a 96-byte source region and a 96-byte
// destination region. ESI and EDI start near the end the direction flag
// moves away from, so up to 9 iterations stay inside.
const (
	strWindow = 48
	strRegion = 96
	maxRep    = 9
)

func stringForms() []Form {
	var fs []Form
	for _, s := range []struct {
		op       string
		code     byte
		compares bool
	}{{"MOVSD", 0xA5, false}, {"STOSD", 0xAB, false}, {"LODSD", 0xAD, false}, {"SCASD", 0xAF, true}, {"CMPSD", 0xA7, true}} {
		prefixes := []struct {
			name string
			b    byte
		}{{"", 0}, {"REP_", 0xF3}}
		if s.compares {
			prefixes = []struct {
				name string
				b    byte
			}{{"", 0}, {"REPE_", 0xF3}, {"REPNE_", 0xF2}}
		}
		for _, p := range prefixes {
			for df := 0; df < 2; df++ {
				fs = append(fs, Form{
					Name:     fmt.Sprintf("%s%s_DF%d", p.name, s.op, df),
					Op:       s.op,
					MemWords: strWindow,
					gen: func(b *builder) bool {
						b.setFlag(fDF, df == 1)
						ptr := func(r int, region uint32) {
							off := 4 * uint32(b.intn(4))
							if b.chance(1, 5) {
								off += uint32(1 + b.intn(3))
							}
							if df == 1 {
								off = strRegion - 4 - off
							}
							b.set(r, WindowAddr+region+off)
						}
						ptr(ESI, 0)
						ptr(EDI, strRegion)
						if p.b != 0 {
							b.set(ECX, uint32(b.intn(maxRep+1)))
						}
						if s.compares {
							// Few distinct values, so that REPE and
							// REPNE stop at varied points.
							x, y := b.reg(EAX), b.val()
							for k := range b.c.Mem {
								switch b.intn(4) {
								case 0, 1:
									b.c.Mem[k] = x
								case 2:
									b.c.Mem[k] = y
								}
							}
						}
						if p.b != 0 {
							b.emit(p.b)
						}
						b.emit(s.code)
						return true
					},
				})
			}
		}
	}
	return fs
}

func bcdForms() []Form {
	al := func(b *builder) {
		if b.chance(1, 2) {
			b.c.Regs[EAX] = b.c.Regs[EAX]&^0xFF | uint32(b.intn(256))
		}
	}
	ax := func(b *builder) {
		if b.chance(1, 2) {
			b.c.Regs[EAX] = b.c.Regs[EAX]&^0xFFFF | uint32(b.intn(0x10000))
		}
	}
	base := func(b *builder, zeroOK bool) uint8 {
		if b.chance(1, 2) {
			return 10
		}
		v := b.imm8()
		for v == 0 && !zeroOK {
			v = b.imm8()
		}
		return v
	}
	return []Form{
		fixed("DAA", "DAA", []byte{0x27}, al, undefDAA),
		fixed("DAS", "DAS", []byte{0x2F}, al, undefDAA),
		fixed("AAA", "AAA", []byte{0x37}, ax, undefAAA),
		fixed("AAS", "AAS", []byte{0x3F}, ax, undefAAA),
		// AAM imm8 with imm8 = 0 raises #DE: bases are non-zero.
		{Name: "AAM", Op: "AAM", gen: func(b *builder) bool {
			al(b)
			b.emit(0xD4, base(b, false))
			b.c.UndefFlags = undefAAM
			return true
		}},
		{Name: "AAD", Op: "AAD", gen: func(b *builder) bool {
			ax(b)
			b.emit(0xD5, base(b, true))
			b.c.UndefFlags = undefAAM
			return true
		}},
	}
}

var (
	formsOnce sync.Once
	allForms  []Form
)

// Forms returns every form under test, in report order.
func Forms() []Form {
	formsOnce.Do(func() {
		for _, g := range [][]Form{
			aluForms(), unaryForms(), mulDivForms(), shiftForms(), bitForms(),
			moveForms(), leaForms(), condForms(), stackForms(), stringForms(), bcdForms(),
		} {
			allForms = append(allForms, g...)
		}
	})
	return allForms
}
