import Devices
import Foundation
import TraceFormat

/// `porttrace diff` reports: text (coloured like `git diff` when asked), JSON and Markdown.
public enum DiffReport {
    public enum Format: String, Sendable, CaseIterable { case text, json, markdown }

    // MARK: Two traces

    /// `terminal`: the text goes to a terminal, so guest text in it (output lines, labels,
    /// metadata) has its control bytes escaped as `replay` escapes them (`ControlEscaper`).
    public static func render(_ d: TraceDiff, format: Format, color: Bool, terminal: Bool = false) -> String {
        switch format {
        case .text: return text(d, paint: Paint(on: color, escape: terminal))
        case .markdown: return markdown(d)
        case .json: return json(d).serialized() + "\n"
        }
    }

    struct Paint {
        let on: Bool
        /// Escape control bytes in outside text (a terminal).
        var escape = false
        /// Outside text (guest output, labels, paths, metadata) as it may be shown.
        func text(_ s: String) -> String { escape ? ControlEscaper.escaped(s) : s }
        func red(_ s: String) -> String { on ? "\u{1b}[31m\(s)\u{1b}[m" : s }
        func green(_ s: String) -> String { on ? "\u{1b}[32m\(s)\u{1b}[m" : s }
        func yellow(_ s: String) -> String { on ? "\u{1b}[33m\(s)\u{1b}[m" : s }
        func cyan(_ s: String) -> String { on ? "\u{1b}[36m\(s)\u{1b}[m" : s }
        func bold(_ s: String) -> String { on ? "\u{1b}[1m\(s)\u{1b}[m" : s }
        /// A unified-diff line coloured as git does.
        func diffLine(_ line: String) -> String {
            let l = text(line)
            if l.hasPrefix("+++") || l.hasPrefix("---") { return bold(l) }
            if l.hasPrefix("@@") { return cyan(l) }
            if l.hasPrefix("+") { return green(l) }
            if l.hasPrefix("-") { return red(l) }
            return l
        }
    }

    static func clip(_ s: String) -> String { s.count > 100 ? String(s.prefix(97)) + "..." : s }
    static func hex(_ b: [UInt8]) -> String { TextBytes.hex(b) }

    /// An output's diff in JSON: its lines, and what is not shown (only when something is not).
    static func json(_ o: TraceDiff.OutputDiff) -> JSONValue {
        var f: [(String, JSONValue)] = [("output", .string(o.name)), ("diff", .array(o.hunks.map(JSONValue.string)))]
        if let m = o.omitted { f.append(("omitted", .object([("hunks", .uint(UInt64(m.hunks))), ("lines", .uint(UInt64(m.lines)))]))) }
        if let x = o.folded { f.append(("folded", .object([("a", .uint(UInt64(x.a))), ("b", .uint(UInt64(x.b)))]))) }
        if let u = o.unaligned {
            f.append(
                (
                    "unaligned",
                    .object([
                        ("line_a", .uint(UInt64(u.lineA))), ("line_b", .uint(UInt64(u.lineB))), ("rest_a", .uint(UInt64(u.restA))),
                        ("rest_b", .uint(UInt64(u.restB))), ("reason", .string(u.reason)),
                    ])
                ))
        }
        return .object(f)
    }

    // MARK: One trace, several releases

    public static func render(_ c: ReleaseComparison, format: Format, color: Bool, terminal: Bool = false) -> String {
        let paint = Paint(on: color, escape: terminal)
        func range(_ g: ReleaseComparison.Group) -> String {
            g.releases.count == 1 ? g.releases[0].tag : "\(g.releases.first!.tag)..\(g.releases.last!.tag)"
        }
        switch format {
        case .json:
            return JSONValue.object([
                ("trace", .string(c.path)),
                (
                    "groups",
                    .array(
                        c.groups.map { g in
                            .object([
                                ("releases", .array(g.releases.map { .string($0.tag) })), ("log_lines", .uint(UInt64(g.summary.logLines))),
                                ("changes", .array(g.changes.map(json))),
                            ])
                        })
                ),
            ]).serialized() + "\n"
        case .markdown:
            var out =
                "## \(Markdown.code(c.path)) under \(c.groups.reduce(0) { $0 + $1.releases.count }) cloud-hypervisor releases: \(c.groups.count) different outputs\n"
            for g in c.groups {
                out +=
                    "\n### \(range(g)) (\(g.releases.count) release\(g.releases.count == 1 ? "" : "s"), \(g.summary.logLines) log lines)\n"
                for ch in g.changes {
                    out += "\n" + Markdown.codeBlock(Array(ch.hunks.prefix(40)), info: "diff")
                    for n in ch.notes { out += "\n_\(Markdown.text(n))_\n" }
                }
            }
            return out
        case .text:
            var out =
                paint.bold(
                    "\(paint.text(c.path)) under \(c.groups.reduce(0) { $0 + $1.releases.count }) releases: \(c.groups.count) different outputs"
                )
                + "\n"
            for g in c.groups {
                out +=
                    "\n" + paint.bold(range(g))
                    + " (\(g.releases.count) release\(g.releases.count == 1 ? "" : "s"); \(g.summary.logLines) log lines; console bytes \(g.summary.consoleBytes.map(String.init).joined(separator: "/")))\n"
                for ch in g.changes {
                    let shown = ch.hunks.prefix(24)
                    out += shown.map(paint.diffLine).joined(separator: "\n") + "\n"
                    if ch.hunks.count > shown.count || ch.omitted != nil {
                        let more = ch.hunks.count - shown.count + (ch.omitted?.lines ?? 0)
                        out += "  ... \(more) more lines of this diff (see --profile A --against B)\n"
                    }
                    if let u = ch.unaligned {
                        out += paint.yellow("  " + paint.text(TraceDiff.OutputDiff(name: ch.name, hunks: [], unaligned: u).notes[0])) + "\n"
                    }
                }
            }
            return out
        }
    }

    /// Two releases' outputs for one trace, as unified diffs.
    public static func render(
        _ diffs: [TraceDiff.OutputDiff], trace: String, a: Release, b: Release, format: Format, color: Bool, terminal: Bool = false
    ) -> String {
        let paint = Paint(on: color, escape: terminal)
        switch format {
        case .json:
            return JSONValue.object([
                ("trace", .string(trace)), ("a_release", .string(a.tag)), ("b_release", .string(b.tag)),
                ("different", .bool(!diffs.isEmpty)), ("outputs", .array(diffs.map(json))),
            ]).serialized() + "\n"
        case .markdown:
            var out =
                "## \(Markdown.code(trace)): cloud-hypervisor \(a) vs \(b)\n\n**\(diffs.isEmpty ? "Same output" : "Different output")**\n"
            for d in diffs {
                out += "\n" + Markdown.codeBlock(d.hunks, info: "diff")
                for n in d.notes { out += "\n_\(Markdown.text(n))_\n" }
            }
            return out
        case .text:
            var out =
                paint.bold("\(paint.text(trace)): cloud-hypervisor \(a) vs \(b): ")
                + (diffs.isEmpty ? paint.green("SAME") : paint.red("DIFFERENT"))
                + "\n"
            for d in diffs {
                out += d.hunks.map(paint.diffLine).joined(separator: "\n") + "\n"
                for n in d.notes { out += paint.yellow("  " + paint.text(n)) + "\n" }
            }
            return out
        }
    }
}

/// Outside text in Markdown: code blocks whose fence no line can close, inline code whose
/// delimiters no content can end, and table cells that no `|`, backtick or newline can break.
enum Markdown {
    /// The longest run of backticks in `s`.
    static func longestBacktickRun<S: Sequence<Character>>(_ s: S) -> Int {
        var longest = 0
        var run = 0
        for c in s {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// A fenced code block: the fence is longer than any run of backticks in the lines.
    static func codeBlock(_ lines: [String], info: String) -> String {
        let fence = String(repeating: "`", count: max(3, lines.map { longestBacktickRun($0) }.max().map { $0 + 1 } ?? 3))
        return fence + info + "\n" + lines.map(oneLine).joined(separator: "\n") + "\n" + fence + "\n"
    }

    /// Inline code: delimited by more backticks than any run inside (padded when it starts or ends with one).
    static func code(_ s: String) -> String {
        let text = oneLine(s)
        let ticks = String(repeating: "`", count: longestBacktickRun(text) + 1)
        let pad = text.hasPrefix("`") || text.hasSuffix("`") || text.isEmpty ? " " : ""
        return ticks + pad + text + pad + ticks
    }

    /// Inline code in a table cell: as `code`, with `|` escaped (GitHub's tables unescape it first).
    static func codeCell(_ s: String) -> String {
        code(s).replacingOccurrences(of: "|", with: "\\|")
    }

    /// Plain text in a table cell: `\`, `|`, backticks, `*`, `<` and brackets escaped, one line.
    static func cell(_ s: String) -> String { text(s) }

    /// Plain text on one line with Markdown's active characters escaped.
    static func text(_ s: String) -> String {
        var out = ""
        for c in oneLine(s) {
            if "\\`|*<[]".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Control characters but tab (line breaks above all) written as `\xNN`, so the text stays on one line.
    static func oneLine(_ s: String) -> String {
        func control(_ u: Unicode.Scalar) -> Bool { (u.value < 0x20 && u.value != 0x09) || u.value == 0x7f }
        guard s.unicodeScalars.contains(where: control) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if control(u) {
                out += "\\x" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
