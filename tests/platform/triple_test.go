package platform

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
)

// TestTripleFault runs guests that triple-fault on a machine with
// NoReboot: the run must end with ExitTripleFault, status 1, and a
// Detail that names the fault chain and the CS:EIP of the instruction
// that faulted first (which the guest prints before faulting).
func TestTripleFault(t *testing.T) {
	siteRE := regexp.MustCompile(`site ([0-9A-F]{4}:[0-9A-F]{8})`)
	tests := []struct {
		name string
		// cmdline boots triple.bin as a Multiboot kernel with that
		// command line; raw runs that real-mode guest instead.
		cmdline string
		raw     string
		// chain is the fault chain Detail must show: each fault, with
		// its error code (IDT index<<3 | IDT | EXT for faults while
		// delivering another), in the order they happened.
		chain string
	}{
		{name: "protected #UD", cmdline: "u", chain: "#UD -> #GP(0033) -> #GP(006B) -> #DF -> #GP(0043)"},
		{name: "protected #GP", cmdline: "g", chain: "#GP(1230) -> #GP(006B) -> #DF -> #GP(0043)"},
		{name: "protected #DE", cmdline: "d", chain: "#DE -> #GP(0003) -> #DF -> #GP(0043)"},
		{name: "paging #PF", cmdline: "p", chain: "#PF(0002) -> #PF(0000) -> #DF -> #PF(0000)"},
		// Real mode pushes no error codes; Detail may still show one.
		{name: "real mode #UD", raw: "triplerm", chain: `#UD -> #GP(\(\w+\))? -> #GP(\(\w+\))? -> #DF -> #GP(\(\w+\))?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			con := &syncBuffer{}
			m, err := gox86.New(gox86.Config{MemoryBytes: 16 << 20, NoReboot: true, DebugCon: con})
			require.NoError(t, err)
			if tc.raw != "" {
				require.NoError(t, m.LoadRaw(guest(t, tc.raw), rawLoad, 0, rawLoad))
			} else {
				require.NoError(t, m.LoadMultiboot(guest(t, "triple"), tc.cmdline))
			}
			res := m.Run(1_000_000)
			out := con.String()
			t.Logf("%s: %s", res.Reason, res.Detail)
			require.Equal(t, gox86.ExitTripleFault, res.Reason, "%s: %s\nguest output:\n%s", res.Reason, res.Detail, out)
			require.Equal(t, 1, res.Status)
			site := siteRE.FindStringSubmatch(out)
			require.NotNil(t, site, "the guest printed no site:\n%s", out)
			chain := tc.chain
			if tc.raw == "" {
				chain = regexp.QuoteMeta(chain)
			}
			require.Regexp(t, `^triple fault \(`+chain+`\) at `+regexp.QuoteMeta(site[1])+`$`, res.Detail)
		})
	}
}
