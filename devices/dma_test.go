package devices

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dmaTestMem is 16 MiB of physical memory, the 8237's 24-bit reach,
// allocated a 64 KiB page at a time.
type dmaTestMem struct{ pages map[uint32][]byte }

func newDMATestMem() *dmaTestMem { return &dmaTestMem{pages: map[uint32][]byte{}} }

func (m *dmaTestMem) byteAt(phys uint32) *byte {
	phys &= 0xFFFFFF
	p := m.pages[phys>>16]
	if p == nil {
		p = make([]byte, 1<<16)
		m.pages[phys>>16] = p
	}
	return &p[phys&0xFFFF]
}

func (m *dmaTestMem) ReadBytes(phys uint32, dst []byte) {
	for i := range dst {
		dst[i] = *m.byteAt(phys + uint32(i))
	}
}

func (m *dmaTestMem) WriteBytes(phys uint32, src []byte) {
	for i, v := range src {
		*m.byteAt(phys + uint32(i)) = v
	}
}

// get returns a copy of n bytes at phys.
func (m *dmaTestMem) get(phys uint32, n int) []byte {
	b := make([]byte, n)
	m.ReadBytes(phys, b)
	return b
}

// newTestDMA returns a DMA pair with channel 4 set to cascade and
// unmasked, as a BIOS leaves it.
func newTestDMA(t *testing.T) (*DMA, *Bus) {
	bus := NewBus()
	d, err := NewDMA(bus)
	require.NoError(t, err)
	bus.Out(0xD6, 1, 0xC0) // mode: channel 4 cascade
	bus.Out(0xD4, 1, 0x00) // unmask channel 4
	return d, bus
}

// dmaProgram programs a channel: mode, base address, count (N-1), page,
// and unmasks it.
func dmaProgram(bus *Bus, ch int, mode uint8, addr, count uint16, page uint8) {
	type ports struct{ addr, count, mask, mode, ff, page uint16 }
	var p ports
	if ch < 4 {
		p = ports{uint16(ch * 2), uint16(ch*2 + 1), 0x0A, 0x0B, 0x0C, dmaPagePort[ch]}
	} else {
		p = ports{0xC0 + uint16((ch-4)*4), 0xC2 + uint16((ch-4)*4), 0xD4, 0xD6, 0xD8, dmaPagePort[ch]}
	}
	bus.Out(p.mask, 1, uint32(4|ch&3))
	bus.Out(p.mode, 1, uint32(mode|uint8(ch&3)))
	bus.Out(p.ff, 1, 0)
	bus.Out(p.addr, 1, uint32(addr&0xFF))
	bus.Out(p.addr, 1, uint32(addr>>8))
	bus.Out(p.count, 1, uint32(count&0xFF))
	bus.Out(p.count, 1, uint32(count>>8))
	bus.Out(p.page, 1, uint32(page))
	bus.Out(p.mask, 1, uint32(ch&3))
}

func TestDMARegisters(t *testing.T) {
	_, bus := newTestDMA(t)
	// Address and count through the byte pointer flip-flop.
	bus.Out(0x0C, 1, 0)
	bus.Out(0x04, 1, 0x34)
	bus.Out(0x04, 1, 0x12)
	bus.Out(0x05, 1, 0xFF)
	bus.Out(0x05, 1, 0x01)
	bus.Out(0x0C, 1, 0)
	assert.Equal(t, uint32(0x34), bus.In(0x04, 1))
	assert.Equal(t, uint32(0x12), bus.In(0x04, 1))
	assert.Equal(t, uint32(0xFF), bus.In(0x05, 1))
	assert.Equal(t, uint32(0x01), bus.In(0x05, 1))
	// The flip-flop toggles on reads too, and the clear command resets it.
	assert.Equal(t, uint32(0x34), bus.In(0x04, 1))
	bus.Out(0x0C, 1, 0)
	assert.Equal(t, uint32(0x34), bus.In(0x04, 1))
	// Master clear resets the flip-flop and masks every channel.
	bus.Out(0x0D, 1, 0)
	assert.Equal(t, uint32(0x34), bus.In(0x04, 1))
	assert.Equal(t, uint32(0xFF), bus.In(0x0F, 1))

	// Page registers 80h-8Fh are plain latches.
	for p := uint16(0x80); p < 0x90; p++ {
		bus.Out(p, 1, uint32(p^0xA5))
	}
	for p := uint16(0x80); p < 0x90; p++ {
		assert.Equal(t, uint32(p^0xA5)&0xFF, bus.In(p, 1), "port %#x", p)
	}

	// The master's registers sit at even ports; odd ports alias them.
	bus.Out(0xD8, 1, 0)
	bus.Out(0xC4, 1, 0x78)
	bus.Out(0xC5, 1, 0x56)
	bus.Out(0xD9, 1, 0)
	assert.Equal(t, uint32(0x5678), bus.In(0xC4, 1)|bus.In(0xC4, 1)<<8)

	// A word access is split into byte accesses.
	bus.Out(0x0C, 1, 0)
	bus.Out(0x06, 2, 0x3322) // channel 3 address low, then channel 3 count low
	bus.Out(0x0C, 1, 0)
	assert.Equal(t, uint32(0x22), bus.In(0x06, 1))
}

func TestDMAMaskRegisters(t *testing.T) {
	_, bus := newTestDMA(t)
	tests := []struct {
		name  string
		port  uint16
		value uint32
		want  uint32 // mask bits read at 0Fh
	}{
		{"all masked", 0x0F, 0x0F, 0xFF},
		{"clear mask", 0x0E, 0, 0xF0},
		{"single set channel 2", 0x0A, 0x06, 0xF4},
		{"single set channel 0", 0x0A, 0x04, 0xF5},
		{"single clear channel 2", 0x0A, 0x02, 0xF1},
		{"write all", 0x0F, 0x0A, 0xFA},
		{"master clear", 0x0D, 0, 0xFF},
	}
	for _, tc := range tests {
		bus.Out(tc.port, 1, tc.value)
		assert.Equal(t, tc.want, bus.In(0x0F, 1), tc.name)
	}
}

func TestDMATransfer(t *testing.T) {
	data := make([]byte, 64)
	for i := range data {
		data[i] = byte(i + 1)
	}
	tests := []struct {
		name     string
		ch       int
		mode     uint8 // mode register without the channel bits
		addr     uint16
		count    uint16
		page     uint8
		buf      int
		toMem    bool
		n        int
		tc       bool
		memAt    map[uint32][]byte // expected memory contents
		nextAddr uint16
		nextCnt  uint16
		masked   bool // mask bit after the transfer
	}{
		{name: "write to memory", ch: 2, mode: 0x44, addr: 0x1000, count: 15, page: 0x03, buf: 16, toMem: true,
			n: 16, tc: true, memAt: map[uint32][]byte{0x31000: data[:16]}, nextAddr: 0x1010, nextCnt: 0xFFFF, masked: true},
		{name: "stops at terminal count", ch: 2, mode: 0x44, addr: 0x2000, count: 7, page: 0, buf: 16, toMem: true,
			n: 8, tc: true, memAt: map[uint32][]byte{0x2000: data[:8], 0x2008: make([]byte, 8)}, nextAddr: 0x2008, nextCnt: 0xFFFF, masked: true},
		{name: "device stops first", ch: 1, mode: 0x44, addr: 0x0100, count: 99, page: 0x10, buf: 16, toMem: true,
			n: 16, tc: false, memAt: map[uint32][]byte{0x100100: data[:16]}, nextAddr: 0x0110, nextCnt: 83},
		{name: "wraps within the 64K page", ch: 3, mode: 0x44, addr: 0xFFF8, count: 15, page: 0x05, buf: 16, toMem: true,
			n: 16, tc: true, memAt: map[uint32][]byte{0x5FFF8: data[:8], 0x50000: data[8:16], 0x60000: make([]byte, 8)}, nextAddr: 0x0008, nextCnt: 0xFFFF, masked: true},
		{name: "decrement", ch: 2, mode: 0x64, addr: 0x0103, count: 3, page: 0, buf: 4, toMem: true,
			n: 4, tc: true, memAt: map[uint32][]byte{0x0100: {4, 3, 2, 1}}, nextAddr: 0x00FF, nextCnt: 0xFFFF, masked: true},
		{name: "decrement wraps within the page", ch: 2, mode: 0x64, addr: 0x0001, count: 3, page: 0x02, buf: 4, toMem: true,
			n: 4, tc: true, memAt: map[uint32][]byte{0x20000: {2, 1}, 0x2FFFE: {4, 3}}, nextAddr: 0xFFFD, nextCnt: 0xFFFF, masked: true},
		{name: "autoinitialize", ch: 2, mode: 0x54, addr: 0x3000, count: 3, page: 0, buf: 8, toMem: true,
			n: 4, tc: true, memAt: map[uint32][]byte{0x3000: data[:4]}, nextAddr: 0x3000, nextCnt: 3},
		{name: "verify touches no memory", ch: 2, mode: 0x40, addr: 0x4000, count: 7, page: 0, buf: 8, toMem: true,
			n: 8, tc: true, memAt: map[uint32][]byte{0x4000: make([]byte, 8)}, nextAddr: 0x4008, nextCnt: 0xFFFF, masked: true},
		{name: "read-mode channel does not write memory", ch: 2, mode: 0x48, addr: 0x4000, count: 7, page: 0, buf: 8, toMem: true,
			n: 8, tc: true, memAt: map[uint32][]byte{0x4000: make([]byte, 8)}, nextAddr: 0x4008, nextCnt: 0xFFFF, masked: true},
		{name: "word channel", ch: 5, mode: 0x44, addr: 0x0800, count: 7, page: 0x13, buf: 16, toMem: true,
			n: 16, tc: true, memAt: map[uint32][]byte{0x121000: data[:16]}, nextAddr: 0x0808, nextCnt: 0xFFFF, masked: true},
		{name: "word channel wraps within 128K", ch: 6, mode: 0x44, addr: 0xFFFE, count: 3, page: 0x04, buf: 8, toMem: true,
			n: 8, tc: true, memAt: map[uint32][]byte{0x5FFFC: data[:4], 0x40000: data[4:8]}, nextAddr: 0x0002, nextCnt: 0xFFFF, masked: true},
		{name: "word channel decrement", ch: 7, mode: 0x64, addr: 0x0011, count: 1, page: 0, buf: 4, toMem: true,
			n: 4, tc: true, memAt: map[uint32][]byte{0x20: {3, 4, 1, 2}}, nextAddr: 0x000F, nextCnt: 0xFFFF, masked: true},
		{name: "word channel odd byte", ch: 5, mode: 0x44, addr: 0x0100, count: 9, page: 0, buf: 5, toMem: true,
			n: 4, tc: false, memAt: map[uint32][]byte{0x200: append(append([]byte(nil), data[:4]...), 0)}, nextAddr: 0x0102, nextCnt: 7},
		{name: "cascade-mode channel does nothing", ch: 2, mode: 0xC4, addr: 0x5000, count: 7, page: 0, buf: 8, toMem: true,
			n: 0, memAt: map[uint32][]byte{0x5000: make([]byte, 8)}, nextAddr: 0x5000, nextCnt: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, bus := newTestDMA(t)
			mem := newDMATestMem()
			dmaProgram(bus, tc.ch, tc.mode, tc.addr, tc.count, tc.page)
			buf := append([]byte(nil), data[:tc.buf]...)
			n, tcReached := d.Transfer(tc.ch, mem, buf, tc.toMem)
			assert.Equal(t, tc.n, n)
			assert.Equal(t, tc.tc, tcReached)
			for at, want := range tc.memAt {
				assert.Equal(t, want, mem.get(at, len(want)), "memory at %#x", at)
			}
			ch := d.State().Controllers[tc.ch/4].Channels[tc.ch%4]
			assert.Equal(t, tc.nextAddr, ch.CurrentAddress, "current address")
			assert.Equal(t, tc.nextCnt, ch.CurrentCount, "current count")
			assert.Equal(t, tc.masked, d.State().Controllers[tc.ch/4].Mask&(1<<(tc.ch%4)) != 0, "mask bit")
		})
	}
}

func TestDMAReadFromMemory(t *testing.T) {
	d, bus := newTestDMA(t)
	mem := newDMATestMem()
	mem.WriteBytes(0x12340, []byte("floppy data!"))
	dmaProgram(bus, 2, 0x48, 0x2340, 11, 0x01)
	buf := make([]byte, 12)
	n, tc := d.Transfer(2, mem, buf, false)
	assert.Equal(t, 12, n)
	assert.True(t, tc)
	assert.Equal(t, "floppy data!", string(buf))
	// Status: TC for channel 2, cleared by the read.
	assert.Equal(t, uint32(0x04), bus.In(0x08, 1))
	assert.Equal(t, uint32(0x00), bus.In(0x08, 1))
}

func TestDMANotServiced(t *testing.T) {
	tests := []struct {
		name  string
		setup func(bus *Bus)
		ch    int
	}{
		{"channel masked", func(bus *Bus) { bus.Out(0x0A, 1, 0x06) }, 2},
		{"slave disabled", func(bus *Bus) { bus.Out(0x08, 1, 0x04) }, 2},
		{"master disabled", func(bus *Bus) { bus.Out(0xD0, 1, 0x04) }, 2},
		{"channel 4 masked", func(bus *Bus) { bus.Out(0xD4, 1, 0x04) }, 2},
		{"channel 4 not in cascade mode", func(bus *Bus) { bus.Out(0xD6, 1, 0x40) }, 1},
		{"after master clear", func(bus *Bus) { bus.Out(0x0D, 1, 0) }, 3},
		{"channel 4 itself", func(*Bus) {}, 4},
		{"no such channel", func(*Bus) {}, 8},
		{"negative channel", func(*Bus) {}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, bus := newTestDMA(t)
			mem := newDMATestMem()
			if tc.ch >= 0 && tc.ch < 8 && tc.ch != 4 {
				dmaProgram(bus, tc.ch, 0x44, 0x1000, 15, 0)
			}
			tc.setup(bus)
			n, reached := d.Transfer(tc.ch, mem, make([]byte, 16), true)
			assert.Equal(t, 0, n)
			assert.False(t, reached)
		})
	}
}

func TestDMASoftwareRequest(t *testing.T) {
	d, bus := newTestDMA(t)
	// Single mode: the request is recorded but not serviced.
	dmaProgram(bus, 1, 0x44, 0x1000, 9, 0)
	bus.Out(0x09, 1, 0x05)
	assert.Equal(t, uint32(0x20), bus.In(0x08, 1)) // request bit for channel 1
	assert.Equal(t, uint16(9), d.State().Controllers[0].Channels[1].CurrentCount)
	bus.Out(0x09, 1, 0x01)
	assert.Equal(t, uint32(0x00), bus.In(0x08, 1))

	// Block mode: the channel runs to terminal count.
	dmaProgram(bus, 1, 0x84, 0x1000, 9, 0)
	bus.Out(0x09, 1, 0x05)
	ch := d.State().Controllers[0].Channels[1]
	assert.Equal(t, uint16(0x100A), ch.CurrentAddress)
	assert.Equal(t, uint16(0xFFFF), ch.CurrentCount)
	assert.Equal(t, uint32(0x02), bus.In(0x08, 1)) // TC, request cleared
}

func TestDMAStateRoundTrip(t *testing.T) {
	d, bus := newTestDMA(t)
	dmaProgram(bus, 2, 0x56, 0x1234, 0x0FFF, 0x07)
	bus.Out(0x04, 1, 0x99) // leave the flip-flop set
	st := d.State()
	d2, _ := newTestDMA(t)
	require.NoError(t, d2.SetState(st))
	assert.Equal(t, st, d2.State())
	d.Reset()
	assert.Equal(t, uint8(0x0F), d.State().Controllers[0].Mask)
	assert.Equal(t, uint8(0x07), d.State().Pages[1], "reset keeps the page registers")
}

func TestNewDMAPortConflict(t *testing.T) {
	bus := NewBus()
	require.NoError(t, bus.Register(0x81, 1, ByteOnly{InB: func(uint16) uint8 { return 0 }, OutB: func(uint16, uint8) {}}))
	_, err := NewDMA(bus)
	require.Error(t, err)
	// Nothing was left claimed.
	require.NoError(t, bus.Register(0x00, 16, ByteOnly{InB: func(uint16) uint8 { return 0 }, OutB: func(uint16, uint8) {}}))
}
