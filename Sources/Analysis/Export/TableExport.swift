import Devices
import Foundation
import TraceFormat

/// `porttrace export`: one row per event, step or phase of many traces, with each trace's path,
/// `trace_id`, labels and header fields as columns, so DuckDB, Spark or pandas read a fleet's
/// traces with one glob. CSV (RFC 4180) or JSON lines.
public struct TableExport: Sendable {
    public enum Table: String, Sendable, CaseIterable { case events, steps, phases }
    public enum Format: String, Sendable, CaseIterable { case csv, jsonl }

    /// Header fields every row carries (empty where a trace lacks them).
    public static let headerColumns = ["source", "vmm_kind", "vmm_version", "profile", "host", "kernel", "recorder"]

    public let table: Table
    public let format: Format
    /// Label keys, as columns `label.KEY`, in order of first appearance over all the traces.
    public let labelKeys: [String]

    public init(table: Table, format: Format, labelKeys: [String]) {
        self.table = table
        self.format = format
        self.labelKeys = labelKeys
    }

    /// The label keys of these traces' headers (read without reading their events).
    public static func labelKeys(of paths: [String]) throws -> [String] {
        try labelKeys(of: paths.map(TraceSource.file))
    }

    public static func labelKeys(of sources: [TraceSource]) throws -> [String] {
        var keys: [String] = []
        for source in sources {
            let md: TraceMetadata
            do {
                md = try source.open().metadata
            } catch let e as TraceError {
                throw AnalysisError.trace(path: source.name, e)
            }
            for (k, _) in md.labels where !keys.contains(k) { keys.append(k) }
        }
        return keys
    }

    var rowColumns: [String] {
        switch table {
        case .events:
            return ["time_ns", "vcpu", "kind", "port", "direction", "size", "count", "incomplete", "data", "marker", "value", "text"]
        case .steps: return ["step", "kind", "code", "component", "name", "time_ns", "since_previous_ns", "vcpu", "back_step"]
        case .phases: return ["phase", "start_ns", "end_ns", "duration_ns"]
        }
    }

    public var columns: [String] { ["trace", "trace_id"] + TableExport.headerColumns + labelKeys.map { "label.\($0)" } + rowColumns }

    /// The CSV header line (nothing for JSON lines).
    public func header() -> String { format == .csv ? columns.map(TableExport.csvField).joined(separator: ",") + "\n" : "" }

    /// The per-trace cells.
    func traceCells(path: String, metadata md: TraceMetadata) -> [Cell] {
        let labels = md.labels
        let recorder = md["recorder"].map { r in
            [r["name"]?.stringValue, r["version"]?.stringValue].compactMap { $0 }.joined(separator: " ")
        }
        let fixed: [String?] = [
            path, md.traceID, md.source, md["vmm_kind"]?.stringValue, md["vmm_version"]?.stringValue, md["profile"]?.stringValue,
            md["host"]?["name"]?.stringValue, md["host"]?["kernel"]?.stringValue, recorder,
        ]
        return (fixed + labelKeys.map { k in labels.first { $0.0 == k }?.1 }).map(Cell.of)
    }

    enum Cell {
        case none
        case text(String)
        case number(String)
        case bool(Bool)

        static func of(_ s: String?) -> Cell { s.map(Cell.text) ?? .none }
        static func int<T: BinaryInteger>(_ v: T) -> Cell { .number(String(v)) }
    }

    /// One row. Missing cells are empty in CSV and null in JSON; numbers stay numbers in JSON.
    func row(_ cells: [Cell], into out: inout String) {
        switch format {
        case .csv:
            var first = true
            for c in cells {
                if !first { out += "," }
                first = false
                switch c {
                case .none: break
                case .text(let s): out += TableExport.csvField(s)
                case .number(let n): out += n
                case .bool(let b): out += b ? "true" : "false"
                }
            }
            out += "\n"
        case .jsonl:
            let fields: [(String, JSONValue)] = zip(columns, cells).map { name, c in
                switch c {
                case .none: return (name, .null)
                case .text(let s): return (name, .string(s))
                case .number(let n): return (name, .number(n))
                case .bool(let b): return (name, .bool(b))
                }
            }
            JSONValue.object(fields).write(to: &out)
            out += "\n"
        }
    }

    /// Rows for the steps or phases of a timeline (the phases table ends with a `total` row).
    public func rows(of t: BootTimeline) -> String {
        let head = traceCells(path: t.path, metadata: t.metadata)
        var out = ""
        switch table {
        case .steps:
            for (i, s) in t.steps.enumerated() {
                var cells: [Cell] = [.int(i)]
                switch s.kind {
                case .post(let code):
                    cells += [.text("post"), .int(code), .text(DebugPortComponent(code: code).rawValue), .text(s.label)]
                case .mark(let name, _, _):
                    cells += [.text("mark"), .none, .none, .text(name)]
                case .consoleStart(let device):
                    cells += [.text("console_start"), .none, .none, .text(device)]
                }
                cells += [.int(s.time), s.interval.map { .int($0) } ?? .none, .int(s.vcpu), .bool(s.isBackStep)]
                row(head + cells, into: &out)
            }
        case .phases:
            for p in t.phases { row(head + [.text(p.name), .int(p.start), .int(p.end), .int(p.duration)], into: &out) }
            if let total = t.total, let start = t.bootStart, let end = t.bootEnd {
                row(head + [.text("total"), .int(start), .int(end), .int(total)], into: &out)
            }
        case .events:
            break
        }
        return out
    }

    /// Streams every event of a trace as rows, handing out text in chunks of about 1 MiB.
    public func eventRows(reader: TraceReader, progress: ProgressMeter? = nil, _ chunk: (String) throws -> Void) throws
        -> TraceReader.ScanReport
    {
        var visitor = EventRows(
            export: self, head: traceCells(path: reader.path, metadata: reader.metadata), origin: reader.timeOrigin)
        let report = try reader.scan { block in
            block.walk(&visitor)
            progress?.advance(events: UInt64(block.count))
            if visitor.out.utf8.count >= 1 << 20 {
                try chunk(visitor.out)
                visitor.out = ""
            }
            return true
        }
        try chunk(visitor.out)
        return report
    }

    struct EventRows: EventVisitor {
        let export: TableExport
        let head: [Cell]
        let origin: UInt64
        var out = ""

        static let hexDigits = Array("0123456789abcdef")

        mutating func visit(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
            var hex = ""
            hex.reserveCapacity(data.count * 2)
            for b in data {
                hex.append(EventRows.hexDigits[Int(b >> 4)])
                hex.append(EventRows.hexDigits[Int(b & 0xf)])
            }
            export.row(
                head + [
                    .int(Int64(bitPattern: timestamp &- origin)), .int(shape.vcpu), .text("access"), .int(shape.port),
                    .text(shape.direction.description),
                    .int(shape.size), .int(shape.count), .bool(shape.incomplete), .text(hex), .none, .none, .none,
                ], into: &out)
        }

        mutating func visit(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
            export.row(
                head + [
                    .int(Int64(bitPattern: timestamp &- origin)), .int(vcpu), .text("marker"), .none, .none, .none, .none, .none, .none,
                    .text(marker.name), .int(marker.value), .of(marker.text.isEmpty ? nil : marker.text),
                ], into: &out)
        }
    }

    /// A CSV field: quoted when it holds a comma, quote, CR or LF (quotes doubled).
    static func csvField(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
