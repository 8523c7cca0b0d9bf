import Foundation
import TraceFormat

/// The debug devices of one machine and the ports they sit at: the one description that
/// `run` and `record` write into a trace, that `replay`, `info` and the analysis commands
/// read back, and that comparisons compare. Every model name and fixed port lives here.
public struct DeviceMap: Equatable, Sendable, CustomStringConvertible {
    /// A device model, by the name a trace stores. Names this porttrace does not know are kept.
    public struct Model: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Port 0x80: POST codes, logged by the VMM.
        public static let debugPort = Model(rawValue: "debug-port")
        /// cloud-hypervisor's `--debug-console` (QEMU's isa-debugcon elsewhere than 0x402).
        public static let debugConsole = Model(rawValue: "debug-console")
        /// Port 0x402, where firmware prints.
        public static let firmwareDebug = Model(rawValue: "firmware-debug")
        /// The 16550 UART at 0x3f8.
        public static let serial = Model(rawValue: "serial")
    }

    public struct Device: Equatable, Sendable {
        public var model: Model
        public var port: UInt16
        public var length: UInt16

        public init(model: Model, port: UInt16, length: UInt16) {
            self.model = model
            self.port = port
            self.length = length
        }
    }

    // cloud-hypervisor's x86 addresses.
    public static let debugPortAddress: UInt16 = 0x80
    public static let defaultDebugConsolePort: UInt16 = 0xe9
    public static let firmwareDebugAddress: UInt16 = 0x402
    public static let serialAddress: UInt16 = 0x3f8
    public static let serialLength: UInt16 = 8

    public private(set) var devices: [Device]

    public init(_ devices: [Device] = []) { self.devices = devices }

    /// A device of a known model at its usual place (`port` moves the debug console).
    public static func device(_ model: Model, port: UInt16? = nil) -> Device {
        switch model {
        case .debugPort: return Device(model: model, port: debugPortAddress, length: 1)
        case .firmwareDebug: return Device(model: model, port: port ?? firmwareDebugAddress, length: 1)
        case .serial: return Device(model: model, port: port ?? serialAddress, length: serialLength)
        default: return Device(model: model, port: port ?? defaultDebugConsolePort, length: 1)
        }
    }

    /// Adds a device (replacing one of the same model).
    public mutating func add(_ model: Model, port: UInt16? = nil) {
        remove(model)
        devices.append(DeviceMap.device(model, port: port))
    }

    /// Adds a debug-console-type device another VMM has at `port`: at 0x402, where
    /// cloud-hypervisor's firmware debug port sits, it is that device; anywhere else, the debug
    /// console (QEMU's `isa-debugcon`, `record --debug-console iobase=`).
    public mutating func addConsole(at port: UInt16) {
        add(port == DeviceMap.firmwareDebugAddress ? .firmwareDebug : .debugConsole, port: port)
    }

    public mutating func remove(_ model: Model) { devices.removeAll { $0.model == model } }

    /// Removes whatever device sits at `port`.
    public mutating func remove(port: UInt16) { devices.removeAll { $0.port == port } }

    public func has(_ model: Model) -> Bool { devices.contains { $0.model == model } }

    public func port(of model: Model) -> UInt16? { devices.first { $0.model == model }?.port }

    public var models: [Model] { devices.map(\.model) }

    /// `debug-port@0x80, serial@0x3f8`.
    public var description: String {
        devices.map { "\($0.model)@0x\(String($0.port, radix: 16))" }.joined(separator: ", ")
    }

    // MARK: In a trace

    /// The map a trace recorded, or nil when it recorded none (replay then uses the release's devices).
    public init?(metadata: TraceMetadata) {
        guard let list = metadata["devices"]?.arrayValue else { return nil }
        devices = list.compactMap { v in
            guard let model = v["model"]?.stringValue, let port = v["port"]?.uint64Value, let p = UInt16(exactly: port) else { return nil }
            let length = v["length"]?.uint64Value.flatMap { UInt16(exactly: $0) } ?? 1
            return Device(model: Model(rawValue: model), port: p, length: length)
        }
    }

    /// Writes the map into a trace's metadata (`devices`, and `debug_console_iobase` when there is a console).
    public func store(in metadata: inout TraceMetadata) {
        metadata["devices"] = .array(
            devices.map {
                .object([("model", .string($0.model.rawValue)), ("port", .uint(UInt64($0.port))), ("length", .uint(UInt64($0.length)))])
            })
        metadata["debug_console_iobase"] = port(of: .debugConsole).map { .uint(UInt64($0)) }
    }

    // MARK: Per release

    /// A device a release always has at a fixed place, which prints nothing: its ports must
    /// not look unregistered (no "unregistered address" line for them).
    public struct FixedDevice: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// The i8042's reset line (a write of 0xfe ends the VM).
            case i8042
            /// The ACPI shutdown/reboot device.
            case acpiShutdown
            /// A device whose accesses change nothing porttrace models.
            case passive(name: String)
        }
        public let kind: Kind
        public let port: UInt16
        public let length: Int
    }

    /// The fixed devices of `release`, with the releases that have each.
    public static func fixedDevices(for release: Release) -> [FixedDevice] {
        func at(_ a: Int, _ b: Int, _ c: Int = 0) -> Release { Release.r(a, b, c) }
        func d(_ kind: FixedDevice.Kind, _ port: UInt16, _ length: Int) -> FixedDevice {
            FixedDevice(kind: kind, port: port, length: length)
        }
        let r = release
        var out = [d(.i8042, 0x61, 4), d(.passive(name: "pci-config"), 0xcf8, 8)]
        if r >= at(0, 3, 0) { out.append(d(.passive(name: "cmos"), 0x70, 2)) }
        if r <= at(27, 0) { out.append(d(.acpiShutdown, 0x3c0, 4)) }
        if r >= at(26, 0) { out.append(d(.acpiShutdown, 0x600, 4)) }
        if r >= at(0, 9, 0) && r <= at(27, 0) { out.append(d(.passive(name: "pm-timer"), 0xb008, 4)) }
        if r >= at(26, 0) { out.append(d(.passive(name: "pm-timer"), 0x608, 4)) }
        if r <= at(0, 12, 0) {
            if r >= at(0, 4, 0) { out.append(d(.passive(name: "ged"), 0xb000, 1)) }
            if r >= at(0, 5, 0) { out.append(d(.passive(name: "memory-hotplug"), 0xa00, 0x18)) }
            if r >= at(0, 6, 0) {
                out.append(d(.passive(name: "pci-hotplug"), 0xae00, 0x10))
                out.append(d(.passive(name: "cpu-hotplug"), 0x0cd8, 0xc))
            }
        }
        return out
    }

    /// What an official build of `profile` has with no options, plus a debug console at `debugConsole`.
    public static func defaults(for profile: Profile, debugConsole: UInt16? = nil) -> DeviceMap {
        var map = DeviceMap()
        if profile.debugPortEra != .absent { map.add(.debugPort) }
        if let debugConsole { map.add(.debugConsole, port: debugConsole) }
        if profile.firmwareDebugByDefault { map.add(.firmwareDebug) }
        map.add(.serial)
        return map
    }

    /// The devices a replay of a trace has under `profile`: the recorded map (or the release's
    /// defaults when the trace has none), then the user's choices, which win.
    public static func forReplay(
        recorded: DeviceMap?, profile: Profile, debugConsole: DeviceChoice?,
        firmwareDebug: DeviceChoice?, serial: DeviceChoice?
    ) throws -> DeviceMap {
        var map = DeviceMap()
        if profile.debugPortEra != .absent { map.add(.debugPort) }

        if let c = debugConsole {
            if c.mode != .off {
                guard profile.hasDebugConsole else {
                    throw DeviceMapError("--debug-console: cloud-hypervisor \(profile.release) has no debug console (it came in v38.0)")
                }
                map.add(.debugConsole, port: c.iobase ?? recorded?.port(of: .debugConsole) ?? defaultDebugConsolePort)
            }
        } else if let port = recorded?.port(of: .debugConsole), profile.hasDebugConsole {
            map.add(.debugConsole, port: port)
        }

        let firmwarePresent: Bool
        if let c = firmwareDebug {
            // `off` keeps the device (cloud-hypervisor has no switch for it) and drops its output.
            firmwarePresent = profile.firmwareDebug != .absent
            if c.mode != .off && !firmwarePresent {
                throw DeviceMapError("--firmware-debug: cloud-hypervisor \(profile.release) has no firmware debug port (it came in v0.7.0)")
            }
        } else if let recorded {
            firmwarePresent = recorded.has(.firmwareDebug) && profile.firmwareDebug != .absent
        } else {
            firmwarePresent = profile.firmwareDebugByDefault
        }
        if firmwarePresent { map.add(.firmwareDebug) }

        let serialPresent = serial.map { $0.mode != .off } ?? recorded?.has(.serial) ?? true
        if serialPresent { map.add(.serial) }
        return map
    }
}

/// A device the user asked for that the chosen release did not have.
public struct DeviceMapError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

// MARK: Checking a trace's map

extension DeviceMap {
    /// Why two of these devices cannot both be where they are (they overlap, or one has no
    /// ports or runs past 0xffff), or nil. No VMM records two devices on one port.
    public var conflict: String? {
        for (i, a) in devices.enumerated() {
            let aEnd = Int(a.port) + Int(a.length)
            guard a.length > 0, aEnd <= 0x10000 else {
                return "\(a.model)@0x\(String(a.port, radix: 16)) of length \(a.length) is not a port range"
            }
            for b in devices[(i + 1)...] where Int(b.port) < aEnd && Int(a.port) < Int(b.port) + Int(b.length) {
                return
                    "\(a.model)@0x\(String(a.port, radix: 16)) and \(b.model)@0x\(String(b.port, radix: 16)) overlap at port 0x\(String(max(a.port, b.port), radix: 16))"
            }
        }
        return nil
    }

    /// Why the machine that `replay` and the analysis commands build for a trace with this
    /// metadata (its device map, the release it names, its log layout) cannot be built, or nil
    /// when it can. `import` refuses to write such a header and `verify` reports it as damage,
    /// so that a trace they accept is one the other commands read.
    public static func replayProblem(metadata: TraceMetadata) -> String? {
        let recorded = DeviceMap(metadata: metadata)
        if let why = recorded?.conflict { return "its devices: \(why)" }
        let chosen = TraceRelease.resolve(metadata: metadata, explicit: nil)
        do {
            let devices = try forReplay(recorded: recorded, profile: chosen.profile, debugConsole: nil, firmwareDebug: nil, serial: nil)
            let formatter = try LogFormatter(
                profile: chosen.profile, template: chosen.template, metadata: metadata, loggerOrigin: 0,
                timeZone: TimeZone(identifier: "UTC")!)
            let sinks = MachineSinks(log: .memory(), debugConsole: .memory(), firmwareDebug: .memory(), serial: .memory())
            _ = try DebugMachine(
                configuration: MachineConfiguration(profile: chosen.profile, vmOrigin: 0, devices: devices),
                log: DeviceLog(formatter: formatter, maxLevel: nil, sink: sinks.log), sinks: sinks)
        } catch {
            return "its devices cannot be built as cloud-hypervisor \(chosen.release): \(error)"
        }
        return nil
    }
}
