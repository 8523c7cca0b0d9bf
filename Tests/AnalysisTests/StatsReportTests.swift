import Foundation
import Testing
import TraceFormat

@testable import Analysis

/// The stats verdict (criterion.rs' rule on porttrace's statistics), small samples, missing and
/// unfinished metrics, and grouping, on boots built by hand.
struct StatsReportTests {
    /// Boots with the given values (ms) of each metric, labelled build=`build`.
    static func boots(_ metrics: [BootMetrics.Metric: [Double]], build: String = "x") -> [BootMetrics] {
        let n = metrics.values.map(\.count).max() ?? 0
        return (0..<n).map { i in
            var m = BootMetrics.empty
            var md = TraceMetadata()
            md.labels = [("build", build)]
            m.metadata = md
            for kind in BootMetrics.Kind.allCases {
                for (metric, values) in metrics.sorted(by: { $0.key.name < $1.key.name }) where metric.kind == kind && i < values.count {
                    m.values[metric] = Int64(values[i] * 1e6)
                    m.order.append(metric)
                }
            }
            return m
        }
    }

    static let total = BootMetrics.Metric.total
    static let kernel = BootMetrics.Metric(kind: .phase, name: "Kernel")

    static func report(_ a: [Double], _ b: [Double], threshold: Double? = 0.05) -> StatsReport {
        StatsReport.make(groups: [("a", boots([total: a])), ("b", boots([total: b]))], threshold: threshold)
    }

    @Test func theWholeIntervalMustPassTheThreshold() throws {
        // Every b above every a (p < 0.05), the median 8.9% up, but the b resamples' medians reach
        // down to +2.5%: within noise, not REGRESSED (the old rule judged the point estimate).
        let a = [300.0, 301, 302, 303, 304, 305, 306, 307]
        let b = [310.0, 311, 312, 330, 331, 332, 333, 334]
        let r = Self.report(a, b)
        let c = try #require(r.groups[1].comparisons.first)
        #expect(c.p < 0.05)
        #expect(try #require(c.relative) > 0.05)
        #expect(try #require(c.relativeCI).low < 0.05)
        #expect(c.verdict == .withinNoise)
        #expect(r.decision == .noRegression)

        // The same change, the interval clear of the threshold: REGRESSED.
        let clear = Self.report(a, b.map { $0 + 40 })
        #expect(clear.groups[1].comparisons.first?.verdict == .regressed)
        #expect(clear.decision == .regressed)
        #expect(clear.regressions.count == 1)
        // Faster beyond the threshold: improved, and no regression.
        let faster = Self.report(b.map { $0 + 40 }, a)
        #expect(faster.groups[1].comparisons.first?.verdict == .improved)
        #expect(faster.decision == .noRegression)
        // Without a threshold there is no verdict.
        let plain = Self.report(a, b.map { $0 + 40 }, threshold: nil)
        #expect(plain.groups[1].comparisons.first?.verdict == nil)
        #expect(plain.decision == .none)
    }

    @Test func aChangeWithoutSignificanceIsWithinNoise() {
        // Interleaved values: p is large whatever the medians say.
        let r = Self.report([300, 340, 310, 350, 320], [305, 345, 315, 355, 400])
        #expect(r.groups[1].comparisons.first?.verdict == .withinNoise)
    }

    @Test func groupsTooSmallToReachAlphaCannotDecide() throws {
        let r = Self.report([100, 101, 102], [500, 501, 502])
        #expect(r.groups[1].smallestP == 0.1)
        #expect(r.groups[1].comparisons.first?.verdict == .tooFewBoots)
        guard case .cannotDecide(let why) = r.decision else {
            Issue.record("decided: \(r.decision)")
            return
        }
        #expect(why.contains("3 v 3 boots cannot reach p < 0.05"))
        #expect(why.contains("0.100"))
        #expect(why.contains("4 boots a side are needed"))
        // 4 v 4 can: a real verdict.
        let four = Self.report([100, 101, 102, 103], [500, 501, 502, 503])
        #expect(four.decision == .regressed)
        // One group compares nothing: no verdict can be drawn.
        let one = StatsReport.make(groups: [("all", Self.boots([Self.total: [1, 2, 3, 4]]))], threshold: 0.05)
        guard case .cannotDecide = one.decision else {
            Issue.record("one group decided: \(one.decision)")
            return
        }
    }

    @Test func metricsMissingFromAGroupAreListed() throws {
        let extra = BootMetrics.Metric(kind: .interval, name: "0x40 Kernel -> 0x41 Kernel")
        let a = Self.boots([Self.total: [10, 11, 12, 13]], build: "a")
        var b = Self.boots([Self.total: [10, 11, 12, 13], extra: [1, 2, 3]], build: "b")
        b[3].values[extra] = nil
        let r = StatsReport.make(groups: [("a", a), ("b", b)], threshold: 0.05)
        let m = try #require(r.missing.first { $0.metric == extra })
        #expect(m.groups.map(\.n) == [0, 3])
        #expect(m.groups.map(\.of) == [4, 4])
        #expect(!r.groups[1].comparisons.contains { $0.metric == extra })
        let text = StatsText.render(r, format: .text)
        #expect(text.contains("0x40 Kernel -> 0x41 Kernel: in b (3 of 4 boots); not in a"), "\(text)")
        let json = StatsText.render(r, format: .json)
        #expect(json.contains(#""missing":[{"kind":"interval","name":"0x40 Kernel -> 0x41 Kernel","groups":[{"name":"a","n":0,"of":4}"#))
    }

    /// The chain's intervals come largest change of the median first (in time, either way); the
    /// total and phases keep their order above them.
    @Test func intervalsAreListedLargestChangeFirst() {
        let small = BootMetrics.Metric(kind: .interval, name: "0x0 Firmware -> 0x1 Firmware")
        let big = BootMetrics.Metric(kind: .interval, name: "0x40 Kernel -> 0x60 Userspace")
        let shrunk = BootMetrics.Metric(kind: .interval, name: "0x20 Bootloader -> 0x40 Kernel")
        let a = Self.boots([
            Self.total: [100, 101, 102, 103], small: [0.02, 0.02, 0.02, 0.02], big: [50, 51, 52, 53], shrunk: [30, 31, 32, 33],
        ])
        let b = Self.boots([
            Self.total: [150, 151, 152, 153], small: [0.05, 0.05, 0.05, 0.05], big: [90, 91, 92, 93], shrunk: [10, 11, 12, 13],
        ])
        let r = StatsReport.make(groups: [("a", a), ("b", b)])
        #expect(r.groups[1].comparisons.map(\.metric) == [Self.total, big, shrunk, small])
    }

    @Test func theBaselineIsChosenAndSaidSo() throws {
        let a = Self.boots([Self.total: [10, 11, 12, 13]], build: "a")
        let b = Self.boots([Self.total: [20, 21, 22, 23]], build: "b")
        let first = try StatsGroups.by("build", b + a)
        #expect(first.groups.map(\.name) == ["b", "a"])
        #expect(first.baseline == .firstGiven)
        let named = try StatsGroups.by("build", b + a, baseline: "a")
        #expect(named.groups.map(\.name) == ["a", "b"])
        #expect(named.baseline == .named)
        #expect(StatsText.render(StatsReport.make(named), format: .text).contains("baseline: a (named by --baseline-group)"))
        #expect(throws: StatsGroupingError.noSuchGroup("c", groups: ["b", "a"])) { try StatsGroups.by("build", b + a, baseline: "c") }
        #expect(throws: StatsGroupingError.noSuchKey("buidl", available: ["build"])) { try StatsGroups.by("buidl", a + b) }
    }

    /// Phases whose end never came are not durations: left out, and counted.
    @Test func unfinishedPhasesAreLeftOutAndCounted() throws {
        var t = try #require(Self.timeline())
        t.phases[t.phases.count - 1].unfinished = true
        let m = BootMetrics(t)
        #expect(m.values[Self.total] == nil)
        #expect(m.unfinished.contains(Self.total))
        let r = StatsReport.make(groups: [("a", [m, m])])
        #expect(r.unfinished.contains { $0.metric == Self.total && $0.boots == 2 })
        #expect(StatsText.render(r, format: .text).contains("total: unfinished in 2 of 2 boots of a"))
    }

    /// A code written twice, apart, makes two intervals of one name: both are kept.
    @Test func repeatedIntervalNamesAreNumbered() throws {
        var t = try #require(Self.timeline())
        let twice = t.steps.filter(\.inChain)
        t.steps += twice.map { s in
            var s = s
            s.time += 10_000_000
            return s
        }
        let m = BootMetrics(t)
        let names = m.order.filter { $0.kind == .interval }.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.contains { $0.hasSuffix(" #2") })
    }

    /// The checked-in demo boot, as a timeline.
    static func timeline() -> BootTimeline? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try? TimelineBuilder.build(path: root.appendingPathComponent("traces/boot-demo.pt").path)
    }
}
