package devices

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storageTestIRQ records an interrupt line.
type storageTestIRQ struct {
	level bool
	rises int
}

func (i *storageTestIRQ) SetLevel(high bool) {
	if high && !i.level {
		i.rises++
	}
	i.level = high
}

type ataRig struct {
	t     *testing.T
	bus   *Bus
	clock *Clock
	irq   *storageTestIRQ
	ch    *ATAChannel
}

const (
	ataTestBase = 0x1F0
	ataTestCtrl = 0x3F6
	ataDisk     = 4096 // sectors in the test disks (default CHS 4/16/63)
)

func newATARig(t *testing.T, master, slave *DiskImage) *ataRig {
	t.Helper()
	r := &ataRig{t: t, bus: NewBus(), clock: NewClock(), irq: &storageTestIRQ{}}
	var err error
	r.ch, err = NewATAChannel(r.bus, r.clock, ataTestBase, ataTestCtrl, r.irq, master, slave)
	require.NoError(t, err)
	return r
}

func ataTestImage(t *testing.T, sectors int, invert bool) *DiskImage {
	t.Helper()
	b := diskPattern(sectors)
	if invert {
		for i := range b {
			b[i] ^= 0xFF
		}
	}
	img, err := NewMemoryDiskImage(b)
	require.NoError(t, err)
	return img
}

func (r *ataRig) out(reg int, v uint8) { r.bus.Out(ataTestBase+uint16(reg), 1, uint32(v)) }
func (r *ataRig) in(reg int) uint8     { return uint8(r.bus.In(ataTestBase+uint16(reg), 1)) }
func (r *ataRig) status() uint8        { return r.in(ataRegStatus) }
func (r *ataRig) alt() uint8           { return uint8(r.bus.In(ataTestCtrl, 1)) }
func (r *ataRig) ctl(v uint8)          { r.bus.Out(ataTestCtrl, 1, uint32(v)) }

// wait lets every pending device action finish.
func (r *ataRig) wait() { r.clock.Advance(r.clock.Now() + 1_000_000) }

// lba28 loads an LBA28 address and count for device dev.
func (r *ataRig) lba28(dev uint8, lba uint32, count uint8) {
	r.out(ataRegDevice, 0xE0|dev<<4|uint8(lba>>24)&0x0F)
	r.out(ataRegCount, count)
	r.out(ataRegLBALow, uint8(lba))
	r.out(ataRegLBAMid, uint8(lba>>8))
	r.out(ataRegLBAHigh, uint8(lba>>16))
}

// lba48 loads a 48-bit address and count through the register pairs.
func (r *ataRig) lba48(dev uint8, lba uint64, count uint16) {
	r.out(ataRegDevice, 0x40|dev<<4)
	r.out(ataRegCount, uint8(count>>8))
	r.out(ataRegCount, uint8(count))
	r.out(ataRegLBALow, uint8(lba>>24))
	r.out(ataRegLBALow, uint8(lba))
	r.out(ataRegLBAMid, uint8(lba>>32))
	r.out(ataRegLBAMid, uint8(lba>>8))
	r.out(ataRegLBAHigh, uint8(lba>>40))
	r.out(ataRegLBAHigh, uint8(lba>>16))
}

// chs loads a CHS address.
func (r *ataRig) chs(dev uint8, cyl uint16, head, sector, count uint8) {
	r.out(ataRegDevice, 0xA0|dev<<4|head&0x0F)
	r.out(ataRegCount, count)
	r.out(ataRegLBALow, sector)
	r.out(ataRegLBAMid, uint8(cyl))
	r.out(ataRegLBAHigh, uint8(cyl>>8))
}

// readWords reads n 16-bit words from the data port.
func (r *ataRig) readWords(n int) []byte {
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		w := r.bus.In(ataTestBase, 2)
		b = append(b, byte(w), byte(w>>8))
	}
	return b
}

func (r *ataRig) writeWords(b []byte) {
	for i := 0; i < len(b); i += 2 {
		r.bus.Out(ataTestBase, 2, uint32(b[i])|uint32(b[i+1])<<8)
	}
}

// identify runs IDENTIFY DEVICE and returns the 256 words.
func (r *ataRig) identify() [256]uint16 {
	r.t.Helper()
	r.out(ataRegCommand, ataCmdIdentify)
	r.wait()
	require.Equal(r.t, uint8(0x58), r.status())
	b := r.readWords(256)
	require.Equal(r.t, uint8(0x50), r.status())
	var w [256]uint16
	for i := range w {
		w[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return w
}

const ataRegCommand = ataRegStatus

func ataString(w []uint16) string {
	var b []byte
	for _, v := range w {
		b = append(b, byte(v>>8), byte(v))
	}
	return string(b)
}

func TestATAPowerOnState(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	tests := []struct {
		reg  int
		want uint8
	}{
		{ataRegError, 0x01},
		{ataRegCount, 0x01},
		{ataRegLBALow, 0x01},
		{ataRegLBAMid, 0x00},
		{ataRegLBAHigh, 0x00},
		{ataRegDevice, 0x00},
		{ataRegStatus, 0x50},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, r.in(tc.reg), "register %d", tc.reg)
	}
	assert.Equal(t, uint8(0x50), r.alt())
	assert.False(t, r.irq.level)
}

func TestATAIdentify(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	r.out(ataRegCommand, ataCmdIdentify)
	assert.Equal(t, uint8(0xC0), r.alt(), "BSY until the data is ready")
	assert.False(t, r.irq.level)
	w := r.identify()
	tests := []struct {
		word int
		want uint16
	}{
		{0, 0x0040}, {1, 4}, {2, 0xC837}, {3, 16}, {6, 63},
		{47, 0x8010}, {49, 0x0A00}, {50, 0x4000}, {51, 0x0200}, {53, 0x0003},
		{54, 4}, {55, 16}, {56, 63}, {57, 4032}, {58, 0}, {59, 0},
		{60, 4096}, {61, 0}, {62, 0}, {63, 0}, {64, 0x0003}, {67, 120}, {68, 120},
		{80, 0x007C}, {82, 0x0068}, {83, 0x7400}, {84, 0x4000},
		{85, 0x0068}, {86, 0x3400}, {87, 0x4000}, {88, 0},
		{100, 4096}, {101, 0}, {102, 0}, {103, 0},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, w[tc.word], "word %d", tc.word)
	}
	assert.Equal(t, "GOX86-01F0-0        ", ataString(w[10:20]))
	assert.Equal(t, "1.0     ", ataString(w[23:27]))
	assert.Equal(t, "GOX86 HARDDISK                          ", ataString(w[27:47]))
	assert.Equal(t, uint16(0xA5), w[255]&0xFF)
	var sum uint8
	for _, v := range w {
		sum += uint8(v) + uint8(v>>8)
	}
	assert.Equal(t, uint8(0), sum, "checksum")
	assert.Equal(t, 1, r.irq.rises)
}

func TestATAIdentifyLargeDisk(t *testing.T) {
	// 2^32 sectors (2 TiB); IDENTIFY does not read the medium.
	img := &DiskImage{format: "memory", size: 1 << 41, overlay: map[int64][]byte{}}
	r := newATARig(t, img, nil)
	w := r.identify()
	tests := []struct {
		word int
		want uint16
	}{
		{1, 16383}, {3, 16}, {6, 63}, {54, 16383}, {55, 16}, {56, 63},
		{57, 0xFC10}, {58, 0x00FB}, // 16,514,064
		{60, 0xFFFF}, {61, 0x0FFF}, // LBA28 capacity capped at 0FFFFFFFh
		{100, 0}, {101, 0}, {102, 1}, {103, 0},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, w[tc.word], "word %d", tc.word)
	}
}

func TestATAReadSectors(t *testing.T) {
	for _, cmd := range []uint8{ataCmdReadSectors, ataCmdReadSectorsNR} {
		r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
		want := diskPattern(ataDisk)
		r.lba28(0, 10, 3)
		r.out(ataRegCommand, cmd)
		assert.Equal(t, uint8(0xC0), r.alt())
		for s := 10; s < 13; s++ {
			r.wait()
			assert.True(t, r.irq.level, "interrupt for sector %d", s)
			assert.Equal(t, uint8(0x58), r.status())
			assert.False(t, r.irq.level, "reading Status clears the interrupt")
			assert.Equal(t, want[s*512:(s+1)*512], r.readWords(256), "sector %d", s)
		}
		assert.Equal(t, uint8(0x50), r.alt(), "no interrupt after the last block")
		assert.Equal(t, 3, r.irq.rises)
		assert.Equal(t, uint8(12), r.in(ataRegLBALow), "address of the last sector")
		assert.Equal(t, uint8(0), r.in(ataRegCount))
		assert.Equal(t, uint8(0xE0), r.in(ataRegDevice))
		// The data port is not driven outside DRQ.
		assert.Equal(t, uint32(0xFF7F), r.bus.In(ataTestBase, 2))
	}
}

func TestATAReadCHS(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	want := diskPattern(ataDisk)
	// Default translation 16 heads, 63 sectors: C1 H2 S5 is sector 1138.
	r.chs(0, 1, 2, 5, 2)
	r.out(ataRegCommand, ataCmdReadSectors)
	r.wait()
	r.status()
	assert.Equal(t, want[1138*512:1139*512], r.readWords(256))
	r.wait()
	r.status()
	assert.Equal(t, want[1139*512:1140*512], r.readWords(256))
	assert.Equal(t, uint8(0x50), r.status())
	assert.Equal(t, uint8(6), r.in(ataRegLBALow), "sector of the last sector read")
	assert.Equal(t, uint8(0xA2), r.in(ataRegDevice))
}

func TestATAAddressErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(r *ataRig)
		cmd     uint8
		err     uint8
		lbaLow  uint8
		lbaMid  uint8
		count   uint8
		sectors int // sectors transferred before the error
	}{
		{name: "CHS sector 0", setup: func(r *ataRig) { r.chs(0, 0, 0, 0, 1) }, cmd: ataCmdReadSectors, err: ataErrIDNF, count: 1},
		{name: "CHS sector past the track", setup: func(r *ataRig) { r.chs(0, 0, 0, 64, 1) }, cmd: ataCmdReadSectors, err: ataErrIDNF, lbaLow: 64, count: 1},
		{name: "CHS cylinder past the disk", setup: func(r *ataRig) { r.chs(0, 4, 0, 1, 1) }, cmd: ataCmdReadSectors, err: ataErrIDNF, lbaLow: 1, lbaMid: 4, count: 1},
		{name: "CHS past the capacity", setup: func(r *ataRig) { r.chs(0, 3, 15, 63, 2) }, cmd: ataCmdReadSectors, err: ataErrIDNF, lbaLow: 1, lbaMid: 4, count: 1, sectors: 1},
		{name: "LBA past the end", setup: func(r *ataRig) { r.lba28(0, 5000, 3) }, cmd: ataCmdReadSectors, err: ataErrIDNF, lbaLow: 0x88, lbaMid: 0x13, count: 3},
		{name: "LBA running off the end", setup: func(r *ataRig) { r.lba28(0, 4095, 3) }, cmd: ataCmdReadSectors, err: ataErrIDNF, lbaLow: 0x00, lbaMid: 0x10, count: 2, sectors: 1},
		{name: "write past the end", setup: func(r *ataRig) { r.lba28(0, 4096, 1) }, cmd: ataCmdWriteSectors, err: ataErrIDNF, lbaLow: 0x00, lbaMid: 0x10, count: 1},
		{name: "verify running off the end", setup: func(r *ataRig) { r.lba28(0, 4094, 5) }, cmd: ataCmdVerify, err: ataErrIDNF, lbaLow: 0x00, lbaMid: 0x10, count: 3},
		{name: "seek past the end", setup: func(r *ataRig) { r.lba28(0, 4096, 0) }, cmd: ataCmdSeek, err: ataErrIDNF, lbaLow: 0x00, lbaMid: 0x10, count: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
			tc.setup(r)
			r.out(ataRegCommand, tc.cmd)
			for i := 0; i < tc.sectors; i++ {
				r.wait()
				require.Equal(t, uint8(0x58), r.status())
				r.readWords(256)
			}
			r.wait()
			assert.True(t, r.irq.level)
			assert.Equal(t, uint8(0x51), r.status(), "DRDY, DSC, ERR")
			assert.Equal(t, tc.err, r.in(ataRegError))
			assert.Equal(t, tc.lbaLow, r.in(ataRegLBALow), "address of the sector in error")
			assert.Equal(t, tc.lbaMid, r.in(ataRegLBAMid))
			assert.Equal(t, tc.count, r.in(ataRegCount), "sectors not transferred")
		})
	}
}

func TestATAWriteSectors(t *testing.T) {
	img := ataTestImage(t, ataDisk, false)
	r := newATARig(t, img, nil)
	data := diskPattern(40)[30*512 : 32*512]
	r.lba28(0, 20, 2)
	r.out(ataRegCommand, ataCmdWriteSectors)
	assert.Equal(t, uint8(0xC0), r.alt())
	r.wait()
	assert.Equal(t, uint8(0x58), r.alt())
	assert.False(t, r.irq.level, "no interrupt before the first block")
	r.writeWords(data[:512])
	assert.Equal(t, uint8(0xC0), r.alt(), "BSY while writing the block")
	r.wait()
	assert.True(t, r.irq.level, "interrupt asking for the next block")
	assert.Equal(t, uint8(0x58), r.status())
	r.writeWords(data[512:])
	r.wait()
	assert.True(t, r.irq.level, "interrupt at completion")
	assert.Equal(t, uint8(0x50), r.status())
	assert.Equal(t, uint8(21), r.in(ataRegLBALow))
	got := make([]byte, 1024)
	require.NoError(t, img.ReadSectors(20, got))
	assert.Equal(t, data, got)
	assert.Equal(t, 2, img.OverlaySectors())
}

func TestATAWriteFailures(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(img *DiskImage)
		status uint8
		err    uint8
	}{
		{"write-protected", func(img *DiskImage) { img.SetWriteProtected(true) }, 0x51, ataErrABRT},
		{"host write error", func(img *DiskImage) { img.Close() }, 0x71, ataErrABRT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := ataTestImage(t, ataDisk, false)
			r := newATARig(t, img, nil)
			r.lba28(0, 7, 1)
			r.out(ataRegCommand, ataCmdWriteSectors)
			r.wait()
			tc.setup(img)
			r.writeWords(make([]byte, 512))
			r.wait()
			assert.Equal(t, tc.status, r.status())
			assert.Equal(t, tc.err, r.in(ataRegError))
			assert.Equal(t, uint8(7), r.in(ataRegLBALow))
		})
	}
}

func TestATAReadHostError(t *testing.T) {
	img := ataTestImage(t, ataDisk, false)
	r := newATARig(t, img, nil)
	img.Close()
	r.lba28(0, 9, 1)
	r.out(ataRegCommand, ataCmdReadSectors)
	r.wait()
	assert.Equal(t, uint8(0x51), r.status())
	assert.Equal(t, uint8(ataErrUNC), r.in(ataRegError))
}

func TestATASetMultiple(t *testing.T) {
	tests := []struct {
		count  uint8
		ok     bool
		word59 uint16
	}{
		{0, true, 0}, {1, true, 0x0101}, {2, true, 0x0102}, {4, true, 0x0104},
		{8, true, 0x0108}, {16, true, 0x0110}, {3, false, 0}, {17, false, 0}, {32, false, 0}, {255, false, 0},
	}
	for _, tc := range tests {
		r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
		r.out(ataRegCount, tc.count)
		r.out(ataRegCommand, ataCmdSetMultiple)
		r.wait()
		if tc.ok {
			assert.Equal(t, uint8(0x50), r.status(), "count %d", tc.count)
		} else {
			assert.Equal(t, uint8(0x51), r.status(), "count %d", tc.count)
			assert.Equal(t, uint8(ataErrABRT), r.in(ataRegError))
		}
		assert.Equal(t, tc.word59, r.identify()[59], "count %d", tc.count)
	}
}

func TestATAMultipleDisabled(t *testing.T) {
	for _, cmd := range []uint8{ataCmdReadMultiple, ataCmdWriteMultiple, ataCmdReadMultipleExt, ataCmdWriteMultExt} {
		r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
		r.lba28(0, 0, 1)
		r.out(ataRegCommand, cmd)
		r.wait()
		assert.Equal(t, uint8(0x51), r.status(), "command %#x", cmd)
		assert.Equal(t, uint8(ataErrABRT), r.in(ataRegError))
	}
}

func TestATAReadWriteMultiple(t *testing.T) {
	img := ataTestImage(t, ataDisk, false)
	r := newATARig(t, img, nil)
	want := diskPattern(ataDisk)
	r.out(ataRegCount, 4)
	r.out(ataRegCommand, ataCmdSetMultiple)
	r.wait()
	r.status()

	// READ MULTIPLE of 10 sectors: blocks of 4, 4 and 2, one interrupt each.
	r.lba28(0, 100, 10)
	r.out(ataRegCommand, ataCmdReadMultiple)
	rises := r.irq.rises
	for _, blk := range []struct{ start, n int }{{100, 4}, {104, 4}, {108, 2}} {
		r.wait()
		require.Equal(t, uint8(0x58), r.status())
		assert.Equal(t, want[blk.start*512:(blk.start+blk.n)*512], r.readWords(blk.n*256))
	}
	assert.Equal(t, 3, r.irq.rises-rises)
	assert.Equal(t, uint8(0x50), r.status())

	// WRITE MULTIPLE of 6 sectors: blocks of 4 and 2.
	data := diskPattern(6)
	r.lba28(0, 200, 6)
	r.out(ataRegCommand, ataCmdWriteMultiple)
	r.wait()
	assert.Equal(t, uint8(0x58), r.status())
	r.writeWords(data[:4*512])
	r.wait()
	assert.True(t, r.irq.level)
	assert.Equal(t, uint8(0x58), r.status())
	r.writeWords(data[4*512:])
	r.wait()
	assert.True(t, r.irq.level)
	assert.Equal(t, uint8(0x50), r.status())
	got := make([]byte, 6*512)
	require.NoError(t, img.ReadSectors(200, got))
	assert.Equal(t, data, got)
}

func TestATAHOB(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	regs := []int{ataRegCount, ataRegLBALow, ataRegLBAMid, ataRegLBAHigh}
	for i, reg := range regs {
		r.out(reg, uint8(0x10+i))
		r.out(reg, uint8(0x20+i))
	}
	for i, reg := range regs {
		assert.Equal(t, uint8(0x20+i), r.in(reg), "current content")
	}
	r.ctl(ataCtlHOB)
	for i, reg := range regs {
		assert.Equal(t, uint8(0x10+i), r.in(reg), "previous content")
	}
	assert.Equal(t, uint8(0x50), r.in(ataRegStatus), "HOB does not affect Status")
	// A write to a Command Block register clears HOB.
	r.out(ataRegError, 0)
	assert.Equal(t, uint8(0x20), r.in(ataRegCount))
}

func TestATALBA48(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	want := diskPattern(ataDisk)
	r.lba48(0, 5, 2)
	r.out(ataRegCommand, ataCmdReadSectorsExt)
	for s := 5; s < 7; s++ {
		r.wait()
		require.Equal(t, uint8(0x58), r.status())
		assert.Equal(t, want[s*512:(s+1)*512], r.readWords(256))
	}
	assert.Equal(t, uint8(0x50), r.status())
	assert.Equal(t, uint8(6), r.in(ataRegLBALow))

	// A 48-bit address past the end: the error address is read back
	// through both halves of the register pairs.
	r.lba48(0, 0x123456789A, 3)
	r.out(ataRegCommand, ataCmdReadSectorsExt)
	r.wait()
	assert.Equal(t, uint8(0x51), r.status())
	assert.Equal(t, uint8(ataErrIDNF), r.in(ataRegError))
	got := []uint8{r.in(ataRegLBALow), r.in(ataRegLBAMid), r.in(ataRegLBAHigh), r.in(ataRegCount)}
	assert.Equal(t, []uint8{0x9A, 0x78, 0x56, 3}, got)
	r.ctl(ataCtlHOB)
	got = []uint8{r.in(ataRegLBALow), r.in(ataRegLBAMid), r.in(ataRegLBAHigh), r.in(ataRegCount)}
	assert.Equal(t, []uint8{0x34, 0x12, 0x00, 0}, got)
	r.ctl(0)

	// A count of zero means 65536 sectors.
	r.lba48(0, 0, 0)
	r.out(ataRegCommand, ataCmdVerifyExt)
	r.wait()
	assert.Equal(t, uint8(0x51), r.status())
	assert.Equal(t, uint8(ataErrIDNF), r.in(ataRegError))
	assert.Equal(t, uint8(0x10), r.in(ataRegLBAMid), "fails at sector 4096")
	r.ctl(ataCtlHOB)
	assert.Equal(t, uint8((65536-4096)>>8), r.in(ataRegCount))
	r.ctl(0)

	// WRITE SECTORS EXT.
	data := diskPattern(3)[512:1024]
	r.lba48(0, 4000, 1)
	r.out(ataRegCommand, ataCmdWriteSectorsExt)
	r.wait()
	assert.Equal(t, uint8(0x58), r.status())
	r.writeWords(data)
	r.wait()
	assert.Equal(t, uint8(0x50), r.status())
	gotData := make([]byte, 512)
	require.NoError(t, r.ch.Disk(0).ReadSectors(4000, gotData))
	assert.Equal(t, data, gotData)
}

// TestATAPastLBA28 reads beyond the LBA28 limit from a sparse image.
func TestATAPastLBA28(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.img")
	f, err := os.Create(p)
	require.NoError(t, err)
	const sectors = 1<<28 + 16
	if err := f.Truncate(sectors * 512); err != nil {
		f.Close()
		t.Skipf("no sparse files here: %v", err)
	}
	mark := diskPattern(1)
	_, err = f.WriteAt(mark, (1<<28+3)*512)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	img, err := OpenDiskImage(p, false)
	require.NoError(t, err)
	defer img.Close()
	r := newATARig(t, img, nil)
	w := r.identify()
	assert.Equal(t, [2]uint16{0xFFFF, 0x0FFF}, [2]uint16{w[60], w[61]})
	assert.Equal(t, [4]uint16{16, 0x1000, 0, 0}, [4]uint16{w[100], w[101], w[102], w[103]})

	// LBA28 commands stop at 0FFFFFFFh sectors.
	r.lba28(0, 0x0FFFFFFF, 1)
	r.out(ataRegCommand, ataCmdReadSectors)
	r.wait()
	assert.Equal(t, uint8(0x51), r.status())
	assert.Equal(t, uint8(ataErrIDNF), r.in(ataRegError))

	r.lba48(0, 1<<28+3, 1)
	r.out(ataRegCommand, ataCmdReadSectorsExt)
	r.wait()
	require.Equal(t, uint8(0x58), r.status())
	assert.Equal(t, mark, r.readWords(256))
}

func TestATAVerify(t *testing.T) {
	for _, cmd := range []uint8{ataCmdVerify, ataCmdVerifyNR} {
		r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
		r.lba28(0, 0, 5)
		r.out(ataRegCommand, cmd)
		assert.Equal(t, uint8(0xC0), r.alt())
		r.wait()
		assert.True(t, r.irq.level)
		assert.Equal(t, uint8(0x50), r.status(), "no data phase")
		assert.Equal(t, uint8(4), r.in(ataRegLBALow))
		assert.Equal(t, uint8(0), r.in(ataRegCount))
	}
}

func TestATAInitializeDeviceParameters(t *testing.T) {
	tests := []struct {
		name       string
		sectors    int
		spt, heads uint8
		ok         bool
		words      [5]uint16 // IDENTIFY words 54-58
	}{
		{"4 heads 32 sectors", ataDisk, 32, 4, true, [5]uint16{32, 4, 32, 4096, 0}},
		{"16 heads 255 sectors", ataDisk, 255, 16, true, [5]uint16{1, 16, 255, 4080, 0}},
		{"zero sectors per track", ataDisk, 0, 16, false, [5]uint16{4, 16, 63, 4032, 0}},
		{"no whole cylinder", 100, 255, 1, false, [5]uint16{1, 16, 63, 1008, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newATARig(t, ataTestImage(t, tc.sectors, false), nil)
			r.out(ataRegCount, tc.spt)
			r.out(ataRegDevice, 0xA0|(tc.heads-1))
			r.out(ataRegCommand, ataCmdInitParams)
			r.wait()
			if tc.ok {
				assert.Equal(t, uint8(0x50), r.status())
			} else {
				assert.Equal(t, uint8(0x51), r.status())
				assert.Equal(t, uint8(ataErrABRT), r.in(ataRegError))
			}
			w := r.identify()
			assert.Equal(t, tc.words, [5]uint16{w[54], w[55], w[56], w[57], w[58]})
			assert.Equal(t, HardDiskGeometry(int64(tc.sectors)).Cylinders, int(w[1]), "default geometry unchanged")
		})
	}

	// CHS addressing follows the new translation: 4 heads, 32 sectors.
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	r.out(ataRegCount, 32)
	r.out(ataRegDevice, 0xA3)
	r.out(ataRegCommand, ataCmdInitParams)
	r.wait()
	r.chs(0, 1, 2, 3, 1) // (1*4+2)*32+2 = 194
	r.out(ataRegCommand, ataCmdReadSectors)
	r.wait()
	require.Equal(t, uint8(0x58), r.status())
	assert.Equal(t, diskPattern(195)[194*512:], r.readWords(256))
	r.chs(0, 0, 4, 1, 1) // head 4 of 4
	r.out(ataRegCommand, ataCmdReadSectors)
	r.wait()
	assert.Equal(t, uint8(0x51), r.status())
	assert.Equal(t, uint8(ataErrIDNF), r.in(ataRegError))
}

func TestATASetFeatures(t *testing.T) {
	tests := []struct {
		name     string
		feature  uint8
		count    uint8
		ok       bool
		word85   uint16
		checkW85 bool
	}{
		{name: "PIO default", feature: 0x03, count: 0x00, ok: true},
		{name: "PIO default, IORDY disabled", feature: 0x03, count: 0x01, ok: true},
		{name: "PIO mode 4", feature: 0x03, count: 0x0C, ok: true},
		{name: "PIO mode 5", feature: 0x03, count: 0x0D, ok: false},
		{name: "multiword DMA 2", feature: 0x03, count: 0x22, ok: false},
		{name: "UDMA 5", feature: 0x03, count: 0x45, ok: false},
		{name: "disable write cache", feature: 0x82, ok: true, word85: 0x0048, checkW85: true},
		{name: "enable write cache", feature: 0x02, ok: true, word85: 0x0068, checkW85: true},
		{name: "disable look-ahead", feature: 0x55, ok: true, word85: 0x0028, checkW85: true},
		{name: "enable look-ahead", feature: 0xAA, ok: true, word85: 0x0068, checkW85: true},
		{name: "disable revert", feature: 0x66, ok: true},
		{name: "enable revert", feature: 0xCC, ok: true},
		{name: "APM (not supported)", feature: 0x05, ok: false},
		{name: "unknown", feature: 0x99, ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
			r.out(ataRegError, tc.feature)
			r.out(ataRegCount, tc.count)
			r.out(ataRegCommand, ataCmdSetFeatures)
			r.wait()
			assert.True(t, r.irq.level)
			if tc.ok {
				assert.Equal(t, uint8(0x50), r.status())
			} else {
				assert.Equal(t, uint8(0x51), r.status())
				assert.Equal(t, uint8(ataErrABRT), r.in(ataRegError))
			}
			if tc.checkW85 {
				assert.Equal(t, tc.word85, r.identify()[85])
			}
		})
	}
}

func TestATAPowerModes(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	check := func() uint8 {
		r.out(ataRegCommand, ataCmdCheckPower)
		r.wait()
		require.Equal(t, uint8(0x50), r.status())
		return r.in(ataRegCount)
	}
	steps := []struct {
		name string
		cmd  uint8
		want uint8
	}{
		{"standby immediate", ataCmdStandbyImm, 0x00},
		{"idle immediate", ataCmdIdleImm, 0x80},
		{"standby", ataCmdStandby, 0x00},
		{"idle", ataCmdIdle, 0x80},
		{"ATA-3 standby immediate", 0x94, 0x00},
		{"ATA-3 idle immediate", 0x95, 0x80},
		{"media access spins up", ataCmdVerify, 0xFF},
	}
	assert.Equal(t, uint8(0xFF), check(), "power-on")
	for _, s := range steps {
		if s.cmd == ataCmdVerify {
			r.lba28(0, 0, 1)
		}
		r.out(ataRegCommand, s.cmd)
		r.wait()
		require.Equal(t, uint8(0x50), r.status(), s.name)
		assert.Equal(t, s.want, check(), s.name)
	}
}

func TestATANonDataCommands(t *testing.T) {
	tests := []struct {
		name   string
		cmd    uint8
		setup  func(r *ataRig)
		status uint8
		err    uint8
	}{
		{"recalibrate", 0x10, nil, 0x50, 0},
		{"recalibrate 1Fh", 0x1F, nil, 0x50, 0},
		{"seek", 0x70, func(r *ataRig) { r.lba28(0, 4095, 0) }, 0x50, 0},
		{"flush cache", ataCmdFlushCache, nil, 0x50, 0},
		{"flush cache ext", ataCmdFlushCacheExt, nil, 0x50, 0},
		{"NOP", 0x00, nil, 0x51, ataErrABRT},
		{"PACKET", 0xA0, nil, 0x51, ataErrABRT},
		{"IDENTIFY PACKET DEVICE", 0xA1, nil, 0x51, ataErrABRT},
		{"READ DMA", 0xC8, nil, 0x51, ataErrABRT},
		{"READ NATIVE MAX ADDRESS", 0xF8, nil, 0x51, ataErrABRT},
		{"SLEEP", 0xE6, nil, 0x51, ataErrABRT},
		{"vendor specific", 0xFF, nil, 0x51, ataErrABRT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
			if tc.setup != nil {
				tc.setup(r)
			}
			r.out(ataRegCommand, tc.cmd)
			assert.Equal(t, uint8(0xC0), r.alt())
			r.wait()
			assert.True(t, r.irq.level)
			assert.Equal(t, tc.status, r.status())
			if tc.err != 0 {
				assert.Equal(t, tc.err, r.in(ataRegError))
			}
			assert.False(t, r.irq.level)
		})
	}
}

func TestATADiagnostic(t *testing.T) {
	tests := []struct {
		name          string
		slave         bool
		selectDevice1 bool
	}{
		{"master only", false, false},
		{"master only, device 1 selected", false, true},
		{"master and slave", true, false},
		{"master and slave, slave selected", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var slave *DiskImage
			if tc.slave {
				slave = ataTestImage(t, ataDisk, true)
			}
			r := newATARig(t, ataTestImage(t, ataDisk, false), slave)
			r.out(ataRegCount, 0x55)
			if tc.selectDevice1 {
				r.out(ataRegDevice, 0xB0)
			}
			r.out(ataRegCommand, ataCmdDiagnostic)
			r.wait()
			assert.True(t, r.irq.level, "device 0 interrupts")
			assert.Equal(t, uint8(0x00), r.in(ataRegDevice), "device 0 selected")
			assert.Equal(t, uint8(0x50), r.status())
			assert.Equal(t, uint8(0x01), r.in(ataRegError), "passed")
			assert.Equal(t, []uint8{1, 1, 0, 0}, []uint8{r.in(ataRegCount), r.in(ataRegLBALow), r.in(ataRegLBAMid), r.in(ataRegLBAHigh)})
			if tc.slave {
				r.out(ataRegDevice, 0x10)
				assert.Equal(t, uint8(0x50), r.status())
				assert.Equal(t, uint8(0x01), r.in(ataRegError))
				assert.Equal(t, uint8(0x01), r.in(ataRegCount))
			}
		})
	}
}

func TestATASoftReset(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	// Leave a transfer half done, with an interrupt pending.
	r.lba28(0, 3, 2)
	r.out(ataRegCommand, ataCmdReadSectors)
	r.wait()
	r.readWords(10)
	require.True(t, r.irq.level)
	rises := r.irq.rises
	r.ctl(ataCtlSRST)
	assert.Equal(t, uint8(0x80), r.alt(), "BSY while SRST is set")
	assert.False(t, r.irq.level)
	r.wait()
	assert.Equal(t, uint8(0x80), r.alt(), "still BSY: SRST is held")
	r.out(ataRegLBALow, 0x99) // ignored while BSY
	r.ctl(0)
	assert.Equal(t, uint8(0x80), r.alt())
	r.wait()
	assert.Equal(t, uint8(0x50), r.status())
	assert.Equal(t, uint8(0x01), r.in(ataRegError))
	assert.Equal(t, []uint8{1, 1, 0, 0, 0}, []uint8{r.in(ataRegCount), r.in(ataRegLBALow), r.in(ataRegLBAMid), r.in(ataRegLBAHigh), r.in(ataRegDevice)})
	assert.Equal(t, rises, r.irq.rises, "no interrupt after a software reset")
	assert.Equal(t, uint32(0xFF7F), r.bus.In(ataTestBase, 2), "the transfer was aborted")
}

func TestATADevice0Only(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	r.out(ataRegDevice, 0xB0)
	assert.Equal(t, uint8(0x00), r.status(), "Status reads 00h")
	assert.Equal(t, uint8(0x00), r.alt(), "Alternate Status reads 00h")
	r.out(ataRegCount, 0x55)
	r.out(ataRegLBALow, 0xAA)
	assert.Equal(t, uint8(0x55), r.in(ataRegCount), "device 0 answers")
	assert.Equal(t, uint8(0xAA), r.in(ataRegLBALow))
	assert.Equal(t, uint8(0xB0), r.in(ataRegDevice))
	r.out(ataRegCommand, ataCmdIdentify)
	r.wait()
	assert.Equal(t, uint8(0x00), r.status(), "the command is ignored")
	assert.False(t, r.irq.level)
	assert.Equal(t, uint32(0xFF7F), r.bus.In(ataTestBase, 2))
	r.out(ataRegDevice, 0xA0)
	assert.Equal(t, uint8(0x50), r.status(), "device 0 did not run it either")
	assert.Equal(t, uint8(0x55), r.in(ataRegCount))
}

func TestATAEmptyChannel(t *testing.T) {
	r := newATARig(t, nil, nil)
	r.out(ataRegCount, 0x55)
	r.out(ataRegCommand, ataCmdIdentify)
	r.wait()
	for reg := ataRegError; reg <= ataRegStatus; reg++ {
		assert.Equal(t, uint8(0x7F), r.in(reg), "register %d", reg)
	}
	assert.Equal(t, uint8(0x7F), r.alt())
	assert.Equal(t, uint32(0xFF7F), r.bus.In(ataTestBase, 2))
	assert.Equal(t, uint32(0xFF7FFF7F), r.bus.In(ataTestBase, 4))
	assert.False(t, r.irq.level)
	assert.Nil(t, r.ch.Disk(0))
}

func TestATAMasterAndSlave(t *testing.T) {
	master := ataTestImage(t, ataDisk, false)
	slave := ataTestImage(t, ataDisk, true)
	r := newATARig(t, master, slave)
	assert.Same(t, slave, r.ch.Disk(1))
	want := make([]byte, 512)
	require.NoError(t, slave.ReadSectors(33, want))
	r.lba28(1, 33, 1)
	r.out(ataRegCommand, ataCmdReadSectors)
	r.wait()
	assert.True(t, r.irq.level)
	// Selecting the master releases INTRQ; reselecting the slave drives it
	// again.
	r.out(ataRegDevice, 0xE0)
	assert.False(t, r.irq.level)
	assert.Equal(t, uint8(0x50), r.alt(), "the master is idle")
	r.out(ataRegDevice, 0xF0)
	assert.True(t, r.irq.level)
	assert.Equal(t, uint8(0x58), r.status())
	assert.Equal(t, want, r.readWords(256))
	w := r.identify()
	assert.Equal(t, "GOX86-01F0-1        ", ataString(w[10:20]))
}

func TestATAInterruptEnable(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	r.ctl(ataCtlNIEN)
	r.out(ataRegCommand, ataCmdIdentify)
	r.wait()
	assert.False(t, r.irq.level, "nIEN releases INTRQ")
	assert.Equal(t, uint8(0x58), r.alt(), "Alternate Status leaves the interrupt pending")
	r.ctl(0)
	assert.True(t, r.irq.level, "the pending interrupt appears when nIEN clears")
	r.status()
	assert.False(t, r.irq.level)
}

func TestATADataPortWidths(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	r.out(ataRegCommand, ataCmdIdentify)
	r.wait()
	ref := r.readWords(256)

	// 32-bit reads move two words each.
	r.out(ataRegCommand, ataCmdIdentify)
	r.wait()
	var got []byte
	for i := 0; i < 128; i++ {
		v := r.bus.In(ataTestBase, 4)
		got = append(got, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	assert.Equal(t, ref, got)
	assert.Equal(t, uint8(0x50), r.status())

	// An 8-bit read takes a whole word and returns its low byte.
	r.out(ataRegCommand, ataCmdIdentify)
	r.wait()
	for i := 0; i < 256; i++ {
		require.Equal(t, uint32(ref[2*i]), r.bus.In(ataTestBase, 1), "word %d", i)
	}
	assert.Equal(t, uint8(0x50), r.status())

	// 32-bit writes.
	data := diskPattern(2)[512:]
	r.lba28(0, 50, 1)
	r.out(ataRegCommand, ataCmdWriteSectors)
	r.wait()
	for i := 0; i < 512; i += 4 {
		r.bus.Out(ataTestBase, 4, uint32(data[i])|uint32(data[i+1])<<8|uint32(data[i+2])<<16|uint32(data[i+3])<<24)
	}
	r.wait()
	assert.Equal(t, uint8(0x50), r.status())
	check := make([]byte, 512)
	require.NoError(t, r.ch.Disk(0).ReadSectors(50, check))
	assert.Equal(t, data, check)

	// A word read of the Error register reads Error and Sector Count.
	r.out(ataRegCount, 0x42)
	assert.Equal(t, uint32(0x4200), r.bus.In(ataTestBase+1, 2))
}

func TestATACommandsIgnoredWhileBusy(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	want := diskPattern(2)[512:]
	r.lba28(0, 1, 1)
	r.out(ataRegCommand, ataCmdReadSectors)
	r.out(ataRegCommand, ataCmdIdentify) // BSY: ignored
	r.out(ataRegCount, 0x77)             // BSY: ignored
	r.wait()
	assert.Equal(t, uint8(0x58), r.status())
	r.out(ataRegCommand, ataCmdIdentify) // DRQ: ignored
	r.wait()
	assert.Equal(t, want, r.readWords(256))
	assert.Equal(t, uint8(0x50), r.status())
	assert.Equal(t, uint8(0), r.in(ataRegCount))
}

func TestATAStateRoundTrip(t *testing.T) {
	img := ataTestImage(t, ataDisk, false)
	want := diskPattern(ataDisk)
	r := newATARig(t, img, nil)
	r.lba28(0, 60, 2)
	r.out(ataRegCommand, ataCmdReadSectors)
	r.wait()
	first := r.readWords(100)
	st := r.ch.State()

	r2 := newATARig(t, img, nil)
	require.NoError(t, r2.ch.SetState(st))
	assert.True(t, r2.irq.level, "the restored line level is driven")
	rest := r2.readWords(156)
	assert.Equal(t, want[60*512:61*512], append(first, rest...))
	assert.Equal(t, uint8(0xC0), r2.alt())
	st2 := r2.ch.State()
	assert.Equal(t, uint8(ataActReadBlock), st2.Devices[0].Action)

	// A pending timer survives the round trip.
	r3 := newATARig(t, img, nil)
	r3.clock.Advance(r2.clock.Now())
	require.NoError(t, r3.ch.SetState(st2))
	r3.wait()
	assert.Equal(t, uint8(0x58), r3.status())
	assert.Equal(t, want[61*512:62*512], r3.readWords(256))

	// Mismatched or corrupt states are refused.
	bad := st
	bad.Devices[1].Present = true
	assert.Error(t, r2.ch.SetState(bad))
	bad = st
	bad.Devices[0].Phase = 9
	assert.Error(t, r2.ch.SetState(bad))
	bad = st
	bad.Devices[0].Pos = 1
	assert.Error(t, r2.ch.SetState(bad))
	bad = st
	bad.Devices[0].Buffer = make([]byte, 100)
	assert.Error(t, r2.ch.SetState(bad))
	bad = st
	bad.Selected = 2
	assert.Error(t, r2.ch.SetState(bad))
}

func TestNewATAChannelErrors(t *testing.T) {
	img := ataTestImage(t, 8, false)
	_, err := NewATAChannel(NewBus(), NewClock(), 0x1F0, 0x3F6, nil, img, img)
	assert.Error(t, err)
	_, err = NewATAChannel(nil, NewClock(), 0x1F0, 0x3F6, nil, img, nil)
	assert.Error(t, err)
	bus := NewBus()
	_, err = NewATAChannel(bus, NewClock(), 0x1F0, 0x3F6, nil, img, nil)
	require.NoError(t, err)
	_, err = NewATAChannel(bus, NewClock(), 0x1F0, 0x376, nil, nil, nil)
	assert.Error(t, err)
	_, err = NewATAChannel(bus, NewClock(), 0x170, 0x3F6, nil, nil, nil)
	assert.Error(t, err)
	// The failed registration left the secondary's ports free.
	_, err = NewATAChannel(bus, NewClock(), 0x170, 0x376, nil, nil, nil)
	assert.NoError(t, err)
}

// TestATAEveryCommand issues every command code with junk in the task
// file: each ends, with or without data, and leaves the device usable.
func TestATAEveryCommand(t *testing.T) {
	for cmd := 0; cmd < 256; cmd++ {
		r := newATARig(t, ataTestImage(t, 64, false), ataTestImage(t, 64, true))
		for reg := ataRegError; reg <= ataRegLBAHigh; reg++ {
			r.out(reg, uint8(cmd*37+reg))
		}
		r.out(ataRegDevice, uint8(cmd)&0xEF)
		r.out(ataRegCommand, uint8(cmd))
		for i := 0; i < 1<<17; i++ {
			r.wait()
			st := r.alt()
			require.Zero(t, st&ataStatusBSY, "command %#x stays busy", cmd)
			if st&ataStatusDRQ == 0 {
				break
			}
			r.bus.In(ataTestBase, 2)
			r.bus.Out(ataTestBase, 2, 0)
		}
		require.Zero(t, r.alt()&(ataStatusBSY|ataStatusDRQ), "command %#x", cmd)
		r.out(ataRegDevice, 0)
		w := r.identify()
		require.Equal(t, uint16(0x0040), w[0], "command %#x", cmd)
	}
}

// FuzzATAPorts drives the channel with arbitrary port traffic and time: it
// must never panic, and BSY must always clear.
func FuzzATAPorts(f *testing.F) {
	f.Add([]byte{0x06, 0xE0, 0x02, 0x01, 0x07, 0x20, 0xFF, 0x00, 0x80, 0x00})
	f.Add([]byte{0x08, 0x04, 0x08, 0x00, 0x07, 0xEC, 0xFF, 0x80, 0x80, 0x80})
	f.Add([]byte{0x02, 0x03, 0x07, 0x30, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, ops []byte) {
		img, err := NewMemoryDiskImage(diskPattern(64))
		require.NoError(t, err)
		r := newATARig(t, img, nil)
		for i := 0; i+1 < len(ops); i += 2 {
			op, v := ops[i], ops[i+1]
			switch op & 0x0F {
			case 0x8:
				r.ctl(v)
			case 0x9:
				r.alt()
			case 0xA:
				r.bus.In(ataTestBase, 4)
			case 0xB:
				r.bus.Out(ataTestBase, 4, uint32(v)*0x01010101)
			case 0xC, 0xD:
				r.clock.Advance(r.clock.Now() + int64(v)*1000)
			case 0xF:
				st := r.ch.State()
				require.NoError(t, r.ch.SetState(st))
			default:
				reg := int(op & 7)
				if op&0x80 != 0 {
					r.in(reg)
				} else {
					r.out(reg, v)
				}
			}
		}
		r.ctl(0)
		r.wait()
		assert.Zero(t, r.alt()&ataStatusBSY)
	})
}

func TestATAHardwareReset(t *testing.T) {
	r := newATARig(t, ataTestImage(t, ataDisk, false), nil)
	r.out(ataRegCount, 8)
	r.out(ataRegCommand, ataCmdSetMultiple)
	r.wait()
	r.lba28(0, 0, 2)
	r.out(ataRegCommand, ataCmdReadSectors)
	r.ctl(ataCtlNIEN)
	r.ch.Reset()
	assert.Equal(t, uint8(0x50), r.status())
	assert.Equal(t, uint8(0x01), r.in(ataRegError))
	assert.Equal(t, uint8(0x01), r.in(ataRegCount))
	r.wait()
	assert.Equal(t, uint8(0x50), r.alt(), "the read was abandoned")
	assert.False(t, r.irq.level)
	rises := r.irq.rises
	assert.Equal(t, uint16(0), r.identify()[59], "multiple mode back to disabled")
	assert.Equal(t, rises+1, r.irq.rises, "nIEN cleared by the reset")
}
