import Foundation
import Testing

@testable import Analysis

/// The statistics against numpy and scipy. The values were computed by stats_reference.py
/// (numpy 2.4.6, scipy 1.17.1) and are stored here, so the test run needs no Python.
struct StatisticsTests {
    static let samples: [String: [Double]] = [
        "boot": [1204.5, 1198.25, 1250.0, 1190.75, 1301.125, 1222.0, 1199.5, 1215.875, 1260.25, 1208.0, 1195.5],
        "even": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0],
        "ties": [10.0, 10.0, 10.0, 12.0, 12.0, 15.0, 15.0, 15.0, 15.0, 20.0],
        "slower": [1290.0, 1301.5, 1288.25, 1320.0, 1275.5, 1299.0, 1310.75, 1285.0, 1330.5, 1295.25],
        "tied_b": [10.0, 12.0, 12.0, 12.0, 15.0, 20.0, 20.0, 25.0],
    ]

    /// name, median, p10, p90, mean, sd (numpy: median, quantile, mean, std(ddof=1)).
    static let reference: [(String, Double, Double, Double, Double, Double)] = [
        ("boot", 1208.0, 1195.5, 1260.25, 1222.340909090909, 34.34449059297443),
        ("even", 3.5, 1.0, 6.8999999999999995, 3.875, 2.748376143938713),
        ("ties", 13.5, 10.0, 15.499999999999998, 13.4, 3.2041639575194445),
        ("slower", 1297.125, 1284.05, 1321.05, 1299.575, 16.776740678027355),
        ("tied_b", 13.5, 11.4, 21.5, 15.75, 5.311712126450916),
    ]

    /// name, population standard deviation (numpy: std(), ddof=0, what cloud-hypervisor's CI prints).
    static let populationSD: [(String, Double)] = [
        ("boot", 32.746186927098286), ("even", 2.5708704751503917), ("ties", 3.0397368307141326),
        ("slower", 15.915813676969206), ("tied_b", 4.968651728587948),
    ]

    /// x, y, U, p (scipy.stats.mannwhitneyu, two-sided, asymptotic).
    static let mannWhitney: [(String, String, Double, Double)] = [
        ("boot", "slower", 6.0, 0.0006371948724634316),
        ("ties", "tied_b", 30.5, 0.41054803299652654),
        ("even", "ties", 0.0, 0.000401635931073991),
    ]

    func close(_ a: Double, _ b: Double) -> Bool { a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b)) }

    @Test func descriptiveStatisticsMatchNumpy() {
        for (name, median, p10, p90, mean, sd) in Self.reference {
            let x = Self.samples[name]!
            let s = x.sorted()
            #expect(close(Statistics.median(sorted: s), median), "\(name) median")
            #expect(close(Statistics.quantile(sorted: s, 0.1), p10), "\(name) p10")
            #expect(close(Statistics.quantile(sorted: s, 0.9), p90), "\(name) p90")
            #expect(close(Statistics.mean(x), mean), "\(name) mean")
            #expect(close(Statistics.standardDeviation(x)!, sd), "\(name) sd")
        }
        #expect(Statistics.standardDeviation([1]) == nil)
        for (name, sd) in Self.populationSD {
            #expect(close(Statistics.populationStandardDeviation(Self.samples[name]!), sd), "\(name) population sd")
        }
        #expect(Statistics.populationStandardDeviation([4]) == 0)
    }

    @Test func mannWhitneyMatchesScipy() {
        for (x, y, u, p) in Self.mannWhitney {
            let r = Statistics.mannWhitney(Self.samples[x]!, Self.samples[y]!, method: .asymptotic)
            #expect(close(r.u, u), "\(x) \(y) U")
            #expect(close(r.p, p), "\(x) \(y) p: \(r.p) against \(p)")
        }
    }

    /// x, y, U, p (scipy.stats.mannwhitneyu, two-sided, method="auto": exact for these, which
    /// have no ties and a group of 8 or fewer; the last, 9 against 10, is asymptotic).
    static let mannWhitneyAuto: [([Double], [Double], Double, Double, Statistics.MannWhitneyMethod)] = [
        ([1, 2, 3], [4, 5, 6], 0, 0.1, .exact),
        ([1, 2, 3, 4], [5, 6, 7, 8], 0, 0.02857142857142857, .exact),
        ([10.5, 12.25, 9.75, 11.0, 13.5], [12.0, 14.25, 15.5, 13.0, 16.75, 11.5, 14.0], 5, 0.04797979797979798, .exact),
        ([3], [1, 2, 4, 5, 6], 2, 1.0, .exact),
        ([1, 3, 5, 7, 9, 11], [2, 4, 6, 8, 10, 12], 15, 0.6991341991341992, .exact),
        (
            [100.5, 100.87, 101.24, 101.61, 101.98, 102.35, 102.72, 103.09],
            [
                101.0, 102.471, 103.942, 105.413, 106.884, 102.265, 103.736, 105.20700000000001, 106.678, 102.059, 103.53,
                105.00099999999999, 106.472, 101.85300000000001, 103.324, 104.795, 106.266, 101.64699999999999, 103.118, 104.589,
                106.06, 101.441, 102.912, 104.383, 105.854, 101.235, 102.706, 104.177, 105.64800000000001, 101.029,
            ], 42, 0.003923278116826504, .exact
        ),
        ([5, 1, 9, 3, 7, 11, 13, 2, 4], [6, 8, 10, 12, 14, 15, 16, 17, 18, 19], 10, 0.004848762721678938, .asymptotic),
    ]

    @Test func smallSamplesUseTheExactDistributionAsScipyDoes() {
        for (x, y, u, p, method) in Self.mannWhitneyAuto {
            let r = Statistics.mannWhitney(x, y)
            #expect(r.method == method, "\(x.count) v \(y.count)")
            #expect(close(r.u, u), "\(x.count) v \(y.count) U \(r.u)")
            #expect(close(r.p, p), "\(x.count) v \(y.count) p: \(r.p) against \(p)")
        }
        // Ties in a small sample: asymptotic, as scipy.
        #expect(Statistics.mannWhitney([1, 1, 2], [3, 4, 5]).method == .asymptotic)
        // The exact distribution is the whole of C(n1 + n2, n1) arrangements, symmetric.
        let d = Statistics.exactDistribution(4, 6)
        #expect(d.reduce(0, +) == 210)
        #expect(d == d.reversed())
    }

    /// 3 boots a side can never reach p < 0.05 (best 0.100); 4 a side can (0.029).
    @Test func theSmallestAttainablePValue() {
        #expect(close(Statistics.smallestP(3, 3), 0.1))
        #expect(close(Statistics.smallestP(4, 4), 0.02857142857142857))
        #expect(Statistics.groupSizeNeeded(alpha: 0.05) == 4)
        #expect(Statistics.groupSizeNeeded(alpha: 0.01) == 5)
    }

    @Test func relativeChangeIntervalsBracketTheChange() throws {
        let a = Self.samples["boot"]!
        let b = Self.samples["slower"]!
        let ci = try #require(Bootstrap().relativeChangeInterval(baseline: a, candidate: b))
        let point = 1297.125 / 1208.0 - 1
        #expect(ci.low <= point && point <= ci.high)
        #expect(ci.low > 0)
        #expect(Bootstrap().relativeChangeInterval(baseline: [0, 0], candidate: [1, 2]) == nil)
    }

    /// Bootstrap.relativeChangeInterval against an independent implementation in Python with
    /// numpy's median and quantile (stats_reference.py, 2000 resamples, the default seed).
    @Test func relativeChangeIntervalMatchesPython() throws {
        let reference: [(String, String, Double, Double)] = [
            ("boot", "slower", 0.03590000000000004, 0.08888658940397343),
            ("even", "tied_b", 1.1818181818181817, 12.333333333333334),
        ]
        for (x, y, low, high) in reference {
            let ci = try #require(
                Bootstrap(resamples: 2000).relativeChangeInterval(baseline: Self.samples[x]!, candidate: Self.samples[y]!))
            #expect(close(ci.low, low), "\(x) \(y) low \(ci.low)")
            #expect(close(ci.high, high), "\(x) \(y) high \(ci.high)")
        }
    }

    @Test func theBootstrapIsDeterministic() {
        let x = Self.samples["boot"]!
        let a = Bootstrap(seed: 7).medianInterval(x)
        let b = Bootstrap(seed: 7).medianInterval(x)
        #expect(a == b)
        var s7 = Xoshiro256StarStar(seed: 7)
        var s8 = Xoshiro256StarStar(seed: 8)
        #expect(s7.next() != s8.next())
        #expect(a.low <= 1208.0 && 1208.0 <= a.high)
        // The generator is fixed: xoshiro256** seeded by SplitMix64; these outputs come from the
        // independent Python implementation in stats_reference.py.
        var g = Xoshiro256StarStar(seed: 1)
        #expect((0..<3).map { _ in g.next() } == [12_966_619_160_104_079_557, 9_600_361_134_598_540_522, 10_590_380_919_521_690_900])
    }

    /// Coverage on samples with a known median: about 95% of the intervals contain it.
    @Test func bootstrapIntervalsCoverTheMedian() {
        var rng = Xoshiro256StarStar(seed: 99)
        let boot = Bootstrap(resamples: 2000, seed: 5)
        var covered = 0
        let trials = 300
        for t in 0..<trials {
            // Exponential durations (a skewed boot time): median ln 2.
            let sample = (0..<41).map { _ in -log(Double(rng.next() >> 11 | 1) / Double(1 << 53)) }
            let ci = boot.medianInterval(sample, stream: UInt64(t))
            if ci.low <= M_LN2 && M_LN2 <= ci.high { covered += 1 }
        }
        let rate = Double(covered) / Double(trials)
        #expect(rate >= 0.90 && rate <= 0.99, "coverage \(rate)")
    }

    @Test func differenceIntervalsSeparateShiftedGroups() {
        let a = Self.samples["boot"]!
        let b = Self.samples["slower"]!
        let ci = Bootstrap().differenceInterval(baseline: a, candidate: b)
        #expect(ci.low > 0)
        #expect(ci.low <= 1297.125 - 1208.0 && 1297.125 - 1208.0 <= ci.high)
    }
}
