package cpu

import (
	"github.com/gox86/gox86/mmu"
)

// Block is a run of decoded instructions that starts at a physical address
// and executes straight through: it ends at the first instruction that may
// change control flow or CPU mode, at a page boundary, or at maxBlockInsts.
// Blocks are cached by physical address and code size, so the decoder
// runs once per block, not once per executed instruction.
type Block struct {
	Phys    uint32 // physical address of the first byte
	code32  bool
	byteLen uint32
	Insts   []Inst
	// page2 is the physical page holding the tail of a last instruction
	// that crosses a page boundary, and tail2 the offset in the block
	// where that page begins; page2 is noPage when there is none.
	page2 uint32
	tail2 uint32

	valid    bool
	hashNext *Block
	// Execs counts entries, for hot-block detection by the jit.
	Execs uint32
	// links remember the blocks that followed this one, keyed by the EIP
	// execution continued at, so the loop can skip the lookup (block
	// chaining). A link holds while the TLB epoch is unchanged.
	links [2]blockLink
}

type blockLink struct {
	eip   uint32
	epoch uint64
	next  *Block
}

// follow returns the block linked for continuing at eip, if still valid.
func (b *Block) follow(eip uint32, epoch uint64) *Block {
	for k := range b.links {
		l := &b.links[k]
		if l.next != nil && l.eip == eip && l.epoch == epoch && l.next.valid {
			return l.next
		}
	}
	return nil
}

// link records that execution continued at eip with block next.
func (b *Block) link(eip uint32, epoch uint64, next *Block) {
	if b.links[0].next == nil || b.links[0].epoch != epoch {
		b.links[0] = blockLink{eip, epoch, next}
		return
	}
	b.links[1] = b.links[0]
	b.links[0] = blockLink{eip, epoch, next}
}

const noPage = 1 // never a page-aligned address

// maxBlockInsts bounds a block so interrupts and budgets are checked often.
const maxBlockInsts = 32

const blockHashBits = 14

type blockCache struct {
	table [1 << blockHashBits]*Block
	// pages lists the blocks touching each physical page below the memory
	// map top, for invalidation when the page is written.
	pages [][]*Block
	mem   *mmu.Memory
	count int
}

func (bc *blockCache) init(mem *mmu.Memory) {
	bc.mem = mem
	n := (uint64(mem.RAMSize()) + mmu.PageSize - 1) / mmu.PageSize
	if n < 256 {
		n = 256 // first MiB
	}
	bc.pages = make([][]*Block, n)
}

func blockHash(phys uint32, code32 bool) uint32 {
	h := phys ^ phys>>blockHashBits
	if code32 {
		h ^= 0x2A5
	}
	return h & (1<<blockHashBits - 1)
}

func (bc *blockCache) lookup(phys uint32, code32 bool) *Block {
	for b := bc.table[blockHash(phys, code32)]; b != nil; b = b.hashNext {
		if b.Phys == phys && b.code32 == code32 {
			return b
		}
	}
	return nil
}

// maxBlocks bounds the cache; past it everything is flushed.
const maxBlocks = 1 << 17

func (bc *blockCache) insert(b *Block) {
	if bc.count >= maxBlocks {
		bc.flush()
	}
	if old := bc.lookup(b.Phys, b.code32); old != nil {
		bc.remove(old)
	}
	h := blockHash(b.Phys, b.code32)
	b.hashNext = bc.table[h]
	bc.table[h] = b
	b.valid = true
	bc.count++
	bc.addToPage(b.Phys, b)
	if b.page2 != noPage {
		bc.addToPage(b.page2, b)
	}
}

func (bc *blockCache) addToPage(phys uint32, b *Block) {
	p := phys >> 12
	if int(p) < len(bc.pages) {
		bc.pages[p] = append(bc.pages[p], b)
		bc.mem.MarkCodePage(phys)
	}
}

// remove unlinks b from the hash table and the page lists.
func (bc *blockCache) remove(b *Block) {
	if !b.valid {
		return
	}
	b.valid = false
	bc.count--
	h := blockHash(b.Phys, b.code32)
	for p := &bc.table[h]; *p != nil; p = &(*p).hashNext {
		if *p == b {
			*p = b.hashNext
			break
		}
	}
	bc.dropFromPage(b.Phys, b)
	if b.page2 != noPage {
		bc.dropFromPage(b.page2, b)
	}
}

func (bc *blockCache) dropFromPage(phys uint32, b *Block) {
	p := phys >> 12
	if int(p) >= len(bc.pages) {
		return
	}
	list := bc.pages[p]
	for k, x := range list {
		if x == b {
			list[k] = list[len(list)-1]
			list = list[:len(list)-1]
			break
		}
	}
	bc.pages[p] = list
	if len(list) == 0 {
		bc.mem.UnmarkCodePage(phys)
	}
}

// invalidate removes every block overlapping physical [phys, phys+size)
// and reports whether any was removed.
func (bc *blockCache) invalidate(phys uint32, size int) bool {
	p := phys >> 12
	if int(p) >= len(bc.pages) {
		return false
	}
	end := phys + uint32(size)
	removed := false
	list := bc.pages[p]
	for k := 0; k < len(list); {
		b := list[k]
		if blockOverlaps(b, phys, end) {
			bc.remove(b) // shrinks list in place
			list = bc.pages[p]
			removed = true
			continue
		}
		k++
	}
	return removed
}

func blockOverlaps(b *Block, start, end uint32) bool {
	if b.page2 == noPage {
		return start < b.Phys+b.byteLen && b.Phys < end
	}
	// The first part runs to the end of the first page; the tail starts
	// at page2.
	firstEnd := b.Phys + b.tail2
	tailEnd := b.page2 + (b.byteLen - b.tail2)
	return (start < firstEnd && b.Phys < end) || (start < tailEnd && b.page2 < end)
}

// flush drops every block.
func (bc *blockCache) flush() {
	for h := range bc.table {
		for b := bc.table[h]; b != nil; b = b.hashNext {
			b.valid = false
		}
		bc.table[h] = nil
	}
	for p := range bc.pages {
		if len(bc.pages[p]) > 0 {
			bc.mem.UnmarkCodePage(uint32(p) << 12)
		}
		bc.pages[p] = nil
	}
	bc.count = 0
}

// codeWritten is the memory's callback for writes to pages holding code.
func (c *CPU) codeWritten(phys uint32, size int) {
	if c.blocks.invalidate(phys, size) {
		// The running block may be stale: leave it after this instruction.
		c.stopBlock = true
	}
}

// FlushCode drops every translated block (for loaders that rewrite memory
// directly through Memory.RAM).
func (c *CPU) FlushCode() { c.blocks.flush() }

// currentBlock returns the block starting at CS:EIP, translating it if
// needed. It raises #GP for EIP beyond the CS limit and #PF for an
// unmapped code page.
func (c *CPU) currentBlock() *Block {
	cs := &c.Seg[CS]
	eip := c.EIP
	if eip > cs.Limit {
		c.raise(excGP, 0)
	}
	lin := cs.Base + eip
	var phys uint32
	e := &c.tlbSet[(lin>>12)&mmu.TLBMask]
	if e.ReadTag == lin&^0xFFF {
		phys = e.Phys | lin&0xFFF
	} else {
		phys = c.translate(lin, false, c.userAccess())
	}
	b := c.blocks.lookup(phys, c.code32)
	if b != nil && cs.Limit-eip >= b.byteLen-1 && (b.page2 == noPage || c.tailPageOK(b, lin)) {
		return b
	}
	return c.translateBlock(lin, phys, eip)
}

// tailPageOK checks that the page holding a crossing instruction's tail is
// still mapped where it was at translation.
func (c *CPU) tailPageOK(b *Block, lin uint32) bool {
	tl := lin + b.tail2
	e := &c.tlbSet[(tl>>12)&mmu.TLBMask]
	if e.ReadTag == tl&^0xFFF {
		return e.Phys == b.page2
	}
	return c.translate(tl, false, c.userAccess())&^0xFFF == b.page2
}

// translateBlock decodes a new block at linear lin (physical phys,
// offset eip in CS) and caches it.
func (c *CPU) translateBlock(lin, phys, eip uint32) *Block {
	cs := &c.Seg[CS]
	mode := 16
	if c.code32 {
		mode = 32
	}
	b := &Block{Phys: phys, code32: c.code32, page2: noPage}
	var buf [15]byte
	off := uint32(0)
	for len(b.Insts) < maxBlockInsts {
		if eip+off < eip || eip+off > cs.Limit {
			break // the next instruction starts past the limit
		}
		inPage := uint32(0x1000) - (phys+off)&0xFFF
		inLimit := cs.Limit - (eip + off) + 1 // 0 means 2^32
		n := uint32(15)
		if inPage < n {
			n = inPage
		}
		if inLimit != 0 && inLimit < n {
			n = inLimit
		}
		c.mem.ReadBytes(phys+off, buf[:n])
		inst, res := decodeInst(buf[:n], mode)
		if c.isFirmwareCall(phys+off, buf[:n]) {
			inst, res = Inst{fn: opFirmwareCall, imm: uint32(buf[2]) | uint32(buf[3])<<8, len: 4, term: true}, decodeOK
		}
		if res == decodeTruncated {
			if n == inPage && (inLimit == 0 || inLimit > inPage) {
				// The instruction continues on the next page.
				if len(b.Insts) > 0 {
					break // let it start the next block
				}
				phys2 := c.translate(lin+off+inPage, false, c.userAccess())
				m := uint32(15)
				if inLimit != 0 && inLimit < m {
					m = inLimit
				}
				c.mem.ReadBytes(phys2, buf[inPage:m])
				inst, res = decodeInst(buf[:m], mode)
				if res == decodeTruncated {
					// Ends past the CS limit.
					c.raise(excGP, 0)
				}
				if uint32(inst.len) > inPage {
					b.page2 = phys2 &^ 0xFFF
					b.tail2 = off + inPage
				}
			} else {
				// The instruction runs past the CS limit.
				if len(b.Insts) > 0 {
					break
				}
				c.raise(excGP, 0)
			}
		}
		b.Insts = append(b.Insts, inst)
		off += uint32(inst.len)
		if inst.term || b.page2 != noPage || (phys+off)&0xFFF == 0 {
			break
		}
	}
	b.byteLen = off
	if len(b.Insts) == 0 {
		// Only possible when EIP itself is at the limit boundary; the
		// caller checked EIP <= limit, so an instruction was attempted.
		c.raise(excGP, 0)
	}
	c.blocks.insert(b)
	return b
}

// isFirmwareCall reports whether the bytes at physical address phys are a
// firmware trap (see Hooks.FirmwareCall).
func (c *CPU) isFirmwareCall(phys uint32, b []byte) bool {
	h := &c.Hooks
	return h.FirmwareCall != nil && phys >= h.FirmwareLo && phys < h.FirmwareHi &&
		len(b) >= 4 && b[0] == 0x0F && b[1] == 0x0B
}

// opFirmwareCall hands control to the built-in firmware.
func opFirmwareCall(c *CPU, i *Inst) {
	if c.Hooks.FirmwareCall == nil {
		c.raise(excUD, 0)
	}
	c.Hooks.FirmwareCall(c, uint16(i.imm))
}
