// PCI configuration mechanism #1 (PCI Local Bus Specification 2.1,
// 3.2.2.3.2 "Software Generation of Configuration Transactions":
// CONFIG_ADDRESS at CF8h, CONFIG_DATA at CFCh-CFFh) and the devices of an
// i440FX/PIIX3 PC on bus 0, with type 0 configuration headers as in
// chapter 6 "Configuration Space" (6.1 organization, 6.2.2 Command, 6.2.3
// Status, 6.2.4 miscellaneous registers, 6.2.5 Base Addresses):
//
//	00.0 Intel 82441FX PMC host bridge (Intel 440FX PCIset datasheet: PAM0-PAM6
//	     at 59h-5Fh, SMRAM at 72h)
//	01.0 Intel 82371SB PIIX3 PCI-to-ISA bridge (82371FB/SB datasheet: PIRQx
//	     route control at 60h-63h, Reset Control register at port CF9h)
//	01.1 PIIX3 IDE interface (bus master base address at 20h)
//	02.0 VGA with the IDs of QEMU's standard VGA (1234:1111) and a 16 MiB
//	     prefetchable framebuffer BAR
//
// Further devices attach with AddDevice.

package devices

import (
	"fmt"

	"github.com/gox86/gox86/mmu"
)

// PCI host ports.
const (
	PCIConfigAddressPort = 0xCF8
	PCIResetControlPort  = 0xCF9 // PIIX3 Reset Control, byte accesses only
	PCIConfigDataPort    = 0xCFC
)

// Type 0 configuration header offsets (PCI 2.1, 6.1).
const (
	PCIVendorID      = 0x00
	PCIDeviceID      = 0x02
	PCICommand       = 0x04
	PCIStatus        = 0x06
	PCIRevisionID    = 0x08
	PCIClassCode     = 0x09 // programming interface, subclass, base class
	PCICacheLineSize = 0x0C
	PCILatencyTimer  = 0x0D
	PCIHeaderType    = 0x0E
	PCIBAR0          = 0x10
	PCISubsystemVID  = 0x2C
	PCIExpansionROM  = 0x30
	PCIInterruptLine = 0x3C
	PCIInterruptPin  = 0x3D
)

// Base address register type bits (PCI 2.1, 6.2.5.1).
const (
	PCIBARIO          = 0x1 // bit 0: I/O space
	PCIBARPrefetch    = 0x8 // bit 3 of a memory BAR: prefetchable
	pciStatusW1CBits  = 0xF900
	pciHeaderMultiFun = 0x80
)

// PCIDevice is one function's configuration space. Accesses are 1, 2 or
// 4 bytes at off and never cross a dword boundary.
type PCIDevice interface {
	ConfigRead(off uint8, size int) uint32
	ConfigWrite(off uint8, size int, v uint32)
}

// PCIConfig is a configuration space with the standard register
// semantics, for devices to embed: each bit is read-only, read/write
// (WMask) or write-1-to-clear (W1C, as the Status register's error bits,
// 6.2.3); BARs take their size from the writable bits, so writing all
// ones reads back the size mask (6.2.5.1).
type PCIConfig struct {
	Bytes   [256]byte
	WMask   [256]byte
	W1C     [256]byte
	powerOn [256]byte
	// OnWrite, when set, runs after a guest write to [off, off+size).
	OnWrite func(off uint8, size int)
}

// NewPCIConfig returns a type 0 header with the given identity: vendor
// and device IDs, class code (base class, subclass and programming
// interface as 0xCCSSPP), revision and header type. Cache Line Size,
// Latency Timer and Interrupt Line are writable; everything else is
// read-only until the device says otherwise.
func NewPCIConfig(vendor, device uint16, class uint32, revision, headerType uint8) *PCIConfig {
	c := &PCIConfig{}
	c.Init16(PCIVendorID, vendor)
	c.Init16(PCIDeviceID, device)
	c.Init8(PCIRevisionID, revision)
	c.Init8(PCIClassCode, uint8(class))
	c.Init16(PCIClassCode+1, uint16(class>>8))
	c.Init8(PCIHeaderType, headerType)
	c.WMask[PCICacheLineSize] = 0xFF
	c.WMask[PCILatencyTimer] = 0xFF
	c.WMask[PCIInterruptLine] = 0xFF
	c.W1C[PCIStatus] = pciStatusW1CBits & 0xFF
	c.W1C[PCIStatus+1] = pciStatusW1CBits >> 8
	return c
}

// Init8 sets a byte's power-on value.
func (c *PCIConfig) Init8(off uint8, v uint8) {
	c.Bytes[off] = v
	c.powerOn[off] = v
}

// Init16 sets a little-endian word's power-on value.
func (c *PCIConfig) Init16(off uint8, v uint16) {
	c.Init8(off, uint8(v))
	c.Init8(off+1, uint8(v>>8))
}

// Init32 sets a little-endian dword's power-on value.
func (c *PCIConfig) Init32(off uint8, v uint32) {
	c.Init16(off, uint16(v))
	c.Init16(off+2, uint16(v>>16))
}

// SetWMask makes the bits of mask (little-endian, size bytes) at off
// writable.
func (c *PCIConfig) SetWMask(off uint8, size int, mask uint32) {
	for i := 0; i < size && int(off)+i < 256; i++ {
		c.WMask[int(off)+i] = uint8(mask >> (8 * i))
	}
}

// SetBAR declares base address register n (0-5) as a 32-bit BAR of size
// bytes (a power of two: at least 16 for memory, 4 for I/O) with the
// given type bits (PCIBARIO, or PCIBARPrefetch for memory).
func (c *PCIConfig) SetBAR(n int, size uint32, typ uint32) {
	if n < 0 || n > 5 {
		return
	}
	off := uint8(PCIBAR0 + 4*n)
	c.Init32(off, typ)
	c.SetWMask(off, 4, ^(size - 1))
}

// BAR returns the base address programmed in BAR n, without type bits.
func (c *PCIConfig) BAR(n int) uint32 {
	if n < 0 || n > 5 {
		return 0
	}
	v := c.Read32(uint8(PCIBAR0 + 4*n))
	if v&PCIBARIO != 0 {
		return v &^ 3
	}
	return v &^ 0xF
}

// Read32 returns the dword at off.
func (c *PCIConfig) Read32(off uint8) uint32 { return c.ConfigRead(off&^3, 4) }

// ConfigRead implements PCIDevice.
func (c *PCIConfig) ConfigRead(off uint8, size int) uint32 {
	var v uint32
	for i := 0; i < size && int(off)+i < 256; i++ {
		v |= uint32(c.Bytes[int(off)+i]) << (8 * i)
	}
	return v
}

// ConfigWrite implements PCIDevice: writable bits take the new value,
// write-1-to-clear bits are cleared where v has ones, the rest stay.
func (c *PCIConfig) ConfigWrite(off uint8, size int, v uint32) {
	for i := 0; i < size && int(off)+i < 256; i++ {
		o := int(off) + i
		b := uint8(v >> (8 * i))
		c.Bytes[o] = c.Bytes[o]&^c.WMask[o] | b&c.WMask[o]
		c.Bytes[o] &^= b & c.W1C[o]
	}
	if c.OnWrite != nil {
		c.OnWrite(off, size)
	}
}

// Reset restores the power-on contents.
func (c *PCIConfig) Reset() { c.Bytes = c.powerOn }

// ConfigSpace exposes the contents for snapshots.
func (c *PCIConfig) ConfigSpace() *[256]byte { return &c.Bytes }

// pciSnapshotter is implemented by devices whose configuration space can
// be saved and restored (every device built on PCIConfig).
type pciSnapshotter interface {
	ConfigSpace() *[256]byte
}

// pciResetter is implemented by devices that return to power-on state on
// a PCI reset.
type pciResetter interface {
	Reset()
}

// PCIHostState is the host's state for snapshots: CONFIG_ADDRESS, the
// Reset Control register and the configuration space of every function
// that has one to save, keyed by device<<3|function.
type PCIHostState struct {
	ConfigAddress uint32
	ResetControl  uint8
	Config        map[uint8][256]byte
}

// PCIHost is the host bridge's configuration mechanism with the devices
// on bus 0.
type PCIHost struct {
	mem       *mmu.Memory
	romOffset func(phys uint32) int64
	addr      uint32 // CONFIG_ADDRESS
	rcr       uint8  // PIIX3 Reset Control register
	devs      [256]PCIDevice
	resetFn   func()

	host, isa, ide, vga *PCIConfig
	// pamApplied records the attribute last mapped for each PAM
	// segment (F0000h, then C0000h-EC000h), -1 before the first.
	pamApplied [13]int
}

// i440FX registers (440FX datasheet, 82441FX PMC configuration).
const (
	i440FXPAM0  = 0x59
	i440FXSMRAM = 0x72
	piix3PIRQRC = 0x60
)

// NewPCIHost creates the host bridge and its standard devices, claims
// ports CF8h-CFFh on bus and maps C0000h-FFFFFh per the power-on PAM
// settings (all reads and writes to ROM/PCI). romOffset returns the
// backing offset (from mmu.Memory.AddROM) of the ROM byte at a
// page-aligned physical address in C0000h-FFFFFh, or mmu.NoBacking where
// no ROM is; it may be nil when there is no ROM. mem may be nil in tests,
// leaving PAM as stored values only.
func NewPCIHost(bus *Bus, mem *mmu.Memory, romOffset func(phys uint32) int64) (*PCIHost, error) {
	h := &PCIHost{mem: mem, romOffset: romOffset}
	for i := range h.pamApplied {
		h.pamApplied[i] = -1
	}

	// 00.0: 82441FX host bridge. PCICMD powers on with memory access
	// and bus master enabled; PAM0 bits 3:0 are reserved, each other PAM
	// nibble has WE (bit 1) and RE (bit 0).
	h.host = NewPCIConfig(0x8086, 0x1237, 0x060000, 0x02, 0x00)
	h.host.Init16(PCICommand, 0x0006)
	h.host.Init16(PCIStatus, 0x0280)
	h.host.SetWMask(PCICommand, 2, 0x0140)
	for o := 0x50; o < 0x100; o++ {
		h.host.WMask[o] = 0xFF
	}
	h.host.WMask[i440FXPAM0] = 0x30
	for o := i440FXPAM0 + 1; o <= i440FXPAM0+6; o++ {
		h.host.WMask[o] = 0x33
	}
	// SMRAM: C_BASE_SEG (bits 2:0) reads 010b; D_OPEN, D_CLS, D_LCK and
	// G_SMRAME are stored only.
	h.host.Init8(i440FXSMRAM, 0x02)
	h.host.WMask[i440FXSMRAM] = 0x78
	h.host.OnWrite = func(off uint8, size int) {
		if int(off)+size > i440FXPAM0 && int(off) <= i440FXPAM0+6 {
			h.applyPAM()
		}
	}

	// 01.0: PIIX3 ISA bridge, multi-function. Power-on values of the
	// function 0 registers from the PIIX3 datasheet; PIRQ routing is
	// disabled (bit 7 set).
	h.isa = NewPCIConfig(0x8086, 0x7000, 0x060100, 0x00, pciHeaderMultiFun)
	h.isa.Init16(PCICommand, 0x0007)
	h.isa.Init16(PCIStatus, 0x0200)
	h.isa.SetWMask(PCICommand, 2, 0x0148)
	for o := 0x40; o < 0x100; o++ {
		h.isa.WMask[o] = 0xFF
	}
	for o, v := range map[uint8]uint8{
		0x4C: 0x4D, 0x4E: 0x03, 0x60: 0x80, 0x61: 0x80, 0x62: 0x80, 0x63: 0x80,
		0x69: 0x02, 0x70: 0x80, 0x76: 0x0C, 0x77: 0x0C, 0x78: 0x02, 0xA0: 0x08, 0xA8: 0x0F,
	} {
		h.isa.Init8(o, v)
	}
	for n := 0; n < 4; n++ {
		h.isa.WMask[piix3PIRQRC+n] = 0x8F
	}

	// 01.1: PIIX3 IDE in compatibility mode (programming interface 80h:
	// bus master capable, both channels at the legacy ports and IRQs),
	// with the bus master interface's 16-byte I/O BAR at 20h (BAR4).
	h.ide = NewPCIConfig(0x8086, 0x7010, 0x010180, 0x00, 0x00)
	h.ide.Init16(PCIStatus, 0x0280)
	h.ide.SetWMask(PCICommand, 2, 0x0005)
	h.ide.SetBAR(4, 16, PCIBARIO)
	for o := 0x40; o < 0x100; o++ {
		h.ide.WMask[o] = 0xFF
	}

	// 02.0: VGA, 16 MiB prefetchable linear framebuffer at BAR0.
	h.vga = NewPCIConfig(0x1234, 0x1111, 0x030000, 0x02, 0x00)
	h.vga.SetWMask(PCICommand, 2, 0x0023)
	h.vga.SetBAR(0, 16<<20, PCIBARPrefetch)

	for _, d := range []struct {
		dev, fn int
		c       *PCIConfig
	}{{0, 0, h.host}, {1, 0, h.isa}, {1, 1, h.ide}, {2, 0, h.vga}} {
		if err := h.AddDevice(d.dev, d.fn, d.c); err != nil {
			return nil, err
		}
	}
	if bus != nil {
		if err := bus.Register(PCIConfigAddressPort, 8, h); err != nil {
			return nil, err
		}
	}
	h.applyPAM()
	return h, nil
}

// AddDevice attaches a function at bus 0, device dev (0-31), function fn
// (0-7). A slot taken twice or out of range is a wiring error.
func (h *PCIHost) AddDevice(dev, fn int, d PCIDevice) error {
	if dev < 0 || dev > 31 || fn < 0 || fn > 7 || d == nil {
		return fmt.Errorf("devices: PCI slot %02x.%d is not valid", dev, fn)
	}
	devfn := dev<<3 | fn
	if h.devs[devfn] != nil {
		return fmt.Errorf("devices: PCI slot %02x.%d is already taken", dev, fn)
	}
	h.devs[devfn] = d
	return nil
}

// Device returns the function at bus 0, dev.fn, or nil.
func (h *PCIHost) Device(dev, fn int) PCIDevice {
	if dev < 0 || dev > 31 || fn < 0 || fn > 7 {
		return nil
	}
	return h.devs[dev<<3|fn]
}

// VGAConfig returns the VGA function's configuration space (02.0), whose
// BAR0 holds the framebuffer address the firmware assigned.
func (h *PCIHost) VGAConfig() *PCIConfig { return h.vga }

// SetResetHandler sets the function called when the guest requests a
// reset through the Reset Control register.
func (h *PCIHost) SetResetHandler(f func()) { h.resetFn = f }

// PIRQRoute reports where PIIX3 PIRQx route control register n (0-3 for
// PIRQA#-PIRQD#) sends its interrupt: bit 7 clear enables routing to the
// ISA IRQ in bits 3:0, of which only 3-7, 9-12, 14 and 15 are valid.
func (h *PCIHost) PIRQRoute(n int) (irq int, enabled bool) {
	if n < 0 || n > 3 {
		return 0, false
	}
	v := h.isa.Bytes[piix3PIRQRC+n]
	irq = int(v & 0x0F)
	switch irq {
	case 0, 1, 2, 8, 13:
		return irq, false
	}
	return irq, v&0x80 == 0
}

// Reset returns every function to its power-on configuration, as PCIRST#
// does, and remaps the PAM ranges accordingly.
func (h *PCIHost) Reset() {
	h.addr = 0
	h.rcr = 0
	for _, d := range h.devs {
		if r, ok := d.(pciResetter); ok {
			r.Reset()
		}
	}
	h.applyPAM()
}

// State returns the host's state.
func (h *PCIHost) State() PCIHostState {
	s := PCIHostState{ConfigAddress: h.addr, ResetControl: h.rcr, Config: map[uint8][256]byte{}}
	for i, d := range h.devs {
		if c, ok := d.(pciSnapshotter); ok {
			s.Config[uint8(i)] = *c.ConfigSpace()
		}
	}
	return s
}

// SetState restores a state from State and remaps the PAM ranges.
func (h *PCIHost) SetState(s PCIHostState) {
	h.addr = s.ConfigAddress & pciAddressMask
	h.rcr = s.ResetControl & 0x02
	for k, cfg := range s.Config {
		if c, ok := h.devs[k].(pciSnapshotter); ok {
			*c.ConfigSpace() = cfg
		}
	}
	for i := range h.pamApplied {
		h.pamApplied[i] = -1
	}
	h.applyPAM()
}

// ---------------------------------------------------------------------
// Configuration mechanism #1

// pciAddressMask keeps CONFIG_ADDRESS's implemented bits: bit 31 enable,
// bits 23:16 bus, 15:11 device, 10:8 function, 7:2 register; bits 30:24
// and 1:0 are reserved and read as 0 (3.2.2.3.2).
const pciAddressMask = 0x80FFFFFC

// In implements PortDevice. Only dword accesses to CF8h reach
// CONFIG_ADDRESS; other accesses to CF8h-CFBh are ordinary I/O, where
// only the PIIX3's Reset Control register at CF9h answers (3.2.2.3.2).
func (h *PCIHost) In(port uint16, size int) uint32 {
	if port == PCIConfigAddressPort && size == 4 {
		return h.addr
	}
	if off := int(port) - PCIConfigDataPort; off >= 0 && off+size <= 4 {
		return h.dataRead(uint8(off), size)
	}
	var v uint32
	for i := 0; i < size; i++ {
		v |= uint32(h.inByte(port+uint16(i))) << (8 * i)
	}
	return v
}

// Out implements PortDevice.
func (h *PCIHost) Out(port uint16, size int, v uint32) {
	if port == PCIConfigAddressPort && size == 4 {
		h.addr = v & pciAddressMask
		return
	}
	if off := int(port) - PCIConfigDataPort; off >= 0 && off+size <= 4 {
		h.dataWrite(uint8(off), size, v)
		return
	}
	for i := 0; i < size; i++ {
		h.outByte(port+uint16(i), uint8(v>>(8*i)))
	}
}

func (h *PCIHost) inByte(port uint16) uint8 {
	switch {
	case port == PCIResetControlPort:
		return h.rcr
	case port >= PCIConfigDataPort && port < PCIConfigDataPort+4:
		return uint8(h.dataRead(uint8(port-PCIConfigDataPort), 1))
	}
	return 0xFF
}

func (h *PCIHost) outByte(port uint16, v uint8) {
	switch {
	case port == PCIResetControlPort:
		h.writeResetControl(v)
	case port >= PCIConfigDataPort && port < PCIConfigDataPort+4:
		h.dataWrite(uint8(port-PCIConfigDataPort), 1, uint32(v))
	}
}

// target returns the function CONFIG_ADDRESS selects and the register
// offset for a data port access at CFCh+off, or nil when configuration
// cycles are disabled (bit 31 clear) or nothing answers: no bus behind
// bus 0, or an empty slot. Reads then return all ones (a master abort).
func (h *PCIHost) target(off uint8) (PCIDevice, uint8) {
	a := h.addr
	if a&0x80000000 == 0 || a>>16&0xFF != 0 {
		return nil, 0
	}
	return h.devs[a>>8&0xFF], uint8(a&0xFC) + off
}

func (h *PCIHost) dataRead(off uint8, size int) uint32 {
	d, reg := h.target(off)
	if d == nil {
		return 0xFFFFFFFF >> (32 - 8*size)
	}
	return d.ConfigRead(reg, size)
}

func (h *PCIHost) dataWrite(off uint8, size int, v uint32) {
	if d, reg := h.target(off); d != nil {
		d.ConfigWrite(reg, size, v)
	}
}

// ConfigRead reads a function's configuration space directly, as firmware
// running in the host would through the ports; missing functions read as
// all ones.
func (h *PCIHost) ConfigRead(bus, dev, fn int, off uint8, size int) uint32 {
	d := h.Device(dev, fn)
	if bus != 0 || d == nil || size < 1 || size > 4 || int(off&3)+size > 4 {
		return 0xFFFFFFFF >> (32 - 8*min(max(size, 1), 4))
	}
	return d.ConfigRead(off, size)
}

// ConfigWrite writes a function's configuration space directly.
func (h *PCIHost) ConfigWrite(bus, dev, fn int, off uint8, size int, v uint32) {
	d := h.Device(dev, fn)
	if bus != 0 || d == nil || size < 1 || size > 4 || int(off&3)+size > 4 {
		return
	}
	d.ConfigWrite(off, size, v)
}

// writeResetControl handles the PIIX3 Reset Control register (CF9h): bit
// 1, System Reset, chooses a hard reset (the chipset too) over a soft one
// (the CPU only); setting bit 2, Reset CPU, performs it. Only bit 1 is
// kept.
func (h *PCIHost) writeResetControl(v uint8) {
	h.rcr = v & 0x02
	if v&0x04 == 0 {
		return
	}
	if v&0x02 != 0 {
		h.Reset()
	}
	if h.resetFn != nil {
		h.resetFn()
	}
}

// ---------------------------------------------------------------------
// Shadow RAM (PAM)

// applyPAM maps C0000h-FFFFFh per the PAM registers (440FX datasheet,
// "PAM—Programmable Attribute Map Registers"): PAM0 bits 7:4 cover
// F0000h-FFFFFh, and each nibble of PAM1-PAM6 a 16 KiB segment from
// C0000h (low nibble first). RE (bit 0) sends reads to DRAM, else to the
// ROM (PCI); WE (bit 1) sends writes to DRAM, else they are dropped.
func (h *PCIHost) applyPAM() {
	b := &h.host.Bytes
	h.mapPAM(0, 0xF0000, 0x10000, int(b[i440FXPAM0]>>4&3))
	for i := 0; i < 12; i++ {
		attr := b[i440FXPAM0+1+i/2] >> (4 * (i & 1)) & 3
		h.mapPAM(i+1, 0xC0000+uint32(i)*0x4000, 0x4000, int(attr))
	}
}

func (h *PCIHost) mapPAM(seg int, base, size uint32, attr int) {
	if h.mem == nil || h.pamApplied[seg] == attr {
		return
	}
	h.pamApplied[seg] = attr
	ramOK := uint64(base)+uint64(size) <= uint64(h.mem.RAMSize())
	for p := base; p < base+size; p += mmu.PageSize {
		r, w := int64(mmu.NoBacking), int64(mmu.NoBacking)
		if h.romOffset != nil {
			r = h.romOffset(p)
		}
		if ramOK && attr&1 != 0 {
			r = mmu.RAMOffset(p)
		}
		if ramOK && attr&2 != 0 {
			w = mmu.RAMOffset(p)
		}
		if h.mem.IsCodePage(p) && h.mem.OnCodeWrite != nil {
			// What the CPU decoded from this page may now read differently.
			h.mem.OnCodeWrite(p, mmu.PageSize)
		}
		// A page-aligned page below 1 MiB: MapPages cannot fail.
		_ = h.mem.MapPages(p, mmu.PageSize, r, w)
	}
}
