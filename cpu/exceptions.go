package cpu

import "fmt"

// Exception vectors (SDM vol. 3, table 6-1).
const (
	excDE  = 0  // divide error
	excDB  = 1  // debug
	excNMI = 2  // non-maskable interrupt
	excBP  = 3  // breakpoint (INT3)
	excOF  = 4  // overflow (INTO)
	excBR  = 5  // BOUND range exceeded
	excUD  = 6  // invalid opcode
	excNM  = 7  // device not available
	excDF  = 8  // double fault
	excTS  = 10 // invalid TSS
	excNP  = 11 // segment not present
	excSS  = 12 // stack-segment fault
	excGP  = 13 // general protection
	excPF  = 14 // page fault
	excMF  = 16 // x87 floating-point error
	excAC  = 17 // alignment check
	excMC  = 18 // machine check
	excXM  = 19 // SIMD floating-point
)

var excNames = [...]string{"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM"}

// ExceptionName is the mnemonic of vector v ("#GP"), or its number.
func ExceptionName(v uint8) string {
	if int(v) < len(excNames) {
		return excNames[v]
	}
	return fmt.Sprintf("INT %02Xh", v)
}

// hasErrorCode reports whether exception v pushes an error code in
// protected mode (SDM vol. 3, table 6-1).
func hasErrorCode(v uint8) bool {
	switch v {
	case excDF, excTS, excNP, excSS, excGP, excPF, excAC:
		return true
	}
	return false
}

// faultState is the exception being raised; raise panics with a pointer
// to the CPU's own copy so raising never allocates.
type faultState struct {
	vector  uint8
	code    uint32
	hasCode bool
}

// raise signals a fault: the current instruction is abandoned and the
// exception is delivered with EIP pointing at it.
func (c *CPU) raise(vector uint8, code uint32) {
	if c.extDelivery && (vector == excTS || vector == excNP || vector == excSS || vector == excGP) {
		code |= errorCodeExt // SDM vol. 3, 6.13: EXT
	}
	c.fault = faultState{vector: vector, code: code, hasCode: hasErrorCode(vector)}
	panic(&c.fault)
}

// pageFault raises #PF for linear address lin (SDM vol. 3, 4.7).
func (c *CPU) pageFault(lin, code uint32) {
	c.CR2 = lin
	c.raise(excPF, code)
}

// opGP0 raises #GP(0) (instructions longer than 15 bytes).
func opGP0(c *CPU, i *Inst) { c.raise(excGP, 0) }

// opUD raises #UD.
func opUD(c *CPU, i *Inst) { c.raise(excUD, 0) }

// Exception classes for double-fault detection (SDM vol. 3, table 6-4).
type excClass int

const (
	classBenign excClass = iota
	classContributory
	classPageFault
)

func classOf(v uint8) excClass {
	switch v {
	case excDE, excTS, excNP, excSS, excGP:
		return classContributory
	case excPF:
		return classPageFault
	}
	return classBenign
}

// escalates reports whether a second exception during delivery of the
// first becomes a double fault (SDM vol. 3, table 6-5).
func escalates(first, second uint8) bool {
	a, b := classOf(first), classOf(second)
	switch a {
	case classContributory:
		return b == classContributory
	case classPageFault:
		return b == classContributory || b == classPageFault
	}
	return false
}

// snapshot is the architectural state restored when exception delivery
// itself faults, so the next attempt starts from the faulting instruction.
type snapshot struct {
	r         [9]uint32
	eip       uint32
	flags     uint32
	seg       [numSegs]Segment
	cpl       uint8
	tr        Segment
	ldtr      Segment
	cr0, cr3  uint32
	prevEIP   uint32
	inhibit   bool
	dr6, dr7  uint32
	stackMask uint32
}

func (c *CPU) takeSnapshot(s *snapshot) {
	*s = snapshot{r: c.R, eip: c.EIP, flags: c.eflags(), seg: c.Seg, cpl: c.cpl, tr: c.TR,
		ldtr: c.LDTR, cr0: c.CR0, cr3: c.CR3, prevEIP: c.prevEIP}
}

func (c *CPU) restoreSnapshot(s *snapshot) {
	c.R, c.EIP, c.Seg, c.cpl, c.TR, c.LDTR, c.prevEIP = s.r, s.eip, s.seg, s.cpl, s.tr, s.ldtr, s.prevEIP
	c.setEflagsRaw(s.flags)
	if c.CR0 != s.cr0 || c.CR3 != s.cr3 {
		c.CR0, c.CR3 = s.cr0, s.cr3
		c.mmu.SetControl(c.CR0, c.CR3, c.CR4)
	}
	c.modeChanged()
}

// exceptionNesting tracks an exception whose delivery is in progress.
type exceptionNesting struct {
	active bool
	vector uint8
	chain  []string
	snap   snapshot
}

// deliverFault delivers a fault raised by an instruction (EIP already
// points at it), applying the double- and triple-fault rules when the
// delivery of one exception raises another.
func (c *CPU) deliverFault(f faultState) {
	d := &c.dbl
	if d.active {
		c.restoreSnapshot(&d.snap)
		d.chain = append(d.chain, faultString(f))
		if d.vector == excDF {
			c.enterShutdown()
			return
		}
		if escalates(d.vector, f.vector) {
			f = faultState{vector: excDF, code: 0, hasCode: true}
			d.chain = append(d.chain, "#DF")
		}
	} else {
		c.takeSnapshot(&d.snap)
		d.chain = append(d.chain[:0], faultString(f))
	}
	d.active = true
	d.vector = f.vector
	if c.Hooks.Exception != nil {
		c.Hooks.Exception(c, f.vector, f.code)
	}
	if f.vector != excDB {
		// Faults push EFLAGS with RF set, so the restarted instruction
		// does not re-trigger an instruction breakpoint; instruction
		// breakpoints themselves push RF as it was (SDM vol. 3, 18.3.1.1).
		c.materialize()
		c.flags |= FlagRF
	}
	c.interrupt(f.vector, intException, f.code, f.hasCode)
	d.active = false
}

func faultString(f faultState) string {
	if f.hasCode {
		return fmt.Sprintf("%s(%04X)", ExceptionName(f.vector), f.code)
	}
	return ExceptionName(f.vector)
}

// enterShutdown stops the CPU after a triple fault (SDM vol. 3, 6.15,
// interrupt 8): it records the fault chain and the instruction that
// started it.
func (c *CPU) enterShutdown() {
	d := &c.dbl
	d.active = false
	c.shutdown = true
	chain := ""
	for k, s := range d.chain {
		if k > 0 {
			chain += " -> "
		}
		chain += s
	}
	c.ShutdownInfo = fmt.Sprintf("triple fault (%s) at %04X:%08X", chain, c.Seg[CS].Selector, c.EIP)
}

// deliverTrap delivers an exception that follows a completed instruction
// (single-step #DB): the saved EIP is the next instruction.
func (c *CPU) deliverTrap(vector uint8) {
	c.prevEIP = c.EIP
	d := &c.dbl
	c.takeSnapshot(&d.snap)
	d.chain = append(d.chain[:0], ExceptionName(vector))
	d.active = true
	d.vector = vector
	c.interrupt(vector, intException, 0, false)
	d.active = false
}

// Interrupt sources, which differ in privilege checks and error codes.
type intKind uint8

const (
	intHardware  intKind = iota // INTR or NMI
	intException                // processor-detected exception
	intSoftware                 // INT n, INT3, INTO: gate DPL is checked
	intICEBP                    // INT1 (F1): no DPL check
)

// interrupt transfers control through the IVT or IDT to the handler for
// vector, with EIP already set to the return address.
func (c *CPU) interrupt(vector uint8, kind intKind, code uint32, hasCode bool) {
	c.halted = false
	c.inhibitIRQ = false
	c.extDelivery = kind == intHardware || kind == intException
	if !c.protected() {
		c.realInterrupt(vector)
	} else {
		c.protectedInterrupt(vector, kind, code, hasCode)
	}
	c.extDelivery = false
}

// realInterrupt delivers an interrupt in real-address mode (SDM vol. 3,
// 20.1.4; INT n pseudo-code, REAL-ADDRESS-MODE): push FLAGS, CS, IP,
// clear IF, TF and AC, and jump through the IVT entry at IDTR.base+4n.
func (c *CPU) realInterrupt(vector uint8) {
	off := uint32(vector) * 4
	if off+3 > uint32(c.IDTR.Limit) {
		c.raise(excGP, 0)
	}
	flags := c.eflags()
	c.push16(uint16(flags))
	c.push16(c.Seg[CS].Selector)
	c.push16(uint16(c.EIP))
	ip := c.readSys(c.IDTR.Base+off, 2)
	cs := c.readSys(c.IDTR.Base+off+2, 2)
	c.flags &^= FlagIF | FlagTF | FlagAC | FlagRF
	c.loadCSReal(uint16(cs))
	c.EIP = ip
}

// loadCSReal loads CS in real or virtual-8086 mode.
func (c *CPU) loadCSReal(sel uint16) { c.loadSegReal(CS, sel) }

// loadSegReal loads a segment register in real-address or virtual-8086
// mode: the base becomes selector×16. In real mode the limit and the D/B,
// G bits are kept (so "big real mode" works, as on hardware); in
// virtual-8086 mode the cache becomes a 64 KiB DPL-3 read/write data
// segment (SDM vol. 3, 20.1.1 and 20.2.1).
func (c *CPU) loadSegReal(s int, sel uint16) {
	sg := &c.Seg[s]
	sg.Selector = sel
	sg.Base = uint32(sel) << 4
	if c.v86() {
		sg.Limit = 0xFFFF
		sg.Attr = attrV86Data
	} else {
		sg.Attr = sg.Attr&(attrDB|attrG|attrAVL|attrDPL) | attrRealData
	}
	sg.refresh()
}
