/// Reads a trace with bounded memory: one block at a time; from a file, or from bytes in memory.
///
/// A cleanly closed trace has an index, used to seek by time. A trace without
/// one (a crashed recorder) is read by scanning frames: every complete block is
/// returned, then the scan says where and why it stopped. A damaged block is
/// reported with its offset and the scan goes on with the next frame.
public final class TraceReader {
    public let path: String
    public let header: TraceHeader
    public let fileSize: UInt64
    /// The index, when the file has a valid one.
    public let index: TraceIndex?
    /// Why there is no index, when there is none.
    public let indexProblem: String
    public let headerFrameLength: Int
    private let file: TraceFile
    private let decompressor: ZstdDecompressor
    /// The block size limit in force: the header's declaration, capped by the hard limit.
    public let blockLimit: UInt32
    /// What event times are taken from (`TraceLimits.timeOrigin`): a block holding an event
    /// further from it than `TraceLimits.maxTimeOffset` is damaged.
    public let timeOrigin: UInt64

    public convenience init(path: String) throws {
        try self.init(file: try TraceFile.openForReading(path), path: path)
    }

    /// Reads a trace held in memory (as `TraceWriter(inMemory:)` writes one), exactly as the
    /// same bytes in a file are read. `name` stands for the path in messages.
    public convenience init(bytes: [UInt8], name: String = "(memory)") throws {
        try self.init(file: .memory(bytes), path: name)
    }

    private init(file: consuming TraceFile, path: String) throws {
        self.path = path
        self.file = file
        let st = try self.file.status()
        if st.isDirectory { throw TraceError.isDirectory }
        if !st.isRegular { throw TraceError.notRegularFile }
        fileSize = st.size
        if st.isRegular && fileSize == 0 { throw TraceError.emptyFile }
        (header, headerFrameLength) = try TraceHeader.read(from: self.file, fileSize: fileSize)
        blockLimit = min(header.maxBlockBytes, UInt32(TraceLimits.maxBlockBytes))
        timeOrigin = TraceLimits.timeOrigin(of: header.metadata)
        decompressor = ZstdDecompressor(maxContent: Int(blockLimit))
        (index, indexProblem) = TraceIndex.read(from: self.file, fileSize: fileSize, headerFrameLength: headerFrameLength)
    }

    public var metadata: TraceMetadata { header.metadata }

    /// Cleanly closed: the header says so and the index checks out.
    public var isComplete: Bool { header.closedCleanly && index != nil }

    /// A problem met while scanning: where, and what.
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        public enum Kind: Sendable { case damaged, truncated, unknownFrame, unknownBlockKind, unknownEventKind }
        public var offset: UInt64
        public var kind: Kind
        public var reason: String

        public init(offset: UInt64, kind: Kind, reason: String, inHeader: Bool = false) {
            self.offset = offset
            self.kind = kind
            self.reason = reason
            self.inHeader = inHeader
        }
        public var description: String { "byte \(offset): \(reason)" }
        /// A problem of the header frame (always damage: see `TraceVerdict`).
        public var inHeader = false
        /// Warnings are things skipped on purpose (kinds from newer writers); the rest is damage.
        public var isWarning: Bool { kind == .unknownFrame || kind == .unknownBlockKind || kind == .unknownEventKind }
    }

    /// What a scan found besides the blocks it delivered.
    public struct ScanReport: Sendable {
        public init() {}
        public var blocks = 0
        public var events: UInt64 = 0
        public var problems: [Problem] = []
        /// The byte where reading ended early (truncation), if it did.
        public var stoppedAt: UInt64?
        public var sawIndex = false
        public var damage: [Problem] { problems.filter { !$0.isWarning } }
        public var warnings: [Problem] { problems.filter { $0.isWarning } }
    }

    /// Reads blocks in file order, from the first block whose events may reach `from`
    /// (using the index when there is one). `body` returns false to stop early.
    @discardableResult
    public func scan(from: UInt64? = nil, _ body: (EventBlock) throws -> Bool) throws -> ScanReport {
        var report = ScanReport()
        if let d = header.damage {
            report.problems.append(
                Problem(offset: d.offset, kind: d.truncated ? .truncated : .damaged, reason: "header: \(d.reason)", inHeader: true))
        }
        var offset = UInt64(headerFrameLength)
        var limitEnd = fileSize
        if let index {
            limitEnd = index.timeIndexOffset
            if let from, let first = index.blocks.firstIndex(where: { $0.maxTimestamp >= from }) {
                offset = index.blocks[first].offset
            } else if from != nil {
                offset = limitEnd
            }
            report.sawIndex = true
        }
        while offset < limitEnd {
            let head = try file.read(at: offset, count: 8)
            guard head.count >= 4 else {
                report.problems.append(
                    Problem(offset: offset, kind: .truncated, reason: "file ends \(head.count) bytes into a frame's magic number"))
                report.stoppedAt = offset
                break
            }
            // SAFETY: `head` holds at least 4 bytes (checked above); an unaligned load of the first 4.
            let magic = head.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian }
            if ZstdMagic.isSkippable(magic) {
                guard head.count == 8 else {
                    report.problems.append(Problem(offset: offset, kind: .truncated, reason: "file ends inside a skippable frame header"))
                    report.stoppedAt = offset
                    break
                }
                // SAFETY: `head` holds 8 bytes (checked above); an unaligned load of bytes 4..<8.
                let size = UInt64(head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian })
                guard offset + 8 + size <= fileSize else {
                    report.problems.append(
                        Problem(offset: offset, kind: .truncated, reason: "file ends inside a skippable frame of \(size) bytes"))
                    report.stoppedAt = offset
                    break
                }
                if magic == TraceIndex.timeIndexMagic || magic == TraceIndex.seekTableMagic {
                    report.sawIndex = true
                } else {
                    report.problems.append(
                        Problem(
                            offset: offset, kind: .unknownFrame,
                            reason: "skipped a skippable frame with magic 0x\(String(magic, radix: 16)) this reader does not know"))
                }
                offset += 8 + size
                continue
            }
            guard magic == ZstdMagic.frame else {
                report.problems.append(
                    Problem(offset: offset, kind: .damaged, reason: "no frame starts here (magic 0x\(String(magic, radix: 16)))"))
                guard let next = try nextFrame(after: offset, end: limitEnd) else { break }
                offset = next
                continue
            }
            switch try decompressor.decodeFrame(in: file, at: offset, fileSize: fileSize) {
            case .content(let bytes, let frameLength):
                let frameEnd = offset + UInt64(frameLength)
                // SAFETY: the block bytes are valid for the closure; decode checks every length against them and copies what it keeps.
                let decoded = bytes.withUnsafeBytes { EventBlock.decode($0) }
                switch decoded {
                case .success(.events(let block)):
                    if let i = TraceLimits.firstTimeOverLimit(block.timestamps, origin: timeOrigin) {
                        // Not delivered: every reader gets only times whose offsets, and their differences, fit 64 bits.
                        let why = TraceLimits.problem(withTime: block.timestamps[i], origin: timeOrigin) ?? ""
                        report.problems.append(
                            Problem(offset: offset, kind: .damaged, reason: "block content is damaged: event \(i): \(why)"))
                        break
                    }
                    report.blocks += 1
                    report.events += UInt64(block.count - block.skippedEvents)
                    if block.skippedEvents > 0 {
                        report.problems.append(
                            Problem(
                                offset: offset, kind: .unknownEventKind,
                                reason: "skipped \(block.skippedEvents) events of a kind this reader does not know"))
                    }
                    if try !body(block) { return report }
                case .success(.unknownKind(let kind)):
                    report.problems.append(
                        Problem(
                            offset: offset, kind: .unknownBlockKind,
                            reason: "skipped a block of unknown kind 0x\(String(kind, radix: 16))"))
                case .failure(let error):
                    report.problems.append(Problem(offset: offset, kind: .damaged, reason: "block content is damaged: \(error)"))
                }
                offset = frameEnd
            case .truncated(let reason):
                report.problems.append(Problem(offset: offset, kind: .truncated, reason: reason))
                report.stoppedAt = offset
                return report
            case .damaged(let reason):
                report.problems.append(Problem(offset: offset, kind: .damaged, reason: "block is damaged: \(reason)"))
                guard let next = try nextFrame(after: offset, end: limitEnd) else { return report }
                offset = next
            case .oversized(let declared):
                // Not damage but a file built to exhaust memory (or from a writer with other limits): refuse it.
                throw TraceError.oversizedBlock(offset: offset, declared: declared, limit: UInt64(blockLimit))
            }
        }
        // A cleanly closed trace always ends with its index: without one, the file was cut (or
        // its end damaged) after it was closed, and what is missing cannot be known.
        if header.closedCleanly && index == nil && report.damage.isEmpty {
            report.problems.append(
                Problem(
                    offset: offset, kind: report.sawIndex ? .damaged : .truncated,
                    reason: "closed cleanly, but its index is unusable (\(indexProblem)); read by scanning"))
        }
        return report
    }

    /// Where the next frame starts after a damaged one at `offset`: from the index if there
    /// is one, else from the damaged frame's own block headers, else by searching for a magic number.
    private func nextFrame(after offset: UInt64, end: UInt64) throws -> UInt64? {
        if let index {
            return index.blocks.first(where: { $0.offset > offset })?.offset ?? (end > offset ? end : nil)
        }
        let window = try file.read(at: offset, count: Int(min(UInt64(blockLimit) + 65536, fileSize - offset)))
        if let length = ZstdDecompressor.frameLength(window), length > 4 {
            let candidate = offset + UInt64(length)
            if candidate <= fileSize, try startsFrame(at: candidate) || candidate == fileSize {
                return candidate < fileSize ? candidate : nil
            }
        }
        return try searchMagic(from: offset + 1)
    }

    private func startsFrame(at offset: UInt64) throws -> Bool {
        let b = try file.read(at: offset, count: 4)
        guard b.count == 4 else { return false }
        // SAFETY: `b` holds 4 bytes (checked above).
        let m = b.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian }
        return m == ZstdMagic.frame || ZstdMagic.isSkippable(m)
    }

    /// The first offset at or after `start` holding a zstd or skippable frame magic number.
    private func searchMagic(from start: UInt64) throws -> UInt64? {
        var position = start
        let chunk = 1 << 16
        while position + 4 <= fileSize {
            let bytes = try file.read(at: position, count: chunk + 3)
            if bytes.count < 4 { return nil }
            for i in 0...(bytes.count - 4) {
                let m = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
                if m == ZstdMagic.frame || ZstdMagic.isSkippable(m) { return position + UInt64(i) }
            }
            position += UInt64(chunk)
        }
        return nil
    }

    /// Every event, as owned values (for tools and tests).
    public func readAll() throws -> (events: [PortIOEvent], report: ScanReport) {
        var events: [PortIOEvent] = []
        let report = try scan { block in
            events.append(contentsOf: block.events())
            return true
        }
        return (events, report)
    }
}
