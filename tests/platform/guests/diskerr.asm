; diskerr - ask for sectors that do not exist, through the BIOS and
; through the ATA ports, and print what comes back.
;
; Sector 0 of a hard disk image that the built-in BIOS boots. The test
; builds the disk: this program in sectors 0-9, then 512-byte sectors
; whose first dword is their LBA (second dword its complement), 2016
; sectors in all (BIOS geometry 2 cylinders x 16 heads x 63 sectors, the
; ATA default translation the same), and a 1.44 MB diskette in drive B:
; (80 x 2 x 18) whose sectors start with F1000000h + LBA.
;
; Each INT 13h check prints
;   NAME cf=C ah=XX al=XX [dap=XXXX] [data=XXXXXXXX]
; (dap: the disk address packet's block count after the call; data: the
; first dword of the sector buffer afterwards, DEADBEEF if nothing was
; transferred). Each ATA check prints
;   NAME st=XX err=XX [lba=XXXXXXXX cnt=XX] [data=XXXXXXXX]
; with the Status and Error registers after the command completed (and
; the task file's LBA and count). Output goes to port 0E9h; "diskerr:
; done" and exit status 33 end the run.

        org     0x7C00
%include "lib16.inc"

BODY_SECTORS equ 9
BUF_SEG      equ 0x1000         ; sector buffer at 10000h
DISK_SECTORS equ 2016

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
        mov     cx, 0x0002              ; cylinder 0, sector 2
        xor     dh, dh
        int     0x13
        jc      .fail
        jmp     main
.fail:  P       "boot: cannot load the program", 10
        EXIT    0x11

boot_drive: db 0

        times   510-($-$$) db 0
        dw      0xAA55

; ------------------------------------------------------------------
; INT13 "name": issue INT 13h with the registers the caller set, then
; print the name and CF, AH, AL as returned.
%macro INT13 1
        int     0x13
        call    report13
        db      %1, 0
%endmacro

report13:
        pushf
        push    ax
        push    bp
        mov     bp, sp                  ; bp+2 ax, bp+4 flags, bp+6 return
        push    si
        mov     si, [bp+6]
.name:  cs lodsb
        test    al, al
        jz      .named
        call    putc
        jmp     .name
.named: mov     [bp+6], si
        P       " cf="
        mov     al, [bp+4]
        and     al, 1
        add     al, '0'
        call    putc
        P       " ah="
        mov     al, [bp+3]
        call    puthex8
        P       " al="
        mov     al, [bp+2]
        call    puthex8
        pop     si
        pop     bp
        pop     ax
        popf
        ret

; print_data: " data=" and the first dword of the sector buffer.
print_data:
        push    es
        push    eax
        mov     ax, BUF_SEG
        mov     es, ax
        P       " data="
        mov     eax, [es:0]
        call    puthex32
        pop     eax
        pop     es
        ret

; clear_buf: mark the first dword of the buffer, so a read that moved no
; data cannot pass for one that did.
clear_buf:
        push    es
        push    ax
        mov     ax, BUF_SEG
        mov     es, ax
        mov     dword [es:0], 0xDEADBEEF
        pop     ax
        pop     es
        ret

; CHS func, count, cylinder, head, sector, drive: set up AH, AL, CX, DH,
; DL and ES:BX = the buffer for a CHS call.
%macro CHS 6
        call    clear_buf
        mov     ax, BUF_SEG
        mov     es, ax
        xor     bx, bx
        mov     ah, %1
        mov     al, %2
        mov     ch, (%3) & 0xFF
        mov     cl, (((%3) >> 2) & 0xC0) | (%5)
        mov     dh, %4
        mov     dl, %6
%endmacro

; EDD func, count, LBA low dword, LBA high dword: fill the disk address
; packet and set AH, DL = 80h and DS:SI.
%macro EDD 4
        call    clear_buf
        mov     word [dap+2], %2
        mov     word [dap+4], 0
        mov     word [dap+6], BUF_SEG
        mov     dword [dap+8], %3
        mov     dword [dap+12], %4
        mov     ah, %1
        mov     al, 0x5A                ; junk: AL is not an input
        mov     dl, 0x80
        xor     si, si
        mov     ds, si
        mov     si, dap
%endmacro

print_dap:
        P       " dap="
        mov     ax, [dap+2]
        call    puthex16
        ret

main:
        xor     ax, ax
        mov     ds, ax

        ; ---------------------------------------------- INT 13h, CHS
        CHS     0x02, 1, 1, 0, 1, 0x80
        INT13   "chs-read-ok"
        call    print_data
        P       10
        CHS     0x02, 1, 1, 15, 63, 0x80
        INT13   "chs-read-last"
        call    print_data
        P       10
        CHS     0x02, 1, 2, 0, 1, 0x80
        INT13   "chs-cylinder-beyond"
        call    print_data
        P       10
        CHS     0x02, 1, 1023, 0, 1, 0x80
        INT13   "chs-cylinder-1023"
        P       10
        CHS     0x02, 1, 0, 16, 1, 0x80
        INT13   "chs-head-beyond"
        P       10
        CHS     0x02, 1, 0, 0, 0, 0x80
        INT13   "chs-sector-zero"
        P       10
        CHS     0x02, 2, 1, 15, 63, 0x80
        INT13   "chs-run-past-end"
        P       10
        CHS     0x03, 1, 2, 0, 1, 0x80
        INT13   "chs-write-beyond"
        P       10
        CHS     0x04, 1, 2, 0, 1, 0x80
        INT13   "chs-verify-beyond"
        P       10
        CHS     0x02, 1, 0, 0, 1, 0x81
        INT13   "chs-no-such-disk"
        P       10
        ; status of the last operation (IBM: AH = status, CF if not 0)
        CHS     0x02, 1, 2, 0, 1, 0x80
        int     0x13
        mov     ah, 0x01
        mov     al, 0x5A
        mov     dl, 0x80
        INT13   "last-status"
        P       10

        ; ---------------------------------------------- diskette B:
        CHS     0x02, 1, 79, 1, 18, 0x01
        INT13   "fd-read-last"
        call    print_data
        P       10
        CHS     0x02, 1, 0, 0, 19, 0x01
        INT13   "fd-sector-beyond"
        P       10
        CHS     0x02, 1, 0, 2, 1, 0x01
        INT13   "fd-head-beyond"
        P       10
        CHS     0x02, 1, 80, 0, 1, 0x01
        INT13   "fd-cylinder-beyond"
        P       10

        ; ---------------------------------------------- INT 13h, EDD
        EDD     0x42, 1, DISK_SECTORS-1, 0
        INT13   "edd-read-last"
        call    print_dap
        call    print_data
        P       10
        EDD     0x42, 1, DISK_SECTORS, 0
        INT13   "edd-lba-beyond"
        call    print_dap
        call    print_data
        P       10
        EDD     0x42, 1, 0, 1
        INT13   "edd-lba-4g"
        call    print_dap
        P       10
        EDD     0x42, 10, DISK_SECTORS-5, 0
        INT13   "edd-run-past-end"
        call    print_dap
        P       10
        EDD     0x42, 2, 0xFFFFFFFF, 0xFFFFFFFF
        INT13   "edd-lba-wraps"
        call    print_dap
        P       10
        EDD     0x43, 1, DISK_SECTORS, 0
        INT13   "edd-write-beyond"
        call    print_dap
        P       10
        EDD     0x44, 1, DISK_SECTORS, 0
        INT13   "edd-verify-beyond"
        call    print_dap
        P       10

        ; ---------------------------------------------- ATA ports
        mov     dx, 0x3F6
        mov     al, 0x02                ; nIEN: no INTRQ, we poll
        out     dx, al

        mov     eax, DISK_SECTORS-1
        mov     cx, 0x2001              ; READ SECTORS, 1 sector
        call    ata_lba28
        call    ata_wait
        call    ata_pio_in
        call    ata_wait
        P       "ata-read-last"
        call    ata_report
        call    print_data
        P       10

        mov     eax, DISK_SECTORS
        mov     cx, 0x2001
        call    ata_lba28
        call    ata_wait
        P       "ata-lba28-beyond"
        call    ata_report
        call    ata_addr
        P       10

        mov     eax, 0x0FFFFFFF
        mov     cx, 0x2001
        call    ata_lba28
        call    ata_wait
        P       "ata-lba28-max"
        call    ata_report
        P       10

        mov     eax, DISK_SECTORS-1
        mov     cx, 0x2002              ; 2 sectors: the second is beyond
        call    ata_lba28
        call    ata_wait
        push    ax
        P       "ata-run-past-end first="
        pop     ax
        call    puthex8
        call    ata_pio_in
        call    ata_wait
        call    ata_report
        call    ata_addr
        call    print_data
        P       10

        mov     eax, DISK_SECTORS
        mov     cx, 0x3001              ; WRITE SECTORS
        call    ata_lba28
        call    ata_wait
        P       "ata-write-beyond"
        call    ata_report
        P       10

        mov     eax, DISK_SECTORS
        mov     cx, 0x4001              ; READ VERIFY SECTORS
        call    ata_lba28
        call    ata_wait
        P       "ata-verify-beyond"
        call    ata_report
        P       10

        mov     eax, DISK_SECTORS
        mov     cx, 0x7001              ; SEEK
        call    ata_lba28
        call    ata_wait
        P       "ata-seek-beyond"
        call    ata_report
        P       10

        call    ata_ready               ; READ SECTORS EXT at LBA 2016
        mov     dx, 0x1F2
        xor     al, al
        out     dx, al                  ; count 15:8
        inc     dx
        out     dx, al                  ; LBA 31:24
        inc     dx
        out     dx, al                  ; LBA 39:32
        inc     dx
        out     dx, al                  ; LBA 47:40
        mov     dx, 0x1F2
        mov     al, 1
        out     dx, al                  ; count 7:0
        inc     dx
        mov     al, DISK_SECTORS & 0xFF
        out     dx, al
        inc     dx
        mov     al, DISK_SECTORS >> 8
        out     dx, al
        inc     dx
        xor     al, al
        out     dx, al
        mov     dx, 0x1F6
        mov     al, 0x40                ; LBA, device 0
        out     dx, al
        mov     dx, 0x1F7
        mov     al, 0x24
        out     dx, al
        call    ata_wait
        P       "ata-lba48-beyond"
        call    ata_report
        P       10

        call    ata_ready               ; CHS: cylinder 2, head 0, sector 1
        mov     dx, 0x1F2
        mov     al, 1
        out     dx, al
        inc     dx
        out     dx, al                  ; sector 1
        inc     dx
        mov     al, 2
        out     dx, al                  ; cylinder low
        inc     dx
        xor     al, al
        out     dx, al                  ; cylinder high
        mov     dx, 0x1F6
        mov     al, 0xA0                ; CHS, device 0, head 0
        out     dx, al
        mov     dx, 0x1F7
        mov     al, 0x20
        out     dx, al
        call    ata_wait
        P       "ata-chs-beyond"
        call    ata_report
        P       10

        P       "diskerr: done", 10
        EXIT    0x10

; ata_ready: wait until the selected device is not busy.
ata_ready:
        push    ax
        push    dx
        mov     dx, 0x3F6
.w:     in      al, dx
        test    al, 0x80
        jnz     .w
        pop     dx
        pop     ax
        ret

; ata_wait: wait for BSY clear, then read Status into AL.
ata_wait:
        call    ata_ready
        push    dx
        mov     dx, 0x1F7
        in      al, dx
        pop     dx
        ret

; ata_lba28: LBA28 command CH on EAX, CL sectors, device 0.
ata_lba28:
        call    ata_ready
        push    eax
        mov     dx, 0x1F6
        shr     eax, 24
        and     al, 0x0F
        or      al, 0xE0
        out     dx, al
        pop     eax
        mov     dx, 0x1F2
        push    ax
        mov     al, cl
        out     dx, al
        pop     ax
        inc     dx
        out     dx, al                  ; LBA 7:0
        shr     eax, 8
        inc     dx
        out     dx, al                  ; LBA 15:8
        shr     eax, 8
        inc     dx
        out     dx, al                  ; LBA 23:16
        mov     dx, 0x1F7
        mov     al, ch
        out     dx, al
        ret

; ata_pio_in: if DRQ is set in AL, read one sector into the buffer.
ata_pio_in:
        test    al, 0x08
        jz      .none
        push    es
        push    di
        push    cx
        push    dx
        call    clear_buf
        mov     ax, BUF_SEG
        mov     es, ax
        xor     di, di
        mov     cx, 256
        mov     dx, 0x1F0
        cld
        rep     insw
        pop     dx
        pop     cx
        pop     di
        pop     es
.none:  ret

; ata_report: " st=XX err=XX" (Status as in AL, the Error register).
ata_report:
        push    dx
        push    ax
        P       " st="
        pop     ax
        call    puthex8
        P       " err="
        mov     dx, 0x1F1
        in      al, dx
        call    puthex8
        pop     dx
        ret

; ata_addr: " lba=XXXXXXXX cnt=XX" from the task file (LBA28).
ata_addr:
        push    dx
        P       " lba="
        mov     dx, 0x1F6
        in      al, dx
        and     al, 0x0F
        call    puthex8
        mov     dx, 0x1F5
        in      al, dx
        call    puthex8
        dec     dx
        in      al, dx
        call    puthex8
        dec     dx
        in      al, dx
        call    puthex8
        P       " cnt="
        dec     dx
        in      al, dx
        call    puthex8
        pop     dx
        ret

        align   4
dap:    db      16, 0
        dw      0, 0, 0
        dq      0

        times   (BODY_SECTORS+1)*512-($-$$) db 0
