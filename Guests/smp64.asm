; Multi-vCPU 64-bit guest (long mode, flat binary loaded at 0x100000, run with --mode long).
; Each vCPU (RDI = index, RSI = count) writes POST code 0x60 + index to 0x80 and one line
; "vcpu N of M" to the debug console in a single string-I/O exit, then halts.
bits 64
org 0x100000

start:
    cli
    mov rax, rdi
    add al, 0x60
    out 0x80, al
    ; Build the line on this vCPU's own stack.
    sub rsp, 32
    mov rbx, rsp
    mov dword [rbx], 'vcpu'
    mov byte [rbx + 4], ' '
    mov rax, rdi
    add al, '0'
    mov [rbx + 5], al
    mov dword [rbx + 6], ' of '
    mov rax, rsi
    add al, '0'
    mov [rbx + 10], al
    mov byte [rbx + 11], 10
    mov rsi, rbx
    mov rcx, 12
    mov dx, 0xe9
    cld
    rep outsb
    hlt
