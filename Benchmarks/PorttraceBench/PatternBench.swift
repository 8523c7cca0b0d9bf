import Foundation
import Patterns

/// `PorttraceBench patterns`: the one matcher (RE2 through Patterns) on the worst console lines
/// (64 KiB, ConsoleTap's longest), beside Swift's `Regex` (the matcher before) where that
/// finishes in seconds. Prints Markdown tables for docs/performance.md.
enum PatternBench {
    static let longest = 64 * 1024

    /// Median seconds of `rounds` runs of `body`.
    static func time(rounds: Int = 5, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        let runs = (0..<rounds).map { _ in seconds(clock.measure(body)) }.sorted()
        return runs[runs.count / 2]
    }

    static func format(_ s: Double) -> String {
        if s < 1e-3 { return String(format: "%.1f us", s * 1e6) }
        if s < 1 { return String(format: "%.2f ms", s * 1e3) }
        return String(format: "%.2f s", s)
    }

    /// A pattern inside a Markdown table cell: `|` escaped (even in a code span).
    static func cell(_ pattern: String) -> String { pattern.replacingOccurrences(of: "|", with: "\\|") }

    static func bytes(_ s: String, _ n: Int) -> [UInt8] { Array(repeating: Array(s.utf8), count: n).flatMap { $0 } }

    static func run() throws {
        let kernelLine = Array("[    0.000000] Linux version 6.1.0-18-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP".utf8)
        print("### Find the first match (`--mark`), one line")
        print()
        print("| pattern | line | RE2 (Patterns) | Swift Regex (before) |")
        print("|---|---|---:|---:|")
        let banner = String(decoding: kernelLine, as: UTF8.self)
        let kernelText = Array(bytes(banner.replacingOccurrences(of: "Linux version", with: "Linux  version"), 700).prefix(longest))
        let finds: [(pattern: String, what: String, line: [UInt8], swiftRegex: Bool)] = [
            ("(a+)+$", "16 `a` + `b`", bytes("a", 16) + bytes("b", 1), true),
            ("(a+)+$", "20 `a` + `b`", bytes("a", 20) + bytes("b", 1), false),
            ("(a+)+$", "64 KiB: `a`... `b`", bytes("a", longest - 1) + bytes("b", 1), false),
            (" +$", "4 KiB: spaces, `x`", bytes(" ", 4095) + bytes("x", 1), true),
            (" +$", "16 KiB: spaces, `x`", bytes(" ", 16383) + bytes("x", 1), true),
            (" +$", "64 KiB: spaces, `x`", bytes(" ", longest - 1) + bytes("x", 1), false),
            ("(x+x+)+y", "64 KiB: `x`... (no match: every byte read)", bytes("x", longest), false),
            ("Linux version", "kernel banner (95 B)", kernelLine, true),
            ("Linux version", "64 KiB of kernel text, no match", kernelText, true),
            (#"(?i)\p{L}+ version \d+\.\d+"#, "64 KiB of kernel text, no match", kernelText, true),
        ]
        for f in finds {
            let p = try Pattern(f.pattern)
            var found = false
            let s = time { found = p.firstMatch(in: f.line) != nil }
            _ = found
            var before = "not run (minutes)"
            if f.swiftRegex {
                let regex = try Regex(f.pattern)
                let text = String(decoding: f.line, as: UTF8.self)
                before = format(time(rounds: 1) { _ = try? regex.firstMatch(in: text) })
            }
            print("| `\(cell(f.pattern))` | \(f.what) | \(format(s)) | \(before) |")
        }
        print()
        print("### Replace every match (masks), one line")
        print()
        print("| pattern | line | matches | RE2 (Patterns) |")
        print("|---|---|---:|---:|")
        let printk = bytes("[    1.843725] kvm-clock: using sched offset of 1234567 cycles ", 1)
        let replaces: [(pattern: String, what: String, line: [UInt8])] = [
            (#"\d+"#, "kernel line (66 B)", printk),
            (#"\d+"#, "64 KiB of kernel lines", Array(bytes(String(decoding: printk, as: UTF8.self), 1000).prefix(longest))),
            ("a", "64 KiB: `a`...", bytes("a", longest)),
            ("[a-z]*X|a", "4 KiB: `a`... (worst case)", bytes("a", 4096)),
            ("[a-z]*X|a", "16 KiB: `a`... (worst case)", bytes("a", 16384)),
            ("[a-z]*X|a", "64 KiB: `a`... (worst case)", bytes("a", longest)),
        ]
        for r in replaces {
            let p = try Pattern(r.pattern)
            var out: [UInt8] = []
            let s = time(rounds: r.pattern.contains("X") ? 1 : 5) { out = p.replacingMatches(in: r.line, with: [0x23]) }
            let matches = out.filter { $0 == 0x23 }.count
            print("| `\(cell(r.pattern))` | \(r.what) | \(matches) | \(format(s)) |")
        }
    }
}
