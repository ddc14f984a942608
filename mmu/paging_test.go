package mmu

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected values here come from the Intel SDM vol. 3A, chapter 4 (32-bit
// paging): 4.3 (translation, tables 4-4 to 4-6), 4.6 (access rights), 4.7
// (page-fault error code), 4.8 (accessed and dirty flags) and 4.10 (TLBs
// and their invalidation).

const (
	pdBase = 0x10000 // CR3
	ptBase = 0x11000 // page table for linear 0x00400000-0x007FFFFF (PDE 1)

	cr0PE  = 1 << 0 // a CR0 bit that does not affect paging
	cr4VME = 1 << 0 // a CR4 bit that does not affect paging

	// Linear 0x00405xxx maps to physical 0x00200xxx through PTE 5.
	linSmall  = 0x00405000
	physSmall = 0x00200000
	pteSmall  = ptBase + 5*4
	pdeSmall  = pdBase + 1*4

	// Linear 0x00800000-0x00BFFFFF is one 4 MiB page (PDE 2) at physical
	// 0x00400000 when CR4.PSE = 1.
	linBig  = 0x00800000
	physBig = 0x00400000
	pdeBig2 = pdBase + 2*4
)

type pagingEnv struct {
	m *Memory
	u *MMU
}

// newPaging returns an MMU with paging enabled (CR0.PG plus extra CR0
// bits cr0) over 6 MiB of RAM, with a 4 KiB mapping at linSmall and a
// 4 MiB mapping at linBig, both present, writable, user, not accessed.
func newPaging(t *testing.T, cr0, cr4 uint32) *pagingEnv {
	t.Helper()
	m := NewMemory(6 << 20)
	u := New(m)
	env := &pagingEnv{m, u}
	env.set(pdeSmall, ptBase|pteP|pteRW|pteUS)
	env.set(pteSmall, physSmall|pteP|pteRW|pteUS)
	env.set(pdeBig2, physBig|ptePS|pteP|pteRW|pteUS)
	u.SetControl(CR0PG|cr0, pdBase, cr4)
	require.True(t, u.Paging())
	return env
}

func (e *pagingEnv) set(addr, v uint32)     { e.m.Write(addr, 4, v) }
func (e *pagingEnv) get(addr uint32) uint32 { return e.m.Read(addr, 4) }

// cached reports the tags of the TLB entry that lin uses: whether a read
// and a write through the fast path would hit.
func (e *pagingEnv) cached(lin uint32, user bool) (read, write bool) {
	en := e.u.TLB.entry(lin, user)
	page := lin &^ (PageSize - 1)
	return en.ReadTag == page, en.WriteTag == page
}

func (e *pagingEnv) mustTranslate(t *testing.T, lin uint32, write, user bool) uint32 {
	t.Helper()
	phys, ec, ok := e.u.Translate(lin, write, user)
	require.True(t, ok, "translate %#x write=%v user=%v: fault %#x", lin, write, user, ec)
	require.Zero(t, ec)
	return phys
}

func TestTranslatePagingOffIsIdentity(t *testing.T) {
	m := NewMemory(4 << 20)
	u := New(m)
	assert.False(t, u.Paging())
	for _, lin := range []uint32{0, 0x1234, 0x0FFFFF, 0x100000, 0x3FFFFF, 0xFFFFFFFF} {
		for _, w := range []bool{false, true} {
			for _, user := range []bool{false, true} {
				phys, ec, ok := u.Translate(lin, w, user)
				assert.True(t, ok)
				assert.Zero(t, ec)
				assert.Equal(t, lin, phys)
			}
		}
	}
	t.Run("fills a writable entry in the set of the access", func(t *testing.T) {
		u.Translate(0x3456, false, true)
		e := u.TLB.entry(0x3000, true)
		assert.Equal(t, uint32(0x3000), e.ReadTag)
		assert.Equal(t, uint32(0x3000), e.WriteTag)
		assert.Equal(t, uint32(0x3000), e.Phys)
		assert.Equal(t, 0x3000, e.Off)
	})
	t.Run("A20 disabled clears bit 20", func(t *testing.T) {
		m.SetA20(false)
		defer m.SetA20(true)
		tests := []struct{ lin, phys uint32 }{
			{0x100000, 0x000000},
			{0x10FFEF, 0x00FFEF},
			{0x1FFFFF, 0x0FFFFF},
			{0x2ABCDE, 0x2ABCDE},
			{0x312345, 0x212345},
		}
		for _, tc := range tests {
			phys, _, ok := u.Translate(tc.lin, false, false)
			assert.True(t, ok)
			assert.Equal(t, tc.phys, phys, "%#x", tc.lin)
		}
	})
}

func TestTranslate4KiBPage(t *testing.T) {
	env := newPaging(t, 0, 0)
	for _, off := range []uint32{0, 0x123, 0xFFF} {
		assert.Equal(t, physSmall+off, env.mustTranslate(t, linSmall+off, false, false))
	}
	// SDM 4.3: the PTE is at (PDE & FFFFF000) | (lin[21:12] << 2).
	env.set(ptBase+0x3FF*4, 0x00345000|pteP)
	assert.Equal(t, uint32(0x00345ABC), env.mustTranslate(t, 0x007FFABC, false, false))
	env.set(ptBase, 0x00346000|pteP)
	assert.Equal(t, uint32(0x00346001), env.mustTranslate(t, 0x00400001, false, false))
	// Entry bits 11:0 of the PTE are not part of the address.
	env.set(ptBase+6*4, 0x00347000|0xFFF)
	assert.Equal(t, uint32(0x00347010), env.mustTranslate(t, 0x00406010, false, false))
}

// SDM 4.3, table 4-5: PDE.PS selects a 4 MiB page only when CR4.PSE = 1;
// otherwise the PDE references a page table whatever bit 7 holds.
func Test4MiBPagesNeedCR4PSE(t *testing.T) {
	const lin = 0x00C01234 // PDE 3, PTE 1
	const pde = 0x00400000 | ptePS | pteP | pteRW | pteUS
	setup := func(t *testing.T, cr4 uint32) *pagingEnv {
		env := newPaging(t, 0, cr4)
		env.set(pdBase+3*4, pde)
		// Read as a page table, the frame at 0x400000 holds this PTE.
		env.set(0x00400000+1*4, 0x00300000|pteP|pteRW|pteUS)
		return env
	}
	t.Run("PSE=1: 4 MiB page", func(t *testing.T) {
		env := setup(t, CR4PSE)
		assert.Equal(t, uint32(0x00401234), env.mustTranslate(t, lin, false, false))
		assert.Equal(t, uint32(physBig+0x3FFFFF), env.mustTranslate(t, linBig+0x3FFFFF, false, false))
		assert.Equal(t, uint32(physBig), env.mustTranslate(t, linBig, false, true))
	})
	t.Run("PSE=0: PS ignored, PDE references a page table", func(t *testing.T) {
		env := setup(t, 0)
		assert.Equal(t, uint32(0x00300234), env.mustTranslate(t, lin, false, false))
		assert.Equal(t, uint32(0x00300000|pteP|pteRW|pteUS|pteA), env.get(0x00400004), "the PTE gets its accessed flag")
	})
}

// SDM 4.7: P (bit 0) is 0 when no translation exists because an entry has
// P = 0; W/R (bit 1) is 1 for a write; U/S (bit 2) is 1 for a user-mode access.
func TestNotPresentErrorCodes(t *testing.T) {
	cases := []struct {
		name  string
		setup func(env *pagingEnv)
		lin   uint32
		cr4   uint32
	}{
		{"PDE not present", func(env *pagingEnv) { env.set(pdeSmall, ptBase|pteRW|pteUS) }, linSmall, 0},
		{"PDE all zero", func(env *pagingEnv) {}, 0x01000000, 0},
		{"PTE not present", func(env *pagingEnv) { env.set(pteSmall, physSmall|pteRW|pteUS) }, linSmall, 0},
		{"PTE not present under a supervisor-only read-only PDE", func(env *pagingEnv) {
			env.set(pdeSmall, ptBase|pteP)
			env.set(pteSmall, physSmall)
		}, linSmall, 0},
		{"4 MiB PDE not present", func(env *pagingEnv) { env.set(pdeBig2, physBig|ptePS|pteRW|pteUS) }, linBig, CR4PSE},
	}
	for _, c := range cases {
		for _, write := range []bool{false, true} {
			for _, user := range []bool{false, true} {
				want := uint32(0)
				if write {
					want |= PFWrite
				}
				if user {
					want |= PFUser
				}
				t.Run(fmt.Sprintf("%s write=%v user=%v", c.name, write, user), func(t *testing.T) {
					env := newPaging(t, 0, c.cr4)
					c.setup(env)
					before := [2]uint32{env.get(pdeSmall), env.get(pteSmall)}
					_, ec, ok := env.u.Translate(c.lin+0x10, write, user)
					assert.False(t, ok)
					assert.Equal(t, want, ec)
					r, w := env.cached(c.lin, user)
					assert.False(t, r)
					assert.False(t, w)
					assert.Equal(t, before, [2]uint32{env.get(pdeSmall), env.get(pteSmall)}, "no entry is written")
				})
			}
		}
	}
}

// sdmAllowed is SDM 4.6.1 for 32-bit paging without SMEP/SMAP/PKE, with
// rw and us the AND of the R/W and U/S flags of every entry used.
func sdmAllowed(rw, us, write, user, wp bool) bool {
	switch {
	case user && !write:
		return us
	case user && write:
		return us && rw
	case !user && !write:
		return true
	default: // supervisor write
		return !wp || rw
	}
}

func bit(b bool, v uint32) uint32 {
	if b {
		return v
	}
	return 0
}

func rwus(rw, us bool) string {
	s := "R"
	if rw {
		s = "RW"
	}
	if us {
		return s + "/U"
	}
	return s + "/S"
}

// SDM 4.6.1: access rights are the more restrictive of the PDE and the PTE;
// supervisor writes honour R/W only with CR0.WP = 1.
func TestAccessRights4KiB(t *testing.T) {
	for combo := 0; combo < 16; combo++ {
		pdeW, pdeU, pteW, pteU := combo&1 != 0, combo&2 != 0, combo&4 != 0, combo&8 != 0
		for _, wp := range []bool{false, true} {
			for _, user := range []bool{false, true} {
				for _, write := range []bool{false, true} {
					name := fmt.Sprintf("PDE %s PTE %s WP=%v user=%v write=%v", rwus(pdeW, pdeU), rwus(pteW, pteU), wp, user, write)
					t.Run(name, func(t *testing.T) {
						env := newPaging(t, bit(wp, CR0WP), 0)
						env.set(pdeSmall, ptBase|pteP|bit(pdeW, pteRW)|bit(pdeU, pteUS))
						env.set(pteSmall, physSmall|pteP|bit(pteW, pteRW)|bit(pteU, pteUS))
						phys, ec, ok := env.u.Translate(linSmall+0x42, write, user)
						want := sdmAllowed(pdeW && pteW, pdeU && pteU, write, user, wp)
						require.Equal(t, want, ok)
						if ok {
							assert.Equal(t, uint32(physSmall+0x42), phys)
							assert.Zero(t, ec)
							return
						}
						assert.Equal(t, PFPresent|bit(write, PFWrite)|bit(user, PFUser), ec)
					})
				}
			}
		}
	}
}

func TestAccessRights4MiB(t *testing.T) {
	for combo := 0; combo < 4; combo++ {
		rw, us := combo&1 != 0, combo&2 != 0
		for _, wp := range []bool{false, true} {
			for _, user := range []bool{false, true} {
				for _, write := range []bool{false, true} {
					t.Run(fmt.Sprintf("PDE %s WP=%v user=%v write=%v", rwus(rw, us), wp, user, write), func(t *testing.T) {
						env := newPaging(t, bit(wp, CR0WP), CR4PSE)
						env.set(pdeBig2, physBig|ptePS|pteP|bit(rw, pteRW)|bit(us, pteUS))
						phys, ec, ok := env.u.Translate(linBig+0x1234, write, user)
						want := sdmAllowed(rw, us, write, user, wp)
						require.Equal(t, want, ok)
						if ok {
							assert.Equal(t, uint32(physBig+0x1234), phys)
							return
						}
						assert.Equal(t, PFPresent|bit(write, PFWrite)|bit(user, PFUser), ec)
					})
				}
			}
		}
	}
}

// SDM 4.8: the processor sets A in every paging-structure entry it uses,
// and D in the entry that maps the page (PTE, or PDE with PS = 1) on a
// write. Bit 6 of a PDE that references a page table is ignored, never D.
func TestAccessedAndDirtyFlags(t *testing.T) {
	base := uint32(pteP | pteRW | pteUS)
	tests := []struct {
		name        string
		wp          bool
		pte         uint32
		write, user bool
		wantPDE     uint32
		wantPTE     uint32
	}{
		{"read sets A in PDE and PTE", false, physSmall | base, false, false, ptBase | base | pteA, physSmall | base | pteA},
		{"user read", false, physSmall | base, false, true, ptBase | base | pteA, physSmall | base | pteA},
		{"write sets D in the PTE only", false, physSmall | base, true, false, ptBase | base | pteA, physSmall | base | pteA | pteD},
		{"user write", false, physSmall | base, true, true, ptBase | base | pteA, physSmall | base | pteA | pteD},
		{"supervisor write to a read-only page with WP=0 sets D", false, physSmall | pteP | pteUS, true, false, ptBase | base | pteA, physSmall | pteP | pteUS | pteA | pteD},
		{"flags already set stay set on a read", false, physSmall | base | pteA | pteD, false, false, ptBase | base | pteA, physSmall | base | pteA | pteD},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newPaging(t, bit(tc.wp, CR0WP), 0)
			env.set(pteSmall, tc.pte)
			env.mustTranslate(t, linSmall, tc.write, tc.user)
			assert.Equal(t, tc.wantPDE, env.get(pdeSmall), "PDE")
			assert.Equal(t, tc.wantPTE, env.get(pteSmall), "PTE")
		})
	}
	t.Run("4 MiB page: A on read, A and D on write, in the PDE", func(t *testing.T) {
		env := newPaging(t, 0, CR4PSE)
		pde := uint32(physBig | ptePS | pteP | pteRW | pteUS)
		env.mustTranslate(t, linBig+0x5000, false, false)
		assert.Equal(t, pde|pteA, env.get(pdeBig2))
		env.mustTranslate(t, linBig+0x6000, true, true)
		assert.Equal(t, pde|pteA|pteD, env.get(pdeBig2))
	})
	t.Run("entries whose flags are already set are not rewritten", func(t *testing.T) {
		env := newPaging(t, 0, 0)
		env.mustTranslate(t, linSmall, true, false)
		// Writes to the paging structures are now reported.
		env.m.MarkCodePage(pdBase)
		env.m.MarkCodePage(ptBase)
		got := recordCodeWrites(env.m)
		env.mustTranslate(t, linSmall, true, false)
		env.mustTranslate(t, linSmall, false, true)
		assert.Empty(t, *got)
		// Clearing D makes the next write store the PTE (only).
		env.m.OnCodeWrite = nil
		env.set(pteSmall, env.get(pteSmall)&^pteD)
		got = recordCodeWrites(env.m)
		env.mustTranslate(t, linSmall, false, false)
		assert.Empty(t, *got, "a read does not set D")
		env.mustTranslate(t, linSmall, true, false)
		assert.Equal(t, []codeWrite{{pteSmall, 4}}, *got)
	})
}

// A faulting access must not set D, and this implementation leaves the PTE's
// A flag alone too (SDM vol. 3A 6.15, #PF: the PTE's accessed flag on a
// protection fault is model specific).
func TestFaultingAccessLeavesThePageEntryAlone(t *testing.T) {
	tests := []struct {
		name        string
		wp          bool
		cr4         uint32
		pde, pte    uint32
		lin         uint32
		write, user bool
		entry       uint32 // the entry mapping the page
	}{
		{"user write to a read-only PTE", false, 0, ptBase | pteP | pteRW | pteUS, physSmall | pteP | pteUS, linSmall, true, true, pteSmall},
		{"user read of a supervisor PTE", false, 0, ptBase | pteP | pteRW | pteUS, physSmall | pteP | pteRW, linSmall, false, true, pteSmall},
		{"supervisor write to a read-only PTE with WP=1", true, 0, ptBase | pteP | pteRW | pteUS, physSmall | pteP | pteUS, linSmall, true, false, pteSmall},
		{"user write under a read-only PDE", false, 0, ptBase | pteP | pteUS, physSmall | pteP | pteRW | pteUS, linSmall, true, true, pteSmall},
		{"user write to a read-only 4 MiB page", false, CR4PSE, 0, 0, linBig, true, true, pdeBig2},
		{"user read of a supervisor 4 MiB page", false, CR4PSE, 0, 0, linBig, false, true, pdeBig2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newPaging(t, bit(tc.wp, CR0WP), tc.cr4)
			if tc.entry == pdeBig2 {
				v := uint32(physBig | ptePS | pteP)
				if tc.write {
					v |= pteUS // read-only user page
				} else {
					v |= pteRW // supervisor page
				}
				env.set(pdeBig2, v)
			} else {
				env.set(pdeSmall, tc.pde)
				env.set(pteSmall, tc.pte)
			}
			before := env.get(tc.entry)
			_, ec, ok := env.u.Translate(tc.lin, tc.write, tc.user)
			require.False(t, ok)
			assert.NotZero(t, ec&PFPresent)
			assert.Equal(t, before, env.get(tc.entry), "neither A nor D is set by a faulting access")
			r, w := env.cached(tc.lin, tc.user)
			assert.False(t, r, "a fault fills no TLB entry")
			assert.False(t, w)
		})
	}
}

// SDM vol. 3A 6.15 (Interrupt 14), footnote to the error-code description:
// "If a page fault is caused by a page-level protection violation, the
// access flag in the page-directory entry is set when the fault occurs."
// (and 4.8: the processor sets A in every paging-structure entry it uses).
func TestProtectionFaultSetsPDEAccessed(t *testing.T) {
	env := newPaging(t, 0, 0)
	env.set(pteSmall, physSmall|pteP|pteUS) // read-only user page
	_, ec, ok := env.u.Translate(linSmall, true, true)
	require.False(t, ok)
	require.Equal(t, uint32(PFPresent|PFWrite|PFUser), ec)
	assert.Equal(t, uint32(ptBase|pteP|pteRW|pteUS|pteA), env.get(pdeSmall),
		"PDE.A must be set when the PTE-level protection check faults")
}

// TLB fills (SDM 4.10.2): a cached entry may serve reads whenever the
// translation allows them; this TLB also lets writes bypass the walk only
// when they would be allowed and the D flag is already set (so no write
// can skip setting D, SDM 4.8), the page holds no decoded code, and the
// backing is RAM for both reads and writes.
func TestTLBFill(t *testing.T) {
	rwu := uint32(pteP | pteRW | pteUS)
	tests := []struct {
		name                string
		wp                  bool
		pde, pte            uint32
		write, user         bool
		code                bool
		wantRead, wantWrite bool
	}{
		{"read of a clean writable page", false, ptBase | rwu, physSmall | rwu, false, false, false, true, false},
		{"write to a clean writable page", false, ptBase | rwu, physSmall | rwu, true, false, false, true, true},
		{"read of a dirty writable page", false, ptBase | rwu, physSmall | rwu | pteD, false, false, false, true, true},
		{"user read of a dirty writable page", false, ptBase | rwu, physSmall | rwu | pteD, false, true, false, true, true},
		{"user read of a dirty read-only page", false, ptBase | rwu, physSmall | pteP | pteUS | pteD, false, true, false, true, false},
		{"user read under a read-only PDE", false, ptBase | pteP | pteUS, physSmall | rwu | pteD, false, true, false, true, false},
		{"supervisor read of a dirty read-only page, WP=0", false, ptBase | rwu, physSmall | pteP | pteD, false, false, false, true, true},
		{"supervisor read of a dirty read-only page, WP=1", true, ptBase | rwu, physSmall | pteP | pteD, false, false, false, true, false},
		{"write to a code page", false, ptBase | rwu, physSmall | rwu, true, false, true, true, false},
		{"read of a dirty code page", false, ptBase | rwu, physSmall | rwu | pteD, false, false, true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newPaging(t, bit(tc.wp, CR0WP), 0)
			env.set(pdeSmall, tc.pde)
			env.set(pteSmall, tc.pte)
			if tc.code {
				env.m.MarkCodePage(physSmall)
			}
			env.mustTranslate(t, linSmall+0x10, tc.write, tc.user)
			r, w := env.cached(linSmall, tc.user)
			assert.Equal(t, tc.wantRead, r, "ReadTag")
			assert.Equal(t, tc.wantWrite, w, "WriteTag")
			e := env.u.TLB.entry(linSmall, tc.user)
			assert.Equal(t, uint32(physSmall), e.Phys)
			assert.Equal(t, physSmall, e.Off)
			// The other privilege's set is untouched.
			r, w = env.cached(linSmall, !tc.user)
			assert.False(t, r)
			assert.False(t, w)
		})
	}
	t.Run("4 MiB page fills per 4 KiB, write tag once dirty", func(t *testing.T) {
		env := newPaging(t, 0, CR4PSE)
		env.mustTranslate(t, linBig+0x3000, false, false)
		r, w := env.cached(linBig+0x3000, false)
		assert.True(t, r)
		assert.False(t, w)
		e := env.u.TLB.entry(linBig+0x3000, false)
		assert.Equal(t, uint32(physBig+0x3000), e.Phys)
		assert.Equal(t, physBig+0x3000, e.Off)
		env.mustTranslate(t, linBig+0x3000, true, false)
		_, w = env.cached(linBig+0x3000, false)
		assert.True(t, w)
		r, _ = env.cached(linBig+0x4000, false)
		assert.False(t, r, "only the 4 KiB part used is cached")
	})
	t.Run("ROM page: read tag only", func(t *testing.T) {
		env := newPaging(t, 0, 0)
		off := env.m.AddROM(make([]byte, PageSize))
		require.NoError(t, env.m.MapPages(physSmall, PageSize, off, NoBacking))
		env.set(pteSmall, physSmall|pteP|pteRW|pteUS|pteD)
		env.mustTranslate(t, linSmall, true, false)
		r, w := env.cached(linSmall, false)
		assert.True(t, r)
		assert.False(t, w)
		assert.Equal(t, int(off), env.u.TLB.entry(linSmall, false).Off)
	})
	t.Run("MMIO page: nothing cached", func(t *testing.T) {
		env := newPaging(t, 0, 0)
		require.NoError(t, env.m.MapMMIO(physSmall, PageSize, &fakeDev{}))
		env.mustTranslate(t, linSmall, true, false)
		r, w := env.cached(linSmall, false)
		assert.False(t, r)
		assert.False(t, w)
	})
}

func TestPagingWithA20Disabled(t *testing.T) {
	env := newPaging(t, 0, 0)
	// A page directory at 0x110000 is read from 0x010000 with A20 off.
	env.set(pteSmall, 0x00100000|pteP|pteRW|pteUS)
	env.m.SetA20(false)
	env.u.FlushCR3(0x00110000)
	assert.Equal(t, uint32(0x00000123), env.mustTranslate(t, linSmall+0x123, false, false), "the page frame loses bit 20 too")
	assert.Equal(t, uint32(0x00100000|pteP|pteRW|pteUS|pteA), env.get(pteSmall), "A is set in the entry actually used")
}

// fillSome translates the given linear addresses for supervisor and user.
func fillSome(t *testing.T, env *pagingEnv, lins ...uint32) {
	t.Helper()
	for _, lin := range lins {
		env.mustTranslate(t, lin, false, false)
		env.mustTranslate(t, lin, false, true)
	}
}

func isCached(env *pagingEnv, lin uint32) bool {
	r0, _ := env.cached(lin, false)
	r1, _ := env.cached(lin, true)
	return r0 && r1
}

func isGone(env *pagingEnv, lin uint32) bool {
	r0, w0 := env.cached(lin, false)
	r1, w1 := env.cached(lin, true)
	return !r0 && !w0 && !r1 && !w1
}

const linGlobal = linSmall + 0x1000 // PTE 6, global

// newGlobalEnv has linSmall non-global and linGlobal with G set in its PTE.
func newGlobalEnv(t *testing.T, cr4 uint32) *pagingEnv {
	env := newPaging(t, 0, cr4)
	env.set(ptBase+6*4, 0x00201000|pteP|pteRW|pteUS|pteG)
	fillSome(t, env, linSmall, linGlobal)
	require.True(t, isCached(env, linSmall))
	require.True(t, isCached(env, linGlobal))
	return env
}

// SDM 4.10.4.1: MOV to CR3 invalidates all TLB entries except global ones
// (G = 1 with CR4.PGE = 1).
func TestFlushCR3KeepsGlobalEntriesOnlyWithPGE(t *testing.T) {
	t.Run("PGE=1", func(t *testing.T) {
		env := newGlobalEnv(t, CR4PGE)
		ep := env.u.TLB.Epoch
		env.u.FlushCR3(pdBase)
		assert.True(t, isGone(env, linSmall))
		assert.True(t, isCached(env, linGlobal))
		assert.Greater(t, env.u.TLB.Epoch, ep)
	})
	t.Run("PGE=0: G is ignored", func(t *testing.T) {
		env := newGlobalEnv(t, 0)
		ep := env.u.TLB.Epoch
		env.u.FlushCR3(pdBase)
		assert.True(t, isGone(env, linSmall))
		assert.True(t, isGone(env, linGlobal))
		assert.Greater(t, env.u.TLB.Epoch, ep)
	})
	t.Run("G in a PDE that references a page table is ignored", func(t *testing.T) {
		// SDM table 4-5: bit 8 of such a PDE is ignored.
		env := newPaging(t, 0, CR4PGE)
		env.set(pdeSmall, ptBase|pteP|pteRW|pteUS|pteG)
		fillSome(t, env, linSmall)
		env.u.FlushCR3(pdBase)
		assert.True(t, isGone(env, linSmall))
	})
	t.Run("4 MiB global page", func(t *testing.T) {
		env := newPaging(t, 0, CR4PSE|CR4PGE)
		env.set(pdeBig2, physBig|ptePS|pteP|pteRW|pteUS|pteG)
		fillSome(t, env, linBig, linBig+0x1000)
		env.u.FlushCR3(pdBase)
		assert.True(t, isCached(env, linBig))
		assert.True(t, isCached(env, linBig+0x1000))
	})
	t.Run("FlushCR3 installs the new CR3", func(t *testing.T) {
		env := newPaging(t, 0, 0)
		// A second page directory mapping linSmall elsewhere.
		env.set(0x20000+1*4, 0x21000|pteP|pteRW|pteUS)
		env.set(0x21000+5*4, 0x00333000|pteP|pteRW|pteUS)
		env.u.FlushCR3(0x20000)
		assert.Equal(t, uint32(0x00333000), env.mustTranslate(t, linSmall, false, false))
	})
}

// SDM 4.10.4.1: MOV to CR4 that changes CR4.PGE, and MOV to CR0 that
// clears CR0.PG, invalidate every TLB entry, global ones included; MOV to
// CR3 keeps global entries. This TLB caches decisions that also depend on
// CR0.WP (4.6) and CR4.PSE (4.3), so it flushes on those too, which 4.10.4.1
// allows ("The processor is always free to invalidate additional entries").
func TestSetControlFlushes(t *testing.T) {
	const cr4 = CR4PGE
	tests := []struct {
		name          string
		cr0, cr3, cr4 uint32
		small, global bool // still cached afterwards
		flush         bool // Epoch changes
	}{
		{"no change", CR0PG, pdBase, cr4, true, true, false},
		{"unrelated CR0 and CR4 bits", CR0PG | cr0PE, pdBase, cr4 | cr4VME, true, true, false},
		{"new CR3", CR0PG, 0x20000, cr4, false, true, true},
		{"PG cleared", 0, pdBase, cr4, false, false, true},
		{"WP set", CR0PG | CR0WP, pdBase, cr4, false, false, true},
		{"PSE set", CR0PG, pdBase, cr4 | CR4PSE, false, false, true},
		{"PGE cleared", CR0PG, pdBase, 0, false, false, true},
		{"PGE cleared and new CR3", CR0PG, 0x20000, 0, false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newGlobalEnv(t, cr4)
			ep := env.u.TLB.Epoch
			env.u.SetControl(tc.cr0, tc.cr3, tc.cr4)
			assert.Equal(t, tc.small, isCached(env, linSmall), "non-global entry kept")
			assert.Equal(t, tc.global, isCached(env, linGlobal), "global entry kept")
			assert.Equal(t, tc.flush, env.u.TLB.Epoch != ep, "Epoch changed")
			assert.Equal(t, tc.cr0&CR0PG != 0, env.u.Paging())
		})
	}
	t.Run("WP cleared", func(t *testing.T) {
		env := newPaging(t, CR0WP, CR4PGE)
		env.set(ptBase+6*4, 0x00201000|pteP|pteRW|pteUS|pteG)
		fillSome(t, env, linGlobal)
		env.u.SetControl(CR0PG, pdBase, CR4PGE)
		assert.True(t, isGone(env, linGlobal))
	})
	t.Run("PSE cleared", func(t *testing.T) {
		env := newPaging(t, 0, CR4PSE)
		fillSome(t, env, linBig)
		env.u.SetControl(CR0PG, pdBase, 0)
		assert.True(t, isGone(env, linBig))
	})
	t.Run("PG set", func(t *testing.T) {
		m := NewMemory(1 << 20)
		u := New(m)
		u.Translate(0x5000, false, false)
		u.SetControl(CR0PG, pdBase, 0)
		assert.Equal(t, uint32(tagInvalid), u.TLB.entry(0x5000, false).ReadTag)
	})
	t.Run("a write-protect change takes effect at once", func(t *testing.T) {
		env := newPaging(t, 0, 0)
		env.set(pteSmall, physSmall|pteP|pteUS|pteD|pteA) // read-only
		env.mustTranslate(t, linSmall, true, false)
		_, w := env.cached(linSmall, false)
		require.True(t, w, "WP=0: supervisor may write")
		env.u.SetControl(CR0PG|CR0WP, pdBase, 0)
		_, w = env.cached(linSmall, false)
		assert.False(t, w)
		_, ec, ok := env.u.Translate(linSmall, true, false)
		assert.False(t, ok)
		assert.Equal(t, uint32(PFPresent|PFWrite), ec)
	})
}

// SDM vol. 2, INVLPG, and vol. 3A 4.10.4.1: INVLPG invalidates the TLB
// entries for the page holding the address, global or not; for a 4 MiB
// page that is every entry caching any part of it.
func TestInvalidate(t *testing.T) {
	t.Run("4 KiB page", func(t *testing.T) {
		env := newGlobalEnv(t, CR4PGE)
		other := uint32(linSmall + 0x2000)
		env.set(ptBase+7*4, 0x00202000|pteP|pteRW|pteUS)
		fillSome(t, env, other)
		ep := env.u.TLB.Epoch
		env.u.Invalidate(linSmall + 0xABC)
		assert.True(t, isGone(env, linSmall))
		assert.True(t, isCached(env, linGlobal))
		assert.True(t, isCached(env, other))
		assert.Greater(t, env.u.TLB.Epoch, ep)
		env.u.Invalidate(linGlobal)
		assert.True(t, isGone(env, linGlobal), "INVLPG drops global entries too")
	})
	t.Run("4 MiB page", func(t *testing.T) {
		env := newPaging(t, 0, CR4PSE|CR4PGE)
		env.set(pdeBig2, physBig|ptePS|pteP|pteRW|pteUS|pteG)
		parts := []uint32{linBig, linBig + 0x1FF000, linBig + 0x3FF000}
		fillSome(t, env, parts...)
		fillSome(t, env, linSmall)
		// An entry just past the 4 MiB page.
		env.set(pdBase+3*4, 0x00400000|ptePS|pteP|pteRW|pteUS)
		fillSome(t, env, 0x00C00000)
		ep := env.u.TLB.Epoch
		env.u.Invalidate(linBig + 0x1FF123)
		for _, p := range parts {
			assert.True(t, isGone(env, p), "%#x", p)
		}
		assert.True(t, isCached(env, linSmall))
		assert.True(t, isCached(env, 0x00C00000))
		assert.Greater(t, env.u.TLB.Epoch, ep)
	})
	t.Run("the next access walks the tables again", func(t *testing.T) {
		env := newPaging(t, 0, 0)
		fillSome(t, env, linSmall)
		env.set(pteSmall, 0x00345000|pteP|pteRW|pteUS)
		env.u.Invalidate(linSmall)
		assert.Equal(t, uint32(0x00345000), env.mustTranslate(t, linSmall, false, false))
	})
}

func TestEpochBumpsOnEveryFlush(t *testing.T) {
	tests := []struct {
		name string
		do   func(env *pagingEnv)
	}{
		{"FlushAll", func(env *pagingEnv) { env.u.TLB.FlushAll() }},
		{"FlushNonGlobal", func(env *pagingEnv) { env.u.TLB.FlushNonGlobal() }},
		{"FlushPage", func(env *pagingEnv) { env.u.TLB.FlushPage(0x1234) }},
		{"Invalidate", func(env *pagingEnv) { env.u.Invalidate(0x1234) }},
		{"FlushCR3 same value", func(env *pagingEnv) { env.u.FlushCR3(pdBase) }},
		{"FlushCR3 with PGE", func(env *pagingEnv) {
			env.u.SetControl(CR0PG, pdBase, CR4PSE|CR4PGE)
			env.u.FlushCR3(pdBase)
		}},
		{"SetControl new CR3", func(env *pagingEnv) { env.u.SetControl(CR0PG, 0x20000, CR4PSE) }},
		{"SetControl PG off", func(env *pagingEnv) { env.u.SetControl(0, pdBase, CR4PSE) }},
		{"SetA20", func(env *pagingEnv) { env.m.SetA20(false) }},
		{"MapPages", func(env *pagingEnv) { _ = env.m.MapPages(0xF0000, PageSize, NoBacking, NoBacking) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newPaging(t, 0, CR4PSE)
			env.mustTranslate(t, linBig, false, false) // a 4 MiB page has been cached
			ep := env.u.TLB.Epoch
			tc.do(env)
			assert.Greater(t, env.u.TLB.Epoch, ep)
		})
	}
}

func TestFlushPageDropsBothSets(t *testing.T) {
	m := NewMemory(1 << 20)
	u := New(m)
	u.Translate(0x7000, true, false)
	u.Translate(0x7000, true, true)
	u.Translate(0x8000, true, false)
	u.TLB.FlushPage(0x7FFF)
	for _, user := range []bool{false, true} {
		e := u.TLB.entry(0x7000, user)
		assert.Equal(t, uint32(tagInvalid), e.ReadTag)
		assert.Equal(t, uint32(tagInvalid), e.WriteTag)
	}
	assert.Equal(t, uint32(0x8000), u.TLB.entry(0x8000, false).ReadTag)
}

// The TLB is direct-mapped: pages TLBSize pages apart share an entry, and
// a fill of one evicts the other (never returns its translation).
func TestTLBAliasingEvicts(t *testing.T) {
	m := NewMemory(8 << 20)
	u := New(m)
	a, b := uint32(0x3000), uint32(0x3000+TLBSize*PageSize)
	u.Translate(a, false, false)
	u.Translate(b, false, false)
	e := u.TLB.entry(a, false)
	assert.Equal(t, b, e.ReadTag)
	assert.NotEqual(t, a, e.ReadTag)
	assert.Equal(t, b, e.Phys)
}
