; tasks.asm - hardware task switches.
;
; JMP to a TSS (busy bits move, NT stays clear, the old state is saved in
; the old TSS, LDTR and CR0.TS follow the switch), CALL through a task
; gate and IRET back (NT, back link, both tasks busy, NT cleared in the
; returning task's saved EFLAGS), INT through an IDT task gate, #GP
; delivered through a task gate with its error code on the new task's
; stack, a 16-bit TSS, and JMP to a busy TSS. Each check prints what the
; tasks saw: TR, LDTR, EFLAGS, back links, descriptor type bytes and the
; state saved in the TSSes.
;
; Task A is the guest's main TSS (selector 28h).
;
; Rebuild: make -C tests/guests

%define GUEST_NAME "tasks"
%include "lib.inc"

SEL_TSSB    equ 0x50
SEL_TGATEB  equ 0x58    ; task gate -> TSS B
SEL_TSSC    equ 0x60
SEL_TSSD    equ 0x68
SEL_TSSE    equ 0x70    ; 16-bit TSS
SEL_CODE16  equ 0x78    ; 16-bit code, base 1 MiB
SEL_DATA16  equ 0x80    ; 16-bit data, base 1 MiB
SEL_LDT     equ 0x88
SEL_STACK16 equ 0x90    ; 16-bit stack, base 190000h
SEL_LDTDATA equ 0x0C    ; LDT entry 1, RPL 0

TSSB        equ 0x184000
TSSC        equ 0x184100
TSSD        equ 0x184200
TSSE        equ 0x184300
LDT_BASE    equ 0x184400
STACKB      equ 0x199000
STACKC      equ 0x19A000
STACKD      equ 0x19B000
SP_E        equ 0xC000  ; SEL_STACK16:C000 = 19C000h

%define LO(x) ((x) - $$)

main:
        DESC    SEL_TSSB, TSSB, 0x67, 0x89, FLAGS_32
        GATE    GDT_BASE + SEL_TGATEB, 0, SEL_TSSB, 0x85, 0
        DESC    SEL_TSSC, TSSC, 0x67, 0x89, FLAGS_32
        DESC    SEL_TSSD, TSSD, 0x67, 0x89, FLAGS_32
        DESC    SEL_TSSE, TSSE, 0x2B, 0x81, FLAGS_16
        DESC    SEL_CODE16, GUEST_BASE, 0xFFFF, 0x9A, FLAGS_16
        DESC    SEL_DATA16, GUEST_BASE, 0xFFFF, 0x92, FLAGS_16
        DESC    SEL_LDT, LDT_BASE, 0xF, 0x82, FLAGS_16
        DESC    SEL_STACK16, 0x190000, 0xFFFF, 0x92, FLAGS_16
        ; LDT entry 1: data at SCRATCH (written raw: set_desc targets the GDT)
        mov     dword [LDT_BASE], 0
        mov     dword [LDT_BASE + 4], 0
        mov     dword [LDT_BASE + 8], ((SCRATCH & 0xFFFF) << 16) | 0x0FFF
        mov     dword [LDT_BASE + 12], (SCRATCH & 0xFF000000) | 0x00409200 | ((SCRATCH >> 16) & 0xFF)
        mov     dword [SCRATCH], 0xCAFEF00D

; ----------------------------------------------------------- JMP to TSS
        CHECK   "jmp-to-tss"
        mov     edi, TSSB
        mov     eax, taskb_jmp
        mov     ebx, STACKB
        call    tss32_init
        mov     word [TSSB + 0x60], SEL_LDT
        mov     dword [TSSB + 0x28], 0xBBBB0001 ; EAX
        mov     word [TSSB], 0x1234             ; back link: must stay
        mov     eax, 0xAAAA0001
        mov     ecx, 0xAAAA0002
%$f:    jmp     SEL_TSSB:0
%$back: mov     [t_a_eax], eax
        str     ax
        movzx   eax, ax
        mov     [t_a_tr], eax
        sldt    ax
        movzx   eax, ax
        mov     [t_a_ldtr], eax
        mov     eax, cr0
        and     eax, 8
        mov     [t_a_ts], eax
        clts
        mov     eax, SEL_TSS
        call    desc_access
        mov     [t_a_acc_a], eax
        mov     eax, SEL_TSSB
        call    desc_access
        mov     [t_a_acc_b], eax
        ; what B saw
        PHEX16  " B: tr=", [t_b_tr]
        PHEX16  " ldtr=", [t_b_ldtr]
        PHEX32  " ldt[1]=", [t_b_ldtval]
        PHEX32  " eax=", [t_b_eax]
        PHEX32  " fl=", [t_b_fl]
        PHEX16  " link=", [t_b_link]
        PHEX8   " ts=", [t_b_ts]
        PHEX8   " acc A=", [t_b_acc_a]
        PHEX8   " B=", [t_b_acc_b]
        PHEX32  " A.eip=", [t_b_saved_eip]
        PHEX32  " A.eax=", [t_b_saved_eax]
        PHEX32  " A.ecx=", [t_b_saved_ecx]
        ; what A saw after B jumped back
        PHEX16  "; A: tr=", [t_a_tr]
        PHEX16  " ldtr=", [t_a_ldtr]
        PHEX32  " eax=", [t_a_eax]
        PHEX8   " ts=", [t_a_ts]
        PHEX8   " acc A=", [t_a_acc_a]
        PHEX8   " B=", [t_a_acc_b]
        PHEX32  " B.eip=", [TSSB + 0x20]
        EXPECT_EQ [t_b_tr], SEL_TSSB
        EXPECT_EQ [t_b_ldtr], SEL_LDT
        EXPECT_EQ [t_b_ldtval], 0xCAFEF00D
        EXPECT_EQ [t_b_eax], 0xBBBB0001
        EXPECT_EQ [t_b_fl], 2
        EXPECT_EQ [t_b_link], 0x1234
        EXPECT_EQ [t_b_ts], 8
        EXPECT_EQ [t_b_acc_a], 0x89
        EXPECT_EQ [t_b_acc_b], 0x8B
        EXPECT_EQ [t_b_saved_eip], %$back
        EXPECT_EQ [t_b_saved_eax], 0xAAAA0001
        EXPECT_EQ [t_b_saved_ecx], 0xAAAA0002
        EXPECT_EQ [t_a_tr], SEL_TSS
        EXPECT_EQ [t_a_ldtr], 0
        EXPECT_EQ [t_a_eax], 0xAAAA0001
        EXPECT_EQ [t_a_ts], 8
        EXPECT_EQ [t_a_acc_a], 0x8B
        EXPECT_EQ [t_a_acc_b], 0x89
        EXPECT_EQ [TSSB + 0x20], taskb_jmp.after
        ENDCHECK

; --------------------------------------------- CALL through a task gate
        CHECK   "call-task-gate-iret"
        mov     edi, TSSB
        mov     eax, taskb_call
        mov     ebx, STACKB
        call    tss32_init
        call    SEL_TGATEB:0
%$back: pushfd
        pop     dword [t_a_fl]
        and     dword [t_a_fl], EFL_NT
        clts
        mov     eax, SEL_TSS
        call    desc_access
        mov     [t_a_acc_a], eax
        mov     eax, SEL_TSSB
        call    desc_access
        mov     [t_a_acc_b], eax
        mov     eax, [TSSB + 0x24]
        and     eax, EFL_NT
        mov     [t_a_eax], eax
        PHEX16  " B: tr=", [t_b_tr]
        PHEX32  " fl=", [t_b_fl]
        PHEX16  " link=", [t_b_link]
        PHEX8   " acc A=", [t_b_acc_a]
        PHEX8   " B=", [t_b_acc_b]
        PHEX32  " A.eip=", [t_b_saved_eip]
        PHEX32  "; A: fl&NT=", [t_a_fl]
        PHEX8   " acc A=", [t_a_acc_a]
        PHEX8   " B=", [t_a_acc_b]
        PHEX32  " B.eip=", [TSSB + 0x20]
        PHEX32  " B.fl&NT=", [t_a_eax]
        EXPECT_EQ [t_b_tr], SEL_TSSB
        EXPECT_EQ [t_b_fl], EFL_NT | 2
        EXPECT_EQ [t_b_link], SEL_TSS
        EXPECT_EQ [t_b_acc_a], 0x8B
        EXPECT_EQ [t_b_acc_b], 0x8B
        EXPECT_EQ [t_b_saved_eip], %$back
        EXPECT_EQ [t_a_fl], 0
        EXPECT_EQ [t_a_acc_a], 0x8B
        EXPECT_EQ [t_a_acc_b], 0x89
        EXPECT_EQ [TSSB + 0x20], taskb_call.after
        EXPECT_EQ [t_a_eax], 0
        ENDCHECK

; ----------------------------------------------- INT through a task gate
        CHECK   "int-task-gate"
        mov     edi, TSSC
        mov     eax, taskc
        mov     ebx, STACKC
        call    tss32_init
        GATE    IDT_BASE + 0x40*8, 0, SEL_TSSC, 0x85, 0
        int     0x40
%$back: clts
        mov     ecx, 0x40
        call    restore_gate
        mov     eax, SEL_TSSC
        call    desc_access
        mov     [t_a_acc_b], eax
        PHEX16  " C: tr=", [t_b_tr]
        PHEX32  " fl=", [t_b_fl]
        PHEX16  " link=", [t_b_link]
        PHEX32  " esp=", [t_b_esp]
        PHEX32  " A.eip=", [t_b_saved_eip]
        PHEX8   "; A: acc C=", [t_a_acc_b]
        EXPECT_EQ [t_b_tr], SEL_TSSC
        EXPECT_EQ [t_b_fl], EFL_NT | 2
        EXPECT_EQ [t_b_link], SEL_TSS
        EXPECT_EQ [t_b_esp], STACKC
        EXPECT_EQ [t_b_saved_eip], %$back
        EXPECT_EQ [t_a_acc_b], 0x89
        ENDCHECK

; ------------------------------------ #GP through a task gate (error code)
        CHECK   "gp-task-gate"
        mov     edi, TSSD
        mov     eax, taskd
        mov     ebx, STACKD
        call    tss32_init
        GATE    IDT_BASE + 13*8, 0, SEL_TSSD, 0x85, 0
        mov     dword [t_resume], %$back
        mov     eax, 0x208
%$f:    mov     ds, ax                  ; #GP(208h) -> task D
%$back: clts
        mov     ecx, 13
        call    restore_gate
        PHEX16  " D: tr=", [t_b_tr]
        PHEX16  " err=", [t_b_err]
        PHEX32  " esp=", [t_b_esp]
        PHEX32  " fl=", [t_b_fl]
        PHEX16  " link=", [t_b_link]
        PHEX32  " A.eip=", [t_b_saved_eip]
        EXPECT_EQ [t_b_tr], SEL_TSSD
        EXPECT_EQ [t_b_err], 0x208
        EXPECT_EQ [t_b_esp], STACKD - 4
        EXPECT_EQ [t_b_fl], EFL_NT | 2
        EXPECT_EQ [t_b_link], SEL_TSS
        EXPECT_EQ [t_b_saved_eip], %$f
        ENDCHECK

; ------------------------------------------------------------ 16-bit TSS
        CHECK   "jmp-16bit-tss"
        mov     edi, TSSE
        mov     ecx, 44 / 4
        xor     eax, eax
        rep stosd
        mov     word [TSSE + 14], LO(taske)     ; IP
        mov     word [TSSE + 16], 2             ; FLAGS
        mov     word [TSSE + 18], 0x1234        ; AX
        mov     word [TSSE + 24], 0x5678        ; BX
        mov     word [TSSE + 26], SP_E          ; SP
        mov     word [TSSE + 34], SEL_DATA16    ; ES
        mov     word [TSSE + 36], SEL_CODE16    ; CS
        mov     word [TSSE + 38], SEL_STACK16   ; SS
        mov     word [TSSE + 40], SEL_DATA16    ; DS
        jmp     SEL_TSSE:0
%$back: clts
        mov     eax, SEL_TSSE
        call    desc_access
        mov     [t_a_acc_b], eax
        PHEX16  " E: tr=", [t_e_tr]
        PHEX16  " ax=", [t_e_ax]
        PHEX16  " bx=", [t_e_bx]
        PHEX16  " sp=", [t_e_sp]
        PHEX16  " cs=", [t_e_cs]
        PHEX16  " fl=", [t_e_fl]
        PHEX8   " acc E=", [t_e_acc]
        PHEX32  " A.eip=", [t_e_saved_eip]
        PHEX16  "; E.ip=", [TSSE + 14]
        PHEX16  " E.ax=", [TSSE + 18]
        PHEX16  " E.sp=", [TSSE + 26]
        PHEX16  " E.cs=", [TSSE + 36]
        PHEX8   " acc E=", [t_a_acc_b]
        EXPECT_EQ [t_e_tr], SEL_TSSE
        EXPECT_EQ [t_e_ax], 0x1234
        EXPECT_EQ [t_e_bx], 0x5678
        EXPECT_EQ [t_e_sp], SP_E
        EXPECT_EQ [t_e_cs], SEL_CODE16
        EXPECT_EQ [t_e_fl], 2
        EXPECT_EQ [t_e_acc], 0x83
        EXPECT_EQ [t_e_saved_eip], %$back
        movzx   eax, word [TSSE + 14]
        EXPECT_EQ eax, LO(taske.after)
        movzx   eax, word [TSSE + 18]
        EXPECT_EQ eax, 0x9ABC
        EXPECT_EQ [t_a_acc_b], 0x81
        ENDCHECK

; ------------------------------------------------------- JMP to busy TSS
        CHECK   "jmp-busy-tss"
        TRY
%$f:    jmp     SEL_TSS:0
        ENDTRY
        call    print_exc
        EXPECT_EXC 13, SEL_TSS, %$f
        ENDCHECK

        CHECK   "call-busy-tss-via-gate"
        mov     edi, TSSB
        mov     eax, taskb_call
        mov     ebx, STACKB
        call    tss32_init
        or      byte [GDT_BASE + SEL_TSSB + 5], 2     ; mark B busy
        TRY
%$f:    call    SEL_TGATEB:0
        ENDTRY
        and     byte [GDT_BASE + SEL_TSSB + 5], ~2
        call    print_exc
        EXPECT_EXC 13, SEL_TSSB, %$f
        ENDCHECK
        ret

; -------------------------------------------------------------- helpers

; tss32_init: EDI = TSS, EAX = EIP, EBX = ESP; flat ring-0 segments.
tss32_init:
        push    eax
        push    ecx
        push    edi
        mov     ecx, 0x68 / 4
        push    eax
        xor     eax, eax
        rep stosd
        pop     eax
        pop     edi
        mov     [edi + 0x20], eax               ; EIP
        mov     dword [edi + 0x24], 2           ; EFLAGS
        mov     [edi + 0x38], ebx               ; ESP
        mov     dword [edi + 0x48], SEL_DATA0   ; ES
        mov     dword [edi + 0x4C], SEL_CODE0   ; CS
        mov     dword [edi + 0x50], SEL_DATA0   ; SS
        mov     dword [edi + 0x54], SEL_DATA0   ; DS
        mov     dword [edi + 0x58], SEL_DATA0   ; FS
        mov     dword [edi + 0x5C], SEL_DATA0   ; GS
        mov     word [edi + 0x66], 0x68         ; no I/O bitmap
        pop     ecx
        pop     eax
        ret

; record_task: TR, EFLAGS, back link of the current TSS (base in EDI),
; the descriptor type bytes of A and of the TSS selector in ESI, and
; A's saved EIP.
record_task:
        pushfd
        pop     dword [t_b_fl]
        str     ax
        movzx   eax, ax
        mov     [t_b_tr], eax
        movzx   eax, word [edi]
        mov     [t_b_link], eax
        mov     eax, SEL_TSS
        call    desc_access
        mov     [t_b_acc_a], eax
        mov     eax, esi
        call    desc_access
        mov     [t_b_acc_b], eax
        mov     eax, [TSS_BASE + 0x20]
        mov     [t_b_saved_eip], eax
        ret

; ----------------------------------------------------------- the tasks

taskb_jmp:
        mov     [t_b_eax], eax
        mov     eax, cr0
        and     eax, 8
        mov     [t_b_ts], eax
        mov     edi, TSSB
        mov     esi, SEL_TSSB
        call    record_task
        sldt    ax
        movzx   eax, ax
        mov     [t_b_ldtr], eax
        mov     ax, SEL_LDTDATA
        mov     es, ax
        mov     eax, [es:0]
        mov     [t_b_ldtval], eax
        mov     eax, [TSS_BASE + 0x28]
        mov     [t_b_saved_eax], eax
        mov     eax, [TSS_BASE + 0x2C]
        mov     [t_b_saved_ecx], eax
        clts
        jmp     SEL_TSS:0
.after: jmp     $

taskb_call:
        mov     edi, TSSB
        mov     esi, SEL_TSSB
        call    record_task
        clts
        iretd
.after: jmp     $

taskc:
        mov     [t_b_esp], esp
        mov     edi, TSSC
        mov     esi, SEL_TSSC
        call    record_task
        clts
        iretd
.after: jmp     $

taskd:
        mov     [t_b_esp], esp
        mov     edi, TSSD
        mov     esi, SEL_TSSD
        call    record_task
        pop     eax                             ; the error code
        mov     [t_b_err], eax
        mov     eax, [t_resume]                 ; skip the faulting MOV
        mov     [TSS_BASE + 0x20], eax
        clts
        iretd
.after: jmp     $

; taske: a 16-bit task (CS = SEL_CODE16, DS = SEL_DATA16, both based at
; 1 MiB); it records what it sees and JMPs back to A with AX = 9ABCh.
bits 16
taske:
        mov     [LO(t_e_ax)], ax
        mov     [LO(t_e_bx)], bx
        mov     [LO(t_e_sp)], sp
        mov     [LO(t_e_cs)], cs
        pushf
        pop     word [LO(t_e_fl)]
        str     ax
        mov     [LO(t_e_tr)], ax
        mov     ax, SEL_DATA0                   ; flat, to read the GDT
        mov     es, ax
        mov     al, [es:dword GDT_BASE + SEL_TSSE + 5]
        mov     [LO(t_e_acc)], al
        mov     eax, [es:dword TSS_BASE + 0x20]
        mov     [LO(t_e_saved_eip)], eax
        mov     ax, 0x9ABC
        clts
        jmp     SEL_TSS:0
.after: jmp     .after
bits 32

align 4
t_resume:       dd 0
t_a_eax:        dd 0
t_a_tr:         dd 0
t_a_ldtr:       dd 0
t_a_ts:         dd 0
t_a_fl:         dd 0
t_a_acc_a:      dd 0
t_a_acc_b:      dd 0
t_b_eax:        dd 0
t_b_tr:         dd 0
t_b_ldtr:       dd 0
t_b_ldtval:     dd 0
t_b_fl:         dd 0
t_b_link:       dd 0
t_b_ts:         dd 0
t_b_esp:        dd 0
t_b_err:        dd 0
t_b_acc_a:      dd 0
t_b_acc_b:      dd 0
t_b_saved_eip:  dd 0
t_b_saved_eax:  dd 0
t_b_saved_ecx:  dd 0
t_e_ax:         dd 0
t_e_bx:         dd 0
t_e_sp:         dd 0
t_e_cs:         dd 0
t_e_fl:         dd 0
t_e_tr:         dd 0
t_e_acc:        dd 0
t_e_saved_eip:  dd 0
