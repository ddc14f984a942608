// debugport.go implements two emulator debug ports with no chip datasheet;
// the references are the emulators that defined them:
//
//   - Bochs' "port E9 hack" as QEMU's isa-debugcon device models it
//     (QEMU hw/char/debugcon.c): a byte written to the port is printed; a
//     read returns 0xE9 (QEMU's default "readback" property), which lets a
//     guest detect the port.
//   - QEMU's isa-debug-exit device (hw/misc/debugexit.c), commonly placed
//     with iobase=0xf4,iosize=0x04: a write of value v asks the emulator to
//     exit with status (v << 1) | 1, so a guest can never report status 0.
package devices

import (
	"errors"
	"io"
	"sync"
)

// DebugConPort is the conventional debugcon port.
const DebugConPort uint16 = 0xE9

// DebugExitPort and DebugExitSize are the conventional isa-debug-exit
// placement (QEMU -device isa-debug-exit,iobase=0xf4,iosize=0x04).
const (
	DebugExitPort uint16 = 0xF4
	DebugExitSize        = 4
)

// debugConReadback is what a read of the debugcon port returns.
const debugConReadback = 0xE9

// DebugCon writes each byte the guest outputs to its port to a writer.
type DebugCon struct {
	bus  *Bus
	port uint16
	mu   sync.Mutex
	out  io.Writer
	err  error
}

// NewDebugCon registers a debugcon at port, writing to out (nil discards).
func NewDebugCon(bus *Bus, port uint16, out io.Writer) (*DebugCon, error) {
	if bus == nil {
		return nil, errors.New("devices: NewDebugCon needs a bus")
	}
	if out == nil {
		out = io.Discard
	}
	d := &DebugCon{bus: bus, port: port, out: out}
	if err := bus.Register(port, 1, ByteOnly{InB: d.inb, OutB: d.outb}); err != nil {
		return nil, err
	}
	return d, nil
}

// Err returns the first error the writer reported; output stops after it.
func (d *DebugCon) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// The device decodes bytes only (QEMU: max access size 1); the other bytes
// of a wider access belong to the following ports.
func (d *DebugCon) inb(port uint16) uint8 {
	if port != d.port {
		return uint8(d.bus.In(port, 1))
	}
	return debugConReadback
}

func (d *DebugCon) outb(port uint16, v uint8) {
	if port != d.port {
		d.bus.Out(port, 1, uint32(v))
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		_, d.err = d.out.Write([]byte{v})
	}
}

// DebugExit asks the emulator to exit when the guest writes to its ports.
type DebugExit struct {
	exit func(status int)
}

// NewDebugExit registers an isa-debug-exit at ports port..port+3. A write
// of any width (1, 2 or 4 bytes, QEMU: valid sizes 1-4) to any of them
// calls exit((v << 1) | 1) with the whole value written; exit may be nil.
// Reads return all ones (QEMU defines no read handler).
func NewDebugExit(bus *Bus, port uint16, exit func(status int)) (*DebugExit, error) {
	if bus == nil {
		return nil, errors.New("devices: NewDebugExit needs a bus")
	}
	d := &DebugExit{exit: exit}
	if err := bus.Register(port, DebugExitSize, d); err != nil {
		return nil, err
	}
	return d, nil
}

// In implements PortDevice.
func (d *DebugExit) In(port uint16, size int) uint32 { return 0xFFFFFFFF }

// Out implements PortDevice.
func (d *DebugExit) Out(port uint16, size int, v uint32) {
	if d.exit != nil {
		d.exit(int(uint64(v)<<1 | 1))
	}
}
