import Devices
import Foundation
import TraceFormat

/// One trace under several cloud-hypervisor releases: what each release would have printed,
/// and where the output changes. Answers "what will my logs look like after the upgrade".
public struct ReleaseComparison: Sendable {
    /// Releases that give identical output for this trace, in release order.
    public struct Group: Sendable {
        public var releases: [Release]
        /// How this group's output differs from the previous group's (empty for the first).
        public var changes: [TraceDiff.OutputDiff]
        public var summary: RegeneratedOutputs.Summary
    }

    public var path: String
    public var groups: [Group]

    /// Replays the trace under each release (in order) and groups runs with identical outputs.
    public static func groups(
        path: String, releases: [Release], options: TimelineOptions = TimelineOptions(), progress: ProgressMeter? = nil
    )
        throws -> ReleaseComparison
    {
        var groups: [Group] = []
        var previous: RegeneratedOutputs?
        for r in releases {
            var o = options
            o.release = r
            o.keepOutputs = true
            o.keptLines = 0
            let t = try TimelineBuilder.build(path: path, options: o)
            progress?.advance(events: 1)
            let out = t.outputs ?? RegeneratedOutputs()
            if let previous, previous == out {
                groups[groups.count - 1].releases.append(r)
                continue
            }
            let changes = previous.map { outputDiffs($0, out, nameA: groups.last!.releases.last!.tag, nameB: r.tag) } ?? []
            groups.append(Group(releases: [r], changes: changes, summary: out.summary))
            previous = out
        }
        progress?.finish()
        return ReleaseComparison(path: path, groups: groups)
    }

    /// Unified diffs of each output that differs (exact: one trace, so the times are the same).
    public static func outputDiffs(_ a: RegeneratedOutputs, _ b: RegeneratedOutputs, nameA: String, nameB: String) -> [TraceDiff.OutputDiff]
    {
        var diffs: [TraceDiff.OutputDiff] = []
        for (k, name) in RegeneratedOutputs.names.enumerated() where a.all[k] != b.all[k] {
            let hunks = UnifiedDiff.lines(
                UnifiedDiff.split(a.all[k]), UnifiedDiff.split(b.all[k]), nameA: "\(nameA)/\(name)", nameB: "\(nameB)/\(name)")
            diffs.append(TraceDiff.OutputDiff(name: name, hunks: hunks))
        }
        return diffs
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

extension RegeneratedOutputs {
    /// Sizes, for reports.
    public struct Summary: Sendable, Equatable {
        public var logLines: Int
        public var consoleBytes: [Int]
    }

    public var summary: Summary {
        Summary(
            logLines: log.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }, consoleBytes: [debugConsole.count, firmwareDebug.count, serial.count])
    }
}
