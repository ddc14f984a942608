package devices

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// diskPatternCache holds the longest pattern built so far.
var diskPatternCache []byte

// diskPattern returns n sectors, each filled with bytes derived from its
// sector number so misplaced sectors are detected. The result is the
// caller's to modify.
func diskPattern(n int) []byte {
	if len(diskPatternCache) < n*DiskSectorSize {
		b := make([]byte, n*DiskSectorSize)
		for s := 0; s < n; s++ {
			for i := 0; i < DiskSectorSize; i++ {
				b[s*DiskSectorSize+i] = byte(s*7 + i*3 + s>>8)
			}
		}
		diskPatternCache = b
	}
	return append([]byte(nil), diskPatternCache[:n*DiskSectorSize]...)
}

func diskGzip(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func diskZstd(t *testing.T, data []byte) []byte {
	w, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	defer w.Close()
	return w.EncodeAll(data, nil)
}

func diskWriteFile(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func TestOpenDiskImageErrors(t *testing.T) {
	raw := diskPattern(8)
	gz := diskGzip(t, raw)
	zs := diskZstd(t, raw)
	corruptGz := append([]byte(nil), gz...)
	corruptGz[len(corruptGz)-6] ^= 0xFF // CRC32 trailer
	corruptZs := append([]byte(nil), zs...)
	corruptZs[len(corruptZs)/2] ^= 0xFF
	tests := []struct {
		name     string
		data     []byte // nil: do not create the file
		dir      bool
		writable bool
		want     string
	}{
		{name: "missing", want: "does not exist"},
		{name: "directory", dir: true, want: "is a directory"},
		{name: "empty", data: []byte{}, want: "is empty"},
		{name: "not a sector multiple", data: make([]byte, 1000), want: "not a multiple of the 512-byte sector"},
		{name: "truncated gzip", data: gz[:len(gz)/2], want: "corrupt or truncated gzip stream"},
		{name: "corrupt gzip", data: corruptGz, want: "corrupt or truncated gzip stream"},
		{name: "gzip header only", data: gz[:4], want: "corrupt or truncated gzip stream"},
		{name: "truncated zstd", data: zs[:len(zs)/2], want: "corrupt or truncated zstd stream"},
		{name: "corrupt zstd", data: corruptZs, want: "corrupt or truncated zstd stream"},
		{name: "gzip of odd size", data: diskGzip(t, make([]byte, 700)), want: "decompresses to 700 bytes"},
		{name: "gzip of nothing", data: diskGzip(t, nil), want: "decompresses to an empty image"},
		{name: "gzip writable", data: gz, writable: true, want: "gzip-compressed and can only be opened read-only"},
		{name: "zstd writable", data: zs, writable: true, want: "zstd-compressed and can only be opened read-only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "disk.img")
			switch {
			case tc.dir:
				require.NoError(t, os.Mkdir(p, 0o755))
			case tc.data != nil:
				require.NoError(t, os.WriteFile(p, tc.data, 0o644))
			}
			img, err := OpenDiskImage(p, tc.writable)
			require.Error(t, err)
			assert.Nil(t, img)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDiskImageFormats(t *testing.T) {
	raw := diskPattern(16)
	tests := []struct {
		name   string
		data   []byte
		format string
	}{
		{"raw", raw, "raw"},
		{"gzip", diskGzip(t, raw), "gzip"},
		{"zstd", diskZstd(t, raw), "zstd"},
		{"zstd after a skippable frame", append([]byte{0x50, 0x2A, 0x4D, 0x18, 2, 0, 0, 0, 0xAB, 0xCD}, diskZstd(t, raw)...), "zstd"},
		{"gzip multistream", append(diskGzip(t, raw[:4096]), diskGzip(t, raw[4096:])...), "gzip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := diskWriteFile(t, "disk.img", tc.data)
			img, err := OpenDiskImage(p, false)
			require.NoError(t, err)
			defer img.Close()
			assert.Equal(t, tc.format, img.Format())
			assert.Equal(t, int64(len(raw)), img.Size())
			assert.Equal(t, int64(16), img.SectorCount())
			assert.True(t, img.ReadOnly())
			assert.Equal(t, p, img.Path())
			got := make([]byte, len(raw))
			require.NoError(t, img.ReadSectors(0, got))
			assert.Equal(t, raw, got)

			// Guest writes go to the overlay; the file is untouched.
			w := bytes.Repeat([]byte{0xEE}, 2*DiskSectorSize)
			require.NoError(t, img.WriteSectors(5, w))
			require.NoError(t, img.ReadSectors(4, got[:4*DiskSectorSize]))
			assert.Equal(t, raw[4*512:5*512], got[:512])
			assert.Equal(t, w, got[512:3*512])
			assert.Equal(t, raw[7*512:8*512], got[3*512:4*512])
			assert.Equal(t, 2, img.OverlaySectors())
			onDisk, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, tc.data, onDisk)
		})
	}
}

func TestDiskImageWritable(t *testing.T) {
	raw := diskPattern(4)
	p := diskWriteFile(t, "disk.img", raw)
	img, err := OpenDiskImage(p, true)
	require.NoError(t, err)
	assert.False(t, img.ReadOnly())
	w := bytes.Repeat([]byte{0x5A}, DiskSectorSize)
	require.NoError(t, img.WriteSectors(2, w))
	require.NoError(t, img.Flush())
	assert.Equal(t, 0, img.OverlaySectors())
	require.NoError(t, img.Close())
	onDisk, err := os.ReadFile(p)
	require.NoError(t, err)
	want := append([]byte(nil), raw...)
	copy(want[2*512:], w)
	assert.Equal(t, want, onDisk)

	// A read-only file cannot be opened writable.
	require.NoError(t, os.Chmod(p, 0o444))
	if f, err := os.OpenFile(p, os.O_RDWR, 0); err == nil {
		f.Close()
		t.Skip("running with permissions that ignore file modes")
	}
	_, err = OpenDiskImage(p, true)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "for writing")
}

func TestDiskImageBounds(t *testing.T) {
	img, err := NewMemoryDiskImage(diskPattern(4))
	require.NoError(t, err)
	tests := []struct {
		name  string
		lba   int64
		bytes int
		ok    bool
	}{
		{"whole image", 0, 4 * 512, true},
		{"last sector", 3, 512, true},
		{"nothing at the end", 4, 0, true},
		{"past the end", 3, 2 * 512, false},
		{"start past the end", 4, 512, false},
		{"negative", -1, 512, false},
		{"partial sector", 0, 100, false},
		{"huge lba", 1 << 62, 512, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, tc.bytes)
			rerr := img.ReadSectors(tc.lba, buf)
			werr := img.WriteSectors(tc.lba, buf)
			if tc.ok {
				assert.NoError(t, rerr)
				assert.NoError(t, werr)
			} else {
				assert.Error(t, rerr)
				assert.Error(t, werr)
			}
		})
	}
}

func TestDiskImageWriteProtectAndClose(t *testing.T) {
	img, err := NewMemoryDiskImage(diskPattern(2))
	require.NoError(t, err)
	assert.Equal(t, "memory", img.Format())
	img.SetWriteProtected(true)
	assert.True(t, img.WriteProtected())
	assert.ErrorIs(t, img.WriteSectors(0, make([]byte, 512)), ErrWriteProtected)
	img.SetWriteProtected(false)
	assert.NoError(t, img.WriteSectors(0, make([]byte, 512)))
	require.NoError(t, img.Close())
	require.NoError(t, img.Close())
	assert.ErrorIs(t, img.ReadSectors(0, make([]byte, 512)), ErrDiskClosed)
	assert.ErrorIs(t, img.WriteSectors(0, make([]byte, 512)), ErrDiskClosed)
	assert.ErrorIs(t, img.Flush(), ErrDiskClosed)

	_, err = NewMemoryDiskImage(nil)
	assert.Error(t, err)
	_, err = NewMemoryDiskImage(make([]byte, 513))
	assert.Error(t, err)
}

func TestDiskImageFileShrunk(t *testing.T) {
	p := diskWriteFile(t, "disk.img", diskPattern(4))
	img, err := OpenDiskImage(p, false)
	require.NoError(t, err)
	defer img.Close()
	require.NoError(t, os.Truncate(p, 512))
	assert.Error(t, img.ReadSectors(2, make([]byte, 512)))
}

func TestFloppyGeometry(t *testing.T) {
	tests := []struct {
		size             int64
		cyls, heads, spt int
		ok               bool
	}{
		{368640, 40, 2, 9, true},
		{737280, 80, 2, 9, true},
		{1228800, 80, 2, 15, true},
		{1474560, 80, 2, 18, true},
		{2949120, 80, 2, 36, true},
		{1474560 + 512, 0, 0, 0, false},
		{0, 0, 0, 0, false},
	}
	for _, tc := range tests {
		c, h, s, ok := FloppyGeometry(tc.size)
		assert.Equal(t, tc.ok, ok, "size %d", tc.size)
		assert.Equal(t, [3]int{tc.cyls, tc.heads, tc.spt}, [3]int{c, h, s}, "size %d", tc.size)
		if ok {
			assert.Equal(t, tc.size, int64(c*h*s*512))
		}
	}
}

func TestHardDiskGeometry(t *testing.T) {
	tests := []struct {
		name    string
		sectors int64
		ata     DiskGeometry
		bios    DiskGeometry
	}{
		{"tiny", 100, DiskGeometry{1, 16, 63}, DiskGeometry{1, 16, 63}},
		{"10 MiB", 20480, DiskGeometry{20, 16, 63}, DiskGeometry{20, 16, 63}},
		{"504 MiB INT 13h limit", 1032192, DiskGeometry{1024, 16, 63}, DiskGeometry{1024, 16, 63}},
		{"just past it", 1033200, DiskGeometry{1025, 16, 63}, DiskGeometry{512, 32, 63}},
		{"1 GiB", 2097152, DiskGeometry{2080, 16, 63}, DiskGeometry{520, 64, 63}},
		{"2 GiB", 4194304, DiskGeometry{4161, 16, 63}, DiskGeometry{520, 128, 63}},
		{"8.4 GB CHS limit", 16514064, DiskGeometry{16383, 16, 63}, DiskGeometry{1024, 255, 63}},
		{"1 TiB", 1 << 31, DiskGeometry{16383, 16, 63}, DiskGeometry{1024, 255, 63}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.ata, HardDiskGeometry(tc.sectors))
			assert.Equal(t, tc.bios, BIOSDiskGeometry(tc.sectors))
			assert.LessOrEqual(t, BIOSDiskGeometry(tc.sectors).SectorCount(), max(tc.sectors, 1008))
		})
	}
}
