package cpu

// System instructions (SDM vol. 2 and vol. 3, chapter 2).

// requireCPL0 raises #GP(0) unless running at privilege 0 outside
// virtual-8086 mode (real mode counts as CPL 0).
func (c *CPU) requireCPL0() {
	if c.v86() || (c.protected() && c.cpl != 0) {
		c.raise(excGP, 0)
	}
}

// requireProtected raises #UD in real-address and virtual-8086 mode, for
// the instructions that are not recognised there (LLDT, LTR, LAR, ...).
func (c *CPU) requireProtected() {
	if !c.protected() || c.v86() {
		c.raise(excUD, 0)
	}
}

// opDescTable: LGDT (0), LIDT (1), SGDT (2), SIDT (3). A 16-bit LGDT/LIDT
// loads a 24-bit base (SDM vol. 2, LGDT/LIDT).
func opDescTable(c *CPU, i *Inst) {
	off := c.ea(i)
	s := int(i.seg)
	next := func(k uint32) uint32 {
		a := off + k
		if !i.a32 {
			a &= 0xFFFF
		}
		return a
	}
	switch i.op {
	case 0, 1:
		c.requireCPL0()
		limit := c.read16(s, off)
		base := c.read32(s, next(2))
		if i.size == 2 {
			base &= 0xFFFFFF
		}
		t := &c.GDTR
		if i.op == 1 {
			t = &c.IDTR
		}
		t.Limit, t.Base = limit, base
	default:
		t := c.GDTR
		if i.op == 3 {
			t = c.IDTR
		}
		// Check both parts are writable before storing either.
		c.checkWrite(s, off, 2)
		c.checkWrite(s, next(2), 4)
		c.write16(s, off, t.Limit)
		c.write32(s, next(2), t.Base)
	}
}

// opGroup6Load: LLDT (0), LTR (1), VERR (2), VERW (3).
func opGroup6Load(c *CPU, i *Inst) {
	c.requireProtected()
	sel := uint16(c.readESize(i, 2))
	switch i.op {
	case 0:
		c.requireCPL0()
		c.loadLDT(sel)
	case 1:
		c.requireCPL0()
		c.loadTR(sel)
	case 2:
		c.setFlagBits(FlagZF, c.verify(sel, false))
	case 3:
		c.setFlagBits(FlagZF, c.verify(sel, true))
	}
}

// opStoreSysReg: SLDT (0), STR (1), SMSW (2). A register destination with
// 32-bit operand size gets the value zero-extended (SMSW: the whole CR0
// low word and upper bits as on P6).
func opStoreSysReg(c *CPU, i *Inst) {
	var v uint32
	switch i.op {
	case 0:
		c.requireProtected()
		v = uint32(c.LDTR.Selector)
	case 1:
		c.requireProtected()
		v = uint32(c.TR.Selector)
	default:
		v = c.CR0
		if i.size == 2 || i.mem {
			v &= 0xFFFF
		}
	}
	if i.mem {
		c.write16(int(i.seg), c.ea(i), uint16(v))
		return
	}
	c.setReg(i.rm, i.size, v)
}

// opLMSW loads CR0 bits 0-3; it can set PE but never clear it (SDM vol.
// 2, LMSW).
func opLMSW(c *CPU, i *Inst) {
	c.requireCPL0()
	v := c.readESize(i, 2) & 0xF
	cr0 := c.CR0&^0xE | v&0xE | c.CR0&CR0PE | v&CR0PE
	c.writeCR0(cr0)
}

func opCLTS(c *CPU, i *Inst) {
	c.requireCPL0()
	c.CR0 &^= CR0TS
}

func opINVLPG(c *CPU, i *Inst) {
	c.requireCPL0()
	off := c.ea(i)
	c.mmu.Invalidate(c.Seg[i.seg].Base + off)
}

func opWBINVD(c *CPU, i *Inst) { c.requireCPL0() }

// opMOVToCR: MOV CRn, r32.
func opMOVToCR(c *CPU, i *Inst) {
	c.requireCPL0()
	v := c.R[i.rm]
	switch i.op {
	case 0:
		c.writeCR0(v)
	case 2:
		c.CR2 = v
	case 3:
		c.CR3 = v & 0xFFFFF018
		c.mmu.FlushCR3(c.CR3)
	case 4:
		if v&^cr4Supported != 0 {
			c.raise(excGP, 0)
		}
		c.CR4 = v
		c.mmu.SetControl(c.CR0, c.CR3, c.CR4)
	default:
		c.raise(excUD, 0)
	}
}

// CR4 bits this CPU implements: DE is not, VME/PVI are not, PSE, PGE, TSD
// and PCE are.
const (
	CR4TSD       = 1 << 2
	CR4PSE       = 1 << 4
	CR4PGE       = 1 << 7
	CR4PCE       = 1 << 8
	cr4Supported = CR4TSD | CR4PSE | CR4PGE | CR4PCE
)

// writeCR0 installs a new CR0 with the SDM's consistency checks (vol. 3,
// 2.5): PG without PE, or NW without CD, is #GP(0).
func (c *CPU) writeCR0(v uint32) {
	v |= CR0ET
	if !c.fpuPresent {
		v &^= CR0ET
	}
	if v&CR0PG != 0 && v&CR0PE == 0 {
		c.raise(excGP, 0)
	}
	if v&CR0NW != 0 && v&CR0CD == 0 {
		c.raise(excGP, 0)
	}
	old := c.CR0
	c.CR0 = v
	c.mmu.SetControl(c.CR0, c.CR3, c.CR4)
	if (old^v)&(CR0PE|CR0PG) != 0 {
		if v&CR0PE == 0 {
			c.cpl = 0
		}
		c.modeChanged()
	}
}

// opMOVFromCR: MOV r32, CRn.
func opMOVFromCR(c *CPU, i *Inst) {
	c.requireCPL0()
	var v uint32
	switch i.op {
	case 0:
		v = c.CR0
	case 2:
		v = c.CR2
	case 3:
		v = c.CR3
	case 4:
		v = c.CR4
	default:
		c.raise(excUD, 0)
	}
	c.R[i.rm] = v
}

// opMOVToDR / opMOVFromDR: debug registers; DR4/DR5 alias DR6/DR7 when
// CR4.DE is clear (SDM vol. 3, 17.2.2).
func opMOVToDR(c *CPU, i *Inst) {
	c.requireCPL0()
	c.checkGeneralDetect()
	n := i.op
	if n == 4 || n == 5 {
		n += 2
	}
	v := c.R[i.rm]
	switch n {
	case 6:
		v = v&0xE00F | 0xFFFF0FF0
	case 7:
		v = v&^0xD800 | 0x400
	}
	c.DR[n] = v
	c.debugRegsChanged()
}

func opMOVFromDR(c *CPU, i *Inst) {
	c.requireCPL0()
	c.checkGeneralDetect()
	n := i.op
	if n == 4 || n == 5 {
		n += 2
	}
	c.R[i.rm] = c.DR[n]
}

// CPUID feature bits advertised in leaf 1 EDX (SDM vol. 2, CPUID). Only
// features this CPU implements are listed.
const (
	cpuidFPU   = 1 << 0
	cpuidPSE   = 1 << 3
	cpuidTSC   = 1 << 4
	cpuidMSR   = 1 << 5
	cpuidCX8   = 1 << 8
	cpuidSEP   = 1 << 11
	cpuidPGE   = 1 << 13
	cpuidCMOV  = 1 << 15
	cpuFeature = cpuidPSE | cpuidTSC | cpuidMSR | cpuidCX8 | cpuidSEP | cpuidPGE | cpuidCMOV
)

// Signature is the family/model/stepping reported in EAX of CPUID leaf 1
// and in EDX at reset: family 6, model 3, stepping 3 (Pentium II).
const Signature = 0x0633

// opCPUID reports a GenuineIntel Pentium II.
func opCPUID(c *CPU, i *Inst) {
	switch c.R[EAX] {
	case 0:
		c.R[EAX] = 2
		c.R[EBX] = 0x756E6547 // "Genu"
		c.R[EDX] = 0x49656E69 // "ineI"
		c.R[ECX] = 0x6C65746E // "ntel"
	case 1:
		c.R[EAX] = Signature
		c.R[EBX] = 0
		c.R[ECX] = 0
		f := uint32(cpuFeature)
		if c.fpuPresent {
			f |= cpuidFPU
		}
		c.R[EDX] = f
	case 2:
		// Cache and TLB descriptors of a 512 KiB L2 Pentium II.
		c.R[EAX] = 0x03020101
		c.R[EBX] = 0
		c.R[ECX] = 0
		c.R[EDX] = 0x0C040843
	default:
		// Leaves above the maximum return the highest basic leaf's data
		// (SDM vol. 2, CPUID).
		c.R[EAX] = 0x03020101
		c.R[EBX] = 0
		c.R[ECX] = 0
		c.R[EDX] = 0x0C040843
	}
}

// TSC returns the time-stamp counter: virtual ticks scaled by TSCPerInsn,
// plus the offset written through MSR 0x10.
func (c *CPU) TSC() uint64 { return c.Ticks()*c.TSCPerInsn + c.tscOffset }

// opRDTSC: CR4.TSD restricts it to CPL 0 (SDM vol. 2, RDTSC).
func opRDTSC(c *CPU, i *Inst) {
	if c.CR4&CR4TSD != 0 && c.protected() && c.cpl != 0 {
		c.raise(excGP, 0)
	}
	t := c.TSC()
	c.R[EAX], c.R[EDX] = uint32(t), uint32(t>>32)
}

// opRDPMC: the two P6 performance counters are not modelled as counting
// and read 0; an index other than 0 or 1 is #GP(0).
func opRDPMC(c *CPU, i *Inst) {
	if c.CR4&CR4PCE == 0 && (c.v86() || c.protected() && c.cpl != 0) {
		c.raise(excGP, 0)
	}
	if c.R[ECX] > 1 {
		c.raise(excGP, 0)
	}
	c.R[EAX], c.R[EDX] = 0, 0
}

// MSR numbers (SDM vol. 4).
const (
	msrTSC         = 0x10
	msrSysenterCS  = 0x174
	msrSysenterESP = 0x175
	msrSysenterEIP = 0x176
)

func opRDMSR(c *CPU, i *Inst) {
	c.requireCPL0()
	var v uint64
	switch c.R[ECX] {
	case msrTSC:
		v = c.TSC()
	case msrSysenterCS, msrSysenterESP, msrSysenterEIP:
		v = uint64(c.sysenter[c.R[ECX]-msrSysenterCS])
	default:
		c.raise(excGP, 0)
	}
	c.R[EAX], c.R[EDX] = uint32(v), uint32(v>>32)
}

func opWRMSR(c *CPU, i *Inst) {
	c.requireCPL0()
	v := uint64(c.R[EDX])<<32 | uint64(c.R[EAX])
	switch c.R[ECX] {
	case msrTSC:
		c.tscOffset = v - c.Ticks()*c.TSCPerInsn
	case msrSysenterCS, msrSysenterESP, msrSysenterEIP:
		c.sysenter[c.R[ECX]-msrSysenterCS] = uint32(v)
	default:
		c.raise(excGP, 0)
	}
}
