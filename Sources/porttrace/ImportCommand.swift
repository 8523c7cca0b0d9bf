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
            lines = try LineReader(path: input, longestLine: Self.longestJSONLine)
        } catch {
            throw CLIFailure.cannot("\(error)")
        }
        let name = input == "-" ? "stdin" : input

        // Two streaming passes, so memory stays flat whatever the input's size: the first checks
        // every line and finds the header and the defaults, the second writes.
        var metadata = TraceMetadata()
        var sawEvent = false
        var closedAt: UInt64?
        var headerLine: Int?
        var lastTime: UInt64?
        var maxVCPU: UInt32?
        do {
            try Self.forEachLine(lines) { lineNumber, line in
                // Every time must fit the trace's limit from the VM's start the trace will name.
                if case .event(let e) = line,
                    let why = TraceLimits.problem(withTime: e.timestamp, origin: vmStart ?? TraceLimits.timeOrigin(of: metadata))
                {
                    throw TraceError.badInput(line: lineNumber, reason: why)
                }
                switch line {
                case .header(let h):
                    guard !sawEvent, metadata.fields.isEmpty else {
                        throw TraceError.badInput(line: lineNumber, reason: "a header line must come first")
                    }
                    metadata = try TraceMetadata(json: .object((h.objectValue ?? []).filter { !DumpCommand.derivedKeys.contains($0.0) }))
                    headerLine = lineNumber
                case .event(let e):
                    sawEvent = true
                    if e.marker?.name == Marker.traceClosed {
                        closedAt = e.timestamp
                        return
                    }
                    maxVCPU = max(maxVCPU ?? 0, e.vcpu)
                    lastTime = e.timestamp
                }
            }
        } catch let e as TraceError {
            throw CLIFailure.cannot("\(name): \(e)")
        }

        if metadata["source"] == nil { metadata.source = TraceMetadata.Source.import.rawValue }
        if metadata["clock"] == nil { metadata.clock = "CLOCK_MONOTONIC" }
        if metadata["vmm_start_ns"] == nil { metadata.vmmStartNs = 0 }
        if metadata["vm_start_ns"] == nil { metadata.vmStartNs = 0 }
        if metadata["vcpus"] == nil { metadata.vcpus = (maxVCPU ?? 0) + 1 }
        // A trace dumped with its header keeps its identity; anything else gets a new one.
        if metadata.traceID == nil { metadata.traceID = TraceMetadata.newTraceID() }
        if metadata["recorder"] == nil {
            metadata["recorder"] = .object([("name", .string("porttrace import")), ("version", .string(PorttraceVersion.string))])
        }
        if let vmmStart { metadata.vmmStartNs = vmmStart }
        if let vmStart { metadata.vmStartNs = vmStart }
        metadata.applyLabels(label)
        if let why = DeviceMap.replayProblem(metadata: metadata) {
            let at = headerLine.map { ":\($0)" } ?? ""
            throw CLIFailure.cannot("\(name)\(at): refused: the header's \(why.hasPrefix("its ") ? String(why.dropFirst(4)) : why)")
        }

        let writer: TraceWriter
        do {
            writer = try TraceWriter(path: output, metadata: metadata, options: Self.writerOptions)
        } catch let e as TraceError {
            throw CLIFailure.cannot("\(output): \(e)")
        }
        do {
            try Self.forEachLine(lines) { _, line in
                if case .event(let e) = line, e.marker?.name != Marker.traceClosed { writer.append(e) }
            }
            try writer.close(at: closedAt ?? lastTime ?? writer.timeOrigin)
        } catch let e as TraceError {
            writer.abandon()
            throw CLIFailure.cannot("\(output): \(e)")
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// The longest JSON line read: a `dump --header` line holds the metadata (at most
    /// `TraceLimits.maxMetadataBytes`) and the summary, whose port and vCPU counts take up to
    /// about 2.2 MB more (65,536 ports, 4,096 vCPUs).
    static let longestJSONLine = 8 << 20

    /// Parses each non-blank line of JSON-lines input: the access lines `dump` writes straight
    /// from their bytes, anything else through the JSON parser.
    static func forEachLine(_ lines: LineReader, _ body: (Int, JSONLines.Line) throws -> Void) throws {
        do {
            try lines.forEachLine(
                { lineNumber, raw in
                    var line = raw
                    if line.last == 0x0d { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                    if let event = JSONLines.parseAccess(line) { return try body(lineNumber, .event(event)) }
                    guard let text = String(validating: line, as: UTF8.self) else {
                        throw TraceError.badInput(line: lineNumber, reason: "not UTF-8")
                    }
                    try body(lineNumber, try JSONLines.parse(text, lineNumber: lineNumber))
                },
                overlong: { throw TraceError.badInput(line: $0, reason: LineProblems.overlong(lines)) })
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
