package syslinux

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Inputs from Debian's packages and the shared bench guest.
const (
	mbrBin     = "/usr/lib/syslinux/mbr/mbr.bin" // syslinux-common
	modulesDir = "/usr/lib/syslinux/modules/bios"
	seaBIOS    = "/usr/share/seabios/bios.bin" // seabios
	benchDir   = "../../../shared/bench"
)

// The hard disk's shape: 16 MiB, one partition from 1 MiB to the end.
const (
	diskBytes      = 16 << 20
	partStartLBA   = 2048
	partOffset     = partStartLBA * 512 // 1048576
	partSectors    = diskBytes/512 - partStartLBA
	floppyBytes    = 1474560
	floppyKiB      = floppyBytes / 1024
	partitionFAT16 = 0x06
)

// syslinuxCfg boots bench.elf through mboot.c32 at once (no prompt).
const syslinuxCfg = "DEFAULT bench\nLABEL bench\n  KERNEL mboot.c32\n  APPEND bench.elf\n"

// payload is what both images hold besides SYSLINUX itself.
var payload = []string{"mboot.c32", "libcom32.c32", "bench.elf", "syslinux.cfg"}

// tool is a program the image builder runs and the package that has it.
type tool struct{ name, pkg string }

var tools = []tool{
	{"sfdisk", "fdisk"},
	{"mkfs.fat", "dosfstools"},
	{"mcopy", "mtools"},
	{"syslinux", "syslinux"},
	{"dd", "coreutils"},
}

// dataFiles are files the builder reads and the package that has each.
var dataFiles = []tool{
	{mbrBin, "syslinux-common"},
	{filepath.Join(modulesDir, "mboot.c32"), "syslinux-common"},
	{filepath.Join(modulesDir, "libcom32.c32"), "syslinux-common"},
}

// lookTool finds a tool in PATH or in the sbin folders, which a non-root
// PATH may lack.
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// errMissing says which package to install; tests skip on it.
type errMissing struct{ what, pkg string }

func (e *errMissing) Error() string {
	return fmt.Sprintf("%s is missing: install the Debian package %s (apt-get install %s)", e.what, e.pkg, e.pkg)
}

// benchImages are the two bootable images, built once per test run.
type benchImages struct {
	disk, floppy string
}

var (
	workDir    string // removed when the test binary ends
	imagesOnce sync.Once
	images     benchImages
	imagesErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gox86-syslinux-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needImages returns the bench disks, building them on first use; it
// skips the test when a package is missing and fails it when a build
// step fails.
func needImages(t *testing.T) benchImages {
	t.Helper()
	imagesOnce.Do(func() { images, imagesErr = buildImages(filepath.Join(workDir, "images")) })
	if m := (*errMissing)(nil); errors.As(imagesErr, &m) {
		t.Skip(m.Error())
	}
	if imagesErr != nil {
		t.Fatalf("building the SYSLINUX bench disks: %v", imagesErr)
	}
	return images
}

// builder runs the image tools with their paths resolved.
type builder struct {
	dir   string
	paths map[string]string
}

func (b *builder) run(stdin string, name string, args ...string) error {
	cmd := exec.Command(b.paths[name], args...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "LC_ALL=C")
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// buildImages makes disk.img and floppy.img in dir.
func buildImages(dir string) (benchImages, error) {
	b := &builder{dir: dir, paths: map[string]string{}}
	for _, tl := range tools {
		p, err := lookTool(tl.name)
		if err != nil {
			return benchImages{}, &errMissing{tl.name, tl.pkg}
		}
		b.paths[tl.name] = p
	}
	for _, f := range dataFiles {
		if _, err := os.Stat(f.name); err != nil {
			return benchImages{}, &errMissing{f.name, f.pkg}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return benchImages{}, err
	}
	// The files to copy onto both images, gathered in dir.
	elf, err := os.ReadFile(filepath.Join(benchDir, "bench.elf"))
	if err != nil {
		return benchImages{}, fmt.Errorf("the bench guest (shared/bench): %v", err)
	}
	files := map[string][]byte{"bench.elf": elf, "syslinux.cfg": []byte(syslinuxCfg)}
	for _, m := range []string{"mboot.c32", "libcom32.c32"} {
		if files[m], err = os.ReadFile(filepath.Join(modulesDir, m)); err != nil {
			return benchImages{}, err
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return benchImages{}, err
		}
	}
	disk := filepath.Join(dir, "disk.img")
	if err := b.buildDisk(disk); err != nil {
		return benchImages{}, err
	}
	floppy := filepath.Join(dir, "floppy.img")
	if err := b.buildFloppy(floppy); err != nil {
		return benchImages{}, err
	}
	return benchImages{disk: disk, floppy: floppy}, nil
}

// buildDisk makes the 16 MiB hard disk: MBR with SYSLINUX's boot code,
// one active FAT16 partition at 1 MiB holding SYSLINUX and the payload.
func (b *builder) buildDisk(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Truncate(diskBytes); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	table := fmt.Sprintf("label: dos\nstart=%d, size=%d, type=%x, bootable\n", partStartLBA, partSectors, partitionFAT16)
	steps := []struct {
		stdin string
		name  string
		args  []string
	}{
		{table, "sfdisk", []string{"--quiet", "--no-reread", "--no-tell-kernel", path}},
		// The MBR boot code is the first 440 bytes: the disk signature
		// and the partition table after it stay as sfdisk wrote them.
		{"", "dd", []string{"if=" + mbrBin, "of=" + path, "bs=440", "count=1", "conv=notrunc", "status=none"}},
		{"", "mkfs.fat", []string{"-F", "16", "-n", "BENCH", "--invariant",
			"-h", fmt.Sprint(partStartLBA), "--offset", fmt.Sprint(partStartLBA),
			path, fmt.Sprint(partSectors / 2)}},
		{"", "mcopy", append(append([]string{"-i", fmt.Sprintf("%s@@%d", path, partOffset)}, payload...), "::/")},
		{"", "syslinux", []string{"--install", "--offset", fmt.Sprint(partOffset), path}},
	}
	for _, s := range steps {
		if err := b.run(s.stdin, s.name, s.args...); err != nil {
			return err
		}
	}
	return nil
}

// buildFloppy makes the 1.44 MB FAT12 floppy with SYSLINUX and the
// payload.
func (b *builder) buildFloppy(path string) error {
	if err := b.run("", "mkfs.fat", "-C", "-F", "12", "-n", "BENCH", "--invariant", path, fmt.Sprint(floppyKiB)); err != nil {
		return err
	}
	if err := b.run("", "mcopy", append(append([]string{"-i", path}, payload...), "::/")...); err != nil {
		return err
	}
	return b.run("", "syslinux", "--install", path)
}

// listFiles returns the names in an image's root folder, hidden ones too.
func listFiles(t *testing.T, image string) []string {
	t.Helper()
	mdir, err := lookTool("mdir")
	if err != nil {
		t.Skip((&errMissing{"mdir", "mtools"}).Error())
	}
	cmd := exec.Command(mdir, "-a", "-b", "-i", image, "::/")
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mdir %s: %v\n%s", image, err, out)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		names = append(names, strings.ToLower(strings.TrimPrefix(strings.TrimSpace(l), "::/")))
	}
	return names
}

func le16(p []byte) uint32 { return uint32(p[0]) | uint32(p[1])<<8 }
func le32(p []byte) uint32 { return le16(p) | le16(p[2:])<<16 }

// TestImages checks that the builder made what the acceptance describes,
// so a boot failure is not a malformed image.
func TestImages(t *testing.T) {
	img := needImages(t)

	t.Run("disk", func(t *testing.T) {
		data, err := os.ReadFile(img.disk)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != diskBytes {
			t.Fatalf("disk is %d bytes, want %d", len(data), diskBytes)
		}
		mbr, err := os.ReadFile(mbrBin)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data[:440], mbr[:440]) {
			t.Errorf("MBR boot code is not SYSLINUX's mbr.bin")
		}
		if data[510] != 0x55 || data[511] != 0xAA {
			t.Errorf("MBR has no 55AA signature")
		}
		for k := 0; k < 4; k++ {
			e := data[0x1BE+16*k : 0x1BE+16*k+16]
			if k > 0 {
				if !bytes.Equal(e, make([]byte, 16)) {
					t.Errorf("partition entry %d is not empty: % x", k+1, e)
				}
				continue
			}
			if e[0] != 0x80 || e[4] != partitionFAT16 || le32(e[8:]) != partStartLBA || le32(e[12:]) != partSectors {
				t.Errorf("partition 1: status %02x type %02x start %d size %d; want 80, %02x, %d, %d",
					e[0], e[4], le32(e[8:]), le32(e[12:]), partitionFAT16, partStartLBA, partSectors)
			}
		}
		vbr := data[partOffset : partOffset+512]
		if string(vbr[3:11]) != "SYSLINUX" || string(vbr[54:62]) != "FAT16   " || vbr[510] != 0x55 || vbr[511] != 0xAA {
			t.Errorf("partition boot sector is not a SYSLINUX FAT16 one: OEM %q, type %q", vbr[3:11], vbr[54:62])
		}
		if h := le32(vbr[28:]); h != partStartLBA {
			t.Errorf("partition boot sector: %d hidden sectors, want %d", h, partStartLBA)
		}
		checkFiles(t, listFiles(t, fmt.Sprintf("%s@@%d", img.disk, partOffset)))
	})

	t.Run("floppy", func(t *testing.T) {
		data, err := os.ReadFile(img.floppy)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != floppyBytes {
			t.Fatalf("floppy is %d bytes, want %d", len(data), floppyBytes)
		}
		if string(data[3:11]) != "SYSLINUX" || string(data[54:62]) != "FAT12   " || data[510] != 0x55 || data[511] != 0xAA {
			t.Errorf("boot sector is not a SYSLINUX FAT12 one: OEM %q, type %q", data[3:11], data[54:62])
		}
		if spt, heads := le16(data[24:]), le16(data[26:]); spt != 18 || heads != 2 {
			t.Errorf("floppy geometry %d heads × %d sectors, want 2 × 18", heads, spt)
		}
		checkFiles(t, listFiles(t, img.floppy))
	})
}

func checkFiles(t *testing.T, names []string) {
	t.Helper()
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, want := range append([]string{"ldlinux.sys", "ldlinux.c32"}, payload...) {
		if !have[want] {
			t.Errorf("%s is not on the image (it holds %v)", want, names)
		}
	}
}
