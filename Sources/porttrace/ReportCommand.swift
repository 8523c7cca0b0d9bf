import Analysis
import ArgumentParser
import Foundation
import TraceFormat

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page: the verdict, each group's boots, pictures and behaviour.",
        discussion: """
            The page a CI job publishes as an artifact: the verdict first (stats' rule), the boots per group (median, \
            95% interval, min, max, n), the groups compared as a picture, the largest changes, the timeline of each \
            group's median boot, the behaviour of those boots compared as diff compares it, and what was compared \
            (traces, VMM versions, hosts, kernels, labels, porttrace's version, this command). It loads nothing \
            (styles and pictures inline, no script, a Content-Security-Policy that forbids every load). Options and \
            exit status are those of stats.
            """)

    @OptionGroup var inputs: StatsInputs
    @Option(name: .shortAndLong, help: "The HTML file to write ('-': stdout).") var output: String

    func run() throws {
        try checkOutputs(inputs: inputs.all, outputs: [("-o", output)])
        let g = try inputs.gather(progressName: "report")
        let representatives = g.groups.groups.compactMap { group -> HTMLReport.Representative? in
            guard let boot = Self.medianBoot(group.boots), let t = g.timelines[boot.path] else { return nil }
            return HTMLReport.Representative(group: group.name, timeline: t)
        }
        var behaviour: [HTMLReport.Behaviour] = []
        if let base = representatives.first {
            for other in representatives.dropFirst() {
                behaviour.append(try compare(base, other))
            }
        }
        let timelines = inputs.all.reduce(into: [BootTimeline]()) { list, path in
            if let t = g.timelines[path], !list.contains(where: { $0.path == path }) { list.append(t) }
        }
        let page = HTMLReport.render(
            stats: g.report, timelines: timelines, representatives: representatives, behaviour: behaviour,
            provenance: HTMLReport.Provenance(command: CommandLine.arguments, porttraceVersion: PorttraceVersion.string))
        try StatsInputs.finish(g) { try emit(page, to: output) }
    }

    /// The boot whose total is the group's median (the lower of the two middle ones for an even
    /// count); the first boot when none has a total.
    static func medianBoot(_ boots: [BootMetrics]) -> BootMetrics? {
        let timed = boots.filter { $0.values[.total] != nil }.sorted { $0.values[.total]! < $1.values[.total]! }
        guard !timed.isEmpty else { return boots.first }
        return timed[(timed.count - 1) / 2]
    }

    /// Two median boots compared as `diff` compares them, its text cut to a readable length.
    func compare(_ a: HTMLReport.Representative, _ b: HTMLReport.Representative) throws -> HTMLReport.Behaviour {
        let d: TraceDiff
        do {
            d = try TraceDiff.compare(pathA: a.timeline.path, pathB: b.timeline.path, options: try inputs.timeline.options())
        } catch let e as AnalysisError {
            throw CLIFailure.cannot("\(e)")
        }
        let lines = DiffReport.render(d, format: .text, color: false).split(separator: "\n", omittingEmptySubsequences: false)
        let shown = 200
        var text = lines.prefix(shown).joined(separator: "\n")
        if lines.count > shown {
            text += "\n... \(lines.count - shown) more lines: porttrace diff \(a.timeline.path) \(b.timeline.path)"
        }
        return HTMLReport.Behaviour(
            baseline: a.group, candidate: b.group, verdict: d.isDifferent ? "DIFFERENT" : "SAME", text: text)
    }
}
