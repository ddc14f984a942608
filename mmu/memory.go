// Package mmu owns the guest's physical address space and the path from a
// linear address to a byte of it: RAM and ROM backing, memory-mapped device
// regions, the A20 gate, two-level IA-32 paging, the software TLB that the
// CPU's fast path reads directly, and tracking of physical pages that hold
// decoded code so that writes to them invalidate that code.
//
// The package depends on nothing above it. The CPU fills TLB entries through
// Translate and reads them inline; devices reach memory through Read/Write
// (DMA) and map their own regions with MapMMIO.
package mmu

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// PageSize is the IA-32 small page size.
const PageSize = 4096

const pageShift = 12

// MMIO is a device that decodes a physical address range. Accesses reach it
// only through the slow path, never from the TLB, so an interface is fine.
type MMIO interface {
	// ReadMMIO returns size (1, 2 or 4) bytes at addr, little-endian.
	ReadMMIO(addr uint32, size int) uint32
	// WriteMMIO stores size bytes of v at addr.
	WriteMMIO(addr uint32, size int, v uint32)
}

// romReserve is the backing capacity kept after RAM for ROM images.
const romReserve = 2 << 20

// noBacking marks a page with no directly addressable backing store.
const noBacking = -1

// region is a physical range outside the per-page map (above mapTop).
type region struct {
	base, size uint32
	off        int64 // backing offset for ROM, or noBacking for MMIO
	dev        MMIO
}

// CodeWriteFunc is called when a write lands on a physical page that holds
// decoded code, with the physical range written. It runs before the write
// completes its return to the guest, so the next fetch sees the new bytes.
type CodeWriteFunc func(phys uint32, size int)

// Memory is the guest physical address space: RAM from 0, ROM images, and
// device windows, with the A20 gate applied to every address.
type Memory struct {
	// backing holds RAM at offset 0 followed by any ROM images.
	backing []byte
	ramSize uint32

	// Per-page maps for physical pages below mapTop. readOff/writeOff give
	// the backing offset of the page for reads/writes, or noBacking, in
	// which case mmioPage gives a device (or nil: open bus).
	mapTop   uint32
	readOff  []int64
	writeOff []int64
	mmioPage []MMIO

	high []region // regions at or above mapTop

	a20Mask uint32

	// codePages has one bit per physical page below mapTop that holds
	// decoded code. Writes to such pages are reported to OnCodeWrite.
	codePages   []uint64
	OnCodeWrite CodeWriteFunc

	// tlbs are flushed when the map or A20 changes.
	tlbs []*TLB

	// dirty, when non-nil, has one bit per page below mapTop written
	// since the last ClearDirty. While tracking, a page's first write
	// takes the slow path, which sets its bit (as QEMU's migration
	// bitmap does).
	dirty []uint64
}

// NewMemory returns a physical address space with ramSize bytes of RAM
// (rounded up to a page) and A20 enabled.
func NewMemory(ramSize uint32) *Memory {
	ramSize = (ramSize + PageSize - 1) &^ (PageSize - 1)
	top := ramSize
	if top < 1<<20 {
		top = 1 << 20
	}
	pages := int(top >> pageShift)
	m := &Memory{
		// Spare capacity lets AddROM append firmware images without
		// copying all of RAM.
		backing:   make([]byte, ramSize, uint64(ramSize)+romReserve),
		ramSize:   ramSize,
		mapTop:    top,
		readOff:   make([]int64, pages),
		writeOff:  make([]int64, pages),
		mmioPage:  make([]MMIO, pages),
		a20Mask:   0xFFFFFFFF,
		codePages: make([]uint64, (pages+63)/64),
	}
	for p := 0; p < pages; p++ {
		off := int64(p) << pageShift
		if off < int64(ramSize) {
			m.readOff[p], m.writeOff[p] = off, off
		} else {
			m.readOff[p], m.writeOff[p] = noBacking, noBacking
		}
	}
	return m
}

// RAMSize is the number of bytes of RAM.
func (m *Memory) RAMSize() uint32 { return m.ramSize }

// RAM returns the RAM bytes themselves (offset = physical address). Loaders
// and tests may write here directly; code written this way is not tracked,
// so do it before the CPU runs or call NotifyWrite.
func (m *Memory) RAM() []byte { return m.backing[:m.ramSize] }

// Backing is the whole backing store that TLB entries index.
func (m *Memory) Backing() []byte { return m.backing }

// A20 reports whether address line 20 is enabled.
func (m *Memory) A20() bool { return m.a20Mask == 0xFFFFFFFF }

// SetA20 enables or disables address line 20. With it disabled, bit 20 of
// every physical address is forced to 0 (the 1 MiB wrap of the 8086).
func (m *Memory) SetA20(on bool) {
	mask := uint32(0xFFFFFFFF)
	if !on {
		mask = ^uint32(1 << 20)
	}
	if mask != m.a20Mask {
		m.a20Mask = mask
		m.flushTLBs()
	}
}

// A20Mask is the mask applied to physical addresses.
func (m *Memory) A20Mask() uint32 { return m.a20Mask }

func (m *Memory) flushTLBs() {
	for _, t := range m.tlbs {
		t.FlushAll()
	}
}

// checkPageRange validates a page-aligned range below mapTop.
func (m *Memory) checkPageRange(base, size uint32) error {
	if base%PageSize != 0 || size%PageSize != 0 || size == 0 {
		return fmt.Errorf("mmu: range %#x+%#x is not page aligned", base, size)
	}
	return nil
}

// AddROM appends data (padded to pages) to the backing store and returns
// its offset, for use with MapPages. The bytes can later be reached with
// BackingBytes.
func (m *Memory) AddROM(data []byte) int64 {
	off := int64(len(m.backing))
	n := (len(data) + PageSize - 1) &^ (PageSize - 1)
	buf := make([]byte, n)
	copy(buf, data)
	m.backing = append(m.backing, buf...)
	m.flushTLBs()
	return off
}

// MapPages points physical pages [base, base+size) at backing offsets:
// reads come from readOff, writes go to writeOff. Either may be
// NoBacking: a read then returns open-bus 0xFF bytes and a write is
// dropped (ROM). Ranges above the per-page map are mapped as ROM regions
// (read-only, readOff used).
func (m *Memory) MapPages(base, size uint32, readOff, writeOff int64) error {
	if err := m.checkPageRange(base, size); err != nil {
		return err
	}
	if uint64(base)+uint64(size) > uint64(m.mapTop) {
		if base < m.mapTop {
			return fmt.Errorf("mmu: range %#x+%#x straddles the RAM map top %#x", base, size, m.mapTop)
		}
		m.high = append(m.high, region{base: base, size: size, off: readOff})
		m.flushTLBs()
		return nil
	}
	for p := base >> pageShift; p < (base+size)>>pageShift; p++ {
		k := int64(p-base>>pageShift) << pageShift
		m.readOff[p], m.writeOff[p] = noBackingOr(readOff, k), noBackingOr(writeOff, k)
		m.mmioPage[p] = nil
	}
	m.flushTLBs()
	return nil
}

// NoBacking may be passed to MapPages for "no store here".
const NoBacking = noBacking

func noBackingOr(off, k int64) int64 {
	if off == noBacking {
		return noBacking
	}
	return off + k
}

// RAMOffset is the backing offset of RAM at physical address phys, for
// MapPages calls that restore RAM behind a ROM window.
func RAMOffset(phys uint32) int64 { return int64(phys) }

// MapMMIO routes physical pages [base, base+size) to dev.
func (m *Memory) MapMMIO(base, size uint32, dev MMIO) error {
	if err := m.checkPageRange(base, size); err != nil {
		return err
	}
	if uint64(base)+uint64(size) > uint64(m.mapTop) {
		if base < m.mapTop {
			return fmt.Errorf("mmu: MMIO %#x+%#x straddles the RAM map top %#x", base, size, m.mapTop)
		}
		m.high = append(m.high, region{base: base, size: size, off: noBacking, dev: dev})
		m.flushTLBs()
		return nil
	}
	for p := base >> pageShift; p < (base+size)>>pageShift; p++ {
		m.readOff[p], m.writeOff[p] = noBacking, noBacking
		m.mmioPage[p] = dev
	}
	m.flushTLBs()
	return nil
}

// BackingBytes returns n bytes of the backing store at off.
func (m *Memory) BackingBytes(off int64, n int) []byte { return m.backing[off : off+int64(n)] }

// pageBacking returns the backing offsets of the page holding phys (already
// A20-masked), and its device for non-backed pages.
func (m *Memory) pageBacking(phys uint32) (readOff, writeOff int64, dev MMIO) {
	if phys < m.mapTop {
		p := phys >> pageShift
		return m.readOff[p], m.writeOff[p], m.mmioPage[p]
	}
	for i := range m.high {
		r := &m.high[i]
		if phys-r.base < r.size {
			page := int64((phys - r.base) &^ (PageSize - 1))
			if r.off == noBacking {
				return noBacking, noBacking, r.dev
			}
			return r.off + page, noBacking, nil
		}
	}
	return noBacking, noBacking, nil
}

// IsCodePage reports whether physical page phys>>12 holds decoded code.
func (m *Memory) IsCodePage(phys uint32) bool {
	p := phys >> pageShift
	if phys >= m.mapTop {
		return false
	}
	return m.codePages[p/64]&(1<<(p%64)) != 0
}

// MarkCodePage records that decoded code was taken from the page holding
// phys; from now on writes to it go through the slow path and are reported
// to OnCodeWrite. It removes write access to the page from every TLB.
func (m *Memory) MarkCodePage(phys uint32) {
	if phys >= m.mapTop {
		return // ROM above the map is never written
	}
	p := phys >> pageShift
	if m.codePages[p/64]&(1<<(p%64)) != 0 {
		return
	}
	m.codePages[p/64] |= 1 << (p % 64)
	for _, t := range m.tlbs {
		t.dropWritesToPhys(phys &^ (PageSize - 1))
	}
}

// UnmarkCodePage records that the page no longer holds decoded code, so
// writes to it may use the fast path again.
func (m *Memory) UnmarkCodePage(phys uint32) {
	if phys >= m.mapTop {
		return
	}
	p := phys >> pageShift
	m.codePages[p/64] &^= 1 << (p % 64)
}

// TrackDirty starts or stops recording which pages are written. Used for
// snapshots, display refresh and tests that must see every store.
func (m *Memory) TrackDirty(on bool) {
	if on {
		m.dirty = make([]uint64, len(m.codePages))
	} else {
		m.dirty = nil
	}
	m.flushTLBs()
}

// DirtyPages returns the physical base addresses of the pages written
// since tracking started or ClearDirty was called.
func (m *Memory) DirtyPages() []uint32 {
	var pages []uint32
	for w, bitsWord := range m.dirty {
		for bitsWord != 0 {
			k := bits.TrailingZeros64(bitsWord)
			pages = append(pages, uint32(w*64+k)<<pageShift)
			bitsWord &^= 1 << k
		}
	}
	return pages
}

// ClearDirty forgets the written pages and makes their next writes take
// the slow path again.
func (m *Memory) ClearDirty() {
	for w, bitsWord := range m.dirty {
		if bitsWord != 0 {
			m.dirty[w] = 0
			for k := 0; k < 64; k++ {
				if bitsWord&(1<<k) != 0 {
					for _, t := range m.tlbs {
						t.dropWritesToPhys(uint32(w*64+k) << pageShift)
					}
				}
			}
		}
	}
}

// writeFastOK reports whether TLB entries may allow direct writes to the
// page: it holds no code and, when tracking, is already marked dirty.
func (m *Memory) writeFastOK(phys uint32) bool {
	if m.IsCodePage(phys) {
		return false
	}
	if m.dirty == nil {
		return true
	}
	p := phys >> pageShift
	return phys < m.mapTop && m.dirty[p/64]&(1<<(p%64)) != 0
}

func (m *Memory) noteWrite(phys uint32) {
	if m.dirty != nil && phys < m.mapTop {
		p := phys >> pageShift
		m.dirty[p/64] |= 1 << (p % 64)
	}
}

// Read8 reads a physical byte (A20 applied). Unbacked addresses read 0xFF.
func (m *Memory) Read8(phys uint32) uint8 {
	phys &= m.a20Mask
	r, _, dev := m.pageBacking(phys)
	if r != noBacking {
		return m.backing[r+int64(phys&(PageSize-1))]
	}
	if dev != nil {
		return uint8(dev.ReadMMIO(phys, 1))
	}
	return 0xFF
}

// Write8 writes a physical byte (A20 applied).
func (m *Memory) Write8(phys uint32, v uint8) {
	phys &= m.a20Mask
	_, w, dev := m.pageBacking(phys)
	if w != noBacking {
		if m.IsCodePage(phys) && m.OnCodeWrite != nil {
			m.OnCodeWrite(phys, 1)
		}
		m.noteWrite(phys)
		m.backing[w+int64(phys&(PageSize-1))] = v
		return
	}
	if dev != nil {
		dev.WriteMMIO(phys, 1, uint32(v))
	}
}

// Read reads size (1, 2 or 4) bytes at phys, little-endian. An access that
// stays inside one page and hits a device is passed to it whole.
func (m *Memory) Read(phys uint32, size int) uint32 {
	phys &= m.a20Mask
	if int(phys&(PageSize-1))+size <= PageSize {
		r, _, dev := m.pageBacking(phys)
		if r != noBacking {
			b := m.backing[r+int64(phys&(PageSize-1)):]
			switch size {
			case 1:
				return uint32(b[0])
			case 2:
				return uint32(binary.LittleEndian.Uint16(b))
			default:
				return binary.LittleEndian.Uint32(b)
			}
		}
		if dev != nil {
			return dev.ReadMMIO(phys, size)
		}
	}
	var v uint32
	for i := 0; i < size; i++ {
		v |= uint32(m.Read8(phys+uint32(i))) << (8 * i)
	}
	return v
}

// Write writes size (1, 2 or 4) bytes of v at phys, little-endian.
func (m *Memory) Write(phys uint32, size int, v uint32) {
	phys &= m.a20Mask
	if int(phys&(PageSize-1))+size <= PageSize {
		_, w, dev := m.pageBacking(phys)
		if w != noBacking {
			if m.IsCodePage(phys) && m.OnCodeWrite != nil {
				m.OnCodeWrite(phys, size)
			}
			m.noteWrite(phys)
			b := m.backing[w+int64(phys&(PageSize-1)):]
			switch size {
			case 1:
				b[0] = uint8(v)
			case 2:
				binary.LittleEndian.PutUint16(b, uint16(v))
			default:
				binary.LittleEndian.PutUint32(b, v)
			}
			return
		}
		if dev != nil {
			dev.WriteMMIO(phys, size, v)
		}
		return // ROM or open bus: dropped
	}
	for i := 0; i < size; i++ {
		m.Write8(phys+uint32(i), uint8(v>>(8*i)))
	}
}

// ReadBytes copies physical memory starting at phys into dst.
func (m *Memory) ReadBytes(phys uint32, dst []byte) {
	for i := range dst {
		dst[i] = m.Read8(phys + uint32(i))
	}
}

// WriteBytes copies src into physical memory starting at phys, as a DMA
// engine or loader would: code pages are invalidated.
func (m *Memory) WriteBytes(phys uint32, src []byte) {
	for i, b := range src {
		m.Write8(phys+uint32(i), b)
	}
}

// ZeroRAM clears RAM in [phys, phys+size), reporting code pages in the
// range as written. It is the bulk equivalent of writing zero bytes.
func (m *Memory) ZeroRAM(phys, size uint32) {
	end := uint64(phys) + uint64(size)
	if end > uint64(m.ramSize) {
		end = uint64(m.ramSize)
	}
	for a := uint64(phys); a < end; {
		pageEnd := (a | (PageSize - 1)) + 1
		if pageEnd > end {
			pageEnd = end
		}
		if m.IsCodePage(uint32(a)) && m.OnCodeWrite != nil {
			m.OnCodeWrite(uint32(a), int(pageEnd-a))
		}
		m.noteWrite(uint32(a))
		clear(m.backing[a:pageEnd])
		a = pageEnd
	}
}
