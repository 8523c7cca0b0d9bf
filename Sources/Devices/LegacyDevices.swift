/// The i8042 "just enough to reset" device at 0x61-0x64: reads of 0x61 return 0x20, of 0x64 return 0.
public final class I8042: PortDevice {
    public let name = "i8042"
    public private(set) var resetRequests: UInt64 = 0
    public init() {}

    public func write(offset: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) {
        if offset == 3, length == 1, data.first == 0xFE { resetRequests += 1 }
    }

    public func read(offset: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool {
        guard buffer.count == 1 else { return false }
        switch offset {
        case 0:
            buffer[0] = 0x20
            return true
        case 3:
            buffer[0] = 0x00
            return true
        default: return false
        }
    }
}

/// The ACPI shutdown/reset register: reads return zeros.
public final class ACPIShutdown: PortDevice {
    public let name: String
    public init(name: String = "acpi-shutdown") { self.name = name }
    public func write(offset: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) {}
    public func read(offset: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool {
        for i in 0..<buffer.count { buffer[i] = 0 }
        return true
    }
}

/// A device cloud-hypervisor had whose values depend on things a trace does not hold
/// (CMOS clock, PCI configuration, PM timer): it claims its ports, so no "unregistered" line
/// is printed, and leaves reads to the recorded value.
public final class PassiveDevice: PortDevice {
    public let name: String
    public init(name: String) { self.name = name }
    public func write(offset: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) {}
    public func read(offset: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool { false }
}
