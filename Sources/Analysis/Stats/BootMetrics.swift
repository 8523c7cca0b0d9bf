import Devices
import Foundation
import TraceFormat

/// The timing figures of one boot that `stats` aggregates: the whole boot, each phase, each
/// named interval and each interval of the chain (the durations `stats` compares), and each
/// step's time since VM start (kept for scripts, never compared: one slow early step would move
/// every later one).
public struct BootMetrics: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case total
        case phase
        /// `--interval NAME=FROM..TO`.
        case namedInterval = "named_interval"
        /// One interval of the chain (`0x20 Bootloader -> 0x40 Kernel`).
        case interval
        /// A step's time since VM start: shown in JSON, not compared.
        case timeSinceVMStart = "time_since_vm_start"

        /// Durations that the comparison judges.
        public var isJudged: Bool { self != .timeSinceVMStart }
    }

    public struct Metric: Sendable, Hashable {
        public var kind: Kind
        public var name: String

        public init(kind: Kind, name: String) {
            self.kind = kind
            self.name = name
        }

        public static let total = Metric(kind: .total, name: "total")
    }

    public var path: String
    public var traceID: String?
    public var metadata: TraceMetadata
    public var values: [Metric: Int64]
    /// Metric order as first seen (total, phases, named intervals, the chain, step times).
    public var order: [Metric]
    /// Phases (and the total) whose end never came in this boot: they run to the end of the
    /// trace, so their length is not a duration. Left out of `values`, counted in reports.
    public var unfinished: [Metric] = []
    /// `FROM..TO` of each named interval, by name.
    public var definitions: [String: String] = [:]

    /// No boot: for building metrics by hand.
    public static var empty: BootMetrics { BootMetrics(path: "", traceID: nil, metadata: TraceMetadata(), values: [:], order: []) }

    public init(path: String, traceID: String?, metadata: TraceMetadata, values: [Metric: Int64], order: [Metric]) {
        self.path = path
        self.traceID = traceID
        self.metadata = metadata
        self.values = values
        self.order = order
    }

    public init(_ t: BootTimeline) {
        self.init(path: t.path, traceID: t.metadata.traceID, metadata: t.metadata, values: [:], order: [])
        // A name seen again in one boot (a code written twice, apart) gets `#2`, `#3`: each
        // occurrence is a figure of its own, and none is dropped.
        var seen: [Metric: Int] = [:]
        func add(_ kind: Kind, _ name: String, _ v: Int64?, unfinished: Bool = false) {
            let base = Metric(kind: kind, name: name)
            let k = seen[base, default: 0] + 1
            seen[base] = k
            let m = k == 1 ? base : Metric(kind: kind, name: "\(name) #\(k)")
            if unfinished {
                self.unfinished.append(m)
                return
            }
            guard let v else { return }
            values[m] = v
            order.append(m)
        }
        let boundless = t.phases.contains(where: \.unfinished)
        if let total = t.total { add(.total, "total", total, unfinished: boundless) }
        for p in t.phases { add(.phase, p.name, p.duration, unfinished: p.unfinished) }
        for i in t.namedIntervals {
            definitions[i.name] = "\(i.from)..\(i.to)"
            // `end` of a boot that never ended is the trace's end.
            add(.namedInterval, i.name, i.duration, unfinished: boundless && i.to == "end" && i.duration != nil)
        }
        for i in t.intervals { add(.interval, i.name, i.duration) }
        for s in t.chain { add(.timeSinceVMStart, s.label, s.time) }
    }

    /// The value of a header field or label for grouping: `labels.KEY` or a label named KEY,
    /// else a top-level field (`vmm_version`, `profile`), else a dotted path (`host.kernel`).
    public func groupKey(_ key: String) -> String? {
        let labels = metadata.labels
        if key.hasPrefix("labels.") { return labels.first { $0.0 == String(key.dropFirst(7)) }?.1 }
        if let l = labels.first(where: { $0.0 == key }) { return l.1 }
        // A header field's path: one or more non-empty names (an empty key would name the whole header).
        let path = key.split(separator: ".", omittingEmptySubsequences: false)
        guard !key.isEmpty, path.allSatisfy({ !$0.isEmpty }) else { return nil }
        var v: JSONValue? = metadata.json
        for part in path { v = v?[String(part)] }
        guard let v else { return nil }
        return v.stringValue ?? v.serialized()
    }

    /// The keys `groupKey` answers for this boot: label names, then header fields (objects as
    /// dotted paths to their values; arrays are not keys).
    public var groupKeys: [String] {
        var keys = metadata.labels.map(\.0)
        func walk(_ prefix: String, _ v: JSONValue) {
            if let o = v.objectValue {
                for (k, child) in o where !(prefix.isEmpty && k == "labels") { walk(prefix.isEmpty ? k : "\(prefix).\(k)", child) }
            } else if v.arrayValue == nil, !prefix.isEmpty {
                keys.append(prefix)
            }
        }
        walk("", metadata.json)
        return keys
    }
}
