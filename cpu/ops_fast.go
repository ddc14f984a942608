package cpu

import (
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// Specialised handlers for the most frequent 32-bit forms. Each does what
// the generic handler would for that exact operand shape, without the
// size and form dispatch; the decoder picks them when the shape matches.

const sign32 = 1 << 31

func (c *CPU) lazy32(op ccOp, dst, src, res uint32) {
	l := &c.lf
	l.op = op
	l.sign = sign32
	l.dst = dst
	l.src = src
	l.res = res
	l.aux = 0
}

func opMov32RR(c *CPU, i *Inst) { c.R[i.rm] = c.R[i.reg] }
func opMov32RI(c *CPU, i *Inst) { c.R[i.rm] = i.imm }
func opMov32RM(c *CPU, i *Inst) { c.R[i.reg] = c.read32(int(i.seg), c.ea(i)) }
func opMov32MR(c *CPU, i *Inst) { c.write32(int(i.seg), c.ea(i), c.R[i.reg]) }
func opMov32MI(c *CPU, i *Inst) { c.write32(int(i.seg), c.ea(i), i.imm) }
func opMov8RM(c *CPU, i *Inst)  { c.setReg(i.reg, 1, uint32(c.read8(int(i.seg), c.ea(i)))) }
func opMov8MR(c *CPU, i *Inst)  { c.write8(int(i.seg), c.ea(i), uint8(c.getReg(i.reg, 1))) }

func opMovzx32M8(c *CPU, i *Inst)  { c.R[i.reg] = uint32(c.read8(int(i.seg), c.ea(i))) }
func opMovzx32M16(c *CPU, i *Inst) { c.R[i.reg] = uint32(c.read16(int(i.seg), c.ea(i))) }
func opLea32(c *CPU, i *Inst)      { c.R[i.reg] = c.R[i.base] + c.R[i.index]<<i.scale + i.disp }

// 32-bit ALU, register destination, register source.
func opAdd32RR(c *CPU, i *Inst) {
	a, b := c.R[i.rm], c.R[i.reg]
	r := a + b
	c.R[i.rm] = r
	c.lazy32(ccAdd, a, b, r)
}

func opSub32RR(c *CPU, i *Inst) {
	a, b := c.R[i.rm], c.R[i.reg]
	r := a - b
	c.R[i.rm] = r
	c.lazy32(ccSub, a, b, r)
}

func opCmp32RR(c *CPU, i *Inst) {
	a, b := c.R[i.rm], c.R[i.reg]
	c.lazy32(ccSub, a, b, a-b)
}

func opAnd32RR(c *CPU, i *Inst) {
	r := c.R[i.rm] & c.R[i.reg]
	c.R[i.rm] = r
	c.lazy32(ccLogic, 0, 0, r)
}

func opOr32RR(c *CPU, i *Inst) {
	r := c.R[i.rm] | c.R[i.reg]
	c.R[i.rm] = r
	c.lazy32(ccLogic, 0, 0, r)
}

func opXor32RR(c *CPU, i *Inst) {
	r := c.R[i.rm] ^ c.R[i.reg]
	c.R[i.rm] = r
	c.lazy32(ccLogic, 0, 0, r)
}

func opTest32RR(c *CPU, i *Inst) { c.lazy32(ccLogic, 0, 0, c.R[i.rm]&c.R[i.reg]) }

// 32-bit ALU, register destination, immediate source.
func opAdd32RI(c *CPU, i *Inst) {
	a := c.R[i.rm]
	r := a + i.imm
	c.R[i.rm] = r
	c.lazy32(ccAdd, a, i.imm, r)
}

func opSub32RI(c *CPU, i *Inst) {
	a := c.R[i.rm]
	r := a - i.imm
	c.R[i.rm] = r
	c.lazy32(ccSub, a, i.imm, r)
}

func opCmp32RI(c *CPU, i *Inst) {
	a := c.R[i.rm]
	c.lazy32(ccSub, a, i.imm, a-i.imm)
}

func opAnd32RI(c *CPU, i *Inst) {
	r := c.R[i.rm] & i.imm
	c.R[i.rm] = r
	c.lazy32(ccLogic, 0, 0, r)
}

func opOr32RI(c *CPU, i *Inst) {
	r := c.R[i.rm] | i.imm
	c.R[i.rm] = r
	c.lazy32(ccLogic, 0, 0, r)
}

func opXor32RI(c *CPU, i *Inst) {
	r := c.R[i.rm] ^ i.imm
	c.R[i.rm] = r
	c.lazy32(ccLogic, 0, 0, r)
}

// 32-bit ALU, register destination, memory source.
func opAdd32RM(c *CPU, i *Inst) {
	a, b := c.R[i.reg], c.read32(int(i.seg), c.ea(i))
	r := a + b
	c.R[i.reg] = r
	c.lazy32(ccAdd, a, b, r)
}

func opSub32RM(c *CPU, i *Inst) {
	a, b := c.R[i.reg], c.read32(int(i.seg), c.ea(i))
	r := a - b
	c.R[i.reg] = r
	c.lazy32(ccSub, a, b, r)
}

func opCmp32RM(c *CPU, i *Inst) {
	a, b := c.R[i.reg], c.read32(int(i.seg), c.ea(i))
	c.lazy32(ccSub, a, b, a-b)
}

// CMP r/m32, r32 and CMP r/m32, imm with a memory operand.
func opCmp32MR(c *CPU, i *Inst) {
	a, b := c.read32(int(i.seg), c.ea(i)), c.R[i.reg]
	c.lazy32(ccSub, a, b, a-b)
}

func opCmp32MI(c *CPU, i *Inst) {
	a := c.read32(int(i.seg), c.ea(i))
	c.lazy32(ccSub, a, i.imm, a-i.imm)
}

func opInc32R(c *CPU, i *Inst) {
	a := c.R[i.rm]
	cf := b2u(c.cf())
	r := a + 1
	c.R[i.rm] = r
	l := &c.lf
	l.op, l.sign, l.dst, l.src, l.res, l.aux = ccInc, sign32, a, 1, r, cf
}

func opDec32R(c *CPU, i *Inst) {
	a := c.R[i.rm]
	cf := b2u(c.cf())
	r := a - 1
	c.R[i.rm] = r
	l := &c.lf
	l.op, l.sign, l.dst, l.src, l.res, l.aux = ccDec, sign32, a, 1, r, cf
}

// Stack forms with a register operand.
func opPush32R(c *CPU, i *Inst) { c.push32(c.R[i.rm]) }

func opPop32R(c *CPU, i *Inst) {
	v := c.pop32()
	c.R[i.rm] = v
}

// Shifts of a 32-bit register by an immediate (SDM vol. 2, SAL/SAR/SHL/
// SHR): same results and flags as shift() for these shapes.
func (c *CPU) explicit32(res, aux uint32) {
	l := &c.lf
	l.op, l.sign, l.res, l.aux = ccExplicit, sign32, res, aux
}

func opShl32RI(c *CPU, i *Inst) {
	n := i.imm & 31
	if n == 0 {
		return
	}
	v := c.R[i.rm]
	r := v << n
	cf := v >> (32 - n) & 1
	c.R[i.rm] = r
	c.explicit32(r, cf|(r>>31^cf)<<11)
}

func opShr32RI(c *CPU, i *Inst) {
	n := i.imm & 31
	if n == 0 {
		return
	}
	v := c.R[i.rm]
	r := v >> n
	cf := v >> (n - 1) & 1
	c.R[i.rm] = r
	c.explicit32(r, cf|(v>>31)<<11)
}

func opSar32RI(c *CPU, i *Inst) {
	n := i.imm & 31
	if n == 0 {
		return
	}
	v := c.R[i.rm]
	r := uint32(int32(v) >> n)
	cf := uint32(int32(v)>>(n-1)) & 1
	c.R[i.rm] = r
	c.explicit32(r, cf)
}

// Carry-propagating forms (multi-precision arithmetic loops).
func (c *CPU) adc32(a, b uint32) uint32 {
	cin := b2u(c.cf())
	r := a + b + cin
	l := &c.lf
	l.op, l.sign, l.dst, l.src, l.res, l.aux = ccAdc, sign32, a, b, r, cin
	return r
}

func (c *CPU) sbb32(a, b uint32) uint32 {
	cin := b2u(c.cf())
	r := a - b - cin
	l := &c.lf
	l.op, l.sign, l.dst, l.src, l.res, l.aux = ccSbb, sign32, a, b, r, cin
	return r
}

func opAdc32RR(c *CPU, i *Inst) { c.R[i.rm] = c.adc32(c.R[i.rm], c.R[i.reg]) }
func opAdc32RI(c *CPU, i *Inst) { c.R[i.rm] = c.adc32(c.R[i.rm], i.imm) }
func opAdc32RM(c *CPU, i *Inst) { c.R[i.reg] = c.adc32(c.R[i.reg], c.read32(int(i.seg), c.ea(i))) }
func opSbb32RR(c *CPU, i *Inst) { c.R[i.rm] = c.sbb32(c.R[i.rm], c.R[i.reg]) }
func opSbb32RI(c *CPU, i *Inst) { c.R[i.rm] = c.sbb32(c.R[i.rm], i.imm) }
func opSbb32RM(c *CPU, i *Inst) { c.R[i.reg] = c.sbb32(c.R[i.reg], c.read32(int(i.seg), c.ea(i))) }

// Memory-destination ADD/SUB/ADC (read-modify-write).
func opAdd32MR(c *CPU, i *Inst) {
	v, lin := c.rmwRead(int(i.seg), c.ea(i), 4)
	b := c.R[i.reg]
	r := v + b
	c.lazy32(ccAdd, v, b, r)
	c.rmwWrite(lin, 4, r)
}

func opSub32MR(c *CPU, i *Inst) {
	v, lin := c.rmwRead(int(i.seg), c.ea(i), 4)
	b := c.R[i.reg]
	r := v - b
	c.lazy32(ccSub, v, b, r)
	c.rmwWrite(lin, 4, r)
}

func opAdc32MR(c *CPU, i *Inst) {
	v, lin := c.rmwRead(int(i.seg), c.ea(i), 4)
	c.rmwWrite(lin, 4, c.adc32(v, c.R[i.reg]))
}

func opSbb32MR(c *CPU, i *Inst) {
	v, lin := c.rmwRead(int(i.seg), c.ea(i), 4)
	c.rmwWrite(lin, 4, c.sbb32(v, c.R[i.reg]))
}

// MUL r/m32: EDX:EAX = EAX × src, CF = OF = (EDX != 0).
func (c *CPU) mul32(src uint32) {
	hi, lo := bits.Mul32(c.R[EAX], src)
	c.R[EAX], c.R[EDX] = lo, hi
	var aux uint32
	if hi != 0 {
		aux = FlagCF | FlagOF
	}
	c.explicit32(lo, aux)
}

func opMul32R(c *CPU, i *Inst) { c.mul32(c.R[i.rm]) }
func opMul32M(c *CPU, i *Inst) { c.mul32(c.read32(int(i.seg), c.ea(i))) }

// fastALU32 picks a specialised 32-bit ALU handler, or nil.
func fastALU32(op uint8, form int) handler {
	switch form {
	case formRR:
		return [...]handler{aluADD: opAdd32RR, aluOR: opOr32RR, aluAND: opAnd32RR, aluSUB: opSub32RR,
			aluXOR: opXor32RR, aluCMP: opCmp32RR, aluTEST: opTest32RR, aluADC: opAdc32RR, aluSBB: opSbb32RR}[op]
	case formRI:
		return [...]handler{aluADD: opAdd32RI, aluOR: opOr32RI, aluAND: opAnd32RI, aluSUB: opSub32RI,
			aluXOR: opXor32RI, aluCMP: opCmp32RI, aluTEST: nil, aluADC: opAdc32RI, aluSBB: opSbb32RI}[op]
	case formRM:
		return [...]handler{aluADD: opAdd32RM, aluSUB: opSub32RM, aluCMP: opCmp32RM, aluTEST: nil,
			aluOR: nil, aluAND: nil, aluXOR: nil, aluADC: opAdc32RM, aluSBB: opSbb32RM}[op]
	case formMR:
		return [...]handler{aluADD: opAdd32MR, aluSUB: opSub32MR, aluCMP: opCmp32MR, aluTEST: nil,
			aluOR: nil, aluAND: nil, aluXOR: nil, aluADC: opAdc32MR, aluSBB: opSbb32MR}[op]
	case formMI:
		if op == aluCMP {
			return opCmp32MI
		}
	}
	return nil
}

// Operand shapes for fastALU32.
const (
	formRR = iota // register destination, register source
	formRI        // register destination, immediate
	formRM        // register destination, memory source
	formMR        // memory destination, register source
	formMI        // memory destination, immediate
)

// specialize replaces the generic handler chosen by convert with a
// specialised one when the operand shape allows.
func specialize(i *Inst, xi *x86asm.Inst) {
	if i.lock || i.size != 4 {
		if i.size == 1 && xi.Op == x86asm.MOV && !i.lock {
			a0, a1 := xi.Args[0], xi.Args[1]
			if isGPR(a0) && isMem(a1) {
				i.fn = opMov8RM
			} else if isMem(a0) && isGPR(a1) {
				i.fn = opMov8MR
			}
		}
		return
	}
	a0, a1 := xi.Args[0], xi.Args[1]
	if k, ok := aluOps[xi.Op]; ok || xi.Op == x86asm.TEST {
		if !ok {
			k = aluTEST
		}
		form := -1
		switch {
		case isGPR(a0) && isGPR(a1):
			form = formRR
		case isGPR(a0) && isImm(a1):
			form = formRI
		case isGPR(a0) && isMem(a1):
			form = formRM
		case isMem(a0) && isGPR(a1):
			form = formMR
		case isMem(a0) && isImm(a1):
			form = formMI
		}
		if form >= 0 {
			if h := fastALU32(k, form); h != nil {
				i.fn = h
			}
		}
		return
	}
	switch xi.Op {
	case x86asm.MOV:
		switch {
		case isGPR(a0) && isGPR(a1):
			i.fn = opMov32RR
		case isGPR(a0) && isImm(a1):
			i.fn = opMov32RI
		case isGPR(a0) && isMem(a1):
			i.fn = opMov32RM
		case isMem(a0) && isGPR(a1):
			i.fn = opMov32MR
		case isMem(a0) && isImm(a1):
			i.fn = opMov32MI
		}
	case x86asm.MOVZX:
		if isMem(a1) {
			switch i.srcSize {
			case 1:
				i.fn = opMovzx32M8
			case 2:
				i.fn = opMovzx32M16
			}
		}
	case x86asm.LEA:
		if i.a32 {
			i.fn = opLea32
		}
	case x86asm.MUL:
		if isGPR(a0) {
			i.fn = opMul32R
		} else if isMem(a0) {
			i.fn = opMul32M
		}
	case x86asm.SHL, x86asm.SHR, x86asm.SAR:
		if isGPR(a0) && isImm(a1) {
			switch xi.Op {
			case x86asm.SHL:
				i.fn = opShl32RI
			case x86asm.SHR:
				i.fn = opShr32RI
			default:
				i.fn = opSar32RI
			}
		}
	case x86asm.INC:
		if isGPR(a0) {
			i.fn = opInc32R
		}
	case x86asm.DEC:
		if isGPR(a0) {
			i.fn = opDec32R
		}
	case x86asm.PUSH:
		if isGPR(a0) {
			i.fn = opPush32R
		}
	case x86asm.POP:
		if isGPR(a0) {
			i.fn = opPop32R
		}
	}
}

// isGPR reports whether arg is a general register.
func isGPR(arg x86asm.Arg) bool {
	r, ok := arg.(x86asm.Reg)
	if !ok {
		return false
	}
	_, _, gpr := regNum(r)
	return gpr
}
