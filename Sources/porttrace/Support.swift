import ArgumentParser
import Devices
import Foundation
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

enum Output {
    static func stderrLine(_ s: String) { Descriptor.stderrLine(s) }

    /// Writes bytes to stdout unbuffered-by-Swift (callers batch). A closed pipe ends the command quietly.
    static func stdout(_ bytes: [UInt8]) throws {
        do {
            try Descriptor.writeAll(Descriptor.standardOutput, bytes)
        } catch let e as SystemError {
            if e.errno == EPIPE { throw ExitCode(0) }
            throw CLIFailure.cannot("stdout: \(e)")
        }
    }
}

/// An output that could not be written: a closed pipe ends the command quietly with status 0
/// (scripts with `set -o pipefail` and `| head` keep working); anything else is status 2.
func outputFailure(_ e: SinkError) -> Error {
    e.isClosedPipe ? ExitCode(0) : CLIFailure.cannot("\(e)")
}

/// Opens a trace, turning every failure into a one-line message naming the file.
func openTrace(_ path: String) throws -> TraceReader {
    do {
        return try TraceReader(path: path)
    } catch let e as TraceError {
        throw CLIFailure.cannot("\(path): \(e)")
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
