import Foundation
import Testing

@testable import Analysis
@testable import Devices
@testable import TraceFormat

/// Outside numbers that reach the analysis: vCPU indices, times at and over the limits. Each used
/// to trap, allocate without bound or print a wrapped value.
struct HostileAnalysisTests {
    static let bound = Int64(TraceLimits.maxTimeOffset)

    @Test func theHistogramTakesAnyVCPU() {
        var h = ActivityHistogram()
        // The first event's vCPU used to be compared with a "no lane yet" sentinel of UInt32.max.
        h.add(time: 0, vcpu: .max)
        h.add(time: 1_000_000, vcpu: 4_294_967_294)
        #expect(h.total.reduce(0, +) == 2)
        #expect(h.vcpus == [ActivityHistogram.otherVCPUs])
    }

    @Test func lanesAreBoundedAndCountEveryEvent() {
        var h = ActivityHistogram()
        for i in 0..<10_000 { h.add(time: Int64(i) * 1_000, vcpu: UInt32(i % 300)) }
        #expect(h.lanes.count == ActivityHistogram.maximumLanes)
        #expect(h.vcpus.prefix(63) == ArraySlice(0..<63))
        #expect(h.vcpus.last == ActivityHistogram.otherVCPUs)
        #expect(h.total.reduce(0, +) == 10_000)
        #expect(h.lane(5).reduce(0, +) == 34 && h.lane(299).isEmpty)
    }

    @Test func eventsBeforeTheVMStartAreCounted() {
        var h = ActivityHistogram()
        h.add(time: -1_500_000, vcpu: 0)  // its bucket starts at -2 ms, not -1 ms
        h.add(time: -200, vcpu: 0)
        #expect(h.start == -2_000_000)
        #expect(h.total == [1, 1])
    }

    @Test func theHistogramSpansTheWholeRangeOfTimes() {
        var h = ActivityHistogram()
        h.add(time: -Self.bound, vcpu: 1)
        h.add(time: Self.bound, vcpu: 2)
        h.add(time: 0, vcpu: 3)
        #expect(h.total.reduce(0, +) == 3)
        #expect(h.start == -Self.bound)
        #expect(h.total.count <= ActivityHistogram.maximumBuckets)
        // Where reports draw the last bucket (start + index x width) is the time of its events, or before.
        let (offset, o1) = Int64(h.total.count - 1).multipliedReportingOverflow(by: h.bucketWidth)
        let (lastStart, o2) = h.start!.addingReportingOverflow(offset)
        #expect(!o1 && !o2 && lastStart <= Self.bound && lastStart > Self.bound - h.bucketWidth)
    }

    /// A boot that starts ~146 years before its VM and ends ~146 years after: the widest a trace
    /// holds. Every report and table of it is computed without a trap and without a wrapped value.
    @Test func aBootAcrossTheWholeRangeIsAnalysed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-wide-\(UUID().uuidString).pt").path
        defer { unlink(path) }
        var md = TraceMetadata()
        md.vmStartNs = TraceLimits.maxTimeOffset
        md["profile"] = .string("v53.0")
        let w = try TraceWriter(path: path, metadata: md)
        w.append(.access(at: 0, vcpu: 4095, port: 0x80, .out, data: [0x01]))
        w.append(.access(at: TraceLimits.maxTimeOffset, vcpu: 3, port: 0x80, .out, data: [0x41]))
        w.append(.access(at: 2 * TraceLimits.maxTimeOffset, vcpu: 0, port: 0x80, .out, data: [0x61]))
        try w.close(at: 2 * TraceLimits.maxTimeOffset)
        let t = try TimelineBuilder.build(path: path)
        #expect(t.problems.isEmpty)
        #expect(t.steps.map(\.time) == [-Self.bound, 0, Self.bound])
        #expect(t.steps.map(\.interval) == [-Self.bound, Self.bound, Self.bound])
        #expect(t.phases.map(\.duration) == [Self.bound, Self.bound, 0])
        #expect(t.total == 2 * Self.bound)
        #expect(t.firstEventTime == -Self.bound && t.lastEventTime == Self.bound)
        let text = TimelineText.render(t)
        #expect(!text.contains("--") && text.contains("Startup finished in"))
        _ = TimelineJSON.value(t).serialized()
        _ = TimelinePerfetto.value(t).serialized()
        let svg = TimelineSVG.render(t)
        #expect(svg.hasSuffix("</svg>\n") && !svg.contains("nan") && !svg.contains("inf"))
        for table in [TableExport.Table.steps, .phases, .intervals, .boots] {
            let rows = TableExport(table: table, format: .csv).rows(of: t, key: "k")
            #expect(!rows.isEmpty)
        }
        let bootRow = TableExport(table: .boots, format: .csv).rows(of: t, key: "k")
        #expect(bootRow.contains(",\(-Self.bound),\(Self.bound),\(2 * Self.bound),false,"), "\(bootRow)")
        let boots = [BootMetrics(t), BootMetrics(t)]
        let report = StatsReport.make(groups: [("a", boots), ("b", boots)], threshold: 0.05)
        for format in StatsText.Format.allCases {
            let out = StatsText.render(report, format: format)
            #expect(!out.contains("nan") && !out.contains("inf"), "\(format)")
        }
    }

    /// The same boot 2^63 ns either side of its VM start, as a writer without limits could leave
    /// it: the reader reports the block as damage and the timeline is built from what is left.
    @Test func timesOverTheLimitAreDamageNotATrap() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-over-\(UUID().uuidString).pt").path
        defer { unlink(path) }
        var md = TraceMetadata()
        md.vmStartNs = 1 << 63
        md["profile"] = .string("v53.0")
        try writeTraceWithoutLimits(
            path, metadata: md,
            blocks: [
                [.access(at: 1 << 63, port: 0x80, .out, data: [0x01])],
                [.access(at: 0, port: 0x80, .out, data: [0x01]), .access(at: .max, port: 0x80, .out, data: [0x61])],
            ])
        let t = try TimelineBuilder.build(path: path)
        #expect(t.steps.map(\.time) == [0])
        #expect(t.problems.contains { $0.reason.contains("event 0: time 0 ns is 9223372036854775808 ns before the VM's start") })
    }
}
