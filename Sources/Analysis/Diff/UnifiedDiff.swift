/// Unified diffs of text, as `diff -u` prints them (hunks with 3 lines of context).
public enum UnifiedDiff {
    /// The hunks between `a` and `b` (split into lines), or [] when they are equal.
    /// `compareA`/`compareB`, when given, are what is compared (masked lines), while the lines shown are the originals.
    public static func lines(
        _ a: [String], _ b: [String], nameA: String, nameB: String, context: Int = 3, compareA: [String]? = nil, compareB: [String]? = nil
    ) -> [String] {
        let edits = EditScript.diff(compareA ?? a, compareB ?? b)
        guard edits.contains(where: { if case .keep = $0 { return false } else { return true } }) else { return [] }
        var out = ["--- \(nameA)", "+++ \(nameB)"]
        // Group edits into hunks: runs of changes with up to 2*context kept lines between them.
        var i = 0
        while i < edits.count {
            guard let changeStart = edits[i...].firstIndex(where: { if case .keep = $0 { return false } else { return true } }) else {
                break
            }
            var end = changeStart
            var lastChange = changeStart
            while end < edits.count {
                if case .keep = edits[end] {
                    if end - lastChange > 2 * context { break }
                } else {
                    lastChange = end
                }
                end += 1
            }
            let hunkStart = max(i, changeStart - context)
            let hunkEnd = min(edits.count, lastChange + context + 1)
            let hunk = Array(edits[hunkStart..<hunkEnd])
            var aStart: Int?
            var bStart: Int?
            var aCount = 0
            var bCount = 0
            var body: [String] = []
            for e in hunk {
                switch e {
                case .keep(let x, let y):
                    aStart = aStart ?? x
                    bStart = bStart ?? y
                    aCount += 1
                    bCount += 1
                    body.append(" " + a[x])
                case .remove(let x):
                    aStart = aStart ?? x
                    aCount += 1
                    body.append("-" + a[x])
                case .insert(let y):
                    bStart = bStart ?? y
                    bCount += 1
                    body.append("+" + b[y])
                }
            }
            // A side with no lines in the hunk starts after the line before it (diff -u's rule).
            let aFrom = aCount == 0 ? position(before: hunk, in: edits, hunkStart: hunkStart, side: 0) : (aStart! + 1)
            let bFrom = bCount == 0 ? position(before: hunk, in: edits, hunkStart: hunkStart, side: 1) : (bStart! + 1)
            out.append("@@ -\(range(aFrom, aCount)) +\(range(bFrom, bCount)) @@")
            out += body
            i = hunkEnd
        }
        return out
    }

    static func range(_ from: Int, _ count: Int) -> String { count == 1 ? "\(from)" : "\(from),\(count)" }

    /// The 1-based number of the last line of one side before the hunk (0 at the start).
    static func position(before hunk: [Edit], in edits: [Edit], hunkStart: Int, side: Int) -> Int {
        var n = 0
        for e in edits[..<hunkStart] {
            switch e {
            case .keep: n += 1
            case .remove: if side == 0 { n += 1 }
            case .insert: if side == 1 { n += 1 }
            }
        }
        return n
    }

    /// Bytes split into lines at each LF; a final LF does not make an empty last line. A CR
    /// before the LF stays in the line, shown as the two characters `\r` (CRLF eras differ
    /// from LF eras, and the diff must say so visibly).
    public static func split(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0a {
            lines.append(line(bytes[start..<i]))
            start = i + 1
        }
        if start < bytes.count { lines.append(line(bytes[start...])) }
        return lines
    }

    static func line(_ bytes: ArraySlice<UInt8>) -> String {
        if bytes.last == 0x0d { return String(decoding: bytes.dropLast(), as: UTF8.self) + "\\r" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
