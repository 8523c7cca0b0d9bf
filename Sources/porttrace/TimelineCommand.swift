import Analysis
import ArgumentParser
import TraceFormat

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Time a guest's boot from its POST codes (port 0x80) and console lines.",
        discussion: """
            Steps are the 0x80 writes the release logs (v24.0+: any width, by the low byte; earlier: single \
            bytes), with their component by range. Phases run Firmware, Bootloader, Kernel, Userspace, Custom: \
            each from the first step of its component to the first step of a later one; the last ends at the \
            last step. A step that goes back to an earlier component (Linux's outb_p delay writes 0x00) opens \
            no phase: it is listed and counted. -o - (or no -o) writes to stdout. Exit status: 0 ok; 1 the trace is \
            damaged or was not closed cleanly (the report covers what was readable); 2 the job could not be done.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, svg, perfetto, json }

    @Argument(help: "The trace file.") var trace: String
    @Option(help: "text (default), svg, perfetto (Chrome trace-event JSON) or json.") var format: Format = .text
    @Option(name: .shortAndLong, help: "Write the report here instead of stdout ('-': stdout).") var output: String?
    @OptionGroup var timeline: TimelineArguments

    func run() throws {
        try checkOutputs(inputs: [trace], outputs: [("-o", output)])
        let t = try loadTimeline(trace, try timeline.options())
        TraceJudgement.reading.note([t.verdict])
        let report: String
        switch format {
        case .text: report = TimelineText.render(t)
        case .svg: report = TimelineSVG.render(t)
        case .perfetto: report = TimelinePerfetto.value(t).serialized() + "\n"
        case .json: report = TimelineJSON.value(t).serialized() + "\n"
        }
        try emit(report, to: output)
        try TraceJudgement.reading.finish([t.verdict])
    }
}
