; Exit-rate benchmark guest (real mode, loaded at 0x10000): 100,000 one-byte writes to the
; debug console, then HLT. The same binary runs under `porttrace run` and the bare C loop.
bits 16
org 0
    cli
    mov dx, 0xe9
    mov ecx, 100000
    mov al, '.'
.l: out dx, al
    dec ecx
    jnz .l
    hlt
