import Foundation
import TraceFormat

/// Trace size against the information in its timestamps (issue 16): the empirical order-0
/// entropy of the trace's own deltas, and `xz -9e` of the bare delta column, both computed here
/// in the same run as the trace they judge.
enum Entropy {
    /// Rewrites `path` with `coding`, keeping its block boundaries; returns the new size.
    static func rewrite(_ path: String, coding: EventBlockBuilder.TimestampCoding, to out: String) throws -> UInt64 {
        let reader = try TraceReader(path: path)
        var options = TraceWriter.Options()
        options.timestampCoding = coding
        options.maxEventsPerBlock = 1 << 30
        options.sealInterval = .seconds(3600)
        let w = try TraceWriter(path: out, metadata: reader.header.metadata, options: options)
        var last: UInt64 = 0
        var first = true
        _ = try reader.scan { block in
            // A block boundary where the source had one; the last block is sealed by close(),
            // with the trace_closed marker the source's last block held.
            if !first { w.flush() }
            first = false
            for e in block.events() {
                // The source's own trace_closed marker is written again by close().
                last = e.timestamp
                if e.marker?.name == Marker.traceClosed { continue }
                w.append(e)
            }
            return true
        }
        try w.close(at: last)
        return try TraceReader(path: out).fileSize
    }

    /// The sizes of `path` rewritten with byte planes (format 1) and with this writer's default.
    static func beforeAndAfter(_ path: String) throws -> (before: UInt64, after: UInt64) {
        let planes = tempPath("planes")
        let coded = tempPath("coded")
        defer {
            unlink(planes)
            unlink(coded)
        }
        return (try rewrite(path, coding: .planes, to: planes), try rewrite(path, coding: .smaller, to: coded))
    }

    /// Every event's timestamp, in file order.
    static func timestamps(_ path: String) throws -> [UInt64] {
        var out: [UInt64] = []
        _ = try TraceReader(path: path).scan { block in
            out.append(contentsOf: block.timestamps)
            return true
        }
        return out
    }

    /// Empirical order-0 entropy of the deltas, in bytes for all of them.
    static func orderZeroBytes(_ deltas: [UInt64]) -> Double {
        var counts: [UInt64: Int] = [:]
        for d in deltas { counts[d, default: 0] += 1 }
        let n = Double(deltas.count)
        var bits = 0.0
        for c in counts.values { bits -= Double(c) * log2(Double(c) / n) }
        return bits / 8
    }

    /// Size of `xz -9e` of the deltas as zigzag LEB128 varints.
    static func xzBytes(_ deltas: [UInt64]) throws -> Int {
        var column: [UInt8] = []
        for d in deltas {
            let s = Int64(bitPattern: d)
            var z = UInt64(bitPattern: (s << 1) ^ (s >> 63))
            while z >= 0x80 {
                column.append(UInt8(truncatingIfNeeded: z) | 0x80)
                z >>= 7
            }
            column.append(UInt8(z))
        }
        let input = tempPath("xz-in")
        defer { unlink(input) }
        try Data(column).write(to: URL(fileURLWithPath: input))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/xz")
        p.arguments = ["-9e", "-c", input]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError("xz failed") }
        return out.count
    }

    /// One row per trace: before (byte planes, format 1), after (the writer's default).
    static func table(_ paths: [String]) throws {
        print("| trace | events | blocks | before: byte planes (bytes) | after: value coding where smaller (bytes) | after/before |")
        print("|---|---:|---:|---:|---:|---:|")
        for path in paths {
            let (b, a) = try beforeAndAfter(path)
            var events = 0
            var blocks = 0
            _ = try TraceReader(path: path).scan {
                events += $0.count
                blocks += 1
                return true
            }
            print(
                "| \((path as NSString).lastPathComponent) | \(events) | \(blocks) | \(b) | \(a) | \(String(format: "%.3f", Double(a) / Double(b))) |"
            )
        }
    }

    /// The console-burst targets: trace size against order-0 entropy and xz -9e, same run.
    static func burst(_ path: String) throws {
        let ts = try timestamps(path)
        let deltas = zip(ts, ts.dropFirst()).map { $1 &- $0 }
        let h0 = orderZeroBytes(deltas)
        let xz = try xzBytes(deltas)
        let (before, after) = try beforeAndAfter(path)
        let n = Double(ts.count)
        func perEvent(_ x: Double) -> String { String(format: "%.4f", x / n) }
        print("| what | bytes | bytes/event | trace / this |")
        print("|---|---:|---:|---:|")
        print("| trace, value coding (this writer) | \(after) | \(perEvent(Double(after))) | 1.000 |")
        print(
            "| trace, byte planes (the format-1 writer) | \(before) | \(perEvent(Double(before))) | \(String(format: "%.3f", Double(after) / Double(before))) |"
        )
        print("| order-0 entropy of the deltas | \(Int(h0.rounded())) | \(perEvent(h0)) | \(String(format: "%.3f", Double(after) / h0)) |")
        print(
            "| xz -9e of the bare delta column (LEB128) | \(xz) | \(perEvent(Double(xz))) | \(String(format: "%.3f", Double(after) / Double(xz))) |"
        )
        print("")
        print(
            "\(ts.count) events: trace / order-0 entropy = \(String(format: "%.3f", Double(after) / h0)) (target <= 1.10); trace / xz -9e = \(String(format: "%.3f", Double(after) / Double(xz))) (target < 1)"
        )
    }
}
