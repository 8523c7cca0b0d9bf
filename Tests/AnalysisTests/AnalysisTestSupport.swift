import Foundation
import TraceFormat

/// Writes a trace from a list of accesses; returns its path (removed by the caller).
/// VM start is at 1 s monotonic, so a time `t` ms in the list is at 1 s + t ms.
struct TraceBuilder {
    var events: [(ms: Double, vcpu: UInt32, port: UInt16, dir: PortDirection, bytes: [UInt8])] = []
    var fields: [(String, JSONValue)] = []
    static let vmStart: UInt64 = 1_000_000_000

    mutating func out(_ ms: Double, _ port: UInt16, _ bytes: [UInt8], vcpu: UInt32 = 0) { events.append((ms, vcpu, port, .out, bytes)) }
    mutating func post(_ ms: Double, _ code: UInt8, vcpu: UInt32 = 0) { out(ms, 0x80, [code], vcpu: vcpu) }
    mutating func print(_ ms: Double, _ text: String, port: UInt16 = 0xe9, stepMs: Double = 0.001) {
        for (i, b) in text.utf8.enumerated() { out(ms + Double(i) * stepMs, port, [b]) }
    }
    mutating func input(_ ms: Double, _ port: UInt16, _ bytes: [UInt8]) { events.append((ms, 0, port, .in, bytes)) }

    func write(profile: String? = "v53.0", name: String = "t") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-analysis-\(UUID().uuidString)-\(name).pt").path
        var md = TraceMetadata(fields: fields)
        md.vmmStartNs = TraceBuilder.vmStart - 500_000
        md.vmStartNs = TraceBuilder.vmStart
        if let profile { md["profile"] = .string(profile) }
        md["devices"] = .array(
            [("debug-port", 0x80, 1), ("debug-console", 0xe9, 1), ("firmware-debug", 0x402, 1), ("serial", 0x3f8, 8)].map {
                .object([("model", .string($0.0)), ("port", .uint(UInt64($0.1))), ("length", .uint(UInt64($0.2)))])
            })
        let w = try TraceWriter(path: path, metadata: md)
        var last: UInt64 = TraceBuilder.vmStart
        for e in events.sorted(by: { $0.ms < $1.ms }) {
            let t = TraceBuilder.vmStart + UInt64(e.ms * 1_000_000)
            last = max(last, t)
            let shape = EventShape(vcpu: e.vcpu, port: e.port, direction: e.dir, size: UInt8(e.bytes.count))
            e.bytes.withUnsafeBytes { w.append(timestamp: t, shape: shape, data: $0) }
        }
        try w.close(at: last)
        return path
    }
}
