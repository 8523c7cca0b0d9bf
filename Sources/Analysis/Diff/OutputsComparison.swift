/// The four outputs of two runs compared (side 0 and side 1): pass 1 aligns their keys; the
/// plan says which lines a report shows; pass 2's captured text makes the unified diffs.
struct OutputsComparison {
    /// Lines of hunks a report shows per output; past them, hunks are counted, not shown.
    let shownLines: Int
    var aligners: [StreamAligner]
    var ends: [OutputEnds?] = [nil, nil]

    init(shownLines: Int = TraceDiff.OutputDiff.defaultShownLines, workLimit: Int = EditScript.defaultWorkLimit) {
        self.shownLines = shownLines
        aligners = Array(repeating: StreamAligner(workLimit: workLimit), count: Outputs.count)
    }

    mutating func feed(_ side: Int, _ batch: KeyBatch) {
        for k in 0..<Outputs.count { aligners[k].feed(side, batch.keys[k]) }
        if let e = batch.ends { ends[side] = e }
    }

    mutating func finish() {
        for k in 0..<Outputs.count { aligners[k].finish() }
    }

    var isDifferent: Bool { aligners.contains(where: \.isDifferent) }

    /// How far `side` lags behind the other, in lines, on the output where it lags most.
    func lag(_ side: Int) -> Int {
        aligners.map { $0.pendingCount(1 - side) - $0.pendingCount(side) }.max() ?? 0
    }

    /// What a report shows of one output.
    struct Plan {
        var hunks: [UnifiedDiff.Hunk] = []
        /// The last hunk shown is cut after this many body lines (it alone would pass the budget).
        var cut: (lines: Int, a: Range<Int>, b: Range<Int>)?
        var omittedHunks = 0
        /// Removed and inserted lines not shown.
        var omittedLines = 0
        /// The first lines of each side after alignment stopped.
        var diverged: (a: Range<Int>, b: Range<Int>, note: StreamAligner.Divergence)?
    }

    /// Lines shown after the point where alignment stopped, per side.
    static let divergedLines = 10

    func plans() -> [Plan?] {
        aligners.enumerated().map { k, al in
            guard al.isDifferent else { return nil }
            var plan = Plan()
            let totalA = al.total[0]
            let totalB = al.total[1]
            var boundaryA = totalA
            var boundaryB = totalB
            if let d = al.divergence {
                boundaryA = d.a
                boundaryB = d.b
                plan.diverged = (
                    d.a..<min(totalA, d.a + OutputsComparison.divergedLines), d.b..<min(totalB, d.b + OutputsComparison.divergedLines), d
                )
            }
            if let first = al.firstOmitted {
                boundaryA = min(boundaryA, first.a.lowerBound)
                boundaryB = min(boundaryB, first.b.lowerBound)
            }
            var budget = shownLines
            for h in UnifiedDiff.hunks(al.blocks, boundaryA: boundaryA, boundaryB: boundaryB) {
                let changes = h.blocks.reduce(0) { $0 + $1.a.count + $1.b.count }
                if h.bodyLines <= budget {
                    plan.hunks.append(h)
                    budget -= h.bodyLines
                } else if budget > 0 && plan.cut == nil {
                    // Too long for what is left: its first lines, and the count of the rest.
                    let prefix = UnifiedDiff.bodyPrefix(h, lines: budget)
                    plan.hunks.append(h)
                    plan.cut = (budget, prefix.a, prefix.b)
                    plan.omittedLines += changes - prefix.changes
                    budget = 0
                } else {
                    plan.omittedHunks += 1
                    plan.omittedLines += changes
                }
            }
            plan.omittedHunks += al.omitted.blocks
            plan.omittedLines += al.omitted.removed + al.omitted.inserted
            return plan
        }
    }

    /// The lines of `side` the plans show, per output.
    static func wanted(_ plans: [Plan?], side: Int) -> [[Range<Int>]] {
        plans.map { plan in
            guard let plan else { return [] }
            var ranges = plan.hunks.map { side == 0 ? $0.a : $0.b }
            if let cut = plan.cut, !ranges.isEmpty { ranges[ranges.count - 1] = side == 0 ? cut.a : cut.b }
            if let d = plan.diverged { ranges.append(side == 0 ? d.a : d.b) }
            return ranges.filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        }
    }

    /// The unified diffs, from the plans and the captured lines of each side.
    func diffs(_ plans: [Plan?], shownA: [[Int: String]], shownB: [[Int: String]], nameA: String, nameB: String) -> [TraceDiff.OutputDiff] {
        var out: [TraceDiff.OutputDiff] = []
        for (k, plan) in plans.enumerated() {
            guard let plan else { continue }
            let ends = (ends[0] ?? OutputEnds(), ends[1] ?? OutputEnds())
            let lastA = ends.0.noNewlineAtEnd[k] ? aligners[k].total[0] - 1 : nil
            let lastB = ends.1.noNewlineAtEnd[k] ? aligners[k].total[1] - 1 : nil
            let name = Outputs.names[k]
            var lines = ["--- \(nameA)/\(name)", "+++ \(nameB)/\(name)"]
            let lineA = { (i: Int) in shownA[k][i] ?? "" }
            let lineB = { (i: Int) in shownB[k][i] ?? "" }
            for (n, h) in plan.hunks.enumerated() {
                let limit = n == plan.hunks.count - 1 ? plan.cut?.lines : nil
                lines += UnifiedDiff.render(h, lineA: lineA, lineB: lineB, lastA: lastA, lastB: lastB, limit: limit)
            }
            var diff = TraceDiff.OutputDiff(name: name, hunks: lines)
            if k == 0 && (ends.0.foldedRepeats > 0 || ends.1.foldedRepeats > 0) {
                diff.folded = (ends.0.foldedRepeats, ends.1.foldedRepeats)
            }
            if plan.omittedLines > 0 || plan.omittedHunks > 0 {
                diff.omitted = .init(hunks: plan.omittedHunks, lines: plan.omittedLines, limit: shownLines)
            }
            if let (a, b, d) = plan.diverged {
                let restA = aligners[k].total[0] - d.a
                let restB = aligners[k].total[1] - d.b
                diff.unaligned = .init(lineA: d.a + 1, lineB: d.b + 1, restA: restA, restB: restB, reason: d.reason)
                var body = [UnifiedDiff.header(a: a, b: b, note: "not aligned from here")]
                for i in a {
                    body.append("-" + lineA(i))
                    if i == lastA { body.append(UnifiedDiff.noNewline) }
                }
                for j in b {
                    body.append("+" + lineB(j))
                    if j == lastB { body.append(UnifiedDiff.noNewline) }
                }
                diff.hunks += body
            }
            out.append(diff)
        }
        return out
    }
}
