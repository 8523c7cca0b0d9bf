import Devices

/// A step named on the command line, for `--interval` and `--phase`: a POST code written
/// `0xNN`, a mark's name (`--mark NAME=...` or a mark set's), `start` (the VM's start) or
/// `end` (the boot's end; intervals only).
public enum StepReference: Sendable, Equatable, CustomStringConvertible {
    case vmStart
    case bootEnd
    case code(UInt8)
    case mark(String)

    /// Parses one reference; codes must be written in hex with `0x` (a bare number could be a
    /// mark's name).
    public static func parse(_ text: Substring) -> StepReference? {
        switch text {
        case "start": return .vmStart
        case "end": return .bootEnd
        default: break
        }
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            guard let v: UInt8 = ValueSyntax.hex(text) else { return nil }
            return .code(v)
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        return .mark(String(text))
    }

    public var description: String {
        switch self {
        case .vmStart: return "start"
        case .bootEnd: return "end"
        case .code(let c): return "0x\(String(c, radix: 16))"
        case .mark(let m): return m
        }
    }
}

/// `NAME=FROM..TO`, the form of `--interval` and `--phase`.
struct NamedSpan: Sendable, Equatable {
    var name: String
    var from: StepReference
    var to: StepReference

    static func parse(_ text: String, flag: String) throws -> NamedSpan {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw AnalysisError.badOption("\(flag) '\(text)': expected NAME=FROM..TO (FROM and TO: 0xNN codes, mark names, start, end)")
        }
        let name = String(text[..<eq])
        let span = text[text.index(after: eq)...]
        guard let dots = span.range(of: ".."), let from = StepReference.parse(span[..<dots.lowerBound]),
            let to = StepReference.parse(span[dots.upperBound...])
        else {
            throw AnalysisError.badOption("\(flag) '\(text)': expected NAME=FROM..TO (FROM and TO: 0xNN codes, mark names, start, end)")
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw AnalysisError.badOption("\(flag) '\(text)': a name is letters, digits, '-', '_' and '.'")
        }
        return NamedSpan(name: name, from: from, to: to)
    }
}

/// `--interval NAME=FROM..TO`: the time from FROM's first occurrence to TO's first after it.
public struct IntervalSpec: Sendable, Equatable {
    public var name: String
    public var from: StepReference
    public var to: StepReference

    public static func parse(_ text: String) throws -> IntervalSpec {
        let s = try NamedSpan.parse(text, flag: "--interval")
        return IntervalSpec(name: s.name, from: s.from, to: s.to)
    }
}

/// `--phase NAME=FROM..TO`: a phase from FROM's first occurrence to TO's first after it.
public struct PhaseSpec: Sendable, Equatable {
    public var name: String
    public var from: StepReference
    public var to: StepReference

    public static func parse(_ text: String) throws -> PhaseSpec {
        let s = try NamedSpan.parse(text, flag: "--phase")
        guard s.to != .bootEnd, s.from != .bootEnd else {
            throw AnalysisError.badOption("--phase '\(text)': a phase ends at a step ('end' is where the phases end)")
        }
        return PhaseSpec(name: s.name, from: s.from, to: s.to)
    }
}
