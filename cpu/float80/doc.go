// Package float80 implements the x87 FPU's arithmetic on 80-bit
// double extended-precision values in software, bit for bit as the Intel SDM
// specifies it for the P6 family (Pentium Pro/II/III).
//
// The CPU package keeps the x87 register stack, tag word, status word and
// control word; this package supplies the value semantics its FPU instruction
// handlers need: every result encoding, exception flag, masked response,
// unmasked response and the C1 "rounded up" bit.
//
// # Values
//
// [F80] is the register (and m80fp memory) format: an explicit integer bit in
// Mant and sign plus 15-bit biased exponent in SE (SDM vol. 1, 4.2.2, 8.2).
// [F80.Class] tells apart the encodings the 387 and later accept (zero,
// denormal, pseudo-denormal, normal, infinity, QNaN, SNaN) from those they
// reject as invalid operands (pseudo-NaN, pseudo-infinity, unnormal;
// SDM vol. 1, 8.2.2, table 8-3).
//
// # Environment
//
// Every operation is a method of [Env], which carries the rounding control,
// the precision control, the exception masks, the sticky exception flags and
// the C1 bit of the last operation. Operations return ok=false when an
// unmasked invalid-operation, zero-divide or denormal-operand exception (or an
// unmasked overflow/underflow on a store to memory) suppresses the result: the
// caller must then leave the destination (and the stack) unchanged and, as
// Env.Flags&^Env.Masks is non-zero, signal the pending #MF.
// Unmasked overflow and underflow on register destinations store the result
// with its exponent bias-adjusted by ∓24576 (SDM vol. 1, 8.5.4, 8.5.5).
//
// Precision control (24, 53 or 64 bits) applies only to FADD, FSUB, FMUL,
// FDIV and FSQRT and their variants (SDM vol. 1, 8.1.5.2): [Env.Add],
// [Env.Sub], [Env.Mul], [Env.Div], [Env.Sqrt] and [Env.Arith]. All other
// operations round to 64 bits. The exponent range is always the full 15-bit
// range.
//
// # Points of interpretation
//
//   - Tininess is detected after rounding: a result is tiny when rounding it
//     to the destination precision with an unbounded exponent gives a value
//     below the smallest normal (SDM vol. 1, 4.9.1.5 and 8.5.5: "the magnitude
//     of the rounded result with unbounded exponent is non-zero and less than
//     the smallest possible normalized, finite value"). Masked underflow
//     signals UE only when the denormalized result is also inexact; unmasked
//     underflow signals UE for every tiny result.
//   - Denormal results under precision control are rounded at the fixed
//     position of the precision's last significand bit for the smallest
//     exponent (that is, to a multiple of 2^(−16382−p+1)).
//   - Exception priority follows SDM vol. 1, 4.9.2: unsupported operand and
//     SNaN (IE), then QNaN operands, then other invalid operations and zero
//     divide, then denormal operand, then overflow/underflow, then inexact.
//     So x/0 with a denormal x signals ZE alone, and NaN operands never
//     signal DE.
//   - Two NaNs of the same kind with equal significands: the positive one is
//     returned (as Bochs and QEMU model the P6).
//   - FPREM/FPREM1 with an exponent difference of 64 or more reduce by
//     N = 32 + (D mod 32) bits per step (the implementation-dependent N of
//     the SDM pseudo-code; the value AMD documents and Intel parts follow)
//     and clear C0, C3 and C1.
//   - The load-constant instructions return the true constant correctly
//     rounded per RC. The SDM says a 66-bit internal constant is rounded;
//     for FLDLG2 that constant (…F798 followed by binary 10) would be an
//     exact tie in round-to-nearest, yet the processor returns …F799, the
//     correct rounding of log10(2), so the internal constants evidently keep
//     a sticky bit.
//   - FXTRACT of ±0 (ZE masked) stores −∞ as the exponent, as IEEE logb
//     does (the current SDM text omits the sign).
//   - A reserved precision-control value (01b) is treated as 64 bits.
//
// # Transcendental instructions
//
// FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X and FYL2XP1 are computed
// with math/big at increasing working precision until the correctly rounded
// 64-bit result is certain (Ziv's strategy), so results are correctly
// rounded in every rounding mode. The SDM's accuracy statement (vol. 1,
// 8.3.10, as corrected by Intel in 2014) is: "With the Pentium processor and
// later IA-32 and Intel 64 processors, the worst case error on transcendental
// functions, when applied to the reduced argument, is less than 1 ulp when
// rounding to the nearest (even) and less than 1.5 ulps when rounding in
// other modes." The error in ulps is |f(x) − F(x)| / 2^(k−63) with
// 1 ≤ 2^−k·|f(x)| < 2.
//
// The trigonometric instructions reduce their argument with the x87's 66-bit
// approximation of π, p = 0.C90FDAA22168C234C × 2^2 (SDM vol. 1, 8.3.8):
// r = x − N·p/2 exactly, with N the integer nearest x/(p/2), and the result
// is sin, cos or tan of r placed in quadrant N mod 4. Using p rather than
// the true π reproduces the documented behaviour of the hardware, whose
// results lose accuracy for arguments near multiples of π and for large
// arguments ("the finite approximation of π used internally for argument
// reduction is not sufficient in all cases", SDM vol. 2, FSIN). For
// |x| < 3π/4 the results agree with the true functions within the bound.
// Precision control does not apply to these instructions.
//
// Measured by TestTranscendentalAccuracy (3,000 random arguments per
// instruction, each in all four rounding modes, against an independent
// 560-bit math/big reference built on different algorithms): every result
// was the correctly rounded value, so the maximum error to nearest is
// 0.5 ulp (FSIN 0.4996, FCOS 0.5000, FPTAN 0.5000, FPATAN 0.5000,
// F2XM1 0.4999, FYL2X 0.5000, FYL2XP1 0.4999) and below 1 ulp in the
// directed modes. Against the true functions, FSIN reaches 0.5015 ulp for
// |x| < 3π/4, FCOS 0.5000 ulp and FPTAN 0.5585 ulp for |x| < 3π/8 (the
// ranges the SDM recommends); over all of |x| < 2^63 the 66-bit π makes the
// error against the true sine unbounded near multiples of π (1.98e18 ulp
// measured), as on the hardware.
package float80
