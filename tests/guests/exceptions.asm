; exceptions.asm - every exception vector 0-19 that software can provoke.
;
; Each check provokes one exception (or shows that none happens) and
; prints the vector, the error code (or "none") and the frame the CPU
; pushed: EIP, CS, EFLAGS, and ESP/SS when the handler ran at another
; privilege level. DR6 and CR2 are printed where they carry the result.
; #MC (18) and #XM (19, SSE; a Pentium II has none) cannot be provoked.
;
; Rebuild: make -C tests/guests

%define GUEST_NAME "exceptions"
%include "lib.inc"

SEL_RO      equ 0x50    ; read-only data
SEL_NPDATA  equ 0x58    ; not-present data
SEL_SMALL   equ 0x60    ; data, base SCRATCH, limit 0FFFh
SEL_SMALLSS equ 0x68    ; stack, base SCRATCH, limit 0FFFh
SEL_XONLY   equ 0x70    ; execute-only code
SEL_BADTSS  equ 0x78    ; TSS descriptor with limit 50h
SEL_NPSTACK equ 0x80    ; not-present writable data
SEL_NPCODE  equ 0x88    ; not-present code
SEL_BEYOND  equ 0x208   ; index 65: beyond the GDT limit (1FFh)
PD_BASE     equ 0x200000

main:
        DESC    SEL_RO, 0, 0xFFFFF, 0x90, FLAGS_32_4K
        DESC    SEL_NPDATA, 0, 0xFFFFF, 0x12, FLAGS_32_4K
        DESC    SEL_SMALL, SCRATCH, 0xFFF, 0x92, FLAGS_32
        DESC    SEL_SMALLSS, SCRATCH, 0xFFF, 0x92, FLAGS_32
        DESC    SEL_XONLY, 0, 0xFFFFF, 0x98, FLAGS_32_4K
        DESC    SEL_BADTSS, SCRATCH + 0x1000, 0x50, 0x89, FLAGS_32
        DESC    SEL_NPSTACK, 0, 0xFFFFF, 0x12, FLAGS_32_4K
        DESC    SEL_NPCODE, 0, 0xFFFFF, 0x1A, FLAGS_32_4K

; ------------------------------------------------------------ #DE (0)
        CHECK   "#DE div-by-zero"
        TRY
        mov     eax, 1
        xor     edx, edx
        xor     ecx, ecx
%$f:    div     ecx
        ENDTRY
        call    print_exc
        EXPECT_EXC 0, -1, %$f
        ENDCHECK

        CHECK   "#DE idiv-overflow"
        TRY
        mov     eax, 0x80000000
        cdq
        mov     ecx, -1
%$f:    idiv    ecx
        ENDTRY
        call    print_exc
        EXPECT_EXC 0, -1, %$f
        ENDCHECK

; ------------------------------------------------------------ #DB (1)
        CHECK   "#DB single-step"
        xor     eax, eax
        mov     dr6, eax
        TRY
        pushfd
        or      dword [esp], EFL_TF
        popfd
        nop                             ; TF traps after this one
%$f:    nop
        ENDTRY
        call    print_exc
        PHEX32  " dr6=", [exc_dr6]
        EXPECT_EXC 1, -1, %$f
        EXPECT_EQ [exc_dr6], 0xFFFF4FF0
        ENDCHECK

        CHECK   "#DB icebp"
        xor     eax, eax
        mov     dr6, eax
        TRY
        db      0xF1                    ; ICEBP / INT1
%$f:    nop
        ENDTRY
        call    print_exc
        EXPECT_EXC 1, -1, %$f
        ENDCHECK

        CHECK   "#DB icebp-cpl3-dpl0-gate"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:   db      0xF1                    ; not subject to the gate's DPL
%$f:    nop
        ENDTRY
        call    print_exc
        EXPECT_EXC 1, -1, %$f
        ENDCHECK

        CHECK   "#DB data-write-breakpoint"
        xor     eax, eax
        mov     dr6, eax
        mov     eax, SCRATCH + 0x100
        mov     dr0, eax
        mov     eax, 0x000D0001         ; L0, RW0=01 (write), LEN0=11 (4)
        mov     dr7, eax
        TRY
        mov     dword [SCRATCH + 0x100], 0x12345678
%$f:    nop
        ENDTRY
        xor     eax, eax
        mov     dr7, eax
        call    print_exc
        PHEX32  " dr6=", [exc_dr6]
        EXPECT_EXC 1, -1, %$f
        EXPECT_EQ [exc_dr6], 0xFFFF0FF1
        ENDCHECK

        CHECK   "#DB instruction-breakpoint"
        xor     eax, eax
        mov     dr6, eax
        mov     eax, %$f
        mov     dr0, eax
        mov     eax, 0x00000001         ; L0, RW0=00 (execute), LEN0=00
        mov     dr7, eax
        TRY
        nop
%$f:    nop
        nop
        ENDTRY
        xor     eax, eax
        mov     dr7, eax
        call    print_exc
        PHEX32  " dr6=", [exc_dr6]
        EXPECT_EXC 1, -1, %$f
        EXPECT_EQ [exc_dr6], 0xFFFF0FF1
        ENDCHECK

; ------------------------------------------------------------ #BP (3)
        CHECK   "#BP int3"
        TRY
        int3
%$f:    nop
        ENDTRY
        call    print_exc
        EXPECT_EXC 3, -1, %$f
        ENDCHECK

        CHECK   "#BP int-3"
        TRY
        db      0xCD, 0x03              ; INT 3, the two-byte form
%$f:    nop
        ENDTRY
        call    print_exc
        EXPECT_EXC 3, -1, %$f
        ENDCHECK

; ------------------------------------------------------------ #OF (4)
        CHECK   "#OF into-of1"
        TRY
        mov     al, 0x7F
        add     al, 1                   ; OF=1
        into
%$f:    nop
        ENDTRY
        call    print_exc
        EXPECT_EXC 4, -1, %$f
        ENDCHECK

        CHECK   "#OF into-of0"
        TRY
        xor     eax, eax                ; OF=0
        into
        ENDTRY
        call    print_exc
        EXPECT_NONE
        ENDCHECK

; ------------------------------------------------------------ #BR (5)
        CHECK   "#BR bound"
        mov     dword [SCRATCH], 0
        mov     dword [SCRATCH + 4], 10
        TRY
        mov     eax, 11
%$f:    bound   eax, [SCRATCH]
        ENDTRY
        call    print_exc
        EXPECT_EXC 5, -1, %$f
        ENDCHECK

        CHECK   "#BR bound-in-range"
        TRY
        mov     eax, 10
        bound   eax, [SCRATCH]
        ENDTRY
        call    print_exc
        EXPECT_NONE
        ENDCHECK

; ------------------------------------------------------------ #UD (6)
        CHECK   "#UD ud2"
        TRY
%$f:    ud2
        ENDTRY
        call    print_exc
        EXPECT_EXC 6, -1, %$f
        ENDCHECK

        CHECK   "#UD lock-nop"
        TRY
%$f:    db      0xF0, 0x90
        ENDTRY
        call    print_exc
        EXPECT_EXC 6, -1, %$f
        ENDCHECK

        CHECK   "#UD lock-add-reg"
        TRY
%$f:    db      0xF0, 0x01, 0xD8        ; LOCK ADD EAX, EBX
        ENDTRY
        call    print_exc
        EXPECT_EXC 6, -1, %$f
        ENDCHECK

        CHECK   "#UD mov-cs"
        TRY
        mov     eax, SEL_CODE0
%$f:    db      0x8E, 0xC8              ; MOV CS, AX
        ENDTRY
        call    print_exc
        EXPECT_EXC 6, -1, %$f
        ENDCHECK

; ------------------------------------------------------------ #NM (7)
        CHECK   "#NM ts-fld1"
        mov     eax, cr0
        or      eax, 0x8                ; TS
        mov     cr0, eax
        TRY
%$f:    fld1
        ENDTRY
        clts
        call    print_exc
        EXPECT_EXC 7, -1, %$f
        ENDCHECK

        CHECK   "#NM em-fld1"
        mov     eax, cr0
        or      eax, 0x4                ; EM
        mov     cr0, eax
        TRY
%$f:    fld1
        ENDTRY
        mov     eax, cr0
        and     eax, ~0x4
        mov     cr0, eax
        call    print_exc
        EXPECT_EXC 7, -1, %$f
        ENDCHECK

        CHECK   "#NM wait-mp1-ts1"
        mov     eax, cr0
        or      eax, 0xA                ; MP, TS
        mov     cr0, eax
        TRY
%$f:    wait
        ENDTRY
        clts
        call    print_exc
        EXPECT_EXC 7, -1, %$f
        ENDCHECK

        CHECK   "#NM wait-mp0-ts1"
        mov     eax, cr0
        and     eax, ~0x2               ; MP=0
        or      eax, 0x8                ; TS=1
        mov     cr0, eax
        TRY
        wait
        ENDTRY
        mov     eax, cr0
        and     eax, ~0x8
        or      eax, 0x2
        mov     cr0, eax
        call    print_exc
        EXPECT_NONE
        ENDCHECK

; ------------------------------------------------------------ #DF (8)
        ; #GP whose IDT gate is not present: the #NP raised while
        ; delivering it is a second contributory exception, so #DF(0).
        ; The SDM leaves the saved CS:EIP of #DF undefined: not printed.
        CHECK   "#DF gp-then-np"
        and     byte [IDT_BASE + 13*8 + 5], 0x7F
        TRY
        mov     eax, SEL_BEYOND
        mov     ds, ax
        ENDTRY
        mov     ecx, 13
        call    restore_gate
        call    print_vec_err
        EXPECT_EXC 8, 0, 0
        ENDCHECK

; ------------------------------------------------------------ #TS (10)
        CHECK   "#TS tss-limit"
        TRY
%$f:    jmp     SEL_BADTSS:0
        ENDTRY
        call    print_exc
        EXPECT_EXC 10, SEL_BADTSS, %$f
        ENDCHECK

; ------------------------------------------------------------ #NP (11)
        CHECK   "#NP load-ds"
        TRY
        mov     eax, SEL_NPDATA
%$f:    mov     ds, ax
        ENDTRY
        call    print_exc
        EXPECT_EXC 11, SEL_NPDATA, %$f
        ENDCHECK

        CHECK   "#NP far-call"
        TRY
%$f:    call    SEL_NPCODE:0
        ENDTRY
        call    print_exc
        EXPECT_EXC 11, SEL_NPCODE, %$f
        ENDCHECK

        CHECK   "#NP int-gate"
        and     byte [IDT_BASE + 0x40*8 + 5], 0x7F
        TRY
%$f:    int     0x40
        ENDTRY
        mov     ecx, 0x40
        call    restore_gate
        call    print_exc
        EXPECT_EXC 11, 0x40*8+2, %$f     ; IDT bit, EXT=0 (INT n)
        ENDCHECK

        CHECK   "#NP ud-gate-ext"
        and     byte [IDT_BASE + 6*8 + 5], 0x7F
        TRY
%$f:    ud2
        ENDTRY
        mov     ecx, 6
        call    restore_gate
        call    print_exc
        EXPECT_EXC 11, 6*8+3, %$f        ; IDT bit, EXT=1 (during #UD)
        ENDCHECK

; ------------------------------------------------------------ #SS (12)
        CHECK   "#SS load-ss-np"
        TRY
        mov     eax, SEL_NPSTACK
%$f:    mov     ss, ax
        ENDTRY
        call    print_exc
        EXPECT_EXC 12, SEL_NPSTACK, %$f
        ENDCHECK

        CHECK   "#SS stack-limit"
        TRY
        mov     dword [frame_top], 0x800
        mov     eax, SEL_SMALLSS
        mov     ss, ax
        mov     esp, 0x800
        mov     ebp, 0x1000
%$f:    mov     eax, [ebp]              ; SS:1000h, limit 0FFFh
        ENDTRY
        call    print_exc
        EXPECT_EXC 12, 0, %$f
        ENDCHECK

; ------------------------------------------------------------ #GP (13)
        CHECK   "#GP selector-beyond-gdt"
        TRY
        mov     eax, SEL_BEYOND
%$f:    mov     ds, ax
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, SEL_BEYOND, %$f
        ENDCHECK

        CHECK   "#GP load-ds-exec-only"
        TRY
        mov     eax, SEL_XONLY
%$f:    mov     ds, ax
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, SEL_XONLY, %$f
        ENDCHECK

        CHECK   "#GP load-ds-tss"
        TRY
        mov     eax, SEL_TSS
%$f:    mov     ds, ax
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, SEL_TSS, %$f
        ENDCHECK

        CHECK   "#GP load-ss-null"
        TRY
        xor     eax, eax
%$f:    mov     ss, ax
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 0, %$f
        ENDCHECK

        CHECK   "#GP jmp-null-cs"
        TRY
%$f:    jmp     0:%$f
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 0, %$f
        ENDCHECK

        CHECK   "#GP null-ds-access"
        TRY
        xor     eax, eax
        mov     ds, ax                  ; loading null is allowed
%$f:    mov     eax, [SCRATCH]          ; using it is not
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 0, %$f
        ENDCHECK

        CHECK   "#GP write-read-only-data"
        TRY
        mov     eax, SEL_RO
        mov     ds, ax
%$f:    mov     dword [SCRATCH], 0
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 0, %$f
        ENDCHECK

        CHECK   "#GP write-code-segment"
        TRY
%$f:    mov     dword [cs:SCRATCH], 0
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 0, %$f
        ENDCHECK

        CHECK   "#GP ds-limit"
        TRY
        mov     eax, SEL_SMALL
        mov     ds, ax
%$f:    mov     eax, [0xFFE]            ; bytes FFEh-1001h, limit FFFh
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 0, %$f
        ENDCHECK

        CHECK   "#GP idt-limit"
        lidt    [idtr_short]
        TRY
%$f:    int     0x40
        ENDTRY
        lidt    [idtr]
        call    print_exc
        EXPECT_EXC 13, 0x40*8+2, %$f
        ENDCHECK

        CHECK   "#GP ud-gate-wrong-type"
        mov     byte [IDT_BASE + 6*8 + 5], 0x8C ; a call gate in the IDT
        TRY
%$f:    ud2
        ENDTRY
        mov     ecx, 6
        call    restore_gate
        call    print_exc
        EXPECT_EXC 13, 6*8+3, %$f
        ENDCHECK

        ; Not checked: MOV CR4 with a reserved bit (#GP(0) per the SDM)
        ; hangs QEMU 7.2, whose helper_write_crN calls cpu_vmexit(SVM_EXIT_ERR)
        ; outside SVM instead of raising #GP.

        CHECK   "#GP cpl3-hlt"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:
%$f:    hlt
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 0, %$f
        ENDCHECK

        CHECK   "#GP cpl3-int-dpl0-gate"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:
%$f:    int     0x30
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 0x30*8+2, %$f
        ENDCHECK

        CHECK   "#GP cpl3-int3-dpl0-gate"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:
%$f:    int3
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, 3*8+2, %$f
        ENDCHECK

; ------------------------------------------------------------ #PF (14)
        CHECK   "#PF not-present-4m"
        call    paging_on
        TRY
        mov     eax, 0x12345678
%$f:    mov     eax, [0x800123]
        ENDTRY
        call    paging_off
        call    print_exc
        PHEX32  " cr2=", [exc_cr2]
        EXPECT_EXC 14, 0, %$f
        EXPECT_EQ [exc_cr2], 0x800123
        ENDCHECK

; ------------------------------------------------------------ #MF (16)
        ; The whole x87 sequence runs under TRY, so that an x87 that
        ; faults early shows up on this line instead of ending the guest.
        CHECK   "#MF fwait-after-zero-divide"
        TRY
        fninit
        fldcw   [fpu_cw_zm]
        fld1
        fldz
        fdivp   st1, st0                ; 1/0 with ZE unmasked: pending
%$f:    fwait
        ENDTRY
        xor     eax, eax
        cmp     dword [exc_vec], 16
        jne     %$nofsw                 ; no #MF: leave the x87 alone
        fnstsw  ax
        movzx   eax, ax
        fninit
%$nofsw:
        call    print_exc
        PHEX16  " fsw=", eax
        EXPECT_EXC 16, -1, %$f
        EXPECT_EQ eax, 0xB084             ; TOP unchanged: SDM vol. 1, 8.5.3/8.5.2
        ENDCHECK

; ------------------------------------------------------------ #AC (17)
        CHECK   "#AC cpl3-misaligned"
        mov     eax, cr0
        or      eax, 1 << 18            ; AM
        mov     cr0, eax
        TRY
        mov     dword [frame_top], ESP0_TOP
        push    dword SEL_DATA3
        push    dword STACK3_TOP
        push    dword EFL_AC | 2
        push    dword SEL_CODE3
        push    dword %$r3
        iretd
%$r3:   mov     ebx, SCRATCH + 1
%$f:    mov     eax, [ss:ebx]
        ENDTRY
        mov     eax, cr0
        and     eax, ~(1 << 18)
        mov     cr0, eax
        call    print_exc
        EXPECT_EXC 17, 0, %$f
        ENDCHECK

; ------------------------------------------------------- #MC, #XM (18-19)
        P       "T", '0' + ((CHKNO+1) / 10), '0' + ((CHKNO+1) % 10)
        P       " #MC: not provokable (needs a machine-check error)", 13, 10
%assign CHKNO CHKNO+1
        P       "T", '0' + ((CHKNO+1) / 10), '0' + ((CHKNO+1) % 10)
        P       " #XM: not provokable (a Pentium II has no SSE)", 13, 10
%assign CHKNO CHKNO+1
        ret

; paging_on: 4 MiB identity pages for 0-64 MiB, except 8-12 MiB.
paging_on:
        mov     edi, PD_BASE
        mov     ecx, 1024
        xor     eax, eax
        rep stosd
        mov     edi, PD_BASE
        mov     eax, 0x83               ; P, R/W, PS
        mov     ecx, 16
.pde:   stosd
        add     eax, 0x400000
        loop    .pde
        mov     dword [PD_BASE + 2*4], 0
        mov     eax, cr4
        or      eax, 0x10               ; PSE
        mov     cr4, eax
        mov     eax, PD_BASE
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000
        mov     cr0, eax
        ret

paging_off:
        mov     eax, cr0
        and     eax, 0x7FFFFFFF
        mov     cr0, eax
        mov     eax, cr4
        and     eax, ~0x10
        mov     cr4, eax
        ret

align 4
idtr_short:
        dw      32*8-1
        dd      IDT_BASE
fpu_cw_zm:
        dw      0x037B                  ; default control word with ZM=0
