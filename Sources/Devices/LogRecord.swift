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

/// One log record, with the times it needs for rendering.
public struct LogRecord: Sendable {
    public var level: LogLevel
    public var location: SourceLocation
    public var message: String
    /// The vCPU whose thread logged it (thread name `vcpuN`).
    public var vcpu: UInt32
    /// Monotonic ns of the event that caused it.
    public var timestamp: UInt64
    /// The logger's elapsed time when a trace says it (an imported log's line); else derived from `timestamp`.
    public var loggerElapsed: UInt64? = nil
    /// The wall-clock time (ns since 1970) when a trace says it; else derived from `timestamp` and the anchor.
    public var realtimeNs: UInt64? = nil
}
