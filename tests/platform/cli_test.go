package platform

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// buildCLI builds cmd/gox86 into dir.
func buildCLI(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not in PATH")
	}
	bin := filepath.Join(dir, "gox86")
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/gox86/gox86/cmd/gox86").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// TestCLIBadInput runs the gox86 command on broken inputs: each run must
// end with a non-zero status and exactly one line on stderr, "gox86: "
// and what went wrong (naming the flag or file involved), never a panic
// or a usage dump.
func TestCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	bin := buildCLI(t, dir)

	type cliCase struct {
		name   string
		args   []string
		status int
		want   []string
	}
	var tests []cliCase
	add := func(name string, status int, args []string, want ...string) {
		tests = append(tests, cliCase{name, args, status, want})
	}
	for _, img := range badImages(t) {
		path := writeBadImage(t, dir, img)
		args := []string{"run", "--hda", path}
		if img.writable {
			args = append(args, "--rw")
		}
		add("hda "+img.name, 2, args, "--hda", path, img.want)
	}
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o644))
		return path
	}
	// Small machines throughout: the errors do not depend on RAM size.
	oddFloppy := write("odd-floppy.img", make([]byte, 1<<20))
	goodFloppy := write("floppy.img", make([]byte, 1474560))
	add("fda of no diskette size", 2, []string{"run", "--memory", "4M", "--fda", oddFloppy}, "not a standard diskette size")
	add("fdb missing", 2, []string{"run", "--memory", "4M", "--fda", goodFloppy, "--fdb", filepath.Join(dir, "nope.img")}, "--fdb", "does not exist")
	add("hdd corrupt gzip", 2, []string{"run", "--memory", "4M", "--hdd", write("hdd.gz", []byte{0x1F, 0x8B, 8, 0, 1, 2})}, "--hdd", "corrupt or truncated gzip stream")

	good := makeELF(emI386, true, elfSeg{ptLoad, 0x100000, 0x2000, 0x3000})
	badClass := append([]byte(nil), good...)
	badClass[4] = 9
	add("kernel missing", 2, []string{"run", "--memory", "4M", "--kernel", filepath.Join(dir, "missing.elf")}, "missing.elf")
	add("kernel empty", 2, []string{"run", "--memory", "4M", "--kernel", write("empty.elf", nil)}, "empty image")
	add("kernel truncated ELF", 2, []string{"run", "--memory", "4M", "--kernel", write("trunc.elf", good[:0x1800])}, "truncated")
	add("kernel corrupt ELF", 2, []string{"run", "--memory", "4M", "--kernel", write("corrupt.elf", badClass)}, "not a valid ELF file")
	add("kernel not multiboot", 2, []string{"run", "--memory", "4M", "--kernel", write("plain.elf", makeELF(emI386, false, elfSeg{ptLoad, 0x100000, 0x1000, 0x1000}))}, "not a multiboot kernel")
	add("kernel too big", 2, []string{"run", "--memory", "4M", "--kernel", write("big.elf", makeELF(emI386, true, elfSeg{ptLoad, 0x100000, 0x1000, 8 << 20}))}, "does not fit in 4 MiB of RAM")
	add("raw empty", 2, []string{"run", "--memory", "4M", "--raw", write("empty.bin", nil)}, "empty image")
	add("raw too big", 2, []string{"run", "--memory", "1M", "--raw", write("big.bin", make([]byte, 64<<10)), "--load-at", "0xF8000"}, "does not fit")
	add("triple fault", 1, []string{"run", "--memory", "4M", "--no-reboot", "--debugcon", "none", "--kernel", filepath.Join(guestDir, "triple.bin"), "--append", "u"},
		"triple fault: triple fault (#UD -> #GP(0033) -> #GP(006B) -> #DF -> #GP(0043)) at 0008:")

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, tc.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdin = strings.NewReader("")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			msg := stderr.String()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "gox86 %v: %v\nstderr: %s", tc.args, err, msg)
			t.Logf("status %d: %s", exit.ExitCode(), strings.TrimSpace(msg))
			require.Equal(t, tc.status, exit.ExitCode(), "gox86 %v\nstderr: %s", tc.args, msg)
			require.True(t, strings.HasPrefix(msg, "gox86: "), "stderr: %q", msg)
			require.Equal(t, 1, strings.Count(msg, "\n"), "want exactly one line on stderr, got %q", msg)
			require.NotContains(t, msg, "panic")
			for _, w := range tc.want {
				require.Contains(t, msg, w)
			}
		})
	}
}
