import Foundation
import Testing
import TraceFormat

@testable import Analysis
@testable import Devices

/// Issue 21: `diff` judges behaviour; steps are compared by the intervals they close.
struct DiffVerdictTests {
    /// Two traces compared through the streamed engine.
    func diff(
        _ a: TraceBuilder, _ b: TraceBuilder, judgingTimes: Bool = false, options: TimelineOptions = TimelineOptions(),
        masks: OutputMasks = .standard
    ) throws -> TraceDiff {
        let pa = try a.write(name: "a")
        let pb = try b.write(name: "b")
        defer { for p in [pa, pb] { try? FileManager.default.removeItem(atPath: p) } }
        return try TraceDiff.compare(pathA: pa, pathB: pb, options: options, judgingTimes: judgingTimes, masks: masks)
    }

    /// Codes at the given ms.
    func codes(_ list: [(Double, UInt8)]) -> TraceBuilder {
        var b = TraceBuilder()
        for (t, c) in list { b.post(t, c) }
        return b
    }

    /// A guest whose bootloader pause was doubled: only the interval that grew (0x20 -> 0x40) is
    /// marked, not every later step, as times since the VM start would.
    @Test func onlyTheIntervalThatGrewIsMarked() throws {
        let a = codes([(5, 0x01), (10, 0x20), (40, 0x40), (70, 0x60), (71, 0x61)])
        let b = codes([(5, 0x01), (10, 0x20), (70, 0x40), (100, 0x60), (101, 0x61)])
        let d = try diff(a, b)
        #expect(d.reasons.isEmpty, "\(d.reasons)")
        #expect(d.steps.filter(\.intervalChanged).map { $0.a?.code } == [0x40])
        let grown = try #require(d.steps.first { $0.a?.code == 0x40 })
        #expect(grown.intervalA == 30_000_000 && grown.intervalB == 60_000_000)
        #expect(grown.fromA == "0x20 Bootloader" && grown.intervalName == "0x20 Bootloader -> 0x40 Kernel")
        #expect(d.notJudged.contains { $0.contains("1 step interval changed beyond the tolerance: 0x20 Bootloader -> 0x40 Kernel") })
        let text = DiffReport.render(d, format: .text, color: false)
        #expect(text.contains("   0x40 Kernel      0x20 Bootloader  30.0ms  60.0ms  +30.0ms (+100.0%)  *\n"), "\(text)")
        #expect(text.contains("   0x60 Userspace   0x40 Kernel      30.0ms  30.0ms       +0ns (+0.0%)\n"), "\(text)")
        #expect(try diff(a, b, judgingTimes: true).reasons.contains { $0.contains("0x20 Bootloader -> 0x40 Kernel") })
    }

    /// The first interval, from the VM's start to the first step, is a row of its own.
    @Test func theFirstIntervalIsARow() throws {
        let d = try diff(codes([(4, 0x00), (5, 0x20)]), codes([(2, 0x00), (5, 0x20)]))
        let first = try #require(d.steps.first)
        #expect(first.fromA == "VM start" && first.fromB == "VM start")
        #expect(first.intervalA == 4_000_000 && first.intervalB == 2_000_000 && first.intervalChanged)
        #expect(DiffReport.render(d, format: .text, color: false).contains("   0x0 Firmware     VM start"))
    }

    /// A step one boot has between two common steps: the common step after it is timed from
    /// the last common step on both sides, so both sides time the same stretch.
    @Test func anAddedStepLeavesTheNextIntervalComparable() throws {
        let d = try diff(codes([(1, 0x20), (10, 0x40), (20, 0x60)]), codes([(1, 0x20), (10, 0x40), (15, 0x41), (20, 0x60)]))
        #expect(d.reasons == ["the POST code sequences differ (1 added, removed or changed)", "regenerated output differs: vmm log"])
        let added = try #require(d.steps.first { $0.change == .added })
        #expect(added.b?.code == 0x41 && added.intervalB == 5_000_000 && added.fromB == "0x40 Kernel" && added.intervalA == nil)
        let next = try #require(d.steps.first { $0.a?.code == 0x60 })
        #expect(next.fromA == "0x40 Kernel" && next.fromB == "0x40 Kernel")
        #expect(next.intervalA == 10_000_000 && next.intervalB == 10_000_000 && !next.intervalChanged)
    }

    /// A back-step (Linux's `outb_p` 0x00 long after the firmware) is aligned as behaviour but
    /// closes no interval: the next step is timed from the chain's step before it.
    @Test func backStepsAreOutsideTheIntervals() throws {
        let d = try diff(codes([(1, 0x20), (10, 0x40), (12, 0x00), (20, 0x41)]), codes([(1, 0x20), (10, 0x40), (15, 0x00), (20, 0x41)]))
        #expect(d.reasons.isEmpty, "\(d.reasons)")
        let back = try #require(d.steps.first { $0.a?.code == 0x00 })
        #expect(back.a?.isBackStep == true && back.intervalA == nil && !back.intervalChanged)
        let next = try #require(d.steps.first { $0.a?.code == 0x41 })
        #expect(next.fromA == "0x40 Kernel" && next.intervalA == 10_000_000 && next.intervalB == 10_000_000)
        #expect(DiffReport.render(d, format: .text, color: false).contains("   0x0 Firmware     (back-step)"))
    }

    /// Repeats are one step: 6 writes of 0x00 and 5 are the same step (the counts are shown, not
    /// judged), and port 0x80's count is judged by its codes.
    @Test func repeatsAreOneStepAndTheirCountsAreNotJudged() throws {
        var a = codes([(1, 0x01)])
        var b = codes([(1, 0x01)])
        for i in 0..<6 { a.post(10 + Double(i) * 0.01, 0x00) }
        for i in 0..<5 { b.post(10 + Double(i) * 0.01, 0x00) }
        let d = try diff(a, b)
        let different = d.isDifferent
        #expect(!different, "\(d.reasons)")
        let step = try #require(d.steps.first { $0.a?.code == 0x00 })
        #expect(step.change == .same && step.repeatsDiffer && step.a?.count == 6 && step.b?.count == 5)
        #expect(d.notJudged.contains("repeat counts differ: 0x0 Firmware (x6 against x5)"))
        let port = try #require(d.ports.first { $0.key == PortKey(port: 0x80, direction: .out) })
        #expect(port.changed && port.judged == .content)
        let text = DiffReport.render(d, format: .text, color: false)
        #expect(text.contains("0x0 Firmware x6 | x5"), "\(text)")
        #expect(text.contains("masks: VMM log times; repeated POST code lines folded in the VMM log (5 lines in a, 4 in b);"), "\(text)")
        let json = DiffReport.render(d, format: .json, color: false)
        #expect(json.contains(#""repeats_differ":true"#) && json.contains(#""decided_by":"content""#))
        // A different code among the repeats is behaviour: the sequences and the log differ.
        var c = codes([(1, 0x01)])
        for i in 0..<5 { c.post(10 + Double(i) * 0.01, i == 2 ? 0x02 : 0x00) }
        let other = try diff(a, c)
        #expect(other.reasons.first == "the POST code sequences differ (2 added, removed or changed)", "\(other.reasons)")
    }

    /// Two boots of one guest whose times differ: the same without --times, different with it.
    @Test func twoBootsOfOneBuildAreTheSameUnlessTimesAreJudged() throws {
        func boot(_ scale: Double) -> TraceBuilder {
            var b = codes([(3.8 * scale, 0x00), (4.2 * scale, 0x01), (35.8 * scale, 0x20), (65.5 * scale, 0x40), (93 * scale, 0x60)])
            b.print(66 * scale, "kernel: up\n")
            for i in 0..<Int(20 * scale) { b.input(70 * scale + Double(i) * 0.01, 0x3fd, [0x60]) }
            return b
        }
        let d = try diff(boot(1), boot(1.5))
        #expect(d.reasons.isEmpty, "\(d.reasons)")
        #expect(d.notJudged.contains { $0.hasPrefix("the boot took 93.0ms against 139.5ms") })
        #expect(d.notJudged.contains { $0.contains("IN access counts changed beyond the tolerance: in 0x3fd (20 -> 30)") })
        let judged = try diff(boot(1), boot(1.5), judgingTimes: true)
        #expect(judged.isDifferent && judged.judgesTimes)
        #expect(judged.reasons.contains { $0.contains("phase times changed beyond the tolerance: Firmware, Bootloader, Kernel") })
        #expect(DiffReport.render(judged, format: .text, color: false).contains("DIFFERENT (times judged: --times)"))
    }

    /// Phases are paired by name, whatever made them (here `--phase`), and named intervals too.
    @Test func phasesFromMarksAndNamedIntervalsAreComparedByName() throws {
        func boot(_ kernelMs: Double) -> TraceBuilder {
            var b = codes([(1, 0x40), (1 + kernelMs, 0x41)])
            b.print(2, "Linux version 6.1\n")
            b.print(3 + kernelMs, "Run /init as init process\n")
            return b
        }
        var o = TimelineOptions()
        o.marks = [try TimelineOptions.mark("kernel=Linux version"), try TimelineOptions.mark("init=Run /init")]
        o.phases = [try PhaseSpec.parse("boot=kernel..init")]
        o.intervals = [try IntervalSpec.parse("boot_time=0x40..0x41")]
        let d = try diff(boot(10), boot(20), options: o)
        #expect(d.reasons.isEmpty, "\(d.reasons)")
        #expect(d.phases.map(\.name) == ["boot"])
        #expect(d.phases.first?.changed == true)
        let interval = try #require(d.intervals.first)
        #expect(interval.name == "boot_time" && interval.a == 10_000_000 && interval.b == 20_000_000 && interval.changed)
        #expect(d.notJudged.contains("named intervals changed beyond the tolerance: boot_time"))
        // Marks are steps of the chain: each closes an interval too, and a code after a mark is
        // timed from it.
        let step = try #require(d.steps.first { $0.a?.code == 0x41 })
        #expect(step.fromA == "mark kernel" && step.intervalA == 9_000_000 && step.intervalB == 19_000_000 && step.intervalChanged)
        let mark = try #require(d.steps.first { $0.a?.label == "mark init" })
        #expect(mark.fromA == "0x41 Kernel" && mark.intervalA == 2_000_000 && !mark.intervalChanged)
        let text = DiffReport.render(d, format: .text, color: false)
        #expect(text.contains("boot_time  0x40..0x41  10.0ms  20.0ms  +10.0ms (+100.0%)  *"), "\(text)")
        let md = DiffReport.render(d, format: .markdown, color: false)
        #expect(md.contains("| boot_time | 0x40..0x41 | 10.0ms | 20.0ms | +10.0ms (+100.0%) | changed |"), "\(md)")
    }

    /// An unfinished phase runs to the trace's end: its length is shown, marked, never judged.
    @Test func unfinishedPhasesAreShownNotJudged() throws {
        func boot(_ tailMs: Double) -> TraceBuilder {
            var b = TraceBuilder()
            b.print(1, "Linux version 6.1\n")
            b.out(1 + tailMs, 0x61, [0])
            return b
        }
        var o = TimelineOptions()
        o.marks = [try TimelineOptions.mark("kernel=Linux version"), try TimelineOptions.mark("init=Run /init")]
        o.phases = [try PhaseSpec.parse("kernel=kernel..init")]
        o.intervals = [try IntervalSpec.parse("rest=kernel..end")]
        let d = try diff(boot(10), boot(50), judgingTimes: true, options: o)
        #expect(d.intervals.first.map { $0.a == 10_000_000 && $0.b == 50_000_000 && !$0.changed } == true)
        let phase = try #require(d.phases.first)
        #expect(phase.a?.unfinished == true && !phase.changed)
        #expect(!d.total.changed)
        #expect(d.reasons.isEmpty, "\(d.reasons)")
        #expect(DiffReport.render(d, format: .text, color: false).contains("(unfinished)"))
    }

    /// The report says which masks applied, and on how many lines.
    @Test func theReportNamesTheMasks() throws {
        var a = TraceBuilder()
        a.print(1, "[    0.001000] kvm-clock: offset 11\n[    0.002000] up\nplain\n")
        var b = TraceBuilder()
        b.print(1, "[    1.500000] kvm-clock: offset 42\n[    2.000000] up\nplain\n")
        var masks = OutputMasks.standard
        masks.add(try PatternMask(source: #"offset \d+"#))
        let d = try diff(a, b, masks: masks)
        #expect(d.reasons.isEmpty, "\(d.reasons)")
        #expect(d.masks.map(\.kind) == [.logTimes, .logRepeats, .printkTime, .pattern])
        #expect(d.masks[1].linesA == 0 && d.masks[2].linesA == 2 && d.masks[2].linesB == 2 && d.masks[3].linesA == 1)
        let text = DiffReport.render(d, format: .text, color: false)
        #expect(
            text.contains(
                #"masks: VMM log times; printk time on the consoles (2 lines in a, 2 in b); 'offset \d+' on all outputs (1 line in a, 1 in b)"#
            ),
            "\(text)")
        #expect(DiffReport.render(d, format: .markdown, color: false).contains(#"Masks: VMM log times; printk time on the consoles"#))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(DiffReport.render(d, format: .json, color: false).utf8)) as? [String: Any])
        let listed = try #require(json["masks"] as? [[String: Any]])
        #expect(listed.map { $0["kind"] as? String } == ["vmm_log_times", "vmm_log_repeats", "printk_time", "pattern"])
        #expect(listed[3]["name"] as? String == #"offset \d+"# && listed[3]["lines_b"] as? Int == 1)
    }
}
