import Devices
import Foundation
import TraceFormat

/// Synthetic inputs for the diff benchmarks: the same on every run for a given seed.
enum DiffGenerators {
    /// Header shared by the generated traces: cloud-hypervisor v53.0's devices.
    static func metadata() -> TraceMetadata {
        var md = TraceMetadata()
        md.vmmStartNs = 1_000_000
        md.vmStartNs = 2_000_000
        md["profile"] = .string("v53.0")
        md["devices"] = .array(
            [("debug-port", 0x80, 1), ("debug-console", 0xe9, 1), ("firmware-debug", 0x402, 1), ("serial", 0x3f8, 8)].map {
                .object([("model", .string($0.0)), ("port", .uint(UInt64($0.1))), ("length", .uint(UInt64($0.2)))])
            })
        return md
    }

    static func out(_ w: TraceWriter, _ t: UInt64, _ port: UInt16, _ byte: UInt8) {
        w.append(timestamp: t, shape: EventShape(vcpu: 0, port: port, direction: .out, size: 1), bytes: [byte])
    }

    static func input(_ w: TraceWriter, _ t: UInt64, _ port: UInt16, _ byte: UInt8) {
        w.append(timestamp: t, shape: EventShape(vcpu: 0, port: port, direction: .in, size: 1), bytes: [byte])
    }

    /// A guest writing to a port the release does not register (0x510): one "Guest PIO write
    /// to unregistered address" log line per event, after four POST codes.
    static func unregistered(events: Int, path: String, seed: UInt64) throws {
        let w = try TraceWriter(path: path, metadata: metadata())
        var rng = SplitMix(state: seed)
        var t: UInt64 = 2_000_000
        for (i, code) in [UInt8(0x01), 0x20, 0x40, 0x60].enumerated() where i < events {
            t += 1_000_000
            out(w, t, 0x80, code)
        }
        for i in 0..<max(0, events - 4) {
            t += 90 + rng.next() % 20
            out(w, t, 0x510, UInt8(truncatingIfNeeded: i))
        }
        try w.close(at: t)
    }

    /// A guest that behaves the same on every recording, with times that differ (`seed`): in
    /// each group of 100 events, one unregistered-port write (a log line), a 20-byte line on
    /// each of the debug console, the firmware debug port and the serial port (every serial
    /// byte after a status poll), and status polls for the rest; POST codes now and then.
    static func guest(events: Int, path: String, seed: UInt64) throws {
        let w = try TraceWriter(path: path, metadata: metadata())
        var rng = SplitMix(state: seed)
        var t: UInt64 = 2_000_000
        var written = 0
        func step() -> UInt64 {
            t += 80 + rng.next() % 40
            written += 1
            return t
        }
        var group = 0
        while written + 100 <= events {
            let start = written
            if group % 10_000 == 0 { out(w, step(), 0x80, UInt8(truncatingIfNeeded: group / 10_000 * 0x10 & 0x7f)) }
            out(w, step(), 0x510, 0)
            let line = Array(String(format: "step %08d ok.....\n", group).utf8)
            for b in line { out(w, step(), 0xe9, b) }
            for b in line { out(w, step(), 0x402, b) }
            for b in line {
                input(w, step(), 0x3fd, 0x60)
                out(w, step(), 0x3f8, b)
            }
            while written - start < 100 { input(w, step(), 0x3fd, 0x60) }
            group += 1
        }
        while written < events { input(w, step(), 0x3fd, 0x60) }
        try w.close(at: t)
    }

    /// A debug console printing `lines` kernel lines, `[    S.UUUUUU] console line i: as it was`,
    /// whose printk times depend on `seed`: two seeds give consoles that differ only in their
    /// times (what `diff` masks by default).
    static func printkConsole(lines: Int, path: String, seed: UInt64) throws {
        let w = try TraceWriter(path: path, metadata: metadata())
        var rng = SplitMix(state: seed)
        var t: UInt64 = 2_000_000
        var printk: UInt64 = 0
        for i in 0..<lines {
            printk += 1 + rng.next() % 5_000
            let text = String(format: "[%5llu.%06llu] console line %d: as it was\n", printk / 1_000_000, printk % 1_000_000, i)
            for b in text.utf8 {
                t += 100
                out(w, t, 0xe9, b)
            }
        }
        try w.close(at: t)
    }

    /// A debug console printing `lines` lines; `changed`: every 4th of the first 20,000 lines
    /// (5,000 of them) says something else.
    static func console(lines: Int, path: String, changed: Bool) throws {
        let w = try TraceWriter(path: path, metadata: metadata())
        var t: UInt64 = 2_000_000
        for i in 0..<lines {
            let text = changed && i < 20_000 && i % 4 == 0 ? "console line \(i): this one changed\n" : "console line \(i): as it was\n"
            for b in text.utf8 {
                t += 100
                out(w, t, 0xe9, b)
            }
        }
        try w.close(at: t)
    }
}
