package diffx87

import (
	"context"
	"fmt"

	"github.com/gox86/gox86/tests/internal/userelf"
)

// QEMUName is the reference emulator: Debian's qemu-user package
// installs it.
const QEMUName = userelf.QEMUName

// Our side runs the program at CPL 3 with the selectors qemu-user gives a
// 32-bit process, so that the FCS and FDS fields of the FSAVE images
// compare directly.
const (
	UserCS   = userelf.UserCS
	UserDS   = userelf.UserDS
	stackTop = 0x0F000
	// ourBudget bounds a run; a case takes about 20 instructions.
	ourBudget = 50_000_000
)

// RunQEMU runs the program under qemu-i386 (path qemu) and returns its
// standard output. dir is a scratch directory for the executable.
func RunQEMU(ctx context.Context, qemu, dir string, p *Program) ([]byte, error) {
	return userelf.RunQEMU(ctx, qemu, dir, "diffx87", p.ELF)
}

// RunOurs runs the program on our CPU with its x87 unit (CR0.NE = 1) at
// CPL 3 in flat 32-bit protected mode and returns what it wrote; see
// userelf.Run. A processor exception stops the run with an error naming
// the case it happened in.
func RunOurs(p *Program) ([]byte, error) {
	return userelf.Run(p.ELF, userelf.Options{
		User:     true,
		FPU:      true,
		StackTop: stackTop,
		Budget:   ourBudget,
		Where:    p.where,
	})
}

// where names the case holding eip.
func (p *Program) where(eip uint32) string {
	k := p.CaseAt(eip)
	if k < 0 {
		return "outside the cases"
	}
	return fmt.Sprintf("case %d (%s)", k, Disasm(p.Cases[k].Code))
}
