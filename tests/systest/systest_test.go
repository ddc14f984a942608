package systest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

// guests are the programs in tests/guests, in the order they are reported.
var guests = []string{"exceptions", "rings", "tasks", "v86", "paging"}

const (
	guestDir = "../guests"
	// exitStatus is what isa-debug-exit turns the guests' final write of
	// 10h into: (10h << 1) | 1.
	exitStatus = 33
	// maxInstructions bounds a gox86 run; each guest needs well under
	// 100 million (most of them polling the UART).
	maxInstructions = 500_000_000
	qemuTimeout     = 60 * time.Second
	qemuBinary      = "qemu-system-i386"
)

// expectedLine is one line of a golden file and what QEMU prints there
// when QEMU and the SDM disagree.
type expectedLine struct {
	text   string
	qemu   string // QEMU's line when it differs from text
	lineNo int    // in the golden file
}

// parseExpected reads tests/guests/NAME.expected: output lines, '#'
// comments, and annotations that apply to the line before them:
// "@qemu-rf" (QEMU prints the line with RF clear in fl= and "BAD") and
// "@qemu LINE" (QEMU prints LINE).
func parseExpected(path string) ([]expectedLine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []expectedLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		s := strings.TrimRight(sc.Text(), "\r")
		switch {
		case s == "" || strings.HasPrefix(s, "#"):
			continue
		case strings.HasPrefix(s, "@"):
			if len(lines) == 0 || lines[len(lines)-1].qemu != "" {
				return nil, fmt.Errorf("%s:%d: annotation without a line to apply to", path, n)
			}
			prev := &lines[len(lines)-1]
			switch {
			case s == "@qemu-rf":
				q, err := withoutRF(prev.text)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %v", path, n, err)
				}
				prev.qemu = q
			case strings.HasPrefix(s, "@qemu "):
				prev.qemu = strings.TrimPrefix(s, "@qemu ")
			default:
				return nil, fmt.Errorf("%s:%d: unknown annotation %q", path, n, s)
			}
		default:
			lines = append(lines, expectedLine{text: s, lineNo: n})
		}
	}
	return lines, sc.Err()
}

// withoutRF is what QEMU prints for a fault line: EFLAGS.RF (bit 16)
// clear in the pushed image, and hence the guest's "BAD" verdict.
func withoutRF(line string) (string, error) {
	i := strings.Index(line, " fl=")
	if i < 0 || len(line) < i+12 || !strings.HasSuffix(line, " ok") {
		return "", fmt.Errorf("@qemu-rf needs a line with fl=XXXXXXXX ending in ok: %q", line)
	}
	fl, err := strconv.ParseUint(line[i+4:i+12], 16, 32)
	if err != nil || fl&(1<<16) == 0 {
		return "", fmt.Errorf("@qemu-rf needs fl= with RF set: %q", line)
	}
	q := line[:i+4] + fmt.Sprintf("%08X", fl&^(1<<16)) + line[i+12:]
	return strings.TrimSuffix(q, " ok") + " BAD", nil
}

// outputLines splits serial output into lines, from the guest's BEGIN
// line on (anything a firmware printed before is not the guest's).
func outputLines(out []byte) []string {
	var lines []string
	for _, s := range strings.Split(strings.ReplaceAll(string(out), "\r", ""), "\n") {
		if len(lines) == 0 && !strings.HasPrefix(s, "BEGIN ") {
			continue
		}
		lines = append(lines, s)
	}
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	return lines
}

// compare checks got against want (pick chooses the expected text of a
// line) and returns one message per difference.
func compare(want []expectedLine, pick func(expectedLine) []string, got []string) []string {
	var diffs []string
	for k, w := range want {
		alts := pick(w)
		if k >= len(got) {
			diffs = append(diffs, fmt.Sprintf("line %d missing (output ended)\n    want: %s", k+1, alts[0]))
			continue
		}
		ok := false
		for _, a := range alts {
			if got[k] == a {
				ok = true
			}
		}
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s\n    want: %s\n    got:  %s%s",
				checkID(alts[0]), alts[0], got[k], fieldDiff(alts[0], got[k])))
		}
	}
	for k := len(want); k < len(got); k++ {
		diffs = append(diffs, fmt.Sprintf("unexpected extra line %d: %s", k+1, got[k]))
	}
	return diffs
}

func checkID(line string) string {
	if i := strings.Index(line, ":"); i > 0 {
		return line[:i]
	}
	return line
}

// fieldDiff names the key=value fields that differ between two lines of
// the same check, to make a mismatch quick to read.
func fieldDiff(want, got string) string {
	wf, gf := strings.Fields(want), strings.Fields(got)
	if len(wf) != len(gf) {
		return ""
	}
	var parts []string
	for k := range wf {
		if wf[k] != gf[k] {
			parts = append(parts, fmt.Sprintf("%s -> %s", wf[k], gf[k]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n    diff: " + strings.Join(parts, ", ")
}

// serialBuffer is an in-memory serial backend collecting what the guest
// sends.
type serialBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *serialBuffer) Write(b byte) {
	s.mu.Lock()
	s.buf.WriteByte(b)
	s.mu.Unlock()
}

func (s *serialBuffer) Read() (byte, bool) { return 0, false }

func (s *serialBuffer) Close() error { return nil }

func (s *serialBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.buf.Bytes())
}

var _ devices.SerialBackend = (*serialBuffer)(nil)

// runGox86 boots a guest image as a Multiboot kernel on a 64 MiB machine.
func runGox86(t *testing.T, img []byte) ([]byte, gox86.Result) {
	t.Helper()
	serial := &serialBuffer{}
	m, err := gox86.New(gox86.Config{
		MemoryBytes: 64 << 20,
		NoReboot:    true,
		Serial:      [4]devices.SerialBackend{serial},
	})
	require.NoError(t, err)
	require.NoError(t, m.LoadMultiboot(img, ""))
	res := m.Run(maxInstructions)
	return serial.Bytes(), res
}

// runQEMU boots a guest under qemu-system-i386 the same way; it returns
// the serial output and QEMU's exit status.
func runQEMU(t *testing.T, binPath string) ([]byte, int) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "serial.out")
	ctx, cancel := context.WithTimeout(context.Background(), qemuTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemuBinary,
		"-cpu", "pentium2", "-m", "64", "-display", "none", "-no-reboot",
		"-serial", "file:"+out,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=4",
		"-kernel", binPath)
	msg, err := cmd.CombinedOutput()
	status := 0
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Errorf("QEMU did not finish within %v", qemuTimeout)
		status = -1
	case errors.As(err, &exitErr):
		status = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v\n%s", qemuBinary, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("QEMU wrote no serial output (%v); its messages:\n%s", err, msg)
	}
	return data, status
}

func report(t *testing.T, who string, diffs []string, raw []byte) {
	t.Helper()
	if len(diffs) == 0 {
		return
	}
	t.Errorf("%s output differs from the expected lines in %d place(s):\n  %s\n--- full %s output ---\n%s",
		who, len(diffs), strings.Join(diffs, "\n  "), who, strings.ReplaceAll(string(raw), "\r", ""))
}

// TestGuests runs each guest under gox86 (compared with the SDM-reviewed
// golden lines) and, where installed, under QEMU (compared with what QEMU
// is recorded to print).
func TestGuests(t *testing.T) {
	_, qemuErr := exec.LookPath(qemuBinary)
	for _, name := range guests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			binPath := filepath.Join(guestDir, name+".bin")
			img, err := os.ReadFile(binPath)
			require.NoError(t, err)
			want, err := parseExpected(filepath.Join(guestDir, name+".expected"))
			require.NoError(t, err)
			require.NotEmpty(t, want)

			t.Run("gox86", func(t *testing.T) {
				t.Parallel()
				out, res := runGox86(t, img)
				t.Logf("gox86: %v after %d instructions", res.Reason, res.Instructions)
				if res.Reason != gox86.ExitDebugPort || res.Status != exitStatus {
					t.Errorf("run ended with %v, status %d (want %v, status %d): %s",
						res.Reason, res.Status, gox86.ExitDebugPort, exitStatus, res.Detail)
				}
				sdm := func(l expectedLine) []string { return []string{l.text} }
				report(t, "gox86", compare(want, sdm, outputLines(out)), out)
			})

			t.Run("qemu", func(t *testing.T) {
				if qemuErr != nil {
					t.Skipf("%s is not in PATH, so the reference run is skipped; "+
						"gox86 is still checked against the recorded lines", qemuBinary)
				}
				t.Parallel()
				out, status := runQEMU(t, binPath)
				if status != exitStatus {
					t.Errorf("QEMU exited with status %d, want %d", status, exitStatus)
				}
				recorded := func(l expectedLine) []string {
					if l.qemu != "" {
						return []string{l.qemu, l.text}
					}
					return []string{l.text}
				}
				report(t, "QEMU", compare(want, recorded, outputLines(out)), out)
			})
		})
	}
}

// TestGuestBinaries reassembles each guest when nasm is installed and
// checks that the committed binary is up to date.
func TestGuestBinaries(t *testing.T) {
	nasm, err := exec.LookPath("nasm")
	if err != nil {
		t.Skip("nasm is not in PATH; the committed binaries are not checked against their sources")
	}
	for _, name := range guests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), name+".bin")
			cmd := exec.Command(nasm, "-f", "bin", "-o", out, name+".asm")
			cmd.Dir = guestDir
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, "nasm: %s", msg)
			built, err := os.ReadFile(out)
			require.NoError(t, err)
			committed, err := os.ReadFile(filepath.Join(guestDir, name+".bin"))
			require.NoError(t, err)
			require.True(t, bytes.Equal(built, committed),
				"%s.bin is stale: rebuild with make -C tests/guests (and re-record %s.expected)", name, name)
		})
	}
}

// TestParseExpected covers the golden-file annotations.
func TestParseExpected(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.expected")
	require.NoError(t, os.WriteFile(path, []byte(
		"# comment\nBEGIN x\nT01 a: v=00 err=none eip=00101000 cs=0008 fl=00010046 ok\n@qemu-rf\n"+
			"# why\nT02 b: v=0C ok\n@qemu T02 b: none BAD\nT03 c: none ok\nEND\n"), 0o644))
	lines, err := parseExpected(path)
	require.NoError(t, err)
	require.Len(t, lines, 5)
	require.Equal(t, "T01 a: v=00 err=none eip=00101000 cs=0008 fl=00000046 BAD", lines[1].qemu)
	require.Equal(t, "T02 b: none BAD", lines[2].qemu)
	require.Empty(t, lines[3].qemu)

	got := []string{"BEGIN x", lines[1].qemu, "T02 b: v=0D ok", "T03 c: none ok"}
	diffs := compare(lines, func(l expectedLine) []string { return []string{l.text} }, got)
	require.Len(t, diffs, 3) // T01, T02, missing END
	require.Contains(t, diffs[0], "fl=00010046 -> fl=00000046")

	require.NoError(t, os.WriteFile(path, []byte("@qemu-rf\n"), 0o644))
	_, err = parseExpected(path)
	require.Error(t, err)
}
