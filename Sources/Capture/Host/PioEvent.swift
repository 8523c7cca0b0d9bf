// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import TraceFormat

/// One `kvm:kvm_pio` record, as the tracepoint carries it.
public struct PioRecord: Equatable, Sendable {
    /// Trace-clock (mono) nanoseconds.
    public var timestamp: UInt64
    /// The thread that made the access.
    public var tid: Int32
    /// 1 for a write (OUT), 0 for a read (IN).
    public var rw: UInt32
    public var port: UInt32
    public var size: UInt32
    public var count: UInt32
    /// The first element's value (the tracepoint holds only that for string I/O).
    public var value: UInt32

    public init(timestamp: UInt64, tid: Int32, rw: UInt32, port: UInt32, size: UInt32, count: UInt32, value: UInt32) {
        self.timestamp = timestamp
        self.tid = tid
        self.rw = rw
        self.port = port
        self.size = size
        self.count = count
        self.value = value
    }

    /// The trace event: data is the value's low `size` bytes, little-endian; a count above 1
    /// keeps its count and is marked incomplete. Nil for a record no x86 access can produce.
    public func event(vcpu: UInt32) -> PortIOEvent? {
        guard size == 1 || size == 2 || size == 4, port <= 0xffff, count >= 1 else { return nil }
        let data = (0..<Int(size)).map { UInt8(truncatingIfNeeded: value >> UInt32($0 * 8)) }
        let shape = EventShape(
            vcpu: vcpu, port: UInt16(port), direction: rw != 0 ? .out : .in,
            size: UInt8(size), count: count, incomplete: count > 1)
        return PortIOEvent(timestamp: timestamp, vcpu: vcpu, payload: .access(shape, data: data))
    }
}

/// Assigns vCPU indices to threads: by thread name where the VMM names its vCPU threads,
/// otherwise in order of first appearance (and says so with a marker).
public struct VCPUAssigner: Sendable {
    public private(set) var byTID: [Int32: UInt32] = [:]
    private var nextUnnamed: UInt32 = 0
    public private(set) var unmappedThreads = 0

    public init() {}

    /// The vCPU for `tid`; `name` is consulted the first time a thread is seen. Returns the
    /// index and, the first time, a marker describing the mapping.
    public mutating func vcpu(for tid: Int32, name: () -> String?) -> (UInt32, Marker?) {
        if let v = byTID[tid] { return (v, nil) }
        let threadName = name()
        if let n = threadName, let v = VCPUThreadNames.vcpuIndex(threadName: n) {
            byTID[tid] = v
            return (v, Marker("vcpu_thread", value: UInt64(v), text: "tid \(tid) \"\(n)\""))
        }
        // Unknown names: give indices past any named vCPU seen so far, in order of appearance.
        let used = Set(byTID.values)
        while used.contains(nextUnnamed) { nextUnnamed += 1 }
        let v = nextUnnamed
        nextUnnamed += 1
        byTID[tid] = v
        unmappedThreads += 1
        return (
            v,
            Marker(
                "vcpu_unmapped", value: UInt64(v),
                text: "tid \(tid) \(threadName.map { "\"\($0)\"" } ?? "(thread gone)") is not a known vCPU thread name")
        )
    }
}

#endif
