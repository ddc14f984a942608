package bios

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestROMLayout checks that no entry stub overlaps a neighbouring fixed
// table or entry point: every classic address must still hold what was
// placed there after the whole ROM is built.
func TestROMLayout(t *testing.T) {
	r := buildROM()
	cases := []struct {
		name string
		at   int
		want []byte
	}{
		{"reset vector", romReset, []byte{0xEA, romPOST & 0xFF, romPOST >> 8, 0x00, 0xF0}},
		{"POST trap", romPOST, trap(svcPOST)},
		{"config table", romConfig, configTable()},
		{"diskette table", romDisketteTb, disketteParams()},
		{"INT 10h", romInt10, append(trap(svcInt10), opIRET)},
		{"INT 13h", romInt13, append(trap(svcInt13), opIRET)},
		{"INT 16h", romInt16, append(trap(svcInt16), opIRET)},
		{"INT 17h", romInt17, append(trap(svcInt17), opIRET)},
		{"INT 11h", romInt11, append(trap(svcInt11), opIRET)},
		{"INT 12h", romInt12, append(trap(svcInt12), opIRET)},
		{"INT 15h", romInt15, append(trap(svcInt15), opIRET)},
		{"INT 1Ah", romInt1A, append(trap(svcInt1A), opIRET)},
		{"dummy IRET", romIRET, []byte{opIRET}},
		{"INT 05h", romInt05, append(trap(svcInt05), opIRET)},
		{"model byte", romModel, []byte{0xFC}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, r.img[c.at:c.at+len(c.want)])
		})
	}
	require.Less(t, r.next, 0xE000, "stub area runs into the fixed entry points")
}

// TestUnhandledExceptionStubs: the default vectors of #DE, #UD and #NM
// load the vector into AL and trap to the firmware, instead of an IRET
// that would re-run the faulting instruction forever.
func TestUnhandledExceptionStubs(t *testing.T) {
	r := buildROM()
	for _, v := range []int{0, 6, 7} {
		at := r.unhandled[v]
		require.Equal(t, append([]byte{0xB0, byte(v)}, trap(svcUnhandled)...), r.img[at:at+6], "vector %d", v)
	}
}
