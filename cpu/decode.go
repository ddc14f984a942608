package cpu

import (
	"golang.org/x/arch/x86/x86asm"
)

// handler executes one decoded instruction. When it runs, c.EIP already
// points past the instruction and c.prevEIP at its first byte.
type handler func(c *CPU, i *Inst)

// Inst is an instruction decoded once into the form the interpreter runs:
// the operation is chosen as a handler, operands are resolved to register
// numbers and effective-address parts. It is built from x86asm's output at
// block-translation time; the execution loop never calls x86asm.
type Inst struct {
	fn   handler
	disp uint32 // effective-address displacement, or moffs
	imm  uint32 // immediate, relative displacement, or port
	imm2 uint32 // second immediate: far selector, ENTER nesting level

	len   uint8
	size  uint8 // operand size in bytes: 1, 2 or 4
	reg   uint8 // G operand (ModRM.reg), resolved register number
	rm    uint8 // E operand register when !mem
	base  uint8 // effective-address base register, regNone if absent
	index uint8 // effective-address index register, regNone if absent
	scale uint8 // index shift count (0-3)
	seg   uint8 // segment of the memory operand (after overrides)
	op    uint8 // sub-operation: ALU kind, condition code, shift kind...
	rep   uint8 // repNone, repE (F3) or repNE (F2)
	a32   bool  // 32-bit address size
	mem   bool  // E operand is memory
	lock  bool  // LOCK prefix present
	term  bool  // ends a translated block
	// srcSize is the source size of MOVZX/MOVSX, and the memory operand
	// size of other forms where it differs from size.
	srcSize uint8
}

// REP prefixes.
const (
	repNone = iota
	repE    // F3: REP / REPE
	repNE   // F2: REPNE
)

// ea computes the effective address (offset) of the memory operand.
func (c *CPU) ea(i *Inst) uint32 {
	a := c.R[i.base] + c.R[i.index]<<i.scale + i.disp
	if !i.a32 {
		a &= 0xFFFF
	}
	return a
}

// decodeResult classifies a decode attempt.
type decodeResult int

const (
	decodeOK decodeResult = iota
	// decodeTruncated: more bytes are needed than were supplied.
	decodeTruncated
)

// prefixInfo is what the legacy prefixes of an instruction say.
type prefixInfo struct {
	n      int // number of prefix bytes
	seg    int // segment override, or -1
	lock   bool
	rep    uint8
	opsize bool
	adsize bool
}

func scanPrefixes(b []byte) prefixInfo {
	p := prefixInfo{seg: -1}
	for p.n < len(b) {
		switch b[p.n] {
		case 0x26:
			p.seg = ES
		case 0x2E:
			p.seg = CS
		case 0x36:
			p.seg = SS
		case 0x3E:
			p.seg = DS
		case 0x64:
			p.seg = FS
		case 0x65:
			p.seg = GS
		case 0x66:
			p.opsize = true
		case 0x67:
			p.adsize = true
		case 0xF0:
			p.lock = true
		case 0xF2:
			p.rep = repNE
		case 0xF3:
			p.rep = repE
		default:
			return p
		}
		p.n++
	}
	return p
}

// decodeInst decodes the instruction at the start of b for a code segment
// of the given default size (16 or 32 bits). It returns decodeTruncated
// when b ends inside the instruction and b is shorter than the 15-byte
// architectural maximum; an instruction longer than 15 bytes decodes as
// one that raises #GP(0) (SDM vol. 2, 2.3.11).
func decodeInst(b []byte, mode int) (Inst, decodeResult) {
	pfx := scanPrefixes(b)
	if pfx.n < len(b) && b[pfx.n] >= 0xD8 && b[pfx.n] <= 0xDF {
		// x87 escapes are decoded from their ModRM (fpu.go).
		if pfx.n+1 >= len(b) {
			if len(b) < 15 {
				return Inst{}, decodeTruncated
			}
			return Inst{fn: opGP0, len: 15, term: true}, decodeOK
		}
		return fpuDecode(b, mode, pfx)
	}
	xi, err := x86asm.Decode(b, mode)
	if err != nil || xi.Op == 0 {
		// x86asm reports both a truncated and an unrecognised instruction
		// after prefixes as a lone "prefix" instruction. Tell them apart by
		// decoding the bytes padded to the 15-byte maximum.
		if len(b) < 15 {
			if pfx.n >= len(b) || needsMore(b, mode, pfx) {
				return Inst{}, decodeTruncated
			}
		}
		// x86asm does not know some encodings a P6 executes; rewrite them
		// to the equivalent documented form and decode again.
		ok := false
		if alias, isAlias := aliasEncoding(b, pfx); isAlias {
			xi, err = x86asm.Decode(alias, mode)
			ok = err == nil && xi.Op != 0
		}
		if !ok {
			if pfx.n < len(b) && b[pfx.n] == 0xD6 {
				// SALC: undocumented but executed by every Intel CPU.
				return Inst{fn: opSALC, len: uint8(pfx.n + 1)}, decodeOK
			}
			if len(b) == 15 && tooLong(b, mode, pfx) {
				// Longer than 15 bytes: #GP(0) (SDM vol. 2, 2.3.11).
				return Inst{fn: opGP0, len: 15, term: true}, decodeOK
			}
			return invalidInst(b, pfx), decodeOK
		}
	}
	i := Inst{
		len:   uint8(xi.Len),
		base:  regNone,
		index: regNone,
		seg:   DS,
		rep:   pfx.rep,
		lock:  pfx.lock,
		a32:   xi.AddrSize == 32,
		size:  uint8(xi.DataSize / 8),
	}
	if !convert(&i, &xi, b, pfx) {
		return invalidInst(b, pfx), decodeOK
	}
	if i.lock && !lockable(&i, &xi) {
		// LOCK on an instruction that cannot be locked, or with a register
		// destination, raises #UD (SDM vol. 2, LOCK).
		i.fn = opUD
		i.term = true
		return i, decodeOK
	}
	specialize(&i, &xi)
	return i, decodeOK
}

// decodesTo decodes b padded with zeros to 15 bytes, trying the alias
// rewrite too, and returns the instruction length or 0 if invalid.
func decodesTo(b []byte, mode int) int {
	var pad [15]byte
	copy(pad[:], b)
	if xi, err := x86asm.Decode(pad[:], mode); err == nil && xi.Op != 0 {
		return xi.Len
	}
	if alias, ok := aliasEncoding(pad[:], scanPrefixes(pad[:])); ok {
		if xi, err := x86asm.Decode(alias, mode); err == nil && xi.Op != 0 {
			return xi.Len
		}
	}
	return 0
}

// needsMore reports whether b is the start of a valid instruction that
// continues past its end.
func needsMore(b []byte, mode int, pfx prefixInfo) bool {
	return decodesTo(b, mode) > len(b)
}

// tooLong reports whether the 15 bytes in b start an instruction that
// would be valid but for exceeding 15 bytes: its prefixes plus the
// length of the instruction without its redundant prefixes.
func tooLong(b []byte, mode int, pfx prefixInfo) bool {
	if pfx.n >= 15 {
		return true
	}
	var core []byte
	extra := 0
	if pfx.opsize {
		core = append(core, 0x66)
		extra++
	}
	if pfx.adsize {
		core = append(core, 0x67)
		extra++
	}
	core = append(core, b[pfx.n:]...)
	n := decodesTo(core, mode)
	return n > 0 && pfx.n+n-extra > 15
}

// invalidInst is an instruction that raises #UD when executed.
func invalidInst(b []byte, pfx prefixInfo) Inst {
	n := pfx.n + 1
	if n > len(b) {
		n = len(b)
	}
	return Inst{fn: opUD, len: uint8(n), term: true}
}

// aliasEncoding rewrites undocumented aliases that P6 processors execute
// (and the 80286 test data exercises) to their documented twins:
//   - 82 /r ib is 80 /r ib (SDM vol. 2, appendix A, opcode 82 is "valid
//     in 32-bit mode" as an alias of 80);
//   - shift group /6 (SAL) is /4 (SHL);
//   - F6 /1 and F7 /1 are TEST like /0.
func aliasEncoding(b []byte, pfx prefixInfo) ([]byte, bool) {
	if pfx.n+1 >= len(b) {
		return nil, false
	}
	op, modrm := b[pfx.n], b[pfx.n+1]
	reg := modrm >> 3 & 7
	var nb []byte
	switch {
	case op == 0x82:
		nb = append([]byte(nil), b...)
		nb[pfx.n] = 0x80
	case (op == 0xC0 || op == 0xC1 || (op >= 0xD0 && op <= 0xD3)) && reg == 6:
		nb = append([]byte(nil), b...)
		nb[pfx.n+1] = modrm&^0x38 | 4<<3
	case (op == 0xF6 || op == 0xF7) && reg == 1:
		nb = append([]byte(nil), b...)
		nb[pfx.n+1] = modrm &^ 0x38
	default:
		return nil, false
	}
	return nb, true
}

// regNum resolves an x86asm register to our register number and size.
// ok is false for registers that are not general registers.
func regNum(r x86asm.Reg) (num uint8, size uint8, ok bool) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BH:
		return uint8(r - x86asm.AL), 1, true
	case r >= x86asm.AX && r <= x86asm.DI:
		return uint8(r - x86asm.AX), 2, true
	case r >= x86asm.EAX && r <= x86asm.EDI:
		return uint8(r - x86asm.EAX), 4, true
	}
	return 0, 0, false
}

func segNum(r x86asm.Reg) (int, bool) {
	if r >= x86asm.ES && r <= x86asm.GS {
		return int(r - x86asm.ES), true
	}
	return 0, false
}

// setMem fills the effective-address fields from an x86asm memory operand.
func setMem(i *Inst, m x86asm.Mem) {
	i.mem = true
	i.disp = uint32(m.Disp)
	if m.Base != 0 {
		n, _, _ := regNum(m.Base)
		i.base = n
	}
	if m.Index != 0 {
		n, _, _ := regNum(m.Index)
		i.index = n
		switch m.Scale {
		case 2:
			i.scale = 1
		case 4:
			i.scale = 2
		case 8:
			i.scale = 3
		}
	}
	if s, ok := segNum(m.Segment); ok {
		i.seg = uint8(s)
	} else if m.Base == x86asm.BP || m.Base == x86asm.EBP || m.Base == x86asm.ESP {
		i.seg = SS
	} else {
		i.seg = DS
	}
}

// setE fills the E (ModRM r/m) operand from arg; it reports false if arg
// is neither a general register nor memory.
func setE(i *Inst, arg x86asm.Arg) bool {
	switch a := arg.(type) {
	case x86asm.Mem:
		setMem(i, a)
		return true
	case x86asm.Reg:
		n, _, ok := regNum(a)
		if !ok {
			return false
		}
		i.rm = n
		return true
	}
	return false
}

// setG fills the G (ModRM reg) operand.
func setG(i *Inst, arg x86asm.Arg) bool {
	r, ok := arg.(x86asm.Reg)
	if !ok {
		return false
	}
	n, _, ok := regNum(r)
	i.reg = n
	return ok
}

// argSize is the size in bytes of a register or memory argument.
func argSize(arg x86asm.Arg, xi *x86asm.Inst) uint8 {
	switch a := arg.(type) {
	case x86asm.Reg:
		_, s, _ := regNum(a)
		return s
	case x86asm.Mem:
		return uint8(xi.MemBytes)
	}
	return 0
}

func isMem(arg x86asm.Arg) bool { _, ok := arg.(x86asm.Mem); return ok }

func isImm(arg x86asm.Arg) bool { _, ok := arg.(x86asm.Imm); return ok }

// sourceSegment returns the segment of a string instruction's DS-default
// operand (after any override).
func sourceSegment(pfx prefixInfo) uint8 {
	if pfx.seg >= 0 {
		return uint8(pfx.seg)
	}
	return DS
}

// lockable reports whether LOCK is allowed: the instruction is one of the
// locked read-modify-write forms and its destination is memory (SDM vol.
// 2, LOCK).
func lockable(i *Inst, xi *x86asm.Inst) bool {
	switch xi.Op {
	case x86asm.ADD, x86asm.ADC, x86asm.AND, x86asm.BTC, x86asm.BTR, x86asm.BTS,
		x86asm.CMPXCHG, x86asm.CMPXCHG8B, x86asm.DEC, x86asm.INC, x86asm.NEG,
		x86asm.NOT, x86asm.OR, x86asm.SBB, x86asm.SUB, x86asm.XOR, x86asm.XADD,
		x86asm.XCHG:
		return isMem(xi.Args[0])
	}
	return false
}

// ALU operation kinds, in the order of the 80-83 group's reg field.
const (
	aluADD = iota
	aluOR
	aluADC
	aluSBB
	aluAND
	aluSUB
	aluXOR
	aluCMP
	aluTEST // not in the group; AND without writing back
)

// Shift/rotate kinds, in group-2 reg-field order.
const (
	shROL = iota
	shROR
	shRCL
	shRCR
	shSHL
	shSHR
	shSAL // alias of SHL, rewritten before we get here
	shSAR
)

var aluOps = map[x86asm.Op]uint8{
	x86asm.ADD: aluADD, x86asm.OR: aluOR, x86asm.ADC: aluADC, x86asm.SBB: aluSBB,
	x86asm.AND: aluAND, x86asm.SUB: aluSUB, x86asm.XOR: aluXOR, x86asm.CMP: aluCMP,
}

var shiftOps = map[x86asm.Op]uint8{
	x86asm.ROL: shROL, x86asm.ROR: shROR, x86asm.RCL: shRCL, x86asm.RCR: shRCR,
	x86asm.SHL: shSHL, x86asm.SHR: shSHR, x86asm.SAR: shSAR,
}

var jccOps = map[x86asm.Op]uint8{
	x86asm.JO: ccO, x86asm.JNO: ccNO, x86asm.JB: ccB, x86asm.JAE: ccAE,
	x86asm.JE: ccE, x86asm.JNE: ccNE, x86asm.JBE: ccBE, x86asm.JA: ccA,
	x86asm.JS: ccS, x86asm.JNS: ccNS, x86asm.JP: ccP, x86asm.JNP: ccNP,
	x86asm.JL: ccL, x86asm.JGE: ccGE, x86asm.JLE: ccLE, x86asm.JG: ccG,
}

var setccOps = map[x86asm.Op]uint8{
	x86asm.SETO: ccO, x86asm.SETNO: ccNO, x86asm.SETB: ccB, x86asm.SETAE: ccAE,
	x86asm.SETE: ccE, x86asm.SETNE: ccNE, x86asm.SETBE: ccBE, x86asm.SETA: ccA,
	x86asm.SETS: ccS, x86asm.SETNS: ccNS, x86asm.SETP: ccP, x86asm.SETNP: ccNP,
	x86asm.SETL: ccL, x86asm.SETGE: ccGE, x86asm.SETLE: ccLE, x86asm.SETG: ccG,
}

var cmovOps = map[x86asm.Op]uint8{
	x86asm.CMOVO: ccO, x86asm.CMOVNO: ccNO, x86asm.CMOVB: ccB, x86asm.CMOVAE: ccAE,
	x86asm.CMOVE: ccE, x86asm.CMOVNE: ccNE, x86asm.CMOVBE: ccBE, x86asm.CMOVA: ccA,
	x86asm.CMOVS: ccS, x86asm.CMOVNS: ccNS, x86asm.CMOVP: ccP, x86asm.CMOVNP: ccNP,
	x86asm.CMOVL: ccL, x86asm.CMOVGE: ccGE, x86asm.CMOVLE: ccLE, x86asm.CMOVG: ccG,
}

// opHandlers chooses the handler of one-operand and counter-branch
// instructions.
var opHandlers = map[x86asm.Op]handler{
	x86asm.INC:    opINC,
	x86asm.DEC:    opDEC,
	x86asm.NEG:    opNEG,
	x86asm.NOT:    opNOT,
	x86asm.MUL:    opMUL,
	x86asm.DIV:    opDIV,
	x86asm.IDIV:   opIDIV,
	x86asm.JCXZ:   opJCXZ,
	x86asm.JECXZ:  opJCXZ,
	x86asm.LOOP:   opLOOP,
	x86asm.LOOPE:  opLOOPE,
	x86asm.LOOPNE: opLOOPNE,
}

// opSubcodes gives Inst.op for instructions that share a handler: the
// bit operation, the segment register loaded, the descriptor-table or
// system register involved.
var opSubcodes = map[x86asm.Op]uint8{
	x86asm.BT:   0,
	x86asm.BTS:  1,
	x86asm.BTR:  2,
	x86asm.BTC:  3,
	x86asm.LDS:  DS,
	x86asm.LES:  ES,
	x86asm.LFS:  FS,
	x86asm.LGS:  GS,
	x86asm.LSS:  SS,
	x86asm.LGDT: 0,
	x86asm.LIDT: 1,
	x86asm.SGDT: 2,
	x86asm.SIDT: 3,
	x86asm.LLDT: 0,
	x86asm.LTR:  1,
	x86asm.VERR: 2,
	x86asm.VERW: 3,
	x86asm.SLDT: 0,
	x86asm.STR:  1,
	x86asm.SMSW: 2,
}

// stringOps maps string instructions to handler and element size.
type stringForm struct {
	fn   handler
	size uint8
}

var stringOps = map[x86asm.Op]stringForm{
	x86asm.MOVSB: {opMOVS, 1}, x86asm.MOVSW: {opMOVS, 2}, x86asm.MOVSD: {opMOVS, 4},
	x86asm.CMPSB: {opCMPS, 1}, x86asm.CMPSW: {opCMPS, 2}, x86asm.CMPSD: {opCMPS, 4},
	x86asm.STOSB: {opSTOS, 1}, x86asm.STOSW: {opSTOS, 2}, x86asm.STOSD: {opSTOS, 4},
	x86asm.LODSB: {opLODS, 1}, x86asm.LODSW: {opLODS, 2}, x86asm.LODSD: {opLODS, 4},
	x86asm.SCASB: {opSCAS, 1}, x86asm.SCASW: {opSCAS, 2}, x86asm.SCASD: {opSCAS, 4},
	x86asm.INSB: {opINS, 1}, x86asm.INSW: {opINS, 2}, x86asm.INSD: {opINS, 4},
	x86asm.OUTSB: {opOUTS, 1}, x86asm.OUTSW: {opOUTS, 2}, x86asm.OUTSD: {opOUTS, 4},
}

// simpleOps are instructions with no operands to resolve.
var simpleOps = map[x86asm.Op]struct {
	fn   handler
	term bool
}{
	x86asm.AAA: {opAAA, false}, x86asm.AAS: {opAAS, false}, x86asm.DAA: {opDAA, false},
	x86asm.DAS: {opDAS, false}, x86asm.CBW: {opCBW, false}, x86asm.CWDE: {opCBW, false},
	x86asm.CWD: {opCWD, false}, x86asm.CDQ: {opCWD, false}, x86asm.CLC: {opCLC, false},
	x86asm.STC: {opSTC, false}, x86asm.CMC: {opCMC, false}, x86asm.CLD: {opCLD, false},
	x86asm.STD: {opSTD, false}, x86asm.CLI: {opCLI, true}, x86asm.STI: {opSTI, true},
	x86asm.LAHF: {opLAHF, false}, x86asm.SAHF: {opSAHF, false}, x86asm.NOP: {opNOP, false},
	x86asm.PAUSE: {opNOP, false}, x86asm.FWAIT: {opWAIT, false}, x86asm.HLT: {opHLT, true},
	x86asm.INTO: {opINTO, true}, x86asm.IRET: {opIRET, true}, x86asm.IRETD: {opIRET, true},
	x86asm.LEAVE: {opLEAVE, false}, x86asm.PUSHA: {opPUSHA, false}, x86asm.PUSHAD: {opPUSHA, false},
	x86asm.POPA: {opPOPA, false}, x86asm.POPAD: {opPOPA, false}, x86asm.PUSHF: {opPUSHF, false},
	x86asm.PUSHFD: {opPUSHF, false}, x86asm.POPF: {opPOPF, true}, x86asm.POPFD: {opPOPF, true},
	x86asm.UD2: {opUD, true}, x86asm.UD0: {opUD, true}, x86asm.UD1: {opUD, true},
	x86asm.ICEBP: {opICEBP, true}, x86asm.CPUID: {opCPUID, true}, x86asm.RDTSC: {opRDTSC, false},
	x86asm.RDMSR: {opRDMSR, true}, x86asm.WRMSR: {opWRMSR, true}, x86asm.RDPMC: {opRDPMC, true},
	x86asm.WBINVD: {opWBINVD, true}, x86asm.INVD: {opWBINVD, true}, x86asm.CLTS: {opCLTS, true},
	x86asm.SYSENTER: {opSYSENTER, true}, x86asm.SYSEXIT: {opSYSEXIT, true},
	x86asm.RSM: {opUD, true},
}

// convert fills i from x86asm's decoding. It returns false for
// instructions a Pentium II does not execute (they raise #UD).
func convert(i *Inst, xi *x86asm.Inst, b []byte, pfx prefixInfo) bool {
	args := xi.Args
	op := xi.Op
	if f, ok := simpleOps[op]; ok {
		i.fn, i.term = f.fn, f.term
		return true
	}
	if k, ok := aluOps[op]; ok {
		i.op = k
		i.size = argSize(args[0], xi)
		if !setE(i, args[0]) {
			return false
		}
		switch {
		case isImm(args[1]):
			i.imm = uint32(args[1].(x86asm.Imm))
			i.fn = opAluEI
		case isMem(args[0]):
			if !setG(i, args[1]) {
				return false
			}
			i.fn = opAluEG
		case isMem(args[1]):
			// G, E form: the register is the destination.
			i.reg = i.rm
			setMem(i, args[1].(x86asm.Mem))
			i.fn = opAluGE
		default:
			// Both registers: x86asm gives Intel order (dst, src).
			if !setG(i, args[1]) {
				return false
			}
			i.fn = opAluEG
		}
		return true
	}
	if k, ok := shiftOps[op]; ok {
		i.op = k
		i.size = argSize(args[0], xi)
		if !setE(i, args[0]) {
			return false
		}
		switch a := args[1].(type) {
		case x86asm.Imm:
			i.imm = uint32(a)
			i.fn = opShiftImm
		case x86asm.Reg:
			i.fn = opShiftCL
		default:
			return false
		}
		return true
	}
	if cc, ok := jccOps[op]; ok {
		i.op = cc
		i.imm = uint32(args[0].(x86asm.Rel))
		i.fn = opJcc
		i.term = true
		return true
	}
	if cc, ok := setccOps[op]; ok {
		i.op = cc
		i.size = 1
		i.fn = opSETcc
		return setE(i, args[0])
	}
	if cc, ok := cmovOps[op]; ok {
		i.op = cc
		i.fn = opCMOV
		i.size = argSize(args[0], xi)
		return setG(i, args[0]) && setE(i, args[1])
	}
	if sf, ok := stringOps[op]; ok {
		i.fn = sf.fn
		i.size = sf.size
		i.seg = sourceSegment(pfx)
		return true
	}
	switch op {
	case x86asm.TEST:
		i.op = aluTEST
		i.size = argSize(args[0], xi)
		if !setE(i, args[0]) {
			return false
		}
		if isImm(args[1]) {
			i.imm = uint32(args[1].(x86asm.Imm))
			i.fn = opAluEI
			return true
		}
		i.fn = opAluEG
		return setG(i, args[1])
	case x86asm.INC, x86asm.DEC, x86asm.NEG, x86asm.NOT:
		i.size = argSize(args[0], xi)
		i.fn = opHandlers[op]
		return setE(i, args[0])
	case x86asm.MUL, x86asm.DIV, x86asm.IDIV:
		i.size = argSize(args[0], xi)
		i.fn = opHandlers[op]
		return setE(i, args[0])
	case x86asm.IMUL:
		switch {
		case args[1] == nil:
			i.size = argSize(args[0], xi)
			i.fn = opIMUL1
			return setE(i, args[0])
		case args[2] == nil:
			i.size = argSize(args[0], xi)
			i.fn = opIMULGE
			return setG(i, args[0]) && setE(i, args[1])
		default:
			i.size = argSize(args[0], xi)
			i.fn = opIMULGEI
			i.imm = uint32(args[2].(x86asm.Imm))
			return setG(i, args[0]) && setE(i, args[1])
		}
	case x86asm.AAM, x86asm.AAD:
		i.imm = uint32(args[0].(x86asm.Imm))
		i.fn = opAAM
		if op == x86asm.AAD {
			i.fn = opAAD
		}
		return true
	case x86asm.SHLD, x86asm.SHRD:
		i.size = argSize(args[0], xi)
		i.op = 0
		if op == x86asm.SHRD {
			i.op = 1
		}
		if !setE(i, args[0]) || !setG(i, args[1]) {
			return false
		}
		if a, ok := args[2].(x86asm.Imm); ok {
			i.imm = uint32(a)
			i.fn = opSHxDImm
		} else {
			i.fn = opSHxDCL
		}
		return true
	case x86asm.BT, x86asm.BTS, x86asm.BTR, x86asm.BTC:
		i.size = argSize(args[0], xi)
		i.op = opSubcodes[op]
		if !setE(i, args[0]) {
			return false
		}
		if a, ok := args[1].(x86asm.Imm); ok {
			i.imm = uint32(a)
			i.fn = opBTImm
			return true
		}
		i.fn = opBTReg
		return setG(i, args[1])
	case x86asm.BSF, x86asm.BSR, x86asm.TZCNT, x86asm.LZCNT:
		// A Pentium II ignores F3 before 0F BC/BD: TZCNT/LZCNT are BSF/BSR.
		i.size = argSize(args[0], xi)
		i.fn = opBSF
		if op == x86asm.BSR || op == x86asm.LZCNT {
			i.fn = opBSR
		}
		return setG(i, args[0]) && setE(i, args[1])
	case x86asm.BSWAP:
		i.size = argSize(args[0], xi)
		i.fn = opBSWAP
		return setG(i, args[0])
	case x86asm.MOV:
		return convertMOV(i, xi)
	case x86asm.MOVZX, x86asm.MOVSX:
		i.size = argSize(args[0], xi)
		i.srcSize = argSize(args[1], xi)
		i.fn = opMOVZX
		if op == x86asm.MOVSX {
			i.fn = opMOVSX
		}
		return setG(i, args[0]) && setE(i, args[1])
	case x86asm.LEA:
		if !isMem(args[1]) {
			return false
		}
		i.size = argSize(args[0], xi)
		i.fn = opLEA
		return setG(i, args[0]) && setE(i, args[1])
	case x86asm.XCHG:
		i.size = argSize(args[0], xi)
		i.fn = opXCHG
		if isMem(args[1]) {
			return setE(i, args[1]) && setG(i, args[0])
		}
		return setE(i, args[0]) && setG(i, args[1])
	case x86asm.XADD, x86asm.CMPXCHG:
		i.size = argSize(args[0], xi)
		i.fn = opXADD
		if op == x86asm.CMPXCHG {
			i.fn = opCMPXCHG
		}
		return setE(i, args[0]) && setG(i, args[1])
	case x86asm.CMPXCHG8B:
		if !isMem(args[0]) {
			return false
		}
		i.fn = opCMPXCHG8B
		return setE(i, args[0])
	case x86asm.PUSH:
		return convertPUSH(i, xi)
	case x86asm.POP:
		return convertPOP(i, xi)
	case x86asm.LDS, x86asm.LES, x86asm.LFS, x86asm.LGS, x86asm.LSS:
		if !isMem(args[1]) {
			return false
		}
		i.size = argSize(args[0], xi)
		i.op = opSubcodes[op]
		i.fn = opLoadFar
		i.term = op == x86asm.LSS
		return setG(i, args[0]) && setE(i, args[1])
	case x86asm.XLATB:
		i.fn = opXLAT
		i.seg = sourceSegment(pfx)
		return true
	case x86asm.ENTER:
		i.imm = uint32(args[0].(x86asm.Imm))
		i.imm2 = uint32(args[1].(x86asm.Imm))
		i.fn = opENTER
		return true
	case x86asm.BOUND:
		if !isMem(args[1]) {
			return false
		}
		i.size = argSize(args[0], xi)
		i.fn = opBOUND
		i.term = true
		return setG(i, args[0]) && setE(i, args[1])
	case x86asm.JMP, x86asm.CALL:
		i.term = true
		if r, ok := args[0].(x86asm.Rel); ok {
			i.imm = uint32(r)
			i.fn = opJMPRel
			if op == x86asm.CALL {
				i.fn = opCALLRel
			}
			return true
		}
		i.size = uint8(xi.DataSize / 8)
		i.fn = opJMPE
		if op == x86asm.CALL {
			i.fn = opCALLE
		}
		return setE(i, args[0])
	case x86asm.LJMP, x86asm.LCALL:
		i.term = true
		i.size = uint8(xi.DataSize / 8)
		i.op = 0
		if op == x86asm.LCALL {
			i.op = 1
		}
		if sel, ok := args[0].(x86asm.Imm); ok {
			i.imm2 = uint32(sel)
			i.imm = uint32(args[1].(x86asm.Imm))
			i.fn = opFarImm
			return true
		}
		if !isMem(args[0]) {
			return false
		}
		i.fn = opFarMem
		return setE(i, args[0])
	case x86asm.RET, x86asm.LRET:
		i.term = true
		if args[0] != nil {
			i.imm = uint32(args[0].(x86asm.Imm))
		}
		i.fn = opRETNear
		if op == x86asm.LRET {
			i.fn = opRETFar
		}
		return true
	case x86asm.JCXZ, x86asm.JECXZ, x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE:
		i.term = true
		i.imm = uint32(args[0].(x86asm.Rel))
		i.fn = opHandlers[op]
		return true
	case x86asm.INT:
		i.term = true
		i.imm = uint32(args[0].(x86asm.Imm))
		i.fn = opINT
		if b[pfx.n] == 0xCC {
			i.fn = opINT3
		}
		return true
	case x86asm.IN, x86asm.OUT:
		data, port := args[0], args[1]
		i.fn = opIN
		if op == x86asm.OUT {
			data, port = args[1], args[0]
			i.fn = opOUT
		}
		i.size = argSize(data, xi)
		if p, ok := port.(x86asm.Imm); ok {
			i.imm = uint32(p)
			i.op = 0
		} else {
			i.op = 1 // port in DX
		}
		return true
	case x86asm.NOP, x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2:
		// 0F 18-1F are hint NOPs on P6 processors; they access no memory.
		i.fn = opNOP
		return true
	}
	return convertSystem(i, xi, b, pfx)
}

func convertMOV(i *Inst, xi *x86asm.Inst) bool {
	dst, src := xi.Args[0], xi.Args[1]
	if r, ok := dst.(x86asm.Reg); ok {
		if s, ok := segNum(r); ok {
			// MOV Sreg, r/m16. Loading CS this way is #UD on a 386+.
			if s == CS {
				return false
			}
			i.op = uint8(s)
			i.size = 2
			i.fn = opMOVSegE
			i.term = true // may change mode or inhibit interrupts (SS)
			return setE(i, src)
		}
		if r >= x86asm.CR0 && r <= x86asm.CR7 {
			i.op = uint8(r - x86asm.CR0)
			i.fn = opMOVToCR
			i.term = true
			sr, _ := src.(x86asm.Reg)
			n, _, ok := regNum(sr)
			i.rm = n
			return ok
		}
		if r >= x86asm.DR0 && r <= x86asm.DR7 {
			i.op = uint8(r - x86asm.DR0)
			i.fn = opMOVToDR
			i.term = true
			sr, _ := src.(x86asm.Reg)
			n, _, ok := regNum(sr)
			i.rm = n
			return ok
		}
	}
	if r, ok := src.(x86asm.Reg); ok {
		if s, ok := segNum(r); ok {
			i.op = uint8(s)
			// MOV r/m, Sreg: a register destination takes the operand
			// size; memory is always written as 16 bits.
			i.size = argSize(dst, xi)
			if isMem(dst) {
				i.size = 2
			}
			i.fn = opMOVESeg
			return setE(i, dst)
		}
		if r >= x86asm.CR0 && r <= x86asm.CR7 {
			i.op = uint8(r - x86asm.CR0)
			i.fn = opMOVFromCR
			i.term = true
			dr, _ := dst.(x86asm.Reg)
			n, _, ok := regNum(dr)
			i.rm = n
			return ok
		}
		if r >= x86asm.DR0 && r <= x86asm.DR7 {
			i.op = uint8(r - x86asm.DR0)
			i.fn = opMOVFromDR
			i.term = true
			dr, _ := dst.(x86asm.Reg)
			n, _, ok := regNum(dr)
			i.rm = n
			return ok
		}
	}
	i.size = argSize(dst, xi)
	if i.size == 0 {
		i.size = argSize(src, xi)
	}
	switch {
	case isImm(src):
		i.imm = uint32(src.(x86asm.Imm))
		i.fn = opMOVEI
		return setE(i, dst)
	case isMem(src):
		i.fn = opMOVGE
		return setG(i, dst) && setE(i, src)
	default:
		i.fn = opMOVEG
		return setE(i, dst) && setG(i, src)
	}
}

func convertPUSH(i *Inst, xi *x86asm.Inst) bool {
	i.size = uint8(xi.DataSize / 8)
	switch a := xi.Args[0].(type) {
	case x86asm.Imm:
		i.imm = uint32(a)
		i.fn = opPUSHImm
		return true
	case x86asm.Reg:
		if s, ok := segNum(a); ok {
			i.op = uint8(s)
			i.fn = opPUSHSeg
			return true
		}
		i.fn = opPUSHE
		return setE(i, a)
	case x86asm.Mem:
		i.fn = opPUSHE
		setMem(i, a)
		return true
	}
	return false
}

func convertPOP(i *Inst, xi *x86asm.Inst) bool {
	i.size = uint8(xi.DataSize / 8)
	switch a := xi.Args[0].(type) {
	case x86asm.Reg:
		if s, ok := segNum(a); ok {
			if s == CS {
				return false
			}
			i.op = uint8(s)
			i.fn = opPOPSeg
			i.term = true
			return true
		}
		i.fn = opPOPE
		return setE(i, a)
	case x86asm.Mem:
		i.fn = opPOPE
		setMem(i, a)
		return true
	}
	return false
}

// convertSystem handles the system instructions (SDM vol. 3).
func convertSystem(i *Inst, xi *x86asm.Inst, b []byte, pfx prefixInfo) bool {
	args := xi.Args
	i.term = true
	switch xi.Op {
	case x86asm.LGDT, x86asm.LIDT, x86asm.SGDT, x86asm.SIDT:
		if !isMem(args[0]) {
			return false
		}
		i.op = opSubcodes[xi.Op]
		i.fn = opDescTable
		return setE(i, args[0])
	case x86asm.LLDT, x86asm.LTR, x86asm.VERR, x86asm.VERW:
		i.size = 2
		i.op = opSubcodes[xi.Op]
		i.fn = opGroup6Load
		return setE(i, args[0])
	case x86asm.SLDT, x86asm.STR, x86asm.SMSW:
		i.size = argSize(args[0], xi)
		if isMem(args[0]) {
			i.size = 2
		}
		i.op = opSubcodes[xi.Op]
		i.fn = opStoreSysReg
		return setE(i, args[0])
	case x86asm.LMSW:
		i.size = 2
		i.fn = opLMSW
		return setE(i, args[0])
	case x86asm.INVLPG:
		if !isMem(args[0]) {
			return false
		}
		i.fn = opINVLPG
		return setE(i, args[0])
	case x86asm.LAR, x86asm.LSL:
		i.size = argSize(args[0], xi)
		i.fn = opLAR
		if xi.Op == x86asm.LSL {
			i.fn = opLSL
		}
		return setG(i, args[0]) && setE(i, args[1])
	case x86asm.ARPL:
		i.size = 2
		i.fn = opARPL
		return setE(i, args[0]) && setG(i, args[1])
	}
	return false
}
