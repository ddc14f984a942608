; demoos.asm - the built-in demo OS of gox86: a 1.44 MB boot floppy that
; walks the path a PC takes from the BIOS to a protected-mode kernel with
; paging and interrupts, and narrates every step.
;
; Every line goes to three places: the screen (INT 10h teletype in real
; mode, the VGA text buffer directly in protected mode), COM1 (port 3F8h,
; 115200 8N1, polling the LSR's THRE bit) and the debug console (port
; E9h, without the carriage returns). The steps:
;
;   1. BIOS boot: the BIOS loads sector 0 to 0000:7C00 and jumps to it with
;      the boot drive in DL; this boot sector loads stage 2 (the rest of
;      the OS, sectors 2 onwards of track 0) to 0000:8000 with INT 13h.
;   2. Real mode: the memory map from INT 15h AX=E820h, the date and time
;      from INT 1Ah AH=04h/02h, the A20 gate through INT 15h AX=2401h.
;   3. Protected mode: LGDT, CR0.PE, a far jump to 32-bit code; then
;      paging: the first 4 MiB identity-mapped, plus one page at virtual
;      00400000h mapping the text screen at B8000h, through which all
;      later screen output goes (so it only shows if paging works).
;   4. Interrupts: the 8259A PICs remapped to INT 20h-2Fh, the 8254 PIT at
;      100 Hz, an IDT with exception handlers, IRQ0 (timer) and IRQ1
;      (keyboard); STI; a line per second of PIT ticks, three of them.
;   5. Keyboard echo: IRQ1 scan codes (set 1, as the 8042 translates them)
;      and bytes received on COM1 are echoed; ESC ends, and so do 3 s of
;      ticks without a key. Then the uptime and the RTC time, a goodbye,
;      and `out 0F4h, 10h` (isa-debug-exit: exit status 33, which `gox86
;      run` reports as 0 for its built-in demo).
;
; An unexpected CPU exception prints its vector and EIP and exits with
; 11h (status 35).
;
; Rebuild: make -C cmd/gox86/demoos  (needs nasm and gzip)

%define IMAGE_SIZE      1474560         ; 80 cylinders x 2 heads x 18 sectors
STAGE2_ADDR     equ 0x8000
SECTORS_PER_TRACK equ 18

COM1            equ 0x3F8
DEBUGCON        equ 0xE9
EXIT_PORT       equ 0xF4
EXIT_OK         equ 0x10            ; exit status (10h << 1) | 1 = 33
EXIT_FAIL       equ 0x11            ; exit status 35

E820_BUF        equ 0x7000          ; one 24-byte E820 entry
PAGE_DIR        equ 0x20000
PAGE_TABLE0     equ 0x21000         ; maps 0-4 MiB one to one
PAGE_TABLE1     equ 0x22000         ; maps 4 MiB onwards: one page, the screen
IDT_ADDR        equ 0x23000
IDT_GATES       equ 48
PM_STACK_TOP    equ 0x90000
SCREEN_PHYS     equ 0xB8000
SCREEN_VIRT     equ 0x400000

PIT_HZ          equ 100
PIT_DIVISOR     equ 11932           ; 1193182 Hz / 100, rounded
TICK_SECONDS    equ 3               ; "tick: N s" lines
KEY_TIMEOUT     equ 3 * PIT_HZ      ; ticks without a key that end the demo

; Text attributes (background << 4 | foreground, VGA colour numbers).
A_TEXT          equ 0x07            ; light grey
A_BOOT          equ 0x0D            ; light magenta
A_REAL          equ 0x0B            ; light cyan
A_PROT          equ 0x0A            ; light green
A_IRQ           equ 0x0E            ; yellow
A_KEY           equ 0x0F            ; white
A_END           equ 0x0C            ; light red
A_BANNER        equ 0x1F            ; white on blue

; In strings: C(attr) switches the colour (screen only); NL ends a line.
%define C(a)    1, a
%define NL      13, 10

; ======================================================================
; Sector 0: the boot sector, loaded by the BIOS at 0000:7C00.
; ======================================================================
section boot start=0 vstart=0x7C00
bits 16

boot:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        jmp     0:.cs0                  ; some BIOSes enter at 07C0:0000
.cs0:   sti
        cld
        mov     [boot_drive], dl

        ; COM1: 115200 baud (divisor 1), 8N1, FIFOs on, no interrupts.
        mov     si, uart_setup
.uart:  lodsb
        cmp     al, 0xFF
        je      .uart_done
        mov     dx, COM1
        add     dl, al
        lodsb
        out     dx, al
        jmp     .uart
.uart_done:

        mov     si, msg_banner
        call    b_puts
        mov     si, msg_loaded
        call    b_puts
        mov     al, [boot_drive]
        call    b_hex8
        mov     si, msg_in_dl
        call    b_puts

        ; Read stage 2: cylinder 0, head 0, sectors 2 onwards, to 0000:8000.
        mov     di, 3                   ; tries
.read:  mov     ax, 0x0200 | STAGE2_SECTORS
        mov     bx, STAGE2_ADDR
        mov     cx, 0x0002
        xor     dh, dh
        mov     dl, [boot_drive]
        int     0x13
        jnc     .read_ok
        xor     ah, ah                  ; reset the drive and retry
        mov     dl, [boot_drive]
        int     0x13
        dec     di
        jnz     .read
        mov     si, msg_read_err
        call    b_puts
        mov     al, EXIT_FAIL
        out     EXIT_PORT, al
        cli
        hlt

.read_ok:
        push    ax                      ; AL = sectors transferred
        mov     si, msg_read1
        call    b_puts
        pop     ax
        aam                             ; AH = tens, AL = units
        test    ah, ah
        jz      .units
        push    ax
        mov     al, ah
        add     al, '0'
        call    b_putc
        pop     ax
.units: add     al, '0'
        call    b_putc
        mov     si, msg_read2
        call    b_puts
        mov     al, [boot_drive]
        call    b_hex8
        mov     si, msg_read3
        call    b_puts

        mov     dl, [boot_drive]
        jmp     0:STAGE2_ADDR

; b_puts: print the string at DS:SI (C(attr) escapes allowed).
b_puts: lodsb
        test    al, al
        jz      .done
        cmp     al, 1
        jne     .char
        lodsb
        mov     [b_attr], al
        jmp     b_puts
.char:  call    b_putc
        jmp     b_puts
.done:  ret

; b_hex8: print AL as two hex digits.
b_hex8: push    ax
        shr     al, 4
        call    .digit
        pop     ax
.digit: and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     b_putc
        add     al, 'a' - '9' - 1
        ; fall through

; b_putc: print AL on the screen, COM1 and the debug console.
b_putc: pusha
        mov     [b_char], al
        cmp     al, ' '
        jb      .tty
        mov     ah, 0x09                ; character and attribute at the cursor
        mov     bl, [b_attr]
        xor     bh, bh
        mov     cx, 1
        int     0x10
.tty:   mov     al, [b_char]
        mov     ah, 0x0E                ; teletype: advance, scroll
        xor     bh, bh
        int     0x10
        mov     dx, COM1 + 5
.thre:  in      al, dx
        test    al, 0x20
        jz      .thre
        mov     dx, COM1
        mov     al, [b_char]
        out     dx, al
        cmp     al, 13
        je      .done
        out     DEBUGCON, al
.done:  popa
        ret

uart_setup:     ; register offset, value
        db      1, 0x00                 ; IER: no interrupts
        db      3, 0x80                 ; LCR: DLAB
        db      0, 0x01                 ; DLL: divisor 1 = 115200 baud
        db      1, 0x00                 ; DLM
        db      3, 0x03                 ; LCR: 8N1
        db      2, 0xC7                 ; FCR: FIFOs on and cleared
        db      4, 0x03                 ; MCR: DTR, RTS
        db      0xFF

msg_banner:     db C(A_BANNER), " gox86 demo OS ", C(A_TEXT), NL, 0
msg_loaded:     db C(A_BOOT), "boot:", C(A_TEXT), " the BIOS loaded this boot sector to 0000:7c00; drive ", 0
msg_in_dl:      db "h in DL", NL, 0
msg_read1:      db C(A_BOOT), "boot:", C(A_TEXT), " INT 13h AH=02h read ", 0
msg_read2:      db " sectors of drive ", 0
msg_read3:      db "h (CHS 0/0/2) to 0000:8000", NL, 0
msg_read_err:   db "boot: disk read error", NL, 0

b_attr:         db A_TEXT
b_char:         db 0
boot_drive:     db 0

        times 510 - ($ - $$) db 0
        dw      0xAA55

; ======================================================================
; Stage 2, loaded at 0000:8000: real mode, then protected mode.
; ======================================================================
section stage2 start=512 vstart=STAGE2_ADDR

; ---------------------------------------------------------------------
; Printing, assembled twice: once for real mode (prefix rm, 16-bit code)
; and once for protected mode (prefix pm). Each needs %1_putc. The code
; uses 32-bit registers so the same source serves both modes.
;
;   %1_say      print the NUL-terminated string that follows the call
;   %1_puts     print the string at [ESI]
;   %1_hex8/16/32, %1_dec32   print AL/AX/EAX in hex or EAX in decimal
; ---------------------------------------------------------------------
%macro PRINT_LIB 2
%1_say:
        push    ebp
        mov     ebp, esp
        push    esi
%if %2 == 16
        movzx   esi, word [bp + 4]      ; the return address: the string
        call    %1_puts_adv
        mov     [bp + 4], si
%else
        mov     esi, [ebp + 4]
        call    %1_puts_adv
        mov     [ebp + 4], esi
%endif
        pop     esi
        pop     ebp
        ret

%1_puts:
        push    esi
        call    %1_puts_adv
        pop     esi
        ret

; %1_puts_adv: print the string at [ESI]; ESI ends past its NUL.
%1_puts_adv:
        push    eax
.next:  mov     al, [esi]
        inc     esi
        test    al, al
        jz      .done
        cmp     al, 1
        jne     .char
        mov     al, [esi]
        inc     esi
        mov     [attr], al
        jmp     .next
.char:  call    %1_putc
        jmp     .next
.done:  pop     eax
        ret

%1_hex8:
        push    ecx
        mov     ecx, 2
        jmp     %1_hexn
%1_hex16:
        push    ecx
        mov     ecx, 4
        jmp     %1_hexn
%1_hex32:
        push    ecx
        mov     ecx, 8
; %1_hexn: print the low ECX hex digits of EAX (the caller pushed ECX).
%1_hexn:
        push    eax
        push    ecx
        neg     ecx
        add     ecx, 8
        shl     ecx, 2
        rol     eax, cl                 ; first digit now in the top nibble
        pop     ecx
.digit: rol     eax, 4
        push    eax
        and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .out
        add     al, 'a' - '9' - 1
.out:   call    %1_putc
        pop     eax
        loop    .digit
        pop     eax
        pop     ecx
        ret

%1_dec32:
        pushad
        mov     ebx, 10
        xor     ecx, ecx
.div:   xor     edx, edx
        div     ebx
        push    edx
        inc     ecx
        test    eax, eax
        jnz     .div
.out:   pop     eax
        add     al, '0'
        call    %1_putc
        loop    .out
        popad
        ret

; %1_dec2: print AL (0-99) as two decimal digits.
%1_dec2:
        push    eax
        aam
        xchg    al, ah
        add     al, '0'
        call    %1_putc
        mov     al, ah
        add     al, '0'
        call    %1_putc
        pop     eax
        ret

; %1_serial: send AL on COM1 once the transmit holding register is empty.
%1_serial:
        push    edx
        push    eax
        mov     dx, COM1 + 5
.thre:  in      al, dx
        test    al, 0x20
        jz      .thre
        pop     eax
        mov     dx, COM1
        out     dx, al
        pop     edx
        ret

; %1_debugcon: AL to port E9h, dropping carriage returns.
%1_debugcon:
        cmp     al, 13
        je      .skip
        out     DEBUGCON, al
.skip:  ret
%endmacro

%macro SAY 1+
        call    say_fn
        db      %1, 0
%endmacro

; ---------------------------------------------------------------------
; Real mode
; ---------------------------------------------------------------------
bits 16
%define say_fn rm_say

stage2:
        mov     [boot_drive2], dl
        SAY     C(A_REAL), "real mode:", C(A_TEXT), " stage 2 running at 0000:8000, CR0.PE=0, 64 KiB segments", NL

        ; ---- the memory map: INT 15h AX=E820h, one entry per call ----
        SAY     C(A_REAL), "e820:", C(A_TEXT), " the BIOS memory map (INT 15h AX=E820h):", NL
        xor     ebx, ebx
.e820:  mov     eax, 0xE820
        mov     ecx, 24
        mov     edx, 0x534D4150         ; 'SMAP'
        mov     di, E820_BUF
        mov     dword [di + 20], 1      ; ACPI 3.0 attributes: valid
        int     0x15
        jc      .e820_done
        cmp     eax, 0x534D4150
        jne     .e820_done
        mov     [e820_next], ebx
        inc     word [e820_count]
        call    print_e820
        mov     ebx, [e820_next]
        test    ebx, ebx
        jnz     .e820
.e820_done:
        SAY     C(A_REAL), "e820:", C(A_TEXT), " "
        movzx   eax, word [e820_count]
        call    rm_dec32
        SAY     " entries, "
        mov     eax, [usable_kib]
        call    rm_dec32
        SAY     " KiB usable", NL

        ; ---- the real-time clock: INT 1Ah AH=04h (date), AH=02h (time) ----
        SAY     C(A_REAL), "rtc:", C(A_TEXT), " "
        mov     ah, 0x04
        int     0x1A                    ; CH century, CL year, DH month, DL day (BCD)
        mov     al, ch
        call    rm_hex8
        mov     al, cl
        call    rm_hex8
        SAY     "-"
        mov     al, dh
        call    rm_hex8
        SAY     "-"
        mov     al, dl
        call    rm_hex8
        SAY     " "
        mov     ah, 0x02
        int     0x1A                    ; CH hours, CL minutes, DH seconds (BCD)
        mov     al, ch
        call    rm_hex8
        SAY     ":"
        mov     al, cl
        call    rm_hex8
        SAY     ":"
        mov     al, dh
        call    rm_hex8
        SAY     " (INT 1Ah AH=04h and AH=02h)", NL

        ; ---- the A20 gate ----
        mov     ax, 0x2401
        int     0x15
        push    ds
        push    es
        xor     ax, ax
        mov     ds, ax
        dec     ax
        mov     es, ax                  ; ES = FFFFh: ES:0510h is 100500h
        mov     byte [ds:0x500], 0x55
        mov     byte [es:0x510], 0xAA
        mov     al, [ds:0x500]
        pop     es
        pop     ds
        cmp     al, 0x55
        jne     .a20_off
        SAY     C(A_REAL), "a20:", C(A_TEXT), " on (INT 15h AX=2401h): 0000:0500 and ffff:0510 are different bytes", NL
        jmp     .a20_done
.a20_off:
        SAY     C(A_REAL), "a20:", C(A_TEXT), " still off: ffff:0510 wraps to 0000:0500", NL
.a20_done:

        ; ---- protected mode ----
        SAY     C(A_PROT), "gdt:", C(A_TEXT), " LGDT: null, 08h code and 10h data, base 0, limit 4 GiB", NL
        SAY     C(A_PROT), "protected mode:", C(A_TEXT), " CLI, set CR0.PE, far jump to 0008:"
        mov     eax, pm_entry
        call    rm_hex32
        SAY     NL
        mov     ah, 0x03                ; where the BIOS left the cursor
        xor     bh, bh
        int     0x10
        mov     [cur_row], dh
        mov     [cur_col], dl
        cli
        o32 lgdt [gdt_desc]
        mov     eax, cr0
        or      al, 1                   ; PE
        mov     cr0, eax
        jmp     dword 0x08:pm_entry

; print_e820: one line for the entry at E820_BUF, in the format Linux uses,
; and add usable entries to usable_kib.
print_e820:
        SAY     C(A_REAL), "e820:", C(A_TEXT), " [mem 0x"
        mov     eax, [E820_BUF + 4]
        call    rm_hex32
        mov     eax, [E820_BUF]
        call    rm_hex32
        SAY     "-0x"
        mov     eax, [E820_BUF]         ; end = base + length - 1
        mov     edx, [E820_BUF + 4]
        add     eax, [E820_BUF + 8]
        adc     edx, [E820_BUF + 12]
        sub     eax, 1
        sbb     edx, 0
        push    eax
        mov     eax, edx
        call    rm_hex32
        pop     eax
        call    rm_hex32
        SAY     "] "
        mov     eax, [E820_BUF + 16]
        cmp     eax, 1
        jne     .not_usable
        SAY     "usable", NL
        mov     eax, [E820_BUF + 8]
        mov     edx, [E820_BUF + 12]
        shrd    eax, edx, 10
        add     [usable_kib], eax
        ret
.not_usable:
        cmp     eax, 2
        jne     .other
        SAY     "reserved", NL
        ret
.other: SAY     "type "
        call    rm_dec32
        SAY     NL
        ret

; rm_putc: AL on the screen (INT 10h: AH=09h sets the colour of the cell,
; AH=0Eh writes and advances), COM1 and the debug console.
rm_putc:
        pushad
        mov     [char], al
        cmp     al, ' '
        jb      .tty
        mov     ah, 0x09
        mov     bl, [attr]
        xor     bh, bh
        mov     cx, 1
        int     0x10
.tty:   mov     al, [char]
        mov     ah, 0x0E
        xor     bh, bh
        int     0x10
        mov     al, [char]
        call    rm_serial
        call    rm_debugcon
        popad
        ret

        PRINT_LIB rm, 16

gdt:    dq      0
        dq      0x00CF9A000000FFFF      ; 08h: code, base 0, 4 GiB, 32-bit
        dq      0x00CF92000000FFFF      ; 10h: data, base 0, 4 GiB
gdt_end:
gdt_desc:
        dw      gdt_end - gdt - 1
        dd      gdt

; ---------------------------------------------------------------------
; Protected mode
; ---------------------------------------------------------------------
bits 32
%undef say_fn
%define say_fn pm_say

pm_entry:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     esp, PM_STACK_TOP
        cld
        SAY     C(A_PROT), "protected mode:", C(A_TEXT), " on, CR0=0x"
        mov     eax, cr0
        call    pm_hex32
        SAY     ", CS="
        mov     ax, cs
        call    pm_hex16
        SAY     "h, 32-bit flat segments", NL

        ; ---- paging ----
        mov     edi, PAGE_DIR           ; clear the directory and both tables
        xor     eax, eax
        mov     ecx, 3 * 1024
        rep     stosd
        mov     dword [PAGE_DIR], PAGE_TABLE0 | 3          ; present, writable
        mov     dword [PAGE_DIR + 4], PAGE_TABLE1 | 3
        mov     edi, PAGE_TABLE0
        mov     eax, 3
.map:   stosd                           ; page n -> frame n
        add     eax, 0x1000
        cmp     edi, PAGE_TABLE0 + 4096
        jb      .map
        mov     dword [PAGE_TABLE1], SCREEN_PHYS | 3
        SAY     C(A_PROT), "paging:", C(A_TEXT), " directory 0x"
        mov     eax, PAGE_DIR
        call    pm_hex32
        SAY     ": 0-4 MiB identity, 0x"
        mov     eax, SCREEN_VIRT
        call    pm_hex32
        SAY     " -> 0x"
        mov     eax, SCREEN_PHYS
        call    pm_hex32
        SAY     NL
        mov     eax, PAGE_DIR
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000         ; PG
        mov     cr0, eax
        mov     dword [screen], SCREEN_VIRT
        SAY     C(A_PROT), "paging:", C(A_TEXT), " on, CR0=0x"
        mov     eax, cr0
        call    pm_hex32
        SAY     ", CR3=0x"
        mov     eax, cr3
        call    pm_hex32
        SAY     "; screen now written at 0x"
        mov     eax, SCREEN_VIRT
        call    pm_hex32
        SAY     NL

        ; ---- the keyboard controller, as the BIOS left it ----
.flush: in      al, 0x64                ; drop anything waiting
        test    al, 1
        jz      .flushed
        in      al, 0x60
        jmp     .flush
.flushed:
        mov     al, 0x20                ; read the command byte
        out     0x64, al
        mov     ecx, 100000
.obf:   in      al, 0x64
        test    al, 1
        jnz     .ccb
        loop    .obf
.ccb:   in      al, 0x60
        mov     bl, al
        SAY     C(A_IRQ), "kbd:", C(A_TEXT), " 8042 command byte 0x"
        mov     al, bl
        call    pm_hex8
        SAY     ": translation to scan code set 1 "
        test    bl, 0x40
        call    say_on_off
        SAY     ", IRQ1 "
        test    bl, 0x01
        call    say_on_off
        SAY     NL

        ; ---- the PICs: ICW1-ICW4, then the masks ----
        mov     al, 0x11                ; ICW1: edge, cascade, ICW4 follows
        out     0x20, al
        out     0xA0, al
        mov     al, 0x20                ; ICW2: vector bases
        out     0x21, al
        mov     al, 0x28
        out     0xA1, al
        mov     al, 0x04                ; ICW3: slave on IR2
        out     0x21, al
        mov     al, 0x02
        out     0xA1, al
        mov     al, 0x01                ; ICW4: 8086 mode
        out     0x21, al
        out     0xA1, al
        mov     al, 0xFC                ; only IRQ0 and IRQ1
        out     0x21, al
        mov     al, 0xFF
        out     0xA1, al
        SAY     C(A_IRQ), "pic:", C(A_TEXT), " 8259A pair remapped: IRQ 0-7 -> INT 20h-27h, 8-15 -> INT 28h-2Fh", NL

        ; ---- the PIT: channel 0, mode 2 (rate generator) ----
        mov     al, 0x34                ; channel 0, low then high byte, mode 2
        out     0x43, al
        mov     ax, PIT_DIVISOR
        out     0x40, al
        mov     al, ah
        out     0x40, al
        SAY     C(A_IRQ), "pit:", C(A_TEXT), " channel 0, mode 2, divisor "
        mov     eax, PIT_DIVISOR
        call    pm_dec32
        SAY     ": "
        mov     eax, PIT_HZ
        call    pm_dec32
        SAY     " Hz", NL

        ; ---- the IDT ----
        mov     edi, IDT_ADDR
        xor     ecx, ecx
.gate:  mov     eax, [isr_table + ecx * 4]
        mov     [edi], ax               ; offset 15:0
        mov     word [edi + 2], 0x08    ; selector
        mov     word [edi + 4], 0x8E00  ; present, DPL 0, 32-bit interrupt gate
        shr     eax, 16
        mov     [edi + 6], ax           ; offset 31:16
        add     edi, 8
        inc     ecx
        cmp     ecx, IDT_GATES
        jb      .gate
        lidt    [idt_desc]
        SAY     C(A_IRQ), "idt:", C(A_TEXT), " "
        mov     eax, IDT_GATES
        call    pm_dec32
        SAY     " gates at 0x"
        mov     eax, IDT_ADDR
        call    pm_hex32
        SAY     ": exceptions 0-31, IRQ0 timer, IRQ1 keyboard", NL

        ; ---- interrupts on: count ticks ----
        SAY     C(A_IRQ), "sti:", C(A_TEXT), " interrupts on; a line per "
        mov     eax, PIT_HZ
        call    pm_dec32
        SAY     " timer ticks", NL
        sti
        xor     ebx, ebx                ; seconds reported
.tick:  hlt
        lea     eax, [ebx + 1]
        imul    eax, eax, PIT_HZ
        cmp     [ticks], eax
        jb      .tick
        inc     ebx
        SAY     C(A_IRQ), "tick:", C(A_TEXT), " "
        mov     eax, ebx
        call    pm_dec32
        SAY     " s", NL
        cmp     ebx, TICK_SECONDS
        jb      .tick

        ; ---- keyboard echo ----
        SAY     C(A_KEY), "keyboard:", C(A_TEXT), " type to echo keys; ESC ends, and so do 3 s without a key", NL
        mov     eax, [ticks]
        mov     [last_key], eax
.keys:  call    kbd_getc
        jc      .serial
        call    echo
        jc      .esc
        jmp     .keys
.serial:
        mov     dx, COM1 + 5
        in      al, dx
        test    al, 1
        jz      .idle
        mov     dx, COM1
        in      al, dx
        call    echo
        jc      .esc
        jmp     .keys
.idle:  mov     eax, [ticks]
        sub     eax, [last_key]
        cmp     eax, KEY_TIMEOUT
        jae     .timeout
        hlt
        jmp     .keys
.esc:   call    end_line
        SAY     C(A_KEY), "keyboard:", C(A_TEXT), " ESC", NL
        jmp     finish
.timeout:
        call    end_line
        SAY     C(A_KEY), "keyboard:", C(A_TEXT), " no key for 3 s", NL

finish:
        mov     ebx, [ticks]
        SAY     C(A_END), "uptime:", C(A_TEXT), " "
        mov     eax, ebx
        call    pm_dec32
        SAY     " ticks = "
        mov     eax, ebx
        xor     edx, edx
        mov     ecx, PIT_HZ
        div     ecx
        call    pm_dec32
        SAY     "."
        mov     eax, edx
        call    pm_dec2
        SAY     " s since the PIT was set; rtc: "
        call    print_rtc
        SAY     NL
        SAY     C(A_END), "goodbye:", C(A_TEXT), " writing 10h to port F4h (isa-debug-exit)", NL
        cli
        mov     al, EXIT_OK
        out     EXIT_PORT, al
.halt:  hlt
        jmp     .halt

; say_on_off: print "on" if ZF is clear, "off" if set.
say_on_off:
        jz      .off
        SAY     "on"
        ret
.off:   SAY     "off"
        ret

; print_rtc: the date and time, read from the CMOS RTC (ports 70h/71h)
; once no update is in progress; BCD, as the BIOS set it up.
print_rtc:
        pushad
        mov     ecx, 100000
.uip:   mov     al, 0x0A
        out     0x70, al
        in      al, 0x71
        test    al, 0x80
        jz      .read
        loop    .uip
.read:  mov     esi, rtc_regs
.next:  lodsb
        test    al, al
        jz      .done
        cmp     al, 0x80
        jb      .reg
        and     al, 0x7F                ; a separator character
        call    pm_putc
        jmp     .next
.reg:   dec     al                      ; registers are stored plus one
        out     0x70, al
        in      al, 0x71
        call    pm_hex8
        jmp     .next
.done:  popad
        ret

; echo: act on the character in AL from the keyboard or COM1. Returns CF
; set for ESC. Any other key restarts the timeout.
echo:
        test    al, al
        jz      .ignore
        cmp     al, 0x1B
        je      .esc
        push    eax
        mov     eax, [ticks]
        mov     [last_key], eax
        pop     eax
        cmp     al, 13
        je      .enter
        cmp     al, 10
        je      .enter
        call    open_line
        cmp     al, 8
        je      .backspace
        cmp     al, 0x7F
        je      .backspace
        cmp     al, ' '
        jae     .print
        push    eax                     ; a control character: ^X
        mov     al, '^'
        call    pm_putc
        inc     byte [line_len]
        pop     eax
        add     al, 0x40
.print: call    pm_putc
        inc     byte [line_len]
        cmp     byte [line_len], 72
        jb      .ignore
.enter: call    open_line               ; Enter on an empty line echoes "> "
        call    end_line
.ignore:
        clc
        ret
.backspace:
        cmp     byte [line_len], 0
        je      .ignore
        dec     byte [line_len]
        SAY     8, " ", 8
        clc
        ret
.esc:   stc
        ret

; open_line: start an echo line with its "> " prompt if none is open.
open_line:
        cmp     byte [line_open], 0
        jne     .done
        mov     byte [line_open], 1
        mov     byte [line_len], 0
        SAY     C(A_KEY), "> "
.done:  ret

; end_line: finish an open echo line.
end_line:
        cmp     byte [line_open], 0
        je      .done
        mov     byte [line_open], 0
        SAY     C(A_TEXT), NL
.done:  ret

; kbd_getc: the next key from the IRQ1 ring: CF set when the ring is
; empty, else AL = its ASCII code (0 for keys without one, releases and
; prefixes). Tracks Shift and Ctrl.
kbd_getc:
        push    ebx
        cli
        movzx   ebx, byte [kbd_tail]
        cmp     bl, [kbd_head]
        je      .empty
        mov     al, [kbd_ring + ebx]
        inc     bl
        and     bl, KBD_RING - 1
        mov     [kbd_tail], bl
        sti
        cmp     al, 0xE0                ; extended key: only Right Ctrl matters
        jne     .plain
        mov     byte [kbd_e0], 1
        jmp     .none
.plain: mov     bl, al
        and     bl, 0x7F                ; make code
        cmp     bl, 0x1D
        je      .ctrl
        cmp     byte [kbd_e0], 0
        mov     byte [kbd_e0], 0
        jne     .none
        cmp     bl, 0x2A
        je      .shift
        cmp     bl, 0x36
        je      .shift
        test    al, 0x80
        jnz     .none                   ; a release
        cmp     al, KEYMAP_SIZE
        jae     .none
        movzx   ebx, al
        cmp     byte [kbd_shift], 0
        je      .unshifted
        mov     al, [keymap_shift + ebx]
        jmp     .ctl
.unshifted:
        mov     al, [keymap + ebx]
.ctl:   cmp     byte [kbd_ctrl], 0
        je      .got
        cmp     al, '@'                 ; Ctrl+letter: 01h-1Ah
        jb      .got
        and     al, 0x1F
.got:   pop     ebx
        clc
        ret
.ctrl:  mov     byte [kbd_e0], 0
        test    al, 0x80
        setz    [kbd_ctrl]
        jmp     .none
.shift: test    al, 0x80
        setz    [kbd_shift]
.none:  xor     al, al
        pop     ebx
        clc
        ret
.empty: sti
        pop     ebx
        stc
        ret

; pm_putc: AL on the screen (the VGA text buffer through [screen], with
; the hardware cursor), COM1 and the debug console.
pm_putc:
        pushad
        mov     [char], al
        movzx   ebx, byte [cur_row]
        movzx   ecx, byte [cur_col]
        cmp     al, 13
        je      .cr
        cmp     al, 10
        je      .lf
        cmp     al, 8
        je      .bs
        imul    edi, ebx, 80
        add     edi, ecx
        shl     edi, 1
        add     edi, [screen]
        mov     ah, [attr]
        mov     [edi], ax
        inc     ecx
        cmp     ecx, 80
        jb      .cursor
        xor     ecx, ecx
.lf:    inc     ebx
        cmp     ebx, 25
        jb      .cursor
        mov     edi, [screen]           ; scroll up one line
        lea     esi, [edi + 160]
        push    ecx
        mov     ecx, 24 * 160 / 4
        rep     movsd
        mov     eax, 0x07200720
        mov     ecx, 160 / 4
        rep     stosd
        pop     ecx
        mov     ebx, 24
        jmp     .cursor
.cr:    xor     ecx, ecx
        jmp     .cursor
.bs:    test    ecx, ecx
        jz      .cursor
        dec     ecx
.cursor:
        mov     [cur_row], bl
        mov     [cur_col], cl
        imul    ebx, ebx, 80
        add     ebx, ecx
        mov     dx, 0x3D4
        mov     al, 0x0E                ; cursor location high
        out     dx, al
        inc     dx
        mov     al, bh
        out     dx, al
        dec     dx
        mov     al, 0x0F                ; cursor location low
        out     dx, al
        inc     dx
        mov     al, bl
        out     dx, al
        mov     al, [char]
        call    pm_serial
        call    pm_debugcon
        popad
        ret

        PRINT_LIB pm, 32

; ---- interrupt handlers ----

irq0:   inc     dword [ticks]
        push    eax
        mov     al, 0x20                ; EOI
        out     0x20, al
        pop     eax
        iret

irq1:   push    eax
        push    ebx
        in      al, 0x60
        movzx   ebx, byte [kbd_head]
        mov     [kbd_ring + ebx], al
        inc     bl
        and     bl, KBD_RING - 1
        cmp     bl, [kbd_tail]
        je      .full                   ; drop the code
        mov     [kbd_head], bl
.full:  mov     al, 0x20
        out     0x20, al
        pop     ebx
        pop     eax
        iret

irq_master:
        push    eax
        mov     al, 0x20
        out     0x20, al
        pop     eax
        iret

irq_slave:
        push    eax
        mov     al, 0x20
        out     0xA0, al
        out     0x20, al
        pop     eax
        iret

; Exception stubs: push an error code where the CPU does not, then the
; vector.
%assign v 0
%rep 32
exc_ %+ v:
%if v != 8 && v != 10 && v != 11 && v != 12 && v != 13 && v != 14 && v != 17
        push    dword 0
%endif
        push    dword v
        jmp     exception
%assign v v + 1
%endrep

exception:
        SAY     NL, C(A_END), "exception:", C(A_TEXT), " vector "
        mov     eax, [esp]
        call    pm_dec32
        SAY     ", error code 0x"
        mov     eax, [esp + 4]
        call    pm_hex32
        SAY     ", at 0x"
        mov     eax, [esp + 12]
        call    pm_hex16
        SAY     ":0x"
        mov     eax, [esp + 8]
        call    pm_hex32
        SAY     NL
        cli
        mov     al, EXIT_FAIL
        out     EXIT_PORT, al
.halt:  hlt
        jmp     .halt

isr_table:
%assign v 0
%rep 32
        dd      exc_ %+ v
%assign v v + 1
%endrep
        dd      irq0, irq1
        times 6 dd irq_master
        times 8 dd irq_slave

idt_desc:
        dw      IDT_GATES * 8 - 1
        dd      IDT_ADDR

; Scan code set 1 to ASCII, US layout: plain and with Shift.
keymap:
        db      0, 0x1B, "1234567890-=", 8, 9
        db      "qwertyuiop[]", 13, 0, "asdfghjkl;'`", 0, "\zxcvbnm,./", 0, "*", 0, " "
KEYMAP_SIZE equ $ - keymap
keymap_shift:
        db      0, 0x1B, "!@#$%^&*()_+", 8, 9
        db      "QWERTYUIOP{}", 13, 0, 'ASDFGHJKL:"~', 0, "|ZXCVBNM<>?", 0, "*", 0, " "
%if $ - keymap_shift != KEYMAP_SIZE
%error "keymap sizes differ"
%endif

; RTC registers to print (stored plus one; 0 ends), with separators
; (80h + character): century, year, "-", month, "-", day, " ", hours,
; ":", minutes, ":", seconds.
rtc_regs:
        db      0x33, 0x0A, 0x80 + '-', 0x09, 0x80 + '-', 0x08, 0x80 + ' '
        db      0x05, 0x80 + ':', 0x03, 0x80 + ':', 0x01, 0

; ---- variables ----
KBD_RING        equ 16
attr:           db A_TEXT
char:           db 0
cur_row:        db 0
cur_col:        db 0
screen:         dd SCREEN_PHYS
boot_drive2:    db 0
e820_count:     dw 0
e820_next:      dd 0
usable_kib:     dd 0
ticks:          dd 0
last_key:       dd 0
line_open:      db 0
line_len:       db 0
kbd_head:       db 0
kbd_tail:       db 0
kbd_e0:         db 0
kbd_shift:      db 0
kbd_ctrl:       db 0
kbd_ring:       times KBD_RING db 0

stage2_end:

STAGE2_SECTORS equ (stage2_end - stage2 + 511) / 512
; One INT 13h read covers sectors 2-18 of the first track.
        times -(STAGE2_SECTORS > SECTORS_PER_TRACK - 1) db 0

        times IMAGE_SIZE - 512 - ($ - $$) db 0
