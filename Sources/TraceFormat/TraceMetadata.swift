/// What a trace says about where it came from: a JSON object whose known keys
/// have typed accessors. Unknown keys are kept and written back unchanged.
public struct TraceMetadata: Equatable, Sendable {
    public private(set) var fields: [(String, JSONValue)]

    public static func == (a: TraceMetadata, b: TraceMetadata) -> Bool { JSONValue.object(a.fields) == .object(b.fields) }

    public init(fields: [(String, JSONValue)] = []) { self.fields = fields }

    public init(json: JSONValue) throws {
        guard case .object(let pairs) = json else { throw TraceError.badMetadata("metadata is not a JSON object") }
        fields = pairs
    }

    public subscript(key: String) -> JSONValue? {
        get { fields.last(where: { $0.0 == key })?.1 }
        set {
            if let i = fields.firstIndex(where: { $0.0 == key }) {
                if let v = newValue { fields[i].1 = v } else { fields.remove(at: i) }
            } else if let v = newValue {
                fields.append((key, v))
            }
        }
    }

    public var json: JSONValue { .object(fields) }

    // MARK: Known keys (documented in docs/trace-format.md)

    /// How the trace was made.
    public enum Source: String, Sendable, CaseIterable {
        case kvmRun = "kvm-run"
        case tracefs = "tracefs"
        case `import` = "import"
    }

    public var source: String? {
        get { self["source"]?.stringValue }
        set { self["source"] = newValue.map(JSONValue.string) }
    }

    /// Monotonic ns when the VMM process started (the logger's origin).
    public var vmmStartNs: UInt64? {
        get { self["vmm_start_ns"]?.uint64Value }
        set { self["vmm_start_ns"] = newValue.map(JSONValue.uint) }
    }

    /// Monotonic ns when the VM was created (the 0x80 device's origin).
    public var vmStartNs: UInt64? {
        get { self["vm_start_ns"]?.uint64Value }
        set { self["vm_start_ns"] = newValue.map(JSONValue.uint) }
    }

    public var vcpus: UInt32? {
        get { self["vcpus"]?.uint64Value.flatMap { UInt32(exactly: $0) } }
        set { self["vcpus"] = newValue.map { .uint(UInt64($0)) } }
    }

    public var clock: String? {
        get { self["clock"]?.stringValue }
        set { self["clock"] = newValue.map(JSONValue.string) }
    }

    /// A realtime reading taken at a known monotonic instant.
    public var wallclockAnchor: (realtimeNs: UInt64, monotonicNs: UInt64)? {
        get {
            guard let a = self["wallclock_anchor"], let r = a["realtime_ns"]?.uint64Value, let m = a["monotonic_ns"]?.uint64Value
            else { return nil }
            return (r, m)
        }
        set {
            self["wallclock_anchor"] = newValue.map {
                .object([("realtime_ns", .uint($0.realtimeNs)), ("monotonic_ns", .uint($0.monotonicNs))])
            }
        }
    }

    public var vmmPid: UInt64? {
        get { self["vmm_pid"]?.uint64Value }
        set { self["vmm_pid"] = newValue.map(JSONValue.uint) }
    }

    public var labels: [(String, String)] {
        get { (self["labels"]?.objectValue ?? []).compactMap { k, v in v.stringValue.map { (k, $0) } } }
        set { self["labels"] = newValue.isEmpty ? nil : .object(newValue.map { ($0.0, .string($0.1)) }) }
    }

    public mutating func setLabel(_ key: String, _ value: String) {
        var l = labels
        if let i = l.firstIndex(where: { $0.0 == key }) { l[i].1 = value } else { l.append((key, value)) }
        labels = l
    }

    /// A random 128-bit identifier (32 hex digits) for `trace_id`, so reports and exports can tell
    /// traces apart whatever their paths.
    public static func newTraceID() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let v = rng.next() as UInt64
            let hex = String(v, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// The trace's `trace_id`, when it has one (traces written before 0.2 have none).
    public var traceID: String? {
        get { self["trace_id"]?.stringValue }
        set { self["trace_id"] = newValue.map(JSONValue.string) }
    }

    /// Stores `key=value` labels; an item without `=` gets an empty value.
    public mutating func applyLabels(_ labels: [String]) {
        for l in labels {
            let kv = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            setLabel(String(kv[0]), kv.count == 2 ? String(kv[1]) : "")
        }
    }
}
