// Package userelf builds, and runs on either side, the small static i386
// Linux executables that the differential tests (tests/diff32 and
// tests/diffx87) generate. The reference side is qemu-user (qemu-i386);
// our side loads the same file into a bare CPU in flat 32-bit protected
// mode and serves the two system calls the programs make, INT 80h write
// to fd 1 and exit, itself.
package userelf

import (
	"bytes"
	"context"
	"encoding/binary"
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

// fileAlign is the file offset of the one loadable segment.
const fileAlign = 0x1000

// Build wraps a flat image, loaded at loadAddr with its entry point at
// entry, in a static i386 Linux executable: an ELF header, one PT_LOAD
// program header (readable, writable and executable) and the image at
// file offset 1000h, followed by memSize-len(image) bytes of bss.
func Build(image []byte, loadAddr, entry, memSize uint32) []byte {
	const ehsize, phsize = 52, 32
	out := make([]byte, fileAlign, fileAlign+len(image))
	le := binary.LittleEndian
	copy(out, "\x7fELF")
	out[4] = 1                     // ELFCLASS32
	out[5] = 1                     // ELFDATA2LSB
	out[6] = 1                     // EV_CURRENT
	le.PutUint16(out[16:], 2)      // ET_EXEC
	le.PutUint16(out[18:], 3)      // EM_386
	le.PutUint32(out[20:], 1)      // e_version
	le.PutUint32(out[24:], entry)  // e_entry
	le.PutUint32(out[28:], ehsize) // e_phoff
	le.PutUint16(out[40:], ehsize) // e_ehsize
	le.PutUint16(out[42:], phsize) // e_phentsize
	le.PutUint16(out[44:], 1)      // e_phnum
	le.PutUint16(out[46:], 40)     // e_shentsize
	ph := out[ehsize:]
	le.PutUint32(ph[0:], 1)                   // PT_LOAD
	le.PutUint32(ph[4:], fileAlign)           // p_offset
	le.PutUint32(ph[8:], loadAddr)            // p_vaddr
	le.PutUint32(ph[12:], loadAddr)           // p_paddr
	le.PutUint32(ph[16:], uint32(len(image))) // p_filesz
	le.PutUint32(ph[20:], memSize)            // p_memsz
	le.PutUint32(ph[24:], 7)                  // PF_R|PF_W|PF_X
	le.PutUint32(ph[28:], fileAlign)          // p_align
	return append(out, image...)
}

// Segment returns the loadable image, its load address, memory size and
// entry point from an ELF built by Build. It reads the headers the way a
// loader would, so it also checks them; ok is false for a file it cannot
// load.
func Segment(elf []byte) (image []byte, vaddr, memSize, entry uint32, ok bool) {
	le := binary.LittleEndian
	if len(elf) < 84 || string(elf[:4]) != "\x7fELF" || elf[4] != 1 || le.Uint16(elf[18:]) != 3 {
		return nil, 0, 0, 0, false
	}
	entry = le.Uint32(elf[24:])
	phoff := le.Uint32(elf[28:])
	if uint64(phoff)+32 > uint64(len(elf)) {
		return nil, 0, 0, 0, false
	}
	ph := elf[phoff:]
	if le.Uint32(ph[0:]) != 1 {
		return nil, 0, 0, 0, false
	}
	off, filesz := le.Uint32(ph[4:]), le.Uint32(ph[16:])
	if uint64(off)+uint64(filesz) > uint64(len(elf)) {
		return nil, 0, 0, 0, false
	}
	return elf[off : off+filesz], le.Uint32(ph[8:]), le.Uint32(ph[20:]), entry, true
}

// RunQEMU runs elf under qemu-i386 (path qemu) and returns its standard
// output. dir is a scratch directory for the executable, whose name
// starts with prefix. A run is bounded to two minutes.
func RunQEMU(ctx context.Context, qemu, dir, prefix string, elf []byte) ([]byte, error) {
	f, err := os.CreateTemp(dir, prefix+"-*.elf")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	defer os.Remove(path)
	if _, err := f.Write(elf); err != nil {
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

// Selectors our side gives a CPL 3 process: those qemu-user's own GDT
// gives a 32-bit process (Linux's __USER_CS and __USER_DS), so that
// selector values a program stores (the x87 FCS and FDS fields, say)
// compare directly.
const (
	UserCS = 0x23
	UserDS = 0x2B
)

// Selectors our side gives a CPL 0 program.
const (
	kernelCS = 0x08
	kernelDS = 0x10
)

// gdtAddr is where our side puts its GDT, below the program.
const gdtAddr = 0x1000

// Options says how our side runs a program.
type Options struct {
	// User runs it at CPL 3 with selectors UserCS and UserDS; otherwise
	// it runs at CPL 0 with selectors 08h and 10h.
	User bool
	// FPU gives the CPU its x87 unit and sets CR0.NE (native x87 error
	// reporting, as Linux runs).
	FPU bool
	// StackTop is the initial ESP.
	StackTop uint32
	// Budget bounds the run in instructions.
	Budget uint64
	// Where names the place of an address in the program, for errors.
	Where func(eip uint32) string
}

// nullBus answers port reads with all ones and drops writes: the
// programs do no I/O.
type nullBus struct{}

func (nullBus) In(port uint16, size int) uint32     { return 0xFFFFFFFF >> (32 - 8*uint(size)) }
func (nullBus) Out(port uint16, size int, v uint32) {}

// Run runs elf on our CPU: it loads the PT_LOAD segment into RAM at its
// address, enters flat 32-bit protected mode as opt says and serves INT
// 80h's write (to fd 1) and exit itself. It returns what the program
// wrote. A processor exception, an internal error, a run that ends before
// exit, or a non-zero exit status is an error naming where it happened.
func Run(elf []byte, opt Options) ([]byte, error) {
	image, vaddr, memSize, entry, ok := Segment(elf)
	if !ok {
		return nil, errors.New("bad ELF")
	}
	where := opt.Where
	if where == nil {
		where = func(eip uint32) string { return fmt.Sprintf("EIP %08X", eip) }
	}
	mem := mmu.NewMemory((vaddr + memSize + 0xFFFF) &^ 0xFFF)
	mem.WriteBytes(vaddr, image)

	// Flat 4 GiB code and data descriptors at the chosen selectors.
	codeSel, dataSel := uint16(kernelCS), uint16(kernelDS)
	codeDesc, dataDesc := uint64(0x00CF9A000000FFFF), uint64(0x00CF92000000FFFF)
	if opt.User {
		codeSel, dataSel = UserCS, UserDS
		codeDesc |= 3 << 45 // DPL 3
		dataDesc |= 3 << 45
	}
	gdt := make([]uint64, int(codeSel>>3)+1)
	if n := int(dataSel>>3) + 1; n > len(gdt) {
		gdt = append(gdt, make([]uint64, n-len(gdt))...)
	}
	gdt[codeSel>>3], gdt[dataSel>>3] = codeDesc, dataDesc
	for k, d := range gdt {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], d)
		mem.WriteBytes(gdtAddr+uint32(8*k), b[:])
	}

	c := cpu.New(cpu.Config{Memory: mem, Bus: nullBus{}, FPU: opt.FPU})
	c.GDTR = cpu.DescriptorTable{Base: gdtAddr, Limit: uint16(8*len(gdt) - 1)}
	c.IDTR = cpu.DescriptorTable{Base: 0, Limit: 0}
	cr0 := uint32(cpu.CR0PE)
	if opt.FPU {
		cr0 |= cpu.CR0NE
	}
	c.SetControlRegisters(cr0, 0, 0)
	cs := cpu.FlatSegment(codeSel, true)
	ds := cpu.FlatSegment(dataSel, false)
	if opt.User {
		cs.Attr |= 3 << 5 // DPL 3
		ds.Attr |= 3 << 5
	}
	c.SetSegment(cpu.CS, cs)
	for _, s := range []int{cpu.DS, cpu.ES, cpu.FS, cpu.GS, cpu.SS} {
		c.SetSegment(s, ds)
	}
	c.SetFlags(0x2)
	c.SetReg(cpu.ESP, opt.StackTop)
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
				cpu.ExceptionName(vector), vector, code, c.EIP, where(c.EIP))
		}
		c.RequestStop()
	}
	stop := c.Run(opt.Budget)
	switch {
	case fault != nil:
		return nil, fault
	case stop == cpu.StopInternalError:
		return nil, fmt.Errorf("internal error: %v (%s)", c.Err, where(c.EIP))
	case !exited:
		return nil, fmt.Errorf("run ended with %v at EIP %08X (%s) before exit", stop, c.EIP, where(c.EIP))
	case status != 0:
		return nil, fmt.Errorf("exit status %d", status)
	}
	return out.Bytes(), nil
}

// ExitTailLen is the length of the code AppendWriteExit appends.
const ExitTailLen = 10 + 22 + 9 + 12

// AppendWriteExit appends to code the program's last steps: write the
// length bytes at addr to standard output with INT 80h write (looping on
// short writes), then exit with status 0, or with status 3 if a write
// fails. It appends exactly ExitTailLen bytes.
func AppendWriteExit(code []byte, addr, length uint32) []byte {
	le := binary.LittleEndian
	code = append(code, 0xB9) // MOV ECX, addr
	code = le.AppendUint32(code, addr)
	code = append(code, 0xBA) // MOV EDX, length
	code = le.AppendUint32(code, length)
	return append(code,
		// write:
		0xB8, 4, 0, 0, 0, // MOV EAX, 4 (write)
		0xBB, 1, 0, 0, 0, // MOV EBX, 1 (stdout)
		0xCD, 0x80, // INT 80h
		0x85, 0xC0, // TEST EAX, EAX
		0x7E, 15, // JLE fail
		0x01, 0xC1, // ADD ECX, EAX
		0x29, 0xC2, // SUB EDX, EAX
		0x75, 0x100-22, // JNZ write
		0xB8, 1, 0, 0, 0, // MOV EAX, 1 (exit)
		0x31, 0xDB, // XOR EBX, EBX
		0xCD, 0x80, // INT 80h
		// fail:
		0xB8, 1, 0, 0, 0, // MOV EAX, 1
		0xBB, 3, 0, 0, 0, // MOV EBX, 3
		0xCD, 0x80, // INT 80h
	)
}
