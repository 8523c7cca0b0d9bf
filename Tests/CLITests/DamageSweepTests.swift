import Foundation
import Testing

let checkedInTraces: [String] = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces").path
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".pt") }.sorted().map {
        "\(dir)/\($0)"
    }
}()

/// Cuts and single-byte flips through each checked-in trace, read by `info`, `dump`, `verify` and
/// `replay`: never a trap or a hang; status 2 ("not a porttrace trace") only when the first 12
/// bytes are gone or wrong; otherwise status 1 with the problem on stderr, or, for a flip no
/// checksum covers, status 0 with exactly the undamaged output. (A closed trace cut just before
/// its index used to dump as an intact, empty trace; a damaged header used to make every block
/// unreadable.)
@Suite struct DamageSweepTests {
    /// What a command prints to stdout (dump, info, verify) or to its files (replay).
    func output(_ command: String, _ path: String, _ dir: String) throws -> RunResult {
        guard command == "replay" else { return try porttrace([command, path]) }
        let out = "\(dir)/out"
        try? FileManager.default.removeItem(atPath: out)
        var r = try porttrace(["replay", path, "--out-dir", out])
        var all = ""
        for name in ["vmm.log", "debug-console.out", "firmware-debug.out", "serial.out"] {
            all += (try? String(contentsOfFile: "\(out)/\(name)", encoding: .isoLatin1)) ?? "(none)"
        }
        r.stdout = Data(all.utf8)
        return r
    }

    @Test(arguments: checkedInTraces) func cutsAndFlipsAreReported(_ trace: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: trace))
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let damaged = "\(dir)/damaged.pt"
        let commands = ["info", "dump", "verify", "replay"]
        var whole: [String: Data] = [:]
        for command in commands {
            let r = try output(command, trace, dir)
            #expect(r.status == 0, "\(command) of \(trace): \(r.stderr)")
            whole[command] = r.stdout
        }
        // About 30 offsets spread over the file and the last 24 bytes (the end of the seek table
        // and its footer); every byte of the header's fixed part on one trace only (the header's
        // code is the same for all, and sweeping it on each cost some 1,700 processes).
        let step = max(1, bytes.count / 30)
        let header = trace.hasSuffix("/boot-demo.pt") ? Array(0..<min(36, bytes.count)) : []
        let offsets = Set(Array(stride(from: 0, to: bytes.count, by: step)) + header)
        let cuts = offsets.union(max(0, bytes.count - 24)..<bytes.count)
        func check(_ what: String, at offset: Int, _ file: Data) throws {
            try file.write(to: URL(fileURLWithPath: damaged))
            for command in commands {
                let r = try output(command, damaged, dir)
                // Notes about the trace's content (string I/O the tracepoint cut short) are not damage reports.
                let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("porttrace: note:") }
                let context = "\(command), \(what) at \(offset) of \(trace): status \(r.status), \(r.stderr)"
                switch r.status {
                case 0:
                    #expect(what == "flip" && r.stdout == whole[command], "exit 0 with other output: \(context)")
                case 1:
                    #expect(offset >= 4, "\(context)")
                    // replay says what it replayed, then the problem; the others only the problem.
                    #expect(lines.count == (command == "replay" ? 2 : 1), "\(context)")
                case 2:
                    #expect(offset < 12, "only the first 12 bytes make a file 'not a trace': \(context)")
                    #expect(
                        lines.count == 1 && (lines[0].contains("not a porttrace trace") || lines[0].contains("empty file")), "\(context)")
                default:
                    Issue.record("unexpected status: \(context)")
                }
            }
        }
        for cut in cuts.sorted() { try check("cut", at: cut, bytes.prefix(cut)) }
        for at in offsets.sorted() {
            var flipped = bytes
            flipped[at] ^= 0xff
            try check("flip", at: at, flipped)
        }
    }

    /// The state byte (offset 16) is outside the header checksum: a closed trace whose state reads
    /// 0 is a trace whose recorder stopped early, and every reading command says so with status 1
    /// after its full output.
    @Test func aTraceMarkedOpenIsReportedAsUnclosed() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("traces/boot-demo.pt").path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        bytes[16] = 0
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/open.pt"))
        let whole = try porttrace(["dump", source])
        for args in [["info"], ["dump"], ["verify"], ["replay", "--out-dir", "\(dir)/out"]] {
            let r = try porttrace(args + ["\(dir)/open.pt"])
            #expect(r.status == 1, "\(args[0]): \(r.stderr)")
            #expect(r.stderr.contains("not closed cleanly"), "\(args[0]): \(r.stderr)")
            if args[0] == "dump" { #expect(r.stdout == whole.stdout) }
        }
    }
}
