import Foundation

/// `porttrace stats`: per group, each metric's distribution; each group against the baseline,
/// the relative change of each duration's median with its bootstrap interval, a Mann-Whitney
/// p-value and, with a threshold, a verdict (criterion.rs' shape):
///
/// - **regressed** when p < alpha and the whole interval of the relative change lies above
///   +threshold;
/// - **improved** when p < alpha and it lies below -threshold;
/// - otherwise **within noise**.
///
/// Groups too small to reach p < alpha at all (3 v 3: at best p = 0.100) cannot decide, and the
/// report says how many boots a side would.
public struct StatsReport: Sendable {
    public struct Summary: Sendable {
        public var metric: BootMetrics.Metric
        public var n: Int
        /// Every boot's value, sorted (ns).
        public var values: [Double]
        public var median: Double
        public var medianCI: (low: Double, high: Double)
        public var min: Double
        public var max: Double
        public var p10: Double
        public var p90: Double
        public var mean: Double
        /// Sample standard deviation (n - 1; numpy's `std(ddof=1)`); nil below two boots.
        public var sd: Double?
        /// Population standard deviation (n; numpy's `std()`), as cloud-hypervisor's CI prints it.
        public var sdPopulation: Double
    }

    public enum Verdict: String, Sendable {
        case regressed = "REGRESSED"
        case improved
        case withinNoise = "within noise"
        /// The boots that have this metric are too few to reach p < alpha.
        case tooFewBoots = "too few boots"
        /// p < alpha but no relative change exists: the baseline's median is 0.
        case notJudged = "not judged (baseline median 0)"

        /// The verdict in JSON.
        public var key: String {
            switch self {
            case .regressed: return "regressed"
            case .improved: return "improved"
            case .withinNoise: return "within_noise"
            case .tooFewBoots: return "too_few_boots"
            case .notJudged: return "not_judged"
            }
        }
    }

    public struct Comparison: Sendable {
        public var metric: BootMetrics.Metric
        public var baselineN: Int
        public var candidateN: Int
        public var baselineMedian: Double
        public var candidateMedian: Double
        /// median(candidate) - median(baseline), ns.
        public var difference: Double
        /// median(candidate) / median(baseline) - 1; nil when the baseline's median is 0 and the
        /// candidate's is not.
        public var relative: Double?
        /// The 95% percentile-bootstrap interval of `relative` (each group resampled on its own);
        /// nil when every resample's baseline median is 0.
        public var relativeCI: (low: Double, high: Double)?
        public var u: Double
        public var p: Double
        public var method: Statistics.MannWhitneyMethod
        /// The smallest p these group sizes can give.
        public var smallestP: Double
        /// nil without a threshold.
        public var verdict: Verdict?
    }

    public struct Group: Sendable {
        public var name: String
        public var traces: Int
        public var summaries: [Summary]
        /// Against the baseline (empty for it): the total, phases and named intervals in boot
        /// order, then the chain's intervals, largest change of the median first (`blame`).
        public var comparisons: [Comparison]
        /// The smallest p this group and the baseline can give (all boots of one above all of
        /// the other); nil for the baseline.
        public var smallestP: Double?
    }

    /// A metric that some groups or boots do not have: listed, never dropped.
    public struct Presence: Sendable {
        public var metric: BootMetrics.Metric
        /// Per group: the boots that have it, of the group's boots.
        public var groups: [(name: String, n: Int, of: Int)]
    }

    /// Phases (and totals) whose end never came in some boots: left out of the figures.
    public struct Unfinished: Sendable {
        public var metric: BootMetrics.Metric
        public var group: String
        public var boots: Int
        public var of: Int
    }

    /// What the report decides, with a threshold.
    public enum Decision: Sendable, Equatable {
        /// No threshold: a report, no verdict.
        case none
        case noRegression
        /// Some group is slower beyond the threshold (the regressions are in `regressions`).
        case regressed
        /// The groups cannot give an answer: why.
        case cannotDecide(String)
    }

    public var groups: [Group]
    public var baseline: BaselineChoice
    public var key: String?
    public var threshold: Double?
    public var alpha: Double
    public var bootstrap: Bootstrap
    /// Metrics missing from some groups or boots, in report order.
    public var missing: [Presence]
    public var unfinished: [Unfinished]
    /// `FROM..TO` of each named interval.
    public var definitions: [String: String]

    public var regressions: [(group: String, comparison: Comparison)] { verdicts(.regressed) }
    public var improvements: [(group: String, comparison: Comparison)] { verdicts(.improved) }

    func verdicts(_ v: Verdict) -> [(group: String, comparison: Comparison)] {
        groups.flatMap { g in g.comparisons.filter { $0.verdict == v }.map { (g.name, $0) } }
    }

    /// Groups whose sizes cannot reach p < alpha against the baseline, said as a sentence.
    public var unreachable: [String] {
        guard let base = groups.first else { return [] }
        return groups.dropFirst().compactMap { g in
            guard let p = g.smallestP, p >= alpha else { return nil }
            let needed = Statistics.groupSizeNeeded(alpha: alpha)
            return
                "\(g.name) against \(base.name): \(base.traces) v \(g.traces) boots cannot reach p < \(StatsReport.number(alpha)) (the smallest p they can give is \(String(format: "%.3f", p))); \(needed) boots a side are needed"
        }
    }

    public var decision: Decision {
        guard threshold != nil else { return .none }
        if !regressions.isEmpty { return .regressed }
        if let why = unreachable.first { return .cannotDecide(why) }
        if groups.count < 2 {
            return .cannotDecide(
                "one group of boots (\(groups.first?.name ?? "none")): nothing to compare; give --baseline/--candidate or --group-by KEY")
        }
        return .noRegression
    }

    /// The verdict's rule in one sentence.
    public var rule: String? {
        guard let threshold else { return nil }
        let t = StatsReport.percent(threshold)
        let a = StatsReport.number(alpha)
        return
            "a duration REGRESSED when p < \(a) and the whole \(StatsReport.number(bootstrap.level * 100))% interval of its relative change lies above +\(t); improved when p < \(a) and it lies below -\(t); otherwise it is within noise"
    }

    static func number(_ v: Double) -> String { String(format: "%g", v) }
    static func percent(_ fraction: Double) -> String { String(format: "%g%%", fraction * 100) }

    /// Builds the report from named groups of boots; the first group is the baseline.
    public static func make(
        groups: [(name: String, boots: [BootMetrics])], baseline: BaselineChoice = .firstGiven, key: String? = nil,
        bootstrap: Bootstrap = Bootstrap(), threshold: Double? = nil, alpha: Double = 0.05
    ) -> StatsReport {
        // Report order: the baseline's metrics as its boots give them, then what other groups add.
        func metricOrder(_ boots: [BootMetrics]) -> [BootMetrics.Metric] {
            var order: [BootMetrics.Metric] = []
            var known: Set<BootMetrics.Metric> = []
            for b in boots { for m in b.order + b.unfinished where known.insert(m).inserted { order.append(m) } }
            return BootMetrics.Kind.allCases.flatMap { k in order.filter { $0.kind == k } }
        }
        let order = metricOrder(groups.flatMap(\.boots))
        var definitions: [String: String] = [:]
        for b in groups.flatMap(\.boots) { definitions.merge(b.definitions) { old, _ in old } }
        func values(_ boots: [BootMetrics], _ m: BootMetrics.Metric) -> [Double] { boots.compactMap { $0.values[m].map(Double.init) } }

        var out: [Group] = []
        for (gi, g) in groups.enumerated() {
            // Each group's table in its own boots' order (a step the baseline lacks sits where it happened).
            let summaries: [Summary] = metricOrder(g.boots).compactMap { m in
                let v = values(g.boots, m)
                guard !v.isEmpty else { return nil }
                return summary(m, v, bootstrap: bootstrap, stream: stream(m, g.name))
            }
            var comparisons: [Comparison] = []
            var smallest: Double?
            if gi > 0 {
                smallest = Statistics.smallestP(groups[0].boots.count, g.boots.count)
                for m in order where m.kind.isJudged {
                    let a = values(groups[0].boots, m)
                    let b = values(g.boots, m)
                    guard !a.isEmpty, !b.isEmpty else { continue }
                    comparisons.append(
                        compare(m, a, b, bootstrap: bootstrap, stream: stream(m, g.name), threshold: threshold, alpha: alpha))
                }
                comparisons = blameOrder(comparisons)
            }
            out.append(Group(name: g.name, traces: g.boots.count, summaries: summaries, comparisons: comparisons, smallestP: smallest))
        }

        var missing: [Presence] = []
        var unfinished: [Unfinished] = []
        // Missing steps first: they explain the intervals that go with them.
        for m in order.filter({ $0.kind == .timeSinceVMStart }) + order.filter({ $0.kind != .timeSinceVMStart }) {
            let counts = groups.map { g in (name: g.name, n: g.boots.filter { $0.values[m] != nil }.count, of: g.boots.count) }
            if counts.contains(where: { $0.n < $0.of }) { missing.append(Presence(metric: m, groups: counts)) }
            for g in groups {
                let k = g.boots.filter { $0.unfinished.contains(m) }.count
                if k > 0 { unfinished.append(Unfinished(metric: m, group: g.name, boots: k, of: g.boots.count)) }
            }
        }
        return StatsReport(
            groups: out, baseline: baseline, key: key, threshold: threshold, alpha: alpha, bootstrap: bootstrap, missing: missing,
            unfinished: unfinished, definitions: definitions)
    }

    /// Builds the report from `StatsGroups`.
    public static func make(_ g: StatsGroups, bootstrap: Bootstrap = Bootstrap(), threshold: Double? = nil, alpha: Double = 0.05)
        -> StatsReport
    {
        make(groups: g.groups, baseline: g.baseline, key: g.key, bootstrap: bootstrap, threshold: threshold, alpha: alpha)
    }

    /// Each metric and group draws from its own stream of the seed, named rather than numbered,
    /// so a report does not depend on the order the traces were given.
    static func stream(_ m: BootMetrics.Metric, _ group: String) -> UInt64 {
        FNV1a.hash((m.kind.rawValue + "/" + m.name + "/" + group).utf8)
    }

    static func summary(_ m: BootMetrics.Metric, _ v: [Double], bootstrap: Bootstrap, stream: UInt64) -> Summary {
        let s = v.sorted()
        return Summary(
            metric: m, n: v.count, values: s, median: Statistics.median(sorted: s), medianCI: bootstrap.medianInterval(s, stream: stream),
            min: s[0], max: s[s.count - 1], p10: Statistics.quantile(sorted: s, 0.1), p90: Statistics.quantile(sorted: s, 0.9),
            mean: Statistics.mean(v), sd: Statistics.standardDeviation(v), sdPopulation: Statistics.populationStandardDeviation(v))
    }

    static func compare(
        _ m: BootMetrics.Metric, _ a: [Double], _ b: [Double], bootstrap: Bootstrap, stream: UInt64, threshold: Double?, alpha: Double
    ) -> Comparison {
        let ma = Statistics.median(sorted: a.sorted())
        let mb = Statistics.median(sorted: b.sorted())
        let (u, p, method) = Statistics.mannWhitney(a, b)
        let relative: Double? = ma == 0 ? (mb == 0 ? 0 : nil) : mb / ma - 1
        let ci = bootstrap.relativeChangeInterval(baseline: a, candidate: b, stream: stream)
        let smallest = Statistics.smallestP(a.count, b.count)
        var verdict: Verdict?
        if let threshold {
            if smallest >= alpha {
                verdict = .tooFewBoots
            } else if p >= alpha {
                verdict = .withinNoise
            } else if let ci {
                verdict = ci.low > threshold ? .regressed : ci.high < -threshold ? .improved : .withinNoise
            } else {
                verdict = .notJudged
            }
        }
        return Comparison(
            metric: m, baselineN: a.count, candidateN: b.count, baselineMedian: ma, candidateMedian: mb, difference: mb - ma,
            relative: relative, relativeCI: ci, u: u, p: p, method: method, smallestP: smallest, verdict: verdict)
    }

    /// The total, phases and named intervals keep their boot order (a summary reads top down);
    /// the chain's intervals follow, the largest change of the median (in time, either way)
    /// first: what a boot spends is time, so a 20 us interval that doubled ranks below a
    /// 300 ms one that grew by a tenth. Ties keep chain order.
    static func blameOrder(_ c: [Comparison]) -> [Comparison] {
        let head = c.filter { $0.metric.kind != .interval }
        let chain = c.enumerated().filter { $0.element.metric.kind == .interval }
            .sorted { x, y in
                let dx = abs(x.element.difference)
                let dy = abs(y.element.difference)
                return dx != dy ? dx > dy : x.offset < y.offset
            }.map(\.element)
        return head + chain
    }
}
