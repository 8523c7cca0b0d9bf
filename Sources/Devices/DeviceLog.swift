/// Where log records go: filtered by level, rendered by the release's formatter, written to a sink;
/// or, when an observer is set, handed to it as records (a comparison needs no text).
public final class DeviceLog {
    public let formatter: LogFormatter
    public let maxLevel: LogLevel?
    let sink: ByteSink
    /// When false (before a `--from` window), records are counted but not written.
    public var enabled = true
    public private(set) var recordsWritten: UInt64 = 0
    /// Takes every record shown instead of the sink: the record, not its text.
    public var observer: ((LogRecord) -> Void)?
    /// Logger times a trace gave for the next record of a vCPU (`logger_time` markers).
    private var pendingLoggerTime: [UInt32: UInt64] = [:]
    /// Wall-clock times a trace gave for the next record of a vCPU (`logger_wallclock` markers).
    private var pendingRealtime: [UInt32: UInt64] = [:]
    /// The line being rendered (reused: no allocation per record).
    private var line: [UInt8] = []

    public init(formatter: LogFormatter, maxLevel: LogLevel?, sink: ByteSink) {
        self.formatter = formatter
        self.maxLevel = maxLevel
        self.sink = sink
    }

    @inline(__always)
    public func wants(_ level: LogLevel) -> Bool {
        guard let maxLevel else { return false }
        return level <= maxLevel
    }

    /// The logger time the next record of `vcpu` prints (from a `logger_time` marker).
    public func setLoggerTime(_ ns: UInt64, vcpu: UInt32) { pendingLoggerTime[vcpu] = ns }

    /// The wall-clock time the next record of `vcpu` prints (from a `logger_wallclock` marker).
    public func setRealtime(_ ns: UInt64, vcpu: UInt32) { pendingRealtime[vcpu] = ns }

    /// Logs a record; the message is built only when the level is shown.
    public func emit(_ level: LogLevel, _ location: SourceLocation?, _ message: @autoclosure () -> LogMessage, context: DeviceContext) {
        let given = pendingLoggerTime.isEmpty ? nil : pendingLoggerTime.removeValue(forKey: context.vcpu)
        let realtime = pendingRealtime.isEmpty ? nil : pendingRealtime.removeValue(forKey: context.vcpu)
        guard enabled, wants(level), let location else { return }
        let record = LogRecord(
            level: level, location: location, message: message(), vcpu: context.vcpu, timestamp: context.timestamp, loggerElapsed: given,
            realtimeNs: realtime)
        recordsWritten += 1
        if let observer {
            observer(record)
            return
        }
        line.removeAll(keepingCapacity: true)
        formatter.write(record, into: &line)
        // SAFETY: `line` is a live array; its bytes are valid for the closure and copied by `write`.
        line.withUnsafeBytes { sink.write($0) }
    }
}
