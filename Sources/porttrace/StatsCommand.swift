import Analysis
import ArgumentParser
import Foundation
import TraceFormat

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Boot-time statistics over many traces, and whether a group of boots got slower.",
        discussion: """
            For the whole boot, each phase and each POST step: n, median, p10/p90 (linear interpolation, as \
            numpy and R), mean, standard deviation (n-1) and a 95% interval of the median (percentile \
            bootstrap, 10,000 resamples of porttrace's xoshiro256** generator, --seed). With two or more groups \
            (--baseline/--candidate, or --group-by KEY over labels and header fields such as vmm_version), each \
            against the first: the change of the median with its bootstrap interval and a two-sided \
            Mann-Whitney U p-value (normal approximation, tie and continuity corrected, as scipy). \
            Exit status without --threshold: 0; 1 a trace is damaged or was not closed cleanly (the report covers \
            what was readable); 2 the job could not be done. With --threshold: 0 no regression; 1 a phase or the \
            whole boot got slower by more than it with p < --alpha; 2 could not decide (a damaged trace, a bad option).
            """)

    @Argument(help: "Traces (one group, or grouped by --group-by).") var traces: [String] = []
    @Option(parsing: .upToNextOption, help: "The baseline group's traces.") var baseline: [String] = []
    @Option(parsing: .upToNextOption, help: "The candidate group's traces.") var candidate: [String] = []
    @Option(help: "Group the traces by a label or header field (vmm_version, profile, labels.KEY, host.kernel).") var groupBy: String?
    @Option(help: "Exit 1 when a phase or the total got slower by more than this, e.g. 5%.") var threshold: String?
    @Option(help: "Significance level for --threshold.") var alpha: Double = 0.05
    @Option(help: "Seed of the bootstrap's generator.") var seed: UInt64 = Bootstrap.defaultSeed
    @Option(help: "Bootstrap resamples.") var resamples: Int = Bootstrap.defaultResamples
    @Option(help: "text (default), json or markdown.") var format: DiffReport.Format = .text
    @Option(name: .shortAndLong, help: "Write the report here instead of stdout ('-': stdout).") var output: String?
    @OptionGroup var timeline: TimelineArguments

    var thresholdFraction: Double? {
        guard let threshold, threshold.hasSuffix("%"), let v = Double(threshold.dropLast()), v.isFinite, v >= 0 else { return nil }
        return v / 100
    }

    func validate() throws {
        let grouped = !baseline.isEmpty || !candidate.isEmpty
        if grouped && (baseline.isEmpty || candidate.isEmpty) { throw ValidationError("give both --baseline and --candidate traces") }
        if grouped && (!traces.isEmpty || groupBy != nil) {
            throw ValidationError("give --baseline/--candidate, or traces (with --group-by), not both")
        }
        if !grouped && traces.isEmpty { throw ValidationError("give at least one trace") }
        if threshold != nil && thresholdFraction == nil {
            throw ValidationError("--threshold '\(threshold!)': expected a percentage, e.g. 5%")
        }
        if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must be between 0 and 1") }
        if resamples < 100 || resamples > 10_000_000 { throw ValidationError("--resamples must be from 100 to 10000000") }
    }

    func run() throws {
        let options = try timeline.options()
        let all = baseline + candidate + traces
        try checkOutputs(inputs: all, outputs: [("-o", output)])
        let progress = all.count > 1 ? ProgressMeter(what: "stats", unit: "traces", total: UInt64(all.count)) : nil
        var metrics: [String: BootMetrics] = [:]
        var verdicts: [TraceVerdict] = []
        for path in all where metrics[path] == nil {
            let t = try loadTimeline(path, options)
            metrics[path] = BootMetrics(t)
            verdicts.append(t.verdict)
            progress?.advance(events: 1)
        }
        progress?.finish()

        var groups: [(name: String, boots: [BootMetrics])] = []
        if !baseline.isEmpty {
            groups = [("baseline", baseline.map { metrics[$0]! }), ("candidate", candidate.map { metrics[$0]! })]
        } else if let groupBy {
            for path in traces {
                let key = metrics[path]!.groupKey(groupBy) ?? "(no \(groupBy))"
                if let i = groups.firstIndex(where: { $0.name == key }) {
                    groups[i].boots.append(metrics[path]!)
                } else {
                    groups.append((key, [metrics[path]!]))
                }
            }
        } else {
            groups = [("all", traces.map { metrics[$0]! })]
        }
        let report = StatsReport.make(
            groups: groups, bootstrap: Bootstrap(resamples: resamples, seed: seed), threshold: thresholdFraction, alpha: alpha)
        let judgement: TraceJudgement = thresholdFraction == nil ? .reading : .deciding
        let regressed = thresholdFraction != nil && !report.regressions.isEmpty
        judgement.note(verdicts)
        if regressed { Reached.atLeast(1) }
        try emit(StatsText.render(report, format: format), to: output)
        try judgement.finish(verdicts)
        if regressed { throw ExitCode(1) }
    }
}
