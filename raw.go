package gox86

import (
	"fmt"

	"github.com/gox86/gox86/cpu"
)

// LoadRaw copies a flat binary to physical address loadAt and starts the
// CPU in real mode at cs:ip, with SS:SP just below the image (or at the
// top of the first 64 KiB segment for images loaded at the bottom).
func (m *Machine) LoadRaw(img []byte, loadAt uint32, cs, ip uint16) error {
	if len(img) == 0 {
		return ErrNoImage
	}
	end := uint64(loadAt) + uint64(len(img))
	if end > uint64(m.Mem.RAMSize()) {
		return fmt.Errorf("raw image of %d bytes at %#x does not fit in %d MiB of RAM", len(img), loadAt, m.Mem.RAMSize()>>20)
	}
	m.Mem.WriteBytes(loadAt, img)
	c := m.CPU
	c.Reset()
	c.SetRealSegment(cpu.CS, cs)
	c.Seg[cpu.CS].Base = uint32(cs) << 4
	for _, s := range []int{cpu.DS, cpu.ES, cpu.SS, cpu.FS, cpu.GS} {
		c.SetRealSegment(s, cs)
	}
	c.IDTR = cpu.DescriptorTable{Base: 0, Limit: 0x3FF}
	c.SetReg(cpu.ESP, 0xFFFE)
	c.EIP = uint32(ip)
	return nil
}
