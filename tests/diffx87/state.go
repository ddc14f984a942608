package diffx87

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/gox86/gox86/cpu/float80"
	"golang.org/x/arch/x86/x86asm"
)

// Status-word bits (SDM vol. 1, 8.1.3, figure 8-4).
const (
	swIE  = 1 << 0
	swDE  = 1 << 1
	swZE  = 1 << 2
	swOE  = 1 << 3
	swUE  = 1 << 4
	swPE  = 1 << 5
	swSF  = 1 << 6
	swES  = 1 << 7
	swC0  = 1 << 8
	swC1  = 1 << 9
	swC2  = 1 << 10
	swTOP = 7 << 11
	swC3  = 1 << 14
	swB   = 1 << 15

	swFlags = 0x3F
	swCC    = swC0 | swC1 | swC2 | swC3
)

// EFLAGS status bits (SDM vol. 1, 3.4.3).
const (
	fCF = 1 << 0
	fPF = 1 << 2
	fAF = 1 << 4
	fZF = 1 << 6
	fSF = 1 << 7
	fOF = 1 << 11

	statusFlags = fCF | fPF | fAF | fZF | fSF | fOF
)

// saveSize is the size of an FSAVE image in the 32-bit protected-mode
// format (SDM vol. 1, 8.1.10, figure 8-9, then ST(0)..ST(7)).
const saveSize = 108

// State is a decoded FSAVE image.
type State struct {
	CW, SW, TW uint16
	FIP, FDP   uint32
	FCS, FDS   uint16
	FOP        uint16
	ST         [8]float80.F80 // ST(0)..ST(7)
}

func (s *State) top() int { return int(s.SW>>11) & 7 }

// empty reports whether ST(i) is tagged empty.
func (s *State) empty(i int) bool { return s.TW>>(2*((s.top()+i)&7))&3 == 3 }

func parseSave(b []byte) State {
	le := binary.LittleEndian
	d := func(k int) uint32 { return le.Uint32(b[4*k:]) }
	s := State{CW: uint16(d(0)), SW: uint16(d(1)), TW: uint16(d(2)),
		FIP: d(3), FCS: uint16(d(4)), FOP: uint16(d(4)>>16) & 0x7FF, FDP: d(5), FDS: uint16(d(6))}
	for i := range s.ST {
		var r [10]byte
		copy(r[:], b[28+10*i:])
		s.ST[i] = float80.FromBytes(r)
	}
	return s
}

// image is the FRSTOR image of a case's input state: CW, SW, a tag word
// that marks the empty registers (FRSTOR recomputes the other tags, SDM
// vol. 1, 8.1.7), zero pointers, and the registers in stack order.
func (c *Case) image() []byte {
	le := binary.LittleEndian
	b := make([]byte, saveSize)
	le.PutUint32(b[0:], uint32(c.CW))
	le.PutUint32(b[4:], uint32(c.SW))
	var tw uint16
	for r := 0; r < 8; r++ {
		if c.Empty&(1<<r) != 0 {
			tw |= 3 << (2 * r)
		}
	}
	le.PutUint32(b[8:], uint32(tw))
	top := int(c.SW>>11) & 7
	for i := 0; i < 8; i++ {
		v := c.Phys[(top+i)&7].Bytes()
		copy(b[28+10*i:], v[:])
	}
	return b
}

// In returns the input state decoded as the test program will see it
// (tags as "empty"/"valid" only; FRSTOR recomputes the rest).
func (c *Case) In() State { return parseSave(c.image()) }

// st is ST(i) of the input.
func (c *Case) st(i int) float80.F80 { return c.Phys[(int(c.SW>>11)+i)&7] }

func (c *Case) setST(i int, v float80.F80) {
	r := (int(c.SW>>11) + i) & 7
	c.Phys[r] = v
	c.Empty &^= 1 << r
}

func (c *Case) freeST(i int) { c.Empty |= 1 << ((int(c.SW>>11) + i) & 7) }

func (c *Case) isEmpty(i int) bool { return c.Empty&(1<<((int(c.SW>>11)+i)&7)) != 0 }

// mem returns the memory operand's bytes.
func (c *Case) mem(n int) []byte { return c.Win[c.MemOff : c.MemOff+uint32(n)] }

func hex80(v float80.F80) string { return fmt.Sprintf("%04X:%016X", v.SE, v.Mant) }

// Disasm is the Intel-syntax disassembly of 32-bit code (x86asm).
func Disasm(code []byte) string {
	var parts []string
	for len(code) > 0 {
		inst, err := x86asm.Decode(code, 32)
		if err != nil {
			return strings.Join(append(parts, fmt.Sprintf("(bad: % X)", code)), "; ")
		}
		parts = append(parts, x86asm.IntelSyntax(inst, 0, nil))
		code = code[inst.Len:]
	}
	return strings.Join(parts, "; ")
}

func (s *State) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CW=%04X SW=%04X TW=%04X FIP=%04X:%08X FOP=%03X FDP=%04X:%08X", s.CW, s.SW, s.TW, s.FCS, s.FIP, s.FOP, s.FDS, s.FDP)
	for i, v := range s.ST {
		tag := ""
		if s.empty(i) {
			tag = " (empty)"
		}
		fmt.Fprintf(&b, "\n    ST(%d) %s%s", i, hex80(v), tag)
	}
	return b.String()
}
