package cpu

import "golang.org/x/arch/x86/x86asm"

func isFPU(op x86asm.Op) bool { return false }

func convertFPU(i *Inst, xi *x86asm.Inst, b []byte, pfx prefixInfo) bool { return false }

func opWAIT(c *CPU, i *Inst) {}
