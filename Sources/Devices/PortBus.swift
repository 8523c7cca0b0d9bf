/// A device on the port-I/O bus. It sees offsets within its range, never absolute ports.
public protocol PortDevice: AnyObject {
    var name: String { get }
    /// A guest write of `length` bytes (size x count); `data` holds the bytes known
    /// (all of them, or only the first element for an incomplete string-I/O event).
    func write(offset: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext)
    /// A guest read of `buffer.count` bytes. Returns false when the device leaves the buffer untouched.
    func read(offset: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool
    /// A run of writes of the same shape at `timestamps`, each `length` bytes, their data adjacent
    /// in `data`. The default hands them to `write` one by one; a device whose writes only stream
    /// bytes out may take the run at once.
    func writeRun(
        offset: UInt16, length: Int, data: UnsafeRawBufferPointer, timestamps: UnsafeBufferPointer<UInt64>,
        vcpu: UInt32, log: DeviceLog)
    /// Accesses handled and ignored, for reports.
    var counters: DeviceCounters { get }
}

extension PortDevice {
    public var counters: DeviceCounters { DeviceCounters() }

    public func writeRun(
        offset: UInt16, length: Int, data: UnsafeRawBufferPointer, timestamps: UnsafeBufferPointer<UInt64>,
        vcpu: UInt32, log: DeviceLog
    ) {
        var at = 0
        for t in timestamps {
            write(
                // SAFETY: the caller passes `timestamps.count * length` bytes, so every slice `at..<at + length` is inside `data`.
                offset: offset, length: length, data: UnsafeRawBufferPointer(rebasing: data[at..<at + length]),
                context: DeviceContext(timestamp: t, vcpu: vcpu, log: log))
            at += length
        }
    }
}

/// What a device may use while handling an access: the time, the vCPU and the log.
public struct DeviceContext {
    public let timestamp: UInt64
    public let vcpu: UInt32
    public let log: DeviceLog
}

/// Counters kept per device, as Firecracker keeps missed reads and writes.
public struct DeviceCounters: Sendable, Equatable {
    public var reads: UInt64 = 0
    public var writes: UInt64 = 0
    /// Accesses the device ignored (wrong size, unknown offset).
    public var ignored: UInt64 = 0
}

public enum BusError: Error, Equatable, CustomStringConvertible {
    case emptyRange(device: String)
    case rangeOverflow(device: String, base: UInt16, length: Int)
    case overlap(device: String, with: String, port: UInt16)

    public var description: String {
        switch self {
        case .emptyRange(let d): return "\(d): a device needs at least one port"
        case .rangeOverflow(let d, let base, let length):
            return "\(d): range 0x\(String(base, radix: 16)) + \(length) runs past port 0xffff"
        case .overlap(let d, let other, let port): return "\(d): port 0x\(String(port, radix: 16)) already belongs to \(other)"
        }
    }
}

/// Maps port ranges to devices. The bus owns the address map; a lookup resolves by the
/// access's start port only, as cloud-hypervisor's bus does.
public final class PortBus {
    public struct Mapping {
        public let base: UInt16
        public let length: Int
        public let device: PortDevice
    }

    public private(set) var mappings: [Mapping] = []
    /// Port -> index into `mappings` + 1 (0 = unclaimed). 128 KiB, one load per lookup.
    private var table = [UInt16](repeating: 0, count: 65536)

    public init() {}

    /// Claims `length` ports from `base` for `device`. Refuses empty ranges, ranges past
    /// 0xffff and overlaps.
    public func insert(_ device: PortDevice, base: UInt16, length: Int) throws {
        guard length > 0 else { throw BusError.emptyRange(device: device.name) }
        let (end, overflow) = Int(base).addingReportingOverflow(length - 1)
        guard !overflow, end <= 0xffff else { throw BusError.rangeOverflow(device: device.name, base: base, length: length) }
        for port in Int(base)...end where table[port] != 0 {
            throw BusError.overlap(device: device.name, with: mappings[Int(table[port]) - 1].device.name, port: UInt16(port))
        }
        mappings.append(Mapping(base: base, length: length, device: device))
        for port in Int(base)...end { table[port] = UInt16(mappings.count) }
    }

    /// Hands a write to the device claiming `port`. Returns false when no device claims it.
    @inline(__always)
    public func write(port: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) -> Bool {
        let i = Int(table[Int(port)])
        guard i != 0 else { return false }
        // SAFETY: `i - 1` indexes `mappings`: the table only holds indices of inserted mappings plus one.
        mappings.withUnsafeBufferPointer { m in
            let mapping = m[i - 1]
            mapping.device.write(offset: port &- mapping.base, length: length, data: data, context: context)
        }
        return true
    }

    /// Hands a run of same-shape writes to the device claiming `port`. Returns false when unclaimed.
    public func writeRun(
        port: UInt16, length: Int, data: UnsafeRawBufferPointer, timestamps: UnsafeBufferPointer<UInt64>,
        vcpu: UInt32, log: DeviceLog
    ) -> Bool {
        let i = Int(table[Int(port)])
        guard i != 0 else { return false }
        let mapping = mappings[i - 1]
        mapping.device.writeRun(offset: port &- mapping.base, length: length, data: data, timestamps: timestamps, vcpu: vcpu, log: log)
        return true
    }

    /// Hands a read to the device claiming `port`: nil when unclaimed, else whether the device filled the buffer.
    @inline(__always)
    public func read(port: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool? {
        let i = Int(table[Int(port)])
        guard i != 0 else { return nil }
        let mapping = mappings[i - 1]
        return mapping.device.read(offset: port &- mapping.base, into: buffer, context: context)
    }

    /// The device claiming `port` and the offset within its range.
    @inline(__always)
    public func lookup(_ port: UInt16) -> (device: PortDevice, offset: UInt16)? {
        let i = Int(table[Int(port)])
        guard i != 0 else { return nil }
        let m = mappings[i - 1]
        return (m.device, port - m.base)
    }
}
