package conformance

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hand-made tests use CS=1000h, IP=0100h, SS=2000h, SP=0100h, DS=3000h,
// ES=4000h: code at 10100h, stack at 20100h, data at 30000h.
const (
	hmCS, hmIP = 0x1000, 0x0100
	hmCode     = hmCS<<4 + hmIP
)

func handInit(code []byte, set func(r *[NumRegs]uint16)) State {
	var regs [NumRegs]uint16
	regs[RegAX] = 0x1234
	regs[RegBX] = 0x0010
	regs[RegCS], regs[RegSS], regs[RegDS], regs[RegES] = hmCS, 0x2000, 0x3000, 0x4000
	regs[RegSP] = 0x0100
	regs[RegIP] = hmIP
	regs[RegFlags] = 0x0002
	if set != nil {
		set(&regs)
	}
	var ram []MemByte
	base := uint32(regs[RegCS])<<4 + uint32(regs[RegIP])
	for i, b := range code {
		ram = append(ram, MemByte{base + uint32(i), b})
	}
	return fullState(regs, ram...)
}

// final builds a FINA state listing only the given registers.
func final(regs map[int]uint16, ram ...MemByte) State {
	var s State
	for k, v := range regs {
		s.Set |= 1 << k
		s.Regs[k] = v
	}
	s.RAM = ram
	return s
}

// incAX is "inc ax; hlt": AX 1234h -> 1235h. Flags per SDM vol. 2 INC
// ("OF, SF, ZF, AF, and PF flags are set according to the result"; CF
// unaffected): 35h has four 1 bits, so PF=1; the rest are 0.
func incAX() Test {
	code := []byte{0x40, 0xF4}
	return Test{
		Name:      "inc ax",
		Bytes:     code,
		Init:      handInit(code, nil),
		Final:     final(map[int]uint16{RegAX: 0x1235, RegIP: hmIP + 2, RegFlags: 0x0006}),
		Exception: -1,
	}
}

// movToMem is "mov [bx],al; hlt" storing 34h at DS:0010h = 30010h.
func movToMem() Test {
	code := []byte{0x88, 0x07, 0xF4}
	return Test{
		Name:      "mov [bx],al",
		Bytes:     code,
		Init:      handInit(code, nil),
		Final:     final(map[int]uint16{RegIP: hmIP + 3}, MemByte{0x30010, 0x34}),
		Exception: -1,
	}
}

func TestRunnerPassesAHandMadeTest(t *testing.T) {
	r := NewRunner()
	tt := incAX()
	o := r.Run("40", &tt)
	assert.True(t, o.Pass, o.Detail)
	assert.Empty(t, o.Excluded)
	assert.False(t, o.Remapped)

	// Through the MOO encoding as well.
	tests, err := Parse(encodeMOO(incAX(), movToMem()))
	require.NoError(t, err)
	o = r.Run("40", &tests[0])
	assert.True(t, o.Pass, o.Detail)
	o = r.Run("88", &tests[1])
	assert.True(t, o.Pass, o.Detail)
}

// The runner must be able to fail: each wrong expectation is reported.
func TestRunnerFailsOnWrongExpectations(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		mutate func(tt *Test)
		detail string
	}{
		{"wrong AX", "40", func(tt *Test) { tt.Final.Regs[RegAX] = 0x1236 }, "ax=1235 want 1236"},
		{"AX expected unchanged", "40", func(tt *Test) { tt.Final.Set &^= 1 << RegAX }, "ax=1235 want 1234"},
		{"wrong IP", "40", func(tt *Test) { tt.Final.Regs[RegIP] = hmIP + 1 }, "ip=0102 want 0101"},
		{"wrong PF", "40", func(tt *Test) { tt.Final.Regs[RegFlags] = 0x0002 }, "flags=0006 want 0002"},
		{"wrong CF", "40", func(tt *Test) { tt.Final.Regs[RegFlags] = 0x0007 }, "flags=0006 want 0007"},
		{"wrong segment", "40", func(tt *Test) { tt.Final.Set |= 1 << RegDS; tt.Final.Regs[RegDS] = 0x3001 }, "ds=3000 want 3001"},
		{"wrong SP", "40", func(tt *Test) { tt.Final.Set |= 1 << RegSP; tt.Final.Regs[RegSP] = 0x00FE }, "sp=0100 want 00fe"},
		{"a changed byte that did not change", "40", func(tt *Test) { tt.Final.RAM = []MemByte{{0x30000, 0x99}} }, "[30000]=00 want 99"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRunner()
			tt := incAX()
			tc.mutate(&tt)
			o := r.Run(tc.file, &tt)
			assert.False(t, o.Pass)
			assert.Contains(t, o.Detail, tc.detail)
		})
	}
	memTests := []struct {
		name   string
		mutate func(tt *Test)
		detail string
	}{
		{"store not listed in FINA", func(tt *Test) { tt.Final.RAM = nil }, "[30010]=34 want 00"},
		{"store of another value", func(tt *Test) { tt.Final.RAM = []MemByte{{0x30010, 0x35}} }, "[30010]=34 want 35"},
		{"store expected elsewhere", func(tt *Test) { tt.Final.RAM = []MemByte{{0x30011, 0x34}} }, "[30011]=00 want 34"},
	}
	for _, tc := range memTests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRunner()
			tt := movToMem()
			tc.mutate(&tt)
			o := r.Run("88", &tt)
			assert.False(t, o.Pass)
			assert.Contains(t, o.Detail, tc.detail)
		})
	}
	t.Run("no HLT reached", func(t *testing.T) {
		r := NewRunner()
		code := []byte{0xEB, 0xFE} // jmp $
		tt := Test{Bytes: code, Init: handInit(code, nil), Exception: -1}
		o := r.Run("EB", &tt)
		assert.False(t, o.Pass)
		assert.Contains(t, o.Detail, "not HLT")
	})
}

// Flags are compared except bits 12-15 and the flags the SDM leaves
// undefined for the test's file.
func TestRunnerFlagMasks(t *testing.T) {
	r := NewRunner()
	tt := incAX()
	tt.Final.Regs[RegFlags] = 0xF006
	o := r.Run("40", &tt)
	assert.True(t, o.Pass, "bits 12-15 are not compared: %s", o.Detail)

	tt = incAX()
	tt.Final.Regs[RegFlags] = 0x0002 // PF differs
	o = r.Run("F7.6", &tt)           // DIV: all six status flags undefined
	assert.True(t, o.Pass, "undefined flags are not compared: %s", o.Detail)
	o = r.Run("27", &tt) // DAA: only OF undefined
	assert.False(t, o.Pass)
}

// Each test starts from zeroed memory, whatever the previous one wrote.
func TestRunnerRestoresMemoryBetweenTests(t *testing.T) {
	r := NewRunner()
	tt := movToMem()
	require.True(t, r.Run("88", &tt).Pass)

	// mov al,[bx] at another CS: must read 0 from 30010h.
	code := []byte{0x8A, 0x07, 0xF4}
	next := Test{
		Bytes:     code,
		Init:      handInit(code, func(r *[NumRegs]uint16) { r[RegCS] = 0x5000 }),
		Final:     final(map[int]uint16{RegAX: 0x1200, RegIP: hmIP + 3}),
		Exception: -1,
	}
	o := r.Run("8A", &next)
	assert.True(t, o.Pass, o.Detail)
	// The previous test's code bytes are gone too.
	assert.Zero(t, r.mem.Read8(hmCode))
}

func TestRunnerExcludedTestIsNotRun(t *testing.T) {
	r := NewRunner()
	code := []byte{0xD4, 0x00, 0xF4} // AAM 0
	tt := Test{Bytes: code, Init: handInit(code, nil), Exception: 0}
	o := r.Run("D4", &tt)
	assert.False(t, o.Pass)
	assert.Contains(t, o.Excluded, "AAM 0")
}

// "lock inc ax" is #UD on a P6; the 286 ignored LOCK, and the runner runs
// the neutralised instruction instead.
func TestRunnerNeutralisesLock(t *testing.T) {
	r := NewRunner()
	tt := incAX()
	tt.Bytes = []byte{0xF0, 0x40, 0xF4}
	tt.Init = handInit(tt.Bytes, nil)
	tt.Final.Regs[RegIP] = hmIP + 3
	o := r.Run("40", &tt)
	assert.True(t, o.Pass, o.Detail)

	// A store into the code's own page: the page is compared, and the
	// rewritten code byte is expected there rather than F0.
	code := []byte{0xF0, 0x88, 0x07, 0xF4} // lock mov [bx],al
	st := Test{
		Bytes: code,
		Init: handInit(code, func(r *[NumRegs]uint16) {
			r[RegDS] = hmCS
			r[RegBX] = hmIP + 0x20
		}),
		Final:     final(map[int]uint16{RegIP: hmIP + 4}, MemByte{hmCode + 0x20, 0x34}),
		Exception: -1,
	}
	o = r.Run("88", &st)
	assert.True(t, o.Pass, o.Detail)
}

// ssOverrun is "mov ax,[bp+0]; hlt" with BP=FFFFh: a word that runs past
// the SS limit, which the 286 reported as interrupt 13 and a P6 reports
// as #SS (12). The test's IVT lists only vector 13, pointing at a HLT at
// 0500:0000. The exception pushes FLAGS, CS and IP (SDM vol. 3, 20.1.4).
func ssOverrun(ss, sp uint16) Test {
	code := []byte{0x8B, 0x46, 0x00, 0xF4}
	init := handInit(code, func(r *[NumRegs]uint16) {
		r[RegSS], r[RegSP], r[RegBP] = ss, sp, 0xFFFF
	})
	init.RAM = append(init.RAM,
		MemByte{13 * 4, 0x00}, MemByte{13*4 + 1, 0x00}, MemByte{13*4 + 2, 0x00}, MemByte{13*4 + 3, 0x05},
		MemByte{0x5000, 0xF4})
	stack := uint32(ss)<<4 + uint32(sp-6)
	return Test{
		Bytes: code,
		Init:  init,
		Final: final(map[int]uint16{RegCS: 0x0500, RegIP: 0x0001, RegSP: sp - 6},
			MemByte{stack, hmIP & 0xFF}, MemByte{stack + 1, hmIP >> 8},
			MemByte{stack + 2, hmCS & 0xFF}, MemByte{stack + 3, hmCS >> 8},
			MemByte{stack + 4, 0x02}, MemByte{stack + 5, 0x00}),
		Exception: 13,
		FlagsAddr: stack + 4,
	}
}

func TestRunnerRemapsVector12(t *testing.T) {
	r := NewRunner()
	tt := ssOverrun(0x2000, 0x0100)
	o := r.Run("8B", &tt)
	assert.True(t, o.Pass, o.Detail)
	assert.True(t, o.Remapped)

	// Without the remap the same test fails: the runner really compares.
	bad := ssOverrun(0x2000, 0x0100)
	bad.Exception = 6 // no remap for a non-13 exception
	o = r.Run("8B", &bad)
	assert.False(t, o.Pass)
}

// When the stack lies in physical page 0, page 0 is compared, and it holds
// the vector-12 bytes the remap wrote. Those are not in the test's INIT
// RAM (which lists only vector 13), so compareRAM expects 0 there and the
// test fails although the CPU did exactly what the 286 did. compareRAM
// applies `over` only to addresses listed in INIT.
func TestRunnerRemapWithStackInPageZero(t *testing.T) {
	r := NewRunner()
	tt := ssOverrun(0x0000, 0x0800)
	o := r.Run("8B", &tt)
	assert.True(t, o.Pass, o.Detail)
	assert.True(t, o.Remapped)
}

func writeMOOFile(t *testing.T, dir, name string, tests ...Test) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(encodeMOO(tests...))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".MOO.gz"), buf.Bytes(), 0o644))
}

func TestRunFileAndRunAll(t *testing.T) {
	dir := t.TempDir()
	good, wrong, revoked, excluded := incAX(), incAX(), incAX(), incAX()
	good.Index, wrong.Index, revoked.Index, excluded.Index = 0, 1, 2, 3
	wrong.Final.Regs[RegAX] = 0x9999
	revoked.Hash[0], revoked.Hash[19] = 0xAB, 0xCD
	revoked.Final.Regs[RegAX] = 0x9999 // would fail if run
	excluded.Hash = [20]byte{0x00, 0x38, 0xb4, 0xba, 0xcf, 0xb7, 0x55, 0x35, 0xb5, 0xda, 0x17, 0x5f, 0x61, 0x9b, 0x08, 0x12, 0xb1, 0x6d, 0x06, 0x01}
	writeMOOFile(t, dir, "41", good, wrong, revoked, excluded)
	writeMOOFile(t, dir, "40", good)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "revocation_list.txt"),
		[]byte(fmt.Sprintf("# comment\n\n  %X  \n", revoked.Hash)), 0o644))

	files, err := Files(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(dir, "40.MOO.gz"), filepath.Join(dir, "41.MOO.gz")}, files)

	rev := Revoked(dir)
	assert.Equal(t, map[string]bool{fmt.Sprintf("%x", revoked.Hash): true}, rev, "hashes are lower-cased")
	assert.Empty(t, Revoked(filepath.Join(dir, "nope")))

	res, err := NewRunner().RunFile(files[1], rev)
	require.NoError(t, err)
	assert.Equal(t, "41", res.File)
	assert.Equal(t, 1, res.Passed)
	assert.Equal(t, 1, res.Failed)
	assert.Equal(t, 2, res.Excluded)
	assert.Equal(t, 1, res.ExclusionReasons["listed in revocation_list.txt"])
	require.Len(t, res.FirstFailures, 1)
	assert.Contains(t, res.FirstFailures[0], "#1 inc ax (40 f4): ax=1235 want 9999")

	var out bytes.Buffer
	sum, err := RunAll(dir, &out, true)
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Passed)
	assert.Equal(t, 1, sum.Failed)
	assert.Equal(t, 2, sum.Excluded)
	lines := strings.Split(out.String(), "\n")
	assert.Regexp(t, `^40\s+1\s+0\s+0\s+ok$`, lines[1])
	assert.Regexp(t, `^41\s+1\s+1\s+2\s+FAIL$`, lines[2])
	assert.Contains(t, out.String(), "ax=1235 want 9999")
	assert.Contains(t, out.String(), "IDIV quotient out of range")

	t.Run("empty folder", func(t *testing.T) {
		_, err := RunAll(t.TempDir(), &out, false)
		assert.ErrorContains(t, err, "no *.MOO.gz files")
	})
	t.Run("corrupt file", func(t *testing.T) {
		bad := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(bad, "00.MOO.gz"), []byte("junk"), 0o644))
		_, err := RunAll(bad, &out, false)
		assert.Error(t, err)
	})
}

func TestDescribe(t *testing.T) {
	tt := incAX()
	s := Describe(&tt)
	assert.Contains(t, s, `"inc ax" bytes 40 f4 exception -1`)
	assert.Contains(t, s, "ax=1234")
	assert.Contains(t, s, "final: ax=1235 ip=0102 flags=0006")
}

// sst286Dir is ../shared/conformance/sst286 beside the repository.
func sst286Dir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "conformance", "sst286"))
	require.NoError(t, err)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance data not present at %s", dir)
	}
	return dir
}

// The real files parse, and every test has the shape the runner assumes:
// all 14 INIT registers, instruction bytes ending in HLT.
func TestRealDataShape(t *testing.T) {
	dir := sst286Dir(t)
	for _, name := range []string{"00", "40", "62", "8E", "A5", "C0.4", "D3.5", "F7.6", "FF.6"} {
		tests, err := ReadFile(filepath.Join(dir, name+".MOO.gz"))
		require.NoError(t, err, name)
		assert.Len(t, tests, 1000, name)
		for i := range tests {
			tt := &tests[i]
			require.Equal(t, uint16(1<<NumRegs-1), tt.Init.Set, "%s #%d", name, tt.Index)
			require.NotEmpty(t, tt.Bytes, "%s #%d", name, tt.Index)
			require.Equal(t, byte(0xF4), tt.Bytes[len(tt.Bytes)-1], "%s #%d: BYTS ends with the HLT", name, tt.Index)
			require.Equal(t, i, tt.Index)
		}
	}
}

// A sample of real files covering every mask and exclusion family passes.
func TestRealDataSample(t *testing.T) {
	dir := sst286Dir(t)
	rev := Revoked(dir)
	r := NewRunner()
	reasons := map[string]int{}
	for _, name := range []string{"40", "F0", "69", "81.0", "27", "D4", "D3.4", "C0.5", "D2.2", "F6.7", "F7.6", "8E", "8F", "A5", "AA", "8B"} {
		path := filepath.Join(dir, name+".MOO.gz")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		res, err := r.RunFile(path, rev)
		require.NoError(t, err)
		assert.Zero(t, res.Failed, "%s: %v", name, res.FirstFailures)
		for k, v := range res.ExclusionReasons {
			reasons[k] += v
		}
	}
	for _, want := range []string{"longer than 10 bytes", "FS and GS", "advances (E)SI/(E)DI", "POP m16", "AAM 0", "IDIV quotient"} {
		found := false
		for k := range reasons {
			found = found || strings.Contains(k, want)
		}
		assert.True(t, found, "no test in the sample was excluded for %q", want)
	}
}

// The three real tests the length rule catches although their #UD comes
// from a register operand (see TestExclusionLengthRuleSkipsUDFromRegisterForms)
// pass when run: excluding them hides nothing.
func TestRealDataLongUDTestsPassWhenRun(t *testing.T) {
	dir := sst286Dir(t)
	want := map[string]string{
		"0c16b91527ff7a062da45348121a21f77f67b60e": "62",
		"d9142968e0cd1201cc828f8c354fa71cde758c2b": "62",
		"d6f72e834048b4ee0562ad29bb343ed59386749b": "C5",
	}
	r := NewRunner()
	seen := 0
	for _, name := range []string{"62", "C5"} {
		tests, err := ReadFile(filepath.Join(dir, name+".MOO.gz"))
		require.NoError(t, err)
		for i := range tests {
			tt := &tests[i]
			if want[fmt.Sprintf("%x", tt.Hash)] != name {
				continue
			}
			seen++
			require.Equal(t, 6, tt.Exception)
			o, _ := r.run(name, tt, codeBytes(tt))
			assert.True(t, o.Pass, "%s #%d: %s", name, tt.Index, o.Detail)
		}
	}
	assert.Equal(t, 3, seen)
}
