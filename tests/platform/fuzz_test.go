package platform

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

// sanityCheck runs the sanity guest on m and checks its one line. A
// storm may have asked for a reset (8042 pulse, port 92h, CF9h): with
// NoReboot that ends the next run at once, before any instruction, and
// the guest is loaded again.
func sanityCheck(t *testing.T, m *gox86.Machine, con *syncBuffer, sanity []byte, when string) {
	t.Helper()
	var res gox86.Result
	var out string
	for attempt := 0; attempt < 2; attempt++ {
		require.NoError(t, m.LoadRaw(sanity, rawLoad, 0, rawLoad))
		before := m.CPU.InstructionCount()
		mark := len(con.Bytes())
		res = m.Run(before + 5_000_000)
		out = string(con.Bytes()[mark:])
		if res.Reason != gox86.ExitReset || res.Instructions != before {
			break
		}
	}
	t.Logf("%s: %s", when, strings.TrimSpace(out))
	requireExitOK(t, res, out)
	require.Equal(t, "sanity: ticks=10 out2=1 cmos=5A scratch=A5 kbc=55 ata=58 cyl=0002 sum=50005000\n", out, when)
}

// debugExitPort is the isa-debug-exit port: writing it ends the run,
// which is its job, not nonsense, so the fuzz leaves it alone.
const debugExitPort = 0xF4

// claimedPorts lists the I/O ports some device answers, found by
// reading every port and noting which ones the bus reports unhandled.
func claimedPorts(m *gox86.Machine) []uint16 {
	var unhandled bool
	m.Bus.Unhandled = func(uint16, int, bool, uint32) { unhandled = true }
	defer func() { m.Bus.Unhandled = nil }()
	var ports []uint16
	for p := 0; p < 1<<16; p++ {
		unhandled = false
		m.Bus.In(uint16(p), 1)
		if !unhandled && (p < debugExitPort || p >= debugExitPort+devices.DebugExitSize) {
			ports = append(ports, uint16(p))
		}
	}
	return ports
}

// portOp is one fuzz access, kept for the report if something panics.
type portOp struct {
	write bool
	port  uint16
	size  int
	val   uint32
}

func (o portOp) String() string {
	if o.write {
		return fmt.Sprintf("out %#x <- %#x (%d)", o.port, o.val, o.size)
	}
	return fmt.Sprintf("in %#x (%d)", o.port, o.size)
}

// fuzzValue picks a value to write: random bits, or one of the values
// that tend to mean something to a chip.
func fuzzValue(rng *rand.Rand) uint32 {
	if rng.IntN(4) == 0 {
		special := []uint32{0, 1, 2, 3, 4, 6, 8, 0x0F, 0x10, 0x20, 0x30, 0x34, 0x36, 0x40, 0x7F, 0x80, 0xA0, 0xAA, 0xB0, 0xC0, 0xD1, 0xE0, 0xEC, 0xF0, 0xFE, 0xFF, 0xFFFF, 0xFFFFFFFF}
		return special[rng.IntN(len(special))]
	}
	return rng.Uint32()
}

// TestPortFuzz drives every claimed I/O port with random reads and
// writes (random sizes and values, half the time near the previous
// port, with virtual time passing in between so the devices' timers
// fire), then checks nothing panicked and the machine still runs the
// sanity guest correctly: it re-initialises the PIC, PIT, CMOS, UART,
// 8042 and ATA disk and uses each. Then the portstorm guest does the
// same from inside the machine (IN/OUT of every size, string I/O,
// interrupts let in from chips in random states), which must not end
// in an emulator error, and the sanity guest runs again. Every device is
// attached (diskettes, four hard disks, serial backends with input), so
// the storage controllers and UARTs have something to do.
func TestPortFuzz(t *testing.T) {
	sanity := guest(t, "sanity")
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6, 7, 8} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			t.Parallel()
			var hd [4]*devices.DiskImage
			for k := range hd {
				hd[k] = hardDisk(t, nil, hdSectors)
			}
			var serial [4]devices.SerialBackend
			for k := range serial {
				serial[k] = &serialBuffer{input: []byte("input for the fuzzed UARTs")}
			}
			con := &syncBuffer{}
			m, err := gox86.New(gox86.Config{
				MemoryBytes: 4 << 20,
				NoReboot:    true,
				DebugCon:    con,
				HardDisk:    hd,
				Floppy:      [2]*devices.DiskImage{floppy(t), floppy(t)},
				Serial:      serial,
			})
			require.NoError(t, err)
			ports := claimedPorts(m)
			require.NotEmpty(t, ports)
			claimed := map[uint16]bool{}
			for _, p := range ports {
				claimed[p] = true
			}

			rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
			const ops = 300_000
			var recent [32]portOp
			n := 0
			func() {
				defer func() {
					if r := recover(); r != nil {
						var last []string
						for k := max(0, n-len(recent)); k < n; k++ {
							last = append(last, recent[k%len(recent)].String())
						}
						t.Fatalf("panic after %d port accesses: %v\nlast accesses:\n  %s", n, r, strings.Join(last, "\n  "))
					}
				}()
				port := ports[0]
				for n = 0; n < ops; n++ {
					// Half the time stay near the last port, so a chip
					// sees runs of accesses (register index, then data;
					// task file, then command) as drivers make them.
					next := port + uint16(rng.IntN(7)) - 3
					if rng.IntN(2) == 0 || !claimed[next] {
						next = ports[rng.IntN(len(ports))]
					}
					port = next
					op := portOp{port: port, size: 1, write: rng.IntN(10) < 7}
					switch rng.IntN(10) {
					case 0:
						op.size = 2
					case 1:
						op.size = 4
					}
					recent[n%len(recent)] = op
					if op.write {
						op.val = fuzzValue(rng)
						recent[n%len(recent)] = op
						m.Bus.Out(op.port, op.size, op.val)
					} else {
						m.Bus.In(op.port, op.size)
					}
					if n%64 == 63 {
						// Let up to ~1 ms of virtual time pass and
						// fire whatever timers are due.
						m.CPU.SkipTicks(uint64(rng.IntN(100_000)))
						m.Clock.Advance(m.Clock.Now())
					}
				}
				// Ten seconds more for anything still in flight.
				m.CPU.SkipTicks(1_000_000_000)
				m.Clock.Advance(m.Clock.Now())
			}()

			sanityCheck(t, m, con, sanity, "after the bus-level storm")

			// The same from inside: the portstorm guest's random IN,
			// OUT, string I/O and interrupt windows, in rounds, since a
			// random write often asks for a reset (which ends a round).
			storm := guest(t, "portstorm")
			table := binary.LittleEndian.AppendUint16(nil, uint16(len(ports)))
			for _, p := range ports {
				table = binary.LittleEndian.AppendUint16(table, p)
			}
			ends := map[string]int{}
			start := m.CPU.InstructionCount()
			for round := uint64(0); round < 500; round++ {
				require.NoError(t, m.LoadRaw(storm, rawLoad, 0, rawLoad))
				params := binary.LittleEndian.AppendUint32(nil, uint32((seed*1000+round)*2654435761)|1)
				params = binary.LittleEndian.AppendUint32(params, 10_000)
				m.Mem.WriteBytes(0x5F0, params)
				m.Mem.WriteBytes(0x600, table)
				res := m.Run(m.CPU.InstructionCount() + 1_000_000)
				require.NotEqual(t, gox86.ExitInternalError, res.Reason, "portstorm round %d: %s", round, res.Detail)
				ends[res.Reason.String()]++
			}
			t.Logf("portstorm: %d instructions in 500 rounds, ended by %v", m.CPU.InstructionCount()-start, ends)
			sanityCheck(t, m, con, sanity, "after the guest's storm")
		})
	}
}
