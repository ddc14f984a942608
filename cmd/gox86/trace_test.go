package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTraceFrom: --trace-from N with --max-instructions M traces exactly
// the instructions N+1..M, one line each with CS:EIP, bytes and
// disassembly.
func TestTraceFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.txt")
	status, _, stderr := runCLI("run", "--raw-demo", "--debugcon", "none", "--trace", path,
		"--trace-from", "100", "--max-instructions", "110")
	require.Equal(t, 0, status, stderr)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 10)
	for _, l := range lines {
		require.Regexp(t, `^[0-9A-F]{4}:[0-9A-F]{8}  [0-9A-F]+ +\S`, l)
	}
}
