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

    /// `fstat(2)`: size and type, or nil with errno set.
    static func fileStatus(_ fd: Int32) -> (size: UInt64, isDirectory: Bool, isRegular: Bool)? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let type = st.st_mode & S_IFMT
        return (UInt64(max(0, st.st_size)), type == S_IFDIR, type == S_IFREG)
    }
}
