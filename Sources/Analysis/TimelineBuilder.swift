import Devices
import Foundation
import Patterns
import TraceFormat

/// What to build a timeline from, beyond the trace.
public struct TimelineOptions: Sendable {
    /// A named console-line pattern (`--mark NAME=PATTERN` or `--mark PATTERN`), in RE2's syntax.
    public struct Mark: Sendable {
        public var name: String
        public var pattern: Pattern
        public init(name: String, pattern: Pattern) {
            self.name = name
            self.pattern = pattern
        }
    }

    /// `--profile`: overrides the release the trace names.
    public var release: Release?
    /// `--codes`: which POST codes count (nil: all).
    public var codes: [ClosedRange<UInt8>]?
    public var marks: [Mark] = []
    /// Console lines kept for reports (the marks see every line).
    public var keptLines = 10_000
    /// IN values kept per port for comparisons (all of them are digested).
    public var keptInValues = 4096

    public init() {}

    /// Parses `NAME=PATTERN` or a bare `PATTERN` (named after itself); a pattern RE2 refuses is a
    /// bad option naming the flag, the pattern and RE2's reason.
    public static func mark(_ text: String) throws -> Mark {
        var name = text
        var pattern = text
        if let eq = text.firstIndex(of: "="), text[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
            eq != text.startIndex
        {
            name = String(text[..<eq])
            pattern = String(text[text.index(after: eq)...])
        }
        guard !pattern.isEmpty else { throw AnalysisError.badOption("--mark '\(text)': empty pattern") }
        do {
            return Mark(name: name, pattern: try Pattern(pattern))
        } catch {
            throw AnalysisError.badOption("--mark '\(text)': \(error)")
        }
    }
}

/// Errors of the analysis commands, one line each.
public enum AnalysisError: Error, CustomStringConvertible, Sendable {
    case badOption(String)
    case trace(path: String, TraceError)
    case devices(path: String, String)

    public var description: String {
        switch self {
        case .badOption(let why): return why
        case .trace(let path, let e): return "\(path): \(e)"
        case .devices(let path, let why): return "\(path): \(why)"
        }
    }
}

/// Builds a `BootTimeline` by streaming a trace through the device models of its release:
/// memory grows with the steps and kept lines, never with the number of events.
public enum TimelineBuilder {
    public static func build(path: String, options: TimelineOptions = TimelineOptions(), progress: ProgressMeter? = nil) throws
        -> BootTimeline
    {
        let reader: TraceReader
        do {
            reader = try TraceReader(path: path)
        } catch let e as TraceError {
            throw AnalysisError.trace(path: path, e)
        }
        return try build(reader: reader, options: options, progress: progress)
    }

    public static func build(reader: TraceReader, options: TimelineOptions, progress: ProgressMeter? = nil) throws -> BootTimeline {
        try build(reader: reader, options: options, progress: progress, outputs: nil)
    }

    /// The walk; `outputs`, when given, gets the regenerated outputs as they are produced (the
    /// log at every level), for a comparison.
    static func build(
        reader: TraceReader, options: TimelineOptions, progress: ProgressMeter?, outputs: ((LogFormatter) -> OutputObserver)?
    ) throws
        -> BootTimeline
    {
        let md = reader.metadata
        let chosen = TraceRelease.resolve(metadata: md, explicit: options.release)
        // The reader's origin: every time it delivers lies within TraceLimits.maxTimeOffset of it,
        // so offsets from it, and differences of two, fit an Int64 (no wrap, no trap).
        let origin = reader.timeOrigin
        let state = BuilderState(origin: origin, options: options)

        let built = try AnalysisMachine(metadata: md, release: chosen, path: reader.path, observer: outputs)
        let machine = built.machine
        let sinks = built.sinks
        let outputs = built.observer
        machine.debugPort?.onCode = { [state] t, vcpu, code in state.post(timestamp: t, vcpu: vcpu, code: code) }
        let taps = [
            ("debug console", sinks.debugConsole), ("firmware debug", sinks.firmwareDebug), ("serial", sinks.serial),
        ].enumerated().map { k, device in
            // Unowned: the state holds the taps, so a strong capture would keep both alive forever.
            ConsoleTap(device: device.0, sink: device.1, output: k + 1, observer: outputs) { [unowned state] line in state.line(line) }
        }
        state.taps = taps
        let devices = machine.configuration.devices
        state.consolePort = devices.port(of: .debugConsole)
        state.firmwarePort = devices.port(of: .firmwareDebug)
        state.serialBase = devices.port(of: .serial)

        let driver = ReplayDriver(machine: machine)
        var visitor = AnalysisVisitor(replay: driver.state, state: state)
        let report: TraceReader.ScanReport
        do {
            report = try reader.scan { block in
                block.walk(&visitor)
                progress?.advance(events: UInt64(block.count))
                return outputs?.blockEnd(events: block.count) ?? true
            }
        } catch let e as TraceError {
            throw AnalysisError.trace(path: reader.path, e)
        }
        progress?.finish()
        for t in taps { t.finish() }
        outputs?.end()

        var steps = state.steps
        for tap in taps {
            if let t = tap.firstByteTime {
                steps.append(
                    BootStep(
                        kind: .consoleStart(device: tap.device), timestamp: UInt64(bitPattern: t &+ Int64(bitPattern: origin)), time: t,
                        vcpu: tap.firstByteVCPU, sincePrevious: 0, isBackStep: false))
            }
        }
        // Stable by time: POST codes keep their order among themselves.
        steps = steps.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        let (phases, backSteps, lastStep) = PhaseRules.apply(to: &steps)

        var portCounts: [PortKey: UInt64] = [:]
        for (i, c) in visitor.portCounts.enumerated() where c > 0 {
            portCounts[PortKey(port: UInt16(i >> 1), direction: i & 1 == 1 ? .in : .out)] = c
        }
        return BootTimeline(
            path: reader.path, metadata: md, release: chosen, origin: origin, originKnown: md.vmStartNs != nil, steps: steps,
            phases: phases, backSteps: backSteps, filteredOut: state.filteredOut, lastStepTime: lastStep,
            firstEventTime: visitor.firstTime, lastEventTime: visitor.lastTime, events: visitor.replay.report.events,
            accesses: visitor.replay.report.accesses, portCounts: portCounts, activity: visitor.activity, consoleLines: state.lines,
            inValues: visitor.inValues,
            closedCleanly: reader.header.closedCleanly, problems: report.problems)
    }
}

/// What the walk accumulates; a class so the device observers can reach it.
final class BuilderState {
    let origin: UInt64
    let options: TimelineOptions
    var steps: [BootStep] = []
    var lastPostTime: Int64?
    var filteredOut = 0
    var lines: [ConsoleLine] = []
    var marksLeft: [TimelineOptions.Mark]
    var taps: [ConsoleTap] = []
    var consolePort: UInt16?
    var firmwarePort: UInt16?
    var serialBase: UInt16?
    var currentVCPU: UInt32 = 0

    init(origin: UInt64, options: TimelineOptions) {
        self.origin = origin
        self.options = options
        marksLeft = options.marks
    }

    @inline(__always)
    func relative(_ t: UInt64) -> Int64 { Int64(bitPattern: t &- origin) }

    func post(timestamp: UInt64, vcpu: UInt32, code: UInt8) {
        if let ranges = options.codes, !ranges.contains(where: { $0.contains(code) }) {
            filteredOut += 1
            return
        }
        let t = relative(timestamp)
        steps.append(
            BootStep(
                kind: .post(code: code), timestamp: timestamp, time: t, vcpu: vcpu, sincePrevious: lastPostTime.map { t - $0 } ?? 0,
                isBackStep: false))
        lastPostTime = t
    }

    func line(_ line: ConsoleLine) {
        if lines.count < options.keptLines { lines.append(line) }
        guard !marksLeft.isEmpty else { return }
        var matched: [Int] = []
        for (i, mark) in marksLeft.enumerated() where mark.pattern.matches(line.text) {
            steps.append(
                BootStep(
                    kind: .mark(name: mark.name, device: line.device, line: line.text),
                    timestamp: UInt64(bitPattern: line.time &+ Int64(bitPattern: origin)), time: line.time, vcpu: currentVCPU,
                    sincePrevious: 0, isBackStep: false))
            matched.append(i)
        }
        for i in matched.reversed() { marksLeft.remove(at: i) }
    }
}

/// The one block walk, feeding the release's devices and noting what the timeline needs. Its
/// per-event state is its own (a value, walked `inout`), so the hot loop touches no class
/// property; the builder's state is reached only for POST codes and console lines.
struct AnalysisVisitor: EventVisitor {
    var replay: ReplayCore
    let state: BuilderState
    let origin: UInt64
    let keptInValues: Int
    let consolePort: UInt16?
    let firmwarePort: UInt16?
    let serialBase: UInt16?
    let taps: [ConsoleTap]
    var firstTime: Int64?
    var lastTime: Int64?
    var activity = ActivityHistogram()
    /// [port << 1 | direction] -> accesses
    var portCounts = [UInt64](repeating: 0, count: 65536 * 2)
    /// IN values per port: the ports in order of first IN, and their sequences (few ports; no hashing per event).
    var inPorts: [UInt16] = []
    var inSequences: [InValueSequence] = []
    private var lastInPort: UInt16 = 0
    private var lastInIndex = -1

    var inValues: [UInt16: InValueSequence] { Dictionary(uniqueKeysWithValues: zip(inPorts, inSequences)) }

    init(replay: ReplayCore, state: BuilderState) {
        self.replay = replay
        self.state = state
        origin = state.origin
        keptInValues = state.options.keptInValues
        consolePort = state.consolePort
        firmwarePort = state.firmwarePort
        serialBase = state.serialBase
        taps = state.taps
    }

    @inline(__always)
    func relative(_ t: UInt64) -> Int64 { Int64(bitPattern: t &- origin) }

    /// The console tap for a port, if the port prints.
    @inline(__always)
    func tap(for port: UInt16) -> ConsoleTap? {
        if port == consolePort { return taps[0] }
        if port == firmwarePort { return taps[1] }
        if let s = serialBase, port == s { return taps[2] }
        return nil
    }

    @inline(__always)
    mutating func note(_ t: UInt64, _ shape: EventShape, count: UInt64 = 1) {
        let rel = relative(t)
        if firstTime == nil { firstTime = rel }
        lastTime = rel
        activity.add(time: rel, vcpu: shape.vcpu, count: count)
        portCounts[Int(shape.port) << 1 | (shape.direction == .in ? 1 : 0)] &+= count
    }

    mutating func visit(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
        note(timestamp, shape)
        replay.access(timestamp: timestamp, shape: shape, data: data)
        if shape.direction == .in {
            if shape.port != lastInPort || lastInIndex < 0 {
                lastInPort = shape.port
                if let i = inPorts.firstIndex(of: shape.port) {
                    lastInIndex = i
                } else {
                    inPorts.append(shape.port)
                    inSequences.append(InValueSequence())
                    lastInIndex = inPorts.count - 1
                }
            }
            inSequences[lastInIndex].add(data, keep: keptInValues)
        } else if let tap = tap(for: shape.port) {
            state.currentVCPU = shape.vcpu
            tap.collect(time: relative(timestamp), vcpu: shape.vcpu)
        }
    }

    mutating func visitRun(timestamps: UnsafeBufferPointer<UInt64>, shape: EventShape, data: UnsafeRawBufferPointer) -> Bool {
        // Only the debug console prints its bytes one for one; other printing devices go event by event
        // so every line gets its own time.
        let tap = tap(for: shape.port)
        if tap != nil && shape.port != consolePort { return false }
        guard replay.run(timestamps: timestamps, shape: shape, data: data) else { return false }
        for t in timestamps { note(t, shape) }
        if let tap {
            state.currentVCPU = shape.vcpu
            tap.collect(run: timestamps, origin: origin, bytesPerEvent: shape.dataLength, vcpu: shape.vcpu)
        }
        return true
    }

    mutating func visit(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
        replay.marker(timestamp: timestamp, vcpu: vcpu, marker: marker)
    }
}
