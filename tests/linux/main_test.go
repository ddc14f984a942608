package linux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// maxInstructions bounds every boot; a Linux boot to the end of the
// scripted session takes a few billion instructions.
const maxInstructions = 60_000_000_000

// bootTimeout is the wall-clock bound on one boot; GOX86_LINUX_TIMEOUT
// (a Go duration) overrides it.
func bootTimeout() time.Duration {
	if s := os.Getenv("GOX86_LINUX_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			return d
		}
	}
	return 8 * time.Minute
}

// stallTimeout ends a boot that has printed nothing new for this long
// (a normal boot's longest silence, the kernel's decompression, is about
// 2.5 billion instructions).
const stallTimeout = 4 * time.Minute

var (
	buildOnce sync.Once
	gox86Bin  string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// gox86 builds the CLI into a temporary folder, once per test run.
func gox86(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "gox86-linux-test")
		if buildErr != nil {
			return
		}
		gox86Bin = filepath.Join(buildDir, "gox86")
		cmd := exec.Command("go", "build", "-o", gox86Bin, "github.com/gox86/gox86/cmd/gox86")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/gox86: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return gox86Bin
}

// fixture returns the fixture or skips the test.
func fixture(t *testing.T) *Fixture {
	t.Helper()
	f, err := FindFixture()
	if err != nil {
		t.Skip(err)
	}
	return f
}

// runResult is one finished emulator run.
type runResult struct {
	out     *Watcher
	stderr  string
	code    int
	elapsed time.Duration
	timeout bool
}

// runEmulator runs name with args, its stdout into a Watcher, bounded by
// bootTimeout and stallTimeout; past either the process gets SIGINT
// (gox86 then prints its --stats) and, 10 s later, SIGKILL.
func runEmulator(t *testing.T, name string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout())
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	w := NewWatcher(SessionBegin, SessionEnd)
	var stderr bytes.Buffer
	cmd.Stdout = w
	cmd.Stderr = &stderr
	cmd.Stdin = nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	var stalled atomic.Bool
	go func() {
		last, lastChange := -1, time.Now()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if n := w.Len(); n != last {
					last, lastChange = n, time.Now()
				} else if time.Since(lastChange) > stallTimeout {
					stalled.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	res := runResult{out: w, stderr: stderr.String(), elapsed: time.Since(start), timeout: ctx.Err() != nil}
	if stalled.Load() {
		res.stderr += fmt.Sprintf("\n(no new output for %v: interrupted)", stallTimeout)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		res.code = -1
		res.stderr += "\n" + err.Error()
	}
	return res
}

// saveLog keeps a run's serial output and stderr in $GOX86_LINUX_LOGS,
// when that names a folder, for diagnosis.
func saveLog(t *testing.T, name string, r runResult) {
	t.Helper()
	text := r.out.String() + "\n--- stderr ---\n" + r.stderr
	if d := os.Getenv("GOX86_LINUX_LOGS"); d != "" {
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, name+".log"), []byte(text), 0o644)
	}
}

// gox86Boot runs gox86 with args and checks the scripted session.
func gox86Boot(t *testing.T, logName string, args ...string) {
	t.Helper()
	bin := gox86(t)
	args = append([]string{"run"}, args...)
	args = append(args, "--serial", "stdio", "--debugcon", "none", "--no-reboot", "--stats",
		"--max-instructions", strconv.FormatUint(maxInstructions, 10))
	r := runEmulator(t, bin, args...)
	saveLog(t, logName, r)
	t.Logf("gox86 %v: exit %d in %v\n%s", args, r.code, r.elapsed.Round(time.Millisecond), r.stderr)
	if d, ok := r.out.Seen(SessionBegin); ok {
		t.Logf("/init started after %v", d.Round(time.Millisecond))
	}
	fam, model := CPUModel()
	checkRun(t, r, "reset", fam, model)
}

// checkRun checks a finished scripted-session run: the markers, then a
// clean exit (status 0; for gox86 the --stats reason).
func checkRun(t *testing.T, r runResult, reason string, fam, model int) {
	t.Helper()
	problems := CheckSession(r.out.String(), fam, model)
	if r.timeout {
		problems = append(problems, fmt.Sprintf("interrupted after %v (bound %v, or %v without output)",
			r.elapsed.Round(time.Second), bootTimeout(), stallTimeout))
	}
	if r.code != 0 {
		problems = append(problems, fmt.Sprintf("exit status %d, want 0", r.code))
	}
	if reason != "" && !bytes.Contains([]byte(r.stderr), []byte("run ended: "+reason)) {
		problems = append(problems, fmt.Sprintf("run did not end with %q", reason))
	}
	if len(problems) > 0 {
		for _, p := range problems {
			t.Error(p)
		}
		t.Logf("last serial output:\n%s", Tail(r.out.String(), 40))
	}
}

// TestBootKernel boots the kernel and initramfs directly: the loader
// places the bzImage and the built-in BIOS enters its setup code.
func TestBootKernel(t *testing.T) {
	f := fixture(t)
	gox86Boot(t, "kernel", "--kernel", f.Kernel, "--initrd", f.Initrd, "--append", "console=ttyS0")
}

// TestBootDiskBuiltinBIOS boots the SYSLINUX disk on the built-in BIOS.
func TestBootDiskBuiltinBIOS(t *testing.T) {
	f := fixture(t)
	gox86Boot(t, "disk-builtin", "--hda", f.Disk)
}

// TestBootDiskSeaBIOS boots the SYSLINUX disk on Debian's SeaBIOS.
func TestBootDiskSeaBIOS(t *testing.T) {
	f := fixture(t)
	const seabios = "/usr/share/seabios/bios.bin"
	if _, err := os.Stat(seabios); err != nil {
		t.Skip("SeaBIOS not installed (apt-get install seabios)")
	}
	gox86Boot(t, "disk-seabios", "--bios", seabios, "--hda", f.Disk)
}

// TestQEMUReference runs the same fixture and checks under
// qemu-system-i386, so that the fixture and the expected markers are
// known good independently of gox86.
func TestQEMUReference(t *testing.T) {
	f := fixture(t)
	qemu, err := exec.LookPath("qemu-system-i386")
	if err != nil {
		t.Skip("qemu-system-i386 not installed")
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"kernel", []string{"-kernel", f.Kernel, "-initrd", f.Initrd, "-append", "console=ttyS0"}},
		{"disk", []string{"-drive", "file=" + f.Disk + ",format=raw,if=ide,snapshot=on"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-cpu", "pentium2", "-m", "128", "-display", "none",
				"-serial", "stdio", "-monitor", "none", "-no-reboot"}, tc.args...)
			r := runEmulator(t, qemu, args...)
			saveLog(t, "qemu-"+tc.name, r)
			t.Logf("qemu: exit %d in %v", r.code, r.elapsed.Round(time.Millisecond))
			checkRun(t, r, "", 6, 5) // QEMU's pentium2: family 6 model 5
		})
	}
}
