import SystemPackage

/// An open output, placed by the rules of `OutputTarget`:
/// - standard output and inherited descriptors are written as they are (a `dup` of the
///   descriptor, never a fresh open of the path);
/// - devices, FIFOs and sockets are opened for writing in place, never truncated or re-moded;
/// - a regular file is either replaced as a whole (`.replace`: written to a hidden temporary
///   beside it, renamed over it by `commit()`, so it is complete or untouched) or written in place
///   (`.inPlace`: created or truncated at its path, for a recorder whose file must stay readable
///   if it is killed).
///
/// Modes: a replaced file keeps its mode, and its owner and group where the process may set them
/// (as `cp` over an existing file); a new file gets 0666 minus the umask, except files holding
/// guest output (`Contents.guestData`: traces, console and log files, event tables), which get 0600.
public struct OutputFile: ~Copyable {
    public enum Contents: Sendable {
        /// Guest output (it may hold secrets): new files get mode 0600.
        case guestData
        /// A report: new files get 0666 minus the umask.
        case report
    }

    public enum Placement: Sendable {
        /// A temporary beside the file, renamed over it by `commit()`.
        case replace
        /// Created or truncated at its path and written there.
        case inPlace
    }

    /// The path as the user gave it, for messages.
    public let name: String
    public let target: OutputTarget
    public let descriptor: FileDescriptor
    /// The owner of `descriptor` (closed with this output); nil for standard output, which this
    /// process does not own.
    private let file: OwnedFile?
    /// For `.replace`: the temporary, the final path and what to give the file before renaming.
    private let replacement: (temporary: String, final: String, mode: UInt32, owner: (UInt32, UInt32)?)?

    /// Writes to this output, for a writer that keeps the output itself elsewhere.
    public var handle: WriteHandle { WriteHandle(descriptor: descriptor) }

    /// Whether `commit()` renames a finished file into place.
    public var isReplacement: Bool { replacement != nil }

    /// Opens the output `name` (resolved as `OutputTarget.resolve` does).
    public static func open(
        _ name: String, contents: Contents, placement: Placement = .replace, readable: Bool = false
    ) throws(OutputPathError) -> OutputFile {
        try open(name, target: OutputTarget.resolve(name), contents: contents, placement: placement, readable: readable)
    }

    /// Opens an already resolved output.
    public static func open(
        _ name: String, target: OutputTarget, contents: Contents, placement: Placement = .replace, readable: Bool = false
    ) throws(OutputPathError) -> OutputFile {
        func failed(_ e: any Error) -> OutputPathError {
            OutputPathError(name, (e as? SystemError).map { SystemError.text($0.errno) } ?? "\(e)")
        }
        switch target {
        case .standardOutput:
            return OutputFile(name: name, target: target, file: nil, replacement: nil)
        case .inherited(let fd):
            let copy = LibC.duplicate(fd)
            guard copy >= 0 else { throw failed(SystemError("dup", errno: SystemError.current)) }
            return OutputFile(name: name, target: target, file: OwnedFile(adopting: FileDescriptor(rawValue: copy)), replacement: nil)
        case .special(let path):
            do {
                let fd = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.closeOnExec])
                return OutputFile(name: name, target: target, file: OwnedFile(adopting: fd), replacement: nil)
            } catch {
                throw failed(SystemError("open", error))
            }
        case .regular(let path):
            let existing = try? FileInfo.of(path: path)
            let newMode: UInt32 = contents == .guestData ? 0o600 : 0o666 & ~FileInfo.creationMask
            switch placement {
            case .inPlace:
                do {
                    let fd = try FileDescriptor.open(
                        FilePath(path), readable ? .readWrite : .writeOnly, options: [.create, .truncate, .closeOnExec],
                        permissions: FilePermissions(rawValue: newMode))
                    let file = OwnedFile(adopting: fd)
                    // O_CREAT's mode passes through the umask: a new file gets exactly its mode.
                    if existing == nil { try file.setMode(newMode) }
                    return OutputFile(name: name, target: target, file: file, replacement: nil)
                } catch {
                    throw failed(error)
                }
            case .replace:
                let folder = OutputTarget.directory(of: path)
                let base = path.split(separator: "/").last.map(String.init) ?? path
                let temporary = "\(folder)/.\(base).porttrace-\(LibC.processID())-\(UInt32.random(in: 0...UInt32.max))"
                do {
                    let file = try OwnedFile.create(temporary, exclusive: true, readable: readable)
                    return OutputFile(
                        name: name, target: target, file: file,
                        replacement: (temporary, path, existing?.permissions ?? newMode, existing.map { ($0.owner, $0.group) }))
                } catch {
                    throw failed(error)
                }
            }
        }
    }

    private init(
        name: String, target: OutputTarget, file: consuming OwnedFile?,
        replacement: (temporary: String, final: String, mode: UInt32, owner: (UInt32, UInt32)?)?
    ) {
        self.name = name
        self.target = target
        descriptor = file?.descriptor ?? .standardOutput
        self.file = file
        self.replacement = replacement
    }

    /// Flushes a file being replaced to the device. The corresponding call is `fsync(2)`.
    public func sync() throws(OutputPathError) {
        guard replacement != nil else { return }
        do {
            try Descriptor.sync(descriptor)
        } catch {
            throw OutputPathError(name, SystemError.text(error.errno))
        }
    }

    /// Finishes the output: a replaced file is synced, given its mode (and its owner, where the
    /// process may set it) and renamed into place; other outputs are left as written. On failure
    /// the temporary is removed. The corresponding calls are `fsync(2)`, `fchmod(2)`,
    /// `fchown(2)` and `rename(2)`.
    public consuming func commit() throws(OutputPathError) {
        guard let r = replacement else { return }
        do throws(SystemError) {
            try Descriptor.sync(descriptor)
            guard LibC.setMode(descriptor.rawValue, r.mode) == 0 else { throw SystemError("fchmod", errno: SystemError.current) }
        } catch {
            _ = LibC.remove(r.temporary)
            throw OutputPathError(name, SystemError.text(error.errno))
        }
        // Like cp: keep the owner and group where allowed; a user who may not is not an error.
        if let owner = r.owner { _ = LibC.setOwner(descriptor.rawValue, owner.0, owner.1) }
        // The descriptor closes when `self` is consumed; renaming an open file is fine.
        guard LibC.move(r.temporary, r.final) == 0 else {
            let code = SystemError.current
            _ = LibC.remove(r.temporary)
            throw OutputPathError(name, SystemError("rename", errno: code).description)
        }
    }

    /// Drops the output: a file being replaced is removed, and what was at its path stays.
    /// The corresponding call is `unlink(2)`.
    public consuming func abandon() {
        if let r = replacement { _ = LibC.remove(r.temporary) }
    }
}

/// Writes to a descriptor someone else owns (an `OutputFile`): what a writer thread needs.
public struct WriteHandle: Sendable {
    public let descriptor: FileDescriptor

    /// Writes all of `bytes` at the current position, retrying on EINTR and short writes.
    /// The corresponding call is `write(2)`.
    public func write(_ bytes: [UInt8]) throws(SystemError) {
        do { try Descriptor.writeAll(descriptor, bytes) } catch { throw error as? SystemError ?? SystemError("write", error) }
    }

    /// Writes `bytes` at `offset` without moving the position. The corresponding call is `pwrite(2)`.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(SystemError) {
        do {
            try descriptor.writeAll(toAbsoluteOffset: Int64(offset), bytes)
        } catch {
            throw SystemError("pwrite", error)
        }
    }

    /// Flushes to the device (EINVAL from pipes and devices is not an error). The corresponding call is `fsync(2)`.
    public func sync() throws(SystemError) { try Descriptor.sync(descriptor) }
}
