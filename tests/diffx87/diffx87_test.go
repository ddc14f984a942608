package diffx87

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
	flagCases = flag.Int("diffx87.cases", 256, "cases per form (at least 200 for the acceptance run)")
	flagSeed  = flag.Uint64("diffx87.seed", DefaultSeed, "generator seed")
	flagShow  = flag.Int("diffx87.show", 3, "mismatching cases printed per form")
	flagDump  = flag.String("diffx87.dump", "", "directory to write each form's ELF (FORM.elf) and qemu output (FORM.qemu) to")
)

// formRow is one line of the per-form report.
type formRow struct {
	ran        bool
	cases      int
	mismatches int
	deviations map[string]int
	maxUlp     float64 // largest transcendental difference, PC = 53 or 64
	maxUlp24   float64 // the same with PC = 24 (qemu rounds to it, deviation "PC")
	summary    string
	err        string
}

// TestDiffX87 runs every form's cases under qemu-i386 and on our CPU and
// compares the results (doc.go). One form:
//
//	go test ./tests/diffx87 -run 'TestDiffX87/forms/FADD_m64fp$' -v
func TestDiffX87(t *testing.T) {
	qemu, err := exec.LookPath(QEMUName)
	if err != nil {
		t.Skipf("%s not found: install Debian's qemu-user package (apt-get install qemu-user) to run the x87 differential test", QEMUName)
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

	var nForms, nCases, nMismatch int
	devs := map[string]int{}
	var failing, trans []string
	var table strings.Builder
	fmt.Fprintf(&table, "%-20s %6s %10s %9s %9s  %s\n", "form", "cases", "mismatches", "max ulp", "(PC 24)", "differing fields / qemu deviations seen")
	for i, r := range rows {
		if !r.ran {
			continue
		}
		nForms++
		nCases += r.cases
		nMismatch += r.mismatches
		var dv []string
		for k, n := range r.deviations {
			devs[k] += n
			dv = append(dv, fmt.Sprintf("%s×%d", k, n))
		}
		sort.Strings(dv)
		status := r.summary
		if r.err != "" {
			status = "RUN FAILED: " + r.err
		}
		if len(dv) > 0 {
			status += " [qemu: " + strings.Join(dv, " ") + "]"
		}
		if r.mismatches > 0 || r.err != "" {
			failing = append(failing, forms[i].Name)
		}
		ulp, ulp24 := "-", "-"
		if forms[i].Trans != exact {
			ulp, ulp24 = fmt.Sprintf("%.3g", r.maxUlp), fmt.Sprintf("%.3g", r.maxUlp24)
			trans = append(trans, fmt.Sprintf("%s %s (PC 24: %s)", forms[i].Name, ulp, ulp24))
		}
		fmt.Fprintf(&table, "%-20s %6d %10d %9s %9s  %s\n", forms[i].Name, r.cases, r.mismatches, ulp, ulp24, status)
	}
	if testing.Verbose() {
		t.Logf("per-form results:\n%s", table.String())
	}
	var dl []string
	for k, n := range devs {
		dl = append(dl, fmt.Sprintf("%s: %d cases", k, n))
	}
	sort.Strings(dl)
	t.Logf("diffx87: %d forms, %d cases, %d mismatching cases in %d forms, in %v", nForms, nCases, nMismatch, len(failing), elapsed.Round(time.Millisecond))
	t.Logf("documented qemu deviations seen (SDM checked instead): %s", strings.Join(dl, ", "))
	t.Logf("transcendentals, largest difference from qemu in ulps: %s", strings.Join(trans, ", "))
	if len(failing) > 0 {
		t.Logf("mismatching forms: %s", strings.Join(failing, " "))
	}
}

func runForm(t *testing.T, qemu, dir string, f *Form) formRow {
	row := formRow{ran: true, deviations: map[string]int{}}
	cases := GenCases(f, *flagCases, *flagSeed)
	row.cases = len(cases)
	p := Build(f, cases)
	refOut, err := RunQEMU(context.Background(), qemu, dir, p)
	if *flagDump != "" {
		require.NoError(t, os.WriteFile(filepath.Join(*flagDump, f.Name+".elf"), p.ELF, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(*flagDump, f.Name+".qemu"), refOut, 0o644))
	}
	// qemu failing is a bug of the generator (a case that faults).
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
		o := Compare(f, c, p.InsnAddr(k), &ours[k], &ref[k])
		for _, d := range o.Deviations {
			row.deviations[d]++
		}
		if precBits(c.CW) == 24 {
			row.maxUlp24 = max(row.maxUlp24, o.Ulp)
		} else {
			row.maxUlp = max(row.maxUlp, o.Ulp)
		}
		if len(o.Diffs) == 0 {
			continue
		}
		row.mismatches++
		for _, d := range o.Diffs {
			fields[strings.Fields(d)[0]]++
		}
		if row.mismatches <= *flagShow {
			t.Log(Describe(f, k, c, &ours[k], &ref[k], o))
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
	assert.Zerof(t, row.mismatches, "%s: %d of %d cases differ (%s)", f.Name, row.mismatches, len(cases), row.summary)
	return row
}

// TestForms checks the catalogue: unique names, at least 200 cases per
// form in the acceptance run.
func TestForms(t *testing.T) {
	forms := Forms()
	seen := map[string]bool{}
	for i := range forms {
		f := &forms[i]
		assert.False(t, seen[f.Name], "duplicate form %s", f.Name)
		seen[f.Name] = true
		if f.Mem == memNone {
			assert.True(t, f.RM >= -1 && f.RM < 8, f.Name)
		}
	}
	assert.GreaterOrEqual(t, *flagCases, 200, "the acceptance run needs at least 200 cases per form")
	t.Logf("%d forms, %d cases each", len(forms), *flagCases)
}

// TestEncodings decodes every generated instruction with x86asm: the
// length must match, and so must the mnemonic where x86asm knows the form
// (the P6 aliases FSTP1/8/9, FXCH4/7, FCOM2, FCOMP3/5 it does not).
func TestEncodings(t *testing.T) {
	forms := Forms()
	for i := range forms {
		f := &forms[i]
		t.Run(f.Name, func(t *testing.T) {
			for k, c := range GenCases(f, *flagCases, *flagSeed) {
				inst, err := x86asm.Decode(c.Code, 32)
				if f.Op == "" {
					continue
				}
				require.NoError(t, err, "case %d: % X", k, c.Code)
				require.Equal(t, len(c.Code), inst.Len, "case %d: % X", k, c.Code)
				require.Equal(t, f.Op, inst.Op.String(), "case %d: % X", k, c.Code)
				for _, a := range inst.Args {
					if m, ok := a.(x86asm.Mem); ok {
						require.Equal(t, int64(WindowAddr+c.MemOff), m.Disp, "case %d", k)
					}
				}
			}
		})
	}
}

// TestInputs checks the generator keeps clear of stack faults: the
// operands each form needs hold values and a pushing form has ST(7) free
// (qemu models neither overflow nor underflow, doc.go).
func TestInputs(t *testing.T) {
	forms := Forms()
	for i := range forms {
		f := &forms[i]
		for k, c := range GenCases(f, *flagCases, *flagSeed) {
			for _, s := range f.Need {
				if s == stSTi {
					s = c.I
				}
				require.False(t, c.isEmpty(s), "%s case %d: ST(%d) empty", f.Name, k, s)
			}
			for p := 0; p < f.Push; p++ {
				require.True(t, c.isEmpty(7-p), "%s case %d: ST(%d) in use", f.Name, k, 7-p)
			}
			require.Equal(t, uint16(0x40), c.CW&0x40, "%s: CW bit 6", f.Name)
			if f.CWGen == nil {
				require.Equal(t, uint16(0x3F), c.CW&0x3F, "%s: exceptions masked", f.Name)
			}
		}
	}
}

// TestSensitivity guards the harness, without qemu: our CPU runs FADD
// m64fp and the same cases as FSUB m64fp, and the comparison must tell
// them apart in most cases (NaN, infinite and zero operands often give the same result for both). It also exercises the whole pipeline where
// qemu-i386 is not installed.
func TestSensitivity(t *testing.T) {
	var f *Form
	forms := Forms()
	for i := range forms {
		if forms[i].Name == "FADD_m64fp" {
			f = &forms[i]
		}
	}
	require.NotNil(t, f)
	cases := GenCases(f, 256, *flagSeed)
	subs := make([]Case, len(cases))
	for k, c := range cases {
		c.Code = append([]byte(nil), c.Code...)
		for j := range c.Code {
			if c.Code[j] == 0xDC {
				c.Code[j+1] |= 4 << 3 // DC /4: FSUB m64fp
				break
			}
		}
		subs[k] = c
	}
	p := Build(f, cases)
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
		o := Compare(f, &cases[k], p.InsnAddr(k), &add[k], &add[k])
		assert.Empty(t, o.Diffs, "case %d compared with itself", k)
		// FSUB's results as "ours" against FADD's: the FOP check (against
		// the FADD encoding) always fires, so it is left out of the count.
		for _, d := range Compare(f, &cases[k], p.InsnAddr(k), &sub[k], &add[k]).Diffs {
			if !strings.HasPrefix(d, "FOP") {
				differ++
				break
			}
		}
	}
	assert.Greater(t, differ, len(cases)/2, "FADD and FSUB results differ in only %d of %d cases", differ, len(cases))
}

// TestProgram checks the ELF wrapper and the case map.
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
