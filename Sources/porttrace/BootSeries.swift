import Analysis
import ArgumentParser
import Foundation
import SystemCalls
import TraceFormat

/// `--repeat N` and `--boot-timeout T`, shared by `run` and `record`: N boots, one trace each.
struct SeriesOptions: ParsableArguments {
    @Option(
        name: .customLong("repeat"),
        help: ArgumentHelp(
            "Boot N times, the VMM or guest started afresh each time, one trace each: -o and every per-boot output file must hold {n} (1-based, zero-padded to the width of N).",
            valueName: "n"))
    var count: Int = 1
    @Option(help: "Longest a boot may take: one that runs longer is stopped and counted as failed (1.5s, 2min, ...).")
    var bootTimeout: TimeArgument?

    func validate() throws {
        guard count >= 1, count <= 100_000 else { throw ValidationError("--repeat must be from 1 to 100000") }
        if let t = bootTimeout, t.ns <= 0 { throw ValidationError("--boot-timeout must be positive") }
    }

    var timeLimit: Duration? { bootTimeout.map { .nanoseconds($0.ns) } }

    /// `{n}` of boot `k` (1-based): zero-padded to the width of the count.
    func path(_ template: String, boot k: Int) -> String {
        let width = String(count).count
        let n = String(k)
        return template.replacingOccurrences(of: "{n}", with: String(repeating: "0", count: width - n.count) + n)
    }

    /// With more than one boot, every output that is a regular file must differ per boot: its
    /// path holds `{n}`. Devices, FIFOs and standard output are shared by all boots.
    func checkTemplates(_ outputs: [(flag: String, path: String?)]) throws {
        guard count > 1 else { return }
        for case (let flag, let path?) in outputs where !path.contains("{n}") {
            let target = try? OutputTarget.resolve(path)
            if case .regular = target ?? .regular(path: path) {
                throw CLIFailure.cannot(
                    "\(flag) \(path): with --repeat \(count), a file output must hold {n} (boots/{n}.pt), or every boot would replace the last"
                )
            }
        }
    }
}

/// How one boot of a series ended.
struct BootResult {
    /// The trace written, if any.
    var trace: String?
    /// Why the boot counts as failed (a timeout, a VMM that failed, a guest that faulted), or nil.
    var failure: String?
    /// Ctrl-C or SIGTERM stopped it: the series stops too.
    var interrupted = false
}

/// Runs a series of boots: progress on a terminal, a summary at the end, the exit status.
enum BootSeries {
    /// Runs `boot(k)` for k in 1...N. Stops at the first interrupted boot (status 130); after
    /// all boots, status 1 when any failed. A single boot keeps the command's own status rules.
    static func run(_ options: SeriesOptions, labels: [String], _ boot: (Int) throws -> BootResult) throws {
        let n = options.count
        var results: [(Int, BootResult)] = []
        let start = ContinuousClock.now
        let progress = n > 1 && TerminalStyle.cursorControl()
        for k in 1...n {
            if progress { drawProgress(k, n, done: k - 1, since: start) }
            let r = try boot(k)
            results.append((k, r))
            if r.interrupted {
                if progress { try? Descriptor.writeAll(Descriptor.standardError, Array("\r\u{1b}[K".utf8)) }
                summarize(results, planned: n)
                throw ExitCode(130)
            }
        }
        if progress { try? Descriptor.writeAll(Descriptor.standardError, Array("\r\u{1b}[K".utf8)) }
        guard n > 1 else { return }
        summarize(results, planned: n)
        if results.contains(where: { $0.1.failure != nil }) { throw ExitCode(1) }
    }

    static func drawProgress(_ k: Int, _ n: Int, done: Int, since start: ContinuousClock.Instant) {
        var line = "\r\u{1b}[Kboot \(k) of \(n)"
        if done > 0 {
            let elapsed = ContinuousClock.now - start
            let left = elapsed / done * (n - done)
            line +=
                ", about \(TimeText.span(Int64(left.components.seconds) * 1_000_000_000 + left.components.attoseconds / 1_000_000_000)) left"
        }
        try? Descriptor.writeAll(Descriptor.standardError, Array(line.utf8))
    }

    /// One line per boot with its total (the boot's length, read back from its trace), then
    /// the median, min and max of the boots that did not fail.
    static func summarize(_ results: [(Int, BootResult)], planned: Int) {
        var totals: [Int64] = []
        for (k, r) in results {
            var line = "porttrace: boot \(k) of \(planned)"
            if let trace = r.trace, let t = try? TimelineBuilder.build(path: trace), let total = t.total {
                line += ": total \(TimeText.span(total))\(t.unfinished ? " (unfinished)" : "")"
                if r.failure == nil && !r.interrupted { totals.append(total) }
            }
            if let f = r.failure { line += "; FAILED: \(f)" }
            if r.interrupted { line += "; interrupted" }
            if let trace = r.trace { line += " (\(trace))" }
            Output.stderrLine(line)
        }
        let failed = results.filter { $0.1.failure != nil }.count
        guard !totals.isEmpty else {
            Output.stderrLine("porttrace: \(results.count) boots, \(failed) failed; no boot total to summarize")
            return
        }
        let sorted = totals.map(Double.init).sorted()
        Output.stderrLine(
            "porttrace: \(results.count) boots, \(failed) failed; total over \(totals.count): median \(TimeText.span(Int64(Statistics.median(sorted: sorted)))), min \(TimeText.span(totals.min()!)), max \(TimeText.span(totals.max()!))"
        )
    }
}
