// serial_backend_test.go tests the host ends of the PC16550D UART
// (National Semiconductor datasheet, June 1995): the stdio, none, file and
// tcp backends and the CLI spec parser.
package devices

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serialDrain reads everything a backend has queued, waiting up to a
// second for want bytes to turn up.
func serialDrain(t *testing.T, be SerialBackend, want int) []byte {
	t.Helper()
	var got []byte
	deadline := time.Now().Add(time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		if b, ok := be.Read(); ok {
			got = append(got, b)
			continue
		}
		time.Sleep(time.Millisecond)
	}
	return got
}

// serialSafeBuffer is a bytes.Buffer safe for concurrent use.
type serialSafeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *serialSafeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *serialSafeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSerialStdioBackend(t *testing.T) {
	out := &serialSafeBuffer{}
	be, err := ParseSerialSpec("stdio", strings.NewReader("typed\x03"), out)
	require.NoError(t, err)
	require.IsType(t, &StdioBackend{}, be)
	for _, b := range []byte("hello\n") {
		be.Write(b)
	}
	assert.Equal(t, "hello\n", out.String())
	assert.Equal(t, []byte("typed\x03"), serialDrain(t, be, 6))
	_, ok := be.Read()
	assert.False(t, ok, "Read does not block when the queue is empty")
	assert.NoError(t, be.Close())
}

func TestSerialStdioBackendLargeInput(t *testing.T) {
	// More than the queue holds: the reader goroutine waits, nothing is
	// lost or reordered.
	in := bytes.Repeat([]byte("0123456789abcdef"), serialQueueLimit/8)
	be := NewStdioBackend(bytes.NewReader(in), nil)
	got := serialDrain(t, be, len(in))
	assert.Equal(t, in, got)
	assert.NoError(t, be.Close())
}

func TestSerialStdioBackendWriteError(t *testing.T) {
	pr, pw := io.Pipe()
	pr.Close()
	be := NewStdioBackend(nil, pw)
	be.Write('x')
	be.Write('y')
	assert.Error(t, be.Close(), "the first write error is reported")
}

func TestSerialNullBackend(t *testing.T) {
	be, err := ParseSerialSpec("none", strings.NewReader("ignored"), io.Discard)
	require.NoError(t, err)
	be.Write('x')
	_, ok := be.Read()
	assert.False(t, ok)
	assert.NoError(t, be.Close())
	_, noInput := be.(serialNoInput)
	assert.True(t, noInput)
}

func TestSerialFileBackend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "com1.log")
	require.NoError(t, os.WriteFile(path, []byte("old:"), 0o644))
	be, err := ParseSerialSpec("file:"+path, strings.NewReader("no input"), nil)
	require.NoError(t, err)
	for _, b := range []byte("new") {
		be.Write(b)
	}
	_, ok := be.Read()
	assert.False(t, ok, "a file has no input")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old:new", string(got), "appended, written through")
	assert.NoError(t, be.Close())
	be.Write('!') // after Close: dropped, no panic
	assert.NoError(t, be.Close())

	t.Run("created", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "fresh.log")
		be, err := ParseSerialSpec("file:"+p, nil, nil)
		require.NoError(t, err)
		be.Write('A')
		require.NoError(t, be.Close())
		got, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, "A", string(got))
	})
}

func TestSerialParseTCPAddr(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"4555", "127.0.0.1:4555"},
		{":4555", "127.0.0.1:4555"},
		{"127.0.0.1:4555", "127.0.0.1:4555"},
		{"0.0.0.0:23", "0.0.0.0:23"},
		{"localhost:0", "localhost:0"},
		{"[::1]:4555", "[::1]:4555"},
		{"4555,server,nowait", "127.0.0.1:4555"},
		{":4555,server=on,wait=off", "127.0.0.1:4555"},
		{"007", "127.0.0.1:7"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSerialTCPAddr(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSerialBadSpecs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec    string
		errLike string
	}{
		{"", "unknown serial spec"},
		{"bogus", "unknown serial spec"},
		{"stdio:x", "unknown serial spec"},
		{"pty", "unknown serial spec"},
		{"file:", "missing path"},
		{"file", "unknown serial spec"},
		{"file:" + dir, "is a directory"},
		{"file:" + filepath.Join(dir, "no", "such", "dir", "x"), "no such file"},
		{"tcp:", "missing port"},
		{"tcp:127.0.0.1:", "missing port"},
		{"tcp:127.0.0.1:http", "bad port"},
		{"tcp:127.0.0.1:65536", "bad port"},
		{"tcp:-1", "bad port"},
		{"tcp:1.2.3.4:5:6", "too many colons"},
		{"tcp:4555,telnet", "unsupported option"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			be, err := ParseSerialSpec(tc.spec, nil, nil)
			require.Error(t, err)
			assert.Nil(t, be)
			assert.Contains(t, err.Error(), tc.errLike)
		})
	}

	t.Run("port in use", func(t *testing.T) {
		be, err := ParseSerialSpec("tcp:127.0.0.1:0", nil, nil)
		require.NoError(t, err)
		defer be.Close()
		_, err = ParseSerialSpec("tcp:"+be.(*TCPBackend).Addr().String(), nil, nil)
		assert.Error(t, err)
	})
}

func TestSerialTCPBackend(t *testing.T) {
	be, err := ParseSerialSpec("tcp:0", nil, nil) // HOST omitted: loopback
	require.NoError(t, err)
	tb := be.(*TCPBackend)
	defer tb.Close()
	addr := tb.Addr().(*net.TCPAddr)
	assert.True(t, addr.IP.IsLoopback(), "loopback by default, got %v", addr.IP)
	assert.NotZero(t, addr.Port)

	be.Write('-') // no client yet: dropped
	assert.False(t, tb.Connected())

	c, err := net.Dial("tcp", addr.String())
	require.NoError(t, err)
	defer c.Close()
	require.Eventually(t, tb.Connected, time.Second, time.Millisecond)

	for _, b := range []byte("hi") {
		be.Write(b)
	}
	buf := make([]byte, 2)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(buf), "the byte written before connecting was dropped")

	_, err = c.Write([]byte("yo"))
	require.NoError(t, err)
	assert.Equal(t, []byte("yo"), serialDrain(t, be, 2))

	// A second client is turned away while the first is connected.
	c2, err := net.Dial("tcp", addr.String())
	require.NoError(t, err)
	require.NoError(t, c2.SetReadDeadline(time.Now().Add(time.Second)))
	_, err = c2.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
	c2.Close()

	// After the first leaves, a new client is served.
	c.Close()
	require.Eventually(t, func() bool { return !tb.Connected() }, time.Second, time.Millisecond)
	be.Write('x') // dropped: nobody there
	c3, err := net.Dial("tcp", addr.String())
	require.NoError(t, err)
	defer c3.Close()
	require.Eventually(t, tb.Connected, time.Second, time.Millisecond)
	be.Write('!')
	require.NoError(t, c3.SetReadDeadline(time.Now().Add(time.Second)))
	_, err = io.ReadFull(c3, buf[:1])
	require.NoError(t, err)
	assert.Equal(t, "!", string(buf[:1]))

	require.NoError(t, tb.Close())
	assert.False(t, tb.Connected())
	assert.NoError(t, tb.Close(), "closing twice is fine")
	be.Write('z') // after Close: dropped, no panic
}

func TestSerialTCPBackendFeedsUART(t *testing.T) {
	// Host input reaches the guest only at the UART's character-rate
	// polls, in virtual time.
	tb, err := NewTCPBackend("127.0.0.1:0")
	require.NoError(t, err)
	defer tb.Close()
	c, err := net.Dial("tcp", tb.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.Eventually(t, tb.Connected, time.Second, time.Millisecond)
	_, err = c.Write([]byte("ok"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		tb.in.mu.Lock()
		defer tb.in.mu.Unlock()
		return len(tb.in.buf) == 2
	}, time.Second, time.Millisecond)

	clk, bus := NewClock(), NewBus()
	u, err := NewUART(bus, clk, COM1Base, nil, tb)
	require.NoError(t, err)
	assert.Same(t, SerialBackend(tb), u.Backend())
	bus.Out(COM1Base+uartOffLCR, 1, 0x03)
	assert.Equal(t, uint32(0x60), bus.In(COM1Base+uartOffLSR, 1), "nothing before a poll")
	clk.Advance(100000)
	assert.Equal(t, uint32('o'), bus.In(COM1Base+uartOffData, 1))
	clk.Advance(200000)
	assert.Equal(t, uint32('k'), bus.In(COM1Base+uartOffData, 1))

	bus.Out(COM1Base+uartOffData, 1, '>')
	clk.Advance(400000)
	buf := make([]byte, 1)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(time.Second)))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, ">", string(buf))
}
