import Foundation
import Testing

let duckDBAvailable: Bool = {
    (try? runProcess("/usr/bin/env", ["python3", "-c", "import duckdb"]).status) == 0
}()

/// `porttrace export`: tables that other tools read, and that agree with `stats`.
@Suite(.serialized) struct ExportCommandTests {
    @Test func tablesInBothFormats() throws {
        let dir = tempDir()
        let traces = try StatsCommandTests.boots(dir, "b", kernelMs: [300, 310, 320], vmm: "v52")
        let phases = try porttrace(["export", "--table", "phases"] + traces)
        #expect(phases.status == 0, "\(phases.stderr)")
        let lines = phases.out.split(separator: "\n")
        #expect(lines.first == "schema_version,trace_key,phase,component,start_ns,end_ns,duration_ns,unfinished")
        #expect(lines.count == 1 + 3 * 4)  // four phases per trace
        #expect(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 8 })
        #expect(lines.contains { $0.hasSuffix(",Kernel,Kernel,900000000,1210000000,310000000,false") })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("2,") })

        // Per-trace fields live once per trace, in the boots table, joined on trace_key.
        let boots = try porttrace(["export", "--table", "boots", "--format", "jsonl"] + traces)
        let bootRows = try boots.out.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(bootRows.count == 3)
        for row in bootRows {
            #expect((row["labels"] as? [String: Any])?["vmm"] as? String == "v52")
            #expect(row["trace_id"] is String && row["trace_key"] as? String == row["trace_id"] as? String)
            #expect(row["schema_version"] as? Int == 2)
        }
        #expect(bootRows.map { $0["kernel_ns"] as? Int } == [300_000_000, 310_000_000, 320_000_000])

        let steps = try porttrace(["export", "--table", "steps", "--format", "jsonl"] + traces)
        for line in steps.out.split(separator: "\n") {
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(row["trace_key"] is String)
            #expect(row["repeats"] as? Int == 1)
        }
        let intervals = try porttrace(["export", "--table", "intervals"] + traces)
        #expect(intervals.out.contains(",0x20 Bootloader -> 0x40 Kernel,chain,0x20 Bootloader,0x40 Kernel,"))

        let events = try porttrace(["export", "--table", "events", traces[0]])
        let dump = try porttrace(["dump", traces[0]])
        #expect(events.out.split(separator: "\n").count == 1 + dump.out.split(separator: "\n").count)
        // A field with a comma or quote is quoted as RFC 4180 says.
        #expect(try porttrace(["export", "--table", "events", "-o", "\(dir)/e.csv", traces[0]]).status == 0)
        #expect(try String(contentsOfFile: "\(dir)/e.csv", encoding: .utf8) == events.out)
    }

    @Test func badInputGetsOneLine() throws {
        let dir = tempDir()
        for args in [
            ["export", "--table", "phases"], ["export", "--table", "rows", "x.pt"], ["export", "--table", "steps", "\(dir)/missing.pt"],
        ] {
            let r = try porttrace(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
        // Nothing is left behind when the job fails.
        #expect(try porttrace(["export", "--table", "phases", "-o", "\(dir)/out.csv", "\(dir)/missing.pt"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.csv"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    /// The README's DuckDB query over an export gives the medians `stats` gives.
    @Test(.enabled(if: duckDBAvailable, "python3 with duckdb is not installed (scripts/setup installs it)"))
    func duckDBAgreesWithStats() throws {
        let dir = tempDir()
        let a = try StatsCommandTests.boots(dir, "a", kernelMs: [300, 302, 299, 305, 301], vmm: "v52")
        let b = try StatsCommandTests.boots(dir, "b", kernelMs: [350, 352, 349, 355, 351, 360], vmm: "v53")
        try FileManager.default.createDirectory(atPath: "\(dir)/phases", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(dir)/boots", withIntermediateDirectories: true)
        #expect(try porttrace(["export", "--table", "phases", "-o", "\(dir)/phases/all.csv"] + a + b).status == 0)
        #expect(try porttrace(["export", "--table", "boots", "-o", "\(dir)/boots/all.csv"] + a + b).status == 0)
        // The README's query: phases joined with their boots' labels.
        let query = """
            import duckdb
            for vmm, median in duckdb.sql(\"\"\"
                SELECT json_extract_string(b.labels, '$.vmm') AS vmm, median(p.duration_ns) / 1e6 AS kernel_ms
                FROM read_csv('\(dir)/phases/*.csv') p JOIN read_csv('\(dir)/boots/*.csv') b USING (trace_key)
                WHERE p.phase = 'Kernel' GROUP BY vmm ORDER BY vmm
            \"\"\").fetchall():
                print(vmm, f"{median:.3f}")
            """
        let duck = try runProcess("/usr/bin/env", ["python3", "-c", query])
        #expect(duck.status == 0, "\(duck.stderr)")
        let stats = try porttrace(["stats", "--group-by", "vmm", "--format", "json"] + a + b)
        let root = try #require(try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any])
        var fromStats: [String] = []
        for g in try #require(root["groups"] as? [[String: Any]]) {
            let kernel = try #require((g["metrics"] as? [[String: Any]])?.first { $0["name"] as? String == "Kernel" })
            fromStats.append("\(g["name"]!) \(String(format: "%.3f", (kernel["median"] as! NSNumber).doubleValue / 1e6))")
        }
        #expect(duck.out.split(separator: "\n").map(String.init) == fromStats)
        #expect(fromStats == ["v52 301.000", "v53 351.500"])
    }
}
