package linux

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckSession checks the session checker itself on a transcript
// recorded from qemu-system-i386 -cpu pentium2 (family 6, model 5) and on
// edits of it, so it needs no fixture.
func TestCheckSession(t *testing.T) {
	b, err := os.ReadFile("testdata/qemu-session.txt")
	require.NoError(t, err)
	good := string(b)
	assert.Empty(t, CheckSession(good, 6, 5))
	assert.Empty(t, CheckSession(strings.ReplaceAll(good, "\n", "\r\n"), 6, 5), "CRLF line ends")

	// A PIC-only machine like gox86: the tick is IRQ 0 and there is no LOC.
	pic := func(timer, serial string) string {
		return "           CPU0       \n  0:  " + timer + "   XT-PIC      timer\n  2:  0   XT-PIC      cascade\n" +
			"  4:  " + serial + "   XT-PIC      ttyS0\nNMI:  0   Non-maskable interrupts\nERR:  0\n"
	}
	withIRQs := func(a, b string) string {
		i := strings.Index(good, "== interrupts 1\n")
		j := strings.Index(good, "== tmpfs\n")
		return good[:i] + "== interrupts 1\n" + a + "== interrupts 2\n" + b + good[j:]
	}
	assert.Empty(t, CheckSession(withIRQs(pic("100", "50"), pic("120", "90")), 6, 5))

	for _, tc := range []struct {
		name, text string
		family     int
		model      int
		want       string
	}{
		{"other model", good, 6, 3, "model"},
		{"no FPU", strings.Replace(good, "fpu\t\t: yes", "fpu\t\t: no", 1), 6, 5, "fpu"},
		{"FDIV bug", strings.Replace(good, "fdiv_bug\t: no", "fdiv_bug\t: yes", 1), 6, 5, "fdiv_bug"},
		{"wrong sum", strings.Replace(good, "sum=2001", "sum=2000", 1), 6, 5, "arithmetic"},
		{"timer stuck", withIRQs(pic("100", "50"), pic("100", "90")), 6, 5, "timer count did not rise"},
		{"serial stuck", withIRQs(pic("100", "50"), pic("120", "50")), 6, 5, "ttyS0 count did not rise"},
		{"tmpfs", strings.Replace(good, "lines=101", "lines=100", 1), 6, 5, "tmpfs"},
		{"cut short", good[:strings.Index(good, "== arith")], 6, 5, SessionEnd},
		{"no init", "Kernel panic - not syncing", 6, 5, SessionBegin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckSession(tc.text, tc.family, tc.model)
			require.NotEmpty(t, got)
			assert.Contains(t, strings.Join(got, "\n"), tc.want)
		})
	}
}

func TestParseInterrupts(t *testing.T) {
	in := ParseInterrupts("           CPU0\n  0:   1234   XT-PIC      timer\n  4:  7   XT-PIC  ttyS0\nLOC:   9   Local timer interrupts\nERR:   0\n")
	assert.Equal(t, uint64(1234), in.Count["0"])
	assert.Equal(t, "XT-PIC      timer", in.Desc["0"])
	assert.Equal(t, uint64(7), in.Count["4"])
	assert.Equal(t, uint64(9), in.Count["LOC"])
	assert.Equal(t, uint64(0), in.Count["ERR"])
	k, ok := in.row("ttyS0")
	assert.True(t, ok)
	assert.Equal(t, "4", k)
}

func TestWatcher(t *testing.T) {
	w := NewWatcher("READY")
	w.Write([]byte("boot... RE"))
	_, ok := w.Seen("READY")
	assert.False(t, ok)
	w.Write([]byte("ADY\n"))
	_, ok = w.Seen("READY")
	assert.True(t, ok, "marker split across writes")
	assert.True(t, w.WaitFor("boot", 0), "a marker already written")
	assert.False(t, w.WaitFor("never", 10*time.Millisecond))
	assert.Equal(t, "boot... READY\n", w.String())
	assert.Equal(t, 14, w.Len())
}
