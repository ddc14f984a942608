; tsccal - calibrate the TSC against the 8254 PIT three ways, as Linux
; does on a PC without an HPET or a CPUID/MSR frequency (arch/x86/kernel/
; tsc.c), and print each estimate of the TSC rate in Hz:
;
;   pit    pit_calibrate_tsc: counter 2 in mode 0 with a 50 ms count, its
;          GATE held high through port 61h; read the TSC, poll port 61h
;          bit 5 (OUT2) until the count expires, read the TSC again.
;          Linux's sanity checks are printed too: the number of polls
;          (at least 1000 for a trusted result) and the smallest and
;          largest TSC step between polls (max within 10 x min).
;   quick  quick_pit_calibrate: counter 2 in mode 0 from FFFFh, watch its
;          MSB step down (one step per 256 PIT clocks), taking the TSC at
;          each step together with how uncertain that reading is, until
;          the uncertainty is below 1/2048 (500 ppm) of the interval.
;          (One change from Linux: see wait_loaded.)
;   irq    counter 0 in mode 2 (rate generator), 10 ms per period, IRQ 0
;          through the 8259A; the handler reads the TSC at the 2nd and
;          12th interrupt while the main loop waits in HLT. (The first
;          interrupt is not a period: programming mode 2 takes OUT0 from
;          its power-on low to high, an edge the 8259A latches at once.)
;
; Output (port 0E9h), one line per method:
;   pit hz=N loops=N min=N max=N
;   quick hz=N steps=N
;   irq hz=N
; then "tsccal: done" and exit status 33. A method that fails prints
; "<name> FAIL ..." and the guest exits with status 35.
;
; Loaded by LoadRaw at 0000:7C00, no BIOS.

        org     0x7C00
%include "lib16.inc"

LATCH       equ PIT_HZ / 20     ; 50 ms: Linux's PIT_TICK_RATE / (1000 / ms)
LOOPMIN     equ 1000            ; Linux's loopmin for the 50 ms pass
QUICK_MAX   equ (50 * PIT_HZ / 1000) / 256  ; MAX_QUICK_PIT_ITERATIONS
IRQ_LATCH   equ 11932           ; ~10 ms per IRQ 0
IRQ_PERIODS equ 10

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        mov     byte [failed], 0
        call    pit_calibrate
        call    quick_calibrate
        call    irq_calibrate
        cmp     byte [failed], 0
        jne     .bad
        P       "tsccal: done", 10
        EXIT    0x10
.bad:   P       "tsccal: FAILED", 10
        EXIT    0x11

; gate2_high: counter 2 GATE on, speaker data off (port 61h bits 0, 1).
gate2_high:
        in      al, 0x61
        and     al, 0xFD
        or      al, 0x01
        out     0x61, al
        ret

; ------------------------------------------------------------- pit
pit_calibrate:
        call    gate2_high
        mov     al, 0xB0                ; counter 2, LSB then MSB, mode 0, binary
        out     0x43, al
        mov     al, LATCH & 0xFF
        out     0x42, al
        mov     al, LATCH >> 8
        out     0x42, al
        rdtsc
        mov     [t1], eax               ; t1 = t2 = tsc = get_cycles()
        mov     ebx, eax                ; ebx: tsc (also t2)
        mov     esi, 0xFFFFFFFF         ; tscmin
        xor     edi, edi                ; tscmax
        xor     ebp, ebp                ; pitcnt
.poll:  in      al, 0x61
        test    al, 0x20                ; OUT2
        jnz     .expired
        rdtsc
        mov     ecx, eax
        sub     ecx, ebx                ; delta = t2 - tsc
        mov     ebx, eax
        cmp     ecx, esi
        jae     .notmin
        mov     esi, ecx
.notmin:
        cmp     ecx, edi
        jbe     .notmax
        mov     edi, ecx
.notmax:
        inc     ebp
        jmp     .poll
.expired:
        mov     eax, ebx
        sub     eax, [t1]               ; t2 - t1
        mov     ecx, PIT_HZ
        mul     ecx
        mov     ecx, LATCH
        div     ecx                     ; Hz = (t2 - t1) * PIT_HZ / LATCH
        cmp     ebp, LOOPMIN
        jb      .bad
        mov     ecx, esi
        imul    ecx, ecx, 10
        cmp     edi, ecx
        ja      .bad
        P       "pit hz="
        jmp     .print
.bad:   mov     byte [failed], 1
        P       "pit FAIL hz="
.print: call    putdec
        P       " loops="
        mov     eax, ebp
        call    putdec
        P       " min="
        mov     eax, esi
        call    putdec
        P       " max="
        mov     eax, edi
        call    putdec
        P       10
        ret

; ------------------------------------------------------------ quick
; pit_verify_msb: read counter 2 (LSB, then MSB) and compare the MSB with
; BL. ZF set when equal.
pit_verify_msb:
        in      al, 0x42
        in      al, 0x42
        cmp     al, bl
        ret

; pit_expect_msb: while the MSB reads BL (at most 50000 times) keep the
; TSC of the latest read that saw it; returns EAX = that TSC, ECX = the
; TSC now minus the one before it (how uncertain EAX is), CF clear when
; the MSB was seen more than 5 times.
pit_expect_msb:
        push    si
        push    edi
        push    ebp
        xor     si, si                  ; count
        xor     edi, edi                ; tsc
        xor     ebp, ebp                ; prev_tsc
.loop:  call    pit_verify_msb
        jne     .out
        mov     ebp, edi
        rdtsc
        mov     edi, eax
        inc     si
        cmp     si, 50000
        jb      .loop
.out:   rdtsc
        sub     eax, ebp
        mov     ecx, eax                ; *deltap = get_cycles() - prev_tsc
        mov     eax, edi                ; *tscp = tsc
        cmp     si, 6                   ; count > 5
        pop     ebp
        pop     edi
        pop     si
        ret                             ; CF = count < 6

; wait_loaded: wait until counter 2 has loaded its count. Linux reads the
; counter once here ("pit_verify_msb(0)"), counting on the read taking
; about a microsecond, longer than one PIT clock (838 ns), as an ISA I/O
; cycle does on a real PC. Under gox86 a port access takes one
; instruction time, so the guest asks the 8254 instead: read-back
; command E8h latches counter 2's status, whose bit 6 (NULL COUNT) stays
; set until the count register has been transferred to the counter.
wait_loaded:
        mov     al, 0xE8
        out     0x43, al
        in      al, 0x42
        test    al, 0x40
        jnz     wait_loaded
        ret

quick_calibrate:
        call    gate2_high
        mov     al, 0xB0
        out     0x43, al
        mov     al, 0xFF
        out     0x42, al
        out     0x42, al
        call    wait_loaded
        mov     bl, 0xFF
        call    pit_expect_msb
        jc      .fail
        mov     [q_tsc], eax
        mov     [q_d1], ecx
        mov     dword [q_i], 1
.iter:  mov     bl, 0xFF
        sub     bl, [q_i]
        call    pit_expect_msb
        jc      .fail
        sub     eax, [q_tsc]            ; delta
        mov     [q_delta], eax
        add     ecx, [q_d1]             ; d1 + d2
        cmp     dword [q_i], 1
        jne     .check
        mov     edx, eax                ; i == 1: give up if d1+d2 >=
        imul    edx, edx, QUICK_MAX     ; (delta * MAX_QUICK_PIT_ITERATIONS) >> 11
        shr     edx, 11
        cmp     ecx, edx
        jae     .fail
.check: mov     edx, [q_delta]
        shr     edx, 11                 ; error below 500 ppm yet?
        cmp     ecx, edx
        jae     .next
        mov     bl, 0xFE
        sub     bl, [q_i]
        call    pit_verify_msb          ; all reads stable w.r.t. the PIT
        jne     .fail
        mov     eax, [q_delta]
        mov     ecx, PIT_HZ
        mul     ecx
        mov     ecx, [q_i]
        shl     ecx, 8
        div     ecx                     ; Hz = delta * PIT_HZ / (i * 256)
        P       "quick hz="
        call    putdec
        P       " steps="
        mov     eax, [q_i]
        call    putdec
        P       10
        ret
.next:  inc     dword [q_i]
        cmp     dword [q_i], QUICK_MAX
        jbe     .iter
.fail:  mov     byte [failed], 1
        P       "quick FAIL step="
        mov     eax, [q_i]
        call    putdec
        P       10
        ret

; -------------------------------------------------------------- irq
irq_calibrate:
        call    pic_init
        mov     word [0x20*4], irq0
        mov     word [0x20*4+2], 0
        mov     dword [ticks], 0
        mov     al, 0xFE                ; IRQ 0 only
        out     0x21, al
        mov     al, 0x34                ; counter 0, LSB then MSB, mode 2
        out     0x43, al
        mov     al, IRQ_LATCH & 0xFF
        out     0x40, al
        mov     al, IRQ_LATCH >> 8
        out     0x40, al
        sti
.wait:  hlt
        cmp     dword [ticks], IRQ_PERIODS + 2
        jb      .wait
        cli
        mov     al, 0xFF
        out     0x21, al
        mov     eax, [it2]
        sub     eax, [it1]
        mov     ecx, PIT_HZ
        mul     ecx
        mov     ecx, IRQ_LATCH * IRQ_PERIODS
        div     ecx
        P       "irq hz="
        call    putdec
        P       10
        ret

irq0:
        push    eax
        push    edx
        rdtsc
        inc     dword [cs:ticks]
        cmp     dword [cs:ticks], 2
        jne     .not1
        mov     [cs:it1], eax
.not1:  cmp     dword [cs:ticks], IRQ_PERIODS + 2
        jne     .eoi
        mov     [cs:it2], eax
.eoi:   mov     al, 0x20
        out     0x20, al
        pop     edx
        pop     eax
        iret

        align   4
t1:      dd 0
q_tsc:   dd 0
q_d1:    dd 0
q_i:     dd 0
q_delta: dd 0
ticks:   dd 0
it1:     dd 0
it2:     dd 0
failed:  db 0
