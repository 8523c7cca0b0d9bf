import Devices
import Foundation
import Patterns
import SystemCalls
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
    /// `--mark`: console lines that are steps.
    public var marks: [Mark] = []
    /// `--marks SET`: a built-in set of marks; its phases replace the POST codes' (unless `phases` are given).
    public var markSet: MarkSet?
    /// `--phase NAME=FROM..TO`: phases of the user's; they replace the POST codes' and the set's.
    public var phases: [PhaseSpec] = []
    /// `--interval NAME=FROM..TO`.
    public var intervals: [IntervalSpec] = []
    /// Console lines kept for reports (the marks see every line), and their text at most.
    public var keptLines = 200_000
    public var keptLineBytes = 64 << 20
    /// POST steps listed (repeats collapsed); past them, writes still count in phases and the boot's end.
    public var keptSteps = 100_000
    /// IN values kept per port for comparisons, and their bytes over all ports (all are digested).
    public var keptInValues = 4096
    public var keptInBytes = 16 << 20

    public init() {}

    /// Every mark to look for: `--mark`s and the set's.
    public var allMarks: [Mark] { marks + (markSet?.marks() ?? []) }

    /// Refuses references to marks that nothing defines, naming the ones that exist.
    public func checkReferences() throws {
        let names = Set(allMarks.map(\.name))
        let refs =
            intervals.flatMap { [("--interval", $0.name, $0.from), ("--interval", $0.name, $0.to)] }
            + phases.flatMap { [("--phase", $0.name, $0.from), ("--phase", $0.name, $0.to)] }
        for (flag, name, ref) in refs {
            if case .mark(let m) = ref, !names.contains(m) {
                let known =
                    names.isEmpty
                    ? "no marks are defined (--mark NAME=PATTERN, --marks linux)" : "marks: \(names.sorted().joined(separator: ", "))"
                throw AnalysisError.badOption("\(flag) \(name): no mark named '\(m)' (\(known))")
            }
        }
    }

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
    /// An input that could not be read (a system call failed on it).
    case unreadable(path: String, SystemError)

    public var description: String {
        switch self {
        case .badOption(let why): return why
        case .unreadable(let path, let e): return "\(path): \(e)"
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
                        vcpu: tap.firstByteVCPU))
            }
        }
        // Stable by time: POST codes keep their order among themselves.
        steps = steps.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        let originKnown = md.vmStartNs != nil
        PhaseRules.chain(&steps, originKnown: originKnown)
        let traceEnd = visitor.lastTime
        var phases = state.postPhases.phases
        var bootEnd = state.postPhases.lastChainTime
        var source = PhaseSource.postCodes
        if !options.phases.isEmpty {
            phases = PhaseRules.phases(from: options.phases, steps: steps, traceEnd: traceEnd, originKnown: originKnown)
            bootEnd = phases.map(\.end).max()
            source = .marks("--phase")
        } else if let set = options.markSet {
            phases = PhaseRules.phases(from: set, steps: steps, traceEnd: traceEnd)
            bootEnd = phases.last?.end
            source = .marks(set.name)
        }
        if bootEnd == nil, source != .postCodes { bootEnd = steps.last(where: \.inChain)?.time }
        let named = PhaseRules.intervals(options.intervals, steps: steps, bootEnd: bootEnd, originKnown: originKnown)

        var portCounts: [PortKey: UInt64] = [:]
        for (i, c) in visitor.portCounts.enumerated() where c > 0 {
            portCounts[PortKey(port: UInt16(i >> 1), direction: i & 1 == 1 ? .in : .out)] = c
        }
        return BootTimeline(
            path: reader.path, metadata: md, release: chosen, origin: origin, originKnown: originKnown, steps: steps,
            phases: phases, phaseSource: source, namedIntervals: named, backSteps: state.backSteps, filteredOut: state.filteredOut,
            stepsLeftOut: state.stepsLeftOut, bootEnd: bootEnd, firstEventTime: visitor.firstTime, lastEventTime: visitor.lastTime,
            lastConsoleTime: taps.compactMap(\.lastLineTime).max(), events: visitor.replay.report.events,
            accesses: visitor.replay.report.accesses, portCounts: portCounts, activity: visitor.activity, consoleLines: state.lines,
            consoleLinesLeftOut: state.linesLeftOut, inValues: visitor.inValues,
            closedCleanly: reader.header.closedCleanly, problems: report.problems, ending: state.ending)
    }
}

/// What the walk accumulates; a class so the device observers can reach it.
final class BuilderState {
    let origin: UInt64
    let options: TimelineOptions
    var steps: [BootStep] = []
    var postPhases = PhaseRules.PostPhases()
    /// The index in `steps` of the last POST step listed, for repeats.
    private var lastPost: Int?
    private var lastPostCode: UInt8?
    var postStepsKept = 0
    var stepsLeftOut = 0
    var backSteps = 0
    var filteredOut = 0
    var lines: [ConsoleLine] = []
    var lineBytes = 0
    var linesLeftOut = 0
    var marksLeft: [TimelineOptions.Mark]
    var taps: [ConsoleTap] = []
    var ending: BootEnding?
    var consolePort: UInt16?
    var firmwarePort: UInt16?
    var serialBase: UInt16?

    init(origin: UInt64, options: TimelineOptions) {
        self.origin = origin
        self.options = options
        marksLeft = options.allMarks
    }

    @inline(__always)
    func relative(_ t: UInt64) -> Int64 { Int64(bitPattern: t &- origin) }

    /// A write the release logs: a new step, or one more repeat of the last one (the same code,
    /// no other code between). Every write counts in the phases; steps past `keptSteps` are
    /// counted, not listed.
    func post(timestamp: UInt64, vcpu: UInt32, code: UInt8) {
        if let ranges = options.codes, !ranges.contains(where: { $0.contains(code) }) {
            filteredOut += 1
            return
        }
        let t = relative(timestamp)
        let back = postPhases.add(code: code, time: t)
        defer { lastPostCode = code }
        if lastPostCode == code {
            if let i = lastPost {
                steps[i].count += 1
                steps[i].lastTime = t
            }
            return
        }
        if back { backSteps += 1 }
        guard postStepsKept < options.keptSteps else {
            stepsLeftOut += 1
            lastPost = nil
            return
        }
        var step = BootStep(kind: .post(code: code), timestamp: timestamp, time: t, vcpu: vcpu)
        step.isBackStep = back
        steps.append(step)
        postStepsKept += 1
        lastPost = steps.count - 1
    }

    /// What a marker says of how the recording ended, given what earlier markers said: why
    /// `record` stopped a boot wins over the VMM's exit status (a VMM stopped by SIGTERM).
    static func ending(_ m: Marker, after earlier: BootEnding?) -> BootEnding? {
        switch m.name {
        case Marker.bootEnded: return BootEnding(reason: m.text.isEmpty ? "ended by the recorder" : m.text, failed: m.value != 0)
        case "vmm_exited":
            guard earlier == nil else { return nil }
            return BootEnding(reason: "the VMM exited with status \(m.value)", failed: m.value != 0)
        case Marker.guestHalted: return BootEnding(reason: m.text.isEmpty ? "every vCPU halted" : m.text, failed: false)
        case Marker.timeout:
            guard earlier == nil else { return nil }
            return BootEnding(reason: m.text.isEmpty ? m.name : m.text, failed: false)
        case Marker.signal:
            // After `vmm_exited` in a recording: the VMM ended because the recorder was stopped.
            return BootEnding(reason: m.text.isEmpty ? "stopped by signal \(m.value)" : m.text, failed: false)
        case Marker.shutdown, "unexpected_exit", "failed": return BootEnding(reason: m.text.isEmpty ? m.name : m.text, failed: true)
        default: return nil
        }
    }

    func line(_ line: ConsoleLine) {
        if lines.count < options.keptLines && lineBytes + line.text.utf8.count <= options.keptLineBytes {
            lines.append(line)
            lineBytes += line.text.utf8.count
        } else {
            linesLeftOut += 1
        }
        guard !marksLeft.isEmpty else { return }
        var matched: [Int] = []
        for (i, mark) in marksLeft.enumerated() where mark.pattern.matches(line.text) {
            steps.append(
                BootStep(
                    kind: .mark(name: mark.name, device: line.device, line: line.text),
                    timestamp: UInt64(bitPattern: line.time &+ Int64(bitPattern: origin)), time: line.time, vcpu: line.vcpu))
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
    /// IN values per port: the ports in order of first IN, their sequences, and where each
    /// port's sequence is (a table of all 65,536 ports: no search, whatever the trace does).
    var inPorts: [UInt16] = []
    var inSequences: [InValueSequence] = []
    private var inIndex = [Int32](repeating: -1, count: 65536)
    /// Bytes of IN values kept over all ports, against `TimelineOptions.keptInBytes`.
    private var inBytesLeft: Int

    var inValues: [UInt16: InValueSequence] { Dictionary(uniqueKeysWithValues: zip(inPorts, inSequences)) }

    init(replay: ReplayCore, state: BuilderState) {
        self.replay = replay
        self.state = state
        origin = state.origin
        keptInValues = state.options.keptInValues
        inBytesLeft = state.options.keptInBytes
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
            var i = Int(inIndex[Int(shape.port)])
            if i < 0 {
                i = inPorts.count
                inIndex[Int(shape.port)] = Int32(i)
                inPorts.append(shape.port)
                inSequences.append(InValueSequence())
            }
            let keep = inBytesLeft >= data.count ? keptInValues : 0
            if inSequences[i].add(data, keep: keep) { inBytesLeft -= data.count }
        } else if let tap = tap(for: shape.port) {
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
            tap.collect(run: timestamps, origin: origin, bytesPerEvent: shape.dataLength, vcpu: shape.vcpu)
        }
        return true
    }

    mutating func visit(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
        replay.marker(timestamp: timestamp, vcpu: vcpu, marker: marker)
        if let ending = BuilderState.ending(marker, after: state.ending) { state.ending = ending }
    }
}
