import SystemCalls
import SystemPackage

/// Where a device's output bytes go: a file descriptor, an output path (placed by the rules of
/// `OutputTarget`: a regular file is written beside its path and renamed into place by
/// `finish()`, so it is complete or absent; a device, FIFO or inherited descriptor is written in
/// place), memory (tests, comparisons) or nowhere. Buffered.
public final class ByteSink {
    public enum Target {
        case discard
        case memory
        case descriptor(Int32)
        /// An output path, as the user named it (see `OutputFile`).
        case file(path: String)
    }

    public let target: Target
    /// Escape control sequences (for a terminal), as `ControlEscaper` does.
    public let sanitize: Bool
    /// When false, writes are dropped (outside a replay window).
    public var enabled = true
    public private(set) var buffer: [UInt8] = []
    public private(set) var bytesWritten: UInt64 = 0
    /// The open output of a `.file` target until `finish()` or `abandon()`.
    private var output: OutputFile?
    private var escaper = ControlEscaper()
    private var failure: String?
    private var failureErrno: Int32?
    private let flushThreshold = 1 << 16

    public init(_ target: Target, sanitize: Bool = false) {
        self.target = target
        output = nil
        self.sanitize = sanitize
        buffer.reserveCapacity(flushThreshold + 256)
    }

    public static func discard() -> ByteSink { ByteSink(.discard) }
    public static func memory() -> ByteSink { ByteSink(.memory) }

    /// Opens the output `path` (`OutputTarget`'s rules; `-` is standard output). `contents`
    /// decides a new file's mode: 0600 for guest output, 0666 minus the umask for reports.
    public static func output(_ path: String, contents: OutputFile.Contents, sanitize: Bool = false) throws -> ByteSink {
        let file: OutputFile
        do {
            file = try OutputFile.open(path, contents: contents)
        } catch {
            throw SinkError(path: path, reason: error.reason)
        }
        let sink = ByteSink(.file(path: path), sanitize: sanitize)
        sink.fileHandle = file.handle
        sink.outputTarget = file.target
        sink.output = consume file
        return sink
    }

    /// Bytes held and not yet flushed (for `.memory` sinks: not yet taken).
    public var bufferedCount: Int { buffer.count }

    /// Everything written, for `.memory` sinks.
    public var captured: [UInt8] { buffer }

    /// What a `.memory` sink holds, leaving it empty (a reader that consumes output as it comes).
    public func takeCaptured() -> [UInt8] {
        escaper.finish(&buffer)
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    @inline(__always)
    public func write(byte: UInt8) {
        guard enabled else { return }
        bytesWritten &+= 1
        if sanitize { escaper.append(byte, to: &buffer) } else { buffer.append(byte) }
        if buffer.count >= flushThreshold { drain() }
    }

    @inline(__always)
    public func write(_ data: UnsafeRawBufferPointer) {
        if data.count == 1 {
            write(byte: data[0])
            return
        }
        guard enabled else { return }
        bytesWritten &+= UInt64(data.count)
        if sanitize {
            for b in data { escaper.append(b, to: &buffer) }
        } else if data.count >= flushThreshold, let fd = outputDescriptor {
            // A large piece goes out as it is, after what is buffered: no copy through the buffer.
            drain()
            put(data, to: fd)
            return
        } else {
            buffer.append(contentsOf: data)
        }
        if buffer.count >= flushThreshold { drain() }
    }

    /// Where `drain` writes, for targets that write to a descriptor.
    private var outputDescriptor: FileDescriptor? {
        switch target {
        case .discard, .memory: return nil
        case .descriptor(let raw): return FileDescriptor(rawValue: raw)
        case .file: return fileDescriptor
        }
    }

    /// Writes bytes to `fd`, keeping the first failure for `flush` to report.
    private func put(_ bytes: UnsafeRawBufferPointer, to fd: FileDescriptor) {
        do {
            try Descriptor.writeAll(fd, bytes)
        } catch let e as SystemError {
            if failure == nil {
                failure = SystemError.text(e.errno)
                failureErrno = e.errno
            }
        } catch {
            if failure == nil { failure = "\(error)" }
        }
    }

    public func write(string: String) {
        var s = string
        // SAFETY: withUTF8 gives contiguous UTF-8 storage for the closure; write copies it into the buffer.
        s.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    private func drain() {
        if case .memory = target { return }
        if let fd = outputDescriptor, !buffer.isEmpty {
            // SAFETY: the buffer's bytes are valid for the closure and only read.
            buffer.withUnsafeBytes { put($0, to: fd) }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes what is buffered.
    public func flush() throws {
        escaper.finish(&buffer)
        drain()
        if let failure { throw SinkError(path: name, reason: failure, errno: failureErrno, standardOutput: isStandardOutput) }
    }

    /// Flushes and, for a file, syncs it and moves it into place.
    public func finish() throws {
        try prepare()
        try commit()
    }

    /// Flushes what is buffered and, for a file, syncs it to the device: after this, `commit()`
    /// only renames. On failure the temporary is removed.
    public func prepare() throws {
        do {
            try flush()
            if case .file(let path) = target, let d = fileDescriptor {
                do {
                    try Descriptor.sync(d)
                } catch {
                    throw SinkError(path: path, reason: SystemError.text(error.errno), errno: error.errno)
                }
            }
        } catch {
            abandon()
            throw error
        }
    }

    /// Moves a prepared file into place (nothing to do for other targets).
    public func commit() throws {
        if case .file(let path) = target, let file = output.take() {
            do {
                try file.commit()
            } catch {
                throw SinkError(path: path, reason: error.reason)
            }
        }
    }

    /// Drops a file that was being written (what was at its path stays).
    public func abandon() {
        output.take()?.abandon()
    }

    /// The descriptor of an open `.file` output.
    private var fileDescriptor: FileDescriptor? { fileHandle?.descriptor }
    private var fileHandle: WriteHandle?

    /// Whether this sink writes to this process's standard output.
    public var isStandardOutput: Bool {
        switch target {
        case .descriptor(let fd): return fd == 1
        case .file: return outputTarget == .standardOutput || outputTarget == .inherited(descriptor: 1)
        default: return false
        }
    }

    private var outputTarget: OutputTarget?

    var name: String {
        switch target {
        case .discard: return "/dev/null"
        case .memory: return "memory"
        case .descriptor(let fd): return fd == 1 ? "stdout" : fd == 2 ? "stderr" : "fd \(fd)"
        case .file(let path): return path
        }
    }
}

public struct SinkError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    /// The errno of the failed call, when one failed.
    public var errno: Int32? = nil
    /// Whether the output was this process's standard output.
    public var standardOutput = false
    public var description: String { "\(path): \(reason)" }

    /// The reader of standard output went away (`porttrace replay T | head`).
    public var isClosedPipe: Bool { errno == SystemError.brokenPipe && standardOutput }
}
