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

    @OptionGroup var inputs: StatsInputs
    @Option(help: "text (default), json, markdown or svg (the groups compared per duration, each boot a dot).")
    var format: StatsText.Format = .text
    @Option(name: .shortAndLong, help: "Write the report here instead of stdout ('-': stdout).") var output: String?

    func run() throws {
        try checkOutputs(inputs: inputs.all, outputs: [("-o", output)])
        let g = try inputs.gather(progressName: "stats")
        try StatsInputs.finish(g) { try emit(StatsText.render(g.report, format: format), to: output) }
    }
}

extension StatsText.Format: ExpressibleByArgument {}
