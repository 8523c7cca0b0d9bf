import Foundation
import Testing
import TraceFormat

/// `diff` in bounded memory, through the command line.
@Suite(.serialized) struct DiffMemoryTests {
    /// Two consoles of 30,000 lines, every 4th of the first 20,000 changed: the version that
    /// kept a frontier per edit took gigabytes for this.
    static func consoleTrace(_ path: String, changed: Bool) throws {
        var md = TraceMetadata()
        md.vmmStartNs = 1_000_000
        md.vmStartNs = 2_000_000
        md["profile"] = .string("v53.0")
        md["devices"] = .array([.object([("model", .string("debug-console")), ("port", .uint(0xe9)), ("length", .uint(1))])])
        let w = try TraceWriter(path: path, metadata: md)
        var t: UInt64 = 2_000_000
        for i in 0..<30_000 {
            let text = changed && i < 20_000 && i % 4 == 0 ? "console line \(i): this one changed\n" : "console line \(i): as it was\n"
            for b in text.utf8 {
                t += 100
                var byte = b
                withUnsafeBytes(of: &byte) {
                    w.append(timestamp: t, shape: EventShape(vcpu: 0, port: 0xe9, direction: .out, size: 1), data: $0)
                }
            }
        }
        try w.close(at: t)
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "GNU time is not installed"),
        .enabled(if: sanitizerInUse == nil, "\(sanitizerInUse ?? ""): its shadow memory and quarantine are in the peak RSS"))
    func consolesDifferingIn5000LinesTakeLittleMemory() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.consoleTrace("\(dir)/a.pt", changed: false)
        try Self.consoleTrace("\(dir)/b.pt", changed: true)
        let r = try runProcess(
            "/usr/bin/time", ["-f", "%M", "-o", "\(dir)/rss", porttraceBinary(), "diff", "\(dir)/a.pt", "\(dir)/b.pt", "--color", "never"])
        #expect(r.status == 1, "\(r.stderr)")
        let lines = r.out.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("-console line") }.count == 5000)
        #expect(lines.filter { $0.hasPrefix("+console line") }.count == 5000)
        // time writes "Command exited with non-zero status 1" first: the figure is the last line.
        let report = try String(contentsOfFile: "\(dir)/rss", encoding: .utf8)
        let kib = report.split(separator: "\n").last.flatMap { Int($0) } ?? .max
        #expect(kib < 200 * 1024, "peak RSS \(kib) KiB")
    }
}

/// The sanitizer the tests run under, if any: `scripts/test --sanitize` sets its options. Memory
/// bounds are the program's own and are checked without one.
let sanitizerInUse: String? = {
    let env = ProcessInfo.processInfo.environment
    if env["ASAN_OPTIONS"] != nil { return "AddressSanitizer" }
    if env["TSAN_OPTIONS"] != nil { return "ThreadSanitizer" }
    return nil
}()
