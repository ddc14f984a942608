package devices

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fdcTestSectors = 2880 // 1.44 MB: 80 cylinders, 2 heads, 18 sectors

type fdcRig struct {
	t     *testing.T
	bus   *Bus
	clock *Clock
	irq   *storageTestIRQ
	dma   *DMA
	mem   *dmaTestMem
	f     *FDC
}

func fdcTestImage(t *testing.T, sectors int) *DiskImage {
	t.Helper()
	img, err := NewMemoryDiskImage(diskPattern(sectors))
	require.NoError(t, err)
	return img
}

// fdcLBA is the image sector of a 1.44 MB diskette's (c, h, r).
func fdcLBA(c, h, r int) int { return (c*2+h)*18 + r - 1 }

// newFDCRig builds an FDC with DMA and takes it out of reset the way a
// BIOS does: DOR 0Ch, wait for the interrupt, four SENSE INTERRUPT STATUS.
func newFDCRig(t *testing.T, d0, d1 *DiskImage) *fdcRig {
	t.Helper()
	r := &fdcRig{t: t, bus: NewBus(), clock: NewClock(), irq: &storageTestIRQ{}, mem: newDMATestMem()}
	var err error
	r.dma, err = NewDMA(r.bus)
	require.NoError(t, err)
	r.bus.Out(0xD6, 1, 0xC0) // channel 4 cascade
	r.bus.Out(0xD4, 1, 0x00)
	r.f, err = NewFDC(r.bus, r.clock, r.irq, r.dma, r.mem, [2]*DiskImage{d0, d1})
	require.NoError(t, err)
	r.out(fdcRegDOR, 0x1C)
	r.wait()
	require.True(t, r.irq.level)
	for d := 0; d < 4; d++ {
		r.command(fdcCmdSenseInt)
		require.Equal(t, []uint8{0xC0 | uint8(d), 0}, r.results())
	}
	return r
}

func (r *fdcRig) out(reg uint16, v uint8) { r.bus.Out(0x3F0+reg, 1, uint32(v)) }
func (r *fdcRig) in(reg uint16) uint8     { return uint8(r.bus.In(0x3F0+reg, 1)) }
func (r *fdcRig) msr() uint8              { return r.in(fdcRegMSR) }
func (r *fdcRig) wait()                   { r.clock.Advance(r.clock.Now() + 100_000_000) }

// command writes command bytes, each when MSR shows RQM with DIO clear.
func (r *fdcRig) command(b ...uint8) {
	r.t.Helper()
	for i, v := range b {
		require.Equal(r.t, uint8(fdcMSRRQM), r.msr()&(fdcMSRRQM|fdcMSRDIO), "MSR before command byte %d", i)
		r.out(fdcRegFIFO, v)
	}
}

// results reads result bytes while MSR shows RQM with DIO set.
func (r *fdcRig) results() []uint8 {
	var out []uint8
	for i := 0; i < 16 && r.msr()&(fdcMSRRQM|fdcMSRDIO) == fdcMSRRQM|fdcMSRDIO; i++ {
		out = append(out, r.in(fdcRegFIFO))
	}
	return out
}

// seek moves drive d to cylinder c and consumes the interrupt.
func (r *fdcRig) seek(d, c uint8) {
	r.t.Helper()
	r.command(fdcCmdSeek, d, c)
	r.wait()
	r.command(fdcCmdSenseInt)
	require.Equal(r.t, []uint8{0x20 | d, c}, r.results())
}

// dmaSetup programs channel 2 for count bytes at addr, to memory (a
// diskette read) or from memory.
func (r *fdcRig) dmaSetup(addr uint32, count int, toMemory bool) {
	mode := uint8(0x4A) // single, read (memory to I/O), channel 2
	if toMemory {
		mode = 0x46
	}
	dmaProgram(r.bus, 2, mode&^3, uint16(addr), uint16(count-1), uint8(addr>>16))
}

func TestFDCReset(t *testing.T) {
	bus, clock, irq := NewBus(), NewClock(), &storageTestIRQ{}
	f, err := NewFDC(bus, clock, irq, nil, nil, [2]*DiskImage{})
	require.NoError(t, err)
	r := &fdcRig{t: t, bus: bus, clock: clock, irq: irq, f: f}
	assert.Equal(t, uint8(0x00), r.in(fdcRegDOR), "power-on DOR")
	assert.Equal(t, uint8(0x00), r.msr(), "held in reset")
	r.out(fdcRegFIFO, fdcCmdVersion) // ignored in reset
	r.out(fdcRegDOR, 0x0C)
	assert.Equal(t, uint8(0x00), r.msr(), "still initialising")
	assert.False(t, irq.level)
	r.wait()
	assert.True(t, irq.level, "reset raises IRQ 6")
	assert.Equal(t, uint8(0x80), r.msr())
	for d := uint8(0); d < 4; d++ {
		r.command(fdcCmdSenseInt)
		assert.False(t, irq.level)
		assert.Equal(t, []uint8{0xC0 | d, 0}, r.results())
	}
	r.command(fdcCmdSenseInt)
	assert.Equal(t, []uint8{0x80}, r.results(), "nothing left to sense")

	// The DSR's self-clearing software reset does the same.
	r.out(fdcRegMSR, 0x80)
	r.wait()
	assert.True(t, irq.level)
	assert.Equal(t, 2, irq.rises)
	r.command(fdcCmdSenseInt)
	assert.Equal(t, []uint8{0xC0, 0}, r.results())

	// A reset aborts a command in progress.
	r.command(fdcCmdSpecify, 0xAF)
	assert.Equal(t, uint8(0x90), r.msr(), "command phase, busy")
	r.out(fdcRegDOR, 0x08)
	r.out(fdcRegDOR, 0x0C)
	r.wait()
	assert.Equal(t, uint8(0x80), r.msr())
}

func TestFDCVersionAndInvalidCommands(t *testing.T) {
	r := newFDCRig(t, nil, nil)
	r.command(fdcCmdVersion)
	assert.Equal(t, []uint8{0x90}, r.results())
	tests := []struct {
		name string
		op   uint8
	}{
		{"PART ID (82078)", 0x18},
		{"zero", 0x00},
		{"01h", 0x01},
		{"READ TRACK", 0x42},
		{"WRITE DATA with SK", 0x65},
		{"READ DELETED DATA", 0x4C},
		{"WRITE DELETED DATA", 0x49},
		{"VERIFY", 0x56},
		{"SCAN EQUAL", 0x51},
		{"SPECIFY with MT", 0x83},
		{"1Fh", 0x1F},
		{"FFh", 0xFF},
	}
	rises := r.irq.rises
	for _, tc := range tests {
		r.command(tc.op)
		assert.Equal(t, []uint8{0x80}, r.results(), tc.name)
		assert.Equal(t, uint8(0x80), r.msr(), tc.name)
	}
	assert.Equal(t, rises, r.irq.rises, "invalid commands do not interrupt")
}

func TestFDCSpecifyConfigureLockDumpreg(t *testing.T) {
	r := newFDCRig(t, nil, nil)
	r.command(fdcCmdSpecify, 0xAF, 0x02)
	r.command(fdcCmdDumpReg)
	assert.Equal(t, []uint8{0, 0, 0, 0, 0xAF, 0x02, 0, 0x00, 0x20, 0}, r.results())

	// CONFIGURE: implied seek, polling off, FIFO threshold 7, precomp 5.
	r.command(fdcCmdConfigure, 0, 0x57, 0x05)
	// PERPENDICULAR MODE: needs its second byte (Linux's 82072A probe).
	r.command(fdcCmdPerp)
	assert.Equal(t, uint8(0x90), r.msr())
	r.command(0x86) // OW, D0, GAP
	r.command(fdcCmdDumpReg)
	assert.Equal(t, []uint8{0, 0, 0, 0, 0xAF, 0x02, 0, 0x06, 0x57, 0x05}, r.results())

	r.command(fdcCmdLock | 0x80)
	assert.Equal(t, []uint8{0x10}, r.results())
	// A locked configuration survives a reset; with polling disabled the
	// reset does not interrupt. GAP and WGATE clear.
	rises := r.irq.rises
	r.out(fdcRegDOR, 0x18)
	r.out(fdcRegDOR, 0x1C)
	r.wait()
	assert.Equal(t, rises, r.irq.rises)
	r.command(fdcCmdSenseInt)
	assert.Equal(t, []uint8{0x80}, r.results())
	r.command(fdcCmdDumpReg)
	assert.Equal(t, []uint8{0, 0, 0, 0, 0xAF, 0x02, 0, 0x84, 0x57, 0x05}, r.results())

	r.command(fdcCmdLock)
	assert.Equal(t, []uint8{0x00}, r.results())
	r.out(fdcRegDOR, 0x18)
	r.out(fdcRegDOR, 0x1C)
	r.wait()
	assert.Equal(t, rises+1, r.irq.rises, "defaults restored: polling on")
	r.command(fdcCmdDumpReg)
	assert.Equal(t, []uint8{0, 0, 0, 0, 0xAF, 0x02, 0, 0x04, 0x20, 0x00}, r.results())
}

func TestFDCSenseDriveStatus(t *testing.T) {
	wp := fdcTestImage(t, fdcTestSectors)
	wp.SetWriteProtected(true)
	tests := []struct {
		name string
		d0   *DiskImage
		cyl  uint8
		hds  uint8
		want uint8
	}{
		{"drive 0 at track 0", fdcTestImage(t, fdcTestSectors), 0, 0x00, 0x38},
		{"head 1", fdcTestImage(t, fdcTestSectors), 0, 0x04, 0x3C},
		{"away from track 0", fdcTestImage(t, fdcTestSectors), 5, 0x00, 0x28},
		{"write-protected", wp, 0, 0x00, 0x78},
		{"no diskette reads write-protected", nil, 0, 0x00, 0x78},
		{"drive 1 empty", nil, 0, 0x01, 0x79},
		{"drive 3 absent", nil, 0, 0x07, 0x2F},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newFDCRig(t, tc.d0, nil)
			if tc.cyl != 0 {
				r.seek(0, tc.cyl)
			}
			r.command(fdcCmdSenseDrive, tc.hds)
			assert.Equal(t, []uint8{tc.want}, r.results())
		})
	}
}

func TestFDCSeekAndRecalibrate(t *testing.T) {
	r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
	r.command(fdcCmdSeek, 0x04, 10)
	assert.Equal(t, uint8(0x81), r.msr(), "RQM with drive 0 busy seeking")
	assert.False(t, r.irq.level)
	r.command(fdcCmdSenseInt)
	assert.Equal(t, []uint8{0x80}, r.results(), "no interrupt yet")
	r.wait()
	assert.True(t, r.irq.level)
	assert.Equal(t, uint8(0x80), r.msr())
	r.command(fdcCmdSenseInt)
	assert.Equal(t, []uint8{0x24, 10}, r.results())
	assert.False(t, r.irq.level)

	steps := []struct {
		name string
		cmd  []uint8
		want []uint8
	}{
		{"relative seek out", []uint8{0x8F, 0x00, 3}, []uint8{0x20, 7}},
		{"relative seek in", []uint8{0xCF, 0x00, 5}, []uint8{0x20, 12}},
		{"seek without moving", []uint8{fdcCmdSeek, 0x00, 12}, []uint8{0x20, 12}},
		{"recalibrate", []uint8{fdcCmdRecalibrate, 0x00}, []uint8{0x20, 0}},
		{"seek drive 1 (empty)", []uint8{fdcCmdSeek, 0x05, 20}, []uint8{0x25, 20}},
		{"recalibrate drive 2 (absent)", []uint8{fdcCmdRecalibrate, 0x02}, []uint8{0x72, 0}},
		{"seek past the last track", []uint8{fdcCmdSeek, 0x00, 90}, []uint8{0x20, 90}},
		// The head stopped at track 83: 79 steps do not reach track 0.
		{"recalibrate from track 83", []uint8{fdcCmdRecalibrate, 0x00}, []uint8{0x70, 0}},
		{"recalibrate again", []uint8{fdcCmdRecalibrate, 0x00}, []uint8{0x20, 0}},
	}
	for _, s := range steps {
		r.command(s.cmd...)
		r.wait()
		assert.True(t, r.irq.level, s.name)
		r.command(fdcCmdSenseInt)
		assert.Equal(t, s.want, r.results(), s.name)
	}
	r.command(fdcCmdDumpReg)
	assert.Equal(t, []uint8{0, 20, 0, 0}, r.results()[:4])

	// Two overlapped seeks: both statuses are reported, drive order.
	r.command(fdcCmdSeek, 0x01, 2)
	r.command(fdcCmdSeek, 0x00, 40)
	assert.Equal(t, uint8(0x83), r.msr())
	r.wait()
	r.command(fdcCmdSenseInt)
	assert.Equal(t, []uint8{0x20, 40}, r.results())
	r.command(fdcCmdSenseInt)
	assert.Equal(t, []uint8{0x21, 2}, r.results())
}

func TestFDCDiskChange(t *testing.T) {
	img := fdcTestImage(t, fdcTestSectors)
	r := newFDCRig(t, img, nil)
	assert.Equal(t, uint8(0xFF), r.in(fdcRegDIR), "change line active after power-on")
	r.seek(0, 0)
	assert.Equal(t, uint8(0xFF), r.in(fdcRegDIR), "no step pulse, no reset of the line")
	r.seek(0, 1)
	assert.Equal(t, uint8(0x7F), r.in(fdcRegDIR), "a step pulse clears it")
	old, err := r.f.ChangeDisk(0, fdcTestImage(t, fdcTestSectors))
	require.NoError(t, err)
	assert.Same(t, img, old)
	assert.Equal(t, uint8(0xFF), r.in(fdcRegDIR))
	r.command(fdcCmdRecalibrate, 0)
	r.wait()
	r.command(fdcCmdSenseInt)
	r.results()
	assert.Equal(t, uint8(0x7F), r.in(fdcRegDIR))
	// Drive 1 has no diskette: the line stays active.
	r.out(fdcRegDOR, 0x2D)
	r.seek(1, 3)
	assert.Equal(t, uint8(0xFF), r.in(fdcRegDIR))
	// Ejecting raises the line of drive 0.
	_, err = r.f.ChangeDisk(0, nil)
	require.NoError(t, err)
	r.out(fdcRegDOR, 0x1C)
	assert.Equal(t, uint8(0xFF), r.in(fdcRegDIR))
	assert.Nil(t, r.f.Disk(0))

	_, err = r.f.ChangeDisk(2, nil)
	assert.Error(t, err)
	bad, err := NewMemoryDiskImage(make([]byte, 4096))
	require.NoError(t, err)
	_, err = r.f.ChangeDisk(0, bad)
	assert.Error(t, err)
}

func TestFDCReadData(t *testing.T) {
	sector := func(c, h, r int) []byte {
		l := fdcLBA(c, h, r)
		return diskPattern(l + 1)[l*512:]
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name    string
		cyl     uint8 // seek here first
		rate    uint8
		cmd     []uint8 // the 9 command bytes
		dma     int     // bytes the DMA channel is programmed for; 0 = masked
		result  []uint8
		data    []byte // expected at 10000h
		d1Empty bool
	}{
		{
			name:   "one sector, terminal count",
			cmd:    []uint8{0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x00, 0, 0, 0, 0, 2, 2},
			data:   sector(0, 0, 1),
		},
		{
			name:   "three sectors to EOT with terminal count",
			cyl:    7,
			cmd:    []uint8{0x46, 0x00, 7, 0, 1, 2, 3, 0x1B, 0xFF},
			dma:    1536,
			result: []uint8{0x00, 0, 0, 8, 0, 1, 2},
			data:   cat(sector(7, 0, 1), sector(7, 0, 2), sector(7, 0, 3)),
		},
		{
			name:   "end of track without terminal count",
			cmd:    []uint8{0x46, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF},
			dma:    4096,
			result: []uint8{0x40, 0x80, 0, 1, 0, 1, 2},
			data:   cat(sector(0, 0, 17), sector(0, 0, 18)),
		},
		{
			name:   "multi-track across the heads",
			cyl:    2,
			cmd:    []uint8{0xC6, 0x00, 2, 0, 17, 2, 18, 0x1B, 0xFF},
			dma:    2048,
			result: []uint8{0x04, 0, 0, 2, 1, 3, 2},
			data:   cat(sector(2, 0, 17), sector(2, 0, 18), sector(2, 1, 1), sector(2, 1, 2)),
		},
		{
			name:   "multi-track ending at EOT of side 0",
			cmd:    []uint8{0xC6, 0x00, 0, 0, 18, 2, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x00, 0, 0, 0, 1, 1, 2},
			data:   sector(0, 0, 18),
		},
		{
			name:   "multi-track ending at EOT of side 1",
			cyl:    4,
			cmd:    []uint8{0xC6, 0x04, 4, 1, 17, 2, 18, 0x1B, 0xFF},
			dma:    1024,
			result: []uint8{0x04, 0, 0, 5, 0, 1, 2},
			data:   cat(sector(4, 1, 17), sector(4, 1, 18)),
		},
		{
			name:   "multi-track end of cylinder without terminal count",
			cmd:    []uint8{0xC6, 0x04, 0, 1, 18, 2, 18, 0x1B, 0xFF},
			dma:    4096,
			result: []uint8{0x44, 0x80, 0, 1, 0, 1, 2},
			data:   sector(0, 1, 18),
		},
		{
			name:   "terminal count inside a sector",
			cmd:    []uint8{0x46, 0x00, 0, 0, 5, 2, 18, 0x1B, 0xFF},
			dma:    256,
			result: []uint8{0x00, 0, 0, 0, 0, 6, 2},
			data:   cat(sector(0, 0, 5)[:256], make([]byte, 256)),
		},
		{
			name:   "sector past the track",
			cmd:    []uint8{0x46, 0x00, 0, 0, 19, 2, 19, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x40, 0x04, 0, 0, 0, 19, 2},
			data:   make([]byte, 512),
		},
		{
			name:   "runs into a missing sector",
			cmd:    []uint8{0x46, 0x00, 0, 0, 18, 2, 20, 0x1B, 0xFF},
			dma:    4096,
			result: []uint8{0x40, 0x04, 0, 0, 0, 19, 2},
			data:   sector(0, 0, 18),
		},
		{
			name:   "wrong cylinder",
			cmd:    []uint8{0x46, 0x00, 5, 0, 1, 2, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x40, 0x04, 0x10, 5, 0, 1, 2},
			data:   make([]byte, 512),
		},
		{
			name:   "head in the ID differs",
			cmd:    []uint8{0x46, 0x00, 0, 1, 1, 2, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x40, 0x04, 0, 0, 1, 1, 2},
			data:   make([]byte, 512),
		},
		{
			name:   "sector size code differs",
			cmd:    []uint8{0x46, 0x00, 0, 0, 1, 3, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x40, 0x04, 0, 0, 0, 1, 3},
			data:   make([]byte, 512),
		},
		{
			name:   "FM instead of MFM",
			cmd:    []uint8{0x06, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x40, 0x01, 0, 0, 0, 1, 2},
			data:   make([]byte, 512),
		},
		{
			name:   "wrong data rate",
			rate:   2,
			cmd:    []uint8{0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x40, 0x01, 0, 0, 0, 1, 2},
			data:   make([]byte, 512),
		},
		{
			name:   "track the diskette does not have",
			cyl:    80,
			cmd:    []uint8{0x46, 0x00, 80, 0, 1, 2, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x40, 0x01, 0, 80, 0, 1, 2},
			data:   make([]byte, 512),
		},
		{
			name:   "DMA channel masked: overrun",
			cmd:    []uint8{0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF},
			dma:    0,
			result: []uint8{0x40, 0x10, 0, 0, 0, 1, 2},
			data:   make([]byte, 512),
		},
		{
			name:    "no diskette",
			cmd:     []uint8{0x46, 0x01, 0, 0, 1, 2, 18, 0x1B, 0xFF},
			dma:     512,
			result:  []uint8{0x49, 0, 0, 0, 0, 1, 2},
			data:    make([]byte, 512),
			d1Empty: true,
		},
		{
			name:   "no drive",
			cmd:    []uint8{0x46, 0x06, 0, 1, 1, 2, 18, 0x1B, 0xFF},
			dma:    512,
			result: []uint8{0x4E, 0, 0, 0, 1, 1, 2},
			data:   make([]byte, 512),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
			if tc.cyl != 0 {
				r.seek(0, tc.cyl)
			}
			r.out(fdcRegDIR, tc.rate)
			if tc.dma > 0 {
				r.dmaSetup(0x10000, tc.dma, true)
			}
			rises := r.irq.rises
			r.command(tc.cmd...)
			assert.Equal(t, uint8(0x10), r.msr(), "execution phase: busy, no RQM")
			r.wait()
			assert.Equal(t, rises+1, r.irq.rises)
			assert.Equal(t, uint8(0xD0), r.msr(), "result phase")
			res := r.results()
			assert.Equal(t, tc.result, res)
			assert.False(t, r.irq.level, "reading the result clears the interrupt")
			assert.Equal(t, uint8(0x80), r.msr())
			assert.Equal(t, tc.data, r.mem.get(0x10000, len(tc.data)))
		})
	}
}

func TestFDCWriteData(t *testing.T) {
	img := fdcTestImage(t, fdcTestSectors)
	r := newFDCRig(t, img, nil)
	data := bytes.Repeat([]byte("gox86 floppy "), 80)[:1024]
	r.mem.WriteBytes(0x20000, data)
	r.seek(0, 1)
	r.dmaSetup(0x20000, 1024, false)
	r.command(0xC5, 0x04, 1, 1, 5, 2, 18, 0x1B, 0xFF)
	r.wait()
	assert.Equal(t, []uint8{0x04, 0, 0, 1, 1, 7, 2}, r.results())
	got := make([]byte, 1024)
	require.NoError(t, img.ReadSectors(int64(fdcLBA(1, 1, 5)), got))
	assert.Equal(t, data, got)

	// Terminal count inside a sector: the rest of it is written as zeros.
	r.dmaSetup(0x20000, 100, false)
	r.command(0x45, 0x00, 1, 0, 3, 2, 18, 0x1B, 0xFF)
	r.wait()
	assert.Equal(t, []uint8{0x00, 0, 0, 1, 0, 4, 2}, r.results())
	require.NoError(t, img.ReadSectors(int64(fdcLBA(1, 0, 3)), got[:512]))
	assert.Equal(t, append(append([]byte(nil), data[:100]...), make([]byte, 412)...), got[:512])

	// A write-protected diskette: NW, nothing written.
	before := make([]byte, 512)
	require.NoError(t, img.ReadSectors(int64(fdcLBA(1, 0, 9)), before))
	img.SetWriteProtected(true)
	r.dmaSetup(0x20000, 512, false)
	r.command(0x45, 0x00, 1, 0, 9, 2, 18, 0x1B, 0xFF)
	r.wait()
	assert.Equal(t, []uint8{0x40, 0x02, 0, 1, 0, 9, 2}, r.results())
	require.NoError(t, img.ReadSectors(int64(fdcLBA(1, 0, 9)), got[:512]))
	assert.Equal(t, before, got[:512])
}

func TestFDCReadID(t *testing.T) {
	tests := []struct {
		name string
		at   int64 // virtual time of the command
		hds  uint8
		rate uint8
		want []uint8
	}{
		// The ID under the head: one of 18 per 200 ms revolution.
		{"start of the revolution", 0, 0x00, 0, []uint8{0x00, 0, 0, 3, 0, 1, 2}},
		{"fifth sector", 50_000_000, 0x00, 0, []uint8{0x00, 0, 0, 3, 0, 5, 2}},
		{"head 1, last sector", 199_000_000, 0x04, 0, []uint8{0x04, 0, 0, 3, 1, 18, 2}},
		{"wrong data rate", 0, 0x00, 1, []uint8{0x40, 0x01, 0, 0, 0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
			r.seek(0, 3)
			r.out(fdcRegDIR, tc.rate)
			// Start on a revolution boundary, then move to the offset.
			rev := int64(fdcRevolution)
			r.clock.Advance((r.clock.Now()/rev+1)*rev + tc.at - fdcExecDelay)
			r.command(0x4A, tc.hds)
			r.wait()
			assert.Equal(t, tc.want, r.results())
		})
	}
}

func TestFDCFormatTrack(t *testing.T) {
	img := fdcTestImage(t, fdcTestSectors)
	r := newFDCRig(t, img, nil)
	r.seek(0, 3)
	var ids []byte
	for s := 1; s <= 18; s++ {
		ids = append(ids, 3, 1, byte(s), 2)
	}
	r.mem.WriteBytes(0x30000, ids)
	r.dmaSetup(0x30000, len(ids), false)
	r.command(0x4D, 0x04, 2, 18, 0x54, 0xF6)
	r.wait()
	assert.Equal(t, []uint8{0x04, 0, 0, 3, 1, 18, 2}, r.results())
	got := make([]byte, 18*512)
	require.NoError(t, img.ReadSectors(int64(fdcLBA(3, 1, 1)), got))
	assert.Equal(t, bytes.Repeat([]byte{0xF6}, 18*512), got)
	// Side 0 of the cylinder is untouched.
	require.NoError(t, img.ReadSectors(int64(fdcLBA(3, 0, 18)), got[:512]))
	assert.Equal(t, diskPattern(fdcLBA(3, 0, 18) + 1)[fdcLBA(3, 0, 18)*512:], got[:512])

	// DUMPREG reports the sectors per track of the last format.
	r.command(fdcCmdDumpReg)
	assert.Equal(t, uint8(18), r.results()[6])

	img.SetWriteProtected(true)
	r.dmaSetup(0x30000, len(ids), false)
	r.command(0x4D, 0x00, 2, 18, 0x54, 0x00)
	r.wait()
	assert.Equal(t, []uint8{0x40, 0x02, 0, 0, 0, 0, 0}, r.results())

	// A track the image does not have.
	img.SetWriteProtected(false)
	r.seek(0, 82)
	r.command(0x4D, 0x00, 2, 18, 0x54, 0x00)
	r.wait()
	assert.Equal(t, []uint8{0x50, 0, 0, 0, 0, 0, 0}, r.results())
}

func TestFDCNonDMA(t *testing.T) {
	img := fdcTestImage(t, fdcTestSectors)
	r := newFDCRig(t, img, nil)
	r.command(fdcCmdSpecify, 0xAF, 0x03) // ND
	want := diskPattern(2)

	// READ DATA through the FIFO; with no terminal count the transfer
	// ends at EOT with EN, as Linux's pseudo-DMA expects.
	r.command(0x46, 0x00, 0, 0, 1, 2, 2, 0x1B, 0xFF)
	assert.Equal(t, uint8(0x30), r.msr(), "non-DMA execution, waiting for data")
	r.wait()
	assert.True(t, r.irq.level)
	var got []byte
	for r.msr() == 0xF0 {
		got = append(got, r.in(fdcRegFIFO))
	}
	assert.Equal(t, want, got)
	assert.True(t, r.irq.level, "INT stays up into the result phase")
	assert.Equal(t, []uint8{0x40, 0x80, 0, 1, 0, 1, 2}, r.results())
	assert.False(t, r.irq.level)

	// WRITE DATA through the FIFO.
	data := bytes.Repeat([]byte{0x3C, 0xC3}, 256)
	r.command(0x45, 0x00, 0, 0, 7, 2, 7, 0x1B, 0xFF)
	r.wait()
	assert.Equal(t, uint8(0xB0), r.msr(), "RQM, non-DMA, host to controller")
	for _, b := range data {
		require.Equal(t, uint8(0xB0), r.msr())
		r.out(fdcRegFIFO, b)
	}
	assert.Equal(t, []uint8{0x40, 0x80, 0, 1, 0, 1, 2}, r.results())
	sec := make([]byte, 512)
	require.NoError(t, img.ReadSectors(int64(fdcLBA(0, 0, 7)), sec))
	assert.Equal(t, data, sec)

	// FORMAT TRACK through the FIFO, two sectors.
	r.seek(0, 9)
	r.command(0x4D, 0x00, 2, 2, 0x54, 0xE5)
	r.wait()
	for s := byte(1); s <= 2; s++ {
		for _, b := range []byte{9, 0, s, 2} {
			require.Equal(t, uint8(0xB0), r.msr())
			r.out(fdcRegFIFO, b)
		}
	}
	assert.Equal(t, []uint8{0x00, 0, 0, 9, 0, 2, 2}, r.results())
	require.NoError(t, img.ReadSectors(int64(fdcLBA(9, 0, 2)), sec))
	assert.Equal(t, bytes.Repeat([]byte{0xE5}, 512), sec)

	// A missing sector ends a non-DMA read before any data.
	r.command(0x46, 0x00, 9, 0, 30, 2, 30, 0x1B, 0xFF)
	r.wait()
	assert.Equal(t, []uint8{0x40, 0x04, 0, 9, 0, 30, 2}, r.results())
}

func TestFDCImpliedSeek(t *testing.T) {
	r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
	r.command(fdcCmdConfigure, 0, 0x60, 0) // EIS, FIFO off
	r.dmaSetup(0x10000, 512, true)
	r.command(0x46, 0x00, 5, 0, 1, 2, 18, 0x1B, 0xFF)
	r.wait()
	assert.Equal(t, []uint8{0x20, 0, 0, 5, 0, 2, 2}, r.results(), "SE set by the implied seek")
	l := fdcLBA(5, 0, 1)
	assert.Equal(t, diskPattern(l + 1)[l*512:], r.mem.get(0x10000, 512))
	r.command(fdcCmdDumpReg)
	assert.Equal(t, uint8(5), r.results()[0])
	assert.Equal(t, uint8(0x7F), r.in(fdcRegDIR), "the implied seek stepped")
}

func TestFDCOtherFormats(t *testing.T) {
	tests := []struct {
		name    string
		sectors int
		rate    uint8
		c, h, s uint8
		spt     int
	}{
		{"720K at 250 kbps", 1440, 2, 79, 1, 9, 9},
		{"1.2M at 500 kbps", 2400, 0, 79, 1, 15, 15},
		{"2.88M at 1 Mbps", 5760, 3, 79, 1, 36, 36},
		{"360K at 250 kbps", 720, 2, 39, 1, 9, 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newFDCRig(t, fdcTestImage(t, tc.sectors), nil)
			r.seek(0, tc.c)
			for _, rate := range []uint8{0, 1, 2, 3} {
				r.out(fdcRegDIR, rate)
				r.dmaSetup(0x10000, 512, true)
				r.command(0x46, tc.h<<2, tc.c, tc.h, tc.s, 2, tc.s, 0x1B, 0xFF)
				r.wait()
				res := r.results()
				if rate != tc.rate {
					assert.Equal(t, []uint8{0x40 | tc.h<<2, 0x01}, res[:2], "rate %d", rate)
					continue
				}
				assert.Equal(t, []uint8{tc.h << 2, 0, 0, tc.c + 1, tc.h, 1, 2}, res)
				l := (int(tc.c)*2+int(tc.h))*tc.spt + int(tc.s) - 1
				assert.Equal(t, diskPattern(l + 1)[l*512:], r.mem.get(0x10000, 512))
			}
		})
	}
}

func TestFDCDMAGate(t *testing.T) {
	r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
	r.out(fdcRegDOR, 0x14) // motor, running, DMA gate off
	r.dmaSetup(0x10000, 512, true)
	r.command(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF)
	r.wait()
	assert.False(t, r.irq.level, "INT is gated off")
	assert.Equal(t, []uint8{0x40, 0x10, 0, 0, 0, 1, 2}, r.results(), "DRQ gated off: overrun")

	r.command(fdcCmdSeek, 0, 3)
	r.wait()
	assert.False(t, r.irq.level)
	r.out(fdcRegDOR, 0x1C)
	assert.True(t, r.irq.level, "the latched interrupt appears with the gate")
}

func TestFDCNonsense(t *testing.T) {
	r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
	assert.Equal(t, uint8(0xFF), r.in(fdcRegFIFO), "nothing to read in the command phase")
	assert.Equal(t, uint8(0x80), r.msr())
	r.command(fdcCmdVersion)
	r.out(fdcRegFIFO, 0x03) // written during the result phase: ignored
	assert.Equal(t, []uint8{0x90}, r.results())
	// Command bytes during execution are ignored.
	r.dmaSetup(0x10000, 512, true)
	r.command(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF)
	r.out(fdcRegFIFO, fdcCmdVersion)
	r.wait()
	assert.Equal(t, []uint8{0x00, 0, 0, 0, 0, 2, 2}, r.results())
	assert.Equal(t, uint8(0x80), r.msr())
	// Word access to 3F4h-3F5h is split.
	assert.Equal(t, uint32(0xFF80), r.bus.In(0x3F4, 2))
	// TDR keeps bits 1-0.
	r.out(fdcRegTDR, 0xFF)
	assert.Equal(t, uint8(0xFF), r.in(fdcRegTDR))
	r.out(fdcRegTDR, 0x00)
	assert.Equal(t, uint8(0xFC), r.in(fdcRegTDR))
	// Every opcode, with junk parameters, leaves a usable controller.
	for op := 0; op < 256; op++ {
		r.out(fdcRegDOR, 0x18)
		r.out(fdcRegDOR, 0x1C)
		r.wait()
		// The opcode, then the same byte as every parameter.
		r.out(fdcRegFIFO, uint8(op))
		for r.msr()&0xD0 == 0x90 {
			r.out(fdcRegFIFO, uint8(op))
		}
		r.wait()
		for i := 0; i < 1<<20 && r.msr()&0x80 != 0 && r.msr()&0x20 != 0; i++ {
			if r.msr()&0x40 != 0 {
				r.in(fdcRegFIFO)
			} else {
				r.out(fdcRegFIFO, 0)
			}
		}
		r.results()
		require.Equal(t, uint8(0x80), r.msr()&0xF0, "opcode %#x", op)
	}
}

func TestFDCStateRoundTrip(t *testing.T) {
	img := fdcTestImage(t, fdcTestSectors)
	r := newFDCRig(t, img, nil)
	r.command(fdcCmdSpecify, 0xAF, 0x03)
	r.command(0x46, 0x00, 0, 0, 1, 2, 1, 0x1B, 0xFF)
	r.wait()
	first := make([]byte, 100)
	for i := range first {
		first[i] = r.in(fdcRegFIFO)
	}
	st := r.f.State()

	r2 := newFDCRig(t, img, nil)
	require.NoError(t, r2.f.SetState(st))
	assert.True(t, r2.irq.level)
	var rest []byte
	for r2.msr() == 0xF0 {
		rest = append(rest, r2.in(fdcRegFIFO))
	}
	assert.Equal(t, diskPattern(1), append(first, rest...))
	assert.Equal(t, []uint8{0x40, 0x80, 0, 1, 0, 1, 2}, r2.results())

	// Pending seek and execution timers are restored.
	for r.msr() == 0xF0 {
		r.in(fdcRegFIFO)
	}
	r.results()
	r.command(fdcCmdSeek, 0x01, 4)
	st = r.f.State()
	r3 := newFDCRig(t, img, nil)
	require.NoError(t, r3.f.SetState(st))
	assert.Equal(t, uint8(0x02), r3.msr()&0x0F, "drive 1 seeking")
	r3.clock.Advance(st.Drives[1].SeekDeadline)
	r3.wait()
	r3.command(fdcCmdSenseInt)
	assert.Equal(t, []uint8{0x21, 4}, r3.results())

	bad := st
	bad.Phase = 7
	assert.Error(t, r3.f.SetState(bad))
	bad = st
	bad.ResultLen = 11
	assert.Error(t, r3.f.SetState(bad))
	bad = st
	bad.Xfer.PIOActive = true
	assert.Error(t, r3.f.SetState(bad))
}

func TestNewFDCErrors(t *testing.T) {
	img := fdcTestImage(t, fdcTestSectors)
	_, err := NewFDC(NewBus(), NewClock(), nil, nil, nil, [2]*DiskImage{img, img})
	assert.Error(t, err)
	odd, err := NewMemoryDiskImage(make([]byte, 1024))
	require.NoError(t, err)
	_, err = NewFDC(NewBus(), NewClock(), nil, nil, nil, [2]*DiskImage{odd, nil})
	assert.Error(t, err)
	_, err = NewFDC(nil, NewClock(), nil, nil, nil, [2]*DiskImage{})
	assert.Error(t, err)
	bus := NewBus()
	require.NoError(t, bus.Register(0x3F7, 1, ByteOnly{InB: func(uint16) uint8 { return 0 }, OutB: func(uint16, uint8) {}}))
	_, err = NewFDC(bus, NewClock(), nil, nil, nil, [2]*DiskImage{})
	assert.Error(t, err)
	// The failed registration released 3F2h-3F5h.
	assert.NoError(t, bus.Register(0x3F2, 4, ByteOnly{InB: func(uint16) uint8 { return 0 }, OutB: func(uint16, uint8) {}}))
}

func TestFDCEjectDuringTransfer(t *testing.T) {
	r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
	r.command(fdcCmdSpecify, 0xAF, 0x03)
	r.command(0x46, 0x00, 0, 0, 1, 2, 3, 0x1B, 0xFF)
	r.wait()
	for i := 0; i < 512; i++ {
		r.in(fdcRegFIFO)
	}
	_, err := r.f.ChangeDisk(0, nil)
	require.NoError(t, err)
	for r.msr() == 0xF0 {
		r.in(fdcRegFIFO)
	}
	assert.Equal(t, []uint8{0x48, 0, 0, 0, 0, 2, 2}, r.results(), "not ready at the next sector")
}

// FuzzFDCPorts drives the controller with arbitrary port traffic and
// time: it must never panic.
func FuzzFDCPorts(f *testing.F) {
	f.Add([]byte{0x02, 0x1C, 0xC0, 0xFF, 0x05, 0x08, 0x85, 0x00, 0x85, 0x00})
	f.Add([]byte{0x05, 0x46, 0x05, 0x00, 0x05, 0x00, 0x05, 0x00, 0x05, 0x01, 0x05, 0x02, 0x05, 0x12, 0x05, 0x1B, 0x05, 0xFF, 0xC0, 0xFF})
	f.Add([]byte{0x05, 0x03, 0x05, 0xAF, 0x05, 0x03, 0x05, 0x4D, 0x05, 0x00, 0x05, 0x02, 0x05, 0x02, 0x05, 0x54, 0x05, 0xF6, 0xC0, 0xFF})
	f.Fuzz(func(t *testing.T, ops []byte) {
		r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
		dmaProgram(r.bus, 2, 0x44, 0, 0xFFFF, 0)
		for i := 0; i+1 < len(ops); i += 2 {
			op, v := ops[i], ops[i+1]
			switch {
			case op&0xC0 == 0xC0:
				r.clock.Advance(r.clock.Now() + int64(v)*100_000)
			case op&0xC0 == 0x40:
				switch op & 3 {
				case 0:
					st := r.f.State()
					require.NoError(t, r.f.SetState(st))
				case 1:
					r.f.ChangeDisk(0, nil)
				case 2:
					r.f.ChangeDisk(0, fdcTestImage(t, fdcTestSectors))
				case 3:
					dmaProgram(r.bus, 2, 0x44|v&0x3C, uint16(v)<<8, uint16(v)<<4, v)
				}
			default:
				port := 0x3F0 + uint16(op&7)
				if op&0x80 != 0 {
					r.bus.In(port, 1)
				} else {
					r.bus.Out(port, 1, uint32(v))
				}
			}
		}
		r.wait()
		r.results()
	})
}

func TestFDCHardwareReset(t *testing.T) {
	r := newFDCRig(t, fdcTestImage(t, fdcTestSectors), nil)
	r.command(fdcCmdSpecify, 0xDF, 0x03)
	r.command(fdcCmdConfigure, 0, 0x57, 0x05)
	r.command(fdcCmdLock | 0x80)
	r.results()
	r.seek(0, 12)
	r.command(fdcCmdSeek, 0, 30) // still seeking at the reset
	r.f.Reset()
	assert.Equal(t, uint8(0x00), r.in(fdcRegDOR))
	assert.Equal(t, uint8(0x00), r.msr(), "held in reset")
	assert.False(t, r.irq.level)
	r.wait()
	assert.False(t, r.irq.level, "the seek was abandoned")
	r.out(fdcRegDOR, 0x0C)
	r.wait()
	assert.True(t, r.irq.level, "LOCK cleared: polling back on")
	for d := uint8(0); d < 4; d++ {
		r.command(fdcCmdSenseInt)
		assert.Equal(t, []uint8{0xC0 | d, [4]uint8{12}[d]}, r.results())
	}
	r.command(fdcCmdDumpReg)
	assert.Equal(t, []uint8{12, 0, 0, 0, 0, 0, 0, 0, 0x20, 0}, r.results())
}
