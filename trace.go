package gox86

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/gox86/gox86/cpu"
)

// Tracer writes one line per executed instruction: CS:EIP, the
// instruction bytes, its Intel-syntax disassembly, and the registers and
// flags it changed. It implements cpu.Tracer.
type Tracer struct {
	w      *bufio.Writer
	before traceState
	line   strings.Builder
}

type traceState struct {
	r     [8]uint32
	seg   [6]uint16
	flags uint32
}

var regNames = [8]string{"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"}
var segNames = [6]string{"ES", "CS", "SS", "DS", "FS", "GS"}

// NewTracer returns a tracer writing to w.
func NewTracer(w io.Writer) *Tracer { return &Tracer{w: bufio.NewWriterSize(w, 1<<16)} }

func capture(c *cpu.CPU) traceState {
	var s traceState
	for k := range s.r {
		s.r[k] = c.Reg(k)
	}
	for k := range s.seg {
		s.seg[k] = c.Seg[k].Selector
	}
	s.flags = c.Flags()
	return s
}

// Before implements cpu.Tracer.
func (t *Tracer) Before(c *cpu.CPU, raw []byte) {
	t.before = capture(c)
	t.line.Reset()
	mode := 16
	if c.Code32() {
		mode = 32
	}
	var hex strings.Builder
	for _, b := range raw {
		fmt.Fprintf(&hex, "%02X", b)
	}
	asm := "(bad)"
	if in, err := x86asm.Decode(raw, mode); err == nil && in.Op != 0 {
		asm = x86asm.IntelSyntax(in, uint64(c.EIP), nil)
	}
	fmt.Fprintf(&t.line, "%04X:%08X  %-16s %-34s", c.Seg[cpu.CS].Selector, c.EIP, hex.String(), asm)
}

// After implements cpu.Tracer.
func (t *Tracer) After(c *cpu.CPU) {
	now := capture(c)
	for k := range now.r {
		if now.r[k] != t.before.r[k] {
			fmt.Fprintf(&t.line, " %s=%08X", regNames[k], now.r[k])
		}
	}
	for k := range now.seg {
		if now.seg[k] != t.before.seg[k] {
			fmt.Fprintf(&t.line, " %s=%04X", segNames[k], now.seg[k])
		}
	}
	if now.flags != t.before.flags {
		fmt.Fprintf(&t.line, " EFL=%08X[%s]", now.flags, flagString(now.flags))
	}
	t.line.WriteByte('\n')
	t.w.WriteString(t.line.String())
}

// Flush writes buffered trace lines.
func (t *Tracer) Flush() error { return t.w.Flush() }

// flagString renders the status flags as letters, upper case when set.
func flagString(f uint32) string {
	names := []struct {
		bit  uint32
		name byte
	}{{cpu.FlagOF, 'o'}, {cpu.FlagDF, 'd'}, {cpu.FlagIF, 'i'}, {cpu.FlagTF, 't'}, {cpu.FlagSF, 's'},
		{cpu.FlagZF, 'z'}, {cpu.FlagAF, 'a'}, {cpu.FlagPF, 'p'}, {cpu.FlagCF, 'c'}}
	b := make([]byte, len(names))
	for k, n := range names {
		b[k] = n.name
		if f&n.bit != 0 {
			b[k] = n.name - 'a' + 'A'
		}
	}
	return string(b)
}
