import Foundation
import Testing

@testable import TraceFormat

/// Traces written into memory (`TraceWriter(inMemory:)`) and read from it (`TraceReader(bytes:)`):
/// the same bytes as a file, read the same way.
@Suite struct MemoryTraceTests {
    /// A file writer that seals blocks only when they are full, as a writer into memory does.
    static func fileOptions(_ base: TraceWriter.Options) -> TraceWriter.Options {
        var o = base
        o.sealInterval = .seconds(3600)
        return o
    }

    static func optionSets() -> [TraceWriter.Options] {
        var several = TraceWriter.Options()
        several.maxEventsPerBlock = 700  // several blocks, one partial
        var planes = several
        planes.timestampCoding = .planes
        var oneBlock = TraceWriter.Options()
        oneBlock.columnBlocks = false
        return [several, planes, oneBlock]
    }

    @Test(arguments: [1, 2, 3])
    func memoryAndFileAreByteIdenticalAndReadTheSame(seed: UInt64) throws {
        let events = randomEvents(count: 3000, seed: seed)
        for options in Self.optionSets() {
            let path = temporaryPath()
            defer { unlink(path) }
            try writeTrace(path, events, options: Self.fileOptions(options))
            let memory = try TraceWriter(inMemory: metadataSample(), options: options)
            for e in events { memory.append(e) }
            try memory.close(at: events.last!.timestamp)
            let bytes = try #require(memory.contents)
            let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(bytes == file)

            let fromFile = try TraceReader(path: path)
            let fromMemory = try TraceReader(bytes: bytes, name: "memory")
            #expect(fromMemory.isComplete && fromFile.isComplete)
            #expect(fromMemory.metadata == fromFile.metadata)
            #expect(fromMemory.index == fromFile.index)
            #expect(fromMemory.fileSize == fromFile.fileSize)
            let (a, reportA) = try fromFile.readAll()
            let (b, reportB) = try fromMemory.readAll()
            #expect(a == b)
            #expect(withoutClose(b) == events)
            #expect(reportB.problems.isEmpty && reportA.problems.isEmpty)
            #expect(reportB.blocks == reportA.blocks)
            // Seeking by time through the index starts at the same block.
            let from = events[events.count / 2].timestamp
            var firstA: UInt64?
            var firstB: UInt64?
            try fromFile.scan(from: from) {
                firstA = $0.timestamps.first
                return false
            }
            try fromMemory.scan(from: from) {
                firstB = $0.timestamps.first
                return false
            }
            #expect(firstA == firstB)
        }
    }

    /// Cut at every offset, the bytes in memory and in a file read the same: the same header or
    /// the same refusal, the same events and the same problems.
    @Test func cutTracesReadTheSameFromMemoryAndFromAFile() throws {
        let events = randomEvents(count: 200, seed: 9)
        var options = TraceWriter.Options()
        options.maxEventsPerBlock = 60
        let memory = try TraceWriter(inMemory: metadataSample(), options: options)
        for e in events { memory.append(e) }
        try memory.close(at: events.last!.timestamp)
        let whole = try #require(memory.contents)
        let path = temporaryPath()
        defer { unlink(path) }
        for cut in stride(from: 0, through: whole.count, by: max(1, whole.count / 150)) + [whole.count - 1] {
            let bytes = Array(whole[..<cut])
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let a = Result { try TraceReader(path: path) }
            let b = Result { try TraceReader(bytes: bytes, name: path) }
            switch (a, b) {
            case (.success(let ra), .success(let rb)):
                #expect(ra.metadata == rb.metadata && ra.index == rb.index)
                let (ea, pa) = try ra.readAll()
                let (eb, pb) = try rb.readAll()
                #expect(ea == eb, "cut at \(cut)")
                #expect(pa.problems == pb.problems, "cut at \(cut)")
            case (.failure(let ea), .failure(let eb)):
                #expect("\(ea)" == "\(eb)", "cut at \(cut)")
            default:
                Issue.record("cut at \(cut): the file gives \(a), memory gives \(b)")
            }
        }
    }

    @Test func emptyBytesAreAnEmptyFile() {
        #expect(throws: TraceError.emptyFile) { try TraceReader(bytes: []) }
    }

    /// What the writer refuses it refuses in memory too, and the bytes kept are what a killed
    /// recorder leaves: readable up to the last block written.
    @Test func refusalsAndAbandonInMemory() throws {
        let w = try TraceWriter(inMemory: metadataSample())
        w.append(.access(at: 300, port: 0x80, .out, data: [1]))
        w.append(.access(at: 400, vcpu: TraceLimits.maxVCPUs, port: 0x80, .out, data: [2]))
        #expect(w.error != nil)
        #expect(throws: TraceError.self) { try w.close(at: 500) }

        let kept = try TraceWriter(inMemory: metadataSample())
        kept.append(.access(at: 300, port: 0x80, .out, data: [1]))
        kept.abandon()
        let reader = try TraceReader(bytes: try #require(kept.contents))
        #expect(!reader.isComplete)
        let (read, report) = try reader.readAll()
        #expect(read == [.access(at: 300, port: 0x80, .out, data: [1])])
        #expect(report.damage.isEmpty)
    }

    @Test func aFileWriterHasNoContentsInMemory() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let w = try writeTrace(path, [])
        #expect(w.contents == nil)
    }
}
