import Analysis
import ArgumentParser
import Devices
import Foundation
import TraceFormat

/// Options every analysis command shares: the release to read under, which POST codes count, marks.
struct TimelineArguments: ParsableArguments {
    @Option(help: "Read the trace as this cloud-hypervisor release (default: the release the trace names, else latest).")
    var profile: String?
    @Option(help: "Only these POST codes count as steps, e.g. 0x00-0x7f or 0x20-0x3f,0x40.") var codes: CodeRanges?
    @Option(
        name: .customLong("mark"),
        help: "Make the first console line matching REGEX a step (NAME=REGEX names it); repeatable. E.g. --mark 'Linux version'.")
    var marks: [String] = []

    func validate() throws {
        if let profile, case .failure(let e) = Release.named(profile) { throw ValidationError("--profile: \(e)") }
        for m in marks {
            do { _ = try TimelineOptions.mark(m) } catch { throw ValidationError("\(error)") }
        }
    }

    func options() throws -> TimelineOptions {
        var o = TimelineOptions()
        o.release = profile.flatMap { try? Release.named($0).get() }
        o.codes = codes?.ranges
        o.marks = try marks.map(TimelineOptions.mark)
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
    do {
        let reader = try openTrace(path)
        let t = try TimelineBuilder.build(reader: reader, options: options, progress: ProgressMeter(reading: reader))
        if !t.closedCleanly && damage(of: t) == nil {
            Output.stderrLine("porttrace: note: \(path) was not closed cleanly (a recorder that stopped early); read as far as it goes")
        }
        return t
    } catch let e as AnalysisError {
        throw CLIFailure.cannot("\(e)")
    }
}

/// The first damage in a trace, if any. A cut at the end of an unclosed trace is where a killed
/// recorder stopped, not damage.
func damage(of t: BootTimeline) -> TraceReader.Problem? {
    t.problems.firstDamage(closedCleanly: t.closedCleanly)
}

/// After a report: damage makes the command exit 2, so CI never reads damage as "different" or "slower".
func failOnDamage(_ timelines: [BootTimeline]) throws {
    for t in timelines {
        if let p = damage(of: t) { throw CLIFailure.cannot("\(t.path): damaged at \(p) (the report above covers what was readable)") }
    }
}

/// Writes a report to `-o FILE` (whole or not at all) or stdout.
func emit(_ text: String, to output: String?) throws {
    if let output {
        do {
            let sink = try ByteSink.atomicFile(output)
            sink.write(string: text)
            try sink.finish()
        } catch {
            throw CLIFailure.cannot("\(error)")
        }
    } else {
        try Output.stdout(Array(text.utf8))
    }
}
