package devices

import "fmt"

// PortDevice answers port I/O in a range it registered for. Accesses are
// 1, 2 or 4 bytes; a device that only decodes byte accesses can embed
// ByteOnly to have wider accesses split.
type PortDevice interface {
	In(port uint16, size int) uint32
	Out(port uint16, size int, v uint32)
}

// Bus routes port I/O to devices. Unclaimed ports read as all ones and
// ignore writes, like an ISA bus with nothing on it. It implements the
// cpu package's Bus interface.
type Bus struct {
	ports [65536]PortDevice
	// Unhandled, when set, is told of accesses to unclaimed ports.
	Unhandled func(port uint16, size int, write bool, v uint32)
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{} }

// Register claims ports [base, base+count) for dev. Claiming a port twice
// is a wiring bug and returns an error.
func (b *Bus) Register(base uint16, count int, dev PortDevice) error {
	if int(base)+count > 65536 {
		return fmt.Errorf("devices: port range %#x+%d exceeds the I/O space", base, count)
	}
	for p := int(base); p < int(base)+count; p++ {
		if b.ports[p] != nil {
			return fmt.Errorf("devices: port %#x is already claimed", p)
		}
	}
	for p := int(base); p < int(base)+count; p++ {
		b.ports[p] = dev
	}
	return nil
}

// Unregister releases ports [base, base+count).
func (b *Bus) Unregister(base uint16, count int) {
	for p := int(base); p < int(base)+count && p < 65536; p++ {
		b.ports[p] = nil
	}
}

// In reads size bytes from port.
func (b *Bus) In(port uint16, size int) uint32 {
	if d := b.ports[port]; d != nil {
		return d.In(port, size) & sizeMask(size)
	}
	if b.Unhandled != nil {
		b.Unhandled(port, size, false, 0)
	}
	return sizeMask(size)
}

// Out writes size bytes to port.
func (b *Bus) Out(port uint16, size int, v uint32) {
	if d := b.ports[port]; d != nil {
		d.Out(port, size, v&sizeMask(size))
		return
	}
	if b.Unhandled != nil {
		b.Unhandled(port, size, true, v)
	}
}

func sizeMask(size int) uint32 { return 0xFFFFFFFF >> (32 - 8*uint(size)) }

// ByteOnly splits word and dword accesses into byte accesses to
// consecutive ports, as the ISA bus does for 8-bit devices.
type ByteOnly struct {
	InB  func(port uint16) uint8
	OutB func(port uint16, v uint8)
}

// In implements PortDevice.
func (d ByteOnly) In(port uint16, size int) uint32 {
	var v uint32
	for i := 0; i < size; i++ {
		v |= uint32(d.InB(port+uint16(i))) << (8 * i)
	}
	return v
}

// Out implements PortDevice.
func (d ByteOnly) Out(port uint16, size int, v uint32) {
	for i := 0; i < size; i++ {
		d.OutB(port+uint16(i), uint8(v>>(8*i)))
	}
}

// IRQLine is an interrupt request input of an interrupt controller. A
// device drives it high or low; edge-triggered inputs latch rising edges.
type IRQLine interface {
	SetLevel(high bool)
}

// IRQFunc adapts a function to IRQLine.
type IRQFunc func(high bool)

// SetLevel implements IRQLine.
func (f IRQFunc) SetLevel(high bool) { f(high) }
