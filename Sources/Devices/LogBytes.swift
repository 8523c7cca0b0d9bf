/// Text appended as UTF-8 bytes, without building a `String` per piece: how log lines are
/// rendered (and compared) record by record.
extension Array where Element == UInt8 {
    /// Appends an ASCII literal.
    @inline(__always)
    public mutating func appendASCII(_ s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends a string's UTF-8 bytes.
    @inline(__always)
    public mutating func append(utf8 s: String) {
        append(contentsOf: s.utf8)
    }

    /// Appends `v` in decimal, zero-padded to at least `width` digits.
    public mutating func appendDecimal(_ v: UInt64, width: Int = 0) {
        var digits = 1
        while digits < 20 && v >= LogBytes.powersOf10[digits] { digits += 1 }
        if width > digits { append(contentsOf: repeatElement(0x30, count: width - digits)) }
        for p in LogBytes.powersOf10[0..<digits].reversed() { append(UInt8(truncatingIfNeeded: 0x30 &+ v / p % 10)) }
    }

    /// Appends a signed integer in decimal.
    public mutating func appendSignedDecimal(_ v: Int) {
        if v < 0 { append(0x2d) }
        appendDecimal(UInt64(v.magnitude))
    }

    /// Appends `v` in lowercase hexadecimal, without leading zeros.
    public mutating func appendHex(_ v: UInt64) {
        var shift: UInt64 = 60
        while shift > 0 && (v >> shift) & 0xf == 0 { shift -= 4 }
        while true {
            let d = UInt8(truncatingIfNeeded: (v >> shift) & 0xf)
            append(d < 10 ? 0x30 + d : 0x57 + d)
            if shift == 0 { break }
            shift -= 4
        }
    }
}

enum LogBytes {
    /// 10^0 ... 10^19.
    static let powersOf10: [UInt64] = (0..<20).map { n in (0..<n).reduce(UInt64(1)) { p, _ in p * 10 } }
}
