; triple - triple-fault on purpose. A Multiboot kernel (a.out-kludge
; header, loaded at 1 MiB in flat 32-bit protected mode); the first
; letter of the command line picks the first fault:
;
;   u  UD2                                               #UD
;   g  load DS with selector 1230h, beyond the GDT limit  #GP(1230h)
;   d  DIV by zero                                       #DE
;   p  write to an unmapped page with paging on          #PF
;
; For u, g and d the IDT is empty (limit 0), so delivering the fault
; faults (#GP, the vector is beyond the limit), delivering that faults
; again (a double fault), and delivering the double fault faults: the
; processor shuts down (Intel SDM vol. 3, 6.15, interrupt 8). For p the
; IDT lies on an unmapped page: #PF while delivering #PF is a double
; fault, and #PF while delivering it a shutdown.
;
; Before faulting the guest prints "site SSSS:XXXXXXXX" on port 0E9h:
; the CS:EIP of the instruction that faults first. With anything else on
; the command line it prints "no scenario" and exits with status 35.

        bits    32
        org     0x100000

mb_header:
        dd      0x1BADB002
        dd      0x00010000
        dd      -(0x1BADB002 + 0x00010000)
        dd      mb_header
        dd      0x100000
        dd      0
        dd      0
        dd      _start

PAGE_DIR equ 0x200000

_start:
        mov     esp, 0x90000
        mov     esi, [ebx+16]           ; multiboot info: cmdline
        mov     al, [esi]
        cmp     al, 'u'
        je      do_ud
        cmp     al, 'g'
        je      do_gp
        cmp     al, 'd'
        je      do_de
        cmp     al, 'p'
        je      do_pf
        mov     esi, msg_none
        call    puts
        mov     al, 0x11
        out     0xF4, al
        hlt

do_ud:
        mov     eax, site_ud
        call    print_site
        lidt    [null_idtr]
site_ud:
        ud2

do_gp:
        mov     eax, site_gp
        call    print_site
        lidt    [null_idtr]
        mov     ax, 0x1230
site_gp:
        mov     ds, ax

do_de:
        mov     eax, site_de
        call    print_site
        lidt    [null_idtr]
        xor     ecx, ecx
        xor     edx, edx
        mov     eax, 1
site_de:
        div     ecx

do_pf:
        mov     eax, site_pf
        call    print_site
        mov     edi, PAGE_DIR           ; one 4 MiB page: 0-4 MiB
        mov     ecx, 1024
        xor     eax, eax
        rep     stosd
        mov     dword [PAGE_DIR], 0x00000083
        mov     eax, cr4
        or      eax, 0x10               ; PSE
        mov     cr4, eax
        mov     eax, PAGE_DIR
        mov     cr3, eax
        lidt    [unmapped_idtr]
        mov     eax, cr0
        or      eax, 0x80000000
        mov     cr0, eax
site_pf:
        mov     dword [0x00400000], 1

; print_site: "site 0008:XXXXXXXX" with EAX as the offset.
print_site:
        push    eax
        mov     esi, msg_site
        call    puts
        mov     ax, cs
        call    hex16
        mov     al, ':'
        out     0xE9, al
        pop     eax
        push    eax
        shr     eax, 16
        call    hex16
        pop     eax
        call    hex16
        mov     al, 10
        out     0xE9, al
        ret

hex16:
        push    ecx
        mov     ecx, 4
.d:     rol     ax, 4
        push    eax
        and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .p
        add     al, 'A'-'0'-10
.p:     out     0xE9, al
        pop     eax
        loop    .d
        pop     ecx
        ret

puts:
        lodsb
        test    al, al
        jz      .done
        out     0xE9, al
        jmp     puts
.done:  ret

msg_site:       db "site ", 0
msg_none:       db "no scenario", 10, 0

        align   8
null_idtr:      dw 0
                dd 0
        align   8
unmapped_idtr:  dw 0x7FF
                dd 0x00800000
