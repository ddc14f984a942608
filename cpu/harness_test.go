package cpu

// Test harness shared by the SDM-derived unit tests, the fuzz target, the
// soak test and the benchmarks. It builds a guest memory image by hand
// (every code byte is written out with its assembly in a comment), sets up
// a real-mode or flat protected-mode environment, runs the CPU through its
// public entry points and exposes what the guest's handlers recorded.
//
// Expected values in the tests come from the Intel SDM (each case cites the
// section), never from running this emulator.

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/gox86/gox86/mmu"
	"github.com/stretchr/testify/require"
)

// Guest physical memory layout (linear = physical in every flat setup and
// in the identity-mapped first 4 MiB when paging is on).
const (
	tmMemSize = 8 << 20

	tmRecVector = 0x500 // the handler stubs store their vector here,
	tmRecESP    = 0x504 // ESP (SP in real mode) at handler entry,
	tmRecCount  = 0x508 // a running count of handler invocations,
	tmRecSS     = 0x50C // and, in real mode, SS.

	tmGDT      = 0x1000
	tmGDTLimit = 0x1FF // 64 descriptors
	tmIDT      = 0x2000
	tmTSS      = 0x3000 // TSS A, the initial task, with an I/O bitmap
	tmTSSIOMap = 0x68
	tmTSSLimit = tmTSSIOMap + 0x2000 // bitmap for 65536 ports, then 0xFF
	tmTSSB     = 0x5800
	tmTSSC     = 0x5C00
	tmStack0   = 0x7000 // ring-0 stack top (TSS ESP0)
	tmStubs    = 0x8000 // 32 bytes of handler stub per vector
	tmHandler  = 0xA000 // custom handlers written by individual tests
	tmTaskCode = 0xB000 // code of the second task
	tmStackB   = 0xD000 // stack top of the second task
	tmStack3   = 0xF000 // ring-3 stack top
	tmCode     = 0x10000
	tmData     = 0x20000
	tmV86Code  = 0x30000
	tmPD       = 0x80000 // page directory
	tmPT0      = 0x81000 // page table for 0-4 MiB (identity, user, writable)
	tmPT1      = 0x82000 // page table for 4-8 MiB (empty: tests fill it)

	tmExitPort   = 0xE9 // OUT to this port ends Run with StopRequested
	tmExitVector = 0x7F // INT 7Fh: DPL-3 gate whose stub halts ("done")
)

// GDT of the protected-mode setup.
const (
	tmSelCode0  = 0x08 // flat 32-bit code, DPL 0
	tmSelData0  = 0x10 // flat 32-bit data, DPL 0
	tmSelCode3  = 0x1B // flat 32-bit code, DPL 3 (RPL 3)
	tmSelData3  = 0x23 // flat 32-bit data, DPL 3 (RPL 3)
	tmSelTSSA   = 0x28 // TSS A, busy
	tmSelCode16 = 0x30 // 16-bit code, base tmCode, limit 64 KiB
	tmSelData16 = 0x38 // 16-bit data, base 0, limit 64 KiB
	// Selectors 0x40 and up are free for individual tests.
)

// Descriptor access bytes (P, DPL, S, type; SDM vol. 3, 3.4.5 and table
// 3-1/3-2).
const (
	tmAccCode0    = 0x9B // present, DPL 0, execute/read, accessed
	tmAccData0    = 0x93 // present, DPL 0, read/write, accessed
	tmAccCode3    = 0xFB
	tmAccData3    = 0xF3
	tmAccTSSAvail = 0x89
	tmAccTSSBusy  = 0x8B
	tmAccIntGate  = 0x8E // 32-bit interrupt gate, DPL 0
	tmAccTrapGate = 0x8F // 32-bit trap gate, DPL 0
	tmAccTaskGate = 0x85
	tmAccCallGate = 0x8C
	tmFlags32     = 0xC // G=1, D/B=1
)

// tmSeg encodes a code/data/system segment descriptor (SDM vol. 3, 3.4.5,
// figure 3-8): access is byte 5, flags the G, D/B, L, AVL nibble.
func tmSeg(base, limit uint32, access, flags uint8) uint64 {
	lo := limit&0xFFFF | base<<16
	hi := base>>16&0xFF | uint32(access)<<8 | limit&0xF0000 | uint32(flags&0xF)<<20 | base&0xFF000000
	return uint64(hi)<<32 | uint64(lo)
}

// tmGate encodes a call, interrupt, trap or task gate (SDM vol. 3, figure
// 5-8 and figure 6-2).
func tmGate(sel uint16, off uint32, access, params uint8) uint64 {
	lo := off&0xFFFF | uint32(sel)<<16
	hi := off&0xFFFF0000 | uint32(access)<<8 | uint32(params&0x1F)
	return uint64(hi)<<32 | uint64(lo)
}

// tmHasErrorCode lists the exceptions that push an error code (SDM vol. 3,
// table 6-1).
func tmHasErrorCode(v uint8) bool {
	switch v {
	case 8, 10, 11, 12, 13, 14, 17:
		return true
	}
	return false
}

// tmProtStub is the 32-bit handler for vector v: it records the vector,
// ESP and a count, halts, and (if resumed) returns with IRETD.
func tmProtStub(v uint8) []byte {
	b := []byte{
		0x36, 0xC7, 0x05, 0x00, 0x05, 0x00, 0x00, v, 0x00, 0x00, 0x00, // mov dword [ss:0x500], v
		0x36, 0x89, 0x25, 0x04, 0x05, 0x00, 0x00, // mov [ss:0x504], esp
		0x36, 0xFF, 0x05, 0x08, 0x05, 0x00, 0x00, // inc dword [ss:0x508]
		0xF4, // hlt
	}
	if tmHasErrorCode(v) {
		b = append(b, 0x83, 0xC4, 0x04) // add esp, 4
	}
	return append(b, 0xCF) // iretd
}

// tmRealStub is the real-mode handler for vector v (CS = 0).
func tmRealStub(v uint8) []byte {
	return []byte{
		0x2E, 0xC7, 0x06, 0x00, 0x05, v, 0x00, // mov word [cs:0x500], v
		0x2E, 0x89, 0x26, 0x04, 0x05, // mov [cs:0x504], sp
		0x2E, 0xFF, 0x06, 0x08, 0x05, // inc word [cs:0x508]
		0x2E, 0x8C, 0x16, 0x0C, 0x05, // mov [cs:0x50C], ss
		0xF4, // hlt
		0xCF, // iret
	}
}

// tmBus is the port I/O bus: IN returns preset values (or all ones), OUT is
// recorded, and OUT to tmExitPort stops the run.
type tmBus struct {
	m    *tmMachine
	in   map[uint16]uint32
	outs []tmPortWrite
	// onOut, when set, is called after each OUT is recorded.
	onOut func(port uint16, size int, v uint32)
}

type tmPortWrite struct {
	Port uint16
	Size int
	V    uint32
}

func (b *tmBus) In(port uint16, size int) uint32 {
	if v, ok := b.in[port]; ok {
		return v
	}
	return 0xFFFFFFFF >> (32 - 8*uint(size))
}

func (b *tmBus) Out(port uint16, size int, v uint32) {
	b.outs = append(b.outs, tmPortWrite{port, size, v})
	if b.onOut != nil {
		b.onOut(port, size, v)
	}
	if port == tmExitPort && b.m != nil {
		b.m.c.RequestStop()
	}
}

// tmPIC is a fake interrupt controller: one pending vector, INTR dropped on
// acknowledge (edge-triggered behaviour).
type tmPIC struct {
	m      *tmMachine
	vector uint8
	acks   int
}

func (p *tmPIC) Acknowledge() uint8 {
	p.acks++
	p.m.c.SetINTR(false)
	return p.vector
}

// tmExc is one exception reported through Hooks.Exception.
type tmExc struct {
	Vector uint8
	Code   uint32
}

func (e tmExc) String() string { return fmt.Sprintf("%s(%#x)", ExceptionName(e.Vector), e.Code) }

type tmMachine struct {
	t    testing.TB
	mem  *mmu.Memory
	c    *CPU
	bus  *tmBus
	pic  *tmPIC
	excs []tmExc
}

func tmNewMachine(t testing.TB, memSize uint32) *tmMachine {
	mem := mmu.NewMemory(memSize)
	bus := &tmBus{in: map[uint16]uint32{}}
	c := New(Config{Memory: mem, Bus: bus})
	m := &tmMachine{t: t, mem: mem, c: c, bus: bus}
	bus.m = m
	m.pic = &tmPIC{m: m}
	c.SetInterruptController(m.pic)
	c.Hooks.Exception = func(_ *CPU, v uint8, code uint32) {
		m.excs = append(m.excs, tmExc{v, code})
	}
	m.w32(tmRecVector, 0xFFFFFFFF)
	return m
}

// Physical memory helpers.

func (m *tmMachine) load(addr uint32, b []byte) { m.mem.WriteBytes(addr, b) }
func (m *tmMachine) w8(addr uint32, v uint8)    { m.mem.Write(addr, 1, uint32(v)) }
func (m *tmMachine) w16(addr uint32, v uint16)  { m.mem.Write(addr, 2, uint32(v)) }
func (m *tmMachine) w32(addr uint32, v uint32)  { m.mem.Write(addr, 4, v) }
func (m *tmMachine) r8(addr uint32) uint8       { return uint8(m.mem.Read(addr, 1)) }
func (m *tmMachine) r16(addr uint32) uint16     { return uint16(m.mem.Read(addr, 2)) }
func (m *tmMachine) r32(addr uint32) uint32     { return m.mem.Read(addr, 4) }

func (m *tmMachine) w64(addr uint32, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	m.load(addr, b[:])
}

func (m *tmMachine) bytes(addr uint32, n int) []byte {
	b := make([]byte, n)
	m.mem.ReadBytes(addr, b)
	return b
}

// setGDT writes descriptor d for selector sel; setIDT writes gate d for
// vector v.
func (m *tmMachine) setGDT(sel uint16, d uint64) { m.w64(tmGDT+uint32(sel&^7), d) }
func (m *tmMachine) setIDT(v uint8, d uint64)    { m.w64(tmIDT+uint32(v)*8, d) }

// gdtAccess is the access byte (byte 5) of the GDT descriptor for sel.
func (m *tmMachine) gdtAccess(sel uint16) uint8 { return m.r8(tmGDT + uint32(sel&^7) + 5) }

// segFromGDT builds the hidden descriptor cache for sel from the GDT.
func (m *tmMachine) segFromGDT(sel uint16) Segment {
	a := tmGDT + uint32(sel&^7)
	return descriptor{lo: m.r32(a), hi: m.r32(a + 4)}.segment(sel)
}

// setSeg loads segment register s from the GDT as a loader would.
func (m *tmMachine) setSeg(s int, sel uint16) { m.c.SetSegment(s, m.segFromGDT(sel)) }

// setStub installs the recording stub for vector v in protected mode.
func (m *tmMachine) setStub(v uint8) { m.load(tmStubs+uint32(v)*32, tmProtStub(v)) }

// setHandler points IDT vector v (interrupt gate, DPL dpl) at code loaded
// at tmHandler.
func (m *tmMachine) setHandler(v uint8, dpl uint8, code []byte) {
	m.load(tmHandler, code)
	m.setIDT(v, tmGate(tmSelCode0, tmHandler, tmAccIntGate|dpl<<5, 0))
}

// tmReal returns a machine in real-address mode: CS:IP = 1000:0000 (code
// at tmCode), SS:SP = 0000:7000, DS = ES = 2000h, an IVT whose every
// vector points at a recording stub, EFLAGS = 2.
func tmReal(t testing.TB, code []byte) *tmMachine {
	m := tmNewMachine(t, tmMemSize)
	m.setupReal()
	m.load(tmCode, code)
	return m
}

func (m *tmMachine) setupReal() {
	for v := 0; v < 256; v++ {
		stub := tmStubs + uint32(v)*32
		m.load(stub, tmRealStub(uint8(v)))
		m.w16(uint32(v)*4, uint16(stub))
		m.w16(uint32(v)*4+2, 0)
	}
	c := m.c
	c.IDTR = DescriptorTable{Base: 0, Limit: 0x3FF}
	c.SetRealSegment(CS, tmCode>>4)
	c.EIP = 0
	c.SetRealSegment(SS, 0)
	c.SetReg(ESP, tmStack0)
	c.SetRealSegment(DS, tmData>>4)
	c.SetRealSegment(ES, tmData>>4)
	c.SetRealSegment(FS, 0)
	c.SetRealSegment(GS, 0)
	c.SetFlags(0x2)
}

// tmProt returns a machine in flat 32-bit protected mode at CPL 0: the GDT
// above, an IDT of 32-bit interrupt gates (DPL 0 except tmExitVector) to
// recording stubs, TR = TSS A (ESP0 = tmStack0, SS0 = tmSelData0, an
// all-allow I/O bitmap), CS:EIP = 08:tmCode, SS:ESP = 10:tmStack0.
func tmProt(t testing.TB, code []byte) *tmMachine {
	m := tmNewMachine(t, tmMemSize)
	m.setupProt()
	m.load(tmCode, code)
	return m
}

func (m *tmMachine) setupProt() {
	m.setGDT(tmSelCode0, tmSeg(0, 0xFFFFF, tmAccCode0, tmFlags32))
	m.setGDT(tmSelData0, tmSeg(0, 0xFFFFF, tmAccData0, tmFlags32))
	m.setGDT(tmSelCode3, tmSeg(0, 0xFFFFF, tmAccCode3, tmFlags32))
	m.setGDT(tmSelData3, tmSeg(0, 0xFFFFF, tmAccData3, tmFlags32))
	m.setGDT(tmSelTSSA, tmSeg(tmTSS, tmTSSLimit, tmAccTSSBusy, 0))
	m.setGDT(tmSelCode16, tmSeg(tmCode, 0xFFFF, tmAccCode0, 0))
	m.setGDT(tmSelData16, tmSeg(0, 0xFFFF, tmAccData0, 0))
	for v := 0; v < 256; v++ {
		m.setStub(uint8(v))
		m.setIDT(uint8(v), tmGate(tmSelCode0, tmStubs+uint32(v)*32, tmAccIntGate, 0))
	}
	m.setIDT(tmExitVector, tmGate(tmSelCode0, tmStubs+tmExitVector*32, tmAccIntGate|3<<5, 0))
	m.writeTSS32(tmTSS, tmTSSState{ESP0: tmStack0, SS0: tmSelData0, IOMap: tmTSSIOMap})
	m.w8(tmTSS+tmTSSLimit, 0xFF)

	c := m.c
	c.GDTR = DescriptorTable{Base: tmGDT, Limit: tmGDTLimit}
	c.IDTR = DescriptorTable{Base: tmIDT, Limit: 0x7FF}
	c.SetControlRegisters(CR0PE, 0, 0)
	m.setSeg(CS, tmSelCode0)
	for _, s := range []int{SS, DS, ES, FS, GS} {
		m.setSeg(s, tmSelData0)
	}
	c.TR = m.segFromGDT(tmSelTSSA)
	c.LDTR = nullSegment(0)
	c.EIP = tmCode
	c.SetReg(ESP, tmStack0)
	c.SetFlags(0x2)
}

// toRing3 makes the current context CPL 3 with flat DPL-3 segments and
// ESP = tmStack3.
func (m *tmMachine) toRing3() {
	m.setSeg(CS, tmSelCode3)
	for _, s := range []int{SS, DS, ES, FS, GS} {
		m.setSeg(s, tmSelData3)
	}
	m.c.SetReg(ESP, tmStack3)
}

// tmTSSState is the content of a 32-bit TSS (SDM vol. 3, figure 7-2).
type tmTSSState struct {
	Link                                   uint16
	ESP0                                   uint32
	SS0                                    uint16
	CR3, EIP, EFLAGS                       uint32
	EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI uint32
	ES, CS, SS, DS, FS, GS, LDT            uint16
	IOMap                                  uint16
}

func (m *tmMachine) writeTSS32(base uint32, s tmTSSState) {
	m.w16(base+0x00, s.Link)
	m.w32(base+0x04, s.ESP0)
	m.w16(base+0x08, s.SS0)
	m.w32(base+0x1C, s.CR3)
	m.w32(base+0x20, s.EIP)
	m.w32(base+0x24, s.EFLAGS)
	for k, v := range []uint32{s.EAX, s.ECX, s.EDX, s.EBX, s.ESP, s.EBP, s.ESI, s.EDI} {
		m.w32(base+0x28+uint32(k)*4, v)
	}
	for k, v := range []uint16{s.ES, s.CS, s.SS, s.DS, s.FS, s.GS, s.LDT} {
		m.w16(base+0x48+uint32(k)*4, v)
	}
	m.w16(base+0x66, s.IOMap)
}

// enablePaging identity-maps 0-4 MiB with user, writable 4-KiB pages,
// leaves 4-8 MiB to tmPT1 (empty) and turns CR0.PG on with the extra CR0
// and CR4 bits given.
func (m *tmMachine) enablePaging(cr0, cr4 uint32) {
	m.w32(tmPD+0, tmPT0|7)
	m.w32(tmPD+4, tmPT1|7)
	for i := uint32(0); i < 1024; i++ {
		m.w32(tmPT0+4*i, i<<12|7)
	}
	m.c.SetControlRegisters(CR0PE|CR0PG|cr0, tmPD, cr4)
}

// tmPTEAddr is the physical address of the PTE for a linear address in
// 0-8 MiB.
func tmPTEAddr(lin uint32) uint32 {
	if lin < 4<<20 {
		return tmPT0 + (lin>>12&0x3FF)*4
	}
	return tmPT1 + (lin>>12&0x3FF)*4
}

// Running.

// run runs up to a million instructions and fails the test on an
// internal error.
func (m *tmMachine) run() StopReason {
	m.t.Helper()
	r := m.c.Run(1_000_000)
	require.NotEqual(m.t, StopInternalError, r, "internal error: %v", m.c.Err)
	return r
}

// runHalt runs and requires the guest to stop on HLT.
func (m *tmMachine) runHalt() {
	m.t.Helper()
	r := m.run()
	require.Equal(m.t, StopHalt, r, "stop reason (exceptions %v, CS:EIP %04X:%08X, %s)",
		m.excs, m.c.Seg[CS].Selector, m.c.EIP, m.c.ShutdownInfo)
}

// resume leaves HLT and runs on.
func (m *tmMachine) resume() StopReason {
	m.t.Helper()
	m.c.Wake()
	return m.run()
}

// hitVector is the vector the last stub recorded, or -1.
func (m *tmMachine) hitVector() int {
	v := m.r16(tmRecVector)
	if v == 0xFFFF {
		return -1
	}
	return int(v)
}

// hitCount is the number of stub invocations.
func (m *tmMachine) hitCount() uint32 { return m.r32(tmRecCount) }

// frame returns n dwords of the stack at the ESP a protected-mode stub
// recorded (SS base 0, identity-mapped).
func (m *tmMachine) frame(n int) []uint32 {
	esp := m.r32(tmRecESP)
	f := make([]uint32, n)
	for k := range f {
		f[k] = m.r32(esp + uint32(k)*4)
	}
	return f
}

// frame16 returns n words of the stack at the SS:SP a real-mode stub
// recorded.
func (m *tmMachine) frame16(n int) []uint16 {
	base := uint32(m.r16(tmRecSS))<<4 + uint32(m.r16(tmRecESP))
	f := make([]uint16, n)
	for k := range f {
		f[k] = m.r16(base + uint32(k)*2)
	}
	return f
}

// excVectors lists the vectors reported to Hooks.Exception.
func (m *tmMachine) excVectors() []uint8 {
	v := make([]uint8, len(m.excs))
	for k, e := range m.excs {
		v[k] = e.Vector
	}
	return v
}

// zf reports EFLAGS.ZF.
func (m *tmMachine) zf() bool { return m.c.Flags()&FlagZF != 0 }

// tmLE32 is the little-endian encoding of v (for immediates in hand-built
// code).
func tmLE32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// tmLE16 is the little-endian encoding of v.
func tmLE16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// tmCat concatenates code fragments.
func tmCat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
