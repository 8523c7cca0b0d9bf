import Foundation
import Testing
import TraceFormat

@testable import Analysis
@testable import Devices

/// Issue 21's boot model: intervals, repeats, back-steps, phases from marks, named intervals.
struct BootChainTests {
    func build(_ b: TraceBuilder, _ configure: (inout TimelineOptions) throws -> Void = { _ in }) throws -> BootTimeline {
        let path = try b.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var o = TimelineOptions()
        try configure(&o)
        return try TimelineBuilder.build(path: path, options: o)
    }

    /// The interval that grew is the one shown: 0x20 -> 0x40, not every step after it.
    @Test func eachStepClosesTheIntervalFromThePreviousOne() throws {
        var b = TraceBuilder()
        b.post(2, 0x00)
        b.post(100, 0x20)
        b.post(600, 0x40)  // the bootloader's pause, doubled
        b.post(650, 0x60)
        let t = try build(b)
        #expect(
            t.intervals.map(\.name) == [
                "VM start -> 0x0 Firmware", "0x0 Firmware -> 0x20 Bootloader", "0x20 Bootloader -> 0x40 Kernel",
                "0x40 Kernel -> 0x60 Userspace",
            ])
        #expect(t.intervals.map(\.duration) == [2_000_000, 98_000_000, 500_000_000, 50_000_000])
        #expect(TimelineText.blame(t).hasPrefix("500.0ms  0x20 Bootloader -> 0x40 Kernel"))
        let text = TimelineText.render(t)
        #expect(text.contains("     0                  VM start"), "\(text)")
    }

    /// A back-step is outside the chain: `+prev` of the next step is measured from the step
    /// before the back-step (0x41 - 0x40 = 450 ms, not 436 ms from the back-step).
    @Test func backStepsAreOutsideTheChain() throws {
        var b = TraceBuilder()
        b.post(1, 0x01)
        b.post(100, 0x40)
        b.post(114, 0x00)
        b.post(550, 0x41)
        let t = try build(b)
        let last = try #require(t.steps.last)
        #expect(last.interval == 450_000_000)
        #expect(last.intervalFrom == "0x40 Kernel")
        #expect(t.steps.first { $0.isBackStep }?.interval == nil)
        #expect(t.bootEnd == 550_000_000)
        #expect(t.phase(.kernel)?.end == 550_000_000)
    }

    /// Consecutive writes of one code are one step, timed at the first, with a count and the
    /// time to the last (the Linux setup's six 0x00 writes).
    @Test func repeatsAreOneStep() throws {
        var b = TraceBuilder()
        for k in 0..<6 { b.post(4347.901 + Double(k) * 0.04, 0x00) }
        b.print(4348.5, "text on the console\n")
        b.post(4349, 0x00)  // still a repeat: no other code between
        let t = try build(b)
        let posts = t.steps.filter { $0.code != nil }
        #expect(posts.count == 1)
        #expect(posts[0].count == 7)
        #expect(posts[0].time == 4_347_901_000)
        #expect(posts[0].lastTime == 4_349_000_000)
        #expect(posts[0].labelWithRepeats == "0x0 Firmware x7 over 1.1ms")
        #expect(TimelineJSON.value(t).serialized().contains("\"count\":7"))
    }

    /// The Linux recording's six 0x00 writes: one step, and a note that the codes do not cover
    /// the boot the console shows.
    @Test func aConsoleOnlyLinuxBootSaysTheCodesDoNotCoverIt() throws {
        let t = try TimelineBuilder.build(path: Self.trace("linux-boot-2.pt"))
        let posts = t.steps.filter { $0.code != nil }
        #expect(posts.count == 1 && posts[0].count == 6, "\(posts)")
        let note = try #require(t.consoleOutlastsTheCodes)
        #expect(note.contains("--marks linux"))
        #expect(TimelineText.render(t).contains("note: the consoles kept printing for 3min"))
    }

    /// `--marks linux` on the real recording: phases from the console; the kernel line opened by
    /// SeaBIOS's clear-screen at 5.71 s is timed by its first printable byte (186.688615 s);
    /// the trace ends before userspace, so the Kernel phase is unfinished.
    @Test func linuxMarksOnARealConsole() throws {
        var o = TimelineOptions()
        o.markSet = MarkSet.linux
        let t = try TimelineBuilder.build(path: Self.trace("linux-boot-2.pt"), options: o)
        #expect(t.phaseSource == .marks("linux"))
        #expect(t.phases.map(\.name) == ["Firmware", "Bootloader", "Kernel"])
        #expect(t.phases.map(\.component) == [.firmware, .bootloader, .kernel])
        let kernel = try #require(t.steps.first { if case .mark("kernel", _, _) = $0.kind { return true } else { return false } })
        #expect(kernel.time == 186_688_615_000 || abs(kernel.time - 186_688_615_000) < 1_000, "\(kernel.time)")
        if case .mark(_, let device, let line) = kernel.kind {
            #expect(device == "serial")
            #expect(line.hasPrefix("[    0.000000] Linux version 6.1.0-"), "\(line)")
        }
        #expect(t.phases.last?.unfinished == true)
        #expect(t.phases.last?.end == t.lastEventTime)
        #expect(t.unfinished)
        #expect(t.consoleOutlastsTheCodes == nil)
        #expect(TimelineText.render(t).contains("the Kernel phase never ended"))
        // No console label keeps terminal control sequences.
        #expect(t.consoleLines.allSatisfy { !$0.text.unicodeScalars.contains { $0.value == 0x1b } })
        #expect(t.consoleLines.contains { $0.text == "SeaBIOS (version 1.16.2-debian-1.16.2-1)" })
    }

    /// The built-in set's end mark and userspace mark, on a guest that prints them.
    @Test func linuxMarksThroughToLogin() throws {
        var b = TraceBuilder()
        b.print(1, "SeaBIOS (version 1.16.2)\r\n", port: 0x3f8)
        b.print(10, "Booting from ROM...\r\n", port: 0x3f8)
        b.print(100, "[    0.000000] Linux version 6.1.0-57-cloud-amd64\r\n", port: 0x3f8)
        b.print(900, "[    2.100000] Run /init as init process\r\n", port: 0x3f8)
        b.print(1500, "porttrace-guest login: \r\n", port: 0x3f8)
        let t = try build(b) { $0.markSet = .linux }
        #expect(t.phases.map(\.name) == ["Firmware", "Bootloader", "Kernel", "Userspace"])
        #expect(t.phases.map(\.start) == [1_000_000, 10_000_000, 100_000_000, 900_000_000])
        #expect(t.phases.last?.end == 1_500_000_000)
        #expect(!t.unfinished)
        #expect(t.bootEnd == 1_500_000_000)
        #expect(t.total == 1_500_000_000)
    }

    /// `--phase` and `--interval` name steps by code or mark; TO is the first after FROM.
    @Test func namedPhasesAndIntervals() throws {
        var b = TraceBuilder()
        b.post(5, 0x40)
        b.print(10, "early\n")
        b.post(40, 0x41)
        b.post(45, 0x40)
        b.post(70, 0x41)
        b.print(80, "ready\n")
        let t = try build(b) { o in
            o.marks = [try TimelineOptions.mark("ready=^ready$")]
            o.phases = [try PhaseSpec.parse("boot=0x40..ready"), try PhaseSpec.parse("never=0x41..0x99")]
            o.intervals = [
                try IntervalSpec.parse("boot_time=0x40..0x41"), try IntervalSpec.parse("all=start..end"),
                try IntervalSpec.parse("missing=0x60..0x61"),
            ]
        }
        // `end` is where the phases end: here the unfinished one's, the end of the trace.
        #expect(t.namedIntervals.map(\.duration) == [35_000_000, t.lastEventTime, nil])
        #expect(t.phases.map(\.name) == ["boot", "never"])
        #expect(t.phases[0].duration == 75_000_000 && !t.phases[0].unfinished)
        #expect(t.phases[1].unfinished && t.phases[1].end == t.lastEventTime)
        #expect(throws: AnalysisError.self) { try IntervalSpec.parse("x=0x40") }
        #expect(throws: AnalysisError.self) { try IntervalSpec.parse("=0x40..0x41") }
        var o = TimelineOptions()
        o.intervals = [try IntervalSpec.parse("x=0x40..nomark")]
        #expect(throws: AnalysisError.self) { try o.checkReferences() }
    }

    /// A window shows the steps and lines inside it and clips the phases.
    @Test func aWindowClipsPhases() throws {
        var b = TraceBuilder()
        b.post(10, 0x01)
        b.post(100, 0x20)
        b.post(200, 0x40)
        b.print(150, "middle\n")
        let t = try build(b).window(from: 50_000_000, to: 180_000_000)
        #expect(t.steps.compactMap(\.code) == [0x20])
        #expect(t.phases.map(\.start) == [50_000_000, 100_000_000])
        #expect(t.phases.map(\.end) == [100_000_000, 180_000_000])
        #expect(t.consoleLines.map(\.text) == ["middle"])
    }

    /// What a timeline holds is bounded, and what it leaves out is counted.
    @Test func limitsCountWhatTheyLeaveOut() throws {
        var b = TraceBuilder()
        for k in 0..<50 { b.post(Double(k) + 1, k % 2 == 0 ? 0x41 : 0x42) }
        b.post(60, 0x60)
        for k in 0..<20 { b.print(100 + Double(k), "line \(k)\n") }
        let t = try build(b) { o in
            o.keptSteps = 10
            o.keptLines = 5
        }
        #expect(t.steps.filter { $0.code != nil }.count == 10)
        #expect(t.stepsLeftOut == 41)
        #expect(t.bootEnd == 60_000_000)
        #expect(t.phase(.userspace) != nil)
        #expect(t.consoleLines.count == 5 && t.consoleLinesLeftOut == 15)
        #expect(TimelineText.render(t).contains("41 more POST steps are not listed"))
    }

    static func trace(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("traces/\(name)").path
    }
}
