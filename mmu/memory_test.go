package mmu

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mmioAccess is one access seen by a fake device.
type mmioAccess struct {
	write bool
	addr  uint32
	size  int
	v     uint32
}

// fakeDev records every access and answers reads with a value derived from
// the address, so a test can tell which address and size reached it.
type fakeDev struct {
	log []mmioAccess
}

func (d *fakeDev) ReadMMIO(addr uint32, size int) uint32 {
	d.log = append(d.log, mmioAccess{addr: addr, size: size})
	v := uint32(0xA5A5A500) | addr&0xFF
	if size < 4 {
		v &= 1<<(8*size) - 1
	}
	return v
}

func (d *fakeDev) WriteMMIO(addr uint32, size int, v uint32) {
	d.log = append(d.log, mmioAccess{write: true, addr: addr, size: size, v: v})
}

// codeWrite is one OnCodeWrite report.
type codeWrite struct {
	phys uint32
	size int
}

// recordCodeWrites installs an OnCodeWrite hook that appends to the result.
func recordCodeWrites(m *Memory) *[]codeWrite {
	var got []codeWrite
	m.OnCodeWrite = func(phys uint32, size int) { got = append(got, codeWrite{phys, size}) }
	return &got
}

func TestNewMemoryRoundsRAMUpToAPage(t *testing.T) {
	tests := []struct {
		ask, want uint32
	}{
		{0, 0},
		{1, PageSize},
		{PageSize, PageSize},
		{PageSize + 1, 2 * PageSize},
		{5000, 8192},
		{2 << 20, 2 << 20},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d", tc.ask), func(t *testing.T) {
			m := NewMemory(tc.ask)
			assert.Equal(t, tc.want, m.RAMSize())
			assert.Len(t, m.RAM(), int(tc.want))
			assert.True(t, m.A20(), "A20 starts enabled")
		})
	}
}

func TestRAMReadWriteLittleEndian(t *testing.T) {
	tests := []struct {
		name string
		addr uint32
		size int
		v    uint32
		want []byte // bytes in RAM from addr
	}{
		{"byte", 0x1000, 1, 0x12345678, []byte{0x78}},
		{"word", 0x1000, 2, 0x12345678, []byte{0x78, 0x56}},
		{"dword", 0x1000, 4, 0x12345678, []byte{0x78, 0x56, 0x34, 0x12}},
		{"dword at last byte of RAM page 0", 0x0FFC, 4, 0xCAFEBABE, []byte{0xBE, 0xBA, 0xFE, 0xCA}},
		{"word crossing a page", 0x1FFF, 2, 0xBEEF, []byte{0xEF, 0xBE}},
		{"dword crossing a page at +1", 0x1FFF, 4, 0x11223344, []byte{0x44, 0x33, 0x22, 0x11}},
		{"dword crossing a page at +2", 0x1FFE, 4, 0x55667788, []byte{0x88, 0x77, 0x66, 0x55}},
		{"dword crossing a page at +3", 0x1FFD, 4, 0x99AABBCC, []byte{0xCC, 0xBB, 0xAA, 0x99}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemory(64 << 10)
			m.Write(tc.addr, tc.size, tc.v)
			assert.Equal(t, tc.want, m.RAM()[tc.addr:tc.addr+uint32(tc.size)])
			mask := uint32(0xFFFFFFFF)
			if tc.size < 4 {
				mask = 1<<(8*tc.size) - 1
			}
			assert.Equal(t, tc.v&mask, m.Read(tc.addr, tc.size))
			for i, b := range tc.want {
				assert.Equal(t, b, m.Read8(tc.addr+uint32(i)))
			}
			// Neighbouring bytes are untouched.
			if tc.addr > 0 {
				assert.Zero(t, m.RAM()[tc.addr-1])
			}
			assert.Zero(t, m.RAM()[tc.addr+uint32(tc.size)])
		})
	}
}

func TestWrite8AndRead8(t *testing.T) {
	m := NewMemory(64 << 10)
	for i := uint32(0); i < 256; i++ {
		m.Write8(0x3000+i, uint8(i^0x5A))
	}
	for i := uint32(0); i < 256; i++ {
		require.Equal(t, uint8(i^0x5A), m.Read8(0x3000+i))
	}
	assert.Equal(t, uint32(0x59585B5A), m.Read(0x3000, 4), "bytes 5A 5B 58 59, little-endian")
}

func TestOpenBusReadsFFAndDropsWrites(t *testing.T) {
	// 64 KiB of RAM: the per-page map runs to 1 MiB, so 64K..1M is mapped
	// but unbacked, and everything above 1 MiB is outside the map.
	m := NewMemory(64 << 10)
	tests := []struct {
		name string
		addr uint32
	}{
		{"unbacked page inside the map", 0x20000},
		{"last byte below the map top", 0xFFFFF},
		{"first byte above the map top", 0x100000},
		{"top of the 4 GiB space", 0xFFFFFFF0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, uint8(0xFF), m.Read8(tc.addr))
			assert.Equal(t, uint32(0xFF), m.Read(tc.addr, 1))
			assert.Equal(t, uint32(0xFFFF), m.Read(tc.addr, 2))
			assert.Equal(t, uint32(0xFFFFFFFF), m.Read(tc.addr, 4))
			assert.NotPanics(t, func() {
				m.Write8(tc.addr, 0)
				m.Write(tc.addr, 4, 0)
				m.Write(tc.addr, 2, 0)
			})
			assert.Equal(t, uint32(0xFFFFFFFF), m.Read(tc.addr, 4), "writes to open bus are dropped")
		})
	}
	t.Run("access straddling the end of RAM", func(t *testing.T) {
		end := m.RAMSize()
		m.Write(end-2, 4, 0x44332211)
		assert.Equal(t, []byte{0x11, 0x22}, m.RAM()[end-2:end])
		assert.Equal(t, uint32(0xFFFF2211), m.Read(end-2, 4))
	})
}

func TestROMMappedWithAddROMAndMapPages(t *testing.T) {
	m := NewMemory(1 << 20)
	rom := []byte{0xEA, 0x5B, 0xE0, 0x00, 0xF0, 0x55, 0xAA}
	off := m.AddROM(rom)
	require.Equal(t, int64(1<<20), off, "ROM images follow RAM in the backing store")
	require.Len(t, m.Backing(), 1<<20+PageSize, "AddROM pads to a whole page")
	assert.Equal(t, rom, m.BackingBytes(off, len(rom)))
	assert.Equal(t, make([]byte, PageSize-len(rom)), m.BackingBytes(off+int64(len(rom)), PageSize-len(rom)), "padding is zero")

	// Put something in the RAM beneath the window first.
	m.Write(0xF0000, 4, 0x01020304)
	require.NoError(t, m.MapPages(0xF0000, PageSize, off, NoBacking))

	assert.Equal(t, uint32(0x00E05BEA), m.Read(0xF0000, 4))
	assert.Equal(t, uint8(0xAA), m.Read8(0xF0006))
	m.Write(0xF0000, 4, 0xDEADBEEF)
	m.Write8(0xF0001, 0x00)
	m.WriteBytes(0xF0002, []byte{1, 2, 3})
	assert.Equal(t, uint32(0x00E05BEA), m.Read(0xF0000, 4), "writes to ROM are dropped")
	assert.Equal(t, rom, m.BackingBytes(off, len(rom)), "the ROM image is unchanged")
	assert.Equal(t, []byte{4, 3, 2, 1}, m.RAM()[0xF0000:0xF0004], "RAM beneath is untouched")

	// Restoring RAM behind the window brings the old bytes back.
	require.NoError(t, m.MapPages(0xF0000, PageSize, RAMOffset(0xF0000), RAMOffset(0xF0000)))
	assert.Equal(t, uint32(0x01020304), m.Read(0xF0000, 4))

	// Read ROM, write RAM (shadow-RAM programming).
	require.NoError(t, m.MapPages(0xF0000, PageSize, off, RAMOffset(0xF0000)))
	m.Write(0xF0000, 4, 0xCAFEF00D)
	assert.Equal(t, uint32(0x00E05BEA), m.Read(0xF0000, 4), "reads still come from ROM")
	assert.Equal(t, []byte{0x0D, 0xF0, 0xFE, 0xCA}, m.RAM()[0xF0000:0xF0004], "writes reach RAM")

	// Unmapped in both directions: open bus.
	require.NoError(t, m.MapPages(0xF0000, PageSize, NoBacking, NoBacking))
	assert.Equal(t, uint32(0xFFFFFFFF), m.Read(0xF0000, 4))
}

func TestROMMappedAboveTheMapTop(t *testing.T) {
	m := NewMemory(1 << 20)
	img := make([]byte, 0x10000)
	img[0xFFF0] = 0xEA
	img[0xFFFF] = 0x77
	off := m.AddROM(img)
	require.NoError(t, m.MapPages(0xFFFF0000, 0x10000, off, NoBacking))
	assert.Equal(t, uint8(0xEA), m.Read8(0xFFFFFFF0))
	assert.Equal(t, uint8(0x77), m.Read8(0xFFFFFFFF))
	assert.Equal(t, uint32(0xEA), m.Read(0xFFFFFFF0, 4))
	m.Write(0xFFFFFFF0, 4, 0x12345678)
	m.Write8(0xFFFFFFF1, 0x99)
	assert.Equal(t, uint32(0xEA), m.Read(0xFFFFFFF0, 4), "ROM above the map is read-only")
	assert.Equal(t, uint8(0xFF), m.Read8(0xFFFEFFFF), "just below the region is open bus")
}

func TestMapPagesRejectsBadRanges(t *testing.T) {
	m := NewMemory(1 << 20)
	tests := []struct {
		name       string
		base, size uint32
	}{
		{"unaligned base", 0xF0001, PageSize},
		{"unaligned size", 0xF0000, 100},
		{"empty", 0xF0000, 0},
		{"straddles the map top", 0xFF000, 2 * PageSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Error(t, m.MapPages(tc.base, tc.size, NoBacking, NoBacking))
			assert.Error(t, m.MapMMIO(tc.base, tc.size, &fakeDev{}))
		})
	}
}

func TestAddROMBeyondReserveKeepsRAM(t *testing.T) {
	m := NewMemory(64 << 10)
	m.Write(0x100, 4, 0x11223344)
	off1 := m.AddROM(make([]byte, romReserve)) // fills the spare capacity
	off2 := m.AddROM([]byte{0x42})             // forces a reallocation
	assert.Equal(t, int64(64<<10), off1)
	assert.Equal(t, off1+romReserve, off2)
	assert.Equal(t, uint32(0x11223344), m.Read(0x100, 4), "RAM survives the backing store growing")
	assert.Equal(t, []byte{0x42}, m.BackingBytes(off2, 1))
}

func TestMMIOBelowTheMapTop(t *testing.T) {
	m := NewMemory(1 << 20)
	dev := &fakeDev{}
	m.Write(0xA0000, 4, 0x12345678) // RAM beneath the window
	require.NoError(t, m.MapMMIO(0xA0000, 0x20000, dev))

	tests := []struct {
		name string
		do   func() uint32
		want []mmioAccess
		ret  uint32
	}{
		{"Read8", func() uint32 { return uint32(m.Read8(0xA0010)) }, []mmioAccess{{addr: 0xA0010, size: 1}}, 0x10},
		{"Read word whole", func() uint32 { return m.Read(0xA0020, 2) }, []mmioAccess{{addr: 0xA0020, size: 2}}, 0xA520},
		{"Read dword whole", func() uint32 { return m.Read(0xBFFFC, 4) }, []mmioAccess{{addr: 0xBFFFC, size: 4}}, 0xA5A5A5FC},
		{"Write8", func() uint32 { m.Write8(0xA0001, 0x5A); return 0 }, []mmioAccess{{true, 0xA0001, 1, 0x5A}}, 0},
		{"Write dword whole", func() uint32 { m.Write(0xA1000, 4, 0xCAFEBABE); return 0 }, []mmioAccess{{true, 0xA1000, 4, 0xCAFEBABE}}, 0},
		{"WriteBytes byte by byte", func() uint32 { m.WriteBytes(0xA0100, []byte{1, 2}); return 0 },
			[]mmioAccess{{true, 0xA0100, 1, 1}, {true, 0xA0101, 1, 2}}, 0},
		// An access that crosses into the device page is split into bytes.
		{"Read crossing from RAM into MMIO", func() uint32 { return m.Read(0x9FFFF, 2) }, []mmioAccess{{addr: 0xA0000, size: 1}}, 0x0000},
		{"Write crossing from MMIO into RAM", func() uint32 { m.Write(0xBFFFF, 2, 0x3344); return 0 }, []mmioAccess{{true, 0xBFFFF, 1, 0x44}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dev.log = nil
			got := tc.do()
			assert.Equal(t, tc.want, dev.log)
			assert.Equal(t, tc.ret, got)
		})
	}
	assert.Equal(t, uint8(0x33), m.RAM()[0xC0000], "the byte past the window went to RAM")
	assert.Equal(t, []byte{0x78, 0x56, 0x34, 0x12}, m.RAM()[0xA0000:0xA0004], "RAM beneath the window is not written")

	// MapPages over the window gives RAM back.
	require.NoError(t, m.MapPages(0xA0000, 0x20000, RAMOffset(0xA0000), RAMOffset(0xA0000)))
	dev.log = nil
	assert.Equal(t, uint32(0x12345678), m.Read(0xA0000, 4))
	assert.Empty(t, dev.log)
}

func TestMMIOAboveTheMapTop(t *testing.T) {
	m := NewMemory(1 << 20)
	dev := &fakeDev{}
	require.NoError(t, m.MapMMIO(0xFEC00000, PageSize, dev))
	assert.Equal(t, uint32(0xA5A5A520), m.Read(0xFEC00020, 4))
	m.Write(0xFEC00010, 4, 0xDEADBEEF)
	m.Write8(0xFEC00FFF, 0x11)
	assert.Equal(t, uint8(0x30), m.Read8(0xFEC00030))
	assert.Equal(t, []mmioAccess{
		{addr: 0xFEC00020, size: 4},
		{true, 0xFEC00010, 4, 0xDEADBEEF},
		{true, 0xFEC00FFF, 1, 0x11},
		{addr: 0xFEC00030, size: 1},
	}, dev.log)
	dev.log = nil
	assert.Equal(t, uint32(0xFFFFFFFF), m.Read(0xFEC01000, 4), "past the region is open bus")
	assert.Empty(t, dev.log)
}

func TestA20(t *testing.T) {
	m := NewMemory(4 << 20)
	m.Write(0x000010, 4, 0x11111111)
	m.Write(0x100010, 4, 0x22222222)
	m.Write(0x200010, 4, 0x33333333)
	m.Write(0x300010, 4, 0x44444444)

	m.SetA20(false)
	assert.False(t, m.A20())
	assert.Equal(t, ^uint32(1<<20), m.A20Mask())
	assert.Equal(t, uint32(0x11111111), m.Read(0x100010, 4), "bit 20 is forced to 0")
	assert.Equal(t, uint8(0x11), m.Read8(0x100010))
	assert.Equal(t, uint32(0x33333333), m.Read(0x300010, 4), "only bit 20 is masked")
	m.Write(0x100020, 2, 0xBEEF)
	m.Write8(0x100030, 0x7E)
	m.WriteBytes(0x1FFFFF, []byte{0xAB, 0xCD}) // lands at FFFFF, then 200000
	assert.Equal(t, uint32(0xBEEF), m.Read(0x20, 2))
	assert.Equal(t, uint8(0x7E), m.RAM()[0x30])
	assert.Equal(t, uint8(0xAB), m.RAM()[0xFFFFF])
	assert.Equal(t, uint8(0xCD), m.RAM()[0x200000])
	assert.Equal(t, uint8(0), m.RAM()[0x1FFFFF])
	buf := make([]byte, 2)
	m.ReadBytes(0x1FFFFF, buf)
	assert.Equal(t, []byte{0xAB, 0xCD}, buf)
	// A dword at FFFFE with A20 off: its upper half is at 100000, which
	// the gate sends to 0 (the 8086 wrap).
	m.Write(0x0FFFFE, 4, 0x44332211)
	assert.Equal(t, []byte{0x11, 0x22}, m.RAM()[0xFFFFE:0x100000])
	assert.Equal(t, []byte{0x33, 0x44}, m.RAM()[0:2])

	m.SetA20(true)
	assert.True(t, m.A20())
	assert.Equal(t, uint32(0xFFFFFFFF), m.A20Mask())
	assert.Equal(t, uint32(0x22222222), m.Read(0x100010, 4))
}

func TestA20ChangeFlushesEveryTLB(t *testing.T) {
	m := NewMemory(2 << 20)
	u1, u2 := New(m), New(m)
	for _, u := range []*MMU{u1, u2} {
		_, _, ok := u.Translate(0x100000, false, false)
		require.True(t, ok)
		require.Equal(t, uint32(0x100000), u.TLB.entry(0x100000, false).ReadTag)
	}
	e1, e2 := u1.TLB.Epoch, u2.TLB.Epoch
	m.SetA20(false)
	for _, u := range []*MMU{u1, u2} {
		assert.Equal(t, uint32(tagInvalid), u.TLB.entry(0x100000, false).ReadTag)
	}
	assert.Greater(t, u1.TLB.Epoch, e1)
	assert.Greater(t, u2.TLB.Epoch, e2)

	// Setting the same state again does not flush.
	e1 = u1.TLB.Epoch
	m.SetA20(false)
	assert.Equal(t, e1, u1.TLB.Epoch)

	// The new translation wraps: linear 1 MiB reaches physical 0.
	phys, _, ok := u1.Translate(0x100004, false, false)
	require.True(t, ok)
	assert.Equal(t, uint32(4), phys)
	e := u1.TLB.entry(0x100000, false)
	assert.Equal(t, uint32(0x100000), e.ReadTag)
	assert.Equal(t, uint32(0), e.Phys)
	assert.Equal(t, 0, e.Off)
}

func TestMapChangesFlushTLBs(t *testing.T) {
	tests := []struct {
		name string
		do   func(m *Memory)
	}{
		{"AddROM", func(m *Memory) { m.AddROM([]byte{1}) }},
		{"MapPages", func(m *Memory) { _ = m.MapPages(0xF0000, PageSize, NoBacking, NoBacking) }},
		{"MapPages above the map top", func(m *Memory) { _ = m.MapPages(0xFFFF0000, PageSize, NoBacking, NoBacking) }},
		{"MapMMIO", func(m *Memory) { _ = m.MapMMIO(0xA0000, PageSize, &fakeDev{}) }},
		{"MapMMIO above the map top", func(m *Memory) { _ = m.MapMMIO(0xFEC00000, PageSize, &fakeDev{}) }},
		{"TrackDirty on", func(m *Memory) { m.TrackDirty(true) }},
		{"TrackDirty off", func(m *Memory) { m.TrackDirty(false) }},
		{"SetA20 off", func(m *Memory) { m.SetA20(false) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemory(1 << 20)
			u := New(m)
			_, _, ok := u.Translate(0x5000, true, false)
			require.True(t, ok)
			ep := u.TLB.Epoch
			tc.do(m)
			assert.Greater(t, u.TLB.Epoch, ep)
			e := u.TLB.entry(0x5000, false)
			assert.Equal(t, uint32(tagInvalid), e.ReadTag)
			assert.Equal(t, uint32(tagInvalid), e.WriteTag)
		})
	}
}

func TestMMIOPagesAreNeverCachedInTheTLB(t *testing.T) {
	m := NewMemory(1 << 20)
	u := New(m)
	require.NoError(t, m.MapMMIO(0xA0000, PageSize, &fakeDev{}))
	require.NoError(t, m.MapMMIO(0xFEC00000, PageSize, &fakeDev{}))
	for _, lin := range []uint32{0xA0000, 0xFEC00000, 0x200000 /* open bus */} {
		_, _, ok := u.Translate(lin, true, false)
		require.True(t, ok)
		e := u.TLB.entry(lin, false)
		assert.Equal(t, uint32(tagInvalid), e.ReadTag, "%#x", lin)
		assert.Equal(t, uint32(tagInvalid), e.WriteTag, "%#x", lin)
	}
}

func TestWriteBytesReadBytes(t *testing.T) {
	m := NewMemory(64 << 10)
	src := make([]byte, 3*PageSize+17)
	for i := range src {
		src[i] = byte(i * 7)
	}
	m.WriteBytes(0x0FF0, src)
	assert.Equal(t, src, m.RAM()[0x0FF0:0x0FF0+len(src)])
	dst := make([]byte, len(src))
	m.ReadBytes(0x0FF0, dst)
	assert.Equal(t, src, dst)

	// Reading across the end of RAM gives open-bus bytes for the rest,
	// and writing there drops the part past RAM.
	end := m.RAMSize()
	m.WriteBytes(end-2, []byte{1, 2, 3, 4})
	dst = make([]byte, 4)
	m.ReadBytes(end-2, dst)
	assert.Equal(t, []byte{1, 2, 0xFF, 0xFF}, dst)

	assert.NotPanics(t, func() { m.ReadBytes(0, nil); m.WriteBytes(0, nil) })
}

func TestZeroRAM(t *testing.T) {
	tests := []struct {
		name          string
		phys, size    uint32
		lo, hi        uint32 // expected cleared range
		dirtyExpected []uint32
	}{
		{"inside one page", 0x1010, 0x20, 0x1010, 0x1030, []uint32{0x1000}},
		{"across pages", 0x1FF0, 0x1020, 0x1FF0, 0x3010, []uint32{0x1000, 0x2000, 0x3000}},
		{"whole page", 0x4000, PageSize, 0x4000, 0x5000, []uint32{0x4000}},
		{"clamped at the end of RAM", 0xF000, 0x100000, 0xF000, 0x10000, []uint32{0xF000}},
		{"entirely past RAM", 0x20000, 0x1000, 0, 0, nil},
		{"empty", 0x1000, 0, 0, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemory(64 << 10)
			ram := m.RAM()
			for i := range ram {
				ram[i] = 0xCC
			}
			m.TrackDirty(true)
			assert.NotPanics(t, func() { m.ZeroRAM(tc.phys, tc.size) })
			for a := uint32(0); a < m.RAMSize(); a++ {
				want := uint8(0xCC)
				if a >= tc.lo && a < tc.hi {
					want = 0
				}
				if ram[a] != want {
					t.Fatalf("byte %#x = %#x, want %#x", a, ram[a], want)
				}
			}
			assert.Equal(t, tc.dirtyExpected, m.DirtyPages())
		})
	}
}

func TestDirtyTracking(t *testing.T) {
	m := NewMemory(1 << 20)
	off := m.AddROM(make([]byte, PageSize))
	require.NoError(t, m.MapPages(0xF0000, PageSize, off, NoBacking))
	dev := &fakeDev{}
	require.NoError(t, m.MapMMIO(0xA0000, PageSize, dev))

	assert.Nil(t, m.DirtyPages(), "not tracking: no pages")
	m.Write(0x1000, 4, 1)
	assert.Nil(t, m.DirtyPages(), "writes before tracking are not recorded")

	m.TrackDirty(true)
	assert.Empty(t, m.DirtyPages())
	m.Write8(0x7123, 1)
	m.Write(0x3FFE, 4, 0xFFFFFFFF) // crosses into 0x4000
	m.Write(0x9000, 2, 1)
	m.WriteBytes(0xC000, []byte{1})
	m.ZeroRAM(0xD000, 1)
	m.Write(0xF0000, 4, 1) // ROM: dropped, not dirty
	m.Write(0xA0000, 4, 1) // MMIO: not RAM
	m.Write(0x200000, 4, 1)
	_ = m.Read(0x5000, 4) // reads never dirty a page
	assert.Equal(t, []uint32{0x3000, 0x4000, 0x7000, 0x9000, 0xC000, 0xD000}, m.DirtyPages(), "ascending page bases")

	m.ClearDirty()
	assert.Empty(t, m.DirtyPages())
	m.Write8(0x7000, 2)
	assert.Equal(t, []uint32{0x7000}, m.DirtyPages())

	m.TrackDirty(false)
	assert.Nil(t, m.DirtyPages())
	m.Write8(0x8000, 1)
	assert.Nil(t, m.DirtyPages())

	// Turning tracking on again starts from an empty set.
	m.TrackDirty(true)
	assert.Empty(t, m.DirtyPages())
}

func TestDirtyTrackingAndTLBWriteTags(t *testing.T) {
	m := NewMemory(1 << 20)
	u := New(m)
	m.TrackDirty(true)

	_, _, ok := u.Translate(0x6000, true, false)
	require.True(t, ok)
	e := u.TLB.entry(0x6000, false)
	assert.Equal(t, uint32(0x6000), e.ReadTag)
	assert.Equal(t, uint32(tagInvalid), e.WriteTag, "a clean page's first write must take the slow path")

	m.Write(0x6000, 4, 1) // the slow path marks it dirty
	_, _, ok = u.Translate(0x6000, true, false)
	require.True(t, ok)
	assert.Equal(t, uint32(0x6000), e.WriteTag, "a dirty page may be written directly")

	m.ClearDirty()
	assert.Equal(t, uint32(0x6000), e.ReadTag, "ClearDirty keeps reads fast")
	assert.Equal(t, uint32(tagInvalid), e.WriteTag, "ClearDirty drops direct writes to the pages it clears")

	// With tracking off, writable pages get a write tag at once.
	m.TrackDirty(false)
	_, _, ok = u.Translate(0x6000, true, false)
	require.True(t, ok)
	assert.Equal(t, uint32(0x6000), e.WriteTag)
}

func TestCodePages(t *testing.T) {
	t.Run("mark and unmark", func(t *testing.T) {
		m := NewMemory(1 << 20)
		assert.False(t, m.IsCodePage(0x3000))
		m.MarkCodePage(0x3456)
		assert.True(t, m.IsCodePage(0x3000))
		assert.True(t, m.IsCodePage(0x3FFF))
		assert.False(t, m.IsCodePage(0x2FFF))
		assert.False(t, m.IsCodePage(0x4000))
		m.MarkCodePage(0x3000) // idempotent
		m.UnmarkCodePage(0x3FFF)
		assert.False(t, m.IsCodePage(0x3000))
	})
	t.Run("above the map top is ignored", func(t *testing.T) {
		m := NewMemory(1 << 20)
		assert.NotPanics(t, func() { m.MarkCodePage(0xFFFFF000); m.UnmarkCodePage(0xFFFFF000) })
		assert.False(t, m.IsCodePage(0xFFFFF000))
	})
	t.Run("marking removes TLB write permission in every TLB", func(t *testing.T) {
		m := NewMemory(1 << 20)
		u1, u2 := New(m), New(m)
		for _, u := range []*MMU{u1, u2} {
			for _, user := range []bool{false, true} {
				_, _, ok := u.Translate(0x5123, true, user)
				require.True(t, ok)
				require.Equal(t, uint32(0x5000), u.TLB.entry(0x5000, user).WriteTag)
			}
		}
		// Another page keeps its write tag.
		_, _, ok := u1.Translate(0x6000, true, false)
		require.True(t, ok)

		m.MarkCodePage(0x5FFF)
		for _, u := range []*MMU{u1, u2} {
			for _, user := range []bool{false, true} {
				e := u.TLB.entry(0x5000, user)
				assert.Equal(t, uint32(0x5000), e.ReadTag, "reads stay fast")
				assert.Equal(t, uint32(tagInvalid), e.WriteTag)
			}
		}
		assert.Equal(t, uint32(0x6000), u1.TLB.entry(0x6000, false).WriteTag)

		// A new fill of a code page has no write tag either.
		_, _, ok = u1.Translate(0x5000, true, false)
		require.True(t, ok)
		assert.Equal(t, uint32(tagInvalid), u1.TLB.entry(0x5000, false).WriteTag)

		// Once unmarked, a fill may allow direct writes again.
		m.UnmarkCodePage(0x5000)
		_, _, ok = u1.Translate(0x5000, true, false)
		require.True(t, ok)
		assert.Equal(t, uint32(0x5000), u1.TLB.entry(0x5000, false).WriteTag)
	})
	t.Run("aliases of the physical page lose write permission too", func(t *testing.T) {
		m := NewMemory(2 << 20)
		u := New(m)
		m.SetA20(false)
		// Linear 0x105000 and 0x5000 both reach physical 0x5000.
		for _, lin := range []uint32{0x5000, 0x105000} {
			_, _, ok := u.Translate(lin, true, false)
			require.True(t, ok)
		}
		m.MarkCodePage(0x5000)
		assert.Equal(t, uint32(tagInvalid), u.TLB.entry(0x5000, false).WriteTag)
		assert.Equal(t, uint32(tagInvalid), u.TLB.entry(0x105000, false).WriteTag)
	})
}

func TestOnCodeWrite(t *testing.T) {
	tests := []struct {
		name  string
		write func(m *Memory)
		want  []codeWrite
	}{
		{"Write8", func(m *Memory) { m.Write8(0x3010, 1) }, []codeWrite{{0x3010, 1}}},
		{"Write word", func(m *Memory) { m.Write(0x3020, 2, 1) }, []codeWrite{{0x3020, 2}}},
		{"Write dword", func(m *Memory) { m.Write(0x3FFC, 4, 1) }, []codeWrite{{0x3FFC, 4}}},
		{"Write crossing into the code page", func(m *Memory) { m.Write(0x2FFE, 4, 1) }, []codeWrite{{0x3000, 1}, {0x3001, 1}}},
		{"Write crossing out of the code page", func(m *Memory) { m.Write(0x3FFF, 2, 1) }, []codeWrite{{0x3FFF, 1}}},
		{"WriteBytes", func(m *Memory) { m.WriteBytes(0x3100, []byte{1, 2, 3}) }, []codeWrite{{0x3100, 1}, {0x3101, 1}, {0x3102, 1}}},
		{"ZeroRAM inside", func(m *Memory) { m.ZeroRAM(0x3200, 0x40) }, []codeWrite{{0x3200, 0x40}}},
		{"ZeroRAM across", func(m *Memory) { m.ZeroRAM(0x2000, 3*PageSize) }, []codeWrite{{0x3000, PageSize}}},
		{"ZeroRAM partly over the code page", func(m *Memory) { m.ZeroRAM(0x3F00, 0x200) }, []codeWrite{{0x3F00, 0x100}}},
		{"write to another page", func(m *Memory) { m.Write(0x4000, 4, 1); m.Write8(0x2FFF, 1) }, nil},
		{"reads", func(m *Memory) { m.Read(0x3000, 4); m.Read8(0x3001); m.ReadBytes(0x3000, make([]byte, 8)) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemory(1 << 20)
			m.MarkCodePage(0x3000)
			got := recordCodeWrites(m)
			tc.write(m)
			assert.Equal(t, tc.want, *got)
		})
	}
	t.Run("the write still lands and no callback after unmarking", func(t *testing.T) {
		m := NewMemory(1 << 20)
		m.MarkCodePage(0x3000)
		got := recordCodeWrites(m)
		m.Write(0x3000, 4, 0x90909090)
		assert.Equal(t, uint32(0x90909090), m.Read(0x3000, 4))
		m.UnmarkCodePage(0x3000)
		m.Write(0x3000, 4, 0)
		assert.Len(t, *got, 1)
	})
	t.Run("nil hook", func(t *testing.T) {
		m := NewMemory(1 << 20)
		m.MarkCodePage(0x3000)
		assert.NotPanics(t, func() { m.Write(0x3000, 4, 1); m.ZeroRAM(0x3000, 4) })
	})
	t.Run("write to ROM over a code page is dropped and not reported", func(t *testing.T) {
		m := NewMemory(1 << 20)
		off := m.AddROM(make([]byte, PageSize))
		require.NoError(t, m.MapPages(0xF0000, PageSize, off, NoBacking))
		m.MarkCodePage(0xF0000)
		got := recordCodeWrites(m)
		m.Write(0xF0000, 4, 1)
		m.Write8(0xF0001, 1)
		assert.Empty(t, *got)
	})
}

func TestInvalidateSet(t *testing.T) {
	var s [TLBSize]TLBEntry
	InvalidateSet(&s)
	for i := range s {
		require.Equal(t, uint32(tagInvalid), s[i].ReadTag)
		require.Equal(t, uint32(tagInvalid), s[i].WriteTag)
	}
	// No page-aligned linear address matches tagInvalid.
	assert.NotZero(t, uint32(tagInvalid)&(PageSize-1))
}
