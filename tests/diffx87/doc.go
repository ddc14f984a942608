// Package diffx87 is the differential test of the CPU's x87 FPU: 134
// x87 instruction forms, a few hundred random cases each, run both on our
// CPU and on qemu-i386 (QEMU's user-mode emulator, Debian package
// qemu-user), with the results compared field by field. It follows
// tests/diff32 (same program scheme, same ELF wrapper), with its own
// generator, comparison and an SDM oracle for the places where qemu is
// known to be wrong.
//
// # What it does
//
// Forms (forms.go) lists every arithmetic encoding (FADD, FMUL, FSUB,
// FSUBR, FDIV, FDIVR with ST(0),ST(i), ST(i),ST(0), the popping DE forms,
// m32fp, m64fp, m16int and m32int), the compares (FCOM, FCOMP, FCOMPP,
// FUCOM.., FICOM.., FTST, FXAM, and the P6 aliases FCOM2, FCOMP3, FCOMP5),
// FCOMI/FCOMIP/FUCOMI/FUCOMIP, the eight FCMOVcc, the register moves (FLD
// ST(i), FST, FSTP and the aliases FSTP1/8/9, FXCH and FXCH4/7, FFREE,
// FFREEP, FINCSTP, FDECSTP, FCHS, FABS, FNOP), the loads and stores in
// every memory format (m32fp, m64fp, m80fp, m16/32/64int, m80bcd), the
// seven constants, FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM, FPREM1, the
// control instructions FNSTSW AX/m16, FNSTCW, FLDCW, FNCLEX, FNINIT, and
// the transcendentals F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS,
// FPTAN.
//
// GenCases draws each form's cases from a seed and the form's name. A case
// is a whole x87 state — control word with every exception masked, a
// random rounding control, and precision control 64 bits in half the cases
// and 53 or 24 bits in the others; random TOP and condition codes; each
// register empty or holding a value — plus EFLAGS, EAX and a 16-byte
// memory window holding the operand at a random offset, sometimes behind a
// redundant segment prefix. Values (gen.go) stress rounding: random
// doubles, random 64-bit significands, significands with ties and near
// ties at the 24-, 53- and 64-bit rounding points, small integers and
// halves, the whole exponent range and its edges, a second operand often
// close to the first (cancellation, equal compares), and a few denormals,
// pseudo-denormals, infinities, QNaNs, SNaNs and unsupported encodings.
// Stores get values near the target format's rounding points, overflow
// and underflow thresholds; FIST, FBSTP values near the integer edges;
// FPREM exponent differences past 63 (partial remainders); FSCALE factors
// with fractions and far beyond the exponent range. The operands an
// instruction reads hold values and a pushing instruction finds ST(7)
// empty: qemu models no stack fault (below). Transcendental operands are
// finite and inside each instruction's domain.
//
// Build (program.go) assembles a form's cases into a static i386 Linux
// ELF: per case, the window is stored, FRSTOR loads the state, PUSH/POPFD
// EFLAGS and MOV EAX; the instruction runs; EAX, EFLAGS (PUSHFD/POP m32)
// and the state (FNSAVE, which also reinitializes the FPU) are stored in a
// record with a copy of the window. The records go to stdout through INT
// 80h write. RunQEMU runs the file under qemu-i386; RunOurs runs the same
// bytes on a cpu.CPU with its x87 (Config.FPU, CR0.NE = 1) at CPL 3 with
// qemu-user's selectors (CS 23h, DS 2Bh), so that FCS and FDS compare too.
//
// # Comparison
//
// Compare (compare.go) compares, bit for bit: the control word, TOP, the
// tag word, the exception flags, SF, ES and B; C0, C2, C3 where the SDM
// defines them for the instruction ("FPU Flags Affected"), C1 as described
// below; FIP/FCS; FDP/FDS after an instruction with a memory operand (the
// SDM leaves them undefined otherwise); all eight registers in stack order
// (empty ones too: their contents survive); EAX; the status flags of
// EFLAGS; the memory window. FOP is checked against the instruction
// itself. The integer and BCD stores are also checked against the SDM's
// rounding computed with math/big.
//
// Transcendental results are the exception to bit-for-bit comparison:
// F2XM1, FYL2X, FYL2XP1 and FPATAN must be within 1 ulp of qemu's (which
// computes them in extended precision; our float80 rounds correctly); for
// FSIN, FCOS, FSINCOS and FPTAN see deviation TRIG. The test logs the
// largest difference seen per form (currently 0 ulp for the first four).
//
// # When qemu is wrong
//
// The SDM, not qemu, is the authority. Where qemu 7.2 is known to deviate
// from the SDM, Compare computes the SDM's value for the affected fields
// (oracle.go, exact arithmetic with math/big, independent of package
// float80) and checks our CPU against that instead; a case where our CPU
// matches the SDM and qemu does not counts toward the deviation, which the
// test logs with its count. The deviations (with the cases they affected
// at the default seed, 256 cases per form):
//
//   - C1 (about 13400 cases). SDM vol. 1, 8.1.3.1 and vol. 2 "FPU Flags
//     Affected": after a rounding instruction C1 is 1 when the result was
//     rounded up and 0 otherwise; FLD, FILD, FBLD, the constants, FXCH,
//     FCHS, FABS, FXTRACT, FINCSTP, FDECSTP and the compares set it to 0.
//     qemu never sets C1 for rounding and leaves it unchanged where the SDM
//     clears it. Checked: for FADD..FDIVR, FSQRT, FST/FSTP m32fp/m64fp,
//     FIST/FISTP, FBSTP, FRNDINT, FSCALE, whether the delivered magnitude
//     exceeds the exact result; 0 for the others.
//   - DE (about 1400). SDM vol. 1, 8.5.2 and vol. 2 "#D Source operand is a
//     denormal value": arithmetic, compares, FSQRT, FRNDINT, FSCALE,
//     FPREM and FLD m32fp/m64fp signal DE for a denormal or pseudo-denormal
//     operand (or a denormal single/double memory operand) unless an
//     invalid operation or zero divide takes precedence (4.9.2). qemu's
//     softfloat reports input denormals only when flushing them, so qemu
//     never signals DE there.
//   - PC (about 800). SDM vol. 1, 8.1.5.2: precision control affects only
//     FADD, FSUB, FMUL, FDIV, FSQRT and their variants. qemu also rounds to
//     it when converting an m32fp, m64fp or m32int operand of an arithmetic
//     or compare instruction (so FADD m64fp with PC = 24 is rounded twice,
//     and FCOM m64fp can compare the wrong value, with a spurious PE), in
//     FLD m32fp/m64fp, FBLD, FRNDINT, FPREM, FPREM1 and in the results of
//     FSIN, FCOS, FSINCOS and FPTAN. Checked: the correctly rounded result
//     (or exact load, remainder, integer) and its IE, ZE, OE, UE, PE flags,
//     the exact compare.
//   - NaN (about 25). SDM vol. 1, 4.8.3.5, table 4-7: for an SNaN and a
//     QNaN operand the x87 FPU returns the QNaN; qemu returns the NaN with
//     the larger significand. Also an unsupported operand (pseudo-NaN,
//     unnormal) with a memory operand qemu rounds per PC (8.2.2: the result
//     is the indefinite with IE alone). Checked: the SDM's NaN.
//   - FPREM1-Q (about 120). SDM vol. 2, FPREM1: after a complete reduction
//     C0, C3, C1 are bits 2, 1, 0 of the quotient. qemu 7.2's FPREM1 leaves
//     them 0 in about half the cases (FPREM is right). Checked: the exact
//     quotient's bits.
//   - FIP (512). SDM vol. 1, 8.1.8: FIP is left alone by FINIT, FCLEX,
//     FLDCW, FSTCW, FSTSW, FSTENV, FLDENV, FSAVE, FRSTOR and WAIT, and set
//     by every other x87 instruction. qemu updates it for FNSTSW AX and not
//     for FNOP.
//   - FOP (all non-control cases). SDM vol. 1, 8.1.9: FSTENV/FSAVE store
//     the last instruction's opcode; qemu stores 0.
//   - FST-TAG (about 540). FST/FSTP ST(i) (and FSTP1/8/9) into an empty
//     register: qemu copies the value but leaves the register tagged empty.
//     Checked: the tag word the SDM (8.1.7) gives for the contents.
//   - FCOMI-OSA (about 900). SDM vol. 2, FCOMI/FUCOMI "Flags Affected":
//     OF, SF and AF are cleared; qemu keeps them. Checked: 0.
//   - TRIG (about 900). qemu computes FSIN, FCOS, FSINCOS and FPTAN with
//     the host's double-precision libm on the argument rounded to a double
//     and signals no exception. Results are compared within that error,
//     2^-50·(|x|·(1+r²) + |r|) (plus qemu's rounding to PC when PC = 24),
//     which still catches a wrong function, stack effect or C2; PE is
//     checked against the SDM (inexact unless the operand is 0).
//
// Left out because qemu cannot serve as reference, and covered by the
// unit tests in cpu/fpu_test.go, cpu/fpu_env_test.go and
// cpu/fpu_exc_test.go instead: stack overflow and underflow (qemu detects
// neither: no IE, SF or indefinite), unmasked exceptions (qemu stores
// results regardless, without the bias adjustment of 8.5.4-8.5.5), #MF and
// FERR#, FSTENV/FLDENV/FSAVE/FRSTOR images (qemu's FLDENV ignores the
// pointer fields), the reserved control-word bits (qemu keeps all 16),
// special operands of the transcendentals.
//
// # Running it
//
//	go test ./tests/diffx87                      # all forms (about 10 s)
//	go test ./tests/diffx87 -run TestDiffX87 -v  # with the per-form table
//	go test ./tests/diffx87 -run 'TestDiffX87/forms/FPREM1$' -v
//	go test ./tests/diffx87 -run TestDiffX87 -diffx87.dump /tmp/dx
//
// Other flags: -diffx87.cases (per form, 256 by default), -diffx87.seed,
// -diffx87.show (mismatching cases printed per form). A mismatch prints
// the form, the case's input state, the instruction, both final states and
// the differing fields.
//
// Without qemu-i386 on PATH, TestDiffX87 is skipped with a message;
// TestSensitivity still runs the whole pipeline on our CPU alone, and
// TestEncodings, TestInputs check the generator.
package diffx87
