; determ - a guest whose output depends on the timing of everything a PC
; does asynchronously, for the determinism test: two runs of the same
; image with the same input must print the same bytes and retire the
; same number of instructions.
;
; Sector 0 of a hard disk image the built-in BIOS boots (the disk holds
; sectors patterned as in diskerr). It
;   - loads the rest of itself with INT 13h AH=02h, reads 16 sectors with
;     INT 13h AH=42h and prints their checksum;
;   - reads the RTC's time and date (waiting out update cycles) and
;     prints them;
;   - takes over IRQ 0 (PIT counter 0 at 1 kHz), IRQ 8 (RTC periodic
;     interrupt at 1024 Hz) and IRQ 14 (ATA), each handler keeping a
;     count (and IRQ 0 the TSC of its latest interrupt);
;   - reads 8 sectors through the ATA ports, interrupt-driven: HLT until
;     IRQ 14 for each sector; prints their checksum;
;   - then, for 250 ms of PIT ticks, prints a line every 25 ticks with the
;     interrupt counts, the TSC, a latched PIT count, the RTC seconds and
;     how many bytes have arrived on COM1 so far (drained from its FIFO
;     at each line, so when they arrive depends on the UART's timing);
;   - prints the count and checksum of the bytes received ("rx total=N
;     sum=XXXXXXXX", the checksum as in checksum below, byte by byte);
; all on COM1, and exits with status 33.

        org     0x7C00
%define USE_COM1
%include "lib16.inc"

BODY_SECTORS equ 6
BUF_SEG      equ 0x2000
PIT_1KHZ     equ 1193

boot:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        mov     [boot_drive], dl
        mov     ax, 0x0200 + BODY_SECTORS
        mov     bx, 0x7E00
        mov     cx, 0x0002
        xor     dh, dh
        int     0x13
        jc      .fail
        jmp     main
.fail:  EXIT    0x11

boot_drive: db 0

        times   510-($-$$) db 0
        dw      0xAA55

; checksum: EAX = rol(EAX, 5) + dword, over the CX dwords at ES:0.
checksum:
        push    si
        push    ebx
        push    cx
        xor     eax, eax
        xor     si, si
.l:     mov     ebx, [es:si]
        rol     eax, 5
        add     eax, ebx
        add     si, 4
        loop    .l
        pop     cx
        pop     ebx
        pop     si
        ret

; cmos: AL = CMOS register AL.
cmos:
        out     0x70, al
        in      al, 0x71
        ret

; print_tsc: the TSC as 16 hex digits.
print_tsc:
        push    eax
        push    edx
        rdtsc
        push    eax
        mov     eax, edx
        call    puthex32
        pop     eax
        call    puthex32
        pop     edx
        pop     eax
        ret

main:
        call    init_com1
        P       "determ: start", 13, 10

        ; ------------------------------------ EDD read, 16 sectors at 100
        mov     word [dap+2], 16
        mov     word [dap+4], 0
        mov     word [dap+6], BUF_SEG
        mov     dword [dap+8], 100
        mov     dword [dap+12], 0
        mov     ah, 0x42
        mov     dl, [boot_drive]
        mov     si, dap
        int     0x13
        jc      .bad
        mov     ax, BUF_SEG
        mov     es, ax
        mov     cx, 16*128
        call    checksum
        P       "edd sum="
        call    puthex32
        P       13, 10

        ; ------------------------------------ RTC time and date
.uip:   mov     al, 0x0A
        call    cmos
        test    al, 0x80
        jnz     .uip
        P       "rtc "
        mov     al, 0x32
        call    cmos
        call    puthex8
        mov     al, 0x09
        call    cmos
        call    puthex8
        P       "-"
        mov     al, 0x08
        call    cmos
        call    puthex8
        P       "-"
        mov     al, 0x07
        call    cmos
        call    puthex8
        P       " "
        mov     al, 0x04
        call    cmos
        call    puthex8
        P       ":"
        mov     al, 0x02
        call    cmos
        call    puthex8
        P       ":"
        mov     al, 0x00
        call    cmos
        call    puthex8
        P       " tsc="
        call    print_tsc
        P       13, 10

        ; ------------------------------------ interrupt handlers
        cli
        mov     word [0x08*4], irq0
        mov     word [0x08*4+2], 0
        mov     word [0x70*4], irq8
        mov     word [0x70*4+2], 0
        mov     word [0x76*4], irq14
        mov     word [0x76*4+2], 0
        mov     al, 0x34                ; PIT counter 0: 1 kHz rate generator
        out     0x43, al
        mov     al, PIT_1KHZ & 0xFF
        out     0x40, al
        mov     al, PIT_1KHZ >> 8
        out     0x40, al
        mov     al, 0x0A                ; RTC: 1024 Hz periodic interrupt
        out     0x70, al
        mov     al, 0x26
        out     0x71, al
        mov     al, 0x0B
        out     0x70, al
        mov     al, 0x42                ; PIE, 24-hour, BCD
        out     0x71, al
        mov     al, 0x0C
        call    cmos
        mov     al, 0xFA                ; IRQ 0, 2
        out     0x21, al
        mov     al, 0xBE                ; IRQ 8, 14
        out     0xA1, al
        mov     dx, 0x3F6
        xor     al, al                  ; ATA interrupts on
        out     dx, al
        sti

        ; ------------------------------------ ATA read, 8 sectors at 200
        mov     dx, 0x1F6
        mov     al, 0xE0
        out     dx, al
        mov     dx, 0x1F2
        mov     al, 8
        out     dx, al
        inc     dx
        mov     al, 200
        out     dx, al
        inc     dx
        xor     al, al
        out     dx, al
        inc     dx
        out     dx, al
        mov     dx, 0x1F7
        mov     al, 0x20
        out     dx, al
        mov     ax, BUF_SEG
        mov     es, ax
        xor     di, di
        xor     bx, bx                  ; sectors read
.sector:
        cmp     [ide_count], bx         ; one interrupt per sector
        ja      .ready
        hlt
        jmp     .sector
.ready: mov     al, [ide_status]
        test    al, 0x01
        jnz     .bad
        mov     dx, 0x1F0
        mov     cx, 256
        cld
        rep     insw
        inc     bx
        cmp     bx, 8
        jb      .sector
        mov     cx, 8*128
        xor     di, di
        call    checksum
        P       "ata sum="
        call    puthex32
        P       " irqs="
        mov     eax, [ide_count]
        call    putdec
        P       13, 10

        ; ------------------------------------ 250 ms of ticks
        mov     dword [next], 25
.tick:  hlt
        mov     eax, [ticks]
        cmp     eax, [next]
        jb      .tick
        add     dword [next], 25
        P       "t="
        call    putdec
        P       " rtc="
        mov     eax, [rtc_count]
        call    putdec
        P       " pit="
        cli
        mov     al, 0x00                ; latch counter 0
        out     0x43, al
        in      al, 0x40
        mov     ah, al
        in      al, 0x40
        xchg    al, ah
        sti
        call    puthex16
        P       " sec="
        mov     al, 0x00
        call    cmos
        call    puthex8
        P       " tsc="
        call    print_tsc
        P       " irq0-tsc="
        mov     eax, [tick_tsc]
        call    puthex32
        call    drain_rx
        P       " rx="
        mov     eax, [rx_count]
        call    putdec
        P       13, 10
        cmp     dword [ticks], 250
        jb      .tick
        cli
        call    drain_rx
        P       "rx total="
        mov     eax, [rx_count]
        call    putdec
        P       " sum="
        mov     eax, [rx_sum]
        call    puthex32
        P       13, 10
        P       "determ: done", 13, 10
        EXIT    0x10
.bad:   P       "determ: FAILED", 13, 10
        EXIT    0x11

; drain_rx: take every byte waiting in COM1's receiver into rx_count and
; rx_sum.
drain_rx:
        push    eax
        push    ebx
        push    dx
.next:  mov     dx, COM1+5
        in      al, dx
        test    al, 0x01                ; LSR.DR
        jz      .done
        mov     dx, COM1
        in      al, dx
        movzx   ebx, al
        mov     eax, [rx_sum]
        rol     eax, 5
        add     eax, ebx
        mov     [rx_sum], eax
        inc     dword [rx_count]
        jmp     .next
.done:  pop     dx
        pop     ebx
        pop     eax
        ret

irq0:
        push    eax
        push    edx
        rdtsc
        mov     [cs:tick_tsc], eax
        inc     dword [cs:ticks]
        mov     al, 0x20
        out     0x20, al
        pop     edx
        pop     eax
        iret

irq8:
        push    ax
        mov     al, 0x0C
        out     0x70, al
        in      al, 0x71
        inc     dword [cs:rtc_count]
        mov     al, 0x20
        out     0xA0, al
        out     0x20, al
        pop     ax
        iret

irq14:
        push    ax
        push    dx
        mov     dx, 0x1F7
        in      al, dx                  ; acknowledges INTRQ
        mov     [cs:ide_status], al
        inc     dword [cs:ide_count]
        mov     al, 0x20
        out     0xA0, al
        out     0x20, al
        pop     dx
        pop     ax
        iret

        align   4
dap:        db  16, 0
            dw  0, 0, 0
            dq  0
ticks:      dd  0
tick_tsc:   dd  0
rtc_count:  dd  0
ide_count:  dd  0
next:       dd  0
rx_count:   dd  0
rx_sum:     dd  0
ide_status: db  0

        times   (BODY_SECTORS+1)*512-($-$$) db 0
