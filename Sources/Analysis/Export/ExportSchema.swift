import Devices

/// The columns of every table `porttrace export` writes: names, types and units, the one
/// description that the header lines, the JSON keys and docs/export-schema.md follow (a test
/// checks the document against it). Every row starts with `schema_version`; the version goes up
/// with any change to any table.
public enum ExportSchema {
    /// 2: per-trace fields moved to the `boots` table (events, steps, phases and intervals rows
    /// carry `trace_key`); `boots` and `intervals` tables; steps carry repeats and the chain's
    /// intervals. (1: the tables of porttrace 0.1, with path, header fields and labels on every row.)
    public static let version = 2

    public enum ColumnType: String, Sendable {
        /// A signed 64-bit integer (JSON number; CSV digits, `-` when negative).
        case int64 = "INT64"
        /// true or false.
        case boolean = "BOOLEAN"
        /// UTF-8 text (CSV: quoted as RFC 4180 says when it holds a comma, quote or line break).
        case string = "STRING"
        /// A JSON object (JSON lines: the object; CSV: its JSON text, quoted).
        case json = "JSON"
    }

    public struct Column: Sendable, Equatable {
        public var name: String
        public var type: ColumnType
        /// Empty for none; `ns` for nanoseconds.
        public var unit: String
        public var nullable: Bool
        public var meaning: String
    }

    static func c(_ name: String, _ type: ColumnType, _ meaning: String, unit: String = "", null: Bool = false) -> Column {
        Column(name: name, type: type, unit: unit, nullable: null, meaning: meaning)
    }

    static let common: [Column] = [
        c("schema_version", .int64, "The version of these tables' layout (\(version))."),
        c("trace_key", .string, "The trace: its trace_id, or for a trace without one `fnv1a64:` and a hash of the file's bytes."),
    ]

    public static func columns(_ table: TableExport.Table) -> [Column] {
        switch table {
        case .events:
            return common + [
                c("time_ns", .int64, "Time since the VM's start (negative before it).", unit: "ns"),
                c("vcpu", .int64, "The vCPU."),
                c("kind", .string, "`access` or `marker`."),
                c("port", .int64, "The I/O port (accesses).", null: true),
                c("direction", .string, "`in` or `out` (accesses).", null: true),
                c("size", .int64, "Access width: 1, 2 or 4 (accesses).", unit: "bytes", null: true),
                c("count", .int64, "Repeat count (string I/O), 1 otherwise (accesses).", null: true),
                c("incomplete", .boolean, "Only the first element of string I/O was captured (accesses).", null: true),
                c("data", .string, "The bytes written or read, lower-case hex (accesses).", null: true),
                c("marker", .string, "The marker's name (markers).", null: true),
                c("marker_value", .int64, "The marker's value (markers).", null: true),
                c("marker_text", .string, "The marker's text, when it has one (markers).", null: true),
            ]
        case .steps:
            return common + [
                c("step", .int64, "The step's position in the timeline (0-based, time order)."),
                c("kind", .string, "`post`, `mark` or `console_start`."),
                c("code", .int64, "The POST code (post).", null: true),
                c("component", .string, "The code's component: Firmware, Bootloader, Kernel, Userspace, Custom (post).", null: true),
                c("name", .string, "The step's label (`0x40 Kernel`), the mark's name, or the console."),
                c("time_ns", .int64, "Time since the VM's start of the step (its first write, for repeats).", unit: "ns"),
                c("repeats", .int64, "Consecutive writes of the code collapsed into the step (1 for one write)."),
                c("last_ns", .int64, "Time since the VM's start of the last of those writes.", unit: "ns"),
                c("in_chain", .boolean, "The step is in the boot's chain of intervals (POST codes but back-steps, and marks)."),
                c(
                    "interval_ns", .int64, "The interval the step closes: since the previous chain step, or the VM's start.", unit: "ns",
                    null: true),
                c("interval_from", .string, "Where that interval starts: the previous chain step's label, or `VM start`.", null: true),
                c("back_step", .boolean, "A code of an earlier component after a later one began."),
                c("vcpu", .int64, "The vCPU that wrote or printed it."),
            ]
        case .phases:
            return common + [
                c("phase", .string, "The phase's name (Firmware ... Custom, or a `--phase` name)."),
                c("component", .string, "Its component, for phases named after one.", null: true),
                c("start_ns", .int64, "Time since the VM's start.", unit: "ns"),
                c("end_ns", .int64, "Time since the VM's start.", unit: "ns"),
                c("duration_ns", .int64, "end_ns - start_ns.", unit: "ns"),
                c("unfinished", .boolean, "The step that would end it never came: it runs to the end of the trace."),
            ]
        case .intervals:
            return common + [
                c("name", .string, "`FROM -> TO` for the chain's intervals, the `--interval` name for named ones."),
                c("kind", .string, "`chain` or `named`."),
                c("from", .string, "Where it starts: a step's label, `VM start`, or the named interval's FROM."),
                c("to", .string, "Where it ends."),
                c("start_ns", .int64, "Time since the VM's start (null when FROM never came).", unit: "ns", null: true),
                c("end_ns", .int64, "Time since the VM's start (null when TO never came).", unit: "ns", null: true),
                c("duration_ns", .int64, "end_ns - start_ns.", unit: "ns", null: true),
            ]
        case .boots:
            return common + [
                c("trace", .string, "The trace's path as given to export."),
                c("trace_id", .string, "The random id run, record and import store.", null: true),
                c("source", .string, "How it was made: kvm-run, tracefs, import.", null: true),
                c("vmm_kind", .string, "The VMM recorded (qemu, cloud-hypervisor, firecracker).", null: true),
                c("vmm_version", .string, "Its `--version`.", null: true),
                c("release", .string, "The cloud-hypervisor release the trace was read as."),
                c("host", .string, "The recording host's name.", null: true),
                c("kernel", .string, "The recording host's kernel.", null: true),
                c("recorder", .string, "What recorded it, and its version.", null: true),
                c("labels", .json, "The trace's labels (`--label key=value`), as one JSON object."),
                c("phases_from", .string, "`post codes`, or `marks (SET)`."),
                c("boot_start_ns", .int64, "Where the boot starts, since the VM's start.", unit: "ns", null: true),
                c("boot_end_ns", .int64, "Where the boot ends, since the VM's start.", unit: "ns", null: true),
                c("total_ns", .int64, "The boot's length.", unit: "ns", null: true),
                c("unfinished", .boolean, "The last phase never ended."),
            ]
                + DebugPortComponent.allCases.map { phase in
                    c(
                        "\(phase.rawValue.lowercased())_ns", .int64,
                        "The \(phase.rawValue) phase's duration\(phase == .firmware ? " (null when there is none)" : "").", unit: "ns",
                        null: true)
                } + [
                    c(
                        "ended_by", .string,
                        "How the recording ended, when its recorder said (`every vCPU halted`, `until: POST code 0x41`, `the VMM exited with status 1`).",
                        null: true),
                    c("failed", .boolean, "The boot failed: it passed `--boot-timeout`, its VMM failed, or its guest faulted."),
                    c("events", .int64, "Events read."),
                    c("closed_cleanly", .boolean, "The recorder closed the trace."),
                    c("damaged", .boolean, "Reading found damage (the rows cover what was readable)."),
                ]
        }
    }
}
