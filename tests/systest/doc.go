// Package systest holds the system tests: whole guest programs that
// exercise the CPU's protection machinery end to end, run under gox86 and
// compared line by line with an independent reference.
//
// The guests live in tests/guests, as NASM source (*.asm, sharing
// lib.inc) with their prebuilt Multiboot binaries (*.bin; rebuild with
// make -C tests/guests). Each sets up its own GDT, IDT, TSS and page
// tables, runs numbered checks and prints one line per check on COM1 with
// the values it observed (vector, error code, pushed frame, CR2, DR6,
// PDE/PTE bits, descriptor type bytes, ...), then exits through the
// isa-debug-exit port with status 33:
//
//   - exceptions: every exception vector 0-19 that software can provoke;
//   - rings: IRET/RETF to outer rings, call gates, interrupt and trap gates
//     with TSS stack switches, conforming code, SYSENTER/SYSEXIT;
//   - tasks: hardware task switches through TSSes and task gates, 16- and
//     32-bit TSSes, busy bits, NT and back links;
//   - v86: virtual-8086 mode, IOPL-sensitive instructions, the I/O
//     permission bitmap, INT n to ring 0 and back;
//   - paging: #PF error codes, CR2, A/D bits, 4 MiB pages, TLB control.
//
// The expected output, tests/guests/NAME.expected, was recorded from
// qemu-system-i386 (-cpu pentium2) and reviewed against the Intel SDM.
// Where the two disagree, the SDM wins: the expected line is the SDM's
// answer, and an annotation after it ("@qemu-rf" or "@qemu LINE", with
// the SDM citation in a comment) says what QEMU prints instead. The
// golden files are the only place expected values live; none comes from
// gox86.
//
// TestGuests runs every guest under gox86 and compares its output with the
// expected lines; when qemu-system-i386 is in PATH it also runs the guest
// under QEMU and checks that QEMU still prints the expected lines (or, on
// annotated lines, exactly what the annotation says), so the golden files
// cannot drift from the reference. TestGuestBinaries checks, when nasm is
// in PATH, that the committed binaries match their sources.
package systest
