; rings.asm - privilege-level transitions.
;
; Ring 0 -> 3 by IRET and RETF (with the data segment registers that the
; outer ring may not use nulled), ring 3 -> 0 through call gates (32-bit
; with copied parameters, 16-bit), interrupt and trap gates (stack switch
; to TSS.SS0:ESP0), ring 2 -> 1 through a call gate (TSS.SS1:ESP1),
; conforming code segments, the privilege checks of CALL and IRET, and
; SYSENTER/SYSEXIT when CPUID reports SEP. Each check prints the
; selectors, stack pointers and frames it observed.
;
; Rebuild: make -C tests/guests

%define GUEST_NAME "rings"
%include "lib.inc"

SEL_GATE32   equ 0x50   ; call gate, DPL 3 -> 08:gate32_target, 3 dwords
SEL_GATE16   equ 0x58   ; 16-bit call gate, DPL 3 -> 60:gate16_target, 2 words
SEL_CODE0LO  equ 0x60   ; ring-0 code, base 1 MiB, limit FFFFh
SEL_CODE3LO  equ 0x6B   ; ring-3 code, base 1 MiB, limit FFFFh
SEL_STACK3LO equ 0x73   ; ring-3 stack, base 190000h, limit FFFFh
SEL_GATEDPL0 equ 0x78   ; call gate, DPL 0 -> 08:gate32_target
SEL_GATESAME equ 0x80   ; call gate, DPL 0 -> 08:gate_same_target, 2 dwords
SEL_CONF0    equ 0x88   ; conforming code, DPL 0
SEL_GATETO1  equ 0x90   ; call gate, DPL 3 -> 31:gate1_target
SYSENTER_ESP equ 0x196800

%define LO(x) ((x) - $$)        ; offset in the segments based at 1 MiB

main:
        GATE    GDT_BASE + SEL_GATE32, gate32_target, SEL_CODE0, 0xEC, 3
        GATE    GDT_BASE + SEL_GATE16, LO(gate16_target), SEL_CODE0LO, 0xE4, 2
        DESC    SEL_CODE0LO, GUEST_BASE, 0xFFFF, 0x9A, FLAGS_32
        DESC    SEL_CODE3LO, GUEST_BASE, 0xFFFF, 0xFA, FLAGS_32
        DESC    SEL_STACK3LO, 0x190000, 0xFFFF, 0xF2, FLAGS_32
        GATE    GDT_BASE + SEL_GATEDPL0, gate32_target, SEL_CODE0, 0x8C, 0
        GATE    GDT_BASE + SEL_GATESAME, gate_same_target, SEL_CODE0, 0x8C, 2
        DESC    SEL_CONF0, 0, 0xFFFFF, 0x9E, FLAGS_32_4K
        GATE    GDT_BASE + SEL_GATETO1, gate1_target, SEL_CODE1, 0xEC, 0
        IDTGATE 0x84, isr_stubs + 0x84*10, SEL_CODE0, 0xEF     ; trap gate

; ------------------------------------------------------- ring 0 -> ring 3
        CHECK   "iret-to-ring3"
        call    rec_clear
        mov     ax, SEL_DATA0           ; DPL 0: nulled on the way out
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     ax, SEL_DATA3           ; DPL 3: kept
        mov     gs, ax
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:   call    rec_ring
        ENDTRY
        call    print_rec
        EXPECT_EQ [r_cs], SEL_CODE3
        EXPECT_EQ [r_ss], SEL_DATA3
        EXPECT_EQ [r_ds], 0
        EXPECT_EQ [r_es], 0
        EXPECT_EQ [r_fs], 0
        EXPECT_EQ [r_gs], SEL_DATA3
        EXPECT_EQ [r_esp], STACK3_TOP - 4
        ENDCHECK

        CHECK   "retf-to-ring3"
        call    rec_clear
        mov     ax, SEL_DATA0
        mov     ds, ax
        mov     gs, ax
        mov     ax, SEL_DATA3
        mov     es, ax
        mov     ax, SEL_CONF0           ; conforming code: never nulled
        mov     fs, ax
        mov     ax, SEL_DATA0
        mov     ds, ax
        TRY
        mov     dword [frame_top], ESP0_TOP
        push    dword SEL_DATA3
        push    dword STACK3_TOP - 0x100
        push    dword SEL_CODE3
        push    dword %$r3
        retf
%$r3:   call    rec_ring
        ENDTRY
        call    print_rec
        EXPECT_EQ [r_cs], SEL_CODE3
        EXPECT_EQ [r_ds], 0
        EXPECT_EQ [r_es], SEL_DATA3
        EXPECT_EQ [r_fs], SEL_CONF0
        EXPECT_EQ [r_gs], 0
        EXPECT_EQ [r_esp], STACK3_TOP - 0x104
        ENDCHECK

; ------------------------------------------------------------ call gates
        CHECK   "callgate32-3-params"
        call    rec_clear
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:   push    dword 0x11111111
        push    dword 0x22222222
        push    dword 0x33333333
        call    (SEL_GATE32 | 3):0
        mov     [ss:r_back_esp], esp
        mov     [ss:r_back_cs], cs
        ENDTRY
        PHEX16  " in: cs=", [g_cs]
        PHEX16  " ss=", [g_ss]
        PHEX32  " esp=", [g_esp]
        PHEX32  " frame: eip=", [g_frame]
        PHEX16  " cs=", [g_frame + 4]
        PHEX32  " p=", [g_frame + 8]
        PHEX32  ",", [g_frame + 12]
        PHEX32  ",", [g_frame + 16]
        PHEX32  " esp=", [g_frame + 20]
        PHEX16  " ss=", [g_frame + 24]
        PHEX32  "; back: esp=", [r_back_esp]
        PHEX16  " cs=", [r_back_cs]
        EXPECT_EQ [g_cs], SEL_CODE0
        EXPECT_EQ [g_ss], SEL_DATA0
        EXPECT_EQ [g_esp], ESP0_TOP - 28
        EXPECT_EQ [g_frame + 4], SEL_CODE3
        EXPECT_EQ [g_frame + 8], 0x33333333
        EXPECT_EQ [g_frame + 12], 0x22222222
        EXPECT_EQ [g_frame + 16], 0x11111111
        EXPECT_EQ [g_frame + 20], STACK3_TOP - 12
        EXPECT_EQ [g_frame + 24], SEL_DATA3
        EXPECT_EQ [r_back_esp], STACK3_TOP
        ENDCHECK

        CHECK   "callgate16-2-params"
        call    rec_clear
        TRY
        mov     dword [frame_top], ESP0_TOP
        push    dword SEL_STACK3LO
        push    dword 0x8000
        push    dword 2
        push    dword SEL_CODE3LO
        push    dword LO(r3_gate16)
        iretd
        ENDTRY
        PHEX16  " in: cs=", [g_cs]
        PHEX32  " esp=", [g_esp]
        PHEX16  " frame: ip=", [g_frame]
        PHEX16  " cs=", [g_frame + 2]
        PHEX16  " p=", [g_frame + 4]
        PHEX16  ",", [g_frame + 6]
        PHEX16  " sp=", [g_frame + 8]
        PHEX16  " ss=", [g_frame + 10]
        PHEX32  "; back: esp=", [r_back_esp]
        PHEX16  " cs=", [r_back_cs]
        PHEX32  " eip=", [r_back_eip]
        EXPECT_EQ [g_cs], SEL_CODE0LO
        EXPECT_EQ [g_esp], ESP0_TOP - 12
        movzx   eax, word [g_frame]
        EXPECT_EQ eax, LO(r3_gate16.ret)
        movzx   eax, word [g_frame + 2]
        EXPECT_EQ eax, SEL_CODE3LO
        EXPECT_EQ [g_frame + 4], 0xAAAABBBB
        EXPECT_EQ [g_frame + 8], (SEL_STACK3LO << 16) | 0x7FFC
        EXPECT_EQ [r_back_esp], 0x8000
        EXPECT_EQ [r_back_eip], LO(r3_gate16.ret)
        ENDCHECK

        CHECK   "callgate-same-ring"
        mov     [g_caller_esp], esp
        call    SEL_GATESAME:0
%$ret:  mov     eax, [g_caller_esp]
        sub     eax, [g_esp]
        PHEX16  " in: cs=", [g_cs]
        PHEX32  " frame: eip=", [g_frame]
        PHEX16  " cs=", [g_frame + 4]
        PHEX8   " pushed=", eax
        EXPECT_EQ [g_cs], SEL_CODE0
        EXPECT_EQ [g_frame], %$ret
        EXPECT_EQ [g_frame + 4], SEL_CODE0
        EXPECT_EQ eax, 8
        ENDCHECK

        CHECK   "callgate-dpl-below-cpl"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:
%$f:    call    (SEL_GATEDPL0 | 3):0
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, SEL_GATEDPL0, %$f
        ENDCHECK

; ------------------------------------------------- interrupt/trap gates
        CHECK   "intgate-from-ring3"
        TRY
        mov     dword [frame_top], ESP0_TOP
        push    dword SEL_DATA3
        push    dword STACK3_TOP
        push    dword EFL_NT | EFL_IF | 2
        push    dword SEL_CODE3
        push    dword %$r3
        iretd
%$r3:   int     0x83
%$f:
        ENDTRY
        call    print_exc
        PHEX32  " hesp=", [exc_esp]
        PHEX32  " hfl=", [exc_hflags]
        EXPECT_EXC 0x83, -1, %$f
        EXPECT_EQ [exc_eflags], EFL_NT | EFL_IF | 2
        EXPECT_EQ [exc_esp], ESP0_TOP - 20
        EXPECT_EQ [exc_hflags], 2
        ENDCHECK

        CHECK   "trapgate-from-ring3"
        TRY
        mov     dword [frame_top], ESP0_TOP
        push    dword SEL_DATA3
        push    dword STACK3_TOP
        push    dword EFL_NT | EFL_IF | 2
        push    dword SEL_CODE3
        push    dword %$r3
        iretd
%$r3:   int     0x84
%$f:
        ENDTRY
        cli
        call    print_exc
        PHEX32  " hesp=", [exc_esp]
        PHEX32  " hfl=", [exc_hflags]
        EXPECT_EXC 0x84, -1, %$f
        EXPECT_EQ [exc_eflags], EFL_NT | EFL_IF | 2
        EXPECT_EQ [exc_esp], ESP0_TOP - 20
        EXPECT_EQ [exc_hflags], EFL_IF | 2
        ENDCHECK

        CHECK   "int-from-ring1"
        TRY
        mov     dword [frame_top], ESP0_TOP
        push    dword SEL_DATA1
        push    dword ESP1_TOP - 0x800
        push    dword 2
        push    dword SEL_CODE1
        push    dword %$r1
        iretd
%$r1:   int     VEC_NOFAULT + 1
%$f:
        ENDTRY
        call    print_exc
        EXPECT_EXC VEC_NOFAULT + 1, -1, %$f
        EXPECT_EQ [exc_cs], SEL_CODE1
        EXPECT_EQ [exc_oss], SEL_DATA1
        EXPECT_EQ [exc_oesp], ESP1_TOP - 0x800
        ENDCHECK

        CHECK   "callgate-ring2-to-ring1"
        call    rec_clear
        TRY
        mov     dword [frame_top], ESP0_TOP
        push    dword SEL_DATA2
        push    dword ESP2_TOP - 0x800
        push    dword 2
        push    dword SEL_CODE2
        push    dword %$r2
        iretd
%$r2:   call    (SEL_GATETO1 | 2):0
        mov     [ss:r_back_esp], esp
        mov     [ss:r_back_cs], cs
        ENDTRY
        PHEX16  " in: cs=", [g_cs]
        PHEX16  " ss=", [g_ss]
        PHEX32  " esp=", [g_esp]
        PHEX32  " frame: eip=", [g_frame]
        PHEX16  " cs=", [g_frame + 4]
        PHEX32  " esp=", [g_frame + 8]
        PHEX16  " ss=", [g_frame + 12]
        PHEX32  "; back: esp=", [r_back_esp]
        PHEX16  " cs=", [r_back_cs]
        EXPECT_EQ [g_cs], SEL_CODE1
        EXPECT_EQ [g_ss], SEL_DATA1
        EXPECT_EQ [g_esp], ESP1_TOP - 16
        EXPECT_EQ [g_frame + 4], SEL_CODE2
        EXPECT_EQ [g_frame + 8], ESP2_TOP - 0x800
        EXPECT_EQ [g_frame + 12], SEL_DATA2
        EXPECT_EQ [r_back_esp], ESP2_TOP - 0x800
        EXPECT_EQ [r_back_cs], SEL_CODE2
        ENDCHECK

; ------------------------------------------------------------ conforming
        CHECK   "conforming-call-from-ring3"
        call    rec_clear
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:   call    SEL_CONF0:conf_target
        mov     [ss:r_back_esp], esp
        mov     [ss:r_back_cs], cs
        ENDTRY
        PHEX16  " in: cs=", [g_cs]
        PHEX16  " ss=", [g_ss]
        PHEX32  " esp=", [g_esp]
        PHEX16  " ret-cs=", [g_frame + 4]
        PHEX32  "; back: esp=", [r_back_esp]
        PHEX16  " cs=", [r_back_cs]
        EXPECT_EQ [g_cs], SEL_CONF0 | 3
        EXPECT_EQ [g_ss], SEL_DATA3
        EXPECT_EQ [g_esp], STACK3_TOP - 8
        EXPECT_EQ [g_frame + 4], SEL_CODE3
        EXPECT_EQ [r_back_esp], STACK3_TOP
        EXPECT_EQ [r_back_cs], SEL_CODE3
        ENDCHECK

        CHECK   "nonconforming-call-from-ring3"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:
%$f:    call    SEL_CODE0:gate32_target
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, SEL_CODE0, %$f
        ENDCHECK

        CHECK   "iret-to-inner-ring"
        TRY
        mov     dword [frame_top], ESP0_TOP
        RING3   %$r3
%$r3:   push    dword 2
        push    dword SEL_CODE0
        push    dword %$after
%$f:    iretd
%$after:
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, SEL_CODE0, %$f
        ENDCHECK

; ------------------------------------------------------ SYSENTER/SYSEXIT
        CHECK   "sysenter-sysexit"
        mov     eax, 1
        cpuid
        test    edx, 1 << 11
        jnz     %$sep
        P       " skipped: CPUID reports no SEP"
        jmp     %$end
%$sep:  call    rec_clear
        mov     ecx, 0x174
        mov     eax, SEL_CODE0
        xor     edx, edx
        wrmsr
        mov     ecx, 0x175
        mov     eax, SYSENTER_ESP
        wrmsr
        mov     ecx, 0x176
        mov     eax, sysenter_target
        wrmsr
        TRY
        mov     dword [frame_top], ESP0_TOP
        push    dword SEL_DATA3
        push    dword STACK3_TOP
        push    dword EFL_IF | 2
        push    dword SEL_CODE3
        push    dword %$r3
        iretd
%$r3:   mov     edx, %$back             ; SYSEXIT's EIP and ESP
        mov     ecx, STACK3_TOP - 0x40
        sysenter
%$back: call    rec_ring
        ENDTRY
        PHEX16  " in: cs=", [g_cs]
        PHEX16  " ss=", [g_ss]
        PHEX32  " esp=", [g_esp]
        PHEX32  " fl=", [g_fl]
        P       ";"
        call    print_rec
        EXPECT_EQ [g_cs], SEL_CODE0
        EXPECT_EQ [g_ss], SEL_DATA0
        EXPECT_EQ [g_esp], SYSENTER_ESP
        EXPECT_EQ [g_fl], 2
        EXPECT_EQ [r_cs], SEL_CODE3
        EXPECT_EQ [r_ss], SEL_DATA3
        EXPECT_EQ [r_esp], STACK3_TOP - 0x44
%$end:
        ENDCHECK
        ret

; ---------------------------------------------------------- ring-3 code

; rec_ring: record CS, SS, the data segment registers, ESP (after this
; call pushed its return address) and EFLAGS, through SS.
rec_ring:
        mov     [ss:r_cs], cs
        mov     [ss:r_ss], ss
        mov     [ss:r_ds], ds
        mov     [ss:r_es], es
        mov     [ss:r_fs], fs
        mov     [ss:r_gs], gs
        mov     [ss:r_esp], esp
        pushfd
        pop     dword [ss:r_fl]
        ret

; r3_gate16: runs in SEL_CODE3LO (base 1 MiB) on SEL_STACK3LO:8000h and
; calls through the 16-bit gate with two word parameters.
r3_gate16:
        mov     ax, SEL_DATA3
        mov     ds, ax
        push    word 0xAAAA
        push    word 0xBBBB
        call    (SEL_GATE16 | 3):0
.ret:   mov     [r_back_esp], esp
        mov     [r_back_cs], cs
        call    .eip
.eip:   pop     dword [r_back_eip]
        sub     dword [r_back_eip], .eip - .ret
        int     VEC_NOFAULT

; ------------------------------------------------------- gate targets

; gate32_target: ring 0 through SEL_GATE32; three dword parameters.
gate32_target:
        mov     [ss:g_esp], esp
        mov     [ss:g_cs], cs
        mov     [ss:g_ss], ss
        push    ecx
        push    eax
        xor     ecx, ecx
.copy:  mov     eax, [esp + 8 + ecx*4]
        mov     [ss:g_frame + ecx*4], eax
        inc     ecx
        cmp     ecx, 7
        jb      .copy
        pop     eax
        pop     ecx
        retf    12

; gate_same_target: ring 0 -> ring 0 through SEL_GATESAME.
gate_same_target:
        mov     [g_esp], esp
        mov     [g_cs], cs
        push    eax
        mov     eax, [esp + 4]
        mov     [g_frame], eax
        mov     eax, [esp + 8]
        mov     [g_frame + 4], eax
        pop     eax
        retf

; gate1_target: ring 1 through SEL_GATETO1 (from ring 2).
gate1_target:
        mov     [ss:g_esp], esp
        mov     [ss:g_cs], cs
        mov     [ss:g_ss], ss
        push    eax
        mov     eax, [esp + 4]
        mov     [ss:g_frame], eax
        mov     eax, [esp + 8]
        mov     [ss:g_frame + 4], eax
        mov     eax, [esp + 12]
        mov     [ss:g_frame + 8], eax
        mov     eax, [esp + 16]
        mov     [ss:g_frame + 12], eax
        pop     eax
        retf

; conf_target: conforming DPL-0 code called from ring 3.
conf_target:
        mov     [ss:g_esp], esp
        mov     [ss:g_cs], cs
        mov     [ss:g_ss], ss
        push    eax
        mov     eax, [esp + 4]
        mov     [ss:g_frame], eax
        mov     eax, [esp + 8]
        mov     [ss:g_frame + 4], eax
        pop     eax
        retf

; sysenter_target: ring 0 entry of SYSENTER; returns with SYSEXIT.
sysenter_target:
        mov     [ss:g_esp], esp
        mov     [ss:g_cs], cs
        mov     [ss:g_ss], ss
        pushfd
        pop     dword [ss:g_fl]
        sysexit

; gate16_target: ring 0 in SEL_CODE0LO through the 16-bit gate: the CPU
; pushed SS, SP, two word parameters, CS and IP (12 bytes).
gate16_target:
        mov     [ss:g_esp], esp
        mov     [ss:g_cs], cs
        push    eax
        mov     eax, [esp + 4]
        mov     [ss:g_frame], eax
        mov     eax, [esp + 8]
        mov     [ss:g_frame + 4], eax
        mov     eax, [esp + 12]
        mov     [ss:g_frame + 8], eax
        pop     eax
        o16 retf 4

; ------------------------------------------------------------- records
rec_clear:
        push    edi
        push    ecx
        push    eax
        mov     edi, rec_start
        mov     ecx, (rec_end - rec_start) / 4
        xor     eax, eax
        rep stosd
        pop     eax
        pop     ecx
        pop     edi
        ret

print_rec:
        PHEX16  " cs=", [r_cs]
        PHEX16  " ss=", [r_ss]
        PHEX16  " ds=", [r_ds]
        PHEX16  " es=", [r_es]
        PHEX16  " fs=", [r_fs]
        PHEX16  " gs=", [r_gs]
        PHEX32  " esp=", [r_esp]
        PHEX32  " fl=", [r_fl]
        ret

align 4
rec_start:
r_cs:       dd 0
r_ss:       dd 0
r_ds:       dd 0
r_es:       dd 0
r_fs:       dd 0
r_gs:       dd 0
r_esp:      dd 0
r_fl:       dd 0
r_back_esp: dd 0
r_back_cs:  dd 0
r_back_eip: dd 0
g_esp:      dd 0
g_cs:       dd 0
g_ss:       dd 0
g_fl:       dd 0
g_frame:    times 8 dd 0
rec_end:
g_caller_esp: dd 0
