/// Unified diffs as `diff -u` prints them: hunks of changes with 3 lines of context, changes
/// closer than twice the context joined into one hunk, removals before insertions.
public enum UnifiedDiff {
    public static let context = 3

    /// One hunk: the lines it covers on each side, and the change blocks inside.
    struct Hunk: Equatable {
        var a: Range<Int>
        var b: Range<Int>
        var blocks: [ChangeBlock]

        /// Lines its body prints (context once, then removed and inserted lines).
        var bodyLines: Int { a.count + blocks.reduce(0) { $0 + $1.b.count } }
    }

    /// Groups change blocks into hunks. `boundaryA`/`boundaryB`: where the lines known to be equal
    /// after the last block end (the sides' lengths, or an earlier point such as where alignment
    /// stopped); context never runs past it.
    static func hunks(_ blocks: [ChangeBlock], boundaryA: Int, boundaryB: Int, context: Int = context) -> [Hunk] {
        var groups: [[ChangeBlock]] = []
        for block in blocks {
            if let last = groups.last?.last, block.a.lowerBound - last.a.upperBound <= 2 * context {
                groups[groups.count - 1].append(block)
            } else {
                groups.append([block])
            }
        }
        var hunks: [Hunk] = []
        var previousEnd = 0
        for (g, group) in groups.enumerated() {
            let first = group.first!
            let last = group.last!
            let before = min(context, first.a.lowerBound - previousEnd, first.b.lowerBound)
            let nextA = g + 1 < groups.count ? groups[g + 1].first!.a.lowerBound : boundaryA
            let nextB = g + 1 < groups.count ? groups[g + 1].first!.b.lowerBound : boundaryB
            let after = max(0, min(context, nextA - last.a.upperBound, nextB - last.b.upperBound))
            hunks.append(
                Hunk(
                    a: (first.a.lowerBound - before)..<(last.a.upperBound + after),
                    b: (first.b.lowerBound - before)..<(last.b.upperBound + after), blocks: group))
            previousEnd = last.a.upperBound
        }
        return hunks
    }

    /// `@@ -a,n +b,m @@`, with diff's rules: a count of 1 is left out; an empty side names the line before it.
    static func header(a: Range<Int>, b: Range<Int>, note: String = "") -> String {
        func side(_ r: Range<Int>) -> String {
            switch r.count {
            case 0: return "\(r.lowerBound),0"
            case 1: return "\(r.lowerBound + 1)"
            default: return "\(r.lowerBound + 1),\(r.count)"
            }
        }
        return "@@ -\(side(a)) +\(side(b)) @@" + (note.isEmpty ? "" : " " + note)
    }

    /// The text after a side's last line when that line has no newline, as `diff` prints it.
    static let noNewline = "\\ No newline at end of file"

    /// One line of a hunk's body: context (from side a), removed (a) or inserted (b), and its index.
    enum BodyLine: Equatable {
        case context(Int)
        case removed(Int)
        case inserted(Int)
    }

    /// A hunk's body in order, context once, removals before insertions in each block.
    static func body(_ h: Hunk) -> some Sequence<BodyLine> {
        var parts: [AnySequence<BodyLine>] = []
        var i = h.a.lowerBound
        for block in h.blocks {
            parts.append(AnySequence((i..<block.a.lowerBound).lazy.map { BodyLine.context($0) }))
            parts.append(AnySequence(block.a.lazy.map { BodyLine.removed($0) }))
            parts.append(AnySequence(block.b.lazy.map { BodyLine.inserted($0) }))
            i = block.a.upperBound
        }
        parts.append(AnySequence((i..<h.a.upperBound).lazy.map { BodyLine.context($0) }))
        return parts.joined()
    }

    /// What the first `n` lines of a hunk's body need: the lines of each side up to where they
    /// stop, and how many of them are removed or inserted lines.
    static func bodyPrefix(_ h: Hunk, lines n: Int) -> (a: Range<Int>, b: Range<Int>, changes: Int) {
        var aEnd = h.a.lowerBound
        var bEnd = h.b.lowerBound
        var changes = 0
        for line in body(h).prefix(n) {
            switch line {
            case .context(let i): aEnd = i + 1
            case .removed(let i):
                aEnd = i + 1
                changes += 1
            case .inserted(let j):
                bEnd = j + 1
                changes += 1
            }
        }
        return (h.a.lowerBound..<aEnd, h.b.lowerBound..<bEnd, changes)
    }

    /// A hunk's header and body (its first `limit` lines, when given). `lastA`/`lastB`: the
    /// index of a side's last line when it has no newline.
    static func render(
        _ h: Hunk, lineA: (Int) -> String, lineB: (Int) -> String, lastA: Int? = nil, lastB: Int? = nil, limit: Int? = nil
    ) -> [String] {
        var out = [header(a: h.a, b: h.b)]
        for line in body(h).prefix(limit ?? Int.max) {
            switch line {
            case .context(let i):
                out.append(" " + lineA(i))
                if i == lastA { out.append(noNewline) }
            case .removed(let i):
                out.append("-" + lineA(i))
                if i == lastA { out.append(noNewline) }
            case .inserted(let j):
                out.append("+" + lineB(j))
                if j == lastB { out.append(noNewline) }
            }
        }
        return out
    }

    /// The hunks between `a` and `b` (lines without their newlines), or [] when they are equal.
    public static func lines(_ a: [String], _ b: [String], nameA: String, nameB: String, context: Int = context) -> [String] {
        let blocks = EditScript.align(a, b) ?? EditScript.wholeReplacement(a, b)
        guard !blocks.isEmpty else { return [] }
        var out = ["--- \(nameA)", "+++ \(nameB)"]
        for h in hunks(blocks, boundaryA: a.count, boundaryB: b.count, context: context) {
            out += render(h, lineA: { a[$0] }, lineB: { b[$0] })
        }
        return out
    }

    /// Bytes split into lines at each LF; a final LF does not make an empty last line.
    public static func split(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0a {
            lines.append(display(bytes[start..<i]))
            start = i + 1
        }
        if start < bytes.count { lines.append(display(bytes[start...])) }
        return lines
    }

    /// A line as a report shows it (without its newline): a CR before the newline stays in
    /// the line as the two characters `\r` (CRLF eras differ from LF eras, and the diff must say
    /// so visibly); bytes that are not UTF-8 become U+FFFD.
    public static func display<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> String {
        var line = bytes[...]
        if line.last == 0x0a { line = line.dropLast() }
        if line.last == 0x0d { return String(decoding: line.dropLast(), as: UTF8.self) + "\\r" }
        return String(decoding: line, as: UTF8.self)
    }
}
