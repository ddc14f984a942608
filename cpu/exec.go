package cpu

import (
	"fmt"
	"runtime"
)

// Run executes instructions until budget instructions have retired (the
// count may overshoot by less than one block), the CPU halts, shuts down,
// or RequestStop is called. Guest faults are delivered to the guest; only
// an emulator bug ends the run with StopInternalError, never a panic.
func (c *CPU) Run(budget uint64) StopReason {
	c.backing = c.mem.Backing()
	c.stopReq = false
	// The budget is in ticks, so exception deliveries (which retire no
	// instruction but take a tick) also use it up and a fault storm
	// cannot keep Run from returning.
	end := c.Ticks() + budget
	c.runEnd = end
	for {
		if c.shutdown {
			return StopShutdown
		}
		if c.stopReq {
			c.stopReq = false
			return StopRequested
		}
		if c.Ticks() >= end {
			return StopBudget
		}
		if c.halted {
			if !c.serviceInterrupts() {
				return StopHalt
			}
			continue
		}
		if err := c.runBlocks(end); err != nil {
			c.Err = err
			return StopInternalError
		}
	}
}

// Step executes exactly one instruction (or delivers one pending
// interrupt) and reports why it stopped.
func (c *CPU) Step() StopReason {
	c.backing = c.mem.Backing()
	if c.shutdown {
		return StopShutdown
	}
	if c.halted {
		if !c.serviceInterrupts() {
			return StopHalt
		}
		return StopBudget
	}
	if err := c.guard(func() { c.stepOne() }); err != nil {
		c.Err = err
		return StopInternalError
	}
	if c.shutdown {
		return StopShutdown
	}
	if c.halted {
		return StopHalt
	}
	return StopBudget
}

// runBlocks executes blocks until the budget ends or something needs the
// outer loop. Faults unwind to here through guard.
func (c *CPU) runBlocks(end uint64) error {
	return c.guard(func() {
		var prev *Block
		tlb := &c.mmu.TLB
		for c.icount+c.idle < end && !c.halted && !c.stopReq && !c.shutdown {
			if c.pendingDB {
				// A debug trap requested by the last instruction (the TSS
				// T bit) is taken before the next one runs.
				c.pendingDB = false
				c.deliverTrap(excDB)
				continue
			}
			if (c.intr || c.nmiPending) && !c.inhibitIRQ {
				if c.serviceInterrupts() {
					prev = nil
					continue
				}
			}
			// Near the end of the budget, go one instruction at a time so
			// the run stops exactly on it.
			if c.flags&(FlagTF|FlagRF) != 0 || c.inhibitIRQ || c.Tracer != nil || c.bpExec || c.bpData ||
				end-(c.icount+c.idle) < maxBlockInsts {
				c.stepOne()
				prev = nil
				continue
			}
			var b *Block
			if prev != nil {
				b = prev.follow(c.EIP, tlb.Epoch)
			}
			if b == nil {
				// A fault while fetching the block is taken at its EIP.
				c.prevEIP = c.EIP
				b = c.currentBlock()
				if prev != nil {
					prev.link(c.EIP, tlb.Epoch, b)
				}
			}
			b.Execs++
			c.execBlock(b)
			prev = b
		}
	})
}

// execBlock runs the instructions of b in order.
func (c *CPU) execBlock(b *Block) {
	insts := b.Insts
	n := len(insts)
	k := 0
	// Two call sites per iteration give the indirect-branch predictor
	// more context than one.
	for ; k+1 < n; k += 2 {
		i := &insts[k]
		c.prevEIP = c.EIP
		c.EIP += uint32(i.len)
		i.fn(c, i)
		c.icount++
		if c.stopBlock {
			c.stopBlock = false
			return
		}
		j := &insts[k+1]
		c.prevEIP = c.EIP
		c.EIP += uint32(j.len)
		j.fn(c, j)
		c.icount++
		if c.stopBlock {
			c.stopBlock = false
			return
		}
	}
	if k < n {
		i := &insts[k]
		c.prevEIP = c.EIP
		c.EIP += uint32(i.len)
		i.fn(c, i)
		c.icount++
		c.stopBlock = false
	}
}

// stepOne executes one instruction with the single-step, interrupt-shadow
// and tracing rules applied.
func (c *CPU) stepOne() {
	tf := c.flags&FlagTF != 0
	hadShadow := c.inhibitIRQ
	rf := c.flags&FlagRF != 0
	if c.bpExec && !rf {
		// Instruction breakpoints are faults, checked before the
		// instruction runs (SDM vol. 3, 17.3.1.1).
		if hits := c.execBreakpoint(c.Seg[CS].Base + c.EIP); hits != 0 {
			c.prevEIP = c.EIP
			c.DR[6] = c.DR[6]&^dr6Hit | hits
			c.raise(excDB, 0)
		}
	}
	c.prevEIP = c.EIP
	b := c.currentBlock()
	i := &b.Insts[0]
	if c.Tracer != nil {
		c.traceBefore(b, i)
	}
	c.prevEIP = c.EIP
	c.EIP += uint32(i.len)
	c.shadowFresh = false
	c.dbHits = 0
	i.fn(c, i)
	c.icount++
	c.stopBlock = false
	if rf {
		// RF suppresses instruction breakpoints for one instruction.
		c.flags &^= FlagRF
	}
	// The shadow covers exactly one instruction (SDM vol. 3, 6.8.3).
	if hadShadow && !c.shadowFresh {
		c.inhibitIRQ = false
	}
	if c.Tracer != nil {
		c.Tracer.After(c)
	}
	// Debug traps after the instruction: single step (BS), data
	// breakpoints (B0-B3), task-switch trap (BT) (SDM vol. 3, 17.3.1).
	trap := false
	if tf && !(c.shadowFresh && c.shadowDB) {
		c.DR[6] |= dr6BS
		trap = true
	}
	if c.dbHits != 0 {
		c.DR[6] = c.DR[6]&^dr6Hit | c.dbHits
		c.dbHits = 0
		trap = true
	}
	if c.pendingDB {
		c.pendingDB = false
		trap = true
	}
	if trap {
		c.deliverTrap(excDB)
	}
	c.shadowFresh = false
}

func (c *CPU) traceBefore(b *Block, i *Inst) {
	raw := make([]byte, i.len)
	for k := range raw {
		raw[k] = c.mem.Read8(b.Phys + uint32(k))
	}
	c.Tracer.Before(c, raw)
}

// guard runs f, turning guest faults into exception delivery and any other
// panic into an error.
func (c *CPU) guard(f func()) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if fs, ok := r.(*faultState); ok {
			c.stopBlock = false
			c.shadowFresh = false
			c.idle++ // delivering the exception takes a tick
			first := *fs
			c.EIP = c.prevEIP
			err = c.guard(func() { c.deliverFault(first) })
			return
		}
		if re, ok := r.(runtime.Error); ok {
			err = fmt.Errorf("cpu: internal error at %04X:%08X: %v", c.Seg[CS].Selector, c.prevEIP, re)
			return
		}
		err = fmt.Errorf("cpu: internal error at %04X:%08X: %v", c.Seg[CS].Selector, c.prevEIP, r)
	}()
	f()
	return nil
}

// serviceInterrupts delivers a pending NMI or INTR if the CPU accepts it
// now, and reports whether it did (which also ends HLT).
func (c *CPU) serviceInterrupts() bool {
	if c.inhibitIRQ {
		return false
	}
	if c.nmiPending && !c.nmiBlocked {
		// Further NMIs are held until the handler's IRET (SDM vol. 3,
		// 6.7.1).
		c.nmiPending = false
		c.nmiBlocked = true
		c.halted = false
		c.deliverExternal(excNMI)
		return true
	}
	if c.intr && c.flags&FlagIF != 0 && c.pic != nil {
		c.halted = false
		vec := c.pic.Acknowledge()
		c.deliverExternal(vec)
		return true
	}
	return false
}

// deliverExternal delivers a hardware interrupt, handling faults raised
// while doing so.
func (c *CPU) deliverExternal(vec uint8) {
	if err := c.guard(func() {
		c.prevEIP = c.EIP
		c.interrupt(vec, intHardware, 0, false)
	}); err != nil {
		c.Err = err
		c.shutdown = true
	}
}
