// Tests of the VGA renderers (vga_render.go) and the built-in font
// (vga_font.go): code page 437 to Unicode per the IBM PC character set
// chart, ANSI output (ECMA-48 CUP and SGR), screenshots through the
// attribute controller and DAC (IBM VGA Technical Reference), and the
// font's coverage.

package devices

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCP437Rune(t *testing.T) {
	// Code page 437 chart.
	tests := []struct {
		b    uint8
		want rune
	}{
		{0x00, ' '}, {0x01, '☺'}, {0x0F, '☼'}, {0x1B, '←'}, {0x20, ' '}, {'A', 'A'},
		{0x7E, '~'}, {0x7F, '⌂'}, {0x80, 'Ç'}, {0x9E, '₧'}, {0xA8, '¿'}, {0xB0, '░'},
		{0xB3, '│'}, {0xC4, '─'}, {0xC9, '╔'}, {0xCE, '╬'}, {0xD9, '┘'}, {0xDB, '█'},
		{0xDF, '▀'}, {0xE0, 'α'}, {0xE1, 'ß'}, {0xEA, 'Ω'}, {0xF8, '°'}, {0xFB, '√'},
		{0xFE, '■'}, {0xFF, '\u00A0'},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, CP437Rune(tc.b), "%02X", tc.b)
	}
	seen := map[rune]uint8{}
	for b := 1; b < 256; b++ {
		r := CP437Rune(uint8(b))
		if b == 0x20 {
			continue
		}
		prev, dup := seen[r]
		assert.False(t, dup, "%02X and %02X map to %q", prev, b, r)
		seen[r] = uint8(b)
	}
}

func TestRenderANSI(t *testing.T) {
	r := newVGARig(t)
	r.mem.Write(0xB8000, 2, 0x1F41)      // 'A' bright white on blue
	r.mem.Write(0xB8002, 2, 0x8E42)      // 'B' yellow on black, bit 7 set
	r.mem.Write(0xB8000+2*81, 2, 0x07C4) // '─' at row 2, column 2
	r.mem.Write(0xB8000+2*(24*80+79), 2, 0x4F5A)

	var out bytes.Buffer
	var prev []Cell
	require.NoError(t, RenderANSI(&out, r.v, &prev))
	s := out.String()
	// Attribute Mode Control bit 3 (Blink Enable) is set in mode 3:
	// attribute bit 7 blinks and the background is black.
	for _, want := range []string{
		"\x1b[?25l", "\x1b[2J",
		"\x1b[1;1H\x1b[0;97;44mA\x1b[0;93;5;40mB",
		"\x1b[2;1H ─",
		"\x1b[0;97;41mZ",
		"\x1b[0m\x1b[1;1H\x1b[?25h",
	} {
		assert.Contains(t, s, want)
	}
	assert.Len(t, prev, 2000)

	// Only the changed cell is redrawn.
	r.mem.Write(0xB8000+2*(3*80+7), 2, 0x0263)
	r.crtc(0x0F, 5)
	out.Reset()
	require.NoError(t, RenderANSI(&out, r.v, &prev))
	assert.Equal(t, "\x1b[?25l\x1b[4;8H\x1b[0;32;40mc\x1b[0m\x1b[1;6H\x1b[?25h", out.String())

	// Without blink, bit 7 selects a bright background.
	r.in(0x3DA)
	r.out(0x3C0, 0x30)
	r.out(0x3C0, 0x04)
	out.Reset()
	require.NoError(t, RenderANSI(&out, r.v, nil))
	assert.Contains(t, out.String(), "\x1b[0;93;100mB")

	// A hidden cursor stays hidden.
	r.crtc(0x0A, 0x20)
	out.Reset()
	require.NoError(t, RenderANSI(&out, r.v, &prev))
	assert.False(t, strings.HasSuffix(out.String(), "\x1b[?25h"))

	// Graphics modes draw nothing.
	r.v.SetMode13()
	out.Reset()
	require.NoError(t, RenderANSI(&out, r.v, &prev))
	assert.Empty(t, out.String())
}

// rgb returns the colour of the pixel at x, y.
func rgb(img image.Image, x, y int) [3]uint8 {
	c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
	return [3]uint8{c.R, c.G, c.B}
}

func TestScreenshotText(t *testing.T) {
	// Mode 3: 720x400, 9x16 cells, the EGA palette through the DAC
	// (6-bit 2Ah is 170, 3Fh is 255).
	var (
		black     = [3]uint8{0, 0, 0}
		blue      = [3]uint8{0, 0, 170}
		lightGrey = [3]uint8{170, 170, 170}
		white     = [3]uint8{255, 255, 255}
	)
	r := newVGARig(t)
	r.mem.Write(0xB8000, 2, 0x1F41) // 'A' white on blue
	r.mem.Write(0xB8002, 2, 0x07C4) // '─'
	r.mem.Write(0xB8004, 2, 0x07DB) // '█'
	r.mem.Write(0xB8006, 2, 0x07B1) // '▒': not a line-drawing code
	r.mem.Write(0xB8008, 2, 0x0141) // 'A' blue on black: underlined in mono
	r.crtc(0x0A, 0x20)              // no cursor

	img := Screenshot(r.v)
	require.Equal(t, image.Rect(0, 0, 720, 400), img.Bounds())
	tests := []struct {
		name string
		x, y int
		want [3]uint8
	}{
		{"background of 'A'", 0, 0, blue},
		{"stroke of 'A' (apex at line 2, columns 3-4)", 3, 2, white},
		{"beside the apex", 2, 2, blue},
		{"ninth column of 'A'", 8, 6, blue},
		{"'─' line", 9 + 4, 7, lightGrey},
		{"'─' ninth column repeats the eighth", 9 + 8, 7, lightGrey},
		{"'█' ninth column", 18 + 8, 0, lightGrey},
		{"'▒' ninth column is background", 27 + 8, 0, black},
		{"'▒' eighth column", 27 + 7, 0, lightGrey},
		{"no underline in colour mode 3 (location 1Fh)", 36 + 1, 15, black},
		{"empty cell", 400, 200, black},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, rgb(img, tc.x, tc.y), tc.name)
	}

	// Line Graphics Enable off: the ninth column is background.
	r.in(0x3DA)
	r.out(0x3C0, 0x30)
	r.out(0x3C0, 0x08)
	img = Screenshot(r.v)
	assert.Equal(t, black, rgb(img, 9+8, 7))

	// Underline Location 0Fh draws attribute 01h's line 15.
	r.crtc(0x14, 0x0F)
	img = Screenshot(r.v)
	assert.Equal(t, [3]uint8{0, 0, 170}, rgb(img, 36+1, 15))
	assert.Equal(t, [3]uint8{0, 0, 170}, rgb(img, 36+8, 15), "through the ninth column")

	// The cursor covers its scan lines in the cell's foreground colour.
	r.crtc(0x0A, 0x0D)
	r.crtc(0x0B, 0x0E)
	r.crtc(0x0F, 3)
	img = Screenshot(r.v)
	assert.Equal(t, lightGrey, rgb(img, 27+8, 13))
	assert.Equal(t, black, rgb(img, 27+8, 12))

	// The DAC and the palette registers apply: make colour 1 red.
	r.out(0x3C8, 1)
	for _, c := range []uint8{0x3F, 0, 0} {
		r.out(0x3C9, c)
	}
	img = Screenshot(r.v)
	assert.Equal(t, [3]uint8{255, 0, 0}, rgb(img, 0, 0))

	// Screen Disable blanks the display.
	r.seq(1, 0x21)
	img = Screenshot(r.v)
	assert.Equal(t, image.Rect(0, 0, 640, 400), img.Bounds(), "8-dot characters")
	assert.Equal(t, black, rgb(img, 3, 2))
}

func TestScreenshotUsesPlane2Font(t *testing.T) {
	r := newVGARig(t)
	r.mem.Write(0xB8000, 2, 0x0741)
	r.crtc(0x0A, 0x20)
	// Replace 'A' in plane 2 the way a program loads a font: planar
	// writes to A0000h with map mask 4.
	r.seq(2, 0x04)
	r.seq(4, 0x06)
	r.gc(5, 0x00)
	r.gc(6, 0x04)
	for y := 0; y < 16; y++ {
		r.mem.Write8(0xA0000+'A'*32+uint32(y), 0x81)
	}
	r.seq(2, 0x03)
	r.seq(4, 0x02)
	r.gc(5, 0x10)
	r.gc(6, 0x0E)
	img := Screenshot(r.v)
	assert.Equal(t, [3]uint8{170, 170, 170}, rgb(img, 0, 0))
	assert.Equal(t, [3]uint8{0, 0, 0}, rgb(img, 1, 0))
	assert.Equal(t, [3]uint8{170, 170, 170}, rgb(img, 7, 15))

	// With plane 2 empty, the built-in font stands in.
	s := r.v.State()
	s.Planes[2] = [VGAPlaneSize]byte{}
	r.v.SetState(s)
	img = Screenshot(r.v)
	assert.Equal(t, [3]uint8{170, 170, 170}, rgb(img, 3, 2))
	assert.Equal(t, [3]uint8{0, 0, 0}, rgb(img, 0, 0))
}

func TestScreenshotMode13(t *testing.T) {
	// 320x200, one byte per pixel through the DAC (BIOS palette).
	r := newVGARig(t)
	r.v.SetMode13()
	r.mem.Write8(0xA0000, 4)              // (0,0) red 2Ah
	r.mem.Write8(0xA0000+199*320+319, 32) // (319,199) blue 3Fh
	r.mem.Write8(0xA0000+100*320+161, 40) // (161,100) red 3Fh
	r.mem.Write8(0xA0000+51*320+2, 31)    // beyond 16K: offset bits 14-15
	img := Screenshot(r.v)
	require.Equal(t, image.Rect(0, 0, 320, 200), img.Bounds())
	tests := []struct {
		x, y int
		want [3]uint8
	}{
		{0, 0, [3]uint8{170, 0, 0}},
		{1, 0, [3]uint8{0, 0, 0}},
		{319, 199, [3]uint8{0, 0, 255}},
		{161, 100, [3]uint8{255, 0, 0}},
		{2, 51, [3]uint8{255, 255, 255}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, rgb(img, tc.x, tc.y), "(%d,%d)", tc.x, tc.y)
	}
	// The PEL Mask applies to the DAC index.
	r.out(0x3C6, 0x0F)
	assert.Equal(t, [3]uint8{0, 0, 0}, rgb(Screenshot(r.v), 319, 199), "index 32 & 0Fh = 0")
}

func TestScreenshotPlanar16(t *testing.T) {
	// A 640x480 16-colour layout (mode 12h's CRTC geometry): byte mode,
	// 80 bytes per line, each pixel's colour from one bit of each plane.
	r := newVGARig(t)
	r.v.SetMode13()
	s := r.v.State()
	s.Seq[4] = 0x06
	s.GC[5] = 0x00
	s.Attr[0x10] = 0x01
	for i := 0; i < 16; i++ {
		s.Attr[i] = uint8(i)
		s.DAC[i] = egaColour([16]uint8{0, 1, 2, 3, 4, 5, 0x14, 7, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F}[i])
	}
	s.CRTC[0x09] = 0x40 // one scan line per row
	s.CRTC[0x12] = 0xDF // 480 lines: 1DFh
	s.CRTC[0x07] = 0x3E
	s.CRTC[0x14] = 0x00      // not double-word
	s.CRTC[0x17] = 0xE3      // byte mode
	s.Planes[0][80*2] = 0x80 // pixel (0,2): colour 1 + 4 = 5
	s.Planes[2][80*2] = 0x80
	s.Planes[3][80*479+79] = 0x01 // pixel (639,479): colour 8
	r.v.SetState(s)
	img := Screenshot(r.v)
	require.Equal(t, image.Rect(0, 0, 640, 480), img.Bounds())
	assert.Equal(t, [3]uint8{170, 0, 170}, rgb(img, 0, 2))
	assert.Equal(t, [3]uint8{85, 85, 85}, rgb(img, 639, 479))
	assert.Equal(t, [3]uint8{0, 0, 0}, rgb(img, 1, 2))
}

func TestScreenshotCGAInterleave(t *testing.T) {
	// Mode 4's layout: Shift Register Interleave (2-bit pixels, planes 0
	// then 1 per character clock), word mode, scan doubling with two
	// scan lines per row and row scan bit 0 in address bit 13, so odd
	// lines come from the second 8 KiB bank as on the CGA.
	r := newVGARig(t)
	s := r.v.State()
	s.Attr[0x10] = 0x01
	for i := 0; i < 4; i++ {
		s.Attr[i] = uint8(i)
	}
	s.GC[5] = 0x30
	s.CRTC[0x01] = 0x27 // 40 character clocks
	s.CRTC[0x09] = 0xC1 // scan doubling, 2 scan lines per row
	s.CRTC[0x13] = 0x14 // 20 words: 80 bytes per row
	s.CRTC[0x14] = 0x00
	s.CRTC[0x17] = 0xA2                 // word mode, MA13 from row scan bit 0
	s.Planes[0][0] = 0b11_10_01_00      // line 0, pixels 0-3
	s.Planes[1][0] = 0b01_01_01_01      // line 0, pixels 4-7
	s.Planes[0][0x2000] = 0b10_00_00_00 // line 1, pixel 0
	s.Planes[0][80] = 0b00_00_00_11     // line 2, pixel 3
	r.v.SetState(s)
	img := Screenshot(r.v)
	require.Equal(t, image.Rect(0, 0, 320, 200), img.Bounds())
	colours := [4][3]uint8{{0, 0, 0}, {0, 0, 170}, {0, 170, 0}, {0, 170, 170}}
	tests := []struct {
		x, y, colour int
	}{
		{0, 0, 3}, {1, 0, 2}, {2, 0, 1}, {3, 0, 0}, {4, 0, 1}, {7, 0, 1}, {8, 0, 0},
		{0, 1, 2}, {1, 1, 0}, {3, 2, 3},
	}
	for _, tc := range tests {
		assert.Equal(t, colours[tc.colour], rgb(img, tc.x, tc.y), "(%d,%d)", tc.x, tc.y)
	}
}

func TestWritePNG(t *testing.T) {
	r := newVGARig(t)
	r.mem.Write(0xB8000, 2, 0x1F41)
	path := filepath.Join(t.TempDir(), "screen.png")
	require.NoError(t, WritePNG(path, r.v))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 720, 400), img.Bounds())
	assert.Equal(t, [3]uint8{0, 0, 170}, rgb(img, 0, 0))
	assert.Error(t, WritePNG(filepath.Join(t.TempDir(), "missing", "x.png"), r.v))
}

func TestFont(t *testing.T) {
	f := DefaultFont8x16()
	require.Len(t, f, 4096)
	glyph := func(c int) []byte { return f[c*16 : c*16+16] }
	blank := func(c int) bool { return bytes.Equal(glyph(c), make([]byte, 16)) }
	for _, c := range []int{0x00, 0x20, 0xFF} {
		assert.True(t, blank(c), "%02X is blank", c)
	}
	for c := 0x21; c < 0x7F; c++ {
		assert.False(t, blank(c), "%q has a glyph", rune(c))
	}
	box := glyph(0x0B) // no glyph drawn for ♂: the generic box
	for c := 0x21; c <= 0xFE; c++ {
		if c >= 0x7F && (c < 0xB0 || c > 0xDF) {
			continue
		}
		assert.NotEqual(t, box, glyph(c), "%02X is drawn", c)
	}
	for c := 0x21; c < 0x7F; c++ {
		for c2 := c + 1; c2 < 0x7F; c2++ {
			assert.NotEqual(t, glyph(c), glyph(c2), "%q and %q differ", rune(c), rune(c2))
		}
	}

	// Box drawing: every arm reaches its edge of the cell at the single
	// (2 dots) or double (2 lines of 1 dot) position, and no other arm
	// touches an edge.
	for i, arms := range boxLines {
		c := 0xB3 + i
		g := glyph(c)
		want := [3]uint8{0x00, 0x18, 0x24} // none, single, double columns
		assert.Equal(t, want[arms[0]], g[0], "%02X up arm", c)
		assert.Equal(t, want[arms[1]], g[15], "%02X down arm", c)
		var left, right uint16
		for y := 0; y < 16; y++ {
			left |= uint16(g[y]>>7&1) << y
			right |= uint16(g[y]&1) << y
		}
		rows := [3]uint16{0, 1<<7 | 1<<8, 1<<6 | 1<<9}
		assert.Equal(t, rows[arms[2]], left, "%02X left arm", c)
		assert.Equal(t, rows[arms[3]], right, "%02X right arm", c)
	}

	// Composed letters keep their base and add a mark.
	e, eAcute := glyph('e'), glyph(0x82)
	assert.Equal(t, e[4:], eAcute[4:])
	assert.NotEqual(t, e[:4], eAcute[:4])
	assert.Equal(t, glyph('C')[:12], glyph(0x80)[:12], "Ç is C with a cedilla below")
	assert.False(t, bytes.Equal(glyph('C')[12:], glyph(0x80)[12:]))
}
