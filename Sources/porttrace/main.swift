import ArgumentParser
import Foundation

// Exit statuses (the README's table; TraceJudgement in Support.swift applies it):
//   0 ok, 1 found a difference or damage, 2 could not do the job (bad input, bad flags, missing file).
// A closed pipe is reported to the writer (EPIPE) rather than killing the process, so that
// `porttrace dump T | head` ends quietly with the status reached so far (see Reached).
signal(SIGPIPE, SIG_IGN)
do {
    var command = try Porttrace.parseAsRoot()
    try command.run()
} catch let failure as CLIFailure {
    Output.stderrLine("porttrace: \(Output.oneLine(failure.message))")
    exit(failure.status)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    if Porttrace.exitCode(for: error) == .success {
        print(Porttrace.fullMessage(for: error))
        exit(0)
    }
    // Argument errors: one line naming the flag and the problem, then status 2.
    let message = Porttrace.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    Output.stderrLine("porttrace: \(Output.oneLine(message)) (see 'porttrace --help')")
    exit(2)
}
