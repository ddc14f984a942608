package bios

import (
	"encoding/binary"
	"fmt"

	"github.com/gox86/gox86/cpu"
	"github.com/gox86/gox86/mmu"
)

// Linux x86 boot protocol 2.x (the kernel's Documentation/arch/x86/
// boot.rst): the real-mode setup code is loaded low and entered in real
// mode on top of a working BIOS; the protected-mode kernel goes to 1 MiB.

// Setup header offsets within the first sectors of a bzImage.
const (
	hdrSetupSects   = 0x1F1
	hdrSyssize      = 0x1F4
	hdrVidMode      = 0x1FA
	hdrBootFlag     = 0x1FE
	hdrMagic        = 0x202 // "HdrS"
	hdrVersion      = 0x206
	hdrTypeOfLoader = 0x210
	hdrLoadflags    = 0x211
	hdrCode32Start  = 0x214
	hdrRamdiskImage = 0x218
	hdrRamdiskSize  = 0x21C
	hdrHeapEndPtr   = 0x224
	hdrCmdLinePtr   = 0x228
	hdrInitrdMax    = 0x22C
	hdrCmdlineSize  = 0x238

	loadedHigh  = 0x01
	canUseHeap  = 0x80
	loaderUndef = 0xFF

	// Where the setup code goes: segment 1000h, with the heap up to
	// offset DE00h and the command line at E000h (boot.rst, "Sample
	// boot configuration").
	setupBase    = 0x10000
	setupHeapEnd = 0xDE00
	setupCmdline = 0xE000
	kernelBase   = 0x100000
)

// LinuxBoot is a kernel (and optional initrd) placed in memory, ready to
// be entered after POST.
type LinuxBoot struct {
	setupSeg uint16
}

// LoadLinux checks a bzImage's setup header and places the setup code,
// the protected-mode kernel, the command line and the initrd in memory as
// boot protocol 2.x requires. Every problem is reported before the guest
// runs: a file that is not a bzImage, a protocol older than 2.02, a
// truncated image, a command line longer than the kernel accepts, or an
// initrd that does not fit below initrd_addr_max and the top of RAM.
func LoadLinux(mem *mmu.Memory, ramSize uint32, kernel, initrd []byte, cmdline string) (*LinuxBoot, error) {
	if len(kernel) < 0x250 {
		return nil, fmt.Errorf("linux: kernel image is %d bytes: too short for a bzImage setup header", len(kernel))
	}
	if string(kernel[hdrMagic:hdrMagic+4]) != "HdrS" {
		return nil, fmt.Errorf("linux: no \"HdrS\" setup header: not a Linux bzImage")
	}
	if binary.LittleEndian.Uint16(kernel[hdrBootFlag:]) != 0xAA55 {
		return nil, fmt.Errorf("linux: boot sector signature missing: not a Linux bzImage")
	}
	version := binary.LittleEndian.Uint16(kernel[hdrVersion:])
	if version < 0x0202 {
		return nil, fmt.Errorf("linux: boot protocol %d.%02d is not supported (need 2.02 or later)", version>>8, version&0xFF)
	}
	if kernel[hdrLoadflags]&loadedHigh == 0 {
		return nil, fmt.Errorf("linux: zImage (loaded low) kernels are not supported; need a bzImage")
	}
	setupSects := int(kernel[hdrSetupSects])
	if setupSects == 0 {
		setupSects = 4
	}
	setupSize := (setupSects + 1) * 512
	if setupSize >= len(kernel) {
		return nil, fmt.Errorf("linux: kernel image is truncated: %d bytes, setup alone needs %d", len(kernel), setupSize)
	}
	pm := kernel[setupSize:]
	if syssize := int(binary.LittleEndian.Uint32(kernel[hdrSyssize:])) * 16; syssize > len(pm) {
		return nil, fmt.Errorf("linux: kernel image is truncated: protected-mode part is %d bytes, header says %d", len(pm), syssize)
	}
	if setupSize > setupHeapEnd {
		return nil, fmt.Errorf("linux: setup code of %d bytes is too large", setupSize)
	}
	cmdMax := 255
	if version >= 0x0206 {
		cmdMax = int(binary.LittleEndian.Uint32(kernel[hdrCmdlineSize:]))
		if cmdMax > 0x1FFF {
			cmdMax = 0x1FFF
		}
	}
	if len(cmdline) > cmdMax {
		return nil, fmt.Errorf("linux: command line is %d bytes; this kernel accepts at most %d", len(cmdline), cmdMax)
	}
	if uint64(kernelBase)+uint64(len(pm)) > uint64(ramSize) {
		return nil, fmt.Errorf("linux: kernel of %d bytes does not fit in %d MiB of RAM", len(pm), ramSize>>20)
	}

	// Copy the setup and patch its header as a boot loader must.
	setup := append([]byte(nil), kernel[:setupSize]...)
	setup[hdrTypeOfLoader] = loaderUndef
	setup[hdrLoadflags] = setup[hdrLoadflags]&^0x20 | canUseHeap // clear QUIET_FLAG
	binary.LittleEndian.PutUint16(setup[hdrVidMode:], 0xFFFF)    // "normal" mode
	binary.LittleEndian.PutUint16(setup[hdrHeapEndPtr:], setupHeapEnd-0x200)
	binary.LittleEndian.PutUint32(setup[hdrCmdLinePtr:], setupBase+setupCmdline)

	if len(initrd) > 0 {
		limit := uint64(0x37FFFFFF)
		if version >= 0x0203 {
			limit = uint64(binary.LittleEndian.Uint32(kernel[hdrInitrdMax:]))
		}
		top := uint64(ramSize) - 1
		if top > limit {
			top = limit
		}
		kernelEnd := uint64(kernelBase) + uint64(len(pm))
		addr := (top + 1 - uint64(len(initrd))) &^ 0xFFF
		if uint64(len(initrd)) > top+1 || addr < kernelEnd+(16<<20) {
			// Leave the kernel room to decompress itself above its image.
			return nil, fmt.Errorf("linux: initrd of %d bytes does not fit in memory below %#x (RAM %d MiB)", len(initrd), top+1, ramSize>>20)
		}
		mem.WriteBytes(uint32(addr), initrd)
		binary.LittleEndian.PutUint32(setup[hdrRamdiskImage:], uint32(addr))
		binary.LittleEndian.PutUint32(setup[hdrRamdiskSize:], uint32(len(initrd)))
	}
	mem.WriteBytes(setupBase, setup)
	mem.ZeroRAM(setupBase+uint32(setupSize), setupCmdline-uint32(setupSize))
	mem.WriteBytes(setupBase+setupCmdline, append([]byte(cmdline), 0))
	mem.WriteBytes(kernelBase, pm)
	return &LinuxBoot{setupSeg: setupBase >> 4}, nil
}

// Enter starts the setup code: CS = setup segment + 20h, IP = 0, the
// other segment registers at the setup segment, SP at the heap end, and
// interrupts off (boot.rst, "Running the kernel").
func (l *LinuxBoot) Enter(c *cpu.CPU) {
	for _, s := range []int{cpu.DS, cpu.ES, cpu.FS, cpu.GS, cpu.SS} {
		c.SetRealSegment(s, l.setupSeg)
	}
	c.SetRealSegment(cpu.CS, l.setupSeg+0x20)
	c.R[cpu.ESP] = setupHeapEnd
	c.EIP = 0
	c.SetFlags(0x2)
}
