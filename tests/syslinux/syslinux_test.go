package syslinux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// exitStatus is what isa-debug-exit makes of bench's final write of
	// 10h to port F4h: (10h << 1) | 1.
	exitStatus = 33
	// maxInstructions bounds a run so a hang fails: bench needs about
	// 1.2 billion, the firmware and SYSLINUX a few million more.
	maxInstructions = 4_000_000_000
	// runTimeout is a wall-clock backstop for the same purpose.
	runTimeout = 10 * time.Minute
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// needCLI builds the gox86 command once per test run.
func needCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			cliErr = fmt.Errorf("the go command is not in PATH: %v", err)
			return
		}
		cliPath = filepath.Join(workDir, "gox86")
		cmd := exec.Command(goTool, "build", "-o", cliPath, "github.com/gox86/gox86/cmd/gox86")
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./cmd/gox86: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

// runResult is what one gox86 run left.
type runResult struct {
	stdout, stderr []byte
	status         int
}

// runGox86 runs `gox86 run ARGS... --serial stdio` with the instruction
// limit, and returns its output and exit status.
func runGox86(t *testing.T, args ...string) runResult {
	t.Helper()
	cli := needCLI(t)
	args = append([]string{"run"}, args...)
	args = append(args, "--serial", "stdio", "--no-reboot", "--stats",
		"--max-instructions", fmt.Sprint(maxInstructions))
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := runResult{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("gox86 %s did not finish within %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), runTimeout, r.stdout, r.stderr)
	case errors.As(err, &exitErr):
		r.status = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running gox86: %v", err)
	}
	t.Logf("gox86 %s: exit status %d after %v\n%s", strings.Join(args, " "), r.status,
		time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(r.stderr)))
	return r
}

// TestBoot boots both bench disks with both firmwares and checks bench's
// exact serial output and exit status.
func TestBoot(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(benchDir, "expected-serial.txt"))
	if err != nil {
		t.Fatalf("the bench guest's expected output (shared/bench): %v", err)
	}
	firmwares := []struct {
		name string
		args []string
	}{
		{"builtin", nil},
		{"seabios", []string{"--bios", seaBIOS}},
	}
	media := []struct {
		name, flag string
		image      func(benchImages) string
	}{
		{"hda", "--hda", func(i benchImages) string { return i.disk }},
		{"fda", "--fda", func(i benchImages) string { return i.floppy }},
	}
	for _, fw := range firmwares {
		for _, md := range media {
			t.Run(fw.name+"/"+md.name, func(t *testing.T) {
				t.Parallel()
				if fw.args != nil {
					if _, err := os.Stat(seaBIOS); err != nil {
						t.Skip((&errMissing{seaBIOS, "seabios"}).Error())
					}
				}
				img := needImages(t)
				r := runGox86(t, append([]string{md.flag, md.image(img)}, fw.args...)...)
				if !bytes.Equal(r.stdout, want) {
					t.Errorf("serial output differs from shared/bench/expected-serial.txt\n--- want ---\n%s--- got ---\n%s",
						want, r.stdout)
				}
				if r.status != exitStatus {
					t.Errorf("exit status %d, want %d\n%s", r.status, exitStatus, r.stderr)
				}
			})
		}
	}
}
