// Package cpu implements an IA-32 processor of the Pentium II class: its
// registers and modes, instruction decoding (golang.org/x/arch/x86/x86asm
// behind a per-block cache of our own compact form), the semantics of every
// integer instruction and of the x87 FPU (exact 80-bit arithmetic in
// cpu/float80), lazy arithmetic flags, real, protected and virtual-8086
// modes with paging, exceptions and interrupt delivery, debug registers,
// and the interpreter loop over chained blocks.
//
// Every memory access goes through the mmu package; port I/O goes through
// the Bus interface. The package imports no device: a PIC attaches through
// SetINTR and the InterruptController interface.
//
// The Intel 64 and IA-32 Architectures Software Developer's Manual (SDM)
// is the authority for everything here; comments cite it as "SDM vol. N,
// section".
package cpu

import (
	"github.com/gox86/gox86/mmu"
)

// General register numbers, in instruction-encoding order (SDM vol. 2,
// table 2-2). Byte registers use the same numbers for AL, CL, DL, BL and
// 4-7 for AH, CH, DH, BH.
const (
	EAX = iota
	ECX
	EDX
	EBX
	ESP
	EBP
	ESI
	EDI
	// regNone is an always-zero register used for absent base/index in
	// effective-address arithmetic.
	regNone
)

// Segment register numbers, in encoding order (SDM vol. 2, 3.1.1.3).
const (
	ES = iota
	CS
	SS
	DS
	FS
	GS
	numSegs
)

// EFLAGS bits (SDM vol. 1, 3.4.3).
const (
	FlagCF   = 1 << 0
	flagRes1 = 1 << 1 // reads as 1
	FlagPF   = 1 << 2
	FlagAF   = 1 << 4
	FlagZF   = 1 << 6
	FlagSF   = 1 << 7
	FlagTF   = 1 << 8
	FlagIF   = 1 << 9
	FlagDF   = 1 << 10
	FlagOF   = 1 << 11
	FlagIOPL = 3 << 12
	FlagNT   = 1 << 14
	FlagRF   = 1 << 16
	FlagVM   = 1 << 17
	FlagAC   = 1 << 18
	FlagVIF  = 1 << 19
	FlagVIP  = 1 << 20
	FlagID   = 1 << 21

	// arithFlags are the six status flags the lazy evaluator computes.
	arithFlags = FlagCF | FlagPF | FlagAF | FlagZF | FlagSF | FlagOF
	// writableFlags are the bits software can change on a Pentium II.
	writableFlags = arithFlags | FlagTF | FlagIF | FlagDF | FlagIOPL | FlagNT |
		FlagRF | FlagVM | FlagAC | FlagVIF | FlagVIP | FlagID
)

// CR0 bits (SDM vol. 3, 2.5).
const (
	CR0PE = 1 << 0
	CR0MP = 1 << 1
	CR0EM = 1 << 2
	CR0TS = 1 << 3
	CR0ET = 1 << 4
	CR0NE = 1 << 5
	CR0WP = 1 << 16
	CR0AM = 1 << 18
	CR0NW = 1 << 29
	CR0CD = 1 << 30
	CR0PG = 1 << 31
)

// Bus carries port I/O (IN, OUT, INS, OUTS). Sizes are 1, 2 or 4 bytes.
type Bus interface {
	In(port uint16, size int) uint32
	Out(port uint16, size int, v uint32)
}

// InterruptController is the device on the other end of the INTR pin: on
// an acknowledge cycle it returns the vector to deliver (an 8259A's INTA).
type InterruptController interface {
	Acknowledge() uint8
}

// StopReason says why Run returned.
type StopReason int

const (
	// StopBudget: the instruction budget was used up.
	StopBudget StopReason = iota
	// StopHalt: the CPU executed HLT and waits for an interrupt.
	StopHalt
	// StopShutdown: a triple fault put the CPU in shutdown.
	StopShutdown
	// StopRequested: something called RequestStop.
	StopRequested
	// StopInternalError: the emulator hit a bug; see Err.
	StopInternalError
)

func (r StopReason) String() string {
	switch r {
	case StopBudget:
		return "budget"
	case StopHalt:
		return "halt"
	case StopShutdown:
		return "shutdown"
	case StopRequested:
		return "stop requested"
	case StopInternalError:
		return "internal error"
	}
	return "unknown"
}

// CPU is one IA-32 processor.
type CPU struct {
	// R holds the general registers in encoding order; R[regNone] is
	// always 0.
	R   [9]uint32
	EIP uint32
	// prevEIP is the EIP of the instruction being executed (its first
	// prefix byte): faults restore it.
	prevEIP uint32

	// flags holds EFLAGS; its arithmetic bits are stale while lf.op is
	// not ccNone.
	flags uint32
	lf    lazyFlags

	Seg  [numSegs]Segment
	LDTR Segment
	TR   Segment
	GDTR DescriptorTable
	IDTR DescriptorTable

	CR0, CR2, CR3, CR4 uint32
	DR                 [8]uint32

	// cpl is the current privilege level.
	cpl uint8
	// code32 is CS.D: the default operand and address size is 32.
	code32 bool
	// stackMask is 0xFFFF or 0xFFFFFFFF per SS.B.
	stackMask uint32

	mmu     *mmu.MMU
	mem     *mmu.Memory
	backing []byte
	// tlbSet is the TLB set for the current privilege (user at CPL 3).
	tlbSet *[mmu.TLBSize]mmu.TLBEntry

	bus Bus
	pic InterruptController

	// Instructions retired since reset (each REP iteration counts as one).
	icount uint64
	// runEnd is the tick at which the current Run must stop.
	runEnd uint64
	// idle counts the instruction times skipped while halted; virtual time
	// is measured in ticks = icount + idle.
	idle uint64

	halted     bool
	shutdown   bool
	intr       bool // INTR pin level
	nmiPending bool
	nmiBlocked bool // an NMI handler is running (until IRET)
	// extDelivery is set while an external event or exception is being
	// delivered: faults raised meanwhile carry EXT in their error code.
	extDelivery bool
	stopReq     bool
	inhibitIRQ  bool // interrupt shadow after STI / MOV SS / POP SS
	shadowFresh bool // the instruction just executed started the shadow
	shadowDB    bool // the shadow also holds back debug traps (MOV/POP SS)
	stopBlock   bool // leave the current block after this instruction

	// rep state is kept across iterations of interrupted string ops.
	fault faultState
	dbl   exceptionNesting

	blocks blockCache

	// Err describes the internal error when Run returns StopInternalError.
	Err error
	// ShutdownInfo describes the fault chain that caused a shutdown.
	ShutdownInfo string

	// Tracer, when set, is called around every instruction.
	Tracer Tracer

	// msr and model-specific state.
	tscOffset uint64
	sysenter  [3]uint32 // SYSENTER_CS, _ESP, _EIP

	// Breakpoint state (debug.go): bpExec/bpData say which kinds are
	// armed, dbHits collects data-breakpoint hits of the current
	// instruction, pendingDB requests a #DB trap after it (task-switch T
	// bit), missTLB is the always-missing TLB set used while bpData.
	bpExec, bpData bool
	alignCheck     bool // #AC checks armed (CR0.AM, EFLAGS.AC, CPL 3)
	dbHits         uint32
	pendingDB      bool
	missTLB        *[mmu.TLBSize]mmu.TLBEntry

	// fpu is the x87 unit; fpuPresent says whether software sees it.
	fpuPresent bool
	fpu        fpuState

	// Hooks lets the machine intercept trap instructions (BIOS calls).
	Hooks Hooks

	// TSCPerInsn scales ticks to TSC counts.
	TSCPerInsn uint64
	// IOCost is the virtual time, in ticks, a port access takes (an ISA
	// bus cycle is about a microsecond). Guests rely on it: Linux waits
	// for a PIT count to load by reading the counter once.
	IOCost uint64
}

// Hooks are optional callbacks the machine installs.
type Hooks struct {
	// Trap, when non-nil, is offered INT n instructions before the IVT/IDT
	// is consulted; returning true means the call was handled.
	Trap func(c *CPU, vector uint8) bool
	// Exception, when non-nil, is told of every processor exception as
	// its delivery starts (for tracing and test harnesses).
	Exception func(c *CPU, vector uint8, errorCode uint32)
	// FirmwareCall, when non-nil, is the built-in firmware's entry from
	// its ROM: the 4-byte sequence 0F 0B id16 (UD2 and a service number)
	// executed from physical addresses in [FirmwareLo, FirmwareHi) calls
	// it instead of raising #UD. EIP already points past the sequence.
	FirmwareCall           func(c *CPU, service uint16)
	FirmwareLo, FirmwareHi uint32
	// FERR, when non-nil, follows the x87 FERR# output, which a PC routes
	// to IRQ 13 for legacy (CR0.NE = 0) error reporting.
	FERR func(asserted bool)
}

// Tracer observes instructions for debugging (gox86 run --trace).
type Tracer interface {
	// Before is called with the CPU about to execute the instruction
	// whose bytes are given, at CS:EIP.
	Before(c *CPU, raw []byte)
	// After is called once the instruction retired or faulted.
	After(c *CPU)
}

// Config configures a CPU.
type Config struct {
	Memory *mmu.Memory
	Bus    Bus
	// FPU reports an x87 unit to software (CR0.ET, CPUID.FPU).
	FPU bool
}

// New returns a CPU in its power-on state (SDM vol. 3, 9.1.1): real mode,
// CS:EIP = F000:FFF0 with CS base FFFF0000.
func New(cfg Config) *CPU {
	c := &CPU{
		mem:        cfg.Memory,
		bus:        cfg.Bus,
		fpuPresent: cfg.FPU,
		TSCPerInsn: 1,
	}
	c.mmu = mmu.New(cfg.Memory)
	c.mem.OnCodeWrite = c.codeWritten
	c.blocks.init(cfg.Memory)
	c.Reset()
	return c
}

// MMU returns the CPU's address translation unit.
func (c *CPU) MMU() *mmu.MMU { return c.mmu }

// Memory returns the physical address space.
func (c *CPU) Memory() *mmu.Memory { return c.mem }

// Reset puts the CPU in its power-on/RESET state (SDM vol. 3, table 9-1).
func (c *CPU) Reset() {
	c.R = [9]uint32{}
	c.R[EDX] = 0x0633 // family 6, model 3, stepping 3: a Pentium II (Klamath)
	c.flags = flagRes1
	c.lf = lazyFlags{}
	c.EIP = 0xFFF0
	c.CR0 = CR0CD | CR0NW | CR0ET
	if !c.fpuPresent {
		c.CR0 &^= CR0ET
	}
	c.CR2, c.CR3, c.CR4 = 0, 0, 0
	c.DR = [8]uint32{}
	c.DR[6] = 0xFFFF0FF0
	c.DR[7] = 0x400
	c.debugRegsChanged()
	for s := range c.Seg {
		c.Seg[s] = realSegment(0)
	}
	c.Seg[CS] = realSegment(0xF000)
	c.Seg[CS].Base = 0xFFFF0000
	c.GDTR = DescriptorTable{Limit: 0xFFFF}
	c.IDTR = DescriptorTable{Limit: 0xFFFF}
	c.LDTR = realSegment(0)
	c.TR = realSegment(0)
	c.TR.Attr = attrPresent | 0xB // busy 32-bit TSS, as after reset
	c.halted, c.shutdown, c.stopReq, c.inhibitIRQ, c.nmiPending = false, false, false, false, false
	c.nmiBlocked, c.extDelivery = false, false
	c.dbl = exceptionNesting{}
	c.ShutdownInfo = ""
	c.sysenter = [3]uint32{}
	c.resetFPU()
	c.mmu.SetControl(c.CR0, c.CR3, c.CR4)
	c.modeChanged()
	c.blocks.flush()
}

// modeChanged recomputes cached mode state after CR0, CS, SS, EFLAGS.VM
// or CPL change.
func (c *CPU) modeChanged() {
	// Block links assume an unchanged CS and mode.
	c.mmu.TLB.Epoch++
	c.code32 = c.Seg[CS].Attr&attrDB != 0 && c.protected() && !c.v86()
	if c.Seg[SS].Attr&attrDB != 0 && c.protected() && !c.v86() {
		c.stackMask = 0xFFFFFFFF
	} else {
		c.stackMask = 0xFFFF
	}
	c.selectTLB()
}

// protected reports CR0.PE.
func (c *CPU) protected() bool { return c.CR0&CR0PE != 0 }

// v86 reports EFLAGS.VM in protected mode.
func (c *CPU) v86() bool { return c.flags&FlagVM != 0 }

// CPL is the current privilege level.
func (c *CPU) CPL() uint8 { return c.cpl }

// Code32 reports whether the current code segment defaults to 32-bit.
func (c *CPU) Code32() bool { return c.code32 }

// InstructionCount is the number of instructions retired since reset.
func (c *CPU) InstructionCount() uint64 { return c.icount }

// Ticks is the CPU's virtual time: retired instructions plus the
// instruction times skipped while halted. The machine's clock and the TSC
// both follow it.
func (c *CPU) Ticks() uint64 { return c.icount + c.idle }

// SkipTicks advances virtual time by n instruction times without
// executing anything (HLT waiting for the next device deadline).
func (c *CPU) SkipTicks(n uint64) { c.idle += n }

// Halted reports whether the CPU is waiting in HLT.
func (c *CPU) Halted() bool { return c.halted }

// Shutdown reports whether the CPU is in the shutdown state after a triple
// fault.
func (c *CPU) Shutdown() bool { return c.shutdown }

// SetINTR drives the INTR pin. While it is high and EFLAGS.IF is set, the
// CPU acknowledges the controller at the next instruction boundary.
func (c *CPU) SetINTR(level bool) { c.intr = level }

// SetInterruptController attaches the device answering INTA cycles.
func (c *CPU) SetInterruptController(p InterruptController) { c.pic = p }

// RaiseNMI latches a non-maskable interrupt (vector 2).
func (c *CPU) RaiseNMI() { c.nmiPending = true }

// RequestStop makes Run return StopRequested at the next instruction
// boundary. Devices call it (for example the debug-exit port).
func (c *CPU) RequestStop() { c.stopReq = true }

// SetBus replaces the port I/O bus.
func (c *CPU) SetBus(b Bus) { c.bus = b }

// Reg returns the 32-bit general register r (EAX..EDI).
func (c *CPU) Reg(r int) uint32 { return c.R[r] }

// SetReg sets the 32-bit general register r.
func (c *CPU) SetReg(r int, v uint32) { c.R[r] = v }

// Flags returns EFLAGS with the lazily evaluated bits computed.
func (c *CPU) Flags() uint32 { return c.eflags() }

// SetFlags loads EFLAGS as a debugger would, without privilege checks.
// Reserved bits are forced to their fixed values.
func (c *CPU) SetFlags(v uint32) {
	c.setEflagsRaw(v&writableFlags | flagRes1)
	c.modeChanged()
}

// SetRealSegment loads segment register s with selector sel the way a
// real-mode load does: base = sel×16, limit and attributes unchanged.
func (c *CPU) SetRealSegment(s int, sel uint16) {
	c.Seg[s].Selector = sel
	c.Seg[s].Base = uint32(sel) << 4
	c.modeChanged()
}

// SetSegment installs a full hidden descriptor cache (for loaders that
// enter protected mode directly, such as the multiboot loader).
func (c *CPU) SetSegment(s int, seg Segment) {
	seg.refresh()
	c.Seg[s] = seg
	if s == CS {
		c.cpl = uint8(seg.Attr>>attrDPLShift) & 3
	}
	c.modeChanged()
}

// SetControlRegisters installs CR0, CR3 and CR4 as a loader would and
// updates the MMU.
func (c *CPU) SetControlRegisters(cr0, cr3, cr4 uint32) {
	c.CR0, c.CR3, c.CR4 = cr0|CR0ET, cr3, cr4
	if !c.fpuPresent {
		c.CR0 &^= CR0ET
	}
	c.mmu.SetControl(c.CR0, c.CR3, c.CR4)
	c.modeChanged()
}

// Wake leaves the halted and shutdown states and drops any interrupt
// shadow, as loading a fresh architectural state does.
func (c *CPU) Wake() {
	c.halted, c.shutdown, c.inhibitIRQ = false, false, false
	c.dbl.active = false
}
