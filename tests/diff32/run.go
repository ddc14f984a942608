package diff32

import (
	"context"
	"fmt"

	"github.com/gox86/gox86/tests/internal/userelf"
)

// QEMUName is the reference emulator: Debian's qemu-user package
// installs it.
const QEMUName = userelf.QEMUName

// ourBudget bounds a run on our side; a program needs about 40
// instructions a case.
const ourBudget = 50_000_000

// RunQEMU runs the program under qemu-i386 (path qemu) and returns its
// standard output. dir is a scratch directory for the executable.
func RunQEMU(ctx context.Context, qemu, dir string, p *Program) ([]byte, error) {
	return userelf.RunQEMU(ctx, qemu, dir, "diff32", p.ELF)
}

// RunOurs runs the program on our CPU at CPL 0 in flat 32-bit protected
// mode (code selector 08h, data 10h, stack below the program) and
// returns what it wrote; see userelf.Run. A processor exception stops
// the run with an error naming the case it happened in.
func RunOurs(p *Program) ([]byte, error) {
	return userelf.Run(p.ELF, userelf.Options{
		StackTop: 0x1000,
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
