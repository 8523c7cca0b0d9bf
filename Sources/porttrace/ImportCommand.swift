import Analysis
import ArgumentParser
import Devices
import Foundation
import TraceFormat

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write a trace from JSON lines ('dump --format jsonl --header'), a cloud-hypervisor log, or perf script output.",
        discussion: """
            --format ch-log: every '[Debug I/O port: ...]' line of a cloud-hypervisor log (any release's layout, or a \
            --log-format template given here) becomes a 0x80 write with its code, vCPU and times; the layout found \
            is stored, so 'replay -vvv' prints the same lines. Other lines are counted; debug-port lines that cannot \
            be read or held in a trace, and lines over 1 MiB, are listed with their line numbers (exit status 1, the \
            trace is still written); an input with no line to import writes no trace (exit status 2). \
            --format perf-script: the output of 'perf script' for kvm:kvm_pio (default fields, or -F with time and \
            trace, such as time,trace or comm,tid,time,event,trace, with ip, sym, cpu, pid or period added); vCPUs \
            from thread names where perf printed them, else numbered and marked unmapped; times relative to the \
            first event. Bad lines are listed as for ch-log. \
            --format jsonl: the lines 'dump --format jsonl --header' prints. Without a header line the metadata \
            defaults to: source "import", vmm_start_ns 0, vm_start_ns 0, vcpus = highest vCPU index + 1, clock CLOCK_MONOTONIC. \
            --vmm-start, --vm-start and --label override. \
            "trace_closed" markers in the input are not copied: the writer adds its own at the same time. \
            A line over a trace's limits, or a header whose devices replay could not build, is refused (exit status 2).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl
        case chLog = "ch-log"
        case perfScript = "perf-script"
    }

    @Option(help: "Input format: jsonl (default), ch-log or perf-script.") var format: Format = .jsonl
    @Option(help: "perf-script: the clock perf recorded with (-k): perf (default), mono, monotonic_raw, realtime, boottime, tai.")
    var perfClock: String = "perf"
    @Option(help: "ch-log: the --log-format template the log was written with (v52.0+).") var logFormat: String?
    @Argument(help: "The input file, or - for standard input.") var input: String
    @Option(name: .shortAndLong, help: "The trace to write.") var output: String
    @Option(help: "VMM start, monotonic ns (the logger's time origin).") var vmmStart: UInt64?
    @Option(help: "VM start, monotonic ns (the 0x80 device's time origin).") var vmStart: UInt64?
    @Option(help: "A label key=value; repeatable.") var label: [String] = []

    func validate() throws {
        try validateLabels(label)
    }

    /// The trace is written beside `-o` and renamed over it once closed: a failed import leaves
    /// what was there before (or nothing).
    static var writerOptions: TraceWriter.Options {
        var o = TraceWriter.Options()
        o.placement = .replaceWhenClosed
        return o
    }

    func run() throws {
        try checkTracePath(output)
        try checkOutputs(inputs: [input], outputs: [("-o", output)])
        if format == .chLog { return try importCloudHypervisorLog() }
        if format == .perfScript { return try importPerfScript() }
        if logFormat != nil { throw CLIFailure.cannot("--log-format goes with --format ch-log") }
        let lines: LineReader
        do {
            lines = try LineReader(path: input, longestLine: JSONLinesImport.longestLine)
        } catch {
            throw CLIFailure.cannot("\(error)")
        }
        let importer = JSONLinesImport(vmmStart: vmmStart, vmStart: vmStart, labels: label, recorderVersion: PorttraceVersion.string)
        do {
            try importer.run(lines) { try TraceWriter(path: output, metadata: $0, options: Self.writerOptions) }
        } catch let e as JSONLinesImport.Failure {
            throw CLIFailure.cannot(e.message(input: inputName, output: output))
        } catch let e as AnalysisError {
            throw CLIFailure.cannot("\(e)")
        }
    }

    /// Runs a line importer over the input, with the user's labels and origins in its header;
    /// failures become one line and status 2.
    func importLines<R>(_ run: (LineReader, ProgressMeter?, (TraceMetadata) throws -> TraceWriter) throws -> R) throws -> R {
        // The writer the importer makes, so that a failed import removes its unfinished trace.
        var made: TraceWriter?
        do {
            let reader = try LineReader(path: input)
            return try run(reader, ProgressMeter(what: reader.name, unit: "lines", total: nil)) { header in
                var md = header
                md.applyLabels(label)
                if let vmmStart { md.vmmStartNs = vmmStart }
                if let vmStart { md.vmStartNs = vmStart }
                let w = try TraceWriter(path: output, metadata: md, options: Self.writerOptions)
                made = w
                return w
            }
        } catch let e as AnalysisError {
            made?.abandon()
            throw CLIFailure.cannot("\(e)")
        } catch let e as ImportRefusal {
            throw CLIFailure.cannot("\(inputName):\(e.line): refused: \(e.reason)")
        } catch let e as TraceError {
            made?.abandon()
            throw CLIFailure.cannot("\(output): \(e)")
        } catch {
            made?.abandon()
            throw error
        }
    }

    var inputName: String { input == "-" ? "stdin" : input }

    /// Lists problem lines (the first ten) on stderr.
    func list(_ problems: LineProblems, note: Bool = false, suffix: String = "") {
        for (line, why) in problems.listed.prefix(10) {
            Output.stderrLine("porttrace: \(note ? "note: " : "")\(inputName):\(line): \(why)\(suffix)")
        }
        if problems.count > 10 {
            Output.stderrLine("porttrace: \(note ? "note: " : "")\(inputName): \(problems.count - 10) more such lines")
        }
    }

    /// Lists unreadable lines and ends with status 1, saying how many were read; or, when nothing
    /// could be read (and no trace was written), with status 2 naming what was expected.
    func finish(unreadable: LineProblems, what: String, read: Int, lines: Int, wroteTrace: Bool, expected: String) throws {
        list(unreadable)
        guard wroteTrace else {
            throw CLIFailure.cannot(
                "\(inputName): no \(what) line could be read among \(lines) lines\(unreadable.isEmpty ? "" : " (\(unreadable.count) unreadable, above)"); expected \(expected); no trace written"
            )
        }
        guard unreadable.isEmpty else {
            throw CLIFailure.found(
                "\(inputName): \(unreadable.count) line\(unreadable.count == 1 ? "" : "s") could not be read (above); the \(read) \(what) lines read are in \(output)"
            )
        }
    }

    /// `--format perf-script`.
    func importPerfScript() throws {
        if logFormat != nil { throw CLIFailure.cannot("--log-format goes with --format ch-log") }
        let report = try importLines { reader, progress, makeWriter in
            try PerfScriptImport(clock: perfClock, vmStart: vmStart).run(reader, progress: progress, makeWriter: makeWriter)
        }
        if report.unmappedThreads > 0 {
            Output.stderrLine("porttrace: note: \(report.unmappedThreads) threads had no vCPU name (see vcpu_unmapped markers)")
        }
        try finish(
            unreadable: report.unreadable, what: "kvm:kvm_pio", read: report.events, lines: report.lines, wroteTrace: report.wroteTrace,
            expected: "'perf script' output of 'perf record -e kvm:kvm_pio' with at least the time and trace fields")
    }

    /// `--format ch-log`.
    func importCloudHypervisorLog() throws {
        let report = try importLines { reader, progress, makeWriter in
            try CloudHypervisorLogImport(template: logFormat, vmStart: vmStart).run(reader, progress: progress, makeWriter: makeWriter)
        }
        list(report.unreproducible, note: true, suffix: "; replay will not print it byte for byte")
        try finish(
            unreadable: report.unreadable, what: "'[Debug I/O port: ...]'", read: report.debugPortLines, lines: report.lines,
            wroteTrace: report.wroteTrace,
            expected:
                "a cloud-hypervisor log written at -vv or more\(logFormat == nil ? " (or give its --log-format)" : " with the --log-format given")"
        )
    }
}
