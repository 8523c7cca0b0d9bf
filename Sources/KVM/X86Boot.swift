// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import CKVM

/// The CPU mode a guest starts in.
public enum CPUMode: String, Sendable, CaseIterable {
    case real, protected, long
}

/// Puts vCPUs into a known starting state and writes the tables that state needs.
///
/// Guest-physical layout: GDT at 0x500 (0x08 flat 32-bit code, 0x10 flat data, 0x18 64-bit code);
/// long-mode page tables at 0x2000 (PML4), 0x3000 (PDPT), 0x4000.. (one page directory per GiB,
/// 2 MiB pages identity-mapping all RAM). Stacks: 64 KiB per vCPU down from the top of RAM
/// (protected, long); in real mode 4 KiB per vCPU down from 0x90000 (SS:SP below 1 MiB).
public enum X86Boot {
    public static let gdtAddress: UInt64 = 0x500
    public static let pml4Address: UInt64 = 0x2000
    public static let stackSize: UInt64 = 64 << 10
    public static let realModeStackTop: UInt64 = 0x90000
    public static let realModeStackSize: UInt64 = 0x1000
    static let code32: UInt16 = 0x08, data: UInt16 = 0x10, code64: UInt16 = 0x18

    /// Writes the GDT and, for long mode, the page tables.
    public static func writeTables(_ memory: GuestMemory, mode: CPUMode) throws {
        let gdt: [UInt64] = [0, 0x00CF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF, 0x00AF_9B00_0000_FFFF]
        for (i, entry) in gdt.enumerated() { try memory.write64(entry, at: gdtAddress + UInt64(i * 8)) }
        guard mode == .long else { return }
        let gib: UInt64 = 1 << 30
        let directories = (UInt64(memory.size) + gib - 1) / gib
        guard directories <= 4 else {
            throw MachineSetupError("long mode maps at most 4 GiB of RAM here; guest memory is \(memory.size >> 20) MiB")
        }
        let pdpt = pml4Address + 0x1000
        try memory.write64(pdpt | 0x3, at: pml4Address)
        for d in 0..<directories {
            let pd = pdpt + 0x1000 * (d + 1)
            try memory.write64(pd | 0x3, at: pdpt + d * 8)
            for e in 0..<UInt64(512) {
                try memory.write64((d * gib + e * (2 << 20)) | 0x83, at: pd + e * 8)  // present, writable, 2 MiB page
            }
        }
    }

    static func segment(base: UInt64, limit: UInt32, selector: UInt16, type: UInt8, db: UInt8, l: UInt8, g: UInt8) -> kvm_segment {
        var s = kvm_segment()
        s.base = base
        s.limit = limit
        s.selector = selector
        s.type = type
        s.present = 1
        s.dpl = 0
        s.db = db
        s.s = 1
        s.l = l
        s.g = g
        return s
    }

    /// Sets vCPU `index` of `count` to start at `entry` in `mode`, with DI/EDI/RDI = index and
    /// SI/ESI/RSI = count. In real mode the entry is CS:IP = (load >> 4):0.
    public static func start(_ vcpu: VCPU, index: UInt32, count: UInt32, mode: CPUMode, entry: UInt64, memorySize: UInt64) throws {
        var sregs = try vcpu.specialRegisters()
        var regs = kvm_regs()
        regs.rflags = 0x2
        regs.rdi = UInt64(index)
        regs.rsi = UInt64(count)
        switch mode {
        case .real:
            guard entry % 16 == 0, entry < 0x100000 else {
                throw MachineSetupError(
                    "real mode needs a load address below 1 MiB on a 16-byte boundary (got 0x\(String(entry, radix: 16)))")
            }
            let cs = UInt16(entry >> 4)
            for keyPath in [\kvm_sregs.cs, \kvm_sregs.ds, \kvm_sregs.es, \kvm_sregs.fs, \kvm_sregs.gs] {
                sregs[keyPath: keyPath].selector = cs
                sregs[keyPath: keyPath].base = UInt64(cs) << 4
            }
            let stackBase = realModeStackTop - UInt64(index + 1) * realModeStackSize
            sregs.ss.selector = UInt16(stackBase >> 4)
            sregs.ss.base = stackBase
            regs.rsp = realModeStackSize
            regs.rip = 0
        case .protected, .long:
            let stackTop = memorySize - UInt64(index) * stackSize
            guard stackTop > stackSize else { throw MachineSetupError("not enough RAM for \(count) vCPU stacks") }
            let dataSeg = segment(base: 0, limit: 0xffff_ffff, selector: data, type: 3, db: 1, l: 0, g: 1)
            sregs.ds = dataSeg
            sregs.es = dataSeg
            sregs.fs = dataSeg
            sregs.gs = dataSeg
            sregs.ss = dataSeg
            sregs.gdt.base = gdtAddress
            sregs.gdt.limit = 31
            if mode == .protected {
                sregs.cs = segment(base: 0, limit: 0xffff_ffff, selector: code32, type: 11, db: 1, l: 0, g: 1)
                sregs.cr0 |= 0x1
            } else {
                sregs.cs = segment(base: 0, limit: 0xffff_ffff, selector: code64, type: 11, db: 0, l: 1, g: 1)
                sregs.cr3 = pml4Address
                sregs.cr4 |= 0x20  // PAE
                sregs.efer |= 0x100 | 0x400  // LME, LMA
                sregs.cr0 |= 0x8000_0001  // PG, PE
            }
            regs.rsp = stackTop
            regs.rip = entry
        }
        try vcpu.setSpecialRegisters(sregs)
        try vcpu.setRegisters(regs)
    }
}

#endif
