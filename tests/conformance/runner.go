package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gox86/gox86/cpu"
	"github.com/gox86/gox86/mmu"
)

// openBus answers every port read with 0xFF and ignores writes, like the
// empty I/O space the tests were captured with.
type openBus struct{}

func (openBus) In(port uint16, size int) uint32 {
	return 0xFFFFFFFF >> (32 - 8*size)
}

func (openBus) Out(port uint16, size int, v uint32) {}

// ramSize covers every real-mode address (FFFF:FFFF = 10FFEFh).
const ramSize = 2 << 20

// Runner executes MOO tests on one CPU, reusing it across tests.
type Runner struct {
	mem *mmu.Memory
	cpu *cpu.CPU
	// touched lists physical addresses written by the last test's setup.
	touched []uint32
}

// NewRunner returns a runner with a fresh CPU in real mode.
func NewRunner() *Runner {
	mem := mmu.NewMemory(ramSize)
	mem.TrackDirty(true)
	c := cpu.New(cpu.Config{Memory: mem, Bus: openBus{}})
	return &Runner{mem: mem, cpu: c}
}

// Outcome is the result of one test.
type Outcome struct {
	Pass     bool
	Excluded string // non-empty: not run, with the reason
	Detail   string // why it failed
	// Remapped: passed once vector 12 was pointed at the 286's vector-13
	// handler (see Run).
	Remapped bool
}

// budget bounds one test: a REP with CX=FFFFh plus slack.
const budget = 70000

var segRegs = [...]struct {
	moo int
	cpu int
}{{RegCS, cpu.CS}, {RegSS, cpu.SS}, {RegDS, cpu.DS}, {RegES, cpu.ES}}

var gprRegs = [...]struct {
	moo int
	cpu int
}{{RegAX, cpu.EAX}, {RegBX, cpu.EBX}, {RegCX, cpu.ECX}, {RegDX, cpu.EDX},
	{RegSP, cpu.ESP}, {RegBP, cpu.EBP}, {RegSI, cpu.ESI}, {RegDI, cpu.EDI}}

// Run executes one test from file (the opcode name, e.g. "F7.6").
func (r *Runner) Run(file string, t *Test) Outcome {
	if why := Exclusion(file, t); why != "" {
		return Outcome{Excluded: why}
	}
	over := codeBytes(t)
	o, firstExc := r.run(file, t, over)
	if !o.Pass && t.Exception == 13 && firstExc == 12 {
		// A real-mode stack-segment overrun is #SS on a P6 and interrupt
		// 13 on the 286 (SDM vol. 2, "Real-Address Mode Exceptions": "#SS
		// If a memory operand effective address is outside the SS segment
		// limit"). Point vector 12 at the 286's handler so the rest of the
		// recorded state can be compared.
		if over == nil {
			over = map[uint32]uint8{}
		}
		for k := uint32(0); k < 4; k++ {
			over[12*4+k] = initByte(t, 13*4+k)
		}
		o, _ = r.run(file, t, over)
		o.Remapped = o.Pass
	}
	return o
}

// initByte is the initial value of a byte of memory in a test.
func initByte(t *Test, addr uint32) uint8 {
	for _, a := range t.Init.RAM {
		if a.Addr == addr {
			return a.Value
		}
	}
	return 0
}

// run executes a test with some initial bytes overridden, and returns the
// outcome and the first exception vector the CPU raised (-1 if none).
func (r *Runner) run(file string, t *Test, over map[uint32]uint8) (Outcome, int) {
	c := r.cpu
	firstExc := -1
	c.Hooks.Exception = func(_ *cpu.CPU, v uint8, _ uint32) {
		if firstExc < 0 {
			firstExc = int(v)
		}
	}
	// Restore RAM touched by the previous test to zero.
	for _, p := range r.mem.DirtyPages() {
		r.mem.ZeroRAM(p, mmu.PageSize)
	}
	for _, a := range r.touched {
		r.mem.Write8(a, 0)
	}
	r.touched = r.touched[:0]
	for _, a := range t.Init.RAM {
		r.mem.Write8(a.Addr, a.Value)
		r.touched = append(r.touched, a.Addr)
	}
	for a, v := range over {
		r.mem.Write8(a, v)
		r.touched = append(r.touched, a)
	}
	r.mem.ClearDirty()

	c.Wake()
	for _, g := range gprRegs {
		c.SetReg(g.cpu, uint32(t.Init.Regs[g.moo]))
	}
	for _, s := range segRegs {
		c.SetRealSegment(s.cpu, t.Init.Regs[s.moo])
	}
	c.SetRealSegment(cpu.FS, 0)
	c.SetRealSegment(cpu.GS, 0)
	c.EIP = uint32(t.Init.Regs[RegIP])
	c.SetFlags(uint32(t.Init.Regs[RegFlags]) &^ highFlags)
	c.IDTR = cpu.DescriptorTable{Base: 0, Limit: 0x3FF}

	stop := c.Run(budget)
	if stop != cpu.StopHalt {
		detail := fmt.Sprintf("run ended with %v, not HLT", stop)
		if stop == cpu.StopInternalError {
			detail += ": " + c.Err.Error()
		}
		if stop == cpu.StopShutdown {
			detail += ": " + c.ShutdownInfo
		}
		return Outcome{Detail: detail}, firstExc
	}
	mask := MaskFor(file, t)
	var diffs []string
	for _, g := range gprRegs {
		want := expect(t, g.moo)
		if got := uint16(c.Reg(g.cpu)); got != want || c.Reg(g.cpu)>>16 != 0 {
			diffs = append(diffs, fmt.Sprintf("%s=%04x want %04x", RegNames[g.moo], c.Reg(g.cpu), want))
		}
	}
	for _, s := range segRegs {
		want := expect(t, s.moo)
		if got := c.Seg[s.cpu].Selector; got != want {
			diffs = append(diffs, fmt.Sprintf("%s=%04x want %04x", RegNames[s.moo], got, want))
		}
	}
	// MOO records the 16-bit IP, the low half of EIP.
	if want := expect(t, RegIP); uint16(c.EIP) != want {
		diffs = append(diffs, fmt.Sprintf("ip=%04x want %04x", c.EIP, want))
	}
	flagMask := ^uint16(highFlags | mask.Undefined)
	if got, want := uint16(c.Flags()), expect(t, RegFlags); got&flagMask != want&flagMask {
		diffs = append(diffs, fmt.Sprintf("flags=%04x want %04x (compared %04x)", got, want, flagMask))
	}
	diffs = append(diffs, r.compareRAM(t, mask, over)...)
	if len(diffs) > 0 {
		return Outcome{Detail: strings.Join(diffs, ", ")}, firstExc
	}
	return Outcome{Pass: true}, firstExc
}

// expect returns the expected final value of MOO register k.
func expect(t *Test, k int) uint16 {
	if t.Final.Set&(1<<k) != 0 {
		return t.Final.Regs[k]
	}
	return t.Init.Regs[k]
}

// compareRAM checks every byte of every page the CPU wrote, plus every
// byte the test says changed, against INIT overlaid with FINA (other
// bytes must still be 0).
func (r *Runner) compareRAM(t *Test, mask Mask, over map[uint32]uint8) []string {
	// Bytes of a pushed FLAGS image that are undefined or differ by design.
	// Real-mode exception delivery pushes FLAGS first, at SS:SP-2 (SDM
	// vol. 3, 20.1.4); the EXCP chunk's address is not used because it is
	// word-aligned where SP is odd.
	var ignoreAt [2]uint32
	var ignoreMask [2]uint8
	if t.Exception >= 0 {
		m := uint16(highFlags | mask.Undefined)
		at := uint32(t.Init.Regs[RegSS])<<4 + uint32(t.Init.Regs[RegSP]-2)
		ignoreAt = [2]uint32{at, uint32(t.Init.Regs[RegSS])<<4 + uint32(t.Init.Regs[RegSP]-1)}
		ignoreMask = [2]uint8{uint8(m), uint8(m >> 8)}
	}
	ram := r.mem.RAM()
	var diffs []string
	code := over
	comparePage := func(p uint32) {
		var exp [mmu.PageSize]byte
		for _, a := range t.Init.RAM {
			if a.Addr&^(mmu.PageSize-1) == p {
				exp[a.Addr-p] = a.Value
			}
		}
		// Bytes the runner rewrote before the run (see Run) start out
		// with their new values, whether or not the test listed them.
		for a, v := range code {
			if a&^(mmu.PageSize-1) == p {
				exp[a-p] = v
			}
		}
		for _, a := range t.Final.RAM {
			if a.Addr&^(mmu.PageSize-1) == p {
				exp[a.Addr-p] = a.Value
			}
		}
		got := ram[p : p+mmu.PageSize]
		for k := range got {
			if got[k] == exp[k] {
				continue
			}
			a := p + uint32(k)
			var im uint8
			for j := range ignoreAt {
				if t.Exception >= 0 && ignoreAt[j] == a {
					im = ignoreMask[j]
				}
			}
			if got[k]&^im != exp[k]&^im {
				diffs = append(diffs, fmt.Sprintf("[%05x]=%02x want %02x", a, got[k], exp[k]))
			}
		}
	}
	pages := r.mem.DirtyPages()
	done := map[uint32]bool{}
	for _, p := range pages {
		comparePage(p)
		done[p] = true
	}
	for _, a := range t.Final.RAM {
		if p := a.Addr &^ (mmu.PageSize - 1); !done[p] {
			comparePage(p)
			done[p] = true
		}
	}
	if len(diffs) > 8 {
		diffs = append(diffs[:8], fmt.Sprintf("... %d more", len(diffs)-8))
	}
	return diffs
}

// FileResult totals one MOO file.
type FileResult struct {
	File                     string
	Passed, Failed, Excluded int
	// Remapped counts passes that needed the #GP-to-#SS vector remap.
	Remapped int
	// FirstFailures holds a few failure descriptions.
	FirstFailures []string
	// ExclusionReasons counts excluded tests by reason.
	ExclusionReasons map[string]int
}

// Files lists the MOO files in dir, sorted by name.
func Files(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.MOO.gz"))
	if err != nil {
		return nil, err
	}
	sort.Strings(m)
	return m, nil
}

// RunFile runs every test of one MOO file, skipping revoked ones.
func (r *Runner) RunFile(path string, revoked map[string]bool) (FileResult, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".MOO.gz")
	res := FileResult{File: name, ExclusionReasons: map[string]int{}}
	tests, err := ReadFile(path)
	if err != nil {
		return res, err
	}
	for k := range tests {
		t := &tests[k]
		if revoked[fmt.Sprintf("%x", t.Hash)] {
			res.Excluded++
			res.ExclusionReasons["listed in revocation_list.txt"]++
			continue
		}
		o := r.Run(name, t)
		switch {
		case o.Excluded != "":
			res.Excluded++
			res.ExclusionReasons[o.Excluded]++
		case o.Pass:
			res.Passed++
			if o.Remapped {
				res.Remapped++
			}
		default:
			res.Failed++
			if len(res.FirstFailures) < 3 {
				res.FirstFailures = append(res.FirstFailures,
					fmt.Sprintf("#%d %s (% x): %s", t.Index, t.Name, t.Bytes, o.Detail))
			}
		}
	}
	return res, nil
}

// Revoked reads revocation_list.txt: one hex hash per line, # comments.
func Revoked(dir string) map[string]bool {
	m := map[string]bool{}
	b, err := os.ReadFile(filepath.Join(dir, "revocation_list.txt"))
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}

// Describe formats a test's inputs and expectations for debugging.
func Describe(t *Test) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %q bytes % x exception %d flagsAt %05x\n  init:", t.Index, t.Name, t.Bytes, t.Exception, t.FlagsAddr)
	for i := 0; i < NumRegs; i++ {
		fmt.Fprintf(&b, " %s=%04x", RegNames[i], t.Init.Regs[i])
	}
	b.WriteString("\n  final:")
	for i := 0; i < NumRegs; i++ {
		if t.Final.Set&(1<<i) != 0 {
			fmt.Fprintf(&b, " %s=%04x", RegNames[i], t.Final.Regs[i])
		}
	}
	b.WriteString("\n  ram:")
	for _, m := range t.Final.RAM {
		fmt.Fprintf(&b, " %05x=%02x", m.Addr, m.Value)
	}
	return b.String()
}
