// serial_backend.go is the host side of a serial port: where the bytes a
// PC16550D UART (National Semiconductor datasheet, June 1995) sends go, and
// where the bytes it receives come from. The CLI chooses one per COM port
// with specs modelled on QEMU's -serial option: stdio, none, file:PATH and
// tcp:[HOST:]PORT (a listening server like QEMU's "tcp:...,server,nowait").
//
// Determinism: host input arrives on goroutines at wall-clock times, so it
// is only ever put into a mutex-protected queue here. The UART drains the
// queue by calling Read from a Timer at its character rate, so the guest
// sees input only at virtual-time points.
package devices

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// SerialBackend is the host end of a serial line. Write is called for each
// character the UART finishes sending; Read is called at virtual-time
// points and never blocks; Close releases host resources.
type SerialBackend interface {
	Write(b byte)
	Read() (byte, bool)
	Close() error
}

// serialNoInput marks backends that never produce input, so the UART need
// not poll them.
type serialNoInput interface{ serialNoInput() }

// serialQueueLimit bounds buffered host input; a reader goroutine waits
// (back-pressure on the host side) rather than dropping bytes.
const serialQueueLimit = 64 << 10

// serialInputQueue is a bounded byte queue filled by a host goroutine and
// drained by the emulator.
type serialInputQueue struct {
	mu     sync.Mutex
	cond   sync.Cond
	buf    []byte
	closed bool
}

func newSerialInputQueue() *serialInputQueue {
	q := &serialInputQueue{}
	q.cond.L = &q.mu
	return q
}

// push appends p, waiting while the queue is full. It returns false once
// the queue is closed.
func (q *serialInputQueue) push(p []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(p) > 0 {
		for len(q.buf) >= serialQueueLimit && !q.closed {
			q.cond.Wait()
		}
		if q.closed {
			return false
		}
		n := min(len(p), serialQueueLimit-len(q.buf))
		q.buf = append(q.buf, p[:n]...)
		p = p[n:]
	}
	return true
}

func (q *serialInputQueue) pop() (byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.buf) == 0 {
		return 0, false
	}
	b := q.buf[0]
	q.buf = q.buf[1:]
	if len(q.buf) == 0 {
		q.buf = nil // let the backing array go
	}
	q.cond.Broadcast()
	return b, true
}

func (q *serialInputQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// NullBackend is "none": output is discarded and there is no input.
type NullBackend struct{}

// NewNullBackend returns the "none" backend.
func NewNullBackend() NullBackend { return NullBackend{} }

// Write implements SerialBackend.
func (NullBackend) Write(byte) {}

// Read implements SerialBackend.
func (NullBackend) Read() (byte, bool) { return 0, false }

// Close implements SerialBackend.
func (NullBackend) Close() error { return nil }

func (NullBackend) serialNoInput() {}

// StdioBackend connects a port to a reader and writer, normally the
// process's stdin and stdout. Putting a terminal into raw mode is the
// caller's business.
type StdioBackend struct {
	mu  sync.Mutex
	out io.Writer
	err error
	in  *serialInputQueue
}

// NewStdioBackend starts a goroutine reading in into the input queue. A nil
// in gives no input; a nil out discards output. Close does not close in or
// out; the reader goroutine ends at in's EOF or error.
func NewStdioBackend(in io.Reader, out io.Writer) *StdioBackend {
	if out == nil {
		out = io.Discard
	}
	s := &StdioBackend{out: out, in: newSerialInputQueue()}
	if in != nil {
		go serialReadLoop(in, s.in)
	}
	return s
}

func serialReadLoop(r io.Reader, q *serialInputQueue) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 && !q.push(buf[:n]) {
			return
		}
		if err != nil {
			return
		}
	}
}

// Write implements SerialBackend. The first write error is kept for Close
// and later output is dropped.
func (s *StdioBackend) Write(b byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		_, s.err = s.out.Write([]byte{b})
	}
}

// Read implements SerialBackend.
func (s *StdioBackend) Read() (byte, bool) { return s.in.pop() }

// Close implements SerialBackend; it reports the first write error.
func (s *StdioBackend) Close() error {
	s.in.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// FileBackend appends output to a file and has no input.
type FileBackend struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

// NewFileBackend opens path for appending, creating it (mode 0644) if
// needed.
func NewFileBackend(path string) (*FileBackend, error) {
	if path == "" {
		return nil, errors.New("devices: serial file backend: missing path")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("devices: serial file backend: %w", err)
	}
	return &FileBackend{f: f}, nil
}

// Write implements SerialBackend. Each byte is written through at once so
// output survives a crash; the first error stops output and is returned
// by Close.
func (fb *FileBackend) Write(b byte) {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.err == nil && fb.f != nil {
		_, fb.err = fb.f.Write([]byte{b})
	}
}

// Read implements SerialBackend: a file backend has no input.
func (fb *FileBackend) Read() (byte, bool) { return 0, false }

// Close implements SerialBackend.
func (fb *FileBackend) Close() error {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.f == nil {
		return fb.err
	}
	cerr := fb.f.Close()
	fb.f = nil
	if fb.err != nil {
		return fb.err
	}
	return cerr
}

func (*FileBackend) serialNoInput() {}

// serialTCPOutLimit bounds output buffered for a slow client; past it
// output is dropped rather than stalling the emulator.
const serialTCPOutLimit = 64 << 10

// TCPBackend is a listening TCP server that serves one client at a time,
// like QEMU's "tcp:HOST:PORT,server,nowait": the guest never waits for a
// client, output is dropped while none is connected, input comes from the
// client. A second client is closed at once while one is connected.
type TCPBackend struct {
	ln net.Listener
	in *serialInputQueue

	mu     sync.Mutex
	cond   sync.Cond // signals the writer goroutine
	conn   net.Conn
	out    []byte
	closed bool
	wg     sync.WaitGroup
}

// NewTCPBackend listens on addr ("host:port"; port 0 picks a free port).
func NewTCPBackend(addr string) (*TCPBackend, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devices: serial tcp backend: %w", err)
	}
	t := &TCPBackend{ln: ln, in: newSerialInputQueue()}
	t.cond.L = &t.mu
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// Addr is the address the backend listens on.
func (t *TCPBackend) Addr() net.Addr { return t.ln.Addr() }

// Connected reports whether a client is connected.
func (t *TCPBackend) Connected() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conn != nil
}

func (t *TCPBackend) acceptLoop() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			t.mu.Lock()
			closed := t.closed
			t.mu.Unlock()
			if closed || !isTemporary(err) {
				return
			}
			continue
		}
		t.mu.Lock()
		if t.closed || t.conn != nil {
			t.mu.Unlock()
			c.Close() // one client at a time
			continue
		}
		t.conn = c
		t.out = nil
		t.wg.Add(2)
		t.mu.Unlock()
		go t.readLoop(c)
		go t.writeLoop(c)
	}
}

func isTemporary(err error) bool {
	var ne interface{ Temporary() bool }
	return errors.As(err, &ne) && ne.Temporary()
}

func (t *TCPBackend) readLoop(c net.Conn) {
	defer t.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 && !t.in.push(buf[:n]) {
			break
		}
		if err != nil {
			break
		}
	}
	t.drop(c)
}

func (t *TCPBackend) writeLoop(c net.Conn) {
	defer t.wg.Done()
	for {
		t.mu.Lock()
		for len(t.out) == 0 && t.conn == c && !t.closed {
			t.cond.Wait()
		}
		if t.conn != c || t.closed {
			t.mu.Unlock()
			return
		}
		p := t.out
		t.out = nil
		t.mu.Unlock()
		if _, err := c.Write(p); err != nil {
			t.drop(c)
			return
		}
	}
}

// drop forgets client c if it is still the current one and closes it.
func (t *TCPBackend) drop(c net.Conn) {
	t.mu.Lock()
	if t.conn == c {
		t.conn = nil
		t.out = nil
		t.cond.Broadcast()
	}
	t.mu.Unlock()
	c.Close()
}

// Write implements SerialBackend; it never blocks the emulator.
func (t *TCPBackend) Write(b byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn == nil || len(t.out) >= serialTCPOutLimit {
		return
	}
	t.out = append(t.out, b)
	t.cond.Broadcast()
}

// Read implements SerialBackend.
func (t *TCPBackend) Read() (byte, bool) { return t.in.pop() }

// Close stops listening, disconnects the client and waits for the
// backend's goroutines to end.
func (t *TCPBackend) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	c := t.conn
	t.conn = nil
	t.cond.Broadcast()
	t.mu.Unlock()
	err := t.ln.Close()
	if c != nil {
		c.Close()
	}
	t.in.close()
	t.wg.Wait()
	return err
}

// ParseSerialSpec builds a backend from a CLI spec:
//
//	stdio            input from stdin, output to stdout
//	none             nothing attached
//	file:PATH        output appended to PATH (created if needed); no input
//	tcp:[HOST:]PORT  listening server on HOST (default 127.0.0.1) port PORT;
//	                 QEMU's ",server" and ",nowait" options are accepted
func ParseSerialSpec(spec string, stdin io.Reader, stdout io.Writer) (SerialBackend, error) {
	kind, arg, hasArg := strings.Cut(spec, ":")
	switch {
	case spec == "stdio":
		return NewStdioBackend(stdin, stdout), nil
	case spec == "none":
		return NullBackend{}, nil
	case kind == "file" && hasArg:
		if arg == "" {
			return nil, fmt.Errorf("devices: serial spec %q: missing path after file:", spec)
		}
		fb, err := NewFileBackend(arg)
		if err != nil {
			return nil, err
		}
		return fb, nil
	case kind == "tcp" && hasArg:
		addr, err := parseSerialTCPAddr(arg)
		if err != nil {
			return nil, fmt.Errorf("devices: serial spec %q: %w", spec, err)
		}
		tb, err := NewTCPBackend(addr)
		if err != nil {
			return nil, err
		}
		return tb, nil
	default:
		return nil, fmt.Errorf("devices: unknown serial spec %q (want stdio, none, file:PATH or tcp:[HOST:]PORT)", spec)
	}
}

// parseSerialTCPAddr turns "[HOST:]PORT[,server][,nowait]" into a listen
// address, defaulting HOST to loopback.
func parseSerialTCPAddr(s string) (string, error) {
	parts := strings.Split(s, ",")
	for _, opt := range parts[1:] {
		switch opt {
		case "server", "server=on", "nowait", "wait=off":
		default:
			return "", fmt.Errorf("unsupported option %q (only server and nowait)", opt)
		}
	}
	hp := parts[0]
	var host, port string
	if strings.Contains(hp, ":") {
		var err error
		if host, port, err = net.SplitHostPort(hp); err != nil {
			return "", err
		}
	} else {
		port = hp
	}
	if port == "" {
		return "", errors.New("missing port")
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", fmt.Errorf("bad port %q (want 0-65535)", port)
	}
	port = strconv.FormatUint(n, 10)
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
