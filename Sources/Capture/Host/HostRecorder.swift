// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Foundation
import TraceFormat

/// What `porttrace record` records: a VMM it starts, or one already running.
public enum RecordTarget: Sendable {
    case launch([String])
    case attach(Int32)
}

/// How a recording ended.
public struct RecordOutcome: Sendable {
    public var events: UInt64
    public var lostEvents: UInt64
    public var lostReports: Int
    public var unmappedThreads: Int
    /// The VMM's exit status (launched VMMs), or nil.
    public var vmmStatus: Int32?
    /// SIGINT or SIGTERM that stopped the recording, if any.
    public var signal: Int32?
    /// Why the recording stopped the VMM itself, if it did (`--until` met, `--boot-timeout` passed).
    public var stopped: StopReason?
}

/// Why `record` stopped a VMM it started.
public enum StopReason: Sendable, Equatable {
    /// The `--until` condition was met (what met it).
    case until(String)
    /// The boot took longer than its time limit.
    case timeout(Duration)

    public var marker: Marker {
        switch self {
        case .until(let why): return Marker(Marker.bootEnded, value: 0, text: "until: \(why)")
        case .timeout(let d): return Marker(Marker.bootEnded, value: 1, text: "timeout: no end after \(d)")
        }
    }
}

/// Runs a capture from start to cleanup. The tracefs instance is removed on every path out.
public final class HostRecorder {
    public let target: RecordTarget
    public let capture: HostCapture

    public init(target: RecordTarget, options: HostCapture.Options) throws {
        if case .attach(let pid) = target, !ProcessInfoReader.exists(pid) {
            throw TraceFSError("no process with pid \(pid)")
        }
        if case .launch(let argv) = target {
            guard let program = argv.first, HostRecorder.resolve(program) != nil else {
                throw TraceFSError("\(argv.first ?? "VMM"): no such command")
            }
        }
        self.target = target
        capture = try HostCapture(options: options)
    }

    /// Finds `program` as execvp would.
    static func resolve(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    /// Records until the VMM exits (or, attached, until it exits or a signal arrives).
    /// `makeWriter` gets the VMM's pid and start time once known and returns the trace writer.
    /// A VMM that `record` started is also stopped with SIGTERM (as `timeout` would) when
    /// `until` returns a reason (polled every 20 ms) or after `timeLimit`; the trace ends with a
    /// `boot_ended` marker saying why.
    public func run(
        until: (() -> String?)? = nil, timeLimit: Duration? = nil, makeWriter: (_ pid: Int32, _ startNs: UInt64) throws -> TraceWriter
    ) throws -> RecordOutcome {
        defer { capture.destroy() }
        let signals = StopSignals()
        defer { signals.restore() }
        var stopSignal: Int32?

        let pid: Int32
        let startNs: UInt64
        switch target {
        case .attach(let p):
            pid = p
            startNs = ProcessInfoReader.startMonotonicNs(of: p) ?? Monotonic.now()
            try capture.start(tids: ProcessInfoReader.threads(of: p))
        case .launch(let argv):
            // Trace ourselves with event-fork before the VMM exists, so its first exit is caught.
            try capture.start(tids: [getpid()])
            startNs = Monotonic.now()
            pid = try HostRecorder.spawn(argv)
        }
        let writer = try makeWriter(pid, startNs)
        let started = ContinuousClock.now
        var status: Int32?
        var stoppedBy: Int32?
        var stopped: StopReason?
        var forwardedAt: ContinuousClock.Instant?
        while true {
            capture.pump(into: writer)
            if case .launch = target {
                var st: Int32 = 0
                if waitpid(pid, &st, WNOHANG) == pid {
                    status = (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f)
                    break
                }
            } else if !ProcessInfoReader.exists(pid) {
                break
            }
            if let s = stopSignal, stoppedBy == nil {
                stoppedBy = s
                if case .attach = target { break }
                kill(pid, SIGTERM)  // a VMM we started ends with the recording
                forwardedAt = .now
            }
            if stopped == nil, stoppedBy == nil, case .launch = target {
                if let why = until?() {
                    stopped = .until(why)
                } else if let timeLimit, ContinuousClock.now - started > timeLimit {
                    stopped = .timeout(timeLimit)
                }
                if stopped != nil {
                    kill(pid, SIGTERM)
                    forwardedAt = .now
                }
            }
            if let f = forwardedAt, ContinuousClock.now - f > .seconds(3) { kill(pid, SIGKILL) }
            if let s = signals.wait(milliseconds: 20), s != StopSignals.wakeSignal { stopSignal = s }
            // The trace cannot take more (a full disk): stop as if interrupted, and say why at close.
            if writer.error != nil && stopSignal == nil { stopSignal = SIGTERM }
        }
        // Drain what the kernel still holds: twice, in case the last page was being filled.
        capture.pump(into: writer)
        usleep(10_000)
        capture.pump(into: writer, final: true)
        let end = Monotonic.now()
        if let status { writer.append(marker: Marker("vmm_exited", value: UInt64(status)), timestamp: end) }
        if let s = stoppedBy { writer.append(marker: Marker(Marker.signal, value: UInt64(s)), timestamp: end) }
        if let stopped { writer.append(marker: stopped.marker, timestamp: end) }
        try writer.close(at: end)
        return RecordOutcome(
            events: capture.recorded, lostEvents: capture.lostEvents, lostReports: capture.lostReports,
            unmappedThreads: capture.unmappedThreads, vmmStatus: status, signal: stoppedBy, stopped: stopped)
    }

    /// Starts `argv` with default signal handling and an empty signal mask.
    /// The corresponding call is `posix_spawnp`.
    static func spawn(_ argv: [String]) throws -> Int32 {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        var defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        // SAFETY: `cargs` is a NULL-terminated array of C strings alive for the call; environ is the process's.
        let rc = posix_spawnp(&pid, argv[0], nil, &attr, &cargs, environ)
        guard rc == 0 else { throw TraceFSError("starting \(argv[0])", errno: rc) }
        return pid
    }
}

#endif
