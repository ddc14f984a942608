; sanity - after a storm of nonsense port accesses, check that the
; machine and its chips still do their jobs when reprogrammed from
; scratch:
;
;   ticks   8259A and 8254 re-initialised; 10 IRQ 0 periods at 1 kHz,
;           waited for in HLT
;   out2    counter 2 in mode 0 through port 61h: OUT2 rises when the
;           count runs out
;   cmos    a byte written to CMOS RAM (register 40h) reads back
;   scratch a byte written to COM1's scratch register reads back
;   kbc     the 8042 self-test command answers 55h
;   ata     software reset, then IDENTIFY DEVICE on the primary master:
;           the status after the command, and the default cylinder count
;           (IDENTIFY word 1)
;   sum     1 + 2 + ... + 10000, computed
;
; Output (port 0E9h), one line:
;   sanity: ticks=10 out2=1 cmos=5A scratch=A5 kbc=55 ata=58 cyl=0002 sum=50005000
; then exit status 33. A chip that never answers leaves the guest in a
; loop that the test's instruction limit ends. Loaded by LoadRaw at
; 0000:7C00; no BIOS.

        org     0x7C00
%include "lib16.inc"

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        mov     word [0x20*4], irq0
        mov     word [0x20*4+2], 0
        call    pic_init
        mov     al, 0xFE
        out     0x21, al
        mov     al, 0x34                ; counter 0: mode 2, 1 kHz
        out     0x43, al
        mov     al, 1193 & 0xFF
        out     0x40, al
        mov     al, 1193 >> 8
        out     0x40, al
        mov     dword [ticks], 0
        sti
.t:     hlt
        cmp     dword [ticks], 11       ; the first is OUT0's rising edge
        jb      .t
        cli
        mov     al, 0xFF
        out     0x21, al
        P       "sanity: ticks="
        mov     eax, [ticks]
        dec     eax
        call    putdec

        ; counter 2 through port 61h
        in      al, 0x61
        and     al, 0xFC
        or      al, 0x01
        out     0x61, al
        mov     al, 0xB0
        out     0x43, al
        mov     al, 1000 & 0xFF
        out     0x42, al
        mov     al, 1000 >> 8
        out     0x42, al
.o2:    in      al, 0x61
        test    al, 0x20
        jz      .o2
        P       " out2=1"

        ; CMOS RAM
        mov     al, 0x40
        out     0x70, al
        mov     al, 0x5A
        out     0x71, al
        mov     al, 0x40
        out     0x70, al
        in      al, 0x71
        push    ax
        P       " cmos="
        pop     ax
        call    puthex8

        ; COM1 scratch register
        mov     dx, 0x3FF
        mov     al, 0xA5
        out     dx, al
        in      al, dx
        push    ax
        P       " scratch="
        pop     ax
        call    puthex8

        ; 8042 self test
.kin:   in      al, 0x64                ; wait for the input buffer
        test    al, 0x02
        jnz     .kin
.kflush:
        in      al, 0x64                ; drop anything pending
        test    al, 0x01
        jz      .kcmd
        in      al, 0x60
        jmp     .kflush
.kcmd:  mov     al, 0xAA
        out     0x64, al
.kout:  in      al, 0x64
        test    al, 0x01
        jz      .kout
        in      al, 0x60
        push    ax
        P       " kbc="
        pop     ax
        call    puthex8

        ; ATA: software reset, IDENTIFY DEVICE
        mov     dx, 0x3F6
        mov     al, 0x06                ; SRST, nIEN
        out     dx, al
        mov     cx, 100
.srst:  loop    .srst
        mov     al, 0x02
        out     dx, al
.bsy1:  in      al, dx
        test    al, 0x80
        jnz     .bsy1
        mov     dx, 0x1F6
        mov     al, 0xA0
        out     dx, al
        mov     dx, 0x3F6
.bsy2:  in      al, dx
        test    al, 0x80
        jnz     .bsy2
        mov     dx, 0x1F7
        mov     al, 0xEC
        out     dx, al
        mov     dx, 0x3F6
.bsy3:  in      al, dx
        test    al, 0x80
        jnz     .bsy3
        mov     dx, 0x1F7
        in      al, dx
        push    ax
        P       " ata="
        pop     ax
        call    puthex8
        test    al, 0x08
        jz      .noid
        mov     di, idbuf
        mov     cx, 256
        mov     dx, 0x1F0
        cld
        rep     insw
.noid:  P       " cyl="
        mov     ax, [idbuf+2]
        call    puthex16

        ; arithmetic
        xor     eax, eax
        mov     ecx, 10000
.sum:   add     eax, ecx
        loop    .sum, ecx
        P       " sum="
        call    putdec
        P       10
        EXIT    0x10

irq0:
        inc     dword [cs:ticks]
        push    ax
        mov     al, 0x20
        out     0x20, al
        pop     ax
        iret

        align   4
ticks:  dd      0
idbuf:  times 256 dw 0
