/// Takes a log's records as records (a comparison that needs no text).
public protocol LogRecordObserver: AnyObject {
    func record(_ r: LogRecord)
}

/// Where log records go: filtered by level, rendered by the release's formatter, written to a sink;
/// or, when an observer is given, handed to it as records (a comparison needs no text).
///
/// The per-record state (on or off, the count, whether a trace gave times for coming records)
/// is a value in a buffer the log owns: a record costs no dynamic exclusivity check on a class
/// property (a replay or a comparison logs one per event when a guest floods an unregistered port).
public final class DeviceLog {
    public let formatter: LogFormatter
    public let maxLevel: LogLevel?
    let sink: ByteSink
    /// Takes every record shown instead of the sink: the record, not its text.
    public let observer: LogRecordObserver?

    struct State {
        var enabled = true
        var recordsWritten: UInt64 = 0
        /// Times waiting in `pendingLoggerTime` and `pendingRealtime`, together.
        var pending = 0
    }
    private let state: UnsafeMutablePointer<State>
    /// Logger times a trace gave for the next record of a vCPU (`logger_time` markers).
    private var pendingLoggerTime: [UInt32: UInt64] = [:]
    /// Wall-clock times a trace gave for the next record of a vCPU (`logger_wallclock` markers).
    private var pendingRealtime: [UInt32: UInt64] = [:]
    /// The line being rendered (reused: no allocation per record).
    private var line: [UInt8] = []

    public init(formatter: LogFormatter, maxLevel: LogLevel?, sink: ByteSink, observer: LogRecordObserver? = nil) {
        self.formatter = formatter
        self.maxLevel = maxLevel
        self.sink = sink
        self.observer = observer
        // SAFETY: one State, allocated and initialized here, deinitialized and freed in deinit; only this log uses it.
        state = .allocate(capacity: 1)
        state.initialize(to: State())
    }

    deinit {
        // SAFETY: `state` was initialized in init and is not used after this.
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// When false (before a `--from` window), records are counted but not written.
    public var enabled: Bool {
        get { state.pointee.enabled }
        set { state.pointee.enabled = newValue }
    }

    public var recordsWritten: UInt64 { state.pointee.recordsWritten }

    @inline(__always)
    public func wants(_ level: LogLevel) -> Bool {
        guard let maxLevel else { return false }
        return level <= maxLevel
    }

    /// The logger time the next record of `vcpu` prints (from a `logger_time` marker).
    public func setLoggerTime(_ ns: UInt64, vcpu: UInt32) {
        pendingLoggerTime[vcpu] = ns
        state.pointee.pending = pendingLoggerTime.count + pendingRealtime.count
    }

    /// The wall-clock time the next record of `vcpu` prints (from a `logger_wallclock` marker).
    public func setRealtime(_ ns: UInt64, vcpu: UInt32) {
        pendingRealtime[vcpu] = ns
        state.pointee.pending = pendingLoggerTime.count + pendingRealtime.count
    }

    /// Logs a record; the message is built only when the level is shown.
    public func emit(_ level: LogLevel, _ location: SourceLocation?, _ message: @autoclosure () -> LogMessage, context: DeviceContext) {
        var given: UInt64?
        var realtime: UInt64?
        if state.pointee.pending > 0 {
            given = pendingLoggerTime.removeValue(forKey: context.vcpu)
            realtime = pendingRealtime.removeValue(forKey: context.vcpu)
            state.pointee.pending = pendingLoggerTime.count + pendingRealtime.count
        }
        guard state.pointee.enabled, wants(level), let location else { return }
        let record = LogRecord(
            level: level, location: location, message: message(), vcpu: context.vcpu, timestamp: context.timestamp, loggerElapsed: given,
            realtimeNs: realtime)
        state.pointee.recordsWritten &+= 1
        if let observer {
            observer.record(record)
            return
        }
        line.removeAll(keepingCapacity: true)
        formatter.write(record, into: &line)
        // SAFETY: `line` is a live array; its bytes are valid for the closure and copied by `write`.
        line.withUnsafeBytes { sink.write($0) }
    }
}
