package mmu

// TLBSize is the number of entries in each set; a power of two.
const TLBSize = 1024

// TLBMask selects an entry from a linear page number.
const TLBMask = TLBSize - 1

// tagInvalid never equals a page-aligned linear address.
const tagInvalid = 1

// TLBEntry caches one linear page. The CPU's fast path compares ReadTag or
// WriteTag with the page-aligned linear address and, on a match, accesses
// Backing()[Off + offset] directly. A tag is only set when that direct
// access is exactly what the slow path would do: the page is backed by
// RAM/ROM, permissions allow it, and (for writes) the dirty bit is already
// set and the page holds no decoded code (QEMU's TLB_NOTDIRTY idea).
type TLBEntry struct {
	ReadTag  uint32
	WriteTag uint32
	Phys     uint32 // physical page base
	global   bool
	Off      int // backing offset of the page
}

// TLB has one direct-mapped set for supervisor accesses and one for user
// accesses, so a privilege change needs no flush.
type TLB struct {
	Sets [2][TLBSize]TLBEntry
	// Epoch changes whenever translations may have changed (any flush).
	// Caches derived from translations, such as the CPU's links between
	// translated blocks, are valid only while it is unchanged. Owners of
	// other translation-affecting state (CS, mode) bump it too.
	Epoch uint64
}

func (t *TLB) entry(lin uint32, user bool) *TLBEntry {
	s := 0
	if user {
		s = 1
	}
	return &t.Sets[s][(lin>>pageShift)&TLBMask]
}

// FlushAll drops every entry, global or not.
func (t *TLB) FlushAll() {
	t.Epoch++
	for s := range t.Sets {
		for i := range t.Sets[s] {
			t.Sets[s][i] = TLBEntry{ReadTag: tagInvalid, WriteTag: tagInvalid}
		}
	}
}

// FlushNonGlobal drops every entry not marked global.
func (t *TLB) FlushNonGlobal() {
	t.Epoch++
	for s := range t.Sets {
		for i := range t.Sets[s] {
			if !t.Sets[s][i].global {
				t.Sets[s][i] = TLBEntry{ReadTag: tagInvalid, WriteTag: tagInvalid}
			}
		}
	}
}

// FlushPage drops the entries for the page holding lin in both sets.
func (t *TLB) FlushPage(lin uint32) {
	t.Epoch++
	i := (lin >> pageShift) & TLBMask
	for s := range t.Sets {
		t.Sets[s][i] = TLBEntry{ReadTag: tagInvalid, WriteTag: tagInvalid}
	}
}

// dropWritesToPhys removes fast-path write access to a physical page.
func (t *TLB) dropWritesToPhys(page uint32) {
	for s := range t.Sets {
		for i := range t.Sets[s] {
			if t.Sets[s][i].Phys == page {
				t.Sets[s][i].WriteTag = tagInvalid
			}
		}
	}
}

// InvalidateSet marks every entry of a standalone set invalid. A CPU uses
// such an always-missing set to force every access through the slow path
// (for example while data breakpoints are armed).
func InvalidateSet(s *[TLBSize]TLBEntry) {
	for i := range s {
		s[i] = TLBEntry{ReadTag: tagInvalid, WriteTag: tagInvalid}
	}
}

// flushRegion drops every entry whose linear page lies in the aligned
// region base (with mask selecting the region bits).
func (t *TLB) flushRegion(base, mask uint32) {
	t.Epoch++
	for s := range t.Sets {
		for i := range t.Sets[s] {
			e := &t.Sets[s][i]
			if (e.ReadTag != tagInvalid && e.ReadTag&mask == base) || (e.WriteTag != tagInvalid && e.WriteTag&mask == base) {
				*e = TLBEntry{ReadTag: tagInvalid, WriteTag: tagInvalid}
			}
		}
	}
}
