/// The value coding of a block's timestamp column (block version 2, docs/trace-format.md
/// section 3.1): the block's distinct deltas in a table with their counts, and the sequence of
/// deltas as indices into that table, rANS-coded with the counts as the model. It codes each
/// delta as the whole value it is: the jitter of a real host is spiky (a clock that moves in
/// steps, a few hundred favourite gaps), and byte planes split each value's bits apart.
public struct DeltaValueCoding: Sendable {
    /// The table's values: the first zigzag-coded, then the gaps between consecutive values in
    /// ascending signed order (each at least 1), as LEB128 varints.
    public var values: [UInt8]
    /// The count of each value, as LEB128 varints.
    public var counts: [UInt8]
    public var distinct: Int
    /// The rANS stream of the deltas' indices (`RANSModel.encode`).
    public var stream: [UInt8]

    /// Bytes of the column: the u32 distinct count, the two tables, the u32 stream length, the stream.
    public var encodedSize: Int { 8 + values.count + counts.count + stream.count }

    /// Codes `deltas` (t[i] - t[i-1] modulo 2^64, i >= 1; at least one). Nil when they hold more
    /// than 65,536 distinct values (the coder's alphabet), which leaves the block to byte planes.
    /// With `giveUpWhenMostlyNew` (a writer choosing the smaller coding) it also stops counting,
    /// nil, once more than half the deltas are distinct: the value table alone (at least 2 bytes
    /// a value) would then cost more than a byte per event.
    public init?(deltas: UnsafeBufferPointer<UInt64>, giveUpWhenMostlyNew: Bool = false) {
        let n = deltas.count
        guard n >= 1 else { return nil }
        var counter = ValueCounter(expected: min(n, 4_096))
        var idOf = [UInt32](repeating: 0, count: n)
        let limit = 1 << RANSModel.maxScaleBits
        // SAFETY: `ids` has one entry per delta.
        let complete = idOf.withUnsafeMutableBufferPointer { ids -> Bool in
            for i in 0..<n {
                let (id, new) = counter.add(deltas[i])
                if new {
                    if counter.distinct > limit { return false }
                    if giveUpWhenMostlyNew && 2 * counter.distinct > n { return false }
                }
                ids[i] = id
            }
            return true
        }
        guard complete else { return nil }
        let d = counter.distinct
        let order = (0..<d).sorted { Int64(bitPattern: counter.values[$0]) < Int64(bitPattern: counter.values[$1]) }
        var symbolOfId = [UInt16](repeating: 0, count: d)
        var countList = [UInt32](repeating: 0, count: d)
        var v = ByteWriter(capacity: d * 2)
        var c = ByteWriter(capacity: d * 2)
        var previous: UInt64 = 0
        for (s, id) in order.enumerated() {
            symbolOfId[id] = UInt16(truncatingIfNeeded: s)
            countList[s] = counter.counts[id]
            let value = counter.values[id]
            v.varint(s == 0 ? EventBlockBuilder.zigzag(value) : value &- previous)
            previous = value
            c.varint(UInt64(counter.counts[id]))
        }
        // SAFETY: `countList` is alive for the call.
        guard let model = countList.withUnsafeBufferPointer({ RANSModel(counts: $0) }) else { return nil }
        var symbols = [UInt16](repeating: 0, count: n)
        for i in 0..<n { symbols[i] = symbolOfId[Int(idOf[i])] }
        // SAFETY: `symbols` is alive for the call.
        stream = symbols.withUnsafeBufferPointer { model.encode($0) }
        values = v.bytes
        counts = c.bytes
        distinct = d
    }

    /// Writes the column, returning the offsets where its parts start (for per-column zstd blocks).
    func write(to w: inout ByteWriter) -> [Int] {
        var columns: [Int] = []
        w.u32(UInt32(distinct))
        columns.append(w.bytes.count)
        w.append(contentsOf: values)
        columns.append(w.bytes.count)
        w.append(contentsOf: counts)
        w.u32(UInt32(stream.count))
        columns.append(w.bytes.count)
        w.append(contentsOf: stream)
        return columns
    }

    /// Reads a value-coded column of `n` events (n >= 2: n - 1 deltas) into `ts`, given the base
    /// time. Every count and length is checked before it sizes anything; the error names the part.
    static func decode(_ c: inout ByteCursor, base: UInt64, into ts: UnsafeMutableBufferPointer<UInt64>) -> String? {
        let n = ts.count
        let deltas = n - 1
        guard let d32 = c.readU32() else { return "timestamp value table cut short" }
        let d = Int(d32)
        guard d >= 1, d <= deltas, d <= 1 << RANSModel.maxScaleBits else {
            return "timestamp value table of \(d) values for \(deltas) deltas"
        }
        // Each value and each count takes at least one byte.
        guard 2 * d <= c.remaining else { return "timestamp value table cut short" }
        var values = [UInt64](repeating: 0, count: d)
        var previous: UInt64 = 0
        for s in 0..<d {
            guard let x = c.readVarint() else { return "timestamp value table cut short" }
            if s == 0 {
                previous = UInt64(bitPattern: Int64(bitPattern: x >> 1) ^ -Int64(bitPattern: x & 1))
            } else {
                let next = previous &+ x
                guard x >= 1, Int64(bitPattern: next) > Int64(bitPattern: previous) else {
                    return "timestamp value table not in ascending order at value \(s)"
                }
                previous = next
            }
            values[s] = previous
        }
        var counts = [UInt32](repeating: 0, count: d)
        var sum: UInt64 = 0
        for s in 0..<d {
            guard let x = c.readVarint() else { return "timestamp count table cut short" }
            guard x >= 1, x <= UInt64(deltas) else { return "timestamp count \(x) out of range" }
            counts[s] = UInt32(x)
            sum += x
        }
        guard sum == UInt64(deltas) else { return "timestamp counts sum to \(sum), the block has \(deltas) deltas" }
        // SAFETY: `counts` is alive for the call.
        guard let model = counts.withUnsafeBufferPointer({ RANSModel(counts: $0) }) else {
            return "timestamp count table does not make a model"
        }
        guard let r = c.readU32(), let stream = c.readBytes(Int(r)) else { return "timestamp stream cut short" }
        guard stream.count >= 4 else { return "timestamp stream cut short" }
        // Slot -> symbol (at most 2^16 entries of 2 bytes), then one entry per symbol with the
        // delta it stands for and its state update.
        struct Symbol {
            var value: UInt64
            var frequency: UInt32
            var start: UInt32
        }
        let m = 1 << model.scaleBits
        var slotSymbol = [UInt16](repeating: 0, count: m)
        var symbols = [Symbol](repeating: Symbol(value: 0, frequency: 0, start: 0), count: d)
        for s in 0..<d {
            let start = Int(model.starts[s])
            let f = model.frequencies[s]
            symbols[s] = Symbol(value: values[s], frequency: f, start: UInt32(start))
            for k in start..<(start + Int(f)) { slotSymbol[k] = UInt16(truncatingIfNeeded: s) }
        }
        let lower = RANSModel.lowerBound
        var x = stream.loadUnaligned(as: UInt32.self).littleEndian
        guard x >= lower, x < lower << 8 else { return "timestamp stream does not decode" }
        let mask = UInt32(m - 1)
        let scale = UInt32(model.scaleBits)
        var p = 4
        let end = stream.count
        var t = base
        ts[0] = base
        var overrun = false
        // SAFETY: `x & mask` indexes `slotTable` (m entries), whose entries are symbol indices below d, the count of `table`; `p` is checked against `end` before each byte read; `ts` has deltas + 1 slots.
        slotSymbol.withUnsafeBufferPointer { slotTable in
            symbols.withUnsafeBufferPointer { table in
                for i in 1...deltas {
                    let slot = x & mask
                    let e = table[Int(slotTable[Int(slot)])]
                    x = e.frequency &* (x >> scale) &+ slot &- e.start
                    while x < lower {
                        guard p < end else {
                            overrun = true
                            return
                        }
                        x = (x << 8) | UInt32(stream[p])
                        p += 1
                    }
                    t = t &+ e.value
                    ts[i] = t
                }
            }
        }
        // The encoder started at the lower bound: a stream that ends anywhere else, or early, is damaged.
        guard !overrun, p == end, x == lower else { return "timestamp stream does not decode" }
        return nil
    }
}

/// Counts 64-bit values in an open-addressing table that doubles as it fills; each distinct
/// value gets an id in order of first appearance.
struct ValueCounter {
    /// Distinct values and their counts, by id.
    private(set) var values: [UInt64] = []
    private(set) var counts: [UInt32] = []
    /// Id + 1 per table slot; 0 is empty.
    private var slots: [UInt32]
    private var keys: [UInt64]
    private var shift: UInt64

    init(expected: Int) {
        var capacity = 16
        while capacity < 2 * expected { capacity <<= 1 }
        slots = [UInt32](repeating: 0, count: capacity)
        keys = [UInt64](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
    }

    var distinct: Int { values.count }

    @inline(__always)
    private func home(_ v: UInt64) -> Int { Int(truncatingIfNeeded: (v &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// Counts `v`; returns its id and whether it is new.
    @inline(__always)
    mutating func add(_ v: UInt64) -> (UInt32, Bool) {
        let mask = slots.count - 1
        var h = home(v)
        while true {
            let s = slots[h]
            if s == 0 { break }
            if keys[h] == v {
                counts[Int(s - 1)] += 1
                return (s - 1, false)
            }
            h = (h + 1) & mask
        }
        let id = UInt32(values.count)
        values.append(v)
        counts.append(1)
        slots[h] = id + 1
        keys[h] = v
        if 2 * values.count > slots.count { grow() }
        return (id, true)
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        slots = [UInt32](repeating: 0, count: capacity)
        keys = [UInt64](repeating: 0, count: capacity)
        shift -= 1
        let mask = capacity - 1
        for (id, v) in values.enumerated() {
            var h = home(v)
            while slots[h] != 0 { h = (h + 1) & mask }
            slots[h] = UInt32(id + 1)
            keys[h] = v
        }
    }
}
