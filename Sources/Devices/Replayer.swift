import TraceFormat

/// One IN whose modelled value differs from the recorded one.
public struct Divergence: Sendable, Equatable {
    public var timestamp: UInt64
    public var vcpu: UInt32
    public var port: UInt16
    public var recorded: [UInt8]
    public var modelled: [UInt8]
}

/// What a replay saw.
public struct ReplayReport: Sendable {
    public var events: UInt64 = 0
    public var accesses: UInt64 = 0
    public var divergenceCount: UInt64 = 0
    /// The first divergences, in order (at most `ReplayDriver.keptDivergences`).
    public var divergences: [Divergence] = []
    public var incompleteEvents: UInt64 = 0
    public var lostEvents: UInt64 = 0
    /// `lost` markers seen (a marker may not know how many events it stands for).
    public var lostReports: UInt64 = 0
    public var scan = TraceReader.ScanReport()
}

/// Feeds trace events to a `DebugMachine` in recorded order and compares IN values.
///
/// The per-event state is a value (`ReplayCore`) that a block's walk holds in its visitor, so
/// the hot loop touches no class property: no dynamic exclusivity check per event.
public final class ReplayDriver {
    public static let keptDivergences = 20
    public let machine: DebugMachine
    /// Only events in this window produce output (the machine still sees the ones before, for its state).
    public var window: ClosedRange<UInt64> {
        get { core.window }
        set { core.window = newValue }
    }
    private var core: ReplayCore
    private var scan = TraceReader.ScanReport()

    public init(machine: DebugMachine) {
        self.machine = machine
        core = ReplayCore(machine: machine)
    }

    public var report: ReplayReport {
        var r = core.report
        r.scan = scan
        return r
    }

    /// One port access.
    public func feed(timestamp t: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
        core.access(timestamp: t, shape: shape, data: data)
    }

    public func feed(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
        core.marker(timestamp: timestamp, vcpu: vcpu, marker: marker)
    }

    /// A run of same-shape accesses: handed to the machine at once when they are complete OUTs all
    /// inside the window; otherwise (false) the caller feeds them one by one.
    public func feedRun(timestamps run: UnsafeBufferPointer<UInt64>, shape: EventShape, data: UnsafeRawBufferPointer) -> Bool {
        core.run(timestamps: run, shape: shape, data: data)
    }

    /// Replays one decoded block through the shared block walk.
    /// Consecutive complete `out`s of one shape, all inside the window, go to the machine as a run.
    public func feed(block: EventBlock) {
        var visitor = Visitor(core: core)
        block.walk(&visitor)
        core = visitor.core
    }

    /// The walk's callbacks, on the visitor's own copy of the core.
    public struct Visitor: EventVisitor {
        public var core: ReplayCore

        public init(core: ReplayCore) { self.core = core }

        @inline(__always)
        public mutating func visit(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
            core.access(timestamp: timestamp, shape: shape, data: data)
        }

        @inline(__always)
        public mutating func visit(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
            core.marker(timestamp: timestamp, vcpu: vcpu, marker: marker)
        }

        @inline(__always)
        public mutating func visitRun(timestamps: UnsafeBufferPointer<UInt64>, shape: EventShape, data: UnsafeRawBufferPointer) -> Bool {
            core.run(timestamps: timestamps, shape: shape, data: data)
        }
    }

    /// The core, for a walk that wraps it in a visitor of its own (the analysis commands).
    public var state: ReplayCore {
        get { core }
        set { core = newValue }
    }

    /// Replays a whole trace.
    public func replay(_ reader: TraceReader) throws {
        var visitor = Visitor(core: core)
        scan = try reader.scan { block in
            block.walk(&visitor)
            return true
        }
        core = visitor.core
    }
}

/// Replay's per-event work and counters, as a value.
public struct ReplayCore {
    public let machine: DebugMachine
    public var window: ClosedRange<UInt64> = 0...UInt64.max
    public private(set) var report = ReplayReport()
    private var scratch = [UInt8](repeating: 0, count: 256)
    private var outputOn = true

    public init(machine: DebugMachine) { self.machine = machine }

    @inline(__always)
    mutating func output(_ inside: Bool) {
        if inside != outputOn {
            outputOn = inside
            machine.outputEnabled = inside
        }
    }

    /// One port access.
    @inline(__always)
    public mutating func access(timestamp t: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
        report.events &+= 1
        report.accesses &+= 1
        output(t >= window.lowerBound && t <= window.upperBound)
        let length = Int(shape.size) * Int(shape.count)
        if shape.incomplete { report.incompleteEvents &+= 1 }
        if shape.direction == .out {
            machine.write(timestamp: t, vcpu: shape.vcpu, port: shape.port, length: length, data: data)
            return
        }
        if scratch.count < length { scratch = [UInt8](repeating: 0, count: length) }
        let known = data.count
        let machine = self.machine
        // SAFETY: `scratch` grows to at least `length` bytes just above, so the rebased slice is inside it.
        let diverged = scratch.withUnsafeMutableBytes { buf -> [UInt8]? in
            let target = UnsafeMutableRawBufferPointer(rebasing: buf[0..<length])
            // The buffer starts as recorded, so a device that leaves it untouched changes nothing.
            target.copyMemory(from: data)
            let defined = machine.read(timestamp: t, vcpu: shape.vcpu, port: shape.port, into: target)
            guard defined else { return nil }
            var k = 0
            while k < known && target[k] == data[k] { k += 1 }
            return k == known ? nil : Array(target[0..<known])
        }
        guard let modelled = diverged else { return }
        report.divergenceCount += 1
        if report.divergences.count < ReplayDriver.keptDivergences {
            report.divergences.append(
                Divergence(timestamp: t, vcpu: shape.vcpu, port: shape.port, recorded: Array(data), modelled: modelled))
        }
    }

    public mutating func marker(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
        report.events &+= 1
        if marker.name == Marker.loggerTime { machine.log.setLoggerTime(marker.value, vcpu: vcpu) }
        if marker.name == Marker.loggerWallclock { machine.log.setRealtime(marker.value, vcpu: vcpu) }
        if marker.name == Marker.lost {
            report.lostEvents &+= marker.value
            report.lostReports &+= 1
        }
    }

    /// A run of same-shape accesses, taken at once when they are complete OUTs all inside the window.
    @inline(__always)
    public mutating func run(timestamps run: UnsafeBufferPointer<UInt64>, shape: EventShape, data: UnsafeRawBufferPointer) -> Bool {
        guard shape.direction == .out, !shape.incomplete else { return false }
        let lo = window.lowerBound
        let hi = window.upperBound
        guard run.allSatisfy({ $0 >= lo && $0 <= hi }) else { return false }
        output(true)
        machine.writeRun(timestamps: run, vcpu: shape.vcpu, port: shape.port, length: shape.dataLength, data: data)
        report.events &+= UInt64(run.count)
        report.accesses &+= UInt64(run.count)
        return true
    }
}

/// How the machine for a trace is put together: from the trace's device map, the
/// release's defaults, and the user's flags, in that order of precedence (flags win).
public struct DeviceChoice: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case off
        case tty
        case file(String)
    }
    public var mode: Mode
    public var iobase: UInt16?

    public init(mode: Mode, iobase: UInt16? = nil) {
        self.mode = mode
        self.iobase = iobase
    }

    /// Parses `off|tty|null|file=PATH[,iobase=0xNN]` (iobase only where `allowIobase`).
    public static func parse(_ text: String, allowIobase: Bool) -> Result<DeviceChoice, ChoiceError> {
        var mode: Mode?
        var iobase: UInt16?
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            if item == "off" || item == "null" {
                guard mode == nil else { return .failure(.init("more than one mode")) }
                mode = .off
            } else if item == "tty" {
                guard mode == nil else { return .failure(.init("more than one mode")) }
                mode = .tty
            } else if item.hasPrefix("file=") {
                guard mode == nil else { return .failure(.init("more than one mode")) }
                let path = String(item.dropFirst(5))
                guard !path.isEmpty else { return .failure(.init("file= needs a path")) }
                mode = .file(path)
            } else if allowIobase, item.hasPrefix("iobase=") {
                let v = item.dropFirst(7)
                guard let p: UInt16 = ValueSyntax.hex(v, lowercasePrefixOnly: true) else {
                    return .failure(.init("the IO port was not properly provided in hex or a `0x` prefix is missing: \(v)"))
                }
                iobase = p
            } else {
                return .failure(.init("unknown option '\(item)' (expected off, tty, file=PATH\(allowIobase ? ", iobase=0xNN" : ""))"))
            }
        }
        guard let mode else { return .failure(.init("invalid console mode given")) }
        return .success(DeviceChoice(mode: mode, iobase: iobase))
    }

    public struct ChoiceError: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }
}
