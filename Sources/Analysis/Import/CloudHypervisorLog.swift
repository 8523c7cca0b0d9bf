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
    /// The wall-clock time its UTC tokens printed, ns since 1970 (templates with such tokens).
    var realtimeNs: UInt64? = nil
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
    /// The template's part before `{msg}`, ready to read lines with.
    let prefix: LogTemplatePrefix?

    init(template: String?) throws {
        if let template {
            let pieces = try LogFormatter.parse(template, tokens: Profile(.latest).logFormatTokens)
            for case .token(let t) in pieces where t.rawValue.hasPrefix("local") {
                throw AnalysisError.badOption(
                    "--log-format: the {\(t.rawValue)} token cannot be imported: the log does not say its time zone (the UTC tokens can)")
            }
            guard case .token(.msg)? = pieces.last(where: { if case .token = $0 { return true } else { return false } }) else {
                throw AnalysisError.badOption("--log-format: {msg} must be the template's last token to import its lines")
            }
            self.template = pieces
            prefix = LogTemplatePrefix(pieces)
        } else {
            self.template = nil
            prefix = nil
        }
    }

    static let marker = Array("[Debug I/O port: ".utf8)

    /// Where the debug-port message starts, if the line has one.
    static func markerIndex(_ b: UnsafeBufferPointer<UInt8>) -> Int? { ByteScanner.find(marker, in: b) }

    func parse(_ raw: UnsafeBufferPointer<UInt8>, line: Int) -> Result<DebugPortLine, Failure> {
        guard let at = CloudHypervisorLogParser.markerIndex(raw) else { return .failure(.notDebugPort) }
        let crlf = raw.last == 0x0d
        let bytes = ByteScanner.slice(raw, 0..<(crlf ? raw.count - 1 : raw.count))
        guard let (code, micros) = CloudHypervisorLogParser.message(bytes, at: at) else {
            return .failure(.unreadable("the message is not '[Debug I/O port: COMPONENT code 0xNN] S.UUUUUU seconds'"))
        }
        // The trace holds the message's time in ns, within TraceLimits.maxTimeOffset of the VM's start.
        guard micros <= TraceLimits.maxTimeOffset / 1000 else {
            return .failure(
                .unreadable(
                    "its time \(micros / 1_000_000) s is over the limit of \(TraceLimits.maxTimeOffset / 1_000_000_000) s from the VM's start a trace holds"
                ))
        }
        var fields = LogTemplatePrefix.Fields()
        if let prefix {
            switch prefix.read(ByteScanner.slice(bytes, 0..<at)) {
            case .success(let f): fields = f
            case .failure(let why): return .failure(why)
            }
        } else {
            guard let f = CloudHypervisorLogParser.fixedPrefix(ByteScanner.slice(bytes, 0..<at)) else {
                return .failure(.unreadable("the prefix is not 'cloud-hypervisor: TIME: [<THREAD> ]LEVEL:FILE:LINE -- '"))
            }
            (fields.time, fields.thread, fields.level, fields.location) = (f.time, f.thread, f.level, f.location)
        }
        return .success(
            DebugPortLine(
                line: line, timeText: fields.time, thread: fields.thread, level: fields.level ?? .debug, location: fields.location,
                code: code, micros: micros, crlf: crlf, pid: fields.pid, tid: fields.tid, realtimeNs: fields.realtime))
    }

    static let components: [(StaticString, DebugPortComponent)] = [
        ("Firmware", .firmware), ("Bootloader", .bootloader), ("Kernel", .kernel), ("Userspace", .userspace), ("Custom", .custom),
    ]

    /// `[Debug I/O port: Kernel code 0x41] 1.1500000 seconds` at `at`, to the end -> (0x41, 1,500,000 µs).
    /// Every release prints the code in lower-case hex without padding, and whole seconds then the
    /// *total* microseconds zero-padded to 6 digits.
    static func message(_ b: UnsafeBufferPointer<UInt8>, at: Int) -> (UInt8, UInt64)? {
        var c = ByteScanner(b, at: at)
        guard c.take("[Debug I/O port: ") else { return nil }
        var component: DebugPortComponent?
        for (name, value) in components where c.take(name) {
            component = value
            break
        }
        guard let component, c.take(" code 0x") else { return nil }
        let codeStart = c.at
        guard let code = c.hex(), code <= 0xff, c.at - codeStart <= 2, !(c.at - codeStart == 2 && b[codeStart] == 0x30),
            b[codeStart..<c.at].allSatisfy({ !(0x41...0x46).contains($0) }), DebugPortComponent(code: UInt8(code)) == component,
            c.take("] ")
        else { return nil }
        let secsStart = c.at
        guard let secs = c.decimal(), !(c.at - secsStart > 1 && b[secsStart] == 0x30), c.take(".") else { return nil }
        let fracStart = c.at
        guard let micros = c.decimal(), c.at - fracStart >= 6, c.take(" seconds"), c.atEnd, secs == micros / 1_000_000 else { return nil }
        // Zero-padded to exactly 6 digits, or as many as the value needs.
        let digits = c.at - 8 - fracStart
        guard digits == max(6, String(micros).count) else { return nil }
        return (UInt8(code), micros)
    }

    static let levels: [(StaticString, LogLevel)] = [
        ("ERROR", .error), ("WARN", .warn), ("INFO", .info), ("DEBUG", .debug), ("TRACE", .trace),
    ]

    /// `cloud-hypervisor: TIME: [<THREAD> ]LEVEL:FILE:LINE -- ` (the bytes before the message).
    static func fixedPrefix(_ b: UnsafeBufferPointer<UInt8>) -> (time: String, thread: String?, level: LogLevel, location: SourceLocation)?
    {
        var c = ByteScanner(b)
        guard c.take("cloud-hypervisor: ") else { return nil }
        let timeStart = c.at
        while !c.atEnd && !(b[c.at] == 0x3a && c.at + 1 < b.count && b[c.at + 1] == 0x20) { c.at += 1 }
        guard !c.atEnd, c.at > timeStart else { return nil }
        let time = ByteScanner.text(b, timeStart..<c.at)
        c.at += 2
        var thread: String?
        if c.take("<") {
            let start = c.at
            while !c.atEnd && b[c.at] != 0x3e { c.at += 1 }
            guard !c.atEnd else { return nil }
            thread = ByteScanner.text(b, start..<c.at)
            c.at += 1
            guard c.take(" ") else { return nil }
        }
        var level: LogLevel?
        for (name, value) in levels where c.take(name) {
            level = value
            break
        }
        guard let level, c.take(":"), b.count >= 4, b.count - 4 > c.at else { return nil }
        // FILE:LINE runs to the closing " -- ".
        let end = b.count - 4
        var tail = ByteScanner(b, at: end)
        guard tail.take(" -- ") else { return nil }
        var colon = end - 1
        while colon > c.at && b[colon] != 0x3a { colon -= 1 }
        guard colon > c.at else { return nil }
        var n = ByteScanner(b, at: colon + 1)
        guard let lineNumber = n.decimal(), n.at == end, lineNumber <= UInt64(Int32.max) else { return nil }
        let file = ByteScanner.text(b, c.at..<colon)
        return (time, thread, level, SourceLocation(file, Int(lineNumber)))
    }

    /// F4/F5 boottime: a number with exactly 6 decimals, right-aligned in at least 10 columns.
    static func f32Form(_ t: Substring) -> Bool {
        let u = Array(t.utf8)
        guard u.count >= 10 else { return false }
        var k = 0
        while k < u.count && u[k] == 0x20 { k += 1 }
        let digits = u[k...]
        guard let dot = digits.firstIndex(of: 0x2e), dot > k, u.count - dot - 1 == 6 else { return false }
        return digits.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e } && digits.filter({ $0 == 0x2e }).count == 1
    }

    /// A Duration's unit as `{:?}` prints it: its size in ns and how many fraction digits it can have.
    enum DurationUnit {
        case s, ms, us, ns
        var nanoseconds: UInt64 { [1_000_000_000, 1_000_000, 1000, 1][index] }
        var digits: Int { [9, 6, 3, 0][index] }
        var index: Int {
            switch self {
            case .s: return 0
            case .ms: return 1
            case .us: return 2
            case .ns: return 3
            }
        }
    }

    /// A Duration printed with a unit: integer part, fraction (value and digit count), unit; or nil.
    static func unitForm(_ t: String) -> (
        whole: UInt64, fraction: UInt64, fractionDigits: Int, hasDot: Bool, lastDigitZero: Bool, unit: DurationUnit
    )? {
        let u = Array(t.utf8)
        var end = u.count
        let unit: DurationUnit
        if u.count >= 2 && u[end - 2] == 0x6d && u[end - 1] == 0x73 {  // ms
            unit = .ms
            end -= 2
        } else if u.count >= 3 && u[end - 3] == 0xc2 && u[end - 2] == 0xb5 && u[end - 1] == 0x73 {  // µs
            unit = .us
            end -= 3
        } else if u.count >= 2 && u[end - 2] == 0x6e && u[end - 1] == 0x73 {  // ns
            unit = .ns
            end -= 2
        } else if u.count >= 1 && u[end - 1] == 0x73 {
            unit = .s
            end -= 1
        } else {
            return nil
        }
        var k = 0
        var whole: UInt64 = 0
        while k < end && u[k] >= 0x30 && u[k] <= 0x39 && k < 19 {
            whole = whole * 10 + UInt64(u[k] - 0x30)
            k += 1
        }
        guard k > 0 else { return nil }
        var fraction: UInt64 = 0
        var digits = 0
        var hasDot = false
        if k < end {
            guard u[k] == 0x2e else { return nil }
            hasDot = true
            k += 1
            while k < end && u[k] >= 0x30 && u[k] <= 0x39 && digits < 18 {
                fraction = fraction * 10 + UInt64(u[k] - 0x30)
                digits += 1
                k += 1
            }
            guard digits > 0, k == end else { return nil }
        }
        return (whole, fraction, digits, hasDot, digits > 0 && u[end - 1] == 0x30, unit)
    }

    /// The eras whose logger time field could have printed `t` (fixed layouts; reference 4.2, 4.3).
    static func eras(time t: String, thread: Bool, crlf: Bool) -> Eras {
        var eras: Eras = []
        if t.utf8.last == 0x73, f32Form(t.dropLast()) { eras.insert(.f4) }
        if let u = unitForm(t) {
            if u.fractionDigits == 6 && (u.unit != .ns || u.fraction == 0) { eras.formUnion([.f2, .f3]) }
            if u.fractionDigits <= u.unit.digits && !u.lastDigitZero && !(u.fractionDigits == 0 && u.hasDot) { eras.formUnion([.f0, .f1]) }
        }
        eras.formIntersection(thread ? [.f1, .f2, .f3, .f4] : [.f0])
        eras.formIntersection(crlf ? [.f3, .f4] : [.f0, .f1, .f2])
        return eras
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
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            // An f32 printed with `{:.6}`: whole seconds (f32's range ends below 2^128, but a trace's
            // times end near 2^62 ns) and exactly 6 decimals.
            guard parts.count == 2, parts[1].utf8.count == 6, parts[0].utf8.count <= 11, let whole = UInt64(parts[0]),
                let micros = UInt64(parts[1]), whole < 1 << 33
            else { return nil }
            candidate = whole * 1_000_000_000 + micros * 1000
        } else {
            guard let u = unitForm(t), u.fractionDigits <= max(u.unit.digits, 6), u.whole < (1 << 62) / u.unit.nanoseconds else {
                return nil
            }
            var frac = u.fraction
            var place = u.unit.nanoseconds
            for _ in 0..<u.fractionDigits { place /= 10 }
            // A fraction with more digits than the unit has (F2's ns: `999.000000ns`) carries zeros only.
            if place == 0 {
                var extra = u.fractionDigits - u.unit.digits
                while extra > 0 && frac % 10 == 0 {
                    frac /= 10
                    extra -= 1
                }
                guard extra == 0 else { return nil }
                place = 1
            }
            candidate = u.whole * u.unit.nanoseconds + frac * place
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
}

/// A set of the fixed layouts' eras, as bits: one is made for every line, so no hashing.
struct Eras: OptionSet, CustomStringConvertible {
    let rawValue: UInt8
    static let f0 = Eras(rawValue: 1)
    static let f1 = Eras(rawValue: 2)
    static let f2 = Eras(rawValue: 4)
    static let f3 = Eras(rawValue: 8)
    static let f4 = Eras(rawValue: 16)
    static let f5 = Eras(rawValue: 32)
    static let all: [(Eras, Profile.LoggerFormat)] = [(.f0, .f0), (.f1, .f1), (.f2, .f2), (.f3, .f3), (.f4, .f4), (.f5, .f5)]

    init(rawValue: UInt8) { self.rawValue = rawValue }

    func contains(_ format: Profile.LoggerFormat) -> Bool { Eras.all.contains { $0.1 == format && contains($0.0) } }

    /// The eras in the set, F0 first.
    var formats: [Profile.LoggerFormat] { Eras.all.filter { contains($0.0) }.map(\.1) }

    var description: String { "[" + formats.map(\.rawValue).joined(separator: ", ") + "]" }
}
