import SystemCalls

extension TraceError {
    init(_ e: any Error) {
        let s = e as? SystemError ?? SystemError("I/O", errno: 5)
        self = .system(operation: s.operation, errno: s.errno)
    }
}

/// The bytes a `TraceReader` reads: a file's descriptor (with the system-call layer's errors
/// reported as `TraceError`s, so every failure of a trace command has one type to catch), or a
/// trace held in memory, read the same way (a short read past the end, as at a file's end).
struct TraceFile: ~Copyable {
    private enum Storage: ~Copyable {
        case file(OwnedFile)
        case memory([UInt8])
    }

    private let storage: Storage

    static func openForReading(_ path: String) throws(TraceError) -> TraceFile {
        do { return TraceFile(storage: .file(try OwnedFile.openForReading(path))) } catch { throw TraceError(error) }
    }

    /// A trace held in memory, read as if it were a regular file of these bytes.
    static func memory(_ bytes: [UInt8]) -> TraceFile { TraceFile(storage: .memory(bytes)) }

    private init(storage: consuming Storage) { self.storage = storage }

    func status() throws(TraceError) -> (size: UInt64, isDirectory: Bool, isRegular: Bool) {
        switch storage {
        case .file(let file):
            do { return try file.status() } catch { throw TraceError(error) }
        case .memory(let bytes):
            return (UInt64(bytes.count), false, true)
        }
    }

    /// Up to `count` bytes at `offset`; fewer only at the end.
    func read(at offset: UInt64, count: Int) throws(TraceError) -> [UInt8] {
        switch storage {
        case .file(let file):
            do { return try file.read(at: offset, count: count) } catch { throw TraceError(error) }
        case .memory(let bytes):
            let range = TraceFile.range(at: offset, count: count, size: bytes.count)
            return Array(bytes[range])
        }
    }

    /// Fills `buffer` from `offset`, stopping early only at the end. Returns the bytes read.
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(TraceError) -> Int {
        switch storage {
        case .file(let file):
            do { return try file.read(at: offset, into: buffer) } catch { throw TraceError(error) }
        case .memory(let bytes):
            let range = TraceFile.range(at: offset, count: buffer.count, size: bytes.count)
            // SAFETY: `range` lies inside `bytes` and holds at most `buffer.count` bytes (`range(at:)`),
            // so the copy stays inside both; the array's storage is valid for the closure.
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[range]))
            }
            return range.count
        }
    }

    /// The part of `size` bytes that a read of `count` at `offset` gets: empty past the end.
    private static func range(at offset: UInt64, count: Int, size: Int) -> Range<Int> {
        guard offset < UInt64(size), count > 0 else { return size..<size }
        let start = Int(offset)
        return start..<(start + min(count, size - start))
    }
}

/// Where a `TraceWriter` puts a trace's bytes: the descriptor of the file its `OutputFile` owns,
/// or a buffer in memory (no descriptor, no sync), which the writer's lock guards.
enum TraceDestination {
    case file(WriteHandle)
    case memory(TraceBuffer)

    /// Appends `bytes` at the end (the file's position, which only these appends move).
    func append(_ bytes: [UInt8]) throws(TraceError) {
        switch self {
        case .file(let handle):
            do { try handle.write(bytes) } catch { throw TraceError(error) }
        case .memory(let buffer):
            buffer.bytes.append(contentsOf: bytes)
        }
    }

    /// Overwrites bytes already written, at `offset` (closing flips the header's state byte).
    func write(_ bytes: [UInt8], at offset: UInt64) throws(TraceError) {
        switch self {
        case .file(let handle):
            do { try handle.write(bytes, at: offset) } catch { throw TraceError(error) }
        case .memory(let buffer):
            guard offset <= UInt64(buffer.bytes.count), UInt64(bytes.count) <= UInt64(buffer.bytes.count) - offset else {
                throw TraceError.system(operation: "pwrite", errno: 22)
            }
            let start = Int(offset)
            buffer.bytes.replaceSubrange(start..<(start + bytes.count), with: bytes)
        }
    }

    /// Flushes a file to its device; memory has nothing to flush.
    func sync() throws(TraceError) {
        guard case .file(let handle) = self else { return }
        do { try handle.sync() } catch { throw TraceError(error) }
    }
}

/// A trace's bytes in memory as a writer produces them. Only the writer that owns it changes
/// it, under its lock.
final class TraceBuffer {
    var bytes: [UInt8] = []
}
