; A static ELF executable (32- or 64-bit) for testing the ELF loader: prints through the
; firmware debug port and posts code 0x7e, then halts. Linked at 0x200000.
bits MODE
global _start
section .text
_start:
    cli
    mov al, 0x7e
    out 0x80, al
%if MODE == 64
    mov rsi, msg
    mov rcx, msg_len
%else
    mov esi, msg
    mov ecx, msg_len
%endif
    mov dx, 0x402
.l: lodsb
    out dx, al
    loop .l
    hlt
section .data
msg: db "hello from ELF", MODE / 10 + '0', MODE % 10 + '0', 10
msg_len equ $ - msg
