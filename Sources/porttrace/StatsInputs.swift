import Analysis
import ArgumentParser
import Devices
import Foundation
import TraceFormat

/// What `stats` and `report` compare, and how: the traces and their groups, the gate's
/// threshold and statistics. Both commands read their traces and build the report here.
struct StatsInputs: ParsableArguments {
    @Argument(help: "Traces (one group, or grouped by --group-by).") var traces: [String] = []
    @Option(parsing: .upToNextOption, help: "The baseline group's traces.") var baseline: [String] = []
    @Option(parsing: .upToNextOption, help: "The candidate group's traces.") var candidate: [String] = []
    @Option(help: "Group the traces by a label or header field (vmm_version, profile, labels.KEY, host.kernel).") var groupBy: String?
    @Option(help: "With --group-by: the group the others are compared with (default: the first trace's group).")
    var baselineGroup: String?
    @Option(
        help:
            "Exit 1 when a phase, interval or the total got slower by more than this (the whole 95% interval above it, p < --alpha), e.g. 5%."
    )
    var threshold: String?
    @Option(help: "Significance level for --threshold.") var alpha: Double = 0.05
    @Option(help: "Seed of the bootstrap's generator.") var seed: UInt64 = Bootstrap.defaultSeed
    @Option(help: "Bootstrap resamples.") var resamples: Int = Bootstrap.defaultResamples
    @OptionGroup var timeline: TimelineArguments

    var thresholdFraction: Double? {
        threshold.flatMap { ValueSyntax.percent(Substring($0)) }
    }

    func validate() throws {
        let grouped = !baseline.isEmpty || !candidate.isEmpty
        if grouped && (baseline.isEmpty || candidate.isEmpty) { throw ValidationError("give both --baseline and --candidate traces") }
        if grouped && (!traces.isEmpty || groupBy != nil) {
            throw ValidationError("give --baseline/--candidate, or traces (with --group-by), not both")
        }
        if !grouped && traces.isEmpty { throw ValidationError("give at least one trace") }
        if baselineGroup != nil && groupBy == nil { throw ValidationError("--baseline-group needs --group-by") }
        if threshold != nil && thresholdFraction == nil {
            throw ValidationError("--threshold '\(threshold!)': expected a percentage, e.g. 5%")
        }
        if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must be between 0 and 1") }
        if resamples < 100 || resamples > 10_000_000 { throw ValidationError("--resamples must be from 100 to 10000000") }
    }

    var all: [String] { baseline + candidate + traces }

    /// What reading the traces gave.
    struct Gathered {
        var report: StatsReport
        var groups: StatsGroups
        /// Each trace's timeline, by path.
        var timelines: [String: BootTimeline]
        var verdicts: [TraceVerdict]
        /// The exit status rules that apply: a verdict asked for, or a report.
        var judgement: TraceJudgement
    }

    /// Reads every trace (with progress on a terminal), groups them and builds the report.
    func gather(progressName: String) throws -> Gathered {
        let options = try timeline.options()
        let paths = all
        let progress = paths.count > 1 ? ProgressMeter(what: progressName, unit: "traces", total: UInt64(paths.count)) : nil
        var metrics: [String: BootMetrics] = [:]
        var timelines: [String: BootTimeline] = [:]
        var verdicts: [TraceVerdict] = []
        for path in paths where metrics[path] == nil {
            let t = try loadTimeline(path, options)
            metrics[path] = BootMetrics(t)
            timelines[path] = t
            verdicts.append(t.verdict)
            progress?.advance(events: 1)
        }
        progress?.finish()

        let groups: StatsGroups
        if !baseline.isEmpty {
            groups = .pair(baseline: baseline.map { metrics[$0]! }, candidate: candidate.map { metrics[$0]! })
        } else if let groupBy {
            do {
                groups = try .by(groupBy, traces.map { metrics[$0]! }, baseline: baselineGroup)
            } catch let e as StatsGroupingError {
                throw CLIFailure.cannot("\(e)")
            }
        } else {
            groups = .single(traces.map { metrics[$0]! })
        }
        let report = StatsReport.make(
            groups, bootstrap: Bootstrap(resamples: resamples, seed: seed), threshold: thresholdFraction, alpha: alpha)
        return Gathered(
            report: report, groups: groups, timelines: timelines, verdicts: verdicts,
            judgement: thresholdFraction == nil ? .reading : .deciding)
    }

    /// Writes the report and ends with the status the table and the verdict give.
    static func finish(_ g: Gathered, write: () throws -> Void) throws {
        g.judgement.note(g.verdicts)
        switch g.report.decision {
        case .regressed: Reached.atLeast(1)
        case .cannotDecide: Reached.atLeast(2)
        case .none, .noRegression: break
        }
        try write()
        try g.judgement.finish(g.verdicts)
        switch g.report.decision {
        case .regressed: throw ExitCode(1)
        case .cannotDecide(let why): throw CLIFailure.cannot("cannot decide: \(why)")
        case .none, .noRegression: break
        }
    }
}
