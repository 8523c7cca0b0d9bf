import Devices

/// The regenerated outputs of one replay as they are produced: log records, and console bytes
/// as printed. Output 0 is the VMM log; 1, 2 and 3 the debug console, firmware debug and serial.
protocol OutputObserver: LogRecordObserver {
    func console(_ output: Int, _ bytes: [UInt8])
    /// After each block of the trace; false stops the walk (nobody wants the rest).
    func blockEnd(events: Int) -> Bool
    /// After the last block.
    func end()
}

enum Outputs {
    static let names = ["vmm log", "debug console", "firmware debug", "serial"]
    static let count = 4
}

/// How one side's outputs ended.
struct OutputEnds: Sendable, Equatable {
    var lines = [0, 0, 0, 0]
    /// Bytes printed on each console (index 0, the log, unused).
    var bytes = [0, 0, 0, 0]
    /// The last line has no newline (consoles only: log lines always end with one).
    var noNewlineAtEnd = [false, false, false, false]
}

/// Keys of the lines one side produced since the last batch.
struct KeyBatch: Sendable {
    var keys: [[UInt64]] = [[], [], [], []]
    var events = 0
    /// Set on the last batch.
    var ends: OutputEnds?
}

/// Pass 1: every output line into a key (`RecordKeyer`, `ConsoleLineKeyer`), handed on after
/// each block, or sooner when a block holds many lines (a batch stays under `batchKeys`).
/// Its state is one value in a buffer it owns, so a record costs no dynamic exclusivity check
/// (a log line per event is the hot path of a comparison).
final class KeyStream: OutputObserver {
    static let batchKeys = 1 << 14

    struct Core {
        var records: RecordKeyer
        var consoles: [ConsoleLineKeyer]
        var batch = KeyBatch()
        var batchSize = 0
        var logLines = 0
        /// The consumer has gone: keys are no longer made.
        var stopped = false

        /// Keys a record; true when the batch is full.
        mutating func record(_ r: LogRecord) -> Bool {
            guard !stopped else { return false }
            batch.keys[0].append(records.key(r))
            logLines += 1
            batchSize += 1
            return batchSize >= KeyStream.batchKeys
        }

        mutating func console(_ output: Int, _ bytes: [UInt8]) -> Bool {
            guard !stopped else { return false }
            var keys = batch.keys[output]
            batch.keys[output] = []
            let before = keys.count
            consoles[output - 1].consume(bytes) { keys.append($0) }
            batchSize += keys.count - before
            batch.keys[output] = keys
            return batchSize >= KeyStream.batchKeys
        }

        mutating func take() -> KeyBatch {
            defer {
                batch = KeyBatch()
                batchSize = 0
            }
            return batch
        }

        mutating func finish() {
            var ends = OutputEnds()
            ends.lines[0] = logLines
            for k in 1...3 {
                var keys = batch.keys[k]
                ends.noNewlineAtEnd[k] = consoles[k - 1].inLine
                consoles[k - 1].finish { keys.append($0) }
                batch.keys[k] = keys
                ends.lines[k] = consoles[k - 1].lines
                ends.bytes[k] = consoles[k - 1].bytes
            }
            batch.ends = ends
        }
    }

    private let core: UnsafeMutablePointer<Core>
    private let deliver: (KeyBatch) -> Bool

    init(formatter: LogFormatter, seed: LineKeySeed, mode: RecordKeyer.Mode, masks: OutputMasks, deliver: @escaping (KeyBatch) -> Bool) {
        // SAFETY: one Core, allocated and initialized here, deinitialized and freed in deinit; only this stream uses it,
        // from the one thread that walks its trace.
        core = .allocate(capacity: 1)
        core.initialize(
            to: Core(
                records: RecordKeyer(formatter: formatter, seed: seed, mode: mode, masks: masks.perOutput[0]),
                consoles: (1...3).map { ConsoleLineKeyer(seed: seed, masks: masks.perOutput[$0]) }))
        self.deliver = deliver
    }

    deinit {
        // SAFETY: `core` was initialized in init and is not used after this.
        core.deinitialize(count: 1)
        core.deallocate()
    }

    func record(_ r: LogRecord) {
        if core.pointee.record(r) { send() }
    }

    func console(_ output: Int, _ bytes: [UInt8]) {
        if core.pointee.console(output, bytes) { send() }
    }

    private func send() {
        if !deliver(core.pointee.take()) { core.pointee.stopped = true }
    }

    func blockEnd(events: Int) -> Bool {
        core.pointee.batch.events += events
        if !core.pointee.stopped { send() }
        return !core.pointee.stopped
    }

    func end() {
        core.pointee.finish()
        if !core.pointee.stopped { send() }
    }
}

/// Pass 2: the text of the lines a report shows, read again from a second replay.
final class LineCapture: OutputObserver {
    /// A shown line is cut here (the rest is counted in the line).
    static let longestShown = 64 * 1024
    private let formatter: LogFormatter
    /// Per output: the lines wanted, sorted and disjoint.
    private let wanted: [[Range<Int>]]
    private var cursor = [0, 0, 0, 0]
    private var index = [0, 0, 0, 0]
    /// The console line being captured, if it is wanted; and how long it really is.
    private var current: [[UInt8]?] = [nil, nil, nil, nil]
    private var currentLength = [0, 0, 0, 0]
    private var atLineStart = [true, true, true, true]
    private(set) var lines: [[Int: [UInt8]]] = [[:], [:], [:], [:]]

    init(formatter: LogFormatter, wanted: [[Range<Int>]]) {
        self.formatter = formatter
        self.wanted = wanted
    }

    /// Whether line `i` of `output` is wanted (lines are asked for in order).
    private func wants(_ output: Int, _ i: Int) -> Bool {
        let ranges = wanted[output]
        while cursor[output] < ranges.count && ranges[cursor[output]].upperBound <= i { cursor[output] += 1 }
        return cursor[output] < ranges.count && ranges[cursor[output]].contains(i)
    }

    func record(_ r: LogRecord) {
        let i = index[0]
        index[0] += 1
        guard wants(0, i) else { return }
        var bytes: [UInt8] = []
        formatter.write(r, into: &bytes)
        lines[0][i] = bytes
    }

    func console(_ output: Int, _ bytes: [UInt8]) {
        var start = 0
        while start < bytes.count {
            if atLineStart[output] {
                atLineStart[output] = false
                current[output] = wants(output, index[output]) ? [] : nil
                currentLength[output] = 0
            }
            let newline = bytes[start...].firstIndex(of: 0x0a)
            let end = newline ?? bytes.count
            currentLength[output] += end - start
            if current[output] != nil {
                let room = LineCapture.longestShown - current[output]!.count
                current[output]!.append(contentsOf: bytes[start..<min(end, start + max(0, room))])
            }
            if newline != nil {
                endLine(output)
                start = end + 1
            } else {
                start = end
            }
        }
    }

    private func endLine(_ output: Int) {
        if var line = current[output] {
            if currentLength[output] > line.count {
                line += Array(" [... \(currentLength[output] - line.count) more bytes]".utf8)
            }
            lines[output][index[output]] = line
        }
        current[output] = nil
        index[output] += 1
        atLineStart[output] = true
    }

    func blockEnd(events: Int) -> Bool { true }

    func end() {
        for k in 1...3 where !atLineStart[k] { endLine(k) }
    }

    /// What was captured, as the text a report shows.
    var shown: [[Int: String]] { lines.map { $0.mapValues { UnifiedDiff.display($0) } } }
}

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
