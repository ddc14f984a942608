package cpu

// Segment attribute bits, in the "access rights" layout: descriptor bits
// 40-47 in bits 0-7 and bits 52-55 in bits 12-15 (SDM vol. 3, 3.4.5).
const (
	attrTypeMask  = 0xF
	attrAccessed  = 1 << 0
	attrS         = 1 << 4 // code or data segment (not system)
	attrDPLShift  = 5
	attrDPL       = 3 << attrDPLShift
	attrPresent   = 1 << 7
	attrAVL       = 1 << 12
	attrDB        = 1 << 14 // D (code) / B (stack, expand-down limit)
	attrG         = 1 << 15
	typeCode      = 1 << 3
	typeConform   = 1 << 2                                            // code: conforming
	typeReadable  = 1 << 1                                            // code: readable
	typeExpDown   = 1 << 2                                            // data: expand-down
	typeWritable  = 1 << 1                                            // data: writable
	attrRealData  = attrPresent | attrS | typeWritable | attrAccessed // 0x93
	attrV86Data   = attrRealData | 3<<attrDPLShift                    // 0xF3
	attrRealCode  = attrRealData
	realModeLimit = 0xFFFF
)

// Segment is a segment register: the visible selector and the hidden
// descriptor cache (SDM vol. 3, 3.4.3). The unexported fields are derived
// from Base, Limit and Attr by refresh and drive the per-access checks.
type Segment struct {
	Selector uint16
	Base     uint32
	// Limit is the byte-granular limit (already scaled when G is set).
	Limit uint32
	Attr  uint16

	// lo and hi bound the valid offsets, inclusive (expand-down segments
	// have lo = Limit+1).
	lo, hi uint32
	// canRead/canWrite: data accesses allowed through this register.
	canRead, canWrite bool
	// rBound[n] and wBound[n] make the per-access check one comparison:
	// an n-byte read at off is valid iff uint64(off-lo) < rBound[n]
	// (0 when reads are not allowed at all). Indexed by size 1, 2, 4.
	rBound, wBound [8]uint64
}

// DescriptorTable is GDTR or IDTR.
type DescriptorTable struct {
	Base  uint32
	Limit uint16
}

func realSegment(sel uint16) Segment {
	s := Segment{Selector: sel, Base: uint32(sel) << 4, Limit: realModeLimit, Attr: attrRealData}
	s.refresh()
	return s
}

// refresh recomputes the derived access-check fields.
func (s *Segment) refresh() {
	s.refreshRange()
	for _, n := range [...]uint32{1, 2, 4} {
		var b uint64
		if s.lo <= s.hi && s.hi-s.lo >= n-1 {
			b = uint64(s.hi-s.lo-(n-1)) + 1
		}
		s.rBound[n], s.wBound[n] = 0, 0
		if s.canRead {
			s.rBound[n] = b
		}
		if s.canWrite {
			s.wBound[n] = b
		}
	}
}

func (s *Segment) refreshRange() {
	s.lo, s.hi = 0, s.Limit
	s.canRead, s.canWrite = false, false
	if s.Attr&attrPresent == 0 || s.Attr&attrS == 0 {
		// Null/unusable or a system descriptor: no data access.
		s.lo, s.hi = 1, 0
		return
	}
	t := s.Attr & attrTypeMask
	if t&typeCode != 0 {
		s.canRead = t&typeReadable != 0
		return
	}
	s.canRead = true
	s.canWrite = t&typeWritable != 0
	if t&typeExpDown != 0 {
		s.lo = s.Limit + 1
		s.hi = 0xFFFF
		if s.Attr&attrDB != 0 {
			s.hi = 0xFFFFFFFF
		}
		if s.Limit == s.hi {
			s.lo, s.hi = 1, 0 // empty
		}
	}
}

// DPL is the descriptor privilege level.
func (s *Segment) DPL() uint8 { return uint8(s.Attr>>attrDPLShift) & 3 }

// inLimit reports whether [off, off+size-1] lies within the segment.
func (s *Segment) inLimit(off, size uint32) bool {
	return off >= s.lo && off <= s.hi && s.hi-off >= size-1
}

// descriptor is a decoded 8-byte segment or gate descriptor.
type descriptor struct {
	lo, hi uint32
}

func (d descriptor) base() uint32 {
	return d.lo>>16 | (d.hi&0xFF)<<16 | d.hi&0xFF000000
}

func (d descriptor) limit() uint32 {
	l := d.lo&0xFFFF | d.hi&0xF0000
	if d.hi&(1<<23) != 0 {
		l = l<<12 | 0xFFF
	}
	return l
}

func (d descriptor) attr() uint16 { return uint16(d.hi>>8) & 0xF0FF }

func (d descriptor) present() bool { return d.hi&(1<<15) != 0 }

func (d descriptor) dpl() uint8 { return uint8(d.hi>>13) & 3 }

// isSystem reports S=0.
func (d descriptor) isSystem() bool { return d.hi&(1<<12) == 0 }

func (d descriptor) typ() uint8 { return uint8(d.hi>>8) & 0xF }

func (d descriptor) segment(sel uint16) Segment {
	s := Segment{Selector: sel, Base: d.base(), Limit: d.limit(), Attr: d.attr()}
	s.refresh()
	return s
}

// Gate fields (SDM vol. 3, 5.8.3 and 6.11).
func (d descriptor) gateSelector() uint16 { return uint16(d.lo >> 16) }
func (d descriptor) gateOffset() uint32   { return d.lo&0xFFFF | d.hi&0xFFFF0000 }
func (d descriptor) gateParams() uint32   { return d.hi & 0x1F }
