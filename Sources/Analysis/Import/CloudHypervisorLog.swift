import Devices
import Foundation
import TraceFormat

/// One `[Debug I/O port: ...]` line of a cloud-hypervisor log, taken apart.
struct DebugPortLine: Equatable {
    var line: Int
    /// The logger's time field as printed (`19.762449ms`, `  0.019004`, ...), without the `s` of F4's format.
    var timeText: String
    var thread: String?
    var level: LogLevel
    var location: SourceLocation
    var code: UInt8
    /// The message's elapsed time: the total microseconds it prints.
    var micros: UInt64
    var crlf: Bool
    var pid: UInt64?
    var tid: UInt64?
}

/// Reads cloud-hypervisor log lines of every era (reference 4.2): the fixed layouts F0 .. F4 and
/// F5's default, or a `--log-format` template given by the user.
struct CloudHypervisorLogParser {
    enum Failure: Error, Equatable {
        /// Not a debug-port line at all.
        case notDebugPort
        /// Looks like one, but cannot be read: why.
        case unreadable(String)
    }

    let template: [LogFormatter.Piece]?

    init(template: String?) throws {
        if let template {
            let pieces = try LogFormatter.parse(template, tokens: Profile(.latest).logFormatTokens)
            let supported: Set<LogFormatter.Token> = [.boottime, .thread, .level, .levelchar, .location, .msg, .pid, .tid]
            for case .token(let t) in pieces where !supported.contains(t) {
                throw AnalysisError.badOption(
                    "--log-format: the {\(t.rawValue)} token cannot be imported (supported: boottime, thread, level, levelchar, location, msg, pid, tid)"
                )
            }
            guard case .token(.msg)? = pieces.last(where: { if case .token = $0 { return true } else { return false } }) else {
                throw AnalysisError.badOption("--log-format: {msg} must be the template's last token to import its lines")
            }
            self.template = pieces
        } else {
            self.template = nil
        }
    }

    static let marker = Array("[Debug I/O port: ".utf8)

    /// Where the debug-port message starts, if the line has one.
    static func markerIndex(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        let m = marker
        guard b.count >= m.count else { return nil }
        var i = 0
        let last = b.count - m.count
        while i <= last {
            if b[i] == 0x5b {  // '['
                var j = 1
                while j < m.count && b[i + j] == m[j] { j += 1 }
                if j == m.count { return i }
            }
            i += 1
        }
        return nil
    }

    func parse(_ raw: UnsafeBufferPointer<UInt8>, line: Int) -> Result<DebugPortLine, Failure> {
        guard let at = CloudHypervisorLogParser.markerIndex(raw) else { return .failure(.notDebugPort) }
        let crlf = raw.last == 0x0d
        let end = crlf ? raw.count - 1 : raw.count
        let text = String(decoding: UnsafeBufferPointer(rebasing: raw[0..<end]), as: UTF8.self)
        let msgStart = text.utf8.index(text.startIndex, offsetBy: at)
        let prefix = String(text[..<msgStart])
        let message = String(text[msgStart...])
        guard let (code, micros) = CloudHypervisorLogParser.message(message) else {
            return .failure(.unreadable("the message is not '[Debug I/O port: COMPONENT code 0xNN] S.UUUUUU seconds'"))
        }
        var fields: (time: String, thread: String?, level: LogLevel, location: SourceLocation, pid: UInt64?, tid: UInt64?)
        if let template {
            guard let f = CloudHypervisorLogParser.templatePrefix(prefix, template) else {
                return .failure(.unreadable("the line does not follow the --log-format template"))
            }
            fields = f
        } else {
            guard let f = CloudHypervisorLogParser.fixedPrefix(prefix) else {
                return .failure(.unreadable("the prefix is not 'cloud-hypervisor: TIME: [<THREAD> ]LEVEL:FILE:LINE -- '"))
            }
            fields = (f.time, f.thread, f.level, f.location, nil, nil)
        }
        return .success(
            DebugPortLine(
                line: line, timeText: fields.time, thread: fields.thread, level: fields.level, location: fields.location, code: code,
                micros: micros, crlf: crlf, pid: fields.pid, tid: fields.tid))
    }

    /// `[Debug I/O port: Kernel code 0x41] 1.1500000 seconds` -> (0x41, 1,500,000 µs).
    static func message(_ m: String) -> (UInt8, UInt64)? {
        guard m.hasPrefix("[Debug I/O port: "), m.hasSuffix(" seconds") else { return nil }
        let body = m.dropFirst(17).dropLast(8)
        guard let close = body.firstIndex(of: "]") else { return nil }
        let head = body[..<close].split(separator: " ")
        guard head.count == 3, head[1] == "code", head[2].hasPrefix("0x"), head[2].count <= 4,
            let code = UInt8(head[2].dropFirst(2), radix: 16), String(code, radix: 16) == head[2].dropFirst(2),
            DebugPortComponent(code: code).rawValue == head[0]
        else { return nil }
        let secondsText = body[body.index(after: close)...]
        guard secondsText.first == " " else { return nil }
        let parts = secondsText.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count >= 6, parts[0].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isASCII),
            let secs = UInt64(parts[0]), let micros = UInt64(parts[1]),
            // Every release prints whole seconds and the *total* microseconds, zero-padded to 6.
            secs == micros / 1_000_000, String(secs) == parts[0], RustFormat.padded(micros, 6) == parts[1]
        else { return nil }
        return (code, micros)
    }

    /// `cloud-hypervisor: TIME: [<THREAD> ]LEVEL:FILE:LINE -- `.
    static func fixedPrefix(_ p: String) -> (time: String, thread: String?, level: LogLevel, location: SourceLocation)? {
        guard p.hasPrefix("cloud-hypervisor: "), p.hasSuffix(" -- ") else { return nil }
        let rest = p.dropFirst(18).dropLast(4)
        guard let sep = rest.range(of: ": ") else { return nil }
        let time = String(rest[..<sep.lowerBound])
        var tail = rest[sep.upperBound...]
        var thread: String?
        if tail.first == "<" {
            guard let close = tail.firstIndex(of: ">"), tail[tail.index(after: close)...].first == " " else { return nil }
            thread = String(tail[tail.index(after: tail.startIndex)..<close])
            tail = tail[tail.index(close, offsetBy: 2)...]
        }
        guard let colon = tail.firstIndex(of: ":") else { return nil }
        guard let level = LogLevel.allCases.first(where: { $0.name == tail[..<colon] }) else { return nil }
        let loc = tail[tail.index(after: colon)...]
        guard let lc = loc.lastIndex(of: ":"), let lineNumber = Int(loc[loc.index(after: lc)...]), lc > loc.startIndex else { return nil }
        return (time, thread, level, SourceLocation(String(loc[..<lc]), lineNumber))
    }

    /// F4/F5 boottime: a number with exactly 6 decimals, right-aligned in at least 10 columns.
    static func f32Form(_ t: Substring) -> Bool {
        let digits = t.drop { $0 == " " }
        guard t.count >= 10 else { return false }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[1].count == 6 && !parts[0].isEmpty && parts[0].allSatisfy(\.isASCIIDigit)
            && parts[1].allSatisfy(\.isASCIIDigit)
    }

    /// A Duration printed with a unit: (integer part, fraction digits, unit), or nil.
    static func unitForm(_ t: String) -> (whole: UInt64, fraction: Substring, unit: String)? {
        var unit = ""
        for u in ["ms", "µs", "ns", "s"] where t.hasSuffix(u) {
            unit = u
            break
        }
        guard !unit.isEmpty else { return nil }
        let number = t.dropLast(unit.count)
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigit), let whole = UInt64(parts[0]) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || (!fraction.isEmpty && fraction.allSatisfy(\.isASCIIDigit)) else { return nil }
        return (whole, fraction, unit)
    }

    /// The eras whose logger time field could have printed `t` (fixed layouts; reference 4.2, 4.3).
    static func eras(time t: String, thread: Bool, crlf: Bool) -> Set<Profile.LoggerFormat> {
        var eras: Set<Profile.LoggerFormat> = []
        if t.hasSuffix("s"), f32Form(t.dropLast()) { eras.insert(.f4) }
        if let u = unitForm(t) {
            let digits = ["s": 9, "ms": 6, "µs": 3, "ns": 0][u.unit]!
            if u.fraction.count == 6 && u.unit != "ns" || (u.unit == "ns" && u.fraction.count == 6 && u.fraction.allSatisfy { $0 == "0" }) {
                eras.formUnion([.f2, .f3])
            }
            if u.fraction.count <= digits && u.fraction.last != "0" && !(u.fraction.isEmpty && t.contains(".")) {
                eras.formUnion([.f0, .f1])
            }
        }
        eras = eras.filter { thread ? $0 != .f0 : $0 == .f0 }
        return eras.filter { crlf ? ($0 == .f3 || $0 == .f4) : ($0 == .f0 || $0 == .f1 || $0 == .f2) }
    }

    /// The logger time (ns) that prints as `t` in `era`, checked by printing it; nil when none does.
    static func loggerTime(_ t: String, era: Profile.LoggerFormat) -> UInt64? {
        func render(_ ns: UInt64) -> String {
            switch era {
            case .f0, .f1: return RustFormat.durationDebug(ns)
            case .f2, .f3: return RustFormat.durationDebug6(ns)
            case .f4: return RustFormat.secondsF32(ns) + "s"
            case .f5: return RustFormat.secondsF32(ns)
            case .none: return ""
            }
        }
        let candidate: UInt64
        if era == .f4 || era == .f5 {
            let number = (era == .f4 ? t.dropLast() : Substring(t)).drop { $0 == " " }
            let parts = number.split(separator: ".")
            guard parts.count == 2, let whole = UInt64(parts[0]), let micros = UInt64(parts[1]), whole < 1 << 33 else { return nil }
            candidate = whole * 1_000_000_000 + micros * 1000
        } else {
            guard let u = unitForm(t) else { return nil }
            let scale: UInt64 = ["s": 1_000_000_000, "ms": 1_000_000, "µs": 1000, "ns": 1][u.unit]!
            let digits = ["s": 9, "ms": 6, "µs": 3, "ns": 0][u.unit]!
            guard u.fraction.count <= max(digits, 6), u.whole < (1 << 62) / scale else { return nil }
            var frac = UInt64(0)
            var place = scale
            for c in u.fraction {
                place /= 10
                frac += UInt64(c.wholeNumberValue!) * place
            }
            candidate = u.whole * scale + frac
        }
        if render(candidate) == t { return candidate }
        // An f32 time: the printed value may come from a neighbouring f32; look nearby, nearest first.
        guard era == .f4 || era == .f5 else { return nil }
        // f32 values are under 1 µs apart below 16 s and farther above: fine steps first, then coarse.
        for (step, count) in [(UInt64(50), 60), (UInt64(1000), 256)] {
            for k in 1...count {
                for sign in [1, -1] {
                    let d = UInt64(k) * step
                    if sign < 0 && d > candidate { continue }
                    let ns = sign > 0 ? candidate + d : candidate - d
                    if render(ns) == t { return ns }
                }
            }
        }
        return nil
    }

    /// A prefix made by a `--log-format` template (everything before `{msg}`).
    static func templatePrefix(_ p: String, _ pieces: [LogFormatter.Piece]) -> (
        time: String, thread: String?, level: LogLevel, location: SourceLocation, pid: UInt64?, tid: UInt64?
    )? {
        var rest = Substring(p)
        var time: String?
        var thread: String?
        var level: LogLevel?
        var location: SourceLocation?
        var pid: UInt64?
        var tid: UInt64?
        let beforeMsg = pieces.prefix { if case .token(.msg) = $0 { return false } else { return true } }
        for (i, piece) in beforeMsg.enumerated() {
            switch piece {
            case .literal(let s):
                guard rest.hasPrefix(s) else { return nil }
                rest = rest.dropFirst(s.count)
            case .token(let token):
                // A token runs to the next literal (or to the end, before {msg}).
                let next = beforeMsg.dropFirst(i + 1).first.flatMap { if case .literal(let s) = $0 { return s } else { return nil } }
                let value: Substring
                if let next {
                    guard let r = rest.range(of: next) else { return nil }
                    value = rest[..<r.lowerBound]
                    rest = rest[r.lowerBound...]
                } else {
                    value = rest
                    rest = ""
                }
                switch token {
                case .boottime: time = String(value)
                case .thread: thread = String(value)
                case .level: level = LogLevel.allCases.first { $0.name == value }
                case .levelchar: level = LogLevel.allCases.first { String($0.name.first!) == value }
                case .location:
                    guard let lc = value.lastIndex(of: ":"), let n = Int(value[value.index(after: lc)...]) else { return nil }
                    location = SourceLocation(String(value[..<lc]), n)
                case .pid: pid = UInt64(value)
                case .tid: tid = UInt64(value)
                default: return nil
                }
                if level == nil, token == .level || token == .levelchar { return nil }
            }
        }
        guard rest.isEmpty, let level else { return nil }
        return (time ?? "", thread, level, location ?? SourceLocation("", 0), pid, tid)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
