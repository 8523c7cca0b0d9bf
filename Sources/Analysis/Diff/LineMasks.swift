import Patterns

/// A part of each line that is compared masked: whatever those bytes hold, two lines that
/// differ only there are the same. The lines shown are always the real ones. The VMM log's
/// time fields are masked structurally (`RecordKeyer`); a kernel's printk time
/// (`PrintkPrefixMask`) and a user's `--mask PATTERN` (`PatternMask`) are masks like this one.
public protocol LineMask: Sendable {
    /// What the report calls it.
    var name: String { get }
    /// The byte ranges of `line` (its content, without the newline) to mask; any order, may overlap.
    func maskedRanges(in line: ArraySlice<UInt8>) -> [Range<Int>]
}

/// A mask given as a function.
public struct FunctionMask: LineMask {
    public let name: String
    let ranges: @Sendable (ArraySlice<UInt8>) -> [Range<Int>]

    public init(name: String, ranges: @escaping @Sendable (ArraySlice<UInt8>) -> [Range<Int>]) {
        self.name = name
        self.ranges = ranges
    }

    public func maskedRanges(in line: ArraySlice<UInt8>) -> [Range<Int>] { ranges(line) }
}

/// `--mask PATTERN`: every match of a user's pattern (RE2, through `Pattern`) is masked. The
/// pattern sees a line's bytes as they were printed (terminal control sequences included) without
/// its line ending (`\r\n` or `\n`), so `$` is the end of the text. Empty matches mask nothing.
///
/// Each search is linear in the rest of the line; for ordinary patterns a line costs a few
/// searches of a few bytes each. A contrived pattern whose preferred alternative runs on to the
/// line's end while a lesser one matches at every byte (`[a-z]*X|a` on a line of `a`s) makes
/// each of the line's matches read to its end: quadratic in the line, and bounded by the 64 KiB
/// a mask sees (`LineMasking.window`; seconds for such a line, docs/performance.md). The pattern
/// is the user's, and no guest output makes an ordinary pattern behave so; the README says it.
public struct PatternMask: LineMask {
    public let pattern: Pattern
    public var name: String { pattern.source }

    public init(_ pattern: Pattern) { self.pattern = pattern }

    /// Compiles `source`; a pattern RE2 refuses throws its reason.
    public init(source: String) throws(PatternError) { pattern = try Pattern(source) }

    public func maskedRanges(in line: ArraySlice<UInt8>) -> [Range<Int>] {
        var text = line
        if text.last == 0x0a { text = text.dropLast() }
        if text.last == 0x0d { text = text.dropLast() }
        var ranges: [Range<Int>] = []
        var position = 0
        while position <= text.count, let m = pattern.firstMatch(in: text, from: position) {
            if m.isEmpty {
                position = m.upperBound + 1
            } else {
                ranges.append((line.startIndex + m.lowerBound)..<(line.startIndex + m.upperBound))
                position = m.upperBound
            }
        }
        return ranges
    }
}

/// Linux's printk prefix at the start of a console line (`PrintkPrefixScanner`).
public struct PrintkPrefixMask: LineMask {
    public static let name = "printk time"
    public var name: String { PrintkPrefixMask.name }

    public init() {}

    public func maskedRanges(in line: ArraySlice<UInt8>) -> [Range<Int>] {
        guard let n = PrintkPrefixScanner.length(in: line) else { return [] }
        return [line.startIndex..<(line.startIndex + n)]
    }
}

/// The masks of a comparison, each with the outputs it applies to (0: the VMM log, 1: debug
/// console, 2: firmware debug, 3: serial). Masks see the first `LineMasking.window` bytes of a
/// line.
public struct OutputMasks: Sendable {
    public struct Entry: Sendable {
        public let mask: any LineMask
        public let outputs: [Int]
    }

    public private(set) var entries: [Entry] = []

    /// No masks (the VMM log's times are masked all the same: `RecordKeyer`).
    public init() {}

    /// What `diff` compares two boots with by default: the consoles with Linux's printk prefix masked.
    public static var standard: OutputMasks {
        var m = OutputMasks()
        m.add(PrintkPrefixMask(), outputs: [1, 2, 3])
        return m
    }

    /// Adds a mask for `outputs` (all four by default).
    public mutating func add(_ mask: any LineMask, outputs: [Int] = [0, 1, 2, 3]) {
        entries.append(Entry(mask: mask, outputs: outputs.filter { (0..<Outputs.count).contains($0) }))
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The masks of one output, with their places in `entries`.
    func masks(for output: Int) -> [(entry: Int, mask: any LineMask)] {
        entries.enumerated().filter { $0.element.outputs.contains(output) }.map { ($0.offset, $0.element.mask) }
    }
}

enum LineMasking {
    /// Masks see this much of a line (the longest line a console tap keeps).
    static let window = 64 * 1024

    /// Hashes `line` with the masks' ranges (merged) each compared as one masked field; counts,
    /// in `matched` (indexed by entry), each mask that masked something, and returns them as bits
    /// (bit i: `masks[i]`, for the first 64).
    @discardableResult
    static func hash(
        _ line: ArraySlice<UInt8>, masks: [(entry: Int, mask: any LineMask)], into h: inout LineHasher, matched: inout [Int]
    ) -> UInt64 {
        var ranges: [Range<Int>] = []
        var bits: UInt64 = 0
        for (i, (entry, mask)) in masks.enumerated() {
            let found = mask.maskedRanges(in: line).map { r in
                max(r.lowerBound, line.startIndex)..<min(max(r.upperBound, line.startIndex), line.endIndex)
            }.filter { !$0.isEmpty }
            if !found.isEmpty {
                matched[entry] += 1
                if i < 64 { bits |= 1 << UInt64(i) }
                ranges += found
            }
        }
        guard !ranges.isEmpty else {
            h.bytes(line)
            return bits
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var at = line.startIndex
        var i = 0
        while i < ranges.count {
            var r = ranges[i]
            while i + 1 < ranges.count && ranges[i + 1].lowerBound <= r.upperBound {
                r = r.lowerBound..<max(r.upperBound, ranges[i + 1].upperBound)
                i += 1
            }
            if r.lowerBound >= at {
                h.bytes(line[at..<r.lowerBound])
                h.mask()
                at = r.upperBound
            } else if r.upperBound > at {
                at = r.upperBound
            }
            i += 1
        }
        h.bytes(line[at...])
        return bits
    }
}
