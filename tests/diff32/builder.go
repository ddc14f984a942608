package diff32

import (
	"encoding/binary"
	"math/rand/v2"
)

// General registers in instruction-encoding order (SDM vol. 2, table 2-2).
const (
	EAX = iota
	ECX
	EDX
	EBX
	ESP
	EBP
	ESI
	EDI
)

var regNames = [8]string{"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"}

// regMask is a set of general registers, bit r for register r.
type regMask uint8

func (m regMask) has(r int) bool { return m&(1<<uint(r)) != 0 }

func regs(rs ...int) regMask {
	var m regMask
	for _, r := range rs {
		m |= 1 << uint(r)
	}
	return m
}

// EFLAGS bits (SDM vol. 1, 3.4.3).
const (
	fCF = 1 << 0
	fPF = 1 << 2
	fAF = 1 << 4
	fZF = 1 << 6
	fSF = 1 << 7
	fDF = 1 << 10
	fOF = 1 << 11

	// comparedFlags are the EFLAGS bits the test sets up and compares:
	// the six status flags and DF. The others (IF, IOPL, AC...) differ
	// by design between a Linux process and our ring-0 harness.
	comparedFlags = fCF | fPF | fAF | fZF | fSF | fDF | fOF
	statusFlags   = fCF | fPF | fAF | fZF | fSF | fOF
)

var flagNames = []struct {
	bit  uint32
	name string
}{{fCF, "CF"}, {fPF, "PF"}, {fAF, "AF"}, {fZF, "ZF"}, {fSF, "SF"}, {fDF, "DF"}, {fOF, "OF"}}

// Case is one test case: the initial state, the instruction under test
// and what the SDM leaves undefined for it.
type Case struct {
	// Regs are the initial EAX..EDI, in encoding order.
	Regs [8]uint32
	// Flags is the initial EFLAGS (status flags and DF; bit 1 set).
	Flags uint32
	// Mem is the initial content of the form's memory window at
	// WindowAddr, one entry per dword.
	Mem []uint32
	// Code is the machine code of the instruction under test (a branch
	// form's marker store is added by the program builder).
	Code []byte
	// Pre, when set, is an arithmetic instruction on the scratch dword
	// at preAddr (initially PreMem) that runs after the registers are
	// loaded and just before Code: the instruction under test then
	// starts from flags an arithmetic result left (lazily evaluated in
	// our CPU) rather than from POPFD's. It touches no register and
	// defines every status flag.
	Pre    []byte
	PreMem uint32
	// UndefFlags are the status flags the SDM leaves undefined for this
	// instruction and these operands; they are not compared.
	UndefFlags uint32
	// UndefRegs are registers whose final value is undefined (BSF/BSR's
	// destination for a zero source).
	UndefRegs regMask
	// HasEA says the instruction has a memory operand at EA; NaiveEA is
	// what base+index×scale+disp gives from the initial registers (it
	// differs from EA only for POP m32 with an ESP base, whose address is
	// computed after ESP is incremented). TestEncodings checks both with
	// x86asm's decoding.
	HasEA   bool
	EA      uint32
	NaiveEA uint32
}

// builder generates one case from the form's random stream.
type builder struct {
	r *rand.Rand
	c *Case
	// pinned registers hold values chosen by the generator (addressing,
	// stack pointer, counts) that later choices must not change.
	pinned regMask
	// lockable: the form's instruction accepts a LOCK prefix with a
	// memory destination.
	lockable bool
}

// lockableOps are the instructions that accept LOCK with a memory
// destination (SDM vol. 2, LOCK).
var lockableOps = map[string]bool{
	"ADD": true, "ADC": true, "AND": true, "BTC": true, "BTR": true, "BTS": true,
	"CMPXCHG": true, "CMPXCHG8B": true, "DEC": true, "INC": true, "NEG": true,
	"NOT": true, "OR": true, "SBB": true, "SUB": true, "XOR": true, "XADD": true,
	"XCHG": true,
}

// memPrefixes emits, at random, LOCK (for lockable instructions) and a
// DS, ES or SS segment override (all flat here and under Linux) before
// an instruction with a memory operand.
func (b *builder) memPrefixes() {
	if b.lockable && b.chance(1, 4) {
		b.emit(0xF0)
	}
	if b.chance(1, 8) {
		b.emit([...]byte{0x26, 0x36, 0x3E}[b.intn(3)])
	}
}

// preOp sets c.Pre to a random flag-setting instruction on the scratch
// dword: ADD/ADC/SBB/SUB/CMP with an immediate, INC, DEC or NEG, all of
// which define every status flag.
func (b *builder) preOp() {
	b.c.PreMem = b.val()
	var p []byte
	switch k := b.intn(8); {
	case k < 5:
		ext := [...]byte{0, 2, 3, 5, 7}[k]
		if b.chance(1, 2) {
			p = append(p, 0x81, ext<<3|5)
			p = binary.LittleEndian.AppendUint32(p, preAddr)
			p = binary.LittleEndian.AppendUint32(p, b.val())
		} else {
			p = append(p, 0x83, ext<<3|5)
			p = binary.LittleEndian.AppendUint32(p, preAddr)
			p = append(p, b.imm8())
		}
	default:
		op := [...][2]byte{{0xFF, 0}, {0xFF, 1}, {0xF7, 3}}[k-5]
		p = append(p, op[0], op[1]<<3|5)
		p = binary.LittleEndian.AppendUint32(p, preAddr)
	}
	b.c.Pre = p
}

// edges32 are the values the generator favours.
var edges32 = [...]uint32{
	0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
	0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF,
	0xFFFFFF80, 0xFFFF8000,
}

func (b *builder) intn(n int) int { return b.r.IntN(n) }

// chance is true with probability k/n.
func (b *builder) chance(k, n int) bool { return b.r.IntN(n) < k }

// val is a random 32-bit value biased toward edge values, small numbers
// and powers of two.
func (b *builder) val() uint32 {
	switch k := b.r.IntN(16); {
	case k < 4:
		return edges32[b.r.IntN(len(edges32))]
	case k < 6:
		v := uint32(b.r.IntN(64))
		if b.r.IntN(2) == 0 {
			v = -v
		}
		return v
	case k < 8:
		v := uint32(1) << uint(b.r.IntN(32))
		switch b.r.IntN(3) {
		case 1:
			v--
		case 2:
			v = -v
		}
		return v
	default:
		return b.r.Uint32()
	}
}

// imm8 is a random byte biased toward edge values.
func (b *builder) imm8() uint8 {
	if b.chance(1, 3) {
		e := [...]uint8{0, 1, 2, 0x7F, 0x80, 0x81, 0xFE, 0xFF}
		return e[b.intn(len(e))]
	}
	return uint8(b.r.Uint32())
}

// count is a shift or rotate count byte: mostly 0-33, with the values
// around the 5-bit mask and some random bytes.
func (b *builder) count() uint8 {
	switch k := b.intn(10); {
	case k < 5:
		return uint8(b.intn(34))
	case k < 8:
		e := [...]uint8{0, 1, 2, 30, 31, 32, 33, 63, 64, 65, 0x80, 0xFF}
		return e[b.intn(len(e))]
	default:
		return uint8(b.r.Uint32())
	}
}

// flagsVal is a random initial EFLAGS: each status flag and DF with
// probability 1/2.
func (b *builder) flagsVal() uint32 {
	v := uint32(2)
	for _, f := range flagNames {
		if b.intn(2) == 0 {
			v |= f.bit
		}
	}
	return v
}

func (b *builder) setFlag(f uint32, on bool) {
	if on {
		b.c.Flags |= f
	} else {
		b.c.Flags &^= f
	}
}

func (b *builder) emit(p ...byte) { b.c.Code = append(b.c.Code, p...) }

func (b *builder) emit16(v uint32) { b.c.Code = binary.LittleEndian.AppendUint16(b.c.Code, uint16(v)) }

func (b *builder) emit32(v uint32) { b.c.Code = binary.LittleEndian.AppendUint32(b.c.Code, v) }

// set gives register r the value v and pins it.
func (b *builder) set(r int, v uint32) {
	b.c.Regs[r] = v
	b.pinned |= 1 << uint(r)
}

func (b *builder) reg(r int) uint32 { return b.c.Regs[r] }

// anyReg is a random register.
func (b *builder) anyReg() int { return b.intn(8) }

// regNot is a random register outside m, or -1 if m holds them all.
func (b *builder) regNot(m regMask) int {
	var l []int
	for r := 0; r < 8; r++ {
		if !m.has(r) {
			l = append(l, r)
		}
	}
	if len(l) == 0 {
		return -1
	}
	return l[b.intn(len(l))]
}

// memWrite stores size bytes of v at byte offset off of the window.
func (b *builder) memWrite(off int, size int, v uint32) {
	for k := 0; k < size; k++ {
		w, s := (off+k)/4, uint((off+k)%4)*8
		b.c.Mem[w] = b.c.Mem[w]&^(0xFF<<s) | (v>>(8*uint(k))&0xFF)<<s
	}
}

// memRead loads size bytes at byte offset off of the window.
func (b *builder) memRead(off int, size int) uint32 {
	var v uint32
	for k := 0; k < size; k++ {
		w, s := (off+k)/4, uint((off+k)%4)*8
		v |= (b.c.Mem[w] >> s & 0xFF) << (8 * uint(k))
	}
	return v
}

// Addressing modes of a 32-bit ModRM memory operand (SDM vol. 2, tables
// 2-2 and 2-3).
const (
	amDisp32     = iota // [disp32], also through a SIB without base and index
	amBase              // [base]
	amBaseD8            // [base+disp8]
	amBaseD32           // [base+disp32]
	amSIB               // [base+index*s]
	amSIBD8             // [base+index*s+disp8]
	amSIBD32            // [base+index*s+disp32]
	amIndexD32          // [index*s+disp32]
	amSIBNoIndex        // SIB with index 100b (none), any base, any mod
	numAddrModes
)

// disp8 is a random sign-extended 8-bit displacement.
func (b *builder) disp8() uint32 {
	return uint32(int32(int8(b.imm8())))
}

// mem emits the ModRM byte (reg field reg), SIB and displacement of a
// memory operand at ea through a random addressing mode, using only
// registers outside avoid that are not pinned, and pins the registers it
// uses at the values that make the address ea (address arithmetic wraps
// at 2^32, so any index value works).
func (b *builder) mem(reg int, ea uint32, avoid regMask) {
	b.c.HasEA, b.c.EA, b.c.NaiveEA = true, ea, ea
	b.addr(reg, ea, avoid, -1, true)
}

// addr emits a memory operand in mode (-1: random). With solve it works
// as mem; without, registers and displacements keep random values (LEA).
func (b *builder) addr(reg int, ea uint32, avoid regMask, mode int, solve bool) {
	if mode < 0 {
		mode = b.intn(numAddrModes)
	}
	pick := func(excl regMask) int { return b.regNot(avoid | b.pinned | excl) }
	modrm := func(mod, rm int) { b.emit(byte(mod<<6 | reg<<3 | rm)) }
	sib := func(s, index, base int) { b.emit(byte(s<<6 | index<<3 | base)) }
	// baseFor pins base at the value that, with the displacement and
	// the (already pinned) index term, gives ea.
	baseFor := func(base int, rest uint32) {
		if solve {
			b.set(base, ea-rest)
		}
	}
	index := func(excl regMask) (int, uint32) {
		ix := pick(excl | regs(ESP))
		if ix < 0 {
			return -1, 0
		}
		if solve {
			b.set(ix, b.reg(ix))
		}
		return ix, b.reg(ix)
	}
	dispVal := func(d8 bool) uint32 {
		if d8 {
			return b.disp8()
		}
		return b.val()
	}
	switch mode {
	case amBase, amBaseD8, amBaseD32:
		excl := regs(ESP)
		if mode == amBase {
			excl |= regs(EBP)
		}
		base := pick(excl)
		if base < 0 {
			break
		}
		switch mode {
		case amBase:
			modrm(0, base)
			baseFor(base, 0)
		case amBaseD8:
			d := dispVal(true)
			modrm(1, base)
			b.emit(byte(d))
			baseFor(base, d)
		default:
			d := dispVal(false)
			modrm(2, base)
			b.emit32(d)
			baseFor(base, d)
		}
		return
	case amSIB, amSIBD8, amSIBD32:
		s := b.intn(4)
		var excl regMask
		if mode == amSIB {
			excl = regs(EBP) // mod 00 with base 101b means "no base"
		}
		base := pick(excl)
		if base < 0 {
			break
		}
		if mode == amSIBD32 && base != ESP && b.chance(1, 5) {
			// Base and index the same register: solve through the
			// displacement.
			v := b.reg(base)
			if solve {
				b.set(base, v)
			}
			d := b.val()
			if solve {
				d = ea - v - v<<uint(s)
			}
			modrm(2, 4)
			sib(s, base, base)
			b.emit32(d)
			return
		}
		ix, iv := index(regs(base))
		if ix < 0 {
			break
		}
		switch mode {
		case amSIB:
			modrm(0, 4)
			sib(s, ix, base)
			baseFor(base, iv<<uint(s))
		case amSIBD8:
			d := dispVal(true)
			modrm(1, 4)
			sib(s, ix, base)
			b.emit(byte(d))
			baseFor(base, d+iv<<uint(s))
		default:
			d := dispVal(false)
			modrm(2, 4)
			sib(s, ix, base)
			b.emit32(d)
			baseFor(base, d+iv<<uint(s))
		}
		return
	case amIndexD32:
		s := b.intn(4)
		ix, iv := index(0)
		if ix < 0 {
			break
		}
		d := b.val()
		if solve {
			d = ea - iv<<uint(s)
		}
		modrm(0, 4)
		sib(s, ix, 5)
		b.emit32(d)
		return
	case amSIBNoIndex:
		// The scale bits are ignored without an index (SDM vol. 2,
		// table 2-3 note 1): use random ones.
		mod := b.intn(3)
		var excl regMask
		if mod == 0 {
			excl = regs(EBP)
		}
		base := pick(excl)
		if base < 0 {
			break
		}
		modrm(mod, 4)
		sib(b.intn(4), 4, base)
		switch mod {
		case 0:
			baseFor(base, 0)
		case 1:
			d := dispVal(true)
			b.emit(byte(d))
			baseFor(base, d)
		default:
			d := dispVal(false)
			b.emit32(d)
			baseFor(base, d)
		}
		return
	}
	// [disp32], directly or through a SIB byte with neither base nor
	// index.
	d := ea
	if !solve {
		d = b.val()
	}
	if b.chance(1, 4) {
		modrm(0, 4)
		sib(b.intn(4), 4, 5)
	} else {
		modrm(0, 5)
	}
	b.emit32(d)
}

// memFixedBase emits [base+disp] for a base register whose value is
// already fixed (the stack pointer of stack forms): addrVal is the base
// value the address computation uses, and the displacement is solved.
func (b *builder) memFixedBase(reg int, ea uint32, base int, addrVal uint32) {
	b.c.HasEA, b.c.EA, b.c.NaiveEA = true, ea, ea-addrVal+b.reg(base)
	d := ea - addrVal
	mod := 2
	switch {
	case d == 0 && base != EBP:
		mod = 0
	case int32(d) == int32(int8(d)):
		mod = 1
	}
	if base == ESP {
		b.emit(byte(mod<<6|reg<<3|4), byte(b.intn(4)<<6|4<<3|ESP))
	} else {
		b.emit(byte(mod<<6 | reg<<3 | base))
	}
	switch mod {
	case 1:
		b.emit(byte(d))
	case 2:
		b.emit32(d)
	}
}
