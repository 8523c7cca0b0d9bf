import Foundation
import Testing

/// User patterns through the command line (`--mark`; RE2's syntax, linear time), and outside
/// names in `stats --format markdown`.
@Suite(.serialized) struct PatternCommandTests {
    /// A boot (POST codes 0x01, 0x20, 0x40) whose debug console prints `console`, in accesses of
    /// at most 4,096 bytes (the per-access limit), so lines may be up to the 64 KiB kept per line.
    static func boot(console: [UInt8]) -> String {
        var lines = [
            #"{"header":{"vmm_start_ns":500000,"vm_start_ns":1000000,"profile":"v53.0","devices":[{"model":"debug-port","port":128,"length":1},{"model":"debug-console","port":233,"length":1}]}}"#
        ]
        for (ms, code) in [(19, 0x01), (400, 0x20), (900, 0x40)] {
            lines.append(
                #"{"t_ns":\#(1_000_000 + ms * 1_000_000),"vcpu":0,"port":128,"dir":"out","size":1,"count":1,"data":"\#(String(format: "%02x", code))"}"#
            )
        }
        var t = 1_000_000 + 901 * 1_000_000
        for start in stride(from: 0, to: console.count, by: 4096) {
            let chunk = console[start..<min(start + 4096, console.count)]
            let hex = chunk.map { String(format: "%02x", $0) }.joined()
            lines.append(#"{"t_ns":\#(t),"vcpu":0,"port":233,"dir":"out","size":1,"count":\#(chunk.count),"data":"\#(hex)"}"#)
            t += 1000
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func trace(_ dir: String, _ name: String, console: [UInt8], labels: [String] = []) throws -> String {
        try Data(boot(console: console).utf8).write(to: URL(fileURLWithPath: "\(dir)/\(name).jsonl"))
        let r = try porttrace(["import", "\(dir)/\(name).jsonl", "-o", "\(dir)/\(name).pt"] + labels.flatMap { ["--label", $0] })
        #expect(r.status == 0, "\(r.stderr)")
        return "\(dir)/\(name).pt"
    }

    /// The issue's case: `(a+)+$` on `a` x 20 then `b` took 48 s with Swift's Regex (each two more
    /// `a`s about 6x); ` +$` was quadratic in the line. On 64 KiB lines both now take milliseconds
    /// (the bound here is generous: the real figures are in docs/performance.md).
    @Test func pathologicalMarksFinishAtOnce() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var console = Array(repeating: UInt8(ascii: "a"), count: 20) + Array("b\n".utf8)
        console += Array(repeating: UInt8(ascii: "a"), count: 64 * 1024 - 1) + Array("b\n".utf8)
        console += Array(repeating: UInt8(ascii: " "), count: 64 * 1024 - 1) + Array("x\n".utf8)
        console += Array("done  \n".utf8)
        let t = try Self.trace(dir, "long", console: console)
        let started = ContinuousClock.now
        let r = try porttrace([
            "timeline", t, "--mark", "r=(a+)+$", "--mark", "s= +$", "--mark", "x=(x+x+)+y", "--mark", "end=b$",
        ])
        let elapsed = ContinuousClock.now - started
        #expect(r.status == 0, "\(r.stderr)")
        #expect(elapsed < .seconds(20), "took \(elapsed)")
        #expect(r.out.contains("mark s (") && r.out.contains("mark end ("), "\(r.out)")
        #expect(!r.out.contains("mark r (") && !r.out.contains("mark x ("), "\(r.out)")
    }

    /// A pattern RE2 refuses: one line naming the flag, the pattern and the reason, status 2, from
    /// every command that takes --mark.
    @Test func badPatternsGetOneLine() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try Self.trace(dir, "t", console: Array("kernel: up\n".utf8))
        for (pattern, reason) in [
            ("r=(a+", "missing ): (a+"), (#"x=(a)\1"#, #"invalid escape sequence: \1"#), ("(?<=a)b", "invalid perl operator: (?<"),
            ("a**", "bad repetition operator: **"),
        ] {
            for command in [["timeline", t], ["diff", t, t], ["stats", t], ["export", t, "--table", "steps"]] {
                let r = try porttrace(command + ["--mark", pattern])
                #expect(r.status == 2, "\(command[0]) \(pattern)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(command[0]) \(pattern): \(r.stderr)")
                #expect(r.stderr.contains("--mark '\(pattern)': not a valid pattern (\(reason))"), "\(r.stderr)")
                #expect(r.out.isEmpty)
            }
        }
    }

    /// Marks match console text as UTF-8: `.` is one character; a byte that is not UTF-8 reads as
    /// U+FFFD (as the line is shown), so a line holding one is searched like any other.
    @Test func nonASCIIAndInvalidUTF8() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let console = Array("Grüße: café ☕ ok\n".utf8) + [0x61, 0xFF, 0x62, 0x0A] + [0xC3, 0x28, 0x7A, 0x0A]
        let t = try Self.trace(dir, "u", console: console)
        let r = try porttrace([
            "timeline", t, "--mark", "cafe=caf. ☕", "--mark", "fold=(?i)GRÜSSE|(?i)grüße", "--mark", "bad=^a.b$",
            "--mark", "fffd=\\x{FFFD}\\(z", "--mark", "word=\\bok$", "--mark", "none=a.{2}b",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["cafe", "fold", "bad", "fffd", "word"] { #expect(r.out.contains("mark \(name)"), "\(name): \(r.out)") }
        #expect(!r.out.contains("mark none"))
    }

    /// Cells of one Markdown table row, split at unescaped `|`.
    static func cells(_ row: Substring) -> Int {
        var count = 0
        var escaped = false
        for c in row {
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "|" {
                count += 1
            }
        }
        return count - 1
    }

    /// `|`, backticks, newlines and HTML in labels (group names) and mark names (metric names)
    /// stay inside their cells: every row has its header's number of cells, and nothing is left
    /// to open a code span or an HTML tag.
    @Test func statsMarkdownEscapesOutsideNames() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hostile = ["build=a|b`c", "build=<i>x\ny</i> & `z` *w* [l](u) $m$"]
        var traces: [String] = []
        for (i, label) in hostile.enumerated() {
            for k in 0..<3 { traces.append(try Self.trace(dir, "b\(i)-\(k)", console: Array("kernel: up\n".utf8), labels: [label])) }
        }
        let r = try porttrace(["stats", "--group-by", "build", "--format", "markdown", "--mark", "up|`x`"] + traces)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        var header: Int?
        var rows = 0
        for line in lines {
            if line.hasPrefix("|") {
                let n = Self.cells(line)
                if let header {
                    #expect(n == header, "\(line)")
                    rows += 1
                } else {
                    header = n
                }
            } else {
                header = nil
                // Outside the tables: headings and paragraphs that open with the report's own words.
                let openings = ["### ", "6 boots in 2 groups", "baseline: ", "times in ms", "How: ", "Missing from", "- ", "Note: "]
                #expect(line.isEmpty || openings.contains { line.hasPrefix($0) }, "a line outside the tables: \(line)")
            }
            #expect(!line.contains("<i>") && !line.contains("</i>"))
            // Every backtick is escaped.
            #expect(!line.replacingOccurrences(of: "\\`", with: "").contains("`"), "\(line)")
        }
        #expect(rows >= 8)
        #expect(r.out.contains(#"### a\|b\`c (3 boots)"#))
        #expect(r.out.contains(#"&lt;i&gt;x\x0ay&lt;/i&gt; &amp; \`z\` \*w\* \[l\](u) \$m\$"#))
        #expect(r.out.contains(#"| 0x40 Kernel -&gt; mark up\|\`x\` |"#), "\(r.out)")
    }
}
