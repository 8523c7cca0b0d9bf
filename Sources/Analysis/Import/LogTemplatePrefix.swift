import Devices
import TraceFormat

/// The part of a `--log-format` template before `{msg}`, prepared once so that each log line is
/// read in one pass over its bytes: a literal is compared where it must stand, a token of fixed
/// width (the UTC time fields) takes that many bytes, and any other token runs to the literal
/// that follows it (the first occurrence, searched from where the token starts).
struct LogTemplatePrefix {
    enum Part {
        case literal([UInt8])
        /// A token; `until` is the literal right after it, if one is.
        case token(LogFormatter.Token, until: [UInt8]?)
    }

    let parts: [Part]

    init(_ pieces: [LogFormatter.Piece]) {
        let beforeMsg = Array(pieces.prefix { if case .token(.msg) = $0 { return false } else { return true } })
        var parts: [Part] = []
        for (i, piece) in beforeMsg.enumerated() {
            switch piece {
            case .literal(let s): parts.append(.literal(Array(s.utf8)))
            case .token(let t):
                var until: [UInt8]?
                if i + 1 < beforeMsg.count, case .literal(let s) = beforeMsg[i + 1] { until = Array(s.utf8) }
                parts.append(.token(t, until: until))
            }
        }
        self.parts = parts
    }

    /// The fields a line's prefix holds.
    struct Fields {
        var time = ""
        var thread: String?
        var level: LogLevel?
        var location = SourceLocation("", 0)
        var pid: UInt64?
        var tid: UInt64?
        var realtime: UInt64?
    }

    /// Reads `b` (the bytes before the message), or says why it does not follow the template.
    func read(_ b: UnsafeBufferPointer<UInt8>) -> Result<Fields, CloudHypervisorLogParser.Failure> {
        let mismatch = Result<Fields, CloudHypervisorLogParser.Failure>.failure(
            .unreadable("the line does not follow the --log-format template"))
        var fields = Fields()
        var clock = WallClockFields()
        var at = 0
        for part in parts {
            switch part {
            case .literal(let l):
                guard b.count - at >= l.count, l.indices.allSatisfy({ b[at + $0] == l[$0] }) else { return mismatch }
                at += l.count
            case .token(let token, let until):
                let end: Int
                if let width = WallClockFields.width(token) {
                    guard b.count - at >= width else { return mismatch }
                    end = at + width
                } else if let until {
                    guard let found = ByteScanner.find(until, in: b, from: at) else { return mismatch }
                    end = found
                } else {
                    end = b.count
                }
                let value = ByteScanner.slice(b, at..<end)
                at = end
                switch token {
                case .boottime: fields.time = String(decoding: value, as: UTF8.self)
                case .thread: fields.thread = String(decoding: value, as: UTF8.self)
                case .level:
                    guard let l = LogLevel.allCases.first(where: { $0.name.utf8.elementsEqual(value) }) else { return mismatch }
                    fields.level = l
                case .levelchar:
                    guard value.count == 1, let l = LogLevel.allCases.first(where: { $0.name.utf8.first == value[0] }) else {
                        return mismatch
                    }
                    fields.level = l
                case .location:
                    guard let colon = value.lastIndex(of: 0x3a), let n = Self.number(ByteScanner.slice(value, (colon + 1)..<value.count)),
                        n <= UInt64(Int32.max)
                    else { return mismatch }
                    fields.location = SourceLocation(
                        ByteScanner.text(value, 0..<colon), Int(n))
                case .pid:
                    guard let n = Self.number(value) else { return mismatch }
                    fields.pid = n
                case .tid:
                    guard let n = Self.number(value) else { return mismatch }
                    fields.tid = n
                default:
                    guard clock.read(token, value) else { return mismatch }
                }
            }
        }
        guard at == b.count, fields.level != nil else { return mismatch }
        switch clock.realtimeNs() {
        case .success(let ns): fields.realtime = ns
        case .failure(let why): return .failure(why)
        }
        return .success(fields)
    }

    /// Decimal digits only (at most 19, so the value fits).
    static func number(_ b: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var c = ByteScanner(b)
        guard let n = c.decimal(), c.atEnd else { return nil }
        return n
    }
}

/// The UTC wall-clock fields a template's tokens printed, put back together as ns since 1970.
struct WallClockFields {
    var year: Int?, month: Int?, day: Int?, hour: Int?, minute: Int?, second: Int?, micros: Int?
    var seen = false

    /// The printed width of the tokens that have one (all ASCII: bytes and characters agree).
    static func width(_ t: LogFormatter.Token) -> Int? {
        switch t {
        case .wallclock: return 27
        case .glog: return 20
        case .year: return 4
        case .month, .day, .hour, .minute, .second: return 2
        case .micros: return 6
        case .offset: return 6
        default: return nil
        }
    }

    /// Reads one token's bytes; false when they are not what the token prints.
    mutating func read(_ t: LogFormatter.Token, _ v: UnsafeBufferPointer<UInt8>) -> Bool {
        /// The digits at `from ..< from + count`, as a number (at most 6 digits here).
        func n(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= v.count, count > 0 else { return nil }
            var x = 0
            for k in from..<(from + count) {
                guard v[k] >= 0x30 && v[k] <= 0x39 else { return nil }
                x = x * 10 + Int(v[k] - 0x30)
            }
            return x
        }
        func at(_ k: Int, _ c: UInt8) -> Bool { k < v.count && v[k] == c }
        seen = true
        switch t {
        case .wallclock:  // 2024-01-15T10:30:45.123456Z
            guard v.count == 27, at(4, 0x2d), at(7, 0x2d), at(10, 0x54), at(13, 0x3a), at(16, 0x3a), at(19, 0x2e), at(26, 0x5a),
                let y = n(0, 4), let mo = n(5, 2), let d = n(8, 2), let h = n(11, 2), let mi = n(14, 2), let s = n(17, 2), let us = n(20, 6)
            else { return false }
            (year, month, day, hour, minute, second, micros) = (y, mo, d, h, mi, s, us)
        case .glog:  // 0115 10:30:45.123456
            guard v.count == 20, at(4, 0x20), at(7, 0x3a), at(10, 0x3a), at(13, 0x2e), let mo = n(0, 2), let d = n(2, 2), let h = n(5, 2),
                let mi = n(8, 2), let s = n(11, 2), let us = n(14, 6)
            else { return false }
            (month, day, hour, minute, second, micros) = (mo, d, h, mi, s, us)
        case .offset: return v.elementsEqual("+00:00".utf8)
        case .year, .month, .day, .hour, .minute, .second, .micros:
            guard let x = n(0, v.count) else { return false }
            switch t {
            case .year: year = x
            case .month: month = x
            case .day: day = x
            case .hour: hour = x
            case .minute: minute = x
            case .second: second = x
            default: micros = x
            }
        default: return false
        }
        return true
    }

    /// The instant the tokens named (nil when the template has none), or why they name none a
    /// trace can hold: a date that does not exist, or one past 2554-07-21T23:34:33.709551Z, the
    /// last whose ns since 1970 fit 64 bits. A missing year is 2000, a leap year, so every month
    /// and day a log can print exists; the fields printed come back the same.
    func realtimeNs() -> Result<UInt64?, CloudHypervisorLogParser.Failure> {
        guard seen else { return .success(nil) }
        let y = year ?? 2000
        let mo = month ?? 1
        let d = day ?? 1
        let h = hour ?? 0
        let mi = minute ?? 0
        let s = second ?? 0
        let us = micros ?? 0
        guard (1970...9999).contains(y), (1...12).contains(mo), (1...CivilDate.daysIn(month: mo, of: Int64(y))).contains(d), h < 24,
            mi < 60, s < 61,
            us < 1_000_000
        else {
            return .failure(.unreadable("its wall-clock fields name no date and time from 1970 on (year \(y), month \(mo), day \(d))"))
        }
        // From 1970 on, a small non-negative number.
        let days = CivilDate.days(year: Int64(y), month: mo, day: d)
        let secs = UInt64(days) * 86400 + UInt64(h * 3600 + mi * 60 + s)
        let (ns, o1) = secs.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o2) = ns.addingReportingOverflow(UInt64(us) * 1000)
        guard !o1 && !o2 else {
            return .failure(.unreadable("its wall-clock time (year \(y)) is past 2554-07-21, the last whose ns since 1970 fit 64 bits"))
        }
        return .success(total)
    }
}
