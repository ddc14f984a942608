// Package platform holds the PC platform tests: guests that use the
// machine the way an operating system does (timers, the RTC, serial
// ports, disks, firmware) and check that the platform keeps its
// promises:
//
//   - the TSC runs at Config.IPS, as measured against the PIT by Linux's
//     calibration methods inside a guest (TestTSCCalibration);
//   - runs are deterministic: the same image and input give
//     byte-identical output and the same instruction count
//     (TestDeterminism);
//   - HLT jumps to the next device deadline instead of spinning
//     (TestHLTSkipsToDeadline);
//   - bad input ends in a clear error, or in the status real hardware
//     returns, never in a panic: broken disk images (TestDiskImageErrors,
//     TestDiskGeometryErrors, and through the command line
//     TestCLIBadInput), broken kernels (TestMultibootErrors), guests
//     asking for sectors beyond a disk (TestDiskReadsPastEnd), nonsense
//     written to every I/O port (TestPortFuzz) and triple faults
//     (TestTripleFault).
//
// The guests live in guests/ as NASM source with their prebuilt binaries
// (rebuild with make -C tests/platform; TestGuestBinaries checks them
// against their sources when nasm is installed), so the tests need no
// assembler.
package platform
