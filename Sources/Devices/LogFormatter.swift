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
        /// The elapsed time in the fixed layouts before templates: `{:?}` of a Duration (F0, F1) and
        /// `{:.6?}` (F2, F3); F4 prints it as `{boottime}` does. No template names them.
        case elapsedDebug = "(elapsed {:?})"
        case elapsedDebug6 = "(elapsed {:.6?})"

        var needsUTC: Bool { [.wallclock, .glog, .year, .month, .day, .hour, .minute, .second, .micros, .offset].contains(self) }
        var needsLocal: Bool { rawValue.hasPrefix("local") }
        /// A time (elapsed or wall-clock, or a part of one): what a comparison of two runs masks.
        public var isTimeField: Bool { self == .boottime || self == .elapsedDebug || self == .elapsedDebug6 || needsUTC || needsLocal }
    }

    public let profile: Profile
    /// The parsed `--log-format` template (F5 only), or nil for the era's fixed layout.
    let template: [Piece]?
    /// The whole line as pieces, the line ending included (empty: the release had no logger).
    public let layout: [Piece]
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
        layout =
            profile.loggerFormat == .none
            ? [] : LogFormatter.joined(self.template ?? LogFormatter.eraLayout(profile.loggerFormat), lineEnding: profile.lineEnding)
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

    /// The VMM's process id (the `{pid}` token).
    public var processID: UInt64 { pid }

    /// The thread id of a vCPU's thread (the `{tid}` token): from the trace, else the process id.
    public func threadID(vcpu: UInt32) -> UInt64 { Int(vcpu) < tids.count ? tids[Int(vcpu)] : pid }

    /// The whole line, with the release's line ending.
    public func render(_ record: LogRecord) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160)
        write(record, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the whole line, with the release's line ending, as UTF-8. With `timeMask`, every
    /// time field (the logger's elapsed time, wall-clock tokens, the seconds of a debug-port
    /// message) is replaced by those bytes: the line as a comparison sees it.
    public func write(_ record: LogRecord, into out: inout [UInt8], timeMask: [UInt8]? = nil) {
        guard !layout.isEmpty else { return }
        let elapsed = record.loggerElapsed ?? loggerElapsed(record.timestamp)
        var utc = CivilTime.epoch
        var local = CivilTime.epoch
        if timeMask == nil && (usesUTC || usesLocal) {
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
        for piece in layout {
            switch piece {
            case .literal(let s): out.append(utf8: s)
            case .token(let token):
                if let timeMask, token.isTimeField {
                    out.append(contentsOf: timeMask)
                    continue
                }
                switch token {
                case .boottime: out.append(utf8: RustFormat.secondsF32(elapsed))
                case .elapsedDebug: out.append(utf8: RustFormat.durationDebug(elapsed))
                case .elapsedDebug6: out.append(utf8: RustFormat.durationDebug6(elapsed))
                case .wallclock: out.append(utf8: utc.rfc3339)
                case .glog: out.append(utf8: utc.glog)
                case .localglog: out.append(utf8: local.glog)
                case .pid: out.appendDecimal(pid)
                case .tid: out.appendDecimal(threadID(vcpu: record.vcpu))
                case .thread:
                    out.appendASCII("vcpu")
                    out.appendDecimal(UInt64(record.vcpu))
                case .level: out.append(utf8: record.level.name)
                case .levelchar: out.append(record.level.name.utf8.first!)
                case .location:
                    out.append(utf8: record.location.file)
                    out.append(0x3a)
                    out.appendSignedDecimal(record.location.line)
                case .msg: record.message.write(into: &out, timeMask: timeMask)
                case .year, .localyear: out.append(utf8: (token.needsLocal ? local : utc).year)
                case .month, .localmonth: out.append(utf8: (token.needsLocal ? local : utc).twoDigit(\.month))
                case .day, .localday: out.append(utf8: (token.needsLocal ? local : utc).twoDigit(\.day))
                case .hour, .localhour: out.append(utf8: (token.needsLocal ? local : utc).twoDigit(\.hour))
                case .minute, .localminute: out.append(utf8: (token.needsLocal ? local : utc).twoDigit(\.minute))
                case .second, .localsecond: out.append(utf8: (token.needsLocal ? local : utc).twoDigit(\.second))
                case .micros, .localmicros: out.append(utf8: (token.needsLocal ? local : utc).micros)
                case .offset, .localoffset: out.append(utf8: (token.needsLocal ? local : utc).offset)
                }
            }
        }
    }

    /// The fixed layout of eras F0 .. F4 (F4's is the default template of F5).
    static func eraLayout(_ format: Profile.LoggerFormat) -> [Piece] {
        let head = Piece.literal("cloud-hypervisor: ")
        let tail: [Piece] = [.token(.level), .literal(":"), .token(.location), .literal(" -- "), .token(.msg)]
        switch format {
        case .none, .f5: return []
        case .f0: return [head, .token(.elapsedDebug), .literal(": ")] + tail
        case .f1: return [head, .token(.elapsedDebug), .literal(": <"), .token(.thread), .literal("> ")] + tail
        case .f2, .f3: return [head, .token(.elapsedDebug6), .literal(": <"), .token(.thread), .literal("> ")] + tail
        case .f4: return [head, .token(.boottime), .literal("s: <"), .token(.thread), .literal("> ")] + tail
        }
    }

    /// Pieces with the line ending appended and neighbouring literals joined.
    static func joined(_ pieces: [Piece], lineEnding: String) -> [Piece] {
        var out: [Piece] = []
        for p in pieces + [.literal(lineEnding)] {
            if case .literal(let s) = p, case .literal(let prev)? = out.last {
                out[out.count - 1] = .literal(prev + s)
            } else {
                out.append(p)
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
        (year4, month, day) = CivilDate.date(days: days)
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
