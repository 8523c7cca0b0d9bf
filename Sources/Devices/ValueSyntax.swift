/// The text forms of the values the command line takes (ports, POST-code ranges, sizes,
/// addresses), parsed here, outside the executable, so that the tests and the fuzz targets
/// reach the same code. Each returns nil for anything it does not accept exactly.
public enum ValueSyntax {
    /// An integer in decimal or with a `0x` prefix, hexadecimal (any case).
    static func integer<T: FixedWidthInteger>(_ text: Substring) -> T? {
        let t = text.lowercased()
        return t.hasPrefix("0x") ? T(t.dropFirst(2), radix: 16) : T(t)
    }

    /// A value written in hex with a `0x` prefix, where a bare number means something else (a
    /// mark's name) or is refused (cloud-hypervisor's `iobase=`, whose check wants the prefix in
    /// lower case: `lowercasePrefixOnly`). The digits are read as Swift and Rust read them.
    public static func hex<T: FixedWidthInteger>(_ text: Substring, lowercasePrefixOnly: Bool = false) -> T? {
        guard text.hasPrefix("0x") || (!lowercasePrefixOnly && text.hasPrefix("0X")) else { return nil }
        return T(text.dropFirst(2), radix: 16)
    }

    /// A percentage (`5%`, `2.5%`, 0 to 1,000,000) as a fraction (0.05, 0.025): `diff
    /// --tolerance`'s and `stats --threshold`'s.
    public static func percent(_ text: Substring) -> Double? {
        guard text.hasSuffix("%"), let v = Double(text.dropLast()), v.isFinite, v >= 0, v <= 1e6 else { return nil }
        return v / 100
    }

    /// A port in decimal or 0x-hex (`0xe9`, `233`), as QEMU's `iobase=` takes it.
    public static func port(_ text: String) -> UInt16? { integer(Substring(text)) }

    /// One value (`0x80`, `128`) or an ascending range of them (`0x3f8-0x3ff`).
    static func range<T: FixedWidthInteger>(_ text: Substring) -> ClosedRange<T>? {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        if ends.count == 1, let v: T = integer(ends[0]) { return v...v }
        if ends.count == 2, let a: T = integer(ends[0]), let b: T = integer(ends[1]), a <= b { return a...b }
        return nil
    }

    /// A port (`0x80`, `128`) or a range (`0x3f8-0x3ff`).
    public static func portRange(_ text: Substring) -> ClosedRange<UInt16>? { range(text) }

    /// A comma list of ports and port ranges (`0x80,0x3f8-0x3ff`).
    public static func portList(_ text: String) -> [ClosedRange<UInt16>]? {
        var ranges: [ClosedRange<UInt16>] = []
        for item in text.split(separator: ",") {
            guard let range = portRange(item) else { return nil }
            ranges.append(range)
        }
        return ranges.isEmpty ? nil : ranges
    }

    /// A comma list of POST codes and code ranges (`0x00-0x1f,0x40`).
    public static func codeRanges(_ text: String) -> [ClosedRange<UInt8>]? {
        var ranges: [ClosedRange<UInt8>] = []
        // Unlike port lists, an empty item (`0x10,,0x20`) is refused.
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let r: ClosedRange<UInt8> = range(item) else { return nil }
            ranges.append(r)
        }
        return ranges.isEmpty ? nil : ranges
    }

    /// A guest-physical address: decimal or 0x-hex.
    public static func address(_ text: String) -> UInt64? { integer(Substring(text)) }

    /// `64M`, `1G`, `1.5G`, `512KiB`, `4096`: exact, so a fraction must come to whole bytes
    /// (1.5G is 1,610,612,736 bytes); zero, anything else, or too large is refused.
    public static func size(_ text: String) -> UInt64? {
        var t = Substring(text.uppercased())
        var scale: UInt64 = 1
        for suffix in ["IB", "B"] where t.hasSuffix(suffix) && t.count > suffix.count {
            t = t.dropLast(suffix.count)
            break
        }
        for (unit, f) in [("K", UInt64(1) << 10), ("M", 1 << 20), ("G", 1 << 30)] where t.hasSuffix(unit) {
            scale = f
            t = t.dropLast()
            break
        }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let wholeText = parts.first, !wholeText.isEmpty, wholeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let whole = UInt64(wholeText)
        else { return nil }
        var (value, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.count <= 9, frac.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let f = UInt64(frac) else {
                return nil
            }
            var denominator: UInt64 = 1
            for _ in 0..<frac.count { denominator *= 10 }
            let (scaled, o) = f.multipliedReportingOverflow(by: scale)
            guard !o, scaled % denominator == 0 else { return nil }
            (value, overflow) = value.addingReportingOverflow(scaled / denominator)
            guard !overflow else { return nil }
        }
        return value > 0 ? value : nil
    }
}
