import Devices
import TraceFormat

/// One step of a boot: a POST code the chosen release logs, a console line that matched a
/// `--mark`, or the first byte on a console.
public struct BootStep: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A write to port 0x80 that the release logs (v24.0+: any width, by its low byte;
        /// before: single bytes only).
        case post(code: UInt8)
        /// The first console line matching a `--mark` pattern; `line` is that line.
        case mark(name: String, device: String, line: String)
        /// The first byte a console printed.
        case consoleStart(device: String)
    }

    public var kind: Kind
    /// Monotonic ns, as recorded.
    public var timestamp: UInt64
    /// ns since the VM started (negative for events before it).
    public var time: Int64
    public var vcpu: UInt32
    /// ns since the previous step of the same sort (POST codes among POST codes); 0 for the first.
    public var sincePrevious: Int64
    /// A POST code whose component is earlier than the phase already reached (Linux's `outb_p`
    /// I/O delay writes 0x00, firmware re-entering): listed and counted, never opens a phase.
    public var isBackStep: Bool

    public var code: UInt8? {
        if case .post(let c) = kind { return c }
        return nil
    }

    public var component: DebugPortComponent? { code.map(DebugPortComponent.init(code:)) }

    /// What the step is called in reports: `0x40 Kernel`, `mark "Linux version"`, `serial: first byte`.
    public var label: String {
        switch kind {
        case .post(let c): return "0x\(String(c, radix: 16)) \(DebugPortComponent(code: c).rawValue)"
        case .mark(let name, _, _): return "mark \(name)"
        case .consoleStart(let device): return "\(device): first byte"
        }
    }
}

/// A phase of the boot: from the first step of its component to the first step of a later one.
public struct BootPhase: Sendable, Equatable {
    public var component: DebugPortComponent
    /// ns since the VM started.
    public var start: Int64
    public var end: Int64
    public var duration: Int64 { end - start }
}

/// A complete line a console printed, with the time its first byte was written.
public struct ConsoleLine: Sendable, Equatable {
    public var device: String
    public var time: Int64
    public var text: String
}

/// The boot of one trace under one release: the one model that timeline, diff, stats and export use.
public struct BootTimeline: Sendable {
    public var path: String
    public var metadata: TraceMetadata
    public var release: TraceRelease
    /// Monotonic ns of the VM's start (the 0x80 device's origin); times are relative to it.
    public var origin: UInt64
    /// Whether the trace records the VM's start, so time before the first step means something.
    public var originKnown: Bool
    /// Every step in trace order: POST codes, marks and console starts.
    public var steps: [BootStep]
    public var phases: [BootPhase]
    public var backSteps: Int
    /// POST codes left out by `--codes`.
    public var filteredOut: Int
    /// How the last phase ends: at the last POST step, or (no POST step at all) nothing.
    public var lastStepTime: Int64?
    /// ns since VM start of the trace's first and last event.
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?
    public var events: UInt64
    public var accesses: UInt64
    /// Accesses per port and direction.
    public var portCounts: [PortKey: UInt64]
    /// Port I/O over time per vCPU, for density lanes and rate counters.
    public var activity: ActivityHistogram
    /// Complete console lines (at most `TimelineOptions.keptLines` of them).
    public var consoleLines: [ConsoleLine]
    /// IN values per port, for diff (the first `TimelineOptions.keptInValues` per port, and a digest of all).
    public var inValues: [UInt16: InValueSequence]
    /// Whether the trace was closed cleanly; an unclosed trace is read as far as it goes.
    public var closedCleanly: Bool
    public var problems: [TraceReader.Problem]

    public var postSteps: [BootStep] { steps.filter { $0.code != nil && !$0.isBackStep } }

    /// Time from VM start to the first POST step, when the origin is known.
    public var beforeFirstStep: Int64? {
        guard originKnown, let first = steps.first(where: { $0.code != nil }) else { return nil }
        return first.time
    }

    /// The boot's length: VM start (or the first step) to the last step.
    public var total: Int64? {
        guard let last = lastStepTime, let first = phases.first else { return nil }
        return last - (originKnown ? min(0, first.start) : first.start)
    }

    /// A phase by component, if the boot reached it.
    public func phase(_ c: DebugPortComponent) -> BootPhase? { phases.first { $0.component == c } }
}

/// A port and direction, for traffic counts.
public struct PortKey: Hashable, Sendable, Comparable {
    public var port: UInt16
    public var direction: PortDirection

    public init(port: UInt16, direction: PortDirection) {
        self.port = port
        self.direction = direction
    }

    public static func < (a: PortKey, b: PortKey) -> Bool {
        (a.port, a.direction == .in ? 0 : 1) < (b.port, b.direction == .in ? 0 : 1)
    }

    public var description: String { "\(direction == .in ? "in" : "out") 0x\(String(port, radix: 16))" }
}

/// The IN values of one port, in order: the first ones kept, all of them digested.
public struct InValueSequence: Sendable, Equatable {
    public var count: UInt64 = 0
    public var kept: [[UInt8]] = []
    /// FNV-1a over every value (length-prefixed), so sequences longer than the kept prefix compare.
    public var digest: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer, keep: Int) {
        count += 1
        if kept.count < keep { kept.append(Array(bytes)) }
        digest = (digest ^ UInt64(bytes.count)) &* 0x100_0000_01b3
        for b in bytes { digest = (digest ^ UInt64(b)) &* 0x100_0000_01b3 }
    }
}
