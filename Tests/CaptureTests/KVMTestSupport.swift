// Left out of builds without capture (see Package.swift's KVMCapture trait).
#if os(Linux) && KVMCapture
import Foundation
import Testing
@testable import Capture
import Devices
import KVM
import TraceFormat

/// Why KVM tests cannot run here, or nil when they can.
let kvmUnavailable: String? = {
    let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
    if fd < 0 { return "/dev/kvm cannot be opened (\(String(cString: strerror(errno))))" }
    close(fd)
    return nil
}()

let guestsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Guests/build")

func guest(_ name: String) throws -> String {
    let path = guestsDir.appendingPathComponent(name).path
    guard FileManager.default.fileExists(atPath: path) else {
        throw MachineSetupError("\(path) is missing: build the guests with 'make -C Guests' (scripts/test does)")
    }
    return path
}

/// A device machine with memory sinks.
func memoryMachine(profile: String, verbosity: Int, vmOrigin: UInt64, loggerOrigin: UInt64, console: UInt16? = 0xe9) throws -> DebugMachine
{
    let p = Profile(Release(tag: profile)!)
    let sinks = MachineSinks(log: .memory(), debugConsole: .memory(), firmwareDebug: .memory(), serial: .memory())
    let formatter = try LogFormatter(
        profile: p, template: nil, loggerOrigin: loggerOrigin, anchor: nil, pid: 1, tids: [],
        timeZone: TimeZone(identifier: "UTC")!)
    return try DebugMachine(
        configuration: MachineConfiguration(profile: p, vmOrigin: vmOrigin, debugConsolePort: p.hasDebugConsole ? console : nil),
        log: DeviceLog(formatter: formatter, maxLevel: p.maxLevel(verbosity: verbosity), sink: sinks.log), sinks: sinks)
}

struct LiveRun {
    var outcome: RunOutcome
    var devices: DebugMachine
    var trace: String
    var vmStart: UInt64
    var loggerOrigin: UInt64
}

/// Boots `image` for real under KVM, recording to a temporary trace.
func liveRun(
    _ image: String, mode: GuestMode? = nil, cpus: UInt32 = 1, profile: String = "v53.0", verbosity: Int = 0,
    timeout: Duration? = .seconds(20)
) throws -> LiveRun {
    let loggerOrigin = Monotonic.now()
    let img0 = try GuestImage(path: try guest(image), load: 0)
    let m = mode ?? img0.defaultMode
    let load: UInt64 = m == .real ? 0x10000 : 0x100000
    let img = img0.kind == .flat ? try GuestImage(path: try guest(image), load: load) : img0
    let vm = try BuiltInMachine(configuration: RunConfiguration(image: img, mode: m, load: load, cpus: cpus, timeout: timeout))
    let devices = try memoryMachine(profile: profile, verbosity: verbosity, vmOrigin: vm.vmStartNs, loggerOrigin: loggerOrigin)
    let trace = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-kvm-\(UUID().uuidString).pt").path
    var md = TraceMetadata()
    md.vmStartNs = vm.vmStartNs
    md.vmmStartNs = loggerOrigin
    md.vcpus = cpus
    var writer: TraceWriter?
    let (outcome, end) = try vm.run(devices: devices) { _ in
        writer = try TraceWriter(path: trace, metadata: md)
        return writer
    }
    try writer?.close(at: end)
    return LiveRun(outcome: outcome, devices: devices, trace: trace, vmStart: vm.vmStartNs, loggerOrigin: loggerOrigin)
}

/// Replays a trace into a fresh memory machine configured like the live one.
func replay(_ run: LiveRun, profile: String = "v53.0", verbosity: Int = 0) throws -> (DebugMachine, ReplayReport) {
    let m = try memoryMachine(profile: profile, verbosity: verbosity, vmOrigin: run.vmStart, loggerOrigin: run.loggerOrigin)
    let driver = ReplayDriver(machine: m)
    try driver.replay(try TraceReader(path: run.trace))
    return (m, driver.report)
}

/// Per-vCPU bytes written to `port`, and the 0x80 codes, from a trace.
func demux(_ trace: String) throws -> (bytes: [UInt32: [UInt16: [UInt8]]], codes: [UInt32: [UInt8]], events: [PortIOEvent]) {
    let (events, _) = try TraceReader(path: trace).readAll()
    var bytes: [UInt32: [UInt16: [UInt8]]] = [:]
    var codes: [UInt32: [UInt8]] = [:]
    for e in events {
        guard case .access(let shape, let data) = e.payload, shape.direction == .out else { continue }
        if shape.port == 0x80 {
            codes[shape.vcpu, default: []].append(data[0])
        } else {
            bytes[shape.vcpu, default: [:]][shape.port, default: []] += data
        }
    }
    return (bytes, codes, events)
}

func text(_ s: ByteSink) -> String { String(decoding: s.captured, as: UTF8.self) }

#endif
