package platform

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func zstdBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	w, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	defer w.Close()
	return w.EncodeAll(data, nil)
}

// patterned returns n bytes that do not compress to nothing.
func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131 + i>>9)
	}
	return b
}

// badImage is a disk image file that must not open, and the words its
// error must contain.
type badImage struct {
	name     string
	data     []byte // file contents; nil: do not create the file
	dir      bool   // create a directory instead
	writable bool
	want     string
}

// badImages are the broken disk images both the library and the CLI
// must refuse with a clear error.
func badImages(t testing.TB) []badImage {
	sector := patterned(512)
	floppy := patterned(1474560)
	gz := gzipBytes(t, floppy)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xFF // the CRC-32 in the gzip trailer
	zs := zstdBytes(t, floppy)
	// A zstd skippable frame (magic 184D2A50h, 4 bytes of length) and
	// nothing else: a valid stream of no data.
	skippable := []byte{0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4}
	return []badImage{
		{name: "missing", want: "does not exist"},
		{name: "directory", dir: true, want: "is a directory"},
		{name: "empty", data: []byte{}, want: "is empty"},
		{name: "one byte", data: []byte{0}, want: "not a multiple of the 512-byte sector"},
		{name: "1000 bytes", data: patterned(1000), want: "is 1000 bytes long, not a multiple of the 512-byte sector"},
		{name: "diskette one byte short", data: floppy[:len(floppy)-1], want: "not a multiple of the 512-byte sector"},
		{name: "gzip magic only", data: []byte{0x1F, 0x8B}, want: "corrupt or truncated gzip stream"},
		{name: "gzip garbage", data: append([]byte{0x1F, 0x8B}, patterned(4096)...), want: "corrupt or truncated gzip stream"},
		{name: "gzip truncated", data: gz[:len(gz)/2], want: "corrupt or truncated gzip stream"},
		{name: "gzip bad CRC", data: badCRC, want: "corrupt or truncated gzip stream"},
		{name: "gzip of 1000 bytes", data: gzipBytes(t, patterned(1000)), want: "decompresses to 1000 bytes, not a multiple of the 512-byte sector"},
		{name: "gzip of nothing", data: gzipBytes(t, nil), want: "decompresses to an empty image"},
		{name: "gzip opened writable", data: gzipBytes(t, sector), writable: true, want: "gzip-compressed and can only be opened read-only"},
		{name: "zstd magic only", data: []byte{0x28, 0xB5, 0x2F, 0xFD}, want: "corrupt or truncated zstd stream"},
		{name: "zstd garbage", data: append([]byte{0x28, 0xB5, 0x2F, 0xFD}, patterned(4096)...), want: "corrupt or truncated zstd stream"},
		{name: "zstd truncated", data: zs[:len(zs)/2], want: "corrupt or truncated zstd stream"},
		{name: "zstd of 1000 bytes", data: zstdBytes(t, patterned(1000)), want: "decompresses to 1000 bytes, not a multiple of the 512-byte sector"},
		{name: "zstd skippable frame only", data: skippable, want: "decompresses to an empty image"},
		{name: "zstd opened writable", data: zstdBytes(t, sector), writable: true, want: "zstd-compressed and can only be opened read-only"},
	}
}

// writeBadImage creates the image's file in dir and returns its path.
func writeBadImage(t testing.TB, dir string, tc badImage) string {
	t.Helper()
	path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".img")
	switch {
	case tc.dir:
		require.NoError(t, os.Mkdir(path, 0o755))
	case tc.data != nil:
		require.NoError(t, os.WriteFile(path, tc.data, 0o644))
	}
	return path
}

// TestDiskImageErrors opens broken disk images: each must fail with an
// error that names the file and says what is wrong, on one line.
func TestDiskImageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range badImages(t) {
		t.Run(tc.name, func(t *testing.T) {
			path := writeBadImage(t, dir, tc)
			img, err := devices.OpenDiskImage(path, tc.writable)
			require.Error(t, err)
			require.Nil(t, img)
			msg := err.Error()
			require.Contains(t, msg, tc.want)
			require.Contains(t, msg, path, "the error should name the file")
			require.NotContains(t, msg, "\n")
		})
	}
}

// TestDiskImageGood is the control for TestDiskImageErrors: the same
// kinds of image, well formed, open and read back, and reads outside
// them fail without panicking.
func TestDiskImageGood(t *testing.T) {
	dir := t.TempDir()
	data := patterned(1474560)
	for _, tc := range []struct {
		name, format string
		file         []byte
	}{
		{"raw", "raw", data},
		{"gzip", "gzip", gzipBytes(t, data)},
		{"zstd", "zstd", zstdBytes(t, data)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".img")
			require.NoError(t, os.WriteFile(path, tc.file, 0o644))
			img, err := devices.OpenDiskImage(path, false)
			require.NoError(t, err)
			defer img.Close()
			require.Equal(t, tc.format, img.Format())
			require.Equal(t, int64(len(data)), img.Size())
			buf := make([]byte, 1024)
			require.NoError(t, img.ReadSectors(2878, buf))
			require.Equal(t, data[len(data)-1024:], buf)
			require.Error(t, img.ReadSectors(2879, buf))
			require.Error(t, img.ReadSectors(-1, buf[:512]))
			require.Error(t, img.ReadSectors(1<<62, buf[:512]))
			require.Error(t, img.WriteSectors(2880, buf[:512]))
		})
	}
}

// TestDiskGeometryErrors attaches disks the controllers cannot use: a
// diskette image of no standard diskette size must be refused by New.
func TestDiskGeometryErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sectors int
		want    string
	}{
		{"1 MiB diskette", 2048, "not a standard diskette size"},
		{"one sector diskette", 1, "not a standard diskette size"},
		{"1.44 MB plus a sector", 2881, "not a standard diskette size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := devices.NewMemoryDiskImage(make([]byte, tc.sectors*512))
			require.NoError(t, err)
			_, err = gox86.New(gox86.Config{MemoryBytes: 2 << 20, Floppy: [2]*devices.DiskImage{img}})
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := devices.NewMemoryDiskImage(nil)
	require.Error(t, err)
	_, err = devices.NewMemoryDiskImage(make([]byte, 700))
	require.Error(t, err)
}
