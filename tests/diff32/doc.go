// Package diff32 is the 32-bit differential test of the CPU: every integer
// instruction form at 32-bit operand size is run, with a few hundred
// random cases each, both on our CPU and on an independent reference,
// qemu-i386 (QEMU's user-mode emulator, Debian package qemu-user), and the
// results must agree wherever the SDM defines them.
//
// # What it does
//
// Forms (forms.go) lists the forms: ALU operations in all their encodings
// (r/m,r; r,r/m; r/m,imm32; r/m,imm8; EAX,imm32), INC/DEC/NEG/NOT,
// MUL/IMUL/DIV/IDIV, shifts and rotates by 1, imm8 and CL, SHLD/SHRD, the
// BT family (including memory bit offsets beyond the addressed dword),
// BSF/BSR/BSWAP, MOVZX/MOVSX, CMOVcc/SETcc/Jcc for all 16 conditions,
// XADD/XCHG/CMPXCHG/CMPXCHG8B, LEA in every addressing mode, CWDE/CDQ,
// PUSH/POP/PUSHAD/POPAD/ENTER/LEAVE, LAHF/SAHF, LOOPcc/JECXZ, the dword
// string instructions with and without REP/REPE/REPNE for both values of
// DF, the BCD adjustments, MOV and the flag instructions. Register and
// memory variants are separate forms; memory operands get a random
// addressing mode (SIB or not, disp8/disp32, ESP and EBP bases, wrapping
// index values, ignored scale bits, random LOCK and segment prefixes).
//
// For each form, GenCases draws cases from a seed and the form's name: the
// eight registers and the status flags and DF start random (biased toward
// 0, 1, 7FFFFFFFh, 80000000h, FFFFFFFFh, small values and powers of two),
// and so does the memory window the operand lies in. Half the cases also
// run an arithmetic instruction on a scratch dword just before the one
// under test, so that it starts from flags a result left pending (our CPU
// evaluates flags lazily) rather than from POPFD's. Operands that would
// fault (a #DE divide, AAM 0) are not generated. The machine code is
// encoded here by hand; TestEncodings checks it against x86asm.
//
// Build assembles a form's cases into a static i386 Linux ELF written
// from scratch (elf.go, tests/internal/userelf): each case loads its
// state, runs the instruction and stores the eight registers, EFLAGS
// and the window into a results area, which the program writes to
// standard output with INT 80h before exiting. RunQEMU runs that file
// under qemu-i386. RunOurs loads the same bytes into an mmu.Memory,
// enters flat 32-bit protected mode on a cpu.CPU and serves INT 80h's
// write and exit through Hooks.Trap. Compare then checks each case,
// leaving out what the SDM says is undefined for that instruction and
// those operands (masks.go, each mask quoting the SDM's "Flags
// Affected" text).
//
// # Running it
//
//	go test ./tests/diff32                      # all forms
//	go test ./tests/diff32 -run TestDiff32 -v   # with the per-form table
//	go test ./tests/diff32 -run 'TestDiff32/forms/SHLD_' -v
//	go test ./tests/diff32 -run TestDiff32 -diff32.dump /tmp/d32
//
// The last writes FORM.elf and its qemu output FORM.qemu for every form;
// the programs run by hand with `qemu-i386 /tmp/d32/FORM.elf | xxd`. Other
// flags: -diff32.cases (per form, 256 by default), -diff32.seed and
// -diff32.show (mismatching cases printed per form). A mismatch prints the
// form, the case's inputs and instruction (with disassembly), both final
// states and the fields that differ.
//
// Without qemu-i386 on PATH, TestDiff32 is skipped with a message;
// TestSensitivity still runs the pipeline on our CPU alone.
//
// # When qemu is wrong
//
// The SDM, not qemu, is the authority. A qemu result that contradicts the
// SDM goes in qemuExceptions (masks.go), with a note, and the cases it
// matches are not compared; qemuAvoided lists the deviations that the
// generator steers around because qemu cannot run them at all.
package diff32
