#if canImport(Glibc)
import Glibc
#endif

/// Where a device's output bytes go: a file descriptor, a file written atomically,
/// memory (tests, comparisons) or nowhere. Buffered; `finish()` flushes and, for files,
/// renames the finished file into place so output is complete or absent.
public final class ByteSink {
    public enum Target {
        case discard
        case memory
        case descriptor(Int32)
        /// Written to `temporary`, renamed to `path` by `finish()`.
        case file(path: String, temporary: String, fd: Int32)
    }

    public let target: Target
    /// Escape control sequences (for a terminal): everything below 0x20 but tab, newline and
    /// carriage return, DEL, and C1 controls (UTF-8 C2 80 .. C2 9F) become `\xNN`.
    public let sanitize: Bool
    /// When false, writes are dropped (outside a replay window).
    public var enabled = true
    public private(set) var buffer: [UInt8] = []
    public private(set) var bytesWritten: UInt64 = 0
    private var pendingC2 = false
    private var failure: String?
    private let flushThreshold = 1 << 16

    public init(_ target: Target, sanitize: Bool = false) {
        self.target = target
        self.sanitize = sanitize
        buffer.reserveCapacity(flushThreshold + 256)
    }

    public static func discard() -> ByteSink { ByteSink(.discard) }
    public static func memory() -> ByteSink { ByteSink(.memory) }

    /// Opens `path` for an atomic write: a hidden temporary beside it, mode 0600.
    public static func atomicFile(_ path: String) throws -> ByteSink {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(dir)/.\(base).porttrace-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SinkError(path: path, reason: String(cString: strerror(errno))) }
        return ByteSink(.file(path: path, temporary: temporary, fd: fd))
    }

    /// Everything written, for `.memory` sinks.
    public var captured: [UInt8] { buffer }

    @inline(__always)
    public func write(byte: UInt8) {
        guard enabled else { return }
        bytesWritten &+= 1
        if sanitize { sanitized(byte) } else { buffer.append(byte) }
        if buffer.count >= flushThreshold { drain() }
    }

    @inline(__always)
    public func write(_ data: UnsafeRawBufferPointer) {
        if data.count == 1 { write(byte: data[0]); return }
        guard enabled else { return }
        bytesWritten &+= UInt64(data.count)
        if sanitize {
            for b in data { sanitized(b) }
        } else {
            buffer.append(contentsOf: data)
        }
        if buffer.count >= flushThreshold { drain() }
    }

    public func write(string: String) {
        var s = string
        s.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private func escape(_ b: UInt8) {
        buffer.append(contentsOf: [0x5c, 0x78, ByteSink.hex[Int(b >> 4)], ByteSink.hex[Int(b & 0xf)]])
    }

    private func sanitized(_ b: UInt8) {
        if pendingC2 {
            pendingC2 = false
            if (0x80...0x9f).contains(b) { escape(0xc2); escape(b); return }
            buffer.append(0xc2)
        }
        switch b {
        case 0x09, 0x0a, 0x0d: buffer.append(b)
        case 0x00..<0x20, 0x7f: escape(b)
        case 0xc2: pendingC2 = true
        default: buffer.append(b)
        }
    }

    private func drain() {
        switch target {
        case .discard: buffer.removeAll(keepingCapacity: true)
        case .memory: break
        case let .descriptor(fd), let .file(_, _, fd):
            var done = 0
            while done < buffer.count {
                let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
                if n < 0 {
                    if errno == EINTR { continue }
                    if failure == nil { failure = String(cString: strerror(errno)) }
                    break
                }
                done += n
            }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Flushes what is buffered.
    public func flush() throws {
        if pendingC2 { buffer.append(0xc2); pendingC2 = false }
        drain()
        if let failure { throw SinkError(path: name, reason: failure) }
    }

    /// Flushes and, for a file, moves it into place.
    public func finish() throws {
        try flush()
        if case let .file(path, temporary, fd) = target {
            guard fsync(fd) == 0 || errno == EINVAL else { throw SinkError(path: path, reason: String(cString: strerror(errno))) }
            close(fd)
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw SinkError(path: path, reason: reason)
            }
        }
    }

    /// Drops a file that was being written.
    public func abandon() {
        if case let .file(_, temporary, fd) = target {
            close(fd)
            unlink(temporary)
        }
    }

    var name: String {
        switch target {
        case .discard: return "/dev/null"
        case .memory: return "memory"
        case let .descriptor(fd): return fd == 1 ? "stdout" : fd == 2 ? "stderr" : "fd \(fd)"
        case let .file(path, _, _): return path
        }
    }
}

public struct SinkError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}
