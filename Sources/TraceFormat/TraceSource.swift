/// A trace to read, perhaps more than once (a comparison opens each trace once per pass): a file
/// at a path, or a trace's bytes held in memory (as `TraceWriter(inMemory:)` leaves them).
public enum TraceSource: Sendable {
    case file(String)
    case memory([UInt8], name: String)

    /// The path, or the name given for messages.
    public var name: String {
        switch self {
        case .file(let path): return path
        case .memory(_, let name): return name
        }
    }

    /// A new reader over the trace.
    public func open() throws -> TraceReader {
        switch self {
        case .file(let path): return try TraceReader(path: path)
        case .memory(let bytes, let name): return try TraceReader(bytes: bytes, name: name)
        }
    }
}
