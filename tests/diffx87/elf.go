package diffx87

import "encoding/binary"

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
	LoadAddr     = 0x00100000
	WindowAddr   = LoadAddr + 0x1000
	WindowSize   = 16
	scratchTop   = LoadAddr + 0x1FF0
	CodeAddr     = LoadAddr + 0x2000
	elfFileAlign = 0x1000
)

// buildELF wraps a flat image (loaded at LoadAddr, entry at CodeAddr) in
// a static i386 Linux executable: an ELF header, one program header and
// the image at file offset 0x1000, with memSize-len(image) bytes of bss.
func buildELF(image []byte, memSize uint32) []byte {
	const ehsize, phsize = 52, 32
	out := make([]byte, elfFileAlign, elfFileAlign+len(image))
	le := binary.LittleEndian
	copy(out, "\x7fELF")
	out[4] = 1                       // ELFCLASS32
	out[5] = 1                       // ELFDATA2LSB
	out[6] = 1                       // EV_CURRENT
	le.PutUint16(out[16:], 2)        // ET_EXEC
	le.PutUint16(out[18:], 3)        // EM_386
	le.PutUint32(out[20:], 1)        // e_version
	le.PutUint32(out[24:], CodeAddr) // e_entry
	le.PutUint32(out[28:], ehsize)   // e_phoff
	le.PutUint16(out[40:], ehsize)   // e_ehsize
	le.PutUint16(out[42:], phsize)   // e_phentsize
	le.PutUint16(out[44:], 1)        // e_phnum
	le.PutUint16(out[46:], 40)       // e_shentsize
	ph := out[ehsize:]
	le.PutUint32(ph[0:], 1)                   // PT_LOAD
	le.PutUint32(ph[4:], elfFileAlign)        // p_offset
	le.PutUint32(ph[8:], LoadAddr)            // p_vaddr
	le.PutUint32(ph[12:], LoadAddr)           // p_paddr
	le.PutUint32(ph[16:], uint32(len(image))) // p_filesz
	le.PutUint32(ph[20:], memSize)            // p_memsz
	le.PutUint32(ph[24:], 7)                  // PF_R|PF_W|PF_X
	le.PutUint32(ph[28:], elfFileAlign)       // p_align
	return append(out, image...)
}

// elfSegment returns the loadable image, its load address, memory size
// and entry point from an ELF built by buildELF.
func elfSegment(elf []byte) (image []byte, vaddr, memSize, entry uint32, ok bool) {
	le := binary.LittleEndian
	if len(elf) < 84 || string(elf[:4]) != "\x7fELF" || elf[4] != 1 || le.Uint16(elf[18:]) != 3 {
		return nil, 0, 0, 0, false
	}
	entry = le.Uint32(elf[24:])
	ph := elf[le.Uint32(elf[28:]):]
	if le.Uint32(ph[0:]) != 1 {
		return nil, 0, 0, 0, false
	}
	off, filesz := le.Uint32(ph[4:]), le.Uint32(ph[16:])
	if uint64(off)+uint64(filesz) > uint64(len(elf)) {
		return nil, 0, 0, 0, false
	}
	return elf[off : off+filesz], le.Uint32(ph[8:]), le.Uint32(ph[20:]), entry, true
}
