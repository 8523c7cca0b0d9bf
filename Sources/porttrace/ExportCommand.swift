import Analysis
import ArgumentParser
import Devices
import Foundation
import SystemCalls
import TraceFormat

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the events, steps or phases of many traces as one CSV or JSON-lines table.",
        discussion: """
            Every row carries the trace's path and trace_id, header fields (source, vmm_kind, vmm_version, \
            profile, host, kernel, recorder) and a label.KEY column per label, so DuckDB, Spark or pandas read \
            a fleet of traces with one query. Times are ns since the VM started. The phases table ends each \
            trace with a 'total' row. Exit status: 0; 1 a trace is damaged or was not closed cleanly (rows were \
            written for what was readable); 2 the job could not be done.
            """)

    @Argument(help: "The traces.") var traces: [String]
    @Option(help: "events, steps or phases.") var table: TableExport.Table
    @Option(help: "csv (default) or jsonl.") var format: TableExport.Format = .csv
    @Option(name: .shortAndLong, help: "Write the table here (a file is written whole or not at all; '-': stdout).") var output: String?
    @OptionGroup var timeline: TimelineArguments

    func validate() throws {
        if traces.isEmpty { throw ValidationError("give at least one trace") }
    }

    func run() throws {
        try checkOutputs(inputs: traces, outputs: [("-o", output)])
        let keys: [String]
        do {
            keys = try TableExport.labelKeys(of: traces)
        } catch {
            throw CLIFailure.cannot("\(error)")
        }
        let export = TableExport(table: table, format: format, labelKeys: keys)
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
                if table == .events {
                    let reader = try openTrace(path)
                    let report = try export.eventRows(reader: reader, progress: traces.count == 1 ? ProgressMeter(reading: reader) : nil) {
                        sink.write(string: $0)
                    }
                    verdicts.append(TraceVerdict(reader, report))
                } else {
                    let t = try loadTimeline(path, options)
                    sink.write(string: export.rows(of: t))
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
}

extension TableExport.Table: ExpressibleByArgument {}
extension TableExport.Format: ExpressibleByArgument {}
