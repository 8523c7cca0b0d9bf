import Foundation
import SystemCalls

/// Reads a text file line by line in 1 MiB chunks (memory stays flat whatever the file's size),
/// handing each line without its LF to `body` with its 1-based number. A file can be read any
/// number of times; standard input ("-") is read once into memory and then served the same way.
public final class LineReader {
    public let name: String
    private let path: String?
    private var stdinCopy: [UInt8]?
    /// The longest line accepted; a longer one is cut there and reported by the caller's parser.
    public static let longestLine = 1 << 20

    public init(path: String) throws {
        if path == "-" {
            name = "stdin"
            self.path = nil
            stdinCopy = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            return
        }
        name = path
        self.path = path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw AnalysisError.badOption("\(path): no such file")
        }
        guard !isDir.boolValue else { throw AnalysisError.badOption("\(path): is a directory") }
    }

    /// Calls `body` for each line; returns the number of lines.
    @discardableResult
    public func forEachLine(_ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Int {
        var number = 0
        var carry: [UInt8] = []
        func lines(in chunk: UnsafeBufferPointer<UInt8>, final: Bool) throws {
            var start = 0
            var i = 0
            let n = chunk.count
            while i < n {
                if chunk[i] == 0x0a {
                    number += 1
                    if carry.isEmpty {
                        try body(number, UnsafeBufferPointer(rebasing: chunk[start..<i]))
                    } else {
                        carry.append(contentsOf: chunk[start..<i])
                        try carry.withUnsafeBufferPointer { try body(number, $0) }
                        carry.removeAll(keepingCapacity: true)
                    }
                    start = i + 1
                }
                i += 1
            }
            if start < n {
                let room = LineReader.longestLine - carry.count
                if room > 0 { carry.append(contentsOf: chunk[start..<min(n, start + room)]) }
            }
            if final && !carry.isEmpty {
                number += 1
                try carry.withUnsafeBufferPointer { try body(number, $0) }
                carry.removeAll()
            }
        }
        if let stdinCopy {
            try stdinCopy.withUnsafeBufferPointer { try lines(in: $0, final: true) }
            return number
        }
        do {
            try LineReader.readChunks(path!) { chunk, final in try lines(in: chunk, final: final) }
        } catch let e as SystemError {
            throw AnalysisError.badOption("\(name): \(e)")
        }
        return number
    }

    /// Feeds the file to `body` in 1 MiB chunks; `final` marks the last.
    static func readChunks(_ path: String, _ body: (UnsafeBufferPointer<UInt8>, Bool) throws -> Void) throws {
        let file = try OwnedFile.openForReading(path)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: UInt64 = 0
        while true {
            let got = try buffer.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
            offset += UInt64(got)
            let final = got < buffer.count
            try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<got]), final) }
            if final { break }
        }
    }
}
