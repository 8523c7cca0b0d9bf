import Devices
import Foundation
import TraceFormat

/// Two traces compared with their outputs streamed: nothing of either output is held whole.
///
/// Pass 1 walks both traces at once, each on a thread of its own, building its timeline and
/// turning every output line into a key (`KeyStream`); the keys go, block by block, through a
/// bounded queue (`KeyChannel`) to this thread, which aligns them (`OutputsComparison`). Two
/// threads because the two walks are independent and the machine has two cores: the pair
/// takes the time of one walk. The queues hold a few blocks each, so a producer that runs
/// ahead waits; this thread takes from the side whose outputs lag, so the lines waiting for
/// their counterparts stay few. (One thread pulling blocks alternately would need a reader
/// that hands out blocks on demand; the reader pushes them, and the walk keeps its state in
/// the stack of that push.)
///
/// Pass 2, only when an output differs, replays both traces again and keeps the text of the
/// lines the hunks show, and nothing else.
extension TraceDiff {
    /// Compares two traces: timelines, traffic, and outputs (the VMM log with its time fields
    /// masked, plus `masks`: by default the consoles' printk prefix). `judgingTimes`: see
    /// `compare(_:_:...)`.
    public static func compare(
        pathA: String, pathB: String, options: TimelineOptions = TimelineOptions(), tolerance: Tolerance = Tolerance(),
        ignoring: Set<DiffSection> = [], judgingTimes: Bool = false, masks: OutputMasks = .standard,
        shownLines: Int = TraceDiff.OutputDiff.defaultShownLines,
        workLimit: Int = EditScript.defaultWorkLimit, progress: ProgressMeter? = nil
    ) throws -> TraceDiff {
        try compare(
            a: .file(pathA), b: .file(pathB), options: options, tolerance: tolerance, ignoring: ignoring,
            judgingTimes: judgingTimes, masks: masks, shownLines: shownLines, workLimit: workLimit, progress: progress)
    }

    /// Compares two traces, from files or memory.
    public static func compare(
        a: TraceSource, b: TraceSource, options: TimelineOptions = TimelineOptions(), tolerance: Tolerance = Tolerance(),
        ignoring: Set<DiffSection> = [], judgingTimes: Bool = false, masks: OutputMasks = .standard,
        shownLines: Int = TraceDiff.OutputDiff.defaultShownLines,
        workLimit: Int = EditScript.defaultWorkLimit, progress: ProgressMeter? = nil
    ) throws -> TraceDiff {
        // Open both first, in order, so a missing or bad file is named the same way every time.
        var total: UInt64 = 0
        for source in [a, b] {
            let reader = try openForAnalysis(source)
            total += reader.index.map { $0.blocks.reduce(UInt64(0)) { $0 + UInt64($1.events) } } ?? 0
        }
        if total > 0 { progress?.expect(total) }
        let seed = LineKeySeed()
        let paths = [a, b]
        // A comparison shows no console lines (the outputs are compared as keys): keeping them
        // would make memory grow with the consoles. Marks still see every line.
        var walk = options
        walk.keptLines = 0
        let pass1 = walk
        let channels = [KeyChannel(), KeyChannel()]
        let walks = (0..<2).map { side in
            BackgroundWork { [channels] () -> Result<BootTimeline, any Error> in
                defer { channels[side].end() }
                return Result {
                    let reader = try openForAnalysis(paths[side])
                    let keys = { (formatter: LogFormatter) -> OutputObserver in
                        KeyStream(formatter: formatter, seed: seed, mode: .masked, masks: masks) { channels[side].put($0) }
                    }
                    return try TimelineBuilder.build(reader: reader, options: pass1, progress: nil, outputs: keys)
                }
            }
        }
        func stop() {
            for c in channels { c.cancel() }
            for w in walks { _ = w.wait() }
        }

        var outputs = OutputsComparison(shownLines: shownLines, workLimit: workLimit)
        var open = [true, true]
        var turn = 0
        while open[0] || open[1] {
            let side: Int
            if !open[0] || !open[1] {
                side = open[0] ? 0 : 1
            } else {
                let lag = (outputs.lag(0), outputs.lag(1))
                side = lag.0 > lag.1 ? 0 : lag.1 > lag.0 ? 1 : turn
                turn ^= 1
            }
            if let batch = channels[side].take() {
                outputs.feed(side, batch)
                progress?.advance(events: UInt64(batch.events))
            } else {
                open[side] = false
                if case .failure(let e) = walks[side].wait() {
                    stop()
                    throw e
                }
            }
        }
        progress?.finish()
        outputs.finish()
        let ended = walks.map { $0.wait() }
        let timelines = try ended.map { try $0.get() }

        var diffs: [OutputDiff] = []
        if outputs.isDifferent {
            let plans = outputs.plans()
            var lean = options
            lean.marks = []
            lean.keptLines = 0
            let quiet = lean
            let captures = (0..<2).map { side in
                let wanted = OutputsComparison.wanted(plans, side: side)
                return BackgroundWork { () -> Result<[[Int: String]], any Error> in
                    Result {
                        var capture: LineCapture?
                        _ = try TimelineBuilder.build(
                            reader: try openForAnalysis(paths[side]), options: quiet, progress: nil,
                            outputs: { formatter in
                                let c = LineCapture(formatter: formatter, wanted: wanted, foldsRepeats: true)
                                capture = c
                                return c
                            })
                        return capture?.shown ?? [[:], [:], [:], [:]]
                    }
                }
            }
            // Both finish before an error is thrown: no walk outlives the call.
            let results = captures.map { $0.wait() }
            let shown = try results.map { try $0.get() }
            diffs = outputs.diffs(plans, shownA: shown[0], shownB: shown[1], nameA: "a", nameB: "b")
        }
        let folded = outputs.ends.map { $0?.foldedRepeats ?? 0 }
        var applied = [
            AppliedMask.logTimes,
            AppliedMask(
                kind: .logRepeats, name: "repeated POST code lines", outputs: [Outputs.names[0]], linesA: folded[0], linesB: folded[1]),
        ]
        for (i, entry) in masks.entries.enumerated() {
            let lines = outputs.ends.map { $0.flatMap { i < $0.maskedLines.count ? $0.maskedLines[i] : nil } ?? 0 }
            applied.append(
                AppliedMask(
                    kind: entry.mask is PrintkPrefixMask ? .printkTime : .pattern, name: entry.mask.name,
                    outputs: entry.outputs.map { Outputs.names[$0] }, linesA: lines[0], linesB: lines[1]))
        }
        return compare(
            timelines[0], timelines[1], tolerance: tolerance, ignoring: ignoring, judgingTimes: judgingTimes, outputs: diffs,
            masks: applied)
    }
}

/// Opens a trace for an analysis, naming the file in the error.
func openForAnalysis(_ source: TraceSource) throws -> TraceReader {
    do {
        return try source.open()
    } catch let e as TraceError {
        throw AnalysisError.trace(path: source.name, e)
    }
}

/// One producer's key batches on their way to the consumer: at most `capacity` wait, so a
/// producer that runs ahead waits for the consumer (memory stays bounded).
// SAFETY: `queue`, `ended` and `cancelled` are read and written only with `condition` locked.
final class KeyChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [KeyBatch] = []
    private var head = 0
    private var ended = false
    private var cancelled = false
    static let capacity = 8

    /// Hands a batch over, waiting for room; false when the consumer has gone.
    func put(_ batch: KeyBatch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count - head >= KeyChannel.capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        queue.append(batch)
        condition.broadcast()
        return true
    }

    /// The next batch, waiting for one; nil once the producer has ended and all were taken.
    func take() -> KeyBatch? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count && !ended { condition.wait() }
        guard head < queue.count else { return nil }
        let batch = queue[head]
        queue[head] = KeyBatch()
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        condition.broadcast()
        return batch
    }

    /// The producer is done.
    func end() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer is gone: a waiting or later `put` returns false.
    func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }
}

/// Work on a thread of its own; `wait()` returns its result (as often as asked). The thread is
/// a Dispatch worker (each work its own serial queue, so each gets a thread however many CPUs
/// there are), which stays parked after the work: a thread of its own would still be tearing
/// down when the command exits, and LeakSanitizer, which scans live threads, can then take what
/// it held for a leak (a diff under AddressSanitizer once exited 1 after printing SAME).
// SAFETY: `result` is written once by the worker and read by `wait()`, both with `condition` locked.
final class BackgroundWork<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: T?

    init(_ work: @escaping @Sendable () -> T) {
        DispatchQueue(label: "porttrace-walk").async { [self] in
            let r = work()
            condition.lock()
            result = r
            condition.broadcast()
            condition.unlock()
        }
    }

    func wait() -> T {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
