package diffx87

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/gox86/gox86/cpu"
	"github.com/gox86/gox86/mmu"
)

// QEMUName is the reference emulator: Debian's qemu-user package
// installs it.
const QEMUName = "qemu-i386"

// RunQEMU runs the program under qemu-i386 (path qemu) and returns its
// standard output. dir is a scratch directory for the executable.
func RunQEMU(ctx context.Context, qemu, dir string, p *Program) ([]byte, error) {
	f, err := os.CreateTemp(dir, "diffx87-*.elf")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	defer os.Remove(path)
	if _, err := f.Write(p.ELF); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Chmod(0o755); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, qemu, filepath.Clean(path))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", qemu, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// Our side runs the program at CPL 3 with the selectors qemu-user gives a
// 32-bit process (its own GDT: __USER_CS = 23h, __USER_DS = 2Bh), so that
// the FCS and FDS fields of the FSAVE images compare directly.
const (
	gdtAddr  = 0x1000
	UserCS   = 0x23
	UserDS   = 0x2B
	stackTop = 0x0F000
	// ourBudget bounds a run; a case takes about 20 instructions.
	ourBudget = 50_000_000
)

type nullBus struct{}

func (nullBus) In(port uint16, size int) uint32     { return 0xFFFFFFFF >> (32 - 8*uint(size)) }
func (nullBus) Out(port uint16, size int, v uint32) {}

// RunOurs runs the ELF on our CPU (with its x87 unit, CR0.NE = 1): it
// loads the PT_LOAD segment into RAM at its address, enters flat 32-bit
// protected mode at CPL 3 and serves INT 80h's write (to fd 1) and exit
// itself. A processor exception stops the run with an error naming the
// case it happened in.
func RunOurs(p *Program) ([]byte, error) {
	image, vaddr, memSize, entry, ok := elfSegment(p.ELF)
	if !ok {
		return nil, errors.New("bad ELF")
	}
	mem := mmu.NewMemory((vaddr + memSize + 0xFFFF) &^ 0xFFF)
	mem.WriteBytes(vaddr, image)
	gdt := []uint64{0, 0, 0, 0,
		0x00CFFA000000FFFF, // 20h: flat 32-bit code, DPL 3
		0x00CFF2000000FFFF, // 28h: flat 32-bit data, DPL 3
	}
	for k, d := range gdt {
		var b [8]byte
		for i := range b {
			b[i] = byte(d >> (8 * i))
		}
		mem.WriteBytes(gdtAddr+uint32(8*k), b[:])
	}
	c := cpu.New(cpu.Config{Memory: mem, Bus: nullBus{}, FPU: true})
	c.GDTR = cpu.DescriptorTable{Base: gdtAddr, Limit: uint16(8*len(gdt) - 1)}
	c.IDTR = cpu.DescriptorTable{Base: 0, Limit: 0}
	c.SetControlRegisters(cpu.CR0PE|cpu.CR0NE, 0, 0)
	cs := cpu.FlatSegment(UserCS, true)
	ds := cpu.FlatSegment(UserDS, false)
	cs.Attr |= 3 << 5 // DPL 3
	ds.Attr |= 3 << 5
	c.SetSegment(cpu.CS, cs)
	for _, s := range []int{cpu.DS, cpu.ES, cpu.FS, cpu.GS, cpu.SS} {
		c.SetSegment(s, ds)
	}
	c.SetFlags(0x2)
	c.SetReg(cpu.ESP, stackTop)
	c.EIP = entry

	var out bytes.Buffer
	exited, status := false, uint32(0)
	var fault error
	c.Hooks.Trap = func(c *cpu.CPU, vector uint8) bool {
		if vector != 0x80 {
			return false
		}
		switch c.Reg(cpu.EAX) {
		case 4: // write(fd, buf, count)
			if c.Reg(cpu.EBX) != 1 {
				c.SetReg(cpu.EAX, ^uint32(9-1)) // -EBADF
				break
			}
			buf := make([]byte, c.Reg(cpu.EDX))
			mem.ReadBytes(c.Reg(cpu.ECX), buf)
			out.Write(buf)
			c.SetReg(cpu.EAX, uint32(len(buf)))
		case 1: // exit(status)
			exited, status = true, c.Reg(cpu.EBX)
			c.RequestStop()
		default:
			c.SetReg(cpu.EAX, ^uint32(38-1)) // -ENOSYS
		}
		return true
	}
	c.Hooks.Exception = func(c *cpu.CPU, vector uint8, code uint32) {
		if fault == nil {
			fault = fmt.Errorf("%s (vector %d, error code %#x) at EIP %08X, %s",
				cpu.ExceptionName(vector), vector, code, c.EIP, p.where(c.EIP))
		}
		c.RequestStop()
	}
	stop := c.Run(ourBudget)
	switch {
	case fault != nil:
		return nil, fault
	case stop == cpu.StopInternalError:
		return nil, fmt.Errorf("internal error: %v (%s)", c.Err, p.where(c.EIP))
	case !exited:
		return nil, fmt.Errorf("run ended with %v at EIP %08X (%s) before exit", stop, c.EIP, p.where(c.EIP))
	case status != 0:
		return nil, fmt.Errorf("exit status %d", status)
	}
	return out.Bytes(), nil
}

// where names the case holding eip.
func (p *Program) where(eip uint32) string {
	k := p.CaseAt(eip)
	if k < 0 {
		return "outside the cases"
	}
	return fmt.Sprintf("case %d (%s)", k, Disasm(p.Cases[k].Code))
}
