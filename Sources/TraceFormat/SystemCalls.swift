#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The text of an errno value, e.g. "No such file or directory".
public func systemErrorString(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// A file descriptor this module owns: every system call on a trace file goes
/// through these methods, and errno is read right after the call that set it.
/// EINTR is retried for open, read and write; close is never retried.
public struct FileHandle: ~Copyable, Sendable {
    public let fd: Int32

    public init(adopting fd: Int32) { self.fd = fd }

    /// Opens `path` for reading. The corresponding call is `open(2)` with `O_RDONLY`.
    public static func openForReading(_ path: String) throws -> FileHandle {
        let fd = try retryingEINTR("open") { open(path, O_RDONLY | O_CLOEXEC) }
        return FileHandle(adopting: fd)
    }

    /// Creates or truncates `path` with mode 0600 (guest output can hold secrets).
    /// The corresponding calls are `open(2)` with `O_CREAT|O_TRUNC` and `fchmod(2)`.
    public static func create(_ path: String, exclusive: Bool = false) throws -> FileHandle {
        var flags = O_RDWR | O_CREAT | O_CLOEXEC
        flags |= exclusive ? O_EXCL : O_TRUNC
        let fd = try retryingEINTR("open") { open(path, flags, 0o600) }
        // An existing file keeps its old mode through O_TRUNC; force 0600.
        if fchmod(fd, 0o600) != 0 {
            let code = errno
            _ = Glibc.close(fd)
            throw TraceError.system(operation: "fchmod", errno: code)
        }
        return FileHandle(adopting: fd)
    }

    /// The size and type of the file. The corresponding call is `fstat(2)`.
    public func status() throws -> (size: UInt64, isDirectory: Bool, isRegular: Bool) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TraceError.system(operation: "fstat", errno: errno) }
        let type = st.st_mode & S_IFMT
        return (UInt64(max(0, st.st_size)), type == S_IFDIR, type == S_IFREG)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    /// The corresponding call is `pread(2)`.
    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        let got = try result.withUnsafeMutableBytes { (buffer) -> Int in
            try read(at: offset, into: buffer)
        }
        result.removeLast(count - got)
        return result
    }

    /// Fills `buffer` from `offset`, stopping early only at end of file. Returns the bytes read.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            // SAFETY: `done < buffer.count`, so the destination lies inside `buffer`.
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceError.system(operation: "pread", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` at the current position. The corresponding call is `write(2)`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            // SAFETY: `done < bytes.count`, so the source lies inside `bytes`.
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceError.system(operation: "write", errno: errno)
            }
            done += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { (raw) in try write(raw) }
    }

    /// Writes `bytes` at `offset` without moving the file position. The corresponding call is `pwrite(2)`.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws {
        try bytes.withUnsafeBytes { (raw) in
            var done = 0
            while done < raw.count {
                // SAFETY: `done < raw.count`, so the source lies inside `raw`.
                let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TraceError.system(operation: "pwrite", errno: errno)
                }
                done += n
            }
        }
    }

    /// Flushes data and metadata to the device. The corresponding call is `fsync(2)`.
    public func sync() throws {
        guard fsync(fd) == 0 else { throw TraceError.system(operation: "fsync", errno: errno) }
    }

    deinit {
        // Never retried: after EINTR the descriptor state is unspecified on Linux.
        _ = Glibc.close(fd)
    }
}

@inline(__always)
func retryingEINTR(_ operation: String, _ call: () -> Int32) throws -> Int32 {
    while true {
        let result = call()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw TraceError.system(operation: operation, errno: code)
    }
}
