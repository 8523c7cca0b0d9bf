import Foundation

@testable import TraceFormat

/// A fresh temporary path, removed by the caller's `defer`.
func temporaryPath(_ name: String = "trace") -> String {
    let dir = FileManager.default.temporaryDirectory.path
    return "\(dir)/porttrace-test-\(UUID().uuidString)-\(name)"
}

/// A deterministic generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random events whose times reach both ends of what a trace holds, whether its VM started at
/// `metadataSample()`'s 200 ns or (a header too damaged to read) at 0: 0 and `TraceLimits.maxTimeOffset`.
func randomEvents(count: Int, seed: UInt64) -> [PortIOEvent] {
    var rng = SplitMix64(seed: seed)
    let latest = TraceLimits.maxTimeOffset
    var t = UInt64.random(in: 0...latest, using: &rng)
    var out: [PortIOEvent] = []
    for i in 0..<count {
        switch rng.next() % 10 {
        case 0: t = 0
        case 1: t = latest
        case 2: t = min(latest, t + UInt64.random(in: 0...1_000_000_000_000, using: &rng))
        case 3: t = t - min(t, UInt64.random(in: 0...1000, using: &rng))
        default: t = min(latest, t + UInt64.random(in: 5_000...15_000, using: &rng))
        }
        let vcpu = UInt32.random(in: 0...300, using: &rng)
        if rng.next() % 17 == 0 {
            out.append(
                .marker(
                    at: t, vcpu: vcpu,
                    Marker(
                        ["lost", "vm_created", "x-unknown-\(i)"][Int(rng.next() % 3)],
                        value: rng.next() % 1000, text: rng.next() % 2 == 0 ? "" : "note \(i) é")))
            continue
        }
        let size: UInt8 = [1, 2, 4][Int(rng.next() % 3)]
        let count: UInt32 = rng.next() % 5 == 0 ? UInt32.random(in: 2...40, using: &rng) : 1
        let incomplete = count > 1 && rng.next() % 3 == 0
        let dir: PortDirection = rng.next() % 3 == 0 ? .in : .out
        let port = UInt16.random(in: 0...UInt16.max, using: &rng)
        let shape = EventShape(vcpu: vcpu, port: port, direction: dir, size: size, count: count, incomplete: incomplete)
        let data = (0..<shape.dataLength).map { _ in UInt8.random(in: 0...255, using: &rng) }
        out.append(PortIOEvent(timestamp: t, vcpu: vcpu, payload: .access(shape, data: data)))
    }
    return out
}

func metadataSample() -> TraceMetadata {
    var md = TraceMetadata()
    md.source = "import"
    md.vmmStartNs = 100
    md.vmStartNs = 200
    md.vcpus = 4
    md["future_key"] = .object([("nested", .array([.number("18446744073709551615"), .string("x\u{1}")]))])
    return md
}

/// Writes `events` and closes cleanly.
@discardableResult
func writeTrace(
    _ path: String, _ events: [PortIOEvent], metadata: TraceMetadata = metadataSample(),
    options: TraceWriter.Options = TraceWriter.Options(), close: Bool = true
) throws -> TraceWriter {
    let w = try TraceWriter(path: path, metadata: metadata, options: options)
    for e in events { w.append(e) }
    if close { try w.close(at: events.last?.timestamp ?? 0) } else { w.abandon() }
    return w
}

/// Events without the writer's own closing marker.
func withoutClose(_ events: [PortIOEvent]) -> [PortIOEvent] {
    events.filter { $0.marker?.name != Marker.traceClosed }
}

/// Writes a trace as a writer that knew no limits would (one block per list of events, an index
/// and the closed mark when `closed`): the files a hostile or buggy writer could leave.
func writeTraceWithoutLimits(_ path: String, metadata: TraceMetadata, blocks: [[PortIOEvent]], closed: Bool = true) throws {
    var bytes = TraceHeader(metadata: metadata).encodeFrame()
    let headerLength = bytes.count
    var entries: [BlockIndexEntry] = []
    let compressor = ZstdCompressor(level: 3)
    for events in blocks {
        var builder = EventBlockBuilder()
        for e in events { builder.append(e) }
        let raw = builder.encode()
        let frame = try compressor.compress(raw)
        entries.append(
            BlockIndexEntry(
                offset: UInt64(bytes.count), compressedSize: UInt32(frame.count), decompressedSize: UInt32(raw.count),
                minTimestamp: builder.timestamps.min() ?? 0, maxTimestamp: builder.timestamps.max() ?? 0, events: UInt32(builder.count)))
        bytes += frame
    }
    if closed {
        bytes += TraceIndex(blocks: entries, timeIndexOffset: UInt64(bytes.count)).encode(headerFrameLength: headerLength)
        bytes[Int(TraceHeader.stateOffset)] = 1
    }
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}
