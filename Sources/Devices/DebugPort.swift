/// The components that own ranges of POST codes (reference 1.1).
/// cloud-hypervisor's components of the POST code ranges, in boot order (`allCases` is the one
/// statement of that order: phases, reports and the export's columns follow it).
public enum DebugPortComponent: String, Sendable, CaseIterable {
    case firmware = "Firmware"
    case bootloader = "Bootloader"
    case kernel = "Kernel"
    case userspace = "Userspace"
    case custom = "Custom"

    public init(code: UInt8) {
        switch code {
        case 0x00...0x1f: self = .firmware
        case 0x20...0x3f: self = .bootloader
        case 0x40...0x5f: self = .kernel
        case 0x60...0x7f: self = .userspace
        default: self = .custom
        }
    }
}

public enum DebugPortMessage {
    /// `[Debug I/O port: Kernel code 0x41] 1.1500000 seconds`: the fraction is the *total*
    /// elapsed microseconds, zero-padded to 6 digits, as every release printed it.
    public static func text(code: UInt8, elapsedNs: UInt64) -> String {
        LogMessage.debugPortCode(code: code, elapsedNs: elapsedNs).text
    }
}

/// Port 0x80 as the bus device of v24.0+: any size, first byte logged at WARN; reads log an ERROR.
public final class DebugPort: PortDevice {
    public let name = "debug-port"
    let profile: Profile
    /// The device's time origin (VM creation).
    let origin: UInt64
    public private(set) var counters = DeviceCounters()
    /// Told of every code the release logs, in order (the boot timeline listens here).
    public var onCode: ((_ timestamp: UInt64, _ vcpu: UInt32, _ code: UInt8) -> Void)?

    public init(profile: Profile, origin: UInt64) {
        self.profile = profile
        self.origin = origin
    }

    public func write(offset: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) {
        counters.writes += 1
        guard let code = data.first else { return }
        record(code: code, context: context)
    }

    /// Logs one code; shared with the vCPU-loop interception of v0.2.0 .. v23.1.
    public func record(code: UInt8, context: DeviceContext) {
        onCode?(context.timestamp, context.vcpu, code)
        let elapsed = context.timestamp >= origin ? context.timestamp - origin : 0
        context.log.emit(
            profile.debugPortLevel, profile.debugPortLocation, .debugPortCode(code: code, elapsedNs: elapsed), context: context)
    }

    public func read(offset: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool {
        counters.reads += 1
        context.log.emit(.error, profile.debugPortReadLocation, .invalidDebugPortRead, context: context)
        return false
    }
}

/// The debug console (0xe9 by default, v38.0+): every byte written goes out verbatim; reads do nothing.
public final class DebugConsole: PortDevice {
    public let name = "debug-console"
    let sink: ByteSink
    public private(set) var counters = DeviceCounters()

    public init(sink: ByteSink) { self.sink = sink }

    @inline(__always)
    public func write(offset: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) {
        counters.writes &+= 1
        sink.write(data)
    }

    /// Writes only stream bytes out, so a run goes out in one append.
    public func writeRun(
        offset: UInt16, length: Int, data: UnsafeRawBufferPointer, timestamps: UnsafeBufferPointer<UInt64>,
        vcpu: UInt32, log: DeviceLog
    ) {
        counters.writes &+= UInt64(timestamps.count)
        sink.write(data)
    }

    public func read(offset: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool {
        counters.reads += 1
        return false
    }
}

/// The firmware debug port 0x402: 1-byte writes printed (bytes >= 0x80 widened from Latin-1 to
/// UTF-8, as Rust's `print!("{}", byte as char)` does); 1-byte reads return 0xe9; other sizes log an ERROR.
public final class FirmwareDebugPort: PortDevice {
    public let name = "firmware-debug"
    let profile: Profile
    let sink: ByteSink
    public private(set) var counters = DeviceCounters()

    public init(profile: Profile, sink: ByteSink) {
        self.profile = profile
        self.sink = sink
    }

    public func write(offset: UInt16, length: Int, data: UnsafeRawBufferPointer, context: DeviceContext) {
        counters.writes += 1
        guard length == 1, let byte = data.first else {
            counters.ignored += 1
            context.log.emit(.error, profile.firmwareDebugWriteLocation, .invalidFirmwareDebugWriteSize(length), context: context)
            return
        }
        if byte < 0x80 {
            sink.write(byte: byte)
        } else {
            sink.write(byte: 0xC0 | (byte >> 6))
            sink.write(byte: 0x80 | (byte & 0x3f))
        }
    }

    public func read(offset: UInt16, into buffer: UnsafeMutableRawBufferPointer, context: DeviceContext) -> Bool {
        counters.reads += 1
        guard buffer.count == 1 else {
            counters.ignored += 1
            context.log.emit(
                .error, profile.firmwareDebugReadLocation, .invalidFirmwareDebugReadSize(buffer.count), context: context)
            return false
        }
        buffer[0] = 0xe9
        return true
    }
}
