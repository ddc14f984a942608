package diff32

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/arch/x86/x86asm"
)

var (
	flagCases = flag.Int("diff32.cases", 256, "cases per form (at least 200 for the acceptance run)")
	flagSeed  = flag.Uint64("diff32.seed", DefaultSeed, "generator seed")
	flagShow  = flag.Int("diff32.show", 3, "mismatching cases printed per form")
	flagDump  = flag.String("diff32.dump", "", "directory to write each form's ELF (FORM.elf) and qemu output (FORM.qemu) to")
)

// formRow is one line of the per-form report.
type formRow struct {
	ran        bool
	cases      int
	mismatches int
	excepted   int
	summary    string // which fields differ, with counts
	err        string // a run that did not complete
}

// TestDiff32 runs every form's cases under qemu-i386 and on our CPU and
// compares the results. Run one form with
//
//	go test ./tests/diff32 -run 'TestDiff32/forms/ADD_m32_r32$' -v
//
// and see the per-form table with -v.
func TestDiff32(t *testing.T) {
	qemu, err := exec.LookPath(QEMUName)
	if err != nil {
		t.Skipf("%s not found: install Debian's qemu-user package (apt-get install qemu-user) to run the 32-bit differential test", QEMUName)
	}
	require.GreaterOrEqual(t, *flagCases, 1)
	if *flagDump != "" {
		require.NoError(t, os.MkdirAll(*flagDump, 0o755))
	}
	forms := Forms()
	rows := make([]formRow, len(forms))
	dir := t.TempDir()
	start := time.Now()
	t.Run("forms", func(t *testing.T) {
		for i := range forms {
			f := &forms[i]
			t.Run(f.Name, func(t *testing.T) {
				t.Parallel()
				rows[i] = runForm(t, qemu, dir, f)
			})
		}
	})
	elapsed := time.Since(start)

	var nForms, nCases, nExcepted int
	var failing []string
	var table strings.Builder
	fmt.Fprintf(&table, "%-26s %6s %10s %8s  %s\n", "form", "cases", "mismatches", "excepted", "differing fields")
	for i, r := range rows {
		if !r.ran {
			continue
		}
		nForms++
		nCases += r.cases
		nExcepted += r.excepted
		status := r.summary
		if r.err != "" {
			status = "RUN FAILED: " + r.err
		}
		if r.mismatches > 0 || r.err != "" {
			failing = append(failing, forms[i].Name)
		}
		fmt.Fprintf(&table, "%-26s %6d %10d %8d  %s\n", forms[i].Name, r.cases, r.mismatches, r.excepted, status)
	}
	if testing.Verbose() {
		t.Logf("per-form results:\n%s", table.String())
	}
	t.Logf("diff32: %d forms, %d cases (%d excepted), %d forms mismatching, in %v",
		nForms, nCases, nExcepted, len(failing), elapsed.Round(time.Millisecond))
	if len(failing) > 0 {
		t.Logf("mismatching forms: %s", strings.Join(failing, " "))
	}
}

// runForm generates, builds and runs one form on both sides and compares.
func runForm(t *testing.T, qemu, dir string, f *Form) formRow {
	row := formRow{ran: true}
	cases := GenCases(f, *flagCases, *flagSeed)
	row.cases = len(cases)
	p := Build(f, cases)
	refOut, err := RunQEMU(context.Background(), qemu, dir, p)
	if *flagDump != "" {
		require.NoError(t, os.WriteFile(filepath.Join(*flagDump, f.Name+".elf"), p.ELF, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(*flagDump, f.Name+".qemu"), refOut, 0o644))
	}
	// qemu failing is a bug of the generator (a case that faults), not
	// of our CPU.
	require.NoError(t, err, "qemu run")
	ref, err := p.Parse(refOut)
	require.NoError(t, err, "qemu output")

	ourOut, err := RunOurs(p)
	if err != nil {
		row.err = err.Error()
		assert.NoError(t, err, "our CPU did not complete the program")
		return row
	}
	ours, err := p.Parse(ourOut)
	if err != nil {
		row.err = err.Error()
		assert.NoError(t, err, "our CPU's output")
		return row
	}
	fields := map[string]int{}
	for k := range cases {
		c := &cases[k]
		diffs := Compare(c, &ours[k], &ref[k])
		if len(diffs) == 0 {
			continue
		}
		if exceptionFor(f.Name, c) != nil {
			row.excepted++
			continue
		}
		row.mismatches++
		for _, d := range diffs {
			key := strings.Fields(d)[0]
			if strings.HasPrefix(key, "mem[") {
				key = "mem"
			}
			fields[key]++
		}
		if row.mismatches <= *flagShow {
			t.Log(Describe(f, k, c, &ours[k], &ref[k], diffs))
		}
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s×%d", k, fields[k])
	}
	row.summary = strings.Join(keys, " ")
	assert.Zerof(t, row.mismatches, "%s: %d of %d cases differ from qemu-i386 (%s)", f.Name, row.mismatches, len(cases), row.summary)
	return row
}

// TestForms checks the catalogue: unique names, enough cases, windows
// that fit, masks limited to status flags.
func TestForms(t *testing.T) {
	forms := Forms()
	seen := map[string]bool{}
	for i := range forms {
		f := &forms[i]
		assert.False(t, seen[f.Name], "duplicate form %s", f.Name)
		seen[f.Name] = true
		assert.LessOrEqual(t, 4*f.MemWords, WindowSize, f.Name)
		assert.NotEmpty(t, f.Op, f.Name)
	}
	assert.GreaterOrEqual(t, *flagCases, 200, "the acceptance run needs at least 200 cases per form")
	t.Logf("%d forms, %d cases each", len(forms), *flagCases)
}

// TestEncodings decodes every generated instruction with x86asm and checks
// its mnemonic, its length and, for memory operands, that the registers
// and displacement the generator chose address the intended place.
func TestEncodings(t *testing.T) {
	forms := Forms()
	for i := range forms {
		f := &forms[i]
		t.Run(f.Name, func(t *testing.T) {
			cases := GenCases(f, *flagCases, *flagSeed)
			require.Len(t, cases, *flagCases)
			for k := range cases {
				c := &cases[k]
				inst, err := x86asm.Decode(c.Code, 32)
				require.NoError(t, err, "case %d: % X", k, c.Code)
				require.Equal(t, len(c.Code), inst.Len, "case %d: % X decodes as %v", k, c.Code, inst)
				require.Equal(t, f.Op, inst.Op.String(), "case %d: % X", k, c.Code)
				assert.Zero(t, c.UndefFlags&^statusFlags, "case %d", k)
				if f.Marker {
					require.Equal(t, x86asm.Rel(markerLen), inst.Args[0], "case %d: branch target", k)
				}
				for _, a := range inst.Args {
					m, ok := a.(x86asm.Mem)
					// LEA does not access memory; XLAT and the string
					// instructions address memory implicitly.
					if !ok || f.Op == "LEA" || f.Op == "XLATB" || stringOps[f.Op] {
						continue
					}
					require.True(t, c.HasEA, "case %d: % X has a memory operand", k, c.Code)
					got := regVal(t, c, m.Base) + regVal(t, c, m.Index)*uint32(m.Scale) + uint32(m.Disp)
					require.Equalf(t, c.NaiveEA, got, "case %d: %s", k, Disasm(c.Code))
					require.GreaterOrEqual(t, c.EA, uint32(WindowAddr), "case %d", k)
					require.Less(t, c.EA, uint32(WindowAddr+4*f.MemWords), "case %d", k)
				}
			}
		})
	}
}

var stringOps = map[string]bool{"MOVSD": true, "STOSD": true, "LODSD": true, "SCASD": true, "CMPSD": true}

func regVal(t *testing.T, c *Case, r x86asm.Reg) uint32 {
	if r == 0 {
		return 0
	}
	require.True(t, r >= x86asm.EAX && r <= x86asm.EDI, "register %v", r)
	return c.Regs[r-x86asm.EAX]
}

// TestProgram checks the ELF wrapper and the case map on one form.
func TestProgram(t *testing.T) {
	f := &Forms()[0]
	cases := GenCases(f, 10, *flagSeed)
	p := Build(f, cases)
	image, vaddr, memSize, entry, ok := elfSegment(p.ELF)
	require.True(t, ok)
	assert.Equal(t, uint32(LoadAddr), vaddr)
	assert.Equal(t, uint32(CodeAddr), entry)
	assert.GreaterOrEqual(t, vaddr+memSize, p.ResAddr+uint32(p.ResLen()))
	assert.LessOrEqual(t, vaddr+uint32(len(image)), p.ResAddr)
	for k, s := range p.Starts {
		assert.Equal(t, k, p.CaseAt(s))
	}
	assert.Equal(t, -1, p.CaseAt(CodeAddr-1))
}

// TestPreOps checks the flag-setting instructions decode as intended.
func TestPreOps(t *testing.T) {
	f := &Forms()[0]
	n := 0
	for _, c := range GenCases(f, 256, *flagSeed) {
		if c.Pre == nil {
			continue
		}
		n++
		inst, err := x86asm.Decode(c.Pre, 32)
		require.NoError(t, err)
		require.Equal(t, len(c.Pre), inst.Len)
		require.Contains(t, []string{"ADD", "ADC", "SBB", "SUB", "CMP", "INC", "DEC", "NEG"}, inst.Op.String())
		require.Equal(t, x86asm.Mem{Disp: preAddr}, inst.Args[0])
	}
	assert.Greater(t, n, 64)
}

// TestSensitivity guards the harness itself, without qemu: our CPU runs a
// form's program and the same cases with SUB in place of ADD, and the
// comparison must see the difference in nearly every case. It also runs
// the whole pipeline on our side where qemu-i386 is not installed.
func TestSensitivity(t *testing.T) {
	var f *Form
	for i := range Forms() {
		if Forms()[i].Name == "ADD_r32_r32_01" {
			f = &Forms()[i]
		}
	}
	require.NotNil(t, f)
	cases := GenCases(f, 256, *flagSeed)
	subs := make([]Case, len(cases))
	for k, c := range cases {
		c.Code = append([]byte{0x29}, c.Code[1:]...) // SUB r/m32, r32
		subs[k] = c
	}
	results := func(cs []Case) []Result {
		p := Build(f, cs)
		out, err := RunOurs(p)
		require.NoError(t, err)
		res, err := p.Parse(out)
		require.NoError(t, err)
		return res
	}
	add, sub := results(cases), results(subs)
	differ := 0
	for k := range cases {
		assert.Empty(t, Compare(&cases[k], &add[k], &add[k]))
		if len(Compare(&cases[k], &add[k], &sub[k])) > 0 {
			differ++
		}
	}
	assert.Greater(t, differ, len(cases)*9/10, "ADD and SUB results differ in only %d of %d cases", differ, len(cases))
}
