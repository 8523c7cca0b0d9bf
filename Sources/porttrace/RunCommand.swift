#if os(Linux) && KVMCapture
import Analysis
import ArgumentParser
import Capture
import Devices
import Foundation
import TraceFormat

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Boot a guest image in porttrace's own KVM machine, print its debug output live and record every port-I/O exit.",
        discussion: """
            Every vCPU starts at the entry with DI/EDI/RDI = its index and SI/ESI/RSI = the vCPU count, \
            and its own stack below the top of RAM (see the README). The VM ends when every vCPU has halted \
            (status 0), on a triple fault (status 1), at --timeout or on Ctrl-C/SIGTERM (status 0; the trace \
            is closed cleanly). Live output is byte-identical to 'porttrace replay' of the trace.
            """
    )

    @Argument(help: "Guest image: a flat binary or a static 32/64-bit ELF executable.") var image: String
    @Option(name: .shortAndLong, help: "The trace to write.") var output: String?
    @Flag(help: "Run without recording a trace.") var noTrace = false
    @Option(help: "real, protected or long (ELF: from its class; flat: real).") var mode: CPUModeArgument?
    @Option(help: "Load address of a flat image (default 0x10000 real, 0x100000 otherwise).") var load: AddressArgument?
    @Option(help: "Entry point (default: the ELF entry, else the load address).") var entry: AddressArgument?
    @Option(help: "Guest RAM, e.g. 64M, 1G.") var mem: SizeArgument = SizeArgument(bytes: 64 << 20)
    @Option(help: "Number of vCPUs.") var cpus: UInt32 = 1
    @Option(help: "Stop after this long (1.5s, 200ms, ...).") var timeout: TimeArgument?
    @Option(help: "A label key=value stored in the trace; repeatable.") var label: [String] = []
    @Flag(help: "Print the exit count and rate on stderr at the end.") var stats = false
    @OptionGroup var machine: MachineOptions
    @OptionGroup var series: SeriesOptions

    func validate() throws {
        if noTrace == (output != nil) { throw ValidationError("give either -o TRACE or --no-trace") }
        if !RunConfiguration.vcpuCounts.contains(cpus) { throw ValidationError("--cpus must be 1 to 64") }
        if !RunConfiguration.memorySizes.contains(mem.bytes) || mem.bytes % 4096 != 0 {
            throw ValidationError("--mem must be between 1 MiB and 4 GiB, in whole pages")
        }
        if let t = timeout, t.ns <= 0 { throw ValidationError("--timeout must be positive") }
        try validateLabels(label)
    }

    func run() throws {
        try series.checkTemplates([("-o", output)] + machine.outputPaths)
        if let output { try checkTracePath(series.path(output, boot: 1)) }
        try machine.prepareOutputs(inputs: [image], more: [("-o", output)])
        guard series.count > 1 else {
            let r = try boot(output: output, machine: machine)
            if let failure = r.failure { throw CLIFailure.found("\(image): \(failure)") }
            return
        }
        try BootSeries.run(series, labels: label) { k in
            let m = machine.forBoot { series.path($0, boot: k) }
            try m.prepareOutputs(inputs: [image])
            return try boot(output: output.map { series.path($0, boot: k) }, machine: m)
        }
    }

    /// One boot, start to end: its trace closed, its outputs written.
    func boot(output: String?, machine: MachineOptions) throws -> BootResult {
        let vmmStart = Monotonic.now()
        let release = machine.explicitRelease ?? .latest
        let guest: GuestImage
        do {
            guest = try GuestImage(path: image, load: 0)
        } catch let e as CaptureError {
            throw CLIFailure.cannot("\(e)")
        }
        let cpuMode = mode?.mode ?? guest.defaultMode
        let loadAddress = load?.value ?? (cpuMode == .real ? 0x10000 : 0x100000)
        let placed = guest.kind == .flat ? try GuestImage(path: image, load: loadAddress) : guest
        // --timeout ends a boot normally (a guest that runs on); --boot-timeout ends it as failed.
        let limits = [timeout?.ns, series.bootTimeout?.ns].compactMap { $0 }
        let config = RunConfiguration(
            image: placed, mode: cpuMode, load: loadAddress, entry: entry?.value,
            memorySize: mem.bytes, cpus: cpus,
            timeout: limits.min().map { .nanoseconds($0) })
        let bootTimedOut = { (o: RunOutcome) in
            o == .timeout && series.bootTimeout != nil && series.bootTimeout!.ns <= (timeout?.ns ?? .max)
        }
        let vm: BuiltInMachine
        do {
            vm = try BuiltInMachine(configuration: config)
        } catch let e as CaptureError {
            throw CLIFailure.cannot(e.kvmUnavailable ? "\(e) (is the kvm module loaded, and may you use /dev/kvm?)" : "\(e)")
        }

        var metadata = TraceMetadata.recording(
            recorder: "porttrace run", version: PorttraceVersion.string, source: .kvmRun, labels: label, vmmStartNs: vmmStart,
            vmStartNs: vm.vmStartNs, vmmPid: getpid(), commandLine: CommandLine.arguments)
        metadata.vcpus = cpus
        metadata["guest"] = .object([
            ("image", .string(placed.name)), ("sha256", .string(placed.sha256)),
            ("format", .string(placed.kind.rawValue)), ("mode", .string(cpuMode.rawValue)),
            ("entry", .uint(config.effectiveEntry)), ("memory", .uint(mem.bytes)),
        ])
        metadata["profile"] = .string(release.tag)

        let (devices, sinks) = try machine.makeMachine(
            release: TraceRelease(release: release, source: machine.explicitRelease == nil ? .latest : .flag), metadata: metadata,
            vmOrigin: vm.vmStartNs, loggerOrigin: vmmStart)
        devices.configuration.devices.store(in: &metadata)

        let outcome: RunOutcome
        let statistics: RunStatistics
        var writer: TraceWriter?
        do {
            (outcome, _, statistics) = try vm.runMeasured(devices: devices) { tids in
                metadata["vcpu_tids"] = .array(tids.map(JSONValue.uint))
                guard let output else { return nil }
                let w = try TraceWriter(path: output, metadata: metadata)
                w.append(marker: Marker(Marker.vmmStarted), timestamp: vmmStart)
                w.append(marker: Marker(Marker.vmCreated), timestamp: vm.vmStartNs)
                writer = w
                return w
            }
            if bootTimedOut(outcome), let t = series.bootTimeout {
                writer?.append(
                    marker: Marker(Marker.bootEnded, value: 1, text: "timeout: no end after \(TimeText.span(t.ns))"),
                    timestamp: Monotonic.now())
            }
            try writer?.close()
            try devices.finish()
        } catch let e as TraceError {
            sinks.abandon()
            throw CLIFailure.cannot("\(output ?? "trace"): \(e)")
        } catch let e as SinkError {
            sinks.abandon()
            throw outputFailure(e)
        }

        if stats {
            Output.stderrLine(
                String(
                    format: "porttrace: %llu exits in %.6f s of guest time (%.0f exits/s)",
                    statistics.exits, Double(statistics.guestNs) / 1e9, statistics.exitsPerSecond))
        }
        var result = BootResult(trace: output)
        switch outcome {
        case .halted, .timeout, .signal:
            if bootTimedOut(outcome), let t = series.bootTimeout {
                result.failure = "no end after --boot-timeout \(TimeText.span(t.ns))"
            } else if !machine.logOnStderr && series.count == 1 {
                Output.stderrLine("porttrace: \(outcome.message)\(output.map { "; trace in \($0)" } ?? "")")
            }
            if case .signal = outcome { result.interrupted = true }
        case .shutdown, .unexpectedExit, .failed:
            result.failure = outcome.message
        }
        return result
    }
}

struct CPUModeArgument: ExpressibleByArgument {
    var mode: GuestMode
    init?(argument: String) {
        guard let m = GuestMode(rawValue: argument) else { return nil }
        mode = m
    }
}

struct AddressArgument: ExpressibleByArgument {
    var value: UInt64
    init?(argument: String) {
        guard let v = ValueSyntax.address(argument) else { return nil }
        value = v
    }
}

struct SizeArgument: ExpressibleByArgument {
    var bytes: UInt64
    init(bytes: UInt64) { self.bytes = bytes }
    /// `64M`, `1G`, `1.5G`, `512KiB`, `4096`, exact (see `ValueSyntax.size`).
    init?(argument: String) {
        guard let v = ValueSyntax.size(argument) else { return nil }
        bytes = v
    }
    var defaultValueDescription: String { "64M" }
}

#endif
