/// Parses times such as `1.5s`, `200ms`, `30us`, `100ns` or `2` (seconds) into
/// nanoseconds, exactly (decimal arithmetic, no floating point). A leading `-` is allowed.
public enum TimeSpec {
    public static func nanoseconds(_ text: String) -> Int64? {
        var s = Substring(text.trimmingCharacters(in: " "))
        var negative = false
        if s.hasPrefix("-") {
            negative = true
            s = s.dropFirst()
        } else if s.hasPrefix("+") {
            s = s.dropFirst()
        }
        let units: [(String, Int64)] = [("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)]
        var scale: Int64 = 1_000_000_000
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            scale = factor
            s = s.dropLast(suffix.count)
            break
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !(whole.isEmpty && parts.count == 1),
            whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber)
        else { return nil }
        var result = whole.isEmpty ? 0 : Int64(whole) ?? -1
        guard result >= 0 else { return nil }
        let (m, o) = result.multipliedReportingOverflow(by: scale)
        guard !o else { return nil }
        result = m
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.allSatisfy(\.isASCII), frac.allSatisfy(\.isNumber) else { return nil }
            var place = scale
            for ch in frac {
                place /= 10
                guard place > 0 else {
                    if ch != "0" { return nil }  // finer than a nanosecond
                    continue
                }
                let (sum, overflow) = result.addingReportingOverflow(Int64(ch.wholeNumberValue!) * place)
                guard !overflow else { return nil }  // beyond 292 years
                result = sum
            }
        }
        return negative ? -result : result
    }

    /// `+1.500000000` style seconds with 9 decimals, for text dumps.
    public static func signedSeconds(_ ns: Int64) -> String { TextBytes.signedSeconds(ns) }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
