// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Foundation
import TraceFormat

/// Facts about the recording host, for trace metadata.
public enum HostInfo {
    public static func metadata() -> JSONValue {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            // SAFETY: `value` is a fixed-size C char array copied into this frame; reading stops at its NUL or its end.
            withUnsafeBytes(of: value) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first(where: { $0.hasPrefix("model name") })?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return .object([
            ("name", .string(field(u.nodename))), ("kernel", .string(field(u.release))),
            ("machine", .string(field(u.machine))), ("cpu", .string(cpu)),
        ])
    }

    /// A realtime reading at a known monotonic instant (taken back to back, monotonic in the middle).
    public static func wallclockAnchor() -> (realtimeNs: UInt64, monotonicNs: UInt64) {
        let r1 = Monotonic.realtime()
        let m = Monotonic.now()
        let r2 = Monotonic.realtime()
        return (r1 / 2 + r2 / 2 + (r1 % 2 + r2 % 2) / 2, m)
    }
}

extension TraceMetadata {
    /// What every recorder writes: who recorded, from what, on which host, with which clock,
    /// a wall-clock anchor and the user's labels; the VMM's start, the VM's (the time origin of
    /// the 0x80 device), the VMM's process and its command line.
    public static func recording(
        recorder: String, version: String, source: Source, labels: [String], vmmStartNs: UInt64, vmStartNs: UInt64, vmmPid: Int32,
        commandLine: [String]
    ) -> TraceMetadata {
        var md = TraceMetadata()
        md.vmmStartNs = vmmStartNs
        md.vmStartNs = vmStartNs
        md.vmmPid = UInt64(vmmPid)
        md["vmm_command_line"] = .array(commandLine.map(JSONValue.string))
        md["recorder"] = .object([("name", .string(recorder)), ("version", .string(version))])
        md.source = source.rawValue
        md.traceID = TraceMetadata.newTraceID()
        md["host"] = HostInfo.metadata()
        md.clock = "CLOCK_MONOTONIC"
        md.wallclockAnchor = HostInfo.wallclockAnchor()
        md.applyLabels(labels)
        return md
    }
}

#endif
