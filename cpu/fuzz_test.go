package cpu

// Robustness: random bytes executed as guest code must never make the
// host panic or the CPU report an internal error. Guest exceptions,
// halts and shutdowns are all fine. The environment's handlers "skip":
// they advance the saved (E)IP by one byte and return, so execution
// resynchronises on the next byte of random code; #DF halts.

import (
	"fmt"
	"testing"
)

// Random-code execution modes.
const (
	rcReal = iota
	rcProt0
	rcProt3
	rcPaged
	rcV86
	rcModes
)

var rcModeNames = [rcModes]string{"real", "prot-cpl0", "prot-cpl3", "paged-cpl0", "v86"}

// rcMemSize is the RAM of random-code machines.
const rcMemSize = 2 << 20

// rcLivelock bounds the exceptions delivered in one Run: a handler whose
// own first instruction faults loops forever without retiring anything,
// exactly as hardware would, so the harness stops such a run itself.
const rcLivelock = 20000

// rcProtSkipStub is the 32-bit "skip" handler for vector v.
func rcProtSkipStub(v uint8) []byte {
	if v == 8 {
		return []byte{0xF4} // hlt (#DF: an abort)
	}
	var b []byte
	if tmHasErrorCode(v) {
		b = append(b, 0x83, 0xC4, 0x04) // add esp, 4
	}
	return append(b,
		0xFF, 0x04, 0x24, // inc dword [esp]   ; skip one byte
		0xCF, // iretd
	)
}

// rcRealSkipStub is the real-mode "skip" handler.
var rcRealSkipStub = []byte{
	0x55,       // push bp
	0x89, 0xE5, // mov bp, sp
	0xFF, 0x46, 0x02, // inc word [bp+2]   ; skip one byte
	0x5D, // pop bp
	0xCF, // iret
}

// rcMachine is a machine reused for many random programs.
type rcMachine struct {
	*tmMachine
	excThisRun int
	livelocks  int
}

func newRCMachine(t testing.TB) *rcMachine {
	r := &rcMachine{tmMachine: tmNewMachine(t, rcMemSize)}
	r.c.Hooks.Exception = func(c *CPU, _ uint8, _ uint32) {
		r.excThisRun++
		if r.excThisRun == rcLivelock {
			r.livelocks++
			c.RequestStop()
		}
	}
	return r
}

// prepare resets the CPU and memory and installs the environment for mode
// with code as the program; regs seeds the general registers (nil: zero).
func (r *rcMachine) prepare(mode int, code []byte, regs *[8]uint32) {
	c := r.c
	c.Reset()
	c.Wake()
	r.mem.ZeroRAM(0, rcMemSize)
	r.bus.outs = r.bus.outs[:0]
	entry := uint32(tmCode)
	switch mode {
	case rcReal:
		r.setupReal()
		for v := uint32(0); v < 256; v++ {
			r.load(tmStubs+v*32, rcRealSkipStub)
		}
	default:
		r.setupProt()
		for v := 0; v < 256; v++ {
			r.load(tmStubs+uint32(v)*32, rcProtSkipStub(uint8(v)))
		}
		switch mode {
		case rcProt3:
			r.toRing3()
		case rcPaged:
			r.enablePaging(0, 0)
		case rcV86:
			iopl := uint32(0)
			if regs != nil && regs[0]&1 != 0 {
				iopl = 3
			}
			r.load(tmCode, v86Entry(iopl<<12))
			entry = tmV86Code
		}
	}
	r.load(entry, code)
	if regs != nil {
		for k, v := range regs {
			if k == ESP && mode != rcReal && v&1 == 0 {
				continue // keep a sane stack half of the time
			}
			c.SetReg(k, v)
		}
		if mode == rcV86 {
			// The entry code needs its ring-0 stack.
			c.SetReg(ESP, tmStack0)
		}
	}
}

// runProgram runs up to budget instructions, resuming after Run returns
// for budget reasons only; it returns the final stop reason and the
// instructions retired.
func (r *rcMachine) runProgram(budget uint64) (StopReason, uint64) {
	c := r.c
	start := c.InstructionCount()
	r.excThisRun = 0
	res := c.Run(budget)
	return res, c.InstructionCount() - start
}

func FuzzRandomCode(f *testing.F) {
	// Seeds: first byte selects the mode (mod rcModes), the rest is code.
	seeds := [][]byte{
		{rcReal, 0x90, 0xF4},                         // nop; hlt
		{rcProt0, 0x0F, 0x0B},                        // ud2
		{rcReal, 0xF0, 0x01, 0xD8, 0xCD, 0x21, 0xCF}, // lock add ax,bx; int 21h; iret
		{rcProt0, 0x0F, 0x22, 0xC0},                  // mov cr0, eax
		{rcProt0, 0xEA, 0, 0, 0, 0, 0x28, 0},         // jmp tss a (busy)
		{rcProt3, 0xCD, 0x80, 0xFA, 0xF4},            // int 80h; cli; hlt
		{rcPaged, 0xF3, 0xA5, 0x0F, 0x01, 0x38},      // rep movsd; invlpg [eax]
		{rcV86, 0xCD, 0x10, 0x9C, 0x9D, 0xE4, 0x60},  // int 10h; pushf; popf; in al,60h
		{rcProt0, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, // 16-byte instruction
			0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x90},
		{rcReal, 0x0F, 0x01, 0x16, 0x00, 0x00, 0x0F, 0x20, 0xC0, 0x0C, 0x01, 0x0F, 0x22, 0xC0, 0xEA, 0, 0, 8, 0}, // lgdt; set PE; jmp far
		{rcProt0, 0x0F, 0x23, 0xF8, 0x9D, 0xCF, 0x0F, 0x35, 0x0F, 0x34},                                          // mov dr7,eax; popf; iret; sysexit; sysenter
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		r := newRCMachine(t)
		mode := int(data[0]) % rcModes
		code := data[1:]
		if len(code) > 4096 {
			code = code[:4096]
		}
		var regs [8]uint32
		for k := range regs {
			regs[k] = uint32(len(code))*0x9E3779B1 + uint32(k)*0x7F4A7C15
		}
		r.prepare(mode, code, &regs)
		res, _ := r.runProgram(5000)
		if res == StopInternalError {
			t.Fatalf("%s: internal error: %v\ncode: % X", rcModeNames[mode], r.c.Err, code)
		}
	})
}

// rcSummary formats stop-reason counts for logs.
func rcSummary(counts map[StopReason]int) string {
	s := ""
	for _, k := range []StopReason{StopHalt, StopShutdown, StopBudget, StopRequested, StopInternalError} {
		s += fmt.Sprintf(" %s=%d", k, counts[k])
	}
	return s
}
