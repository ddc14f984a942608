; portstorm - random port I/O from inside the machine: the instruction-
; level counterpart of TestPortFuzz's bus-level storm. With an xorshift
; generator it picks ports from a table and does byte, word and dword
; IN and OUT, REP OUTSB and REP INSW, and opens short windows with
; interrupts enabled, so whatever the chips have been told to raise is
; acknowledged through the 8259As in whatever state they are in. Every
; interrupt vector points at a stub that sends EOI to both 8259As and
; masks all their inputs (until a random write unmasks some again).
;
; The test writes the parameters into low memory before the run:
;   5F0h  dword  seed (non-zero)
;   5F4h  dword  iterations
;   600h  word   number of ports, then the ports (words)
; and the guest ends with exit status 33 when it has done them all
; (unless a chip resets the machine or DMA overwrites the guest first,
; which the test accepts). Loaded by LoadRaw at 0000:7C00; no BIOS.

        org     0x7C00
%include "lib16.inc"

SEED        equ 0x5F0
ITERATIONS  equ 0x5F4
PORTS       equ 0x600
BUF_SEG     equ 0x1000

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        xor     di, di                  ; every vector -> stub
        mov     cx, 256
.ivt:   mov     word [di], stub
        mov     word [di+2], 0
        add     di, 4
        loop    .ivt
        mov     ebx, [SEED]
        mov     ebp, [ITERATIONS]
        cld

.next:  ; xorshift32
        mov     eax, ebx
        shl     eax, 13
        xor     ebx, eax
        mov     eax, ebx
        shr     eax, 17
        xor     ebx, eax
        mov     eax, ebx
        shl     eax, 5
        xor     ebx, eax
        ; port = PORTS[(ebx >> 8) % count]
        mov     eax, ebx
        shr     eax, 8
        and     eax, 0xFFFF
        xor     dx, dx
        div     word [PORTS]
        mov     si, dx
        shl     si, 1
        mov     dx, [PORTS+2+si]
        mov     eax, ebx                ; the value: the generator's bits
        ror     eax, 7
        mov     cl, bl
        and     cl, 0x0F                ; the operation
        cmp     cl, 5
        jb      .outb
        je      .outw
        cmp     cl, 7
        jb      .outd
        je      .inb
        cmp     cl, 9
        jb      .inw
        je      .ind
        cmp     cl, 11
        jb      .outsb
        je      .insw
        cmp     cl, 13
        jb      .window
        jmp     .outb
.outb:  out     dx, al
        jmp     .done
.outw:  out     dx, ax
        jmp     .done
.outd:  out     dx, eax
        jmp     .done
.inb:   in      al, dx
        jmp     .done
.inw:   in      ax, dx
        jmp     .done
.ind:   in      eax, dx
        jmp     .done
.outsb: mov     cx, bx
        shr     cx, 4
        and     cx, 7
        inc     cx
        mov     si, 0x7C00              ; the guest's own bytes
        rep     outsb
        jmp     .done
.insw:  push    es
        push    di
        mov     cx, bx
        shr     cx, 4
        and     cx, 7
        inc     cx
        mov     di, BUF_SEG
        mov     es, di
        xor     di, di
        rep     insw
        pop     di
        pop     es
        jmp     .done
.window:
        sti
        nop
        nop
        nop
        cli
.done:  dec     ebp
        jnz     .next
        EXIT    0x10

stub:   push    ax
        mov     al, 0x20
        out     0xA0, al
        out     0x20, al
        mov     al, 0xFF                ; and mask everything, or a line
        out     0x21, al                ; held high (level-triggered, say)
        out     0xA1, al                ; would starve the guest
        pop     ax
        iret
