import Foundation
import SystemCalls

/// Reads a text file line by line in 1 MiB chunks (memory stays flat whatever the file's size),
/// handing each line without its LF to `body` with its 1-based number. A file can be read any
/// number of times; standard input ("-") is read once into memory and then served the same way,
/// as are bytes given to `init(bytes:)`.
public final class LineReader {
    public let name: String
    private let path: String?
    /// Standard input, or the bytes given: read from memory, in one chunk.
    private var held: [UInt8]?
    /// The longest line read by default; a longer one is reported to the caller by its number, unread.
    public static let longestLine = 1 << 20
    /// The longest line this reader reads.
    public let longestLine: Int

    public init(path: String, longestLine: Int = LineReader.longestLine) throws {
        self.longestLine = longestLine
        if path == "-" {
            name = "stdin"
            self.path = nil
            held = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            return
        }
        name = path
        self.path = path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw AnalysisError.badOption("\(path): no such file")
        }
        guard !isDir.boolValue else { throw AnalysisError.badOption("\(path): is a directory") }
        // A FIFO or a device (`<(zcat x.log)`, /dev/stdin) is read once, as standard input is:
        // it cannot be read twice or by offset.
        // (Looked at without opening it: an open and close of a FIFO would take what a writer
        // wrote meanwhile away with it.)
        if let info = try? FileInfo.of(path: path), info.kind != .regular {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw AnalysisError.badOption("\(path): cannot be opened") }
            do {
                held = [UInt8](try handle.readToEnd() ?? Data())
            } catch {
                throw AnalysisError.badOption("\(path): \(error.localizedDescription)")
            }
        }
    }

    /// Reads `bytes` as the text of a file called `name` (for messages).
    public init(bytes: [UInt8], name: String, longestLine: Int = LineReader.longestLine) {
        self.longestLine = longestLine
        self.name = name
        path = nil
        held = bytes
    }

    /// Calls `body` for each line, and `overlong` instead for a line longer than `longestLine`
    /// (whose bytes are not kept past it); returns the number of lines.
    @discardableResult
    public func forEachLine(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void, overlong: (Int) throws -> Void) throws -> Int {
        var number = 0
        var carry: [UInt8] = []
        // The line being carried over from earlier chunks is already over the limit.
        var carryIsOver = false
        func finish(_ tail: UnsafeBufferPointer<UInt8>) throws {
            number += 1
            if carryIsOver || tail.count > longestLine - carry.count {
                try overlong(number)
            } else if carry.isEmpty {
                try body(number, tail)
            } else {
                carry.append(contentsOf: tail)
                // SAFETY: `carry`'s storage is valid for the closure; `body` only reads it and
                // does not keep the pointer (the carry is cleared right after).
                try carry.withUnsafeBufferPointer { try body(number, $0) }
            }
            carry.removeAll(keepingCapacity: true)
            carryIsOver = false
        }
        func lines(in chunk: UnsafeBufferPointer<UInt8>, final: Bool) throws {
            var start = 0
            var i = 0
            let n = chunk.count
            while i < n {
                if chunk[i] == 0x0a {
                    // SAFETY: start <= i < n, so the slice lies within `chunk`, valid for this call.
                    try finish(UnsafeBufferPointer(rebasing: chunk[start..<i]))
                    start = i + 1
                }
                i += 1
            }
            if start < n {
                if carryIsOver || n - start > longestLine - carry.count {
                    carryIsOver = true
                    carry.removeAll(keepingCapacity: true)
                } else {
                    carry.append(contentsOf: chunk[start..<n])
                }
            }
            // SAFETY: an empty buffer with no base address: nothing is read through it.
            if final && (carryIsOver || !carry.isEmpty) { try finish(UnsafeBufferPointer(start: nil, count: 0)) }
        }
        if let held {
            // SAFETY: the array's storage is valid for the closure and only read.
            try held.withUnsafeBufferPointer { try lines(in: $0, final: true) }
            return number
        }
        do {
            try LineReader.readChunks(path!) { chunk, final in try lines(in: chunk, final: final) }
        } catch let e as SystemError {
            throw AnalysisError.unreadable(path: name, e)
        }
        return number
    }

    /// Feeds the file to `body` in 1 MiB chunks; `final` marks the last.
    static func readChunks(_ path: String, _ body: (UnsafeBufferPointer<UInt8>, Bool) throws -> Void) throws {
        let file = try OwnedFile.openForReading(path)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: UInt64 = 0
        while true {
            // SAFETY: `read` writes at most the buffer's count bytes into the array's storage, which
            // is valid for the closure, and returns how many it wrote (got <= buffer.count); the
            // rebased slice 0..<got lies within the storage, which `body` reads during the call only.
            let got = try buffer.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
            offset += UInt64(got)
            let final = got < buffer.count
            try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<got]), final) }
            if final { break }
        }
    }
}
