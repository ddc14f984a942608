// i8042_test.go tests the 8042 keyboard controller, PS/2 keyboard and port
// 0x92 against the IBM Personal System/2 Hardware Interface Technical
// Reference ("Keyboard/Auxiliary Device Controller" and "Keyboard"
// sections; "PS/2 TR" below) and the IBM PC AT Technical Reference
// ("AT TR") for the output port, and against what Linux's i8042/atkbd/
// libps2 drivers and SeaBIOS's ps2port.c expect.
package devices

import (
	"math/rand"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type kbdRig struct {
	t      *testing.T
	clk    *Clock
	bus    *Bus
	k      *I8042
	irq1   *uartIRQProbe
	irq12  *uartIRQProbe
	a20    []bool
	resets int
}

func newKbdRig(t *testing.T) *kbdRig {
	t.Helper()
	r := &kbdRig{t: t, clk: NewClock(), bus: NewBus()}
	r.irq1 = &uartIRQProbe{clk: r.clk}
	r.irq12 = &uartIRQProbe{clk: r.clk}
	k, err := NewI8042(r.bus, r.clk, r.irq1, r.irq12,
		func(on bool) { r.a20 = append(r.a20, on) }, func() { r.resets++ })
	require.NoError(t, err)
	r.k = k
	return r
}

func (r *kbdRig) cmd(c uint8)     { r.bus.Out(I8042CommandPort, 1, uint32(c)) }
func (r *kbdRig) data(v uint8)    { r.bus.Out(I8042DataPort, 1, uint32(v)) }
func (r *kbdRig) status() uint8   { return uint8(r.bus.In(I8042CommandPort, 1)) }
func (r *kbdRig) read() uint8     { return uint8(r.bus.In(I8042DataPort, 1)) }
func (r *kbdRig) advance(d int64) { r.clk.Advance(r.clk.Now() + d) }

// kbdOut is a byte read from the controller with the status it had.
type kbdOut struct {
	data   uint8
	status uint8
	at     int64
}

// recvFull polls like a driver (every 50 µs) for d ns, reading every byte.
func (r *kbdRig) recvFull(d int64) []kbdOut {
	var got []kbdOut
	end := r.clk.Now() + d
	for {
		if st := r.status(); st&i8042StatOBF != 0 {
			got = append(got, kbdOut{r.read(), st, r.clk.Now()})
			continue
		}
		if r.clk.Now() >= end {
			return got
		}
		r.advance(50_000)
	}
}

// recv returns just the data bytes received within d ns.
func (r *kbdRig) recv(d int64) []uint8 {
	var b []uint8
	for _, o := range r.recvFull(d) {
		b = append(b, o.data)
	}
	return b
}

const kbdWait = 20_000_000 // 20 ms of virtual time

func TestI8042PowerOn(t *testing.T) {
	r := newKbdRig(t)
	// PS/2 TR status register: OBF, IBF = 0; system flag 0 after power
	// on; bit 4 = 1 (keyboard not inhibited). Bit 3 (A2) is don't-care.
	assert.Equal(t, uint8(0x10), r.status()&^i8042StatCmd)
	assert.Equal(t, []bool{true}, r.a20, "A20 reported once at construction")
	r.cmd(0x20)
	assert.Equal(t, uint8(i8042PowerOnCCB), r.read(), "our power-on command byte")
	assert.Empty(t, r.recv(kbdWait), "the keyboard sends nothing unasked")
}

func TestI8042ControllerCommands(t *testing.T) {
	// PS/2 TR "Commands (I/O Address Hex 64)".
	for _, tc := range []struct {
		name    string
		cmds    []uint8 // written to 0x64, each followed by its data in args
		args    map[int]uint8
		want    []uint8
		wantCCB uint8
	}{
		{"0x20 read CCB", []uint8{0x20}, nil, []uint8{0x03}, 0x03},
		{"0x60 write CCB", []uint8{0x60, 0x20}, map[int]uint8{0: 0x45}, []uint8{0x45}, 0x45},
		{"0x61/0x21 controller RAM", []uint8{0x61, 0x21}, map[int]uint8{0: 0x9C}, []uint8{0x9C}, 0x03},
		{"0x7F/0x3F controller RAM", []uint8{0x7F, 0x3F}, map[int]uint8{0: 0x11}, []uint8{0x11}, 0x03},
		{"0xA7 disable aux", []uint8{0xA7}, nil, nil, 0x23},
		{"0xA8 enable aux", []uint8{0xA7, 0xA8}, nil, nil, 0x03},
		{"0xA9 aux interface test: no error", []uint8{0xA9}, nil, []uint8{0x00}, 0x03},
		{"0xAA self test passed", []uint8{0xAA}, nil, []uint8{0x55}, 0x07},
		{"0xAB kbd interface test: no error", []uint8{0xAB}, nil, []uint8{0x00}, 0x03},
		{"0xAD disable kbd", []uint8{0xAD}, nil, nil, 0x13},
		{"0xAE enable kbd", []uint8{0xAD, 0xAE}, nil, nil, 0x03},
		{"0xC0 read input port", []uint8{0xC0}, nil, []uint8{0xA0}, 0x03},
		{"0xD0 read output port", []uint8{0xD0}, nil, []uint8{0xCF}, 0x03},
		{"0xD2 write kbd output buffer", []uint8{0xD2}, map[int]uint8{0: 0x9A}, []uint8{0x9A}, 0x03},
		{"0xD3 write aux output buffer", []uint8{0xD3}, map[int]uint8{0: 0x5A}, []uint8{0x5A}, 0x03},
		{"unknown command ignored", []uint8{0xC8, 0x00, 0xE0}, nil, nil, 0x03},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newKbdRig(t)
			var got []uint8
			for i, c := range tc.cmds {
				r.cmd(c)
				if v, ok := tc.args[i]; ok {
					r.data(v)
				}
				got = append(got, r.recv(kbdWait)...)
			}
			assert.Equal(t, tc.want, got)
			r.cmd(0x20)
			assert.Equal(t, tc.wantCCB, r.read())
			assert.Zero(t, r.resets)
		})
	}
}

func TestI8042StatusRegister(t *testing.T) {
	// PS/2 TR status bits: 0 OBF, 1 IBF, 2 system flag, 3 command/data,
	// 4 inhibit switch, 5 aux output buffer full, 6 time-out, 7 parity.
	for _, tc := range []struct {
		name string
		do   func(r *kbdRig)
		want uint8
	}{
		{"after a command write", func(r *kbdRig) { r.cmd(0xAD) }, 0x18},
		{"after a data write", func(r *kbdRig) { r.cmd(0xD2); r.data(1); r.read() }, 0x10},
		{"result waiting", func(r *kbdRig) { r.cmd(0xAB) }, 0x19},
		{"system flag follows CCB bit 2", func(r *kbdRig) { r.cmd(0x60); r.data(0x04) }, 0x14},
		{"self test sets the system flag", func(r *kbdRig) { r.cmd(0xAA); r.read() }, 0x1C},
		{"aux data: AUXB", func(r *kbdRig) { r.cmd(0xD3); r.data(7) }, 0x31},
		{"AUXB clears with OBF", func(r *kbdRig) { r.cmd(0xD3); r.data(7); r.read() }, 0x10},
		{"no aux device: time-out", func(r *kbdRig) { r.cmd(0xD4); r.data(0xF2) }, 0x71},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newKbdRig(t)
			tc.do(r)
			assert.Equal(t, tc.want, r.status())
		})
	}
}

func TestI8042NoAuxDevice(t *testing.T) {
	t.Run("0xD4: NAK with time-out", func(t *testing.T) {
		// libps2/psmouse see SERIO_TIMEOUT and fail the probe at once;
		// SeaBIOS's ps2_sendbyte gets 0xFE on the aux channel.
		r := newKbdRig(t)
		r.cmd(0xA7)
		for _, b := range []uint8{0xFF, 0xF2, 0xF4} {
			r.cmd(0xD4)
			r.data(b)
			got := r.recvFull(kbdWait)
			require.Len(t, got, 1)
			assert.Equal(t, uint8(0xFE), got[0].data)
			assert.Equal(t, uint8(0x71), got[0].status, "OBF | AUXB | time-out")
		}
		assert.Len(t, r.irq12.rises, 3)
		assert.Empty(t, r.irq1.rises)
		r.cmd(0x20)
		assert.Zero(t, r.read()&i8042CCBAuxDis, "sending to aux enables its interface")
	})

	t.Run("Linux i8042_check_aux", func(t *testing.T) {
		r := newKbdRig(t)
		// Internal loopback: 0x5A comes back as aux data.
		r.cmd(0xD3)
		r.data(0x5A)
		got := r.recvFull(kbdWait)
		require.Len(t, got, 1)
		assert.Equal(t, uint8(0x5A), got[0].data)
		assert.NotZero(t, got[0].status&i8042StatAux)
		// Bit assignment test: 0xA7 sets CTR bit 5, 0xA8 clears it.
		r.cmd(0xA7)
		r.cmd(0x20)
		assert.NotZero(t, r.read()&0x20)
		r.cmd(0xA8)
		r.cmd(0x20)
		assert.Zero(t, r.read()&0x20)
		// IRQ delivery test: with AUXINT set, the 0xA5 loopback raises IRQ12.
		r.cmd(0x60)
		r.data(0x02)
		r.cmd(0xD3)
		r.data(0xA5)
		assert.True(t, r.irq12.level)
		assert.Equal(t, uint8(0xA5), r.read())
		assert.False(t, r.irq12.level)
	})

	t.Run("Linux i8042_set_mux_mode: not a MUX", func(t *testing.T) {
		// A MUX controller answers the third loopback (0xA4) with its
		// version; a plain one echoes it, so Linux finds no MUX.
		r := newKbdRig(t)
		for _, b := range []uint8{0xF0, 0x56, 0xA4} {
			r.cmd(0xD3)
			r.data(b)
			assert.Equal(t, []uint8{b}, r.recv(kbdWait))
		}
	})
}

func TestI8042OutputPort(t *testing.T) {
	// AT TR output port: bit 0 system reset (0 resets), bit 1 gate A20.
	for _, tc := range []struct {
		name       string
		write      uint8
		wantA20    []bool // callbacks after the power-on one
		wantResets int
		wantRead   uint8
	}{
		{"0xDD: A20 off (Linux a20.c uses 0xDD/0xDF)", 0xDD, []bool{false}, 0, 0xCD},
		{"0xDF: A20 stays on", 0xDF, nil, 0, 0xCF},
		{"0xDE: reset pulse", 0xDE, nil, 1, 0xCF},
		{"0x00: reset and A20 off", 0x00, []bool{false}, 1, 0x01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newKbdRig(t)
			r.cmd(0xD1)
			r.data(tc.write)
			assert.Equal(t, append([]bool{true}, tc.wantA20...), r.a20)
			assert.Equal(t, tc.wantResets, r.resets)
			r.cmd(0xD0)
			assert.Equal(t, tc.wantRead, r.read())
			assert.Equal(t, len(tc.wantA20) == 0 || tc.wantA20[0], r.k.A20())
		})
	}

	t.Run("0xD0 shows the output buffer lines", func(t *testing.T) {
		r := newKbdRig(t)
		r.cmd(0xD2)
		r.data(0x11) // IRQ1 high while unread
		r.cmd(0xD0)  // result queued behind it
		assert.Equal(t, uint8(0x11), r.read())
		assert.Equal(t, uint8(0xDF), r.read(), "bit 4: OBF from the keyboard was set")
	})
}

func TestI8042PulseOutputPort(t *testing.T) {
	// PS/2 TR: 0xF0-0xFF pulse output port bits 0-3 for each 0 bit in the
	// command's low nibble; bit 0 is the CPU reset line.
	for _, tc := range []struct {
		cmd    uint8
		resets int
	}{
		{0xFE, 1}, {0xFC, 1}, {0xF0, 1}, {0xFF, 0}, {0xFD, 0}, {0xF1, 0},
	} {
		r := newKbdRig(t)
		r.cmd(tc.cmd)
		assert.Equal(t, tc.resets, r.resets, "command %#x", tc.cmd)
		assert.Equal(t, []bool{true}, r.a20, "A20 unchanged by %#x", tc.cmd)
	}
}

func TestI8042Port92(t *testing.T) {
	// PS/2 System Control Port A: bit 1 fast A20 (read/write), bit 0
	// writing 1 pulses reset.
	r := newKbdRig(t)
	r.cmd(0xD1)
	r.data(0xDD) // keyboard-controller A20 off
	require.Equal(t, []bool{true, false}, r.a20)
	r.bus.Out(SystemControlA, 1, 0x02)
	assert.Equal(t, []bool{true, false, true}, r.a20, "A20 = output port bit 1 OR port 0x92 bit 1")
	assert.Equal(t, uint32(0x02), r.bus.In(SystemControlA, 1))
	r.bus.Out(SystemControlA, 1, 0x03)
	assert.Equal(t, 1, r.resets)
	assert.Equal(t, uint32(0x02), r.bus.In(SystemControlA, 1), "bit 0 reads 0")
	r.bus.Out(SystemControlA, 1, r.bus.In(SystemControlA, 1)|0x02) // read-modify-write
	assert.Equal(t, 1, r.resets, "no reset without bit 0")
	r.bus.Out(SystemControlA, 1, 0x00)
	assert.Equal(t, []bool{true, false, true, false}, r.a20)
	r.cmd(0xD1)
	r.data(0xDF)
	assert.Equal(t, []bool{true, false, true, false, true}, r.a20)
	r.bus.Out(SystemControlA, 1, 0x02)
	assert.Len(t, r.a20, 5, "already on: no callback")
}

func TestI8042KeyboardCommands(t *testing.T) {
	// PS/2 TR "Keyboard Commands from the System" and "Commands to the
	// System": ACK 0xFA, Resend 0xFE, BAT completion 0xAA, ID 0xAB 0x83,
	// Echo 0xEE. Translation off (CCB 0x00) so bytes arrive unchanged.
	for _, tc := range []struct {
		name string
		send []uint8
		want []uint8
	}{
		{"0xFF reset", []uint8{0xFF}, []uint8{0xFA, 0xAA}},
		{"0xFE resend after reset", []uint8{0xFF, 0xFE}, []uint8{0xFA, 0xAA, 0xAA}},
		{"0xFE resend after ID", []uint8{0xF2, 0xFE}, []uint8{0xFA, 0xAB, 0x83, 0x83}},
		{"0xF6 set default", []uint8{0xF6}, []uint8{0xFA}},
		{"0xF5 default disable", []uint8{0xF5}, []uint8{0xFA}},
		{"0xF4 enable", []uint8{0xF4}, []uint8{0xFA}},
		{"0xF3 typematic", []uint8{0xF3, 0x20}, []uint8{0xFA, 0xFA}},
		{"0xF3 bad rate byte", []uint8{0xF3, 0x80}, []uint8{0xFA, 0xFE}},
		{"0xF2 identify", []uint8{0xF2}, []uint8{0xFA, 0xAB, 0x83}},
		// Option byte 0: ACK, then the current set (Linux sends it as
		// ATKBD_CMD_GSCANSET, one parameter in, one byte back).
		{"0xF0 0 reports set 2", []uint8{0xF0, 0x00}, []uint8{0xFA, 0xFA, 0x02}},
		{"0xF0 1 then query", []uint8{0xF0, 0x01, 0xF0, 0x00}, []uint8{0xFA, 0xFA, 0xFA, 0xFA, 0x01}},
		{"0xF0 3 then query", []uint8{0xF0, 0x03, 0xF0, 0x00}, []uint8{0xFA, 0xFA, 0xFA, 0xFA, 0x03}},
		{"0xF0 bad set", []uint8{0xF0, 0x04}, []uint8{0xFA, 0xFE}},
		{"0xFF restores set 2", []uint8{0xF0, 0x01, 0xFF, 0xF0, 0x00}, []uint8{0xFA, 0xFA, 0xFA, 0xAA, 0xFA, 0xFA, 0x02}},
		{"0xEE echo", []uint8{0xEE}, []uint8{0xEE}},
		{"0xED LEDs", []uint8{0xED, 0x07}, []uint8{0xFA, 0xFA}},
		{"command instead of argument", []uint8{0xED, 0xF2}, []uint8{0xFA, 0xFA, 0xAB, 0x83}},
		{"0xF8 set all keys (set 3)", []uint8{0xF8}, []uint8{0xFA}},
		{"0xFB key list", []uint8{0xFB, 0x1C, 0x32, 0xF4}, []uint8{0xFA, 0xFA, 0xFA, 0xFA}},
		{"unknown 0x00", []uint8{0x00}, []uint8{0xFE}},
		{"unknown 0xEF", []uint8{0xEF}, []uint8{0xFE}},
		{"unknown 0xF1", []uint8{0xF1}, []uint8{0xFE}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newKbdRig(t)
			r.cmd(0x60)
			r.data(0x00)
			var got []uint8
			for _, b := range tc.send {
				r.data(b)
				got = append(got, r.recv(kbdWait)...)
			}
			assert.Equal(t, tc.want, got)
		})
	}

	t.Run("LEDs and typematic stored", func(t *testing.T) {
		r := newKbdRig(t)
		for _, b := range []uint8{0xED, 0x05, 0xF3, 0x7F} {
			r.data(b)
		}
		r.recv(kbdWait)
		assert.Equal(t, uint8(0x05), r.k.State().Kbd.LEDs)
		assert.Equal(t, uint8(0x7F), r.k.State().Kbd.Typematic)
		r.data(0xF6) // default: 10.9 cps, 500 ms = 0x2B
		r.recv(kbdWait)
		assert.Equal(t, uint8(0x2B), r.k.State().Kbd.Typematic)
	})
}

func TestI8042KeyboardResponsesTranslated(t *testing.T) {
	// With CCB bit 6 the controller translates everything from the
	// keyboard, so the ID reads AB 41 (Linux atkbd: 0xab41 = translated)
	// and the set query 0x02 reads 0x41.
	for _, tc := range []struct {
		send, want []uint8
	}{
		{[]uint8{0xF2}, []uint8{0xFA, 0xAB, 0x41}},
		{[]uint8{0xF0, 0x00}, []uint8{0xFA, 0xFA, 0x41}},
		{[]uint8{0xFF}, []uint8{0xFA, 0xAA}},
		{[]uint8{0xEE}, []uint8{0xEE}},
	} {
		r := newKbdRig(t)
		r.cmd(0x60)
		r.data(0x40)
		var got []uint8
		for _, b := range tc.send {
			r.data(b)
			got = append(got, r.recv(kbdWait)...)
		}
		assert.Equal(t, tc.want, got, "sent % x", tc.send)
	}
}

func TestI8042KeyboardTiming(t *testing.T) {
	r := newKbdRig(t)
	r.cmd(0x60)
	r.data(0x00)
	start := r.clk.Now()
	r.data(0xF2)
	got := r.recvFull(kbdWait)
	require.Len(t, got, 3)
	assert.Equal(t, start+i8042ByteNS, got[0].at, "one PS/2 byte time")
	assert.Equal(t, got[0].at+i8042ByteNS, got[1].at)
	assert.Equal(t, got[1].at+i8042ByteNS, got[2].at)

	start = r.clk.Now()
	r.data(0xFF)
	got = r.recvFull(kbdWait)
	require.Len(t, got, 2)
	assert.Equal(t, start+i8042ByteNS, got[0].at)
	assert.Equal(t, start+i8042BATNS+i8042ByteNS, got[1].at, "0xAA after the self test")
}

// kbdScanSeq is the bytes for pressing and releasing key in set.
func kbdScanSeq(key KeyCode, set uint8) []uint8 {
	seq := kbdScanCodes(I8042KeyEvent{key, true}, set)
	return append(seq, kbdScanCodes(I8042KeyEvent{key, false}, set)...)
}

func TestI8042ScanCodes(t *testing.T) {
	// PS/2 TR scan code tables: set 1 break = make + 0x80; set 2 break =
	// F0 make; E0 prefix for the extended keys in sets 1 and 2; set 3 has
	// no E0 and its own codes for some keys.
	for _, tc := range []struct {
		key  KeyCode
		set  uint8
		want []uint8
	}{
		{KeyA, 1, []uint8{0x1E, 0x9E}},
		{KeyA, 2, []uint8{0x1C, 0xF0, 0x1C}},
		{KeyA, 3, []uint8{0x1C, 0xF0, 0x1C}},
		{KeyEscape, 1, []uint8{0x01, 0x81}},
		{KeyEscape, 2, []uint8{0x76, 0xF0, 0x76}},
		{KeyEscape, 3, []uint8{0x08, 0xF0, 0x08}},
		{KeyUp, 1, []uint8{0xE0, 0x48, 0xE0, 0xC8}},
		{KeyUp, 2, []uint8{0xE0, 0x75, 0xE0, 0xF0, 0x75}},
		{KeyUp, 3, []uint8{0x63, 0xF0, 0x63}},
		{KeyRightCtrl, 1, []uint8{0xE0, 0x1D, 0xE0, 0x9D}},
		{KeyRightCtrl, 2, []uint8{0xE0, 0x14, 0xE0, 0xF0, 0x14}},
		{KeyRightCtrl, 3, []uint8{0x58, 0xF0, 0x58}},
		{KeyLeftAlt, 3, []uint8{0x19, 0xF0, 0x19}},
		{KeyF7, 2, []uint8{0x83, 0xF0, 0x83}},
		{KeyEnter, 1, []uint8{0x1C, 0x9C}},
		{KeyBackslash, 2, []uint8{0x5D, 0xF0, 0x5D}},
		{KeyBackslash, 3, []uint8{0x5C, 0xF0, 0x5C}},
	} {
		t.Run("", func(t *testing.T) {
			assert.Equal(t, tc.want, kbdScanSeq(tc.key, tc.set), "key %d set %d", tc.key, tc.set)

			// And the same bytes come out of the controller, untranslated.
			r := newKbdRig(t)
			r.cmd(0x60)
			r.data(0x00)
			r.data(0xF0)
			r.data(tc.set)
			r.recv(kbdWait)
			r.k.KeyDown(tc.key)
			r.k.KeyUp(tc.key)
			assert.Equal(t, tc.want, r.recv(kbdWait))
		})
	}
}

func TestI8042TranslationTable(t *testing.T) {
	// The controller's set 2 → set 1 translation must turn every key's
	// set-2 make/break into its set-1 make/break (the two tables come
	// from the PS/2 TR scan code tables independently of i8042Xlat).
	for key := KeyA; key < keyCount; key++ {
		var out []uint8
		brk := false
		for _, b := range kbdScanSeq(key, 2) {
			if b == 0xF0 {
				brk = true
				continue
			}
			x := i8042Xlat[b]
			if brk {
				x |= 0x80
				brk = false
			}
			out = append(out, x)
		}
		assert.Equal(t, kbdScanSeq(key, 1), out, "key %d", key)
	}
	// Non-key codes: 0x00 (key detection error) becomes 0xFF, the
	// responses above 0x80 pass unchanged.
	assert.Equal(t, uint8(0xFF), i8042Xlat[0x00])
	for _, b := range []uint8{0xAA, 0xAB, 0xEE, 0xFA, 0xFE, 0xE0, 0xE1} {
		assert.Equal(t, b, i8042Xlat[b])
	}
}

func TestI8042TranslatedKeys(t *testing.T) {
	// Through the controller: CCB bit 6 set, keyboard in set 2.
	for _, tc := range []struct {
		key  KeyCode
		want []uint8
	}{
		{KeyA, []uint8{0x1E, 0x9E}},
		{KeyUp, []uint8{0xE0, 0x48, 0xE0, 0xC8}},
		{KeyF7, []uint8{0x41, 0xC1}},
		{KeyRightAlt, []uint8{0xE0, 0x38, 0xE0, 0xB8}},
	} {
		r := newKbdRig(t)
		r.cmd(0x60)
		r.data(0x41) // translate, KBD interrupt
		r.k.KeyDown(tc.key)
		r.k.KeyUp(tc.key)
		got := r.recvFull(kbdWait)
		var data []uint8
		for _, o := range got {
			data = append(data, o.data)
		}
		assert.Equal(t, tc.want, data, "key %d", tc.key)
		assert.Len(t, r.irq1.rises, len(tc.want), "one IRQ1 edge per byte")
	}
}

func TestI8042TypeASCII(t *testing.T) {
	// US layout, set 2 codes (PS/2 TR): LShift 12, LCtrl 14.
	for _, tc := range []struct {
		name string
		b    byte
		want []uint8
	}{
		{"a", 'a', []uint8{0x1C, 0xF0, 0x1C}},
		{"A", 'A', []uint8{0x12, 0x1C, 0xF0, 0x1C, 0xF0, 0x12}},
		{"1", '1', []uint8{0x16, 0xF0, 0x16}},
		{"!", '!', []uint8{0x12, 0x16, 0xF0, 0x16, 0xF0, 0x12}},
		{"space", ' ', []uint8{0x29, 0xF0, 0x29}},
		{"~", '~', []uint8{0x12, 0x0E, 0xF0, 0x0E, 0xF0, 0x12}},
		{"?", '?', []uint8{0x12, 0x4A, 0xF0, 0x4A, 0xF0, 0x12}},
		{"Ctrl-C", 0x03, []uint8{0x14, 0x21, 0xF0, 0x21, 0xF0, 0x14}},
		{"Ctrl-H", 0x08, []uint8{0x14, 0x33, 0xF0, 0x33, 0xF0, 0x14}},
		{"Ctrl-Z", 0x1A, []uint8{0x14, 0x1A, 0xF0, 0x1A, 0xF0, 0x14}},
		{"NUL = Ctrl-2", 0x00, []uint8{0x14, 0x1E, 0xF0, 0x1E, 0xF0, 0x14}},
		{"Ctrl-]", 0x1D, []uint8{0x14, 0x5B, 0xF0, 0x5B, 0xF0, 0x14}},
		{"tab", '\t', []uint8{0x0D, 0xF0, 0x0D}},
		{"LF = Enter", '\n', []uint8{0x5A, 0xF0, 0x5A}},
		{"CR = Enter", '\r', []uint8{0x5A, 0xF0, 0x5A}},
		{"ESC", 0x1B, []uint8{0x76, 0xF0, 0x76}},
		{"DEL = Backspace", 0x7F, []uint8{0x66, 0xF0, 0x66}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newKbdRig(t)
			r.cmd(0x60)
			r.data(0x00)
			assert.True(t, r.k.TypeASCII(tc.b))
			assert.Equal(t, tc.want, r.recv(kbdWait))
		})
	}

	t.Run("every printable byte is typeable", func(t *testing.T) {
		r := newKbdRig(t)
		for b := 0; b < 0x80; b++ {
			_, _, _, ok := asciiKey(byte(b))
			assert.True(t, ok, "%#x", b)
		}
		for _, b := range []byte{0x80, 0xC3, 0xFF} {
			assert.False(t, r.k.TypeASCII(b))
		}
		assert.Empty(t, r.recv(kbdWait))
	})
}

func TestI8042IRQ1(t *testing.T) {
	// IRQ1 follows OBF for keyboard data when CCB bit 0 is set: high
	// when a byte is loaded, low when port 0x60 is read.
	r := newKbdRig(t)
	r.cmd(0x60)
	r.data(0x01)
	r.k.TypeASCII('x') // 22, F0 22
	r.advance(i8042PollNS + i8042ByteNS)
	assert.True(t, r.irq1.level)
	assert.Equal(t, uint8(0x22), r.read())
	assert.False(t, r.irq1.level)
	r.advance(i8042ByteNS)
	assert.True(t, r.irq1.level, "next byte, new edge")
	assert.Len(t, r.irq1.rises, 2)

	r.cmd(0x60)
	r.data(0x00) // CCB bit 0 off: the line drops, OBF stays
	assert.False(t, r.irq1.level)
	assert.NotZero(t, r.status()&i8042StatOBF)
	assert.Equal(t, uint8(0xF0), r.read())
	r.advance(kbdWait)
	assert.Equal(t, uint8(0x22), r.read())
	assert.Len(t, r.irq1.rises, 2)
	assert.Empty(t, r.irq12.rises)
}

func TestI8042KeyboardDisable(t *testing.T) {
	t.Run("interface disabled: keys held", func(t *testing.T) {
		r := newKbdRig(t)
		r.cmd(0x60)
		r.data(0x00)
		r.cmd(0xAD)
		r.k.TypeASCII('q')
		assert.Empty(t, r.recv(kbdWait))
		r.cmd(0xAE)
		assert.Equal(t, []uint8{0x15, 0xF0, 0x15}, r.recv(kbdWait))
	})
	t.Run("writing to the keyboard re-enables the interface", func(t *testing.T) {
		r := newKbdRig(t)
		r.cmd(0xAD)
		r.data(0xEE)
		assert.Equal(t, []uint8{0xEE}, r.recv(kbdWait))
		r.cmd(0x20)
		assert.Zero(t, r.read()&i8042CCBKbdDis)
	})
	t.Run("keyboard disabled (F5): keys dropped", func(t *testing.T) {
		r := newKbdRig(t)
		r.cmd(0x60)
		r.data(0x00)
		r.data(0xF5)
		assert.Equal(t, []uint8{0xFA}, r.recv(kbdWait))
		r.k.TypeASCII('q')
		assert.Empty(t, r.recv(kbdWait))
		r.data(0xF4)
		assert.Equal(t, []uint8{0xFA}, r.recv(kbdWait))
		r.k.TypeASCII('w')
		assert.Equal(t, []uint8{0x1D, 0xF0, 0x1D}, r.recv(kbdWait))
	})
	t.Run("buffer full: host events wait", func(t *testing.T) {
		r := newKbdRig(t)
		r.cmd(0x60)
		r.data(0x00)
		r.cmd(0xAD)
		for i := 0; i < 20; i++ {
			r.k.TypeASCII('z')
		}
		r.advance(kbdWait)
		// The 16-byte buffer takes five 3-byte keystrokes and a press.
		assert.Len(t, r.k.State().Kbd.Scan, 16)
		r.cmd(0xAE)
		got := r.recv(200_000_000)
		assert.Len(t, got, 60, "nothing lost")
	})
}

func kbdScenario(t *testing.T) ([]int64, []uint8) {
	r := newKbdRig(t)
	r.cmd(0x60)
	r.data(0x41)
	var data []uint8
	for i, s := range []string{"ls -l\n", "echo hi\x03", "EXIT\n"} {
		r.advance(int64(i) * 3_000_000)
		for _, b := range []byte(s) {
			r.k.TypeASCII(b)
		}
		for _, o := range r.recvFull(100_000_000) {
			data = append(data, o.data)
		}
	}
	return r.irq1.rises, data
}

func TestI8042Deterministic(t *testing.T) {
	r1, d1 := kbdScenario(t)
	r2, d2 := kbdScenario(t)
	assert.Equal(t, r1, r2)
	assert.Equal(t, d1, d2)
	assert.NotEmpty(t, d1)
}

func TestI8042HostInputFromGoroutines(t *testing.T) {
	// Key events may come from any goroutine; they reach the guest only
	// when the emulator's clock polls the queue (run with -race).
	r := newKbdRig(t)
	r.cmd(0x60)
	r.data(0x00)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				r.k.TypeASCII('a')
			}
		}()
	}
	var got []uint8
	for i := 0; i < 100; i++ {
		got = append(got, r.recv(1_000_000)...)
		_ = r.k.State()
	}
	wg.Wait()
	got = append(got, r.recv(1_000_000_000)...)
	assert.Len(t, got, 300)
}

func TestI8042SurvivesNonsense(t *testing.T) {
	rng := rand.New(rand.NewSource(8042))
	r := newKbdRig(t)
	ports := []uint16{0x60, 0x64, 0x92, 0x61, 0x63}
	for i := 0; i < 100000; i++ {
		p := ports[rng.Intn(len(ports))]
		size := []int{1, 2, 4}[rng.Intn(3)]
		if rng.Intn(2) == 0 {
			r.bus.Out(p, size, rng.Uint32())
		} else {
			r.bus.In(p, size)
		}
		if rng.Intn(16) == 0 {
			r.k.KeyDown(KeyCode(rng.Intn(int(keyCount) + 5)))
		}
		if rng.Intn(8) == 0 {
			r.advance(int64(rng.Intn(3_000_000)))
		}
	}
	r.advance(1_000_000_000)
	st := r.k.State()
	assert.LessOrEqual(t, len(st.CtrlQueue), i8042QueueMax)
	assert.LessOrEqual(t, len(st.Kbd.Resp), i8042QueueMax)
	assert.LessOrEqual(t, len(st.Kbd.Scan), i8042QueueMax)
}

func TestI8042StateRoundTrip(t *testing.T) {
	r := newKbdRig(t)
	r.cmd(0x60)
	r.data(0x43)
	r.data(0xF2)
	r.k.TypeASCII('Q')
	r.cmd(0xD1)
	r.data(0xDD)
	r.advance(1_500_000)

	st := r.k.State()
	clk2 := NewClock()
	clk2.Advance(r.clk.Now())
	bus2 := NewBus()
	irq1 := &uartIRQProbe{clk: clk2, level: r.irq1.level}
	k2, err := NewI8042(bus2, clk2, irq1, nil, nil, nil)
	require.NoError(t, err)
	k2.SetState(st)
	assert.Equal(t, st, k2.State())

	r2 := &kbdRig{t: t, clk: clk2, bus: bus2, k: k2, irq1: irq1}
	assert.Equal(t, r.recvFull(kbdWait), r2.recvFull(kbdWait))
	assert.Equal(t, r.irq1.rises[len(r.irq1.rises)-len(irq1.rises):], irq1.rises)
	assert.False(t, k2.A20())
}

func TestI8042Wiring(t *testing.T) {
	t.Run("nil bus or clock", func(t *testing.T) {
		_, err := NewI8042(nil, NewClock(), nil, nil, nil, nil)
		assert.Error(t, err)
		_, err = NewI8042(NewBus(), nil, nil, nil, nil, nil)
		assert.Error(t, err)
	})
	t.Run("port conflict leaves nothing registered", func(t *testing.T) {
		bus := NewBus()
		require.NoError(t, bus.Register(SystemControlA, 1, ByteOnly{
			InB: func(uint16) uint8 { return 0x12 }, OutB: func(uint16, uint8) {}}))
		_, err := NewI8042(bus, NewClock(), nil, nil, nil, nil)
		require.Error(t, err)
		assert.Equal(t, uint32(0xFF), bus.In(I8042DataPort, 1), "0x60 released again")
		_, err = NewI8042(NewBus(), NewClock(), nil, nil, nil, nil)
		assert.NoError(t, err)
	})
	t.Run("word access spills to the next port", func(t *testing.T) {
		r := newKbdRig(t)
		var got []uint8
		require.NoError(t, r.bus.Register(0x61, 1, ByteOnly{
			InB:  func(uint16) uint8 { return 0x30 },
			OutB: func(_ uint16, v uint8) { got = append(got, v) },
		}))
		r.cmd(0xD2)
		r.bus.Out(I8042DataPort, 2, 0x4D11)
		assert.Equal(t, []uint8{0x4D}, got)
		assert.Equal(t, uint32(0x3011), r.bus.In(I8042DataPort, 2))
	})
}
