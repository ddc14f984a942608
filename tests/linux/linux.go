// Package linux holds the Linux boot tests: Debian's i386 6.1 "686"
// kernel with a busybox initramfs, booted by gox86 directly (--kernel and
// --initrd), from a SYSLINUX hard disk on the built-in BIOS and on
// SeaBIOS, interactively through a pseudo-terminal, and the loader's
// rejection of bad images before the guest starts.
//
// The fixture is built by `make linux-fixture` (scripts/linux-fixture.sh)
// into .cache/linux, which git ignores; LINUX_FIXTURE_DIR names another
// folder. Tests that need it skip when it is absent.
//
// The initramfs's /init runs a scripted session by default and prints
// markers this package checks: uname, /proc/cpuinfo (our CPU and its FPU),
// a shell arithmetic loop, /proc/interrupts twice (the timer and serial
// counts must rise), and a tmpfs file written and read back; then it runs
// `reboot -f`, which with --no-reboot ends gox86 with status 0. With
// gox86.interactive=1 on the command line it starts a shell on the
// console instead; with gox86.bench=1 it prints ShellReady and reboots.
//
// The same checks run against qemu-system-i386 when it is installed, so
// the fixture and the expectations are validated by an independent
// reference.
package linux

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gox86/gox86/cpu"
)

// Markers /init prints (scripts/linux-fixture.sh).
const (
	SessionBegin = "GOX86-SESSION-BEGIN"
	SessionEnd   = "GOX86-SESSION-END"
	ShellReady   = "GOX86-SHELL-READY"
	ShellPrompt  = "gox86# "
)

// Fixture is a built fixture folder.
type Fixture struct {
	Dir    string
	Kernel string // vmlinuz
	Initrd string // initrd.gz
	Disk   string // disk.img, SYSLINUX on FAT16 in an MBR partition
}

// RepoRoot finds the gox86 module root above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/gox86/gox86\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no gox86 go.mod above the working directory")
		}
		dir = parent
	}
}

// FixtureDir is $LINUX_FIXTURE_DIR (relative to the repo root, as the
// Makefile takes it), or .cache/linux in the repo root.
func FixtureDir() (string, error) {
	d := os.Getenv("LINUX_FIXTURE_DIR")
	if filepath.IsAbs(d) {
		return d, nil
	}
	if d == "" {
		d = filepath.Join(".cache", "linux")
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, d), nil
}

// FindFixture returns the fixture, or an error saying what is missing.
func FindFixture() (*Fixture, error) {
	dir, err := FixtureDir()
	if err != nil {
		return nil, err
	}
	f := &Fixture{
		Dir:    dir,
		Kernel: filepath.Join(dir, "vmlinuz"),
		Initrd: filepath.Join(dir, "initrd.gz"),
		Disk:   filepath.Join(dir, "disk.img"),
	}
	for _, p := range []string{f.Kernel, f.Initrd, f.Disk} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("no Linux fixture (%s missing; run `make linux-fixture`)", p)
		}
	}
	return f, nil
}

// Watcher is an io.Writer that keeps everything written to it and
// records when each watched marker first appears.
type Watcher struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	start   time.Time
	seen    map[string]time.Duration
	watched map[string]chan struct{} // closed once the marker is seen
}

// NewWatcher starts the clock that Seen reports against and watches
// markers from the start.
func NewWatcher(markers ...string) *Watcher {
	w := &Watcher{start: time.Now(), seen: map[string]time.Duration{}, watched: map[string]chan struct{}{}}
	for _, m := range markers {
		w.Wait(m)
	}
	return w
}

// Write implements io.Writer.
func (w *Watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for m, ch := range w.watched {
		if _, ok := w.seen[m]; ok {
			continue
		}
		// Only the new bytes, and a marker split across writes.
		from := max(w.buf.Len()-len(p)-len(m), 0)
		if bytes.Contains(w.buf.Bytes()[from:], []byte(m)) {
			w.seen[m] = time.Since(w.start)
			close(ch)
		}
	}
	return len(p), nil
}

// Wait watches marker and returns a channel closed once it is written.
func (w *Watcher) Wait(marker string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.watched[marker]; ok {
		return ch
	}
	ch := make(chan struct{})
	w.watched[marker] = ch
	if bytes.Contains(w.buf.Bytes(), []byte(marker)) {
		w.seen[marker] = time.Since(w.start)
		close(ch)
	}
	return ch
}

// WaitFor waits up to d for marker; it reports whether it came.
func (w *Watcher) WaitFor(marker string, d time.Duration) bool {
	ch := w.Wait(marker)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}

// Seen is the time from NewWatcher to the first appearance of a watched
// marker.
func (w *Watcher) Seen(marker string) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, ok := w.seen[marker]
	return d, ok
}

// String returns everything written so far.
func (w *Watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Len is the number of bytes written so far.
func (w *Watcher) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Len()
}

// Normalize turns CRLF into LF and drops other carriage returns.
func Normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "")
}

// section returns the lines between "== name" and the next "== " line or
// the session end marker.
func section(s, name string) (string, bool) {
	head := "\n== " + name + "\n"
	i := strings.Index(s, head)
	if i < 0 {
		return "", false
	}
	rest := s[i+len(head):]
	end := len(rest)
	if j := strings.Index(rest, "\n== "); j >= 0 {
		end = j + 1
	}
	if j := strings.Index(rest, SessionEnd); j >= 0 && j < end {
		end = j
	}
	return rest[:end], true
}

// Interrupts is one /proc/interrupts listing: the count on CPU0 by row
// name ("0", "4", "LOC", ...) and each row's description.
type Interrupts struct {
	Count map[string]uint64
	Desc  map[string]string
}

var irqLine = regexp.MustCompile(`^\s*([0-9A-Z]+):\s+(\d+)\s*(.*)$`)

// ParseInterrupts reads a /proc/interrupts listing with one CPU column.
func ParseInterrupts(s string) Interrupts {
	in := Interrupts{Count: map[string]uint64{}, Desc: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		m := irqLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, err := strconv.ParseUint(m[2], 10, 64)
		if err != nil {
			continue
		}
		in.Count[m[1]] = n
		in.Desc[m[1]] = strings.TrimSpace(m[3])
	}
	return in
}

// row finds the first numbered IRQ row whose description contains word.
func (in Interrupts) row(word string) (string, bool) {
	for irq := 0; irq < 256; irq++ {
		k := strconv.Itoa(irq)
		if d, ok := in.Desc[k]; ok && strings.Contains(d, word) {
			return k, true
		}
	}
	return "", false
}

// CPUModel is what /proc/cpuinfo should say about the emulated CPU: the
// family and model of cpu.Signature.
func CPUModel() (family, model int) {
	return cpu.Signature >> 8 & 0xF, cpu.Signature >> 4 & 0xF
}

// CheckSession checks the scripted session's output and returns every
// problem found (none: the session ran as it should). The checks are
// the same for gox86 and QEMU; where they differ (QEMU's timer tick comes
// from the local APIC) either is accepted.
func CheckSession(raw string, wantFamily, wantModel int) []string {
	s := Normalize(raw)
	var bad []string
	fail := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	b := strings.Index(s, SessionBegin)
	e := strings.Index(s, SessionEnd)
	if b < 0 {
		return []string{"no " + SessionBegin + ": /init never ran"}
	}
	if e < b {
		fail("no %s: the session did not finish", SessionEnd)
		e = len(s)
	}
	sess := "\n" + s[b:e]

	if u, ok := section(sess, "uname"); !ok {
		fail("no uname section")
	} else if !regexp.MustCompile(`(?m)^Linux \S+ 6\.1\.\S+ #1 SMP .* i[3-6]86 GNU/Linux$`).MatchString(u) {
		fail("uname -a: want a 6.1 i686 Linux line, got %q", strings.TrimSpace(u))
	}

	if c, ok := section(sess, "cpuinfo"); !ok {
		fail("no cpuinfo section")
	} else {
		want := []string{
			`(?m)^processor\s*: 0$`,
			`(?m)^vendor_id\s*: GenuineIntel$`,
			fmt.Sprintf(`(?m)^cpu family\s*: %d$`, wantFamily),
			fmt.Sprintf(`(?m)^model\s*: %d$`, wantModel),
			`(?m)^model name\s*: .*Pentium`,
			`(?m)^fdiv_bug\s*: no$`, // the kernel's own FDIV check
			`(?m)^fpu\s*: yes$`,
			`(?m)^fpu_exception\s*: yes$`,
			`(?m)^flags\s*: fpu( |$)`,
			`(?m)^flags\s*: .*\bcmov\b`,
			`(?m)^bogomips\s*: [1-9]`,
		}
		for _, re := range want {
			if !regexp.MustCompile(re).MatchString(c) {
				fail("/proc/cpuinfo: no line matching %s", re)
			}
		}
	}

	if a, ok := section(sess, "arith"); !ok {
		fail("no arith section")
	} else if !strings.Contains(a, "arith: i=1000 sum=2001\n") {
		fail("shell arithmetic: want %q, got %q", "arith: i=1000 sum=2001", strings.TrimSpace(a))
	}

	i1, ok1 := section(sess, "interrupts 1")
	i2, ok2 := section(sess, "interrupts 2")
	if !ok1 || !ok2 {
		fail("no interrupts sections")
	} else {
		a, b := ParseInterrupts(i1), ParseInterrupts(i2)
		rising := func(k string) bool { return b.Count[k] > a.Count[k] }
		if k, ok := a.row("timer"); !ok || a.Desc[k] == "" {
			fail("/proc/interrupts: no timer row")
		} else if !rising(k) && !rising("LOC") {
			fail("/proc/interrupts: the timer count did not rise (%s: %d then %d; LOC %d then %d)",
				k, a.Count[k], b.Count[k], a.Count["LOC"], b.Count["LOC"])
		}
		if k, ok := a.row("ttyS0"); !ok {
			fail("/proc/interrupts: no ttyS0 row")
		} else if !rising(k) {
			fail("/proc/interrupts: the ttyS0 count did not rise (%d then %d)", a.Count[k], b.Count[k])
		}
	}

	if f, ok := section(sess, "tmpfs"); !ok {
		fail("no tmpfs section")
	} else if !strings.Contains(f, "tmpfs: gox86 tmpfs line lines=101 last=100\ntmpfs mounts: 1\n") {
		fail("tmpfs: want %q, got %q", "tmpfs: gox86 tmpfs line lines=101 last=100 / tmpfs mounts: 1", strings.TrimSpace(f))
	}
	return bad
}

// Tail returns at most the last n lines of s, for failure messages.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(Normalize(s), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
