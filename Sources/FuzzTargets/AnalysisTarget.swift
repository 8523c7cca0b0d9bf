import Analysis
import Devices
import Foundation
import TraceFormat

/// The `analysis` target: a recipe (`TraceRecipe`) becomes two traces in memory, A and B (A
/// changed as `Mutation` says), and every analysis runs on them: the timeline in each format,
/// with and without the recipe's options and through its window; `diff` of A and B and of A
/// under two releases and over a range of releases; `stats` over both, in one group and grouped;
/// and the export of each table in each format. Errors are answers; a trap is the bug.
///
/// One property is checked on the way: a trace the writer closed reads back complete, without
/// a problem, with every event appended (whatever the writer accepts the reader reads).
enum AnalysisTarget {
    static func run(_ input: [UInt8]) {
        let recipe = TraceRecipe(input)
        let a = recipe.write(recipe.events, metadata: recipe.metadata, name: "a.pt", leaveOpen: recipe.leaveOpen)
        let mutation = recipe.choices.mutation
        let b = recipe.write(
            mutation.events(recipe.events), metadata: mutation.metadata(recipe.metadata), name: "b.pt",
            leaveOpen: mutation.flags >> 6 == 3)
        guard let a else { return }
        let sourceA = TraceSource.memory(a, name: "a.pt")
        let sourceB = TraceSource.memory(mutation.bytes(b ?? a), name: "b.pt")
        let choices = recipe.choices
        let options = choices.timelineOptions()

        // Without options, and with the recipe's (when it has any), and through its window.
        if !choices.options.isEmpty, let t = timeline(sourceA, TimelineOptions()) { render(t) }
        var timelines: [BootTimeline] = []
        if let t = timeline(sourceA, options) {
            render(t)
            // `--from` after `--to` is refused before a timeline is built.
            if choices.window.from <= choices.window.to { render(t.window(from: choices.window.from, to: choices.window.to)) }
            timelines.append(t)
        }
        if let t = timeline(sourceB, options) {
            render(t)
            timelines.append(t)
        }

        diff(sourceA, sourceB, options: options, choices: choices)
        releases(sourceA, options: options, choices: choices)
        stats(timelines, choices: choices)
        export([sourceA, sourceB], timelines: timelines)
    }

    static func timeline(_ source: TraceSource, _ options: TimelineOptions) -> BootTimeline? {
        guard let reader = try? source.open() else { return nil }
        return try? TimelineBuilder.build(reader: reader, options: options)
    }

    /// Every rendering of one timeline.
    static func render(_ t: BootTimeline) {
        _ = TimelineText.render(t)
        _ = TimelineText.blame(t)
        _ = TimelineText.summary(t)
        _ = TimelineSVG.render(t)
        _ = TimelinePerfetto.value(t).serialized()
        _ = TimelineJSON.value(t).serialized()
    }

    static func diff(_ a: TraceSource, _ b: TraceSource, options: TimelineOptions, choices: AnalysisChoices) {
        let tolerance = choices.options.contains(.tolerance) ? Tolerance(choices.tolerance) ?? Tolerance() : Tolerance()
        guard
            let d = try? TraceDiff.compare(
                a: a, b: b, options: options, tolerance: tolerance, ignoring: choices.ignoring, judgingTimes: choices.judgingTimes,
                masks: choices.masks)
        else {
            return
        }
        _ = d.isDifferent
        for format in DiffReport.Format.allCases {
            _ = DiffReport.render(d, format: format, color: format == .text, terminal: format != .json)
        }
    }

    /// One trace under two releases (`diff --profile --against`), and over a range (`--profiles`).
    static func releases(_ source: TraceSource, options: TimelineOptions, choices: AnalysisChoices) {
        let (a, b) = choices.pair
        if let diffs = try? ReleaseComparison.outputDiffs(
            source: source, a: TraceRelease(release: a, source: .flag), b: TraceRelease(release: b, source: .flag))
        {
            for format in DiffReport.Format.allCases {
                _ = DiffReport.render(diffs, trace: source.name, a: a, b: b, format: format, color: true, terminal: true)
            }
        }
        guard case .success(let range) = ReleaseComparison.releases(choices.releaseRange),
            let c = try? ReleaseComparison.groups(source: source, releases: range, options: options)
        else { return }
        for format in DiffReport.Format.allCases {
            _ = DiffReport.render(c, format: format, color: false, terminal: format == .text)
        }
    }

    /// `stats` with a baseline and a candidate, and grouped by a header field or label.
    static func stats(_ timelines: [BootTimeline], choices: AnalysisChoices) {
        guard let first = timelines.first else { return }
        let metrics = timelines.map(BootMetrics.init)
        // Both groups of `--baseline`/`--candidate` hold a trace (the command requires it).
        let candidates = metrics.count > 1 ? Array(metrics.dropFirst()) : metrics
        let bootstrap = Bootstrap(resamples: 100, seed: choices.seed)
        var reports = [
            StatsReport.make(
                .pair(baseline: [metrics[0], metrics[0]], candidate: candidates), bootstrap: bootstrap, threshold: choices.threshold)
        ]
        if let grouped = try? StatsGroups.by(choices.groupKey, metrics + [BootMetrics(first)]) {
            reports.append(StatsReport.make(grouped, bootstrap: bootstrap, threshold: choices.threshold))
        }
        for report in reports {
            for format in StatsText.Format.allCases { _ = StatsText.render(report, format: format) }
        }
        // The HTML report of the pair: verdict, summaries, pictures, the median boots.
        _ = HTMLReport.render(
            stats: reports[0], timelines: timelines,
            representatives: [
                .init(group: "baseline", timeline: first), .init(group: "candidate", timeline: timelines[timelines.count - 1]),
            ],
            behaviour: [],
            provenance: .init(command: ["porttrace", "report"], porttraceVersion: "fuzz", made: Date(timeIntervalSince1970: 0)))
    }

    /// Each table in each format: events from the traces, the others from the timelines.
    static func export(_ sources: [TraceSource], timelines: [BootTimeline]) {
        for format in TableExport.Format.allCases {
            for table in TableExport.Table.allCases {
                let export = TableExport(table: table, format: format)
                _ = export.header()
                if table == .events {
                    for source in sources {
                        guard let reader = try? source.open() else { continue }
                        _ = try? export.eventRows(reader: reader, key: source.name) { _ in }
                    }
                } else {
                    for t in timelines { _ = export.rows(of: t, key: t.path) }
                }
            }
        }
    }
}

extension TraceRecipe {
    /// Writes `events` into memory as the recipe says (events over the limits left out, unless
    /// the recipe is unchecked) and closes the trace, or leaves it open; nil when the writer
    /// refuses the header. A trace the writer closes must read back whole.
    func write(_ events: [PortIOEvent], metadata: TraceMetadata, name: String, leaveOpen: Bool) -> [UInt8]? {
        guard let writer = try? TraceWriter(inMemory: metadata, name: name, options: writerOptions) else { return nil }
        var appended: UInt64 = 0
        var last: UInt64?
        for e in events {
            if !flags.contains(.unchecked) {
                let over: String?
                switch e.payload {
                case .access(var shape, _):
                    shape.vcpu = e.vcpu
                    over = TraceLimits.problem(with: shape)
                case .marker(let m): over = TraceLimits.problem(with: m) ?? TraceLimits.problem(withVCPU: e.vcpu)
                }
                if over != nil || writer.problem(withTime: e.timestamp) != nil { continue }
            }
            writer.append(e)
            appended += 1
            last = e.timestamp
        }
        if leaveOpen {
            writer.abandon()
            return writer.contents
        }
        do {
            try writer.close(at: last ?? writer.timeOrigin)
        } catch {
            return writer.contents
        }
        return FuzzTarget.checkReadsBack(writer, events: appended + 1)
    }
}

extension FuzzTarget {
    /// The bytes of a trace `writer` closed, after checking that they read back complete and
    /// without a problem, with `events` events when that is known (the closing marker included).
    /// Anything else is a bug of the writer or the reader, and stops the fuzzer.
    static func checkReadsBack(_ writer: TraceWriter, events: UInt64? = nil) -> [UInt8] {
        let name = writer.path
        let bytes = writer.contents ?? []
        let read: Result<(complete: Bool, report: TraceReader.ScanReport), any Error> = Result {
            let reader = try TraceReader(bytes: bytes, name: name)
            return (reader.isComplete, try reader.scan { _ in true })
        }
        switch read {
        case .success(let r) where r.complete && r.report.problems.isEmpty && (events == nil || r.report.events == events):
            return bytes
        case .success(let r):
            fatalError(
                "\(name): the writer closed a trace of \(events.map(String.init) ?? "some") events that reads back with \(r.report.events) (the closing marker included), complete: \(r.complete), problems: \(r.report.problems)"
            )
        case .failure(let e):
            fatalError("\(name): the writer closed a trace the reader cannot open: \(e)")
        }
    }
}
