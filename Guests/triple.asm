; A guest that triple-faults (protected mode, flat binary at 0x100000, run with --mode protected):
; posts 0x05, loads an empty IDT and executes UD2, so #UD, #DF and the triple fault follow.
bits 32
org 0x100000
    cli
    mov al, 0x05
    out 0x80, al
    lidt [empty_idt]
    ud2
    hlt
empty_idt:
    dw 0
    dd 0
