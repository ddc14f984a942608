package cpu

import (
	"testing"
	"time"
)

// BenchmarkRealModeLoop measures the interpreter on a tight real-mode loop
// of five instructions per iteration, one million iterations per run, and
// reports nanoseconds per guest instruction.
func BenchmarkRealModeLoop(b *testing.B) {
	m := tmReal(b, []byte{
		0x66, 0xB9, 0x40, 0x42, 0x0F, 0x00, // 0: mov ecx, 1000000
		0x01, 0xD8, // 6: add ax, bx       ; loop
		0x31, 0xC2, // 8: xor dx, ax
		0x43,       // A: inc bx
		0x66, 0x49, // B: dec ecx
		0x75, 0xF7, // D: jnz 6
		0xF4, // F: hlt
	})
	c := m.c
	var insns uint64
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Wake()
		c.EIP = 0
		start := c.InstructionCount()
		t0 := time.Now()
		if r := c.Run(1 << 40); r != StopHalt {
			b.Fatalf("stop reason %v (%v)", r, c.Err)
		}
		elapsed += time.Since(t0)
		insns += c.InstructionCount() - start
	}
	if insns != uint64(b.N)*(2+5*1000000) {
		b.Fatalf("retired %d instructions, want %d", insns, uint64(b.N)*(2+5*1000000))
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(insns), "ns/insn")
}
