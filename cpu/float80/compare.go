package float80

// Ordering is the result of a floating-point comparison.
type Ordering uint8

// Comparison results.
const (
	Greater Ordering = iota
	Less
	Equal
	Unordered
)

func (o Ordering) String() string {
	switch o {
	case Greater:
		return "greater"
	case Less:
		return "less"
	case Equal:
		return "equal"
	default:
		return "unordered"
	}
}

// ConditionCodes returns the C3, C2 and C0 bits FCOM, FUCOM, FTST and FICOM
// set for the ordering (SDM vol. 2, FCOM, table 3-21). C1 is cleared.
func (o Ordering) ConditionCodes() (c3, c2, c0 bool) {
	switch o {
	case Greater:
		return false, false, false
	case Less:
		return false, false, true
	case Equal:
		return true, false, false
	default:
		return true, true, true
	}
}

// EFLAGS returns the ZF, PF and CF values FCOMI and FUCOMI set for the
// ordering (SDM vol. 2, FCOMI, table 3-22).
func (o Ordering) EFLAGS() (zf, pf, cf bool) {
	c3, c2, c0 := o.ConditionCodes()
	return c3, c2, c0
}

// CompareOrdered compares a with b as FCOM, FCOMI, FICOM and FTST do: any
// NaN or unsupported operand signals IE (SDM vol. 2, FCOM). With IE masked
// the result is Unordered; with IE or DE unmasked ok is false and the
// condition codes must not be changed.
func (e *Env) CompareOrdered(a, b F80) (Ordering, bool) {
	return e.CompareOperands(Reg(a), Reg(b), false)
}

// CompareUnordered compares a with b as FUCOM and FUCOMI do: only SNaN and
// unsupported operands signal IE; QNaNs just compare Unordered.
func (e *Env) CompareUnordered(a, b F80) (Ordering, bool) {
	return e.CompareOperands(Reg(a), Reg(b), true)
}

// CompareOperands is CompareOrdered (quiet=false) or CompareUnordered
// (quiet=true) for operands that may come from float32/float64 memory.
func (e *Env) CompareOperands(a, b Operand, quiet bool) (Ordering, bool) {
	e.C1 = false
	ia, ib := info(a), info(b)
	ca, cb := ia.class, ib.class
	if ca.Unsupported() || cb.Unsupported() || ca == ClassSNaN || cb == ClassSNaN ||
		!quiet && (ca == ClassQNaN || cb == ClassQNaN) {
		if !e.signal(InvalidOperation) {
			return Unordered, false
		}
		return Unordered, true
	}
	if ca == ClassQNaN || cb == ClassQNaN {
		return Unordered, true
	}
	if (ia.denormal || ib.denormal) && !e.denormalOperand() {
		return Unordered, false
	}
	return compareValues(ia.x, ca, ib.x, cb), true
}

// compareValues orders two supported non-NaN values.
func compareValues(a F80, ca Class, b F80, cb Class) Ordering {
	az, bz := ca == ClassZero, cb == ClassZero
	if az && bz {
		return Equal
	}
	na, nb := a.Negative(), b.Negative()
	if na != nb || az || bz {
		// Different signs, or one zero: the sign of the non-zero decides.
		switch {
		case az:
			return signOrdering(!nb)
		case bz:
			return signOrdering(na)
		default:
			return signOrdering(na)
		}
	}
	// Same sign, both non-zero: compare magnitudes.
	var mag Ordering
	ainf, binf := ca == ClassInfinity, cb == ClassInfinity
	switch {
	case ainf && binf:
		return Equal
	case ainf:
		mag = Greater
	case binf:
		mag = Less
	default:
		ea, ma := normalized(a)
		eb, mb := normalized(b)
		switch {
		case ea > eb || ea == eb && ma > mb:
			mag = Greater
		case ea == eb && ma == mb:
			return Equal
		default:
			mag = Less
		}
	}
	if na {
		if mag == Greater {
			return Less
		}
		return Greater
	}
	return mag
}

// signOrdering returns Less for a negative left operand, else Greater.
func signOrdering(negative bool) Ordering {
	if negative {
		return Less
	}
	return Greater
}
