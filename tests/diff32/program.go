package diff32

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/gox86/gox86/tests/internal/userelf"
)

// DefaultSeed is the seed of the committed test run. Cases depend only on
// the seed and the form's name, so adding a form changes no other form's
// cases.
const DefaultSeed = 0x6f78_3836_3332 // "ox8632"

// GenCases generates n cases of form f.
func GenCases(f *Form, n int, seed uint64) []Case {
	h := fnv.New64a()
	h.Write([]byte(f.Name))
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	cases := make([]Case, 0, n)
	for len(cases) < n {
		for try := 0; ; try++ {
			if try == 10000 {
				panic("diff32: form " + f.Name + " generates no valid case")
			}
			c := Case{Mem: make([]uint32, f.MemWords)}
			b := &builder{r: r, c: &c, lockable: lockableOps[f.Op] && !f.memSource}
			for k := range c.Regs {
				c.Regs[k] = b.val()
			}
			c.Flags = b.flagsVal()
			for k := range c.Mem {
				c.Mem[k] = b.val()
			}
			if f.gen(b) {
				if !f.noPre && b.chance(1, 2) {
					b.preOp()
				}
				cases = append(cases, c)
				break
			}
		}
	}
	return cases
}

// Results record layout: PUSHAD's image (EDI first; its ESP slot holds
// the harness's own stack pointer), then EFLAGS, the ESP after the
// instruction, and the window.
const (
	recFlags = 32
	recESP   = 36
	recMem   = 40
)

// pushadSlot is each register's offset in a PUSHAD image.
var pushadSlot = [8]int{EAX: 28, ECX: 24, EDX: 20, EBX: 16, ESP: 12, EBP: 8, ESI: 4, EDI: 0}

// Program is a form's cases assembled into a static i386 Linux program.
type Program struct {
	Form  *Form
	Cases []Case
	// ELF is the executable, run as is by qemu-i386 and by our CPU.
	ELF []byte
	// Starts holds the address of each case's code, in order.
	Starts []uint32
	// ResAddr is the results area, RecSize the bytes per case.
	ResAddr uint32
	RecSize int
}

// ResLen is the size of the results area the program writes to stdout.
func (p *Program) ResLen() int { return p.RecSize * len(p.Cases) }

func (p *Program) caseLen(c *Case) int {
	w := 10 * len(c.Mem)
	n := w + 5 + 5 + 1 + 8*5 + len(c.Code) + 6 + 5 + 1 + 1 + w
	if c.Pre != nil {
		n += 10 + len(c.Pre)
	}
	if p.Form.Marker {
		n += markerLen
	}
	return n
}

// tailLen is the length of the write-and-exit code.
const tailLen = userelf.ExitTailLen

// Build assembles the program. For each case it
//
//   - stores the initial window with MOV DWORD [abs], imm32,
//   - loads EFLAGS with PUSH imm32 / POPFD on a scratch stack, then the
//     eight registers with MOV r32, imm32 (which leave the flags alone),
//   - for half of the cases, runs an arithmetic instruction on a scratch
//     dword so that the flags come from a result, not from POPFD,
//   - runs the instruction under test (and a branch form's marker),
//   - saves ESP with MOV [abs], ESP, points ESP into the case's results
//     record and saves EFLAGS and the other registers with PUSHFD and
//     PUSHAD, then copies the window with MOV EAX, [abs] / MOV [abs], EAX.
//
// After the last case, it writes the results area to stdout with the
// Linux write system call (INT 80h, EAX = 4), looping over short writes,
// and exits with status 0 (EAX = 1), or 3 if a write fails.
func Build(f *Form, cases []Case) *Program {
	p := &Program{Form: f, Cases: cases, RecSize: recMem + 4*f.MemWords}
	size := 0
	for k := range cases {
		size += p.caseLen(&cases[k])
	}
	size += tailLen
	p.ResAddr = (CodeAddr + uint32(size) + 0xFFF) &^ 0xFFF
	code := make([]byte, 0, size)
	le := binary.LittleEndian
	u32 := func(v uint32) { code = le.AppendUint32(code, v) }
	for k := range cases {
		c := &cases[k]
		start := len(code)
		p.Starts = append(p.Starts, CodeAddr+uint32(start))
		rec := p.ResAddr + uint32(k*p.RecSize)
		for w, v := range c.Mem {
			code = append(code, 0xC7, 0x05) // MOV DWORD [abs], imm32
			u32(WindowAddr + uint32(4*w))
			u32(v)
		}
		if c.Pre != nil {
			code = append(code, 0xC7, 0x05) // MOV DWORD [preAddr], imm32
			u32(preAddr)
			u32(c.PreMem)
		}
		code = append(code, 0xBC) // MOV ESP, scratchTop
		u32(scratchTop)
		code = append(code, 0x68) // PUSH imm32
		u32(c.Flags)
		code = append(code, 0x9D) // POPFD
		for r, v := range c.Regs {
			code = append(code, 0xB8+byte(r)) // MOV r32, imm32
			u32(v)
		}
		code = append(code, c.Pre...)
		code = append(code, c.Code...)
		if f.Marker {
			code = append(code, 0xC7, 0x05) // MOV DWORD [WindowAddr], 1
			u32(WindowAddr)
			u32(1)
		}
		code = append(code, 0x89, 0x25) // MOV [rec+recESP], ESP
		u32(rec + recESP)
		code = append(code, 0xBC) // MOV ESP, rec+recESP
		u32(rec + recESP)
		code = append(code, 0x9C, 0x60) // PUSHFD; PUSHAD
		for w := range c.Mem {
			code = append(code, 0xA1) // MOV EAX, [window+4w]
			u32(WindowAddr + uint32(4*w))
			code = append(code, 0xA3) // MOV [rec+recMem+4w], EAX
			u32(rec + recMem + uint32(4*w))
		}
		if len(code)-start != p.caseLen(c) {
			panic(fmt.Sprintf("diff32: case length %d, want %d", len(code)-start, p.caseLen(c)))
		}
	}
	code = userelf.AppendWriteExit(code, p.ResAddr, uint32(p.ResLen()))
	image := make([]byte, CodeAddr-LoadAddr, CodeAddr-LoadAddr+len(code))
	image = append(image, code...)
	memSize := p.ResAddr - LoadAddr + uint32(p.ResLen())
	p.ELF = buildELF(image, memSize)
	return p
}

// CaseAt returns the index of the case whose code holds address eip, or
// -1 if none does.
func (p *Program) CaseAt(eip uint32) int {
	for k := len(p.Starts) - 1; k >= 0; k-- {
		if eip >= p.Starts[k] {
			if k == len(p.Starts)-1 && eip >= p.Starts[k]+uint32(p.caseLen(&p.Cases[k])) {
				return -1
			}
			return k
		}
	}
	return -1
}

// Result is a case's final state as recorded by the program.
type Result struct {
	Regs  [8]uint32
	Flags uint32
	Mem   []uint32
}

// Parse splits the program's output into per-case results.
func (p *Program) Parse(out []byte) ([]Result, error) {
	if len(out) != p.ResLen() {
		return nil, fmt.Errorf("output is %d bytes, want %d", len(out), p.ResLen())
	}
	le := binary.LittleEndian
	res := make([]Result, len(p.Cases))
	for k := range res {
		rec := out[k*p.RecSize:]
		r := &res[k]
		for reg, slot := range pushadSlot {
			r.Regs[reg] = le.Uint32(rec[slot:])
		}
		r.Regs[ESP] = le.Uint32(rec[recESP:])
		r.Flags = le.Uint32(rec[recFlags:])
		r.Mem = make([]uint32, p.Form.MemWords)
		for w := range r.Mem {
			r.Mem[w] = le.Uint32(rec[recMem+4*w:])
		}
	}
	return res, nil
}
