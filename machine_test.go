package gox86

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// resetKernel is a Multiboot kernel (a.out-kludge header) that counts its
// boots in CMOS byte 40h, resets the machine through the 8042 (command
// FEh) on the first boot, and on the second prints the count on port E9h
// and exits through port F4h:
//
//	start: mov al,40h / out 70h,al / in al,71h / inc al / mov bl,al
//	       mov al,40h / out 70h,al / mov al,bl / out 71h,al
//	       cmp bl,2 / jae done / mov al,0FEh / out 64h,al / hlt
//	done:  add bl,'0' / mov al,bl / out 0E9h,al / mov al,10h / out 0F4h,al / hlt
var resetKernel = []byte{
	0x02, 0xb0, 0xad, 0x1b, 0x03, 0x00, 0x01, 0x00, 0xfb, 0x4f, 0x51, 0xe4,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x48, 0x00, 0x10, 0x00,
	0x48, 0x00, 0x10, 0x00, 0x20, 0x00, 0x10, 0x00, 0xb0, 0x40, 0xe6, 0x70,
	0xe4, 0x71, 0xfe, 0xc0, 0x88, 0xc3, 0xb0, 0x40, 0xe6, 0x70, 0x88, 0xd8,
	0xe6, 0x71, 0x80, 0xfb, 0x02, 0x73, 0x05, 0xb0, 0xfe, 0xe6, 0x64, 0xf4,
	0x80, 0xc3, 0x30, 0x88, 0xd8, 0xe6, 0xe9, 0xb0, 0x10, 0xe6, 0xf4, 0xf4,
}

// TestResetReloadsKernel: a guest reset reboots through the BIOS, which
// loads a --kernel image again (as QEMU does); with NoReboot the reset
// ends the run instead.
func TestResetReloadsKernel(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noReboot bool
		reason   ExitReason
		status   int
		out      string
	}{
		{"reboots and reloads", false, ExitDebugPort, 33, "2"},
		{"no-reboot ends the run", true, ExitReset, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			m, err := New(Config{MemoryBytes: 16 << 20, NoReboot: tc.noReboot, DebugCon: &out})
			require.NoError(t, err)
			require.NoError(t, m.LoadMultiboot(resetKernel, ""))
			res := m.Run(1_000_000)
			require.Equal(t, tc.reason, res.Reason, res.Detail)
			require.Equal(t, tc.status, res.Status)
			require.Equal(t, tc.out, out.String())
		})
	}
}
