#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few C library calls swift-system does not wrap. The C library is reached by whichever
/// module the platform has (Glibc, Musl or Darwin), never by a module-qualified name.
enum LibC {
    /// `fchmod(2)`.
    static func setMode(_ fd: Int32, _ mode: UInt32) -> Int32 { fchmod(fd, mode_t(mode)) }
    /// `fchown(2)`.
    static func setOwner(_ fd: Int32, _ owner: UInt32, _ group: UInt32) -> Int32 { fchown(fd, uid_t(owner), gid_t(group)) }
    /// `fsync(2)`.
    static func syncToDevice(_ fd: Int32) -> Int32 { fsync(fd) }
    /// `isatty(3)`.
    static func terminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }
    /// `unlink(2)`.
    static func remove(_ path: String) -> Int32 { unlink(path) }
    /// `rename(2)`.
    static func move(_ from: String, _ to: String) -> Int32 { rename(from, to) }
    /// The calling thread's errno.
    static var currentErrno: Int32 { errno }
    /// `getpid(2)`.
    static func processID() -> Int32 { getpid() }
    /// `fcntl(2)` with `F_DUPFD_CLOEXEC`: a new descriptor for the same open file, or -1.
    static func duplicate(_ fd: Int32) -> Int32 { fcntl(fd, F_DUPFD_CLOEXEC, 0) }
    /// `fcntl(2)` with `F_GETFD`: whether `fd` is an open descriptor.
    static func isOpen(_ fd: Int32) -> Bool { fcntl(fd, F_GETFD) != -1 }

    /// `umask(2)`, read without changing it (set and set back).
    static func creationMask() -> UInt32 {
        let mask = umask(0o022)
        umask(mask)
        return UInt32(mask)
    }

    /// `readlink(2)`: the target a symbolic link holds, or nil with errno set.
    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `realpath(3)` of an existing path, or nil with errno set.
    static func canonicalPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `stat(2)` (or `lstat(2)` when `followLinks` is false) of a path, or nil with errno set.
    static func fileInfo(_ path: String, followLinks: Bool) -> FileInfo? {
        var st = stat()
        guard (followLinks ? stat(path, &st) : lstat(path, &st)) == 0 else { return nil }
        return FileInfo(st)
    }

    /// `fstat(2)` of a descriptor, or nil with errno set.
    static func fileInfo(_ fd: Int32) -> FileInfo? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return FileInfo(st)
    }

    /// `fstat(2)`: size and type, or nil with errno set.
    static func fileStatus(_ fd: Int32) -> (size: UInt64, isDirectory: Bool, isRegular: Bool)? {
        guard let info = fileInfo(fd) else { return nil }
        return (info.size, info.kind == .directory, info.kind == .regular)
    }
}

extension FileInfo {
    fileprivate init(_ st: stat) {
        let kind: Kind
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .other
        }
        self.init(
            kind: kind, permissions: UInt32(st.st_mode & 0o7777), owner: UInt32(st.st_uid), group: UInt32(st.st_gid),
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: UInt64(max(0, st.st_size)))
    }
}
