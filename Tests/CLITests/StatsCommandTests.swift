import Foundation
import Testing

/// `porttrace stats` through the command line: groups, the regression verdict, formats, bad input.
@Suite(.serialized) struct StatsCommandTests {
    /// Boots whose kernel phase lasts `kernelMs`, labelled vmm=`vmm`.
    static func boots(_ dir: String, _ prefix: String, kernelMs: [Double], vmm: String) throws -> [String] {
        try kernelMs.enumerated().map { i, k in
            let jsonl = DiffCommandTests.boot([(19, 0x01), (400, 0x20), (900, 0x40), (900 + k, 0x60)])
                .replacingOccurrences(of: #""profile":"v53.0","#, with: #""profile":"v53.0","labels":{"vmm":"\#(vmm)"},"#)
            return try DiffCommandTests.trace(dir, "\(prefix)\(i)", jsonl)
        }
    }

    @Test func regressionsAndGroups() throws {
        let dir = tempDir()
        let old = try Self.boots(dir, "old", kernelMs: [300, 302, 299, 305, 301, 298, 303, 300], vmm: "v52")
        let new = try Self.boots(dir, "new", kernelMs: [350, 352, 349, 355, 351, 348, 353, 350], vmm: "v53")
        let same = try Self.boots(dir, "same", kernelMs: [301, 300, 304, 299, 302, 300, 303, 298], vmm: "v53")

        let one = try porttrace(["stats"] + old)
        #expect(one.status == 0)
        #expect(one.out.contains("all: 8 traces"))

        let regressed = try porttrace(["stats", "--baseline"] + old + ["--candidate"] + new + ["--threshold", "5%"])
        #expect(regressed.status == 1, "\(regressed.out)")
        #expect(regressed.out.contains("REGRESSION: candidate Kernel"))
        #expect(try porttrace(["stats", "--baseline"] + old + ["--candidate"] + same + ["--threshold", "5%"]).status == 0)
        // Without --threshold, stats reports and exits 0.
        #expect(try porttrace(["stats", "--baseline"] + old + ["--candidate"] + new).status == 0)

        let grouped = try porttrace(["stats", "--group-by", "vmm", "--format", "json"] + old + new)
        #expect(grouped.status == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: grouped.stdout) as? [String: Any])
        let groups = try #require(root["groups"] as? [[String: Any]])
        #expect(groups.map { $0["name"] as? String } == ["v52", "v53"])
        // Same seed, same report.
        #expect(try porttrace(["stats", "--group-by", "vmm", "--format", "json"] + old + new).out == grouped.out)
        #expect(try porttrace(["stats", "--group-by", "vmm", "--format", "json", "--seed", "9"] + old + new).status == 0)
        #expect(try porttrace(["stats", "--format", "markdown"] + old).out.contains("| metric |"))
    }

    @Test func badInputGetsOneLine() throws {
        let dir = tempDir()
        let old = try Self.boots(dir, "old", kernelMs: [300], vmm: "v52")
        for args in [
            ["stats"], ["stats", "--baseline"] + old, ["stats", "--threshold", "fast"] + old, ["stats", "--alpha", "2"] + old,
            ["stats", "\(dir)/missing.pt"], ["stats", "--resamples", "5"] + old,
        ] {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
    }
}
