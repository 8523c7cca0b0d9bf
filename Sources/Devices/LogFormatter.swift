import Foundation
import TraceFormat

/// Renders log records as a given release printed them.
public struct LogFormatter: Sendable {
    public enum Piece: Sendable, Equatable {
        case literal(String)
        case token(Token)
    }

    /// The v53.0 token set, resolved once when the template is parsed.
    public enum Token: String, Sendable, CaseIterable {
        case boottime, wallclock, glog, localglog, pid, tid, thread, level, levelchar, location, msg
        case year, month, day, hour, minute, second, micros, offset
        case localyear, localmonth, localday, localhour, localminute, localsecond, localmicros, localoffset

        var needsUTC: Bool { [.wallclock, .glog, .year, .month, .day, .hour, .minute, .second, .micros, .offset].contains(self) }
        var needsLocal: Bool { rawValue.hasPrefix("local") }
    }

    public let profile: Profile
    /// The parsed `--log-format` template (F5 only), or nil for the era's fixed layout.
    let template: [Piece]?
    /// Logger origin: monotonic ns of the VMM's start.
    public let loggerOrigin: UInt64
    /// realtime = anchor.realtime + (t - anchor.monotonic)
    let anchor: (realtimeNs: UInt64, monotonicNs: UInt64)?
    let pid: UInt64
    let tids: [UInt64]
    /// Offset in seconds for the `local*` tokens, from `--timezone` (UTC when not given).
    let timeZone: TimeZone
    let usesUTC: Bool
    let usesLocal: Bool

    public static let defaultTemplate = "cloud-hypervisor: {boottime}s: <{thread}> {level}:{location} -- {msg}"

    public struct TemplateError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The formatter for replaying a trace: its wall-clock anchor, VMM pid and vCPU thread ids.
    public init(profile: Profile, template: String?, metadata: TraceMetadata, loggerOrigin: UInt64, timeZone: TimeZone) throws {
        try self.init(
            profile: profile, template: template, loggerOrigin: loggerOrigin, anchor: metadata.wallclockAnchor,
            pid: metadata.vmmPid ?? 0, tids: (metadata["vcpu_tids"]?.arrayValue ?? []).compactMap(\.uint64Value), timeZone: timeZone)
    }

    public init(
        profile: Profile, template: String?, loggerOrigin: UInt64,
        anchor: (realtimeNs: UInt64, monotonicNs: UInt64)?, pid: UInt64, tids: [UInt64], timeZone: TimeZone
    ) throws {
        self.profile = profile
        self.loggerOrigin = loggerOrigin
        self.anchor = anchor
        self.pid = pid
        self.tids = tids
        self.timeZone = timeZone
        if profile.loggerFormat == .f5 {
            let pieces = try LogFormatter.parse(template ?? LogFormatter.defaultTemplate, tokens: profile.logFormatTokens)
            self.template = pieces
            usesUTC = pieces.contains { if case .token(let t) = $0 { return t.needsUTC } else { return false } }
            usesLocal = pieces.contains { if case .token(let t) = $0 { return t.needsLocal } else { return false } }
        } else {
            if template != nil {
                throw TemplateError(description: "cloud-hypervisor \(profile.release) has no --log-format (it came in v52.0)")
            }
            self.template = nil
            usesUTC = false
            usesLocal = false
        }
    }

    /// Parses a template as v52.0+ did: `{name}` tokens, `{{`/`}}` literal braces.
    public static func parse(_ text: String, tokens: Set<String>) throws -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "{" {
                if next < text.endIndex, text[next] == "{" {
                    literal.append("{")
                    i = text.index(after: next)
                    continue
                }
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw TemplateError(description: "Error parsing logger format: Unterminated '{' in format string")
                }
                let name = String(text[next..<close])
                guard tokens.contains(name), let token = Token(rawValue: name) else {
                    throw TemplateError(description: "Error parsing logger format: Unknown format token '{\(name)}'")
                }
                if !literal.isEmpty {
                    pieces.append(.literal(literal))
                    literal = ""
                }
                pieces.append(.token(token))
                i = text.index(after: close)
            } else if c == "}" {
                guard next < text.endIndex, text[next] == "}" else {
                    throw TemplateError(description: "Error parsing logger format: Unmatched '}' in format string")
                }
                literal.append("}")
                i = text.index(after: next)
            } else {
                literal.append(c)
                i = next
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return pieces
    }

    /// Elapsed logger time for an event.
    @inline(__always)
    func loggerElapsed(_ t: UInt64) -> UInt64 { t >= loggerOrigin ? t - loggerOrigin : 0 }

    /// The whole line, with the release's line ending.
    public func render(_ record: LogRecord) -> String {
        let elapsed = record.loggerElapsed ?? loggerElapsed(record.timestamp)
        let thread = "vcpu\(record.vcpu)"
        var line: String
        switch profile.loggerFormat {
        case .none:
            return ""
        case .f0:
            line = "cloud-hypervisor: \(RustFormat.durationDebug(elapsed)): \(record.level.name):\(record.location) -- \(record.message)"
        case .f1:
            line =
                "cloud-hypervisor: \(RustFormat.durationDebug(elapsed)): <\(thread)> \(record.level.name):\(record.location) -- \(record.message)"
        case .f2, .f3:
            line =
                "cloud-hypervisor: \(RustFormat.durationDebug6(elapsed)): <\(thread)> \(record.level.name):\(record.location) -- \(record.message)"
        case .f4:
            line =
                "cloud-hypervisor: \(RustFormat.secondsF32(elapsed))s: <\(thread)> \(record.level.name):\(record.location) -- \(record.message)"
        case .f5:
            line = renderTemplate(record, elapsed: elapsed, thread: thread)
        }
        line += profile.lineEnding
        return line
    }

    private func renderTemplate(_ record: LogRecord, elapsed: UInt64, thread: String) -> String {
        var out = ""
        out.reserveCapacity(160)
        var utc = CivilTime.epoch
        var local = CivilTime.epoch
        if usesUTC || usesLocal {
            let realtime: UInt64 =
                record.realtimeNs ?? anchor.map { a in
                    record.timestamp >= a.monotonicNs
                        ? a.realtimeNs &+ (record.timestamp - a.monotonicNs) : a.realtimeNs &- (a.monotonicNs - record.timestamp)
                } ?? record.timestamp
            if usesUTC { utc = CivilTime(realtimeNs: realtime, offsetSeconds: 0) }
            if usesLocal {
                let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(realtime / 1_000_000_000)))
                local = CivilTime(realtimeNs: realtime, offsetSeconds: offset)
            }
        }
        for piece in template ?? [] {
            switch piece {
            case .literal(let s): out += s
            case .token(let token):
                switch token {
                case .boottime: out += RustFormat.secondsF32(elapsed)
                case .wallclock: out += utc.rfc3339
                case .glog: out += utc.glog
                case .localglog: out += local.glog
                case .pid: out += String(pid)
                case .tid: out += String(Int(record.vcpu) < tids.count ? tids[Int(record.vcpu)] : pid)
                case .thread: out += thread
                case .level: out += record.level.name
                case .levelchar: out += String(record.level.name.first!)
                case .location: out += record.location.description
                case .msg: out += record.message
                case .year, .localyear: out += (token.needsLocal ? local : utc).year
                case .month, .localmonth: out += (token.needsLocal ? local : utc).twoDigit(\.month)
                case .day, .localday: out += (token.needsLocal ? local : utc).twoDigit(\.day)
                case .hour, .localhour: out += (token.needsLocal ? local : utc).twoDigit(\.hour)
                case .minute, .localminute: out += (token.needsLocal ? local : utc).twoDigit(\.minute)
                case .second, .localsecond: out += (token.needsLocal ? local : utc).twoDigit(\.second)
                case .micros, .localmicros: out += (token.needsLocal ? local : utc).micros
                case .offset, .localoffset: out += (token.needsLocal ? local : utc).offset
                }
            }
        }
        return out
    }
}

/// A broken-down civil time at a fixed UTC offset, computed without the C library's time zone state.
struct CivilTime {
    static let epoch = CivilTime(realtimeNs: 0, offsetSeconds: 0)
    var year4: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int, offsetSeconds: Int

    init(realtimeNs: UInt64, offsetSeconds: Int) {
        let total = Int64(realtimeNs / 1_000_000_000) + Int64(offsetSeconds)
        microsecond = Int(realtimeNs % 1_000_000_000 / 1000)
        self.offsetSeconds = offsetSeconds
        var days = total / 86400
        var rem = total % 86400
        if rem < 0 {
            rem += 86400
            days -= 1
        }
        hour = Int(rem / 3600)
        minute = Int(rem % 3600 / 60)
        second = Int(rem % 60)
        // Days since 1970-01-01 to a civil date (proleptic Gregorian).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year4 = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    func twoDigit(_ field: KeyPath<CivilTime, Int>) -> String { two(self[keyPath: field]) }
    var year: String { RustFormat.padded(UInt64(max(0, year4)), 4) }
    var micros: String { RustFormat.padded(UInt64(microsecond), 6) }
    var offset: String {
        let sign = offsetSeconds < 0 ? "-" : "+"
        let m = abs(offsetSeconds) / 60
        return "\(sign)\(two(m / 60)):\(two(m % 60))"
    }
    var rfc3339: String { "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second)).\(micros)Z" }
    var glog: String { "\(two(month))\(two(day)) \(two(hour)):\(two(minute)):\(two(second)).\(micros)" }
}
