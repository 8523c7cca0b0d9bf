import Foundation
import Testing

/// Where the output goes wrong: a reader that closes the pipe, a file system that fills up.
@Suite(.serialized) struct OutputFaultTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces").path

    /// `porttrace dump big.pt | head` ends quietly with status 0, so `set -o pipefail` scripts work.
    @Test(arguments: [
        "dump TRACE", "dump TRACE --format jsonl", "replay TRACE --log-file LOG", "export --table events TRACE",
        "timeline TRACE --format perfetto",
    ])
    func aClosedPipeEndsQuietly(command: String) throws {
        let line =
            "set -o pipefail; \(porttraceBinary()) \(command.replacingOccurrences(of: "TRACE", with: Self.traces + "/console-burst.pt").replacingOccurrences(of: "LOG", with: scratchOutput())) | head -c 16 >/dev/null"
        let r = try runProcess("/bin/bash", ["-c", line])
        #expect(r.status == 0, "\(command): \(r.stderr)")
        #expect(r.stderr.isEmpty, "\(command): \(r.stderr)")
    }

    /// A 64 KiB tmpfs (root only): commands that write files fail with one line and status 2, and
    /// leave no partial file behind.
    @Test(.enabled(if: geteuid() == 0, "mounting a tmpfs needs root"))
    func aFullFileSystem() throws {
        let mount = tempDir()
        let m = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount])
        try #require(m.status == 0, "\(m.stderr)")
        defer { _ = try? runProcess("/bin/umount", [mount]) }
        let burst = Self.traces + "/console-burst.pt"
        // The burst as JSON lines, to import into a file system too small for its trace.
        let big = tempDir() + "/big.jsonl"
        let dump = try porttrace(["dump", burst, "--format", "jsonl", "--header"])
        try dump.stdout.write(to: URL(fileURLWithPath: big))
        for args in [
            ["export", "--table", "events", burst, "-o", "\(mount)/events.csv"],
            ["replay", burst, "--out-dir", "\(mount)/out", "-vvv"],
            ["dump", burst, "--format", "jsonl"],
        ] {
            let r: RunResult
            if args[0] == "dump" {
                r = try runProcess("/bin/bash", ["-c", "\(porttraceBinary()) dump \(burst) --format jsonl > \(mount)/dump.jsonl"])
            } else {
                r = try porttrace(args)
            }
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("No space left on device"), "\(args): \(r.stderr)")
            _ = try? FileManager.default.removeItem(atPath: "\(mount)/dump.jsonl")
            let left = try FileManager.default.subpathsOfDirectory(atPath: mount).filter { !$0.hasSuffix("out") }
            #expect(left.isEmpty, "\(args) left \(left)")
        }
        let imp = try porttrace(["import", big, "-o", "\(mount)/t.pt"])
        #expect(imp.status == 2, "\(imp.stderr)")
        #expect(imp.stderr.split(separator: "\n").count == 1, "\(imp.stderr)")
        #expect(imp.stderr.contains("No space left on device"), "\(imp.stderr)")
    }

    /// `run` on a full file system: one line, status 2, promptly; the trace keeps what reached
    /// the disk and says it is incomplete.
    @Test(
        .enabled(if: geteuid() == 0 && captureBuilt && kvmMissing == nil, "needs root and KVM (\(kvmMissing ?? "built without capture"))"))
    func runOnAFullFileSystem() throws {
        let mount = tempDir()
        let m = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount])
        try #require(m.status == 0, "\(m.stderr)")
        defer { _ = try? runProcess("/bin/umount", [mount]) }
        let guest = URL(fileURLWithPath: Self.traces).deletingLastPathComponent().appendingPathComponent("Guests/build/bench.bin").path
        let start = ContinuousClock.now
        let r = try porttrace(["run", guest, "-o", "\(mount)/t.pt", "--debug-console", "off"])
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("No space left on device"), "\(r.stderr)")
        let v = try porttrace(["verify", "\(mount)/t.pt"])
        #expect(v.status == 1, "\(v.stderr)")
        #expect(try porttrace(["info", "\(mount)/t.pt"]).out.contains("not closed cleanly"))
    }
}
