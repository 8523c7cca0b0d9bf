/// A machine to build: the release it behaves as, its devices, and its time origin.
public struct MachineConfiguration: Sendable {
    public var profile: Profile
    /// The 0x80 device's time origin: monotonic ns of VM creation.
    public var vmOrigin: UInt64
    /// The devices and where they sit. Port 0x80 follows the release, whatever the map says
    /// (cloud-hypervisor always has it on x86, from v0.2.0).
    public var devices: DeviceMap

    public init(profile: Profile, vmOrigin: UInt64, devices: DeviceMap) {
        self.profile = profile
        self.vmOrigin = vmOrigin
        self.devices = devices
    }

    /// The release's default devices plus a debug console at `debugConsolePort`.
    public init(profile: Profile, vmOrigin: UInt64, debugConsolePort: UInt16? = nil) {
        self.init(profile: profile, vmOrigin: vmOrigin, devices: .defaults(for: profile, debugConsole: debugConsolePort))
    }
}

/// The sinks of a machine's console-type outputs.
public struct MachineSinks {
    public var log: ByteSink
    public var debugConsole: ByteSink
    public var firmwareDebug: ByteSink
    public var serial: ByteSink

    public init(log: ByteSink, debugConsole: ByteSink, firmwareDebug: ByteSink, serial: ByteSink) {
        self.log = log
        self.debugConsole = debugConsole
        self.firmwareDebug = firmwareDebug
        self.serial = serial
    }

    public var all: [ByteSink] { [log, debugConsole, firmwareDebug, serial] }
}

/// cloud-hypervisor's x86 port-I/O devices for one release, driven one access at a time.
/// The same object serves the live recorder and offline replay: feed it accesses in the
/// recorded order with the recorded times and it prints the same bytes.
public final class DebugMachine {
    public let configuration: MachineConfiguration
    public let bus = PortBus()
    public let log: DeviceLog
    public let sinks: MachineSinks
    public let debugPort: DebugPort?
    public private(set) var unclaimedReads: UInt64 = 0
    public private(set) var unclaimedWrites: UInt64 = 0
    let interceptDebugPort: Bool
    let profile: Profile

    public init(configuration: MachineConfiguration, log: DeviceLog, sinks: MachineSinks) throws {
        self.configuration = configuration
        self.log = log
        self.sinks = sinks
        profile = configuration.profile

        switch profile.debugPortEra {
        case .absent:
            debugPort = nil
            interceptDebugPort = false
        case .intercepted:
            debugPort = DebugPort(profile: profile, origin: configuration.vmOrigin)
            interceptDebugPort = true
        case .busDevice:
            let d = DebugPort(profile: profile, origin: configuration.vmOrigin)
            debugPort = d
            interceptDebugPort = false
            try bus.insert(d, base: DeviceMap.debugPortAddress, length: 1)
        }
        let map = configuration.devices
        if let port = map.port(of: .serial) {
            try bus.insert(Serial16550(sink: sinks.serial), base: port, length: Int(DeviceMap.serialLength))
        }
        if let port = map.port(of: .firmwareDebug) {
            try bus.insert(FirmwareDebugPort(profile: profile, sink: sinks.firmwareDebug), base: port, length: 1)
        }
        if let port = map.port(of: .debugConsole) {
            try bus.insert(DebugConsole(sink: sinks.debugConsole), base: port, length: 1)
        }
        // The release's fixed devices, as the map places them.
        for fixed in DeviceMap.fixedDevices(for: profile.release) {
            let device: any PortDevice
            switch fixed.kind {
            case .i8042: device = I8042()
            case .acpiShutdown: device = ACPIShutdown()
            case .passive(let name): device = PassiveDevice(name: name)
            }
            try bus.insert(device, base: fixed.port, length: fixed.length)
        }
    }

    /// A guest `out`: `length` = size x count bytes; `data` the bytes known.
    @inline(__always)
    public func write(timestamp: UInt64, vcpu: UInt32, port: UInt16, length: Int, data: UnsafeRawBufferPointer) {
        let context = DeviceContext(timestamp: timestamp, vcpu: vcpu, log: log)
        if interceptDebugPort && port == DeviceMap.debugPortAddress {
            // v0.2.0 .. v23.1: the vCPU loop logs 1-byte writes, then (v0.10/v0.11 always,
            // later only for other sizes) the access falls through to an empty bus.
            if length == 1, let code = data.first { debugPort!.record(code: code, context: context) }
            if length == 1 && !profile.everyDebugPortWriteWarns { return }
        }
        if !bus.write(port: port, length: length, data: data, context: context) {
            unclaimedWrites += 1
            log.emit(
                profile.unregisteredLevel ?? .trace, profile.unregisteredWriteLocation,
                .unregisteredWrite(port: port), context: context)
        }
    }

    /// A run of guest `out`s of one shape (same vCPU, port and length), data adjacent in `data`:
    /// the same effect as calling `write` for each, in order.
    public func writeRun(timestamps: UnsafeBufferPointer<UInt64>, vcpu: UInt32, port: UInt16, length: Int, data: UnsafeRawBufferPointer) {
        if interceptDebugPort && port == DeviceMap.debugPortAddress || bus.lookup(port) == nil {
            var at = 0
            for t in timestamps {
                // SAFETY: the caller passes `timestamps.count * length` bytes, so every slice `at..<at + length` is inside `data`.
                write(timestamp: t, vcpu: vcpu, port: port, length: length, data: UnsafeRawBufferPointer(rebasing: data[at..<at + length]))
                at += length
            }
            return
        }
        _ = bus.writeRun(port: port, length: length, data: data, timestamps: timestamps, vcpu: vcpu, log: log)
    }

    /// A guest `in` of `buffer.count` bytes. Returns false when the VMM left the buffer as it was.
    public func read(timestamp: UInt64, vcpu: UInt32, port: UInt16, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let context = DeviceContext(timestamp: timestamp, vcpu: vcpu, log: log)
        if let filled = bus.read(port: port, into: buffer, context: context) { return filled }
        unclaimedReads += 1
        log.emit(
            profile.unregisteredLevel ?? .trace, profile.unregisteredReadLocation,
            .unregisteredRead(port: port, readFrom: profile.unregisteredReadFillsOnes), context: context)
        if profile.unregisteredReadFillsOnes {
            for i in 0..<buffer.count { buffer[i] = 0xff }
            return true
        }
        return false
    }

    /// Accesses the devices ignored (wrong size, unknown register), summed over the bus.
    public var ignoredAccesses: UInt64 { bus.mappings.reduce(0) { $0 + $1.device.counters.ignored } }

    /// Outputs on or off (a replay window turns them on at `--from`).
    public var outputEnabled: Bool = true {
        didSet {
            log.enabled = outputEnabled
            for s in sinks.all { s.enabled = outputEnabled }
        }
    }

    /// Flushes every sink; files are moved into place.
    /// All outputs or none: every sink is flushed and synced first, and only then are the files
    /// moved into place, so a full disk leaves no output file at all.
    public func finish() throws {
        var seen = Set<ObjectIdentifier>()
        let unique = sinks.all.filter { seen.insert(ObjectIdentifier($0)).inserted }
        do {
            for s in unique { try s.prepare() }
        } catch {
            for s in unique { s.abandon() }
            throw error
        }
        for s in unique { try s.commit() }
    }
}
