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
    /// Lines each mask masked something in, over all outputs, by entry of `OutputMasks`.
    var maskedLines: [Int] = []
    /// VMM log lines of a POST code written again, compared as one (`RecordKeyer`).
    var foldedRepeats = 0
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
            guard !stopped, let key = records.key(r) else { return false }
            batch.keys[0].append(key)
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

        /// The batch so far; the next one starts with room for as many keys (no growing copies).
        mutating func take() -> KeyBatch {
            defer {
                let sizes = batch.keys.map(\.count)
                batch = KeyBatch()
                for k in 0..<Outputs.count where sizes[k] > 0 { batch.keys[k].reserveCapacity(sizes[k]) }
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
            ends.maskedLines = records.matched
            ends.foldedRepeats = records.folded
            for c in consoles { for (i, n) in c.matched.enumerated() { ends.maskedLines[i] += n } }
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
                records: RecordKeyer(
                    formatter: formatter, seed: seed, mode: mode, masks: masks.masks(for: 0), entries: masks.entries.count),
                consoles: (1...3).map { ConsoleLineKeyer(seed: seed, masks: masks.masks(for: $0), entries: masks.entries.count) }))
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
