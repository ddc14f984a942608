; hltwait - wait in HLT for timer interrupts about a second away, so the
; test can check that a halted CPU costs no instructions: the machine
; jumps virtual time straight to the next device deadline.
;
;   pit  counter 0 in mode 2 with a 50 ms period (count 59659); HLT until
;        22 interrupts have come. The first is the edge of OUT0 going high
;        when mode 2 is programmed; the TSC is taken at the end of the
;        1st period (2nd interrupt) and of the 21st (22nd interrupt): 20
;        periods, 0.99999 s of PIT time.
;   rtc  MC146818A: HLT until the update-ended interrupt, which starts a
;        second; set the alarm to the next second (minutes and hours
;        "don't care") and HLT until the alarm interrupt: 1 s exactly.
;
; Output (port 0E9h):
;   pit periods=20 tsc=N
;   rtc alarm tsc=N sec=SS alarm=SS
;   hltwait: done
; where tsc is the TSC difference between the two interrupts. Loaded by
; LoadRaw at 0000:7C00, no BIOS.

        org     0x7C00
%include "lib16.inc"

PIT_COUNT   equ 59659           ; 50 ms
PERIODS     equ 20

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        call    pic_init
        mov     word [0x20*4], irq0
        mov     word [0x20*4+2], 0
        mov     word [0x28*4], irq8
        mov     word [0x28*4+2], 0

; ------------------------------------------------------------- pit
        mov     al, 0xFE                ; IRQ 0 only
        out     0x21, al
        mov     al, 0x34                ; counter 0, LSB then MSB, mode 2
        out     0x43, al
        mov     al, PIT_COUNT & 0xFF
        out     0x40, al
        mov     al, PIT_COUNT >> 8
        out     0x40, al
        sti
.pit:   hlt
        cmp     dword [ticks], PERIODS + 2
        jb      .pit
        cli
        mov     al, 0xFF
        out     0x21, al
        mov     al, 0x30                ; counter 0 back to mode 0, no count
        out     0x43, al
        P       "pit periods="
        mov     eax, PERIODS
        call    putdec
        P       " tsc="
        mov     eax, [pit_t2]
        sub     eax, [pit_t1]
        call    putdec
        P       10

; ------------------------------------------------------------- rtc
        mov     al, 0x0B
        out     0x70, al
        mov     al, 0x12                ; UIE, 24-hour, BCD
        out     0x71, al
        call    rtc_ack
        mov     al, 0xFB                ; IRQ 2 (cascade)
        out     0x21, al
        mov     al, 0xFE                ; IRQ 8
        out     0xA1, al
        sti
.upd:   hlt
        test    byte [rtc_flags], 0x10  ; UF
        jz      .upd
        cli
        mov     eax, [rtc_tsc]
        mov     [upd_tsc], eax
        xor     al, al                  ; seconds, just updated
        out     0x70, al
        in      al, 0x71
        mov     [sec], al
        add     al, 1
        daa
        cmp     al, 0x60
        jne     .set
        xor     al, al
.set:   mov     [alarm], al
        mov     bl, al
        mov     al, 0x01                ; seconds alarm
        out     0x70, al
        mov     al, bl
        out     0x71, al
        mov     al, 0x03                ; minutes alarm: don't care
        out     0x70, al
        mov     al, 0xC0
        out     0x71, al
        mov     al, 0x05                ; hours alarm: don't care
        out     0x70, al
        mov     al, 0xC0
        out     0x71, al
        mov     al, 0x0B
        out     0x70, al
        mov     al, 0x22                ; AIE only, 24-hour, BCD
        out     0x71, al
        call    rtc_ack
        sti
.alm:   hlt
        test    byte [rtc_flags], 0x20  ; AF
        jz      .alm
        cli
        mov     al, 0x0B
        out     0x70, al
        mov     al, 0x02
        out     0x71, al
        mov     al, 0xFF
        out     0x21, al
        out     0xA1, al
        P       "rtc alarm tsc="
        mov     eax, [rtc_tsc]
        sub     eax, [upd_tsc]
        call    putdec
        P       " sec="
        mov     al, [sec]
        call    puthex8
        P       " alarm="
        mov     al, [alarm]
        call    puthex8
        P       10
        P       "hltwait: done", 10
        EXIT    0x10

; rtc_ack: read register C (clears its flags) and forget the flags seen.
rtc_ack:
        mov     al, 0x0C
        out     0x70, al
        in      al, 0x71
        mov     byte [rtc_flags], 0
        ret

irq0:
        push    eax
        push    edx
        rdtsc
        inc     dword [cs:ticks]
        cmp     dword [cs:ticks], 2
        jne     .not1
        mov     [cs:pit_t1], eax
.not1:  cmp     dword [cs:ticks], PERIODS + 2
        jne     .eoi
        mov     [cs:pit_t2], eax
.eoi:   mov     al, 0x20
        out     0x20, al
        pop     edx
        pop     eax
        iret

irq8:
        push    eax
        push    edx
        rdtsc
        mov     [cs:rtc_tsc], eax
        mov     al, 0x0C
        out     0x70, al
        in      al, 0x71
        or      [cs:rtc_flags], al
        mov     al, 0x20
        out     0xA0, al
        out     0x20, al
        pop     edx
        pop     eax
        iret

        align   4
ticks:     dd 0
pit_t1:    dd 0
pit_t2:    dd 0
rtc_tsc:   dd 0
upd_tsc:   dd 0
rtc_flags: db 0
sec:       db 0
alarm:     db 0
