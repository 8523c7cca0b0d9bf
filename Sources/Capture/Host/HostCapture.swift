// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Foundation
import Devices
import TraceFormat

/// Records `kvm:kvm_pio` from a private tracefs instance into a trace: per-thread vCPU
/// mapping, reordering across CPUs, lost-event markers.
public final class HostCapture {
    public struct Options: Sendable {
        /// Port ranges to record (filtered in the kernel); nil records every port.
        public var ports: [ClosedRange<UInt16>]?
        /// Ring buffer per CPU, KiB.
        public var bufferKiB = 8192
        public init() {}
    }

    public let instance: TraceFSInstance
    let reader: PioReader
    private var assigner = VCPUAssigner()
    /// Names from task_newtask and task_rename, by tid, as of the last record drained.
    private var names: [Int32: String] = [:]
    /// Events not yet written: held until no CPU can still deliver an earlier one.
    private var pending: [PortIOEvent] = []
    private var newest: UInt64 = 0
    public private(set) var recorded: UInt64 = 0
    public private(set) var lostEvents: UInt64 = 0
    public private(set) var lostReports = 0
    /// How long an event waits for earlier ones from other CPUs.
    let reorderWindowNs: UInt64 = 50_000_000

    /// Creates and configures the instance (monotonic clock, buffer size, port filter); tracing
    /// is not on until `start`.
    public init(options: Options) throws {
        HostCapture.removeStaleInstances()
        instance = try TraceFSInstance(name: "porttrace-\(getpid())")
        do {
            try instance.write("trace_clock", "mono")
            try instance.setBufferSize(kib: options.bufferKiB)
            if let ports = options.ports { try instance.setFilter(system: "kvm", event: "kvm_pio", HostCapture.filter(ports)) }
            reader = try PioReader()
        } catch {
            instance.destroy()
            throw error
        }
    }

    /// The kernel filter expression for port ranges.
    public static func filter(_ ports: [ClosedRange<UInt16>]) -> String {
        ports.map { $0.count == 1 ? "port == \($0.lowerBound)" : "(port >= \($0.lowerBound) && port <= \($0.upperBound))" }
            .joined(separator: " || ")
    }

    /// Traces these tasks and, through event-fork, every thread or child they create.
    public func start(tids: [Int32]) throws {
        try instance.write("set_event_pid", tids.map(String.init).joined(separator: " "))
        try instance.followForks()
        // Thread names as threads are created and renamed: read at drain time from /proc, a
        // name may belong to a later thread that reused the tid. Kernels without these events
        // fall back to /proc (checked against the thread's start time) and saved_cmdlines.
        if reader.tracksNames {
            try instance.enable(system: "task", event: "task_newtask")
            try instance.enable(system: "task", event: "task_rename")
        }
        try instance.enable(system: "kvm", event: "kvm_pio")
    }

    /// Moves what the kernel has buffered into the trace; with `final`, everything pending too.
    public func pump(into writer: TraceWriter, final: Bool = false) {
        enum Item {
            case pio(PioRecord)
            case named(Int32, String)
        }
        var batch: [Item] = []
        var lostNow: [(UInt64, Int?)] = []
        reader.drain(instance, { batch.append(.pio($0)) }, lost: { lostNow.append(($0, $1)) }, named: { batch.append(.named($0, $1)) })
        for (t, n) in lostNow {
            lostReports += 1
            lostEvents += UInt64(n ?? 0)
            pending.append(
                .marker(
                    at: t,
                    Marker(
                        Marker.lost, value: UInt64(n ?? 0),
                        text: n == nil ? "ring buffer overrun; the kernel did not count the events lost" : "ring buffer overrun")))
        }
        for item in batch {
            let r: PioRecord
            switch item {
            case .named(let tid, let name):
                names[tid] = name
                continue
            case .pio(let p): r = p
            }
            // The name the thread had when traced; else /proc if that thread is the one that
            // made the access; else the kernel's saved command names.
            let (vcpu, note) = assigner.vcpu(for: r.tid) {
                names[r.tid] ?? HostCapture.threadName(r.tid, runningAt: r.timestamp) ?? reader.savedName(of: r.tid)
            }
            if let note { pending.append(.marker(at: r.timestamp, vcpu: vcpu, note)) }
            if let e = r.event(vcpu: vcpu) { pending.append(e) }
            newest = max(newest, r.timestamp)
        }
        guard !pending.isEmpty else { return }
        // Stable sort by time: records of one CPU keep their order.
        pending = pending.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
        let horizon = final ? UInt64.max : (newest > reorderWindowNs ? newest - reorderWindowNs : 0)
        let cut = pending.firstIndex { $0.timestamp > horizon } ?? pending.count
        for e in pending[..<cut] {
            writer.append(e)
            if e.marker == nil { recorded += 1 }
        }
        pending.removeFirst(cut)
    }

    public var unmappedThreads: Int { assigner.unmappedThreads }

    public func destroy() { instance.destroy() }

    /// The name of thread `tid` from /proc, if the thread living under that tid now had started
    /// by `time` (CLOCK_MONOTONIC ns): a thread started later reused the tid of the one traced.
    static func threadName(_ tid: Int32, runningAt time: UInt64) -> String? {
        guard let started = ProcessInfoReader.startMonotonicNs(of: tid), started <= time else { return nil }
        return (try? String(contentsOfFile: "/proc/\(tid)/comm", encoding: .utf8)).map { $0.trimmingCharacters(in: .newlines) }
    }

    /// Removes `porttrace-PID` instances left by recorders that were killed.
    static func removeStaleInstances() {
        let dir = "/sys/kernel/tracing/instances"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix("porttrace-") {
            guard let pid = Int32(name.dropFirst("porttrace-".count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { rmdir("\(dir)/\(name)") }
        }
    }
}

/// Facts about a running process from /proc.
public enum ProcessInfoReader {
    public static func exists(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    public static func threads(of pid: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).compactMap { Int32($0) }.sorted()
    }

    public static func commandLine(of pid: Int32) -> [String] {
        guard let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return d.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// When the process started, as CLOCK_MONOTONIC ns (from /proc/PID/stat's start time in
    /// clock ticks since boot; exact where the host has not been suspended since boot).
    public static func startMonotonicNs(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = UInt64(fields[19]) else { return nil }
        let hz = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        return ticks * (1_000_000_000 / max(hz, 1))
    }
}

#endif
