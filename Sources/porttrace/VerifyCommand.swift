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
        // A header whose devices replay cannot build is damage too: every other command refuses it.
        var problems = report.problems
        if let why = DeviceMap.replayProblem(metadata: reader.metadata) {
            problems.insert(TraceReader.Problem(offset: 0, kind: .damaged, reason: "header: \(why)", inHeader: true), at: 0)
        }
        // A closed trace without a usable index is a problem of the scan, so the verdict has it.
        try TraceJudgement.reading.finish(
            [TraceVerdict(path: trace, closedCleanly: reader.header.closedCleanly, problems: problems)],
            detail: "\(report.events) events in \(report.blocks) blocks recovered")
        try Output.line("\(trace): ok, \(report.events) events in \(report.blocks) blocks, closed cleanly")
    }
}
