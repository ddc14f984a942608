// Intel 8237A high-performance programmable DMA controller (Intel 8237A
// datasheet), as the PC/AT wires two of them: the slave with 8-bit
// channels 0-3 at ports 00h-0Fh, the master with 16-bit channels 4-7 at
// C0h-DFh (the AT decodes A1-A4, so each register sits at an even port and
// the odd port beside it aliases it), channel 4 taking the slave's
// hold request in cascade mode, and a 74LS612 page register file at
// 80h-8Fh supplying address bits 16-23.
package devices

import "fmt"

// MemoryAccess is physical memory as a DMA controller sees it. The mmu
// package's *Memory implements it.
type MemoryAccess interface {
	ReadBytes(phys uint32, dst []byte)
	WriteBytes(phys uint32, src []byte)
}

// 8237A register offsets (datasheet Table 2, "Software commands" and
// Table 3, "Word count and address register command codes").
const (
	dmaRegStatusCommand = 0x8 // read status / write command
	dmaRegRequest       = 0x9
	dmaRegSingleMask    = 0xA
	dmaRegMode          = 0xB
	dmaRegClearFF       = 0xC
	dmaRegTempClear     = 0xD // read temporary / write master clear
	dmaRegClearMask     = 0xE
	dmaRegAllMask       = 0xF
)

// Command register bits ("Command Register").
const (
	dmaCmdMemToMem = 0x01
	dmaCmdDisable  = 0x04
)

// Mode register fields ("Mode Register").
const (
	dmaModeTypeMask   = 0x0C
	dmaModeVerify     = 0x00
	dmaModeWrite      = 0x04 // I/O to memory
	dmaModeRead       = 0x08 // memory to I/O
	dmaModeAutoInit   = 0x10
	dmaModeDecrement  = 0x20
	dmaModeSelectMask = 0xC0
	dmaModeCascade    = 0xC0
)

// dmaPagePort is the page register port of each channel on the AT
// (channel 4, the cascade, has none; 8Fh is its unused latch).
var dmaPagePort = [8]uint16{0x87, 0x83, 0x81, 0x82, 0x8F, 0x8B, 0x89, 0x8A}

// DMAChannelState is one channel's registers.
type DMAChannelState struct {
	BaseAddress, CurrentAddress uint16
	BaseCount, CurrentCount     uint16
	Mode                        uint8 // bits 7-2 of the mode register
}

// DMAControllerState is one 8237A's registers.
type DMAControllerState struct {
	Channels  [4]DMAChannelState
	Command   uint8
	Status    uint8 // TC bits 0-3 (request bits are computed from Request)
	Request   uint8 // software request bits 0-3
	Mask      uint8 // mask bits 0-3
	FlipFlop  bool  // byte pointer: true when the next access is the high byte
	Temporary uint8
}

// DMAState is the whole DMA subsystem: the slave (channels 0-3), the
// master (channels 4-7) and the page register file.
type DMAState struct {
	Controllers [2]DMAControllerState
	Pages       [16]uint8
}

// DMA is the AT's pair of 8237A controllers with their page registers.
type DMA struct {
	s DMAState
}

// NewDMA creates the controllers in their reset state and claims ports
// 00h-0Fh, 80h-8Fh and C0h-DFh.
func NewDMA(bus *Bus) (*DMA, error) {
	d := &DMA{}
	d.Reset()
	regs := []struct {
		base  uint16
		count int
	}{{0x00, 16}, {0x80, 16}, {0xC0, 32}}
	for i, r := range regs {
		if err := bus.Register(r.base, r.count, dmaPorts{d: d, bus: bus}); err != nil {
			for _, u := range regs[:i] {
				bus.Unregister(u.base, u.count)
			}
			return nil, fmt.Errorf("devices: DMA: %w", err)
		}
	}
	return d, nil
}

// Reset is the RESET input: each controller is master-cleared (mask bits
// set, command, status, request, temporary and flip-flop cleared). The
// page registers keep their contents.
func (d *DMA) Reset() {
	for i := range d.s.Controllers {
		d.masterClear(i)
	}
}

// State returns a snapshot of the registers.
func (d *DMA) State() DMAState { return d.s }

// SetState restores a snapshot.
func (d *DMA) SetState(s DMAState) error {
	d.s = s
	return nil
}

// masterClear implements the Master Clear software command ("Software
// Commands": clears command, status, request, temporary and the
// first/last flip-flop, and sets all mask bits).
func (d *DMA) masterClear(ctl int) {
	c := &d.s.Controllers[ctl]
	c.Command = 0
	c.Status = 0
	c.Request = 0
	c.Temporary = 0
	c.FlipFlop = false
	c.Mask = 0x0F
}

// dmaPorts decodes the three port ranges; wide accesses are split into
// byte accesses through the bus.
type dmaPorts struct {
	d   *DMA
	bus *Bus
}

func (p dmaPorts) In(port uint16, size int) uint32 {
	if size > 1 {
		return byteWiseIn(p.bus, port, size)
	}
	return uint32(p.d.inb(port))
}

func (p dmaPorts) Out(port uint16, size int, v uint32) {
	if size > 1 {
		byteWiseOut(p.bus, port, size, v)
		return
	}
	p.d.outb(port, uint8(v))
}

// byteWiseIn performs a word or dword port read as consecutive byte reads
// through the bus, so each byte reaches whichever device owns its port.
func byteWiseIn(bus *Bus, port uint16, size int) uint32 {
	var v uint32
	for i := 0; i < size; i++ {
		v |= bus.In(port+uint16(i), 1) << (8 * i)
	}
	return v
}

// byteWiseOut is the write counterpart of byteWiseIn.
func byteWiseOut(bus *Bus, port uint16, size int, v uint32) {
	for i := 0; i < size; i++ {
		bus.Out(port+uint16(i), 1, (v>>(8*i))&0xFF)
	}
}

// decode maps a port to (controller, register) or page register index.
func dmaDecode(port uint16) (ctl, reg int, page bool) {
	switch {
	case port < 0x10:
		return 0, int(port), false
	case port >= 0x80 && port < 0x90:
		return 0, int(port - 0x80), true
	default:
		return 1, int(port-0xC0) >> 1, false
	}
}

func (d *DMA) inb(port uint16) uint8 {
	ctl, reg, page := dmaDecode(port)
	if page {
		return d.s.Pages[reg]
	}
	c := &d.s.Controllers[ctl]
	if reg < 8 {
		ch := &c.Channels[reg>>1]
		v := ch.CurrentAddress
		if reg&1 != 0 {
			v = ch.CurrentCount
		}
		hi := c.FlipFlop
		c.FlipFlop = !c.FlipFlop
		if hi {
			return uint8(v >> 8)
		}
		return uint8(v)
	}
	switch reg {
	case dmaRegStatusCommand:
		// "Status Register": bits 0-3 TC reached, bits 4-7 request
		// pending. The TC bits clear on each status read.
		v := c.Status&0x0F | c.Request<<4
		c.Status &^= 0x0F
		return v
	case dmaRegTempClear:
		return c.Temporary
	case dmaRegAllMask:
		// The 8237A leaves this read undefined; the AT chipsets that
		// took its place (82374, PIIX) return the mask bits here.
		return 0xF0 | c.Mask
	}
	// The other registers are write-only: nothing drives the bus.
	return 0xFF
}

func (d *DMA) outb(port uint16, v uint8) {
	ctl, reg, page := dmaDecode(port)
	if page {
		d.s.Pages[reg] = v
		return
	}
	c := &d.s.Controllers[ctl]
	if reg < 8 {
		// "Base and current address / word count": a write loads both
		// the base and the current register, low byte first.
		ch := &c.Channels[reg>>1]
		hi := c.FlipFlop
		c.FlipFlop = !c.FlipFlop
		set := func(r *uint16) {
			if hi {
				*r = *r&0x00FF | uint16(v)<<8
			} else {
				*r = *r&0xFF00 | uint16(v)
			}
		}
		if reg&1 == 0 {
			set(&ch.BaseAddress)
			set(&ch.CurrentAddress)
		} else {
			set(&ch.BaseCount)
			set(&ch.CurrentCount)
		}
		return
	}
	switch reg {
	case dmaRegStatusCommand:
		c.Command = v
	case dmaRegRequest:
		// "Request Register": bits 1-0 channel, bit 2 set/reset.
		bit := uint8(1) << (v & 3)
		if v&4 == 0 {
			c.Request &^= bit
			return
		}
		c.Request |= bit
		d.softwareRequest(ctl, int(v&3))
	case dmaRegSingleMask:
		bit := uint8(1) << (v & 3)
		if v&4 != 0 {
			c.Mask |= bit
		} else {
			c.Mask &^= bit
		}
	case dmaRegMode:
		c.Channels[v&3].Mode = v &^ 3
	case dmaRegClearFF:
		c.FlipFlop = false
	case dmaRegTempClear:
		d.masterClear(ctl)
	case dmaRegClearMask:
		c.Mask = 0
	case dmaRegAllMask:
		c.Mask = v & 0x0F
	}
}

// softwareRequest services a request set through the request register.
// The datasheet allows software requests only in block mode; the channel
// then runs to terminal count with no device on the other end, so the
// address and count registers advance but no memory is written (a real
// write transfer would store whatever floats on the data bus).
func (d *DMA) softwareRequest(ctl, ch int) {
	c := &d.s.Controllers[ctl]
	if c.Channels[ch].Mode&dmaModeSelectMask != 0x80 {
		return
	}
	channel := ctl*4 + ch
	if !d.serviceable(channel) {
		return
	}
	unit := 1
	if ctl == 1 {
		unit = 2
	}
	d.run(channel, nil, make([]byte, (int(c.Channels[ch].CurrentCount)+1)*unit), false)
}

// serviceable reports whether a DREQ on the channel would be
// acknowledged: controller enabled, channel unmasked and not a cascade
// channel, and for channels 0-3 the master's channel 4 in cascade mode and
// unmasked (the slave's HRQ is the master's DREQ4).
func (d *DMA) serviceable(channel int) bool {
	if channel < 0 || channel > 7 || channel == 4 {
		return false
	}
	m := &d.s.Controllers[1]
	if m.Command&dmaCmdDisable != 0 {
		return false
	}
	if channel < 4 {
		if m.Mask&1 != 0 || m.Channels[0].Mode&dmaModeSelectMask != dmaModeCascade {
			return false
		}
	}
	c := &d.s.Controllers[channel/4]
	ch := channel % 4
	if c.Command&dmaCmdDisable != 0 || c.Mask&(1<<ch) != 0 {
		return false
	}
	return c.Channels[ch].Mode&dmaModeSelectMask != dmaModeCascade
}

// Transfer is a device asserting DREQ on channel to move buf: to memory
// (an 8237 "write" transfer) when toMemory, else from memory into buf (a
// "read" transfer). It returns the bytes moved and whether the channel
// reached terminal count, which stops the transfer (the 8237 pulses EOP
// to the device). Nothing moves when the channel is masked, disabled, in
// cascade mode, or its cascade path through channel 4 is not set up.
//
// Addresses advance (or, in decrement mode, retreat) within the 64 KiB
// page for channels 0-3 and the 128 KiB page for the word channels 5-7,
// whose address and count registers count 16-bit words; the page register
// is not carried into. At terminal count an autoinitialising channel
// reloads its current registers from the base registers, any other
// channel sets its mask bit. A verify transfer, or a transfer whose
// programmed type does not match the device's direction, advances the
// registers without touching memory (buf is left as it is). On a word
// channel a trailing odd byte of buf is not transferred.
func (d *DMA) Transfer(channel int, mem MemoryAccess, buf []byte, toMemory bool) (n int, tc bool) {
	if !d.serviceable(channel) {
		return 0, false
	}
	return d.run(channel, mem, buf, toMemory)
}

func (d *DMA) run(channel int, mem MemoryAccess, buf []byte, toMemory bool) (n int, tc bool) {
	c := &d.s.Controllers[channel/4]
	ch := &c.Channels[channel%4]
	unit := 1
	if channel >= 4 {
		unit = 2
	}
	total := len(buf) / unit
	typ := ch.Mode & dmaModeTypeMask
	access := mem != nil && ((typ == dmaModeWrite && toMemory) || (typ == dmaModeRead && !toMemory))
	dec := ch.Mode&dmaModeDecrement != 0
	page := uint32(d.s.Pages[dmaPagePort[channel]-0x80])
	done := 0
	for done < total {
		run := total - done
		if left := int(ch.CurrentCount) + 1; run > left {
			run = left
		}
		// Stop the contiguous run where the address register wraps.
		if dec {
			if lim := int(ch.CurrentAddress) + 1; run > lim {
				run = lim
			}
		} else if lim := 0x10000 - int(ch.CurrentAddress); run > lim {
			run = lim
		}
		if access {
			d.move(channel, page, ch.CurrentAddress, dec, mem, buf[done*unit:(done+run)*unit], toMemory)
		}
		if dec {
			ch.CurrentAddress -= uint16(run)
		} else {
			ch.CurrentAddress += uint16(run)
		}
		reachedTC := run == int(ch.CurrentCount)+1
		ch.CurrentCount -= uint16(run)
		done += run
		if reachedTC {
			tc = true
			bit := uint8(1) << (channel % 4)
			c.Status |= bit
			c.Request &^= bit
			if ch.Mode&dmaModeAutoInit != 0 {
				ch.CurrentAddress = ch.BaseAddress
				ch.CurrentCount = ch.BaseCount
			} else {
				c.Mask |= bit
			}
			break
		}
	}
	return done * unit, tc
}

// move copies one contiguous run of units starting at register address
// addr (the highest address of the run in decrement mode).
func (d *DMA) move(channel int, page uint32, addr uint16, dec bool, mem MemoryAccess, b []byte, toMemory bool) {
	word := channel >= 4
	units := len(b)
	if word {
		units /= 2
	}
	low := uint32(addr)
	if dec {
		low = uint32(addr) - uint32(units) + 1
	}
	var phys uint32
	if word {
		phys = (page&0xFE)<<16 | low<<1
	} else {
		phys = page<<16 | low
	}
	if !dec {
		if toMemory {
			mem.WriteBytes(phys, b)
		} else {
			mem.ReadBytes(phys, b)
		}
		return
	}
	// Decrement mode: unit i of b lives at address addr-i.
	tmp := make([]byte, len(b))
	if !toMemory {
		mem.ReadBytes(phys, tmp)
	}
	size := 1
	if word {
		size = 2
	}
	for i := 0; i < units; i++ {
		j := units - 1 - i
		if toMemory {
			copy(tmp[j*size:(j+1)*size], b[i*size:(i+1)*size])
		} else {
			copy(b[i*size:(i+1)*size], tmp[j*size:(j+1)*size])
		}
	}
	if toMemory {
		mem.WriteBytes(phys, tmp)
	}
}
