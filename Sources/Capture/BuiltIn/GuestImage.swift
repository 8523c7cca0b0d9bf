// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Foundation
import KVM

/// A guest program: a flat binary, or a static ELF executable whose program headers are loaded.
public struct GuestImage: Sendable {
    public enum Kind: String, Sendable { case flat, elf32, elf64 }

    public struct Segment: Sendable {
        public var address: UInt64
        public var bytes: [UInt8]
        public var memorySize: UInt64
    }

    public let name: String
    public let kind: Kind
    public let sha256: String
    public let segments: [Segment]
    /// The ELF entry point; nil for flat images.
    public let elfEntry: UInt64?

    /// Reads `path`. Flat images are loaded at `load`; ELF images where their headers say.
    public init(path: String, load: UInt64) throws {
        self = try CaptureError.wrapping { try GuestImage(reading: path, load: load) }
    }

    private init(reading path: String, load: UInt64) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw MachineSetupError("\(path): \(exists ? (isDir.boolValue ? "is a directory" : "cannot be read") : "no such file")")
        }
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else { throw MachineSetupError("\(path): empty guest image") }
        name = (path as NSString).lastPathComponent
        sha256 = SHA256.hex(bytes)
        if bytes.count >= 4, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46 {
            let elf = try ELF(bytes, name: path)
            kind = elf.is64 ? .elf64 : .elf32
            segments = elf.segments
            elfEntry = elf.entry
        } else {
            kind = .flat
            segments = [Segment(address: load, bytes: bytes, memorySize: UInt64(bytes.count))]
            elfEntry = nil
        }
    }

    /// The mode an image runs in unless the user says: ELF from its class, flat images real mode.
    public var defaultMode: GuestMode {
        switch kind {
        case .flat: return .real
        case .elf32: return .protected
        case .elf64: return .long
        }
    }

    /// Copies every segment into guest RAM (zero-filling past the file bytes).
    func load(into memory: GuestMemory) throws {
        for s in segments {
            try memory.write(s.bytes, at: s.address)
            if s.memorySize > UInt64(s.bytes.count) {
                try memory.write([UInt8](repeating: 0, count: Int(s.memorySize) - s.bytes.count), at: s.address + UInt64(s.bytes.count))
            }
        }
    }
}

/// Just enough ELF to load a static executable: the header and PT_LOAD program headers.
struct ELF {
    let is64: Bool
    let entry: UInt64
    let segments: [GuestImage.Segment]

    init(_ b: [UInt8], name: String) throws {
        func fail(_ why: String) -> MachineSetupError { MachineSetupError("\(name): not a loadable ELF executable (\(why))") }
        func u16(_ o: Int) throws -> UInt64 {
            guard o + 2 <= b.count else { throw fail("cut short") }
            return UInt64(b[o]) | UInt64(b[o + 1]) << 8
        }
        func u32(_ o: Int) throws -> UInt64 {
            let lo = try u16(o)
            let hi = try u16(o + 2)
            return lo | hi << 16
        }
        func u64(_ o: Int) throws -> UInt64 {
            let lo = try u32(o)
            let hi = try u32(o + 4)
            return lo | hi << 32
        }
        guard b.count >= 52 else { throw fail("shorter than an ELF header") }
        guard b[4] == 1 || b[4] == 2 else { throw fail("unknown class \(b[4])") }
        guard b[5] == 1 else { throw fail("not little-endian") }
        is64 = b[4] == 2
        let machine = try u16(18)
        guard machine == (is64 ? 62 : 3) else { throw fail("machine \(machine) is not x86") }
        guard try u16(16) == 2 else { throw fail("not an executable (ET_EXEC)") }
        entry = is64 ? try u64(24) : try u32(24)
        // Every field is untrusted: the table must lie inside the file before it sizes a loop.
        let phoffField = is64 ? try u64(32) : try u32(28)
        let phentsize = Int(try u16(is64 ? 54 : 42))
        let phnum = Int(try u16(is64 ? 56 : 44))
        guard phnum <= 256, phentsize >= (is64 ? 56 : 32) else { throw fail("bad program header table") }
        guard phoffField <= UInt64(b.count), UInt64(phnum * phentsize) <= UInt64(b.count) - phoffField else {
            throw fail("program header table at \(phoffField) lies outside the file")
        }
        let phoff = Int(phoffField)
        var segs: [GuestImage.Segment] = []
        for i in 0..<phnum {
            let p = phoff + i * phentsize
            guard try u32(p) == 1 else { continue }  // PT_LOAD
            let offset: UInt64
            let paddr: UInt64
            let filesz: UInt64
            let memsz: UInt64
            if is64 {
                offset = try u64(p + 8)
                paddr = try u64(p + 24)
                filesz = try u64(p + 32)
                memsz = try u64(p + 40)
            } else {
                offset = try u32(p + 4)
                paddr = try u32(p + 12)
                filesz = try u32(p + 16)
                memsz = try u32(p + 20)
            }
            guard offset <= UInt64(b.count), filesz <= UInt64(b.count) - offset, memsz >= filesz, memsz < 1 << 32, paddr < 1 << 48 else {
                throw fail("segment \(i) lies outside the file")
            }
            segs.append(.init(address: paddr, bytes: Array(b[Int(offset)..<Int(offset + filesz)]), memorySize: memsz))
        }
        guard !segs.isEmpty else { throw fail("no PT_LOAD segments") }
        segments = segs
    }
}

#endif
