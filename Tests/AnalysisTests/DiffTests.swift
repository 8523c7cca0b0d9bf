import Foundation
import Testing
import TraceFormat

@testable import Analysis
@testable import Devices

struct DiffTests {
    /// A boot: firmware, bootloader, kernel, userspace, with console output and UART polls.
    func boot(kernelMs: Double = 900, codes: [UInt8] = [0x01, 0x20, 0x40, 0x60], console: String = "kernel: booting\n", polls: Int = 10)
        -> TraceBuilder
    {
        var b = TraceBuilder()
        let times = [19.0, 400.0, kernelMs, kernelMs + 300]
        for (t, c) in zip(times, codes) { b.post(t, c) }
        b.print(kernelMs + 1, console)
        for i in 0..<polls { b.input(kernelMs + 10 + Double(i) * 0.01, 0x3fd, [0x60]) }
        return b
    }

    /// Two traces compared through the streamed engine, outputs included.
    func diff(
        _ a: TraceBuilder, _ b: TraceBuilder, tolerance: Tolerance = Tolerance(), ignoring: Set<DiffSection> = [],
        judgingTimes: Bool = false, masks: OutputMasks = .standard, options: TimelineOptions = TimelineOptions()
    ) throws -> TraceDiff {
        let pa = try a.write(name: "a")
        let pb = try b.write(name: "b")
        defer {
            try? FileManager.default.removeItem(atPath: pa)
            try? FileManager.default.removeItem(atPath: pb)
        }
        return try TraceDiff.compare(
            pathA: pa, pathB: pb, options: options, tolerance: tolerance, ignoring: ignoring, judgingTimes: judgingTimes, masks: masks)
    }

    @Test func identicalBootsAreTheSame() throws {
        let d = try diff(boot(), boot())
        #expect(!d.isDifferent, "\(d.reasons)")
        #expect(d.steps.allSatisfy { $0.change == .same && !$0.intervalChanged })
        #expect(d.notJudged.isEmpty)
        #expect(d.outputs.isEmpty)
    }

    /// Times are shown and marked beyond the tolerance (both its parts), and decide only with
    /// `judgingTimes` (`--times`); `--ignore times` wins over both.
    @Test func aSlowerKernelIsJudgedOnlyWhenTimesAreJudged() throws {
        let a = boot(kernelMs: 900)
        // +5 ms on a 500 ms phase: 1%, under the 10% rule: not even marked.
        let close = try diff(a, boot(kernelMs: 905), judgingTimes: true)
        #expect(!close.isDifferent && close.notJudged.isEmpty, "\(close.reasons)")
        // +100 ms on the bootloader phase (20%) and 100 ms: marked, not judged.
        let d = try diff(a, boot(kernelMs: 1000))
        #expect(!d.isDifferent, "\(d.reasons)")
        #expect(d.phases.first { $0.name == "Bootloader" }?.changed == true)
        #expect(d.notJudged.contains { $0.contains("Bootloader") })
        // With --times it decides.
        let judged = try diff(a, boot(kernelMs: 1000), judgingTimes: true)
        #expect(judged.isDifferent)
        #expect(judged.reasons.contains { $0.contains("Bootloader") })
        // --tolerance 30%: not beyond any more; --ignore times: out of the verdict even with --times.
        var loose = Tolerance()
        loose.relative = 0.3
        #expect(!(try diff(a, boot(kernelMs: 1000), tolerance: loose, judgingTimes: true)).reasons.contains { $0.contains("phase") })
        let ignored = try diff(a, boot(kernelMs: 1000), ignoring: [.times], judgingTimes: true)
        #expect(!ignored.isDifferent && ignored.notJudged.isEmpty)
    }

    @Test func codeChangesAreAlignedAndNamed() throws {
        let d = try diff(boot(), boot(codes: [0x01, 0x21, 0x40, 0x60]))
        #expect(d.isDifferent)
        let changed = d.steps.filter { $0.change == .changed }
        #expect(changed.count == 1)
        #expect(changed.first?.a?.code == 0x20 && changed.first?.b?.code == 0x21)
        #expect(d.steps.filter { $0.change == .same && $0.a?.code != nil }.count == 3)
    }

    @Test func consoleOutputDifferencesAreUnifiedDiffs() throws {
        let d = try diff(boot(), boot(console: "kernel: panic\n"))
        #expect(d.isDifferent)
        let console = try #require(d.outputs.first { $0.name == "debug console" })
        #expect(console.hunks == ["--- a/debug console", "+++ b/debug console", "@@ -1 +1 @@", "-kernel: booting", "+kernel: panic"])
    }

    /// The VMM log's times differ on every run: they are masked, the messages are not.
    @Test func theLogIsComparedWithTimesMasked() throws {
        let d = try diff(boot(kernelMs: 900), boot(kernelMs: 900.5))
        #expect(!d.outputs.contains { $0.name == "vmm log" })
        // A changed code is a changed record, shown with its real (unmasked) times.
        let changed = try diff(boot(), boot(codes: [0x01, 0x21, 0x40, 0x60]))
        let log = try #require(changed.outputs.first { $0.name == "vmm log" })
        #expect(log.hunks.contains { $0.hasPrefix("-") && $0.contains("Bootloader code 0x20] 0.400000 seconds") })
        #expect(log.hunks.contains { $0.hasPrefix("+") && $0.contains("Bootloader code 0x21] 0.400000 seconds") })
    }

    /// IN counts follow polling (timing); OUT counts are behaviour; a port appearing or going
    /// always counts.
    @Test func portCountsAndNewPorts() throws {
        let a = boot(polls: 10)
        #expect(try diff(a, boot(polls: 10)).ports.allSatisfy { !$0.changed })
        let more = try diff(a, boot(polls: 20))
        #expect(!more.isDifferent, "\(more.reasons)")
        #expect(more.ports.first { $0.key == PortKey(port: 0x3fd, direction: .in) }.map { $0.changed && $0.judged == .times } == true)
        #expect(more.notJudged.contains { $0.contains("IN access counts") && $0.contains("in 0x3fd") })
        #expect(try diff(a, boot(polls: 20), judgingTimes: true).reasons.contains { $0.contains("IN access counts") })
        #expect(!(try diff(a, boot(polls: 20), ignoring: [.counts], judgingTimes: true)).isDifferent)
        var writes = boot()
        for i in 0..<10 { writes.out(1500 + Double(i), 0x61, [UInt8(i)]) }
        var moreWrites = boot()
        for i in 0..<12 { moreWrites.out(1500 + Double(i), 0x61, [UInt8(i)]) }
        let outs = try diff(writes, moreWrites)
        #expect(outs.reasons.contains("OUT access counts changed beyond the tolerance: out 0x61 (10 -> 12)"), "\(outs.reasons)")
        #expect(!(try diff(writes, moreWrites, ignoring: [.counts])).reasons.contains { $0.contains("OUT access") })
        var extra = boot()
        extra.out(2000, 0x510, [1])
        let added = try diff(a, extra)
        #expect(added.reasons.contains("ports appear: out 0x510"))
        let gone = try diff(extra, a)
        #expect(gone.reasons.contains("ports disappear: out 0x510"))
    }

    @Test func inValuesAtTheSamePlace() throws {
        var b = boot(polls: 0)
        b.input(2000, 0x71, [0x12])
        b.input(2001, 0x71, [0x34])
        var c = boot(polls: 0)
        c.input(2000, 0x71, [0x12])
        c.input(2001, 0x71, [0x99])
        let d = try diff(b, c)
        #expect(d.inDifferences.count == 1)
        #expect(d.inDifferences.first?.index == 1 && d.inDifferences.first?.b == [0x99])
        #expect(!d.isDifferent)  // shown, not judged
    }

    @Test func metadataIsShownButNeverJudged() throws {
        var b = boot()
        b.fields = [("labels", .object([("vmm", .string("v52"))]))]
        var c = boot()
        c.fields = [("labels", .object([("vmm", .string("v53"))]))]
        let d = try diff(b, c)
        #expect(!d.isDifferent)
        #expect(d.metadata.contains { $0.key == "labels" })
    }

    @Test(arguments: [("5%,200us", 0.05, 200_000), ("20%", 0.2, 1_000_000), ("2ms", 0.1, 2_000_000)])
    func tolerances(text: String, relative: Double, absolute: Int64) throws {
        let t = try #require(Tolerance(text))
        #expect(t.relative == relative && t.absoluteNs == absolute)
    }

    @Test func badTolerancesAreRefused() {
        for bad in ["", "fast", "5", "-5%", "5%,5%", "1ms,2ms", "5%,200us,1", "nan%"] { #expect(Tolerance(bad) == nil, "\(bad)") }
    }

    @Test func releaseRanges() throws {
        #expect(try ReleaseComparison.releases("v52.0..latest").get().map(\.tag) == ["v52.0", "v53.0"])
        #expect(try ReleaseComparison.releases("all").get().count == Release.all.count)
        #expect(try ReleaseComparison.releases("v24.0,v53.0").get().map(\.tag) == ["v24.0", "v53.0"])
        #expect(throws: UnknownRelease.self) { try ReleaseComparison.releases("v24.0..v99").get() }
    }

    /// The debug console came in v38.0: the groups split there, among other places.
    @Test func releasesGroupByIdenticalOutput() throws {
        let path = try boot().write(profile: "v53.0")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try ReleaseComparison.groups(path: path, releases: try ReleaseComparison.releases("v37.1..v38.0").get())
        #expect(c.groups.map { $0.releases.map(\.tag) } == [["v37.1"], ["v38.0"]])
        #expect(c.groups[1].changes.contains { $0.name == "debug console" })
        let same = try ReleaseComparison.groups(path: path, releases: try ReleaseComparison.releases("v43.0..v45.0").get())
        #expect(same.groups.count == 1)
    }
}
