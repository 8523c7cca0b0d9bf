/// The prefix the Linux kernel gives each console line: its printk time, `[    1.843725] `
/// (`^\[ *[0-9]+\.[0-9]{6}\] `), optionally followed by the caller id of
/// `CONFIG_PRINTK_CALLER`, `[    T1] ` or `[     C0] ` (`\[ *[TC][0-9]+\] `). Two boots of one
/// kernel print the same lines with other times, so consoles are compared with this prefix
/// masked (`diff`, by default).
///
/// A fixed shape, read by a small state machine rather than a pattern: one byte at a time, so
/// a console line is masked as it streams past, and a line that does not start with `[` costs
/// one comparison.
struct PrintkPrefixScanner {
    enum Outcome: Equatable {
        /// Not decided yet: more bytes are needed.
        case undecided
        /// The first `n` bytes read are the prefix; the bytes after them are not.
        case prefix(Int)
        /// The line does not start with a printk prefix.
        case none
    }

    private enum State: UInt8 {
        case open, timeSpaces, seconds, fraction, timeClose, timeSpace
        case callerOpen, callerSpaces, callerKind, callerDigits, callerSpace
    }

    private var state = State.open
    /// Bytes read so far.
    private var read = 0
    /// Digits read after the time's `.`.
    private var fractionDigits = 0
    /// The length of the time part, once it is whole.
    private var timeLength = 0

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// Reads the next byte of the line.
    mutating func next(_ b: UInt8) -> Outcome {
        read += 1
        switch state {
        case .open:
            guard b == UInt8(ascii: "[") else { return .none }
            state = .timeSpaces
        case .timeSpaces:
            if b == UInt8(ascii: " ") { return .undecided }
            guard Self.isDigit(b) else { return .none }
            state = .seconds
        case .seconds:
            if Self.isDigit(b) { return .undecided }
            guard b == UInt8(ascii: ".") else { return .none }
            state = .fraction
        case .fraction:
            guard Self.isDigit(b) else { return .none }
            fractionDigits += 1
            if fractionDigits == 6 { state = .timeClose }
        case .timeClose:
            guard b == UInt8(ascii: "]") else { return .none }
            state = .timeSpace
        case .timeSpace:
            guard b == UInt8(ascii: " ") else { return .none }
            timeLength = read
            state = .callerOpen
        case .callerOpen:
            guard b == UInt8(ascii: "[") else { return .prefix(timeLength) }
            state = .callerSpaces
        case .callerSpaces:
            if b == UInt8(ascii: " ") { return .undecided }
            guard b == UInt8(ascii: "T") || b == UInt8(ascii: "C") else { return .prefix(timeLength) }
            state = .callerKind
        case .callerKind:
            guard Self.isDigit(b) else { return .prefix(timeLength) }
            state = .callerDigits
        case .callerDigits:
            if Self.isDigit(b) { return .undecided }
            guard b == UInt8(ascii: "]") else { return .prefix(timeLength) }
            state = .callerSpace
        case .callerSpace:
            return .prefix(b == UInt8(ascii: " ") ? read : timeLength)
        }
        return .undecided
    }

    /// The outcome when the line ends before it was decided.
    func end() -> Outcome { timeLength > 0 ? .prefix(timeLength) : .none }

    /// The prefix's length at the start of `line`, or nil.
    static func length(in line: some Sequence<UInt8>) -> Int? {
        var s = PrintkPrefixScanner()
        for b in line {
            switch s.next(b) {
            case .undecided: continue
            case .prefix(let n): return n
            case .none: return nil
            }
        }
        if case .prefix(let n) = s.end() { return n }
        return nil
    }
}
