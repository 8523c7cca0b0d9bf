/// Input lines an import could not use, or not use faithfully: every one counted, the first
/// `kept` listed with their numbers (memory stays bounded whatever the input).
public struct LineProblems: Sendable {
    public static let kept = 1000

    /// How many lines had a problem.
    public private(set) var count = 0
    /// The first `kept` of them, in input order: line number and why.
    public private(set) var listed: [(line: Int, reason: String)] = []

    public init() {}

    public var isEmpty: Bool { count == 0 }

    mutating func add(line: Int, _ reason: String) {
        count += 1
        if listed.count < LineProblems.kept { listed.append((line, reason)) }
    }

    /// Why a line over a reader's `longestLine` was not read.
    public static func overlong(_ reader: LineReader) -> String {
        "the line is over \(reader.longestLine) bytes, the longest this import reads"
    }

    /// Input text quoted in a message: at most 64 characters of it, so one long field does not
    /// make a long message.
    static func quote<S: StringProtocol>(_ text: S) -> String {
        text.count <= 64 ? "'\(text)'" : "'\(text.prefix(61))...'"
    }
}
