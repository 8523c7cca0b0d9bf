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

    /// Two-sided Mann-Whitney U test, normal approximation with tie and continuity correction
    /// (scipy's `mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")`).
    /// Returns U of `x` and the p-value.
    public static func mannWhitney(_ x: [Double], _ y: [Double]) -> (u: Double, p: Double) {
        let n1 = Double(x.count)
        let n2 = Double(y.count)
        let all = (x.map { ($0, 0) } + y.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var ranks = [Double](repeating: 0, count: all.count)
        var tieTerm = 0.0
        var i = 0
        while i < all.count {
            var j = i
            while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[k] = rank }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        let r1 = zip(all, ranks).reduce(0.0) { $0 + ($1.0.1 == 0 ? $1.1 : 0) }
        let u1 = r1 - n1 * (n1 + 1) / 2
        let u2 = n1 * n2 - u1
        let n = n1 + n2
        let mu = n1 * n2 / 2
        let sigma = (n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))).squareRoot()
        guard sigma > 0 else { return (u1, 1) }
        let z = (max(u1, u2) - mu - 0.5) / sigma
        let p = min(1, 2 * 0.5 * erfc(z / 2.0.squareRoot()))
        return (u1, p)
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

    /// The interval of the median of `sample`.
    public func medianInterval(_ sample: [Double], stream: UInt64 = 0) -> (low: Double, high: Double) {
        let sorted = sample.sorted()
        var rng = Xoshiro256StarStar(seed: seed ^ stream)
        var counts = [Int](repeating: 0, count: sorted.count)
        var medians = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples { medians[r] = Bootstrap.resampledMedian(sorted: sorted, counts: &counts, rng: &rng) }
        medians.sort()
        let tail = (1 - level) / 2
        return (Statistics.quantile(sorted: medians, tail), Statistics.quantile(sorted: medians, 1 - tail))
    }

    /// The interval of median(candidate) - median(baseline), resampling each group on its own.
    public func differenceInterval(baseline: [Double], candidate: [Double], stream: UInt64 = 0) -> (low: Double, high: Double) {
        let a = baseline.sorted()
        let b = candidate.sorted()
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
