/// Rust's formatting of `Duration` and `f32`, reproduced digit for digit
/// (reference section 4.3). All integer arithmetic: no locale, no libc printf.
public enum RustFormat {
    /// `{:?}` on a Duration: unit by magnitude, exact digits, trailing zeros dropped.
    public static func durationDebug(_ ns: UInt64) -> String {
        let secs = ns / 1_000_000_000
        let nanos = ns % 1_000_000_000
        if secs > 0 { return trimmed(secs, nanos, digits: 9) + "s" }
        if nanos >= 1_000_000 { return trimmed(nanos / 1_000_000, nanos % 1_000_000, digits: 6) + "ms" }
        if nanos >= 1_000 { return trimmed(nanos / 1_000, nanos % 1_000, digits: 3) + "µs" }
        return "\(nanos)ns"
    }

    private static func trimmed(_ whole: UInt64, _ frac: UInt64, digits: Int) -> String {
        if frac == 0 { return String(whole) }
        var f = padded(frac, digits)
        while f.last == "0" { f.removeLast() }
        return "\(whole).\(f)"
    }

    /// `{:.6?}` on a Duration, with exact halves rounded up (the toolchains v29.0 .. v48.0 were built with).
    public static func durationDebug6(_ ns: UInt64) -> String {
        let secs = ns / 1_000_000_000
        let nanos = ns % 1_000_000_000
        if secs > 0 {
            var micros = nanos / 1000
            var whole = secs
            if nanos % 1000 >= 500 { micros += 1 }
            if micros == 1_000_000 {
                micros = 0
                whole += 1
            }
            return "\(whole).\(padded(micros, 6))s"
        }
        if nanos >= 1_000_000 { return "\(nanos / 1_000_000).\(padded(nanos % 1_000_000, 6))ms" }
        if nanos >= 1_000 { return "\(nanos / 1_000).\(padded((nanos % 1_000) * 1000, 6))µs" }
        return "\(nanos).000000ns"
    }

    /// `{:>10.6?}` of `Duration::as_secs_f32()`: the f32 value rounded to 6 decimals
    /// (ties to even, on its exact binary value), right-aligned in 10 columns.
    public static func secondsF32(_ ns: UInt64) -> String {
        let secs = ns / 1_000_000_000
        let nanos = ns % 1_000_000_000
        let value: Float = Float(secs) + Float(nanos) / 1e9
        var s = fixed6(value)
        if s.count < 10 { s = String(repeating: " ", count: 10 - s.count) + s }
        return s
    }

    /// The exact decimal expansion of a non-negative finite f32, rounded to 6 places, ties to even.
    static func fixed6(_ value: Float) -> String {
        guard value.isFinite, value > 0 else { return "0.000000" }
        let mantissa = UInt64(value.significandBitPattern) | (value.isNormal ? 1 << 23 : 0)
        let exponent = Int(value.isNormal ? value.exponentBitPattern : 1) - 127 - 23
        // value = mantissa * 2^exponent; we want round(value * 10^6).
        var scaled: UInt64
        if exponent >= 0 {
            scaled = (mantissa << UInt64(exponent)) * 1_000_000
        } else {
            let shift = -exponent
            let n = mantissa * 1_000_000  // < 2^44
            if shift >= 64 {
                scaled = 0
            } else {
                let q = n >> UInt64(shift)
                let r = n - (q << UInt64(shift))
                let half = UInt64(1) << UInt64(shift - 1)
                scaled = q
                if r > half || (r == half && q & 1 == 1) { scaled += 1 }
            }
        }
        return "\(scaled / 1_000_000).\(padded(scaled % 1_000_000, 6))"
    }

    /// Zero-padded to at least `width` digits (Rust `{:>06}` on an integer: the `0` flag wins).
    public static func padded(_ v: UInt64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
