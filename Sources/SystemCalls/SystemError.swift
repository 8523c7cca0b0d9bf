import SystemPackage

/// A failed system call: what was being done ("open", "pwrite", an ioctl's name) and its errno.
/// The one place where an errno becomes text.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// From what swift-system threw (an `Errno`).
    public init(_ operation: String, _ error: any Error) {
        self.init(operation, errno: (error as? Errno ?? .ioError).rawValue)
    }

    /// `operation: text`, e.g. `open: No such file or directory`.
    public var description: String { "\(operation): \(SystemError.text(errno))" }

    /// The C library's text for an errno value.
    public static func text(_ errno: Int32) -> String { Errno(rawValue: errno).description }

    /// EPIPE: the reader of a pipe went away.
    public static var brokenPipe: Int32 { Errno.brokenPipe.rawValue }
    /// ENOENT.
    public static var noSuchFile: Int32 { Errno.noSuchFileOrDirectory.rawValue }
    /// ENOTDIR.
    public static var notADirectory: Int32 { Errno.notDirectory.rawValue }

    /// The calling thread's current errno, read right after the call that set it.
    public static var current: Int32 { LibC.currentErrno }
}
