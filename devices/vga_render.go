// Rendering of the VGA's display (IBM VGA Technical Reference: the
// attribute controller's text and graphics pipelines and the DAC; FreeVGA
// "Attribute Controller Registers", "CRT Controller Registers" and "DAC
// Operation") to a PNG-ready image, and of its text screen to an ANSI
// terminal (ECMA-48 control functions: CUP, SGR, and DEC private mode 25
// for the cursor), with code page 437 mapped to Unicode from the IBM PC
// character set chart.

package devices

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"strconv"
	"unicode/utf8"
)

// cp437 maps code page 437 to Unicode: the graphic characters shown for
// 00h-1Fh and 7Fh on the PC's screen, ASCII, and the upper half. 00h shows
// as a space.
var cp437 = [256]rune{
	' ', '☺', '☻', '♥', '♦', '♣', '♠', '•', '◘', '○', '◙', '♂', '♀', '♪', '♫', '☼',
	'►', '◄', '↕', '‼', '¶', '§', '▬', '↨', '↑', '↓', '→', '←', '∟', '↔', '▲', '▼',
	' ', '!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'@', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', '[', '\\', ']', '^', '_',
	'`', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '{', '|', '}', '~', '⌂',
	'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å',
	'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ',
	'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»',
	'░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐',
	'└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧',
	'╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀',
	'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩',
	'≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u00A0',
}

// CP437Rune returns the Unicode character code page 437 shows for b.
func CP437Rune(b uint8) rune { return cp437[b] }

// ansiColour maps the VGA's colour order (blue, green, red bits) to the
// ANSI one (red, green, blue bits).
var ansiColour = [8]int{0, 4, 2, 6, 1, 5, 3, 7}

// RenderANSI draws the VGA text screen on a terminal with ANSI escape
// sequences: the 16 colours of the attribute byte (foreground in bits
// 0-3; background in bits 4-6, with bit 7 either blink or a bright
// background as Attribute Mode Control bit 3, Blink Enable, selects), code
// page 437 as UTF-8, and the hardware cursor. With prev non-nil, only
// cells that differ from *prev are drawn (all of them when its size does
// not match), and *prev is updated. In a graphics mode nothing is drawn.
func RenderANSI(w io.Writer, v *VGA, prev *[]Cell) error {
	cols, rows, cells, cx, cy, visible := v.TextScreen()
	if cols == 0 {
		return nil
	}
	blink := v.s.Attr[0x10]&0x08 != 0
	full := prev == nil || len(*prev) != len(cells)
	var b bytes.Buffer
	b.WriteString("\x1b[?25l")
	if full {
		b.WriteString("\x1b[0m\x1b[2J")
	}
	curAttr := -1
	atR, atC := -1, -1
	var rbuf [utf8.UTFMax]byte
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			cell := cells[r*cols+c]
			if !full && (*prev)[r*cols+c] == cell {
				continue
			}
			if r != atR || c != atC {
				b.WriteString("\x1b[")
				b.WriteString(strconv.Itoa(r + 1))
				b.WriteByte(';')
				b.WriteString(strconv.Itoa(c + 1))
				b.WriteByte('H')
			}
			if int(cell.Attr) != curAttr {
				writeSGR(&b, cell.Attr, blink)
				curAttr = int(cell.Attr)
			}
			n := utf8.EncodeRune(rbuf[:], cp437[cell.Ch])
			b.Write(rbuf[:n])
			atR, atC = r, c+1
		}
	}
	b.WriteString("\x1b[0m")
	if cx < cols && cy < rows {
		b.WriteString("\x1b[")
		b.WriteString(strconv.Itoa(cy + 1))
		b.WriteByte(';')
		b.WriteString(strconv.Itoa(cx + 1))
		b.WriteByte('H')
	}
	if visible {
		b.WriteString("\x1b[?25h")
	}
	if prev != nil {
		if len(*prev) != len(cells) {
			*prev = make([]Cell, len(cells))
		}
		copy(*prev, cells)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeSGR sets the terminal's rendition for a VGA attribute byte.
func writeSGR(b *bytes.Buffer, attr uint8, blinkEnable bool) {
	fg, bg := attr&0x0F, attr>>4
	b.WriteString("\x1b[0;")
	code := 30 + ansiColour[fg&7]
	if fg&8 != 0 {
		code += 60 // bright foreground: 90-97
	}
	b.WriteString(strconv.Itoa(code))
	if blinkEnable {
		if bg&8 != 0 {
			b.WriteString(";5")
		}
		bg &= 7
	}
	code = 40 + ansiColour[bg&7]
	if bg&8 != 0 {
		code += 60 // bright background: 100-107
	}
	b.WriteByte(';')
	b.WriteString(strconv.Itoa(code))
	b.WriteByte('m')
}

// ---------------------------------------------------------------------
// Screenshots

// Screenshot renders what the VGA displays. Text modes use the font in
// plane 2 (gox86's own font if the selected character map is empty), 8 or
// 9 dots wide per Clocking Mode bit 0 with the ninth column repeating the
// eighth for C0h-DFh when Line Graphics Enable is set, the underline, the
// cursor, and colours through the attribute palette and the DAC (blinking
// characters and the cursor are drawn in their visible phase). Graphics
// modes are drawn at their logical resolution (320x200 for mode 13h): 256
// colours (Graphics Mode bit 6), CGA-style 2-bit pixels (bit 5) or 16-colour
// planar. A blanked screen (Clocking Mode Screen Disable, or Palette
// Address Source clear) is black.
func Screenshot(v *VGA) image.Image {
	s := &v.s
	blank := s.Seq[1]&0x20 != 0 || s.AttrIndex&0x20 == 0
	if s.Attr[0x10]&0x01 == 0 {
		return v.renderText(blank)
	}
	return v.renderGraphics(blank)
}

// WritePNG saves a Screenshot as a PNG file.
func WritePNG(path string, v *VGA) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, Screenshot(v)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// dacColour returns DAC entry i (masked by the PEL Mask) as 8-bit RGB.
func (v *VGA) dacColour(i uint8) color.RGBA {
	c := v.s.DAC[i&v.s.PELMask]
	x := func(c uint8) uint8 { return c<<2 | c>>4 }
	return color.RGBA{x(c[0]), x(c[1]), x(c[2]), 0xFF}
}

// attrColour passes a 4-bit pixel through the attribute controller
// (Color Plane Enable, the palette registers, Color Select with
// Attribute Mode Control bit 7, P5/P4 Select) and the DAC.
func (v *VGA) attrColour(c uint8) color.RGBA {
	s := &v.s
	c &= s.Attr[0x12] & 0x0F
	p := s.Attr[c&0x0F] & 0x3F
	sel := s.Attr[0x14]
	if s.Attr[0x10]&0x80 != 0 {
		p = p&0x0F | (sel&0x03)<<4
	}
	return v.dacColour(p | (sel&0x0C)<<4)
}

// fontMaps returns the plane 2 offsets of the character maps selected by
// the Character Map Select Register for attribute bit 3 clear (map B,
// bits 4,1,0) and set (map A, bits 5,3,2).
func (v *VGA) fontMaps() (mapB, mapA uint32) {
	sel := v.s.Seq[3]
	base := func(n uint8) uint32 {
		// Maps 0-3 start at 0, 16K, 32K, 48K; maps 4-7 8K above them.
		return uint32(n&3)<<14 | uint32(n>>2&1)<<13
	}
	mapB = base(sel&0x03 | sel>>2&0x04)
	mapA = base(sel>>2&0x03 | sel>>3&0x04)
	return
}

// fontEmpty reports whether the printable characters of the map at base
// have no dots at all (no font was ever loaded there).
func (v *VGA) fontEmpty(base uint32) bool {
	p := &v.s.Planes[2]
	for c := uint32(0x21); c < 0x7F; c++ {
		o := base + c*32
		for y := uint32(0); y < 32; y++ {
			if p[(o+y)&0xFFFF] != 0 {
				return false
			}
		}
	}
	return true
}

func (v *VGA) renderText(blank bool) *image.RGBA {
	s := &v.s
	cols, rows, cells, cx, cy, curVisible := v.TextScreen()
	_, _, charHeight, _, _ := v.textGeometry()
	charWidth := 9
	if s.Seq[1]&0x01 != 0 {
		charWidth = 8
	}
	img := image.NewRGBA(image.Rect(0, 0, cols*charWidth, rows*charHeight))
	if blank {
		fillBlack(img)
		return img
	}
	var pal [16]color.RGBA
	for i := range pal {
		pal[i] = v.attrColour(uint8(i))
	}
	mapB, mapA := v.fontMaps()
	builtin := [2]bool{v.fontEmpty(mapB), v.fontEmpty(mapA)}
	mode := s.Attr[0x10]
	lineGraphics := mode&0x04 != 0
	blinkEnable := mode&0x08 != 0
	underline := int(s.CRTC[0x14] & 0x1F)
	curStart, curEnd := int(s.CRTC[0x0A]&0x1F), int(s.CRTC[0x0B]&0x1F)
	plane2 := &s.Planes[2]

	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			cell := cells[r*cols+c]
			fg := pal[cell.Attr&0x0F]
			bgIndex := cell.Attr >> 4
			if blinkEnable {
				bgIndex &= 7
			}
			bg := pal[bgIndex]
			m, fontSel := mapB, 0
			if cell.Attr&0x08 != 0 {
				m, fontSel = mapA, 1
			}
			ninth := lineGraphics && cell.Ch >= 0xC0 && cell.Ch <= 0xDF
			isCursor := curVisible && c == cx && r == cy
			for y := 0; y < charHeight; y++ {
				var dots uint8
				if builtin[fontSel] {
					if y < 16 {
						dots = font8x16[int(cell.Ch)*16+y]
					}
				} else {
					dots = plane2[(m+uint32(cell.Ch)*32+uint32(y))&0xFFFF]
				}
				solid := (cell.Attr&0x77 == 0x01 && y == underline) ||
					(isCursor && y >= curStart && y <= curEnd)
				row := (r*charHeight + y) * img.Stride
				for x := 0; x < charWidth; x++ {
					var on bool
					switch {
					case solid:
						on = true
					case x < 8:
						on = dots>>(7-x)&1 != 0
					case ninth:
						on = dots&1 != 0
					}
					col := bg
					if on {
						col = fg
					}
					o := row + (c*charWidth+x)*4
					img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = col.R, col.G, col.B, 0xFF
				}
			}
		}
	}
	return img
}

func (v *VGA) renderGraphics(blank bool) *image.RGBA {
	s := &v.s
	hchars := int(s.CRTC[0x01]) + 1
	ov := int(s.CRTC[0x07])
	lines := (int(s.CRTC[0x12]) | ov&0x02<<7 | ov&0x40<<3) + 1
	if s.CRTC[0x09]&0x80 != 0 { // Scan Doubling
		lines /= 2
	}
	rowScans := int(s.CRTC[0x09]&0x1F) + 1
	// Unless the CGA-compatible row scan substitution into address bits
	// 13/14 (CRTC Mode Control bits 0-1) makes each scan line of a row
	// distinct, the rows of Maximum Scan Line repeat a line: draw it once.
	substitute := s.CRTC[0x17]&0x03 != 0x03
	vscale := 1
	if !substitute {
		vscale = rowScans
	}
	height := max(lines/vscale, 1)
	mode256 := s.GC[5]&0x40 != 0
	cga := !mode256 && s.GC[5]&0x20 != 0
	perChar := 8
	if mode256 {
		perChar = 4
	}
	width := hchars * perChar
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	if blank {
		fillBlack(img)
		return img
	}
	var pal16 [16]color.RGBA
	for i := range pal16 {
		pal16[i] = v.attrColour(uint8(i))
	}
	pitch := 2 * int(s.CRTC[0x13])
	start := int(s.CRTC[0x0C])<<8 | int(s.CRTC[0x0D])
	for y := 0; y < height; y++ {
		scan := y * vscale
		row, rs := scan/rowScans, scan%rowScans
		ma := start + row*pitch
		px := img.Pix[y*img.Stride:]
		put := func(x int, c color.RGBA) {
			px[x*4], px[x*4+1], px[x*4+2], px[x*4+3] = c.R, c.G, c.B, 0xFF
		}
		for ch := 0; ch < hchars; ch++ {
			a := v.crtcAddr(ma + ch)
			if s.CRTC[0x17]&0x01 == 0 {
				a = a&^(1<<13) | uint32(rs&1)<<13
			}
			if s.CRTC[0x17]&0x02 == 0 {
				a = a&^(1<<14) | uint32(rs>>1&1)<<14
			}
			p0, p1, p2, p3 := s.Planes[0][a], s.Planes[1][a], s.Planes[2][a], s.Planes[3][a]
			switch {
			case mode256:
				for i, b := range [4]uint8{p0, p1, p2, p3} {
					put(ch*4+i, v.dacColour(b))
				}
			case cga:
				for i := 0; i < 8; i++ {
					b := p0
					if i >= 4 {
						b = p1
					}
					put(ch*8+i, pal16[b>>(6-2*(i&3))&3])
				}
			default:
				for i := 0; i < 8; i++ {
					sh := 7 - i
					c := p0>>sh&1 | (p1>>sh&1)<<1 | (p2>>sh&1)<<2 | (p3>>sh&1)<<3
					put(ch*8+i, pal16[c])
				}
			}
		}
	}
	return img
}

func fillBlack(img *image.RGBA) {
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 0xFF
	}
}
