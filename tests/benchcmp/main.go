// Command benchcmp times the shared benchmark guest (bench.elf) under
// gox86 and, when it is installed, under qemu-system-i386 in the same run,
// and prints both wall-clock times and their ratio. Each runner's serial
// output is checked against the guest's expected output, so a wrong
// result is never reported as a speed.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

func main() {
	gox := flag.String("gox86", "bin/gox86", "gox86 binary")
	elf := flag.String("elf", "../shared/bench/bench.elf", "benchmark guest")
	runs := flag.Int("runs", 3, "runs per emulator (the median is reported)")
	flag.Parse()
	if err := run(*gox, *elf, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "benchcmp:", err)
		os.Exit(1)
	}
}

func run(gox, elf string, runs int) error {
	want, err := os.ReadFile(filepath.Join(filepath.Dir(elf), "expected-serial.txt"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "benchcmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "serial.txt")

	goxTime, err := median(runs, func() (time.Duration, error) {
		return timed(out, want, 33, gox, "run", "--kernel", elf, "--serial", "file:"+out, "--debugcon", "none")
	})
	if err != nil {
		return fmt.Errorf("gox86: %w", err)
	}
	fmt.Printf("gox86:            %8.3f s\n", goxTime.Seconds())
	qemu, err := exec.LookPath("qemu-system-i386")
	if err != nil {
		fmt.Println("qemu-system-i386: not installed (apt-get install qemu-system-x86); no ratio")
		return nil
	}
	qemuTime, err := median(runs, func() (time.Duration, error) {
		return timed(out, want, 33, qemu, "-cpu", "pentium2", "-m", "128", "-display", "none",
			"-serial", "file:"+out, "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", elf)
	})
	if err != nil {
		return fmt.Errorf("qemu: %w", err)
	}
	fmt.Printf("qemu-system-i386: %8.3f s\n", qemuTime.Seconds())
	fmt.Printf("ratio gox86/qemu: %8.2f\n", goxTime.Seconds()/qemuTime.Seconds())
	return nil
}

// timed runs one emulator, checks its exit status and serial output, and
// returns its wall-clock time.
func timed(out string, want []byte, status int, name string, args ...string) (time.Duration, error) {
	os.Remove(out)
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return 0, err
	}
	if code != status {
		return 0, fmt.Errorf("exit status %d, want %d: %s", code, status, bytes.TrimSpace(stderr.Bytes()))
	}
	got, err := os.ReadFile(out)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(got, want) {
		return 0, fmt.Errorf("serial output differs from expected-serial.txt:\n%s", got)
	}
	return d, nil
}

func median(n int, f func() (time.Duration, error)) (time.Duration, error) {
	var ts []time.Duration
	for k := 0; k < n; k++ {
		t, err := f()
		if err != nil {
			return 0, err
		}
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts[len(ts)/2], nil
}
