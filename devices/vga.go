// IBM VGA (IBM VGA Technical Reference; register descriptions as in the
// FreeVGA project's reference): 256 KiB of display memory in four 64 KiB
// planes behind the A0000h-BFFFFh window, the Sequencer, Graphics
// Controller, Attribute Controller, CRT Controller and DAC, and the
// general registers, at ports 3B4h-3B5h, 3BAh, 3C0h-3CFh, 3D4h-3D5h and
// 3DAh.
//
// Section names in comments are FreeVGA's: "Sequencer Registers",
// "Graphics Registers", "Attribute Controller Registers", "CRT Controller
// Registers", "DAC Operation", "External Registers", "VGA Memory
// Organization", "Read Operations" and "Write Operations" ("Write Modes",
// "Logical Operations", "Bit Mask", "Set/Reset").

package devices

import (
	"math/bits"

	"github.com/gox86/gox86/mmu"
)

// The VGA's memory window and planes.
const (
	VGAWindowBase = 0xA0000 // start of the legacy video memory window
	VGAWindowSize = 0x20000 // A0000h-BFFFFh
	VGAPlaneSize  = 0x10000 // each of the four planes holds 64 KiB
)

// Register counts: sequencer 00h-04h, graphics controller 00h-08h,
// attribute controller 00h-14h, CRT controller 00h-18h.
const (
	vgaSeqRegs  = 5
	vgaGCRegs   = 9
	vgaAttrRegs = 0x15
	vgaCRTCRegs = 0x19
)

// Writable bits of each register; reserved bits read back as 0.
var (
	vgaSeqMask  = [vgaSeqRegs]uint8{0x03, 0x3D, 0x0F, 0x3F, 0x0E}
	vgaGCMask   = [vgaGCRegs]uint8{0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF}
	vgaAttrMask = [vgaAttrRegs]uint8{
		0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
		0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
		0xEF, 0xFF, 0x3F, 0x0F, 0x0F,
	}
)

// Cell is one character cell of a text screen: the code point (plane 0)
// and its attribute byte (plane 1).
type Cell struct {
	Ch, Attr uint8
}

// VGAState is the VGA's complete state for snapshots.
type VGAState struct {
	Planes [4][VGAPlaneSize]byte
	// Latch holds the four latches loaded by the last read ("Read
	// Operations") and used by write modes 1 and the logical operations.
	Latch [4]uint8

	Misc           uint8 // Miscellaneous Output Register (3C2h/3CCh)
	FeatureControl uint8 // Feature Control Register (3xAh/3CAh)
	VideoEnable    uint8 // Video Subsystem Enable (3C3h)

	SeqIndex uint8
	Seq      [vgaSeqRegs]uint8
	GCIndex  uint8
	GC       [vgaGCRegs]uint8

	// AttrIndex is the Attribute Address Register including bit 5,
	// Palette Address Source. AttrData is true when the next write to
	// 3C0h goes to the data register (the address/data flip-flop).
	AttrIndex uint8
	AttrData  bool
	Attr      [vgaAttrRegs]uint8

	CRTCIndex uint8
	CRTC      [vgaCRTCRegs]uint8

	// DAC holds the 256 colours as 6-bit red, green, blue.
	DAC           [256][3]uint8
	DACWriteIndex uint8
	DACReadIndex  uint8
	DACComponent  uint8 // 0 red, 1 green, 2 blue: the next of the three
	DACReadMode   bool  // 3C7h was written last (DAC State Register 11b)
	PELMask       uint8
}

// VGA is the video adapter. It implements mmu.MMIO for the A0000h-BFFFFh
// window.
type VGA struct {
	s     VGAState
	clock *Clock
	// wake is armed for the next change of Input Status 1 when the guest
	// polls it, so a machine that cuts CPU runs at clock deadlines lets a
	// polling loop see each edge on time. It fires without effect.
	wake *Timer
}

// NewVGA creates a VGA, claims its ports on bus and maps its memory
// window into mem (which may be nil in tests). clock drives the display
// timing seen in Input Status 1; nil means time 0. The adapter starts in
// mode 3 (80x25 text) with its font loaded, as after the BIOS mode set at
// power-on, so text written to B8000h is visible without firmware.
func NewVGA(bus *Bus, mem *mmu.Memory, clock *Clock) (*VGA, error) {
	v := &VGA{clock: clock}
	if clock != nil {
		v.wake = clock.NewTimer("vga-status", func(int64) {})
	}
	if bus != nil {
		dev := ByteOnly{InB: v.inb, OutB: v.outb}
		for _, r := range []struct {
			base uint16
			n    int
		}{{0x3B4, 2}, {0x3BA, 1}, {0x3C0, 16}, {0x3D4, 2}, {0x3DA, 1}} {
			if err := bus.Register(r.base, r.n, dev); err != nil {
				return nil, err
			}
		}
	}
	if mem != nil {
		if err := mem.MapMMIO(VGAWindowBase, VGAWindowSize, v); err != nil {
			return nil, err
		}
	}
	v.SetMode3()
	return v, nil
}

// State returns a copy of the VGA's state.
func (v *VGA) State() VGAState { return v.s }

// SetState restores a state from State. Index registers are reduced to
// their implemented bits so later accesses stay in range.
func (v *VGA) SetState(s VGAState) {
	v.s = s
	v.s.SeqIndex &= 7
	v.s.GCIndex &= 0x0F
	v.s.AttrIndex &= 0x3F
	v.s.CRTCIndex &= 0x3F
	v.s.DACComponent %= 3
}

// ---------------------------------------------------------------------
// Port I/O

// portActive reports whether a CRT controller or Input Status 1 port is
// decoded: Miscellaneous Output bit 0 (I/O Address Select) picks 3Dxh
// (colour) or 3Bxh (monochrome) ("External Registers").
func (v *VGA) portActive(port uint16) bool {
	colour := v.s.Misc&1 != 0
	switch port {
	case 0x3B4, 0x3B5, 0x3BA:
		return !colour
	case 0x3D4, 0x3D5, 0x3DA:
		return colour
	}
	return true
}

func (v *VGA) inb(port uint16) uint8 {
	s := &v.s
	if !v.portActive(port) {
		return 0xFF
	}
	switch port {
	case 0x3C0:
		return s.AttrIndex
	case 0x3C1:
		if i := s.AttrIndex & 0x1F; i < vgaAttrRegs {
			return s.Attr[i]
		}
	case 0x3C2:
		// Input Status #0: no CRT interrupt pending, switch sense 0.
		return 0
	case 0x3C3:
		return s.VideoEnable
	case 0x3C4:
		return s.SeqIndex
	case 0x3C5:
		if s.SeqIndex < vgaSeqRegs {
			return s.Seq[s.SeqIndex]
		}
	case 0x3C6:
		return s.PELMask
	case 0x3C7:
		// DAC State Register: 00b after a write-address load, 11b
		// after a read-address load.
		if s.DACReadMode {
			return 3
		}
		return 0
	case 0x3C8:
		return s.DACWriteIndex
	case 0x3C9:
		// DAC Data Register read: three reads per entry, then the
		// read index advances.
		c := s.DAC[s.DACReadIndex][s.DACComponent]
		if s.DACComponent++; s.DACComponent == 3 {
			s.DACComponent = 0
			s.DACReadIndex++
		}
		return c
	case 0x3CA:
		return s.FeatureControl
	case 0x3CC:
		return s.Misc
	case 0x3CE:
		return s.GCIndex
	case 0x3CF:
		if s.GCIndex < vgaGCRegs {
			return s.GC[s.GCIndex]
		}
	case 0x3B4, 0x3D4:
		return s.CRTCIndex
	case 0x3B5, 0x3D5:
		if s.CRTCIndex < vgaCRTCRegs {
			return s.CRTC[s.CRTCIndex]
		}
	case 0x3BA, 0x3DA:
		// Input Status #1; reading it also resets the attribute
		// controller's flip-flop to the address state.
		s.AttrData = false
		return v.inputStatus1()
	}
	return 0xFF
}

func (v *VGA) outb(port uint16, val uint8) {
	s := &v.s
	if !v.portActive(port) {
		return
	}
	switch port {
	case 0x3C0:
		// Attribute Address/Data Register: writes alternate between
		// the address (bits 0-4 index, bit 5 PAS) and the data.
		if !s.AttrData {
			s.AttrIndex = val & 0x3F
		} else if i := s.AttrIndex & 0x1F; i < vgaAttrRegs {
			s.Attr[i] = val & vgaAttrMask[i]
		}
		s.AttrData = !s.AttrData
	case 0x3C2:
		s.Misc = val
	case 0x3C3:
		s.VideoEnable = val & 1
	case 0x3C4:
		s.SeqIndex = val & 7
	case 0x3C5:
		if s.SeqIndex < vgaSeqRegs {
			s.Seq[s.SeqIndex] = val & vgaSeqMask[s.SeqIndex]
		}
	case 0x3C6:
		s.PELMask = val
	case 0x3C7:
		s.DACReadIndex = val
		s.DACComponent = 0
		s.DACReadMode = true
	case 0x3C8:
		s.DACWriteIndex = val
		s.DACComponent = 0
		s.DACReadMode = false
	case 0x3C9:
		// DAC Data Register write: red, green, blue, then the write
		// index advances. Colours are 6 bits.
		s.DAC[s.DACWriteIndex][s.DACComponent] = val & 0x3F
		if s.DACComponent++; s.DACComponent == 3 {
			s.DACComponent = 0
			s.DACWriteIndex++
		}
	case 0x3CE:
		s.GCIndex = val & 0x0F
	case 0x3CF:
		if s.GCIndex < vgaGCRegs {
			s.GC[s.GCIndex] = val & vgaGCMask[s.GCIndex]
		}
	case 0x3B4, 0x3D4:
		s.CRTCIndex = val & 0x3F
	case 0x3B5, 0x3D5:
		v.writeCRTC(s.CRTCIndex, val)
	case 0x3BA, 0x3DA:
		s.FeatureControl = val & 0x03
	}
}

// writeCRTC stores a CRT controller register. With Vertical Retrace End
// (11h) bit 7, CRTC Registers Protect Enable, set, registers 00h-07h
// ignore writes except bit 4 of the Overflow Register (07h), Line Compare
// bit 8.
func (v *VGA) writeCRTC(i, val uint8) {
	s := &v.s
	if i >= vgaCRTCRegs {
		return
	}
	if s.CRTC[0x11]&0x80 != 0 && i <= 7 {
		if i == 7 {
			s.CRTC[7] = s.CRTC[7]&^0x10 | val&0x10
		}
		return
	}
	s.CRTC[i] = val
}

// ---------------------------------------------------------------------
// Display timing and Input Status #1

// vgaTiming is the raster geometry the CRT controller generates, in
// picoseconds and scan lines.
type vgaTiming struct {
	linePs  int64 // one scan line (Horizontal Total)
	hdePs   int64 // active part of a line (Horizontal Display End)
	vtotal  int   // lines per frame (Vertical Total)
	vde     int   // active lines (Vertical Display End)
	vrs     int   // first line of vertical retrace (Vertical Retrace Start)
	vrLines int   // vertical retrace length (Vertical Retrace End)
}

// defaultVGATiming is the 70 Hz raster of modes 3 and 13h: 800 dots at
// 25.175 MHz per line, 449 lines, 400 displayed, retrace on lines 412-413.
var defaultVGATiming = vgaTiming{
	linePs: 800 * 1_000_000_000_000 / 25_175_000, hdePs: 640 * 1_000_000_000_000 / 25_175_000,
	vtotal: 449, vde: 400, vrs: 412, vrLines: 2,
}

// timing derives the raster from the CRT controller, the dot clock
// (Miscellaneous Output bits 2-3: 25.175 or 28.322 MHz) and the character
// width (Clocking Mode bit 0: 8 or 9 dots; bit 3 halves the dot clock).
// A guest that programs a raster outside 50-100 frames per second gets
// the standard 70 Hz one, so timing stays sane whatever it writes.
func (v *VGA) timing() vgaTiming {
	s := &v.s
	dotHz := int64(25_175_000)
	if s.Misc>>2&3 == 1 {
		dotHz = 28_322_000
	}
	charDots := int64(9)
	if s.Seq[1]&0x01 != 0 {
		charDots = 8
	}
	if s.Seq[1]&0x08 != 0 {
		charDots *= 2
	}
	htotal := int64(s.CRTC[0x00]) + 5
	hde := min(int64(s.CRTC[0x01])+1, htotal)
	ov := int(s.CRTC[0x07])
	t := vgaTiming{
		linePs: htotal * charDots * 1_000_000_000_000 / dotHz,
		hdePs:  hde * charDots * 1_000_000_000_000 / dotHz,
		vtotal: (int(s.CRTC[0x06]) | ov&0x01<<8 | ov&0x20<<4) + 2,
		vde:    (int(s.CRTC[0x12]) | ov&0x02<<7 | ov&0x40<<3) + 1,
		vrs:    int(s.CRTC[0x10]) | ov&0x04<<6 | ov&0x80<<2,
	}
	// Vertical Retrace End holds the low 4 bits of the line on which
	// retrace ends.
	t.vrLines = (int(s.CRTC[0x11]&0x0F) - t.vrs) & 0x0F
	if t.vrLines == 0 {
		t.vrLines = 16
	}
	frame := t.linePs * int64(t.vtotal)
	if frame < 1_000_000_000_000/100 || frame > 1_000_000_000_000/50 {
		return defaultVGATiming
	}
	t.vde = min(t.vde, t.vtotal)
	if t.vrs >= t.vtotal {
		t.vrs = t.vtotal - 1
	}
	return t
}

func (v *VGA) now() int64 {
	if v.clock == nil {
		return 0
	}
	return v.clock.Now()
}

// inputStatus1 computes Input Status #1 from the virtual clock: bit 0,
// Display Disabled, is set outside the active area of a line or frame;
// bit 3, Vertical Retrace, during vertical retrace.
func (v *VGA) inputStatus1() uint8 {
	t := v.timing()
	now := v.now()
	frame := t.linePs * int64(t.vtotal)
	// Position in the frame in picoseconds, without overflowing:
	// (now·1000) mod frame = ((now mod frame)·1000) mod frame.
	pos := (now % frame) * 1000 % frame
	line := int(pos / t.linePs)
	inLine := pos % t.linePs
	var st uint8
	if line >= t.vde || inLine >= t.hdePs {
		st |= 0x01
	}
	if (line-t.vrs+t.vtotal)%t.vtotal < t.vrLines {
		st |= 0x08
	}
	if v.wake != nil {
		next := t.nextEdge(pos, line, inLine)
		at := now + (next-pos+999)/1000
		if at <= now {
			at = now + 1
		}
		if d, ok := v.wake.Pending(); !ok || d != at {
			v.wake.Schedule(at)
		}
	}
	return st
}

// nextEdge returns the frame position (ps) of the next change of either
// status bit after pos.
func (t vgaTiming) nextEdge(pos int64, line int, inLine int64) int64 {
	lineStart := pos - inLine
	best := int64(t.vtotal) * t.linePs // frame end
	if line < t.vde {
		if inLine < t.hdePs {
			best = lineStart + t.hdePs
		} else {
			best = lineStart + t.linePs
		}
	}
	for _, l := range []int{t.vde, t.vrs, (t.vrs + t.vrLines) % t.vtotal} {
		if at := int64(l) * t.linePs; at > pos && at < best {
			best = at
		}
	}
	return best
}

// ---------------------------------------------------------------------
// Memory

// window maps a physical address to an offset in the window selected by
// Miscellaneous Graphics Register bits 2-3, Memory Map Select: A0000h
// 128K, A0000h 64K, B0000h 32K or B8000h 32K.
func (v *VGA) window(addr uint32) (uint32, bool) {
	a := addr - VGAWindowBase
	switch v.s.GC[6] >> 2 & 3 {
	case 0:
		return a, a < 0x20000
	case 1:
		return a, a < 0x10000
	case 2:
		a -= 0x10000
		return a, a < 0x8000
	default:
		a -= 0x18000
		return a, a < 0x8000
	}
}

// planeAddr turns a window offset into a plane offset and the set of
// planes a host access may reach ("VGA Memory Organization"): chain 4
// (Memory Mode bit 3) selects the plane with address bits 0-1 and puts
// bits 14-15 in their place; odd/even (Memory Mode bit 2 clear for
// writes, Graphics Mode bit 4 for reads) selects planes 0/2 or 1/3 with
// bit 0, which Chain Odd/Even (Misc Graphics bit 1) replaces with bit 16.
// These are the inverses of the CRT controller's double-word and word
// address rotations (crtcAddr), so what the host writes is what the
// display shows.
func (v *VGA) planeAddr(off uint32, write bool) (uint32, uint8) {
	s := &v.s
	if s.Seq[4]&0x08 != 0 {
		return (off&^3 | off>>14&3) & 0xFFFF, 1 << (off & 3)
	}
	oddEven := s.Seq[4]&0x04 == 0
	if !write {
		oddEven = s.GC[5]&0x10 != 0
	}
	if oddEven {
		o := off &^ 1
		if s.GC[6]&0x02 != 0 {
			o |= off >> 16 & 1
		}
		if off&1 == 0 {
			return o & 0xFFFF, 0x5
		}
		return o & 0xFFFF, 0xA
	}
	return off & 0xFFFF, 0xF
}

// ReadMMIO implements mmu.MMIO.
func (v *VGA) ReadMMIO(addr uint32, size int) uint32 {
	var r uint32
	for i := 0; i < size; i++ {
		r |= uint32(v.readByte(addr+uint32(i))) << (8 * i)
	}
	return r
}

// WriteMMIO implements mmu.MMIO.
func (v *VGA) WriteMMIO(addr uint32, size int, val uint32) {
	for i := 0; i < size; i++ {
		v.writeByte(addr+uint32(i), uint8(val>>(8*i)))
	}
}

// readByte performs a host read ("Read Operations"): every read loads the
// four latches; read mode 0 returns a plane's byte (Read Map Select, or
// the plane chain 4 / odd/even addressing picks), read mode 1 the colour
// compare result.
func (v *VGA) readByte(addr uint32) uint8 {
	s := &v.s
	off, ok := v.window(addr)
	if !ok {
		return 0xFF
	}
	o, planes := v.planeAddr(off, false)
	for p := range s.Latch {
		s.Latch[p] = s.Planes[p][o]
	}
	if s.GC[5]&0x08 != 0 {
		// Read mode 1: bit i is 1 when every plane that Color Don't
		// Care includes matches Color Compare at bit i.
		r := uint8(0xFF)
		for p := 0; p < 4; p++ {
			if s.GC[7]>>p&1 != 0 {
				r &^= s.Latch[p] ^ expandBit(s.GC[2]>>p)
			}
		}
		return r
	}
	plane := s.GC[4] & 3
	switch planes {
	case 0x5, 0xA: // odd/even: Read Map Select bit 1 picks the pair
		plane = s.GC[4]&2 | uint8(bits.TrailingZeros8(planes))
	case 0xF:
	default: // chain 4
		plane = uint8(bits.TrailingZeros8(planes))
	}
	return s.Planes[plane][o]
}

// writeByte performs a host write ("Write Operations"): the graphics
// controller forms a byte per plane from the write mode, Set/Reset, Data
// Rotate, the logical operation and the Bit Mask, and the planes enabled
// by Map Mask (and by the addressing mode) store it.
func (v *VGA) writeByte(addr uint32, val uint8) {
	s := &v.s
	off, ok := v.window(addr)
	if !ok {
		return
	}
	o, planes := v.planeAddr(off, true)
	planes &= s.Seq[2]
	if planes == 0 {
		return
	}
	data := v.writeData(val)
	for p := 0; p < 4; p++ {
		if planes>>p&1 != 0 {
			s.Planes[p][o] = data[p]
		}
	}
}

// writeData computes the bytes the graphics controller sends to each
// plane for a host write of val.
func (v *VGA) writeData(val uint8) [4]uint8 {
	s := &v.s
	var out [4]uint8
	mode := s.GC[5] & 3
	if mode == 1 {
		// Write mode 1: the latches are written unchanged.
		return s.Latch
	}
	rotated := bits.RotateLeft8(val, -int(s.GC[3]&7))
	mask := s.GC[8]
	for p := 0; p < 4; p++ {
		switch mode {
		case 0:
			// Write mode 0: rotated host data, or Set/Reset for the
			// planes Enable Set/Reset selects.
			out[p] = rotated
			if s.GC[1]>>p&1 != 0 {
				out[p] = expandBit(s.GC[0] >> p)
			}
		case 2:
			// Write mode 2: host bits 0-3 fill planes 0-3.
			out[p] = expandBit(val >> p)
		case 3:
			// Write mode 3: Set/Reset is the colour; the rotated
			// data ANDed with Bit Mask is the mask.
			out[p] = expandBit(s.GC[0] >> p)
		}
	}
	if mode == 3 {
		mask &= rotated
	}
	for p := 0; p < 4; p++ {
		d, l := out[p], s.Latch[p]
		switch s.GC[3] >> 3 & 3 { // Logical Operation
		case 1:
			d &= l
		case 2:
			d |= l
		case 3:
			d ^= l
		}
		out[p] = d&mask | l&^mask
	}
	return out
}

// expandBit returns 0xFF if bit 0 of b is set, else 0.
func expandBit(b uint8) uint8 { return -(b & 1) }

// ---------------------------------------------------------------------
// Mode sets

// vgaModeRegs is a BIOS video parameter table entry.
type vgaModeRegs struct {
	misc uint8
	seq  [vgaSeqRegs]uint8
	crtc [vgaCRTCRegs]uint8
	attr [vgaAttrRegs]uint8
	gc   [vgaGCRegs]uint8
}

// Register values of the standard BIOS modes (IBM VGA Technical
// Reference, BIOS video parameter table: mode 3+ is 80x25 text, 720x400,
// 9x16 characters; mode 13h is 320x200 with 256 colours, chain 4).
var (
	vgaMode3 = vgaModeRegs{
		misc: 0x67,
		seq:  [5]uint8{0x03, 0x00, 0x03, 0x00, 0x02},
		crtc: [25]uint8{
			0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F,
			0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
			0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
		},
		attr: [21]uint8{
			0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07,
			0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
			0x0C, 0x00, 0x0F, 0x08, 0x00,
		},
		gc: [9]uint8{0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF},
	}
	vgaMode13 = vgaModeRegs{
		misc: 0x63,
		seq:  [5]uint8{0x03, 0x01, 0x0F, 0x00, 0x0E},
		crtc: [25]uint8{
			0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F,
			0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x9C, 0x8E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF,
		},
		attr: [21]uint8{
			0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
			0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
			0x41, 0x00, 0x0F, 0x00, 0x00,
		},
		gc: [9]uint8{0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF},
	}
)

// loadModeRegs programs every register from a parameter table, as the
// BIOS mode set does: the sequencer is held in reset meanwhile, the CRTC
// protect bit is cleared first and restored by the table's 11h, and the
// attribute controller ends with Palette Address Source set (video on).
func (v *VGA) loadModeRegs(m *vgaModeRegs) {
	s := &v.s
	s.Misc = m.misc
	s.Seq = m.seq
	s.CRTC = m.crtc
	s.Attr = m.attr
	s.GC = m.gc
	s.AttrIndex = 0x20
	s.AttrData = false
	s.PELMask = 0xFF
	s.VideoEnable = 1
	s.Latch = [4]uint8{}
}

// SetMode3 performs a BIOS mode set to mode 3 (80x25 colour text, 720x400,
// 9x16 characters): registers, the 64-colour EGA palette in DAC entries
// 0-63 (the rest black), gox86's font in plane 2 and a blank screen
// (space on light grey, attribute 07h).
func (v *VGA) SetMode3() {
	s := &v.s
	v.loadModeRegs(&vgaMode3)
	s.DAC = [256][3]uint8{}
	for i := 0; i < 64; i++ {
		s.DAC[i] = egaColour(uint8(i))
	}
	for i := range s.Planes[0] {
		s.Planes[0][i] = ' '
		s.Planes[1][i] = 0x07
	}
	s.Planes[2] = [VGAPlaneSize]byte{}
	s.Planes[3] = [VGAPlaneSize]byte{}
	v.LoadFont8x16(font8x16[:])
}

// SetMode13 performs a BIOS mode set to mode 13h (320x200, 256 colours,
// chain 4): registers, the BIOS's default 256-colour palette and cleared
// memory.
func (v *VGA) SetMode13() {
	s := &v.s
	v.loadModeRegs(&vgaMode13)
	s.DAC = defaultPalette256()
	for p := range s.Planes {
		s.Planes[p] = [VGAPlaneSize]byte{}
	}
}

// LoadFont8x16 writes an 8x16 font (16 bytes per character, up to 256
// characters) into character map 0 of plane 2, one character every 32
// bytes, as the BIOS's font load does (IBM VGA Technical Reference,
// "Character Generator"); unused scan lines 16-31 are cleared.
func (v *VGA) LoadFont8x16(font []byte) {
	n := min(len(font)/16, 256)
	p := &v.s.Planes[2]
	for c := 0; c < n; c++ {
		copy(p[c*32:c*32+16], font[c*16:c*16+16])
		clear(p[c*32+16 : c*32+32])
	}
}

// egaColour is the DAC value of EGA colour i (bits 0-2 blue, green, red
// at 2/3 intensity; bits 3-5 the same at 1/3), as the BIOS loads it for
// the 16-colour modes.
func egaColour(i uint8) [3]uint8 {
	ch := func(hi, lo uint8) uint8 { return (i>>hi&1)*0x2A + (i>>lo&1)*0x15 }
	return [3]uint8{ch(2, 5), ch(1, 4), ch(0, 3)}
}

// defaultPalette256 is the BIOS's mode 13h palette: the 16 CGA colours,
// 16 grey levels, 9 rings of 24 hues (high, medium and low intensity, each
// at high, medium and low saturation) and 8 blacks.
func defaultPalette256() [256][3]uint8 {
	var pal [256][3]uint8
	for i := 0; i < 16; i++ {
		c := uint8(i & 7)
		if i&8 != 0 {
			c |= 0x38
		}
		if i == 6 {
			c = 0x14 // brown
		}
		pal[i] = egaColour(c)
	}
	greys := [16]uint8{0, 5, 8, 11, 14, 17, 20, 24, 28, 32, 36, 40, 45, 50, 56, 63}
	for i, g := range greys {
		pal[16+i] = [3]uint8{g, g, g}
	}
	levels := [9][5]uint8{
		{0, 16, 31, 47, 63}, {31, 39, 47, 55, 63}, {45, 49, 54, 58, 63},
		{0, 7, 14, 21, 28}, {14, 17, 21, 24, 28}, {20, 22, 24, 26, 28},
		{0, 4, 8, 12, 16}, {8, 10, 12, 14, 16}, {11, 12, 13, 15, 16},
	}
	i := 32
	for _, l := range levels {
		// The hue ring: blue → magenta → red → yellow → green → cyan.
		for k := 0; k < 24; k++ {
			up, down := l[k%4], l[4-k%4] // rising and falling channel
			var r, g, b uint8
			switch k / 4 {
			case 0:
				r, g, b = up, l[0], l[4]
			case 1:
				r, g, b = l[4], l[0], down
			case 2:
				r, g, b = l[4], up, l[0]
			case 3:
				r, g, b = down, l[4], l[0]
			case 4:
				r, g, b = l[0], l[4], up
			case 5:
				r, g, b = l[0], down, l[4]
			}
			pal[i] = [3]uint8{r, g, b}
			i++
		}
	}
	return pal
}

// ---------------------------------------------------------------------
// Text screen

// crtcAddr maps a CRT controller memory address to a plane offset
// ("CRTC Mode Control Register" Word/Byte Mode and Address Wrap Select,
// "Underline Location Register" Double-Word Addressing): double-word mode
// shifts it left by 2 with bits 12-13 into bits 0-1; word mode shifts it
// left by 1 with bit 13 or 15 into bit 0; byte mode uses it as is.
func (v *VGA) crtcAddr(ma int) uint32 {
	s := &v.s
	m := uint32(ma) & 0xFFFF
	switch {
	case s.CRTC[0x14]&0x40 != 0:
		m = m<<2 | m>>12&3
	case s.CRTC[0x17]&0x40 == 0:
		b0 := m >> 13 & 1
		if s.CRTC[0x17]&0x20 != 0 {
			b0 = m >> 15 & 1
		}
		m = m<<1 | b0
	}
	return m & 0xFFFF
}

// textGeometry returns the text screen's shape from the CRT controller:
// columns from Horizontal Display End, character height from Maximum
// Scan Line, rows from Vertical Display End (halved by Scan Doubling),
// the line pitch from the Offset register (in words: 2 memory addresses
// per unit) and the Start Address.
func (v *VGA) textGeometry() (cols, rows, charHeight, pitch, start int) {
	s := &v.s
	cols = int(s.CRTC[0x01]) + 1
	charHeight = int(s.CRTC[0x09]&0x1F) + 1
	ov := int(s.CRTC[0x07])
	lines := (int(s.CRTC[0x12]) | ov&0x02<<7 | ov&0x40<<3) + 1
	if s.CRTC[0x09]&0x80 != 0 {
		lines /= 2
	}
	rows = max(lines/charHeight, 1)
	pitch = 2 * int(s.CRTC[0x13])
	start = int(s.CRTC[0x0C])<<8 | int(s.CRTC[0x0D])
	return
}

// TextScreen returns the text page the CRT controller shows: its size,
// the cells read from planes 0 and 1 starting at the Start Address, and
// the cursor (Cursor Location relative to the start). The cursor is
// visible unless Cursor Disable (0Ah bit 5) is set, Cursor Scan Line
// Start is greater than Cursor Scan Line End, or it lies off the screen.
// In a graphics mode (Attribute Mode Control bit 0) it returns no cells.
func (v *VGA) TextScreen() (cols, rows int, cells []Cell, cursorX, cursorY int, cursorVisible bool) {
	s := &v.s
	if s.Attr[0x10]&0x01 != 0 {
		return 0, 0, nil, 0, 0, false
	}
	cols, rows, charHeight, pitch, start := v.textGeometry()
	cells = make([]Cell, cols*rows)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			o := v.crtcAddr(start + r*pitch + c)
			cells[r*cols+c] = Cell{Ch: s.Planes[0][o], Attr: s.Planes[1][o]}
		}
	}
	loc := int(s.CRTC[0x0E])<<8 | int(s.CRTC[0x0F])
	rel := (loc - start) & 0xFFFF
	if pitch > 0 {
		cursorX, cursorY = rel%pitch, rel/pitch
	} else {
		cursorX = rel
	}
	curStart, curEnd := int(s.CRTC[0x0A]&0x1F), int(s.CRTC[0x0B]&0x1F)
	cursorVisible = s.CRTC[0x0A]&0x20 == 0 && curStart <= curEnd && curStart < charHeight &&
		cursorX < cols && cursorY < rows
	return cols, rows, cells, cursorX, cursorY, cursorVisible
}
