/// Levels of the `log` crate, most severe first.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case error = 1
    case warn, info, debug, trace

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .error: return "ERROR"
        case .warn: return "WARN"
        case .info: return "INFO"
        case .debug: return "DEBUG"
        case .trace: return "TRACE"
        }
    }
}

/// A place in cloud-hypervisor's source, as the `log` macros report it.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(_ file: String, _ line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

/// What a record says, kept as its parts: which message it is and its values. Printing it
/// gives the text the VMM printed; comparing two records needs no text at all, and the part
/// that is a time (the seconds of a debug-port line) is known as such.
public enum LogMessage: Sendable, Equatable {
    /// `[Debug I/O port: Kernel code 0x41] 1.1500000 seconds`: the seconds are a time field.
    case debugPortCode(code: UInt8, elapsedNs: UInt64)
    /// `Guest PIO write to unregistered address 0x510`.
    case unregisteredWrite(port: UInt16)
    /// `Guest PIO read to unregistered address 0x510`, or `read from` (v53.0) when `readFrom`.
    case unregisteredRead(port: UInt16, readFrom: Bool)
    /// `Invalid read to debug port`.
    case invalidDebugPortRead
    /// `Invalid write size on debug port: N`.
    case invalidFirmwareDebugWriteSize(Int)
    /// `Invalid read size on debug port: N`.
    case invalidFirmwareDebugReadSize(Int)
    /// Any other text, taken as it is (no time field).
    case text(String)

    /// The message as the VMM printed it.
    public var text: String {
        var bytes: [UInt8] = []
        write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the message's UTF-8 bytes. With `timeMask`, the time field is replaced by it.
    public func write(into out: inout [UInt8], timeMask: [UInt8]? = nil) {
        switch self {
        case .debugPortCode(let code, let elapsedNs):
            // The fraction is the *total* elapsed microseconds, zero-padded to 6 digits, as every release printed it.
            out.appendASCII("[Debug I/O port: ")
            out.append(utf8: DebugPortComponent(code: code).rawValue)
            out.appendASCII(" code 0x")
            out.appendHex(UInt64(code))
            out.appendASCII("] ")
            if let timeMask {
                out.append(contentsOf: timeMask)
            } else {
                out.appendDecimal(elapsedNs / 1_000_000_000)
                out.append(0x2e)
                out.appendDecimal(elapsedNs / 1_000, width: 6)
            }
            out.appendASCII(" seconds")
        case .unregisteredWrite(let port):
            out.appendASCII("Guest PIO write to unregistered address 0x")
            out.appendHex(UInt64(port))
        case .unregisteredRead(let port, let readFrom):
            out.appendASCII(readFrom ? "Guest PIO read from unregistered address 0x" : "Guest PIO read to unregistered address 0x")
            out.appendHex(UInt64(port))
        case .invalidDebugPortRead:
            out.appendASCII("Invalid read to debug port")
        case .invalidFirmwareDebugWriteSize(let n):
            out.appendASCII("Invalid write size on debug port: ")
            out.appendSignedDecimal(n)
        case .invalidFirmwareDebugReadSize(let n):
            out.appendASCII("Invalid read size on debug port: ")
            out.appendSignedDecimal(n)
        case .text(let s):
            out.append(utf8: s)
        }
    }
}

/// One log record, with the times it needs for rendering.
public struct LogRecord: Sendable {
    public var level: LogLevel
    public var location: SourceLocation
    public var message: LogMessage
    /// The vCPU whose thread logged it (thread name `vcpuN`).
    public var vcpu: UInt32
    /// Monotonic ns of the event that caused it.
    public var timestamp: UInt64
    /// The logger's elapsed time when a trace says it (an imported log's line); else derived from `timestamp`.
    public var loggerElapsed: UInt64? = nil
    /// The wall-clock time (ns since 1970) when a trace says it; else derived from `timestamp` and the anchor.
    public var realtimeNs: UInt64? = nil

    public init(
        level: LogLevel, location: SourceLocation, message: LogMessage, vcpu: UInt32, timestamp: UInt64, loggerElapsed: UInt64? = nil,
        realtimeNs: UInt64? = nil
    ) {
        self.level = level
        self.location = location
        self.message = message
        self.vcpu = vcpu
        self.timestamp = timestamp
        self.loggerElapsed = loggerElapsed
        self.realtimeNs = realtimeNs
    }
}
