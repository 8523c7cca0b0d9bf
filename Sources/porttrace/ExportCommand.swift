import Analysis
import ArgumentParser
import Devices
import Foundation
import SystemCalls
import TraceFormat

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the events, steps, phases, intervals or boots of many traces as one CSV or JSON-lines table.",
        discussion: """
            Long tables for DuckDB, Spark or pandas (docs/export-schema.md gives every column's type and unit). \
            Every row starts with schema_version and trace_key (the trace_id, or a hash of the file for traces \
            without one); what belongs to a trace (its path, header fields, labels as one JSON object, the boot's \
            total and each component phase) is its row of the boots table. Times are ns since the VM started. \
            Exit status: 0; 1 a trace is damaged or was not closed cleanly (rows were written for what was \
            readable); 2 the job could not be done.
            """)

    @Argument(help: "The traces.") var traces: [String]
    @Option(help: "events, steps, phases, intervals or boots.") var table: TableExport.Table
    @Option(help: "csv (default) or jsonl.") var format: TableExport.Format = .csv
    @Option(name: .shortAndLong, help: "Write the table here (a file is written whole or not at all; '-': stdout).") var output: String?
    @OptionGroup var timeline: TimelineArguments

    func validate() throws {
        if traces.isEmpty { throw ValidationError("give at least one trace") }
    }

    func run() throws {
        try checkOutputs(inputs: traces, outputs: [("-o", output)])
        let export = TableExport(table: table, format: format)
        let sink: ByteSink
        if let output, output != "-" {
            do {
                // Event rows hold what the guest wrote: a new file gets mode 0600, as a trace does.
                sink = try ByteSink.output(output, contents: table == .events ? .guestData : .report)
            } catch {
                throw CLIFailure.cannot("-o \(error)")
            }
        } else {
            sink = ByteSink(.descriptor(1))
        }
        var verdicts: [TraceVerdict] = []
        do {
            sink.write(string: export.header())
            let progress = traces.count > 1 ? ProgressMeter(what: "export", unit: "traces", total: UInt64(traces.count)) : nil
            let options = try timeline.options()
            for path in traces {
                let reader = try openTrace(path)
                let key = try Self.key(path, reader)
                if table == .events {
                    let report = try export.eventRows(
                        reader: reader, key: key, progress: traces.count == 1 ? ProgressMeter(reading: reader) : nil
                    ) { sink.write($0) }
                    verdicts.append(TraceVerdict(reader, report))
                } else {
                    let t = try loadTimeline(reader, options)
                    sink.write(string: export.rows(of: t, key: key, verdict: t.verdict))
                    verdicts.append(t.verdict)
                }
                TraceJudgement.reading.note(verdicts)
                progress?.advance(events: 1)
                try sink.flush()
            }
            progress?.finish()
            try sink.finish()
        } catch let e as SinkError {
            sink.abandon()
            throw outputFailure(e)
        } catch let e as TraceError {
            sink.abandon()
            throw CLIFailure.cannot("\(e)")
        } catch {
            sink.abandon()
            throw error
        }
        try TraceJudgement.reading.finish(verdicts, detail: "rows were written for what was readable")
    }

    /// The trace's key for every row: its trace_id, or a hash of the file.
    static func key(_ path: String, _ reader: TraceReader) throws -> String {
        do {
            return try TableExport.traceKey(path: path, metadata: reader.metadata)
        } catch {
            throw CLIFailure.cannot("\(path): \(error)")
        }
    }
}

extension TableExport.Table: ExpressibleByArgument {}
extension TableExport.Format: ExpressibleByArgument {}
