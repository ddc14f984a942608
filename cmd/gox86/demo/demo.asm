; demo.asm - the built-in real-mode demo guest of gox86.
;
; Loaded at 0000:7C00 and started in real mode, it prints through the
; debug console (port 0E9h): a banner, a message from its own software
; interrupt handler (INT 80h through the IVT), the CPUID vendor string,
; the primes below 100 (trial division with DIV), and a string reversed
; with REP MOVSB/STD. It ends with CLI; HLT, which gox86 reports as the
; guest halting.
;
; Rebuild: make -C cmd/gox86/demo   (nasm -f bin -o demo.bin demo.asm)

bits 16
org 0x7C00

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        cld

        mov     si, banner
        call    puts

        ; Install and call a software interrupt handler.
        mov     word [0x80*4], int80
        mov     word [0x80*4+2], 0
        mov     si, msg_int
        int     0x80

        ; CPUID leaf 0: the vendor string.
        xor     eax, eax
        cpuid
        mov     [vendor], ebx
        mov     [vendor+4], edx
        mov     [vendor+8], ecx
        mov     si, msg_cpu
        call    puts
        mov     si, vendor
        call    puts
        call    newline

        ; Primes below 100 by trial division.
        mov     si, msg_primes
        call    puts
        mov     cx, 2
.candidate:
        mov     bx, 2
.trial:
        cmp     bx, cx
        jae     .prime
        mov     ax, cx
        xor     dx, dx
        div     bx
        test    dx, dx
        jz      .composite
        inc     bx
        jmp     .trial
.prime:
        mov     ax, cx
        call    putdec
        mov     al, ' '
        out     0xE9, al
.composite:
        inc     cx
        cmp     cx, 100
        jb      .candidate
        call    newline

        ; Reverse a string with a backwards REP MOVSB.
        mov     si, msg_rev
        call    puts
        mov     si, rword_end - 1
        mov     di, buffer
        mov     cx, rword_end - rword
.rev:
        std
        lodsb
        cld
        stosb
        loop    .rev
        mov     byte [di], 0
        mov     si, buffer
        call    puts
        call    newline

        mov     si, bye
        call    puts
        cli
        hlt

; INT 80h: print the string at DS:SI.
int80:
        call    puts
        iret

; puts: print the NUL-terminated string at DS:SI.
puts:
        push    ax
.loop:
        lodsb
        test    al, al
        jz      .done
        out     0xE9, al
        jmp     .loop
.done:
        pop     ax
        ret

newline:
        mov     al, 10
        out     0xE9, al
        ret

; putdec: print AX in decimal.
putdec:
        push    ax
        push    bx
        push    cx
        push    dx
        mov     bx, 10
        xor     cx, cx
.div:
        xor     dx, dx
        div     bx
        push    dx
        inc     cx
        test    ax, ax
        jnz     .div
.out:
        pop     ax
        add     al, '0'
        out     0xE9, al
        loop    .out
        pop     dx
        pop     cx
        pop     bx
        pop     ax
        ret

banner:     db "gox86 built-in demo: real mode at 0000:7C00", 10, 0
msg_int:    db "hello from an INT 80h handler", 10, 0
msg_cpu:    db "CPUID vendor: ", 0
msg_primes: db "primes below 100: ", 0
msg_rev:    db "reversed: ", 0
bye:        db "demo done; halting", 10, 0
rword:      db "stressed"
rword_end:
vendor:     times 13 db 0
buffer:     times 16 db 0
