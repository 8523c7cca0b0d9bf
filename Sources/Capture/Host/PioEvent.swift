// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Devices
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

#endif
