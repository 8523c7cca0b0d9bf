/// Direction of a port access, as seen by the guest.
public enum PortDirection: UInt8, Sendable, CustomStringConvertible {
    /// The guest wrote (`out`, `outs`).
    case out = 0
    /// The guest read (`in`, `ins`); the data is what the device returned.
    case `in` = 1

    public var description: String { self == .out ? "out" : "in" }
}

/// One port access: everything that distinguishes accesses except time and data.
/// Events of one block that share a shape are stored once in the block's shape table.
public struct EventShape: Hashable, Sendable {
    public var vcpu: UInt32
    public var port: UInt16
    public var direction: PortDirection
    /// Access width in bytes: 1, 2 or 4.
    public var size: UInt8
    /// Repeat count of string I/O (`rep outsb`); 1 for a plain access.
    public var count: UInt32
    /// Only the first element's value is known (the kvm_pio tracepoint's limit for string I/O).
    public var incomplete: Bool

    public init(vcpu: UInt32, port: UInt16, direction: PortDirection, size: UInt8, count: UInt32 = 1, incomplete: Bool = false) {
        self.vcpu = vcpu
        self.port = port
        self.direction = direction
        self.size = size
        self.count = count
        self.incomplete = incomplete
    }

    /// Bytes of data the event carries: size x count, or only the first element when incomplete.
    public var dataLength: Int { incomplete ? Int(size) : Int(size) * Int(count) }
}

/// A recorder note at a point in time: "vm_created", "lost" (value = events lost), "vcpu_halted", ...
/// Names are open-ended; readers pass unknown names through.
public struct Marker: Equatable, Hashable, Sendable {
    public var name: String
    public var value: UInt64
    public var text: String

    public init(_ name: String, value: UInt64 = 0, text: String = "") {
        self.name = name
        self.value = value
        self.text = text
    }

    public static let vmmStarted = "vmm_started"
    public static let vmCreated = "vm_created"
    public static let lost = "lost"
    public static let vcpuHalted = "vcpu_halted"
    public static let guestHalted = "guest_halted"
    public static let shutdown = "shutdown"
    public static let timeout = "timeout"
    public static let signal = "signal"
    public static let traceClosed = "trace_closed"
    /// Why the recorder ended a boot itself: value 0 when `--until` was met (text: what met
    /// it), 1 when the boot passed `--boot-timeout` (a failed boot), 2 when the VMM failed
    /// (text: its status).
    public static let bootEnded = "boot_ended"
    /// Before an event whose log line an import read: the logger's elapsed time (ns) that line
    /// printed, for the next record of the marker's vCPU (the logger's clock and the device's are
    /// read at slightly different instants, by a gap that varies from line to line).
    public static let loggerTime = "logger_time"
    /// Before an event whose log line an import read: the wall-clock time (ns since 1970, UTC)
    /// that line's wall-clock tokens printed, for the next record of the marker's vCPU.
    public static let loggerWallclock = "logger_wallclock"
}

/// One recorded event: a port access with its data, or a marker.
public struct PortIOEvent: Equatable, Sendable {
    public enum Payload: Equatable, Sendable {
        case access(EventShape, data: [UInt8])
        case marker(Marker)
    }

    /// CLOCK_MONOTONIC nanoseconds.
    public var timestamp: UInt64
    public var vcpu: UInt32
    public var payload: Payload

    public init(timestamp: UInt64, vcpu: UInt32, payload: Payload) {
        self.timestamp = timestamp
        self.vcpu = vcpu
        self.payload = payload
    }

    public static func access(
        at t: UInt64, vcpu: UInt32 = 0, port: UInt16, _ direction: PortDirection,
        size: UInt8 = 1, count: UInt32 = 1, incomplete: Bool = false, data: [UInt8]
    ) -> PortIOEvent {
        let shape = EventShape(vcpu: vcpu, port: port, direction: direction, size: size, count: count, incomplete: incomplete)
        return PortIOEvent(timestamp: t, vcpu: vcpu, payload: .access(shape, data: data))
    }

    public static func marker(at t: UInt64, vcpu: UInt32 = 0, _ marker: Marker) -> PortIOEvent {
        PortIOEvent(timestamp: t, vcpu: vcpu, payload: .marker(marker))
    }

    public var shape: EventShape? { if case .access(let s, _) = payload { return s } else { return nil } }
    public var marker: Marker? { if case .marker(let m) = payload { return m } else { return nil } }
}
