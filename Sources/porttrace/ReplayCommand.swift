import ArgumentParser
import Devices
import TraceFormat

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Regenerate the VMM log and console outputs from a trace, as a chosen cloud-hypervisor release printed them.",
        discussion: """
            Devices follow the trace's device map; flags override. Console-type outputs go to stdout (escaped on a \
            terminal unless --raw), the log to stderr unless --log-file. Exit status: 0 ok; 1 the trace is damaged, not closed cleanly, or \
            --check found IN values that differ; 2 the job could not be done.
            """
    )

    @Argument(help: "The trace file.") var trace: String
    @OptionGroup var machine: MachineOptions
    @Option(help: "Start of the output window, relative to the VM start (1.5s, 200ms, ...).") var from: TimeArgument?
    @Option(help: "End of the output window (inclusive).") var to: TimeArgument?
    @Flag(help: "Compare every IN value the models return with the recorded one.") var check = false

    func run() throws {
        try machine.prepareOutputs(inputs: [trace])
        let reader = try openTrace(trace)
        TraceJudgement.reading.noteOpened(reader)
        let md = reader.metadata
        let vmOrigin = md.vmStartNs ?? 0
        let chosen = TraceRelease.resolve(metadata: md, explicit: machine.explicitRelease)
        let release = chosen.release
        let (machineObject, sinks) = try machine.makeMachine(
            release: chosen, metadata: md, vmOrigin: vmOrigin, loggerOrigin: md.vmmStartNs ?? vmOrigin)
        let driver = ReplayDriver(machine: machineObject)
        let lo = from.map { absolute($0.ns, origin: vmOrigin) } ?? 0
        let hi = to.map { absolute($0.ns, origin: vmOrigin) } ?? .max
        guard lo <= hi else {
            sinks.abandon()
            throw CLIFailure.cannot("--from is after --to")
        }
        driver.window = lo...hi
        do {
            try driver.replay(reader)
            machineObject.outputEnabled = true
            try machineObject.finish()
        } catch let e as TraceError {
            sinks.abandon()
            throw CLIFailure.cannot("\(trace): \(e)")
        } catch let e as SinkError {
            sinks.abandon()
            throw outputFailure(e)
        }
        let report = driver.report
        // Notes never go into a log that is on stderr, except where the output cannot be exact anyway.
        if report.incompleteEvents > 0 {
            Output.stderrLine(
                "porttrace: note: \(report.incompleteEvents) string-I/O events hold only their first element (tracepoint limit); their output is incomplete"
            )
        }
        if report.lostEvents > 0 || report.lostReports > 0 {
            Output.stderrLine(
                "porttrace: note: the recorder lost \(report.lostEvents) events (\(report.lostReports) ring-buffer overruns); output around them is missing"
            )
        }
        if !machine.logOnStderr {
            let m = machineObject
            Output.stderrLine(
                "porttrace: replayed \(report.accesses) port accesses as cloud-hypervisor \(release): \(m.unclaimedWrites + m.unclaimedReads) to unregistered ports, \(m.ignoredAccesses) ignored by devices (wrong size or register)"
            )
        }
        let verdict = TraceVerdict(reader, report.scan)
        if check && report.divergenceCount > 0 {
            Output.stderrLine(
                "porttrace: \(trace): \(report.divergenceCount) IN values differ between the recording and \(release):")
            for d in report.divergences {
                let hex = { (b: [UInt8]) in TextBytes.hex(b) }
                Output.stderrLine(
                    "  \(TimeSpec.signedSeconds(Int64(bitPattern: d.timestamp &- vmOrigin)))s vcpu\(d.vcpu) in 0x\(String(d.port, radix: 16)): recorded \(hex(d.recorded)), modelled \(hex(d.modelled))"
                )
            }
            if let m = verdict.message { Output.stderrLine("porttrace: \(m)") }
            throw ExitCode(1)
        }
        try TraceJudgement.reading.finish([verdict])
    }
}
