import Devices
import TraceFormat

/// One step of a boot: a POST code the chosen release logs, a console line that matched a
/// mark, or the first byte on a console.
public struct BootStep: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A write to port 0x80 that the release logs (v24.0+: any width, by its low byte;
        /// before: single bytes only).
        case post(code: UInt8)
        /// The first console line matching a mark's pattern; `line` is that line's text (control
        /// sequences removed).
        case mark(name: String, device: String, line: String)
        /// The first byte a console printed.
        case consoleStart(device: String)
    }

    public var kind: Kind
    /// Monotonic ns, as recorded (of the first write, for repeated codes).
    public var timestamp: UInt64
    /// ns since the VM started (negative for events before it); the first write of repeats.
    public var time: Int64
    public var vcpu: UInt32
    /// Consecutive writes of this code collapsed into this step (1: a single write).
    public var count: Int = 1
    /// ns since the VM started of the last of those writes (`time` for a single write).
    public var lastTime: Int64
    /// A POST code whose component is earlier than the one the boot already reached (Linux's
    /// `outb_p` I/O delay writes 0x00, firmware re-entering a stage): shown and marked, outside
    /// the chain; it ends no phase and not the boot.
    public var isBackStep = false
    /// The interval this step closes in the boot's chain: ns since the previous step of the
    /// chain, or since the VM started for the first step (when the trace records the start).
    /// nil outside the chain (back-steps, console starts) and for a first step whose VM start
    /// is unknown.
    public var interval: Int64?
    /// The label of the chain step the interval starts at, nil when it starts at the VM's start.
    public var intervalFrom: String?
    /// In the boot's chain: POST codes (not back-steps) and marks, in time order.
    public var inChain = false

    public init(kind: Kind, timestamp: UInt64, time: Int64, vcpu: UInt32) {
        self.kind = kind
        self.timestamp = timestamp
        self.time = time
        self.vcpu = vcpu
        lastTime = time
    }

    public var code: UInt8? {
        if case .post(let c) = kind { return c }
        return nil
    }

    public var isMark: Bool {
        if case .mark = kind { return true }
        return false
    }

    public var component: DebugPortComponent? { code.map(DebugPortComponent.init(code:)) }

    /// What the step is called in reports: `0x40 Kernel`, `mark kernel`, `serial: first byte`.
    public var label: String {
        switch kind {
        case .post(let c): return "0x\(String(c, radix: 16)) \(DebugPortComponent(code: c).rawValue)"
        case .mark(let name, _, _): return "mark \(name)"
        case .consoleStart(let device): return "\(device): first byte"
        }
    }

    /// The label with its repeats: `0x0 Firmware x6 over 208us`.
    public var labelWithRepeats: String {
        count > 1 ? "\(label) x\(count) over \(TimeText.span(lastTime - time))" : label
    }
}

/// A phase of the boot: from the step that opens it to the step that opens the next, or to
/// the boot's end.
public struct BootPhase: Sendable, Equatable {
    /// `Firmware`, `Bootloader`, `Kernel`, `Userspace`, `Custom`, or a `--phase` name.
    public var name: String
    /// The component, for phases named after one (POST-code phases and the built-in mark sets').
    public var component: DebugPortComponent?
    /// ns since the VM started.
    public var start: Int64
    public var end: Int64
    /// The step that would end it never came: it runs to the end of the trace.
    public var unfinished = false

    public init(name: String, component: DebugPortComponent?, start: Int64, end: Int64, unfinished: Bool = false) {
        self.name = name
        self.component = component
        self.start = start
        self.end = end
        self.unfinished = unfinished
    }

    public init(component: DebugPortComponent, start: Int64, end: Int64) {
        self.init(name: component.rawValue, component: component, start: start, end: end)
    }

    public var duration: Int64 { end - start }
}

/// A named interval (`--interval NAME=FROM..TO`): from the first occurrence of FROM to the
/// first occurrence of TO after it. `start` and `end` are nil where a step never came.
public struct NamedInterval: Sendable, Equatable {
    public var name: String
    public var from: String
    public var to: String
    public var start: Int64?
    public var end: Int64?
    public var duration: Int64? {
        guard let start, let end else { return nil }
        return end - start
    }
}

/// One interval of the chain: from one step (or the VM's start) to the next.
public struct ChainInterval: Sendable, Equatable {
    /// `VM start` or the step's label.
    public var from: String
    public var to: String
    public var start: Int64
    public var end: Int64
    public var duration: Int64 { end - start }
    /// `0x20 Bootloader -> 0x40 Kernel`: how stats and diff name it.
    public var name: String { "\(from) -> \(to)" }
}

/// A complete line a console printed, with the time of its first printable byte (the first
/// byte when none is printable). Its text has terminal control sequences taken out.
public struct ConsoleLine: Sendable, Equatable {
    public var device: String
    public var time: Int64
    public var text: String
    public var vcpu: UInt32 = 0

    public init(device: String, time: Int64, text: String, vcpu: UInt32 = 0) {
        self.device = device
        self.time = time
        self.text = text
        self.vcpu = vcpu
    }
}

/// How the recording of a boot ended, from the markers its recorder wrote: the built-in
/// machine's outcome (`guest_halted`, `shutdown`, `timeout`, ...), a started VMM's exit status
/// (`vmm_exited`), and why `record` ended a boot itself (`boot_ended`: `--until`, `--boot-timeout`).
public struct BootEnding: Sendable, Equatable {
    /// In words: `every vCPU halted`, `until: POST code 0x43`, `the VMM exited with status 1`.
    public var reason: String
    /// A boot that timed out (`--boot-timeout`), whose VMM failed, or whose guest faulted.
    public var failed: Bool
}

/// Where a timeline's phases come from.
public enum PhaseSource: Sendable, Equatable {
    /// POST codes: each component's first step.
    case postCodes
    /// Console marks: a built-in set (`--marks linux`), or `--phase` definitions.
    case marks(String)
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
    /// Every step in time order: POST codes (repeats collapsed), marks and console starts.
    public var steps: [BootStep]
    public var phases: [BootPhase]
    public var phaseSource: PhaseSource = .postCodes
    public var namedIntervals: [NamedInterval] = []
    public var backSteps: Int
    /// POST codes left out by `--codes`.
    public var filteredOut: Int
    /// POST steps past the most a timeline lists (`TimelineOptions.keptSteps`): not listed, but
    /// counted in the phases and the boot's end.
    public var stepsLeftOut = 0
    /// Where the boot ends: the end of its last phase (or its last chain step); nil without steps.
    public var bootEnd: Int64?
    /// ns since VM start of the trace's first and last event.
    public var firstEventTime: Int64?
    public var lastEventTime: Int64?
    /// ns since VM start of the last console line, if any console printed.
    public var lastConsoleTime: Int64?
    public var events: UInt64
    public var accesses: UInt64
    /// Accesses per port and direction.
    public var portCounts: [PortKey: UInt64]
    /// Port I/O over time per vCPU, for density lanes and rate counters.
    public var activity: ActivityHistogram
    /// Complete console lines, up to `TimelineOptions.keptLines` and `keptLineBytes`.
    public var consoleLines: [ConsoleLine]
    /// Console lines past those limits: not kept (the marks saw them).
    public var consoleLinesLeftOut = 0
    /// IN values per port, for diff (the first ones kept within a budget, and a digest of all).
    public var inValues: [UInt16: InValueSequence]
    /// Whether the trace was closed cleanly; an unclosed trace is read as far as it goes.
    public var closedCleanly: Bool
    public var problems: [TraceReader.Problem]
    /// How the recording ended, when its recorder said.
    public var ending: BootEnding?
    /// The window of time this timeline is seen through (`window(from:to:)`), nil for the whole
    /// trace: pictures start their axis there.
    public var shownWindow: ClosedRange<Int64>? = nil

    /// The POST steps of the chain (repeats collapsed, no back-steps).
    public var postSteps: [BootStep] { steps.filter { $0.code != nil && !$0.isBackStep } }

    /// The steps of the chain, in time order.
    public var chain: [BootStep] { steps.filter(\.inChain) }

    /// The chain's intervals, the first from the VM's start (when the trace records it).
    public var intervals: [ChainInterval] {
        var out: [ChainInterval] = []
        for s in steps where s.inChain {
            guard let interval = s.interval else { continue }
            let from = s.intervalFrom ?? "VM start"
            out.append(ChainInterval(from: from, to: s.label, start: s.time - interval, end: s.time))
        }
        return out
    }

    /// Where the boot starts: the VM's start when the trace records it (or an earlier first
    /// phase), else the first phase.
    public var bootStart: Int64? {
        guard let first = phases.first?.start ?? chain.first?.time else { return nil }
        return originKnown ? min(0, first) : first
    }

    /// Time from VM start to the first step of the chain, when the origin is known.
    public var beforeFirstStep: Int64? {
        guard originKnown, let first = chain.first else { return nil }
        return first.time
    }

    /// The boot's length: its start to its end.
    public var total: Int64? {
        guard let end = bootEnd, let start = bootStart else { return nil }
        return end - start
    }

    /// Whether the boot's last phase never ended (it runs to the end of the trace).
    public var unfinished: Bool { phases.last?.unfinished ?? false }

    /// A phase by component, if the boot reached it.
    public func phase(_ c: DebugPortComponent) -> BootPhase? { phases.first { $0.component == c } }

    /// A phase by name.
    public func phase(named name: String) -> BootPhase? { phases.first { $0.name == name } }

    /// When the consoles kept printing long after the boot the POST codes describe (a Linux
    /// kernel writes 0x00 to port 0x80 as an I/O delay in its real-mode setup, then boots for
    /// minutes on its console): what to say, or nil.
    public var consoleOutlastsTheCodes: String? {
        guard phaseSource == .postCodes, let end = bootEnd, let last = lastConsoleTime, let total else { return nil }
        let after = last - end
        guard after > 1_000_000_000, after > total else { return nil }
        return
            "the consoles kept printing for \(TimeText.span(after)) after the last POST code (\(TimeText.span(end))): the codes do not cover the boot; for a Linux guest, --marks linux times it from its console"
    }
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
    public var digest: UInt64 = FNV1a.offsetBasis

    /// Adds a value, keeping it while fewer than `keep` are kept; returns whether it was kept.
    @discardableResult
    mutating func add(_ bytes: UnsafeRawBufferPointer, keep: Int) -> Bool {
        count += 1
        var h = FNV1a(continuing: digest)
        h.add(word: UInt64(bytes.count))
        h.add(bytes)
        digest = h.value
        guard kept.count < keep else { return false }
        kept.append(Array(bytes))
        return true
    }
}

extension BootTimeline {
    /// The timeline seen through a window of time (ns since the VM start, inclusive): steps and
    /// console lines inside it, phases clipped to it (a phase cut by the window's end is not
    /// marked unfinished for that). The chain's intervals keep their values.
    public func window(from: Int64, to: Int64) -> BootTimeline {
        var t = self
        let lower = max(from, shownWindow?.lowerBound ?? .min)
        t.shownWindow = lower...max(lower, min(to, shownWindow?.upperBound ?? .max))
        // An interval from a step outside the window still says how long it was and from where.
        t.steps = steps.filter { $0.time >= from && $0.time <= to }
        t.phases = phases.compactMap { p in
            guard p.end >= from, p.start <= to else { return nil }
            var c = p
            c.start = max(p.start, from)
            c.end = min(p.end, to)
            return c
        }
        t.consoleLines = consoleLines.filter { $0.time >= from && $0.time <= to }
        return t
    }
}
