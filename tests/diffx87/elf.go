package diffx87

import "github.com/gox86/gox86/tests/internal/userelf"

// Memory layout of every generated program (one PT_LOAD segment, RWX):
//
//	WindowAddr  the memory window a case's memory operand lies in
//	scratchTop  scratch stack for PUSH imm32 / POPFD / PUSHFD
//	CodeAddr    the code: every case in turn, then write and exit
//	inAddr      the cases' FRSTOR images (initialized data after the code)
//	ResAddr     the results area (bss)
//
// The layout is diff32's (tests/diff32/elf.go), with the window moved off
// the page boundary: x87 operands are at most 10 bytes.
const (
	LoadAddr   = 0x00100000
	WindowAddr = LoadAddr + 0x1000
	WindowSize = 16
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
