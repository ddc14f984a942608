package mmu

// Paging control bits the MMU reads (Intel SDM vol. 3, 2.5 and 4.1).
const (
	CR0PG  = 1 << 31 // paging enabled
	CR0WP  = 1 << 16 // supervisor writes honour read-only pages
	CR4PSE = 1 << 4  // 4 MiB pages
	CR4PGE = 1 << 7  // global pages
)

// Page-structure entry bits (SDM vol. 3, 4.3, tables 4-4 to 4-6).
const (
	pteP   = 1 << 0
	pteRW  = 1 << 1
	pteUS  = 1 << 2
	pteA   = 1 << 5
	pteD   = 1 << 6
	ptePS  = 1 << 7
	pteG   = 1 << 8
	pdeBig = 0xFFC00000
)

// Page-fault error code bits (SDM vol. 3, 4.7).
const (
	PFPresent = 1 << 0 // the fault was a protection violation, not a missing page
	PFWrite   = 1 << 1 // the access was a write
	PFUser    = 1 << 2 // the access was made in user mode
)

// MMU translates linear addresses for one CPU: paging structures, the
// control registers that govern them, and the CPU's TLB.
type MMU struct {
	Mem *Memory
	TLB TLB

	cr0, cr3, cr4 uint32
	// bigPages is set once a 4 MiB page has been cached, so INVLPG must
	// drop every entry of the 4 MiB region it names.
	bigPages bool
}

// New returns an MMU over mem with paging disabled.
func New(mem *Memory) *MMU {
	u := &MMU{Mem: mem}
	u.TLB.FlushAll()
	mem.tlbs = append(mem.tlbs, &u.TLB)
	return u
}

// SetControl installs new CR0, CR3 and CR4 values and flushes the TLB as
// the SDM requires (vol. 3, 4.10.4): a change to CR0.PG, CR0.WP, CR4.PSE
// or CR4.PGE flushes every entry; a new CR3 flushes non-global entries.
// A MOV to CR3 that rewrites the same value must call FlushCR3 instead.
func (u *MMU) SetControl(cr0, cr3, cr4 uint32) {
	const all0 = CR0PG | CR0WP
	const all4 = CR4PSE | CR4PGE
	switch {
	case (cr0^u.cr0)&all0 != 0 || (cr4^u.cr4)&all4 != 0:
		u.TLB.FlushAll()
	case cr3 != u.cr3:
		u.TLB.FlushNonGlobal()
	}
	u.cr0, u.cr3, u.cr4 = cr0, cr3, cr4
}

// FlushCR3 flushes non-global entries, as a MOV to CR3 does.
func (u *MMU) FlushCR3(cr3 uint32) {
	u.cr3 = cr3
	if u.cr4&CR4PGE != 0 {
		u.TLB.FlushNonGlobal()
	} else {
		u.TLB.FlushAll()
	}
}

// Paging reports whether CR0.PG is set.
func (u *MMU) Paging() bool { return u.cr0&CR0PG != 0 }

// Invalidate drops the translation of the page holding lin (INVLPG).
// For a 4 MiB page that means all the TLB entries caching any part of it
// (SDM vol. 2, INVLPG: "all TLB entries for that page").
func (u *MMU) Invalidate(lin uint32) {
	u.TLB.FlushPage(lin)
	if u.bigPages {
		u.TLB.flushRegion(lin&pdeBig, pdeBig)
	}
}

// Translate maps lin to a physical address for an access by a user-mode
// (CPL 3, not an implicit supervisor access) or supervisor agent, checking
// page permissions and updating accessed and dirty bits as the SDM
// describes (vol. 3, 4.6 and 4.8). On success it fills the TLB entry for
// the page. On failure it returns ok=false and the page-fault error code.
func (u *MMU) Translate(lin uint32, write, user bool) (phys uint32, errCode uint32, ok bool) {
	mem := u.Mem
	a20 := mem.a20Mask
	if u.cr0&CR0PG == 0 {
		phys = lin & a20
		u.fill(lin, phys, true, user, false)
		return phys, 0, true
	}
	var ec uint32
	if write {
		ec |= PFWrite
	}
	if user {
		ec |= PFUser
	}
	pdeAddr := (u.cr3&0xFFFFF000 | (lin>>22)<<2) & a20
	pde := mem.Read(pdeAddr, 4)
	if pde&pteP == 0 {
		return 0, ec, false
	}
	if pde&ptePS != 0 && u.cr4&CR4PSE != 0 {
		if !allowed(pde, write, user, u.cr0&CR0WP != 0) {
			return 0, ec | PFPresent, false
		}
		upd := pde | pteA
		if write {
			upd |= pteD
		}
		if upd != pde {
			mem.Write(pdeAddr, 4, upd)
		}
		phys = (pde&pdeBig | lin&^pdeBig) & a20
		u.bigPages = true
		global := pde&pteG != 0 && u.cr4&CR4PGE != 0
		u.fill(lin, phys, writableNoFault(pde, upd&pteD != 0, user, u.cr0&CR0WP != 0), user, global)
		return phys, 0, true
	}
	pteAddr := (pde&0xFFFFF000 | (lin>>12&0x3FF)<<2) & a20
	pte := mem.Read(pteAddr, 4)
	if pte&pteP == 0 {
		return 0, ec, false
	}
	// The directory entry's accessed flag is set even when the access
	// then faults on a protection violation (SDM vol. 3, 6.15, #PF error
	// code note).
	if pde&pteA == 0 {
		mem.Write(pdeAddr, 4, pde|pteA)
	}
	// Permissions are the more restrictive of PDE and PTE (SDM vol. 3, 4.6.1).
	eff := pde & pte
	if !allowed(eff, write, user, u.cr0&CR0WP != 0) {
		return 0, ec | PFPresent, false
	}
	upd := pte | pteA
	if write {
		upd |= pteD
	}
	if upd != pte {
		mem.Write(pteAddr, 4, upd)
	}
	phys = (pte&0xFFFFF000 | lin&0xFFF) & a20
	global := pte&pteG != 0 && u.cr4&CR4PGE != 0
	u.fill(lin, phys, writableNoFault(eff, upd&pteD != 0, user, u.cr0&CR0WP != 0), user, global)
	return phys, 0, true
}

// allowed applies the U/S and R/W rules for 32-bit paging without SMEP/SMAP.
func allowed(perm uint32, write, user, wp bool) bool {
	if user {
		if perm&pteUS == 0 {
			return false
		}
		return !write || perm&pteRW != 0
	}
	return !write || !wp || perm&pteRW != 0
}

// writableNoFault reports whether a later write through this translation
// may bypass the walk: it would be allowed and would not need to set D.
func writableNoFault(perm uint32, dirty, user, wp bool) bool {
	return dirty && allowed(perm, true, user, wp)
}

// fill installs a translation in the user or supervisor set of the TLB.
func (u *MMU) fill(lin, phys uint32, writable, user, global bool) {
	mem := u.Mem
	page := phys &^ (PageSize - 1)
	r, w, _ := mem.pageBacking(page)
	e := u.TLB.entry(lin, user)
	e.Phys = page
	e.global = global
	tag := lin &^ (PageSize - 1)
	e.ReadTag, e.WriteTag = tagInvalid, tagInvalid
	if r == noBacking {
		return
	}
	e.Off = int(r)
	e.ReadTag = tag
	if writable && w == r && mem.writeFastOK(page) {
		e.WriteTag = tag
	}
}
