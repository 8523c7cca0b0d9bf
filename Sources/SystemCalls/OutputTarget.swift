/// Where an output path leads, decided before anything is opened. porttrace runs as root, so an
/// output must never replace what is not its own: one rule for every output of every command.
///
/// - `-` is standard output (for text and report outputs).
/// - `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N` (and `/proc/PID/fd/N` of this
///   process) are the descriptor this process inherited, used as it is (a `dup` of N), so
///   `--log-file /dev/stdout >> out.txt` appends as the shell asked and `>(wc -c)` works.
/// - A path that exists and is not a regular file (a character or block device, a FIFO, a socket)
///   is written in place: never truncated, renamed or re-moded.
/// - A symbolic link is followed to what it points to (a link whose target does not exist yet
///   leads to creating that target, as the shell's `>` and `tee` do); the link stays a link.
/// - Anything else is a regular file, new or existing, at the resolved path.
public enum OutputTarget: Equatable, Sendable {
    /// `-`.
    case standardOutput
    /// A descriptor this process inherited (1 for `/dev/stdout`).
    case inherited(descriptor: Int32)
    /// An existing file that is not a regular file, at this path.
    case special(path: String)
    /// A regular file at this path (links resolved): it may not exist yet.
    case regular(path: String)

    /// Symbolic links followed before giving up, as the kernel's own limit (`ELOOP`).
    static let maxLinks = 40

    /// Resolves `given` by the rules above. `-` is refused when `allowStandardOutput` is false.
    public static func resolve(_ given: String, allowStandardOutput: Bool = true) throws(OutputPathError) -> OutputTarget {
        if given == "-" {
            guard allowStandardOutput else { throw OutputPathError(given, "standard output ('-') cannot hold this output") }
            return .standardOutput
        }
        guard !given.isEmpty else { throw OutputPathError(given, "empty path") }
        var path = given
        for _ in 0...maxLinks {
            if let fd = inheritedDescriptor(path) {
                guard LibC.isOpen(fd) else { throw OutputPathError(given, "descriptor \(fd) is not open in this process") }
                return .inherited(descriptor: fd)
            }
            let info: FileInfo?
            do {
                info = try FileInfo.of(path: path, followLinks: false)
            } catch {
                throw OutputPathError(given, error.description)
            }
            guard let info else {
                // A new file: its folder must exist (outputs never create folders but --out-dir).
                let folder = directory(of: path)
                guard let d = try? FileInfo.of(path: folder), d.kind == .directory else {
                    throw OutputPathError(given, "no such directory: \(folder)")
                }
                return .regular(path: path)
            }
            switch info.kind {
            case .regular: return .regular(path: path)
            case .directory: throw OutputPathError(given, "is a directory")
            case .symbolicLink:
                guard let target = LibC.linkTarget(path) else {
                    throw OutputPathError(given, SystemError("readlink", errno: SystemError.current).description)
                }
                path = target.hasPrefix("/") ? target : directory(of: path) + "/" + target
            default: return .special(path: path)
            }
        }
        throw OutputPathError(given, "too many levels of symbolic links")
    }

    /// The descriptor a `/dev/stdout`-like path names, if it is one.
    static func inheritedDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default: break
        }
        for prefix in ["/dev/fd/", "/proc/self/fd/", "/proc/\(LibC.processID())/fd/"] where path.hasPrefix(prefix) {
            let digits = path.dropFirst(prefix.count)
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int32(digits)
        }
        return nil
    }

    /// The folder part of a path (`.` for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The file behind this output, to tell whether two outputs (or an output and an input) are
    /// one file; nil for outputs that may be shared (devices, FIFOs, terminals, pipes).
    public func identity() -> FileIdentity? {
        switch self {
        case .standardOutput: return Self.regularIdentity(descriptor: 1)
        case .inherited(let fd): return Self.regularIdentity(descriptor: fd)
        case .special: return nil
        case .regular(let path):
            if let info = try? FileInfo.of(path: path), info.kind == .regular { return info.identity }
            let folder = Self.directory(of: path)
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return .future(path: (LibC.canonicalPath(folder) ?? folder) + "/" + name)
        }
    }

    static func regularIdentity(descriptor: Int32) -> FileIdentity? {
        guard let info = try? FileInfo.of(descriptor: descriptor), info.kind == .regular else { return nil }
        return info.identity
    }

    /// The file an input path reads (following links), when it is a regular file.
    public static func inputIdentity(_ path: String) -> FileIdentity? {
        if path == "-" { return regularIdentity(descriptor: 0) }
        guard let info = try? FileInfo.of(path: path), info.kind == .regular else { return nil }
        return info.identity
    }

    /// Refuses, before anything is written, an output that is one of the inputs, and two outputs
    /// that are the same regular file. Outputs that are not regular files may be shared.
    /// `outputs` pairs each path with how the user named it (`-o`, `--log-file`).
    public static func checkDistinct(inputs: [String], outputs: [(name: String, path: String)]) throws(OutputPathError) {
        var seen: [FileIdentity: String] = [:]
        for input in inputs {
            if let id = inputIdentity(input) { seen[id] = input }
        }
        var outputSeen: [FileIdentity: (name: String, path: String)] = [:]
        for output in outputs {
            let target: OutputTarget
            do {
                target = try resolve(output.path)
            } catch {
                throw OutputPathError(output.path, error.reason, flag: output.name)
            }
            guard let id = target.identity() else { continue }
            if let input = seen[id] {
                throw OutputPathError(
                    output.path, "is also an input (\(input)); \(output.name) would overwrite what it reads", flag: output.name)
            }
            if let other = outputSeen[id] {
                throw OutputPathError(
                    output.path, "is the same file as \(other.name) \(other.path); two outputs cannot share a file", flag: output.name)
            }
            outputSeen[id] = output
        }
    }
}

/// An output path that cannot be used, and why: one line, naming the path (and the flag when known).
public struct OutputPathError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var reason: String
    public var flag: String?

    public init(_ path: String, _ reason: String, flag: String? = nil) {
        self.path = path
        self.reason = reason
        self.flag = flag
    }

    public var description: String { "\(flag.map { "\($0) " } ?? "")\(path): \(reason)" }
}
