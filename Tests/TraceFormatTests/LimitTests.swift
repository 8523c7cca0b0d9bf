import Foundation
import Testing

@testable import TraceFormat

/// One set of limits, for the writer and the reader (docs/trace-format.md).
@Suite struct LimitTests {
    /// A hand-made block whose access declares 4 x 4,294,967,295 bytes, incomplete (so its data
    /// column holds 4): the decoder refuses it before anything is sized by the count.
    @Test func aBlockOverTheAccessLimitIsDamage() throws {
        var builder = EventBlockBuilder()
        builder.append(
            timestamp: 1, shape: EventShape(vcpu: 0, port: 0x402, direction: .in, size: 4, count: 2, incomplete: true),
            data: [0, 0, 0, 0xe9])
        var bytes = builder.encode()
        // Block header 28 bytes; shape 0: vcpu(4) port(2) flags(1) size(1) count(4) -> count at 28 + 8.
        for k in 0..<4 { bytes[36 + k] = 0xff }
        let result = bytes.withUnsafeBytes { EventBlock.decode($0) }
        guard case .failure(let e) = result else {
            Issue.record("decoded")
            return
        }
        #expect(e.description.contains("over the limit of 4096 bytes per access"))
    }

    @Test func theWriterRefusesWhatTheReaderWouldNotRead() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let w = try TraceWriter(path: path, metadata: TraceMetadata())
        w.append(.access(at: 1, port: 0x80, .out, data: [1]))
        [UInt8](repeating: 0, count: 4097).withUnsafeBytes {
            w.append(timestamp: 2, shape: EventShape(vcpu: 0, port: 0xe9, direction: .out, size: 1, count: 4097), data: $0)
        }
        #expect(throws: TraceError.self) { try w.close() }
        // What came before the refusal was kept: the trace reads, unclosed.
        let (events, _) = try TraceReader(path: path).readAll()
        #expect(events.first == .access(at: 1, port: 0x80, .out, data: [1]))
    }

    @Test func markersAtTheLimitRoundTripAndOverItAreRefused() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let w = try TraceWriter(path: path, metadata: TraceMetadata())
        let longest = Marker(
            String(repeating: "n", count: TraceLimits.maxMarkerName), value: 1,
            text: String(repeating: "t", count: TraceLimits.maxMarkerText))
        w.append(marker: longest, timestamp: 1)
        try w.close(at: 2)
        let (events, report) = try TraceReader(path: path).readAll()
        #expect(report.damage.isEmpty)
        #expect(events.first == .marker(at: 1, vcpu: 0, longest))
        #expect(
            TraceLimits.problem(with: Marker("m", text: String(repeating: "x", count: 65537)))?.contains("over the limit of 65536") == true)
        #expect(TraceLimits.problem(with: Marker(String(repeating: "x", count: 70000)))?.contains("marker name is 70000 bytes") == true)
    }

    @Test func aHeaderOverTheLimitIsRefusedBeforeAnythingIsWritten() {
        let path = temporaryPath()
        defer { unlink(path) }
        var md = TraceMetadata()
        md.setLabel("big", String(repeating: "x", count: 1_100_000))
        #expect(throws: TraceError.self) { try TraceWriter(path: path, metadata: md) }
        #expect(!FileManager.default.fileExists(atPath: path))
        // Just under the limit: written and read back.
        var fits = TraceMetadata()
        fits.setLabel("big", String(repeating: "x", count: TraceLimits.maxMetadataBytes - 40))
        let w = try? TraceWriter(path: path, metadata: fits)
        #expect(w != nil)
        try? w?.close(at: 1)
        #expect((try? TraceReader(path: path))?.metadata.labels.first?.1.count == TraceLimits.maxMetadataBytes - 40)
    }

    @Test func timesOutOfRangeAreRefused() {
        #expect(TimeSpec.nanoseconds("9223372036.9s") == nil)
        #expect(TimeSpec.nanoseconds("9223372036.854775807s") == Int64.max)
        #expect(TimeSpec.nanoseconds("99999999999999999999") == nil)
        #expect(TimeSpec.nanoseconds("-9223372036.854775807") == -Int64.max)
    }
}
