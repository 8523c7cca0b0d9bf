/// Console bytes as a person reads them: terminal control sequences and control characters
/// taken out, one byte at a time as they are printed, so a line knows when its first printable
/// byte came. SeaBIOS clears the screen with `ESC c ESC[?7l ESC[2J` before its banner; a line
/// opened by those bytes seconds before the kernel prints `Linux version` on it is timed by the
/// `L`, and reads `Linux version`, not `c[?7l[2J...`.
///
/// What is taken out (ECMA-48 and what terminals accept):
/// - CSI: `ESC [` or the C1 byte `0x9B` (UTF-8 `C2 9B`), parameter and intermediate bytes, then a
///   final byte 0x40-0x7E;
/// - OSC, DCS, SOS, PM, APC: `ESC ]`, `ESC P`, `ESC X`, `ESC ^`, `ESC _` (or their C1 bytes), up
///   to BEL or ST (`ESC \` or C1 `0x9C`);
/// - any other escape: `ESC`, intermediate bytes 0x20-0x2F, then one final byte (`ESC c`, `ESC 7`,
///   `ESC ( B`);
/// - control characters: C0 (but tab, which reads as a space, and line feed, which ends lines
///   elsewhere), DEL and the other C1 controls.
public struct ControlSequenceFilter: Sendable {
    enum State: Sendable {
        case text
        /// After ESC.
        case escape
        /// After ESC and intermediate bytes.
        case escapeIntermediate
        /// Inside CSI.
        case csi
        /// Inside a string (OSC and the like), up to BEL or ST.
        case string
        /// ESC inside a string: `\` ends it.
        case stringEscape
        /// C2 inside a string: `9C` (C1 ST) ends it.
        case stringC2
        /// A C2 byte: the next decides whether it opens a C1 control.
        case c2
    }

    var state = State.text

    public init() {}

    /// Feeds one byte; returns the bytes that are text (none, the byte, or a held-back C2 and the byte).
    @inline(__always)
    public mutating func feed(_ b: UInt8, into out: inout [UInt8]) {
        switch state {
        case .text: text(b, into: &out)
        case .escape:
            switch b {
            case 0x5b: state = .csi  // [
            case 0x5d, 0x50, 0x58, 0x5e, 0x5f: state = .string  // ] P X ^ _
            case 0x20...0x2f: state = .escapeIntermediate
            case 0x1b: state = .escape
            default: state = .text  // ESC c, ESC 7, ...: the final byte ends it
            }
        case .escapeIntermediate:
            if !(0x20...0x2f).contains(b) { state = b == 0x1b ? .escape : .text }
        case .csi:
            if (0x40...0x7e).contains(b) {
                state = .text
            } else if b == 0x1b {
                state = .escape
            } else if !(0x20...0x3f).contains(b) {
                // Not a CSI byte: the sequence is broken; take the byte as text again.
                state = .text
                text(b, into: &out)
            }
        case .string:
            if b == 0x07 {
                state = .text
            } else if b == 0x1b {
                state = .stringEscape
            } else if b == 0xc2 {
                state = .stringC2
            }
        case .stringEscape:
            state = b == 0x5c ? .text : .string
        case .stringC2:
            // C1 ST (C2 9C) ends a string too; other bytes stay inside.
            state = b == 0x9c ? .text : .string
        case .c2:
            state = .text
            switch b {
            case 0x9b: state = .csi
            case 0x9d, 0x90, 0x98, 0x9e, 0x9f: state = .string
            case 0x80...0x9f: break  // another C1 control: dropped
            default:
                out.append(0xc2)
                text(b, into: &out)
            }
        }
    }

    @inline(__always)
    private mutating func text(_ b: UInt8, into out: inout [UInt8]) {
        switch b {
        case 0x1b: state = .escape
        case 0xc2: state = .c2
        case 0x09: out.append(0x20)
        case 0x00..<0x20, 0x7f: break
        default: out.append(b)
        }
    }

    /// The text of `bytes`, control sequences and characters removed (a whole line at once).
    public static func strip<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var filter = ControlSequenceFilter()
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for b in bytes { filter.feed(b, into: &out) }
        if case .c2 = filter.state { out.append(0xc2) }
        return out
    }

    /// `strip` of a string's UTF-8.
    public static func strip(_ s: String) -> String { String(decoding: strip(s.utf8), as: UTF8.self) }
}
