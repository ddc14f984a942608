// Command benchboot times a Linux boot to the shell under gox86 and under
// qemu-system-i386 (TCG, -cpu pentium2, -kernel) on the same fixture in
// the same run, and prints both times and their ratio.
//
//	go run ./tests/linux/benchboot -gox86 bin/gox86
//
// The kernel command line carries gox86.bench=1, so the fixture's /init
// prints GOX86-SHELL-READY (where it would start the shell) and reboots;
// the time reported is from process start to that marker on the serial
// console. A missing fixture is reported and is not an error.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/gox86/gox86/tests/linux"
)

func main() {
	gox := flag.String("gox86", "bin/gox86", "gox86 binary")
	dir := flag.String("dir", "", "fixture folder (default: $LINUX_FIXTURE_DIR or .cache/linux)")
	runs := flag.Int("runs", 1, "runs per emulator (the median is reported)")
	timeout := flag.Duration("timeout", 20*time.Minute, "bound on one boot")
	flag.Parse()
	if *dir != "" {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchboot:", err)
			os.Exit(2)
		}
		os.Setenv("LINUX_FIXTURE_DIR", abs)
	}
	if err := run(*gox, *runs, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "benchboot:", err)
		os.Exit(1)
	}
}

const benchCmdline = "console=ttyS0 gox86.bench=1"

func run(gox string, runs int, timeout time.Duration) error {
	f, err := linux.FindFixture()
	if err != nil {
		fmt.Println("benchboot: skipped:", err)
		return nil
	}
	goxTime, err := median(runs, func() (time.Duration, string, error) {
		return boot(timeout, gox, "run", "--kernel", f.Kernel, "--initrd", f.Initrd,
			"--append", benchCmdline, "--serial", "stdio", "--debugcon", "none", "--no-reboot", "--stats")
	})
	if err != nil {
		return fmt.Errorf("gox86: %w", err)
	}
	fmt.Printf("linux boot-to-shell gox86:            %8.3f s\n", goxTime.Seconds())
	qemu, err := exec.LookPath("qemu-system-i386")
	if err != nil {
		fmt.Println("linux boot-to-shell qemu-system-i386: not installed (apt-get install qemu-system-x86); no ratio")
		return nil
	}
	qemuTime, err := median(runs, func() (time.Duration, string, error) {
		return boot(timeout, qemu, "-accel", "tcg", "-cpu", "pentium2", "-m", "128",
			"-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
			"-kernel", f.Kernel, "-initrd", f.Initrd, "-append", benchCmdline)
	})
	if err != nil {
		return fmt.Errorf("qemu: %w", err)
	}
	fmt.Printf("linux boot-to-shell qemu-system-i386: %8.3f s\n", qemuTime.Seconds())
	fmt.Printf("linux boot-to-shell ratio gox86/qemu: %8.2f\n", goxTime.Seconds()/qemuTime.Seconds())
	return nil
}

var statsLine = regexp.MustCompile(`gox86: (\d+) instructions retired.*`)

// boot runs one emulator and returns the time to the shell marker; the
// emulator is then left to reboot (ending the run) and must exit 0.
func boot(timeout time.Duration, name string, args ...string) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	out := linux.NewWatcher(linux.ShellReady)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	err := cmd.Run()
	d, ok := out.Seen(linux.ShellReady)
	if !ok {
		return 0, "", fmt.Errorf("no %s within %v (exit: %v)\nlast output:\n%s\n%s",
			linux.ShellReady, timeout, err, linux.Tail(out.String(), 15), stderr.String())
	}
	if err != nil {
		return 0, "", fmt.Errorf("exit after the shell marker: %v\n%s", err, stderr.String())
	}
	return d, statsLine.FindString(stderr.String()), nil
}

func median(n int, f func() (time.Duration, string, error)) (time.Duration, error) {
	var ds []time.Duration
	for k := 0; k < max(n, 1); k++ {
		d, note, err := f()
		if err != nil {
			return 0, err
		}
		if note != "" {
			fmt.Fprintln(os.Stderr, note)
		}
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], nil
}
