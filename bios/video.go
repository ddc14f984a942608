package bios

import "github.com/gox86/gox86/cpu"

// INT 10h video services for the VGA's 80x25 text mode (3) and 320x200
// 256-colour mode (13h), following the IBM VGA BIOS interface.

const (
	textBase  = 0xB8000
	gfxBase   = 0xA0000
	textCols  = 80
	textRows  = 25
	textPage  = 0x1000 // bytes per text page
	crtcIndex = 0x3D4
	crtcData  = 0x3D5
)

// initVideo sets mode 3 and clears the screen.
func (b *BIOS) initVideo() { b.setMode(3, true) }

func (b *BIOS) mode() uint8 { return b.rd8(bdaVideoMode) }

// setMode programs the VGA for a BIOS mode and updates the BDA.
func (b *BIOS) setMode(mode uint8, clearScreen bool) bool {
	switch mode {
	case 0, 1, 2, 3, 7:
		mode = 3
		if b.cfg.VGA != nil {
			b.cfg.VGA.SetMode3()
		}
		b.wr8(bdaVideoMode, 3)
		b.wr16(bdaCols, textCols)
		b.wr16(bdaPageSize, textPage)
		b.wr8(bdaRows, textRows-1)
		b.wr8(bdaCharH, 16)
		b.wr16(bdaCRTCPort, crtcIndex)
		b.wr8(bdaModeCtl, 0x29)
		b.wr16(bdaCurShape, 0x0D0E)
		if clearScreen {
			for a := uint32(textBase); a < textBase+8*textPage; a += 2 {
				b.wr16(a, 0x0720)
			}
		}
	case 0x13:
		if b.cfg.VGA != nil {
			b.cfg.VGA.SetMode13()
		}
		b.wr8(bdaVideoMode, 0x13)
		b.wr16(bdaCols, 40)
		b.wr16(bdaPageSize, 0xFA00)
		b.wr8(bdaRows, 24)
		b.wr8(bdaCharH, 8)
		b.wr16(bdaCRTCPort, crtcIndex)
		if clearScreen {
			for a := uint32(gfxBase); a < gfxBase+64000; a += 4 {
				b.wr32(a, 0)
			}
		}
	default:
		return false
	}
	b.wr16(bdaPageStart, 0)
	b.wr8(bdaPage, 0)
	for p := 0; p < 8; p++ {
		b.wr16(uint32(bdaCursor+2*p), 0)
	}
	b.syncCursor()
	return true
}

// cursor returns the column and row of page p's cursor.
func (b *BIOS) cursor(p uint8) (col, row uint8) {
	v := b.rd16(uint32(bdaCursor + 2*int(p&7)))
	return uint8(v), uint8(v >> 8)
}

func (b *BIOS) setCursor(p uint8, col, row uint8) {
	b.wr16(uint32(bdaCursor+2*int(p&7)), uint16(row)<<8|uint16(col))
	if p == b.rd8(bdaPage) {
		b.syncCursor()
	}
}

// syncCursor writes the active page's cursor to the CRTC (registers 0Eh
// and 0Fh hold the cursor's character address).
func (b *BIOS) syncCursor() {
	p := b.rd8(bdaPage)
	col, row := b.cursor(p)
	pos := uint16(p)*textPage/2 + uint16(row)*textCols + uint16(col)
	b.outb(crtcIndex, 0x0E)
	b.outb(crtcData, byte(pos>>8))
	b.outb(crtcIndex, 0x0F)
	b.outb(crtcData, byte(pos))
}

func cellAddr(page, col, row uint8) uint32 {
	return textBase + uint32(page&7)*textPage + (uint32(row)*textCols+uint32(col))*2
}

// scroll moves the window (c0,r0)-(c1,r1) of the active page up (n>0) or
// down (n<0) by |n| lines, filling with blanks of attribute attr; n == 0
// clears the window.
func (b *BIOS) scroll(n int, attr uint8, c0, r0, c1, r1 uint8) {
	if c1 >= textCols {
		c1 = textCols - 1
	}
	if r1 >= textRows {
		r1 = textRows - 1
	}
	if c0 > c1 || r0 > r1 {
		return
	}
	p := b.rd8(bdaPage)
	h := int(r1) - int(r0) + 1
	if n == 0 || n >= h || -n >= h {
		n = h
	}
	blank := uint16(attr)<<8 | ' '
	copyRow := func(dst, src int) {
		for col := c0; col <= c1; col++ {
			b.wr16(cellAddr(p, col, uint8(dst)), b.rd16(cellAddr(p, col, uint8(src))))
		}
	}
	clearRow := func(row int) {
		for col := c0; col <= c1; col++ {
			b.wr16(cellAddr(p, col, uint8(row)), blank)
		}
	}
	if n > 0 {
		for row := int(r0); row <= int(r1); row++ {
			if row+n <= int(r1) {
				copyRow(row, row+n)
			} else {
				clearRow(row)
			}
		}
	} else {
		n = -n
		for row := int(r1); row >= int(r0); row-- {
			if row-n >= int(r0) {
				copyRow(row, row-n)
			} else {
				clearRow(row)
			}
		}
	}
}

// teletype writes one character the way INT 10h AH=0Eh does: control
// characters BEL, BS, LF and CR act, others are stored with the cell's
// current attribute, and the screen scrolls at the bottom.
func (b *BIOS) teletype(ch uint8) {
	if b.mode() == 0x13 {
		return
	}
	p := b.rd8(bdaPage)
	col, row := b.cursor(p)
	switch ch {
	case 7:
		return
	case 8:
		if col > 0 {
			col--
		}
	case 10:
		row++
	case 13:
		col = 0
	default:
		a := cellAddr(p, col, row)
		b.wr8(a, ch)
		if b.rd8(a+1) == 0 {
			b.wr8(a+1, 0x07)
		}
		col++
	}
	if col >= textCols {
		col = 0
		row++
	}
	if row >= textRows {
		b.scroll(1, 0x07, 0, 0, textCols-1, textRows-1)
		row = textRows - 1
	}
	b.setCursor(p, col, row)
}

// puts writes a string through the teletype path.
func (b *BIOS) puts(s string) {
	for k := 0; k < len(s); k++ {
		b.teletype(s[k])
	}
}

// int10 dispatches video services by AH.
func (b *BIOS) int10() {
	switch ah := b.ah(); ah {
	case 0x00:
		b.setMode(b.al()&0x7F, b.al()&0x80 == 0)
		if b.mode() == 3 {
			b.setAL(0x30)
		} else {
			b.setAL(0x20)
		}
	case 0x01:
		b.wr16(bdaCurShape, b.cx())
		b.outb(crtcIndex, 0x0A)
		b.outb(crtcData, b.ch())
		b.outb(crtcIndex, 0x0B)
		b.outb(crtcData, b.cl())
	case 0x02:
		b.setCursor(b.bh(), b.dl(), b.dh())
	case 0x03:
		col, row := b.cursor(b.bh())
		b.set16(cpu.ECX, b.rd16(bdaCurShape))
		b.set16(cpu.EDX, uint16(row)<<8|uint16(col))
	case 0x05:
		p := b.al() & 7
		b.wr8(bdaPage, p)
		b.wr16(bdaPageStart, uint16(p)*textPage)
		start := uint16(p) * textPage / 2
		b.outb(crtcIndex, 0x0C)
		b.outb(crtcData, byte(start>>8))
		b.outb(crtcIndex, 0x0D)
		b.outb(crtcData, byte(start))
		b.syncCursor()
	case 0x06, 0x07:
		n := int(b.al())
		if ah == 0x07 {
			n = -n
		}
		b.scroll(n, b.bh(), b.cl(), b.ch(), b.dl(), b.dh())
	case 0x08:
		col, row := b.cursor(b.bh())
		b.setAX(b.rd16(cellAddr(b.bh(), col, row)))
	case 0x09, 0x0A:
		p := b.bh()
		col, row := b.cursor(p)
		for n := uint16(0); n < b.cx(); n++ {
			a := cellAddr(p, col, row) + uint32(n)*2
			if a >= textBase+8*textPage {
				break
			}
			b.wr8(a, b.al())
			if ah == 0x09 {
				b.wr8(a+1, b.bl())
			}
		}
	case 0x0C:
		if b.mode() == 0x13 && b.cx() < 320 && b.dx() < 200 {
			b.wr8(gfxBase+uint32(b.dx())*320+uint32(b.cx()), b.al())
		}
	case 0x0D:
		if b.mode() == 0x13 && b.cx() < 320 && b.dx() < 200 {
			b.setAL(b.rd8(gfxBase + uint32(b.dx())*320 + uint32(b.cx())))
		}
	case 0x0E:
		b.teletype(b.al())
	case 0x0F:
		b.setAL(b.mode())
		b.setAH(uint8(b.rd16(bdaCols)))
		b.setHi(cpu.EBX, b.rd8(bdaPage))
	case 0x10:
		b.int10Palette()
	case 0x11:
		if b.al() == 0x30 {
			// Font information: the 8x16 character height and rows.
			b.set16(cpu.ECX, uint16(b.rd8(bdaCharH)))
			b.setLo(cpu.EDX, b.rd8(bdaRows))
			b.c.SetRealSegment(cpu.ES, 0xF000)
			b.set16(cpu.EBP, romFont8x8)
		}
	case 0x12:
		if b.bl() == 0x10 {
			b.set16(cpu.EBX, 0x0003) // colour, 256 KiB
			b.set16(cpu.ECX, 0x0009)
		}
	case 0x13:
		b.writeString()
	case 0x1A:
		if b.al() == 0 {
			b.setAL(0x1A)
			b.set16(cpu.EBX, 0x0008) // VGA with colour display
		}
	default:
		// Unsupported (including VESA AH=4Fh): leave AX as is, which
		// callers read as "function not supported".
	}
}

// int10Palette handles the DAC subset of AH=10h.
func (b *BIOS) int10Palette() {
	switch b.al() {
	case 0x10:
		b.outb(0x3C8, b.bl())
		b.outb(0x3C9, b.dh())
		b.outb(0x3C9, b.ch())
		b.outb(0x3C9, b.cl())
	case 0x15:
		b.outb(0x3C7, b.bl())
		b.setHi(cpu.EDX, b.inb(0x3C9))
		b.setHi(cpu.ECX, b.inb(0x3C9))
		b.setLo(cpu.ECX, b.inb(0x3C9))
	case 0x12:
		a := b.phys(b.seg(cpu.ES), b.dx())
		b.outb(0x3C8, b.bl())
		for n := uint32(0); n < uint32(b.cx())*3; n++ {
			b.outb(0x3C9, b.rd8(a+n))
		}
	}
}

// writeString is AH=13h: AL bit 0 updates the cursor, bit 1 means the
// string alternates characters and attributes.
func (b *BIOS) writeString() {
	p := b.bh()
	mode := b.al()
	oldCol, oldRow := b.cursor(p)
	b.setCursor(p, b.dl(), b.dh())
	a := b.phys(b.seg(cpu.ES), uint16(b.c.R[cpu.EBP]))
	for n := uint16(0); n < b.cx(); n++ {
		ch := b.rd8(a)
		a++
		attr := b.bl()
		if mode&2 != 0 {
			attr = b.rd8(a)
			a++
		}
		col, row := b.cursor(p)
		if ch >= 0x20 {
			b.wr8(cellAddr(p, col, row)+1, attr)
		}
		saved := b.rd8(bdaPage)
		b.wr8(bdaPage, p)
		b.teletype(ch)
		b.wr8(bdaPage, saved)
	}
	if mode&1 == 0 {
		b.setCursor(p, oldCol, oldRow)
	}
}
