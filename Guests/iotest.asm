; Test guest assembled for each CPU mode (MODE = 16, 32 or 64). vCPU 0 exercises every
; kind of access; every vCPU writes POST code 0x60 + index and one line "vcpu N" in one exit.
;   0x80 <- 0x10 | 1/2/3 (mode)          0xe9 <- 'A' (1 byte), "BC" (2 bytes), "DEF", 10 (4 bytes)
;   0xe9 <- "string io", 10 (rep outsb)  0x402 <- 'Y' if a read of 0x402 gave 0xe9, else 'N'
;   0x3f8 <- 'S' if LSR reads 0x60, else 's'; then "ok", 13, 10
bits MODE
%if MODE == 16
org 0
%define AX_ ax
%define CX_ cx
%define SI_ si
%define DI_ di
%elif MODE == 32
org 0x100000
%define AX_ eax
%define CX_ ecx
%define SI_ esi
%define DI_ edi
%else
org 0x100000
%define AX_ rax
%define CX_ rcx
%define SI_ rsi
%define DI_ rdi
%endif

start:
    cli
    cld
    mov AX_, DI_
    add al, 0x60
    out 0x80, al
    test DI_, DI_
    jnz line

    mov al, 0x10 + MODE / 16 - (MODE == 64)
    out 0x80, al
    mov dx, 0xe9
    mov al, 'A'
    out dx, al
    mov ax, 'BC'
    out dx, ax
    mov eax, 'DEF' | (10 << 24)
    out dx, eax
    mov SI_, str_io
    mov CX_, str_len
    rep outsb
    mov dx, 0x402
    in al, dx
    cmp al, 0xe9
    mov al, 'Y'
    je .fw
    mov al, 'N'
.fw:
    out dx, al
    mov dx, 0x3fd
    in al, dx
    cmp al, 0x60
    mov al, 'S'
    je .lsr
    mov al, 's'
.lsr:
    mov dx, 0x3f8
    out dx, al
    mov al, 'o'
    out dx, al
    mov al, 'k'
    out dx, al
    mov al, 13
    out dx, al
    mov al, 10
    out dx, al

line:
    ; "vcpu N", 10 built in this vCPU's 16-byte slot of `lines`.
    mov AX_, DI_
    shl AX_, 4
    add AX_, lines
    mov SI_, AX_
    mov byte [SI_], 'v'
    mov byte [SI_ + 1], 'c'
    mov byte [SI_ + 2], 'p'
    mov byte [SI_ + 3], 'u'
    mov byte [SI_ + 4], ' '
    mov AX_, DI_
    add al, '0'
    mov [SI_ + 5], al
    mov byte [SI_ + 6], 10
    mov CX_, 7
    mov dx, 0xe9
    rep outsb
    hlt

str_io:  db "string io", 10
str_len  equ $ - str_io
align 16
lines:   times 16 * 8 db 0
