package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urfave/cli/v2"
)

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func TestFlagsFirst(t *testing.T) {
	cmds := []*cli.Command{disasmCommand(), runCommand(new(int), streams{})}
	cases := []struct {
		name string
		in   []string
		want []string
	}{
		{"flags already first", []string{"gox86", "disasm", "--mode", "32", "f.bin"},
			[]string{"gox86", "disasm", "--mode", "32", "--", "f.bin"}},
		{"flags after the file", []string{"gox86", "disasm", "f.bin", "--mode", "16", "--org", "0x7c00"},
			[]string{"gox86", "disasm", "--mode", "16", "--org", "0x7c00", "--", "f.bin"}},
		{"flag=value is one token", []string{"gox86", "disasm", "f.bin", "--mode=32"},
			[]string{"gox86", "disasm", "--mode=32", "--", "f.bin"}},
		{"bool flag takes no value", []string{"gox86", "run", "--stats", "stray"},
			[]string{"gox86", "run", "--stats", "--", "stray"}},
		{"double dash keeps the rest positional", []string{"gox86", "disasm", "--", "-odd.bin"},
			[]string{"gox86", "disasm", "--", "-odd.bin"}},
		{"value flag at the end", []string{"gox86", "disasm", "f.bin", "--mode"},
			[]string{"gox86", "disasm", "--mode", "--", "f.bin"}},
		{"no positional", []string{"gox86", "run", "--raw-demo"},
			[]string{"gox86", "run", "--raw-demo"}},
		{"unknown command untouched", []string{"gox86", "bogus", "x", "--y"},
			[]string{"gox86", "bogus", "x", "--y"}},
		{"global flag untouched", []string{"gox86", "--help"},
			[]string{"gox86", "--help"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, flagsFirst(tc.in, cmds))
		})
	}
}

// TestDisasmFlagOrder: the README's `disasm FILE --mode 16 --org 0x7c00`
// and the flags-first form print the same listing.
func TestDisasmFlagOrder(t *testing.T) {
	path := writeFile(t, t.TempDir(), "boot.bin", []byte{0xB8, 0x34, 0x12, 0xCD, 0x10})
	want := "00007C00  B83412               mov ax, 0x1234\n" +
		"00007C03  CD10                 int 0x10\n"
	for _, args := range [][]string{
		{"disasm", path, "--mode", "16", "--org", "0x7c00"},
		{"disasm", "--mode", "16", "--org", "0x7c00", path},
		{"disasm", "--org=0x7c00", path, "--mode=16"},
	} {
		status, stdout, stderr := runCLI(args...)
		assert.Equal(t, 0, status, stderr)
		assert.Equal(t, want, stdout, "%v", args)
	}
}
