import Analysis
import ArgumentParser
import TraceFormat

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Time a guest's boot from its POST codes (port 0x80) and console lines.",
        discussion: """
            Steps are the 0x80 writes the release logs (v24.0+: any width, by the low byte; earlier: single \
            bytes), with their component by range; consecutive writes of one code are one step with a count. \
            The boot is a chain of intervals: each step of the chain (POST codes and marks) closes the interval \
            from the one before, the first from the VM's start. Phases run Firmware, Bootloader, Kernel, Userspace, \
            Custom: each from the first step of its component to the first step of a later one; the last ends at \
            the last step. A code of an earlier component after a later one began (Linux's outb_p delay writes \
            0x00) is a back-step: shown, outside the chain. --marks linux (or --phase) takes the phases from \
            console marks instead. -o - (or no -o) writes to stdout. Exit status: 0 ok; 1 the trace is damaged \
            or was not closed cleanly (the report covers what was readable); 2 the job could not be done.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, blame, svg, perfetto, json }

    @Argument(help: "The trace file.") var trace: String
    @Option(help: "text (default), blame (intervals, slowest first), svg, perfetto (Chrome trace-event JSON) or json.")
    var format: Format = .text
    @Option(help: "Show only from this time on (since the VM start: 1.5s, 200ms, ...); phases are clipped to the window.")
    var from: TimeArgument?
    @Option(help: "Show only up to this time.") var to: TimeArgument?
    @Option(name: .shortAndLong, help: "Write the report here instead of stdout ('-': stdout).") var output: String?
    @OptionGroup var timeline: TimelineArguments

    func run() throws {
        try checkOutputs(inputs: [trace], outputs: [("-o", output)])
        if let from, let to, from.ns > to.ns { throw CLIFailure.cannot("--from is after --to") }
        let whole = try loadTimeline(trace, try timeline.options())
        TraceJudgement.reading.note([whole.verdict])
        let t = from != nil || to != nil ? whole.window(from: from?.ns ?? .min, to: to?.ns ?? .max) : whole
        let report: String
        switch format {
        case .text: report = TimelineText.render(t)
        case .blame: report = TimelineText.blame(t)
        case .svg: report = TimelineSVG.render(t)
        case .perfetto: report = TimelinePerfetto.value(t).serialized() + "\n"
        case .json: report = TimelineJSON.value(t).serialized() + "\n"
        }
        try emit(report, to: output)
        try TraceJudgement.reading.finish([whole.verdict])
    }
}
