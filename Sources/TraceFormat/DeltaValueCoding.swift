import Foundation

/// The value coding of a block's timestamp column (block version 2, docs/trace-format.md
/// section 3.1). Deltas that recur are coded as whole values: the block's table lists them
/// with their counts. Rare deltas are coded by escape classes: the class is the bit length of
/// the zigzag delta, and the bits below its leading 1 follow raw in a bit stream. Every delta
/// becomes one symbol (a value or a class), rANS-coded with the counts as the model. A real
/// host's jitter is spiky (a clock that moves in steps, a few hundred favourite gaps), and byte
/// planes split each value's bits apart; sparse events (a boot's) cost their bit length.
struct DeltaValueCoding: Sendable {
    /// Deltas that occur at least this often in a block are listed as values; rarer ones escape.
    /// (A listed value costs about 2 bytes of table; an escape, its bits below the leading 1.)
    static let minimumCountToList = 3

    /// The listed values: the first zigzag-coded, then the gaps between consecutive values in
    /// ascending signed order (each at least 1), as LEB128 varints.
    var values: [UInt8]
    /// The count of each listed value, as LEB128 varints.
    var counts: [UInt8]
    var listed: Int
    /// Escape classes: per class, its bit length (u8, ascending) and count (varint).
    var classes: [UInt8]
    var classCount: Int
    /// The rANS stream of the deltas' symbols (`RANSModel.encode`).
    var stream: [UInt8]
    /// The escaped deltas' low bits, LSB first.
    var bits: [UInt8]

    /// Bytes of the column.
    var encodedSize: Int { 4 + 1 + values.count + counts.count + classes.count + 4 + stream.count + 4 + bits.count }

    /// Codes `deltas` (t[i] - t[i-1] modulo 2^64, i >= 1; at least one). Nil if the block needs
    /// more than 65,536 symbols (only a block far over the writer's 65,536 events can), which
    /// leaves it to byte planes.
    init?(deltas: UnsafeBufferPointer<UInt64>) {
        let n = deltas.count
        guard n >= 1 else { return nil }
        var counter = ValueCounter(expected: min(n, 4_096))
        var idOf = [UInt32](repeating: 0, count: n)
        // SAFETY: `ids` has one entry per delta.
        idOf.withUnsafeMutableBufferPointer { ids in
            for i in 0..<n { ids[i] = counter.add(deltas[i]) }
        }
        // Symbols: listed values in ascending signed order, then classes by bit length.
        var listedIds = (0..<counter.distinct).filter { counter.counts[$0] >= DeltaValueCoding.minimumCountToList }
        guard listedIds.count + 65 <= 1 << RANSModel.maxScaleBits else { return nil }
        listedIds.sort { Int64(bitPattern: counter.values[$0]) < Int64(bitPattern: counter.values[$1]) }
        let escapeMark = UInt16.max  // never a symbol: at most 65 classes follow the listed values
        var symbolOfId = [UInt16](repeating: escapeMark, count: counter.distinct)
        var countList: [UInt32] = []
        countList.reserveCapacity(listedIds.count + 65)
        var v = ByteWriter(capacity: listedIds.count * 2)
        var c = ByteWriter(capacity: listedIds.count * 2)
        var previous: UInt64 = 0
        for (s, id) in listedIds.enumerated() {
            symbolOfId[id] = UInt16(truncatingIfNeeded: s)
            countList.append(counter.counts[id])
            let value = counter.values[id]
            v.varint(s == 0 ? EventBlockBuilder.zigzag(value) : value &- previous)
            previous = value
            c.varint(UInt64(counter.counts[id]))
        }
        var classTally = [UInt32](repeating: 0, count: 65)
        for i in 0..<n where symbolOfId[Int(idOf[i])] == escapeMark {
            classTally[64 - EventBlockBuilder.zigzag(deltas[i]).leadingZeroBitCount] += 1
        }
        var symbolOfClass = [UInt16](repeating: 0, count: 65)
        var k = ByteWriter()
        var classes = 0
        for length in 0...64 where classTally[length] > 0 {
            symbolOfClass[length] = UInt16(listedIds.count + classes)
            countList.append(classTally[length])
            k.u8(UInt8(length))
            k.varint(UInt64(classTally[length]))
            classes += 1
        }
        // SAFETY: `countList` is alive for the call.
        guard let model = countList.withUnsafeBufferPointer({ RANSModel(counts: $0) }) else { return nil }
        var symbols = [UInt16](repeating: 0, count: n)
        var bitWriter = BitWriter()
        for i in 0..<n {
            let s = symbolOfId[Int(idOf[i])]
            if s != escapeMark {
                symbols[i] = s
            } else {
                let z = EventBlockBuilder.zigzag(deltas[i])
                let length = 64 - z.leadingZeroBitCount
                symbols[i] = symbolOfClass[length]
                if length >= 2 { bitWriter.write(z, count: length - 1) }
            }
        }
        // SAFETY: `symbols` is alive for the call.
        stream = symbols.withUnsafeBufferPointer { model.encode($0) }
        values = v.bytes
        counts = c.bytes
        listed = listedIds.count
        self.classes = k.bytes
        classCount = classes
        bits = bitWriter.finish()
    }

    /// A writer's shortcut, so that blocks of nearly all-distinct deltas (sparse events) do not
    /// pay for counting every value: true when the first 1,024 deltas recur less than 1 time in
    /// 10 (the table could list few values) and coding every delta by its escape class (its
    /// bit length's share, plus its bits below the leading 1) would take at least `planeBytes`.
    static func cannotBeat(_ planeBytes: Int, deltas: UnsafeBufferPointer<UInt64>, zigzags: UnsafeBufferPointer<UInt64>) -> Bool {
        let sample = min(deltas.count, 1_024)
        var counter = ValueCounter(expected: sample)
        for i in 0..<sample { _ = counter.add(deltas[i]) }
        guard 10 * (sample - counter.distinct) < sample else { return false }
        var lengths = [Int](repeating: 0, count: 65)
        var rawBits = 0
        for z in zigzags {
            let length = 64 - z.leadingZeroBitCount
            lengths[length] += 1
            rawBits += max(length - 1, 0)
        }
        let n = Double(zigzags.count)
        var classBits = 0.0
        for c in lengths where c > 0 { classBits -= Double(c) * log2(Double(c) / n) }
        let escapeBytes = (Double(rawBits) + classBits) / 8 + 13
        return escapeBytes >= Double(planeBytes)
    }

    /// Writes the column, returning the offsets where its parts start (for per-column zstd blocks).
    func write(to w: inout ByteWriter) -> [Int] {
        var columns: [Int] = []
        w.u32(UInt32(listed))
        w.u8(UInt8(classCount))
        columns.append(w.bytes.count)
        w.append(contentsOf: values)
        columns.append(w.bytes.count)
        w.append(contentsOf: counts)
        w.append(contentsOf: classes)
        w.u32(UInt32(stream.count))
        columns.append(w.bytes.count)
        w.append(contentsOf: stream)
        w.u32(UInt32(bits.count))
        w.append(contentsOf: bits)
        return columns
    }

    /// Reads a value-coded column of `n` events (n >= 2: n - 1 deltas) into `ts`, given the base
    /// time. Every count and length is checked before it sizes anything; the error names the part.
    static func decode(_ c: inout ByteCursor, base: UInt64, into ts: UnsafeMutableBufferPointer<UInt64>) -> String? {
        let n = ts.count
        let deltas = n - 1
        guard let d32 = c.readU32(), let e8 = c.readU8() else { return "timestamp value table cut short" }
        let d = Int(d32)
        let e = Int(e8)
        guard e <= 65, d <= deltas, d + e >= 1, d + e <= 1 << RANSModel.maxScaleBits else {
            return "timestamp table of \(d) values and \(e) classes for \(deltas) deltas"
        }
        // Each value and each count takes at least one byte; each class two.
        guard 2 * d + 2 * e <= c.remaining else { return "timestamp value table cut short" }
        var values = [UInt64](repeating: 0, count: d)
        var previous: UInt64 = 0
        for s in 0..<d {
            guard let x = c.readVarint() else { return "timestamp value table cut short" }
            if s == 0 {
                previous = EventBlockBuilder.unzigzag(x)
            } else {
                let next = previous &+ x
                guard x >= 1, Int64(bitPattern: next) > Int64(bitPattern: previous) else {
                    return "timestamp value table not in ascending order at value \(s)"
                }
                previous = next
            }
            values[s] = previous
        }
        var counts = [UInt32](repeating: 0, count: d + e)
        var sum: UInt64 = 0
        for s in 0..<d {
            guard let x = c.readVarint() else { return "timestamp count table cut short" }
            guard x >= 1, x <= UInt64(deltas) else { return "timestamp count \(x) out of range" }
            counts[s] = UInt32(x)
            sum += x
        }
        var lengths = [UInt8](repeating: 0, count: e)
        for j in 0..<e {
            guard let length = c.readU8(), let x = c.readVarint() else { return "timestamp class table cut short" }
            guard length <= 64, j == 0 || length > lengths[j - 1] else { return "timestamp class table not ascending bit lengths" }
            guard x >= 1, x <= UInt64(deltas) else { return "timestamp class count \(x) out of range" }
            lengths[j] = length
            counts[d + j] = UInt32(x)
            sum += x
        }
        guard sum == UInt64(deltas) else { return "timestamp counts sum to \(sum), the block has \(deltas) deltas" }
        // SAFETY: `counts` is alive for the call.
        guard let model = counts.withUnsafeBufferPointer({ RANSModel(counts: $0) }) else {
            return "timestamp count table does not make a model"
        }
        guard let r = c.readU32(), let stream = c.readBytes(Int(r)) else { return "timestamp stream cut short" }
        guard let b = c.readU32(), let bitBytes = c.readBytes(Int(b)) else { return "timestamp escape bits cut short" }
        guard stream.count >= 4 else { return "timestamp stream cut short" }
        // Slot -> symbol (at most 2^16 entries of 2 bytes), then one entry per symbol: the delta
        // it stands for (or, for a class, its bit length) and its state update.
        struct Symbol {
            var value: UInt64
            var frequency: UInt32
            var start: UInt32
            /// 255 for a listed value, else the class's bit length.
            var escape: UInt8
        }
        let m = 1 << model.scaleBits
        var slotSymbol = [UInt16](repeating: 0, count: m)
        var symbols = [Symbol](repeating: Symbol(value: 0, frequency: 0, start: 0, escape: 255), count: d + e)
        for s in 0..<(d + e) {
            let start = Int(model.starts[s])
            let f = model.frequencies[s]
            symbols[s] = Symbol(value: s < d ? values[s] : 0, frequency: f, start: UInt32(start), escape: s < d ? 255 : lengths[s - d])
            for k in start..<(start + Int(f)) { slotSymbol[k] = UInt16(truncatingIfNeeded: s) }
        }
        let lower = RANSModel.lowerBound
        // SAFETY: `stream` holds at least 4 bytes (checked when the layout was read); an unaligned
        // load of the first 4.
        var x = stream.loadUnaligned(as: UInt32.self).littleEndian
        guard x >= lower, x < lower << 8 else { return "timestamp stream does not decode" }
        let mask = UInt32(m - 1)
        let scale = UInt32(model.scaleBits)
        var p = 4
        let end = stream.count
        var t = base
        ts[0] = base
        var overrun = false
        var bitReader = BitReader(bitBytes)
        // SAFETY: `x & mask` indexes `slotTable` (m entries), whose entries are symbol indices below d + e, the count of `table`; `p` is checked against `end` before each byte read; `ts` has deltas + 1 slots.
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
                    var delta = e.value
                    if e.escape != 255 {
                        let length = Int(e.escape)
                        var z = UInt64(length == 0 ? 0 : 1) << UInt64(max(length - 1, 0))
                        if length >= 2 {
                            guard let low = bitReader.read(length - 1) else {
                                overrun = true
                                return
                            }
                            z |= low
                        }
                        delta = EventBlockBuilder.unzigzag(z)
                    }
                    t = t &+ delta
                    ts[i] = t
                }
            }
        }
        // The encoder started at the lower bound: a stream that ends anywhere else, or early, is
        // damaged; so are escape bits left over (or padding that is not zero).
        guard !overrun, p == end, x == lower else { return "timestamp stream does not decode" }
        guard bitReader.isExhausted else { return "timestamp escape bits left over" }
        return nil
    }
}

/// Packs bit fields LSB first into bytes.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var accumulator: UInt64 = 0
    private var filled = 0

    /// Appends the low `count` bits of `value` (1...63).
    mutating func write(_ value: UInt64, count: Int) {
        let v = value & ((1 << UInt64(count)) - 1)
        accumulator |= v << UInt64(filled)
        let room = 64 - filled
        if count >= room {
            // The accumulator is full: emit it and keep the bits that did not fit.
            for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt64(8 * k))) }
            accumulator = room == 64 ? 0 : v >> UInt64(room)
            filled = count - room
        } else {
            filled += count
        }
    }

    mutating func finish() -> [UInt8] {
        var rest = filled
        var a = accumulator
        while rest > 0 {
            bytes.append(UInt8(truncatingIfNeeded: a))
            a >>= 8
            rest -= 8
        }
        filled = 0
        accumulator = 0
        return bytes
    }
}

/// Reads bit fields LSB first; nil past the end.
struct BitReader {
    let bytes: UnsafeRawBufferPointer
    private var position = 0  // in bits

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func read(_ count: Int) -> UInt64? {
        guard count <= bytes.count * 8 - position else { return nil }
        var v: UInt64 = 0
        var got = 0
        while got < count {
            let byte = UInt64(bytes[(position >> 3)])
            let offset = position & 7
            let take = min(8 - offset, count - got)
            v |= ((byte >> UInt64(offset)) & ((1 << UInt64(take)) - 1)) << UInt64(got)
            got += take
            position += take
        }
        return v
    }

    /// Every byte used, and the padding bits of the last byte zero.
    var isExhausted: Bool {
        guard (position + 7) / 8 == bytes.count else { return false }
        let offset = position & 7
        return offset == 0 || UInt64(bytes[bytes.count - 1]) >> UInt64(offset) == 0
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

    /// Counts `v`; returns its id.
    @inline(__always)
    mutating func add(_ v: UInt64) -> UInt32 {
        let mask = slots.count - 1
        var h = home(v)
        while true {
            let s = slots[h]
            if s == 0 { break }
            if keys[h] == v {
                counts[Int(s - 1)] += 1
                return s - 1
            }
            h = (h + 1) & mask
        }
        let id = UInt32(values.count)
        values.append(v)
        counts.append(1)
        slots[h] = id + 1
        keys[h] = v
        if 2 * values.count > slots.count { grow() }
        return id
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
