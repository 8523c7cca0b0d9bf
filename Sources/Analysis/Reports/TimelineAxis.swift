import Foundation

/// The time axis of a timeline picture: linear, except that long stretches with nothing in them
/// are cut out and drawn as narrow breaks labelled with their length.
///
/// Why cuts, and not a log axis or a zoom: a boot-time picture is read by comparing lengths (a
/// phase twice as long should look twice as long), which a log axis gives up everywhere, and a
/// zoom to the steps hides the context a boot engineer wants (what the firmware printed before
/// the first POST code, the console after the last). Boots from 100 us to minutes differ in how
/// their time is spread, not in how much of it is eventful: a QEMU boot spends 4.6 s in SeaBIOS
/// and then runs its guest's steps in 100 ms; a console-only Linux boot waits three minutes
/// between `Booting from ROM` and `Linux version`. Cutting the empty stretches keeps every
/// other stretch linear, on one common scale, and gives the width to where things happen; the
/// cut stretches say how long they were.
///
/// The rule: a stretch between two neighbouring items (steps, phase starts and ends, console
/// lines, the axis's ends, and port I/O buckets holding 1% of the port I/O or more) is cut when
/// it holds less than 1% of the port I/O and is longer than a fiftieth of the whole and than
/// the boot's typical step (the median of the gaps between its steps and phase boundaries,
/// leaving out those under 0.5% of the whole: a mark just after a POST code is one moment):
/// ten times it between the first and the last step, once outside them (what a console printed
/// before the first POST code is context: the SeaBIOS lines of a QEMU boot keep their ticks and
/// labels, but not the width). The longest `maximumCuts` such stretches are cut. Without steps
/// or phases, a stretch is cut when it is longer than half the whole. Ten times the median
/// leaves a boot whose steps are spread evenly (the demo's 30 ms phases) uncut; the port-I/O rule keeps a
/// guest that only does port I/O (a console burst with one line) from being cut away, while
/// the few accesses of a kernel decompressing for minutes do not stop the cut.
struct TimelineAxis {
    /// A linear piece of the axis.
    struct Piece {
        var start: Int64
        var end: Int64
        var x0: Double
        var x1: Double
    }

    /// A stretch cut out: from `start` to `end`, drawn from `x0` to `x1`.
    struct Cut {
        var start: Int64
        var end: Int64
        var x0: Double
        var x1: Double
        var duration: Int64 { end - start }
    }

    static let cutWidth = 40.0
    static let maximumCuts = 8
    /// The narrowest piece (a burst of console lines in a microsecond still gets room for its ticks).
    static let minimumPieceWidth = 8.0

    let start: Int64
    let end: Int64
    private(set) var pieces: [Piece] = []
    private(set) var cuts: [Cut] = []

    /// The axis from `start` to `end` over `x0...x0 + width`; `items` are the times of what is
    /// drawn (in any order), `structure` those of the steps and phase boundaries, `activity`
    /// the port-I/O histogram.
    init(start: Int64, end: Int64, x0: Double, width: Double, items: [Int64], structure: [Int64], activity: ActivityHistogram) {
        self.start = start
        self.end = max(end, start == .max ? start : start + 1)
        let span = Double(self.end) - Double(start)
        // Port I/O within the axis; its heavy buckets are items.
        let counts = activity.total
        let bounds = activity.bounds
        var shown: UInt64 = 0
        for (i, c) in counts.enumerated() where bounds(i).1 > start && bounds(i).0 < self.end { shown &+= c }
        var items = items
        for (i, c) in counts.enumerated() where c > 0 && c >= shown / 100 { items += [bounds(i).0, bounds(i).1] }
        /// The port I/O of the buckets wholly inside a stretch.
        func activityWithin(_ a: Int64, _ b: Int64) -> UInt64 {
            var sum: UInt64 = 0
            for (i, c) in counts.enumerated() where bounds(i).0 >= a && bounds(i).1 <= b { sum &+= c }
            return sum
        }
        let times = Array(Set(items.filter { $0 > start && $0 < self.end } + [start, self.end])).sorted()
        var gaps: [(from: Int64, to: Int64)] = []
        for i in times.indices.dropLast() { gaps.append((times[i], times[i + 1])) }

        // The thresholds: within the steps' span, and outside it (before the first, after the last).
        var within = span / 2
        var outside = span / 2
        let inAxis = structure.filter { $0 >= start && $0 <= self.end }
        let marks = Array(Set(inAxis + [start])).sorted()
        let structureGaps = zip(marks, marks.dropFirst()).map { Double($1) - Double($0) }.filter { $0 > span / 200 }.sorted()
        if !structureGaps.isEmpty, !inAxis.isEmpty {
            let m = structureGaps.count
            let median = m % 2 == 1 ? structureGaps[m / 2] : (structureGaps[m / 2 - 1] + structureGaps[m / 2]) / 2
            within = max(10 * median, span / 50)
            outside = max(median, span / 1000)
        }
        let first = inAxis.min() ?? self.end
        let last = inAxis.max() ?? start
        var cutGaps = gaps.filter { g in
            let length = Double(g.to) - Double(g.from)
            let threshold = g.to <= first || g.from >= last ? outside : within
            return length > threshold && Double(activityWithin(g.from, g.to)) * 100 < Double(max(1, shown))
        }
        cutGaps.sort { Double($0.to) - Double($0.from) > Double($1.to) - Double($1.from) }
        cutGaps = Array(cutGaps.prefix(Self.maximumCuts)).sorted { $0.from < $1.from }
        // Never cut the whole axis: a cut needs a piece beside it to mean anything.
        if cutGaps.count == 1, cutGaps[0].from == start, cutGaps[0].to == self.end { cutGaps = [] }

        // The pieces between the cuts, sharing the width left by the cuts in proportion to their
        // length, each at least `minimumPieceWidth`.
        var spans: [(Int64, Int64)] = []
        var at = start
        for c in cutGaps {
            spans.append((at, c.from))
            at = c.to
        }
        spans.append((at, self.end))
        let room = max(0, width - Double(cutGaps.count) * Self.cutWidth - Double(spans.count) * Self.minimumPieceWidth)
        let kept = spans.reduce(0.0) { $0 + Double($1.1) - Double($1.0) }
        var x = x0
        for (i, s) in spans.enumerated() {
            let share = kept > 0 ? (Double(s.1) - Double(s.0)) / kept : 1 / Double(spans.count)
            let w = Self.minimumPieceWidth + room * share
            pieces.append(Piece(start: s.0, end: s.1, x0: x, x1: x + w))
            x += w
            if i < cutGaps.count {
                cuts.append(Cut(start: cutGaps[i].from, end: cutGaps[i].to, x0: x, x1: x + Self.cutWidth))
                x += Self.cutWidth
            }
        }
    }

    /// Where time `t` is drawn (times outside the axis at its ends).
    func x(_ t: Int64) -> Double {
        if t <= start { return pieces[0].x0 }
        for (i, p) in pieces.enumerated() {
            if t <= p.end { return linear(t, p.start, p.end, p.x0, p.x1) }
            if i < cuts.count, t < cuts[i].end { return linear(t, cuts[i].start, cuts[i].end, cuts[i].x0, cuts[i].x1) }
        }
        return pieces[pieces.count - 1].x1
    }

    private func linear(_ t: Int64, _ a: Int64, _ b: Int64, _ x0: Double, _ x1: Double) -> Double {
        // In floating point: the times may span the whole Int64 range.
        b > a ? x0 + (x1 - x0) * (Double(t) - Double(a)) / (Double(b) - Double(a)) : x0
    }

    /// Round ticks in each piece: 1, 2 or 5 times a power of ten, about one per 100 px.
    func ticks() -> [(time: Int64, label: String)] {
        var out: [(Int64, String)] = []
        for p in pieces {
            let count = max(1, ((p.x1 - p.x0) / 100).rounded(.down))
            let raw = (Double(p.end) - Double(p.start)) / count
            guard raw >= 1 else { continue }
            let power = pow(10, floor(log10(raw)))
            let step = [1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= raw } ?? power * 10
            guard step < 9e18 else { continue }
            let s = Int64(step)
            // The first multiple of the step at or after the piece's start.
            let r = p.start % s
            var t = p.start - r
            if r > 0 {
                let (up, overflow) = t.addingReportingOverflow(s)
                if overflow { continue }
                t = up
            }
            var n = 0
            while t <= p.end && n < 40 {
                out.append((t, Self.tickText(t, step: s)))
                let (next, overflow) = t.addingReportingOverflow(s)
                if overflow { break }
                t = next
                n += 1
            }
        }
        return out
    }

    /// A tick's time, with as many decimals as its step needs: `0`, `250us`, `4.62s`, `3min 20s`.
    static func tickText(_ ns: Int64, step: Int64) -> String {
        if ns == 0 { return "0" }
        if ns < 0 { return "-" + tickText(ns == .min ? .max : -ns, step: step) }
        func decimals(_ unit: Double) -> Int { max(0, min(3, Int(ceil(log10(unit / Double(step)) - 1e-9)))) }
        func value(_ v: Double, _ unit: Double) -> String { String(format: "%.\(decimals(unit))f", v / unit) }
        let v = Double(ns)
        if ns < 1_000 { return "\(ns)ns" }
        if ns < 1_000_000 { return value(v, 1e3) + "us" }
        if ns < 1_000_000_000 { return value(v, 1e6) + "ms" }
        if ns < 60_000_000_000 { return value(v, 1e9) + "s" }
        let minutes = ns / 60_000_000_000
        let rest = ns - minutes * 60_000_000_000
        return rest == 0 ? "\(minutes)min" : "\(minutes)min " + value(Double(rest), 1e9) + "s"
    }
}
