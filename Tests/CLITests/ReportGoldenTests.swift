import Foundation
import Testing

/// The reports of diff, stats and export on inputs that never change, against golden files
/// (PORTTRACE_UPDATE_GOLDEN=1 rewrites them).
@Suite(.serialized) struct ReportGoldenTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func golden(_ name: String, _ got: String) throws {
        let url = Self.goldenDir.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["PORTTRACE_UPDATE_GOLDEN"] != nil { try Data(got.utf8).write(to: url) }
        #expect(got == (try? String(contentsOf: url, encoding: .utf8)), "\(name) differs from \(url.path)")
    }

    func trace(_ name: String) -> String { Self.root.appendingPathComponent("traces/\(name)").path }

    func relative(_ s: String) -> String { s.replacingOccurrences(of: Self.root.path + "/", with: "") }

    @Test(arguments: ["text", "json", "markdown"])
    func diffOfTheDemoBuilds(format: String) throws {
        let r = try porttrace(["diff", trace("boot-demo.pt"), trace("boot-demo-variant.pt"), "--format", format, "--color", "never"])
        #expect(r.status == 1)
        try golden("diff-demo.\(format == "markdown" ? "md" : format)", relative(r.out))
    }

    @Test(arguments: ["text", "json", "markdown"])
    func diffAcrossReleases(format: String) throws {
        let r = try porttrace(["diff", trace("boot-demo.pt"), "--profiles", "v37.0..v38.0", "--format", format, "--color", "never"])
        #expect(r.status == 1)
        try golden("diff-releases.\(format == "markdown" ? "md" : format)", relative(r.out))
    }

    /// Imported boots (fixed times, fixed seed): the same report on every machine, with a verdict
    /// (the kernel phase and its interval regressed).
    @Test(arguments: ["text", "json", "markdown", "svg"])
    func statsOfTwoGroups(format: String) throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try StatsCommandTests.boots(dir, "old", kernelMs: [300, 302, 299, 305, 301], vmm: "v52")
        let new = try StatsCommandTests.boots(dir, "new", kernelMs: [350, 352, 349, 355, 351], vmm: "v53")
        let r = try porttrace(["stats", "--group-by", "vmm", "--threshold", "5%", "--format", format, "--resamples", "2000"] + old + new)
        #expect(r.status == 1)
        try golden("stats.\(format == "markdown" ? "md" : format)", r.out)
    }

    @Test(arguments: ["phases", "boots", "intervals"], ["csv", "jsonl"])
    func exportOfTheCheckedInTraces(table: String, format: String) throws {
        let r = try porttrace([
            "export", "--table", table, "--format", format, trace("boot-demo.pt"), trace("boot-demo-variant.pt"), trace("smp64-4cpu.pt"),
        ])
        #expect(r.status == 0)
        // trace ids are random per recording, but fixed in a checked-in trace.
        try golden("export-\(table).\(format)", relative(r.out))
    }
}
