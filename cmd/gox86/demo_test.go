package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

// demoRun is the result of one `gox86 run` through the CLI's code path.
type demoRun struct {
	status       int
	stdout       string // the debug console (--debugcon auto: stdout here)
	stderr       string
	serial       string // COM1
	instructions uint64
	virtual      time.Duration
}

var statsRE = regexp.MustCompile(`gox86: (\d+) instructions retired in .*, virtual time (\S+)`)

// runDemo runs the CLI with args after "gox86 run", adding --stats and a
// serial file, with stdin and stdout that are not terminals.
func runDemo(t *testing.T, args ...string) demoRun {
	t.Helper()
	serial := filepath.Join(t.TempDir(), "serial.txt")
	var out, errOut bytes.Buffer
	argv := append([]string{"gox86", "run", "--stats", "--serial", "file:" + serial}, args...)
	status := runIO(argv, streams{in: nil, out: &out, err: &errOut})
	r := demoRun{status: status, stdout: out.String(), stderr: errOut.String()}
	data, err := os.ReadFile(serial)
	require.NoError(t, err)
	r.serial = string(data)
	m := statsRE.FindStringSubmatch(r.stderr)
	require.NotNil(t, m, "no --stats line in stderr:\n%s", r.stderr)
	r.instructions, err = strconv.ParseUint(m[1], 10, 64)
	require.NoError(t, err)
	r.virtual, err = time.ParseDuration(m[2])
	require.NoError(t, err)
	return r
}

// e820Line formats a map entry as the demo prints it (Linux's format).
func e820Line(base, length uint64, kind string) string {
	return fmt.Sprintf("e820: [mem 0x%016x-0x%016x] %s", base, base+length-1, kind)
}

// biosE820 is the system address map the built-in BIOS documents for
// INT 15h AX=E820h (bios/services.go): conventional memory below the
// 1 KiB EBDA, the EBDA, the BIOS area E0000h-FFFFFh, the RAM above 1 MiB,
// and the 256 KiB ROM alias below 4 GiB.
func biosE820(ram uint64) []string {
	return []string{
		e820Line(0, 0x9FC00, "usable"),
		e820Line(0x9FC00, 0x400, "reserved"),
		e820Line(0xE0000, 0x20000, "reserved"),
		e820Line(0x100000, ram-0x100000, "usable"),
		e820Line(0xFFFC0000, 0x40000, "reserved"),
		fmt.Sprintf("e820: 5 entries, %d KiB usable", (0x9FC00+ram-0x100000)>>10),
	}
}

// lines splits output into lines without their line ends.
func lines(s string) []string {
	s = strings.ReplaceAll(s, "\r", "")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// requireInOrder checks that each pattern matches a line, in order, and
// returns the submatches of each.
func requireInOrder(t *testing.T, out []string, patterns ...string) [][]string {
	t.Helper()
	var found [][]string
	k := 0
	for _, p := range patterns {
		re := regexp.MustCompile("^" + p + "$")
		for ; k < len(out); k++ {
			if m := re.FindStringSubmatch(out[k]); m != nil {
				found = append(found, m)
				break
			}
		}
		require.Less(t, k, len(out), "no line matching %q (in order) in:\n%s", p, strings.Join(out, "\n"))
		k++
	}
	return found
}

// stage2Sectors is how many sectors after the boot sector the demo image
// uses (up to its last non-zero byte).
func stage2Sectors(t *testing.T) int {
	zr, err := gzip.NewReader(bytes.NewReader(demoOSImage))
	require.NoError(t, err)
	img, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Len(t, img, 1474560, "a 1.44 MB floppy")
	require.Equal(t, []byte{0x55, 0xAA}, img[510:512], "boot signature")
	last := len(img) - 1
	for last > 0 && img[last] == 0 {
		last--
	}
	return (last + 1 - 512 + 511) / 512
}

// TestDemoOS is the acceptance: `gox86 run` with no image boots
// the demo OS to its end, and two runs print the same output and retire
// the same number of instructions. The narration is checked against what
// the hardware and the BIOS define, not against a recorded run.
func TestDemoOS(t *testing.T) {
	shot := filepath.Join(t.TempDir(), "screen.png")
	a := runDemo(t, "--screenshot", shot)
	b := runDemo(t)
	require.Equal(t, 0, a.status, "stderr: %s", a.stderr)
	require.Equal(t, 0, b.status, "stderr: %s", b.stderr)
	assert.Equal(t, a.stdout, b.stdout, "stdout differs between runs")
	assert.Equal(t, a.serial, b.serial, "COM1 output differs between runs")
	assert.Equal(t, a.instructions, b.instructions, "instruction counts differ")
	assert.Equal(t, a.virtual, b.virtual, "virtual times differ")
	assert.Contains(t, a.stderr, "run ended: debug-exit port")

	// Every line goes to the screen, COM1 (CR LF) and port E9h (LF).
	require.NotEmpty(t, a.stdout)
	assert.Equal(t, a.stdout, strings.ReplaceAll(a.serial, "\r", ""), "COM1 and the debug console differ")
	assert.NotContains(t, strings.ReplaceAll(a.serial, "\r\n", ""), "\n", "COM1 lines end in CR LF")
	out := lines(a.stdout)
	for _, l := range out {
		assert.LessOrEqual(t, len(l), 79, "line wraps on the 80-column screen: %q", l)
	}

	base := gox86.DefaultRTCBase
	date := base.Format("2006-01-02")
	m := requireInOrder(t, out,
		`boot: the BIOS loaded this boot sector to 0000:7c00; drive 00h in DL`, // floppy A:
		`boot: INT 13h AH=02h read (\d+) sectors of drive 00h \(CHS 0/0/2\) to 0000:8000`,
		`real mode: .*`,
		`e820: the BIOS memory map \(INT 15h AX=E820h\):`,
	)
	n, _ := strconv.Atoi(m[1][1])
	assert.Equal(t, stage2Sectors(t), n, "the boot sector loads all of stage 2")

	var want []string
	for _, l := range biosE820(gox86.DefaultMemory) {
		want = append(want, regexp.QuoteMeta(l))
	}
	requireInOrder(t, out, want...)

	m = requireInOrder(t, out,
		`rtc: `+date+` (\d\d):(\d\d):(\d\d) \(INT 1Ah AH=04h and AH=02h\)`,
		`a20: on .*`,
		`gdt: .*`,
		`protected mode: on, CR0=0x[0-9a-f]{7}[13], CS=0008h, .*`, // PE (and ET) set
		`paging: .*`,
		`paging: on, CR0=0x[89a-f][0-9a-f]{6}[13], CR3=0x00020000; .*`,
		`kbd: 8042 command byte 0x[0-9a-f]{2}: translation to scan code set 1 on, IRQ1 on`,
		`pic: .*`,
		`pit: channel 0, mode 2, divisor 11932: 100 Hz`, // 1193182 Hz / 11932
		`idt: .*`,
		`sti: .*`,
		`tick: 1 s`,
		`tick: 2 s`,
		`tick: 3 s`,
		`keyboard: type .*`,
		`keyboard: no key for 3 s`,
		`uptime: (\d+) ticks = (\d+)\.(\d\d) s since the PIT was set; rtc: `+date+` (\d\d):(\d\d):(\d\d)`,
		`goodbye: .*`,
	)
	assert.Equal(t, "goodbye: writing 10h to port F4h (isa-debug-exit)", out[len(out)-1])

	// Time: the RTC starts at DefaultRTCBase; three seconds of ticks and
	// three more without a key pass before the end, measured by the PIT
	// and seen by the RTC and the machine's virtual clock alike.
	clock := func(sm []string) int {
		h, _ := strconv.Atoi(sm[0])
		mi, _ := strconv.Atoi(sm[1])
		s, _ := strconv.Atoi(sm[2])
		return h*3600 + mi*60 + s
	}
	start := clock(m[0][1:4])
	assert.LessOrEqual(t, start, 1, "the boot takes well under a second")
	ticks, _ := strconv.Atoi(m[16][1])
	assert.GreaterOrEqual(t, ticks, 600)
	assert.Less(t, ticks, 700)
	secs, _ := strconv.Atoi(m[16][2])
	hundredths, _ := strconv.Atoi(m[16][3])
	assert.Equal(t, ticks, secs*100+hundredths)
	end := clock(m[16][4:7])
	assert.InDelta(t, float64(ticks)/100, float64(end-start), 1.0, "RTC and PIT disagree")
	assert.InDelta(t, float64(ticks)/100, a.virtual.Seconds(), 0.5, "virtual clock and PIT disagree")

	// The final screen was saved.
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 720, img.Bounds().Dx(), "80 columns of 9 dots")
	assert.Equal(t, 400, img.Bounds().Dy(), "25 rows of 16 lines")
}

// TestDemoOSMemoryMap: the map follows --memory.
func TestDemoOSMemoryMap(t *testing.T) {
	r := runDemo(t, "--memory", "24M", "--debugcon", "none")
	require.Equal(t, 0, r.status, r.stderr)
	assert.Empty(t, r.stdout)
	var want []string
	for _, l := range biosE820(24 << 20) {
		want = append(want, regexp.QuoteMeta(l))
	}
	requireInOrder(t, lines(r.serial), want...)
}

// captureSerial is a COM1 backend that keeps what the guest sends.
type captureSerial struct{ buf bytes.Buffer }

func (c *captureSerial) Write(b byte)       { c.buf.WriteByte(b) }
func (c *captureSerial) Read() (byte, bool) { return 0, false }
func (c *captureSerial) Close() error       { return nil }

// screenLines returns the text screen's rows, trailing blanks removed.
func screenLines(m *gox86.Machine) []string {
	cols, rows, cells, _, _, _ := m.VGA.TextScreen()
	var screen []string
	for r := 0; r < rows; r++ {
		var sb strings.Builder
		for c := 0; c < cols; c++ {
			sb.WriteRune(devices.CP437Rune(cells[r*cols+c].Ch))
		}
		screen = append(screen, strings.TrimRight(sb.String(), " "))
	}
	return screen
}

// runUntilScreen runs m in small steps until a screen row starts with
// prefix; the steps are fixed, so where input lands stays deterministic.
func runUntilScreen(t *testing.T, m *gox86.Machine, prefix string) {
	t.Helper()
	const step = 10_000
	for n := 0; ; n++ {
		for _, l := range screenLines(m) {
			if strings.HasPrefix(l, prefix) {
				return
			}
		}
		require.Less(t, n, 10_000, "the screen never showed %q", prefix)
		res := m.Run(m.CPU.InstructionCount() + step)
		require.Equal(t, gox86.ExitInstructionLimit, res.Reason, "waiting for %q: %s: %s\n%s",
			prefix, res.Reason, res.Detail, strings.Join(screenLines(m), "\n"))
	}
}

// TestDemoOSKeyboard types on the 8042 keyboard once the demo waits for
// keys and checks the echo on COM1 and on the screen: Shift, Backspace,
// Enter, Ctrl-C as ^C, and ESC ending the demo.
func TestDemoOSKeyboard(t *testing.T) {
	floppy, err := demoFloppy()
	require.NoError(t, err)
	com1 := &captureSerial{}
	m, err := gox86.New(gox86.Config{
		MemoryBytes: 16 << 20,
		Floppy:      [2]*devices.DiskImage{floppy},
		Serial:      [4]devices.SerialBackend{com1},
	})
	require.NoError(t, err)
	runUntilScreen(t, m, "keyboard: type")
	for _, b := range []byte("Hi!\x7f\rx\x03") {
		require.True(t, m.KBC.TypeASCII(b))
	}
	runUntilScreen(t, m, "> x^C")
	require.True(t, m.KBC.TypeASCII(0x1B))
	res := m.Run(0)
	require.Equal(t, gox86.ExitDebugPort, res.Reason, "%s: %s", res.Reason, res.Detail)
	assert.Equal(t, demoExitStatus, res.Status)

	out := com1.buf.String()
	i := strings.Index(out, "keyboard: type")
	require.GreaterOrEqual(t, i, 0)
	echo := out[i:]
	echo = echo[strings.Index(echo, "\r\n")+2:]
	assert.True(t, strings.HasPrefix(echo, "> Hi!\b \b\r\n> x^C\r\nkeyboard: ESC\r\n"), "echo: %q", echo)
	requireInOrder(t, screenLines(m), `keyboard: type .*`, `> Hi`, `> x\^C`, `keyboard: ESC`, `goodbye: .*`)
}
