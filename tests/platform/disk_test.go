package platform

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gox86/gox86"
	"github.com/gox86/gox86/devices"
)

// Disks the boot-sector guests run with.
const (
	// hdSectors is 2 x 16 x 63: the BIOS's CHS geometry and the ATA
	// default translation both cover the disk exactly.
	hdSectors = 2016
	// fdSectors is a 1.44 MB diskette, 80 x 2 x 18.
	fdSectors = 2880
	// fdMark is added to a diskette sector's LBA in its first dword.
	fdMark = 0xF1000000
)

// patternSector fills a sector as the guests expect: the first dword is
// tag (the LBA, plus fdMark on diskettes), the second its complement,
// the rest bytes derived from it.
func patternSector(sec []byte, tag uint32) {
	binary.LittleEndian.PutUint32(sec[0:], tag)
	binary.LittleEndian.PutUint32(sec[4:], ^tag)
	for i := 8; i < len(sec); i++ {
		sec[i] = byte(tag*7 + uint32(i))
	}
}

// hardDisk builds an in-memory disk of n sectors: the boot program
// first, patterned sectors after it.
func hardDisk(t testing.TB, prog []byte, n int) *devices.DiskImage {
	t.Helper()
	data := make([]byte, n*devices.DiskSectorSize)
	for s := 0; s < n; s++ {
		patternSector(data[s*devices.DiskSectorSize:(s+1)*devices.DiskSectorSize], uint32(s))
	}
	require.LessOrEqual(t, len(prog), len(data))
	copy(data, prog)
	d, err := devices.NewMemoryDiskImage(data)
	require.NoError(t, err)
	return d
}

// floppy builds a patterned 1.44 MB diskette.
func floppy(t testing.TB) *devices.DiskImage {
	t.Helper()
	data := make([]byte, fdSectors*devices.DiskSectorSize)
	for s := 0; s < fdSectors; s++ {
		patternSector(data[s*devices.DiskSectorSize:(s+1)*devices.DiskSectorSize], fdMark+uint32(s))
	}
	d, err := devices.NewMemoryDiskImage(data)
	require.NoError(t, err)
	return d
}

// runBoot boots the built-in BIOS with the given disks and returns what
// the guest printed on port E9h.
func runBoot(t testing.TB, cfg gox86.Config, limit uint64) (string, gox86.Result) {
	t.Helper()
	con := &syncBuffer{}
	cfg.DebugCon = con
	cfg.NoReboot = true
	if cfg.MemoryBytes == 0 {
		cfg.MemoryBytes = 4 << 20
	}
	m, err := gox86.New(cfg)
	require.NoError(t, err)
	res := m.Run(limit)
	return con.String(), res
}

// guestLines parses lines of "name key=value ..." into a map by name.
func guestLines(out string) map[string]map[string]string {
	lines := map[string]map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kv := map[string]string{}
		for _, w := range f[1:] {
			if k, v, ok := strings.Cut(w, "="); ok {
				kv[k] = v
			}
		}
		lines[f[0]] = kv
	}
	return lines
}

// TestDiskReadsPastEnd boots the diskerr guest, which asks for sectors
// beyond the end of its disks through INT 13h (CHS and EDD; reads,
// writes and verifies; hard disk and diskette) and through the ATA
// ports, and checks each answer against what a PC returns:
//
//   - INT 13h: CF set and AH = 04h ("sector not found", the AT BIOS's
//     status when the drive reports IDNF), nothing transferred (AL = 0
//     for CHS calls, the packet's block count 0 for EDD calls, the
//     buffer untouched);
//   - ATA: Status DRDY|DSC|ERR (51h) and Error IDNF (10h); a transfer
//     that runs off the end delivers the sectors before the end, then
//     fails with the task file pointing at the first missing sector
//     (ATA/ATAPI-6 clause 8, error outputs).
//
// In-range reads of the last sector of each disk are checked as well,
// with their data.
func TestDiskReadsPastEnd(t *testing.T) {
	out, res := runBoot(t, gox86.Config{
		HardDisk: [4]*devices.DiskImage{hardDisk(t, guest(t, "diskerr"), hdSectors)},
		Floppy:   [2]*devices.DiskImage{nil, floppy(t)},
	}, 50_000_000)
	requireExitOK(t, res, out)
	got := guestLines(out)
	chsNotFound := map[string]string{"cf": "1", "ah": "04", "al": "00"}
	eddNotFound := map[string]string{"cf": "1", "ah": "04", "dap": "0000"}
	idnf := map[string]string{"st": "51", "err": "10"}
	last := fmt.Sprintf("%08X", hdSectors-1)
	tests := []struct {
		name string
		want map[string]string
	}{
		{name: "chs-read-ok", want: map[string]string{"cf": "0", "ah": "00", "al": "01", "data": fmt.Sprintf("%08X", 16*63)}},
		{name: "chs-read-last", want: map[string]string{"cf": "0", "ah": "00", "al": "01", "data": last}},
		{name: "chs-cylinder-beyond", want: map[string]string{"cf": "1", "ah": "04", "al": "00", "data": "DEADBEEF"}},
		{name: "chs-cylinder-1023", want: chsNotFound},
		{name: "chs-head-beyond", want: chsNotFound},
		{name: "chs-sector-zero", want: chsNotFound},
		{name: "chs-run-past-end", want: chsNotFound},
		{name: "chs-write-beyond", want: chsNotFound},
		{name: "chs-verify-beyond", want: chsNotFound},
		// A drive that is not there: an error, whichever code.
		{name: "chs-no-such-disk", want: map[string]string{"cf": "1"}},
		{name: "fd-read-last", want: map[string]string{"cf": "0", "ah": "00", "al": "01", "data": fmt.Sprintf("%08X", fdMark+fdSectors-1)}},
		{name: "fd-sector-beyond", want: chsNotFound},
		{name: "fd-head-beyond", want: chsNotFound},
		{name: "fd-cylinder-beyond", want: chsNotFound},
		{name: "edd-read-last", want: map[string]string{"cf": "0", "ah": "00", "dap": "0001", "data": last}},
		{name: "edd-lba-beyond", want: map[string]string{"cf": "1", "ah": "04", "dap": "0000", "data": "DEADBEEF"}},
		{name: "edd-lba-4g", want: eddNotFound},
		{name: "edd-run-past-end", want: eddNotFound},
		{name: "edd-lba-wraps", want: eddNotFound},
		{name: "edd-write-beyond", want: eddNotFound},
		{name: "edd-verify-beyond", want: eddNotFound},
		{name: "ata-read-last", want: map[string]string{"st": "50", "data": last}},
		{name: "ata-lba28-beyond", want: map[string]string{"st": "51", "err": "10", "lba": "000007E0", "cnt": "01"}},
		{name: "ata-lba28-max", want: idnf},
		// DRQ for the last sector, then IDNF for the one after it.
		{name: "ata-run-past-end", want: map[string]string{"first": "58", "st": "51", "err": "10", "lba": "000007E0", "cnt": "01", "data": last}},
		{name: "ata-write-beyond", want: idnf},
		{name: "ata-verify-beyond", want: idnf},
		{name: "ata-seek-beyond", want: idnf},
		{name: "ata-lba48-beyond", want: idnf},
		{name: "ata-chs-beyond", want: idnf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields, ok := got[tc.name]
			require.True(t, ok, "the guest printed no %s line:\n%s", tc.name, out)
			for k, v := range tc.want {
				require.Equal(t, v, fields[k], "%s: field %s\nline: %v", tc.name, k, fields)
			}
		})
	}
	require.NotEqual(t, "00", got["chs-no-such-disk"]["ah"], "no status for a missing drive")
	// AH=01h after a failed read returns its status, 04h: in AL with AH
	// = 00h (IBM PC/AT, as Duncan's Advanced MS-DOS documents it) or in
	// AH (Ralf Brown's list, SeaBIOS; "some BIOSes return it in AL").
	st := got["last-status"]
	require.True(t, st["al"] == "04" || st["ah"] == "04", "INT 13h AH=01h after a failed read: %v", st)
}
