// Tests of PCI configuration mechanism #1 and the i440FX/PIIX3 functions
// (pci.go) against the PCI Local Bus Specification 2.1 (3.2.2.3.2, chapter
// 6), the 440FX datasheet (PAM, SMRAM) and the PIIX3 datasheet (PIRQ route
// control, Reset Control).

package devices

import (
	"math/rand/v2"
	"testing"

	"github.com/gox86/gox86/mmu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type pciRig struct {
	h   *PCIHost
	bus *Bus
	mem *mmu.Memory
}

// romByte is what the test ROM holds at phys: its page number.
func romByte(phys uint32) uint8 { return uint8(phys >> 12) }

// newPCIRig builds a host over 1 MiB of RAM filled with 5Ah and a ROM
// image for C0000h-CFFFFh and E0000h-FFFFFh (none at D0000h-DFFFFh).
func newPCIRig(t *testing.T) pciRig {
	t.Helper()
	r := pciRig{bus: NewBus(), mem: mmu.NewMemory(1 << 20)}
	for i := range r.mem.RAM() {
		r.mem.RAM()[i] = 0x5A
	}
	rom := make([]byte, 0x40000)
	for i := range rom {
		rom[i] = romByte(0xC0000 + uint32(i))
	}
	romOff := r.mem.AddROM(rom)
	var err error
	r.h, err = NewPCIHost(r.bus, r.mem, func(phys uint32) int64 {
		if phys < 0xC0000 || phys >= 0x100000 || phys>>16 == 0xD {
			return mmu.NoBacking
		}
		return romOff + int64(phys-0xC0000)
	})
	require.NoError(t, err)
	return r
}

func pciAddr(dev, fn int, reg uint8) uint32 {
	return 0x80000000 | uint32(dev)<<11 | uint32(fn)<<8 | uint32(reg&0xFC)
}

func (r pciRig) read(dev, fn int, reg uint8, size int) uint32 {
	r.bus.Out(0xCF8, 4, pciAddr(dev, fn, reg))
	return r.bus.In(0xCFC+uint16(reg&3), size)
}

func (r pciRig) write(dev, fn int, reg uint8, size int, v uint32) {
	r.bus.Out(0xCF8, 4, pciAddr(dev, fn, reg))
	r.bus.Out(0xCFC+uint16(reg&3), size, v)
}

func TestPCIConfigAddress(t *testing.T) {
	// 3.2.2.3.2: CONFIG_ADDRESS is latched by dword writes only and
	// reads back with reserved bits 30:24 and 1:0 as 0; other accesses
	// to CF8h-CFBh are plain I/O.
	tests := []struct {
		write, want uint32
	}{
		{0x80000000, 0x80000000},
		{0x8000F8FC, 0x8000F8FC},
		{0xFFFFFFFF, 0x80FFFFFC},
		{0x12345678, 0x00345678},
		{0, 0},
	}
	for _, tc := range tests {
		r := newPCIRig(t)
		r.bus.Out(0xCF8, 4, tc.write)
		assert.Equal(t, tc.want, r.bus.In(0xCF8, 4), "%08X", tc.write)
	}

	r := newPCIRig(t)
	r.bus.Out(0xCF8, 4, 0x80001234&^3)
	r.bus.Out(0xCF8, 1, 0)
	r.bus.Out(0xCFA, 2, 0)
	r.bus.Out(0xCFB, 1, 0)
	assert.Equal(t, uint32(0x80001234), r.bus.In(0xCF8, 4), "byte/word writes do not reach it")
	// Linux's type 2 probe: byte reads of CF8h/CFAh are not 00h.
	assert.Equal(t, uint32(0xFF), r.bus.In(0xCF8, 1))
	assert.Equal(t, uint32(0xFF), r.bus.In(0xCFA, 1))
	assert.Equal(t, uint32(0xFFFF), r.bus.In(0xCFA, 2))
}

func TestPCIIdentity(t *testing.T) {
	// Vendor/device (00h), class code and revision (08h), header type
	// (0Eh) and interrupt pin (3Dh) of each function.
	tests := []struct {
		name           string
		dev, fn        int
		id, classRev   uint32
		header, intPin uint8
	}{
		{"82441FX host bridge", 0, 0, 0x12378086, 0x06000002, 0x00, 0},
		{"PIIX3 ISA bridge, multi-function", 1, 0, 0x70008086, 0x06010000, 0x80, 0},
		{"PIIX3 IDE", 1, 1, 0x70108086, 0x01018000, 0x00, 0},
		{"VGA", 2, 0, 0x11111234, 0x03000002, 0x00, 0},
	}
	r := newPCIRig(t)
	for _, tc := range tests {
		assert.Equal(t, tc.id, r.read(tc.dev, tc.fn, 0x00, 4), tc.name)
		assert.Equal(t, tc.classRev, r.read(tc.dev, tc.fn, 0x08, 4), tc.name)
		assert.Equal(t, uint32(tc.header), r.read(tc.dev, tc.fn, 0x0E, 1), tc.name)
		assert.Equal(t, uint32(tc.intPin), r.read(tc.dev, tc.fn, 0x3D, 1), tc.name)
	}
}

func TestPCIAbsentFunctions(t *testing.T) {
	// A configuration read nobody claims ends in master abort: all ones.
	tests := []struct {
		name string
		addr uint32
		size int
		want uint32
	}{
		{"empty slot", pciAddr(3, 0, 0), 4, 0xFFFFFFFF},
		{"missing function", pciAddr(0, 2, 0), 4, 0xFFFFFFFF},
		{"function 7 of the ISA bridge", pciAddr(1, 7, 0), 2, 0xFFFF},
		{"bus 1", pciAddr(0, 0, 0) | 1<<16, 4, 0xFFFFFFFF},
		{"enable bit clear", pciAddr(0, 0, 0) &^ 0x80000000, 4, 0xFFFFFFFF},
		{"enable bit clear, byte", pciAddr(0, 0, 0) &^ 0x80000000, 1, 0xFF},
	}
	for _, tc := range tests {
		r := newPCIRig(t)
		r.bus.Out(0xCF8, 4, tc.addr)
		assert.Equal(t, tc.want, r.bus.In(0xCFC, tc.size), tc.name)
		r.bus.Out(0xCFC, 4, 0) // ignored
	}
	// With the enable bit clear, writes do not reach the device.
	r := newPCIRig(t)
	r.bus.Out(0xCF8, 4, pciAddr(2, 0, 0x3C)&^0x80000000)
	r.bus.Out(0xCFC, 1, 0x0B)
	assert.Equal(t, uint32(0), r.read(2, 0, 0x3C, 1))
}

func TestPCISubDwordAccess(t *testing.T) {
	// CFCh+n addresses byte n of the selected dword.
	r := newPCIRig(t)
	r.bus.Out(0xCF8, 4, pciAddr(0, 0, 0))
	assert.Equal(t, []uint32{0x86, 0x80, 0x37, 0x12}, []uint32{
		r.bus.In(0xCFC, 1), r.bus.In(0xCFD, 1), r.bus.In(0xCFE, 1), r.bus.In(0xCFF, 1)})
	assert.Equal(t, uint32(0x1237), r.bus.In(0xCFE, 2))
	assert.Equal(t, uint32(0x3780), r.bus.In(0xCFD, 2))
	assert.Equal(t, uint32(0xFF12), r.bus.In(0xCFF, 2), "bytes past CFFh are not config data")

	r.write(2, 0, 0x3C, 1, 0x0B)
	assert.Equal(t, uint32(0x0B), r.read(2, 0, 0x3C, 4), "interrupt line is writable")
	r.write(2, 0, 0x3D, 1, 0x01)
	assert.Equal(t, uint32(0), r.read(2, 0, 0x3D, 1), "interrupt pin is read-only")
	r.write(2, 0, 0x3C, 2, 0x0409)
	assert.Equal(t, uint32(0x09), r.read(2, 0, 0x3C, 4))
}

func TestPCIReadOnlyRegisters(t *testing.T) {
	// Chapter 6: IDs, class code, revision, header type are read-only.
	r := newPCIRig(t)
	for _, reg := range []uint8{0x00, 0x08, 0x0C} {
		before := r.read(1, 0, reg, 4)
		r.write(1, 0, reg, 4, 0)
		r.write(1, 0, reg, 4, 0xFFFFFFFF)
		after := r.read(1, 0, reg, 4)
		if reg == 0x0C {
			// Cache Line Size and Latency Timer are read/write; the
			// header type and BIST are not.
			assert.Equal(t, before&0xFFFF0000|0xFFFF, after)
			continue
		}
		assert.Equal(t, before, after, "register %02X", reg)
	}
}

func TestPCICommandStatus(t *testing.T) {
	// 6.2.2 Command: only implemented bits are writable; 6.2.3 Status:
	// error bits clear when written with 1, other bits are read-only.
	tests := []struct {
		name    string
		dev, fn int
		power   uint32
		write   uint32
		want    uint32
	}{
		{"host bridge: memory and bus master fixed on", 0, 0, 0x02800006, 0xFFFF, 0x02800146},
		{"ISA bridge", 1, 0, 0x02000007, 0x0000, 0x02000007},
		{"IDE: I/O and bus master", 1, 1, 0x02800000, 0xFFFF, 0x02800005},
		{"VGA: I/O, memory, palette snoop", 2, 0, 0x00000000, 0xFFFF, 0x00000023},
	}
	for _, tc := range tests {
		r := newPCIRig(t)
		assert.Equal(t, tc.power, r.read(tc.dev, tc.fn, 0x04, 4), tc.name)
		r.write(tc.dev, tc.fn, 0x04, 2, tc.write)
		assert.Equal(t, tc.want, r.read(tc.dev, tc.fn, 0x04, 4), tc.name)
	}

	r := newPCIRig(t)
	ide := r.h.Device(1, 1).(*PCIConfig)
	ide.Bytes[0x07] |= 0x30 // received target and master abort
	r.write(1, 1, 0x06, 2, 0x0000)
	assert.Equal(t, uint32(0x32), r.read(1, 1, 0x07, 1), "writing 0 keeps them")
	r.write(1, 1, 0x06, 2, 0x1000)
	assert.Equal(t, uint32(0x22), r.read(1, 1, 0x07, 1), "writing 1 clears bit 12")
	r.write(1, 1, 0x04, 4, 0xFFFF0000)
	assert.Equal(t, uint32(0x02), r.read(1, 1, 0x07, 1), "a dword write clears every error bit; DEVSEL stays")
}

func TestPCIBARSizing(t *testing.T) {
	// 6.2.5.1: writing all ones to a BAR reads back its size mask and
	// type bits; unimplemented BARs read 0.
	tests := []struct {
		name    string
		dev, fn int
		reg     uint8
		probe   uint32
		assign  uint32
		after   uint32
	}{
		{"VGA BAR0: 16 MiB prefetchable memory", 2, 0, 0x10, 0xFF000008, 0xFD123456, 0xFD000008},
		{"VGA BAR1: none", 2, 0, 0x14, 0, 0xFD000000, 0},
		{"VGA expansion ROM: none", 2, 0, 0x30, 0, 0xFFFFFFFF, 0},
		{"IDE BAR4: 16-byte I/O", 1, 1, 0x20, 0xFFFFFFF1, 0xC000, 0xC001},
		{"IDE BAR0: compatibility mode, none", 1, 1, 0x10, 0, 0x1F0, 0},
		{"host bridge has no BARs", 0, 0, 0x10, 0, 0x1000, 0},
	}
	for _, tc := range tests {
		r := newPCIRig(t)
		r.write(tc.dev, tc.fn, tc.reg, 4, 0xFFFFFFFF)
		assert.Equal(t, tc.probe, r.read(tc.dev, tc.fn, tc.reg, 4), tc.name)
		r.write(tc.dev, tc.fn, tc.reg, 4, tc.assign)
		assert.Equal(t, tc.after, r.read(tc.dev, tc.fn, tc.reg, 4), tc.name)
	}
	r := newPCIRig(t)
	r.write(2, 0, 0x10, 4, 0xE0000000)
	assert.Equal(t, uint32(0xE0000000), r.h.VGAConfig().BAR(0))
	r.write(1, 1, 0x20, 2, 0xC040)
	assert.Equal(t, uint32(0xC040), r.h.Device(1, 1).(*PCIConfig).BAR(4))
}

func TestPCIPAM(t *testing.T) {
	// 440FX PAM registers: RE (bit 0) reads DRAM instead of ROM/PCI, WE
	// (bit 1) writes DRAM instead of dropping the write.
	segments := []struct {
		name     string
		reg      uint8
		shift    uint
		addr     uint32
		romValue uint8
	}{
		{"F0000h (PAM0 high)", 0x59, 4, 0xF8123, romByte(0xF8123)},
		{"C0000h (PAM1 low)", 0x5A, 0, 0xC2000, romByte(0xC2000)},
		{"C4000h (PAM1 high)", 0x5A, 4, 0xC7FFF, romByte(0xC7FFF)},
		{"D0000h (PAM3 low), no ROM", 0x5C, 0, 0xD0010, 0xFF},
		{"EC000h (PAM6 high)", 0x5F, 4, 0xEC000, romByte(0xEC000)},
	}
	attrs := []struct {
		name      string
		attr      uint8
		readsRAM  bool
		writesRAM bool
	}{
		{"disabled", 0, false, false},
		{"read only", 1, true, false},
		{"write only", 2, false, true},
		{"read/write", 3, true, true},
	}
	for _, seg := range segments {
		for _, a := range attrs {
			t.Run(seg.name+" "+a.name, func(t *testing.T) {
				r := newPCIRig(t)
				r.write(0, 0, seg.reg, 1, uint32(a.attr)<<seg.shift)
				want := seg.romValue
				if a.readsRAM {
					want = 0x5A
				}
				assert.Equal(t, want, r.mem.Read8(seg.addr), "read")
				r.mem.Write8(seg.addr, 0x77)
				wantRAM := uint8(0x5A)
				if a.writesRAM {
					wantRAM = 0x77
				}
				assert.Equal(t, wantRAM, r.mem.RAM()[seg.addr], "write")
				// Neighbouring segments keep power-on (ROM) mapping.
				other := seg.addr ^ 0x4000
				if other >= 0xC0000 && seg.addr < 0xF0000 {
					r.mem.Write8(other, 0x66)
					assert.Equal(t, uint8(0x5A), r.mem.RAM()[other])
				}
			})
		}
	}

	t.Run("reserved bits", func(t *testing.T) {
		r := newPCIRig(t)
		r.write(0, 0, 0x59, 1, 0xFF)
		r.write(0, 0, 0x5A, 1, 0xFF)
		assert.Equal(t, uint32(0x30), r.read(0, 0, 0x59, 1), "PAM0 bits 3:0 reserved")
		assert.Equal(t, uint32(0x33), r.read(0, 0, 0x5A, 1))
	})

	t.Run("shadowing the BIOS as firmware does", func(t *testing.T) {
		r := newPCIRig(t)
		r.write(0, 0, 0x59, 1, 0x30) // F0000h read/write DRAM
		for a := uint32(0xF0000); a < 0x100000; a += 0x1000 {
			r.mem.Write8(a, romByte(a)) // copy
		}
		r.write(0, 0, 0x59, 1, 0x10) // read-only
		r.mem.Write8(0xF1000, 0x99)
		assert.Equal(t, romByte(0xF1000), r.mem.Read8(0xF1000))
	})

	t.Run("code read from a remapped page is invalidated", func(t *testing.T) {
		r := newPCIRig(t)
		var got []uint32
		r.mem.OnCodeWrite = func(phys uint32, size int) { got = append(got, phys) }
		r.mem.MarkCodePage(0xFF000)
		r.write(0, 0, 0x59, 1, 0x10)
		assert.Equal(t, []uint32{0xFF000}, got)
		r.write(0, 0, 0x59, 1, 0x10) // unchanged: nothing remapped
		assert.Len(t, got, 1)
	})
}

func TestPCISMRAM(t *testing.T) {
	// 440FX SMRAM (72h): C_BASE_SEG reads 010b; bits 6:3 stored.
	r := newPCIRig(t)
	assert.Equal(t, uint32(0x02), r.read(0, 0, 0x72, 1))
	r.write(0, 0, 0x72, 1, 0xFF)
	assert.Equal(t, uint32(0x7A), r.read(0, 0, 0x72, 1))
}

func TestPCIPIRQRoute(t *testing.T) {
	// PIIX3 PIRQRC[A:D] at 60h-63h: bit 7 disables, bits 3:0 the IRQ;
	// 0-2, 8 and 13 are reserved.
	tests := []struct {
		v       uint8
		irq     int
		enabled bool
	}{
		{0x80, 0, false},
		{0x0B, 11, true},
		{0x8B, 11, false},
		{0x05, 5, true},
		{0x0F, 15, true},
		{0x02, 2, false},
		{0x08, 8, false},
		{0x0D, 13, false},
		{0x7A, 10, true}, // bits 6:4 are reserved
	}
	for _, tc := range tests {
		r := newPCIRig(t)
		for n := 0; n < 4; n++ {
			irq, en := r.h.PIRQRoute(n)
			assert.Equal(t, [2]any{0, false}, [2]any{irq, en}, "power-on: disabled")
		}
		r.write(1, 0, 0x62, 1, uint32(tc.v))
		irq, en := r.h.PIRQRoute(2)
		assert.Equal(t, [2]any{tc.irq, tc.enabled}, [2]any{irq, en}, "%02X", tc.v)
		assert.Equal(t, uint32(tc.v&0x8F), r.read(1, 0, 0x62, 1))
	}
	r := newPCIRig(t)
	r.write(1, 0, 0x60, 4, 0x0B0A0509)
	for n, want := range []int{9, 5, 10, 11} {
		irq, en := r.h.PIRQRoute(n)
		assert.True(t, en)
		assert.Equal(t, want, irq)
	}
	_, en := r.h.PIRQRoute(4)
	assert.False(t, en)
}

func TestPCIResetControl(t *testing.T) {
	// PIIX3 Reset Control (CF9h): bit 2 resets, bit 1 makes it a hard
	// reset that also returns the chipset to power-on state.
	tests := []struct {
		name      string
		writes    []uint8
		resets    int
		pamKept   bool
		readsBack uint8
	}{
		{"select hard reset only", []uint8{0x02}, 0, true, 0x02},
		{"hard reset", []uint8{0x02, 0x06}, 1, false, 0x00},
		{"soft reset", []uint8{0x04}, 1, true, 0x00},
		{"twice", []uint8{0x06, 0x06}, 2, false, 0x00},
	}
	for _, tc := range tests {
		r := newPCIRig(t)
		n := 0
		r.h.SetResetHandler(func() { n++ })
		r.write(0, 0, 0x59, 1, 0x30)
		for _, v := range tc.writes {
			r.bus.Out(0xCF9, 1, uint32(v))
		}
		assert.Equal(t, tc.resets, n, tc.name)
		pam := r.read(0, 0, 0x59, 1) == 0x30
		assert.Equal(t, tc.pamKept, pam, tc.name)
		assert.Equal(t, uint32(tc.readsBack), r.bus.In(0xCF9, 1), tc.name)
		if !tc.pamKept {
			assert.Equal(t, romByte(0xF0000), r.mem.Read8(0xF0000), "ROM mapped again")
		}
	}
	// A dword write to CF8h is CONFIG_ADDRESS, not a reset.
	r := newPCIRig(t)
	n := 0
	r.h.SetResetHandler(func() { n++ })
	r.bus.Out(0xCF8, 4, 0x80000600)
	assert.Zero(t, n)
	r.bus.Out(0xCF8, 2, 0x0600) // word access: byte CF9h = 06h
	assert.Equal(t, 1, n)
}

// testNIC is a device added from outside: an 8086:100E network card with
// a 128 KiB memory BAR and interrupt pin INTA#.
func testNIC() *PCIConfig {
	c := NewPCIConfig(0x8086, 0x100E, 0x020000, 0x03, 0x00)
	c.SetBAR(0, 128<<10, 0)
	c.Init8(PCIInterruptPin, 1)
	c.SetWMask(PCICommand, 2, 0x0007)
	return c
}

func TestPCIAddDevice(t *testing.T) {
	r := newPCIRig(t)
	nic := testNIC()
	var writes []uint8
	nic.OnWrite = func(off uint8, size int) { writes = append(writes, off) }
	require.NoError(t, r.h.AddDevice(3, 0, nic))
	assert.Equal(t, uint32(0x100E8086), r.read(3, 0, 0, 4))
	assert.Equal(t, uint32(0x01), r.read(3, 0, 0x3D, 1))
	r.write(3, 0, 0x10, 4, 0xFFFFFFFF)
	assert.Equal(t, uint32(0xFFFE0000), r.read(3, 0, 0x10, 4))
	assert.Equal(t, []uint8{0x10}, writes)

	assert.Error(t, r.h.AddDevice(3, 0, testNIC()), "slot taken")
	assert.Error(t, r.h.AddDevice(32, 0, testNIC()))
	assert.Error(t, r.h.AddDevice(4, 8, testNIC()))
	assert.Error(t, r.h.AddDevice(4, 0, nil))
	assert.Nil(t, r.h.Device(-1, 0))

	// Direct access for firmware.
	assert.Equal(t, uint32(0x1237), r.h.ConfigRead(0, 0, 0, 2, 2))
	assert.Equal(t, uint32(0xFFFFFFFF), r.h.ConfigRead(1, 0, 0, 0, 4))
	assert.Equal(t, uint32(0xFFFF), r.h.ConfigRead(0, 9, 0, 0, 2))
	assert.Equal(t, uint32(0xFFFF), r.h.ConfigRead(0, 0, 0, 3, 2), "crossing a dword")
	r.h.ConfigWrite(0, 0, 0, 0x59, 1, 0x30)
	assert.Equal(t, uint8(0x5A), r.mem.Read8(0xF0000))
}

func TestPCIHostState(t *testing.T) {
	r := newPCIRig(t)
	require.NoError(t, r.h.AddDevice(3, 0, testNIC()))
	r.write(0, 0, 0x59, 1, 0x10)
	r.write(2, 0, 0x10, 4, 0xFD000000)
	r.write(3, 0, 0x3C, 1, 0x0B)
	r.bus.Out(0xCF9, 1, 0x02)
	r.bus.Out(0xCF8, 4, pciAddr(1, 0, 0x60))
	s := r.h.State()

	r2 := newPCIRig(t)
	require.NoError(t, r2.h.AddDevice(3, 0, testNIC()))
	r2.h.SetState(s)
	assert.Equal(t, s, r2.h.State())
	assert.Equal(t, uint8(0x5A), r2.mem.Read8(0xF0000), "PAM applied")
	assert.Equal(t, uint32(0x80), r2.bus.In(0xCFC, 4)&0xFF, "CONFIG_ADDRESS restored")
	assert.Equal(t, uint32(0xFD000008), r2.read(2, 0, 0x10, 4))
	assert.Equal(t, uint32(0x0B), r2.read(3, 0, 0x3C, 1))
	assert.Equal(t, uint32(0x02), r2.bus.In(0xCF9, 1))

	r2.h.Reset()
	assert.Equal(t, uint32(0x08), r2.read(2, 0, 0x10, 4))
	assert.Equal(t, romByte(0xF0000), r2.mem.Read8(0xF0000))
}

func TestPCIGuestNonsense(t *testing.T) {
	// Random traffic at CF8h-CFFh must never panic; the host must still
	// answer afterwards.
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0x504349))
		r := newPCIRig(t)
		r.h.SetResetHandler(func() {})
		for i := 0; i < 5000; i++ {
			port := uint16(0xCF8 + rng.IntN(8))
			size := []int{1, 2, 4}[rng.IntN(3)]
			if rng.IntN(2) == 0 {
				v := rng.Uint32()
				if rng.IntN(3) == 0 {
					v = 0x80000000 | uint32(rng.IntN(4))<<11 | uint32(rng.IntN(256))&0xFC
				}
				r.bus.Out(port, size, v)
			} else {
				r.bus.In(port, size)
			}
		}
		assert.Equal(t, uint32(0x12378086), r.read(0, 0, 0, 4))
		for a := uint32(0xC0000); a < 0x100000; a += 0x4000 {
			r.mem.Read8(a)
			r.mem.Write8(a, 1)
		}
	}
}
