// ATA/IDE channel with up to two hard disks (master and slave), after
// ATA/ATAPI-6, T13 1410D revision 3b ("ATA/ATAPI-6"): the task file
// registers of clause 7, the protocols of clause 9 (9.2 software reset,
// 9.4 non-data, 9.5 PIO data-in, 9.6 PIO data-out, 9.10 EXECUTE DEVICE
// DIAGNOSTIC), the signature of §9.12, the single-device rules of
// §9.16.1, and the clause 8 commands a hard disk without DMA or PACKET
// support needs.
//
// The primary channel is at 1F0h-1F7h with its control block at 3F6h and
// IRQ 14, the secondary at 170h-177h, 376h and IRQ 15.
package devices

import (
	"errors"
	"fmt"
)

// Status register bits (ATA/ATAPI-6 clause 7, Status register).
const (
	ataStatusBSY  = 0x80
	ataStatusDRDY = 0x40
	ataStatusDF   = 0x20
	ataStatusDSC  = 0x10 // "command dependent"; formerly Device Seek Complete
	ataStatusDRQ  = 0x08
	ataStatusERR  = 0x01
)

// Error register bits (clause 7, Error register).
const (
	ataErrABRT = 0x04
	ataErrIDNF = 0x10
	ataErrUNC  = 0x40
)

// Device Control register bits (clause 7, Device Control register).
const (
	ataCtlNIEN = 0x02
	ataCtlSRST = 0x04
	ataCtlHOB  = 0x80
)

// Command block register offsets from the channel's base port.
const (
	ataRegData    = 0
	ataRegError   = 1 // read: Error; write: Features
	ataRegCount   = 2
	ataRegLBALow  = 3
	ataRegLBAMid  = 4
	ataRegLBAHigh = 5
	ataRegDevice  = 6
	ataRegStatus  = 7 // read: Status; write: Command
)

// Device register bits (clause 7, Device register).
const (
	ataDevLBA = 0x40
	ataDevDEV = 0x10
)

// Command codes (clause 8; the power-management codes 94h-98h are the
// ATA-3 aliases of E0h-E5h).
const (
	ataCmdRecalibrate     = 0x10 // 10h-1Fh
	ataCmdReadSectors     = 0x20
	ataCmdReadSectorsNR   = 0x21
	ataCmdReadSectorsExt  = 0x24
	ataCmdReadMultipleExt = 0x29
	ataCmdWriteSectors    = 0x30
	ataCmdWriteSectorsNR  = 0x31
	ataCmdWriteSectorsExt = 0x34
	ataCmdWriteMultExt    = 0x39
	ataCmdVerify          = 0x40
	ataCmdVerifyNR        = 0x41
	ataCmdVerifyExt       = 0x42
	ataCmdSeek            = 0x70 // 70h-7Fh
	ataCmdDiagnostic      = 0x90
	ataCmdInitParams      = 0x91
	ataCmdReadMultiple    = 0xC4
	ataCmdWriteMultiple   = 0xC5
	ataCmdSetMultiple     = 0xC6
	ataCmdStandbyImm      = 0xE0
	ataCmdIdleImm         = 0xE1
	ataCmdStandby         = 0xE2
	ataCmdIdle            = 0xE3
	ataCmdCheckPower      = 0xE5
	ataCmdFlushCache      = 0xE7
	ataCmdFlushCacheExt   = 0xEA
	ataCmdIdentify        = 0xEC
	ataCmdSetFeatures     = 0xEF
)

// ataMaxMultiple is the largest READ/WRITE MULTIPLE block, IDENTIFY word 47.
const ataMaxMultiple = 16

// Virtual delays. They stand for seek, rotation and the device's
// processing and are small: guests poll BSY or wait for INTRQ either way.
const (
	ataCommandDelay = 10_000 // ns from a command to its first DRQ or completion
	ataBlockDelay   = 2_000  // ns between DRQ blocks
	ataResetDelay   = 50_000 // ns from SRST cleared to the device ready
	ataDiagDelay    = 50_000 // ns for EXECUTE DEVICE DIAGNOSTIC
)

// ataFloating is what a register reads with no device to drive the bus:
// the host's pull-down on DD7 (ATA/ATAPI-6 clause 5, host DD7 pull-down,
// which makes BSY read clear) with the other lines floating high.
const (
	ataFloating     = 0x7F
	ataFloatingWord = 0xFF7F
)

// Device phases.
const (
	ataPhaseIdle    = 0
	ataPhaseBusy    = 1 // BSY set, an Action pending
	ataPhaseDataIn  = 2 // DRQ set, the host reads Buffer
	ataPhaseDataOut = 3 // DRQ set, the host fills Buffer
)

// What a device's timer does when it fires.
const (
	ataActNone        = 0
	ataActFinish      = 1 // complete a non-data command with PendingError/PendingStatus
	ataActReadBlock   = 2 // fetch the next PIO data-in block
	ataActWriteFirst  = 3 // ask for the first PIO data-out block
	ataActWriteCommit = 4 // write a block the host has sent
	ataActVerify      = 5
	ataActIdentify    = 6
	ataActReset       = 7
	ataActDiag        = 8
	ataActMax         = 8
)

// Addressing modes of the current transfer.
const (
	ataModeCHS   = 0
	ataModeLBA28 = 1
	ataModeLBA48 = 2
)

// CHECK POWER MODE results (clause 8 CHECK POWER MODE).
const (
	ataPowerStandby = 0x00
	ataPowerIdle    = 0x80
	ataPowerActive  = 0xFF
)

// ataLBA28Limit is the number of sectors LBA28 commands can address.
const ataLBA28Limit = 0x0FFFFFFF

// ataCHSLimit is the largest capacity a CHS translation may cover
// (16383*16*63).
const ataCHSLimit = 16514064

// ATADeviceState is one device's registers and transfer state.
type ATADeviceState struct {
	Present bool
	// The 48-bit register pairs: [0] is the current content, [1] the
	// previous content read with HOB set (clause 6, 48-bit Address feature
	// set).
	Features, SectorCount, LBALow, LBAMid, LBAHigh [2]uint8
	Device, Error, Status                          uint8
	IntRQ                                          bool // interrupt pending
	InReset                                        bool // SRST asserted
	Phase                                          uint8
	Action                                         uint8 // pending timer action
	Deadline                                       int64 // when Action runs
	Command                                        uint8
	Mode                                           uint8 // addressing of the transfer
	LBA                                            int64 // next sector to transfer
	Remaining                                      int64 // sectors still to transfer
	Block                                          int   // sectors per DRQ block
	Buffer                                         []byte
	Pos                                            int
	PendingError, PendingStatus                    uint8
	Multiple                                       int // READ/WRITE MULTIPLE block size, 0 = disabled
	Cylinders, Heads, Sectors                      int // current CHS translation
	Power                                          uint8
	WriteCache, LookAhead                          bool
}

// ATAState is a channel's state.
type ATAState struct {
	Control  uint8 // Device Control register as last written
	Selected int   // the DEV bit
	IRQ      bool  // INTRQ line level
	Devices  [2]ATADeviceState
}

// ATAChannel is one ATA channel: two device positions sharing the task
// file registers, an interrupt line and a control block register.
//
// With no device in the selected position but one in the other, the
// present device answers as ATA/ATAPI-6 §9.16.1 ("Device 0 only
// configurations") prescribes: Status and Alternate Status read 00h, the
// other registers read the present device's copy, register writes land
// in it, and commands other than EXECUTE DEVICE DIAGNOSTIC are ignored.
// Linux (ata_sff_dev_classify) and SeaBIOS treat a device whose status
// reads 00h as absent. With no device at all every register reads 7Fh
// (the DD7 pull-down): BSY clear, and the 55h/AAh register echo test
// Linux and SeaBIOS use fails, so both report the channel empty.
type ATAChannel struct {
	bus      *Bus
	clock    *Clock
	irq      IRQLine
	base     uint16
	ctrl     uint16
	devs     [2]*ataDevice
	control  uint8
	sel      int
	irqLevel bool
}

type ataDevice struct {
	ch      *ATAChannel
	idx     int
	img     *DiskImage
	timer   *Timer
	serial  string
	sectors int64
	def     DiskGeometry
	s       ATADeviceState
}

// NewATAChannel creates a channel with its command block at base (8
// ports) and control block at ctrl, interrupting on irq, with the given
// disks (nil for an empty position), and claims its ports.
func NewATAChannel(bus *Bus, clock *Clock, base, ctrl uint16, irq IRQLine, master, slave *DiskImage) (*ATAChannel, error) {
	if bus == nil || clock == nil {
		return nil, errors.New("devices: ATA channel needs a bus and a clock")
	}
	if master != nil && master == slave {
		return nil, errors.New("devices: ATA master and slave cannot share one disk image")
	}
	c := &ATAChannel{bus: bus, clock: clock, irq: irq, base: base, ctrl: ctrl}
	for i, img := range []*DiskImage{master, slave} {
		if img == nil {
			continue
		}
		if img.SectorCount() == 0 {
			return nil, fmt.Errorf("devices: ATA disk %d on %#x has no sectors", i, base)
		}
		d := &ataDevice{ch: c, idx: i, img: img, sectors: img.SectorCount()}
		d.def = HardDiskGeometry(d.sectors)
		d.serial = fmt.Sprintf("GOX86-%04X-%d", base, i)
		d.timer = clock.NewTimer(fmt.Sprintf("ata%04x.%d", base, i), d.fire)
		d.powerOn()
		c.devs[i] = d
	}
	if err := bus.Register(base, 8, ataCommandPorts{c}); err != nil {
		return nil, fmt.Errorf("devices: ATA channel: %w", err)
	}
	if err := bus.Register(ctrl, 1, ataControlPorts{c}); err != nil {
		bus.Unregister(base, 8)
		return nil, fmt.Errorf("devices: ATA channel: %w", err)
	}
	return c, nil
}

// powerOn puts a device in its power-on state: ready, signature loaded,
// diagnostic code 01h, multiple mode disabled, default translation.
func (d *ataDevice) powerOn() {
	d.s = ATADeviceState{Present: true}
	d.signature()
	d.s.Error = 0x01
	d.s.Status = ataStatusDRDY | ataStatusDSC
	d.s.Cylinders, d.s.Heads, d.s.Sectors = d.def.Cylinders, d.def.Heads, d.def.Sectors
	d.s.Power = ataPowerActive
	d.s.WriteCache = true
	d.s.LookAhead = true
}

// Reset is a hardware reset (RESET-, §9.1): the Device Control register
// clears and every device returns to its power-on state, which drops
// the multiple-mode and translation settings.
func (c *ATAChannel) Reset() {
	c.control = 0
	c.sel = 0
	for _, d := range c.devs {
		if d != nil {
			d.timer.Cancel()
			d.powerOn()
		}
	}
	c.updateIRQ()
}

// signature loads the non-PACKET device signature (§9.12).
func (d *ataDevice) signature() {
	s := &d.s
	s.SectorCount = [2]uint8{0x01, 0}
	s.LBALow = [2]uint8{0x01, 0}
	s.LBAMid = [2]uint8{}
	s.LBAHigh = [2]uint8{}
	s.Device = 0
}

// Disk returns the image in position dev (0 master, 1 slave), or nil.
func (c *ATAChannel) Disk(dev int) *DiskImage {
	if dev < 0 || dev > 1 || c.devs[dev] == nil {
		return nil
	}
	return c.devs[dev].img
}

// ataCommandPorts and ataControlPorts route the two port blocks.
type ataCommandPorts struct{ c *ATAChannel }
type ataControlPorts struct{ c *ATAChannel }

func (p ataCommandPorts) In(port uint16, size int) uint32 {
	c := p.c
	reg := int(port - c.base)
	if reg == ataRegData {
		return c.readData(size)
	}
	if size > 1 {
		return byteWiseIn(c.bus, port, size)
	}
	return uint32(c.readReg(reg))
}

func (p ataCommandPorts) Out(port uint16, size int, v uint32) {
	c := p.c
	reg := int(port - c.base)
	if reg == ataRegData {
		c.writeData(size, v)
		return
	}
	if size > 1 {
		byteWiseOut(c.bus, port, size, v)
		return
	}
	c.writeReg(reg, uint8(v))
}

func (p ataControlPorts) In(port uint16, size int) uint32 {
	if size > 1 {
		return byteWiseIn(p.c.bus, port, size)
	}
	return uint32(p.c.altStatus())
}

func (p ataControlPorts) Out(port uint16, size int, v uint32) {
	if size > 1 {
		byteWiseOut(p.c.bus, port, size, v)
		return
	}
	p.c.writeControl(uint8(v))
}

// responder is the device that answers register reads and takes register
// writes: the selected one, or the other when the selected position is
// empty (§9.16.1). It is nil when the channel is empty.
func (c *ATAChannel) responder() *ataDevice {
	if d := c.devs[c.sel]; d != nil {
		return d
	}
	return c.devs[1-c.sel]
}

func (c *ATAChannel) readReg(reg int) uint8 {
	d := c.responder()
	if d == nil {
		return ataFloating
	}
	s := &d.s
	hob := 0
	if c.control&ataCtlHOB != 0 {
		hob = 1
	}
	switch reg {
	case ataRegError:
		return s.Error
	case ataRegCount:
		return s.SectorCount[hob]
	case ataRegLBALow:
		return s.LBALow[hob]
	case ataRegLBAMid:
		return s.LBAMid[hob]
	case ataRegLBAHigh:
		return s.LBAHigh[hob]
	case ataRegDevice:
		return s.Device
	case ataRegStatus:
		if d.idx != c.sel {
			return 0 // §9.16.1: Status reads 00h for the absent device
		}
		// Reading Status clears a pending interrupt (clause 7, Status).
		s.IntRQ = false
		c.updateIRQ()
		return s.Status
	}
	return ataFloating
}

// altStatus reads the Alternate Status register: Status without the side
// effect on INTRQ.
func (c *ATAChannel) altStatus() uint8 {
	d := c.responder()
	if d == nil {
		return ataFloating
	}
	if d.idx != c.sel {
		return 0
	}
	return d.s.Status
}

func (c *ATAChannel) writeReg(reg int, v uint8) {
	// A write to any Command Block register clears HOB (clause 7, Device
	// Control register).
	c.control &^= ataCtlHOB
	d := c.responder()
	if d == nil {
		return
	}
	if reg == ataRegStatus {
		c.command(v)
		return
	}
	// The host must not write the task file while the device is busy
	// (clause 7, Status register, BSY); such writes are ignored.
	if d.s.Status&ataStatusBSY != 0 {
		return
	}
	// Both devices latch register writes (clause 7, general).
	for _, dev := range c.devs {
		if dev == nil {
			continue
		}
		s := &dev.s
		switch reg {
		case ataRegError:
			s.Features = [2]uint8{v, s.Features[0]}
		case ataRegCount:
			s.SectorCount = [2]uint8{v, s.SectorCount[0]}
		case ataRegLBALow:
			s.LBALow = [2]uint8{v, s.LBALow[0]}
		case ataRegLBAMid:
			s.LBAMid = [2]uint8{v, s.LBAMid[0]}
		case ataRegLBAHigh:
			s.LBAHigh = [2]uint8{v, s.LBAHigh[0]}
		case ataRegDevice:
			s.Device = v
		}
	}
	if reg == ataRegDevice {
		c.sel = int(v>>4) & 1
		c.updateIRQ()
	}
}

// writeControl handles the Device Control register: nIEN, SRST and HOB.
func (c *ATAChannel) writeControl(v uint8) {
	old := c.control
	c.control = v
	switch {
	case v&ataCtlSRST != 0 && old&ataCtlSRST == 0:
		c.assertReset()
	case v&ataCtlSRST == 0 && old&ataCtlSRST != 0:
		c.releaseReset()
	}
	c.updateIRQ()
}

// assertReset starts a software reset (§9.2 software reset protocol):
// every device aborts what it was doing and sets BSY while SRST is set.
func (c *ATAChannel) assertReset() {
	for _, d := range c.devs {
		if d == nil {
			continue
		}
		d.timer.Cancel()
		s := &d.s
		s.Action = ataActNone
		s.Phase = ataPhaseBusy
		s.Buffer = nil
		s.Pos = 0
		s.InReset = true
		s.IntRQ = false
		s.Status = ataStatusBSY
	}
}

// releaseReset: with SRST cleared the devices finish their reset after a
// delay. No interrupt follows a software reset.
func (c *ATAChannel) releaseReset() {
	for _, d := range c.devs {
		if d == nil {
			continue
		}
		d.s.InReset = false
		d.schedule(ataActReset, ataResetDelay)
	}
}

// updateIRQ drives the channel's interrupt line: the selected device's
// pending interrupt, unless nIEN is set (clause 7, Device Control
// register: a device not selected, or with nIEN set, releases INTRQ).
func (c *ATAChannel) updateIRQ() {
	level := false
	if c.control&ataCtlNIEN == 0 {
		if d := c.devs[c.sel]; d != nil {
			level = d.s.IntRQ
		}
	}
	if level != c.irqLevel {
		c.irqLevel = level
		if c.irq != nil {
			c.irq.SetLevel(level)
		}
	}
}

// readData reads the data register: one 16-bit word per 8- or 16-bit
// access (an 8-bit read takes the low byte of a whole word, as on an ISA
// bus where the device asserts IOCS16), two words per 32-bit access.
func (c *ATAChannel) readData(size int) uint32 {
	words := 1
	if size == 4 {
		words = 2
	}
	var v uint32
	for i := 0; i < words; i++ {
		v |= uint32(c.readWord()) << (16 * i)
	}
	return v
}

func (c *ATAChannel) readWord() uint16 {
	d := c.devs[c.sel]
	if d == nil || d.s.Phase != ataPhaseDataIn {
		return ataFloatingWord
	}
	s := &d.s
	w := uint16(s.Buffer[s.Pos]) | uint16(s.Buffer[s.Pos+1])<<8
	s.Pos += 2
	if s.Pos >= len(s.Buffer) {
		d.dataInBlockDone()
	}
	return w
}

func (c *ATAChannel) writeData(size int, v uint32) {
	words := 1
	if size == 4 {
		words = 2
	}
	for i := 0; i < words; i++ {
		c.writeWord(uint16(v >> (16 * i)))
	}
}

func (c *ATAChannel) writeWord(w uint16) {
	d := c.devs[c.sel]
	if d == nil || d.s.Phase != ataPhaseDataOut {
		return
	}
	s := &d.s
	s.Buffer[s.Pos] = uint8(w)
	s.Buffer[s.Pos+1] = uint8(w >> 8)
	s.Pos += 2
	if s.Pos >= len(s.Buffer) {
		// §9.6 PIO data-out: the device sets BSY and writes the block.
		s.Phase = ataPhaseBusy
		s.Status = ataStatusBSY | ataStatusDRDY
		d.schedule(ataActWriteCommit, ataBlockDelay)
	}
}

// command handles a write to the Command register.
func (c *ATAChannel) command(cmd uint8) {
	d := c.devs[c.sel]
	if cmd == ataCmdDiagnostic {
		// Executed by every device, even with an empty position selected
		// (§9.16.1).
		if r := c.responder(); r != nil && r.s.Status&(ataStatusBSY|ataStatusDRQ) == 0 {
			c.executeDiagnostic()
		}
		return
	}
	if d == nil {
		return // §9.16.1: ignored for an absent device
	}
	// Commands written while BSY or DRQ is set are ignored.
	if d.s.Status&(ataStatusBSY|ataStatusDRQ) != 0 || d.s.InReset {
		return
	}
	d.start(cmd)
}

// executeDiagnostic runs EXECUTE DEVICE DIAGNOSTIC on every device
// (clause 8 EXECUTE DEVICE DIAGNOSTIC, §9.10 protocol).
func (c *ATAChannel) executeDiagnostic() {
	for _, d := range c.devs {
		if d == nil {
			continue
		}
		s := &d.s
		s.IntRQ = false
		s.Buffer = nil
		s.Phase = ataPhaseBusy
		s.Status = ataStatusBSY
		s.Command = ataCmdDiagnostic
		d.schedule(ataActDiag, ataDiagDelay)
	}
	c.updateIRQ()
}

func (d *ataDevice) schedule(act uint8, delay int64) {
	d.s.Action = act
	d.s.Deadline = d.ch.clock.Now() + delay
	d.timer.Schedule(d.s.Deadline)
}

// fire runs the pending action when the device's timer expires.
func (d *ataDevice) fire(int64) {
	s := &d.s
	act := s.Action
	s.Action = ataActNone
	switch act {
	case ataActFinish:
		d.complete(s.PendingError, s.PendingStatus)
	case ataActReadBlock:
		d.readBlock()
	case ataActWriteFirst:
		d.requestWriteBlock(false)
	case ataActWriteCommit:
		d.commitWriteBlock()
	case ataActVerify:
		d.verify()
	case ataActIdentify:
		s.Buffer = d.identify()
		s.Pos = 0
		s.Remaining = 0
		s.Phase = ataPhaseDataIn
		s.Status = ataStatusDRDY | ataStatusDSC | ataStatusDRQ
		d.interrupt()
	case ataActReset:
		d.signature()
		s.Error = 0x01
		s.Phase = ataPhaseIdle
		s.Status = ataStatusDRDY | ataStatusDSC
		d.ch.sel = 0
		d.ch.updateIRQ()
	case ataActDiag:
		// Diagnostic code 01h: device passed (and, for device 0, device 1
		// passed or is absent). The lowest present device interrupts.
		d.signature()
		s.Error = 0x01
		s.Phase = ataPhaseIdle
		s.Status = ataStatusDRDY | ataStatusDSC
		d.ch.sel = 0
		if d.idx == 0 || d.ch.devs[0] == nil {
			s.IntRQ = true
		}
		d.ch.updateIRQ()
	}
}

func (d *ataDevice) interrupt() {
	d.s.IntRQ = true
	d.ch.updateIRQ()
}

// complete ends a command: DRDY, ERR when err is non-zero, INTRQ.
func (d *ataDevice) complete(err, extra uint8) {
	s := &d.s
	s.Phase = ataPhaseIdle
	s.Buffer = nil
	s.Pos = 0
	s.Error = err
	s.Status = ataStatusDRDY | ataStatusDSC | extra
	if err != 0 {
		s.Status |= ataStatusERR
	}
	d.interrupt()
}

// finish schedules the completion of a non-data command.
func (d *ataDevice) finish(err, extra uint8) {
	d.s.PendingError = err
	d.s.PendingStatus = extra
	d.schedule(ataActFinish, ataCommandDelay)
}

func (d *ataDevice) abort() { d.finish(ataErrABRT, 0) }

// start begins executing a command (clause 8).
func (d *ataDevice) start(cmd uint8) {
	s := &d.s
	s.Command = cmd
	s.IntRQ = false // writing the Command register clears INTRQ
	d.ch.updateIRQ()
	s.Phase = ataPhaseBusy
	s.Status = ataStatusBSY | ataStatusDRDY
	s.Buffer = nil
	s.Pos = 0
	switch {
	case cmd == ataCmdReadSectors || cmd == ataCmdReadSectorsNR:
		d.beginTransfer(false, 1, ataActReadBlock)
	case cmd == ataCmdReadSectorsExt:
		d.beginTransfer(true, 1, ataActReadBlock)
	case cmd == ataCmdReadMultiple || cmd == ataCmdReadMultipleExt:
		if s.Multiple == 0 {
			d.abort() // multiple mode disabled (clause 8 READ MULTIPLE)
			return
		}
		d.beginTransfer(cmd == ataCmdReadMultipleExt, s.Multiple, ataActReadBlock)
	case cmd == ataCmdWriteSectors || cmd == ataCmdWriteSectorsNR:
		d.beginTransfer(false, 1, ataActWriteFirst)
	case cmd == ataCmdWriteSectorsExt:
		d.beginTransfer(true, 1, ataActWriteFirst)
	case cmd == ataCmdWriteMultiple || cmd == ataCmdWriteMultExt:
		if s.Multiple == 0 {
			d.abort()
			return
		}
		d.beginTransfer(cmd == ataCmdWriteMultExt, s.Multiple, ataActWriteFirst)
	case cmd == ataCmdVerify || cmd == ataCmdVerifyNR:
		d.beginTransfer(false, 1, ataActVerify)
	case cmd == ataCmdVerifyExt:
		d.beginTransfer(true, 1, ataActVerify)
	case cmd == ataCmdIdentify:
		d.schedule(ataActIdentify, ataCommandDelay)
	case cmd == ataCmdSetMultiple:
		d.setMultiple()
	case cmd == ataCmdInitParams:
		d.initParams()
	case cmd == ataCmdSetFeatures:
		d.setFeatures()
	case cmd&0xF0 == ataCmdRecalibrate:
		s.Power = ataPowerActive
		d.finish(0, 0)
	case cmd&0xF0 == ataCmdSeek:
		lba, _, mode, ok := d.taskAddress(false)
		if !ok || lba >= d.limit(mode) {
			d.finish(ataErrIDNF, 0)
			return
		}
		s.Power = ataPowerActive
		d.finish(0, 0)
	case cmd == ataCmdStandbyImm || cmd == ataCmdStandby || cmd == 0x94 || cmd == 0x96:
		s.Power = ataPowerStandby
		d.finish(0, 0)
	case cmd == ataCmdIdleImm || cmd == ataCmdIdle || cmd == 0x95 || cmd == 0x97:
		s.Power = ataPowerIdle
		d.finish(0, 0)
	case cmd == ataCmdCheckPower || cmd == 0x98:
		s.SectorCount[0] = s.Power
		d.finish(0, 0)
	case cmd == ataCmdFlushCache || cmd == ataCmdFlushCacheExt:
		if err := d.img.Flush(); err != nil {
			d.finish(ataErrABRT, ataStatusDF)
			return
		}
		d.finish(0, 0)
	default:
		// Unknown and unsupported commands (NOP, PACKET, IDENTIFY PACKET
		// DEVICE, DMA commands, SLEEP, ...) abort with ABRT (clause 8).
		d.abort()
	}
}

// taskAddress decodes the starting sector and count from the task file:
// 48-bit LBA for the EXT commands, else LBA28 or CHS by the Device
// register's LBA bit. ok is false for a CHS address outside the current
// translation.
func (d *ataDevice) taskAddress(ext bool) (lba, count int64, mode uint8, ok bool) {
	s := &d.s
	if ext {
		lba = int64(s.LBAHigh[1])<<40 | int64(s.LBAMid[1])<<32 | int64(s.LBALow[1])<<24 |
			int64(s.LBAHigh[0])<<16 | int64(s.LBAMid[0])<<8 | int64(s.LBALow[0])
		count = int64(s.SectorCount[1])<<8 | int64(s.SectorCount[0])
		if count == 0 {
			count = 65536
		}
		return lba, count, ataModeLBA48, true
	}
	count = int64(s.SectorCount[0])
	if count == 0 {
		count = 256
	}
	if s.Device&ataDevLBA != 0 {
		lba = int64(s.Device&0x0F)<<24 | int64(s.LBAHigh[0])<<16 | int64(s.LBAMid[0])<<8 | int64(s.LBALow[0])
		return lba, count, ataModeLBA28, true
	}
	cyl := int64(s.LBAMid[0]) | int64(s.LBAHigh[0])<<8
	head := int64(s.Device & 0x0F)
	sec := int64(s.LBALow[0])
	if sec < 1 || sec > int64(s.Sectors) || head >= int64(s.Heads) || cyl >= int64(s.Cylinders) {
		return 0, count, ataModeCHS, false
	}
	lba = (cyl*int64(s.Heads)+head)*int64(s.Sectors) + sec - 1
	return lba, count, ataModeCHS, true
}

// limit is the number of sectors reachable in an addressing mode.
func (d *ataDevice) limit(mode uint8) int64 {
	n := d.sectors
	switch mode {
	case ataModeLBA28:
		n = min(n, ataLBA28Limit)
	case ataModeCHS:
		n = min(n, int64(d.s.Cylinders)*int64(d.s.Heads)*int64(d.s.Sectors))
	}
	return n
}

// setAddress writes a sector address back into the task file in the
// transfer's addressing mode.
func (d *ataDevice) setAddress(lba int64) {
	s := &d.s
	switch s.Mode {
	case ataModeLBA48:
		s.LBALow = [2]uint8{uint8(lba), uint8(lba >> 24)}
		s.LBAMid = [2]uint8{uint8(lba >> 8), uint8(lba >> 32)}
		s.LBAHigh = [2]uint8{uint8(lba >> 16), uint8(lba >> 40)}
	case ataModeLBA28:
		s.LBALow[0] = uint8(lba)
		s.LBAMid[0] = uint8(lba >> 8)
		s.LBAHigh[0] = uint8(lba >> 16)
		s.Device = s.Device&0xF0 | uint8(lba>>24)&0x0F
	default:
		hs := int64(s.Heads) * int64(s.Sectors)
		cyl := lba / hs
		head := lba / int64(s.Sectors) % int64(s.Heads)
		s.LBALow[0] = uint8(lba%int64(s.Sectors) + 1)
		s.LBAMid[0] = uint8(cyl)
		s.LBAHigh[0] = uint8(cyl >> 8)
		s.Device = s.Device&0xF0 | uint8(head)
	}
}

func (d *ataDevice) setCount(n int64) {
	s := &d.s
	s.SectorCount[0] = uint8(n)
	if s.Mode == ataModeLBA48 {
		s.SectorCount[1] = uint8(n >> 8)
	}
}

// beginTransfer starts a read, write or verify.
func (d *ataDevice) beginTransfer(ext bool, block int, act uint8) {
	s := &d.s
	lba, count, mode, ok := d.taskAddress(ext)
	s.Mode = mode
	if !ok {
		d.finish(ataErrIDNF, 0)
		return
	}
	s.LBA = lba
	s.Remaining = count
	s.Block = block
	s.Power = ataPowerActive
	d.schedule(act, ataCommandDelay)
}

// failAt ends a transfer with an error at sector lba, leaving its address
// and the sectors not transferred in the task file (clause 8 error
// outputs: the address of the first sector in error).
func (d *ataDevice) failAt(lba int64, err, extra uint8) {
	s := &d.s
	d.setAddress(lba)
	d.setCount(s.Remaining - (lba - s.LBA))
	d.complete(err, extra)
}

// checkBlock returns the first sector of the next n that is outside the
// addressable range, or -1.
func (d *ataDevice) checkBlock(n int64) int64 {
	s := &d.s
	lim := d.limit(s.Mode)
	if s.LBA+n > lim {
		return max(s.LBA, lim)
	}
	return -1
}

// readBlock fetches the next PIO data-in block and raises DRQ and INTRQ
// (§9.5 PIO data-in: an interrupt for every block).
func (d *ataDevice) readBlock() {
	s := &d.s
	n := min(s.Remaining, int64(s.Block))
	if n <= 0 {
		d.complete(0, 0)
		return
	}
	if bad := d.checkBlock(n); bad >= 0 {
		d.failAt(bad, ataErrIDNF, 0)
		return
	}
	buf := make([]byte, n*DiskSectorSize)
	if err := d.img.ReadSectors(s.LBA, buf); err != nil {
		d.failAt(s.LBA, ataErrUNC, 0)
		return
	}
	s.LBA += n
	s.Remaining -= n
	d.setAddress(s.LBA - 1)
	d.setCount(s.Remaining)
	s.Buffer = buf
	s.Pos = 0
	s.Phase = ataPhaseDataIn
	s.Status = ataStatusDRDY | ataStatusDSC | ataStatusDRQ
	d.interrupt()
}

// dataInBlockDone runs when the host has read the last word of a block.
func (d *ataDevice) dataInBlockDone() {
	s := &d.s
	s.Buffer = nil
	s.Pos = 0
	if s.Remaining == 0 {
		// Last block: the command ends without a further interrupt.
		s.Phase = ataPhaseIdle
		s.Status = ataStatusDRDY | ataStatusDSC
		return
	}
	s.Phase = ataPhaseBusy
	s.Status = ataStatusBSY | ataStatusDRDY
	d.schedule(ataActReadBlock, ataBlockDelay)
}

// requestWriteBlock raises DRQ for the next data-out block; the first
// block is requested without an interrupt (§9.6 PIO data-out).
func (d *ataDevice) requestWriteBlock(irq bool) {
	s := &d.s
	n := min(s.Remaining, int64(s.Block))
	if n <= 0 {
		d.complete(0, 0)
		return
	}
	if bad := d.checkBlock(n); bad >= 0 {
		d.failAt(bad, ataErrIDNF, 0)
		return
	}
	s.Buffer = make([]byte, n*DiskSectorSize)
	s.Pos = 0
	s.Phase = ataPhaseDataOut
	s.Status = ataStatusDRDY | ataStatusDSC | ataStatusDRQ
	if irq {
		d.interrupt()
	}
}

// commitWriteBlock writes a block the host has sent, then asks for the
// next one or completes, interrupting either way.
func (d *ataDevice) commitWriteBlock() {
	s := &d.s
	n := int64(len(s.Buffer) / DiskSectorSize)
	if err := d.img.WriteSectors(s.LBA, s.Buffer); err != nil {
		if errors.Is(err, ErrWriteProtected) {
			d.failAt(s.LBA, ataErrABRT, 0)
		} else {
			d.failAt(s.LBA, ataErrABRT, ataStatusDF)
		}
		return
	}
	s.LBA += n
	s.Remaining -= n
	d.setAddress(s.LBA - 1)
	d.setCount(s.Remaining)
	s.Buffer = nil
	if s.Remaining > 0 {
		d.requestWriteBlock(true)
		return
	}
	d.complete(0, 0)
}

// verify runs READ VERIFY SECTORS: the sectors are read but not
// transferred.
func (d *ataDevice) verify() {
	s := &d.s
	if bad := d.checkBlock(s.Remaining); bad >= 0 {
		// Sectors before the bad one verify first.
		good := bad - s.LBA
		if err := d.verifyRange(good); err != nil {
			return
		}
		d.failAt(bad, ataErrIDNF, 0)
		return
	}
	if err := d.verifyRange(s.Remaining); err != nil {
		return
	}
	d.setAddress(s.LBA + s.Remaining - 1)
	s.LBA += s.Remaining
	s.Remaining = 0
	d.setCount(0)
	d.complete(0, 0)
}

// verifyRange reads n sectors from s.LBA, failing the command with UNC at
// a sector the host cannot read.
func (d *ataDevice) verifyRange(n int64) error {
	s := &d.s
	buf := make([]byte, 256*DiskSectorSize)
	for done := int64(0); done < n; {
		k := min(n-done, 256)
		if err := d.img.ReadSectors(s.LBA+done, buf[:k*DiskSectorSize]); err != nil {
			d.failAt(s.LBA+done, ataErrUNC, 0)
			return err
		}
		done += k
	}
	return nil
}

// setMultiple is SET MULTIPLE MODE: a power of two up to word 47's
// maximum enables READ/WRITE MULTIPLE with that block size, zero disables
// it, anything else aborts and leaves the setting alone.
func (d *ataDevice) setMultiple() {
	s := &d.s
	n := int(s.SectorCount[0])
	if n > ataMaxMultiple || n&(n-1) != 0 {
		d.abort()
		return
	}
	s.Multiple = n
	d.finish(0, 0)
}

// initParams is INITIALIZE DEVICE PARAMETERS: sectors per track from the
// Sector Count register, heads from the Device register's low nibble plus
// one. A zero sector count, or a geometry with no whole cylinder, aborts.
func (d *ataDevice) initParams() {
	s := &d.s
	spt := int64(s.SectorCount[0])
	heads := int64(s.Device&0x0F) + 1
	if spt == 0 {
		d.abort()
		return
	}
	cyl := min(d.sectors, ataCHSLimit) / (heads * spt)
	if cyl > 65535 {
		cyl = 65535
	}
	if cyl == 0 {
		d.abort()
		return
	}
	s.Cylinders, s.Heads, s.Sectors = int(cyl), int(heads), int(spt)
	d.finish(0, 0)
}

// setFeatures is SET FEATURES. Transfer modes up to PIO 4 (what IDENTIFY
// reports) are accepted and otherwise ignored; DMA modes, which IDENTIFY
// does not offer, abort, as do unknown subcommands.
func (d *ataDevice) setFeatures() {
	s := &d.s
	switch s.Features[0] {
	case 0x03:
		mode := s.SectorCount[0]
		if mode <= 0x01 || (mode >= 0x08 && mode <= 0x0C) {
			d.finish(0, 0)
			return
		}
		d.abort()
	case 0x02:
		s.WriteCache = true
		d.finish(0, 0)
	case 0x82:
		s.WriteCache = false
		d.finish(0, 0)
	case 0xAA:
		s.LookAhead = true
		d.finish(0, 0)
	case 0x55:
		s.LookAhead = false
		d.finish(0, 0)
	case 0x66, 0xCC:
		// Disable/enable reverting to power-on defaults: accepted; a
		// software reset keeps the settings either way.
		d.finish(0, 0)
	default:
		d.abort()
	}
}

// identify builds the IDENTIFY DEVICE data (clause 8 IDENTIFY DEVICE).
func (d *ataDevice) identify() []byte {
	var w [256]uint16
	s := &d.s
	lba28 := min(d.sectors, ataLBA28Limit)
	w[0] = 0x0040 // ATA device, (obsolete) fixed
	w[1] = uint16(d.def.Cylinders)
	w[2] = 0xC837 // response complete, no spin-up SET FEATURES needed
	w[3] = uint16(d.def.Heads)
	w[6] = uint16(d.def.Sectors)
	ataPutString(w[10:20], d.serial)
	ataPutString(w[23:27], "1.0")
	ataPutString(w[27:47], "GOX86 HARDDISK")
	w[47] = 0x8000 | ataMaxMultiple
	w[49] = 0x0200 | 0x0800 // LBA, IORDY supported; no DMA
	w[50] = 0x4000
	w[51] = 0x0200 // PIO mode 2 timing (obsolete word)
	w[53] = 0x0003 // words 54-58 and 64-70 valid
	w[54] = uint16(s.Cylinders)
	w[55] = uint16(s.Heads)
	w[56] = uint16(s.Sectors)
	chs := uint32(s.Cylinders) * uint32(s.Heads) * uint32(s.Sectors)
	w[57] = uint16(chs)
	w[58] = uint16(chs >> 16)
	if s.Multiple != 0 {
		w[59] = 0x0100 | uint16(s.Multiple)
	}
	w[60] = uint16(lba28)
	w[61] = uint16(lba28 >> 16)
	w[64] = 0x0003 // PIO modes 3 and 4
	w[67] = 120    // minimum PIO cycle time without flow control, ns
	w[68] = 120    // with IORDY
	w[80] = 0x007C // ATA-2 through ATA/ATAPI-6
	w[82] = 0x0008 | 0x0020 | 0x0040
	w[83] = 0x4000 | 0x2000 | 0x1000 | 0x0400 // FLUSH CACHE (EXT), 48-bit
	w[84] = 0x4000
	w[85] = 0x0008
	if s.WriteCache {
		w[85] |= 0x0020
	}
	if s.LookAhead {
		w[85] |= 0x0040
	}
	w[86] = 0x2000 | 0x1000 | 0x0400
	w[87] = 0x4000
	for i := 0; i < 4; i++ {
		w[100+i] = uint16(d.sectors >> (16 * i))
	}
	// Word 255: signature A5h and a checksum making all 512 bytes sum to
	// zero (IDENTIFY DEVICE, word 255).
	w[255] = 0x00A5
	var sum uint8
	for i := 0; i < 255; i++ {
		sum += uint8(w[i]) + uint8(w[i]>>8)
	}
	sum += 0xA5
	w[255] |= uint16(-sum) << 8
	buf := make([]byte, 512)
	for i, v := range w {
		buf[2*i] = uint8(v)
		buf[2*i+1] = uint8(v >> 8)
	}
	return buf
}

// ataPutString stores an ATA string: space padded, two characters a word,
// the first in the high byte.
func ataPutString(w []uint16, s string) {
	b := make([]byte, 2*len(w))
	for i := range b {
		b[i] = ' '
	}
	copy(b, s)
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
}

// State returns a snapshot of the channel.
func (c *ATAChannel) State() ATAState {
	st := ATAState{Control: c.control, Selected: c.sel, IRQ: c.irqLevel}
	for i, d := range c.devs {
		if d == nil {
			continue
		}
		st.Devices[i] = d.s
		st.Devices[i].Buffer = append([]byte(nil), d.s.Buffer...)
	}
	return st
}

// SetState restores a snapshot taken from a channel with the same disks
// attached.
func (c *ATAChannel) SetState(st ATAState) error {
	if st.Selected < 0 || st.Selected > 1 {
		return fmt.Errorf("devices: ATA state: selected device %d", st.Selected)
	}
	for i, d := range c.devs {
		ds := &st.Devices[i]
		if ds.Present != (d != nil) {
			return fmt.Errorf("devices: ATA state: device %d presence does not match the attached disks", i)
		}
		if d == nil {
			continue
		}
		if err := ataCheckDeviceState(ds); err != nil {
			return fmt.Errorf("devices: ATA state: device %d: %w", i, err)
		}
	}
	c.control = st.Control
	c.sel = st.Selected
	for i, d := range c.devs {
		if d == nil {
			continue
		}
		d.s = st.Devices[i]
		d.s.Buffer = append([]byte(nil), st.Devices[i].Buffer...)
		d.timer.Cancel()
		if d.s.Action != ataActNone {
			d.timer.Schedule(d.s.Deadline)
		}
	}
	c.updateIRQ()
	return nil
}

func ataCheckDeviceState(s *ATADeviceState) error {
	switch {
	case s.Phase > ataPhaseDataOut:
		return fmt.Errorf("phase %d", s.Phase)
	case s.Action > ataActMax:
		return fmt.Errorf("action %d", s.Action)
	case s.Mode > ataModeLBA48:
		return fmt.Errorf("addressing mode %d", s.Mode)
	case s.Multiple < 0 || s.Multiple > ataMaxMultiple:
		return fmt.Errorf("multiple count %d", s.Multiple)
	case s.Heads < 1 || s.Heads > 16 || s.Sectors < 1 || s.Sectors > 255 || s.Cylinders < 1 || s.Cylinders > 65535:
		return fmt.Errorf("CHS translation %d/%d/%d", s.Cylinders, s.Heads, s.Sectors)
	case len(s.Buffer)%DiskSectorSize != 0 || len(s.Buffer) > ataMaxMultiple*DiskSectorSize:
		return fmt.Errorf("buffer of %d bytes", len(s.Buffer))
	case s.Pos < 0 || s.Pos > len(s.Buffer) || s.Pos%2 != 0:
		return fmt.Errorf("buffer position %d", s.Pos)
	case (s.Phase == ataPhaseDataIn || s.Phase == ataPhaseDataOut) && (len(s.Buffer) == 0 || s.Pos == len(s.Buffer)):
		return errors.New("data phase without data")
	case s.LBA < 0 || s.Remaining < 0 || s.Block < 0 || s.Block > ataMaxMultiple:
		return errors.New("transfer position out of range")
	case (s.Action == ataActReadBlock || s.Action == ataActWriteFirst) && s.Block == 0:
		return errors.New("transfer without a block size")
	case s.Action == ataActWriteCommit && len(s.Buffer) == 0:
		return errors.New("write commit without data")
	case s.Phase == ataPhaseBusy && s.Action == ataActNone && !s.InReset:
		return errors.New("busy with nothing pending")
	case s.Action != ataActNone && s.Phase != ataPhaseBusy:
		return errors.New("action pending outside the busy phase")
	}
	return nil
}
