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

func randomEvents(count: Int, seed: UInt64) -> [PortIOEvent] {
    var rng = SplitMix64(seed: seed)
    var t = UInt64.random(in: 0...UInt64.max / 2, using: &rng)
    var out: [PortIOEvent] = []
    for i in 0..<count {
        switch rng.next() % 10 {
        case 0: t = 0
        case 1: t = .max
        case 2: t = t &+ UInt64.random(in: 0...1_000_000_000_000, using: &rng)
        case 3: t = t &- UInt64.random(in: 0...1000, using: &rng)
        default: t = t &+ UInt64.random(in: 5_000...15_000, using: &rng)
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
