import Devices
import Foundation
import TraceFormat

/// One trace under several cloud-hypervisor releases: what each release would have printed,
/// and where the output changes. Answers "what will my logs look like after the upgrade".
///
/// The trace is read block by block, and each block is fed to every release's machine in
/// turn, so all releases advance in step and nothing of their outputs is held whole:
/// 1. every release's outputs are reduced to a digest of their line keys (exact keys: one
///    trace, so the times are the same and only the text can differ); neighbours with equal
///    digests print the same and form a group;
/// 2. at each boundary between groups, the two releases' line keys are aligned as they come;
/// 3. the lines the hunks show are read from one more replay of those releases.
public struct ReleaseComparison: Sendable {
    /// Releases that give identical output for this trace, in release order.
    public struct Group: Sendable {
        public var releases: [Release]
        /// How this group's output differs from the previous group's (empty for the first).
        public var changes: [TraceDiff.OutputDiff]
        public var summary: Summary
    }

    /// Sizes, for reports.
    public struct Summary: Sendable, Equatable {
        public var logLines: Int
        public var consoleBytes: [Int]
    }

    public var path: String
    public var groups: [Group]

    /// Hunk lines kept per changed output at a group boundary (reports show fewer).
    public static let shownLinesPerChange = 500

    /// Replays the trace under each release (in order) and groups runs with identical outputs.
    public static func groups(
        path: String, releases: [Release], options: TimelineOptions = TimelineOptions(), progress: ProgressMeter? = nil
    )
        throws -> ReleaseComparison
    {
        try groups(source: .file(path), releases: releases, options: options, progress: progress)
    }

    public static func groups(
        source: TraceSource, releases: [Release], options: TimelineOptions = TimelineOptions(), progress: ProgressMeter? = nil
    )
        throws -> ReleaseComparison
    {
        let path = source.name
        guard !releases.isEmpty else { return ReleaseComparison(path: path, groups: []) }
        let seed = LineKeySeed()
        let chosen = releases.map { TraceRelease(release: $0, source: .flag) }

        // 1. Digests.
        let digests = releases.map { _ in OutputDigest() }
        try walk(source, progress: progress) { md in
            try zip(chosen, digests).map { release, digest in
                try ReleaseRun(metadata: md, release: release, path: path) { formatter in
                    KeyStream(formatter: formatter, seed: seed, mode: .exact, masks: OutputMasks()) { digest.add($0) }
                }
            }
        }
        var members: [[Int]] = []
        for i in releases.indices {
            if i > 0, digests[i].value == digests[i - 1].value {
                members[members.count - 1].append(i)
            } else {
                members.append([i])
            }
        }

        // 2 and 3. The boundaries.
        let boundaries = members.indices.dropFirst().map { g in (members[g - 1].last!, members[g].first!) }
        let changes = try compareOutputs(
            source: source, pairs: boundaries.map { (chosen[$0.0], chosen[$0.1]) }, seed: seed, shownLines: shownLinesPerChange,
            progress: progress)
        progress?.finish()

        let groups = members.enumerated().map { g, m in
            let ends = digests[m[0]].ends
            return Group(
                releases: m.map { releases[$0] }, changes: g == 0 ? [] : changes[g - 1],
                summary: Summary(logLines: ends.lines[0], consoleBytes: Array(ends.bytes[1...3])))
        }
        return ReleaseComparison(path: path, groups: groups)
    }

    /// The unified diffs of each output that differs between the trace under `a` and under `b`.
    public static func outputDiffs(
        path: String, a: TraceRelease, b: TraceRelease, shownLines: Int = TraceDiff.OutputDiff.defaultShownLines,
        progress: ProgressMeter? = nil
    ) throws -> [TraceDiff.OutputDiff] {
        try outputDiffs(source: .file(path), a: a, b: b, shownLines: shownLines, progress: progress)
    }

    public static func outputDiffs(
        source: TraceSource, a: TraceRelease, b: TraceRelease, shownLines: Int = TraceDiff.OutputDiff.defaultShownLines,
        progress: ProgressMeter? = nil
    ) throws -> [TraceDiff.OutputDiff] {
        defer { progress?.finish() }
        return try compareOutputs(source: source, pairs: [(a, b)], seed: LineKeySeed(), shownLines: shownLines, progress: progress)[0]
    }

    /// Aligns the outputs of each pair of releases, then reads the lines the differences show.
    static func compareOutputs(
        source: TraceSource, pairs: [(TraceRelease, TraceRelease)], seed: LineKeySeed, shownLines: Int, progress: ProgressMeter?
    ) throws -> [[TraceDiff.OutputDiff]] {
        guard !pairs.isEmpty else { return [] }
        let path = source.name
        let comparisons = pairs.map { _ in PairComparison(shownLines: shownLines) }
        try walk(source, progress: progress) { md in
            try comparisons.enumerated().flatMap { p, comparison in
                try (0..<2).map { side in
                    try ReleaseRun(metadata: md, release: side == 0 ? pairs[p].0 : pairs[p].1, path: path) { formatter in
                        KeyStream(formatter: formatter, seed: seed, mode: .exact, masks: OutputMasks()) {
                            comparison.outputs.feed(side, $0)
                            return true
                        }
                    }
                }
            }
        }
        for c in comparisons { c.outputs.finish() }
        let plans = comparisons.map { $0.outputs.isDifferent ? $0.outputs.plans() : nil }
        var captures: [[LineCapture?]] = pairs.map { _ in [nil, nil] }
        if plans.contains(where: { $0 != nil }) {
            try walk(source, progress: progress) { md in
                var runs: [ReleaseRun] = []
                for (p, plan) in plans.enumerated() {
                    guard let plan else { continue }
                    for side in 0..<2 {
                        runs.append(
                            try ReleaseRun(metadata: md, release: side == 0 ? pairs[p].0 : pairs[p].1, path: path) { formatter in
                                let c = LineCapture(formatter: formatter, wanted: OutputsComparison.wanted(plan, side: side))
                                captures[p][side] = c
                                return c
                            })
                    }
                }
                return runs
            }
        }
        return plans.enumerated().map { p, plan in
            guard let plan, let a = captures[p][0], let b = captures[p][1] else { return [] }
            return comparisons[p].outputs.diffs(
                plan, shownA: a.shown, shownB: b.shown, nameA: pairs[p].0.release.tag, nameB: pairs[p].1.release.tag)
        }
    }

    /// Reads the trace once, feeding each block to every run `makeRuns` builds from its metadata.
    static func walk(_ source: TraceSource, progress: ProgressMeter?, makeRuns: (TraceMetadata) throws -> [ReleaseRun]) throws {
        let path = source.name
        let reader = try openForAnalysis(source)
        let runs = try makeRuns(reader.metadata)
        if let total = reader.index.map({ $0.blocks.reduce(UInt64(0)) { $0 + UInt64($1.events) } }) { progress?.expect(total) }
        do {
            try reader.scan { block in
                for run in runs { run.feed(block) }
                progress?.advance(events: UInt64(block.count))
                return true
            }
        } catch let e as TraceError {
            throw AnalysisError.trace(path: path, e)
        }
        for run in runs { run.end() }
    }

    /// The releases of `spec`: `all`, `A..B` (either end may be `latest`), or a comma list.
    public static func releases(_ spec: String) -> Result<[Release], UnknownRelease> {
        if spec == "all" { return .success(Release.all) }
        if let dots = spec.range(of: "..") {
            let from = String(spec[..<dots.lowerBound])
            let to = String(spec[dots.upperBound...])
            switch (Release.named(from.isEmpty ? Release.all.first!.tag : from), Release.named(to.isEmpty ? "latest" : to)) {
            case (.success(let a), .success(let b)): return .success(Release.all.filter { $0 >= min(a, b) && $0 <= max(a, b) })
            case (.failure(let e), _), (_, .failure(let e)): return .failure(e)
            }
        }
        var list: [Release] = []
        for tag in spec.split(separator: ",") {
            switch Release.named(String(tag)) {
            case .success(let r): list.append(r)
            case .failure(let e): return .failure(e)
            }
        }
        return .success(list)
    }
}

/// One release replaying the trace: its machine, and where its outputs go.
final class ReleaseRun {
    let machine: AnalysisMachine
    let driver: ReplayDriver
    let observer: OutputObserver

    init(metadata: TraceMetadata, release: TraceRelease, path: String, observer: @escaping (LogFormatter) -> OutputObserver) throws {
        machine = try AnalysisMachine(metadata: metadata, release: release, path: path, observer: observer)
        driver = ReplayDriver(machine: machine.machine)
        self.observer = machine.observer!
    }

    func feed(_ block: EventBlock) {
        driver.feed(block: block)
        for (k, sink) in machine.consoles.enumerated() where sink.bufferedCount > 0 { observer.console(k + 1, sink.takeCaptured()) }
        _ = observer.blockEnd(events: block.count)
    }

    func end() { observer.end() }
}

/// A digest of every line key of each output: equal digests, equal outputs.
final class OutputDigest {
    private var hashers = Array(repeating: LineHasher(LineKeySeed.digest), count: Outputs.count)
    private(set) var ends = OutputEnds()

    func add(_ batch: KeyBatch) -> Bool {
        for k in 0..<Outputs.count {
            for key in batch.keys[k] { hashers[k].mix(key) }
        }
        if let e = batch.ends { ends = e }
        return true
    }

    var value: [UInt64] {
        var copies = hashers
        return (0..<Outputs.count).map { copies[$0].finish() } + ends.lines.map(UInt64.init) + ends.bytes.map(UInt64.init)
    }
}

/// The comparison of one pair of releases, shared by the pair's two runs.
final class PairComparison {
    var outputs: OutputsComparison

    init(shownLines: Int) { outputs = OutputsComparison(shownLines: shownLines) }
}

extension LineKeySeed {
    /// The digests' own seed (their inputs are keyed already).
    static let digest = LineKeySeed()
}
