/// A fuzz input read as a stream of values: each read takes the next bytes (little-endian), and
/// past the end every read gives zeros, so any input decodes to something.
struct FuzzBytes {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }
    var remaining: Int { max(0, bytes.count - position) }

    mutating func u8() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
    mutating func u64() -> UInt64 { UInt64(u32()) | UInt64(u32()) << 32 }
    mutating func bool() -> Bool { u8() & 1 == 1 }

    /// One of `choices`, by the next byte.
    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(u8()) % choices.count] }

    /// The next `count` bytes (fewer at the end).
    mutating func take(_ count: Int) -> [UInt8] {
        let n = min(count, remaining)
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    /// A string of up to `limit` bytes (its length from the next byte), as UTF-8 (invalid
    /// sequences repaired, as a command line or JSON would hold them).
    mutating func string(limit: Int = 255) -> String {
        let n = Int(u8()) % (limit + 1)
        return String(decoding: take(n), as: UTF8.self)
    }
}

/// Writes the values `FuzzBytes` reads, for building inputs (seed corpora, tests).
struct FuzzBytesWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { u8(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { u8(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { u8(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func append(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    /// A string as `FuzzBytes.string` reads it: a length byte, then at most 255 bytes.
    mutating func string(_ s: String) {
        let b = Array(s.utf8.prefix(255))
        u8(UInt8(b.count))
        append(b)
    }
}
