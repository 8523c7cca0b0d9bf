import Foundation
import SystemCalls

/// Writes a trace file. Appends are cheap and never block on compression:
/// the calling thread only adds to the open block; a background thread seals,
/// compresses and writes blocks. Memory stays bounded: at most
/// `Options.maxPendingBlocks` sealed blocks wait for compression, and when they
/// do, appends wait (back-pressure) rather than drop anything.
///
/// A writer made with `init(inMemory:)` writes the same bytes into memory instead, on the
/// calling thread: no file, no sync, no thread, and no sealing by age (there is no crash to
/// lose events to), so a block is sealed only when full. `contents` hands the bytes over;
/// `TraceReader(bytes:)` reads them.
// SAFETY: the state appends and the compression thread share is read and written only while
// holding `condition`; `file` and `compressor` are used by the compression thread alone until
// it has exited, then by `close`; `observer` is set before the first append.
public final class TraceWriter: @unchecked Sendable {
    public struct Options: Sendable {
        /// Seal the open block after this many events.
        public var maxEventsPerBlock = 65_536
        /// Seal the open block once its oldest event is this old (wall time),
        /// so a crashed recorder loses at most this much.
        public var sealInterval: Duration = .milliseconds(100)
        /// zstd compression level. 3: on real recordings level 9 saves under 1% of the size
        /// (1.531 vs 1.521 bytes/event, docs/performance.md) for several times the CPU time.
        public var compressionLevel: Int32 = 3
        /// Sealed blocks allowed to wait for the compression thread.
        public var maxPendingBlocks = 4
        /// End a zstd block at each column boundary, so each column has its own entropy tables.
        public var columnBlocks = true
        /// Largest decompressed block; declared in the header.
        public var maxBlockBytes: UInt32 = 16 << 20
        /// How timestamp columns are coded. `.smaller` (the default) picks, per block, the value
        /// coding or byte planes, whichever is smaller, and makes a format-2 trace; `.planes`
        /// writes format 1, for readers older than porttrace 0.2.
        public var timestampCoding: EventBlockBuilder.TimestampCoding = .smaller
        /// Where the events go while the trace is written.
        public var placement: Placement = .inPlace

        public init() {}
    }

    /// Where a trace is written while it is being written.
    public enum Placement: Sendable {
        /// At its path from the start (created or truncated), so a recorder that is killed leaves
        /// a trace readable up to its last sealed block. For `run` and `record`.
        case inPlace
        /// In a temporary beside its path, renamed over it when the trace is closed, so a write
        /// that fails leaves what was there before (or nothing). For `import`.
        case replaceWhenClosed
    }

    /// The trace's path (for a writer into memory, the name it was given).
    public let path: String
    public let options: Options
    /// Sees each access as it is appended (set before the first append): a recorder watching
    /// for what ends a boot. Called on the appending thread.
    public var observer: (@Sendable (UInt64, EventShape, UnsafeRawBufferPointer) -> Void)?
    /// What event times are taken from (`TraceLimits.timeOrigin` of the metadata written).
    public let timeOrigin: UInt64
    /// Writes to the trace's file, which `output` owns, or to memory.
    private let destination: TraceDestination
    private var output: OutputFile?
    /// Blocks are compressed and written by the thread that seals them (a writer into memory).
    private let synchronous: Bool
    private let headerFrameLength: Int
    private let compressor: ZstdCompressor

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var open: EventBlockBuilder
    private var openSince: ContinuousClock.Instant?
    private var pending: [EventBlockBuilder] = []
    private var closing = false
    private var finished = false
    private var failure: TraceError?
    private var entries: [BlockIndexEntry] = []
    private var fileOffset: UInt64
    private var eventsWritten: UInt64 = 0
    private var threadExited = false

    /// Checks that a trace may be written at `path`: a regular file or a new one (symbolic links
    /// are followed), never standard output, a device, a FIFO or a socket. Commands call it before
    /// they start anything; the writer calls it again.
    public static func checkPath(_ path: String) throws(TraceError) -> OutputTarget {
        guard path != "-" else {
            throw .badOutput("a trace is not written to standard output (the writer seeks back to mark it closed); name a file")
        }
        let target: OutputTarget
        do {
            target = try OutputTarget.resolve(path, allowStandardOutput: false)
        } catch {
            throw .badOutput(error.reason)
        }
        switch target {
        case .regular: return target
        case .standardOutput, .inherited:
            throw .badOutput("a trace is written to a regular file (the writer seeks back to mark it closed), not to a descriptor")
        case .special:
            throw .badOutput("exists and is not a regular file; a trace is written only to a regular file")
        }
    }

    /// Creates the trace at `path` (mode 0600 when new; an existing file keeps its mode) and
    /// writes the header with `state = recording`.
    public init(path: String, metadata: TraceMetadata, options: Options = Options()) throws {
        self.path = path
        self.options = options
        timeOrigin = TraceLimits.timeOrigin(of: metadata)
        let frame = try TraceWriter.headerFrame(metadata: metadata, options: options)
        let target = try TraceWriter.checkPath(path)
        let opened: OutputFile
        do {
            opened = try OutputFile.open(
                path, target: target, contents: .guestData, placement: options.placement == .inPlace ? .inPlace : .replace, readable: true)
        } catch {
            throw TraceError.badOutput(error.reason)
        }
        let destination = TraceDestination.file(opened.handle)
        do {
            try destination.append(frame)
        } catch {
            opened.abandon()
            throw error
        }
        self.destination = destination
        output = consume opened
        synchronous = false
        headerFrameLength = frame.count
        fileOffset = UInt64(frame.count)
        compressor = ZstdCompressor(level: options.compressionLevel)
        open = EventBlockBuilder(capacity: min(options.maxEventsPerBlock, 8192))
        let t = Thread { [self] in self.compressionLoop() }
        t.name = "porttrace-compress"
        t.start()
    }

    /// Writes a trace into memory, byte for byte what `init(path:)` with these options writes to
    /// a file when no block is sealed by age (`Options.sealInterval` does not apply here).
    /// `options.placement` does not apply either. `name` stands for the path in messages.
    public init(inMemory metadata: TraceMetadata, name: String = "(memory)", options: Options = Options()) throws {
        path = name
        self.options = options
        timeOrigin = TraceLimits.timeOrigin(of: metadata)
        let frame = try TraceWriter.headerFrame(metadata: metadata, options: options)
        let buffer = TraceBuffer()
        buffer.bytes = frame
        destination = .memory(buffer)
        output = nil
        synchronous = true
        threadExited = true
        headerFrameLength = frame.count
        fileOffset = UInt64(frame.count)
        compressor = ZstdCompressor(level: options.compressionLevel)
        open = EventBlockBuilder(capacity: min(options.maxEventsPerBlock, 8192))
    }

    /// The header frame for `metadata`, with `state = recording`.
    private static func headerFrame(metadata: TraceMetadata, options: Options) throws -> [UInt8] {
        var header = TraceHeader(metadata: metadata, maxBlockBytes: options.maxBlockBytes)
        if options.timestampCoding == .planes {
            // Nothing a version-1 reader cannot decode.
            header.formatVersion = 1
            header.minimumReaderVersion = 1
        }
        // The limit is on the JSON itself, compressed or not: a reader bounds what it inflates by it.
        let json = header.metadataJSON
        guard json.count <= TraceLimits.maxMetadataBytes else {
            throw TraceError.overLimit(
                "the metadata is \(json.count) bytes of JSON, over the limit of \(TraceLimits.maxMetadataBytes) a trace header holds"
            )
        }
        return header.encodeFrame(json: json)
    }

    /// For a writer into memory, the trace as written so far: after `close()`, the whole trace;
    /// after `abandon()` or a failure, what a killed recorder would have left. Nil for a file.
    public var contents: [UInt8]? {
        guard case .memory(let buffer) = destination else { return nil }
        condition.lock()
        defer { condition.unlock() }
        return buffer.bytes
    }

    // MARK: Appending (any thread)

    /// Appends a port access. The order of appends is the order in the file. An access over
    /// `TraceLimits` (or whose data does not fit its shape) is refused: the writer fails, and
    /// `close()` says why. Importers check with `TraceLimits` first, to name the input line.
    public func append(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
        if let why = TraceLimits.problem(with: shape)
            ?? (data.count == shape.dataLength ? nil : "data of \(data.count) bytes for \(shape.dataLength)")
            ?? problem(withTime: timestamp)
        {
            refuse(why)
            return
        }
        observer?(timestamp, shape, data)
        addToOpenBlock { $0.append(timestamp: timestamp, shape: shape, data: data) }
    }

    public func append(marker: Marker, timestamp: UInt64, vcpu: UInt32 = 0) {
        if let why = TraceLimits.problem(with: marker) ?? TraceLimits.problem(withVCPU: vcpu) ?? problem(withTime: timestamp) {
            refuse(why)
            return
        }
        addToOpenBlock { $0.append(timestamp: timestamp, vcpu: vcpu, marker: marker) }
    }

    /// Appends a port access whose data is in an array.
    public func append(timestamp: UInt64, shape: EventShape, bytes: [UInt8]) {
        // SAFETY: the array's bytes are valid for the closure; the writer copies them.
        bytes.withUnsafeBytes { append(timestamp: timestamp, shape: shape, data: $0) }
    }

    public func append(_ event: PortIOEvent) {
        switch event.payload {
        case .access(var shape, let bytes):
            shape.vcpu = event.vcpu
            append(timestamp: event.timestamp, shape: shape, bytes: bytes)
        case .marker(let m):
            append(marker: m, timestamp: event.timestamp, vcpu: event.vcpu)
        }
    }

    /// Why an event at `t` cannot be in this trace (too far from its VM's start), or nil when it can.
    /// Importers ask first, to name the input line.
    @inline(__always)
    public func problem(withTime t: UInt64) -> String? {
        TraceLimits.timeOffset(t, origin: timeOrigin) == nil ? TraceLimits.problem(withTime: t, origin: timeOrigin) : nil
    }

    /// Why the writer stopped taking events (a write failed: a full disk; or something over the
    /// limits was appended), or nil while it works. A recorder checks it to stop early.
    public var error: TraceError? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Fails the writer: nothing more is appended, and `close()` throws `why`.
    private func refuse(_ why: String) {
        condition.lock()
        if failure == nil { failure = .overLimit(why) }
        condition.unlock()
    }

    /// Runs `add` on the open block under the lock: starts the block's seal timer if it was
    /// empty (waking the compression thread to wait on it) and seals it when full.
    @inline(__always)
    private func addToOpenBlock(_ add: (inout EventBlockBuilder) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        guard !finished, failure == nil else { return }
        if open.isEmpty && !synchronous {
            openSince = .now
            condition.signal()
        }
        add(&open)
        sealIfFull()
    }

    @inline(__always)
    private func sealIfFull() {
        if open.count >= options.maxEventsPerBlock || open.encodedSizeEstimate >= Int(options.maxBlockBytes) - 4096
            || open.shapeCount >= 65_535
        {
            seal()
        }
    }

    /// Moves the open block to the queue; waits while the queue is full. A writer into memory
    /// writes it at once instead. Caller holds the lock.
    private func seal() {
        guard !open.isEmpty else { return }
        if synchronous {
            let block = open
            open = EventBlockBuilder(capacity: min(options.maxEventsPerBlock, 8192))
            openSince = nil
            if failure == nil { record(writeBlock(block)) }
            return
        }
        while pending.count >= options.maxPendingBlocks && failure == nil {
            condition.signal()
            condition.wait()
        }
        pending.append(open)
        open = EventBlockBuilder(capacity: min(options.maxEventsPerBlock, 8192))
        openSince = nil
        condition.broadcast()
    }

    /// Seals the open block now, so that what was appended reaches the file soon.
    public func flush() {
        condition.lock()
        seal()
        condition.unlock()
    }

    // MARK: The compression thread

    private func compressionLoop() {
        condition.lock()
        while true {
            if pending.isEmpty {
                if closing { break }
                if let since = openSince {
                    let age = ContinuousClock.now - since
                    if age >= options.sealInterval {
                        seal()
                        continue
                    }
                    let wait = options.sealInterval - age
                    let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
                    _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
                } else {
                    condition.wait()
                }
                continue
            }
            let block = pending.removeFirst()
            condition.broadcast()
            condition.unlock()
            let result = writeBlock(block)
            condition.lock()
            record(result)
            condition.broadcast()
        }
        threadExited = true
        condition.broadcast()
        condition.unlock()
    }

    /// Notes a block written, or stops the writer when the file cannot take more (`close()`
    /// reports the error). Caller holds the lock.
    private func record(_ result: Result<BlockIndexEntry, TraceError>) {
        switch result {
        case .success(let entry):
            entries.append(entry)
            eventsWritten += UInt64(entry.events)
        case .failure(let error):
            if failure == nil { failure = error }
            pending.removeAll()
            closing = true
            finished = true
        }
    }

    /// Compresses and writes one block. Runs without the lock on the compression thread (only
    /// it touches the file), or with it held for a writer into memory.
    private func writeBlock(_ block: EventBlockBuilder) -> Result<BlockIndexEntry, TraceError> {
        // The planes' size as this compressor makes them decides between the two codings.
        let columnBlocks = options.columnBlocks
        let (raw, columns) = block.encodeWithColumns(options.timestampCoding) { [compressor] planes, cuts in
            (try? compressor.compress(planes, boundaries: columnBlocks ? cuts : []).count) ?? planes.count
        }
        do {
            // Separate entropy tables pay off only when columns are long enough to amortize them.
            let frame = try compressor.compress(raw, boundaries: options.columnBlocks && raw.count >= 2048 ? columns : [])
            try destination.append(frame)
            let entry = BlockIndexEntry(
                offset: fileOffset, compressedSize: UInt32(frame.count), decompressedSize: UInt32(raw.count),
                minTimestamp: block.timestamps.min() ?? 0, maxTimestamp: block.timestamps.max() ?? 0,
                events: UInt32(block.count))
            fileOffset += UInt64(frame.count)
            return .success(entry)
        } catch {
            return .failure(error as? TraceError ?? .zstd("\(error)"))
        }
    }

    // MARK: Closing

    /// Writes the remaining events and a `trace_closed` marker, then the index,
    /// fsyncs, marks the header closed and fsyncs again.
    public func close(at timestamp: UInt64? = nil) throws {
        condition.lock()
        if finished {
            condition.unlock()
            waitForThread()
            throw failure ?? .writerClosed
        }
        let t = timestamp ?? Monotonic.now()
        if let why = problem(withTime: t) {
            if failure == nil { failure = .overLimit("closing at \(why)") }
        } else {
            open.append(timestamp: t, vcpu: 0, marker: Marker(Marker.traceClosed))
        }
        if openSince == nil { openSince = .now }
        seal()
        closing = true
        finished = true
        condition.broadcast()
        condition.unlock()
        waitForThread()
        if let failure { throw failure }
        let index = TraceIndex(blocks: entries, timeIndexOffset: fileOffset)
        do {
            let bytes = index.encode(headerFrameLength: headerFrameLength)
            // A writer into memory writes under the lock, as its blocks were.
            if synchronous { condition.lock() }
            defer { if synchronous { condition.unlock() } }
            try destination.append(bytes)
            try destination.sync()
            try destination.write([1], at: TraceHeader.stateOffset)
            try destination.sync()
        } catch {
            output.take()?.abandon()
            throw error
        }
        do {
            try output.take()?.commit()
        } catch {
            throw TraceError.badOutput(error.reason)
        }
    }

    /// Stops without an index or clean-close mark, as a crashed recorder would leave the file
    /// (blocks already sealed are written). A trace being written beside its path
    /// (`.replaceWhenClosed`) is removed instead, leaving what was there before.
    /// For tests and for giving up after an error.
    public func abandon() {
        condition.lock()
        if !finished { seal() }
        closing = true
        finished = true
        condition.broadcast()
        condition.unlock()
        waitForThread()
        output.take()?.abandon()
    }

    private func waitForThread() {
        condition.lock()
        while !threadExited { condition.wait() }
        condition.unlock()
    }
}

/// CLOCK_MONOTONIC and CLOCK_REALTIME readings in nanoseconds.
public enum Monotonic {
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public static func realtime() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
