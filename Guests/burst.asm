; Trace-size benchmark guest (32-bit protected mode, loaded at 0x100000): 500,000 one-byte
; writes to the debug console, then HLT. Nearly all of its trace is the timestamp column: the
; gaps between exits are the host's jitter (Benchmarks/PorttraceBench "entropy").
bits 32
org 0x100000
    cli
    mov dx, 0xe9
    mov ecx, 500000
    mov al, '.'
.l: out dx, al
    dec ecx
    jnz .l
    hlt
