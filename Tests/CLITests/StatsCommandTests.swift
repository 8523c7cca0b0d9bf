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

    /// One boot per list of POST codes, labelled build=`build` (any text).
    static func boots(_ dir: String, _ prefix: String, _ codes: [[(ms: Double, code: UInt8)]], build: String) throws -> [String] {
        let quoted = String(decoding: try JSONSerialization.data(withJSONObject: [build]), as: UTF8.self).dropFirst().dropLast()
        return try codes.enumerated().map { i, c in
            let jsonl = DiffCommandTests.boot(c)
                .replacingOccurrences(of: #""profile":"v53.0","#, with: #""profile":"v53.0","labels":{"build":\#(quoted)},"#)
            return try DiffCommandTests.trace(dir, "\(prefix)\(i)", jsonl)
        }
    }

    /// Group names come from traces: in a message they stay on its one line and cannot drive the
    /// terminal (a label with a newline, another with an escape sequence). An empty key names nothing.
    @Test func groupNamesInMessagesAreEscaped() throws {
        try withScratch { dir in
            let codes: [[(ms: Double, code: UInt8)]] = [[(19, 0x01), (400, 0x20), (900, 0x40)]]
            let a = try Self.boots(dir, "a", codes, build: "b\nc")
            let b = try Self.boots(dir, "b", codes, build: "\u{1b}[31m</script>")
            for args in [
                ["stats", "--group-by", "build", "--threshold", "5%"] + a + b,
                ["stats", "--group-by", "build", "--baseline-group", "zz"] + a + b,
                ["stats", "--group-by", "", "--threshold", "5%"] + a + b,
            ] {
                let r = try porttrace(args)
                #expect(r.status == 2, "\(args): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
                #expect(!r.stderr.utf8.contains(0x1b), "\(args): \(r.stderr)")
            }
            #expect(try porttrace(["stats", "--group-by", "", "--threshold", "5%"] + a + b).stderr.contains("no trace has this"))
        }
    }

    @Test func regressionsAndGroups() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try Self.boots(dir, "old", kernelMs: [300, 302, 299, 305, 301, 298, 303, 300], vmm: "v52")
        let new = try Self.boots(dir, "new", kernelMs: [350, 352, 349, 355, 351, 348, 353, 350], vmm: "v53")
        let same = try Self.boots(dir, "same", kernelMs: [301, 300, 304, 299, 302, 300, 303, 298], vmm: "v53")

        let one = try porttrace(["stats"] + old)
        #expect(one.status == 0)
        #expect(one.out.contains("all: 8 boots"))

        let regressed = try porttrace(["stats", "--baseline"] + old + ["--candidate"] + new + ["--threshold", "5%"])
        #expect(regressed.status == 1, "\(regressed.out)")
        #expect(regressed.out.contains("REGRESSED: candidate Kernel +16.6% (95% CI"), "\(regressed.out)")
        #expect(regressed.out.contains("baseline: baseline (the --baseline traces)"))
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

    /// A typo in --group-by groups nothing: status 2, naming the keys the traces have.
    @Test func groupByAKeyNoTraceHas() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try Self.boots(dir, "old", kernelMs: [300, 301], vmm: "v52")
        let r = try porttrace(["stats", "--group-by", "buidl", "--threshold", "5%"] + old)
        #expect(r.status == 2)
        #expect(r.out.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("--group-by 'buidl': no trace has this label or header field; keys there are: vmm, "), "\(r.stderr)")
        #expect(r.stderr.contains("profile"))
        #expect(r.stderr.contains("devices") == false, "arrays are no keys: \(r.stderr)")
        // Without --threshold too: a report grouped by nothing answers nothing.
        #expect(try porttrace(["stats", "--group-by", "buidl"] + old).status == 2)
    }

    /// 3 boots a side can never reach p < 0.05 (exact: at best 0.100): with --threshold, status 2
    /// and why; 4 a side give a verdict.
    @Test func threeBootsASideCannotDecide() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try Self.boots(dir, "old", kernelMs: [300, 302, 299, 305], vmm: "v52")
        let new = try Self.boots(dir, "new", kernelMs: [900, 902, 899, 905], vmm: "v53")
        let three = try porttrace(["stats", "--baseline"] + old.prefix(3) + ["--candidate"] + new.prefix(3) + ["--threshold", "5%"])
        #expect(three.status == 2, "\(three.out)")
        #expect(three.stderr.split(separator: "\n").count == 1, "\(three.stderr)")
        #expect(
            three.stderr.contains(
                "cannot decide: candidate against baseline: 3 v 3 boots cannot reach p < 0.05 (the smallest p they can give is 0.100); 4 boots a side are needed"
            ),
            "\(three.stderr)")
        #expect(three.out.contains("too few boots"))
        #expect(!three.out.contains("REGRESSED:"))
        // Without --threshold: the report says so, and exits 0.
        let plain = try porttrace(["stats", "--baseline"] + old.prefix(3) + ["--candidate"] + new.prefix(3))
        #expect(plain.status == 0)
        #expect(plain.out.contains("note: candidate against baseline: 3 v 3 boots cannot reach p < 0.05"))
        let four = try porttrace(["stats", "--baseline"] + old + ["--candidate"] + new + ["--threshold", "5%"])
        #expect(four.status == 1, "\(four.out)")
        #expect(four.out.contains("REGRESSED: candidate total"))
        // One group and --threshold: nothing to compare, nothing decided.
        let one = try porttrace(["stats", "--threshold", "5%"] + old)
        #expect(one.status == 2)
        #expect(one.stderr.contains("nothing to compare"))
    }

    /// The baseline is named, or said: swapping the order of the traces changes nothing when
    /// --baseline-group names it.
    @Test func theBaselineDoesNotDependOnFileOrder() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try Self.boots(dir, "old", kernelMs: [300, 302, 299, 305, 301], vmm: "v52")
        let new = try Self.boots(dir, "new", kernelMs: [350, 352, 349, 355, 351], vmm: "v53")
        let args = ["stats", "--group-by", "vmm", "--baseline-group", "v52", "--threshold", "5%", "--resamples", "2000"]
        let forward = try porttrace(args + old + new)
        let backward = try porttrace(args + new + old)
        let shuffled = try porttrace(args + [new[2], old[4], old[0], new[0], new[4], old[1], new[1], old[3], new[3], old[2]])
        #expect(forward.status == 1)
        #expect(forward.out.contains("baseline: v52 (named by --baseline-group)"))
        #expect(forward.out.contains("REGRESSED: v53 Kernel +16.6%"), "\(forward.out)")
        #expect(backward.status == forward.status && backward.out == forward.out)
        #expect(shuffled.status == forward.status && shuffled.out == forward.out)
        // Unnamed, the first trace's group is the baseline, and the report says why.
        let unnamed = try porttrace(["stats", "--group-by", "vmm", "--threshold", "5%"] + new + old)
        #expect(unnamed.status == 0, "v52 is faster than v53: \(unnamed.out)")
        #expect(unnamed.out.contains("baseline: v53 (the group of the first trace given; --baseline-group names another)"))
        #expect(unnamed.out.contains("no regression; improved: v52 Kernel -14.2%"), "\(unnamed.out)")
        // A baseline group that no trace has.
        let missing = try porttrace(["stats", "--group-by", "vmm", "--baseline-group", "v51"] + old + new)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--baseline-group 'v51': no such group; the groups are: v52, v53"), "\(missing.stderr)")
        #expect(try porttrace(["stats", "--baseline-group", "v52"] + old + new).status == 2)
    }

    /// A step one group has and the other has not: listed as missing, with its intervals.
    @Test func aStepInOneGroupOnlyIsListedAsMissing() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain: [[(ms: Double, code: UInt8)]] = (0..<4).map { i in [(19, 0x01), (400, 0x20), (900, 0x40), (1200 + Double(i), 0x60)] }
        let extra: [[(ms: Double, code: UInt8)]] = (0..<4).map { i in
            [(19, 0x01), (400, 0x20), (900, 0x40), (1000, 0x41), (1200 + Double(i), 0x60)]
        }
        let a = try Self.boots(dir, "a", plain, build: "a")
        let b = try Self.boots(dir, "b", extra, build: "b")
        let r = try porttrace(["stats", "--group-by", "build"] + a + b)
        #expect(r.status == 0)
        #expect(r.out.contains("missing from some boots (listed, not compared there):"))
        #expect(r.out.contains("  step 0x41 Kernel: in b (4 of 4 boots); not in a"), "\(r.out)")
        #expect(r.out.contains("  0x40 Kernel -> 0x41 Kernel: in b (4 of 4 boots); not in a"))
        #expect(r.out.contains("  0x40 Kernel -> 0x60 Userspace: in a (4 of 4 boots); not in b"))
        let md = try porttrace(["stats", "--group-by", "build", "--format", "markdown"] + a + b)
        #expect(md.out.contains("- step 0x41 Kernel: in b (4 of 4 boots); not in a"), "\(md.out)")
        let json = try porttrace(["stats", "--group-by", "build", "--format", "json"] + a + b)
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let missing = try #require(root["missing"] as? [[String: Any]])
        #expect(missing.contains { $0["kind"] as? String == "time_since_vm_start" && $0["name"] as? String == "0x41 Kernel" })
    }

    /// Step rows are times since VM start: in JSON only, and named so.
    @Test func stepTimesSayWhatTheyMeasure() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try Self.boots(dir, "old", kernelMs: [300, 301], vmm: "v52")
        let text = try porttrace(["stats"] + old)
        #expect(!text.out.contains("step "), "\(text.out)")
        let json = try porttrace(["stats", "--format", "json"] + old)
        let root = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let metrics = try #require((root["groups"] as? [[String: Any]])?.first?["metrics"] as? [[String: Any]])
        let kinds = Set(metrics.compactMap { $0["kind"] as? String })
        #expect(kinds == ["total", "phase", "interval", "time_since_vm_start"])
        #expect(metrics.allSatisfy { $0["min"] != nil && $0["max"] != nil && $0["sd_population"] != nil })
    }

    @Test func badInputGetsOneLine() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let old = try Self.boots(dir, "old", kernelMs: [300], vmm: "v52")
        for args in [
            ["stats"], ["stats", "--baseline"] + old, ["stats", "--threshold", "fast"] + old, ["stats", "--alpha", "2"] + old,
            ["stats", "\(dir)/missing.pt"], ["stats", "--resamples", "5"] + old, ["stats", "--format", "png"] + old,
        ] {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
    }
}
