package platform

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
)

// TestHLTSkipsToDeadline runs the hltwait guest, which waits in HLT for
// twenty 50 ms PIT periods and then for an RTC alarm one second away.
// A halted CPU must cost no instructions: virtual time jumps to the next
// device deadline, so the run retires a few thousand instructions and
// takes milliseconds of host time whatever the clock rate, while the
// guest's TSC sees the full second pass for each wait.
func TestHLTSkipsToDeadline(t *testing.T) {
	img := guest(t, "hltwait")
	pitRE := regexp.MustCompile(`(?m)^pit periods=20 tsc=(\d+)$`)
	rtcRE := regexp.MustCompile(`(?m)^rtc alarm tsc=(\d+) `)
	for _, ips := range []uint64{100_000_000, 1_000_000_000} {
		t.Run(strconv.FormatUint(ips, 10), func(t *testing.T) {
			con := &syncBuffer{}
			m, err := gox86.New(gox86.Config{IPS: ips, MemoryBytes: 4 << 20, NoReboot: true, DebugCon: con})
			require.NoError(t, err)
			require.NoError(t, m.LoadRaw(img, rawLoad, 0, rawLoad))
			start := time.Now()
			res := m.Run(50_000_000)
			host := time.Since(start)
			out := con.String()
			requireExitOK(t, res, out)
			t.Logf("%d instructions, virtual time %v, host time %v", res.Instructions, res.VirtualTime, host)

			// Twenty periods of 59659 PIT clocks at 1193182 Hz.
			wantPIT := float64(ips) * 20 * 59659 / 1193182
			mm := pitRE.FindStringSubmatch(out)
			require.NotNil(t, mm, "no pit line in:\n%s", out)
			gotPIT, _ := strconv.ParseFloat(mm[1], 64)
			require.InEpsilon(t, wantPIT, gotPIT, 1e-5, "TSC ticks across 20 PIT periods")

			mm = rtcRE.FindStringSubmatch(out)
			require.NotNil(t, mm, "no rtc line in:\n%s", out)
			gotRTC, _ := strconv.ParseFloat(mm[1], 64)
			require.InEpsilon(t, float64(ips), gotRTC, 1e-5, "TSC ticks from an RTC update to the alarm one second later")

			// Two waits of about a second each (the second starts at an
			// RTC update, which comes once a second).
			require.GreaterOrEqual(t, res.VirtualTime, 2*time.Second)
			require.Less(t, res.VirtualTime, 3100*time.Millisecond)
			// Without the jump the CPU would retire IPS instructions per
			// second of waiting; the guest itself runs about 1,400.
			require.Less(t, res.Instructions, uint64(10_000), "the CPU spun instead of halting")
			require.Less(t, host, 2*time.Second, "waiting in HLT took host time")
		})
	}
}
