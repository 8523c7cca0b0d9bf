// Linux only, and only with the KVMCapture trait (see Package.swift).
#if os(Linux) && KVMCapture
import Devices
import TraceFormat

/// Device configuration read off a VMM's command line, where the VMM is one we know.
public struct VMMCommandLine: Sendable {
    public enum Kind: String, Sendable {
        case qemu
        case cloudHypervisor = "cloud-hypervisor"
        case firecracker, unknown
    }

    public let kind: Kind
    /// The devices the VMM has, as the cloud-hypervisor models that replay them.
    public let devices: DeviceMap

    /// Reads `argv`, looking past wrappers (`timeout 4 qemu-system-x86_64 ...`, `taskset`, `env`, ...)
    /// to the first program that is a VMM we know.
    public init(_ argv: [String]) {
        let start = argv.firstIndex(where: VMMCommandLine.known) ?? 0
        let argv = Array(argv[start...])
        let program = argv.first.map(VMMCommandLine.base) ?? ""
        if program.hasPrefix("qemu-system") || program == "qemu-kvm" {
            kind = .qemu
            devices = VMMCommandLine.qemuDevices(Array(argv.dropFirst()))
        } else if program.hasPrefix("cloud-hypervisor") {
            kind = .cloudHypervisor
            devices = VMMCommandLine.cloudHypervisorDevices(Array(argv.dropFirst()))
        } else if program.hasPrefix("firecracker") {
            kind = .firecracker
            devices = DeviceMap([DeviceMap.device(.serial)])
        } else {
            kind = .unknown
            devices = DeviceMap()
        }
    }

    /// The VMM program in `argv`, past wrappers (`timeout`, `taskset`, ...), or nil when none is known.
    public static func programPath(_ argv: [String]) -> String? {
        argv.first { known($0) }
    }

    static func base(_ s: String) -> String { s.split(separator: "/").last.map(String.init) ?? s }

    static func known(_ s: String) -> Bool {
        let b = base(s)
        return b.hasPrefix("qemu-system") || b == "qemu-kvm" || b.hasPrefix("cloud-hypervisor") || b.hasPrefix("firecracker")
    }

    /// Comma-separated `key=value` options after a driver or mode name.
    static func options(_ spec: String) -> [String: String] {
        var out: [String: String] = [:]
        for item in spec.split(separator: ",") {
            // Untrusted text: an item may be "=", "=x" or "k=": keep only items with a key.
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = kv.first, !key.isEmpty else { continue }
            out[String(key)] = kv.count == 2 ? String(kv[1]) : ""
        }
        return out
    }

    static func port(_ text: String?) -> UInt16? {
        text.flatMap(ValueSyntax.port)
    }

    /// QEMU: `-device isa-debugcon[,iobase=N]` (default 0xe9) becomes the debug console, or the
    /// firmware debug port when at 0x402 (where cloud-hypervisor's device sits);
    /// a serial port exists unless `-serial none` or `-nodefaults` without `-serial`.
    static func qemuDevices(_ args: [String]) -> DeviceMap {
        var devices = DeviceMap([DeviceMap.device(.debugPort)])
        var serial = !args.contains("-nodefaults")
        var i = 0
        while i < args.count {
            let a = args[i]
            let value = i + 1 < args.count ? args[i + 1] : ""
            if a == "-device" || a == "--device", value.hasPrefix("isa-debugcon") {
                let port = VMMCommandLine.port(options(value)["iobase"]) ?? DeviceMap.defaultDebugConsolePort
                devices.addConsole(at: port)
                i += 2
                continue
            }
            if a == "-serial" || a == "--serial" {
                serial = value != "none"
                i += 2
                continue
            }
            i += 1
        }
        if serial { devices.add(.serial) }
        return devices
    }

    /// cloud-hypervisor: `--debug-console MODE[,iobase=0xNN]`, `--serial MODE`; fwdebug and 0x80 always (x86).
    static func cloudHypervisorDevices(_ args: [String]) -> DeviceMap {
        var devices = DeviceMap([DeviceMap.device(.debugPort), DeviceMap.device(.firmwareDebug)])
        var serial = true
        var i = 0
        while i < args.count {
            var a = args[i]
            var value = i + 1 < args.count ? args[i + 1] : ""
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                value = String(a[a.index(after: eq)...])
                a = String(a[..<eq])
            }
            if a == "--debug-console" {
                let o = options(value)
                if o["file"] != nil || o["tty"] != nil {
                    devices.add(.debugConsole, port: port(o["iobase"]) ?? DeviceMap.defaultDebugConsolePort)
                }
            }
            if a == "--serial" { serial = options(value)["off"] == nil }
            i += 1
        }
        if serial { devices.add(.serial) }
        return devices
    }
}

#endif
