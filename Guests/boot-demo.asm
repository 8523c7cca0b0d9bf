; Boot-stage demo for `porttrace run` (real mode, flat binary loaded at 0x10000).
; Walks Firmware -> Bootloader -> Kernel -> Userspace POST codes on port 0x80 with
; pauses between them, and writes to the firmware debug port (0x402), the serial
; port (0x3f8) and the debug console (0xe9).
; Built with -DVARIANT (boot-demo-variant.bin) it boots differently on purpose, for
; `porttrace diff`: bootloader code 0x21 instead of 0x20, and a kernel phase with an
; extra code 0x41 that takes three times as long.
bits 16
org 0

start:
    cli
    mov al, 0x00                ; Firmware
    out 0x80, al
    mov si, fw_msg
    mov cx, fw_len
    call fwdebug_write
    mov dx, 0x402               ; read the firmware debug port: 0xe9 means present
    in al, dx
    cmp al, 0xe9
    jne .no_fw
    mov al, 0x01
    out 0x80, al
.no_fw:
    call pause

%ifdef VARIANT
    mov al, 0x21                ; Bootloader (variant)
%else
    mov al, 0x20                ; Bootloader
%endif
    out 0x80, al
    call serial_init
    mov si, boot_msg
    mov cx, boot_len
    call serial_write
    call pause

    mov al, 0x40                ; Kernel
    out 0x80, al
    mov dx, 0xe9
    mov si, kernel_msg          ; one string-I/O exit
    mov cx, kernel_len
    cld
    rep outsb
    call pause
%ifdef VARIANT
    mov al, 0x41                ; a second kernel step, and a slower kernel
    out 0x80, al
    call pause
    call pause
%endif

    mov al, 0x60                ; Userspace
    out 0x80, al
    mov si, user_msg
    mov cx, user_len
    mov dx, 0xe9
.user:
    lodsb
    out dx, al
    loop .user
    mov al, 0x61
    out 0x80, al
    hlt

; Writes CX bytes from DS:SI to 0x402, one byte per exit.
fwdebug_write:
    mov dx, 0x402
.l: lodsb
    out dx, al
    loop .l
    ret

serial_init:
    mov dx, 0x3fb
    mov al, 0x83                ; DLAB on, 8N1
    out dx, al
    mov dx, 0x3f8
    mov al, 0x01                ; divisor 1 (115200 baud)
    out dx, al
    mov dx, 0x3f9
    xor al, al
    out dx, al
    mov dx, 0x3fb
    mov al, 0x03                ; DLAB off
    out dx, al
    ret

; Writes CX bytes from DS:SI to the UART, waiting for LSR.THRE before each.
serial_write:
.next:
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, 0x3f8
    lodsb
    out dx, al
    loop .next
    ret

; About 50 ms of guest time here (instructions cost ~1 us under nested KVM).
pause:
    mov ecx, 20000
.l: dec ecx
    jnz .l
    ret

fw_msg:     db "firmware: POST ok", 10
fw_len      equ $ - fw_msg
boot_msg:   db "bootloader: loading kernel", 13, 10
boot_len    equ $ - boot_msg
kernel_msg: db "kernel: booting", 10
kernel_len  equ $ - kernel_msg
user_msg:   db "userspace: ready", 10
user_len    equ $ - user_msg
