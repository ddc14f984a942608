; v86.asm - virtual-8086 mode.
;
; Enters V86 with IRET (VM=1) and runs real-mode-style code copied to
; 1000:0000. Checks: the segment registers and FLAGS that V86 code sees;
; the ring-0 frame of an exit (EIP, CS, EFLAGS, ESP, SS, then ES, DS,
; FS, GS) and the null data segment registers inside the handler; the
; IOPL-sensitive instructions with IOPL < 3 (#GP(0) with the full V86
; frame); INT3, which is not IOPL-sensitive; IN/OUT through the TSS I/O
; permission bitmap (allowed, denied, a word access straddling an allowed
; and a denied port); INT n with IOPL = 3 to a ring-0 handler that IRETs
; back to V86; exceptions raised in V86; a gate whose code segment is not
; ring 0; and CLI/STI/POPF with IOPL = 3 (POPF cannot change IOPL).
;
; Rebuild: make -C tests/guests

%define GUEST_NAME "v86"
%include "lib.inc"

V86_SEG     equ 0x1000
V86_LIN     equ 0x10000
V86_SP      equ 0xFF00
IOMAP       equ TSS_BASE + 0x68
IOMAP_END   equ IOMAP + 0x2000          ; the trailing FFh byte

%define V(x) ((x) - v86_start)          ; offset in segment 1000h
%define VD(x) (V86_LIN + (x) - v86_start)

; V86ENTER label, iopl[, extra EFLAGS] - IRET into V86 at 1000:label.
%macro V86ENTER 2-3 0
        mov     dword [frame_top], ESP0_TOP
        push    dword 0x4004                    ; GS
        push    dword 0x3003                    ; FS
        push    dword V86_SEG                   ; DS
        push    dword 0x2002                    ; ES
        push    dword V86_SEG                   ; SS
        push    dword V86_SP                    ; ESP
        push    dword EFL_VM | ((%2) << 12) | 2 | (%3)
        push    dword V86_SEG                   ; CS
        push    dword V(%1)                     ; EIP
        iretd
%endmacro

; V86EXC "name", label, iopl, vector, error code, faulting label[, extra]
; (extra: a routine that prints more of the observed state)
%macro V86EXC 6-7
        CHECK   %1
        TRY
        V86ENTER %2, %3
        ENDTRY
        call    print_exc
        call    print_hsegs
%if %0 > 6
        call    %7
%endif
        EXPECT_EXC %4, %5, V(%6)
        EXPECT_EQ [exc_cs], V86_SEG
        EXPECT_EQ [exc_oesp], V86_SP
        ENDCHECK
%endmacro

main:
        ; The V86 code and data live at 1000:0000.
        mov     esi, v86_start
        mov     edi, V86_LIN
        mov     ecx, v86_end - v86_start
        rep movsb
        ; I/O permission bitmap: everything denied but ports 80h and 3FBh.
        mov     edi, IOMAP
        mov     ecx, 0x2000 + 1
        mov     al, 0xFF
        rep stosb
        and     byte [IOMAP + 0x80 / 8], ~(1 << (0x80 % 8))
        and     byte [IOMAP + 0x3FB / 8], ~(1 << (0x3FB % 8))
        DESC    SEL_TSS, TSS_BASE, 0x68 + 0x2000, 0x89, FLAGS_32
        mov     ax, SEL_TSS                     ; reload TR: new limit
        ltr     ax
        IDTGATE 0x85, v86_int_handler, SEL_CODE0, 0xEE
        IDTGATE 0x86, v86_int_handler, SEL_CODE3, 0xEE

        CHECK   "enter-v86-iopl3"
        TRY
        V86ENTER v_rec, 3
        ENDTRY
        call    print_frame
        call    print_hsegs
        PHEX16  "; v86: cs=", [VD(vr_cs)]
        PHEX16  " ss=", [VD(vr_ss)]
        PHEX16  " ds=", [VD(vr_ds)]
        PHEX16  " es=", [VD(vr_es)]
        PHEX16  " fs=", [VD(vr_fs)]
        PHEX16  " gs=", [VD(vr_gs)]
        PHEX16  " sp=", [VD(vr_sp)]
        PHEX16  " fl=", [VD(vr_fl)]
        EXPECT_EXC VEC_NOFAULT, -1, 0
        EXPECT_EQ [exc_eip], V(v_rec.after)
        EXPECT_EQ [exc_eflags], EFL_VM | 0x3002
        EXPECT_EQ [exc_ds], 0
        EXPECT_EQ [exc_es], 0
        EXPECT_EQ [exc_fs], 0
        EXPECT_EQ [exc_gs], 0
        movzx   eax, word [VD(vr_fl)]
        EXPECT_EQ eax, 0x3002
        movzx   eax, word [VD(vr_es)]
        EXPECT_EQ eax, 0x2002
        movzx   eax, word [VD(vr_gs)]
        EXPECT_EQ eax, 0x4004
        ENDCHECK

        V86EXC  "cli-iopl0", v_cli, 0, 13, 0, v_cli
        V86EXC  "sti-iopl0", v_sti, 0, 13, 0, v_sti
        V86EXC  "pushf-iopl0", v_pushf, 0, 13, 0, v_pushf
        V86EXC  "popf-iopl0", v_popf, 0, 13, 0, v_popf
        V86EXC  "int-n-iopl0", v_intn, 0, 13, 0, v_intn
        V86EXC  "iret-iopl0", v_iret, 0, 13, 0, v_iret
        V86EXC  "hlt-iopl3", v_hlt, 3, 13, 0, v_hlt

        IDTGATE 3, isr_stubs + 3*10, SEL_CODE0, 0xEE
        V86EXC  "int3-iopl0", v_int3, 0, 3, -1, v_int3.after
        mov     ecx, 3
        call    restore_gate

        V86EXC  "in-allowed-port", v_in_ok, 0, 13, 0, v_in_ok.hlt, print_al
        V86EXC  "in-denied-port", v_in_deny, 0, 13, 0, v_in_deny.in
        V86EXC  "in-word-straddle", v_in_word, 0, 13, 0, v_in_word.in
        V86EXC  "out-allowed-port", v_out_ok, 0, 13, 0, v_out_ok.hlt
        V86EXC  "div0-in-v86", v_div0, 0, 0, -1, v_div0.div
        V86EXC  "ud2-in-v86", v_ud2, 0, 6, -1, v_ud2
        V86EXC  "int-gate-ring3-code", v_int86, 3, 13, SEL_CODE3 & ~3, v_int86

        CHECK   "int-to-ring0-and-iret-back"
        TRY
        V86ENTER v_int85, 3
        ENDTRY
        PHEX32  " handler: eip=", [h_frame]
        PHEX16  " cs=", [h_frame + 4]
        PHEX32  " fl=", [h_frame + 8]
        PHEX32  " esp=", [h_frame + 12]
        PHEX16  " ss=", [h_frame + 16]
        PHEX16  " es=", [h_frame + 20]
        PHEX16  " ds=", [h_frame + 24]
        PHEX16  " fs=", [h_frame + 28]
        PHEX16  " gs=", [h_frame + 32]
        PHEX32  " hesp=", [h_esp]
        PHEX16  " hds=", [h_ds]
        PHEX16  " hes=", [h_es]
        PHEX16  " hfs=", [h_fs]
        PHEX16  " hgs=", [h_gs]
        PHEX16  "; v86: ax=", [VD(vr_ax)]
        PHEX16  " sp=", [VD(vr_sp)]
        PHEX16  " es=", [VD(vr_es)]
        EXPECT_EXC VEC_NOFAULT, -1, 0
        EXPECT_EQ [h_frame], V(v_int85.back)
        EXPECT_EQ [h_frame + 4], V86_SEG
        EXPECT_EQ [h_frame + 8], EFL_VM | 0x3002
        EXPECT_EQ [h_frame + 12], V86_SP
        EXPECT_EQ [h_frame + 20], 0x2002
        EXPECT_EQ [h_esp], ESP0_TOP - 36
        EXPECT_EQ [h_ds], 0
        EXPECT_EQ [h_gs], 0
        movzx   eax, word [VD(vr_ax)]
        EXPECT_EQ eax, 0x5A5A
        movzx   eax, word [VD(vr_es)]
        EXPECT_EQ eax, 0x2002
        ENDCHECK

        CHECK   "cli-sti-popf-iopl3"
        TRY
        V86ENTER v_flags, 3
        ENDTRY
        PHEX16  " after-sti=", [VD(vr_fl)]
        PHEX16  " after-popf=", [VD(vr_fl2)]
        call    print_frame
        movzx   eax, word [VD(vr_fl)]
        EXPECT_EQ eax, 0x3202
        movzx   eax, word [VD(vr_fl2)]
        EXPECT_EQ eax, 0x3202
        EXPECT_EQ [exc_eflags], EFL_VM | 0x3202
        ENDCHECK
        ret

print_al:
        PHEX8   " al=", [VD(vr_al)]
        movzx   eax, byte [VD(vr_al)]
        EXPECT_EQ eax, 0x03                     ; COM1 LCR: 8N1
        ret

; print_hsegs: the data segment registers found in the handler.
print_hsegs:
        PHEX16  " hds=", [exc_ds]
        PHEX16  " hes=", [exc_es]
        PHEX16  " hfs=", [exc_fs]
        PHEX16  " hgs=", [exc_gs]
        ret

; v86_int_handler: ring-0 handler of INT 85h from V86; records its frame
; and the segment registers, sets AX = 5A5Ah and IRETs back to V86.
v86_int_handler:
        mov     [ss:h_esp], esp
        mov     [ss:h_ds], ds
        mov     [ss:h_es], es
        mov     [ss:h_fs], fs
        mov     [ss:h_gs], gs
        push    ecx
        push    edx
        xor     ecx, ecx
.copy:  mov     edx, [esp + 8 + ecx*4]
        mov     [ss:h_frame + ecx*4], edx
        inc     ecx
        cmp     ecx, 9
        jb      .copy
        pop     edx
        pop     ecx
        mov     eax, 0x5A5A
        iretd

align 4
h_esp:      dd 0
h_ds:       dd 0
h_es:       dd 0
h_fs:       dd 0
h_gs:       dd 0
h_frame:    times 9 dd 0

; ------------------------------------------------------------- V86 code
bits 16
align 16
v86_start:
v_rec:  mov     [V(vr_cs)], cs
        mov     [V(vr_ss)], ss
        mov     [V(vr_ds)], ds
        mov     [V(vr_es)], es
        mov     [V(vr_fs)], fs
        mov     [V(vr_gs)], gs
        mov     [V(vr_sp)], sp
        pushf
        pop     word [V(vr_fl)]
        int     VEC_NOFAULT
.after: hlt

v_cli:  cli
        hlt
v_sti:  sti
        hlt
v_pushf:
        pushf
        hlt
v_popf: popf
        hlt
v_intn: int     0x40
        hlt
v_iret: iret
        hlt
v_hlt:  hlt
v_int3: int3
.after: hlt

v_in_ok:
        mov     dx, 0x3FB
        in      al, dx
        mov     [V(vr_al)], al
.hlt:   hlt
v_in_deny:
        mov     dx, 0x3FC
.in:    in      al, dx
        hlt
v_in_word:
        mov     dx, 0x3FA
.in:    in      ax, dx
        hlt
v_out_ok:
        xor     al, al
        out     0x80, al
.hlt:   hlt

v_div0: xor     cx, cx
.div:   div     cx
        hlt
v_ud2:  ud2
v_int86:
        int     0x86
        hlt

v_int85:
        mov     ax, 0x1111
        int     0x85
.back:  mov     [V(vr_ax)], ax
        mov     [V(vr_sp)], sp
        mov     [V(vr_es)], es
        int     VEC_NOFAULT

v_flags:
        cli
        sti
        pushf
        pop     word [V(vr_fl)]
        push    word 0x0202                     ; tries IOPL=0
        popf
        pushf
        pop     word [V(vr_fl2)]
        int     VEC_NOFAULT

align 2
vr_cs:  dw 0
vr_ss:  dw 0
vr_ds:  dw 0
vr_es:  dw 0
vr_fs:  dw 0
vr_gs:  dw 0
vr_sp:  dw 0
vr_fl:  dw 0
vr_fl2: dw 0
vr_ax:  dw 0
vr_al:  dw 0
v86_end:
bits 32
