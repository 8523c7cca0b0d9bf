import Foundation
import Testing

@testable import TraceFormat

@Suite struct RoundTripTests {
    @Test(arguments: [1, 2, 3, 4])
    func randomSequencesRoundTrip(seed: UInt64) throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let events = randomEvents(count: 5000, seed: seed)
        var options = TraceWriter.Options()
        options.maxEventsPerBlock = 700  // several blocks, one partial
        try writeTrace(path, events, options: options)
        let reader = try TraceReader(path: path)
        #expect(reader.isComplete)
        let (read, report) = try reader.readAll()
        #expect(report.problems.isEmpty)
        #expect(withoutClose(read) == events)
        #expect(read.last?.marker?.name == Marker.traceClosed)
        #expect(report.blocks == 8)
    }

    @Test func extremeValuesAndManyShapes() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        var events: [PortIOEvent] = []
        // More than 256 distinct shapes forces the 2-byte shape index. Times at both ends of the
        // limit around the sample's VM start (200 ns): 0 (200 ns before it) and the latest.
        for i in 0..<1000 {
            let t: UInt64 = i % 2 == 0 ? 0 : 200 + TraceLimits.maxTimeOffset
            events.append(
                .access(
                    at: t, vcpu: TraceLimits.maxVCPUs - 1 - UInt32(i), port: UInt16(i), .out, size: 4, count: 3,
                    data: [UInt8](repeating: UInt8(i & 0xff), count: 12)))
        }
        try writeTrace(path, events)
        let (read, report) = try TraceReader(path: path).readAll()
        #expect(report.problems.isEmpty)
        #expect(withoutClose(read) == events)
    }

    @Test func metadataAndUnknownKeysSurvive() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        var md = metadataSample()
        md.setLabel("board", "qemu")
        md.wallclockAnchor = (realtimeNs: 1_700_000_000_000_000_000, monotonicNs: 5)
        try writeTrace(path, [], metadata: md)
        let reader = try TraceReader(path: path)
        #expect(reader.metadata == md)
        #expect(reader.metadata["future_key"]?["nested"]?.arrayValue?.first?.uint64Value == UInt64.max)
        #expect(reader.metadata.labels.first! == ("board", "qemu"))
        #expect(reader.header.formatVersion == TraceHeader.currentFormatVersion)
    }

    /// A new trace holds guest output: mode 0600 whatever the umask. An existing file written over
    /// keeps the mode its owner gave it, as `cp` keeps it.
    @Test func aNewTraceIsMode0600AndAnOldOneKeepsItsMode() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        try writeTrace(path, randomEvents(count: 10, seed: 9))
        var st = stat()
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        chmod(path, 0o640)
        try writeTrace(path, randomEvents(count: 10, seed: 9))
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o640)
    }

    static let zstdCommand = ["/usr/bin/zstd", "/usr/local/bin/zstd"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: zstdCommand != nil, "the zstd command is not installed"))
    func stockZstdAcceptsTheFile() throws {
        let zstd = Self.zstdCommand!
        let path = temporaryPath()
        defer { unlink(path) }
        var options = TraceWriter.Options()
        options.maxEventsPerBlock = 100
        try writeTrace(path, randomEvents(count: 1000, seed: 5), options: options)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: zstd)
        p.arguments = ["-q", "-t", path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func sealsByTimeSoACrashLosesLittle() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        var options = TraceWriter.Options()
        options.sealInterval = .milliseconds(20)
        let w = try TraceWriter(path: path, metadata: metadataSample(), options: options)
        // Each event must reach the disk in a sealed block within the interval, not only the first.
        var expected: [PortIOEvent] = []
        for i in 0..<3 {
            Thread.sleep(forTimeInterval: 0.1)
            let e = PortIOEvent.access(at: UInt64(i), port: 0x80, .out, data: [UInt8(i)])
            w.append(e)
            expected.append(e)
            Thread.sleep(forTimeInterval: 0.2)
            // Not closed: what was appended must already be readable.
            let (read, report) = try TraceReader(path: path).readAll()
            #expect(read == expected)
            #expect(report.damage.isEmpty)
        }
        w.abandon()
    }

    @Test func seekByTimeUsesTheIndex() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let events = (0..<10_000).map { PortIOEvent.access(at: UInt64($0) * 1000, port: 0xe9, .out, data: [UInt8($0 & 0x7f)]) }
        var options = TraceWriter.Options()
        options.maxEventsPerBlock = 1000
        try writeTrace(path, events, options: options)
        let reader = try TraceReader(path: path)
        #expect(reader.index?.blocks.count == 11)  // ten full blocks and the closing marker's
        var firstSeen: UInt64?
        let report = try reader.scan(from: 7_500_000) { block in
            if firstSeen == nil { firstSeen = block.timestamps.first }
            return true
        }
        #expect(firstSeen == 7_000_000)  // the block holding t = 7.5 ms starts at 7.0 ms
        #expect(report.blocks == 4)
    }
}
