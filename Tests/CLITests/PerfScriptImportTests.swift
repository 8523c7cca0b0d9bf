import Foundation
import Testing

let perfUnavailable: String? = {
    if let why = recordUnavailable { return why }
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/perf") else { return "perf is not installed (linux-perf)" }
    return nil
}()

/// A real `perf record -e kvm:kvm_pio` capture of porttrace's own machine, imported from
/// `perf script` output: the same accesses, in the same order, as porttrace's own trace of it.
@Suite(.serialized, .enabled(if: captureBuilt && perfUnavailable == nil, "\(perfUnavailable ?? "built without capture")"))
struct PerfScriptImportTests {
    @Test func aPerfCaptureMatchesTheMachinesOwnTrace() throws {
        let dir = tempDir()
        let guest = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Guests/build/boot-demo.bin").path
        let rec = try runProcess(
            "/usr/bin/perf",
            [
                "record", "-q", "-e", "kvm:kvm_pio", "-k", "mono", "-o", "\(dir)/perf.data", "--", porttraceBinary(), "run", guest, "-o",
                "\(dir)/own.pt", "--debug-console", "file=\(dir)/console",
            ])
        try #require(rec.status == 0, "\(rec.stderr)")
        let own = try porttrace(["dump", "\(dir)/own.pt", "--format", "jsonl"]).out.split(separator: "\n").compactMap(Self.access)
        for fields in [[], ["-F", "tid,time,event,trace"], ["--ns"]] {
            let script = try runProcess("/usr/bin/perf", ["script", "-i", "\(dir)/perf.data"] + fields)
            try #require(script.status == 0)
            try script.stdout.write(to: URL(fileURLWithPath: "\(dir)/perf.txt"))
            let imp = try porttrace([
                "import", "--format", "perf-script", "--perf-clock", "mono", "\(dir)/perf.txt", "-o", "\(dir)/perf.pt",
            ])
            #expect(imp.status == 0, "\(fields): \(imp.stderr)")
            let imported = try porttrace(["dump", "\(dir)/perf.pt", "--format", "jsonl"]).out.split(separator: "\n").compactMap(Self.access)
            #expect(imported.count == own.count, "\(fields)")
            #expect(imported == own, "\(fields)")
            let header = try porttrace(["info", "--json", "\(dir)/perf.pt"]).out
            #expect(header.contains(#""clock":"CLOCK_MONOTONIC""#))
        }
    }

    /// (port, direction, data) of an access line of `dump --format jsonl`.
    static func access(_ line: Substring) -> String? {
        guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let port = o["port"] as? Int else {
            return nil
        }
        return "\(port) \(o["dir"] ?? "") \(o["data"] ?? "")"
    }
}
