; A guest that never halts (real mode): posts 0x42, then posts 0x43 every ~10 ms forever.
; For testing --timeout, SIGINT and SIGKILL.
bits 16
org 0
    cli
    mov al, 0x42
    out 0x80, al
.forever:
    mov ecx, 5000
.l: dec ecx
    jnz .l
    mov al, 0x43
    out 0x80, al
    jmp .forever
