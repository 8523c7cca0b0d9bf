import Foundation
import Testing
import TraceFormat

@testable import Analysis
@testable import Devices

/// Hostile console lines and labels in every format of a diff report.
struct DiffEscapingTests {
    /// Lines a guest can print: a code fence, table pipes, a clear-screen, an OSC 8 link, NUL,
    /// bytes that are not UTF-8, and a C1 control (CSI as UTF-8).
    static let hostile: [[UInt8]] = [
        Array("```".utf8), Array("| a | b |".utf8), Array("\u{1b}[2J cleared".utf8),
        Array("\u{1b}]8;;https://example.com\u{7}link\u{1b}]8;;\u{7}".utf8), Array("nul\u{0}byte".utf8), [0x66, 0xff, 0xfe, 0x67],
        [0x63, 0x31, 0xc2, 0x9b, 0x33, 0x31, 0x6d],
    ]

    func hostileDiff(marks: [String] = []) throws -> TraceDiff {
        func trace(_ name: String, suffix: String) throws -> String {
            var t = try OutputTrace(name: name)
            for line in Self.hostile { t.print(line + Array(suffix.utf8) + [0x0a]) }
            t.print(Array("a\n".utf8))
            return try t.close()
        }
        let a = try trace("a", suffix: "")
        let b = try trace("b", suffix: " (b)")
        defer { for p in [a, b] { try? FileManager.default.removeItem(atPath: p) } }
        var o = TimelineOptions()
        o.marks = try marks.map(TimelineOptions.mark)
        return try TraceDiff.compare(pathA: a, pathB: b, options: o)
    }

    @Test func onATerminalControlBytesAreEscaped() throws {
        let d = try hostileDiff()
        let text = Array(DiffReport.render(d, format: .text, color: false, terminal: true).utf8)
        for byte: UInt8 in [0x00, 0x07, 0x1b] { #expect(!text.contains(byte), "raw 0x\(String(byte, radix: 16))") }
        #expect(!zip(text, text.dropFirst()).contains { $0 == 0xc2 && $1 == 0x9b })
        let s = String(decoding: text, as: UTF8.self)
        #expect(s.contains("-\\x1b[2J cleared"))
        #expect(s.contains("-\\x1b]8;;https://example.com\\x07link"))
        #expect(s.contains("-nul\\x00byte"))
        #expect(s.contains("-c1\\xc2\\x9b31m"))
        // Colours are still colours; only the guest's text is escaped.
        let colour = DiffReport.render(d, format: .text, color: true, terminal: true)
        #expect(colour.contains("\u{1b}[31m-\\x1b[2J cleared"))
        // To a file, the text is what the guest printed.
        #expect(DiffReport.render(d, format: .text, color: false).contains("-\u{1b}[2J cleared"))
    }

    @Test func markdownFencesAndTablesHold() throws {
        let d = try hostileDiff(marks: ["a|b"])
        let md = DiffReport.render(d, format: .markdown, color: false)
        let lines = md.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The fence is longer than the ``` a line holds, and only the fences are lines of backticks.
        #expect(lines.contains("````diff"))
        #expect(lines.filter { !$0.isEmpty && $0.allSatisfy { $0 == "`" } } == ["````"])
        #expect(lines.contains("-```") && lines.contains("+``` (b)"))
        // The mark's label keeps its table row in one piece.
        let row = try #require(lines.first { $0.contains("mark a") })
        #expect(row.contains("mark a\\|b"))
        #expect(unescapedPipes(row) == 8)
        // No line of the block breaks out of it: the NUL and ESC are written as \x00 and \x1b.
        #expect(!md.utf8.contains(0x00) && !md.utf8.contains(0x1b))
    }

    @Test func metadataWithPipesBackticksAndNewlinesStaysInItsCell() throws {
        var a = OutputTrace.metadata(labels: [("x", "a|b`c\nd")])
        a["vmm_version"] = .string("``v1``")
        let b = OutputTrace.metadata(labels: [("x", "other")])
        let pa = try OutputTrace.write(a, name: "ma")
        let pb = try OutputTrace.write(b, name: "mb")
        defer { for p in [pa, pb] { try? FileManager.default.removeItem(atPath: p) } }
        let d = try TraceDiff.compare(pathA: pa, pathB: pb)
        let md = DiffReport.render(d, format: .markdown, color: false)
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| labels") || $0.hasPrefix("| vmm_version") }
        #expect(rows.count == 2)
        for row in rows { #expect(unescapedPipes(String(row)) == 4, "\(row)") }
        #expect(md.contains("```\"``v1``\"```"))
    }

    @Test func jsonStaysJSONForAnyBytes() throws {
        let d = try hostileDiff(marks: ["a|b"])
        let json = DiffReport.render(d, format: .json, color: false)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let outputs = try #require(root["outputs"] as? [[String: Any]])
        let lines = try #require(outputs.first?["diff"] as? [String])
        #expect(lines.contains("-\u{1b}[2J cleared"))
        #expect(lines.contains("-nul\u{0}byte"))
        #expect(lines.contains("-f\u{fffd}\u{fffd}g"))
    }

    /// `|` outside `\|`.
    func unescapedPipes(_ row: String) -> Int {
        var n = 0
        var escaped = false
        for c in row {
            if c == "|" && !escaped { n += 1 }
            escaped = c == "\\" && !escaped
        }
        return n
    }
}

extension OutputTrace {
    static func metadata(labels: [(String, String)]) -> TraceMetadata {
        var md = TraceMetadata()
        md.vmmStartNs = 1_000_000
        md.vmStartNs = OutputTrace.vmStart
        md["profile"] = .string("v53.0")
        for (k, v) in labels { md.setLabel(k, v) }
        return md
    }

    /// A trace of one POST code with this header.
    static func write(_ md: TraceMetadata, name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-escaping-\(UUID().uuidString)-\(name).pt").path
        let w = try TraceWriter(path: path, metadata: md)
        var code: UInt8 = 1
        withUnsafeBytes(of: &code) {
            w.append(timestamp: OutputTrace.vmStart + 1000, shape: EventShape(vcpu: 0, port: 0x80, direction: .out, size: 1), data: $0)
        }
        try w.close(at: OutputTrace.vmStart + 1000)
        return path
    }
}
