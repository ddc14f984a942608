package platform

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
)

// Multiboot v1 header constants.
const (
	mbMagic = 0x1BADB002
	mbAOut  = 1 << 16
)

// mbHeader returns a Multiboot header with the given flags; with mbAOut
// the address fields follow.
func mbHeader(flags uint32, addr ...uint32) []byte {
	h := binary.LittleEndian.AppendUint32(nil, mbMagic)
	h = binary.LittleEndian.AppendUint32(h, flags)
	h = binary.LittleEndian.AppendUint32(h, -(mbMagic + flags))
	for _, a := range addr {
		h = binary.LittleEndian.AppendUint32(h, a)
	}
	return h
}

// aout builds an a.out-kludge kernel of size bytes: the header
// (header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr) at
// offset 0, then a HLT at the entry point.
func aout(headerAddr, loadAddr, loadEnd, bssEnd uint32, size int) []byte {
	img := mbHeader(mbAOut, headerAddr, loadAddr, loadEnd, bssEnd, loadAddr+32)
	img = append(img, make([]byte, size-len(img))...)
	img[32] = 0xF4 // hlt
	return img
}

// elfSeg is a program header for makeELF.
type elfSeg struct {
	typ                  uint32
	paddr, filesz, memsz uint32
}

// makeELF builds an ELF32 executable: header, program headers, then the
// segments' file data from offset 0x1000, starting with a Multiboot
// header if mb (NOPs after it).
func makeELF(machine uint16, mb bool, segs ...elfSeg) []byte {
	const dataOff = 0x1000
	img := make([]byte, dataOff)
	copy(img, "\x7fELF")
	img[4], img[5], img[6] = 1, 1, 1 // ELFCLASS32, little endian, version 1
	le := binary.LittleEndian
	le.PutUint16(img[16:], 2) // ET_EXEC
	le.PutUint16(img[18:], machine)
	le.PutUint32(img[20:], 1)
	if len(segs) > 0 {
		le.PutUint32(img[24:], segs[0].paddr+12) // entry: after the header
	}
	le.PutUint32(img[28:], 52) // e_phoff
	le.PutUint16(img[40:], 52) // e_ehsize
	le.PutUint16(img[42:], 32) // e_phentsize
	le.PutUint16(img[44:], uint16(len(segs)))
	off := uint32(dataOff)
	for k, s := range segs {
		ph := img[52+32*k:]
		le.PutUint32(ph[0:], s.typ)
		le.PutUint32(ph[4:], off)
		le.PutUint32(ph[8:], s.paddr)
		le.PutUint32(ph[12:], s.paddr)
		le.PutUint32(ph[16:], s.filesz)
		le.PutUint32(ph[20:], s.memsz)
		le.PutUint32(ph[24:], 7)
		le.PutUint32(ph[28:], 0x1000)
		off += s.filesz
	}
	data := make([]byte, off-dataOff)
	for i := range data {
		data[i] = 0x90
	}
	if mb {
		copy(data, mbHeader(0))
	}
	return append(img, data...)
}

const (
	emI386  = 3
	emX8664 = 62
	ptLoad  = 1
	ptNote  = 4
)

// TestMultibootErrors gives LoadMultiboot kernels it must refuse, each
// with an error that says what is wrong, and checks well-formed kernels
// of each kind load. Then it damages good kernels at random: whatever
// LoadMultiboot answers, it must not panic.
func TestMultibootErrors(t *testing.T) {
	good := makeELF(emI386, true, elfSeg{ptLoad, 0x100000, 0x2000, 0x3000})
	bench, benchErr := os.ReadFile(benchELF)

	corrupt := func(img []byte, off int, b ...byte) []byte {
		c := append([]byte(nil), img...)
		if off+len(b) <= len(c) {
			copy(c[off:], b)
		}
		return c
	}
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

	tests := []struct {
		name    string
		img     []byte
		memory  uint32 // MiB; 0 means 16
		cmdline string
		bench   bool   // needs bench.elf
		want    string // "" means the kernel must load
	}{
		{name: "good ELF", img: good},
		{name: "good a.out kludge", img: aout(0x100000, 0x100000, 0, 0x110000, 0x1000)},
		{name: "bench.elf", img: bench, bench: true},

		{name: "empty", img: []byte{}, want: "empty image"},
		{name: "no multiboot header", img: make([]byte, 16384), want: "no multiboot header"},
		{name: "non-multiboot ELF", img: makeELF(emI386, false, elfSeg{ptLoad, 0x100000, 0x1000, 0x1000}), want: "not a multiboot kernel"},
		{name: "header beyond 8 KiB", img: append(make([]byte, 8192), mbHeader(0)...), want: "no multiboot header"},
		{name: "bad header checksum", img: corrupt(good, 0x1008, 1, 2, 3, 4), want: "bad checksum"},
		{name: "unknown required feature", img: append(mbHeader(1<<3), make([]byte, 64)...), want: "requires features"},
		{name: "cmdline too long", img: good, cmdline: string(make([]byte, 2000)), want: "command line is 2000 bytes"},

		// ELF damage.
		{name: "ELF truncated in its segment", img: good[:0x1800], want: "truncated"},
		{name: "ELF truncated after the header", img: good[:0x100C], want: "truncated"},
		{name: "ELF bad class", img: corrupt(good, 4, 9), want: "not a valid ELF file"},
		{name: "ELF bad data encoding", img: corrupt(good, 5, 9), want: "not a valid ELF file"},
		{name: "ELF program headers beyond the file", img: corrupt(good, 28, le32(0x7FFFFF00)...), want: "not a valid ELF file"},
		{name: "ELF 65535 program headers", img: corrupt(good, 44, 0xFF, 0xFF), want: "not a valid ELF file"},
		{name: "ELF for x86-64", img: makeELF(emX8664, true, elfSeg{ptLoad, 0x100000, 0x1000, 0x1000}), want: "need a 32-bit i386 kernel"},
		{name: "ELF without loadable segments", img: makeELF(emI386, true, elfSeg{ptNote, 0x100000, 0x1000, 0x1000}), want: "no loadable segments"},
		{name: "ELF file size above memory size", img: makeELF(emI386, true, elfSeg{ptLoad, 0x100000, 0x2000, 0x1000}), want: "file size"},
		{name: "ELF over the loader's data", img: makeELF(emI386, true, elfSeg{ptLoad, 0x7000, 0x1000, 0x1000}), want: "overlaps the loader's data"},
		// Cut before its section headers: debug/elf fails first ("EOF").
		{name: "bench.elf truncated", img: bench[:min(len(bench), 0x1800)], bench: true, want: "not a valid ELF file"},
		{name: "bench.elf bad class", img: corrupt(bench, 4, 0), bench: true, want: "not a valid ELF file"},

		// Too big for memory.
		{name: "ELF bigger than RAM", img: makeELF(emI386, true, elfSeg{ptLoad, 0x100000, 0x1000, 64 << 20}), want: "does not fit in 16 MiB of RAM"},
		{name: "ELF segment wrapping 4 GiB", img: makeELF(emI386, true, elfSeg{ptLoad, 0xFFFFF000, 0x1000, 0x2000}), want: "does not fit"},
		{name: "ELF segment above RAM", img: makeELF(emI386, true, elfSeg{ptLoad, 0x2000000, 0x1000, 0x1000}), want: "does not fit in 16 MiB of RAM"},
		{name: "bench.elf in 2 MiB", img: bench, memory: 2, bench: true, want: "does not fit in 2 MiB of RAM"},
		{name: "a.out bss beyond RAM", img: aout(0x100000, 0x100000, 0, 0x100000+64<<20, 0x1000), want: "does not fit in 16 MiB of RAM"},

		// a.out kludge address fields.
		{name: "a.out header truncated", img: append(make([]byte, 64), mbHeader(mbAOut, 0x100000)...), want: "truncated"},
		{name: "a.out load address above header", img: aout(0x100000, 0x100040, 0, 0, 0x1000), want: "inconsistent"},
		{name: "a.out header before the file", img: aout(0x100040, 0x100000, 0, 0, 0x1000), want: "inconsistent"},
		{name: "a.out load end beyond the file", img: aout(0x100000, 0x100000, 0x180000, 0, 0x1000), want: "beyond the file"},
		{name: "a.out load end before load address", img: aout(0x100000, 0x100000, 0xFFFFF, 0, 0x1000), want: "beyond the file"},
		{name: "a.out bss end inside the data", img: aout(0x100000, 0x100000, 0, 0x100800, 0x1000), want: "precedes the loaded data"},
		{name: "a.out over the loader's data", img: aout(0x7000, 0x7000, 0, 0, 0x1000), want: "overlaps the loader's data"},
	}
	machines := map[uint32]*gox86.Machine{}
	machine := func(mib uint32) *gox86.Machine {
		if m := machines[mib]; m != nil {
			return m
		}
		m, err := gox86.New(gox86.Config{MemoryBytes: mib << 20, NoReboot: true})
		require.NoError(t, err)
		machines[mib] = m
		return m
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.bench && benchErr != nil {
				t.Skipf("bench.elf not available: %v", benchErr)
			}
			mib := tc.memory
			if mib == 0 {
				mib = 16
			}
			err := machine(mib).LoadMultiboot(tc.img, tc.cmdline)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "\n")
		})
	}
	t.Run("empty is ErrNoImage", func(t *testing.T) {
		require.True(t, errors.Is(machine(16).LoadMultiboot(nil, ""), gox86.ErrNoImage))
	})

	// Random damage to good kernels: any answer but a panic will do. A
	// kernel that still loads runs for 2000 instructions, which must not
	// end in an emulator error either.
	t.Run("random corruption", func(t *testing.T) {
		m := machine(16)
		rng := rand.New(rand.NewPCG(1, 2))
		bases := [][]byte{good, aout(0x100000, 0x100000, 0, 0x110000, 0x1000)}
		if benchErr == nil {
			bases = append(bases, bench)
		}
		loaded := 0
		for i := 0; i < 3000; i++ {
			img := append([]byte(nil), bases[i%len(bases)]...)
			for n := rng.IntN(8) + 1; n > 0; n-- {
				// Mostly the headers, where damage matters.
				off := rng.IntN(min(len(img), 0x1040))
				if rng.IntN(4) == 0 {
					off = rng.IntN(len(img))
				}
				img[off] = byte(rng.Uint32())
			}
			if rng.IntN(5) == 0 {
				img = img[:rng.IntN(len(img)+1)]
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("LoadMultiboot panicked on damaged kernel %d: %v", i, r)
					}
				}()
				if m.LoadMultiboot(img, "x") != nil {
					return
				}
				loaded++
				res := m.Run(m.CPU.InstructionCount() + 2000)
				require.NotEqual(t, gox86.ExitInternalError, res.Reason, "damaged kernel %d: %s", i, res.Detail)
			}()
		}
		t.Logf("%d of 3000 damaged kernels still loaded", loaded)
	})
}
