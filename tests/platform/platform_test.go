package platform

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

const (
	guestDir = "guests"
	// okStatus is the run status of a guest that wrote 10h to the
	// isa-debug-exit port: (10h << 1) | 1.
	okStatus = 33
	// rawLoad is where LoadRaw puts the real-mode guests: 0000:7C00.
	rawLoad = 0x7C00
)

// guest returns a prebuilt guest binary from guests/.
func guest(t testing.TB, name string) []byte {
	t.Helper()
	img, err := os.ReadFile(filepath.Join(guestDir, name+".bin"))
	require.NoError(t, err, "prebuilt guest %s.bin (rebuild with make -C tests/platform)", name)
	return img
}

// syncBuffer is an io.Writer safe for the machine's goroutine and the
// test's.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *syncBuffer) String() string { return string(b.Bytes()) }

// serialBuffer is a serial backend that records what the guest sends
// and offers the bytes of input, one at a time, whenever the UART polls.
type serialBuffer struct {
	syncBuffer
	input []byte
}

func (s *serialBuffer) Write(c byte) { s.syncBuffer.Write([]byte{c}) }
func (s *serialBuffer) Close() error { return nil }

func (s *serialBuffer) Read() (byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.input) == 0 {
		return 0, false
	}
	c := s.input[0]
	s.input = s.input[1:]
	return c, true
}

var _ devices.SerialBackend = (*serialBuffer)(nil)

// runRaw runs a real-mode guest loaded at 0000:7C00 with no firmware
// having run, and returns what it printed on port E9h.
func runRaw(t testing.TB, cfg gox86.Config, img []byte, limit uint64) (string, gox86.Result) {
	t.Helper()
	con := &syncBuffer{}
	cfg.DebugCon = con
	cfg.NoReboot = true
	m, err := gox86.New(cfg)
	require.NoError(t, err)
	require.NoError(t, m.LoadRaw(img, rawLoad, 0, rawLoad))
	res := m.Run(limit)
	return con.String(), res
}

// requireExitOK checks that a guest ended through the debug-exit port with
// the success status.
func requireExitOK(t testing.TB, res gox86.Result, out string) {
	t.Helper()
	require.Equal(t, gox86.ExitDebugPort, res.Reason, "run ended: %s: %s\noutput:\n%s", res.Reason, res.Detail, out)
	require.Equal(t, okStatus, res.Status, "guest output:\n%s", out)
}
