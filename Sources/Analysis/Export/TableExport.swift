import Devices
import Foundation
import TraceFormat

/// `porttrace export`: long tables of many traces for the engines fleets use (DuckDB, Spark,
/// pandas), as CSV (RFC 4180) or JSON lines. The columns are `ExportSchema`'s: every row starts
/// with `schema_version` and `trace_key`; what belongs to a trace (its path, header, labels, boot
/// summary) is one row of the `boots` table, joined on `trace_key`.
public struct TableExport: Sendable {
    public enum Table: String, Sendable, CaseIterable { case events, steps, phases, intervals, boots }
    public enum Format: String, Sendable, CaseIterable { case csv, jsonl }

    public let table: Table
    public let format: Format
    public let columns: [ExportSchema.Column]

    public init(table: Table, format: Format) {
        self.table = table
        self.format = format
        columns = ExportSchema.columns(table)
    }

    /// The CSV header line (nothing for JSON lines).
    public func header() -> String {
        format == .csv ? columns.map { TableExport.csvField($0.name) }.joined(separator: ",") + "\n" : ""
    }

    // MARK: Rows from a timeline

    /// A cell of a row.
    enum Cell {
        case none
        case text(String)
        case int(Int64)
        case bool(Bool)
        /// A JSON value (an object in JSON lines; its text in CSV).
        case json(JSONValue)

        static func of(_ s: String?) -> Cell { s.map(Cell.text) ?? .none }
        static func of(_ v: Int64?) -> Cell { v.map(Cell.int) ?? .none }
    }

    /// One row: `schema_version`, `trace_key`, then `cells`. Missing cells are empty in CSV and null in JSON.
    func row(key: String, _ cells: [Cell], into out: inout String) {
        let all: [Cell] = [.int(Int64(ExportSchema.version)), .text(key)] + cells
        precondition(all.count == columns.count, "\(table) row of \(all.count) cells for \(columns.count) columns")
        switch format {
        case .csv:
            for (i, c) in all.enumerated() {
                if i > 0 { out += "," }
                switch c {
                case .none: break
                case .text(let s): out += TableExport.csvField(s)
                case .int(let n): out += String(n)
                case .bool(let b): out += b ? "true" : "false"
                case .json(let v): out += TableExport.csvField(v.serialized())
                }
            }
            out += "\n"
        case .jsonl:
            let fields: [(String, JSONValue)] = zip(columns, all).map { column, c in
                switch c {
                case .none: return (column.name, .null)
                case .text(let s): return (column.name, .string(s))
                case .int(let n): return (column.name, .int(n))
                case .bool(let b): return (column.name, .bool(b))
                case .json(let v): return (column.name, v)
                }
            }
            JSONValue.object(fields).write(to: &out)
            out += "\n"
        }
    }

    /// The rows of a timeline for the steps, phases, intervals or boots table. `verdict` says
    /// what reading it found (for `boots`).
    public func rows(of t: BootTimeline, key: String, verdict: TraceVerdict? = nil) -> String {
        var out = ""
        switch table {
        case .steps:
            for (i, s) in t.steps.enumerated() {
                var cells: [Cell] = [.int(Int64(i))]
                switch s.kind {
                case .post(let code):
                    cells += [.text("post"), .int(Int64(code)), .text(DebugPortComponent(code: code).rawValue), .text(s.label)]
                case .mark(let name, _, _):
                    cells += [.text("mark"), .none, .none, .text(name)]
                case .consoleStart(let device):
                    cells += [.text("console_start"), .none, .none, .text(device)]
                }
                let from: Cell = s.inChain && s.interval != nil ? .text(s.intervalFrom ?? "VM start") : .none
                cells += [
                    .int(s.time), .int(Int64(s.count)), .int(s.lastTime), .bool(s.inChain), .of(s.interval), from, .bool(s.isBackStep),
                    .int(Int64(s.vcpu)),
                ]
                row(key: key, cells, into: &out)
            }
        case .phases:
            for p in t.phases {
                row(
                    key: key,
                    [
                        .text(p.name), .of(p.component?.rawValue), .int(p.start), .int(p.end), .int(p.duration), .bool(p.unfinished),
                    ], into: &out)
            }
        case .intervals:
            for i in t.intervals {
                row(
                    key: key, [.text(i.name), .text("chain"), .text(i.from), .text(i.to), .int(i.start), .int(i.end), .int(i.duration)],
                    into: &out)
            }
            for i in t.namedIntervals {
                row(
                    key: key, [.text(i.name), .text("named"), .text(i.from), .text(i.to), .of(i.start), .of(i.end), .of(i.duration)],
                    into: &out)
            }
        case .boots:
            row(key: key, bootCells(t, verdict: verdict), into: &out)
        case .events:
            break
        }
        return out
    }

    func bootCells(_ t: BootTimeline, verdict: TraceVerdict?) -> [Cell] {
        let md = t.metadata
        let recorder = md["recorder"].map { r in
            [r["name"]?.stringValue, r["version"]?.stringValue].compactMap { $0 }.joined(separator: " ")
        }
        let phaseSource: String
        switch t.phaseSource {
        case .postCodes: phaseSource = "post codes"
        case .marks(let set): phaseSource = "marks (\(set))"
        }
        var cells: [Cell] = [
            .text(t.path), .of(md.traceID), .of(md.source), .of(md["vmm_kind"]?.stringValue), .of(md["vmm_version"]?.stringValue),
            .text(t.release.release.tag), .of(md["host"]?["name"]?.stringValue), .of(md["host"]?["kernel"]?.stringValue), .of(recorder),
            .json(.object(md.labels.map { ($0.0, .string($0.1)) })), .text(phaseSource), .of(t.bootStart), .of(t.bootEnd),
            .of(t.total), .bool(t.unfinished),
        ]
        for c in DebugPortComponent.allCases {
            cells.append(.of(t.phase(c)?.duration))
        }
        cells += [
            .of(t.ending?.reason), .bool(t.ending?.failed ?? false), .int(Int64(clamping: t.events)), .bool(t.closedCleanly),
            .bool(verdict?.isDamaged ?? false),
        ]
        return cells
    }

    // MARK: Events, streamed

    /// Streams every event of a trace as rows, handing out about 1 MiB of bytes at a time:
    /// memory stays bounded by one block of the trace whatever its length.
    public func eventRows(
        reader: TraceReader, key: String, progress: ProgressMeter? = nil, _ chunk: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> TraceReader.ScanReport {
        var visitor = EventRows(format: format, key: key, origin: reader.timeOrigin)
        let report = try reader.scan { block in
            block.walk(&visitor)
            progress?.advance(events: UInt64(block.count))
            if visitor.rows.count >= 1 << 20 { try visitor.rows.drain(chunk) }
            return true
        }
        try visitor.rows.drain(chunk)
        return report
    }

    /// Event rows written straight into a `RowBuffer` (no per-cell appends: they cost more than
    /// the formatting), each row's fixed start (schema version and trace key) made once per trace.
    struct EventRows: EventVisitor {
        let format: Format
        let origin: UInt64
        /// `2,KEY,` or `{"schema_version":2,"trace_key":"KEY","time_ns":`.
        let start: [UInt8]
        let rows = RowBuffer(capacity: (1 << 20) + 65536)

        init(format: Format, key: String, origin: UInt64) {
            self.format = format
            self.origin = origin
            switch format {
            case .csv: start = Array("\(ExportSchema.version),\(TableExport.csvField(key)),".utf8)
            case .jsonl:
                start = Array(
                    "{\"schema_version\":\(ExportSchema.version),\"trace_key\":\(JSONValue.string(key).serialized()),\"time_ns\":".utf8)
            }
        }

        mutating func visit(timestamp: UInt64, shape: EventShape, data: UnsafeRawBufferPointer) {
            let time = Int64(bitPattern: timestamp &- origin)
            let csv = format == .csv
            // SAFETY: `start` is this visitor's own array, read for the closure only.
            start.withUnsafeBufferPointer { start in
                // The fixed text and five numbers need under 192 bytes besides the start and two hex
                // digits per data byte; LineBuffer checks every write against the room anyway.
                rows.write(room: start.count + 192 + 2 * data.count) { w in
                    w.put(bytes: start)
                    w.signedDecimal(time)
                    if csv {
                        w.put(",")
                        w.decimal(UInt64(shape.vcpu))
                        w.put(",access,")
                        w.decimal(UInt64(shape.port))
                        w.put(shape.direction == .out ? ",out," : ",in,")
                        w.decimal(UInt64(shape.size))
                        w.put(",")
                        w.decimal(UInt64(shape.count))
                        w.put(shape.incomplete ? ",true," : ",false,")
                        w.hex(data)
                        w.put(",,,\n")
                    } else {
                        w.put(#","vcpu":"#)
                        w.decimal(UInt64(shape.vcpu))
                        w.put(#","kind":"access","port":"#)
                        w.decimal(UInt64(shape.port))
                        w.put(shape.direction == .out ? #","direction":"out","size":"# : #","direction":"in","size":"#)
                        w.decimal(UInt64(shape.size))
                        w.put(#","count":"#)
                        w.decimal(UInt64(shape.count))
                        w.put(shape.incomplete ? #","incomplete":true,"data":""# : #","incomplete":false,"data":""#)
                        w.hex(data)
                        w.put(#"","marker":null,"marker_value":null,"marker_text":null}"#)
                        w.put(0x0a)
                    }
                }
            }
        }

        mutating func visit(timestamp: UInt64, vcpu: UInt32, marker: Marker) {
            let time = Int64(bitPattern: timestamp &- origin)
            var row = String(time)
            switch format {
            case .csv:
                row += ",\(vcpu),marker,,,,,,,\(TableExport.csvField(marker.name)),\(marker.value),"
                if !marker.text.isEmpty { row += TableExport.csvField(marker.text) }
                row += "\n"
            case .jsonl:
                row +=
                    #","vcpu":\#(vcpu),"kind":"marker","port":null,"direction":null,"size":null,"count":null,"incomplete":null,"data":null,"marker":"#
                row += JSONValue.string(marker.name).serialized() + #","marker_value":\#(marker.value),"marker_text":"#
                row += (marker.text.isEmpty ? "null" : JSONValue.string(marker.text).serialized()) + "}\n"
            }
            rows.append(start)
            rows.append(Array(row.utf8))
        }
    }

    /// A CSV field: quoted when it holds a comma, quote, CR or LF (quotes doubled).
    static func csvField(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: Trace keys

    /// The key every row of a trace carries: its `trace_id`, or for a trace without one
    /// `fnv1a64:` and the FNV-1a hash of the file's bytes (read in 1 MiB pieces).
    public static func traceKey(path: String, metadata: TraceMetadata) throws -> String {
        if let id = metadata.traceID, !id.isEmpty { return id }
        let hash = try FileDigest.fnv1a64(path: path)
        return "fnv1a64:" + String(hash, radix: 16)
    }
}
