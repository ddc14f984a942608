package linux

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadInput gives the CLI broken boot inputs built from the fixture's
// kernel and checks that each is refused before the guest starts: one
// line on stderr naming the problem, nothing from the guest on stdout,
// a non-zero exit, and at once.
func TestBadInput(t *testing.T) {
	f := fixture(t)
	bin := gox86(t)
	kernel, err := os.ReadFile(f.Kernel)
	require.NoError(t, err)
	require.Equal(t, "HdrS", string(kernel[0x202:0x206]), "fixture kernel has no setup header")
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}

	truncated := write("truncated", kernel[:len(kernel)/2])
	old := append([]byte(nil), kernel...)
	binary.LittleEndian.PutUint16(old[0x206:], 0x0201) // boot protocol 2.01
	oldProto := write("proto201", old)
	// 40 MiB does not fit in 32 MiB of RAM; the content does not matter.
	bigInitrd := write("big-initrd", make([]byte, 40<<20))
	cmdlineSize := binary.LittleEndian.Uint32(kernel[0x238:])
	require.NotZero(t, cmdlineSize)
	longCmdline := "console=ttyS0 " + strings.Repeat("x", int(cmdlineSize))

	for _, tc := range []struct {
		name string
		args []string
		want []string // words the error line must contain (lower case)
	}{
		{"truncated bzImage", []string{"--kernel", truncated, "--initrd", f.Initrd}, []string{"truncated"}},
		{"protocol 2.01", []string{"--kernel", oldProto, "--initrd", f.Initrd}, []string{"protocol", "2.01"}},
		{"initrd too big for RAM", []string{"--memory", "32M", "--kernel", f.Kernel, "--initrd", bigInitrd}, []string{"initrd", "fit"}},
		{"cmdline too long", []string{"--kernel", f.Kernel, "--initrd", f.Initrd, "--append", longCmdline}, []string{"command line"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--serial", "stdio", "--no-reboot"}, tc.args...)
			cmd := exec.Command(bin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			elapsed := time.Since(start)
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, "gox86 exited 0; stderr: %s", stderr.String())
			assert.NotZero(t, ee.ExitCode())
			msg := strings.TrimRight(stderr.String(), "\n")
			assert.NotEmpty(t, msg, "no error message")
			assert.NotContains(t, msg, "\n", "error is not one line")
			assert.True(t, strings.HasPrefix(msg, "gox86: "), "error %q does not start with gox86:", msg)
			for _, w := range tc.want {
				assert.Contains(t, strings.ToLower(msg), w)
			}
			assert.Empty(t, stdout.String(), "the guest produced output")
			assert.Less(t, elapsed, 10*time.Second, "refusing the input took too long")
			t.Logf("%s -> exit %d: %s", tc.name, ee.ExitCode(), msg)
		})
	}
}
