package platform

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

// benchELF is the shared speed benchmark (a Multiboot ELF that prints
// checksums on COM1), relative to this package.
const benchELF = "../../../shared/bench/bench.elf"

// diskChecksum is the determ guest's checksum of n patterned hard disk
// sectors from lba: rotate left by 5 and add, dword by dword.
func diskChecksum(lba, n int) uint32 {
	var sum uint32
	sec := make([]byte, devices.DiskSectorSize)
	for s := lba; s < lba+n; s++ {
		patternSector(sec, uint32(s))
		for i := 0; i < len(sec); i += 4 {
			sum = bits.RotateLeft32(sum, 5) + binary.LittleEndian.Uint32(sec[i:])
		}
	}
	return sum
}

// serialInput is what the determ guest receives on COM1.
var serialInput = []byte("The same image with the same input gives the same output, byte for byte.\n")

// rxChecksum is the determ guest's checksum of the bytes it received.
func rxChecksum(b []byte) uint32 {
	var sum uint32
	for _, c := range b {
		sum = bits.RotateLeft32(sum, 5) + uint32(c)
	}
	return sum
}

// run is one complete run: everything the guest printed and how it ended.
type run struct {
	serial, debugcon []byte
	res              gox86.Result
}

// TestDeterminism runs guests twice each on identical machines and
// requires byte-identical serial and debug-console output and identical
// results (exit reason and status, instructions retired, virtual time).
// The guests cover what could make runs drift: timer, RTC and disk
// interrupts arriving while the CPU runs or halts, serial input and
// output paced by the UART's character timing (at the default fast
// transmit speed and at line timing), RTC reads, BIOS and ATA
// disk reads, and a long computation (bench.elf, cut off at an
// instruction limit so the test stays short). One pair of runs differs
// in host timing only: the second has a display hook that sleeps, which
// must not change what the guest sees.
func TestDeterminism(t *testing.T) {
	determ := func(t *testing.T, cfg *gox86.Config) func(*gox86.Machine) error {
		cfg.HardDisk[0] = hardDisk(t, guest(t, "determ"), hdSectors)
		return nil
	}
	checkDeterm := func(t *testing.T, r run) {
		requireExitOK(t, r.res, string(r.serial))
		out := string(r.serial)
		require.Contains(t, out, fmt.Sprintf("edd sum=%08X\r\n", diskChecksum(100, 16)))
		require.Contains(t, out, fmt.Sprintf("ata sum=%08X ", diskChecksum(200, 8)))
		require.Contains(t, out, "irqs=8")
		require.Contains(t, out, "rtc 2026-01-01 00:00:00")
		require.Contains(t, out, "t=250 ")
		require.Contains(t, out, fmt.Sprintf("rx total=%d sum=%08X\r\n", len(serialInput), rxChecksum(serialInput)))
		require.NotContains(t, out, "FAILED")
	}
	tests := []struct {
		name  string
		limit uint64
		setup func(t *testing.T, cfg *gox86.Config) func(m *gox86.Machine) error
		// vary, if set, changes the second run's machine in a way the
		// guest must not notice.
		vary func(cfg *gox86.Config)
		// check looks at the first run's output.
		check func(t *testing.T, r run)
	}{
		{name: "determ", limit: 500_000_000, setup: determ, check: checkDeterm},
		{
			name: "determ with a slow display", limit: 500_000_000, setup: determ, check: checkDeterm,
			vary: func(cfg *gox86.Config) {
				rng := rand.New(rand.NewPCG(7, 7))
				cfg.FrameInterval = time.Microsecond
				cfg.Frame = func(*gox86.Machine) {
					if rng.IntN(16) == 0 {
						time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
					}
				}
			},
		},
		{
			name: "determ at serial line timing", limit: 500_000_000, check: checkDeterm,
			setup: func(t *testing.T, cfg *gox86.Config) func(*gox86.Machine) error {
				cfg.SerialLineTiming = true
				return determ(t, cfg)
			},
		},
		{
			name:  "tsccal",
			limit: 500_000_000,
			setup: func(t *testing.T, cfg *gox86.Config) func(*gox86.Machine) error {
				img := guest(t, "tsccal")
				cfg.IPS = 233_000_000
				return func(m *gox86.Machine) error { return m.LoadRaw(img, rawLoad, 0, rawLoad) }
			},
			check: func(t *testing.T, r run) {
				requireExitOK(t, r.res, string(r.debugcon))
			},
		},
		{
			name:  "hltwait",
			limit: 50_000_000,
			setup: func(t *testing.T, cfg *gox86.Config) func(*gox86.Machine) error {
				img := guest(t, "hltwait")
				return func(m *gox86.Machine) error { return m.LoadRaw(img, rawLoad, 0, rawLoad) }
			},
			check: func(t *testing.T, r run) {
				requireExitOK(t, r.res, string(r.debugcon))
			},
		},
		{
			name:  "bench.elf",
			limit: 250_000_000,
			setup: func(t *testing.T, cfg *gox86.Config) func(*gox86.Machine) error {
				img, err := os.ReadFile(benchELF)
				if err != nil {
					t.Skipf("bench.elf not available: %v", err)
				}
				cfg.MemoryBytes = 64 << 20
				return func(m *gox86.Machine) error { return m.LoadMultiboot(img, "") }
			},
			check: func(t *testing.T, r run) {
				require.Equal(t, gox86.ExitInstructionLimit, r.res.Reason, r.res.Detail)
				require.Equal(t, uint64(250_000_000), r.res.Instructions)
				require.True(t, strings.HasPrefix(string(r.serial), "bench: start\ncrc32 39ac3384\n"), "bench output:\n%s", r.serial)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			once := func(vary func(*gox86.Config)) run {
				serial := &serialBuffer{input: bytes.Clone(serialInput)}
				con := &syncBuffer{}
				cfg := gox86.Config{
					MemoryBytes: 8 << 20,
					NoReboot:    true,
					DebugCon:    con,
					Serial:      [4]devices.SerialBackend{serial},
				}
				load := tc.setup(t, &cfg)
				if vary != nil {
					vary(&cfg)
				}
				m, err := gox86.New(cfg)
				require.NoError(t, err)
				if load != nil {
					require.NoError(t, load(m))
				}
				res := m.Run(tc.limit)
				return run{serial: serial.Bytes(), debugcon: con.Bytes(), res: res}
			}
			a, b := once(nil), once(tc.vary)
			tc.check(t, a)
			require.Equal(t, string(a.serial), string(b.serial), "serial output differs between two runs")
			require.Equal(t, string(a.debugcon), string(b.debugcon), "debug console output differs between two runs")
			require.Equal(t, a.res, b.res, "results differ between two runs")
			t.Logf("%d instructions, virtual time %v, %d bytes of output", a.res.Instructions, a.res.VirtualTime, len(a.serial)+len(a.debugcon))
		})
	}
}
