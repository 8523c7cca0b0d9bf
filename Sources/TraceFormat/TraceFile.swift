import SystemCalls

extension TraceError {
    init(_ e: any Error) {
        let s = e as? SystemError ?? SystemError("I/O", errno: 5)
        self = .system(operation: s.operation, errno: s.errno)
    }
}

/// A trace file's descriptor, with the system-call layer's errors reported as `TraceError`s
/// (so every failure of a trace command has one type to catch).
struct TraceFile: ~Copyable {
    let file: OwnedFile

    static func openForReading(_ path: String) throws(TraceError) -> TraceFile {
        do { return TraceFile(file: try OwnedFile.openForReading(path)) } catch { throw TraceError(error) }
    }

    func status() throws(TraceError) -> (size: UInt64, isDirectory: Bool, isRegular: Bool) {
        do { return try file.status() } catch { throw TraceError(error) }
    }

    func read(at offset: UInt64, count: Int) throws(TraceError) -> [UInt8] {
        do { return try file.read(at: offset, count: count) } catch { throw TraceError(error) }
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(TraceError) -> Int {
        do { return try file.read(at: offset, into: buffer) } catch { throw TraceError(error) }
    }

    func write(_ bytes: [UInt8]) throws(TraceError) {
        do { try file.write(bytes) } catch { throw TraceError(error) }
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws(TraceError) {
        do { try file.write(bytes, at: offset) } catch { throw TraceError(error) }
    }

    func sync() throws(TraceError) {
        do { try file.sync() } catch { throw TraceError(error) }
    }
}
