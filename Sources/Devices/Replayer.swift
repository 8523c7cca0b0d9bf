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
public final class ReplayDriver {
    public static let keptDivergences = 20
    public let machine: DebugMachine
    /// Only events in this window produce output (the machine still sees the ones before, for its state).
    public var window: ClosedRange<UInt64> = 0...UInt64.max
    public private(set) var report = ReplayReport()
    private var scratch = [UInt8](repeating: 0, count: 256)
    private var outputOn = true

    public init(machine: DebugMachine) { self.machine = machine }

    /// One port access.
    @inline(__always)
    public func feed(timestamp t: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
        report.events &+= 1
        report.accesses &+= 1
        let inside = t >= window.lowerBound && t <= window.upperBound
        if inside != outputOn {
            outputOn = inside
            machine.outputEnabled = inside
        }
        let length = Int(shape.size) * Int(shape.count)
        if shape.incomplete { report.incompleteEvents &+= 1 }
        if shape.direction == .out {
            machine.write(timestamp: t, vcpu: shape.vcpu, port: shape.port, length: length, data: data)
            return
        }
        if scratch.count < length { scratch = [UInt8](repeating: 0, count: length) }
        let known = data.count
        // SAFETY: `scratch` grows to at least `length` bytes just above, so the rebased slice is inside it.
        scratch.withUnsafeMutableBytes { buf in
            let target = UnsafeMutableRawBufferPointer(rebasing: buf[0..<length])
            // The buffer starts as recorded, so a device that leaves it untouched changes nothing.
            target.copyMemory(from: data)
            let defined = machine.read(timestamp: t, vcpu: shape.vcpu, port: shape.port, into: target)
            guard defined, !target.prefix(known).elementsEqual(data) else { return }
            report.divergenceCount += 1
            if report.divergences.count < ReplayDriver.keptDivergences {
                report.divergences.append(
                    Divergence(
                        timestamp: t, vcpu: shape.vcpu, port: shape.port,
                        recorded: Array(data), modelled: Array(target.prefix(known))))
            }
        }
    }

    public func feed(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
        report.events &+= 1
        if marker.name == Marker.loggerTime { machine.log.setLoggerTime(marker.value, vcpu: vcpu) }
        if marker.name == Marker.lost {
            report.lostEvents &+= marker.value
            report.lostReports &+= 1
        }
    }

    /// Replays one decoded block through the shared block walk.
    /// Consecutive complete `out`s of one shape, all inside the window, go to the machine as a run.
    public func feed(block: EventBlock) {
        var visitor = Visitor(driver: self)
        block.walk(&visitor)
    }

    /// The walk's callbacks: single events to `feed`, runs to the machine when they qualify.
    struct Visitor: EventVisitor {
        let driver: ReplayDriver

        @inline(__always)
        mutating func visit(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
            driver.feed(timestamp: timestamp, shape: shape, data: data)
        }

        @inline(__always)
        mutating func visit(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
            driver.feed(timestamp: timestamp, vcpu: vcpu, marker: marker)
        }

        mutating func visitRun(timestamps: UnsafeBufferPointer<UInt64>, shape: EventShape, data: UnsafeRawBufferPointer) -> Bool {
            driver.feedRun(timestamps: timestamps, shape: shape, data: data)
        }
    }

    /// A run of same-shape accesses: handed to the machine at once when they are complete OUTs all
    /// inside the window; otherwise (false) the walk feeds them one by one.
    @inline(__always)
    public func feedRun(timestamps run: UnsafeBufferPointer<UInt64>, shape: EventShape, data: UnsafeRawBufferPointer) -> Bool {
        guard shape.direction == .out, !shape.incomplete else { return false }
        let lo = window.lowerBound
        let hi = window.upperBound
        guard run.allSatisfy({ $0 >= lo && $0 <= hi }) else { return false }
        if !outputOn {
            outputOn = true
            machine.outputEnabled = true
        }
        machine.writeRun(timestamps: run, vcpu: shape.vcpu, port: shape.port, length: shape.dataLength, data: data)
        report.events &+= UInt64(run.count)
        report.accesses &+= UInt64(run.count)
        return true
    }

    /// Replays a whole trace.
    public func replay(_ reader: TraceReader) throws {
        report.scan = try reader.scan { block in
            feed(block: block)
            return true
        }
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
                guard v.hasPrefix("0x"), let p = UInt16(v.dropFirst(2), radix: 16) else {
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
