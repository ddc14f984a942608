// Package gox86 is a PC emulator in pure Go. A Machine is an x86 PC: a
// Pentium II-class CPU (package cpu) with its MMU (package mmu), the PC's
// chips on a port bus (package devices) driven by a virtual clock, and
// loaders that put a guest in memory. Everything below this package is
// reachable through Machine; the gox86 command uses only this API.
//
// Runs are deterministic: guest time follows retired instructions, so the
// same image and input give the same output and instruction count.
package gox86

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/gox86/gox86/bios"
	"github.com/gox86/gox86/cpu"
	"github.com/gox86/gox86/devices"
	"github.com/gox86/gox86/mmu"
)

// Config describes a machine.
type Config struct {
	// MemoryBytes is the RAM size; 0 means DefaultMemory.
	MemoryBytes uint32
	// IPS is the virtual clock rate in guest instructions per second;
	// 0 means DefaultIPS. The TSC counts at this rate.
	IPS uint64
	// RealTime paces the virtual clock to the host's wall clock (for
	// interactive use); runs are then no longer deterministic.
	RealTime bool
	// NoReboot makes a triple fault or reset request end the run instead
	// of resetting the machine.
	NoReboot bool
	// DebugCon receives bytes written to port 0xE9; nil discards them.
	DebugCon io.Writer
	// Serial are the host ends of COM1-COM4; nil entries are unconnected.
	Serial [4]devices.SerialBackend
	// Trace, when non-nil, receives one line per executed instruction.
	Trace io.Writer
	// RTCBase is the wall-clock time the RTC shows at power-on; the zero
	// value means DefaultRTCBase, so runs stay deterministic.
	RTCBase time.Time
	// SerialLineTiming makes the UARTs transmit at their programmed baud
	// rate, as the datasheet times it. By default they transmit 1000
	// times faster, close to QEMU's instantaneous host line.
	SerialLineTiming bool
	// Floppy are drives A: and B: (1.44 MB images).
	Floppy [2]*devices.DiskImage
	// HardDisk are the IDE disks: primary master, primary slave,
	// secondary master, secondary slave.
	HardDisk [4]*devices.DiskImage
	// Firmware is an external BIOS image (e.g. SeaBIOS's bios.bin) to run
	// instead of the built-in BIOS: a multiple of 64 KiB up to 1 MiB,
	// mapped below 4 GiB with its top 128 KiB also at E0000h-FFFFFh.
	Firmware []byte
	// FirmwareLog receives the built-in BIOS's diagnostics, if set.
	FirmwareLog io.Writer
	// Frame, when set, is called from the run loop about every
	// FrameInterval of host time (default 40 ms) so a display can draw
	// the VGA screen. It runs between instructions, so it may read device
	// state safely; it must not change guest-visible state.
	Frame         func(m *Machine)
	FrameInterval time.Duration
}

// Defaults for Config's zero values.
const (
	DefaultMemory = 128 << 20
	DefaultIPS    = 100_000_000
)

// DefaultRTCBase is the RTC time at power-on unless configured.
var DefaultRTCBase = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// ExitReason says why Run returned.
type ExitReason int

const (
	// ExitDebugPort: the guest wrote to the isa-debug-exit port.
	ExitDebugPort ExitReason = iota
	// ExitTripleFault: the CPU shut down and NoReboot was set.
	ExitTripleFault
	// ExitReset: the guest asked for a reset and NoReboot was set.
	ExitReset
	// ExitHalted: the CPU halted with nothing that could wake it.
	ExitHalted
	// ExitInstructionLimit: the instruction budget given to Run ran out.
	ExitInstructionLimit
	// ExitStopped: Stop was called.
	ExitStopped
	// ExitInternalError: an emulator bug; Detail says what.
	ExitInternalError
)

func (r ExitReason) String() string {
	return [...]string{"debug-exit port", "triple fault", "reset", "halted", "instruction limit", "stopped", "internal error"}[r]
}

// Result describes the end of a run.
type Result struct {
	Reason ExitReason
	// Status is the process exit status the run asks for: (v<<1)|1 for
	// the debug-exit port, 0 for an orderly reset/halt with NoReboot.
	Status int
	// Detail explains the reason (fault chain, last CS:EIP, ...).
	Detail string
	// Instructions retired and virtual time elapsed.
	Instructions uint64
	VirtualTime  time.Duration
}

// Machine is an emulated PC.
type Machine struct {
	cfg   Config
	Mem   *mmu.Memory
	CPU   *cpu.CPU
	Bus   *devices.Bus
	Clock *devices.Clock

	PIC  *devices.PICPair
	PIT  *devices.PIT
	CMOS *devices.CMOS
	KBC  *devices.I8042
	COM  [4]*devices.UART
	VGA  *devices.VGA
	PCI  *devices.PCIHost
	DMA  *devices.DMA
	FDC  *devices.FDC
	ATA  [2]*devices.ATAChannel
	BIOS *bios.BIOS

	// romOffset maps C0000h-FFFFFh to ROM backing offsets for PAM.
	romOffset func(phys uint32) int64
	// reload loads and enters a kernel given with LoadLinux (after POST)
	// or LoadMultiboot (after a reset), from the built-in BIOS's boot step.
	reload func() error

	exit     *Result
	stopFlag atomic.Bool
	resetReq bool
	ips      uint64
	// firmware is set when a ROM is mapped at the reset vector, so a
	// reset or triple fault can reboot instead of ending the run.
	firmware bool
}

// New builds a machine with the standard PC devices wired up.
func New(cfg Config) (*Machine, error) {
	if cfg.MemoryBytes == 0 {
		cfg.MemoryBytes = DefaultMemory
	}
	if cfg.MemoryBytes < 1<<20 || cfg.MemoryBytes > 3<<30 {
		return nil, fmt.Errorf("memory size %d bytes out of range (1 MiB to 3 GiB)", cfg.MemoryBytes)
	}
	if cfg.IPS == 0 {
		cfg.IPS = DefaultIPS
	}
	if cfg.RTCBase.IsZero() {
		cfg.RTCBase = DefaultRTCBase
	}
	m := &Machine{cfg: cfg, ips: cfg.IPS}
	m.Mem = mmu.NewMemory(cfg.MemoryBytes)
	m.Bus = devices.NewBus()
	m.Clock = devices.NewClock()
	m.CPU = cpu.New(cpu.Config{Memory: m.Mem, Bus: m.Bus, FPU: true})
	m.CPU.IOCost = max(m.ips/1_000_000, 1) // one microsecond per port access
	m.Clock.SetSource(func() int64 { return m.ticksToNs(m.CPU.Ticks()) })
	if err := m.setupFirmware(); err != nil {
		return nil, err
	}
	if err := m.wireDevices(); err != nil {
		return nil, err
	}
	if m.BIOS != nil || m.cfg.Firmware != nil {
		m.firmware = true
	}
	if cfg.Trace != nil {
		m.CPU.Tracer = NewTracer(cfg.Trace)
	}
	return m, nil
}

// wireDevices creates the chips and connects their interrupt lines.
func (m *Machine) wireDevices() error {
	var err error
	c := m.CPU
	if m.PIC, err = devices.NewPICPair(m.Bus, c.SetINTR); err != nil {
		return err
	}
	c.SetInterruptController(m.PIC)
	if m.PIT, err = devices.NewPIT(m.Bus, m.Clock, m.PIC.IRQ(0)); err != nil {
		return err
	}
	if m.CMOS, err = devices.NewCMOS(m.Bus, m.Clock, m.PIC.IRQ(8), m.cfg.RTCBase); err != nil {
		return err
	}
	if m.KBC, err = devices.NewI8042(m.Bus, m.Clock, m.PIC.IRQ(1), m.PIC.IRQ(12), m.Mem.SetA20, m.requestReset); err != nil {
		return err
	}
	comPorts := [4]uint16{0x3F8, 0x2F8, 0x3E8, 0x2E8}
	comIRQs := [4]int{4, 3, 4, 3}
	for k := range m.COM {
		if m.COM[k], err = devices.NewUART(m.Bus, m.Clock, comPorts[k], m.PIC.IRQ(comIRQs[k]), m.cfg.Serial[k]); err != nil {
			return err
		}
		if !m.cfg.SerialLineTiming {
			m.COM[k].SetTransmitSpeedup(1000)
		}
	}
	out := m.cfg.DebugCon
	if out == nil {
		out = io.Discard
	}
	if _, err = devices.NewDebugCon(m.Bus, 0xE9, out); err != nil {
		return err
	}
	if _, err = devices.NewDebugExit(m.Bus, 0xF4, m.debugExit); err != nil {
		return err
	}
	if m.VGA, err = devices.NewVGA(m.Bus, m.Mem, m.Clock); err != nil {
		return err
	}
	if m.PCI, err = devices.NewPCIHost(m.Bus, m.Mem, m.romOffset); err != nil {
		return err
	}
	m.PCI.SetResetHandler(m.requestReset)
	if m.DMA, err = devices.NewDMA(m.Bus); err != nil {
		return err
	}
	if m.FDC, err = devices.NewFDC(m.Bus, m.Clock, m.PIC.IRQ(6), m.DMA, m.Mem, m.cfg.Floppy); err != nil {
		return err
	}
	hd := m.cfg.HardDisk
	if m.ATA[0], err = devices.NewATAChannel(m.Bus, m.Clock, 0x1F0, 0x3F6, m.PIC.IRQ(14), hd[0], hd[1]); err != nil {
		return err
	}
	if m.ATA[1], err = devices.NewATAChannel(m.Bus, m.Clock, 0x170, 0x376, m.PIC.IRQ(15), hd[2], hd[3]); err != nil {
		return err
	}
	// FERR# from the x87 drives IRQ 13; a write to port F0h releases it
	// (PC/AT coprocessor error wiring, SDM vol. 1, 8.7).
	irq13 := m.PIC.IRQ(13)
	c.Hooks.FERR = irq13.SetLevel
	if err = m.Bus.Register(0xF0, 1, devices.ByteOnly{
		InB:  func(uint16) uint8 { return 0xFF },
		OutB: func(uint16, uint8) { c.ClearFERR() },
	}); err != nil {
		return err
	}
	m.setCMOSMemory()
	m.setCMOSDrives()
	if m.BIOS != nil {
		if err := m.BIOS.Attach(m.VGA); err != nil {
			return err
		}
	}
	return nil
}

// setupFirmware maps an external firmware image, or builds the built-in
// BIOS, at the top of the first megabyte and of the 4 GiB space.
func (m *Machine) setupFirmware() error {
	fw := m.cfg.Firmware
	if fw == nil {
		var disks [2]*devices.DiskImage
		disks[0], disks[1] = m.cfg.HardDisk[0], m.cfg.HardDisk[1]
		if disks[0] == nil && m.cfg.HardDisk[2] != nil {
			disks[0] = m.cfg.HardDisk[2]
		}
		b, err := bios.New(bios.Config{
			CPU: m.CPU, Memory: m.Mem, Bus: m.Bus,
			Floppies: m.cfg.Floppy, Disks: disks,
			MemoryBytes: m.cfg.MemoryBytes,
			Wait:        func(us uint32) { m.CPU.SkipTicks(uint64(us) * m.ips / 1_000_000) },
			Log:         m.cfg.FirmwareLog,
			Boot:        m.directBoot,
		})
		if err != nil {
			return err
		}
		m.BIOS = b
		m.romOffset = func(phys uint32) int64 {
			if phys >= bios.ROMBase {
				return b.ROMOffset(phys)
			}
			return mmu.NoBacking
		}
		return nil
	}
	n := len(fw)
	if n == 0 || n%0x10000 != 0 || n > 1<<20 {
		return fmt.Errorf("firmware image is %d bytes; want a multiple of 64 KiB up to 1 MiB", n)
	}
	off := m.Mem.AddROM(fw)
	if err := m.Mem.MapPages(uint32(0x100000000-uint64(n)), uint32(n), off, mmu.NoBacking); err != nil {
		return err
	}
	low := min(n, 0x20000) // the top 128 KiB appear at E0000h-FFFFFh
	lowOff := off + int64(n-low)
	lowBase := uint32(0x100000 - low)
	if err := m.Mem.MapPages(lowBase, uint32(low), lowOff, mmu.NoBacking); err != nil {
		return err
	}
	m.romOffset = func(phys uint32) int64 {
		if phys >= lowBase && phys < 0x100000 {
			return lowOff + int64(phys-lowBase)
		}
		return mmu.NoBacking
	}
	return nil
}

// directBoot is offered INT 19h by the built-in BIOS: a Linux kernel
// loaded with LoadLinux starts here, after POST.
func (m *Machine) directBoot(c *cpu.CPU) bool {
	if m.reload == nil {
		return false
	}
	// The kernel is loaded again, as QEMU's -kernel does on every boot:
	// the previous run may have overwritten its image in memory.
	if err := m.reload(); err != nil {
		m.exit = &Result{Reason: ExitInternalError, Status: 2, Detail: "reloading the kernel after a reset: " + err.Error()}
		c.RequestStop()
	}
	return true
}

// setCMOSDrives records the drive types in the CMOS as an AT BIOS setup
// would: 10h floppy types (4 = 1.44 MB), 12h/19h/1Ah hard disk types (F
// = user type 47), equipment byte 14h.
func (m *Machine) setCMOSDrives() {
	c := m.CMOS
	var fd uint8
	if m.cfg.Floppy[0] != nil {
		fd |= 4 << 4
	}
	if m.cfg.Floppy[1] != nil {
		fd |= 4
	}
	c.SetByte(0x10, fd)
	var hd uint8
	if m.cfg.HardDisk[0] != nil {
		hd |= 0xF0
		c.SetByte(0x19, 47)
	}
	if m.cfg.HardDisk[1] != nil {
		hd |= 0x0F
		c.SetByte(0x1A, 47)
	}
	c.SetByte(0x12, hd)
	equip := uint8(0x06) // math coprocessor, display: EGA/VGA (00)
	n := 0
	for _, f := range m.cfg.Floppy {
		if f != nil {
			n++
		}
	}
	if n > 0 {
		equip |= 1 | uint8(n-1)<<6
	}
	c.SetByte(0x14, equip)
	c.SetByte(0x2D, 0x20) // boot: floppy first
	c.UpdateChecksum()
}

// setCMOSMemory records the memory size in the CMOS NVRAM the way an AT
// BIOS does (base memory 640 KiB at 15h-16h, extended memory in KiB up to
// 64 MiB at 17h-18h and 30h-31h, memory above 16 MiB in 64 KiB units at
// 34h-35h).
func (m *Machine) setCMOSMemory() {
	c := m.CMOS
	c.SetByte(0x15, 0x80)
	c.SetByte(0x16, 0x02)
	ext := (m.cfg.MemoryBytes - 1<<20) >> 10
	if ext > 0xFFFF {
		ext = 0xFFFF
	}
	c.SetByte(0x17, uint8(ext))
	c.SetByte(0x18, uint8(ext>>8))
	c.SetByte(0x30, uint8(ext))
	c.SetByte(0x31, uint8(ext>>8))
	var above uint32
	if m.cfg.MemoryBytes > 16<<20 {
		above = (m.cfg.MemoryBytes - 16<<20) >> 16
	}
	if above > 0xFFFF {
		above = 0xFFFF
	}
	c.SetByte(0x34, uint8(above))
	c.SetByte(0x35, uint8(above>>8))
	c.UpdateChecksum()
}

func (m *Machine) debugExit(status int) {
	if m.exit == nil {
		m.exit = &Result{Reason: ExitDebugPort, Status: status, Detail: fmt.Sprintf("guest wrote %#x to the debug-exit port", status>>1)}
	}
	m.CPU.RequestStop()
}

func (m *Machine) requestReset() {
	m.resetReq = true
	m.CPU.RequestStop()
}

// Stop asks a running Run to return ExitStopped; safe from any goroutine.
func (m *Machine) Stop() { m.stopFlag.Store(true) }

// ticksToNs converts CPU ticks to virtual nanoseconds.
func (m *Machine) ticksToNs(t uint64) int64 {
	hi, lo := bits.Mul64(t, 1_000_000_000)
	if hi >= m.ips {
		return 1<<63 - 1
	}
	q, _ := bits.Div64(hi, lo, m.ips)
	return int64(q)
}

// nsToTicks converts virtual nanoseconds to CPU ticks, rounding up.
func (m *Machine) nsToTicks(ns int64) uint64 {
	if ns <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(ns), m.ips)
	q, r := bits.Div64(hi%1_000_000_000, lo, 1_000_000_000)
	if r != 0 {
		q++
	}
	return q
}

// maxChunk bounds how long the CPU runs before the machine looks at the
// clock, stop requests and real-time pacing.
const maxChunk = 1 << 20

// Run executes the guest until it exits, faults fatally, halts for good,
// Stop is called, or the machine's instruction count since power-on
// reaches maxInstructions (0 means no limit). Run may be called again to
// continue, with a higher limit.
func (m *Machine) Run(maxInstructions uint64) (res Result) {
	// Device timers run here, outside the CPU's own guard: an emulator
	// bug in one ends the run with an error instead of crashing the host.
	defer func() {
		if r := recover(); r != nil {
			res = m.finish(Result{Reason: ExitInternalError, Status: 2,
				Detail: fmt.Sprintf("internal error in the machine loop at %s: %v", m.where(), r)})
		}
	}()
	c := m.CPU
	start := time.Now()
	startTicks := c.Ticks()
	lastFrame := start
	for {
		if m.exit != nil {
			return m.finish(*m.exit)
		}
		if m.stopFlag.Load() {
			return m.finish(Result{Reason: ExitStopped, Detail: fmt.Sprintf("stopped by the host at %s", m.where())})
		}
		if m.resetReq {
			m.resetReq = false
			if m.cfg.NoReboot || !m.firmware {
				return m.finish(Result{Reason: ExitReset, Status: 0, Detail: "guest requested a reset"})
			}
			m.Reset()
			continue
		}
		now := m.ticksToNs(c.Ticks())
		m.Clock.Advance(now)
		budget := uint64(maxChunk)
		if d, ok := m.Clock.NextDeadline(); ok {
			if n := m.nsToTicks(d - now); n < budget {
				budget = max(n, 1)
			}
		}
		if maxInstructions > 0 {
			done := c.InstructionCount()
			if done >= maxInstructions {
				return m.finish(Result{Reason: ExitInstructionLimit, Detail: fmt.Sprintf("%d instructions executed, stopped at %s", done, m.where())})
			}
			budget = min(budget, maxInstructions-done)
		}
		// A device that schedules an earlier deadline during the run
		// (for example when the guest programs a timer) ends it early.
		m.Clock.SetRunLimit(m.ticksToNs(c.Ticks()+budget), c.RequestStop)
		switch c.Run(budget) {
		case cpu.StopHalt:
			if c.Flags()&cpu.FlagIF == 0 {
				if m.BIOS != nil && m.BIOS.Fatal() != "" {
					return m.finish(Result{Reason: ExitHalted, Status: 1, Detail: "BIOS: " + m.BIOS.Fatal()})
				}
				return m.finish(Result{Reason: ExitHalted, Detail: fmt.Sprintf("HLT with interrupts disabled at %s", m.where())})
			}
			d, ok := m.Clock.NextDeadline()
			if !ok {
				return m.finish(Result{Reason: ExitHalted, Detail: fmt.Sprintf("HLT with no device event pending at %s", m.where())})
			}
			if skip := m.nsToTicks(d - m.ticksToNs(c.Ticks())); skip > 0 {
				c.SkipTicks(skip)
			}
		case cpu.StopShutdown:
			if m.cfg.NoReboot || !m.firmware {
				return m.finish(Result{Reason: ExitTripleFault, Status: 1, Detail: c.ShutdownInfo})
			}
			m.Reset()
		case cpu.StopInternalError:
			return m.finish(Result{Reason: ExitInternalError, Status: 2, Detail: c.Err.Error()})
		}
		if m.cfg.Frame != nil {
			interval := m.cfg.FrameInterval
			if interval == 0 {
				interval = 40 * time.Millisecond
			}
			if now := time.Now(); now.Sub(lastFrame) >= interval {
				lastFrame = now
				m.cfg.Frame(m)
			}
		}
		if m.cfg.RealTime {
			virt := time.Duration(m.ticksToNs(c.Ticks() - startTicks))
			if ahead := virt - time.Since(start); ahead > time.Millisecond {
				time.Sleep(ahead)
			}
		}
	}
}

func (m *Machine) where() string {
	return fmt.Sprintf("%04X:%08X", m.CPU.Seg[cpu.CS].Selector, m.CPU.EIP)
}

func (m *Machine) finish(r Result) Result {
	for _, u := range m.COM {
		u.Flush()
	}
	if m.cfg.Frame != nil {
		m.cfg.Frame(m)
	}
	r.Instructions = m.CPU.InstructionCount()
	r.VirtualTime = time.Duration(m.ticksToNs(m.CPU.Ticks()))
	m.exit = nil
	return r
}

// Reset performs a machine reset: the CPU restarts at F000:FFF0. RAM is
// kept, as on a warm reset.
func (m *Machine) Reset() {
	m.CPU.Reset()
	m.Mem.SetA20(true)
}

// ErrNoImage is returned by loaders given an empty image.
var ErrNoImage = errors.New("empty image: the file has no bytes")

// LoadLinux places a bzImage kernel, an optional initrd and a command
// line in memory (Linux boot protocol 2.x); the built-in BIOS runs POST
// and then enters the kernel's real-mode setup code. All validation
// happens here, before the guest starts.
func (m *Machine) LoadLinux(kernel, initrd []byte, cmdline string) error {
	if m.BIOS == nil {
		return errors.New("booting a Linux kernel directly needs the built-in BIOS, not other firmware")
	}
	if _, err := bios.LoadLinux(m.Mem, m.cfg.MemoryBytes, kernel, initrd, cmdline); err != nil {
		return err
	}
	m.reload = func() error {
		lb, err := bios.LoadLinux(m.Mem, m.cfg.MemoryBytes, kernel, initrd, cmdline)
		if err == nil {
			lb.Enter(m.CPU)
		}
		return err
	}
	m.CPU.Reset()
	return nil
}
