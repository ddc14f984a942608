; paging.asm - 32-bit paging: #PF error codes, CR2, A/D bits, TLB control.
;
; 4 KiB pages and 4 MiB pages (CR4.PSE); #PF error codes for not-present,
; read-only (with CR0.WP clear and set), user/supervisor and PDE/PTE
; combinations, from ring 0 and ring 3, for data accesses and instruction
; fetches; CR2; the A and D bits of PDEs and PTEs after reads and writes
; (printed as the low 12 bits of the entries); INVLPG; CR3 reload; CR4.PGE
; toggling with a global page; a fault on the second page of a
; page-crossing access (the first page is not written); a fault in the
; middle of REP MOVSB (ECX/ESI/EDI at the fault).
;
; Whether a global page survives a CR3 reload is not printed: the SDM
; lets the TLB drop any entry at any time, so the value read is not
; architecturally defined.
;
; Rebuild: make -C tests/guests

%define GUEST_NAME "paging"
%include "lib.inc"

PD          equ 0x200000
PT0         equ 0x201000    ; 0-4 MiB identity, 4 KiB pages, user
PT1         equ 0x202000    ; 4-8 MiB test pages
PT5         equ 0x203000    ; 20-24 MiB, under a supervisor-only PDE
%define PTE(va) (PT1 + (((va) - 0x400000) >> 12) * 4)
%define PDE(va) (PD + ((va) >> 22) * 4)

VA_A        equ 0x400000    ; -> 300000h
VA_NP       equ 0x401000    ; not present
VA_X        equ 0x402000    ; -> 302000h; 403000h is not present
VA_INV      equ 0x404000    ; -> 304000h, then 305000h
VA_RO       equ 0x406000    ; -> 306000h, user read-only
VA_SUP      equ 0x407000    ; -> 307000h, supervisor
VA_CR3      equ 0x40A000    ; -> 30A000h, then 30B000h
VA_G        equ 0x40C000    ; -> 30C000h, then 30D000h, global
VA_4M       equ 0x800000    ; 4 MiB page -> 800000h
VA_4MNP     equ 0xC00000    ; 4 MiB, not present
VA_PDEU0    equ 0x1400000   ; PDE without U, PTE with U -> 309000h

; PFCHECK "name", access instruction..., err, cr2 - ring-0 #PF check.
%macro PFCHECK 4
        CHECK   %1
        TRY
%$f:    %2
        ENDTRY
        call    print_exc
        PHEX32  " cr2=", [exc_cr2]
        EXPECT_EXC 14, %3, %$f
        EXPECT_EQ [exc_cr2], %4
        ENDCHECK
%endmacro

; PFCHECK3 - the same from ring 3 (the frame has ESP and SS).
%macro PFCHECK3 4
        CHECK   %1
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:
%$f:    %2
        ENDTRY
        call    print_exc
        PHEX32  " cr2=", [exc_cr2]
        EXPECT_EXC 14, %3, %$f
        EXPECT_EQ [exc_cr2], %4
        ENDCHECK
%endmacro

; ENTRIES va - print " pde=XXX pte=XXX" (low 12 bits) for a 4 KiB page.
%macro ENTRIES 1
        mov     eax, [PDE(%1)]
        and     eax, 0xFFF
        P       " pde="
        call    hex12
        mov     eax, [PTE(%1)]
        and     eax, 0xFFF
        P       " pte="
        call    hex12
%endmacro

main:
        call    paging_init

; ----------------------------------------------------------- A/D bits
        CHECK   "4k-read-sets-A"
        mov     dword [PDE(VA_A)], PT1 | 0x007
        mov     dword [PTE(VA_A)], 0x300000 | 0x007
        invlpg  [VA_A]
        P       " before:"
        ENTRIES VA_A
        mov     eax, [VA_A + 0x10]
        P       " after-read:"
        ENTRIES VA_A
        EXPECT_EQ [PDE(VA_A)], PT1 | 0x027
        EXPECT_EQ [PTE(VA_A)], 0x300000 | 0x027
        ENDCHECK

        CHECK   "4k-write-sets-D"
        mov     dword [VA_A + 0x10], 0x12345678
        P       " after-write:"
        ENTRIES VA_A
        EXPECT_EQ [PDE(VA_A)], PT1 | 0x027
        EXPECT_EQ [PTE(VA_A)], 0x300000 | 0x067
        EXPECT_EQ [0x300010], 0x12345678
        ENDCHECK

        CHECK   "4k-write-first-sets-A-and-D"
        mov     dword [PTE(VA_A)], 0x300000 | 0x007
        invlpg  [VA_A]
        mov     dword [VA_A + 0x20], 1
        ENTRIES VA_A
        EXPECT_EQ [PTE(VA_A)], 0x300000 | 0x067
        ENDCHECK

        CHECK   "4m-read-sets-A"
        mov     dword [PDE(VA_4M)], VA_4M | 0x087
        invlpg  [VA_4M]
        mov     eax, [VA_4M + 0x10]
        mov     eax, [PDE(VA_4M)]
        and     eax, 0xFFF
        P       " pde="
        call    hex12
        EXPECT_EQ [PDE(VA_4M)], VA_4M | 0x0A7
        ENDCHECK

        CHECK   "4m-write-sets-D"
        mov     dword [VA_4M + 0x10], 0xA5A5A5A5
        mov     eax, [PDE(VA_4M)]
        and     eax, 0xFFF
        P       " pde="
        call    hex12
        EXPECT_EQ [PDE(VA_4M)], VA_4M | 0x0E7
        EXPECT_EQ [VA_4M + 0x10], 0xA5A5A5A5
        ENDCHECK

; ------------------------------------------------- #PF error codes, CPL 0
        PFCHECK "np-read",  {mov eax, [VA_NP + 0x234]}, 0x0000, VA_NP + 0x234
        PFCHECK "np-write", {mov dword [VA_NP + 0x238], 0}, 0x0002, VA_NP + 0x238
        PFCHECK "np-4m-pde-read", {mov eax, [VA_4MNP + 0x123]}, 0x0000, VA_4MNP + 0x123

        CHECK   "ro-write-sup-wp0"
        mov     dword [PTE(VA_RO)], 0x306000 | 0x005
        invlpg  [VA_RO]
        TRY
        mov     dword [VA_RO + 0x40], 0x600DF00D
        ENDTRY
        call    print_exc
        ENTRIES VA_RO
        EXPECT_NONE
        EXPECT_EQ [PTE(VA_RO)], 0x306000 | 0x065
        EXPECT_EQ [0x306040], 0x600DF00D
        ENDCHECK

        mov     dword [PTE(VA_RO)], 0x306000 | 0x025
        invlpg  [VA_RO]
        mov     eax, cr0
        or      eax, 1 << 16                    ; WP
        mov     cr0, eax
        PFCHECK "ro-write-sup-wp1", {mov dword [VA_RO + 0x44], 0}, 0x0003, VA_RO + 0x44
        mov     eax, cr0
        and     eax, ~(1 << 16)
        mov     cr0, eax

        CHECK   "fetch-np"
        TRY
        jmp     VA_NP + 0x10
        ENDTRY
        call    print_exc
        PHEX32  " cr2=", [exc_cr2]
        EXPECT_EXC 14, 0, VA_NP + 0x10
        EXPECT_EQ [exc_cr2], VA_NP + 0x10
        ENDCHECK

; ------------------------------------------------- #PF error codes, CPL 3
        PFCHECK3 "user-read-sup-page", {mov eax, [ss:VA_SUP + 0x10]}, 0x0005, VA_SUP + 0x10
        PFCHECK3 "user-write-ro-page", {mov dword [ss:VA_RO + 0x48], 0}, 0x0007, VA_RO + 0x48
        PFCHECK3 "user-write-np-page", {mov dword [ss:VA_NP + 0x4C], 0}, 0x0006, VA_NP + 0x4C
        PFCHECK3 "user-read-np-page", {mov eax, [ss:VA_NP + 0x50]}, 0x0004, VA_NP + 0x50
        PFCHECK3 "user-read-pde-u0", {mov eax, [ss:VA_PDEU0 + 0x54]}, 0x0005, VA_PDEU0 + 0x54

        CHECK   "user-fetch-sup-page"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:   jmp     VA_SUP + 0x20
        ENDTRY
        call    print_exc
        PHEX32  " cr2=", [exc_cr2]
        EXPECT_EXC 14, 5, VA_SUP + 0x20
        EXPECT_EQ [exc_cr2], VA_SUP + 0x20
        ENDCHECK

        CHECK   "user-read-ro-page"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:   mov     eax, [ss:VA_RO + 0x40]
        mov     [ss:tmp], eax
        ENDTRY
        call    print_exc
        PHEX32  " value=", [tmp]
        EXPECT_NONE
        EXPECT_EQ [tmp], 0x600DF00D
        ENDCHECK

; ------------------------------------------------- page-crossing accesses
        CHECK   "cross-page-read"
        mov     dword [0x302FFC], 0xBEEF1234
        TRY
%$f:    mov     eax, [VA_X + 0xFFE]
        ENDTRY
        call    print_exc
        PHEX32  " cr2=", [exc_cr2]
        EXPECT_EXC 14, 0, %$f
        EXPECT_EQ [exc_cr2], VA_X + 0x1000
        ENDCHECK

        CHECK   "cross-page-write"
        TRY
%$f:    mov     dword [VA_X + 0xFFE], 0x55667788
        ENDTRY
        call    print_exc
        PHEX32  " cr2=", [exc_cr2]
        PHEX32  " first-page=", [0x302FFC]
        EXPECT_EXC 14, 2, %$f
        EXPECT_EQ [exc_cr2], VA_X + 0x1000
        EXPECT_EQ [0x302FFC], 0xBEEF1234
        ENDCHECK

        CHECK   "rep-movsb-fault"
        mov     edi, 0x302FF0
        mov     ecx, 16
        xor     eax, eax
        rep stosb
        mov     dword [0x300100], 0x03020100
        mov     dword [0x30010C], 0x0F0E0D0C
        TRY
        mov     esi, VA_A + 0x100
        mov     edi, VA_X + 0xFF0
        mov     ecx, 0x20
%$f:    rep movsb
        ENDTRY
        call    print_exc
        PHEX32  " cr2=", [exc_cr2]
        PHEX32  " ecx=", [exc_ecx]
        PHEX32  " esi=", [exc_esi]
        PHEX32  " edi=", [exc_edi]
        PHEX32  " copied=", [0x302FF0]
        PHEX32  ",", [0x302FFC]
        EXPECT_EXC 14, 2, %$f
        EXPECT_EQ [exc_cr2], VA_X + 0x1000
        EXPECT_EQ [exc_ecx], 0x10
        EXPECT_EQ [exc_esi], VA_A + 0x110
        EXPECT_EQ [exc_edi], VA_X + 0x1000
        EXPECT_EQ [0x302FF0], 0x03020100
        EXPECT_EQ [0x302FFC], 0x0F0E0D0C
        ENDCHECK

; -------------------------------------------------------- TLB control
        CHECK   "invlpg"
        mov     dword [0x304000], 0xAAAAAAAA
        mov     dword [0x305000], 0xBBBBBBBB
        mov     dword [PTE(VA_INV)], 0x304000 | 0x007
        invlpg  [VA_INV]
        mov     eax, [VA_INV]
        mov     [tmp], eax
        mov     dword [PTE(VA_INV)], 0x305000 | 0x007
        invlpg  [VA_INV]
        mov     eax, [VA_INV]
        PHEX32  " before=", [tmp]
        PHEX32  " after=", eax
        EXPECT_EQ [tmp], 0xAAAAAAAA
        EXPECT_EQ eax, 0xBBBBBBBB
        ENDCHECK

        CHECK   "cr3-reload"
        mov     dword [0x30A000], 0x11111111
        mov     dword [0x30B000], 0x22222222
        mov     dword [PTE(VA_CR3)], 0x30A000 | 0x007
        invlpg  [VA_CR3]
        mov     eax, [VA_CR3]
        mov     [tmp], eax
        mov     dword [PTE(VA_CR3)], 0x30B000 | 0x007
        mov     eax, cr3
        mov     cr3, eax
        mov     eax, [VA_CR3]
        PHEX32  " before=", [tmp]
        PHEX32  " after=", eax
        EXPECT_EQ [tmp], 0x11111111
        EXPECT_EQ eax, 0x22222222
        ENDCHECK

        CHECK   "global-page-pge-toggle"
        mov     eax, cr4
        or      eax, 0x80                       ; PGE
        mov     cr4, eax
        mov     dword [0x30C000], 0x33333333
        mov     dword [0x30D000], 0x44444444
        mov     dword [PTE(VA_G)], 0x30C000 | 0x107
        invlpg  [VA_G]
        mov     eax, [VA_G]
        mov     [tmp], eax
        mov     dword [PTE(VA_G)], 0x30D000 | 0x107
        mov     eax, cr4                        ; PGE 1 -> 0 -> 1 flushes
        and     eax, ~0x80                      ; global entries too
        mov     cr4, eax
        or      eax, 0x80
        mov     cr4, eax
        mov     eax, [VA_G]
        PHEX32  " before=", [tmp]
        PHEX32  " after=", eax
        push    eax
        ENTRIES VA_G
        pop     eax
        EXPECT_EQ [tmp], 0x33333333
        EXPECT_EQ eax, 0x44444444
        EXPECT_EQ [PTE(VA_G)], 0x30D000 | 0x127
        ENDCHECK
        ret

; hex12: EAX as 3 hex digits.
hex12:
        push    eax
        shr     eax, 8
        and     eax, 0xF
        add     al, '0'
        cmp     al, '9'
        jbe     .d
        add     al, 'A' - '0' - 10
.d:     call    putc
        pop     eax
        jmp     hex8

; paging_init: PT0 maps 0-4 MiB 1:1 (user, writable); PT1 holds the test
; pages; PT5 sits under a PDE without U; 4-8 MiB starts not present.
paging_init:
        mov     edi, PD
        mov     ecx, 4 * 1024
        xor     eax, eax
        rep stosd
        mov     edi, PT0
        mov     eax, 0x007
        mov     ecx, 1024
.pt0:   stosd
        add     eax, 0x1000
        loop    .pt0
        mov     dword [PD], PT0 | 0x007
        mov     dword [PDE(VA_A)], PT1 | 0x007
        mov     dword [PTE(VA_X)], 0x302000 | 0x067
        mov     dword [PTE(VA_SUP)], 0x307000 | 0x063
        mov     dword [PDE(VA_PDEU0)], PT5 | 0x003
        mov     dword [PT5 + ((VA_PDEU0 >> 12) & 0x3FF) * 4], 0x309000 | 0x007
        mov     eax, cr4
        or      eax, 0x10                       ; PSE
        mov     cr4, eax
        mov     eax, PD
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000
        mov     cr0, eax
        ret

align 4
tmp:    dd 0
