import Foundation
import SystemCalls
import TraceFormat

/// Progress of long work on stderr, only when stderr is a terminal that takes cursor control
/// (`TerminalStyle.cursorControl`: not `TERM=dumb`): done/total, rate and time left, first
/// drawn after a second of work (short work shows nothing), then at most five times a second on
/// one line, and erased at the end. Nothing is written when stderr is a file or a pipe. Used by
/// the thread that does the work: not `Sendable`.
public final class ProgressMeter {
    let what: String
    let unit: String
    var total: UInt64?
    private(set) var done: UInt64 = 0
    private let start = ContinuousClock.now
    /// The first draw comes a second after the start; then at most every 200 ms.
    private var lastDraw = ContinuousClock.now + .milliseconds(800)
    private var drawn = false
    private let enabled: Bool

    /// nil when stderr takes no progress line (unless `force`).
    public init?(what: String, unit: String, total: UInt64?, force: Bool = false) {
        guard force || TerminalStyle.cursorControl() else { return nil }
        self.what = what
        self.unit = unit
        self.total = total
        enabled = true
    }

    /// For a trace: events, with the total from its index when it has one.
    public convenience init?(reading reader: TraceReader) {
        let total = reader.index.map { $0.blocks.reduce(UInt64(0)) { $0 + UInt64($1.events) } }
        self.init(what: (reader.path as NSString).lastPathComponent, unit: "events", total: total)
    }

    public func advance(events n: UInt64) {
        done += n
        let now = ContinuousClock.now
        guard enabled, now - lastDraw >= .milliseconds(200) else { return }
        lastDraw = now
        draw(now)
    }

    /// Adds to the total (many files of known size).
    public func expect(_ more: UInt64) { total = (total ?? 0) + more }

    private func draw(_ now: ContinuousClock.Instant) {
        let elapsed = Double((now - start).components.attoseconds) / 1e18 + Double((now - start).components.seconds)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "\(what): \(ProgressMeter.short(Double(done)))"
        if let total, total > 0 {
            text += "/\(ProgressMeter.short(Double(total))) \(unit) \(min(100, done * 100 / total))%"
            if rate > 0, total > done { text += ", \(Int((Double(total - done) / rate).rounded(.up)))s left" }
        } else {
            text += " \(unit)"
        }
        text += ", \(ProgressMeter.short(rate)) \(unit)/s"
        try? Descriptor.writeAll(Descriptor.standardError, Array(("\r\u{1b}[K" + text).utf8))
        drawn = true
    }

    /// Erases the line.
    public func finish() {
        if drawn { try? Descriptor.writeAll(Descriptor.standardError, Array("\r\u{1b}[K".utf8)) }
        drawn = false
    }

    static func short(_ v: Double) -> String {
        if v >= 1e9 { return String(format: "%.1fG", v / 1e9) }
        if v >= 1e6 { return String(format: "%.1fM", v / 1e6) }
        if v >= 1e4 { return String(format: "%.0fk", v / 1e3) }
        return String(format: "%.0f", v)
    }
}
