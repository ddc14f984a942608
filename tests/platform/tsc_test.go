package platform

import (
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
)

// TestTSCCalibration runs the tsccal guest, which measures the TSC rate
// against the PIT with Linux's pit_calibrate_tsc and quick_pit_calibrate
// methods and over IRQ 0 periods, and checks every estimate is within
// 0.1% of the configured rate (the TSC counts Config.IPS per second of
// virtual time).
func TestTSCCalibration(t *testing.T) {
	img := guest(t, "tsccal")
	lineRE := regexp.MustCompile(`(?m)^(pit|quick|irq) hz=(\d+)`)
	for _, ips := range []uint64{50_000_000, 100_000_000, 233_000_000, 1_000_000_000} {
		t.Run(strconv.FormatUint(ips, 10), func(t *testing.T) {
			t.Parallel()
			out, res := runRaw(t, gox86.Config{IPS: ips, MemoryBytes: 4 << 20}, img, 1_000_000_000)
			requireExitOK(t, res, out)
			got := map[string]float64{}
			for _, m := range lineRE.FindAllStringSubmatch(out, -1) {
				hz, err := strconv.ParseFloat(m[2], 64)
				require.NoError(t, err)
				got[m[1]] = hz
			}
			for _, method := range []string{"pit", "quick", "irq"} {
				hz, ok := got[method]
				require.True(t, ok, "no %q line in the guest's output:\n%s", method, out)
				dev := (hz - float64(ips)) / float64(ips)
				t.Logf("%-5s %d Hz (%+.1f ppm)", method, int64(hz), dev*1e6)
				require.LessOrEqual(t, math.Abs(dev), 0.001,
					"%s calibration measured %d Hz with the TSC configured at %d Hz\n%s", method, int64(hz), ips, out)
			}
		})
	}
}
