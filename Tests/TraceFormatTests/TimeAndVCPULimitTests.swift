import Foundation
import Testing

@testable import TraceFormat

/// The limits on times (a signed 64-bit offset from the VM's start, at most Int64.max / 2 either
/// way) and vCPU indices (below 4,096): the writer refuses what is over them and the reader
/// reports it as damage, so every time an analysis gets has offsets and differences that fit.
@Suite struct TimeAndVCPULimitTests {
    static let bound = TraceLimits.maxTimeOffset

    @Test func offsetsAreExactAndBounded() {
        #expect(TraceLimits.timeOffset(5, origin: 5) == 0)
        #expect(TraceLimits.timeOffset(0, origin: 616) == -616)
        #expect(TraceLimits.timeOffset(Self.bound, origin: 0) == Int64.max / 2)
        #expect(TraceLimits.timeOffset(Self.bound + 1, origin: 0) == nil)
        #expect(TraceLimits.timeOffset(0, origin: Self.bound) == -(Int64.max / 2))
        #expect(TraceLimits.timeOffset(0, origin: Self.bound + 1) == nil)
        // The wrap the analysis used to make: 2^64 - 616 from 0 is not -616.
        #expect(TraceLimits.timeOffset(UInt64.max - 615, origin: 0) == nil)
        #expect(TraceLimits.timeOffset(.max, origin: .max - Self.bound) == Int64.max / 2)
        // Two accepted offsets always have a difference that fits.
        let (d, overflow) = (Int64.max / 2).subtractingReportingOverflow(-(Int64.max / 2))
        #expect(!overflow && d == Int64.max - 1)
        #expect(TraceLimits.firstTimeOverLimit([5, Self.bound + 5, Self.bound + 6], origin: 5) == 2)
        #expect(TraceLimits.firstTimeOverLimit([.max - 5, .max], origin: .max) == nil)
        #expect(TraceLimits.problem(withVCPU: 4095) == nil)
        #expect(TraceLimits.problem(withVCPU: 4096)?.contains("indices run from 0 to 4095") == true)
    }

    @Test func theWriterRefusesTimesFarFromTheVMStart() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        var md = TraceMetadata()
        md.vmStartNs = 1_000
        let w = try TraceWriter(path: path, metadata: md)
        #expect(w.problem(withTime: 1_000 + Self.bound) == nil)
        #expect(w.problem(withTime: 1_001 + Self.bound)?.contains("over the limit of \(Self.bound) ns") == true)
        w.append(.access(at: 0, port: 0x80, .out, data: [1]))
        w.append(.access(at: 1_000 + Self.bound, port: 0x80, .out, data: [2]))
        w.append(.access(at: 1_001 + Self.bound, port: 0x80, .out, data: [3]))
        #expect(throws: TraceError.overLimit(TraceLimits.problem(withTime: 1_001 + Self.bound, origin: 1_000)!)) { try w.close(at: 5) }
        let (events, _) = try TraceReader(path: path).readAll()
        #expect(withoutClose(events).map(\.timestamp) == [0, 1_000 + Self.bound])
    }

    @Test func theWriterRefusesAClosingTimeOverTheLimitAndWritesNoMarkerAtIt() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let w = try TraceWriter(path: path, metadata: TraceMetadata())
        w.append(.access(at: 7, port: 0x80, .out, data: [1]))
        #expect(throws: TraceError.self) { try w.close(at: .max) }
        let (events, report) = try TraceReader(path: path).readAll()
        #expect(events.map(\.timestamp) == [7] && report.damage.isEmpty)
    }

    @Test func theWriterRefusesVCPUsOverTheLimit() throws {
        for marker in [false, true] {
            let path = temporaryPath()
            defer { unlink(path) }
            let w = try TraceWriter(path: path, metadata: TraceMetadata())
            if marker {
                w.append(marker: Marker("vcpu_halted", value: 4096), timestamp: 1, vcpu: 4096)
            } else {
                w.append(.access(at: 1, vcpu: 4_294_967_295, port: 0x80, .out, data: [1]))
            }
            #expect(throws: TraceError.self) { try w.close(at: 2) }
        }
        let path = temporaryPath()
        defer { unlink(path) }
        try writeTrace(path, [.access(at: 1, vcpu: 4095, port: 0x80, .out, data: [1])])
        #expect(try TraceReader(path: path).readAll().events.first?.vcpu == 4095)
    }

    /// Files a writer without limits made: the block with the time over the limit is damage named
    /// with its event and is not delivered; the others are.
    @Test func theReaderReportsTimesOverTheLimitAsDamage() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let start = UInt64(1) << 63
        var md = TraceMetadata()
        md.vmStartNs = start
        let good: [PortIOEvent] = [.access(at: start, port: 0x80, .out, data: [1])]
        let bad: [PortIOEvent] = [.access(at: start, port: 0x80, .out, data: [2]), .access(at: 5, port: 0x80, .out, data: [3])]
        try writeTraceWithoutLimits(path, metadata: md, blocks: [good, bad, good])
        let (events, report) = try TraceReader(path: path).readAll()
        #expect(events.count == 2)
        #expect(report.damage.count == 1)
        let reason = report.damage.first?.reason ?? ""
        #expect(reason.contains("event 1: time 5 ns is \(start - 5) ns before the VM's start"), "\(reason)")
    }

    /// Events at 0 and 2^64 - 616 ns with no VM start: the analysis used to read them as 616 ns apart, backwards.
    @Test func timesThatOnlyFitByWrappingAreDamage() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        try writeTraceWithoutLimits(
            path, metadata: TraceMetadata(),
            blocks: [[.access(at: 0, port: 0x80, .out, data: [1]), .access(at: UInt64.max - 615, port: 0x80, .out, data: [2])]])
        let (events, report) = try TraceReader(path: path).readAll()
        #expect(events.isEmpty)
        #expect(report.damage.first?.reason.contains("time 18446744073709551000 ns is 18446744073709551000 ns after") == true)
    }

    @Test func theReaderReportsVCPUsOverTheLimitAsDamage() throws {
        for event in [
            PortIOEvent.access(at: 1, vcpu: 4_294_967_295, port: 0x80, .out, data: [1]),
            .marker(at: 1, vcpu: 4096, Marker("vcpu_halted")),
        ] {
            let path = temporaryPath()
            defer { unlink(path) }
            try writeTraceWithoutLimits(path, metadata: TraceMetadata(), blocks: [[event]])
            let (events, report) = try TraceReader(path: path).readAll()
            #expect(events.isEmpty)
            #expect(report.damage.first?.reason.contains("over the limit: indices run from 0 to 4095") == true, "\(report.problems)")
        }
    }

    @Test func jsonLinesRefuseAMarkerOnAVCPUOverTheLimit() {
        #expect(throws: TraceError.badInput(line: 3, reason: "vCPU 4096 is over the limit: indices run from 0 to 4095")) {
            try JSONLines.parse(#"{"t_ns":1,"vcpu":4096,"marker":"m"}"#, lineNumber: 3)
        }
        #expect(throws: TraceError.self) {
            try JSONLines.parse(#"{"t_ns":1,"vcpu":4294967295,"port":128,"dir":"out","data":"00"}"#, lineNumber: 1)
        }
    }
}
