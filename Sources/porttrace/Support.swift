import ArgumentParser
import Devices
import Foundation
import Synchronization
import SystemCalls
import TraceFormat

/// An error that ends the command with a one-line message and an exit status.
struct CLIFailure: Error {
    var message: String
    var status: Int32

    /// The job could not be done (status 2).
    static func cannot(_ message: String) -> CLIFailure { CLIFailure(message: message, status: 2) }
    /// A difference or damage was found (status 1).
    static func found(_ message: String) -> CLIFailure { CLIFailure(message: message, status: 1) }
}

/// The status a command has reached so far: a verdict already decided, or damage already found.
/// A reader that closes standard output early (`porttrace diff A B | head -1`) ends the command
/// quietly with it, so the status does not depend on how much of the report fit in the pipe.
enum Reached {
    private static let status = Mutex<Int32>(0)

    /// Raises the status reached (it never goes down).
    static func atLeast(_ s: Int32) { status.withLock { $0 = max($0, s) } }
    static var value: Int32 { status.withLock { $0 } }
}

enum Output {
    static func stderrLine(_ s: String) { Descriptor.stderrLine(s) }

    /// An error message as one line a terminal shows and does not obey: what came from a trace
    /// or the command line (a label, a group name, a pattern) may hold newlines and escape
    /// sequences; they are written `\xNN`, as guest text is (`ControlEscaper`).
    static func oneLine(_ s: String) -> String {
        var out: [UInt8] = []
        var escaper = ControlEscaper()
        for b in s.utf8 {
            switch b {
            case 0x09, 0x0a, 0x0d: out += Array(("\\x" + TextBytes.hex([b])).utf8)
            default: escaper.append(b, to: &out)
            }
        }
        escaper.finish(&out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes bytes to stdout unbuffered-by-Swift (callers batch). A closed pipe ends the command
    /// quietly with the status reached so far; any other failure is status 2 naming stdout.
    static func stdout(_ bytes: [UInt8]) throws {
        do {
            try Descriptor.writeAll(Descriptor.standardOutput, bytes)
        } catch let e as SystemError {
            if e.errno == EPIPE { throw ExitCode(Reached.value) }
            throw CLIFailure.cannot("stdout: \(SystemError.text(e.errno))")
        }
    }

    /// A line of text on stdout.
    static func line(_ s: String) throws { try stdout(Array((s + "\n").utf8)) }
}

/// An output that could not be written: a closed standard output ends the command quietly with
/// the status reached so far (scripts with `set -o pipefail` and `| head` keep working);
/// anything else is status 2 naming the output.
func outputFailure(_ e: SinkError) -> Error {
    e.isClosedPipe ? ExitCode(Reached.value) : CLIFailure.cannot("\(e)")
}

/// Refuses, before anything is written, an output that is one of the command's inputs and two
/// outputs that are the same regular file (status 2). `outputs` pairs each flag with its path;
/// nil paths (outputs not asked for) are skipped.
func checkOutputs(inputs: [String], outputs: [(flag: String, path: String?)]) throws {
    do {
        try OutputTarget.checkDistinct(inputs: inputs, outputs: outputs.compactMap { o in o.path.map { (o.flag, $0) } })
    } catch {
        throw CLIFailure.cannot("\(error)")
    }
}

/// Refuses a trace path that is not a regular file (status 2), before anything is started.
func checkTracePath(_ path: String, flag: String = "-o") throws {
    do {
        _ = try TraceWriter.checkPath(path)
    } catch {
        throw CLIFailure.cannot("\(flag) \(path): \(error)")
    }
}

/// Opens a trace, turning every failure into a one-line message naming the file.
func openTrace(_ path: String) throws -> TraceReader {
    do {
        return try TraceReader(path: path)
    } catch let e as TraceError {
        throw CLIFailure.cannot("\(path): \(e)")
    }
}

/// The exit status a command ends with for the traces it read (the README's table):
/// - `.reading` (info, dump, replay, verify, timeline, export, stats without a verdict): an
///   input that is damaged or not closed cleanly is status 1, after the whole output;
/// - `.deciding` (diff, stats --threshold): damage is status 2 (no verdict can be trusted); an
///   input that was not closed cleanly is a note on stderr (a boot killed mid-way is worth
///   comparing), and the verdict decides.
enum TraceJudgement {
    case reading, deciding

    /// Sets the status reached by what is known before the output is written (so a closed pipe
    /// ends the command with it).
    func note(_ verdicts: [TraceVerdict]) {
        switch self {
        case .reading: if verdicts.contains(where: { !$0.isComplete }) { Reached.atLeast(1) }
        case .deciding: if verdicts.contains(where: \.isDamaged) { Reached.atLeast(2) }
        }
    }

    /// What opening a trace already tells (a damaged header, a trace not closed cleanly), for a
    /// command that streams its output while it reads.
    func noteOpened(_ reader: TraceReader) {
        let problems = reader.header.damage.map {
            [TraceReader.Problem(offset: $0.offset, kind: .damaged, reason: $0.reason, inHeader: true)]
        }
        note([TraceVerdict(path: reader.path, closedCleanly: reader.header.closedCleanly, problems: problems ?? [])])
    }

    /// After the output: one line per trace that is not complete, and the status. `detail` adds
    /// to a reading command's line (what was done with what was readable).
    func finish(_ verdicts: [TraceVerdict], detail: String? = nil) throws {
        // A trace given twice (`diff A A`) is reported once.
        var seen: Set<String> = []
        let incomplete = verdicts.filter { !$0.isComplete && seen.insert($0.path).inserted }
        switch self {
        case .reading:
            guard let last = incomplete.last else { return }
            for v in incomplete.dropLast() { Output.stderrLine("porttrace: \(v.message!)") }
            throw CLIFailure.found(last.message! + (detail.map { "; \($0)" } ?? ""))
        case .deciding:
            let damaged = incomplete.filter(\.isDamaged)
            for v in incomplete where !v.isDamaged { Output.stderrLine("porttrace: note: \(v.message!)") }
            guard let last = damaged.last else { return }
            for v in damaged.dropLast() { Output.stderrLine("porttrace: \(v.message!)") }
            throw CLIFailure.cannot(last.message! + "; no verdict on a damaged trace")
        }
    }
}

/// Parses a port (`0x80`, `128`) or a range (`0x3f8-0x3ff`).
func parsePorts(_ text: String) -> ClosedRange<UInt16>? { ValueSyntax.portRange(Substring(text)) }

struct PortList: ExpressibleByArgument {
    var ranges: [ClosedRange<UInt16>]
    init?(argument: String) {
        guard let r = ValueSyntax.portList(argument) else { return nil }
        ranges = r
    }
    func contains(_ port: UInt16) -> Bool { ranges.contains { $0.contains(port) } }
}

struct TimeArgument: ExpressibleByArgument {
    var ns: Int64
    init?(argument: String) {
        guard let v = TimeSpec.nanoseconds(argument) else { return nil }
        ns = v
    }
}

/// Converts a time relative to an origin into an absolute monotonic ns, clamped to UInt64.
func absolute(_ relative: Int64, origin: UInt64) -> UInt64 {
    if relative >= 0 {
        let (v, o) = origin.addingReportingOverflow(UInt64(relative))
        return o ? .max : v
    }
    return origin >= relative.magnitude ? origin - relative.magnitude : 0
}

/// Checks `--label key=value` arguments (for `validate()`).
func validateLabels(_ labels: [String]) throws {
    for l in labels where !l.contains("=") || l.hasPrefix("=") {
        throw ValidationError("--label '\(l)' is not key=value")
    }
}
