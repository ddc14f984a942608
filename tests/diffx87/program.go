package diffx87

import (
	"encoding/binary"
	"fmt"

	"github.com/gox86/gox86/tests/internal/userelf"
)

// Results record of a case: the FNSAVE image after the instruction, then
// EAX and EFLAGS as they were right after it, then the window.
const (
	recSave  = 0
	recEAX   = saveSize
	recFlags = recEAX + 4
	recWin   = recFlags + 4
	RecSize  = recWin + WindowSize
)

// Program is a form's cases assembled into a static i386 Linux program.
type Program struct {
	Form  *Form
	Cases []Case
	ELF   []byte
	// Starts holds the address of each case's code.
	Starts  []uint32
	InAddr  uint32 // the FRSTOR images
	ResAddr uint32
}

// ResLen is the size of the results area the program writes to stdout.
func (p *Program) ResLen() int { return RecSize * len(p.Cases) }

func caseLen(c *Case) int {
	return 10*WindowSize/4 + 6 + 5 + 5 + 1 + 5 + len(c.Code) + 5 + 1 + 6 + 6 + 10*WindowSize/4
}

// insnOffset is the offset of the instruction under test in its case's
// code (after the window stores, FRSTOR, MOV ESP, PUSH, POPFD, MOV EAX).
const insnOffset = 10*WindowSize/4 + 6 + 5 + 5 + 1 + 5

// InsnAddr is the address of case k's instruction under test.
func (p *Program) InsnAddr(k int) uint32 { return p.Starts[k] + insnOffset }

// tailLen is the length of the write-and-exit code.
const tailLen = userelf.ExitTailLen

// Build assembles the program. For each case it
//
//   - stores the window with MOV DWORD [abs], imm32,
//   - loads the x87 state with FRSTOR (32-bit protected-mode image), then
//     EFLAGS with PUSH imm32 / POPFD on a scratch stack and EAX,
//   - runs the instruction under test,
//   - stores EAX, EFLAGS (PUSHFD / POP m32) and the x87 state (FNSAVE,
//     which also reinitializes the FPU) into the case's record, and copies
//     the window there.
//
// After the last case it writes the results area to stdout (INT 80h
// write, looping over short writes) and exits with status 0.
func Build(f *Form, cases []Case) *Program {
	p := &Program{Form: f, Cases: cases}
	size := tailLen
	for k := range cases {
		size += caseLen(&cases[k])
	}
	p.InAddr = (CodeAddr + uint32(size) + 0xFFF) &^ 0xFFF
	p.ResAddr = (p.InAddr + uint32(saveSize*len(cases)) + 0xFFF) &^ 0xFFF
	code := make([]byte, 0, size)
	le := binary.LittleEndian
	u32 := func(v uint32) { code = le.AppendUint32(code, v) }
	for k := range cases {
		c := &cases[k]
		start := len(code)
		p.Starts = append(p.Starts, CodeAddr+uint32(start))
		rec := p.ResAddr + uint32(k*RecSize)
		for w := 0; w < WindowSize; w += 4 {
			code = append(code, 0xC7, 0x05) // MOV DWORD [window+w], imm32
			u32(WindowAddr + uint32(w))
			u32(le.Uint32(c.Win[w:]))
		}
		code = append(code, 0xDD, 0x25) // FRSTOR [image]
		u32(p.InAddr + uint32(k*saveSize))
		code = append(code, 0xBC) // MOV ESP, scratchTop
		u32(scratchTop)
		code = append(code, 0x68) // PUSH imm32
		u32(c.Flags)
		code = append(code, 0x9D) // POPFD
		code = append(code, 0xB8) // MOV EAX, imm32
		u32(c.EAX)
		code = append(code, c.Code...)
		code = append(code, 0xA3) // MOV [rec+recEAX], EAX
		u32(rec + recEAX)
		code = append(code, 0x9C)       // PUSHFD
		code = append(code, 0x8F, 0x05) // POP DWORD [rec+recFlags]
		u32(rec + recFlags)
		code = append(code, 0xDD, 0x35) // FNSAVE [rec]
		u32(rec + recSave)
		for w := 0; w < WindowSize; w += 4 {
			code = append(code, 0xA1) // MOV EAX, [window+w]
			u32(WindowAddr + uint32(w))
			code = append(code, 0xA3) // MOV [rec+recWin+w], EAX
			u32(rec + recWin + uint32(w))
		}
		if len(code)-start != caseLen(c) {
			panic(fmt.Sprintf("diffx87: case length %d, want %d", len(code)-start, caseLen(c)))
		}
	}
	code = userelf.AppendWriteExit(code, p.ResAddr, uint32(p.ResLen()))
	image := make([]byte, p.InAddr-LoadAddr, p.InAddr-LoadAddr+uint32(saveSize*len(cases)))
	copy(image[CodeAddr-LoadAddr:], code)
	for k := range cases {
		image = append(image, cases[k].image()...)
	}
	memSize := p.ResAddr - LoadAddr + uint32(p.ResLen())
	p.ELF = buildELF(image, memSize)
	return p
}

// CaseAt returns the index of the case whose code holds eip, or -1.
func (p *Program) CaseAt(eip uint32) int {
	for k := len(p.Starts) - 1; k >= 0; k-- {
		if eip >= p.Starts[k] {
			if k == len(p.Starts)-1 && eip >= p.Starts[k]+uint32(caseLen(&p.Cases[k])) {
				return -1
			}
			return k
		}
	}
	return -1
}

// Result is a case's final state as the program recorded it.
type Result struct {
	State State
	EAX   uint32
	Flags uint32
	Win   [WindowSize]byte
}

// Parse splits the program's output into per-case results.
func (p *Program) Parse(out []byte) ([]Result, error) {
	if len(out) != p.ResLen() {
		return nil, fmt.Errorf("output is %d bytes, want %d", len(out), p.ResLen())
	}
	le := binary.LittleEndian
	res := make([]Result, len(p.Cases))
	for k := range res {
		rec := out[k*RecSize:]
		r := &res[k]
		r.State = parseSave(rec[recSave:])
		r.EAX = le.Uint32(rec[recEAX:])
		r.Flags = le.Uint32(rec[recFlags:])
		copy(r.Win[:], rec[recWin:])
	}
	return res, nil
}
