package linux

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInteractive uses gox86 the way a person at a terminal does: on a
// pseudo-terminal, `gox86 run --kernel ... --serial stdio` boots to a
// shell prompt; typed commands run in the guest and their output shows;
// Ctrl-C interrupts the guest's foreground job and leaves gox86 running;
// Ctrl-A then X quits gox86, which gives the terminal back as it found it.
func TestInteractive(t *testing.T) {
	f := fixture(t)
	bin := gox86(t)
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	before, err := termios(slave)
	require.NoError(t, err)

	cmd := exec.Command(bin, "run", "--kernel", f.Kernel, "--initrd", f.Initrd,
		"--append", "console=ttyS0 gox86.interactive=1", "--serial", "stdio", "--no-reboot",
		"--max-instructions", strconv.FormatUint(maxInstructions, 10))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// A session of its own with the pty as controlling terminal, as a
	// login shell would give it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()

	screen := NewWatcher()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				screen.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		if t.Failed() {
			t.Logf("terminal output:\n%s", Tail(screen.String(), 40))
		}
	}()
	type_ := func(s string) {
		_, err := master.Write([]byte(s))
		require.NoError(t, err)
	}
	// waitFor waits for marker in the output after position from.
	waitFor := func(from int, marker string, d time.Duration) bool {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			if strings.Contains(screen.String()[from:], marker) {
				return true
			}
			select {
			case err := <-exited:
				exited <- err
				return strings.Contains(screen.String()[from:], marker)
			case <-time.After(50 * time.Millisecond):
			}
		}
		return false
	}
	alive := func() bool {
		select {
		case err := <-exited:
			exited <- err
			return false
		default:
			return true
		}
	}

	start := time.Now()
	require.True(t, waitFor(0, ShellReady, bootTimeout()), "no %s: the guest did not boot to /init", ShellReady)
	require.True(t, waitFor(0, ShellPrompt, 2*time.Minute), "no shell prompt %q", ShellPrompt)
	t.Logf("prompt after %v", time.Since(start).Round(time.Millisecond))

	// A command and its output. Enter sends CR, as a terminal does.
	mark := screen.Len()
	type_("echo hello-$((6*7))\r")
	assert.True(t, waitFor(mark, "hello-42", 2*time.Minute), "typed command did not run")
	require.True(t, waitFor(mark, ShellPrompt, 2*time.Minute), "no prompt after the command")
	// In raw mode only the guest echoes what is typed; a host terminal
	// left in cooked mode would echo it a second time.
	assert.Equal(t, 1, strings.Count(screen.String()[mark:], "echo hello-$((6*7))"),
		"typed line echoed other than once (is the host terminal in raw mode?)")

	// Ctrl-C goes to the guest: it interrupts `sleep`, and gox86 runs on.
	mark = screen.Len()
	type_("sleep 600\r")
	require.True(t, waitFor(mark, "sleep 600", time.Minute), "sleep command not echoed")
	time.Sleep(2 * time.Second)
	mark = screen.Len()
	type_("\x03")
	assert.True(t, waitFor(mark, ShellPrompt, 2*time.Minute), "Ctrl-C did not bring back the prompt")
	require.True(t, alive(), "gox86 exited on Ctrl-C; it should go to the guest")
	mark = screen.Len()
	type_("echo after-ctrl-c-$((1+1))\r")
	assert.True(t, waitFor(mark, "after-ctrl-c-2", 2*time.Minute), "shell did not work after Ctrl-C")

	// Ctrl-A then X quits gox86.
	type_("\x01x")
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Logf("gox86 exit after Ctrl-A X: %v", err)
		}
		assert.Equal(t, 0, cmd.ProcessState.ExitCode(), "Ctrl-A X should quit with status 0")
	case <-time.After(30 * time.Second):
		t.Fatal("Ctrl-A X did not quit gox86")
	}
	after, err := termios(slave)
	require.NoError(t, err)
	assert.Equal(t, before.Lflag, after.Lflag, "terminal local modes not restored")
	assert.Equal(t, before.Iflag, after.Iflag, "terminal input modes not restored")
	assert.Equal(t, before.Oflag, after.Oflag, "terminal output modes not restored")
}
