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
        scratch.withUnsafeMutableBytes { buf in
            let target = UnsafeMutableRawBufferPointer(rebasing: buf[0..<length])
            // The buffer starts as recorded, so a device that leaves it untouched changes nothing.
            target.copyMemory(from: data)
            let defined = machine.read(timestamp: t, vcpu: shape.vcpu, port: shape.port, into: target)
            guard defined, !target.prefix(known).elementsEqual(data) else { return }
            report.divergenceCount += 1
            if report.divergences.count < ReplayDriver.keptDivergences {
                report.divergences.append(Divergence(timestamp: t, vcpu: shape.vcpu, port: shape.port,
                                                     recorded: Array(data), modelled: Array(target.prefix(known))))
            }
        }
    }

    public func feed(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
        report.events &+= 1
        if marker.name == Marker.lost {
            report.lostEvents &+= marker.value
            report.lostReports &+= 1
        }
    }

    /// Replays one decoded block, walking its columns directly (the hot loop of replay).
    /// Consecutive complete `out`s of one shape, all inside the window, go to the machine as a run.
    public func feed(block: EventBlock) {
        block.withColumns { timestamps, shapeIndex, shapes, data, markers in
            var offset = 0
            var markerIndex = 0
            var i = 0
            let n = timestamps.count
            while i < n {
                let si = shapeIndex[i]
                let s = shapes[Int(si)]
                if !s.isMarker, s.shape.direction == .out, !s.shape.incomplete, i + 1 < n, shapeIndex[i + 1] == si {
                    var j = i + 1
                    while j < n && shapeIndex[j] == si { j += 1 }
                    let run = UnsafeBufferPointer(rebasing: timestamps[i..<j])
                    if run.allSatisfy({ $0 >= window.lowerBound && $0 <= window.upperBound }) {
                        if !outputOn {
                            outputOn = true
                            machine.outputEnabled = true
                        }
                        let length = s.shape.dataLength
                        let bytes = length * (j - i)
                        // SAFETY: decoding checked that the data column holds exactly the sum of the events' lengths.
                        machine.writeRun(timestamps: run, vcpu: s.shape.vcpu, port: s.shape.port, length: length,
                                         data: UnsafeRawBufferPointer(rebasing: data[offset..<offset + bytes]))
                        report.events &+= UInt64(j - i)
                        report.accesses &+= UInt64(j - i)
                        offset += bytes
                        i = j
                        continue
                    }
                }
                defer { i += 1 }
                if s.isUnknownKind { continue }
                if s.isMarker {
                    feed(timestamp: timestamps[i], vcpu: s.shape.vcpu, marker: markers[markerIndex])
                    markerIndex += 1
                    continue
                }
                let length = s.shape.dataLength
                // SAFETY: decoding checked that the data column holds exactly the sum of the events' lengths.
                feed(timestamp: timestamps[i], shape: s.shape, data: UnsafeRawBufferPointer(rebasing: data[offset..<offset + length]))
                offset += length
            }
        }
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
            if item == "off" || item == "null" { guard mode == nil else { return .failure(.init("more than one mode")) }; mode = .off }
            else if item == "tty" { guard mode == nil else { return .failure(.init("more than one mode")) }; mode = .tty }
            else if item.hasPrefix("file=") {
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
