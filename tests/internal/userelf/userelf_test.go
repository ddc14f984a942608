package userelf

import (
	"context"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testLoad  = 0x00100000
	testEntry = testLoad + 0x10
)

// helloImage is a flat image loaded at testLoad: "hi\n" at its start,
// code at testEntry that writes it to fd 1 and exits with status 0.
func helloImage() []byte {
	img := make([]byte, 0x10)
	copy(img, "hi\n")
	return append(img,
		0xB8, 4, 0, 0, 0, // mov eax, 4 (write)
		0xBB, 1, 0, 0, 0, // mov ebx, 1
		0xB9, 0x00, 0x00, 0x10, 0x00, // mov ecx, testLoad
		0xBA, 3, 0, 0, 0, // mov edx, 3
		0xCD, 0x80, // int 80h
		0xB8, 1, 0, 0, 0, // mov eax, 1 (exit)
		0x31, 0xDB, // xor ebx, ebx
		0xCD, 0x80, // int 80h
	)
}

func TestSegmentRoundTrip(t *testing.T) {
	img := helloImage()
	elf := Build(img, testLoad, testEntry, 0x2000)
	got, vaddr, memSize, entry, ok := Segment(elf)
	require.True(t, ok)
	assert.Equal(t, img, got)
	assert.Equal(t, uint32(testLoad), vaddr)
	assert.Equal(t, uint32(0x2000), memSize)
	assert.Equal(t, uint32(testEntry), entry)
}

func TestSegmentRejects(t *testing.T) {
	good := Build(helloImage(), testLoad, testEntry, 0x2000)
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	tests := []struct {
		name string
		elf  []byte
	}{
		{"empty", nil},
		{"truncated header", good[:40]},
		{"truncated image", good[:len(good)-1]},
		{"bad magic", mutate(func(b []byte) []byte { b[1] = 'X'; return b })},
		{"64-bit class", mutate(func(b []byte) []byte { b[4] = 2; return b })},
		{"not i386", mutate(func(b []byte) []byte { b[18] = 62; return b })},
		{"not PT_LOAD", mutate(func(b []byte) []byte { b[52] = 2; return b })},
		{"program header out of file", mutate(func(b []byte) []byte { b[28] = 0xF0; b[29] = 0xFF; return b })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, _, ok := Segment(tc.elf)
			assert.False(t, ok)
		})
	}
}

func TestRun(t *testing.T) {
	hello := Build(helloImage(), testLoad, testEntry, 0x2000)
	// ud2 at the entry: #UD must be reported, not served.
	ud := make([]byte, 0x10)
	ud = append(ud, 0x0F, 0x0B)
	// exit(3)
	exit3 := append(make([]byte, 0x10), 0xB8, 1, 0, 0, 0, 0xBB, 3, 0, 0, 0, 0xCD, 0x80)
	// jmp $ never exits
	spin := append(make([]byte, 0x10), 0xEB, 0xFE)
	tests := []struct {
		name    string
		elf     []byte
		opt     Options
		want    string
		wantErr string
	}{
		{"kernel", hello, Options{StackTop: 0x1000, Budget: 1000}, "hi\n", ""},
		{"user with x87", hello, Options{User: true, FPU: true, StackTop: 0xF000, Budget: 1000}, "hi\n", ""},
		{"exception", Build(ud, testLoad, testEntry, 0x1000), Options{StackTop: 0x1000, Budget: 1000}, "", "vector 6"},
		{"exit status", Build(exit3, testLoad, testEntry, 0x1000), Options{StackTop: 0x1000, Budget: 1000}, "", "exit status 3"},
		{"budget", Build(spin, testLoad, testEntry, 0x1000), Options{StackTop: 0x1000, Budget: 1000}, "", "before exit"},
		{"bad ELF", []byte("nope"), Options{Budget: 1000}, "", "bad ELF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Run(tc.elf, tc.opt)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(out))
		})
	}
}

// TestRunMatchesQEMU runs the same file under qemu-i386, when installed.
func TestRunMatchesQEMU(t *testing.T) {
	qemu, err := exec.LookPath(QEMUName)
	if err != nil {
		t.Skipf("%s not found: install Debian's qemu-user package to compare with it", QEMUName)
	}
	elf := Build(helloImage(), testLoad, testEntry, 0x2000)
	ref, err := RunQEMU(context.Background(), qemu, t.TempDir(), "userelf", elf)
	require.NoError(t, err)
	ours, err := Run(elf, Options{User: true, StackTop: 0xF000, Budget: 1000})
	require.NoError(t, err)
	assert.Equal(t, string(ref), string(ours))
}
