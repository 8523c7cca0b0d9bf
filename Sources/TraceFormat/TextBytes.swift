/// Text appended as UTF-8 bytes, without building a `String` per piece: the one home of the
/// decimal, hexadecimal and signed-seconds writers that dump, export, the log renderer and the
/// reports use (`LineBuffer` holds the digit loops; these make room for it at the end of an array).
extension Array where Element == UInt8 {
    /// Appends an ASCII literal.
    @inline(__always)
    package mutating func appendASCII(_ s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends a string's UTF-8 bytes.
    @inline(__always)
    package mutating func append(utf8 s: String) {
        append(contentsOf: s.utf8)
    }

    /// Writes at most `room` bytes at the end with `body`, in room made without copying what is there.
    @inline(__always)
    mutating func appendWriting(room: Int, _ body: (inout LineBuffer) -> Void) {
        let start = count
        append(contentsOf: repeatElement(0, count: room))
        // SAFETY: `room` bytes from `start` were just appended; LineBuffer checks every write against `room`.
        let written = withUnsafeMutableBufferPointer { buffer -> Int in
            var w = LineBuffer(buffer.baseAddress! + start, capacity: room)
            body(&w)
            return w.written
        }
        removeLast(room - written)
    }

    /// Appends `v` in decimal, zero-padded to at least `width` digits.
    package mutating func appendDecimal(_ v: UInt64, width: Int = 1) {
        appendWriting(room: Swift.max(20, width)) { $0.decimal(v, width: width) }
    }

    /// Appends a signed integer in decimal.
    package mutating func appendSignedDecimal(_ v: Int) {
        appendWriting(room: 21) { $0.signedDecimal(Int64(v)) }
    }

    /// Appends `v` in lower-case hexadecimal, zero-padded to at least `width` digits.
    package mutating func appendHex(_ v: UInt64, width: Int = 1) {
        var n = 1
        while n < 16 && v >> UInt64(4 * n) != 0 { n += 1 }
        let digits = Swift.max(n, width)
        for k in stride(from: digits - 1, through: 0, by: -1) {
            let d = UInt8(truncatingIfNeeded: k < 16 ? (v >> UInt64(4 * k)) & 0xf : 0)
            append(d < 10 ? 0x30 &+ d : 0x57 &+ d)
        }
    }

    /// Appends two lower-case hex digits per byte.
    package mutating func appendHex(bytes: UnsafeRawBufferPointer) {
        appendWriting(room: 2 * bytes.count) { $0.hex(bytes) }
    }

    /// `+1.500000000`: signed seconds with 9 decimals (the text dump's time).
    package mutating func appendSignedSeconds(_ ns: Int64) {
        append(ns < 0 ? 0x2d : 0x2b)
        let m = ns.magnitude
        appendDecimal(m / 1_000_000_000)
        append(0x2e)
        appendDecimal(m % 1_000_000_000, width: 9)
    }
}

/// The same writers for a `String`.
package enum TextBytes {
    /// Lower-case hex of bytes: `00ff`.
    package static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(2 * bytes.count)
        for b in bytes { out.appendHex(UInt64(b), width: 2) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `+1.500000000`.
    package static func signedSeconds(_ ns: Int64) -> String {
        var out: [UInt8] = []
        out.appendSignedSeconds(ns)
        return String(decoding: out, as: UTF8.self)
    }
}
