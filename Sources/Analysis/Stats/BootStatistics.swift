import Devices
import Foundation
import TraceFormat

/// The timing figures of one boot that `stats` and `export` aggregate: the whole boot, each
/// phase's duration and each POST step's time since VM start (its first occurrence).
public struct BootMetrics: Sendable {
    public enum Kind: String, Sendable { case total, phase, interval, step }

    public struct Metric: Sendable, Hashable {
        public var kind: Kind
        public var name: String
    }

    public var path: String
    public var traceID: String?
    public var metadata: TraceMetadata
    public var values: [Metric: Int64]
    /// Metric order as first seen (total, phases in boot order, steps in boot order).
    public var order: [Metric]

    /// No boot: for building metrics by hand.
    static var empty: BootMetrics { BootMetrics(path: "", traceID: nil, metadata: TraceMetadata(), values: [:], order: []) }

    init(path: String, traceID: String?, metadata: TraceMetadata, values: [Metric: Int64], order: [Metric]) {
        self.path = path
        self.traceID = traceID
        self.metadata = metadata
        self.values = values
        self.order = order
    }

    public init(_ t: BootTimeline) {
        path = t.path
        traceID = t.metadata.traceID
        metadata = t.metadata
        var values: [Metric: Int64] = [:]
        var order: [Metric] = []
        func add(_ m: Metric, _ v: Int64) {
            guard values[m] == nil else { return }
            values[m] = v
            order.append(m)
        }
        if let total = t.total { add(Metric(kind: .total, name: "total"), total) }
        for p in t.phases { add(Metric(kind: .phase, name: p.name), p.duration) }
        for i in t.namedIntervals { if let d = i.duration { add(Metric(kind: .interval, name: i.name), d) } }
        for i in t.intervals { add(Metric(kind: .interval, name: i.name), i.duration) }
        for s in t.steps where !s.isBackStep {
            if s.code != nil || { if case .mark = s.kind { return true } else { return false } }() {
                add(Metric(kind: .step, name: s.label), s.time)
            }
        }
        self.values = values
        self.order = order
    }

    /// The value of a header field or label for grouping: `labels.KEY` or a label named KEY,
    /// else a top-level field (`vmm_version`, `profile`), else a dotted path (`host.kernel`).
    public func groupKey(_ key: String) -> String? {
        let labels = metadata.labels
        if key.hasPrefix("labels.") { return labels.first { $0.0 == String(key.dropFirst(7)) }?.1 }
        if let l = labels.first(where: { $0.0 == key }) { return l.1 }
        var v: JSONValue? = metadata.json
        for part in key.split(separator: ".") { v = v?[String(part)] }
        guard let v else { return nil }
        return v.stringValue ?? v.serialized()
    }
}

/// `porttrace stats`: per group, each metric's distribution; between groups, the change of the
/// median with its bootstrap interval and a Mann-Whitney p-value.
public struct StatsReport: Sendable {
    public struct Summary: Sendable {
        public var metric: BootMetrics.Metric
        public var n: Int
        public var median: Double
        public var p10: Double
        public var p90: Double
        public var mean: Double
        public var sd: Double?
        public var medianCI: (low: Double, high: Double)
    }

    public struct Comparison: Sendable {
        public var metric: BootMetrics.Metric
        public var baselineMedian: Double
        public var candidateMedian: Double
        public var difference: Double
        public var differenceCI: (low: Double, high: Double)
        /// (candidate - baseline) / baseline.
        public var relative: Double
        public var u: Double
        public var p: Double
        /// Slower by more than the threshold with p below alpha (phases and the total only).
        public var regressed: Bool
    }

    public struct Group: Sendable {
        public var name: String
        public var traces: Int
        public var summaries: [Summary]
        /// Against the first group (empty for it).
        public var comparisons: [Comparison]
    }

    public var groups: [Group]
    public var threshold: Double?
    public var alpha: Double
    public var bootstrap: Bootstrap

    public var regressions: [(group: String, comparison: Comparison)] {
        groups.flatMap { g in g.comparisons.filter(\.regressed).map { (g.name, $0) } }
    }

    /// Builds the report from named groups of boots (the first group is the baseline).
    public static func make(
        groups: [(name: String, boots: [BootMetrics])], bootstrap: Bootstrap = Bootstrap(), threshold: Double? = nil,
        alpha: Double = 0.05
    ) -> StatsReport {
        var order: [BootMetrics.Metric] = []
        for g in groups { for b in g.boots { for m in b.order where !order.contains(m) { order.append(m) } } }
        // Stable streams: each metric's bootstrap draws from its own stream of the seed.
        func stream(_ m: BootMetrics.Metric) -> UInt64 {
            FNV1a.hash((m.kind.rawValue + "/" + m.name).utf8)
        }
        func values(_ boots: [BootMetrics], _ m: BootMetrics.Metric) -> [Double] { boots.compactMap { $0.values[m].map(Double.init) } }

        var out: [Group] = []
        for (gi, g) in groups.enumerated() {
            var summaries: [Summary] = []
            for m in order {
                let v = values(g.boots, m)
                guard !v.isEmpty else { continue }
                let s = v.sorted()
                summaries.append(
                    Summary(
                        metric: m, n: v.count, median: Statistics.median(sorted: s), p10: Statistics.quantile(sorted: s, 0.1),
                        p90: Statistics.quantile(sorted: s, 0.9), mean: Statistics.mean(v), sd: Statistics.standardDeviation(v),
                        medianCI: bootstrap.medianInterval(v, stream: stream(m) &+ UInt64(gi))))
            }
            var comparisons: [Comparison] = []
            if gi > 0 {
                for m in order {
                    let a = values(groups[0].boots, m)
                    let b = values(g.boots, m)
                    guard !a.isEmpty, !b.isEmpty else { continue }
                    let ma = Statistics.median(sorted: a.sorted())
                    let mb = Statistics.median(sorted: b.sorted())
                    let (u, p, _) = Statistics.mannWhitney(a, b)
                    let relative = ma == 0 ? 0 : (mb - ma) / ma
                    let judged = m.kind != .step
                    let regressed = judged && threshold.map { relative > $0 && p < alpha } == true
                    comparisons.append(
                        Comparison(
                            metric: m, baselineMedian: ma, candidateMedian: mb, difference: mb - ma,
                            differenceCI: bootstrap.differenceInterval(baseline: a, candidate: b, stream: stream(m) &+ UInt64(gi)),
                            relative: relative,
                            u: u, p: p, regressed: regressed))
                }
            }
            out.append(Group(name: g.name, traces: g.boots.count, summaries: summaries, comparisons: comparisons))
        }
        return StatsReport(groups: out, threshold: threshold, alpha: alpha, bootstrap: bootstrap)
    }
}
