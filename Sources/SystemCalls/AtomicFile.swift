import SystemPackage

/// An output file that appears complete or not at all: written to a hidden temporary beside
/// its final path (mode 0600), synced, then renamed into place by `commit()`.
public struct AtomicFile: ~Copyable {
    public let path: String
    public let temporary: String
    private let file: OwnedFile

    /// Creates the temporary `DIR/.NAME.porttrace-PID-RANDOM`.
    public init(path: String) throws {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        self.path = path
        temporary = "\(dir)/.\(base).porttrace-\(LibC.processID())-\(UInt32.random(in: 0...UInt32.max))"
        file = try OwnedFile.create(temporary, exclusive: true, readable: false)
    }

    public var descriptor: FileDescriptor { file.descriptor }

    /// Flushes the temporary to the device. The corresponding call is `fsync(2)`.
    public func sync() throws { try file.sync() }

    /// Syncs, closes and renames the temporary into place. The corresponding calls are
    /// `fsync(2)` and `rename(2)`; on failure the temporary is removed.
    public consuming func commit() throws {
        do {
            try file.sync()
        } catch {
            _ = LibC.remove(temporary)
            throw error
        }
        // The descriptor closes when `self` is consumed; renaming an open file is fine.
        guard LibC.move(temporary, path) == 0 else {
            let code = SystemError.current
            _ = LibC.remove(temporary)
            throw SystemError("rename", errno: code)
        }
    }

    /// Closes and removes the temporary. The corresponding call is `unlink(2)`.
    public consuming func abandon() {
        _ = LibC.remove(temporary)
    }
}
