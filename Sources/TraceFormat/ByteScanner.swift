/// A cursor over one line's bytes for the text importers (JSON lines, cloud-hypervisor logs,
/// perf script): no strings are made for the fields it reads, only for the text a caller keeps.
public struct ByteScanner {
    public let bytes: UnsafeBufferPointer<UInt8>
    public var at: Int

    public init(_ bytes: UnsafeBufferPointer<UInt8>, at: Int = 0) {
        self.bytes = bytes
        self.at = at
    }

    public var atEnd: Bool { at >= bytes.count }

    /// `bytes[range]` as a buffer of its own, the range checked in every build (slicing an
    /// UnsafeBufferPointer checks its bounds in debug builds only).
    public static func slice(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "a slice outside its buffer")
        // SAFETY: the range was checked to lie inside `bytes` just above.
        return UnsafeBufferPointer(rebasing: bytes[range])
    }

    /// The text of `bytes[range]` (invalid UTF-8 as U+FFFD), the range checked in every build.
    public static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: slice(bytes, range), as: UTF8.self)
    }

    public mutating func skipSpaces() {
        while at < bytes.count && bytes[at] == 0x20 { at += 1 }
    }

    /// Consumes `literal` if the bytes continue with it.
    public mutating func take(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard at + n <= bytes.count else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[at + k] != p[k] { return false }
        at += n
        return true
    }

    /// A JSON number that is a non-negative integer (no sign, no leading zero, no fraction).
    public mutating func jsonInteger() -> UInt64? {
        let start = at
        guard let v = decimal() else { return nil }
        if at - start > 1 && bytes[start] == 0x30 { return nil }
        return v
    }

    /// A decimal number of at most 19 digits.
    public mutating func decimal() -> UInt64? {
        var v: UInt64 = 0
        let start = at
        while at < bytes.count, at - start < 19, case let d = bytes[at] &- 0x30, d < 10 {
            v = v * 10 + UInt64(d)
            at += 1
        }
        return at > start ? v : nil
    }

    /// A hexadecimal number of at most 16 digits (lower or upper case).
    public mutating func hex() -> UInt64? {
        var v: UInt64 = 0
        let start = at
        while at < bytes.count, at - start < 16 {
            let c = bytes[at]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x61...0x66: d = c - 0x61 + 10
            case 0x41...0x46: d = c - 0x41 + 10
            default: return at > start ? v : nil
            }
            v = v << 4 | UInt64(d)
            at += 1
        }
        return at > start ? v : nil
    }

    /// Where `needle` first occurs at or after `from`, if it does.
    public static func find(_ needle: [UInt8], in b: UnsafeBufferPointer<UInt8>, from: Int = 0) -> Int? {
        guard let first = needle.first, b.count >= needle.count else { return nil }
        var i = from
        let last = b.count - needle.count
        while i <= last {
            if b[i] == first {
                var j = 1
                while j < needle.count && b[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
