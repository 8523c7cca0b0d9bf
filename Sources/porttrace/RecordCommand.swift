#if os(Linux) && KVMCapture
import Analysis
import ArgumentParser
import Capture
import Devices
import Foundation
import TraceFormat

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record an unmodified VMM's port I/O through the kernel's kvm:kvm_pio tracepoint.",
        discussion: """
            'porttrace record -o TRACE -- VMM ARGS...' starts the VMM and records until it exits; \
            'porttrace record -o TRACE --pid PID' attaches until it exits or Ctrl-C. Needs root and tracefs. \
            The tracepoint carries only the first element of string I/O: such events keep their count and \
            are marked incomplete. Ring-buffer overruns are recorded as 'lost' markers. A private tracefs \
            instance is used and removed on every exit path.
            """
    )

    @Option(name: .shortAndLong, help: "The trace to write.") var output: String
    @Option(help: "Attach to this running VMM instead of starting one.") var pid: Int32?
    @Option(help: "Only these ports, filtered in the kernel (0x80,0xe9,0x402,0x3f8-0x3ff). Default: all.") var ports: PortList?
    @Option(help: "Ring buffer per CPU, KiB.") var bufferSize: Int = 8192
    @Option(help: "The VMM's debug console: iobase=0xNN (overrides what the command line says).") var debugConsole: String?
    @Option(help: "A label key=value stored in the trace; repeatable.") var label: [String] = []
    @Option(
        help: ArgumentHelp(
            "End the boot when the VMM's guest writes this POST code (0xNN), or prints a console line matching this pattern (RE2): the VMM is stopped with SIGTERM, as timeout(1) would.",
            valueName: "code|pattern"))
    var until: String?
    @OptionGroup var series: SeriesOptions
    @Argument(parsing: .postTerminator, help: "The VMM and its arguments, after --.") var vmm: [String] = []

    func validate() throws {
        if (pid == nil) == vmm.isEmpty { throw ValidationError("give either --pid PID or -- VMM ARGS...") }
        if bufferSize < 64 { throw ValidationError("--buffer-size must be at least 64 (KiB)") }
        if let d = debugConsole, consolePort(d) == nil { throw ValidationError("--debug-console '\(d)': expected iobase=0xNN") }
        try validateLabels(label)
        if let until { _ = try UntilCondition.parse(until) }
        if pid != nil && (until != nil || series.bootTimeout != nil || series.count > 1) {
            throw ValidationError("--until, --boot-timeout and --repeat start the VMM themselves; they do not go with --pid")
        }
    }

    func consolePort(_ text: String) -> UInt16? {
        let v = text.hasPrefix("iobase=") ? String(text.dropFirst(7)) : text
        return ValueSyntax.hex(Substring(v), lowercasePrefixOnly: true)
    }

    func run() throws {
        guard geteuid() == 0 else { throw CLIFailure.cannot("record needs root (tracefs and the kvm tracepoints are root-only)") }
        try series.checkTemplates([("-o", output)])
        try checkTracePath(series.path(output, boot: 1))
        guard series.count > 1 else {
            let r = try boot(output: output)
            if let failure = r.failure, until != nil || series.bootTimeout != nil { throw CLIFailure.found("\(output): \(failure)") }
            return
        }
        try BootSeries.run(series, labels: label) { k in try boot(output: series.path(output, boot: k)) }
    }

    /// One recording: the VMM started (or attached to) and followed to its end.
    func boot(output: String) throws -> BootResult {
        var options = HostCapture.Options()
        options.ports = ports?.ranges
        options.bufferKiB = bufferSize
        let target: RecordTarget = pid.map { .attach($0) } ?? .launch(vmm)
        let recorder: HostRecorder
        do {
            recorder = try HostRecorder(target: target, options: options)
        } catch let e as TraceFSError {
            throw CLIFailure.cannot("\(e)")
        }
        // Asked before the VMM starts (or of the running binary), so reports can group by version.
        let program = pid.map { "/proc/\($0)/exe" } ?? VMMCommandLine.programPath(vmm) ?? vmm.first
        let version = program.map { VMMVersion.query($0) } ?? ""
        let condition = try until.map(UntilCondition.parse)
        var watcher: BootWatcher?
        let outcome: RecordOutcome
        do {
            let met = { watcher?.reached }
            outcome = try recorder.run(until: met, timeLimit: series.timeLimit) { vmmPid, startNs in
                let argv = pid.map { ProcessInfoReader.commandLine(of: $0) } ?? vmm
                // VM creation is not visible to the tracepoint: the VMM's start stands in for it.
                var md = TraceMetadata.recording(
                    recorder: "porttrace record", version: PorttraceVersion.string, source: .tracefs, labels: label,
                    vmmStartNs: startNs, vmStartNs: startNs, vmmPid: vmmPid, commandLine: argv)
                md["vm_start_source"] = .string("vmm start (VM creation is not visible to kvm:kvm_pio)")
                md["vcpu_map"] = .string("thread-names")
                if let ports { md["ports_filter"] = .string(HostCapture.filter(ports.ranges)) }
                let detected = VMMCommandLine(argv)
                md["vmm_kind"] = .string(detected.kind.rawValue)
                md["vmm_version"] = .string(version)
                var devices = detected.devices
                if let d = debugConsole, let port = consolePort(d) {
                    devices.remove(.debugConsole)
                    devices.remove(port: port)
                    devices.addConsole(at: port)
                }
                // An unknown VMM gets no device map: replay then uses the release's own devices.
                if detected.kind != .unknown || debugConsole != nil { devices.store(in: &md) }
                let writer = try TraceWriter(path: output, metadata: md)
                if let condition {
                    // The same device models a replay uses, fed as the accesses are recorded.
                    let w = try BootWatcher(metadata: md, release: TraceRelease.resolve(metadata: md, explicit: nil), condition: condition)
                    watcher = w
                    writer.observer = { t, shape, data in w.feed(timestamp: t, shape: shape, data: data) }
                }
                return writer
            }
        } catch let e as TraceFSError {
            throw CLIFailure.cannot("\(e)")
        } catch let e as TraceError {
            throw CLIFailure.cannot("\(output): \(e)")
        }
        var summary = "porttrace: recorded \(outcome.events) port accesses to \(output)"
        if outcome.lostReports > 0 {
            summary +=
                "; the ring buffer overran \(outcome.lostReports) times (\(outcome.lostEvents) events counted lost, recorded as markers)"
        }
        if outcome.unmappedThreads > 0 { summary += "; \(outcome.unmappedThreads) threads had no vCPU name (see vcpu_unmapped markers)" }
        if let s = outcome.vmmStatus, s != 0 { summary += "; the VMM exited with status \(s)" }
        var result = BootResult(trace: output)
        switch outcome.stopped {
        case .until(let why)?: summary += "; stopped the VMM: \(why)"
        case .timeout(let limit)?:
            summary += "; stopped the VMM: no end after --boot-timeout \(limit)"
            result.failure = "no end after --boot-timeout \(limit)"
        case nil:
            if let s = outcome.vmmStatus, s != 0, outcome.signal == nil { result.failure = "the VMM exited with status \(s)" }
        }
        if outcome.signal != nil { result.interrupted = true }
        if series.count == 1 || result.failure != nil { Output.stderrLine(summary) }
        return result
    }
}

#endif
