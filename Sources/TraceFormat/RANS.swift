/// A static-model range asymmetric numeral system (rANS) coder over symbol indices: 32-bit
/// state, byte-wise renormalisation, probabilities in units of 2^-scale (scale at most 16).
/// The model is a table of symbol counts that the stream's reader knows exactly (it is stored
/// beside the stream); `RANSModel` turns counts into frequencies the same way on both sides.
/// docs/trace-format.md section 3.1 specifies every step, for independent readers. Decoding is
/// fused with the column it serves (`DeltaValueCoding.decode`): one table load per event.
struct RANSModel: Sendable {
    /// The lower bound of the normalised state: states stay in [2^23, 2^31).
    static let lowerBound: UInt32 = 1 << 23
    static let maxScaleBits = 16
    static let preferredMaxScaleBits = 14

    let scaleBits: Int
    /// Frequency of each symbol, at least 1, summing to 2^scaleBits.
    let frequencies: [UInt32]
    /// Cumulative frequency before each symbol.
    let starts: [UInt32]

    /// Normalises `counts` (each at least 1, at most 2^16 of them, summing to `total` >= 1) to
    /// frequencies summing to 2^scale, where scale is the smallest with 2^scale >= total, but at
    /// most 14 (a decoder's slot table stays in cache) unless more symbols than 2^14 need more:
    /// finally the smallest with 2^scale >= the number of symbols, if that is larger.
    /// f = max(1, round(count x 2^scale / total)), then the difference to 2^scale is settled on
    /// the largest frequencies (lowest index first among equals). Nil if the counts break those
    /// rules (a hostile table).
    init?(counts: UnsafeBufferPointer<UInt32>) {
        let d = counts.count
        guard d >= 1, d <= 1 << RANSModel.maxScaleBits else { return nil }
        var total: UInt64 = 0
        for c in counts {
            guard c >= 1 else { return nil }
            total += UInt64(c)
        }
        var scale = 0
        while scale < RANSModel.preferredMaxScaleBits && (UInt64(1) << UInt64(scale)) < total { scale += 1 }
        while (1 << scale) < d { scale += 1 }
        let m = UInt64(1) << UInt64(scale)
        guard UInt64(d) <= m else { return nil }
        var f = [UInt32](repeating: 0, count: d)
        var sum: UInt64 = 0
        var largest = 0
        for i in 0..<d {
            let q = max(1, (UInt64(counts[i]) * m + total / 2) / total)
            f[i] = UInt32(q)
            sum += q
            if f[i] > f[largest] { largest = i }
        }
        if sum < m {
            f[largest] += UInt32(m - sum)
        } else if sum > m {
            // Take the excess from the largest frequencies, never below 1. Feasible: d <= m.
            var excess = sum - m
            let order = (0..<d).sorted { f[$0] != f[$1] ? f[$0] > f[$1] : $0 < $1 }
            for i in order where excess > 0 {
                let take = min(excess, UInt64(f[i] - 1))
                f[i] -= UInt32(take)
                excess -= take
            }
        }
        var starts = [UInt32](repeating: 0, count: d)
        var acc: UInt32 = 0
        for i in 0..<d {
            starts[i] = acc
            acc &+= f[i]
        }
        scaleBits = scale
        frequencies = f
        self.starts = starts
    }

    /// The stream for `symbols` (each an index into the model), decodable front to back:
    /// 4 bytes of final state (little-endian), then the renormalisation bytes in reading order.
    func encode(_ symbols: UnsafeBufferPointer<UInt16>) -> [UInt8] {
        // Bytes are produced last symbol first; fill a buffer from its end.
        var out = [UInt8](repeating: 0, count: symbols.count * 3 / 2 + 64)
        var p = out.count
        var x = RANSModel.lowerBound
        let scale = UInt32(scaleBits)
        let bound = (RANSModel.lowerBound >> scale) << 8
        // SAFETY: the tables have one entry per symbol index: each symbol is checked against that
        // count before it indexes them; `out` is grown before any write could pass its start.
        frequencies.withUnsafeBufferPointer { freq in
            starts.withUnsafeBufferPointer { start in
                var i = symbols.count
                while i > 0 {
                    i -= 1
                    let s = Int(symbols[i])
                    precondition(s < freq.count, "a symbol outside the model")
                    let f = freq[s]
                    let xMax = bound &* f
                    if p < 8 {
                        // At most 2 bytes per symbol are emitted (scale <= 16): grow rarely.
                        let grow = out.count
                        out.insert(contentsOf: [UInt8](repeating: 0, count: grow), at: 0)
                        p += grow
                    }
                    while x >= xMax {
                        p -= 1
                        out[p] = UInt8(truncatingIfNeeded: x)
                        x >>= 8
                    }
                    x = ((x / f) << scale) &+ (x % f) &+ start[s]
                }
            }
        }
        p -= 4
        for k in 0..<4 { out[p + k] = UInt8(truncatingIfNeeded: x >> UInt32(8 * k)) }
        return Array(out[p...])
    }
}
