// Host disk images for the ATA and floppy controllers. Sectors are 512
// bytes, the ATA/ATAPI-6 (T13 1410D) logical sector and the N=2 sector of
// the IBM PC diskette formats. Compressed images are recognised by their
// magic numbers: gzip (RFC 1952 §2.3.1: 1F 8B) and Zstandard (RFC 8878
// §3.1.1: frame magic FD2FB528, skippable frames 184D2A5?).
package devices

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/klauspost/compress/zstd"
)

// DiskSectorSize is the size of every sector a DiskImage stores.
const DiskSectorSize = 512

// ErrWriteProtected is returned by WriteSectors on a write-protected image.
var ErrWriteProtected = errors.New("devices: disk image is write-protected")

// ErrDiskClosed is returned by the methods of a closed image.
var ErrDiskClosed = errors.New("devices: disk image is closed")

// DiskImage is a disk image on the host, seen as an array of 512-byte
// sectors.
//
// By default (not writable) guest writes land in an in-memory
// copy-on-write overlay kept per sector, so the host file is never
// modified; the overlay lives as long as the DiskImage. A writable image
// writes straight through to the file. Compressed images (gzip or zstd)
// are decompressed into memory and can only be opened not writable.
//
// WriteProtected is a separate switch, the diskette's write-protect tab:
// while it is on, WriteSectors fails and the controllers report the
// error their specifications define.
//
// A DiskImage is not safe for concurrent use; the machine's devices use
// it from one goroutine.
type DiskImage struct {
	path     string
	format   string // "raw", "gzip", "zstd" or "memory"
	file     *os.File
	mem      []byte // the whole image, for compressed and in-memory images
	size     int64
	writable bool
	protect  bool
	closed   bool
	overlay  map[int64][]byte
}

// Magic numbers of the compressed formats.
var (
	diskGzipMagic = []byte{0x1F, 0x8B}
	diskZstdMagic = []byte{0x28, 0xB5, 0x2F, 0xFD}
)

// diskCompression names the compression of a file from its first bytes,
// or returns "" for a raw image.
func diskCompression(head []byte) string {
	switch {
	case len(head) >= 2 && head[0] == diskGzipMagic[0] && head[1] == diskGzipMagic[1]:
		return "gzip"
	case len(head) >= 4 && head[0] == diskZstdMagic[0] && head[1] == diskZstdMagic[1] &&
		head[2] == diskZstdMagic[2] && head[3] == diskZstdMagic[3]:
		return "zstd"
	case len(head) >= 4 && head[0]&0xF0 == 0x50 && head[1] == 0x2A && head[2] == 0x4D && head[3] == 0x18:
		// A skippable frame (RFC 8878 §3.1.2) may precede the data.
		return "zstd"
	}
	return ""
}

// OpenDiskImage opens the image at path. Raw images must be a non-zero
// multiple of 512 bytes long. gzip and zstd images are recognised by their
// magic bytes and decompressed into memory; they cannot be opened
// writable. With writable false, guest writes go to a copy-on-write
// overlay in memory and the file is opened read-only; with writable true
// the file is opened read-write and guest writes reach it.
func OpenDiskImage(path string, writable bool) (*DiskImage, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("devices: disk image %s does not exist", path)
		}
		return nil, fmt.Errorf("devices: opening disk image: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("devices: disk image %s: %w", path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("devices: disk image %s is a directory", path)
	}
	size := st.Size()
	if size == 0 {
		f.Close()
		return nil, fmt.Errorf("devices: disk image %s is empty", path)
	}
	head := make([]byte, 4)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("devices: reading disk image %s: %w", path, err)
	}
	if kind := diskCompression(head[:n]); kind != "" {
		defer f.Close()
		if writable {
			return nil, fmt.Errorf("devices: disk image %s is %s-compressed and can only be opened read-only (guest writes then stay in memory); decompress it to write to it", path, kind)
		}
		data, err := diskDecompress(f, kind)
		if err != nil {
			return nil, fmt.Errorf("devices: disk image %s: corrupt or truncated %s stream: %w", path, kind, err)
		}
		if len(data) == 0 {
			return nil, fmt.Errorf("devices: disk image %s decompresses to an empty image", path)
		}
		if len(data)%DiskSectorSize != 0 {
			return nil, fmt.Errorf("devices: disk image %s decompresses to %d bytes, not a multiple of the %d-byte sector", path, len(data), DiskSectorSize)
		}
		return &DiskImage{path: path, format: kind, mem: data, size: int64(len(data)), overlay: map[int64][]byte{}}, nil
	}
	if size%DiskSectorSize != 0 {
		f.Close()
		return nil, fmt.Errorf("devices: disk image %s is %d bytes long, not a multiple of the %d-byte sector", path, size, DiskSectorSize)
	}
	if writable {
		f.Close()
		if f, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
			return nil, fmt.Errorf("devices: opening disk image %s for writing: %w", path, err)
		}
	}
	return &DiskImage{path: path, format: "raw", file: f, size: size, writable: writable, overlay: map[int64][]byte{}}, nil
}

// diskDecompress reads the whole of a compressed stream.
func diskDecompress(r io.Reader, kind string) ([]byte, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	switch kind {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	case "zstd":
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("unknown compression %q", kind)
}

// NewMemoryDiskImage returns an image holding a copy of data, which must
// be a non-zero multiple of 512 bytes long. Guest writes go to the
// overlay, as for a file opened not writable.
func NewMemoryDiskImage(data []byte) (*DiskImage, error) {
	if len(data) == 0 {
		return nil, errors.New("devices: in-memory disk image is empty")
	}
	if len(data)%DiskSectorSize != 0 {
		return nil, fmt.Errorf("devices: in-memory disk image is %d bytes long, not a multiple of the %d-byte sector", len(data), DiskSectorSize)
	}
	return &DiskImage{format: "memory", mem: append([]byte(nil), data...), size: int64(len(data)), overlay: map[int64][]byte{}}, nil
}

// Path is the file the image was opened from ("" for in-memory images).
func (d *DiskImage) Path() string { return d.path }

// Format is "raw", "gzip", "zstd" or "memory".
func (d *DiskImage) Format() string { return d.format }

// Size is the image size in bytes (decompressed size for compressed
// images).
func (d *DiskImage) Size() int64 { return d.size }

// SectorCount is the number of 512-byte sectors.
func (d *DiskImage) SectorCount() int64 { return d.size / DiskSectorSize }

// ReadOnly reports whether the host file is protected from guest writes:
// true unless the image was opened writable. Guest writes to a read-only
// image still succeed; they go to the in-memory overlay.
func (d *DiskImage) ReadOnly() bool { return !d.writable }

// SetWriteProtected sets the write-protect switch (a diskette's tab).
func (d *DiskImage) SetWriteProtected(on bool) { d.protect = on }

// WriteProtected reports the write-protect switch.
func (d *DiskImage) WriteProtected() bool { return d.protect }

// OverlaySectors is the number of sectors the guest has written to the
// copy-on-write overlay.
func (d *DiskImage) OverlaySectors() int { return len(d.overlay) }

func (d *DiskImage) checkRange(op string, lba int64, buf []byte) error {
	if d.closed {
		return ErrDiskClosed
	}
	if len(buf)%DiskSectorSize != 0 {
		return fmt.Errorf("devices: %s of %d bytes is not a whole number of %d-byte sectors", op, len(buf), DiskSectorSize)
	}
	n := int64(len(buf) / DiskSectorSize)
	if lba < 0 || lba > d.SectorCount() || n > d.SectorCount()-lba {
		return fmt.Errorf("devices: %s of sectors %d-%d is outside the %d-sector image", op, lba, lba+n-1, d.SectorCount())
	}
	return nil
}

// ReadSectors reads len(buf)/512 sectors starting at sector lba.
func (d *DiskImage) ReadSectors(lba int64, buf []byte) error {
	if err := d.checkRange("read", lba, buf); err != nil {
		return err
	}
	n := int64(len(buf) / DiskSectorSize)
	for i := int64(0); i < n; {
		if s, ok := d.overlay[lba+i]; ok {
			copy(buf[i*DiskSectorSize:], s)
			i++
			continue
		}
		// A run of sectors that are not in the overlay.
		j := i + 1
		for j < n {
			if _, ok := d.overlay[lba+j]; ok {
				break
			}
			j++
		}
		if err := d.readBase((lba+i)*DiskSectorSize, buf[i*DiskSectorSize:j*DiskSectorSize]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

func (d *DiskImage) readBase(off int64, dst []byte) error {
	if d.file == nil {
		copy(dst, d.mem[off:])
		return nil
	}
	if _, err := d.file.ReadAt(dst, off); err != nil {
		return fmt.Errorf("devices: reading disk image %s at byte %d: %w", d.path, off, err)
	}
	return nil
}

// WriteSectors writes len(buf)/512 sectors starting at sector lba: to the
// file for a writable image, to the overlay otherwise.
func (d *DiskImage) WriteSectors(lba int64, buf []byte) error {
	if err := d.checkRange("write", lba, buf); err != nil {
		return err
	}
	if d.protect {
		return ErrWriteProtected
	}
	if d.writable {
		if _, err := d.file.WriteAt(buf, lba*DiskSectorSize); err != nil {
			return fmt.Errorf("devices: writing disk image %s at sector %d: %w", d.path, lba, err)
		}
		return nil
	}
	for i := 0; i < len(buf)/DiskSectorSize; i++ {
		s := d.overlay[lba+int64(i)]
		if s == nil {
			s = make([]byte, DiskSectorSize)
			d.overlay[lba+int64(i)] = s
		}
		copy(s, buf[i*DiskSectorSize:(i+1)*DiskSectorSize])
	}
	return nil
}

// Flush commits writes of a writable image to stable storage (the ATA
// FLUSH CACHE commands call it). It does nothing for other images.
func (d *DiskImage) Flush() error {
	if d.closed {
		return ErrDiskClosed
	}
	if d.writable {
		return d.file.Sync()
	}
	return nil
}

// Close releases the file and discards the overlay.
func (d *DiskImage) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	d.overlay = nil
	d.mem = nil
	if d.file != nil {
		err := d.file.Close()
		d.file = nil
		return err
	}
	return nil
}

// DiskGeometry is a cylinder/head/sector-per-track geometry.
type DiskGeometry struct {
	Cylinders, Heads, Sectors int
}

// SectorCount is Cylinders*Heads*Sectors.
func (g DiskGeometry) SectorCount() int64 {
	return int64(g.Cylinders) * int64(g.Heads) * int64(g.Sectors)
}

// FloppyGeometry returns the geometry of the standard PC diskette format
// of the given image size: 360K (40/2/9), 720K (80/2/9), 1.2M (80/2/15),
// 1.44M (80/2/18) and 2.88M (80/2/36).
func FloppyGeometry(size int64) (cyls, heads, spt int, ok bool) {
	switch size {
	case 368640:
		return 40, 2, 9, true
	case 737280:
		return 80, 2, 9, true
	case 1228800:
		return 80, 2, 15, true
	case 1474560:
		return 80, 2, 18, true
	case 2949120:
		return 80, 2, 36, true
	}
	return 0, 0, 0, false
}

// HardDiskGeometry is the default CHS geometry an ATA device reports in
// IDENTIFY DEVICE words 1, 3 and 6 (ATA/ATAPI-6 IDENTIFY DEVICE: devices
// over 16,514,064 sectors report 16383/16/63): 16 heads, 63 sectors per
// track, cylinders sectors/(16*63) capped at 16383 and at least 1.
func HardDiskGeometry(sectors int64) DiskGeometry {
	c := sectors / (16 * 63)
	if c > 16383 {
		c = 16383
	}
	if c < 1 {
		c = 1
	}
	return DiskGeometry{Cylinders: int(c), Heads: 16, Sectors: 63}
}

// BIOSDiskGeometry is the geometry a BIOS reports through INT 13h for a
// disk it drives with LBA-assisted translation: 63 sectors per track and
// the smallest head count of 16, 32, 64, 128 or 255 that keeps the
// cylinder count within 1024 (capped at 1024, at least 1).
func BIOSDiskGeometry(sectors int64) DiskGeometry {
	heads := 255
	for _, h := range []int{16, 32, 64, 128} {
		if sectors <= int64(1024*h*63) {
			heads = h
			break
		}
	}
	c := sectors / int64(heads*63)
	if c > 1024 {
		c = 1024
	}
	if c < 1 {
		c = 1
	}
	return DiskGeometry{Cylinders: int(c), Heads: heads, Sectors: 63}
}
