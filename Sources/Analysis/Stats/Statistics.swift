import Foundation

/// The statistics `porttrace stats` reports, each defined as the common tools define it so
/// figures can be checked against numpy and scipy (Tests/AnalysisTests/stats_reference.py).
public enum Statistics {
    /// The q-quantile by linear interpolation between order statistics (numpy's default,
    /// R's type 7): position h = (n - 1) q in the sorted sample.
    public static func quantile(sorted x: [Double], _ q: Double) -> Double {
        precondition(!x.isEmpty)
        let h = Double(x.count - 1) * q
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, x.count - 1)
        return x[lo] + (h - Double(lo)) * (x[hi] - x[lo])
    }

    public static func median(sorted x: [Double]) -> Double { quantile(sorted: x, 0.5) }

    public static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

    /// Sample standard deviation (n - 1 in the denominator; numpy's `std(ddof=1)`); nil below two values.
    public static func standardDeviation(_ x: [Double]) -> Double? {
        guard x.count >= 2 else { return nil }
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    /// Population standard deviation (n in the denominator; numpy's `std()`, what
    /// cloud-hypervisor's boot-time CI prints).
    public static func populationStandardDeviation(_ x: [Double]) -> Double {
        precondition(!x.isEmpty)
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)).squareRoot()
    }

    /// How a Mann-Whitney p-value is computed.
    public enum MannWhitneyMethod: String, Sendable {
        /// The exact null distribution of U (every arrangement of the two groups' ranks).
        case exact
        /// The normal approximation with tie and continuity correction.
        case asymptotic

        /// scipy's `method="auto"` rule: exact when either group has 8 values or fewer and no
        /// value is tied; else asymptotic.
        public static func auto(_ n1: Int, _ n2: Int, ties: Bool) -> MannWhitneyMethod {
            (n1 > 8 && n2 > 8) || ties ? .asymptotic : .exact
        }
    }

    /// Two-sided Mann-Whitney U test as scipy's `mannwhitneyu(x, y, alternative="two-sided",
    /// method="auto")`: the exact distribution for small samples without ties, else the normal
    /// approximation. Returns U of `x`, the p-value and the method used.
    public static func mannWhitney(_ x: [Double], _ y: [Double]) -> (u: Double, p: Double, method: MannWhitneyMethod) {
        let ranked = ranks(x, y)
        let method = MannWhitneyMethod.auto(x.count, y.count, ties: ranked.tieTerm > 0)
        return (ranked.u1, pValue(ranked, method), method)
    }

    /// The same test with the method forced (scipy's `method="exact"` or `"asymptotic"`).
    public static func mannWhitney(_ x: [Double], _ y: [Double], method: MannWhitneyMethod) -> (u: Double, p: Double) {
        let ranked = ranks(x, y)
        return (ranked.u1, pValue(ranked, method))
    }

    struct RankedSamples {
        var n1: Int
        var n2: Int
        var u1: Double
        /// Sum of t^3 - t over groups of tied values (0: no ties).
        var tieTerm: Double
    }

    static func ranks(_ x: [Double], _ y: [Double]) -> RankedSamples {
        let all = (x.map { ($0, 0) } + y.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var r1 = 0.0
        var tieTerm = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j where all[k].1 == 0 { r1 += rank }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        let n1 = Double(x.count)
        return RankedSamples(n1: x.count, n2: y.count, u1: r1 - n1 * (n1 + 1) / 2, tieTerm: tieTerm)
    }

    static func pValue(_ r: RankedSamples, _ method: MannWhitneyMethod) -> Double {
        guard r.n1 > 0, r.n2 > 0 else { return 1 }
        let n1 = Double(r.n1)
        let n2 = Double(r.n2)
        let u = max(r.u1, n1 * n2 - r.u1)
        switch method {
        case .exact:
            // P(U >= u) under the null, doubled, as scipy: the distribution is symmetric.
            let counts = exactDistribution(r.n1, r.n2)
            let total = counts.reduce(0, +)
            let from = Int(u.rounded(.up))
            let tail = from < counts.count ? counts[from...].reduce(0, +) : 0
            return min(1, 2 * tail / total)
        case .asymptotic:
            let n = n1 + n2
            let mu = n1 * n2 / 2
            let sigma = (n1 * n2 / 12 * ((n + 1) - r.tieTerm / (n * (n - 1)))).squareRoot()
            guard sigma > 0 else { return 1 }
            let z = (u - mu - 0.5) / sigma
            return min(1, erfc(z / 2.0.squareRoot()))
        }
    }

    /// How many of the C(n1 + n2, n1) arrangements of two groups give each U from 0 to n1 * n2
    /// (as Doubles: the counts pass 2^64 for groups of a few dozen). The recurrence
    /// f(m, n, k) = f(m - 1, n, k - n) + f(m, n - 1, k) only adds, so nothing cancels; one layer of
    /// n is kept at a time: O(min^2 * n1 * n2) additions, for the small groups it is used for.
    static func exactDistribution(_ a: Int, _ b: Int) -> [Double] {
        let m = min(a, b)
        let n = max(a, b)
        // layer[i][k] = f(i, current n, k), for i in 0...m; at n = 0 only U = 0, one arrangement.
        var layer = [[Double]](repeating: [1], count: m + 1)
        if n == 0 || m == 0 { return layer[m] }
        for current in 1...n {
            var next: [[Double]] = [[1]]
            for i in 1...m {
                var row = [Double](repeating: 0, count: i * current + 1)
                let previous = layer[i]  // f(i, current - 1, .)
                for (k, c) in previous.enumerated() { row[k] += c }
                for (k, c) in next[i - 1].enumerated() { row[k + current] += c }  // f(i - 1, current, k - current)
                next.append(row)
            }
            layer = next
        }
        return layer[m]
    }

    /// The smallest two-sided p-value groups of these sizes can give (all of one group above all
    /// of the other), by the method `mannWhitney` would use when no value is tied.
    public static func smallestP(_ n1: Int, _ n2: Int) -> Double {
        guard n1 > 0, n2 > 0 else { return 1 }
        let r = RankedSamples(n1: n1, n2: n2, u1: 0, tieTerm: 0)
        return pValue(r, .auto(n1, n2, ties: false))
    }

    /// The fewest values per group (both groups that size) whose smallest p is below `alpha`.
    public static func groupSizeNeeded(alpha: Double) -> Int {
        var n = 1
        while smallestP(n, n) >= alpha && n < 1000 { n += 1 }
        return n
    }
}

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: porttrace's own generator for
/// the bootstrap, so a seed gives the same intervals on every machine and every release.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var z = seed
        func splitmix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform index below `n` (Lemire's multiply-shift with rejection: no modulo bias).
    public mutating func index(below n: Int) -> Int {
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }
}

/// Percentile bootstrap intervals of medians.
public struct Bootstrap: Sendable {
    public static let defaultResamples = 10_000
    public static let defaultSeed: UInt64 = 20_261_130
    public var resamples: Int
    public var seed: UInt64
    public var level: Double

    public init(resamples: Int = defaultResamples, seed: UInt64 = defaultSeed, level: Double = 0.95) {
        self.resamples = resamples
        self.seed = seed
        self.level = level
    }

    /// The median of a resample of `sorted`, drawn by counting how often each order statistic is
    /// picked (O(n) per resample, no sort).
    static func resampledMedian(sorted x: [Double], counts: inout [Int], rng: inout Xoshiro256StarStar) -> Double {
        let n = x.count
        for i in 0..<n { counts[i] = 0 }
        for _ in 0..<n { counts[rng.index(below: n)] += 1 }
        // Order statistics k and k+1 (0-based) of the resample, with numpy's interpolation.
        let h = Double(n - 1) * 0.5
        let k = Int(h.rounded(.down))
        let frac = h - Double(k)
        var seen = 0
        var lo = 0.0
        var hi = 0.0
        var foundLo = false
        for i in 0..<n where counts[i] > 0 {
            seen += counts[i]
            if !foundLo && seen > k {
                lo = x[i]
                foundLo = true
            }
            if seen > k + 1 || (seen > k && frac == 0) {
                hi = x[i]
                break
            }
        }
        return lo + frac * (hi - lo)
    }

    /// The one value of a sorted sample whose values are all equal; nil when they differ (or
    /// there are none).
    static func constant(_ sorted: [Double]) -> Double? {
        guard let first = sorted.first, first == sorted.last else { return nil }
        return first
    }

    /// The interval of the median of `sample`.
    public func medianInterval(_ sample: [Double], stream: UInt64 = 0) -> (low: Double, high: Double) {
        let sorted = sample.sorted()
        // Every resample of a constant sample (one boot, or equal values) has that median: the
        // answer the loop would give, without 10,000 resamples per metric of a one-boot group.
        if let v = Bootstrap.constant(sorted) { return (v, v) }
        var rng = Xoshiro256StarStar(seed: seed ^ stream)
        var counts = [Int](repeating: 0, count: sorted.count)
        var medians = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples { medians[r] = Bootstrap.resampledMedian(sorted: sorted, counts: &counts, rng: &rng) }
        medians.sort()
        let tail = (1 - level) / 2
        return (Statistics.quantile(sorted: medians, tail), Statistics.quantile(sorted: medians, 1 - tail))
    }

    /// The interval of median(candidate) / median(baseline) - 1, resampling each group on its own
    /// (criterion.rs' relative change, with medians). Resamples whose baseline median is 0 are
    /// left out; nil when every one is.
    public func relativeChangeInterval(baseline: [Double], candidate: [Double], stream: UInt64 = 0) -> (low: Double, high: Double)? {
        let a = baseline.sorted()
        let b = candidate.sorted()
        guard !a.isEmpty, !b.isEmpty else { return nil }
        if let ma = Bootstrap.constant(a), let mb = Bootstrap.constant(b) { return ma == 0 ? nil : (mb / ma - 1, mb / ma - 1) }
        var rng = Xoshiro256StarStar(seed: seed ^ stream ^ 0x5E1A_71FE)
        var ca = [Int](repeating: 0, count: a.count)
        var cb = [Int](repeating: 0, count: b.count)
        var changes: [Double] = []
        changes.reserveCapacity(resamples)
        for _ in 0..<resamples {
            let ma = Bootstrap.resampledMedian(sorted: a, counts: &ca, rng: &rng)
            let mb = Bootstrap.resampledMedian(sorted: b, counts: &cb, rng: &rng)
            if ma != 0 { changes.append(mb / ma - 1) }
        }
        guard !changes.isEmpty else { return nil }
        changes.sort()
        let tail = (1 - level) / 2
        return (Statistics.quantile(sorted: changes, tail), Statistics.quantile(sorted: changes, 1 - tail))
    }

    /// The interval of median(candidate) - median(baseline), resampling each group on its own.
    public func differenceInterval(baseline: [Double], candidate: [Double], stream: UInt64 = 0) -> (low: Double, high: Double) {
        let a = baseline.sorted()
        let b = candidate.sorted()
        if let ma = Bootstrap.constant(a), let mb = Bootstrap.constant(b) { return (mb - ma, mb - ma) }
        var rng = Xoshiro256StarStar(seed: seed ^ stream ^ 0xD1FF)
        var ca = [Int](repeating: 0, count: a.count)
        var cb = [Int](repeating: 0, count: b.count)
        var diffs = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            let ma = Bootstrap.resampledMedian(sorted: a, counts: &ca, rng: &rng)
            let mb = Bootstrap.resampledMedian(sorted: b, counts: &cb, rng: &rng)
            diffs[r] = mb - ma
        }
        diffs.sort()
        let tail = (1 - level) / 2
        return (Statistics.quantile(sorted: diffs, tail), Statistics.quantile(sorted: diffs, 1 - tail))
    }
}
