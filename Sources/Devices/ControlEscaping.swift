/// Guest text made safe for a terminal, the one rule every command follows (`replay` on a
/// terminal, `diff` and `timeline` text): control bytes below 0x20 except tab, newline and
/// carriage return, DEL, and the C1 controls (UTF-8 C2 80 .. C2 9F) become `\xNN`, so an escape
/// or OSC sequence in guest output is shown, never obeyed. Everything else passes unchanged.
public struct ControlEscaper: Sendable {
    /// A C2 byte held back until the next byte says whether it starts a C1 control.
    private var pendingC2 = false

    public init() {}

    /// Appends `b` to `out`, escaped where it must be.
    @inline(__always)
    public mutating func append(_ b: UInt8, to out: inout [UInt8]) {
        if pendingC2 {
            pendingC2 = false
            if (0x80...0x9f).contains(b) {
                ControlEscaper.escape(0xc2, to: &out)
                ControlEscaper.escape(b, to: &out)
                return
            }
            out.append(0xc2)
        }
        switch b {
        case 0x09, 0x0a, 0x0d: out.append(b)
        case 0x00..<0x20, 0x7f: ControlEscaper.escape(b, to: &out)
        case 0xc2: pendingC2 = true
        default: out.append(b)
        }
    }

    /// Writes a C2 held back at the end of the text.
    public mutating func finish(_ out: inout [UInt8]) {
        if pendingC2 {
            out.append(0xc2)
            pendingC2 = false
        }
    }

    static func escape(_ b: UInt8, to out: inout [UInt8]) {
        func digit(_ d: UInt8) -> UInt8 { d < 10 ? 0x30 + d : 0x57 + d }
        out.append(0x5c)
        out.append(0x78)
        out.append(digit(b >> 4))
        out.append(digit(b & 0xf))
    }

    /// `bytes` escaped.
    public static func escaped<S: Sequence<UInt8>>(_ bytes: S) -> [UInt8] {
        var e = ControlEscaper()
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount)
        for b in bytes { e.append(b, to: &out) }
        e.finish(&out)
        return out
    }

    /// A text escaped (its UTF-8 bytes; a text without control characters comes back as it was).
    public static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f || $0 == 0xc2 }) else { return text }
        return String(decoding: escaped(text.utf8), as: UTF8.self)
    }
}
