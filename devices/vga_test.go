// Tests of the VGA (vga.go) against the IBM VGA Technical Reference as
// described by FreeVGA: register semantics, memory organization, the read
// and write modes, display timing in Input Status #1 and the BIOS mode
// tables.

package devices

import (
	"math/rand/v2"
	"testing"

	"github.com/gox86/gox86/mmu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type vgaRig struct {
	v     *VGA
	bus   *Bus
	mem   *mmu.Memory
	clock *Clock
}

func newVGARig(t *testing.T) vgaRig {
	t.Helper()
	r := vgaRig{bus: NewBus(), mem: mmu.NewMemory(1 << 20), clock: NewClock()}
	var err error
	r.v, err = NewVGA(r.bus, r.mem, r.clock)
	require.NoError(t, err)
	return r
}

func (r vgaRig) in(port uint16) uint8                 { return uint8(r.bus.In(port, 1)) }
func (r vgaRig) out(port uint16, v uint8)             { r.bus.Out(port, 1, uint32(v)) }
func (r vgaRig) seq(i, v uint8)                       { r.out(0x3C4, i); r.out(0x3C5, v) }
func (r vgaRig) gc(i, v uint8)                        { r.out(0x3CE, i); r.out(0x3CF, v) }
func (r vgaRig) crtc(i, v uint8)                      { r.out(0x3D4, i); r.out(0x3D5, v) }
func (r vgaRig) readReg(ip, dp uint16, i uint8) uint8 { r.out(ip, i); return r.in(dp) }

// planar puts the VGA in plain planar addressing at A0000h (as mode 12h
// does): sequential addressing, A0000h 64K window, all planes enabled.
func (r vgaRig) planar() {
	r.seq(2, 0x0F)
	r.seq(4, 0x06)
	r.gc(5, 0x00)
	r.gc(6, 0x05)
	r.gc(8, 0xFF)
}

func TestVGARegisterMasks(t *testing.T) {
	// Reserved bits read back as 0 (FreeVGA register diagrams);
	// unimplemented indexes read FFh.
	tests := []struct {
		name       string
		index, dat uint16
		reg, write uint8
		want       uint8
	}{
		{"Sequencer Reset", 0x3C4, 0x3C5, 0, 0xFF, 0x03},
		{"Clocking Mode", 0x3C4, 0x3C5, 1, 0xFF, 0x3D},
		{"Map Mask", 0x3C4, 0x3C5, 2, 0xFF, 0x0F},
		{"Character Map Select", 0x3C4, 0x3C5, 3, 0xFF, 0x3F},
		{"Memory Mode", 0x3C4, 0x3C5, 4, 0xFF, 0x0E},
		{"no sequencer register 5", 0x3C4, 0x3C5, 5, 0x12, 0xFF},
		{"Set/Reset", 0x3CE, 0x3CF, 0, 0xFF, 0x0F},
		{"Data Rotate", 0x3CE, 0x3CF, 3, 0xFF, 0x1F},
		{"Read Map Select", 0x3CE, 0x3CF, 4, 0xFF, 0x03},
		{"Graphics Mode", 0x3CE, 0x3CF, 5, 0xFF, 0x7B},
		{"Miscellaneous Graphics", 0x3CE, 0x3CF, 6, 0xFF, 0x0F},
		{"Bit Mask", 0x3CE, 0x3CF, 8, 0x5A, 0x5A},
		{"no graphics register 9", 0x3CE, 0x3CF, 9, 0x12, 0xFF},
		{"Cursor Location High", 0x3D4, 0x3D5, 0x0E, 0x12, 0x12},
		{"Line Compare", 0x3D4, 0x3D5, 0x18, 0xA5, 0xA5},
		{"no CRTC register 19h", 0x3D4, 0x3D5, 0x19, 0x12, 0xFF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newVGARig(t)
			r.out(tc.index, tc.reg)
			r.out(tc.dat, tc.write)
			assert.Equal(t, tc.want, r.readReg(tc.index, tc.dat, tc.reg))
		})
	}
}

func TestVGAWordOutWritesIndexAndData(t *testing.T) {
	// OUT DX,AX to an index port writes the index (AL) then the data
	// (AH) at the next port, as the ISA bus splits it.
	r := newVGARig(t)
	r.bus.Out(0x3C4, 2, 0x0402)
	assert.Equal(t, uint8(0x04), r.readReg(0x3C4, 0x3C5, 2))
	r.bus.Out(0x3D4, 2, 0x340F)
	assert.Equal(t, uint8(0x34), r.readReg(0x3D4, 0x3D5, 0x0F))
}

func TestVGAAttributeFlipFlop(t *testing.T) {
	// FreeVGA "Attribute Controller Registers": 3C0h alternates between
	// address and data; reading Input Status #1 resets it to address.
	r := newVGARig(t)
	r.in(0x3DA)
	r.out(0x3C0, 0x01) // index 1, PAS clear
	r.out(0x3C0, 0x2A) // data
	assert.Equal(t, uint8(0x01), r.in(0x3C0), "3C0h reads the address register")
	assert.Equal(t, uint8(0x2A), r.in(0x3C1), "3C1h reads the data")
	r.out(0x3C0, 0x32) // address again: index 12h, PAS set
	r.out(0x3C0, 0xFF) // Color Plane Enable: bits 0-5
	assert.Equal(t, uint8(0x32), r.in(0x3C0))
	assert.Equal(t, uint8(0x3F), r.in(0x3C1))

	r.out(0x3C0, 0x30) // address: index 10h
	r.in(0x3DA)        // reset: the next write is an address again
	r.out(0x3C0, 0x22) // index 2, PAS set
	r.out(0x3C0, 0x15)
	assert.Equal(t, uint8(0x15), r.v.s.Attr[2])
	assert.Equal(t, uint8(0x0C), r.v.s.Attr[0x10], "Attribute Mode Control untouched")
}

func TestVGACRTCWriteProtect(t *testing.T) {
	// FreeVGA "Vertical Retrace End Register" bit 7: with protect set,
	// CRTC 00h-07h ignore writes except Overflow bit 4 (Line Compare 8).
	tests := []struct {
		reg, write, want uint8
	}{
		{0x00, 0x12, 0x5F}, // Horizontal Total keeps mode 3's 5Fh
		{0x01, 0x12, 0x4F},
		{0x06, 0x12, 0xBF},
		{0x07, 0x00, 0x0F}, // 1Fh with bit 4 cleared
		{0x07, 0xFF, 0x1F}, // only bit 4 can be set
		{0x08, 0x12, 0x12}, // 08h and above are not protected
		{0x11, 0x0E, 0x0E}, // clearing the protect bit itself works
	}
	for _, tc := range tests {
		r := newVGARig(t)
		require.Equal(t, uint8(0x8E), r.readReg(0x3D4, 0x3D5, 0x11), "mode 3 sets protect")
		r.crtc(tc.reg, tc.write)
		assert.Equal(t, tc.want, r.readReg(0x3D4, 0x3D5, tc.reg), "CRTC %02Xh", tc.reg)
	}
	r := newVGARig(t)
	r.crtc(0x11, 0x0E) // protect off
	r.crtc(0x00, 0x12)
	assert.Equal(t, uint8(0x12), r.readReg(0x3D4, 0x3D5, 0x00))
}

func TestVGAIOAddressSelect(t *testing.T) {
	// Miscellaneous Output bit 0 picks the CRTC at 3Dxh (1) or 3Bxh (0);
	// the other set does not respond.
	r := newVGARig(t)
	r.crtc(0x0E, 0x05)
	assert.Equal(t, uint8(0xFF), r.in(0x3B5))
	r.out(0x3C2, r.in(0x3CC)&^1)
	assert.Equal(t, uint8(0x66), r.in(0x3CC))
	r.out(0x3B4, 0x0E)
	assert.Equal(t, uint8(0x05), r.in(0x3B5))
	assert.Equal(t, uint8(0xFF), r.in(0x3D5))
	assert.Equal(t, uint8(0xFF), r.in(0x3DA))
	r.out(0x3C0, 0x10)
	r.in(0x3BA) // resets the flip-flop at the monochrome address
	assert.False(t, r.v.s.AttrData)
}

func TestVGADAC(t *testing.T) {
	// FreeVGA "DAC Operation": three writes per entry, auto-increment,
	// 6-bit values; the DAC State Register tells the last index loaded.
	r := newVGARig(t)
	r.out(0x3C8, 0x10)
	assert.Equal(t, uint8(0), r.in(0x3C7), "write mode")
	for _, b := range []uint8{0x3F, 0x20, 0xC1, 0x01, 0x02, 0x03} {
		r.out(0x3C9, b)
	}
	assert.Equal(t, uint8(0x12), r.in(0x3C8), "two entries written")
	assert.Equal(t, [3]uint8{0x3F, 0x20, 0x01}, r.v.s.DAC[0x10])
	assert.Equal(t, [3]uint8{0x01, 0x02, 0x03}, r.v.s.DAC[0x11])

	r.out(0x3C7, 0x10)
	assert.Equal(t, uint8(3), r.in(0x3C7), "read mode")
	var got []uint8
	for i := 0; i < 6; i++ {
		got = append(got, r.in(0x3C9))
	}
	assert.Equal(t, []uint8{0x3F, 0x20, 0x01, 0x01, 0x02, 0x03}, got)

	r.out(0x3C8, 0xFF) // the index wraps from FFh to 00h
	for i := 0; i < 6; i++ {
		r.out(0x3C9, 0x2A)
	}
	assert.Equal(t, uint8(0x01), r.in(0x3C8))
	assert.Equal(t, [3]uint8{0x2A, 0x2A, 0x2A}, r.v.s.DAC[0])

	r.out(0x3C6, 0x0F)
	assert.Equal(t, uint8(0x0F), r.in(0x3C6), "PEL Mask")
}

func TestVGAInputStatus1Timing(t *testing.T) {
	// Mode 3: 100 character clocks of 9 dots at 28.322 MHz per line
	// (31.777 µs), 80 displayed (25.42 µs); 449 lines per frame (70.1
	// Hz), 400 displayed, vertical retrace on lines 412-413 (CRTC 10h
	// = 19Ch, retrace end 0Eh).
	const line = 31_777 // ns, rounded down
	tests := []struct {
		name string
		at   int64
		want uint8
	}{
		{"start of frame: display", 0, 0x00},
		{"horizontal display", 20_000, 0x00},
		{"horizontal blanking", 26_000, 0x01},
		{"second line", line + 1_000, 0x00},
		{"last displayed line", 399*line + 1_000, 0x00},
		{"vertical blanking", 400*line + 1_000, 0x01},
		{"vertical retrace", 412*line + 1_000, 0x09},
		{"retrace second line", 413*line + 1_000, 0x09},
		{"retrace over", 414*line + 1_000, 0x01},
		{"next frame", 449*line + 1_000, 0x00},
		// Frame 4205 starts at 4205 × 14 268 059.784 ns.
		{"a minute later, in retrace", 4205*14_268_059_784/1000 + 412*line + 5_000, 0x09},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newVGARig(t)
			r.clock.Advance(tc.at)
			assert.Equal(t, tc.want, r.in(0x3DA)&0x09)
		})
	}

	t.Run("frame rate", func(t *testing.T) {
		r := newVGARig(t)
		tm := r.v.timing()
		frameNs := tm.linePs * int64(tm.vtotal) / 1000
		assert.InDelta(t, 70.08, 1e9/float64(frameNs), 0.01)
		r.v.SetMode13()
		tm = r.v.timing()
		assert.InDelta(t, 70.08, 1e12/float64(tm.linePs*int64(tm.vtotal)), 0.01)
	})

	t.Run("polling arms the next edge", func(t *testing.T) {
		r := newVGARig(t)
		r.in(0x3DA)
		d, ok := r.clock.NextDeadline()
		require.True(t, ok)
		assert.Equal(t, int64(25_422), d, "display enable ends after 720 dots")
		r.clock.Advance(400*line + 1_000)
		r.in(0x3DA)
		d, _ = r.clock.NextDeadline()
		assert.Equal(t, int64(412*31_777_416/1000+1), d, "next: retrace starts at line 412")
	})

	t.Run("nonsense timing falls back to 70 Hz", func(t *testing.T) {
		r := newVGARig(t)
		r.crtc(0x11, 0x00)
		for i := uint8(0); i < 8; i++ {
			r.crtc(i, 0)
		}
		assert.Equal(t, defaultVGATiming, r.v.timing())
		r.in(0x3DA)
	})
}

func TestVGATextModeMemory(t *testing.T) {
	// Mode 3 odd/even addressing: even bytes (characters) in plane 0,
	// odd bytes (attributes) in plane 1, at the even plane offset.
	r := newVGARig(t)
	r.mem.Write8(0xB8000, 'A')
	r.mem.Write8(0xB8001, 0x1F)
	r.mem.Write(0xB8002, 2, 0x4E42)
	r.mem.Write(0xB8FA0, 4, 0x17431642)
	p := &r.v.s.Planes
	assert.Equal(t, [2]uint8{'A', 0x1F}, [2]uint8{p[0][0], p[1][0]})
	assert.Equal(t, [2]uint8{'B', 0x4E}, [2]uint8{p[0][2], p[1][2]})
	assert.Equal(t, [4]uint8{'B', 0x16, 'C', 0x17}, [4]uint8{p[0][0xFA0], p[1][0xFA0], p[0][0xFA2], p[1][0xFA2]})
	assert.Equal(t, uint8(0), p[2][0], "map mask 03h keeps the font plane")
	assert.Equal(t, uint32(0x4E42_1F41), r.mem.Read(0xB8000, 4))
	assert.Equal(t, uint8(0x17), r.mem.Read8(0xB8FA3))
}

func TestVGAMemoryMapSelect(t *testing.T) {
	// Miscellaneous Graphics Register bits 2-3 choose the window.
	tests := []struct {
		gc6     uint8
		decoded []uint32
		open    []uint32
	}{
		{0x00, []uint32{0xA0000, 0xAFFFF, 0xB0000, 0xBFFFF}, nil},
		{0x04, []uint32{0xA0000, 0xAFFFF}, []uint32{0xB0000, 0xB8000}},
		{0x08, []uint32{0xB0000, 0xB7FFF}, []uint32{0xA0000, 0xB8000}},
		{0x0C, []uint32{0xB8000, 0xBFFFF}, []uint32{0xA0000, 0xB0000, 0xB7FFF}},
	}
	for _, tc := range tests {
		r := newVGARig(t)
		r.planar()
		r.gc(6, tc.gc6)
		for _, a := range tc.decoded {
			r.mem.Write8(a, 0x5A)
			assert.Equal(t, uint8(0x5A), r.mem.Read8(a), "GC6=%02X: %05X decoded", tc.gc6, a)
		}
		for _, a := range tc.open {
			r.mem.Write8(a, 0x5A)
			assert.Equal(t, uint8(0xFF), r.mem.Read8(a), "GC6=%02X: %05X not decoded", tc.gc6, a)
		}
	}
	// In the 128K window, B0000h is plane offset 0 again (64K planes).
	r := newVGARig(t)
	r.planar()
	r.gc(6, 0x00)
	r.mem.Write8(0xB0010, 0x77)
	assert.Equal(t, uint8(0x77), r.v.s.Planes[0][0x10])
}

func TestVGAWriteModes(t *testing.T) {
	// FreeVGA "Write Modes", "Logical Operations", "Bit Mask" and
	// "Set/Reset". Each case starts from planes holding latch bytes at
	// offset 0 (loaded by a read) and writes val at offset 0.
	latch := [4]uint8{0xF0, 0x0F, 0xAA, 0x55}
	tests := []struct {
		name               string
		mode, rotate, fn   uint8 // GC5 write mode, GC3 rotate count and function
		setReset, enableSR uint8
		bitMask, mapMask   uint8
		val                uint8
		want               [4]uint8
	}{
		{"mode 0 plain", 0, 0, 0, 0, 0, 0xFF, 0xF, 0xA5, [4]uint8{0xA5, 0xA5, 0xA5, 0xA5}},
		{"mode 0 rotate right 4", 0, 4, 0, 0, 0, 0xFF, 0xF, 0x12, [4]uint8{0x21, 0x21, 0x21, 0x21}},
		{"mode 0 rotate right 1", 0, 1, 0, 0, 0, 0xFF, 0xF, 0x01, [4]uint8{0x80, 0x80, 0x80, 0x80}},
		{"mode 0 set/reset on planes 0,2", 0, 0, 0, 0x1, 0x5, 0xFF, 0xF, 0x3C, [4]uint8{0xFF, 0x3C, 0x00, 0x3C}},
		{"mode 0 bit mask keeps latches", 0, 0, 0, 0, 0, 0x0F, 0xF, 0x00, [4]uint8{0xF0, 0x00, 0xA0, 0x50}},
		{"mode 0 AND", 0, 0, 1, 0, 0, 0xFF, 0xF, 0x3C, [4]uint8{0x30, 0x0C, 0x28, 0x14}},
		{"mode 0 OR", 0, 0, 2, 0, 0, 0xFF, 0xF, 0x3C, [4]uint8{0xFC, 0x3F, 0xBE, 0x7D}},
		{"mode 0 XOR", 0, 0, 3, 0, 0, 0xFF, 0xF, 0xFF, [4]uint8{0x0F, 0xF0, 0x55, 0xAA}},
		{"map mask selects planes", 0, 0, 0, 0, 0, 0xFF, 0x2, 0x99, [4]uint8{0xF0, 0x99, 0xAA, 0x55}},
		{"mode 1 writes the latches", 1, 0, 3, 0xF, 0xF, 0x00, 0xF, 0x00, latch},
		{"mode 2 colour from host bits", 2, 0, 0, 0, 0, 0xFF, 0xF, 0x05, [4]uint8{0xFF, 0x00, 0xFF, 0x00}},
		{"mode 2 with bit mask", 2, 0, 0, 0, 0, 0x81, 0xF, 0x0A, [4]uint8{0x70, 0x8F, 0x2A, 0xD5}},
		{"mode 3 host data masks set/reset", 3, 0, 0, 0x3, 0, 0xFF, 0xF, 0xF0, [4]uint8{0xF0, 0xFF, 0x0A, 0x05}},
		{"mode 3 rotated host data and bit mask", 3, 4, 0, 0xC, 0, 0x3C, 0xF, 0xF0, [4]uint8{0xF0, 0x03, 0xAE, 0x5D}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newVGARig(t)
			r.planar()
			for p := range latch {
				r.v.s.Planes[p][0] = latch[p]
			}
			r.mem.Read8(0xA0000) // load the latches
			r.gc(0, tc.setReset)
			r.gc(1, tc.enableSR)
			r.gc(3, tc.fn<<3|tc.rotate)
			r.gc(5, tc.mode)
			r.gc(8, tc.bitMask)
			r.seq(2, tc.mapMask)
			r.mem.Write8(0xA0000, tc.val)
			var got [4]uint8
			for p := range got {
				got[p] = r.v.s.Planes[p][0]
			}
			assert.Equal(t, tc.want, got)
		})
	}

	t.Run("mode 1 copies between addresses", func(t *testing.T) {
		r := newVGARig(t)
		r.planar()
		for p := range latch {
			r.v.s.Planes[p][0x100] = latch[p]
		}
		r.gc(5, 1)
		r.mem.Read8(0xA0100)
		r.mem.Write8(0xA0200, 0)
		for p := range latch {
			assert.Equal(t, latch[p], r.v.s.Planes[p][0x200])
		}
	})
}

func TestVGAReadModes(t *testing.T) {
	// FreeVGA "Read Operations": read mode 0 returns the Read Map Select
	// plane; read mode 1 compares each pixel's colour with Color Compare
	// over the planes Color Don't Care includes.
	planes := [4]uint8{0xF0, 0xCC, 0xAA, 0x00}
	tests := []struct {
		name                   string
		mode, readMap, cc, cdc uint8
		want                   uint8
	}{
		{"mode 0 plane 0", 0, 0, 0, 0, 0xF0},
		{"mode 0 plane 2", 0, 2, 0, 0, 0xAA},
		{"mode 1 colour 7", 1, 0, 0x7, 0xF, 0x80},
		{"mode 1 colour 0", 1, 0, 0x0, 0xF, 0x01},
		{"mode 1 colour 3", 1, 0, 0x3, 0xF, 0x40},
		{"mode 1 ignore planes 1-3", 1, 0, 0x1, 0x1, 0xF0},
		{"mode 1 nothing compared", 1, 0, 0x5, 0x0, 0xFF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newVGARig(t)
			r.planar()
			for p := range planes {
				r.v.s.Planes[p][0x40] = planes[p]
			}
			r.gc(5, tc.mode<<3)
			r.gc(4, tc.readMap)
			r.gc(2, tc.cc)
			r.gc(7, tc.cdc)
			assert.Equal(t, tc.want, r.mem.Read8(0xA0040))
			assert.Equal(t, planes, r.v.s.Latch, "a read loads all four latches")
		})
	}
}

func TestVGAOddEvenReadMapSelect(t *testing.T) {
	// With host odd/even reads, Read Map Select bit 1 picks planes 2/3.
	r := newVGARig(t)
	r.v.s.Planes[2][0x20] = 0x12
	r.v.s.Planes[3][0x20] = 0x34
	r.gc(6, 0x0E)
	r.gc(4, 2)
	assert.Equal(t, uint8(0x12), r.mem.Read8(0xB8020))
	assert.Equal(t, uint8(0x34), r.mem.Read8(0xB8021))
}

func TestVGAChain4(t *testing.T) {
	// Mode 13h: address bits 0-1 select the plane, bits 14-15 take their
	// place in the plane offset, which is what the CRTC reads in
	// double-word mode.
	r := newVGARig(t)
	r.v.SetMode13()
	tests := []struct {
		addr   uint32
		plane  int
		offset uint32
	}{
		{0xA0000, 0, 0x0000},
		{0xA0001, 1, 0x0000},
		{0xA0007, 3, 0x0004},
		{0xA4000, 0, 0x4001},
		{0xAF9FF, 3, 0xF9FF},
	}
	for i, tc := range tests {
		v := uint8(0x40 + i)
		r.mem.Write8(tc.addr, v)
		assert.Equal(t, v, r.v.s.Planes[tc.plane][tc.offset], "%05X", tc.addr)
		assert.Equal(t, v, r.mem.Read8(tc.addr))
		ma := int((tc.addr - 0xA0000) >> 2)
		assert.Equal(t, tc.offset, r.v.crtcAddr(ma), "CRTC reads the same offset")
	}
}

func TestVGALoadFont8x16(t *testing.T) {
	r := newVGARig(t)
	font := make([]byte, 3*16)
	for i := range font {
		font[i] = uint8(i + 1)
	}
	r.v.s.Planes[2][1*32+20] = 0xEE
	r.v.LoadFont8x16(font)
	p := &r.v.s.Planes[2]
	assert.Equal(t, font[16:32], p[32:48], "character 1 at 32")
	assert.Equal(t, make([]byte, 16), p[48:64], "lines 16-31 cleared")
	assert.Equal(t, font8x16[3*16:4*16], p[3*32:3*32+16], "characters not given keep the old font")
	r.v.LoadFont8x16(font[:7]) // shorter than a glyph: nothing
}

func TestVGAModeSets(t *testing.T) {
	r := newVGARig(t)
	r.v.SetMode13()
	s := r.v.State()
	assert.Equal(t, uint8(0x63), s.Misc)
	assert.Equal(t, vgaMode13.crtc, s.CRTC)
	assert.Equal(t, [5]uint8{0x03, 0x01, 0x0F, 0x00, 0x0E}, s.Seq)
	assert.Equal(t, uint8(0x41), s.Attr[0x10])
	assert.Equal(t, uint8(0x40), s.GC[5])
	// The BIOS's mode 13h palette.
	palette := []struct {
		i    int
		want [3]uint8
	}{
		{0, [3]uint8{0, 0, 0}}, {1, [3]uint8{0, 0, 42}}, {6, [3]uint8{42, 21, 0}},
		{15, [3]uint8{63, 63, 63}}, {16, [3]uint8{0, 0, 0}}, {31, [3]uint8{63, 63, 63}},
		{32, [3]uint8{0, 0, 63}}, {40, [3]uint8{63, 0, 0}}, {48, [3]uint8{0, 63, 0}},
		{56, [3]uint8{31, 31, 63}}, {104, [3]uint8{0, 0, 28}}, {176, [3]uint8{0, 0, 16}},
		{247, [3]uint8{11, 12, 16}}, {248, [3]uint8{0, 0, 0}},
	}
	for _, p := range palette {
		assert.Equal(t, p.want, s.DAC[p.i], "DAC %d", p.i)
	}

	r.v.SetMode3()
	s = r.v.State()
	assert.Equal(t, uint8(0x67), s.Misc)
	assert.Equal(t, [5]uint8{0x03, 0x00, 0x03, 0x00, 0x02}, s.Seq)
	assert.Equal(t, [9]uint8{0, 0, 0, 0, 0, 0x10, 0x0E, 0, 0xFF}, s.GC)
	assert.Equal(t, uint8(0x0C), s.Attr[0x10])
	assert.Equal(t, uint8(0x14), s.Attr[6])
	assert.Equal(t, uint8(0x20), s.AttrIndex&0x20, "video enabled")
	assert.Equal(t, [3]uint8{42, 21, 0}, s.DAC[0x14], "brown")
	assert.Equal(t, [3]uint8{21, 21, 63}, s.DAC[0x39], "light blue")
	assert.Equal(t, [3]uint8{0, 0, 0}, s.DAC[64])
	assert.Equal(t, font8x16['A'*16:'A'*16+16], s.Planes[2]['A'*32:'A'*32+16])
	cols, rows, cells, x, y, vis := r.v.TextScreen()
	assert.Equal(t, [2]int{80, 25}, [2]int{cols, rows})
	assert.Equal(t, Cell{' ', 0x07}, cells[0])
	assert.Equal(t, Cell{' ', 0x07}, cells[len(cells)-1])
	assert.Equal(t, [3]any{0, 0, true}, [3]any{x, y, vis})
}

func TestVGATextScreen(t *testing.T) {
	r := newVGARig(t)
	r.mem.Write(0xB8000+2*(80+3), 2, 0x1E41)
	r.mem.Write(0xB9000, 2, 0x7042) // page 1
	_, _, cells, _, _, _ := r.v.TextScreen()
	assert.Equal(t, Cell{'A', 0x1E}, cells[83])

	// Start address 800h words = page 1 at B9000h.
	r.crtc(0x0C, 0x08)
	r.crtc(0x0D, 0x00)
	_, _, cells, _, _, _ = r.v.TextScreen()
	assert.Equal(t, Cell{'B', 0x70}, cells[0])

	tests := []struct {
		name             string
		start, loc       int
		curStart, curEnd uint8
		wantX, wantY     int
		wantVisible      bool
	}{
		{"home", 0, 0, 0x0D, 0x0E, 0, 0, true},
		{"row 2 column 5", 0, 165, 0x0D, 0x0E, 5, 2, true},
		{"relative to the start address", 0x800, 0x800 + 81, 0x0D, 0x0E, 1, 1, true},
		{"Cursor Disable", 0, 0, 0x2D, 0x0E, 0, 0, false},
		{"start after end", 0, 0, 0x0E, 0x0D, 0, 0, false},
		{"block", 0, 0, 0x00, 0x0F, 0, 0, true},
		{"below the screen", 0, 2000, 0x0D, 0x0E, 0, 25, false},
		{"before the start", 0x800, 0x7FF, 0x0D, 0x0E, 0xFFFF % 80, 0xFFFF / 80, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.crtc(0x0C, uint8(tc.start>>8))
			r.crtc(0x0D, uint8(tc.start))
			r.crtc(0x0E, uint8(tc.loc>>8))
			r.crtc(0x0F, uint8(tc.loc))
			r.crtc(0x0A, tc.curStart)
			r.crtc(0x0B, tc.curEnd)
			_, _, _, x, y, vis := r.v.TextScreen()
			assert.Equal(t, [3]any{tc.wantX, tc.wantY, tc.wantVisible}, [3]any{x, y, vis})
		})
	}

	t.Run("80x50 with 8-line characters", func(t *testing.T) {
		r := newVGARig(t)
		r.crtc(0x09, 0x47)
		cols, rows, cells, _, _, _ := r.v.TextScreen()
		assert.Equal(t, [3]int{80, 50, 4000}, [3]int{cols, rows, len(cells)})
	})
	t.Run("graphics mode has no text", func(t *testing.T) {
		r := newVGARig(t)
		r.v.SetMode13()
		cols, rows, cells, _, _, vis := r.v.TextScreen()
		assert.Zero(t, cols)
		assert.Zero(t, rows)
		assert.Nil(t, cells)
		assert.False(t, vis)
	})
}

func TestVGAState(t *testing.T) {
	r := newVGARig(t)
	r.mem.Write8(0xB8000, 'Z')
	r.crtc(0x0F, 0x21)
	r.out(0x3C8, 5)
	r.out(0x3C9, 0x11)
	r.in(0x3DA)
	r.out(0x3C0, 0x11)
	s := r.v.State()

	r2 := newVGARig(t)
	r2.v.SetState(s)
	assert.Equal(t, s, r2.v.State())
	assert.Equal(t, uint8('Z'), r2.mem.Read8(0xB8000))
	assert.Equal(t, uint8(0x21), r2.readReg(0x3D4, 0x3D5, 0x0F))
	r2.out(0x3C9, 0x22) // continues the DAC write at green
	assert.Equal(t, [3]uint8{0x11, 0x22, 42}, r2.v.s.DAC[5], "blue kept from mode 3")
	r2.out(0x3C0, 0x3F) // flip-flop was in the data state
	assert.Equal(t, uint8(0x3F), r2.v.s.Attr[0x11])

	bad := s
	bad.SeqIndex, bad.GCIndex, bad.CRTCIndex, bad.DACComponent = 0xFF, 0xFF, 0xFF, 9
	r2.v.SetState(bad)
	r2.in(0x3C5)
	r2.in(0x3CF)
	r2.in(0x3D5)
	r2.in(0x3C9)
}

func TestVGAGuestNonsense(t *testing.T) {
	// Random register and memory traffic must never panic or hang, and
	// the renderers must cope with whatever it leaves behind.
	ports := []uint16{0x3B4, 0x3B5, 0x3BA, 0x3C0, 0x3C1, 0x3C2, 0x3C3, 0x3C4, 0x3C5, 0x3C6,
		0x3C7, 0x3C8, 0x3C9, 0x3CA, 0x3CC, 0x3CE, 0x3CF, 0x3D4, 0x3D5, 0x3DA}
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x56474120))
		r := newVGARig(t)
		for i := 0; i < 3000; i++ {
			size := []int{1, 2, 4}[rng.IntN(3)]
			switch rng.IntN(4) {
			case 0:
				r.bus.Out(ports[rng.IntN(len(ports))], size, rng.Uint32())
			case 1:
				r.bus.In(ports[rng.IntN(len(ports))], size)
			case 2:
				r.mem.Write(0xA0000+rng.Uint32N(0x20000), size, rng.Uint32())
			default:
				r.mem.Read(0xA0000+rng.Uint32N(0x20000), size)
			}
			if i%500 == 0 {
				r.clock.Advance(r.clock.Now() + int64(rng.IntN(20_000_000)))
			}
		}
		r.v.TextScreen()
		img := Screenshot(r.v)
		assert.LessOrEqual(t, img.Bounds().Dx(), 256*9)
		assert.LessOrEqual(t, img.Bounds().Dy(), 1024)
		var prev []Cell
		require.NoError(t, RenderANSI(discard{}, r.v, &prev))
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
