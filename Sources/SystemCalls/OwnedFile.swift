import SystemPackage

/// A file descriptor with one owner: it is closed when the owner goes away.
/// Every system call on a trace file or an output file goes through these methods;
/// EINTR is retried for open, read and write, never for close.
public struct OwnedFile: ~Copyable, Sendable {
    public let descriptor: FileDescriptor

    public init(adopting descriptor: FileDescriptor) { self.descriptor = descriptor }

    /// Takes ownership of a descriptor a system call outside this module returned (KVM's
    /// `KVM_CREATE_VM` and `KVM_CREATE_VCPU` return new descriptors).
    public init(adoptingRaw descriptor: Int32) { self.descriptor = FileDescriptor(rawValue: descriptor) }

    /// The descriptor's number, for system calls outside this module (ioctl, mmap); it stays
    /// this value's to close.
    public var raw: Int32 { descriptor.rawValue }

    /// Opens an existing `path` for reading and writing (a device such as `/dev/kvm`). The
    /// corresponding call is `open(2)` with `O_RDWR`.
    public static func openForReadingAndWriting(_ path: String) throws(SystemError) -> OwnedFile {
        do {
            return OwnedFile(adopting: try FileDescriptor.open(FilePath(path), .readWrite, options: [.closeOnExec]))
        } catch {
            throw SystemError("open", error)
        }
    }

    /// Opens `path` for reading. The corresponding call is `open(2)` with `O_RDONLY|O_NONBLOCK`:
    /// a FIFO without a writer opens at once instead of waiting for one, so the caller can look
    /// at what it opened (`status`) and refuse it (the flag changes nothing for regular files).
    public static func openForReading(_ path: String) throws -> OwnedFile {
        do {
            return OwnedFile(adopting: try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec, .nonBlocking]))
        } catch {
            throw SystemError("open", error)
        }
    }

    /// Creates `path` with mode 0600 (guest output can hold secrets): a new file when `exclusive`,
    /// else a new or truncated one. An existing file keeps its mode through `O_TRUNC`, so the
    /// mode is set again. The corresponding calls are `open(2)` with `O_CREAT` and `fchmod(2)`.
    public static func create(_ path: String, exclusive: Bool = false, readable: Bool = true) throws -> OwnedFile {
        let options: FileDescriptor.OpenOptions = [.create, .closeOnExec, exclusive ? .exclusiveCreate : .truncate]
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(
                FilePath(path), readable ? .readWrite : .writeOnly, options: options,
                permissions: [.ownerReadWrite])
        } catch {
            throw SystemError("open", error)
        }
        let file = OwnedFile(adopting: fd)
        try file.setMode(0o600)
        return file
    }

    /// Sets the permission bits. The corresponding call is `fchmod(2)`.
    public func setMode(_ mode: UInt32) throws(SystemError) {
        guard LibC.setMode(descriptor.rawValue, mode) == 0 else { throw SystemError("fchmod", errno: SystemError.current) }
    }

    /// The size and type of the file. The corresponding call is `fstat(2)`.
    public func status() throws -> (size: UInt64, isDirectory: Bool, isRegular: Bool) {
        guard let st = LibC.fileStatus(descriptor.rawValue) else { throw SystemError("fstat", errno: SystemError.current) }
        return st
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    /// The corresponding call is `pread(2)`.
    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        // SAFETY: the buffer is the array's own storage, `count` bytes, valid for the closure.
        let got = try result.withUnsafeMutableBytes { (buffer) -> Int in try read(at: offset, into: buffer) }
        result.removeLast(count - got)
        return result
    }

    /// Fills `buffer` from `offset`, stopping early only at end of file. Returns the bytes read.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n: Int
            do {
                // Rebasing keeps the destination inside `buffer`.
                n = try descriptor.read(
                    fromAbsoluteOffset: Int64(offset) + Int64(done),
                    // SAFETY: `done < buffer.count`, so the rebased tail is inside `buffer`.
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            } catch {
                throw SystemError("pread", error)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` at the current position. The corresponding call is `write(2)`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try Descriptor.writeAll(descriptor, bytes)
    }

    public func write(_ bytes: [UInt8]) throws {
        // SAFETY: the array's bytes are valid for the closure and only read.
        try bytes.withUnsafeBytes { (raw) in try write(raw) }
    }

    /// Writes `bytes` at `offset` without moving the file position. The corresponding call is `pwrite(2)`.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws {
        do {
            try descriptor.writeAll(toAbsoluteOffset: Int64(offset), bytes)
        } catch {
            throw SystemError("pwrite", error)
        }
    }

    /// Flushes data and metadata to the device. The corresponding call is `fsync(2)`.
    /// Descriptors that cannot be synced (pipes, terminals: EINVAL) are left as they are.
    public func sync() throws(SystemError) {
        try Descriptor.sync(descriptor)
    }

    deinit {
        // Never retried: after EINTR the descriptor's state is unspecified on Linux.
        try? descriptor.close()
    }
}
