import Analysis
import ArgumentParser
import Devices
import Foundation
import SystemCalls
import TraceFormat

/// Options every analysis command shares: the release to read under, which POST codes count, marks.
struct TimelineArguments: ParsableArguments {
    @Option(help: "Read the trace as this cloud-hypervisor release (default: the release the trace names, else latest).")
    var profile: String?
    @Option(help: "Only these POST codes count as steps, e.g. 0x00-0x7f or 0x20-0x3f,0x40.") var codes: CodeRanges?
    @Option(
        name: .customLong("mark"),
        help: ArgumentHelp(
            "Make the first console line matching PATTERN (RE2 syntax; see the README) a step (NAME=PATTERN names it); repeatable. E.g. --mark 'Linux version'.",
            valueName: "pattern"))
    var marks: [String] = []
    @Option(
        name: .customLong("marks"),
        help: ArgumentHelp(
            "A built-in set of console marks whose phases replace the POST codes' (\(MarkSet.all.map(\.name).joined(separator: ", "))); see the README.",
            valueName: "set"))
    var markSet: String?
    @Option(
        name: .customLong("phase"),
        help: ArgumentHelp(
            "A phase from FROM's first occurrence to TO's first after it (0xNN codes, mark names, start); repeatable. Phases then come from these only.",
            valueName: "name=from..to"))
    var phases: [String] = []
    @Option(
        name: .customLong("interval"),
        help: ArgumentHelp(
            "A named interval from FROM's first occurrence to TO's first after it (0xNN codes, mark names, start, end); repeatable.",
            valueName: "name=from..to"))
    var intervals: [String] = []

    func validate() throws {
        if let profile, case .failure(let e) = Release.named(profile) { throw ValidationError("--profile: \(e)") }
        do { _ = try options() } catch { throw ValidationError("\(error)") }
    }

    func options() throws -> TimelineOptions {
        var o = TimelineOptions()
        o.release = profile.flatMap { try? Release.named($0).get() }
        o.codes = codes?.ranges
        o.marks = try marks.map(TimelineOptions.mark)
        if let markSet {
            guard let set = MarkSet.named(markSet) else {
                throw AnalysisError.badOption(
                    "--marks '\(markSet)': no such set (there is: \(MarkSet.all.map(\.name).joined(separator: ", ")))")
            }
            o.markSet = set
        }
        o.phases = try phases.map(PhaseSpec.parse)
        o.intervals = try intervals.map(IntervalSpec.parse)
        try o.checkReferences()
        return o
    }
}

/// `0x00-0x1f,0x40`: POST code ranges.
struct CodeRanges: ExpressibleByArgument {
    var ranges: [ClosedRange<UInt8>]
    init?(argument: String) {
        guard let r = ValueSyntax.codeRanges(argument) else { return nil }
        ranges = r
    }
}

/// Builds a timeline, with progress on a terminal, turning failures into one line and status 2.
func loadTimeline(_ path: String, _ options: TimelineOptions) throws -> BootTimeline {
    try loadTimeline(try openTrace(path), options)
}

/// A timeline from a trace already open.
func loadTimeline(_ reader: TraceReader, _ options: TimelineOptions) throws -> BootTimeline {
    do {
        return try TimelineBuilder.build(reader: reader, options: options, progress: ProgressMeter(reading: reader))
    } catch let e as AnalysisError {
        throw CLIFailure.cannot("\(e)")
    }
}

extension BootTimeline {
    /// What reading the trace found: complete, not closed cleanly, or damaged.
    var verdict: TraceVerdict { TraceVerdict(path: path, closedCleanly: closedCleanly, problems: problems) }
}

/// Writes a report to `-o FILE` (a regular file is replaced whole or not at all; `-` or no `-o`
/// is stdout; a device or FIFO is written in place).
func emit(_ text: String, to output: String?, contents: OutputFile.Contents = .report) throws {
    guard let output, output != "-" else { return try Output.stdout(Array(text.utf8)) }
    let sink: ByteSink
    do {
        sink = try ByteSink.output(output, contents: contents)
    } catch {
        throw CLIFailure.cannot("-o \(error)")
    }
    sink.write(string: text)
    do {
        try sink.finish()
    } catch let e as SinkError {
        sink.abandon()
        throw outputFailure(e)
    }
}
