/// What `stat(2)` says of a file: its type, permission bits, owner and identity.
public struct FileInfo: Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case regular, directory, symbolicLink, characterDevice, blockDevice, fifo, socket, other
    }

    public var kind: Kind
    /// The permission bits (`st_mode & 07777`).
    public var permissions: UInt32
    public var owner: UInt32
    public var group: UInt32
    public var device: UInt64
    public var inode: UInt64
    public var size: UInt64

    /// Device and inode: two paths with the same identity are the same file.
    public var identity: FileIdentity { .file(device: device, inode: inode) }

    /// A path's file, following links (or the link itself when `followLinks` is false); nil when
    /// there is none. The corresponding calls are `stat(2)` and `lstat(2)`.
    public static func of(path: String, followLinks: Bool = true) throws(SystemError) -> FileInfo? {
        if let info = LibC.fileInfo(path, followLinks: followLinks) { return info }
        let code = SystemError.current
        if code == SystemError.noSuchFile || code == SystemError.notADirectory { return nil }
        throw SystemError(followLinks ? "stat" : "lstat", errno: code)
    }

    /// An open descriptor's file. The corresponding call is `fstat(2)`.
    public static func of(descriptor: Int32) throws(SystemError) -> FileInfo {
        guard let info = LibC.fileInfo(descriptor) else { throw SystemError("fstat", errno: SystemError.current) }
        return info
    }

    /// The process's file creation mask. The corresponding call is `umask(2)`.
    public static var creationMask: UInt32 { LibC.creationMask() }
}

/// What makes two paths the same file: device and inode once it exists, else the path it will
/// be created at (absolute, links resolved).
public enum FileIdentity: Hashable, Sendable {
    case file(device: UInt64, inode: UInt64)
    case future(path: String)
}
