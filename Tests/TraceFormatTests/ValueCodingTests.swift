import Foundation
import Testing

@testable import TraceFormat

/// The value coding of timestamps (block version 2): hostile delta sequences round-trip
/// exactly, the writer's choice is never larger than byte planes, and damaged tables are refused.
@Suite struct ValueCodingTests {
    /// A block of console writes at `times`, encoded with `coding` and decoded again.
    func roundTrip(_ times: [UInt64], _ coding: EventBlockBuilder.TimestampCoding) throws -> (EventBlock, [UInt8]) {
        var b = EventBlockBuilder()
        for t in times { b.append(timestamp: t, shape: EventShape(vcpu: 0, port: 0xe9, direction: .out, size: 1, count: 1), data: [0x2e]) }
        let bytes = b.encode(coding)
        // SAFETY: `bytes` is alive for the call.
        guard case .success(.events(let block)) = bytes.withUnsafeBytes({ EventBlock.decode($0) }) else {
            Issue.record("the block did not decode")
            throw CancellationError()
        }
        return (block, bytes)
    }

    static func hostile() -> [(String, [UInt64])] {
        var rng = SplitMix64(seed: 16)
        var distinct: [UInt64] = [1_000]
        for _ in 0..<65_536 { distinct.append(distinct.last! &+ UInt64.random(in: 1...1_000, using: &rng)) }
        var jitter: [UInt64] = [5]
        for _ in 0..<20_000 { jitter.append(jitter.last! + [7_591, 7_601, 7_581, 7_611, 9_498][Int(rng.next() % 5)]) }
        return [
            ("all equal", [UInt64](repeating: 42, count: 1_000)),
            ("equal steps", (0..<1_000).map { UInt64($0) * 10_000 }),
            ("all distinct", distinct),
            ("alternating extremes", (0..<1_001).map { $0 % 2 == 0 ? 0 : UInt64.max }),
            ("64-bit wrap-around", (0..<500).map { UInt64.max &- 1_000 &+ UInt64($0) * 7 }),
            ("backwards", (0..<300).map { 1_000_000 - UInt64($0) * 3 }),
            ("one event", [123]),
            ("two events", [1, UInt64.max]),
            ("spiky jitter", jitter),
        ]
    }

    @Test(arguments: hostile()) func hostileDeltasRoundTrip(name: String, times: [UInt64]) throws {
        for coding in [EventBlockBuilder.TimestampCoding.values, .planes, .smaller] {
            let (block, _) = try roundTrip(times, coding)
            #expect(block.timestamps == times, "\(name), \(coding)")
        }
    }

    /// Many small random blocks of the kinds live recording makes (two vCPUs' clocks
    /// interleaved, so deltas go backwards too; repeats, near-repeats, huge jumps).
    @Test func randomSmallBlocksRoundTrip() throws {
        var rng = SplitMix64(seed: 2026)
        for round in 0..<20_000 {
            let n = 2 + Int(rng.next() % 120)
            var t = rng.next() >> UInt64(rng.next() % 64)
            var times: [UInt64] = []
            let palette = (0..<(1 + Int(rng.next() % 6))).map { _ in rng.next() >> UInt64(rng.next() % 64) }
            for _ in 0..<n {
                switch rng.next() % 4 {
                case 0: t = t &+ palette[Int(rng.next() % UInt64(palette.count))]
                case 1: t = t &- (rng.next() % 5_000)
                case 2: t = t &+ (rng.next() >> UInt64(rng.next() % 64))
                default: t = t &+ 7_591 &+ 10 &* (rng.next() % 4)
                }
                times.append(t)
            }
            for coding in [EventBlockBuilder.TimestampCoding.values, .smaller] {
                let (block, _) = try roundTrip(times, coding)
                #expect(block.timestamps == times, "round \(round), \(coding)")
                if block.timestamps != times { return }
            }
        }
    }

    @Test func aBlockOf65536DistinctDeltasEscapesEveryOne() throws {
        // 65,537 events: 65,536 deltas, every one different: all coded by escape classes.
        var t: [UInt64] = [0]
        for i in 0..<65_536 { t.append(t.last! + UInt64(i) * 3 + 1) }
        let (block, bytes) = try roundTrip(t, .values)
        #expect(block.timestamps == t)
        #expect(bytes[4] == 2 && bytes[24] == EventBlock.valueCodingTag)
        let deltas = zip(t, t.dropFirst()).map { $1 &- $0 }
        // SAFETY: `deltas` is alive for the call.
        let coded = try #require(deltas.withUnsafeBufferPointer { DeltaValueCoding(deltas: $0) })
        let lengths = Set(deltas.map { 64 - ($0 << 1).leadingZeroBitCount })
        #expect(coded.listed == 0 && coded.classCount == lengths.count)
    }

    @Test func moreSymbolsThanTheAlphabetKeepBytePlanes() throws {
        // 65,472 values that each recur 3 times need 65,472 listed symbols, plus classes: one
        // over 2^16 with the 65 classes reserved, so the block keeps byte planes.
        var t: [UInt64] = [0]
        for i in 0..<(65_536 - 64) { for _ in 0..<3 { t.append(t.last! &+ UInt64(i) * 7 + 1) } }
        let (block, bytes) = try roundTrip(t, .values)
        #expect(block.timestamps == t)
        #expect(bytes[4] == 1)
    }

    @Test func spikyJitterCostsLessThanPlanes() throws {
        let times = Self.hostile().first { $0.0 == "spiky jitter" }!.1
        let deltas = zip(times, times.dropFirst()).map { $1 &- $0 }
        // SAFETY: `deltas` is alive for the call.
        let coded = try #require(deltas.withUnsafeBufferPointer { DeltaValueCoding(deltas: $0) })
        // 5 equally likely deltas: log2(5) = 2.32 bits each, 5,805 bytes for 20,000; byte planes
        // hold 2 bytes per delta before zstd.
        #expect(coded.listed == 5 && coded.classCount == 0)
        #expect(coded.encodedSize < 5_805 * 101 / 100 + 32)
    }

    @Test func modelNormalisationIsExact() {
        for counts: [UInt32] in [
            [1], [5], [1, 1, 1], [1_000, 1, 1, 1], [3, 65_533], Array(repeating: 1, count: 65_536), [70_000, 1, 1],
        ] {
            // SAFETY: `counts` is alive for the call.
            let m = counts.withUnsafeBufferPointer { RANSModel(counts: $0) }
            #expect(m != nil)
            guard let m else { continue }
            #expect(m.frequencies.allSatisfy { $0 >= 1 })
            #expect(m.frequencies.reduce(0, +) == 1 << m.scaleBits)
        }
        // Hostile tables: a zero count, too many symbols, none.
        for counts: [UInt32] in [[0], [], Array(repeating: 1, count: 65_537)] {
            // SAFETY: `counts` is alive for the call.
            #expect(counts.withUnsafeBufferPointer { RANSModel(counts: $0) } == nil)
        }
    }

    @Test func damagedValueCodedBlocksAreRefusedNeverTrap() throws {
        let times = Self.hostile().first { $0.0 == "spiky jitter" }!.1.prefix(2_000)
        let (_, good) = try roundTrip(Array(times), .values)
        var rng = SplitMix64(seed: 99)
        var refused = 0
        var decodedSame = 0
        for round in 0..<4_000 {
            var bad = good
            if round % 4 == 0 {
                bad.removeLast(Int(rng.next() % UInt64(bad.count)))
            } else {
                // Flips inside the header, tables and stream (the first ~3,000 bytes).
                let at = 24 + Int(rng.next() % UInt64(min(bad.count - 24, 3_000)))
                bad[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
            // SAFETY: `bad` is alive for the call.
            switch bad.withUnsafeBytes({ EventBlock.decode($0) }) {
            case .success(.events(let b)): if b.timestamps.count == times.count { decodedSame += 1 }
            case .success(.unknownKind): break
            case .failure: refused += 1
            }
        }
        // rANS ends exactly where it began: almost every change is caught by the block itself,
        // before zstd's checksum is even consulted.
        #expect(refused > 3_500)
    }
}

/// Blocks whose deltas are all zero (several events at one instant: a run's closing markers)
/// through the writer, which weighs the value coding against byte planes of width 0.
@Suite struct EqualTimestampWriterTests {
    @Test func eventsAtOneInstantWriteAndRead() throws {
        let path = temporaryPath("same")
        defer { unlink(path) }
        var events: [PortIOEvent] = []
        for i in 0..<5 { events.append(.marker(at: 1_000, vcpu: UInt32(i % 2), Marker("vcpu_halted", value: UInt64(i)))) }
        try writeTrace(path, events)
        let (read, report) = try TraceReader(path: path).readAll()
        #expect(report.problems.isEmpty)
        #expect(withoutClose(read) == events)
    }
}
