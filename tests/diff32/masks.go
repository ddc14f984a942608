package diff32

// Undefined flags, from the "Flags Affected" section of each instruction
// in the SDM vol. 2 instruction-set reference. A flag listed here is not
// compared; every other status flag (and DF) is, including flags the SDM
// says are "not affected", which must keep their initial value.
const (
	// SDM vol. 2, AND / OR / XOR / TEST, "Flags Affected": "The OF and
	// CF flags are cleared; the SF, ZF, and PF flags are set according
	// to the result. The state of the AF flag is undefined."
	undefLogic = fAF

	// SDM vol. 2, MUL and IMUL, "Flags Affected": "The SF, ZF, AF, and
	// PF flags are undefined." (CF and OF are defined.)
	undefMul = fSF | fZF | fAF | fPF

	// SDM vol. 2, DIV and IDIV, "Flags Affected": "The CF, OF, SF, ZF,
	// AF, and PF flags are undefined."
	undefDiv = statusFlags

	// SDM vol. 2, BT / BTS / BTR / BTC, "Flags Affected": "The CF flag
	// contains the value of the selected bit. The ZF flag is unaffected.
	// The OF, SF, AF, and PF flags are undefined."
	undefBT = fOF | fSF | fAF | fPF

	// SDM vol. 2, BSF and BSR, "Flags Affected": "The ZF flag is set to
	// 1 if the source operand is 0; otherwise, the ZF flag is cleared.
	// The CF, OF, SF, AF, and PF flags are undefined." The destination
	// is undefined for a zero source ("If the content of the source
	// operand is 0, the content of the destination operand is
	// undefined"): see genBitScan.
	undefBitScan = fCF | fOF | fSF | fAF | fPF

	// SDM vol. 2, AAA and AAS, "Flags Affected": "The AF and CF flags
	// are set to 1 if the adjustment results in a decimal carry [AAS:
	// borrow]; otherwise they are set to 0. The OF, SF, ZF, and PF flags
	// are undefined."
	undefAAA = fOF | fSF | fZF | fPF

	// SDM vol. 2, AAM and AAD, "Flags Affected": "The SF, ZF, and PF
	// flags are set according to the resulting binary value in the AL
	// register. The OF, AF, and CF flags are undefined."
	undefAAM = fOF | fAF | fCF

	// SDM vol. 2, DAA and DAS, "Flags Affected": "The CF and AF flags
	// are set if the adjustment of the value results in a decimal carry
	// [DAS: borrow] in either digit of the result. The SF, ZF, and PF
	// flags are set according to the result. The OF flag is undefined."
	undefDAA = fOF
)

// undefShift is the undefined-flag mask of SAL/SHL/SHR/SAR with count
// (the raw count: the processor masks it to 5 bits for 32-bit operands).
//
// SDM vol. 2, SAL/SAR/SHL/SHR, "Flags Affected": "The CF flag contains
// the value of the last bit shifted out of the destination operand; it is
// undefined for SHL and SHR instructions where the count is greater than
// or equal to the size (in bits) of the destination operand. The OF flag
// is affected only for 1-bit shifts; otherwise, it is undefined. The SF,
// ZF, and PF flags are set according to the result. If the count is 0,
// the flags are not affected. For a non-zero count, the AF flag is
// undefined." With a 32-bit operand the masked count is at most 31, so CF
// is always defined.
func undefShift(count uint8) uint32 {
	switch count & 0x1F {
	case 0:
		return 0
	case 1:
		return fAF
	}
	return fAF | fOF
}

// undefRotate is the undefined-flag mask of ROL/ROR/RCL/RCR with count.
//
// SDM vol. 2, RCL/RCR/ROL/ROR, "Flags Affected": "If the masked count is
// 0, the flags are not affected. If the masked count is 1, then the OF
// flag is affected, otherwise (masked count is greater than 1) the OF
// flag is undefined. The CF flag is affected when the masked count is
// non-zero. The SF, ZF, AF, and PF flags are always unaffected." For
// 32-bit operands the RCL/RCR count is COUNT AND 1FH (no MOD 33).
func undefRotate(count uint8) uint32 {
	if c := count & 0x1F; c == 0 || c == 1 {
		return 0
	}
	return fOF
}

// undefShiftDouble is the undefined-flag mask of SHLD/SHRD with count.
//
// SDM vol. 2, SHLD and SHRD, "Flags Affected": "If the count is 1 or
// greater, the CF flag is filled with the last bit shifted out of the
// destination operand and the SF, ZF, and PF flags are set according to
// the value of the result. For a 1-bit shift, the OF flag is set if a
// sign change occurred; otherwise, it is cleared. For shifts greater than
// 1 bit, the OF flag is undefined. If a shift occurs, the AF flag is
// undefined. If the count operand is 0, the flags are not affected. If
// the count is greater than the operand size, the flags are undefined."
// The count is masked to 5 bits first, so it never exceeds 31.
func undefShiftDouble(count uint8) uint32 {
	switch count & 0x1F {
	case 0:
		return 0
	case 1:
		return fAF
	}
	return fAF | fOF
}

// qemuException records a case where qemu-i386's result contradicts the
// SDM. The SDM wins: matching cases are not compared (and are counted as
// excepted in the report).
type qemuException struct {
	// Form is the form name the exception applies to.
	Form string
	// Match selects the affected cases.
	Match func(c *Case) bool
	// Note says what qemu does and what the SDM says.
	Note string
}

// qemuExceptions is the list of known qemu deviations from the SDM
// (qemu-i386 7.2 as packaged by Debian 12). It is empty: every result
// qemu gave for the generated cases agreed with the SDM's pseudocode for
// the defined flags and registers.
var qemuExceptions = []qemuException{}

// qemuAvoided lists qemu deviations from the SDM that the generator
// steers around because qemu cannot run the affected cases at all.
var qemuAvoided = []struct{ Form, Note string }{
	{"CMPXCHG8B_m64", "qemu-i386 7.2's inline CMPXCHG8B loses the lazily computed flags " +
		"of the previous instruction: when an ADD/ADC/SUB/SBB/CMP/NEG result is still " +
		"pending, the EFLAGS it leaves are wrong in the bits the SDM says are unaffected " +
		"(\"The ZF flag is set if the destination operand and EDX:EAX are equal; otherwise " +
		"it is cleared. The CF, PF, AF, SF, and OF flags are unaffected.\"): CF, PF, SF " +
		"came out changed in 62 of 196 such cases, and in others qemu aborted with " +
		"\"assertion failed: (IOPL(dc) == iopl)\" (garbage in EFLAGS.IOPL). Its cases " +
		"therefore start from POPFD's flags only (Form.noPre)."},
}

// exceptionFor returns the exception covering case c of form, if any.
func exceptionFor(form string, c *Case) *qemuException {
	for k := range qemuExceptions {
		e := &qemuExceptions[k]
		if e.Form == form && e.Match(c) {
			return e
		}
	}
	return nil
}
