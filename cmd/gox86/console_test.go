package main

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapeFilter(t *testing.T) {
	cases := []struct {
		name  string
		reads []string // successive reads
		want  string   // bytes passed to the guest
		quit  bool
	}{
		{"plain bytes pass", []string{"hello\r"}, "hello\r", false},
		{"Ctrl-C goes to the guest", []string{"a\x03b"}, "a\x03b", false},
		{"Ctrl-A x quits", []string{"ab\x01xcd"}, "ab", true},
		{"Ctrl-A X quits", []string{"\x01X"}, "", true},
		{"Ctrl-A Ctrl-A is a Ctrl-A", []string{"a\x01\x01b"}, "a\x01b", false},
		{"Ctrl-A other is dropped", []string{"a\x01qb"}, "ab", false},
		{"Ctrl-A Ctrl-A then x is not quit", []string{"\x01\x01x"}, "\x01x", false},
		{"split across reads", []string{"ab\x01", "x"}, "ab", true},
		{"pending escape then plain", []string{"\x01", "\x01", "z"}, "\x01z", false},
		{"lone x", []string{"x"}, "x", false},
		{"ESC passes", []string{"\x1b[A"}, "\x1b[A", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f escapeFilter
			var got []byte
			quit := false
			for _, r := range tc.reads {
				require.False(t, quit, "reads after quit")
				out, q := f.filter([]byte(r))
				got = append(got, out...)
				quit = q
			}
			assert.Equal(t, tc.want, string(got))
			assert.Equal(t, tc.quit, quit)
		})
	}
}

// oneByteReader returns its data a byte per Read, like a terminal.
type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

func TestPumpInput(t *testing.T) {
	var got bytes.Buffer
	quits := 0
	pumpInput(&oneByteReader{[]byte("ls\r\x03\x01\x01\x01xafter")}, &escapeFilter{},
		func(p []byte) { got.Write(p) }, func() { quits++ })
	assert.Equal(t, "ls\r\x03\x01", got.String())
	assert.Equal(t, 1, quits)

	// Without a filter (stdin not a terminal) every byte goes through.
	got.Reset()
	pumpInput(strings.NewReader("a\x01xb"), nil, func(p []byte) { got.Write(p) }, func() { quits++ })
	assert.Equal(t, "a\x01xb", got.String())
	assert.Equal(t, 1, quits)
}

func TestPlanConsole(t *testing.T) {
	type in struct {
		display, serial, debugcon  string
		firmware, stdinTTY, ttyOut bool
	}
	cases := []struct {
		name string
		in   in
		want consolePlan
	}{
		{"terminal: the screen, keyboard from stdin, real time",
			in{"", "none", "auto", true, true, true},
			consolePlan{display: "term", debugcon: "none", keyboard: true, raw: true, realTime: true}},
		{"pipe: debug console on stdout",
			in{"", "none", "auto", true, false, false},
			consolePlan{display: "none", debugcon: "stdio"}},
		{"serial stdio on a terminal: no display, raw, COM1 input",
			in{"", "stdio", "auto", true, true, true},
			consolePlan{display: "none", debugcon: "none", serialIn: true, raw: true, realTime: true}},
		{"serial stdio on a pipe",
			in{"", "stdio", "auto", true, false, false},
			consolePlan{display: "none", debugcon: "none"}},
		{"raw guest on a terminal keeps port E9h on stdout",
			in{"", "none", "auto", false, true, true},
			consolePlan{display: "none", debugcon: "stdio"}},
		{"explicit debugcon stdio turns the default display off",
			in{"", "none", "stdio", true, true, true},
			consolePlan{display: "none", debugcon: "stdio"}},
		{"display none on a terminal",
			in{"none", "file:x", "auto", true, true, true},
			consolePlan{display: "none", debugcon: "stdio"}},
		{"display term on a pipe",
			in{"term", "none", "file:d", true, false, false},
			consolePlan{display: "term", debugcon: "file:d", keyboard: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := planConsole(tc.in.display, tc.in.serial, tc.in.debugcon, tc.in.firmware, tc.in.stdinTTY, tc.in.ttyOut)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := planConsole("term", "stdio", "auto", true, true, true)
	assert.ErrorContains(t, err, "--serial stdio")
	_, err = planConsole("term", "none", "stdio", true, true, true)
	assert.ErrorContains(t, err, "--debugcon stdio")
}

// runCLI runs the command line with non-terminal streams.
func runCLI(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = runIO(append([]string{"gox86"}, args...), streams{out: &out, err: &errOut})
	return status, out.String(), errOut.String()
}

// Bad flags end with a one-line error and a non-zero status, before any
// guest runs.
func TestRunFlagErrors(t *testing.T) {
	dir := t.TempDir()
	raw := writeFile(t, dir, "raw.bin", make([]byte, 512))
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "--display", "bogus"}, `--display: unknown display "bogus" (want term or none)`},
		{[]string{"run", "--display", "term", "--serial", "stdio"}, "cannot share the terminal"},
		{[]string{"run", "--display", "term", "--debugcon", "stdio"}, "cannot share the terminal"},
		{[]string{"run", "--debugcon", "bogus"}, "--debugcon: unknown output"},
		{[]string{"run", "--raw-demo", "--kernel", "x.elf"}, "--raw-demo cannot be used with --kernel"},
		{[]string{"run", "--screenshot", filepath.Join(dir, "no", "such", "dir.png")}, "--screenshot:"},
		{[]string{"run", "stray"}, "no positional arguments"},
		{[]string{"run", "--memory", "bogus"}, `--memory: bad size "bogus"`},
		{[]string{"run", "--memory", "0"}, `--memory: bad size "0"`},
		{[]string{"run", "--memory", "1K"}, "below the 1 MiB minimum"},
		{[]string{"run", "--memory", "100G"}, "above the 3 GiB maximum"},
		{[]string{"run", "--serial", "bogus"}, "unknown serial spec"},
		{[]string{"run", "--serial", "tcp:"}, "missing port"},
		{[]string{"run", "--serial", "tcp:127.0.0.1:99999"}, `bad port "99999"`},
		{[]string{"run", "--serial", "file:" + filepath.Join(dir, "no", "such", "com1")}, "--serial:"},
		{[]string{"run", "--ips", "0"}, "--ips must be positive"},
		{[]string{"run", "--ips", "-5"}, `invalid value "-5" for flag -ips`},
		{[]string{"run", "--max-instructions", "-1"}, `invalid value "-1"`},
		{[]string{"run", "--no-such-flag"}, "flag provided but not defined"},
		{[]string{"run", "--raw", raw, "--load-at", "zz"}, `--load-at: bad address "zz"`},
		{[]string{"run", "--raw", raw, "--entry", "12"}, `--entry: bad entry "12"`},
		{[]string{"run", "--raw", "x.bin", "--kernel", "y.elf"}, "cannot be used together"},
		{[]string{"run", "--bios", filepath.Join(dir, "nope.bin")}, "--bios:"},
		{[]string{"run", "--bios", writeFile(t, dir, "short.bin", make([]byte, 3))}, "--bios " + filepath.Join(dir, "short.bin") + ": firmware image is 3 bytes"},
		{[]string{"run", "--trace", filepath.Join(dir, "no", "such", "t.txt")}, "--trace:"},
		{[]string{"run", "--trace-from", "5"}, "--trace-from needs --trace"},
		{[]string{"run", "--append", "quiet"}, "--append needs --kernel"},
		{[]string{"run", "--initrd", "x.gz"}, "--initrd needs --kernel"},
		{[]string{"run", "--load-at", "0x7c00"}, "--load-at needs --raw"},
		{[]string{"run", "--entry", "0000:7c00"}, "--entry needs --raw"},
		{[]string{"disasm"}, "exactly one FILE"},
		{[]string{"disasm", "a.bin", "b.bin"}, "exactly one FILE"},
		{[]string{"disasm", filepath.Join(dir, "nope.bin")}, "no such file"},
		{[]string{"disasm", "x.bin", "--mode", "64"}, "--mode must be 16 or 32"},
		{[]string{"version", "x"}, "takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, stdout, stderr := runCLI(tc.args...)
			assert.NotEqual(t, 0, status)
			assert.Empty(t, stdout)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "gox86: "), stderr)
			assert.NotContains(t, stderr, "gox86: gox86:")
			assert.Contains(t, stderr, tc.msg)
		})
	}
}

func TestRunHelpDocumentsConsole(t *testing.T) {
	status, stdout, _ := runCLI("run", "--help")
	assert.Equal(t, 0, status)
	for _, s := range []string{"--display", "--screenshot", "--raw-demo", "Ctrl-A X quits", "Ctrl-C included", "demo OS"} {
		assert.Contains(t, stdout, s)
	}
}

// The old real-mode demo stays reachable and prints through port E9h.
func TestRawDemo(t *testing.T) {
	status, stdout, stderr := runCLI("run", "--raw-demo", "--memory", "16M")
	assert.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "primes below 100: 2 3 5 7 ")
	assert.Contains(t, stdout, "reversed: desserts")
}
