import SystemCalls

/// Everything that can go wrong reading or writing a trace, each naming what failed.
///
/// `description` is one line, meant to follow the file name on stderr:
/// `porttrace: run.ptrace: not a porttrace trace (first frame is not a porttrace header)`.
public enum TraceError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A system call failed: the operation ("open", "pwrite") and its errno.
    case system(operation: String, errno: Int32)
    /// The path names a directory.
    case isDirectory
    /// The path names a FIFO, a device or a socket: a trace is read by offset, from a file.
    case notRegularFile
    /// The file is zero bytes long.
    case emptyFile
    /// The file does not start with a porttrace header frame.
    case notATrace(String)
    /// Written by a newer porttrace that this reader cannot read.
    case unsupportedVersion(format: UInt16, minimumReader: UInt16, supported: UInt16)
    /// A block declares more decompressed bytes than the limit allows.
    case oversizedBlock(offset: UInt64, declared: UInt64, limit: UInt64)
    /// A block could not be decoded.
    case damagedBlock(offset: UInt64, reason: String)
    /// The metadata JSON could not be parsed or has a wrong type.
    case badMetadata(String)
    /// Input to `import` that is not valid.
    case badInput(line: Int, reason: String)
    /// The writer was used after it was closed or failed.
    case writerClosed
    /// zstd reported an error.
    case zstd(String)
    /// Something to be written goes over one of `TraceLimits`.
    case overLimit(String)
    /// The trace cannot be written where it was asked to be (not a regular file, no folder).
    case badOutput(String)

    public var description: String {
        switch self {
        case .system(let operation, let errno):
            return SystemError(operation, errno: errno).description
        case .isDirectory: return "is a directory, not a trace file"
        case .notRegularFile: return "is not a regular file (a FIFO, device or socket): a trace is read from a file"
        case .emptyFile: return "empty file, not a trace"
        case .notATrace(let why): return "not a porttrace trace (\(why))"
        case .unsupportedVersion(let format, let minimumReader, let supported):
            return
                "trace format version \(format) needs a reader of version \(minimumReader) or newer; this porttrace reads up to version \(supported)"
        case .oversizedBlock(let offset, let declared, let limit):
            return "block at byte \(offset) declares \(declared) decompressed bytes, over the limit of \(limit)"
        case .damagedBlock(let offset, let reason):
            return "block at byte \(offset) is damaged: \(reason)"
        case .badMetadata(let why): return "bad metadata: \(why)"
        case .badInput(let line, let reason): return "line \(line): \(reason)"
        case .writerClosed: return "trace writer is already closed"
        case .zstd(let why): return "zstd: \(why)"
        case .overLimit(let why): return "refused: \(why)"
        case .badOutput(let why): return why
        }
    }
}
