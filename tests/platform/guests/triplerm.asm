; triplerm - triple-fault in real mode: load an IDTR with limit 0 and
; execute UD2. The #UD vector lies beyond the limit, which is #GP; so
; does #GP's, which makes a double fault; so does #DF's: shutdown.
; Prints "site 0000:XXXXXXXX" (the CS:EIP of the UD2) on port 0E9h
; first. Loaded by LoadRaw at 0000:7C00, no BIOS.

        org     0x7C00
%include "lib16.inc"

start:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     ss, ax
        mov     sp, 0x7C00
        P       "site 0000:0000"
        mov     ax, site
        call    puthex16
        P       10
        lidt    [null_idtr]
site:   ud2

null_idtr:
        dw      0
        dd      0
