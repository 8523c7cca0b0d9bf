import SystemPackage

/// Calls on descriptors this process does not own (stdout, stderr) or that an owner passes in.
public enum Descriptor {
    public static let standardOutput = FileDescriptor.standardOutput
    public static let standardError = FileDescriptor.standardError

    /// Writes all of `bytes`, retrying on EINTR and short writes. The corresponding call is `write(2)`.
    public static func writeAll(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer) throws {
        do {
            try fd.writeAll(bytes)
        } catch {
            throw SystemError("write", error)
        }
    }

    public static func writeAll(_ fd: FileDescriptor, _ bytes: [UInt8]) throws {
        // SAFETY: the array's bytes are valid for the closure and only read.
        try bytes.withUnsafeBytes { (raw) in try writeAll(fd, raw) }
    }

    /// One line on stderr. Nothing is reported if stderr itself fails: there is nowhere left to say it.
    public static func stderrLine(_ line: String) {
        try? writeAll(standardError, Array((line + "\n").utf8))
    }

    /// Flushes to the device; EINVAL (pipes, terminals) is not an error. The corresponding call is `fsync(2)`.
    public static func sync(_ fd: FileDescriptor) throws(SystemError) {
        guard LibC.syncToDevice(fd.rawValue) == 0 else {
            let code = SystemError.current
            if code == Errno.invalidArgument.rawValue { return }
            throw SystemError("fsync", errno: code)
        }
    }

    /// Whether `fd` is a terminal. The corresponding call is `isatty(3)`.
    public static func isTerminal(_ fd: FileDescriptor) -> Bool { LibC.terminal(fd.rawValue) }
}
