import Foundation
import Testing

/// Cuts through a small closed trace, read by `info`, `dump` and `verify`: a cut never passes for the
/// whole trace (exit 0), never traps, and always gets a status of 1 (damage, readable blocks
/// still printed) or 2 (not readable as a trace), with one line. A closed trace cut just before
/// its index used to dump as an empty, intact trace.
@Suite struct DamageSweepTests {
    @Test func everyCutOfAClosedTraceIsReported() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("traces/smp64-4cpu.pt").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let whole = try porttrace(["dump", source])
        #expect(whole.status == 0)
        let dir = tempDir()
        let cutPath = "\(dir)/cut.pt"
        // Every 5th byte, plus the last 40 (the index and its footer), keeps the run short.
        let cuts = Set(Array(stride(from: 0, to: bytes.count, by: 5)) + Array(max(0, bytes.count - 40)..<bytes.count))
        for cut in cuts.sorted() {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: cutPath))
            for command in ["info", "dump", "verify"] {
                let r = try porttrace([command, cutPath])
                #expect(r.status == 1 || r.status == 2, "\(command) of a cut at \(cut): status \(r.status)")
                if cut >= 12 { #expect(r.status == 1, "\(command) of a cut at \(cut): \(r.stderr)") }
                #expect(r.stderr.split(separator: "\n").count == 1, "\(command) of a cut at \(cut): \(r.stderr)")
            }
        }
        // Single-byte flips: damage (1) or not a trace (2), or, where no checksum covers the byte,
        // exactly the undamaged output.
        for at in stride(from: 0, to: bytes.count, by: 7) {
            var flipped = bytes
            flipped[at] ^= 0xff
            try flipped.write(to: URL(fileURLWithPath: cutPath))
            let r = try porttrace(["dump", cutPath])
            if r.status == 0 {
                #expect(r.stdout == whole.stdout, "a flip at \(at) changed the output without a word")
            } else {
                #expect(r.status == 1 || r.status == 2, "a flip at \(at): status \(r.status)")
                #expect(r.stderr.split(separator: "\n").count == 1, "a flip at \(at): \(r.stderr)")
            }
            // Only the first 12 bytes (frame magic, size, PTRC tag) make a file "not a trace".
            if at >= 12 { #expect(r.status != 2, "a flip at \(at) made the whole trace unreadable: \(r.stderr)") }
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
