package diff32

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Disasm is the Intel-syntax disassembly of 32-bit code (x86asm).
func Disasm(code []byte) string {
	var parts []string
	for len(code) > 0 {
		inst, err := x86asm.Decode(code, 32)
		if err != nil {
			return strings.Join(append(parts, fmt.Sprintf("(bad: % X)", code)), "; ")
		}
		parts = append(parts, x86asm.IntelSyntax(inst, 0, nil))
		code = code[inst.Len:]
	}
	return strings.Join(parts, "; ")
}

// Compare returns the differences between our result and qemu's for case
// c, ignoring what the SDM leaves undefined; nil means they agree.
func Compare(c *Case, ours, ref *Result) []string {
	var d []string
	for r := 0; r < 8; r++ {
		if c.UndefRegs.has(r) || ours.Regs[r] == ref.Regs[r] {
			continue
		}
		d = append(d, fmt.Sprintf("%s ours %08X qemu %08X", regNames[r], ours.Regs[r], ref.Regs[r]))
	}
	mask := uint32(comparedFlags) &^ c.UndefFlags
	if x := (ours.Flags ^ ref.Flags) & mask; x != 0 {
		for _, f := range flagNames {
			if x&f.bit != 0 {
				d = append(d, fmt.Sprintf("%s ours %d qemu %d", f.name, b2i(ours.Flags&f.bit), b2i(ref.Flags&f.bit)))
			}
		}
	}
	for w := range ours.Mem {
		if ours.Mem[w] != ref.Mem[w] {
			d = append(d, fmt.Sprintf("mem[%08X] ours %08X qemu %08X", WindowAddr+4*w, ours.Mem[w], ref.Mem[w]))
		}
	}
	return d
}

func b2i(v uint32) int {
	if v != 0 {
		return 1
	}
	return 0
}

// flagString lists the set flags among the compared ones, "-" if none.
func flagString(v uint32) string {
	var s []string
	for _, f := range flagNames {
		if v&f.bit != 0 {
			s = append(s, f.name)
		}
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, " ")
}

func regString(r *[8]uint32) string {
	var s []string
	for k, v := range r {
		s = append(s, fmt.Sprintf("%s=%08X", regNames[k], v))
	}
	return strings.Join(s, " ")
}

// Describe reports a mismatching case: inputs, disassembly, both results
// and the differences.
func Describe(f *Form, k int, c *Case, ours, ref *Result, diffs []string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "form %s case %d: %s   [% X]\n", f.Name, k, Disasm(c.Code), c.Code)
	fmt.Fprintf(&sb, "  in:   %s  flags %s\n", regString(&c.Regs), flagString(c.Flags))
	if c.Pre != nil {
		fmt.Fprintf(&sb, "  then flags from: %s with [%08X] = %08X\n", Disasm(c.Pre), preAddr, c.PreMem)
	}
	if c.HasEA {
		fmt.Fprintf(&sb, "  memory operand at %08X (window %08X)\n", c.EA, WindowAddr)
	}
	if len(c.Mem) > 0 {
		fmt.Fprintf(&sb, "  in mem:   %s\n", memString(c.Mem))
	}
	fmt.Fprintf(&sb, "  ours: %s  flags %s\n", regString(&ours.Regs), flagString(ours.Flags))
	fmt.Fprintf(&sb, "  qemu: %s  flags %s\n", regString(&ref.Regs), flagString(ref.Flags))
	if len(c.Mem) > 0 {
		fmt.Fprintf(&sb, "  ours mem: %s\n", memString(ours.Mem))
		fmt.Fprintf(&sb, "  qemu mem: %s\n", memString(ref.Mem))
	}
	if c.UndefFlags != 0 || c.UndefRegs != 0 {
		fmt.Fprintf(&sb, "  undefined (not compared): flags %s", flagString(c.UndefFlags))
		for r := 0; r < 8; r++ {
			if c.UndefRegs.has(r) {
				fmt.Fprintf(&sb, " %s", regNames[r])
			}
		}
		sb.WriteByte('\n')
	}
	fmt.Fprintf(&sb, "  differs: %s", strings.Join(diffs, "; "))
	return sb.String()
}

func memString(m []uint32) string {
	var s []string
	for _, v := range m {
		s = append(s, fmt.Sprintf("%08X", v))
	}
	return strings.Join(s, " ")
}
