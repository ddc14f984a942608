package cpu

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestSoakRandomCode executes ten million instructions of random code
// (deterministic seed), in real mode, protected mode at CPL 0 and 3, with
// paging, and in virtual-8086 mode. A fresh program is generated whenever
// the guest halts, shuts down, or has run rcProgramBudget instructions.
// The test fails on a host panic or StopInternalError; everything the
// guest does to itself is fine.
func TestSoakRandomCode(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	const (
		target          = 10_000_000
		rcProgramBudget = 2_000
		baseSeed        = 0x5EED_CAFE
	)
	r := newRCMachine(t)
	code := make([]byte, 4096)
	counts := map[StopReason]int{}
	var total uint64
	var perMode [rcModes]uint64
	var programs int
	start := time.Now()
	for total < target {
		seed := uint64(baseSeed + programs)
		rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
		mode := programs % rcModes
		for k := range code {
			code[k] = byte(rng.Uint32())
		}
		var regs [8]uint32
		for k := range regs {
			regs[k] = rng.Uint32()
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("host panic in program %d (seed %#x, %s): %v", programs, seed, rcModeNames[mode], p)
				}
			}()
			r.prepare(mode, code, &regs)
			res, n := r.runProgram(rcProgramBudget)
			total += n
			perMode[mode] += n
			counts[res]++
			if res == StopInternalError {
				t.Fatalf("program %d (seed %#x, %s): internal error: %v\nfirst code bytes: % X",
					programs, seed, rcModeNames[mode], r.c.Err, code[:64])
			}
		}()
		programs++
	}
	el := time.Since(start)
	t.Logf("soak: %d instructions in %d programs, %v (%.0f ns/insn); stops:%s; livelock cut-offs=%d",
		total, programs, el.Round(time.Millisecond), float64(el.Nanoseconds())/float64(total), rcSummary(counts), r.livelocks)
	for k, n := range perMode {
		t.Logf("  %-10s %d instructions", rcModeNames[k], n)
	}
}
