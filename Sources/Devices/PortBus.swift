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
    // SAFETY: unowned(unsafe): a context lives only for the access it describes, while the machine,
    // which owns the log, is running it; so the reference need not be counted (one retain and one
    // release per port access saved).
    public unowned(unsafe) let log: DeviceLog

    public init(timestamp: UInt64, vcpu: UInt32, log: DeviceLog) {
        self.timestamp = timestamp
        self.vcpu = vcpu
        self.log = log
    }
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
    case full(device: String, capacity: Int)

    public var description: String {
        switch self {
        case .emptyRange(let d): return "\(d): a device needs at least one port"
        case .rangeOverflow(let d, let base, let length):
            return "\(d): range 0x\(String(base, radix: 16)) + \(length) runs past port 0xffff"
        case .overlap(let d, let other, let port): return "\(d): port 0x\(String(port, radix: 16)) already belongs to \(other)"
        case .full(let d, let capacity): return "\(d): the bus holds at most \(capacity) devices"
        }
    }
}

/// Maps port ranges to devices. The bus owns the address map; a lookup resolves by the
/// access's start port only, as cloud-hypervisor's bus does.
///
/// The lookup structures are fixed-size buffers the bus allocates once and owns: a lookup is
/// two loads, with no reference counting and no dynamic exclusivity check (a replay makes one
/// per event). `mappings` holds the devices strongly; the slots refer to them unowned.
public final class PortBus {
    public struct Mapping {
        public let base: UInt16
        public let length: Int
        public let device: PortDevice
    }

    /// The most devices a bus holds (cloud-hypervisor's x86 machines have about a dozen).
    public static let capacity = 255

    struct Slot {
        var base: UInt16
        // SAFETY: `mappings` holds a strong reference to every device a slot names, for as long
        // as the slot exists; unowned(unsafe) spares the per-access reference counting.
        unowned(unsafe) var device: PortDevice
    }

    public private(set) var mappings: [Mapping] = []
    /// Port -> slot index + 1 (0 = unclaimed): 128 KiB.
    private let table: UnsafeMutablePointer<UInt8>
    /// Slot i: the base and device of `mappings[i]`.
    private let slots: UnsafeMutablePointer<Slot>

    public init() {
        // SAFETY: both buffers are this bus's own, freed in deinit; the table is initialized
        // here, a slot by `insert` before its index enters the table.
        table = .allocate(capacity: 65536)
        table.initialize(repeating: 0, count: 65536)
        slots = .allocate(capacity: PortBus.capacity)
    }

    deinit {
        // SAFETY: slots 0..<mappings.count were initialized by `insert`; both buffers are this bus's.
        slots.deinitialize(count: mappings.count)
        slots.deallocate()
        table.deallocate()
    }

    /// Claims `length` ports from `base` for `device`. Refuses empty ranges, ranges past
    /// 0xffff, overlaps and more than `capacity` devices.
    public func insert(_ device: PortDevice, base: UInt16, length: Int) throws {
        guard length > 0 else { throw BusError.emptyRange(device: device.name) }
        let (end, overflow) = Int(base).addingReportingOverflow(length - 1)
        guard !overflow, end <= 0xffff else { throw BusError.rangeOverflow(device: device.name, base: base, length: length) }
        guard mappings.count < PortBus.capacity else { throw BusError.full(device: device.name, capacity: PortBus.capacity) }
        for port in Int(base)...end where table[port] != 0 {
            throw BusError.overlap(device: device.name, with: mappings[Int(table[port]) - 1].device.name, port: UInt16(port))
        }
        // SAFETY: `mappings.count < capacity` (checked above), so the slot is inside the buffer and not yet initialized.
        (slots + mappings.count).initialize(to: Slot(base: base, device: device))
        mappings.append(Mapping(base: base, length: length, device: device))
        for port in Int(base)...end { table[port] = UInt8(mappings.count) }
    }

    /// The slot of the device claiming `port`, if any.
    @inline(__always)
    private func slot(_ port: UInt16) -> Slot? {
        // SAFETY: `table` has 65536 entries, one per port; a non-zero entry is an initialized slot's index + 1,
        // and the device it names is kept alive by `mappings`.
        let i = Int(table[Int(port)])
        return i == 0 ? nil : slots[i - 1]
    }

    /// Hands a write to the device claiming `port`. Returns false when no device claims it.
    @inline(__always)
    public func write(port: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) -> Bool {
        guard let s = slot(port) else { return false }
        s.device.write(offset: port &- s.base, length: length, data: data, context: context)
        return true
    }

    /// Hands a run of same-shape writes to the device claiming `port`. Returns false when unclaimed.
    public func writeRun(
        port: UInt16, length: Int, data: UnsafeRawBufferPointer, timestamps: UnsafeBufferPointer<UInt64>,
        vcpu: UInt32, log: DeviceLog
    ) -> Bool {
        guard let s = slot(port) else { return false }
        s.device.writeRun(offset: port &- s.base, length: length, data: data, timestamps: timestamps, vcpu: vcpu, log: log)
        return true
    }

    /// Hands a read to the device claiming `port`: nil when unclaimed, else whether the device filled the buffer.
    @inline(__always)
    public func read(port: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool? {
        guard let s = slot(port) else { return nil }
        return s.device.read(offset: port &- s.base, into: buffer, context: context)
    }

    /// The device claiming `port` and the offset within its range.
    @inline(__always)
    public func lookup(_ port: UInt16) -> (device: PortDevice, offset: UInt16)? {
        guard let s = slot(port) else { return nil }
        return (s.device, port &- s.base)
    }
}
