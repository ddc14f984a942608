// debugport_test.go tests the Bochs/QEMU debugcon port (QEMU
// hw/char/debugcon.c) and QEMU's isa-debug-exit (hw/misc/debugexit.c).
package devices

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDebugCon(t *testing.T) {
	bus := NewBus()
	var out bytes.Buffer
	d, err := NewDebugCon(bus, DebugConPort, &out)
	require.NoError(t, err)
	for _, b := range []byte("boot ok\n") {
		bus.Out(0xE9, 1, uint32(b))
	}
	assert.Equal(t, "boot ok\n", out.String())
	// QEMU's debugcon reads back 0xE9 so a guest can detect it.
	assert.Equal(t, uint32(0xE9), bus.In(0xE9, 1))
	assert.NoError(t, d.Err())

	t.Run("wide access: one byte is ours", func(t *testing.T) {
		var next []uint8
		require.NoError(t, bus.Register(0xEA, 1, ByteOnly{
			InB:  func(uint16) uint8 { return 0x77 },
			OutB: func(_ uint16, v uint8) { next = append(next, v) },
		}))
		out.Reset()
		bus.Out(0xE9, 2, 0x4241)
		assert.Equal(t, "A", out.String())
		assert.Equal(t, []uint8{0x42}, next)
		assert.Equal(t, uint32(0x77E9), bus.In(0xE9, 2))
	})

	t.Run("other port and nil writer", func(t *testing.T) {
		bus := NewBus()
		d, err := NewDebugCon(bus, 0x402, nil)
		require.NoError(t, err)
		bus.Out(0x402, 1, 'x')
		assert.Equal(t, uint32(0xE9), bus.In(0x402, 1))
		assert.NoError(t, d.Err())
	})

	t.Run("writer error stops output", func(t *testing.T) {
		bus := NewBus()
		w := &debugFailWriter{}
		d, err := NewDebugCon(bus, DebugConPort, w)
		require.NoError(t, err)
		bus.Out(0xE9, 1, 'a')
		bus.Out(0xE9, 1, 'b')
		assert.Error(t, d.Err())
		assert.Equal(t, 1, w.calls)
	})

	t.Run("errors", func(t *testing.T) {
		_, err := NewDebugCon(nil, DebugConPort, nil)
		assert.Error(t, err)
		_, err = NewDebugCon(bus, DebugConPort, nil)
		assert.Error(t, err, "port already claimed")
	})
}

type debugFailWriter struct{ calls int }

func (w *debugFailWriter) Write([]byte) (int, error) {
	w.calls++
	return 0, errors.New("broken pipe")
}

func TestDebugExit(t *testing.T) {
	// QEMU isa-debug-exit: exit status (value << 1) | 1, for any write
	// of 1, 2 or 4 bytes to any port of the iosize-4 region.
	for _, tc := range []struct {
		port uint16
		size int
		v    uint32
		want int
	}{
		{0xF4, 1, 0x00, 1},
		{0xF4, 1, 0x01, 3},
		{0xF4, 1, 0x10, 0x21},
		{0xF4, 1, 0xFF, 0x1FF},
		{0xF5, 1, 0x02, 5},
		{0xF6, 2, 0x1234, 0x2469},
		{0xF4, 4, 0x7FFFFFFF, 0xFFFFFFFF},
		{0xF4, 4, 0xFFFFFFFF, 0x1FFFFFFFF},
	} {
		bus := NewBus()
		var got []int
		_, err := NewDebugExit(bus, DebugExitPort, func(s int) { got = append(got, s) })
		require.NoError(t, err)
		bus.Out(tc.port, tc.size, tc.v)
		assert.Equal(t, []int{tc.want}, got, "write %#x (size %d) to %#x", tc.v, tc.size, tc.port)
	}

	t.Run("reads, nil callback, neighbours", func(t *testing.T) {
		bus := NewBus()
		_, err := NewDebugExit(bus, DebugExitPort, nil)
		require.NoError(t, err)
		assert.Equal(t, uint32(0xFF), bus.In(0xF4, 1))
		assert.Equal(t, uint32(0xFFFFFFFF), bus.In(0xF4, 4))
		bus.Out(0xF7, 1, 1) // no callback: nothing happens
		var called bool
		_, err = NewDebugExit(bus, 0xF8, func(int) { called = true })
		require.NoError(t, err, "0xF4-0xF7 only")
		_, err = NewDebugExit(bus, 0xF2, nil)
		assert.Error(t, err, "overlaps 0xF4")
		_, err = NewDebugExit(nil, 0xF4, nil)
		assert.Error(t, err)
		bus.Out(0xF3, 1, 0)
		assert.False(t, called)
	})
}
