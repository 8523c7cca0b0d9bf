/// Reads little-endian integers and byte runs from a buffer; every read returns
/// nil when the bytes run short, so no input can make it trap.
public struct ByteCursor {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var position: Int

    public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    public var remaining: Int { bytes.count - position }

    public mutating func readU8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func readU16() -> UInt16? { readLE(UInt16.self) }
    public mutating func readU32() -> UInt32? { readLE(UInt32.self) }
    public mutating func readU64() -> UInt64? { readLE(UInt64.self) }

    private mutating func readLE<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        // SAFETY: `remaining >= size` was checked, and loadUnaligned accepts any alignment.
        let value = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: value)
    }

    /// An unsigned LEB128 value of at most 10 bytes that fits in 64 bits.
    public mutating func readVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            guard let byte = readU8() else { return nil }
            let low = UInt64(byte & 0x7f)
            if shift == 63 && low > 1 { return nil }
            result |= low << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }

    /// The next `count` bytes, without copying.
    public mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        // SAFETY: the range [position, position+count) was checked to lie in `bytes`.
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
        position += count
        return slice
    }

    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        position += count
        return true
    }
}

/// Appends little-endian integers to a byte array.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { appendLE(v) }
    public mutating func u32(_ v: UInt32) { appendLE(v) }
    public mutating func u64(_ v: UInt64) { appendLE(v) }

    private mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        var le = v.littleEndian
        // SAFETY: the integer's bytes are valid for the closure; append copies them.
        withUnsafeBytes(of: &le) { bytes.append(contentsOf: $0) }
    }

    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func append<C: Collection>(contentsOf c: C) where C.Element == UInt8 {
        bytes.append(contentsOf: c)
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as used by zlib and PNG: the
/// checksum of a trace's header and index (docs/trace-format.md). Written here rather than
/// taken from a library: porttrace does not link zlib (libzstd is its only compression library,
/// and zstd checksums frames with XXH64, which it does not export), and a header and an index
/// are a few kilobytes, so a table-driven loop costs nothing measurable. Known answers are in
/// `CodecTests`.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ data: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
