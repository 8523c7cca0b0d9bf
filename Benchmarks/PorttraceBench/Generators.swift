import Devices
import Foundation
import TraceFormat

/// Synthetic inputs for the analysis benchmarks, the same on every run.
enum Generators {
    /// A boot of `events` events: POST codes of each phase, console lines on 0xe9, and the rest
    /// UART status polls (IN 0x3fd), as a Linux guest polls its serial port. Traces of any size
    /// have the same steps and outputs; only the polls grow.
    static func boot(events: Int, path: String, seed: UInt64 = 1, kernelMs: Double = 300, labels: [(String, String)] = []) throws {
        var md = TraceMetadata()
        md.vmmStartNs = 1_000_000
        md.vmStartNs = 2_000_000
        md["profile"] = .string("v53.0")
        md.traceID = TraceMetadata.newTraceID()
        for (k, v) in labels { md.setLabel(k, v) }
        md["devices"] = .array(
            [("debug-port", 0x80, 1), ("debug-console", 0xe9, 1), ("serial", 0x3f8, 8)].map {
                .object([("model", .string($0.0)), ("port", .uint(UInt64($0.1))), ("length", .uint(UInt64($0.2)))])
            })
        let w = try TraceWriter(path: path, metadata: md)
        var rng = SplitMix(state: seed)
        let jitter = { (ms: Double) -> UInt64 in UInt64(ms * 1e6) + rng.next() % 2_000_000 }
        let steps: [(UInt64, UInt8, String)] = [
            (jitter(20), 0x01, "firmware: POST ok\n"), (jitter(400), 0x20, "bootloader: loading kernel\n"),
            (jitter(900), 0x40, "kernel: booting\n"), (jitter(900 + kernelMs), 0x60, "userspace: ready\n"),
        ]
        let polls = max(0, events - steps.reduce(0) { $0 + 1 + $1.2.utf8.count })
        let end: UInt64 = 2_000_000 + steps.last!.0 + 10_000_000
        var t: UInt64 = 2_000_000
        let gap = max(1, (end - t) / UInt64(max(polls, 1)))
        var stepIndex = 0
        let lsr = EventShape(vcpu: 0, port: 0x3fd, direction: .in, size: 1)
        var value: UInt8 = 0x60
        for _ in 0..<polls {
            t += gap
            while stepIndex < steps.count && 2_000_000 + steps[stepIndex].0 <= t {
                let (at, code, text) = steps[stepIndex]
                w.append(timestamp: 2_000_000 + at, shape: EventShape(vcpu: 0, port: 0x80, direction: .out, size: 1), bytes: [code])
                for (i, b) in text.utf8.enumerated() {
                    w.append(
                        timestamp: 2_000_000 + at + UInt64(i + 1) * 1000, shape: EventShape(vcpu: 0, port: 0xe9, direction: .out, size: 1),
                        bytes: [b])
                }
                stepIndex += 1
            }
            // SAFETY: the value's byte, for the call; the writer copies it.
            withUnsafeBytes(of: &value) { w.append(timestamp: t, shape: lsr, data: $0) }
        }
        try w.close(at: max(t, end))
    }

    /// A cloud-hypervisor v29.0-style log (F2) of `lines` lines, one in four a debug-port line.
    static func chLog(lines: Int, path: String) throws {
        var out = ""
        out.reserveCapacity(lines * 110)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path, isDirectory: false)).closingOnly()
        for i in 0..<lines {
            // The logger's time as F2 prints it, a little ahead of the device's (as in real logs).
            let loggerNs = 19_000_000 + UInt64(i) * 1_234
            let time = RustFormat.durationDebug6(loggerNs)
            if i % 4 == 0 {
                let code = UInt8(i / 4 & 0xff)
                let micros = (loggerNs - 700_000) / 1000
                out += "cloud-hypervisor: \(time): <vcpu\(i % 2)> WARN:devices/src/legacy/debug_port.rs:76 -- "
                out +=
                    "[Debug I/O port: \(component(code)) code 0x\(String(code, radix: 16))] \(micros / 1_000_000).\(RustFormat.padded(micros, 6)) seconds\n"
            } else {
                out += "cloud-hypervisor: \(time): <vmm> INFO:vmm/src/lib.rs:1234 -- Some other line of the VMM, number \(i)\n"
            }
            if out.utf8.count > 1 << 20 {
                handle.write(Data(out.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(out.utf8))
    }

    /// `perf script` text for kvm:kvm_pio, `lines` events on two vCPU threads.
    static func perfScript(lines: Int, path: String) throws {
        var out = ""
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path, isDirectory: false)).closingOnly()
        for i in 0..<lines {
            let ns = UInt64(2_178_000_000_000) + UInt64(i) * 12_345
            let port = [0x80, 0xe9, 0x3fd, 0x402][i % 4]
            let dir = port == 0x3fd ? "read" : "write"
            out +=
                "           vcpu\(i % 2)  \(8825 + i % 2) [00\(i % 2)]  \(ns / 1_000_000_000).\(String(format: "%06llu", ns % 1_000_000_000 / 1000)): kvm:kvm_pio: pio_\(dir) at 0x\(String(port, radix: 16)) size 1 count 1 val 0x\(String(i & 0xff, radix: 16)) \n"
            if out.utf8.count > 1 << 20 {
                handle.write(Data(out.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(out.utf8))
    }

    static func component(_ code: UInt8) -> String {
        switch code {
        case 0x00...0x1f: return "Firmware"
        case 0x20...0x3f: return "Bootloader"
        case 0x40...0x5f: return "Kernel"
        case 0x60...0x7f: return "Userspace"
        default: return "Custom"
        }
    }
}

extension FileHandle {
    /// The handle after truncating the file (created if missing).
    func closingOnly() throws -> FileHandle {
        try truncate(atOffset: 0)
        return self
    }
}
