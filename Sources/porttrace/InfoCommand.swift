import ArgumentParser
import Devices
import Foundation
import TraceFormat

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a trace's metadata and counts.",
        discussion: """
            Everything readable is shown, damage included. Exit status: 0 intact and cleanly closed; 1 damaged or \
            not closed cleanly (one line on stderr names the first problem); 2 not a trace or unreadable.
            """
    )

    @Argument(help: "The trace file.") var trace: String
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let reader = try openTrace(trace)
        var summary = TraceSummary()
        let report: TraceReader.ScanReport
        do {
            report = try reader.scan {
                summary.add($0)
                return true
            }
        } catch let e as TraceError {
            throw CLIFailure.cannot("\(trace): \(e)")
        }
        let md = reader.metadata
        let verdict = TraceVerdict(reader, report)
        TraceJudgement.reading.note([verdict])
        let bytesPerEvent = summary.events == 0 ? 0 : Double(reader.fileSize) / Double(summary.events)
        if json {
            var fields: [(String, JSONValue)] = [
                ("file", .string(trace)),
                ("file_bytes", .uint(reader.fileSize)),
                ("format_version", .uint(UInt64(reader.header.formatVersion))),
                ("min_reader_version", .uint(UInt64(reader.header.minimumReaderVersion))),
                ("complete", .bool(verdict.isComplete && reader.isComplete)),
                ("closed_cleanly", .bool(reader.header.closedCleanly)),
                ("indexed", .bool(reader.index != nil)),
                ("source", md.source.map(JSONValue.string) ?? .null),
                ("vcpus", md.vcpus.map { .uint(UInt64($0)) } ?? .null),
                ("vmm_start_ns", md.vmmStartNs.map(JSONValue.uint) ?? .null),
                ("vm_start_ns", md.vmStartNs.map(JSONValue.uint) ?? .null),
                ("first_ns", summary.minTimestamp.map(JSONValue.uint) ?? .null),
                ("last_ns", summary.maxTimestamp.map(JSONValue.uint) ?? .null),
                ("bytes_per_event", .number(String(format: "%.3f", bytesPerEvent))),
                ("blocks", .uint(UInt64(report.blocks))),
                ("value_coded_blocks", .uint(UInt64(summary.valueCodedBlocks))),
                ("markers", .object(summary.markerCounts.keys.sorted().map { ($0, .uint(summary.markerCounts[$0]!)) })),
                ("problems", .array(report.problems.map { .object([("offset", .uint($0.offset)), ("reason", .string($0.reason))]) })),
            ]
            fields.append(contentsOf: summary.jsonFields(vcpus: md.vcpus))
            fields.append(("metadata", md.json))
            try Output.line(JSONValue.object(fields).serialized())
            try TraceJudgement.reading.finish([verdict])
            return
        }
        var lines: [String] = []
        lines.append(
            "trace:        \(trace) (\(reader.fileSize) bytes, format \(reader.header.formatVersion), readers >= \(reader.header.minimumReaderVersion))"
        )
        let state =
            verdict.isComplete && reader.isComplete
            ? "complete (closed cleanly, indexed)"
            : reader.header.closedCleanly
                ? "closed, but \(reader.index == nil ? "index unusable: \(reader.indexProblem)" : "damaged")"
                : "not closed cleanly (recorder stopped early); read by scanning frames"
        lines.append("state:        \(state)")
        if let r = md["recorder"] {
            lines.append("recorder:     \(r["name"]?.stringValue ?? "?") \(r["version"]?.stringValue ?? "")")
        }
        lines.append("source:       \(md.source ?? "unknown")")
        if let h = md["host"] {
            lines.append(
                "host:         \(h["name"]?.stringValue ?? "?"), kernel \(h["kernel"]?.stringValue ?? "?"), \(h["cpu"]?.stringValue ?? "?")"
            )
        }
        if let g = md["guest"] {
            lines.append("guest:        \(g["image"]?.stringValue ?? "?") sha256 \(g["sha256"]?.stringValue ?? "?")")
        }
        if let cmd = md["vmm_command_line"]?.arrayValue {
            lines.append("command line: \(cmd.compactMap(\.stringValue).joined(separator: " "))")
        }
        lines.append("clock:        \(md.clock ?? "CLOCK_MONOTONIC")")
        lines.append(
            "origins:      vmm start \(md.vmmStartNs.map(String.init) ?? "-") ns, vm start \(md.vmStartNs.map(String.init) ?? "-") ns")
        if let a = md.wallclockAnchor {
            lines.append("wall clock:   realtime \(a.realtimeNs) ns at monotonic \(a.monotonicNs) ns")
        }
        lines.append("vcpus:        \(md.vcpus.map(String.init) ?? "?")")
        if let devices = DeviceMap(metadata: md), !devices.devices.isEmpty {
            lines.append("devices:      \(devices)")
        }
        if !md.labels.isEmpty {
            lines.append("labels:       " + md.labels.map { "\($0.0)=\($0.1)" }.joined(separator: ", "))
        }
        lines.append(
            "events:       \(summary.events) (\(summary.accesses) port accesses, \(summary.markers) markers) in \(report.blocks) blocks")
        lines.append("timestamps:   value-coded in \(summary.valueCodedBlocks) of \(report.blocks) blocks, byte planes in the rest")
        lines.append("duration:     \(TimeSpec.signedSeconds(Int64(clamping: summary.durationNs)).dropFirst()) s")
        lines.append(String(format: "size:         %.3f bytes/event", bytesPerEvent))
        lines.append("incomplete:   \(summary.incompleteEvents) events (string I/O with only the first element)")
        lines.append("lost:         \(summary.lostEvents) events")
        for port in summary.perPort.keys.sorted() {
            lines.append("  port \(TraceSummary.portName(port)): \(summary.perPort[port]!)")
        }
        for vcpu in summary.perVCPU.keys.sorted() {
            lines.append("  vcpu\(vcpu): \(summary.perVCPU[vcpu]!)")
        }
        for name in summary.markerCounts.keys.sorted() {
            lines.append("  marker \(name): \(summary.markerCounts[name]!)")
        }
        for p in report.problems {
            lines.append("problem:      \(p)")
        }
        try Output.line(lines.joined(separator: "\n"))
        try TraceJudgement.reading.finish([verdict])
    }
}
