package conformance

import (
	"fmt"
	"strings"
)

// FLAGS bits (SDM vol. 1, 3.4.3).
const (
	fCF = 1 << 0
	fPF = 1 << 2
	fAF = 1 << 4
	fZF = 1 << 6
	fSF = 1 << 7
	fOF = 1 << 11

	// highFlags are FLAGS bits 12-15. A 286 in real mode keeps them 0,
	// while a 386 or later loads IOPL (12-13) and NT (14) from POPF and
	// IRET in real mode (SDM vol. 1, 3.4.3.3; vol. 2, POPF: "all
	// non-reserved flags can be modified" in real-address mode). They are
	// cleared in the initial state, which is what the 286 really held,
	// and masked when comparing results.
	highFlags = 0xF000
)

// Mask says which FLAGS bits a test compares.
type Mask struct {
	// Undefined are the flags the SDM leaves undefined for this test's
	// instruction and operands; they are not compared.
	Undefined uint16
	// Why cites the SDM for Undefined.
	Why string
}

// logicAF: AND, OR, XOR and TEST leave AF undefined (SDM vol. 2, AND/OR/
// XOR/TEST, "Flags Affected").
var logicAF = Mask{fAF, "SDM vol. 2 AND/OR/XOR/TEST: AF undefined"}

// fixedMasks are per-file masks that do not depend on operands.
var fixedMasks = map[string]Mask{
	// Logic instructions.
	"08": logicAF, "09": logicAF, "0A": logicAF, "0B": logicAF, "0C": logicAF, "0D": logicAF,
	"20": logicAF, "21": logicAF, "22": logicAF, "23": logicAF, "24": logicAF, "25": logicAF,
	"30": logicAF, "31": logicAF, "32": logicAF, "33": logicAF, "34": logicAF, "35": logicAF,
	"84": logicAF, "85": logicAF, "A8": logicAF, "A9": logicAF,
	"80.1": logicAF, "80.4": logicAF, "80.6": logicAF,
	"81.1": logicAF, "81.4": logicAF, "81.6": logicAF,
	"82.1": logicAF, "82.4": logicAF, "82.6": logicAF,
	"83.1": logicAF, "83.4": logicAF, "83.6": logicAF,
	"F6.0": logicAF, "F6.1": logicAF, "F7.0": logicAF, "F7.1": logicAF,
	// Multiply: CF and OF are defined, SF, ZF, AF and PF are not.
	"F6.4": {fSF | fZF | fAF | fPF, "SDM vol. 2 MUL: SF, ZF, AF, PF undefined"},
	"F7.4": {fSF | fZF | fAF | fPF, "SDM vol. 2 MUL: SF, ZF, AF, PF undefined"},
	"F6.5": {fSF | fZF | fAF | fPF, "SDM vol. 2 IMUL: SF, ZF, AF, PF undefined"},
	"F7.5": {fSF | fZF | fAF | fPF, "SDM vol. 2 IMUL: SF, ZF, AF, PF undefined"},
	"69":   {fSF | fZF | fAF | fPF, "SDM vol. 2 IMUL: SF, ZF, AF, PF undefined"},
	"6B":   {fSF | fZF | fAF | fPF, "SDM vol. 2 IMUL: SF, ZF, AF, PF undefined"},
	// Divide: all six status flags undefined.
	"F6.6": {fCF | fOF | fSF | fZF | fAF | fPF, "SDM vol. 2 DIV: CF, OF, SF, ZF, AF, PF undefined"},
	"F7.6": {fCF | fOF | fSF | fZF | fAF | fPF, "SDM vol. 2 DIV: CF, OF, SF, ZF, AF, PF undefined"},
	"F6.7": {fCF | fOF | fSF | fZF | fAF | fPF, "SDM vol. 2 IDIV: CF, OF, SF, ZF, AF, PF undefined"},
	"F7.7": {fCF | fOF | fSF | fZF | fAF | fPF, "SDM vol. 2 IDIV: CF, OF, SF, ZF, AF, PF undefined"},
	// BCD adjustments.
	"37": {fOF | fSF | fZF | fPF, "SDM vol. 2 AAA: OF, SF, ZF, PF undefined"},
	"3F": {fOF | fSF | fZF | fPF, "SDM vol. 2 AAS: OF, SF, ZF, PF undefined"},
	"27": {fOF, "SDM vol. 2 DAA: OF undefined"},
	"2F": {fOF, "SDM vol. 2 DAS: OF undefined"},
	"D4": {fOF | fAF | fCF, "SDM vol. 2 AAM: OF, AF, CF undefined"},
	"D5": {fOF | fAF | fCF, "SDM vol. 2 AAD: OF, AF, CF undefined"},
}

// shiftCount returns the masked shift count a group-2 test uses.
func shiftCount(t *Test, file string, opcode byte) uint16 {
	switch opcode {
	case 0xD0, 0xD1:
		return 1
	case 0xD2, 0xD3:
		return t.Init.Regs[RegCX] & 0xFF & 0x1F
	}
	// C0/C1: the immediate is the byte before the trailing HLT.
	if len(t.Bytes) >= 2 {
		return uint16(t.Bytes[len(t.Bytes)-2]) & 0x1F
	}
	return 0
}

// MaskFor returns the undefined-flag mask for one test of file (e.g.
// "D3.4"), following the "Flags Affected" text of each instruction.
func MaskFor(file string, t *Test) Mask {
	if m, ok := fixedMasks[file]; ok {
		return m
	}
	base, reg, group := strings.Cut(file, ".")
	if !group {
		return Mask{}
	}
	var opcode byte
	switch base {
	case "C0":
		opcode = 0xC0
	case "C1":
		opcode = 0xC1
	case "D0":
		opcode = 0xD0
	case "D1":
		opcode = 0xD1
	case "D2":
		opcode = 0xD2
	case "D3":
		opcode = 0xD3
	default:
		return Mask{}
	}
	width := uint16(16)
	if opcode == 0xC0 || opcode == 0xD0 || opcode == 0xD2 {
		width = 8
	}
	n := shiftCount(t, file, opcode)
	if n == 0 {
		return Mask{} // a zero count affects no flags
	}
	switch reg {
	case "0", "1", "2", "3":
		// Rotates: OF is defined only for 1-bit rotates (SDM vol. 2,
		// RCL/RCR/ROL/ROR, "Flags Affected").
		if n != 1 {
			return Mask{fOF, "SDM vol. 2 ROL/ROR/RCL/RCR: OF undefined for counts other than 1"}
		}
		return Mask{}
	default:
		// Shifts: AF undefined for a non-zero count, OF for counts other
		// than 1, and CF for SHL/SHR counts of at least the operand width
		// (SDM vol. 2, SAL/SAR/SHL/SHR, "Flags Affected").
		m := Mask{fAF, "SDM vol. 2 SAL/SAR/SHL/SHR: AF undefined for non-zero counts"}
		if n != 1 {
			m.Undefined |= fOF
			m.Why += "; OF undefined for counts other than 1"
		}
		if n >= width && reg != "7" {
			m.Undefined |= fCF
			m.Why += "; CF undefined for SHL/SHR counts >= operand width"
		}
		return m
	}
}

// lockableOpcodes are the one-byte opcodes LOCK may prefix (with a memory
// destination), with the ModRM reg values allowed for group opcodes (SDM
// vol. 2, LOCK).
func lockable(op, modrm byte) bool {
	if modrm>>6 == 3 {
		return false // register destination
	}
	reg := modrm >> 3 & 7
	switch op {
	case 0x00, 0x01, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x86, 0x87:
		return true
	case 0x80, 0x81, 0x82, 0x83:
		return reg != 7
	case 0xF6, 0xF7:
		return reg == 2 || reg == 3
	case 0xFE, 0xFF:
		return reg == 0 || reg == 1
	}
	return false
}

// prefixCount counts the legacy prefix bytes of an instruction.
func prefixCount(b []byte) int {
	n := 0
	for n < len(b) {
		switch b[n] {
		case 0x26, 0x2E, 0x36, 0x3E, 0xF0, 0xF2, 0xF3:
			n++
		default:
			return n
		}
	}
	return n
}

// Exclusion returns a non-empty reason when a test exercises behaviour in
// which a P6-class processor legitimately differs from the 80286. Each
// reason cites the SDM.
func Exclusion(file string, t *Test) string {
	b := t.Bytes
	n := prefixCount(b)
	if n >= len(b) {
		return ""
	}
	op := b[n]
	var modrm byte
	if n+1 < len(b) {
		modrm = b[n+1]
	}
	final := func(k int) uint16 { return expect(t, k) }
	switch {
	case t.Exception == 13 && len(b)-1 > 10:
		return "the 286 faults on instructions longer than 10 bytes; a P6 allows 15 (SDM vol. 2, 2.3.11)"
	case (op == 0x8C || op == 0x8E) && (modrm>>3&7 == 4 || modrm>>3&7 == 5):
		return "8C/8E with reg 4 or 5 name FS and GS on a 386 or later; the 286 raises #UD (SDM vol. 2, MOV)"
	case isString(op) && t.Exception == 13 && (final(RegSI) != t.Init.Regs[RegSI] || final(RegDI) != t.Init.Regs[RegDI]):
		return "the 286 advances (E)SI/(E)DI before a string access faults at the segment limit; a P6 fault leaves them unchanged (SDM vol. 3, 6.5)"
	case op == 0x8F && t.Exception == 13 && final(RegSP) != t.Init.Regs[RegSP]-6:
		return "the 286 commits the SP increment of POP m16 before the store faults; a P6 fault leaves SP unchanged (SDM vol. 3, 6.5)"
	case op == 0xD4 && t.Exception == 0:
		return "AAM 0 on the 286 updates SF/ZF/PF before #DE; a P6 fault leaves the flags unchanged (SDM vol. 3, 6.5)"
	}
	if why, ok := knownHardwareQuirks[fmt.Sprintf("%x", t.Hash)]; ok {
		return why
	}
	return ""
}

// knownHardwareQuirks lists single tests, by hash, where the recorded 286
// result contradicts the SDM's definition of the instruction.
var knownHardwareQuirks = map[string]string{
	// F6.7 #952: IDIV byte [si] with AX=81C1h (-32319) and divisor 7Ch
	// (124). The quotient -260 does not fit in AL, which the SDM defines
	// as #DE; the 286 returned AX=C180h instead.
	"0038b4bacfb75535b5da175f619b0812b16d0601": "IDIV quotient out of range: the SDM (vol. 2, IDIV) defines #DE; the 286 returned a result",
}

// isString reports whether op is a string instruction.
func isString(op byte) bool {
	return (op >= 0x6C && op <= 0x6F) || (op >= 0xA4 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF)
}

// neutralLock returns the instruction bytes with each LOCK prefix of an
// instruction that cannot be locked replaced by a segment-override prefix
// that changes nothing: a copy of the instruction's last segment override
// if it has one, otherwise the default segment of its memory operand (SS
// for BP-based 16-bit addressing, DS for everything else, including
// instructions with no memory operand, where a segment prefix is
// ignored). The 286 ignores LOCK, so its recorded results are exactly
// those of the rewritten instruction; a P6 raises #UD for the original
// (SDM vol. 2, LOCK), which cpu's own tests check separately. It returns
// nil when no rewrite is needed.
func neutralLock(b []byte) []byte {
	n := prefixCount(b)
	lockAt := -1
	seg := byte(0)
	for k, x := range b[:n] {
		switch x {
		case 0xF0:
			lockAt = k
		case 0x26, 0x2E, 0x36, 0x3E:
			seg = x
		}
	}
	if lockAt < 0 || n >= len(b) {
		return nil
	}
	var modrm byte
	if n+1 < len(b) {
		modrm = b[n+1]
	}
	if lockable(b[n], modrm) {
		return nil
	}
	if seg == 0 {
		seg = 0x3E
		if hasModRM(b[n]) && modrm>>6 != 3 {
			rm := modrm & 7
			if rm == 2 || rm == 3 || (rm == 6 && modrm>>6 != 0) {
				seg = 0x36
			}
		}
	}
	out := append([]byte(nil), b...)
	for k := range out[:n] {
		if out[k] == 0xF0 {
			out[k] = seg
		}
	}
	return out
}

// hasModRM reports whether a one-byte opcode (8086-286 map) takes ModRM.
func hasModRM(op byte) bool {
	switch {
	case op < 0x40:
		return op&7 < 4
	case op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6B:
		return true
	case op >= 0x80 && op <= 0x8F:
		return true
	case op >= 0xC0 && op <= 0xC1, op >= 0xC4 && op <= 0xC7:
		return true
	case op >= 0xD0 && op <= 0xD3, op >= 0xD8 && op <= 0xDF:
		return true
	case op == 0xF6 || op == 0xF7 || op == 0xFE || op == 0xFF:
		return true
	}
	return false
}

// codeBytes maps the physical addresses of a test's instruction bytes to
// their replacements when a LOCK prefix is neutralised.
func codeBytes(t *Test) map[uint32]uint8 {
	nb := neutralLock(t.Bytes)
	if nb == nil {
		return nil
	}
	m := map[uint32]uint8{}
	for k, v := range nb {
		// Instruction bytes wrap within the 64 KiB code segment.
		off := (uint32(t.Init.Regs[RegIP]) + uint32(k)) & 0xFFFF
		m[uint32(t.Init.Regs[RegCS])<<4+off] = v
	}
	return m
}
