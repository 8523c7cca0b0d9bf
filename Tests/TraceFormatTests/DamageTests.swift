import Foundation
import Testing

@testable import TraceFormat

@Suite struct DamageTests {
    /// A small trace of several blocks and the events of each block.
    func smallTrace() throws -> (path: String, bytes: [UInt8], blocks: [[PortIOEvent]]) {
        let path = temporaryPath()
        let events = randomEvents(count: 120, seed: 77)
        var options = TraceWriter.Options()
        options.maxEventsPerBlock = 40
        try writeTrace(path, events, options: options)
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        var blocks: [[PortIOEvent]] = []
        try TraceReader(path: path).scan {
            blocks.append($0.events())
            return true
        }
        #expect(blocks.count == 4)
        return (path, bytes, blocks)
    }

    @Test func cuttingAtEveryOffsetRecoversExactlyTheCompleteBlocks() throws {
        let (path, bytes, blocks) = try smallTrace()
        defer { unlink(path) }
        let reader = try TraceReader(path: path)
        let ends = (reader.index?.blocks ?? []).map { Int($0.offset) + Int($0.compressedSize) }
        let cut = temporaryPath("cut")
        defer { unlink(cut) }
        for length in 0..<bytes.count {
            _ = FileManager.default.createFile(atPath: cut, contents: Data(bytes[0..<length]))
            let r: TraceReader
            do {
                r = try TraceReader(path: cut)
            } catch let e as TraceError {
                // Only a cut inside the header may fail to open.
                #expect(length < reader.headerFrameLength, "cut at \(length): \(e)")
                continue
            }
            let (read, report) = try r.readAll()
            let complete = ends.filter { $0 <= length }.count
            #expect(read == Array(blocks.prefix(complete).joined()), "cut at \(length)")
            #expect(!r.isComplete, "cut at \(length)")
            if length < bytes.count, !ends.contains(length), length > reader.headerFrameLength, complete < blocks.count {
                #expect(report.stoppedAt != nil, "cut at \(length) inside a block must say where it stopped")
            }
        }
    }

    @Test func flippedBytesAreDetectedAndLocated() throws {
        let (path, bytes, blocks) = try smallTrace()
        defer { unlink(path) }
        let reader = try TraceReader(path: path)
        let index = reader.index!
        let flipped = temporaryPath("flip")
        defer { unlink(flipped) }
        let all = Array(blocks.joined())
        for position in reader.headerFrameLength..<bytes.count {
            var copy = bytes
            copy[position] ^= 0x5a
            _ = FileManager.default.createFile(atPath: flipped, contents: Data(copy))
            let r = try TraceReader(path: flipped)
            let (read, report) = try r.readAll()
            guard
                let hit = index.blocks.firstIndex(where: {
                    UInt64(position) >= $0.offset && UInt64(position) < $0.offset + UInt64($0.compressedSize)
                })
            else {
                // A flip in the index: every event still reads; the index is refused.
                #expect(read == all, "flip at \(position)")
                #expect(r.index == nil || r.index == index, "flip at \(position)")
                continue
            }
            // A flip inside a block: that block is reported at its offset; the others read.
            // (A few bits of a zstd frame, such as bitstream padding, do not change the content:
            // then every event reads back unchanged, which the checksum confirms.)
            if report.damage.isEmpty {
                #expect(read == all, "flip at \(position)")
                continue
            }
            #expect(report.damage.first?.offset == index.blocks[hit].offset, "flip at \(position): \(report.problems)")
            var expected = blocks
            expected.remove(at: hit)
            #expect(read == Array(expected.joined()), "flip at \(position)")
        }
    }

    /// Only the frame magic (bytes 0-3) and the PTRC tag (8-11) make a file "not a trace"; any
    /// other flip in the header is damage at a named offset, and every block is still read.
    @Test func headerDamageIsReportedAndTheBlocksStillRead() throws {
        let (path, bytes, blocks) = try smallTrace()
        defer { unlink(path) }
        let flipped = temporaryPath("hdr")
        defer { unlink(flipped) }
        let headerLength = try TraceReader(path: path).headerFrameLength
        for position in 0..<min(bytes.count, headerLength) {
            var copy = bytes
            copy[position] ^= 0x01
            _ = FileManager.default.createFile(atPath: flipped, contents: Data(copy))
            if position < 4 || (8..<12).contains(position) {
                #expect(throws: TraceError.self, "flip at \(position)") { try TraceReader(path: flipped) }
                continue
            }
            let reader = try TraceReader(path: flipped)
            var read: [[PortIOEvent]] = []
            let report = try reader.scan {
                read.append($0.events())
                return true
            }
            if UInt64(position) == TraceHeader.stateOffset {
                // The state byte is outside the checksum: 1 ^ 1 = 0 reads as unclosed, not as damage.
                #expect(!reader.header.closedCleanly && report.damage.isEmpty, "\(report.problems)")
            } else {
                #expect(report.damage.first?.reason.hasPrefix("header: ") == true, "flip at \(position): \(report.problems)")
            }
            if read != blocks {
                Issue.record("flip at \(position): \(read.count) blocks read, \(read.map(\.count)) events; \(report.problems)")
            }
        }
    }

    @Test func futureVersionIsRefusedWithBothNumbers() throws {
        let (path, bytes, _) = try smallTrace()
        defer { unlink(path) }
        // A newer writer's header: intact (its checksum right), asking for reader version 7.
        var future = try TraceReader(path: path).header
        future.formatVersion = 9
        future.minimumReaderVersion = 7
        let frame = future.encodeFrame()
        let old = try TraceReader(path: path).headerFrameLength
        let copy = frame + bytes[old...]
        let p = temporaryPath("future")
        defer { unlink(p) }
        _ = FileManager.default.createFile(atPath: p, contents: Data(copy))
        #expect(throws: TraceError.unsupportedVersion(format: 9, minimumReader: 7, supported: TraceHeader.readableFormatVersion)) {
            try TraceReader(path: p)
        }
    }

    @Test func oversizedBlockIsRefusedWithoutAllocating() throws {
        // A header declaring 1 KiB blocks, followed by a frame declaring 1 GiB of content.
        var md = TraceMetadata()
        md.source = "import"
        var header = TraceHeader(metadata: md, maxBlockBytes: 1024)
        header.closedCleanly = false
        var bytes = header.encodeFrame()
        // zstd frame: magic, descriptor (single segment, 4-byte content size), size 1 GiB.
        bytes += [0x28, 0xB5, 0x2F, 0xFD, 0xA0, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00]
        let p = temporaryPath("big")
        defer { unlink(p) }
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        #expect(throws: TraceError.oversizedBlock(offset: UInt64(header.encodeFrame().count), declared: 1 << 30, limit: 1024)) {
            try TraceReader(path: p).scan { _ in true }
        }
    }

    @Test func unknownBlockKindsAndFramesAreSkippedWithAWarning() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let w = try TraceWriter(path: path, metadata: metadataSample())
        w.append(.access(at: 5, port: 0x80, .out, data: [7]))
        w.abandon()
        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        // A skippable frame of an unknown kind, and a zstd frame whose block kind is unknown.
        bytes += [0x57, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 1, 2, 3]
        bytes += try ZstdCompressor(level: 3).compress([0x58, 0x58, 0x58, 0x58, 1, 2, 3])
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let (read, report) = try TraceReader(path: path).readAll()
        #expect(read == [.access(at: 5, port: 0x80, .out, data: [7])])
        #expect(report.warnings.count == 2)
        #expect(report.damage.isEmpty)
    }
}

@Suite struct ForwardCompatibilityTests {
    @Test func unknownEventKindsAreSkippedWithAWarning() throws {
        var builder = EventBlockBuilder()
        builder.append(.access(at: 1, port: 0x80, .out, data: [1]))
        builder.append(.access(at: 2, port: 0xe9, .out, data: [2]))
        builder.append(.access(at: 3, port: 0x80, .out, data: [3]))
        var bytes = builder.encode()
        // Shape 1 (port 0xe9) becomes a kind from the future: flag bit 3, and by the rule no data bytes.
        // Block header 28 bytes (timestamp width at offset 24), shapes of 12 bytes (flags at +6),
        // 3 shape-index bytes, width x 3 delta bytes, then the data column's length.
        let shape1 = 28 + 12 + 6
        bytes[shape1] |= 0x08
        let dataLenAt = 28 + 2 * 12 + 3 + 3 * Int(bytes[24])
        bytes[dataLenAt] = 2
        bytes.remove(at: dataLenAt + 4 + 1)
        guard case .success(.events(let block)) = bytes.withUnsafeBytes({ EventBlock.decode($0) }) else {
            Issue.record("block with an unknown event kind was refused")
            return
        }
        #expect(block.skippedEvents == 1)
        #expect(block.events() == [.access(at: 1, port: 0x80, .out, data: [1]), .access(at: 3, port: 0x80, .out, data: [3])])
    }
}
