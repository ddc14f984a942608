package main

// The host console: where the guest's screen is shown (--display), where
// stdin goes (the 8042 keyboard or COM1), raw terminal mode, and the
// Ctrl-A command prefix that lets the user quit while every other key,
// Ctrl-C included, goes to the guest.

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

// streams are the process's standard streams; tests substitute their own.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// osStreams are the real ones.
func osStreams() streams { return streams{in: os.Stdin, out: os.Stdout, err: os.Stderr} }

// isTerminal reports whether s is a terminal (only *os.File can be).
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Display modes of --display.
const (
	displayNone = "none"
	displayTerm = "term"
)

// parseDisplay validates --display; "" means the default rule.
func parseDisplay(s string) (string, error) {
	switch s {
	case "", displayNone, displayTerm:
		return s, nil
	}
	return "", fmt.Errorf("--display: unknown display %q (want term or none)", s)
}

// escapeHelp is the user-facing description of the Ctrl-A prefix.
const escapeHelp = `Ctrl-A X quits gox86 (when stdin is a terminal); Ctrl-A Ctrl-A sends a
Ctrl-A to the guest, and other keys after Ctrl-A are ignored. Every other
key, Ctrl-C included, goes to the guest.`

// escapeByte is Ctrl-A, the prefix of console commands (as in QEMU).
const escapeByte = 0x01

// escapeFilter takes console commands out of terminal input: Ctrl-A X
// (or x) quits, Ctrl-A Ctrl-A is a literal Ctrl-A, Ctrl-A followed by any
// other byte is dropped. The state carries over between calls, so the two
// bytes of a command may arrive in separate reads.
type escapeFilter struct {
	afterEscape bool
}

// filter compacts p in place to the bytes that go to the guest and
// reports whether the quit command was seen; bytes after it are dropped.
func (f *escapeFilter) filter(p []byte) (out []byte, quit bool) {
	n := 0
	for _, b := range p {
		if f.afterEscape {
			f.afterEscape = false
			switch b {
			case 'x', 'X':
				return p[:n], true
			case escapeByte:
				p[n] = b
				n++
			}
			continue
		}
		if b == escapeByte {
			f.afterEscape = true
			continue
		}
		p[n] = b
		n++
	}
	return p[:n], false
}

// pumpInput copies host input to the guest until r ends or the user
// quits: deliver gets the bytes (after the Ctrl-A filter when filter is
// non-nil), quit is called for Ctrl-A X.
func pumpInput(r io.Reader, f *escapeFilter, deliver func([]byte), quit func()) {
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		p := buf[:n]
		stop := false
		if f != nil {
			p, stop = f.filter(p)
		}
		if len(p) > 0 {
			deliver(p)
		}
		if stop {
			quit()
			return
		}
		if err != nil {
			return
		}
	}
}

// console holds the terminal state of one run.
type console struct {
	s       streams
	display string // displayTerm or displayNone
	// rawState is the terminal state to restore, when raw mode is on.
	rawState  *term.State
	rawFd     int
	prev      []devices.Cell
	drawn     bool
	renderErr error
}

// frame draws the screen; it is the machine's Frame hook.
func (c *console) frame(m *gox86.Machine) {
	if c.renderErr != nil {
		return
	}
	c.renderErr = devices.RenderANSI(c.s.out, m.VGA, &c.prev)
	c.drawn = true
}

// makeRaw puts the terminal on stdin into raw mode: keys arrive one by
// one, unechoed, and Ctrl-C is a byte rather than a signal.
func (c *console) makeRaw() error {
	f, ok := c.s.in.(*os.File)
	if !ok {
		return errors.New("stdin is not a terminal")
	}
	st, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return fmt.Errorf("putting the terminal in raw mode: %w", err)
	}
	c.rawState, c.rawFd = st, int(f.Fd())
	return nil
}

// restore ends the display (attributes reset, cursor shown, below the
// screen on a new line) and leaves raw mode. It is safe to call twice.
func (c *console) restore(m *gox86.Machine) {
	if c.display == displayTerm && c.drawn {
		_, rows, _, _, _, _ := m.VGA.TextScreen()
		if rows > 0 {
			fmt.Fprintf(c.s.out, "\x1b[%d;1H", rows)
		}
		io.WriteString(c.s.out, "\x1b[0m\x1b[?25h\r\n")
		c.drawn = false
	}
	if c.rawState != nil {
		term.Restore(c.rawFd, c.rawState)
		c.rawState = nil
	}
}
