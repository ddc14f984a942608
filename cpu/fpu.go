package cpu

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/gox86/gox86/cpu/float80"
)

// The x87 FPU (SDM vol. 1, chapter 8): eight 80-bit registers used as a
// stack, control/status/tag words, the last instruction and data
// pointers. Arithmetic is package float80's exact software float80.

// FPU status word bits (SDM vol. 1, 8.1.3).
const (
	fswIE  = 1 << 0
	fswSF  = 1 << 6
	fswES  = 1 << 7
	fswC0  = 1 << 8
	fswC1  = 1 << 9
	fswC2  = 1 << 10
	fswC3  = 1 << 14
	fswB   = 1 << 15
	fswTOP = 7 << 11
	// fswCC are the condition codes kept in fpuState.cc; C1 lives in
	// env.C1, where float80 reports rounding direction.
	fswCC = fswC0 | fswC2 | fswC3
)

// fpuState is the x87 register file and environment.
type fpuState struct {
	st    [8]float80.F80 // physical registers R0-R7
	empty uint8          // bit n: Rn is empty (tag 11)
	top   uint8
	cc    uint16 // C0, C2, C3 in their status-word positions (C1 is env.C1)
	sf    bool   // stack fault (status word bit 6)
	env   float80.Env
	// Last non-control instruction and its memory operand (FIP, FCS,
	// FOP, FDP, FDS; SDM vol. 1, 8.1.8-8.1.9).
	fip, fdp uint32
	fcs, fds uint16
	fop      uint16
	// ferr is the FERR# output (legacy error reporting, CR0.NE = 0).
	ferr bool
}

// init is FNINIT (SDM vol. 2, FINIT/FNINIT): control word 037Fh, status
// 0, every register tagged empty (their contents are kept), pointers
// cleared.
func (f *fpuState) init() {
	*f = fpuState{st: f.st, empty: 0xFF, env: float80.NewEnv(0x037F), ferr: f.ferr}
}

// statusWord assembles the status word.
func (f *fpuState) statusWord() uint16 {
	sw := uint16(f.env.Flags)&0x3F | f.cc | uint16(f.top)<<11
	if f.env.C1 {
		sw |= fswC1
	}
	if f.sf {
		sw |= fswSF
	}
	if f.env.Unmasked() != 0 {
		sw |= fswES | fswB
	}
	return sw
}

func (f *fpuState) setStatusWord(sw uint16) {
	f.env.Flags = float80.Exceptions(sw & 0x3F)
	f.cc = sw & fswCC
	f.env.C1 = sw&fswC1 != 0
	f.top = uint8(sw>>11) & 7
	f.sf = sw&fswSF != 0
}

// tagWord computes the full tag word from the registers (SDM vol. 1,
// 8.1.7): 00 valid, 01 zero, 10 special, 11 empty.
func (f *fpuState) tagWord() uint16 {
	var tw uint16
	for r := 0; r < 8; r++ {
		var t uint16
		switch {
		case f.empty&(1<<r) != 0:
			t = 3
		default:
			switch f.st[r].Class() {
			case float80.ClassZero:
				t = 1
			case float80.ClassNormal:
				t = 0
			default:
				t = 2
			}
		}
		tw |= t << (2 * r)
	}
	return tw
}

func (f *fpuState) setTagWord(tw uint16) {
	f.empty = 0
	for r := 0; r < 8; r++ {
		if tw>>(2*r)&3 == 3 {
			f.empty |= 1 << r
		}
	}
}

func (f *fpuState) phys(i uint8) uint8 { return (f.top + i) & 7 }

func (f *fpuState) isEmpty(i uint8) bool { return f.empty&(1<<f.phys(i)) != 0 }

// FERR reports the FERR# output, which a PC routes to IRQ 13 when
// CR0.NE is clear (SDM vol. 1, 8.7).
func (c *CPU) FERR() bool { return c.fpu.ferr }

// ClearFERR is the effect of an OUT to port F0h on a PC: the FERR#
// latch (and IRQ 13) is released.
func (c *CPU) ClearFERR() {
	if c.fpu.ferr {
		c.fpu.ferr = false
		if c.Hooks.FERR != nil {
			c.Hooks.FERR(false)
		}
	}
}

// fpuPending reports a pending unmasked x87 exception to a waiting
// instruction: #MF with CR0.NE set, otherwise FERR# (SDM vol. 1, 8.7).
func (c *CPU) fpuPending() {
	if c.fpu.env.Unmasked() == 0 {
		return
	}
	if c.CR0&CR0NE != 0 {
		c.raise(excMF, 0)
	}
	if !c.fpu.ferr {
		c.fpu.ferr = true
		if c.Hooks.FERR != nil {
			c.Hooks.FERR(true)
		}
	}
}

// opWAIT: WAIT/FWAIT checks CR0.MP with TS (#NM) and pending x87
// exceptions (SDM vol. 2, WAIT/FWAIT).
func opWAIT(c *CPU, i *Inst) {
	if c.CR0&(CR0MP|CR0TS) == CR0MP|CR0TS {
		c.raise(excNM, 0)
	}
	c.fpuPending()
}

// x87 instruction form, decoded from the escape opcode and ModRM: the
// low three bits of the escape byte (D8h-DFh), ModRM.reg and, for
// register forms, ModRM.rm.
type fpuForm struct {
	esc, reg, rm uint8
	mem          bool
}

// convertFPU decodes an x87 instruction (D8h-DFh) from its bytes; x86asm
// supplies the memory operand and length. Every escape decodes (invalid
// register forms raise #UD when executed, after the #NM check).
func convertFPU(i *Inst, xi *x86asm.Inst, b []byte, pfx prefixInfo) bool {
	esc, modrm := b[pfx.n]-0xD8, b[pfx.n+1]
	i.op = esc<<3 | modrm>>3&7
	i.rm = modrm & 7
	i.imm2 = uint32(modrm)
	i.fn = opFPU
	if modrm>>6 != 3 {
		for _, a := range xi.Args {
			if m, ok := a.(x86asm.Mem); ok {
				setMem(i, m)
				return true
			}
		}
		return false
	}
	i.mem = false
	return true
}

// isFPUEscape reports whether the opcode byte at b[n] is an x87 escape.
func isFPUEscape(b []byte, n int) bool { return n+1 < len(b) && b[n] >= 0xD8 && b[n] <= 0xDF }

// fpuDecode decodes an escape instruction whose register or memory form
// x86asm may not know (aliases, reserved encodings): the ModRM reg field
// is set to 0 so x86asm measures the length and the memory operand.
func fpuDecode(b []byte, mode int, pfx prefixInfo) (Inst, decodeResult) {
	probe := append([]byte(nil), b...)
	probe[pfx.n] = 0xD8
	probe[pfx.n+1] &^= 0x38
	xi, err := x86asm.Decode(probe, mode)
	if err != nil || xi.Op == 0 {
		if len(b) < 15 && needsMore(probe, mode, pfx) {
			return Inst{}, decodeTruncated
		}
		return invalidInst(b, pfx), decodeOK
	}
	i := Inst{
		len:   uint8(xi.Len),
		base:  regNone,
		index: regNone,
		seg:   DS,
		a32:   xi.AddrSize == 32,
		size:  uint8(xi.DataSize / 8),
		lock:  pfx.lock,
	}
	convertFPU(&i, &xi, b, pfx)
	if i.lock {
		i.fn = opUD
	}
	return i, decodeOK
}

// resetFPU puts the x87 unit in its RESET state (SDM vol. 3, table 9-1):
// control word 0040h, status 0, all registers +0.0 and tagged valid.
func (c *CPU) resetFPU() {
	c.fpu = fpuState{env: float80.NewEnv(0x0040)}
}
