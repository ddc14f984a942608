package platform

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGuestBinaries reassembles every guest when nasm is installed and
// checks the committed binary is up to date with its source.
func TestGuestBinaries(t *testing.T) {
	nasm, err := exec.LookPath("nasm")
	if err != nil {
		t.Skip("nasm is not in PATH; the committed guest binaries are not checked against their sources")
	}
	sources, err := filepath.Glob(filepath.Join(guestDir, "*.asm"))
	require.NoError(t, err)
	require.NotEmpty(t, sources)
	for _, src := range sources {
		name := strings.TrimSuffix(filepath.Base(src), ".asm")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), name+".bin")
			cmd := exec.Command(nasm, "-f", "bin", "-w+all", "-o", out, name+".asm")
			cmd.Dir = guestDir
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, "nasm: %s", msg)
			require.Empty(t, strings.TrimSpace(string(msg)), "nasm warnings")
			built, err := os.ReadFile(out)
			require.NoError(t, err)
			committed, err := os.ReadFile(filepath.Join(guestDir, name+".bin"))
			require.NoError(t, err)
			require.True(t, bytes.Equal(built, committed), "guests/%s.bin is stale: rebuild with make -C tests/platform", name)
		})
	}
}
