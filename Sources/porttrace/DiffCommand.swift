import Analysis
import ArgumentParser
import Devices
import SystemCalls
import TraceFormat

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two traces, or one trace under two or more cloud-hypervisor releases.",
        discussion: """
            'diff A B' compares behaviour: the POST code sequences aligned (repeats collapsed), the regenerated \
            outputs (the VMM log with its times masked and a repeated code's lines folded, consoles with Linux's \
            printk time masked, and --mask), \
            ports appearing or disappearing, and OUT access counts. Any of these differing is status 1. \
            Times (the boot, its phases, the interval each step closes, --interval) and IN access counts are \
            shown, those beyond --tolerance marked (default: a time by both 10% and 1ms, a count by 10%); they \
            decide only with --times. A port whose content is compared (0x80's codes, a console's bytes) is \
            judged by that content, its count shown. Metadata is shown, never judged. --ignore leaves a \
            section out of the report and the verdict, whatever --times says. \
            'diff TRACE --profile v24.0 --against v53.0': what each release would have printed. \
            'diff TRACE --profiles all' (or v30.0..latest): the releases grouped by identical output, and what \
            changes at each boundary. Exit status: 0 the same; 1 different; 2 the job could not be done \
            (a damaged trace: no verdict). A trace that was not closed cleanly is compared as far as it goes, with a note.
            """)

    @Argument(help: "The trace, or the first of two.") var traceA: String
    @Argument(help: "The second trace.") var traceB: String?
    @Option(help: "With one trace: the release to compare --profile's (or the trace's own) against.") var against: String?
    @Option(help: "With one trace: all, a range A..B (latest allowed) or a comma list of releases.") var profiles: String?
    @Option(help: "When a time or count is marked as changed, e.g. 5%,200us (default 10%,1ms).") var tolerance: String?
    @Flag(help: "Let times decide too: the boot, a phase, a step's interval, an --interval or an IN count beyond --tolerance.")
    var times = false
    @Option(
        name: .customLong("mask"),
        help: ArgumentHelp(
            "Compare every output with PATTERN's matches masked (RE2 syntax; see the README); repeatable. The lines shown stay real.",
            valueName: "pattern"))
    var masks: [String] = []
    @Flag(help: "Compare the consoles exactly: do not mask Linux's printk time at the start of their lines.")
    var noPrintkMask = false
    @Option(help: "Leave a section out of the report (and the verdict): times, counts, outputs, metadata. Repeatable.")
    var ignore: [DiffSection] = []
    @Option(help: "text (default), json or markdown.") var format: DiffReport.Format = .text
    @Option(help: "Colour the text report: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always, never.")
    var color: TerminalStyle.ColorChoice = .auto
    @Option(name: .shortAndLong, help: "Write the report here instead of stdout ('-': stdout).") var output: String?
    @OptionGroup var timeline: TimelineArguments

    func validate() throws {
        if traceB != nil && (against != nil || profiles != nil) {
            throw ValidationError("--against and --profiles compare one trace under several releases; give one trace")
        }
        if traceB == nil && against == nil && profiles == nil {
            throw ValidationError("give a second trace, or --against RELEASE or --profiles RANGE")
        }
        if against != nil && profiles != nil { throw ValidationError("give --against or --profiles, not both") }
        if let against, case .failure(let e) = Release.named(against) { throw ValidationError("--against: \(e)") }
        if let profiles, case .failure(let e) = ReleaseComparison.releases(profiles) { throw ValidationError("--profiles: \(e)") }
        if let tolerance, Tolerance(tolerance) == nil {
            throw ValidationError("--tolerance '\(tolerance)': expected a percentage and/or a time, e.g. 5%,200us")
        }
        if traceB == nil && (times || !masks.isEmpty || noPrintkMask) {
            throw ValidationError("--times, --mask and --no-printk-mask compare two traces; give a second trace")
        }
        _ = try outputMasks()
    }

    /// The masks two traces' outputs are compared with: the printk prefix on the consoles
    /// (unless --no-printk-mask), then each --mask on every output.
    func outputMasks() throws -> OutputMasks {
        var m = noPrintkMask ? OutputMasks() : OutputMasks.standard
        for source in masks {
            do {
                m.add(try PatternMask(source: source))
            } catch {
                throw ValidationError("--mask '\(source)': \(error)")
            }
        }
        return m
    }

    var paint: Bool { TerminalStyle.color(color, descriptor: output == nil || output == "-" ? 1 : nil) }

    func run() throws {
        try checkOutputs(inputs: [traceA] + (traceB.map { [$0] } ?? []), outputs: [("-o", output)])
        if let traceB {
            try compareTraces(traceA, traceB)
        } else {
            try compareReleases(traceA)
        }
    }

    /// Guest text in a text report on a terminal is escaped, as `replay` escapes it there.
    var terminal: Bool { format == .text && (output == nil || output == "-") && Descriptor.isTerminal(Descriptor.standardOutput) }

    func compareTraces(_ pathA: String, _ pathB: String) throws {
        let d: TraceDiff
        do {
            d = try TraceDiff.compare(
                pathA: pathA, pathB: pathB, options: try timeline.options(), tolerance: tolerance.flatMap(Tolerance.init) ?? Tolerance(),
                ignoring: Set(ignore), judgingTimes: times, masks: try outputMasks(),
                progress: ProgressMeter(what: "diff", unit: "events", total: nil))
        } catch let e as AnalysisError {
            throw CLIFailure.cannot("\(e)")
        }
        try report(
            DiffReport.render(d, format: format, color: paint, terminal: terminal), different: d.isDifferent,
            verdicts: [d.a.verdict, d.b.verdict])
    }

    func compareReleases(_ path: String) throws {
        let options = try timeline.options()
        // The trace read once as a timeline: damage and an unclosed trace are reported once, and
        // the release it is read under is known.
        let first = try loadTimeline(path, options)
        let progress = ProgressMeter(what: path, unit: "events", total: nil)
        if let against, let other = try? Release.named(against).get() {
            let diffs: [TraceDiff.OutputDiff]
            do {
                diffs = try ReleaseComparison.outputDiffs(
                    path: path, a: first.release, b: TraceRelease(release: other, source: .flag), progress: progress)
            } catch let e as AnalysisError {
                throw CLIFailure.cannot("\(e)")
            }
            try report(
                DiffReport.render(
                    diffs, trace: path, a: first.release.release, b: other, format: format, color: paint, terminal: terminal),
                different: !diffs.isEmpty, verdicts: [first.verdict])
            return
        }
        guard let profiles, case .success(let releases) = ReleaseComparison.releases(profiles) else { return }
        let c: ReleaseComparison
        do {
            c = try ReleaseComparison.groups(path: path, releases: releases, options: options, progress: progress)
        } catch let e as AnalysisError {
            throw CLIFailure.cannot("\(e)")
        }
        try report(
            DiffReport.render(c, format: format, color: paint, terminal: terminal), different: c.groups.count > 1,
            verdicts: [first.verdict])
    }

    /// Writes the report and ends with the verdict: 2 for a damaged trace (no verdict), else 1
    /// when different. The status is settled before writing, so a reader that stops early
    /// (`| head -1`) does not change it.
    func report(_ text: String, different: Bool, verdicts: [TraceVerdict]) throws {
        TraceJudgement.deciding.note(verdicts)
        if different { Reached.atLeast(1) }
        try emit(text, to: output)
        try TraceJudgement.deciding.finish(verdicts)
        if different { throw ExitCode(1) }
    }
}

extension DiffSection: ExpressibleByArgument {}
extension TerminalStyle.ColorChoice: ExpressibleByArgument {}
extension DiffReport.Format: ExpressibleByArgument {}
