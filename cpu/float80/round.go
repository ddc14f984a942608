package float80

import "math/bits"

// format describes a rounding destination: the significand precision and the
// normal exponent range, both in register terms (exponents biased by 16383).
type format struct {
	prec   uint  // significand bits: 24, 53 or 64
	emin   int32 // biased exponent of the smallest normal
	emax   int32 // biased exponent of the largest normal
	memory bool  // a memory destination: unmasked OE/UE store nothing
}

var (
	formatReg24 = format{prec: 24, emin: 1, emax: 0x7FFE}
	formatReg53 = format{prec: 53, emin: 1, emax: 0x7FFE}
	formatReg64 = format{prec: 64, emin: 1, emax: 0x7FFE}
	// FST m32fp/m64fp destinations (SDM vol. 1, table 4-3).
	formatMem32 = format{prec: 24, emin: ExponentBias - 126, emax: ExponentBias + 127, memory: true}
	formatMem64 = format{prec: 53, emin: ExponentBias - 1022, emax: ExponentBias + 1023, memory: true}
)

// roundSignificand rounds sig.extra (a 128-bit significand whose bits below
// the top f.prec are discarded) per rc. It returns the rounded significand
// (still aligned with bit 63), whether rounding carried out of bit 63 (the
// result is then 1<<63 and the exponent must grow by one), whether the value
// was inexact and whether the magnitude was rounded up.
func roundSignificand(sig, extra uint64, prec uint, rc RoundingControl, neg bool) (m uint64, carry, inexact, up bool) {
	drop := 64 - prec
	keep, rest, sticky := sig, extra, false
	if drop != 0 {
		keep = sig >> drop
		rest = sig << (64 - drop)
		sticky = extra != 0
	}
	if rest == 0 && !sticky {
		return sig, false, false, false
	}
	const half = uint64(1) << 63
	switch rc & 3 {
	case RoundNearestEven:
		up = rest > half || rest == half && (sticky || keep&1 != 0)
	case RoundDown:
		up = neg
	case RoundUp:
		up = !neg
	}
	if up {
		keep++
		if keep == 0 || keep == uint64(1)<<(64-drop) && drop != 0 {
			return intBit, true, true, true
		}
	}
	return keep << drop, false, true, up
}

// shiftRightJam128 shifts hi:lo right by n bits, OR-ing any bit shifted out
// into the least significant bit of the result.
func shiftRightJam128(hi, lo uint64, n uint) (uint64, uint64) {
	switch {
	case n == 0:
		return hi, lo
	case n < 64:
		jam := uint64(0)
		if lo<<(64-n) != 0 {
			jam = 1
		}
		return hi >> n, lo>>n | hi<<(64-n) | jam
	case n < 128:
		jam := uint64(0)
		if lo != 0 || hi<<(128-n) != 0 {
			jam = 1
		}
		return 0, hi>>(n-64) | jam
	default:
		if hi|lo != 0 {
			return 0, 1
		}
		return 0, 0
	}
}

// normalize128 shifts a non-zero hi:lo left until bit 127 is set and returns
// the shift count.
func normalize128(hi, lo uint64) (uint64, uint64, int32) {
	if hi == 0 {
		n := bits.LeadingZeros64(lo)
		return lo << uint(n), 0, int32(64 + n)
	}
	n := uint(bits.LeadingZeros64(hi))
	if n == 0 {
		return hi, lo, 0
	}
	return hi<<n | lo>>(64-n), lo << n, int32(n)
}

// roundPack rounds the exact value (−1)^neg × sig.extra × 2^(exp−16383−63)
// to format f under e's rounding control, applying the x87 overflow and
// underflow rules (SDM vol. 1, 4.9.1.4, 4.9.1.5, 8.5.4, 8.5.5), and returns
// the result as an F80 (for memory formats an F80 with the exact value of
// the memory-format result). sig must have bit 63 set; the least significant
// bit of extra may be a sticky bit.
//
// It sets Flags and C1 and returns ok=false when an unmasked overflow or
// underflow on a memory destination suppresses the store.
func (e *Env) roundPack(neg bool, exp int32, sig, extra uint64, f *format) (F80, bool) {
	m, carry, inexact, up := roundSignificand(sig, extra, f.prec, e.Rounding, neg)
	rexp := exp
	if carry {
		rexp++
	}
	switch {
	case rexp > f.emax:
		if !e.masked(Overflow) {
			e.Flags |= Overflow
			if f.memory {
				return F80{}, false
			}
			if inexact {
				e.Flags |= Inexact
			}
			e.C1 = up
			return packBiasAdjusted(neg, rexp-biasAdjust, m), true
		}
		// Masked response (SDM vol. 1, table 4-10): ∞ or the largest finite
		// value of the destination's precision, depending on RC and sign.
		e.Flags |= Overflow | Inexact
		rc := e.Rounding & 3
		if rc == RoundNearestEven || rc == RoundUp && !neg || rc == RoundDown && neg {
			e.C1 = true
			return infinity(neg), true
		}
		e.C1 = false
		return New(neg, uint16(f.emax), ^uint64(0)<<(64-f.prec)), true
	case rexp < f.emin:
		if !e.masked(Underflow) {
			e.Flags |= Underflow
			if f.memory {
				return F80{}, false
			}
			if inexact {
				e.Flags |= Inexact
			}
			e.C1 = up
			return packBiasAdjusted(neg, rexp+biasAdjust, m), true
		}
		// Masked response: denormalize the exact value, then round it at the
		// precision's fixed last-bit position.
		shift := f.emin - exp
		dsig, dextra := shiftRightJam128(sig, extra, uint(min(shift, 200)))
		dm, _, dinexact, dup := roundSignificand(dsig, dextra, f.prec, e.Rounding, neg)
		if dinexact {
			e.Flags |= Underflow | Inexact
		}
		e.C1 = dup
		return packTiny(neg, dm, f), true
	default:
		if inexact {
			e.Flags |= Inexact
		}
		e.C1 = up
		return F80{Mant: m, SE: uint16(rexp) | signOf(neg)}, true
	}
}

// packBiasAdjusted encodes an unmasked-exception result whose adjusted
// exponent may still be out of range (only FSCALE can do that): a "properly
// signed" ∞ or 0 is then stored (SDM vol. 1, 8.5.4).
func packBiasAdjusted(neg bool, exp int32, m uint64) F80 {
	switch {
	case exp >= MaxExponent:
		return infinity(neg)
	case exp < 1:
		return zero(neg)
	}
	return F80{Mant: m, SE: uint16(exp) | signOf(neg)}
}

// packTiny encodes the significand m of a denormalized result, whose value
// is m × 2^(f.emin−16383−63); m may have rounded up to the smallest normal.
func packTiny(neg bool, m uint64, f *format) F80 {
	if m == 0 {
		return zero(neg)
	}
	if f.emin == 1 {
		// Register format: a true denormal (exponent field 0) unless rounding
		// reached the smallest normal.
		if m&intBit != 0 {
			return F80{Mant: m, SE: 1 | signOf(neg)}
		}
		return F80{Mant: m, SE: signOf(neg)}
	}
	// Memory formats: keep the exact value in normalized register form.
	lz := bits.LeadingZeros64(m)
	return F80{Mant: m << uint(lz), SE: uint16(f.emin-int32(lz)) | signOf(neg)}
}

func signOf(neg bool) uint16 {
	if neg {
		return signBit
	}
	return 0
}
