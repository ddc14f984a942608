package cpu

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRunBudgetExact: Run(n) retires exactly n instructions (each REP
// iteration counting as one), whatever the block boundaries, so
// --max-instructions and trace-from points are precise.
func TestRunBudgetExact(t *testing.T) {
	code := []byte{
		0xB9, 0x64, 0x00, // mov cx, 100
		0xBF, 0x00, 0x20, // mov di, 2000h
		0xF3, 0xAA, //       rep stosb
		0x40,       //       inc ax
		0x43,       //       inc bx
		0xEB, 0xF4, //       jmp short to the start
	}
	for _, n := range []uint64{1, 2, 3, 5, 10, 37, 100, 150, 1000, 12345} {
		m := tmReal(t, code)
		start := m.c.InstructionCount()
		require.Equal(t, StopBudget, m.c.Run(n), "budget %d", n)
		require.Equal(t, n, m.c.InstructionCount()-start, "budget %d", n)
	}
}
