// Package conformance runs the SingleStepTests 80286 hardware captures
// (../shared/conformance/sst286) against the cpu package.
//
// The test format ("MOO") is documented in ../shared/conformance/README.md:
// gzip-compressed chunks of [4-byte tag][u32 length][body], little-endian.
package conformance

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Register indexes in MOO REGS bitmask order.
const (
	RegAX = iota
	RegBX
	RegCX
	RegDX
	RegCS
	RegSS
	RegDS
	RegES
	RegSP
	RegBP
	RegSI
	RegDI
	RegIP
	RegFlags
	NumRegs
)

// RegNames names the MOO registers in bitmask order.
var RegNames = [NumRegs]string{"ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags"}

// MemByte is one byte of physical memory.
type MemByte struct {
	Addr  uint32
	Value uint8
}

// State is a CPU state snapshot from a MOO test.
type State struct {
	// Set has bit i set when Regs[i] is present.
	Set  uint16
	Regs [NumRegs]uint16
	RAM  []MemByte
}

// Test is one single-instruction test.
type Test struct {
	Index int
	Name  string
	Bytes []byte
	Init  State
	Final State
	// Exception is the vector raised, or -1 when none.
	Exception int
	// FlagsAddr is the physical address of the FLAGS word pushed by the exception.
	FlagsAddr uint32
	Hash      [20]byte
}

// ReadFile parses a gzip-compressed MOO file.
func ReadFile(path string) ([]Test, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tests, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tests, nil
}

var errShort = errors.New("truncated MOO chunk")

type chunkReader struct {
	b []byte
}

func (r *chunkReader) next() (tag string, body []byte, err error) {
	if len(r.b) < 8 {
		return "", nil, errShort
	}
	tag = string(r.b[:4])
	n := binary.LittleEndian.Uint32(r.b[4:8])
	if uint64(n) > uint64(len(r.b)-8) {
		return "", nil, errShort
	}
	body = r.b[8 : 8+n]
	r.b = r.b[8+n:]
	return tag, body, nil
}

// Parse decodes an uncompressed MOO stream.
func Parse(data []byte) ([]Test, error) {
	r := chunkReader{data}
	var tests []Test
	for len(r.b) > 0 {
		tag, body, err := r.next()
		if err != nil {
			return nil, err
		}
		switch tag {
		case "MOO ":
			if len(body) >= 8 {
				// The count is only a capacity hint; a test takes far more
				// than 8 bytes, so never reserve more than the data allows.
				n := min(int(binary.LittleEndian.Uint32(body[4:8])), len(data)/8)
				tests = make([]Test, 0, n)
			}
		case "TEST":
			t, err := parseTest(body)
			if err != nil {
				return nil, fmt.Errorf("test %d: %w", len(tests), err)
			}
			tests = append(tests, t)
		}
	}
	return tests, nil
}

func parseTest(body []byte) (Test, error) {
	t := Test{Exception: -1}
	if len(body) < 4 {
		return t, errShort
	}
	t.Index = int(binary.LittleEndian.Uint32(body))
	r := chunkReader{body[4:]}
	for len(r.b) > 0 {
		tag, b, err := r.next()
		if err != nil {
			return t, err
		}
		switch tag {
		case "NAME":
			if len(b) >= 4 {
				n := binary.LittleEndian.Uint32(b)
				if uint64(n) <= uint64(len(b)-4) {
					t.Name = string(b[4 : 4+n])
				}
			}
		case "BYTS":
			if len(b) < 4 {
				return t, errShort
			}
			n := binary.LittleEndian.Uint32(b)
			if uint64(n) > uint64(len(b)-4) {
				return t, errShort
			}
			t.Bytes = append([]byte(nil), b[4:4+n]...)
		case "INIT":
			if t.Init, err = parseState(b); err != nil {
				return t, err
			}
		case "FINA":
			if t.Final, err = parseState(b); err != nil {
				return t, err
			}
		case "EXCP":
			if len(b) < 5 {
				return t, errShort
			}
			t.Exception = int(b[0])
			t.FlagsAddr = binary.LittleEndian.Uint32(b[1:5])
		case "HASH":
			copy(t.Hash[:], b)
		}
	}
	return t, nil
}

func parseState(body []byte) (State, error) {
	var s State
	r := chunkReader{body}
	for len(r.b) > 0 {
		tag, b, err := r.next()
		if err != nil {
			return s, err
		}
		switch tag {
		case "REGS":
			if len(b) < 2 {
				return s, errShort
			}
			s.Set = binary.LittleEndian.Uint16(b)
			p := 2
			for i := 0; i < NumRegs; i++ {
				if s.Set&(1<<i) == 0 {
					continue
				}
				if p+2 > len(b) {
					return s, errShort
				}
				s.Regs[i] = binary.LittleEndian.Uint16(b[p:])
				p += 2
			}
		case "RAM ":
			if len(b) < 4 {
				return s, errShort
			}
			n := binary.LittleEndian.Uint32(b)
			if uint64(n)*5 > uint64(len(b)-4) {
				return s, errShort
			}
			s.RAM = make([]MemByte, n)
			for i := range s.RAM {
				o := 4 + i*5
				s.RAM[i] = MemByte{binary.LittleEndian.Uint32(b[o:]), b[o+4]}
			}
		}
	}
	return s, nil
}
