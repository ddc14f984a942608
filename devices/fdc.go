// Intel 82077AA CHMOS single-chip floppy disk controller (Intel 82077AA
// datasheet, order number 290166) in PC-AT mode at 3F0h-3F7h, IRQ 6 and
// DMA channel 2, driving up to two 3.5-inch drives. Port 3F6h belongs to
// the ATA primary channel and is not decoded here; SRA and SRB (3F0h,
// 3F1h) exist only in PS/2 mode and are left unclaimed.
package devices

import (
	"errors"
	"fmt"
)

// Register offsets from 3F0h (datasheet, "Register Description").
const (
	fdcRegDOR  = 2 // digital output register, R/W
	fdcRegTDR  = 3 // tape drive register, R/W
	fdcRegMSR  = 4 // read: main status; write: data rate select (DSR)
	fdcRegFIFO = 5
	fdcRegDIR  = 7 // read: digital input; write: configuration control (CCR)
)

// DOR bits ("Digital Output Register").
const (
	fdcDORSelect  = 0x03
	fdcDORnReset  = 0x04
	fdcDORDMAGate = 0x08 // PC-AT mode: enables INT and DRQ
)

// MSR bits ("Main Status Register").
const (
	fdcMSRRQM  = 0x80
	fdcMSRDIO  = 0x40
	fdcMSRNDMA = 0x20
	fdcMSRCB   = 0x10
)

// DSR bits ("Datarate Select Register").
const (
	fdcDSRReset    = 0x80
	fdcDSRRateMask = 0x03
)

// Status register 0 bits ("Status Register 0").
const (
	fdcST0Abnormal = 0x40 // IC = 01
	fdcST0Invalid  = 0x80 // IC = 10
	fdcST0Polling  = 0xC0 // IC = 11, abnormal termination due to polling
	fdcST0SE       = 0x20
	fdcST0EC       = 0x10
	fdcST0NR       = 0x08 // not ready (8272A/µPD765 compatible; see FDC)
)

// Status register 1 bits.
const (
	fdcST1EN = 0x80 // end of cylinder
	fdcST1DE = 0x20 // data error (CRC)
	fdcST1OR = 0x10 // overrun/underrun
	fdcST1ND = 0x04 // no data
	fdcST1NW = 0x02 // not writable
	fdcST1MA = 0x01 // missing address mark
)

// Status register 2 bits.
const (
	fdcST2DD = 0x20 // data error in data field
	fdcST2WC = 0x10 // wrong cylinder
)

// Status register 3 bits. Bits 5 and 3 are unused and read as one on the
// 82077AA.
const (
	fdcST3WP     = 0x40
	fdcST3T0     = 0x10
	fdcST3Always = 0x28
)

// Commands, by opcode after removing the MT, MFM and SK modifiers
// ("Command Set Descriptions").
const (
	fdcCmdSpecify     = 0x03
	fdcCmdSenseDrive  = 0x04
	fdcCmdWrite       = 0x05
	fdcCmdRead        = 0x06
	fdcCmdRecalibrate = 0x07
	fdcCmdSenseInt    = 0x08
	fdcCmdReadID      = 0x0A
	fdcCmdFormat      = 0x0D
	fdcCmdDumpReg     = 0x0E
	fdcCmdSeek        = 0x0F
	fdcCmdVersion     = 0x10
	fdcCmdPerp        = 0x12
	fdcCmdConfigure   = 0x13
	fdcCmdLock        = 0x14
	fdcCmdRelSeek     = 0x8F // SEEK with RS set
)

// Modifier bits of the first command byte.
const (
	fdcMT  = 0x80
	fdcMFM = 0x40
)

// Phases.
const (
	fdcPhaseReset   = 0 // held in reset or finishing its reset
	fdcPhaseCommand = 1
	fdcPhaseExec    = 2
	fdcPhaseResult  = 3
)

// Execution operations.
const (
	fdcOpNone   = 0
	fdcOpRead   = 1
	fdcOpWrite  = 2
	fdcOpFormat = 3
	fdcOpReadID = 4
)

// Virtual delays: small stand-ins for head movement, rotation and
// transfer.
const (
	fdcResetDelay = 10_000      // ns from reset released to the polling interrupt
	fdcExecDelay  = 100_000     // ns for a data, READ ID or FORMAT command
	fdcSeekDelay  = 10_000      // ns base for SEEK/RECALIBRATE
	fdcStepDelay  = 100_000     // ns per step pulse
	fdcRevolution = 200_000_000 // ns per revolution at 300 rpm (READ ID)
)

// fdcMaxTrack is the innermost track the drive mechanism reaches.
const fdcMaxTrack = 83

// fdcRecalSteps is how many step pulses RECALIBRATE issues before giving
// up on track 0 ("RECALIBRATE": 79).
const fdcRecalSteps = 79

// FDCDriveState is the state of one drive select position.
type FDCDriveState struct {
	PCN          uint8 // the controller's present cylinder number
	Track        uint8 // where the drive's head actually is
	Changed      bool  // disk change latch
	Seeking      bool
	SeekDeadline int64
	SeekTarget   uint8 // PCN when the seek ends
	SeekTrack    uint8 // physical track when the seek ends
	SeekST0      uint8
	SeekSteps    int
	SensePending bool // an interrupt status waits for SENSE INTERRUPT STATUS
	SenseST0     uint8
}

// FDCTransferState is the data command being executed.
type FDCTransferState struct {
	Op            uint8
	Drive, Head   uint8 // drive select and physical head
	C, H, R, N    uint8 // ID of the current sector
	EOT           uint8
	MT, MFM, SE   bool
	FormatCount   int // FORMAT: sectors still to format
	FormatFill    uint8
	FormatN       uint8
	LastID        [4]uint8 // FORMAT: last ID field received
	PIO           bool     // non-DMA execution phase: bytes through the FIFO
	PIOActive     bool     // RQM is up for a byte
	Buffer        []byte
	Pos           int
	ExecPending   bool
	ExecDeadline  int64
	ImpliedSteps  int
	ImpliedTarget uint8
}

// FDCState is the controller's state.
type FDCState struct {
	DOR, TDR, DataRate, DSR uint8
	Phase                   uint8
	Command                 [9]uint8
	CommandLen, CommandWant int
	Result                  [10]uint8
	ResultLen, ResultPos    int
	SRT, HUT, HLT           uint8
	NonDMA                  bool
	EIS, FIFODisabled       bool
	PollDisabled, Lock      bool
	FIFOThreshold, PreTrack uint8
	Perpendicular           uint8 // D3-D0 << 2 | GAP << 1 | WGATE
	LastEOT                 uint8
	Int                     bool // interrupt latch
	IRQ                     bool // IRQ line level
	ResetPending            bool
	ResetDeadline           int64
	Xfer                    FDCTransferState
	Drives                  [4]FDCDriveState
}

// FDC is an 82077AA with two 1.44 MB drive mechanisms in positions 0 and
// 1; positions 2 and 3 have no drive. An image of any standard diskette
// size may be inserted; its data rate must be selected to read it.
//
// Where the 82077AA leaves behaviour to the drive: a data command on a
// drive without a diskette ends at once with ST0 abnormal termination and
// not ready (NR, bit 3, as on the 8272A; a real 82077AA waits for index
// pulses that never come), and ST3 reports such a drive write-protected.
// The motor enables are not checked.
type FDC struct {
	bus        *Bus
	clock      *Clock
	irq        IRQLine
	dma        *DMA
	mem        MemoryAccess
	disks      [2]*DiskImage
	s          FDCState
	resetTimer *Timer
	execTimer  *Timer
	seekTimers [4]*Timer
}

// fdcDMAChannel is the AT's floppy DMA channel.
const fdcDMAChannel = 2

// NewFDC creates the controller at 3F0h with drives 0 and 1 holding the
// given images (nil for an empty drive) and claims its ports. dma and mem
// carry DMA-mode transfers; with dma nil a DMA-mode transfer overruns.
// The controller starts as after power-on: DOR 00h, held in reset.
func NewFDC(bus *Bus, clock *Clock, irq IRQLine, dma *DMA, mem MemoryAccess, drives [2]*DiskImage) (*FDC, error) {
	if bus == nil || clock == nil {
		return nil, errors.New("devices: FDC needs a bus and a clock")
	}
	for i, img := range drives {
		if err := fdcCheckImage(img); err != nil {
			return nil, fmt.Errorf("devices: floppy drive %d: %w", i, err)
		}
	}
	if drives[0] != nil && drives[0] == drives[1] {
		return nil, errors.New("devices: floppy drives 0 and 1 cannot share one disk image")
	}
	f := &FDC{bus: bus, clock: clock, irq: irq, dma: dma, mem: mem, disks: drives}
	f.resetTimer = clock.NewTimer("fdc.reset", f.resetDone)
	f.execTimer = clock.NewTimer("fdc.exec", f.execute)
	for i := range f.seekTimers {
		d := i
		f.seekTimers[i] = clock.NewTimer(fmt.Sprintf("fdc.seek%d", i), func(int64) { f.seekDone(d) })
	}
	f.Reset()
	for i := range f.s.Drives {
		f.s.Drives[i].Changed = true
	}
	ports := fdcPorts{f}
	if err := bus.Register(0x3F2, 4, ports); err != nil {
		return nil, fmt.Errorf("devices: FDC: %w", err)
	}
	if err := bus.Register(0x3F7, 1, ports); err != nil {
		bus.Unregister(0x3F2, 4)
		return nil, fmt.Errorf("devices: FDC: %w", err)
	}
	return f, nil
}

func fdcCheckImage(img *DiskImage) error {
	if img == nil {
		return nil
	}
	if _, _, _, ok := FloppyGeometry(img.Size()); !ok {
		return fmt.Errorf("image of %d bytes is not a standard diskette size", img.Size())
	}
	return nil
}

// Reset is the RESET pin, as on power-on or a machine reset: DOR 00h
// holds the controller in reset, and LOCK, CONFIGURE, SPECIFY,
// PERPENDICULAR MODE, the tape drive register and the data rate (500
// kbps) return to their defaults. The drives' heads stay where they are
// and the cylinder numbers are kept, so software that recalibrates and
// software that does not both find consistent tracks.
func (f *FDC) Reset() {
	s := &f.s
	s.Lock = false
	f.enterReset()
	s.DOR, s.TDR, s.DSR, s.DataRate = 0, 0, 0, 0
	s.SRT, s.HUT, s.HLT, s.NonDMA = 0, 0, 0, false
	s.Perpendicular = 0
	s.LastEOT = 0
	f.updateIRQ()
}

// ChangeDisk replaces the diskette in drive 0 or 1 (nil ejects it) and
// raises the drive's disk change line. It returns the previous image.
func (f *FDC) ChangeDisk(drive int, img *DiskImage) (*DiskImage, error) {
	if drive < 0 || drive > 1 {
		return nil, fmt.Errorf("devices: floppy drive %d does not exist", drive)
	}
	if err := fdcCheckImage(img); err != nil {
		return nil, fmt.Errorf("devices: floppy drive %d: %w", drive, err)
	}
	if img != nil && img == f.disks[1-drive] {
		return nil, errors.New("devices: the image is already in the other drive")
	}
	old := f.disks[drive]
	f.disks[drive] = img
	f.s.Drives[drive].Changed = true
	return old, nil
}

// Disk returns the image in a drive, or nil.
func (f *FDC) Disk(drive int) *DiskImage {
	if drive < 0 || drive > 1 {
		return nil
	}
	return f.disks[drive]
}

// fdcPorts decodes 3F2h-3F5h and 3F7h; wider accesses are split through
// the bus.
type fdcPorts struct{ f *FDC }

func (p fdcPorts) In(port uint16, size int) uint32 {
	if size > 1 {
		return byteWiseIn(p.f.bus, port, size)
	}
	return uint32(p.f.inb(port - 0x3F0))
}

func (p fdcPorts) Out(port uint16, size int, v uint32) {
	if size > 1 {
		byteWiseOut(p.f.bus, port, size, v)
		return
	}
	p.f.outb(port-0x3F0, uint8(v))
}

func (f *FDC) inb(reg uint16) uint8 {
	switch reg {
	case fdcRegDOR:
		return f.s.DOR
	case fdcRegTDR:
		// Only bits 1-0 are driven in PC-AT mode.
		return 0xFC | f.s.TDR&0x03
	case fdcRegMSR:
		return f.msr()
	case fdcRegFIFO:
		return f.readFIFO()
	case fdcRegDIR:
		// Bit 7 is DSKCHG of the drive the DOR selects; bits 6-0 are
		// not driven in PC-AT mode ("Digital Input Register").
		v := uint8(0x7F)
		if f.diskChangeLine(int(f.s.DOR & fdcDORSelect)) {
			v |= 0x80
		}
		return v
	}
	return 0xFF
}

func (f *FDC) outb(reg uint16, v uint8) {
	switch reg {
	case fdcRegDOR:
		f.writeDOR(v)
	case fdcRegTDR:
		f.s.TDR = v & 0x03
	case fdcRegMSR:
		if f.inReset() {
			return
		}
		f.s.DSR = v &^ fdcDSRReset
		f.s.DataRate = v & fdcDSRRateMask
		if v&fdcDSRReset != 0 {
			// Self-clearing software reset ("Datarate Select Register").
			f.enterReset()
			f.leaveReset()
		}
	case fdcRegFIFO:
		f.writeFIFO(v)
	case fdcRegDIR:
		if !f.inReset() {
			f.s.DataRate = v & fdcDSRRateMask
		}
	}
}

func (f *FDC) inReset() bool { return f.s.DOR&fdcDORnReset == 0 }

// diskChangeLine is the DSKCHG signal of a drive: active with no diskette
// and after a diskette change until a step pulse with a diskette present.
func (f *FDC) diskChangeLine(drive int) bool {
	if drive > 1 {
		return false
	}
	return f.disks[drive] == nil || f.s.Drives[drive].Changed
}

func (f *FDC) writeDOR(v uint8) {
	old := f.s.DOR
	f.s.DOR = v
	switch {
	case v&fdcDORnReset == 0 && old&fdcDORnReset != 0:
		f.enterReset()
	case v&fdcDORnReset != 0 && old&fdcDORnReset == 0:
		f.enterReset()
		f.leaveReset()
	}
	f.updateIRQ()
}

// enterReset aborts everything ("Reset"): the command in progress,
// seeks, pending interrupts. CONFIGURE parameters return to their defaults
// unless LOCK is set; PERPENDICULAR MODE's GAP and WGATE clear; SPECIFY
// parameters, the data rate and the cylinder numbers are kept.
func (f *FDC) enterReset() {
	s := &f.s
	f.execTimer.Cancel()
	f.resetTimer.Cancel()
	for i := range s.Drives {
		f.seekTimers[i].Cancel()
		s.Drives[i].Seeking = false
		s.Drives[i].SensePending = false
	}
	s.Xfer = FDCTransferState{}
	s.Phase = fdcPhaseReset
	s.CommandLen, s.CommandWant = 0, 0
	s.ResultLen, s.ResultPos = 0, 0
	s.Int = false
	s.ResetPending = false
	if !s.Lock {
		s.EIS = false
		s.FIFODisabled = true
		s.PollDisabled = false
		s.FIFOThreshold = 0
		s.PreTrack = 0
	}
	s.Perpendicular &^= 0x03
	f.updateIRQ()
}

// leaveReset starts the controller after a reset; it becomes ready (and,
// with drive polling enabled, interrupts) after a short delay.
func (f *FDC) leaveReset() {
	f.s.ResetPending = true
	f.s.ResetDeadline = f.clock.Now() + fdcResetDelay
	f.resetTimer.Schedule(f.s.ResetDeadline)
}

// resetDone: the controller is ready for commands. With drive polling
// enabled it reports a "ready changed" status (ST0 IC=11) for each of the
// four drives and interrupts once ("Reset", "CONFIGURE": POLL).
func (f *FDC) resetDone(int64) {
	s := &f.s
	s.ResetPending = false
	s.Phase = fdcPhaseCommand
	if !s.PollDisabled {
		for d := range s.Drives {
			s.Drives[d].SensePending = true
			s.Drives[d].SenseST0 = fdcST0Polling | uint8(d)
		}
		f.raiseInt()
	}
}

func (f *FDC) raiseInt() {
	f.s.Int = true
	f.updateIRQ()
}

func (f *FDC) clearInt() {
	f.s.Int = false
	f.updateIRQ()
}

// updateIRQ drives IRQ 6: the interrupt latch, gated by the DOR's DMA
// gate bit in PC-AT mode ("Digital Output Register").
func (f *FDC) updateIRQ() {
	level := f.s.Int && f.s.DOR&fdcDORDMAGate != 0 && !f.inReset()
	if level != f.s.IRQ {
		f.s.IRQ = level
		if f.irq != nil {
			f.irq.SetLevel(level)
		}
	}
}

// msr computes the main status register ("Main Status Register").
func (f *FDC) msr() uint8 {
	s := &f.s
	var v uint8
	for d := range s.Drives {
		if s.Drives[d].Seeking {
			v |= 1 << d
		}
	}
	switch s.Phase {
	case fdcPhaseCommand:
		v |= fdcMSRRQM
		if s.CommandLen > 0 {
			v |= fdcMSRCB
		}
	case fdcPhaseExec:
		v |= fdcMSRCB
		x := &s.Xfer
		if x.PIO {
			v |= fdcMSRNDMA
			if x.PIOActive {
				v |= fdcMSRRQM
				if x.Op == fdcOpRead {
					v |= fdcMSRDIO
				}
			}
		}
	case fdcPhaseResult:
		v |= fdcMSRRQM | fdcMSRDIO | fdcMSRCB
	default:
		return 0
	}
	return v
}

func (f *FDC) readFIFO() uint8 {
	s := &f.s
	switch s.Phase {
	case fdcPhaseResult:
		v := s.Result[s.ResultPos]
		s.ResultPos++
		if s.ResultPos == 1 {
			// Reading the first result byte clears the interrupt.
			f.clearInt()
		}
		if s.ResultPos >= s.ResultLen {
			s.Phase = fdcPhaseCommand
			s.CommandLen = 0
		}
		return v
	case fdcPhaseExec:
		x := &s.Xfer
		if x.PIO && x.PIOActive && x.Op == fdcOpRead {
			v := x.Buffer[x.Pos]
			x.Pos++
			if x.Pos >= len(x.Buffer) {
				f.pioSectorDone()
			}
			return v
		}
	}
	// Nothing to read: the FIFO outputs are not enabled.
	return 0xFF
}

func (f *FDC) writeFIFO(v uint8) {
	s := &f.s
	switch s.Phase {
	case fdcPhaseCommand:
		if s.CommandLen == 0 {
			want := fdcCommandLength(v)
			if want == 0 {
				// Invalid command: one result byte, ST0 = 80h, no
				// interrupt ("Invalid" command).
				f.result(false, fdcST0Invalid)
				return
			}
			s.CommandWant = want
		}
		s.Command[s.CommandLen] = v
		s.CommandLen++
		if s.CommandLen == s.CommandWant {
			f.dispatch()
		}
	case fdcPhaseExec:
		x := &s.Xfer
		if x.PIO && x.PIOActive && (x.Op == fdcOpWrite || x.Op == fdcOpFormat) {
			x.Buffer[x.Pos] = v
			x.Pos++
			if x.Pos >= len(x.Buffer) {
				f.pioSectorDone()
			}
		}
	}
}

// fdcCommandLength is the number of command bytes, opcode included, of a
// valid first byte, or 0 for an invalid one.
func fdcCommandLength(b uint8) int {
	switch {
	case b&0x1F == fdcCmdRead:
		return 9
	case b&0x3F == fdcCmdWrite:
		return 9
	case b&0xBF == fdcCmdReadID:
		return 2
	case b&0xBF == fdcCmdFormat:
		return 6
	case b == fdcCmdSpecify:
		return 3
	case b == fdcCmdSenseDrive:
		return 2
	case b == fdcCmdRecalibrate:
		return 2
	case b == fdcCmdSenseInt:
		return 1
	case b == fdcCmdDumpReg:
		return 1
	case b == fdcCmdSeek, b&0xBF == fdcCmdRelSeek:
		return 3
	case b == fdcCmdVersion:
		return 1
	case b == fdcCmdPerp:
		return 2
	case b == fdcCmdConfigure:
		return 4
	case b&0x7F == fdcCmdLock:
		return 1
	}
	return 0
}

// result enters the result phase with the given bytes.
func (f *FDC) result(irq bool, bytes ...uint8) {
	s := &f.s
	copy(s.Result[:], bytes)
	s.ResultLen = len(bytes)
	s.ResultPos = 0
	s.Phase = fdcPhaseResult
	s.CommandLen = 0
	if irq {
		f.raiseInt()
	}
}

// idle returns to the command phase after a command without a result
// phase.
func (f *FDC) idle() {
	f.s.Phase = fdcPhaseCommand
	f.s.CommandLen = 0
}

// dispatch executes a complete command ("Command Set Descriptions").
func (f *FDC) dispatch() {
	s := &f.s
	c := s.Command
	switch {
	case c[0]&0x1F == fdcCmdRead:
		f.startData(fdcOpRead)
	case c[0]&0x3F == fdcCmdWrite:
		f.startData(fdcOpWrite)
	case c[0]&0xBF == fdcCmdReadID:
		f.startData(fdcOpReadID)
	case c[0]&0xBF == fdcCmdFormat:
		f.startData(fdcOpFormat)
	case c[0] == fdcCmdSpecify:
		s.SRT, s.HUT = c[1]>>4, c[1]&0x0F
		s.HLT, s.NonDMA = c[2]>>1, c[2]&1 != 0
		f.idle()
	case c[0] == fdcCmdSenseDrive:
		f.result(false, f.st3(c[1]))
	case c[0] == fdcCmdRecalibrate:
		f.recalibrate(int(c[1] & 3))
		f.idle()
	case c[0] == fdcCmdSenseInt:
		f.senseInterrupt()
	case c[0] == fdcCmdSeek:
		f.seek(int(c[1]&3), (c[1]>>2)&1, c[2])
		f.idle()
	case c[0]&0xBF == fdcCmdRelSeek:
		d := int(c[1] & 3)
		target := int(s.Drives[d].PCN)
		if c[0]&0x40 != 0 {
			target += int(c[2])
		} else {
			target -= int(c[2])
		}
		f.seek(d, (c[1]>>2)&1, uint8(max(0, min(255, target))))
		f.idle()
	case c[0] == fdcCmdVersion:
		f.result(false, 0x90)
	case c[0] == fdcCmdPerp:
		if c[1]&0x80 != 0 { // OW: overwrite D3-D0
			s.Perpendicular = s.Perpendicular&0x03 | c[1]&0x3C
		}
		s.Perpendicular = s.Perpendicular&^0x03 | c[1]&0x03
		f.idle()
	case c[0] == fdcCmdConfigure:
		s.EIS = c[2]&0x40 != 0
		s.FIFODisabled = c[2]&0x20 != 0
		s.PollDisabled = c[2]&0x10 != 0
		s.FIFOThreshold = c[2] & 0x0F
		s.PreTrack = c[3]
		f.idle()
	case c[0]&0x7F == fdcCmdLock:
		s.Lock = c[0]&0x80 != 0
		var v uint8
		if s.Lock {
			v = 0x10
		}
		f.result(false, v)
	case c[0] == fdcCmdDumpReg:
		f.result(false, f.dumpReg()...)
	default:
		f.result(false, fdcST0Invalid)
	}
}

// dumpReg is the DUMPREG result ("DUMPREG").
func (f *FDC) dumpReg() []uint8 {
	s := &f.s
	b8 := s.Perpendicular & 0x3F
	if s.Lock {
		b8 |= 0x80
	}
	var b9 uint8
	if s.EIS {
		b9 |= 0x40
	}
	if s.FIFODisabled {
		b9 |= 0x20
	}
	if s.PollDisabled {
		b9 |= 0x10
	}
	b9 |= s.FIFOThreshold & 0x0F
	var nd uint8
	if s.NonDMA {
		nd = 1
	}
	return []uint8{
		s.Drives[0].PCN, s.Drives[1].PCN, s.Drives[2].PCN, s.Drives[3].PCN,
		s.SRT<<4 | s.HUT&0x0F, s.HLT<<1 | nd, s.LastEOT, b8, b9, s.PreTrack,
	}
}

// st3 is the SENSE DRIVE STATUS result ("Status Register 3").
func (f *FDC) st3(hds uint8) uint8 {
	d := int(hds & 3)
	v := fdcST3Always | hds&0x07
	if d <= 1 {
		if img := f.disks[d]; img == nil || img.WriteProtected() {
			v |= fdcST3WP
		}
		if f.s.Drives[d].Track == 0 {
			v |= fdcST3T0
		}
	}
	return v
}

// senseInterrupt reports the first drive with a pending interrupt status
// and clears it; with none pending the command is invalid ("SENSE
// INTERRUPT STATUS").
func (f *FDC) senseInterrupt() {
	s := &f.s
	for d := range s.Drives {
		dr := &s.Drives[d]
		if dr.SensePending {
			dr.SensePending = false
			f.clearInt()
			f.result(false, dr.SenseST0, dr.PCN)
			return
		}
	}
	f.result(false, fdcST0Invalid)
}

// seek starts a SEEK to cylinder ncn ("SEEK"). It runs in the background;
// its end interrupts.
func (f *FDC) seek(d int, head, ncn uint8) {
	dr := &f.s.Drives[d]
	steps := int(ncn) - int(dr.PCN)
	track := int(dr.Track) + steps
	if steps < 0 {
		steps = -steps
	}
	track = max(0, min(fdcMaxTrack, track))
	f.startSeek(d, ncn, uint8(track), steps, fdcST0SE|head<<2|uint8(d))
}

// recalibrate steps out until track 0, at most 79 times ("RECALIBRATE").
func (f *FDC) recalibrate(d int) {
	dr := &f.s.Drives[d]
	if d > 1 {
		// No drive: track 0 never appears.
		f.startSeek(d, 0, 0, fdcRecalSteps, fdcST0Abnormal|fdcST0SE|fdcST0EC|uint8(d))
		return
	}
	if dr.Track > fdcRecalSteps {
		f.startSeek(d, 0, dr.Track-fdcRecalSteps, fdcRecalSteps, fdcST0Abnormal|fdcST0SE|fdcST0EC|uint8(d))
		return
	}
	f.startSeek(d, 0, 0, int(dr.Track), fdcST0SE|uint8(d))
}

func (f *FDC) startSeek(d int, pcn, track uint8, steps int, st0 uint8) {
	dr := &f.s.Drives[d]
	dr.Seeking = true
	dr.SeekTarget = pcn
	dr.SeekTrack = track
	dr.SeekST0 = st0
	dr.SeekSteps = steps
	dr.SensePending = false
	dr.SeekDeadline = f.clock.Now() + fdcSeekDelay + int64(steps)*fdcStepDelay
	f.seekTimers[d].Schedule(dr.SeekDeadline)
}

// seekDone ends a SEEK or RECALIBRATE: the cylinder number is updated,
// a step pulse with a diskette present clears the disk change latch, and
// the interrupt status waits for SENSE INTERRUPT STATUS.
func (f *FDC) seekDone(d int) {
	dr := &f.s.Drives[d]
	if !dr.Seeking {
		return
	}
	dr.Seeking = false
	dr.PCN = dr.SeekTarget
	if d <= 1 {
		dr.Track = dr.SeekTrack
		if dr.SeekSteps > 0 && f.disks[d] != nil {
			dr.Changed = false
		}
	}
	dr.SensePending = true
	dr.SenseST0 = dr.SeekST0
	f.raiseInt()
}

// startData begins READ DATA, WRITE DATA, READ ID or FORMAT TRACK: the
// controller is busy (CB) for the execution delay, after which execute
// runs the command.
func (f *FDC) startData(op uint8) {
	s := &f.s
	c := s.Command
	x := &s.Xfer
	*x = FDCTransferState{Op: op, Drive: c[1] & 3, Head: (c[1] >> 2) & 1, MT: c[0]&fdcMT != 0, MFM: c[0]&fdcMFM != 0}
	switch op {
	case fdcOpRead, fdcOpWrite:
		x.C, x.H, x.R, x.N, x.EOT = c[2], c[3], c[4], c[5], c[6]
		s.LastEOT = x.EOT
	case fdcOpFormat:
		x.FormatN, x.FormatCount, x.FormatFill = c[2], int(c[3]), c[5]
		s.LastEOT = c[3]
	}
	x.MT = x.MT && (op == fdcOpRead || op == fdcOpWrite)
	x.PIO = s.NonDMA && op != fdcOpReadID
	s.Phase = fdcPhaseExec
	delay := int64(fdcExecDelay)
	// Implied seek (CONFIGURE EIS) before a read or write ("CONFIGURE").
	if s.EIS && (op == fdcOpRead || op == fdcOpWrite) && x.C != s.Drives[x.Drive].PCN {
		x.ImpliedTarget = x.C
		x.ImpliedSteps = int(x.C) - int(s.Drives[x.Drive].PCN)
		if x.ImpliedSteps < 0 {
			x.ImpliedSteps = -x.ImpliedSteps
		}
		delay += int64(x.ImpliedSteps) * fdcStepDelay
		x.SE = true
	}
	x.ExecPending = true
	x.ExecDeadline = f.clock.Now() + delay
	f.execTimer.Schedule(x.ExecDeadline)
}

// mediaRate is the data rate code a diskette is recorded at: 500 kbps for
// 1.2M and 1.44M, 250 kbps for 360K and 720K, 1 Mbps for 2.88M.
func fdcMediaRate(img *DiskImage) uint8 {
	switch img.Size() {
	case 2949120:
		return 3
	case 368640, 737280:
		return 2
	}
	return 0
}

// execute runs when the execution delay of a data command ends.
func (f *FDC) execute(int64) {
	s := &f.s
	x := &s.Xfer
	if !x.ExecPending {
		return
	}
	x.ExecPending = false
	d := int(x.Drive)
	var img *DiskImage
	if d <= 1 {
		img = f.disks[d]
	}
	dr := &s.Drives[d]
	if x.SE {
		// The implied seek moves the head.
		if d <= 1 {
			track := int(dr.Track) + int(x.ImpliedTarget) - int(dr.PCN)
			dr.Track = uint8(max(0, min(fdcMaxTrack, track)))
			if img != nil {
				dr.Changed = false
			}
		}
		dr.PCN = x.ImpliedTarget
	}
	if img == nil {
		f.endAt(fdcST0Abnormal|fdcST0NR, 0, 0)
		return
	}
	if (x.Op == fdcOpWrite || x.Op == fdcOpFormat) && img.WriteProtected() {
		f.endAt(fdcST0Abnormal, fdcST1NW, 0)
		return
	}
	cyls, heads, _, _ := FloppyGeometry(img.Size())
	switch x.Op {
	case fdcOpFormat:
		if int(dr.Track) >= cyls || int(x.Head) >= heads {
			// Beyond the tracks the image holds: the drive cannot
			// record there, reported as an equipment check.
			f.endAt(fdcST0Abnormal|fdcST0EC, 0, 0)
			return
		}
		if x.PIO {
			x.Buffer = make([]byte, 4)
			x.Pos = 0
			x.PIOActive = x.FormatCount > 0
			if x.FormatCount == 0 {
				f.endFormat()
				return
			}
			f.raiseInt()
			return
		}
		f.dmaFormat()
		return
	}
	// Without the right data rate and MFM, or on a track the diskette
	// does not have, no ID address mark is ever found (ST1 MA).
	if !f.trackReadable(img) {
		f.endAt(fdcST0Abnormal, fdcST1MA, 0)
		return
	}
	switch x.Op {
	case fdcOpReadID:
		// The first ID field to pass under the head.
		_, _, spt, _ := FloppyGeometry(img.Size())
		r := uint8(f.clock.Now()/(fdcRevolution/int64(spt))%int64(spt)) + 1
		x.C, x.H, x.R, x.N = dr.Track, x.Head, r, 2
		f.endAt(0, 0, 0)
	case fdcOpRead, fdcOpWrite:
		if x.PIO {
			f.pioStartSector()
			return
		}
		f.dmaReadWrite(img)
	}
}

// trackReadable reports whether ID fields can be read on the current
// track: right data rate and MFM, a track and side the diskette has.
func (f *FDC) trackReadable(img *DiskImage) bool {
	x := &f.s.Xfer
	cyls, heads, _, _ := FloppyGeometry(img.Size())
	return x.MFM && f.s.DataRate == fdcMediaRate(img) &&
		int(f.s.Drives[x.Drive].Track) < cyls && int(x.Head) < heads
}

// locate finds the sector the transfer is at: its ID (C, H, R, N) must
// match one on the track under the head, else ND (with WC when only the
// cylinder differs).
func (f *FDC) locate(img *DiskImage) (lba int64, st1, st2 uint8, ok bool) {
	x := &f.s.Xfer
	_, heads, spt, _ := FloppyGeometry(img.Size())
	track := f.s.Drives[x.Drive].Track
	if x.H != x.Head || x.N != 2 || x.R < 1 || int(x.R) > spt {
		return 0, fdcST1ND, 0, false
	}
	if x.C != track {
		return 0, fdcST1ND, fdcST2WC, false
	}
	return (int64(track)*int64(heads)+int64(x.Head))*int64(spt) + int64(x.R) - 1, 0, 0, true
}

// endAt ends a data command with the result ID the current sector's.
func (f *FDC) endAt(st0, st1, st2 uint8) {
	x := &f.s.Xfer
	f.finish(st0, st1, st2, x.C, x.H, x.R, x.N)
}

// endNext ends a data command after the current sector with the result
// ID pointing past it ("READ DATA", Table 5-6).
func (f *FDC) endNext(st0, st1, st2 uint8) {
	x := &f.s.Xfer
	c, h, r := x.C, x.H, x.R+1
	if x.R == x.EOT {
		r = 1
		switch {
		case !x.MT:
			c++
		case x.Head == 0:
			h ^= 1
		default:
			c++
			h ^= 1
		}
	}
	f.finish(st0, st1, st2, c, h, r, x.N)
}

func (f *FDC) finish(st0, st1, st2, c, h, r, n uint8) {
	x := &f.s.Xfer
	st0 |= x.Head<<2 | x.Drive
	if x.SE {
		st0 |= fdcST0SE
	}
	x.PIOActive = false
	x.Buffer = nil
	x.Pos = 0
	x.Op = fdcOpNone
	f.result(true, st0, st1, st2, c, h, r, n)
}

// nextSector moves to the sector after the current one, crossing to side
// 1 for a multi-track command. It reports false at the end of the track
// (or, multi-track, of the cylinder).
func (f *FDC) nextSector() bool {
	x := &f.s.Xfer
	if x.R != x.EOT {
		x.R++
		return true
	}
	if x.MT && x.Head == 0 {
		x.Head = 1
		x.H ^= 1
		x.R = 1
		return true
	}
	return false
}

// dmaTransfer moves a buffer through DMA channel 2 (when the DOR's DMA
// gate lets DRQ out).
func (f *FDC) dmaTransfer(buf []byte, toMemory bool) (int, bool) {
	if f.dma == nil || f.s.DOR&fdcDORDMAGate == 0 {
		return 0, false
	}
	return f.dma.Transfer(fdcDMAChannel, f.mem, buf, toMemory)
}

// dmaReadWrite runs READ DATA or WRITE DATA in DMA mode, sector by
// sector, until terminal count (normal termination), the end of the track
// without terminal count (EN), or an error.
func (f *FDC) dmaReadWrite(img *DiskImage) {
	x := &f.s.Xfer
	buf := make([]byte, DiskSectorSize)
	for {
		lba, st1, st2, ok := f.locate(img)
		if !ok {
			f.endAt(fdcST0Abnormal, st1, st2)
			return
		}
		if x.Op == fdcOpRead {
			if err := img.ReadSectors(lba, buf); err != nil {
				f.endAt(fdcST0Abnormal, fdcST1DE, fdcST2DD)
				return
			}
		}
		n, tc := f.dmaTransfer(buf, x.Op == fdcOpRead)
		if n < len(buf) && !tc {
			// DMA not serviced in time: overrun (underrun when
			// writing, which leaves the sector as it was).
			f.endAt(fdcST0Abnormal, fdcST1OR, 0)
			return
		}
		if x.Op == fdcOpWrite {
			// Terminal count inside the sector: the rest is written
			// as zeros.
			clear(buf[n:])
			if err := img.WriteSectors(lba, buf); err != nil {
				f.endAt(fdcST0Abnormal|fdcST0EC, 0, 0)
				return
			}
		}
		if tc {
			f.endNext(0, 0, 0)
			return
		}
		if !f.nextSector() {
			f.endNext(fdcST0Abnormal, fdcST1EN, 0)
			return
		}
	}
}

// dmaFormat runs FORMAT TRACK in DMA mode: four ID bytes (C, H, R, N) per
// sector come from memory, and the sector is filled with the fill byte.
func (f *FDC) dmaFormat() {
	x := &f.s.Xfer
	id := make([]byte, 4)
	for x.FormatCount > 0 {
		n, tc := f.dmaTransfer(id, false)
		if n < len(id) && !tc {
			f.endAt(fdcST0Abnormal, fdcST1OR, 0)
			return
		}
		if !f.formatSector(id) {
			return
		}
		if tc {
			break
		}
	}
	f.endFormat()
}

// formatSector records one sector's ID and fills its data. The image
// keeps its own layout: an ID of the image's sector size (N=2) whose R
// is a sector of the track has its data filled; other IDs are accepted
// and not recorded.
func (f *FDC) formatSector(id []byte) bool {
	x := &f.s.Xfer
	copy(x.LastID[:], id)
	x.FormatCount--
	d := int(x.Drive)
	img := f.currentDisk()
	if img == nil {
		return false
	}
	_, heads, spt, _ := FloppyGeometry(img.Size())
	r := int(id[2])
	if x.FormatN != 2 || id[3] != 2 || r < 1 || r > spt {
		return true
	}
	lba := (int64(f.s.Drives[d].Track)*int64(heads)+int64(x.Head))*int64(spt) + int64(r) - 1
	buf := make([]byte, DiskSectorSize)
	for i := range buf {
		buf[i] = x.FormatFill
	}
	if err := img.WriteSectors(lba, buf); err != nil {
		f.endAt(fdcST0Abnormal|fdcST0EC, 0, 0)
		return false
	}
	return true
}

// endFormat reports FORMAT TRACK's normal termination; the result ID is
// the last ID field written (the datasheet leaves it undefined).
func (f *FDC) endFormat() {
	x := &f.s.Xfer
	id := x.LastID
	f.finish(0, 0, 0, id[0], id[1], id[2], id[3])
}

// currentDisk is the diskette in the drive of the command being executed.
// If it has been ejected (ChangeDisk) the command ends, not ready, and
// currentDisk returns nil.
func (f *FDC) currentDisk() *DiskImage {
	x := &f.s.Xfer
	if x.Drive <= 1 && f.disks[x.Drive] != nil {
		return f.disks[x.Drive]
	}
	f.endAt(fdcST0Abnormal|fdcST0NR, 0, 0)
	return nil
}

// pioStartSector readies the current sector for a non-DMA READ or WRITE:
// RQM rises for its first byte.
func (f *FDC) pioStartSector() {
	x := &f.s.Xfer
	img := f.currentDisk()
	if img == nil {
		return
	}
	lba, st1, st2, ok := f.locate(img)
	if !ok {
		f.endAt(fdcST0Abnormal, st1, st2)
		return
	}
	x.Buffer = make([]byte, DiskSectorSize)
	x.Pos = 0
	if x.Op == fdcOpRead {
		if err := img.ReadSectors(lba, x.Buffer); err != nil {
			f.endAt(fdcST0Abnormal, fdcST1DE, fdcST2DD)
			return
		}
	}
	x.PIOActive = true
	// In non-DMA mode INT signals the data requests; it stays asserted
	// through the execution phase into the result phase.
	f.raiseInt()
}

// pioSectorDone runs when the host has moved the last byte of a sector
// (or of a FORMAT ID field) through the FIFO. Without a TC input in
// non-DMA mode, a multi-sector transfer ends at the end of the track with
// EN set, as with the PC's pseudo-DMA.
func (f *FDC) pioSectorDone() {
	x := &f.s.Xfer
	img := f.currentDisk()
	if img == nil {
		return
	}
	switch x.Op {
	case fdcOpFormat:
		if !f.formatSector(x.Buffer) {
			return
		}
		if x.FormatCount == 0 {
			f.endFormat()
			return
		}
		x.Pos = 0
		return
	case fdcOpWrite:
		lba, _, _, _ := f.locate(img)
		if err := img.WriteSectors(lba, x.Buffer); err != nil {
			f.endAt(fdcST0Abnormal|fdcST0EC, 0, 0)
			return
		}
	}
	if !f.nextSector() {
		f.endNext(fdcST0Abnormal, fdcST1EN, 0)
		return
	}
	f.pioStartSector()
}

// State returns a snapshot of the controller.
func (f *FDC) State() FDCState {
	s := f.s
	s.Xfer.Buffer = append([]byte(nil), f.s.Xfer.Buffer...)
	return s
}

// SetState restores a snapshot. The diskettes are not part of it.
func (f *FDC) SetState(s FDCState) error {
	x := &s.Xfer
	switch {
	case s.Phase > fdcPhaseResult:
		return fmt.Errorf("devices: FDC state: phase %d", s.Phase)
	case s.CommandLen < 0 || s.CommandLen > len(s.Command) || s.CommandWant < 0 || s.CommandWant > len(s.Command):
		return errors.New("devices: FDC state: command length out of range")
	case s.ResultLen < 0 || s.ResultLen > len(s.Result) || s.ResultPos < 0 || s.ResultPos > s.ResultLen:
		return errors.New("devices: FDC state: result length out of range")
	case s.Phase == fdcPhaseResult && s.ResultPos >= s.ResultLen:
		return errors.New("devices: FDC state: result phase without result bytes")
	case s.Phase == fdcPhaseCommand && s.CommandLen > 0 && (s.CommandLen >= s.CommandWant || s.CommandWant != fdcCommandLength(s.Command[0])):
		return errors.New("devices: FDC state: partial command inconsistent")
	case s.Phase == fdcPhaseExec && (x.Op == fdcOpNone || (!x.ExecPending && !x.PIOActive)):
		return errors.New("devices: FDC state: execution phase without an operation")
	case x.ExecPending && s.Phase != fdcPhaseExec:
		return errors.New("devices: FDC state: execution pending outside the execution phase")
	case s.Phase == fdcPhaseReset && s.DOR&fdcDORnReset != 0 && !s.ResetPending:
		return errors.New("devices: FDC state: out of reset but never finishing it")
	case x.FormatCount < 0 || x.FormatCount > 255:
		return errors.New("devices: FDC state: format count out of range")
	case x.Op > fdcOpReadID:
		return fmt.Errorf("devices: FDC state: operation %d", x.Op)
	case x.Drive > 3 || x.Head > 1:
		return errors.New("devices: FDC state: drive or head out of range")
	case x.Pos < 0 || x.Pos > len(x.Buffer):
		return errors.New("devices: FDC state: buffer position out of range")
	case x.PIOActive && (x.Pos >= len(x.Buffer) || s.Phase != fdcPhaseExec):
		return errors.New("devices: FDC state: data transfer without data")
	case x.PIOActive && (x.Drive > 1 || f.disks[x.Drive] == nil):
		return errors.New("devices: FDC state: data transfer on a drive without a diskette")
	case x.PIOActive && x.Op == fdcOpFormat && len(x.Buffer) != 4,
		x.PIOActive && x.Op != fdcOpFormat && len(x.Buffer) != DiskSectorSize:
		return errors.New("devices: FDC state: transfer buffer of the wrong size")
	}
	f.resetTimer.Cancel()
	f.execTimer.Cancel()
	for i := range f.seekTimers {
		f.seekTimers[i].Cancel()
	}
	prev := f.s.IRQ
	f.s = s
	f.s.Xfer.Buffer = append([]byte(nil), x.Buffer...)
	if s.ResetPending {
		f.resetTimer.Schedule(s.ResetDeadline)
	}
	if s.Xfer.ExecPending {
		f.execTimer.Schedule(s.Xfer.ExecDeadline)
	}
	for i := range s.Drives {
		if s.Drives[i].Seeking {
			f.seekTimers[i].Schedule(s.Drives[i].SeekDeadline)
		}
	}
	// Drive the line to the restored level.
	f.s.IRQ = prev
	f.updateIRQ()
	return nil
}
