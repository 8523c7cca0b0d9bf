/// Counts over a whole trace, as `info` shows them.
public struct TraceSummary: Sendable {
    public var events: UInt64 = 0
    public var accesses: UInt64 = 0
    public var markers: UInt64 = 0
    public var perPort: [UInt16: UInt64] = [:]
    public var perVCPU: [UInt32: UInt64] = [:]
    public var markerCounts: [String: UInt64] = [:]
    /// Events whose string-I/O data holds only the first element.
    public var incompleteEvents: UInt64 = 0
    /// Sum of the values of "lost" markers: events the recorder could not capture.
    public var lostEvents: UInt64 = 0
    public var firstTimestamp: UInt64?
    public var lastTimestamp: UInt64?
    public var minTimestamp: UInt64?
    public var maxTimestamp: UInt64?
    /// Blocks whose timestamps use the value coding of format 2 (the rest use byte planes).
    public var valueCodedBlocks = 0

    public init() {}

    /// Span from the earliest to the latest event timestamp, in ns.
    public var durationNs: UInt64 {
        guard let lo = minTimestamp, let hi = maxTimestamp else { return 0 }
        return hi - lo
    }

    public mutating func add(_ block: EventBlock) {
        if block.valueCodedTimestamps { valueCodedBlocks += 1 }
        block.forEachAccess(
            { t, shape, _ in
                note(t)
                accesses += 1
                perPort[shape.port, default: 0] += 1
                perVCPU[shape.vcpu, default: 0] += 1
                if shape.incomplete { incompleteEvents += 1 }
            },
            marker: { t, _, m in
                note(t)
                markers += 1
                markerCounts[m.name, default: 0] += 1
                if m.name == Marker.lost { lostEvents &+= m.value }
            })
    }

    @inline(__always)
    private mutating func note(_ t: UInt64) {
        events += 1
        if firstTimestamp == nil { firstTimestamp = t }
        lastTimestamp = t
        minTimestamp = min(minTimestamp ?? t, t)
        maxTimestamp = max(maxTimestamp ?? t, t)
    }

    /// The summary keys shared by `info --json` and the `dump --header` line.
    public func jsonFields(vcpus: UInt32?) -> [(String, JSONValue)] {
        let ports = perPort.keys.sorted().map { (TraceSummary.portName($0), JSONValue.uint(perPort[$0]!)) }
        let vcpuCounts = perVCPU.keys.sorted().map { (String($0), JSONValue.uint(perVCPU[$0]!)) }
        return [
            ("events", .uint(events)),
            ("duration_ns", .uint(durationNs)),
            ("ports", .object(ports)),
            ("vcpu_events", .object(vcpuCounts)),
            ("incomplete_events", .uint(incompleteEvents)),
            ("lost_events", .uint(lostEvents)),
        ]
    }

    public static func portName(_ port: UInt16) -> String { "0x" + String(port, radix: 16) }
}
