import Foundation
import Testing
import TraceFormat

@testable import Analysis
@testable import Devices

struct TimelineTests {
    func build(_ b: TraceBuilder, profile: String? = "v53.0", _ configure: (inout TimelineOptions) throws -> Void = { _ in }) throws
        -> BootTimeline
    {
        let path = try b.write(profile: profile)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var o = TimelineOptions()
        try configure(&o)
        return try TimelineBuilder.build(path: path, options: o)
    }

    @Test func stepsAndPhasesOfAPlainBoot() throws {
        var b = TraceBuilder()
        b.post(19, 0x00)
        b.post(20, 0x01)
        b.post(400, 0x20)
        b.post(900, 0x40)
        b.post(1200, 0x60)
        b.post(1204, 0x61)
        let t = try build(b)
        #expect(t.release.release.tag == "v53.0")
        #expect(t.release.source == .profileField)
        #expect(t.postSteps.map(\.code) == [0x00, 0x01, 0x20, 0x40, 0x60, 0x61])
        #expect(t.steps[1].interval == 1_000_000)
        #expect(t.steps[0].interval == 19_000_000 && t.steps[0].intervalFrom == nil)
        #expect(t.phases.map(\.component) == [.firmware, .bootloader, .kernel, .userspace])
        #expect(t.phases.map(\.duration) == [381_000_000, 500_000_000, 300_000_000, 4_000_000])
        #expect(t.beforeFirstStep == 19_000_000)
        #expect(t.total == 1_204_000_000)
        #expect(
            TimelineText.summary(t)
                == "Startup finished in 19.0ms (before first step) + 381.0ms (firmware) + 500.0ms (bootloader) + 300.0ms (kernel) + 4.0ms (userspace) = 1.204s"
        )
    }

    /// Linux's outb_p writes 0x00 long after the firmware: listed and counted, no new phase.
    @Test func backStepsOpenNoPhase() throws {
        var b = TraceBuilder()
        b.post(1, 0x01)
        b.post(5, 0x40)
        b.post(2500, 0x00)
        b.post(2500.01, 0x00)
        b.post(3000, 0x60)
        let t = try build(b)
        // The two 0x00 writes are one step (a repeat), and a back-step.
        #expect(t.backSteps == 1)
        #expect(t.steps.filter(\.isBackStep).map(\.code) == [0x00])
        #expect(t.steps.filter(\.isBackStep).map(\.count) == [2])
        #expect(t.phases.map(\.component) == [.firmware, .kernel, .userspace])
        #expect(t.phase(.kernel)?.duration == 2_995_000_000)
        #expect(TimelineText.render(t).contains("1 back-step:"))
        // Outside the chain: 0x60's interval runs from 0x40, not from the back-step.
        #expect(t.steps.last?.interval == 2_995_000_000 && t.steps.last?.intervalFrom == "0x40 Kernel")
    }

    @Test func codesRestrictWhichCount() throws {
        var b = TraceBuilder()
        b.post(1, 0x01)
        b.post(2, 0xaa)
        b.post(3, 0x40)
        let t = try build(b) { $0.codes = [0x00...0x7f] }
        #expect(t.postSteps.map(\.code) == [0x01, 0x40])
        #expect(t.filteredOut == 1)
    }

    /// v24.0+ logs 0x80 writes of any width by their low byte; earlier releases only single bytes.
    @Test func widthsFollowTheRelease() throws {
        var b = TraceBuilder()
        b.post(1, 0x01)
        b.out(2, 0x80, [0x40, 0x12])
        b.out(3, 0x80, [0x60, 0, 0, 0])
        let new = try build(b, profile: "v24.0")
        #expect(new.postSteps.map(\.code) == [0x01, 0x40, 0x60])
        let old = try build(b, profile: "v23.1")
        #expect(old.postSteps.map(\.code) == [0x01])
        // v0.1.0 had no 0x80 logging at all; --profile overrides the trace's own.
        let none = try build(b) { $0.release = Release(tag: "v0.1.0") }
        #expect(none.steps.filter { $0.code != nil }.isEmpty)
        #expect(none.release.source == .flag)
    }

    @Test func marksAndConsoleStarts() throws {
        var b = TraceBuilder()
        b.post(1, 0x01)
        b.print(10, "firmware ok\n", port: 0x402)
        b.print(50, "[    0.000000] Linux version 6.1.0\n")
        b.print(80, "debian login: \n")
        let t = try build(b) {
            $0.marks = [try TimelineOptions.mark("Linux version"), try TimelineOptions.mark("login=login:")]
        }
        let marks = t.steps.compactMap { s -> (String, Int64)? in
            if case .mark(let name, _, _) = s.kind { return (name, s.time) }
            return nil
        }
        #expect(marks.map(\.0) == ["Linux version", "login"])
        #expect(marks.map(\.1) == [50_000_000, 80_000_000])
        let starts = t.steps.filter { if case .consoleStart = $0.kind { return true } else { return false } }
        #expect(starts.map(\.label) == ["firmware debug: first byte", "debug console: first byte"])
        #expect(t.consoleLines.map(\.text) == ["firmware ok", "[    0.000000] Linux version 6.1.0", "debian login: "])
        #expect(t.consoleLines.map(\.device) == ["firmware debug", "debug console", "debug console"])
    }

    @Test func badMarksAreRefused() {
        #expect(throws: AnalysisError.self) { try TimelineOptions.mark("(unclosed") }
        #expect(throws: AnalysisError.self) { try TimelineOptions.mark("name=") }
    }

    @Test func activityIsBoundedAndCounts() throws {
        var h = ActivityHistogram()
        for i in 0..<100_000 { h.add(time: Int64(i) * 1_000_000, vcpu: UInt32(i % 2)) }
        #expect(h.lanes.allSatisfy { $0.count <= ActivityHistogram.maximumBuckets })
        #expect(h.total.reduce(0, +) == 100_000)
        #expect(h.vcpus == [0, 1])
    }

    @Test func timeText() {
        #expect(TimeText.span(512_000) == "512us")
        #expect(TimeText.span(19_004_000) == "19.0ms")
        #expect(TimeText.span(1_204_000_000) == "1.204s")
        #expect(TimeText.span(123_500_000_000) == "2min 3.500s")
        #expect(TimeText.span(-2_000_000) == "-2.0ms")
        #expect(TimeText.span(999) == "999ns")
    }
}
