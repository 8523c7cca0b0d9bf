import ArgumentParser
import Devices
import TraceFormat

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a trace end to end.",
        discussion: "Exit status: 0 intact and cleanly closed; 1 readable but damaged or not closed; 2 not a trace or unreadable."
    )

    @Argument(help: "The trace file.") var trace: String

    func run() throws {
        let reader = try openTrace(trace)
        let report: TraceReader.ScanReport
        do {
            report = try reader.scan { _ in true }
        } catch let e as TraceError {
            throw CLIFailure.cannot("\(trace): \(e)")
        }
        for w in report.warnings { Output.stderrLine("porttrace: \(trace): warning: \(w)") }
        let recovered = "\(report.events) events in \(report.blocks) blocks recovered"
        var damage = report.damage
        // A header whose devices replay cannot build is damage too: every other command refuses it.
        if let why = DeviceMap.replayProblem(metadata: reader.metadata) {
            damage.insert(TraceReader.Problem(offset: 0, kind: .damaged, reason: "header: \(why)"), at: 0)
        }
        if !damage.isEmpty {
            let first = damage[0]
            let what = first.kind == .truncated ? "cut short" : "damaged"
            let more = damage.count > 1 ? " (and \(damage.count - 1) more problems; 'info' lists them)" : ""
            throw CLIFailure.found("\(trace): \(what): \(first)\(more); \(recovered)")
        }
        if !reader.header.closedCleanly {
            throw CLIFailure.found("\(trace): not closed cleanly (recorder stopped early); \(recovered)")
        }
        if reader.index == nil {
            throw CLIFailure.found("\(trace): closed, but its index is unusable (\(reader.indexProblem)); \(recovered)")
        }
        print("\(trace): ok, \(report.events) events in \(report.blocks) blocks, closed cleanly")
    }
}
