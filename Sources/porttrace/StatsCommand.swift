import Analysis
import ArgumentParser
import Foundation
import TraceFormat

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Boot-time statistics over many traces, and whether a group of boots got slower.",
        discussion: """
            For the whole boot, each phase, each named interval (--interval) and each interval of the chain: n, \
            median with its 95% interval (percentile bootstrap, 10,000 resamples of porttrace's xoshiro256** \
            generator, --seed), min, max, mean and the sample standard deviation (n-1). Groups come from \
            --baseline/--candidate or --group-by KEY (a label, or a header field such as vmm_version); the baseline is \
            --baseline-group's group, else the first trace's. Each other group is compared with it: the relative change \
            of each median (candidate / baseline - 1) with its 95% bootstrap interval, and a two-sided Mann-Whitney U \
            p-value (exact for small groups without ties, as scipy). With --threshold, a duration REGRESSED when \
            p < --alpha and the whole interval lies above the threshold, improved when p < --alpha and it lies below \
            minus the threshold, else it is within noise. \
            Exit status without --threshold: 0; 1 a trace is damaged or was not closed cleanly (the report covers \
            what was readable); 2 the job could not be done. With --threshold: 0 no regression; 1 a regression; \
            2 could not decide (groups too small to reach p < alpha, one group only, a damaged trace, a bad option).
            """)

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
    @Option(help: "text (default), json, markdown or svg (the groups compared per duration, each boot a dot).")
    var format: StatsText.Format = .text
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
        if baselineGroup != nil && groupBy == nil { throw ValidationError("--baseline-group needs --group-by") }
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
        let judgement: TraceJudgement = thresholdFraction == nil ? .reading : .deciding
        judgement.note(verdicts)
        switch report.decision {
        case .regressed: Reached.atLeast(1)
        case .cannotDecide: Reached.atLeast(2)
        case .none, .noRegression: break
        }
        try emit(StatsText.render(report, format: format), to: output)
        try judgement.finish(verdicts)
        switch report.decision {
        case .regressed: throw ExitCode(1)
        case .cannotDecide(let why): throw CLIFailure.cannot("cannot decide: \(why)")
        case .none, .noRegression: break
        }
    }
}

extension StatsText.Format: ExpressibleByArgument {}
