import SystemCalls

/// The 64-bit FNV-1a hash: the one used to digest IN-value sequences, to seed the bootstrap's
/// per-metric streams, and to key traces without a trace_id. Not for anything adversarial.
struct FNV1a {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x100_0000_01b3

    private(set) var value = offsetBasis

    init() {}

    /// Goes on from a hash already made.
    init(continuing value: UInt64) { self.value = value }

    @inline(__always)
    mutating func add(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* FNV1a.prime }

    @inline(__always)
    mutating func add<C: Sequence>(_ bytes: C) where C.Element == UInt8 { for b in bytes { add(b) } }

    /// Mixes in a whole number at once (a length before the bytes it counts).
    @inline(__always)
    mutating func add(word: UInt64) { value = (value ^ word) &* FNV1a.prime }

    static func hash<C: Sequence>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h = FNV1a()
        h.add(bytes)
        return h.value
    }
}

/// Digests of whole files.
enum FileDigest {
    /// FNV-1a of a file's bytes, read in 1 MiB pieces.
    static func fnv1a64(path: String) throws -> UInt64 {
        let file = try OwnedFile.openForReading(path)
        var h = FNV1a()
        var offset: UInt64 = 0
        while true {
            let piece = try file.read(at: offset, count: 1 << 20)
            h.add(piece)
            offset += UInt64(piece.count)
            if piece.count < 1 << 20 { return h.value }
        }
    }
}
