import Foundation

/// Durations and instants as people read them, in the style of systemd-analyze:
/// `512us`, `19.0ms`, `1.204s`, `2min 3.500s`.
public enum TimeText {
    public static func span(_ ns: Int64) -> String {
        if ns < 0 { return "-" + span(ns == .min ? .max : -ns) }
        if ns < 1_000 { return "\(ns)ns" }
        if ns < 1_000_000 { return "\(ns / 1_000)us" }
        if ns < 1_000_000_000 { return String(format: "%.1fms", Double(ns) / 1e6) }
        if ns < 60_000_000_000 { return String(format: "%.3fs", Double(ns) / 1e9) }
        let minutes = ns / 60_000_000_000
        return "\(minutes)min " + String(format: "%.3fs", Double(ns - minutes * 60_000_000_000) / 1e9)
    }

    /// Microseconds with three decimals (Chrome trace-event `ts`).
    public static func micros(_ ns: Int64) -> String { String(format: "%.3f", Double(ns) / 1e3) }

    /// Milliseconds with three decimals (tables, CSV).
    public static func millis(_ ns: Int64) -> String { String(format: "%.3f", Double(ns) / 1e6) }
}
