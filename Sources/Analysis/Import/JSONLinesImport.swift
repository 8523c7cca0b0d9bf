import Devices
import TraceFormat

/// `porttrace import --format jsonl`: the lines `dump --format jsonl --header` prints become a
/// trace again. Two streaming passes, so memory stays flat whatever the input's size: the first
/// checks every line and finds the header and the defaults, the second writes.
///
/// Without a header line the metadata defaults to: source "import", vmm_start_ns 0,
/// vm_start_ns 0, vcpus = highest vCPU index + 1, clock CLOCK_MONOTONIC; `vmmStart`, `vmStart`
/// and `labels` override. `trace_closed` markers are not copied: the writer adds its own at the
/// same time.
public struct JSONLinesImport: Sendable {
    /// `--vmm-start`, `--vm-start`, `--label`.
    public var vmmStart: UInt64?
    public var vmStart: UInt64?
    public var labels: [String]
    /// The porttrace version named in the `recorder` of a trace whose header names none.
    public var recorderVersion: String

    public init(vmmStart: UInt64? = nil, vmStart: UInt64? = nil, labels: [String] = [], recorderVersion: String) {
        self.vmmStart = vmmStart
        self.vmStart = vmStart
        self.labels = labels
        self.recorderVersion = recorderVersion
    }

    /// The longest JSON line read: a `dump --header` line holds the metadata (at most
    /// `TraceLimits.maxMetadataBytes`) and the summary, whose port and vCPU counts take up to
    /// about 2.2 MB more (65,536 ports, 4,096 vCPUs).
    public static let longestLine = 8 << 20

    /// Keys of `info --json` and the `dump --header` line that are computed, not metadata: the
    /// import ignores them.
    public static let derivedKeys: Set<String> = [
        "events", "duration_ns", "ports", "vcpu_events", "incomplete_events", "lost_events",
        "file", "file_bytes", "complete", "closed_cleanly", "indexed", "format_version", "min_reader_version",
        "first_ns", "last_ns", "bytes_per_event", "blocks", "markers", "problems", "metadata",
    ]

    /// Why an import stopped (status 2), each naming the input or the output as the command did.
    public enum Failure: Error, Sendable {
        /// A line that cannot be imported (not JSON lines, over a trace's limits, a header out of place).
        case input(TraceError)
        /// The header describes devices that replay could not build; `line` is the header's.
        case refusedHeader(line: Int?, reason: String)
        /// The trace could not be written.
        case output(TraceError)

        /// The one line a command prints, for input `input` and trace `output`.
        public func message(input: String, output: String) -> String {
            switch self {
            case .input(let e): return "\(input): \(e)"
            case .refusedHeader(let line, let why):
                let at = line.map { ":\($0)" } ?? ""
                return "\(input)\(at): refused: the header's \(why.hasPrefix("its ") ? String(why.dropFirst(4)) : why)"
            case .output(let e): return "\(output): \(e)"
            }
        }
    }

    /// What the first pass found.
    public struct Plan: Sendable {
        /// The header the trace gets (the input's, with the defaults and the overrides).
        public var metadata: TraceMetadata
        /// When the input's own `trace_closed` marker was, if it has one.
        public var closedAt: UInt64?
        /// The time of the last event (the trace is closed there without a `trace_closed`).
        public var lastTime: UInt64?
        /// The line of the header, if the input has one.
        public var headerLine: Int?
    }

    /// Reads `lines` and writes the trace with `makeWriter`, which gets the finished header. On a
    /// failure after the writer was made, the writer is abandoned. Errors reading the input
    /// (`AnalysisError`) pass through.
    @discardableResult
    public func run(_ lines: LineReader, makeWriter: (TraceMetadata) throws -> TraceWriter) throws -> Plan {
        let plan = try self.plan(lines)
        let writer: TraceWriter
        do {
            writer = try makeWriter(plan.metadata)
        } catch let e as TraceError {
            throw Failure.output(e)
        }
        do {
            try JSONLinesImport.forEachLine(lines) { _, line in
                if case .event(let e) = line, e.marker?.name != Marker.traceClosed { writer.append(e) }
            }
            try writer.close(at: plan.closedAt ?? plan.lastTime ?? writer.timeOrigin)
        } catch let e as TraceError {
            writer.abandon()
            throw Failure.output(e)
        } catch {
            writer.abandon()
            throw error
        }
        return plan
    }

    /// The first pass: checks every line and builds the header.
    public func plan(_ lines: LineReader) throws -> Plan {
        var metadata = TraceMetadata()
        var sawEvent = false
        var plan = Plan(metadata: metadata)
        var maxVCPU: UInt32?
        do {
            try JSONLinesImport.forEachLine(lines) { lineNumber, line in
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
                    metadata = try TraceMetadata(
                        json: .object((h.objectValue ?? []).filter { !JSONLinesImport.derivedKeys.contains($0.0) }))
                    plan.headerLine = lineNumber
                case .event(let e):
                    sawEvent = true
                    if e.marker?.name == Marker.traceClosed {
                        plan.closedAt = e.timestamp
                        return
                    }
                    maxVCPU = max(maxVCPU ?? 0, e.vcpu)
                    plan.lastTime = e.timestamp
                }
            }
        } catch let e as TraceError {
            throw Failure.input(e)
        }

        if metadata["source"] == nil { metadata.source = TraceMetadata.Source.import.rawValue }
        if metadata["clock"] == nil { metadata.clock = "CLOCK_MONOTONIC" }
        if metadata["vmm_start_ns"] == nil { metadata.vmmStartNs = 0 }
        if metadata["vm_start_ns"] == nil { metadata.vmStartNs = 0 }
        if metadata["vcpus"] == nil { metadata.vcpus = (maxVCPU ?? 0) + 1 }
        // A trace dumped with its header keeps its identity; anything else gets a new one.
        if metadata.traceID == nil { metadata.traceID = TraceMetadata.newTraceID() }
        if metadata["recorder"] == nil {
            metadata["recorder"] = .object([("name", .string("porttrace import")), ("version", .string(recorderVersion))])
        }
        if let vmmStart { metadata.vmmStartNs = vmmStart }
        if let vmStart { metadata.vmStartNs = vmStart }
        metadata.applyLabels(labels)
        if let why = DeviceMap.replayProblem(metadata: metadata) {
            throw Failure.refusedHeader(line: plan.headerLine, reason: why)
        }
        plan.metadata = metadata
        return plan
    }

    /// Parses each non-blank line of JSON-lines input: the access lines `dump` writes straight
    /// from their bytes, anything else through the JSON parser. A line over `longestLine` is bad input.
    static func forEachLine(_ lines: LineReader, _ body: (Int, JSONLines.Line) throws -> Void) throws {
        try lines.forEachLine(
            { lineNumber, raw in
                var line = raw
                // SAFETY: `dropLast()` of a non-empty line is a slice within it, so the rebased
                // buffer lies in the line's memory, which the reader keeps valid for this call.
                if line.last == 0x0d { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                if let event = JSONLines.parseAccess(line) { return try body(lineNumber, .event(event)) }
                guard let text = String(validating: line, as: UTF8.self) else {
                    throw TraceError.badInput(line: lineNumber, reason: "not UTF-8")
                }
                try body(lineNumber, try JSONLines.parse(text, lineNumber: lineNumber))
            },
            overlong: { throw TraceError.badInput(line: $0, reason: LineProblems.overlong(lines)) })
    }
}
