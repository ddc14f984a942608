package diff32

import "github.com/gox86/gox86/tests/internal/userelf"

// Memory layout of every generated program. The ELF has one PT_LOAD
// segment, readable, writable and executable, that starts at LoadAddr:
//
//	WindowAddr          the memory window cases read and write: it starts
//	                    8 bytes before the second page, so that some
//	                    unaligned operands straddle a page boundary
//	preAddr             the scratch dword of the flag-setting instruction
//	scratchTop          scratch stack for the harness's PUSH/POPFD
//	CodeAddr            the code: every case in turn, then write and exit
//	results             the results area (bss, page aligned after the code)
//
// The address is low so that our side needs little RAM; qemu-user maps
// the guest's address space wherever the host allows.
const (
	LoadAddr   = 0x00100000
	WindowAddr = LoadAddr + 0x0FF8
	WindowSize = 0x400
	preAddr    = LoadAddr + 0x1800
	scratchTop = LoadAddr + 0x1FF0
	CodeAddr   = LoadAddr + 0x2000
)

// buildELF wraps a flat image (loaded at LoadAddr, entry at CodeAddr) in
// a static i386 Linux executable with memSize-len(image) bytes of bss.
func buildELF(image []byte, memSize uint32) []byte {
	return userelf.Build(image, LoadAddr, CodeAddr, memSize)
}

// elfSegment returns the loadable image, its load address, memory size
// and entry point from an ELF built by buildELF.
func elfSegment(elf []byte) (image []byte, vaddr, memSize, entry uint32, ok bool) {
	return userelf.Segment(elf)
}
