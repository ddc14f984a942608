package conformance

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The MOO format, as ../shared/conformance/README.md describes it:
// [4-byte tag][u32 length][body] chunks, little-endian.

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// chunk frames body parts under a tag.
func chunk(tag string, parts ...[]byte) []byte {
	if len(tag) != 4 {
		panic("tag " + tag)
	}
	body := cat(parts...)
	return cat([]byte(tag), le32(uint32(len(body))), body)
}

// regsChunk writes the registers of s whose bits are set, in bitmask order.
func regsChunk(s State) []byte {
	out := le16(s.Set)
	for i := 0; i < NumRegs; i++ {
		if s.Set&(1<<i) != 0 {
			out = append(out, le16(s.Regs[i])...)
		}
	}
	return chunk("REGS", out)
}

func ramChunk(ram []MemByte) []byte {
	out := le32(uint32(len(ram)))
	for _, m := range ram {
		out = append(out, le32(m.Addr)...)
		out = append(out, m.Value)
	}
	return chunk("RAM ", out)
}

func stateChunk(tag string, s State) []byte {
	return chunk(tag, regsChunk(s), ramChunk(s.RAM), chunk("QUEU", le32(0)))
}

// encodeTest is the inverse of parseTest.
func encodeTest(t Test) []byte {
	parts := [][]byte{
		le32(uint32(t.Index)),
		chunk("NAME", le32(uint32(len(t.Name))), []byte(t.Name)),
		chunk("BYTS", le32(uint32(len(t.Bytes))), t.Bytes),
		stateChunk("INIT", t.Init),
		stateChunk("FINA", t.Final),
	}
	if t.Exception >= 0 {
		parts = append(parts, chunk("EXCP", []byte{byte(t.Exception)}, le32(t.FlagsAddr)))
	}
	parts = append(parts, chunk("HASH", t.Hash[:]), chunk("GMET", []byte("generator")))
	return chunk("TEST", parts...)
}

// encodeMOO builds a whole uncompressed MOO stream.
func encodeMOO(tests ...Test) []byte {
	out := chunk("MOO ", []byte{1, 0, 0, 0}, le32(uint32(len(tests))), []byte("C286"))
	out = append(out, chunk("META", []byte("mnemonic"))...)
	for _, t := range tests {
		out = append(out, encodeTest(t)...)
	}
	return out
}

// fullState returns a state with all 14 registers set from regs (MOO
// bitmask order) and the given RAM.
func fullState(regs [NumRegs]uint16, ram ...MemByte) State {
	return State{Set: 1<<NumRegs - 1, Regs: regs, RAM: ram}
}

// sampleTest is a plausible test record with every field filled in.
func sampleTest() Test {
	var regs [NumRegs]uint16
	for i := range regs {
		regs[i] = uint16(0x1111 * (i + 1))
	}
	fin := State{Set: 1<<RegAX | 1<<RegIP | 1<<RegFlags}
	fin.Regs[RegAX], fin.Regs[RegIP], fin.Regs[RegFlags] = 0xBEEF, 0x0102, 0xF002
	tt := Test{
		Index:     7,
		Name:      "inc ax",
		Bytes:     []byte{0x40, 0xF4},
		Init:      fullState(regs, MemByte{0x10100, 0x40}, MemByte{0x10101, 0xF4}),
		Final:     fin,
		Exception: 13,
		FlagsAddr: 0x2FFFA,
	}
	for i := range tt.Hash {
		tt.Hash[i] = byte(i * 13)
	}
	tt.Final.RAM = []MemByte{{0x2FFFA, 0x02}, {0x2FFFB, 0xF0}}
	return tt
}

func TestParseRoundTrip(t *testing.T) {
	a := sampleTest()
	b := sampleTest()
	b.Index, b.Exception, b.FlagsAddr, b.Name = 8, -1, 0, ""
	b.Final = State{RAM: []MemByte{}}
	tests, err := Parse(encodeMOO(a, b))
	require.NoError(t, err)
	require.Len(t, tests, 2)
	assert.Equal(t, a, tests[0])
	assert.Equal(t, b, tests[1])
	assert.Equal(t, -1, tests[1].Exception, "no EXCP chunk: no exception")
}

func TestParseEmptyAndHeaderOnly(t *testing.T) {
	tests, err := Parse(nil)
	assert.NoError(t, err)
	assert.Empty(t, tests)

	tests, err = Parse(encodeMOO())
	assert.NoError(t, err)
	assert.Empty(t, tests)

	// A short MOO header or an unknown chunk is skipped.
	tests, err = Parse(cat(chunk("MOO ", []byte{1}), chunk("XYZW", []byte{1, 2, 3}), encodeTest(sampleTest())))
	assert.NoError(t, err)
	assert.Len(t, tests, 1)
}

// The REGS body is a u16 bitmask and then one u16 per set bit, in the order
// ax bx cx dx cs ss ds es sp bp si di ip flags (README, "Format").
func TestParseREGSBitmaskOrder(t *testing.T) {
	tests := []struct {
		name   string
		mask   uint16
		values []uint16
		want   map[int]uint16
	}{
		{"none", 0, nil, map[int]uint16{}},
		{"ax only", 1 << 0, []uint16{0xAAAA}, map[int]uint16{RegAX: 0xAAAA}},
		{"flags only", 1 << 13, []uint16{0xF0F0}, map[int]uint16{RegFlags: 0xF0F0}},
		{"cx es ip flags", 1<<2 | 1<<7 | 1<<12 | 1<<13, []uint16{0x0C0C, 0x0E5E, 0x1234, 0x0046},
			map[int]uint16{RegCX: 0x0C0C, RegES: 0x0E5E, RegIP: 0x1234, RegFlags: 0x0046}},
		{"all fourteen", 0x3FFF, []uint16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
			map[int]uint16{RegAX: 1, RegBX: 2, RegCX: 3, RegDX: 4, RegCS: 5, RegSS: 6, RegDS: 7, RegES: 8,
				RegSP: 9, RegBP: 10, RegSI: 11, RegDI: 12, RegIP: 13, RegFlags: 14}},
		{"sp bp si di", 0x0F00, []uint16{0x5555, 0x6666, 0x7777, 0x8888},
			map[int]uint16{RegSP: 0x5555, RegBP: 0x6666, RegSI: 0x7777, RegDI: 0x8888}},
		{"bits above 13 select nothing", 0xC001, []uint16{0x0101}, map[int]uint16{RegAX: 0x0101}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := le16(tc.mask)
			for _, v := range tc.values {
				body = append(body, le16(v)...)
			}
			data := chunk("TEST", le32(0), chunk("INIT", chunk("REGS", body)))
			got, err := Parse(data)
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tc.mask, got[0].Init.Set)
			for i := 0; i < NumRegs; i++ {
				assert.Equal(t, tc.want[i], got[0].Init.Regs[i], RegNames[i])
			}
		})
	}
	assert.Equal(t, [NumRegs]string{"ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags"}, RegNames)
}

func TestParseRAMList(t *testing.T) {
	body := cat(le32(3),
		le32(0x00000), []byte{0x11},
		le32(0xFFFFF), []byte{0x22},
		le32(0x10FFEF), []byte{0x33})
	got, err := Parse(chunk("TEST", le32(5), chunk("FINA", chunk("RAM ", body))))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, 5, got[0].Index)
	assert.Equal(t, []MemByte{{0, 0x11}, {0xFFFFF, 0x22}, {0x10FFEF, 0x33}}, got[0].Final.RAM)

	// An empty list.
	got, err = Parse(chunk("TEST", le32(5), chunk("INIT", chunk("RAM ", le32(0)))))
	require.NoError(t, err)
	assert.Empty(t, got[0].Init.RAM)
}

func TestParseEXCP(t *testing.T) {
	got, err := Parse(chunk("TEST", le32(0), chunk("EXCP", []byte{0x0D}, le32(0x0ABCDE))))
	require.NoError(t, err)
	assert.Equal(t, 13, got[0].Exception)
	assert.Equal(t, uint32(0x0ABCDE), got[0].FlagsAddr)

	got, err = Parse(chunk("TEST", le32(0), chunk("EXCP", []byte{0}, le32(0x400))))
	require.NoError(t, err)
	assert.Equal(t, 0, got[0].Exception, "vector 0 is an exception, not 'none'")
}

// Lenient fields: NAME with a bad inner length and a short HASH are not
// errors (both are informational).
func TestParseLenientFields(t *testing.T) {
	got, err := Parse(chunk("TEST", le32(0),
		chunk("NAME", le32(100), []byte("abc")),
		chunk("HASH", []byte{1, 2, 3})))
	require.NoError(t, err)
	assert.Empty(t, got[0].Name)
	assert.Equal(t, [20]byte{1, 2, 3}, got[0].Hash)
}

func TestParseTruncatedChunks(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"tag only", []byte("MOO ")},
		{"length runs past the end", cat([]byte("TEST"), le32(100), make([]byte, 10))},
		{"length near 4 GiB", cat([]byte("TEST"), le32(0xFFFFFFFF), make([]byte, 10))},
		{"TEST body shorter than its index", chunk("TEST", []byte{1, 2})},
		{"sub-chunk past the TEST body", chunk("TEST", le32(0), []byte("BYTS"), le32(50), []byte{1})},
		{"BYTS count past its chunk", chunk("TEST", le32(0), chunk("BYTS", le32(5), []byte{0x40}))},
		{"BYTS without a count", chunk("TEST", le32(0), chunk("BYTS", []byte{1}))},
		{"REGS without a mask", chunk("TEST", le32(0), chunk("INIT", chunk("REGS", []byte{1})))},
		{"REGS with fewer values than bits", chunk("TEST", le32(0), chunk("INIT", chunk("REGS", le16(0x0007), le16(1), le16(2))))},
		{"RAM count past its chunk", chunk("TEST", le32(0), chunk("FINA", chunk("RAM ", le32(2), le32(0x100), []byte{1})))},
		{"RAM count overflowing 32 bits", chunk("TEST", le32(0), chunk("FINA", chunk("RAM ", le32(0xFFFFFFFF))))},
		{"RAM without a count", chunk("TEST", le32(0), chunk("INIT", chunk("RAM ", []byte{1, 2})))},
		{"EXCP of 4 bytes", chunk("TEST", le32(0), chunk("EXCP", []byte{13, 0, 0, 0}))},
		{"state sub-chunk cut", chunk("TEST", le32(0), chunk("INIT", []byte("REGS"), le32(9)))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				got []Test
				err error
			)
			require.NotPanics(t, func() { got, err = Parse(tc.data) })
			require.Error(t, err)
			assert.True(t, errors.Is(err, errShort), "%v", err)
			assert.Nil(t, got)
		})
	}
	t.Run("error names the test", func(t *testing.T) {
		data := cat(encodeTest(sampleTest()), chunk("TEST", le32(0), chunk("EXCP", []byte{1})))
		_, err := Parse(data)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "test 1")
	})
}

// Cutting a valid stream anywhere is an error unless the cut falls on a
// top-level chunk boundary, where the stream simply holds fewer tests.
func TestParseEveryPrefix(t *testing.T) {
	a, b := sampleTest(), sampleTest()
	b.Index = 1
	data := encodeMOO(a, b)
	boundaries := map[int]int{0: 0} // offset -> tests before it
	for off, n := 0, 0; off < len(data); {
		size := 8 + int(binary.LittleEndian.Uint32(data[off+4:]))
		if string(data[off:off+4]) == "TEST" {
			n++
		}
		off += size
		boundaries[off] = n
	}
	for cut := 0; cut <= len(data); cut++ {
		var (
			got []Test
			err error
		)
		require.NotPanics(t, func() { got, err = Parse(data[:cut]) }, "cut at %d", cut)
		if n, ok := boundaries[cut]; ok {
			require.NoError(t, err, "cut at %d", cut)
			require.Len(t, got, n, "cut at %d", cut)
		} else {
			require.Error(t, err, "cut at %d", cut)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(encodeMOO(sampleTest()))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	good := filepath.Join(dir, "40.MOO.gz")
	require.NoError(t, os.WriteFile(good, buf.Bytes(), 0o644))

	tests, err := ReadFile(good)
	require.NoError(t, err)
	require.Len(t, tests, 1)
	assert.Equal(t, sampleTest(), tests[0])

	t.Run("not gzip", func(t *testing.T) {
		p := filepath.Join(dir, "raw.MOO.gz")
		require.NoError(t, os.WriteFile(p, encodeMOO(sampleTest()), 0o644))
		_, err := ReadFile(p)
		assert.ErrorContains(t, err, p)
	})
	t.Run("truncated gzip", func(t *testing.T) {
		p := filepath.Join(dir, "cut.MOO.gz")
		require.NoError(t, os.WriteFile(p, buf.Bytes()[:buf.Len()/2], 0o644))
		_, err := ReadFile(p)
		assert.ErrorContains(t, err, p)
	})
	t.Run("truncated MOO inside valid gzip", func(t *testing.T) {
		var b2 bytes.Buffer
		zw := gzip.NewWriter(&b2)
		data := encodeMOO(sampleTest())
		_, _ = zw.Write(data[:len(data)-3])
		require.NoError(t, zw.Close())
		p := filepath.Join(dir, "short.MOO.gz")
		require.NoError(t, os.WriteFile(p, b2.Bytes(), 0o644))
		_, err := ReadFile(p)
		assert.ErrorIs(t, err, errShort)
		assert.ErrorContains(t, err, p)
	})
	t.Run("missing", func(t *testing.T) {
		_, err := ReadFile(filepath.Join(dir, "nope.MOO.gz"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}

// The MOO header's test count only sizes a slice, so garbage there must
// not be trusted: a 13-byte file claiming 4 billion tests must parse (to
// zero tests) rather than ask the runtime for hundreds of GiB, which is a
// fatal "out of memory" no recover() can catch. Run in a child process
// with its address space capped, so the failure cannot disturb this one.
func TestParseHugeHeaderCountDoesNotExhaustMemory(t *testing.T) {
	data := chunk("MOO ", []byte{1, 0, 0, 0}, le32(0xFFFFFFFF), []byte("C286"))
	if os.Getenv("GOX86_MOO_HUGE_CHILD") == "1" {
		lim := syscall.Rlimit{Cur: 8 << 30, Max: 8 << 30}
		_ = syscall.Setrlimit(syscall.RLIMIT_AS, &lim)
		tests, err := Parse(data)
		if err != nil || len(tests) != 0 {
			t.Fatalf("Parse = %d tests, %v", len(tests), err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestParseHugeHeaderCountDoesNotExhaustMemory$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GOX86_MOO_HUGE_CHILD=1")
	out, err := cmd.CombinedOutput()
	first := string(out)
	if i := strings.Index(first, "\n\n"); i > 0 {
		first = first[:i] // the fatal error line, without the goroutine dump
	}
	assert.NoError(t, err, "Parse of a header claiming 0xFFFFFFFF tests crashed the process:\n%s", first)
}

// FuzzParse: Parse must never panic, and what it returns must be
// consistent with the input's size.
func FuzzParse(f *testing.F) {
	f.Add([]byte{})
	f.Add(encodeMOO(sampleTest()))
	f.Add(encodeTest(sampleTest()))
	f.Add(chunk("TEST", le32(0), chunk("INIT", chunk("REGS", le16(0xFFFF)))))
	f.Add(chunk("TEST", le32(0), chunk("FINA", chunk("RAM ", le32(0x33333333)))))
	f.Add([]byte("MOO \xff\xff\xff\xff"))
	f.Add(bytes.Repeat([]byte{0xFF}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		tests, err := Parse(data)
		if err != nil {
			if tests != nil {
				t.Fatalf("tests returned with error %v", err)
			}
			return
		}
		for _, tt := range tests {
			if tt.Exception < -1 || tt.Exception > 255 {
				t.Fatalf("exception %d", tt.Exception)
			}
			if len(tt.Bytes) > len(data) || 5*len(tt.Init.RAM) > len(data) || 5*len(tt.Final.RAM) > len(data) {
				t.Fatalf("test larger than its input")
			}
		}
	})
}
