import Devices
import Foundation
import TraceFormat

/// `porttrace report`: one self-contained HTML page a CI job publishes as an artifact and a
/// person opens offline. Everything in it comes from the same library code as the command-line
/// reports (stats' verdict and summaries, the stats picture, each group's median boot as a
/// timeline picture, diff's behaviour sections). It loads nothing: styles and SVG are inline,
/// there is no script, and a Content-Security-Policy forbids every load; every string that
/// comes from a trace is escaped.
public enum HTMLReport {
    /// The policy in the page's meta tag: nothing may be loaded, inline styles may apply, images
    /// only from data: URLs (none are used), no script at all.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    /// One group's boot that stands for it: the one whose total is the group's median.
    public struct Representative: Sendable {
        public var group: String
        public var timeline: BootTimeline
        public init(group: String, timeline: BootTimeline) {
            self.group = group
            self.timeline = timeline
        }
    }

    /// The behaviour of two representatives compared (diff's text, masked as diff masks).
    public struct Behaviour: Sendable {
        public var baseline: String
        public var candidate: String
        /// SAME or DIFFERENT, and why.
        public var verdict: String
        /// The report's text, cut to a readable length.
        public var text: String
        public init(baseline: String, candidate: String, verdict: String, text: String) {
            self.baseline = baseline
            self.candidate = candidate
            self.verdict = verdict
            self.text = text
        }
    }

    /// What was compared and how the report was made.
    public struct Provenance: Sendable {
        public var command: [String]
        public var porttraceVersion: String
        public var made: Date
        public init(command: [String], porttraceVersion: String, made: Date = Date()) {
            self.command = command
            self.porttraceVersion = porttraceVersion
            self.made = made
        }
    }

    public static func render(
        stats r: StatsReport, timelines: [BootTimeline], representatives: [Representative], behaviour: [Behaviour],
        provenance: Provenance
    ) -> String {
        var body = ""
        body += "<h1>porttrace report</h1>\n"
        body += verdict(r)
        // The boots themselves next: what a person looks at first.
        for rep in representatives {
            body += section(
                "Median boot of \(rep.group)",
                "\(rep.timeline.path): the boot whose total is the group's median. \(TimelineText.summary(rep.timeline))")
            body += "<div class=\"picture\">\(TimelineSVG.element(rep.timeline))</div>\n"
        }
        body += summaries(r)
        if r.groups.count > 1 {
            body += comparisons(r)
        }
        body += blame(r)
        body += section("The groups compared", "Each boot a dot, each group's median a bar with its 95% interval.")
        body += "<div class=\"picture\">\(StatsSVG.render(r))</div>\n"
        if !behaviour.isEmpty {
            body += section(
                "Behaviour", "The median boots compared as `porttrace diff` compares them: what the guest did, not how long it took.")
            for b in behaviour {
                body += "<h3>\(escape(b.baseline)) against \(escape(b.candidate)): \(escape(b.verdict))</h3>\n"
                body += "<pre>\(escape(b.text))</pre>\n"
            }
        }
        body += compared(timelines, provenance)
        return page(title: "porttrace report: \(StatsText.groupsLine(r))", body: body)
    }

    // MARK: Sections

    static func verdict(_ r: StatsReport) -> String {
        var out = "<section class=\"verdict\">\n"
        let (cls, head): (String, String)
        switch r.decision {
        case .none: (cls, head) = ("none", "No verdict asked for (no --threshold)")
        case .regressed: (cls, head) = ("bad", "REGRESSED")
        case .cannotDecide: (cls, head) = ("undecided", "Cannot decide")
        case .noRegression: (cls, head) = ("good", "No regression")
        }
        out += "<p class=\"\(cls) big\">\(escape(head))</p>\n"
        if let line = StatsText.verdictLine(r) { out += "<p>\(escape(line))</p>\n" }
        if let rule = r.rule { out += "<p class=\"rule\">Rule: \(escape(rule)).</p>\n" }
        out += "<p>\(escape(StatsText.groupsLine(r)))\(StatsText.baselineLine(r).map { "; " + escape($0) } ?? "")</p>\n"
        for line in r.unreachable { out += "<p class=\"note\">\(escape(line))</p>\n" }
        let missing = StatsText.missingLines(r)
        if !missing.isEmpty {
            out +=
                "<details><summary class=\"note\">\(missing.count) duration\(missing.count == 1 ? " is" : "s are") missing from some boots or groups</summary>\n"
            for line in missing { out += "<p class=\"note\">\(escape(line))</p>\n" }
            out += "</details>\n"
        }
        return out + "</section>\n"
    }

    static func summaries(_ r: StatsReport) -> String {
        var out = section(
            "Boots per group",
            "Times in milliseconds. The median's 95% interval is a percentile bootstrap (\(r.bootstrap.resamples) resamples, seed \(r.bootstrap.seed)); sd is the sample standard deviation (n-1)."
        )
        for g in r.groups {
            out += "<h3>\(escape(g.name)) (\(g.traces) boot\(g.traces == 1 ? "" : "s"))</h3>\n"
            var rows: [[String]] = []
            for s in g.summaries where s.metric.kind != .timeSinceVMStart {
                rows.append([
                    StatsText.name(s.metric, r), String(s.n), StatsText.ms(s.median),
                    "\(StatsText.ms(s.medianCI.low))..\(StatsText.ms(s.medianCI.high))",
                    StatsText.ms(s.min), StatsText.ms(s.max), s.sd.map(StatsText.ms) ?? "-",
                ])
            }
            out += table(["duration", "n", "median", "95% interval", "min", "max", "sd"], rows, numeric: 1...6)
        }
        return out
    }

    static func comparisons(_ r: StatsReport) -> String {
        var out = ""
        let base = r.groups[0]
        for g in r.groups.dropFirst() {
            out += section("\(g.name) against \(base.name)", StatsText.comparisonLine(g, base))
            var rows: [[String]] = []
            for c in g.comparisons {
                rows.append([
                    StatsText.name(c.metric, r), StatsText.ms(c.baselineMedian), StatsText.ms(c.candidateMedian), StatsText.relative(c),
                    StatsText.interval(c), StatsText.p(c.p), c.verdict?.rawValue ?? "",
                ])
            }
            out += table(
                ["duration", base.name, g.name, "relative", "95% interval", "p", "verdict"], rows, numeric: 1...5, verdictColumn: 6)
        }
        return out
    }

    /// The durations whose medians changed most, largest first (the blame of the change).
    static func blame(_ r: StatsReport) -> String {
        guard r.groups.count > 1 else { return "" }
        var items: [(Double, [String])] = []
        for g in r.groups.dropFirst() {
            for c in g.comparisons where c.metric.kind == .interval || c.metric.kind == .phase {
                items.append(
                    (
                        abs(c.difference),
                        [g.name, StatsText.name(c.metric, r), String(format: "%+.3f", c.difference / 1e6), StatsText.relative(c)]
                    ))
            }
        }
        items.sort { $0.0 > $1.0 }
        guard !items.isEmpty else { return "" }
        return section("Largest changes", "Phases and intervals by how much their median moved, in ms.")
            + table(["group", "duration", "change (ms)", "relative"], items.prefix(15).map(\.1), numeric: 2...3)
    }

    static func compared(_ timelines: [BootTimeline], _ p: Provenance) -> String {
        var out = section("What was compared", "")
        var rows: [[String]] = []
        for t in timelines {
            let md = t.metadata
            let labels = md.labels.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
            rows.append([
                t.path, md["vmm_kind"]?.stringValue ?? md.source ?? "", md["vmm_version"]?.stringValue ?? "",
                md["host"]?["name"]?.stringValue ?? "",
                md["host"]?["kernel"]?.stringValue ?? "", t.release.release.tag, labels,
            ])
        }
        out += table(["trace", "VMM", "VMM version", "host", "kernel", "read as", "labels"], rows)
        let date = ISO8601DateFormatter().string(from: p.made)
        out += "<p>Made by porttrace \(escape(p.porttraceVersion)) on \(escape(date)) with:</p>\n"
        out += "<pre class=\"command\">\(escape(p.command.map(shellWord).joined(separator: " ")))</pre>\n"
        return out
    }

    // MARK: HTML

    static func section(_ title: String, _ note: String) -> String {
        "<h2>\(escape(title))</h2>\n" + (note.isEmpty ? "" : "<p class=\"note\">\(escape(note))</p>\n")
    }

    static func table(_ header: [String], _ rows: [[String]], numeric: ClosedRange<Int>? = nil, verdictColumn: Int? = nil) -> String {
        var out = "<table>\n<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in rows {
            out += "<tr>"
            for (i, cell) in row.enumerated() {
                var cls = numeric?.contains(i) == true ? " class=\"num\"" : ""
                if i == verdictColumn {
                    cls = cell == "REGRESSED" ? " class=\"bad\"" : cell == "improved" ? " class=\"good\"" : ""
                }
                out += "<td\(cls)>\(escape(cell))</td>"
            }
            out += "</tr>\n"
        }
        return out + "</table>\n"
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 1.5em auto; max-width: 1400px; padding: 0 1em; color: #222; }
        h1 { font-size: 1.6em; margin-bottom: 0.3em; }
        h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
        h3 { font-size: 1.05em; }
        table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
        th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f4f4f4; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .bad { color: #b00020; font-weight: bold; }
        .good { color: #1b7f3b; font-weight: bold; }
        .undecided { color: #a05a00; font-weight: bold; }
        .none { color: #555; }
        .big { font-size: 1.5em; margin: 0.2em 0; }
        .note { color: #555; font-size: 0.9em; }
        .verdict { border: 1px solid #ccc; border-radius: 4px; padding: 0.5em 1em; background: #fafafa; }
        .picture { overflow-x: auto; margin: 0.5em 0 1em; }
        pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; white-space: pre; }
        pre.command { white-space: pre-wrap; word-break: break-all; }
        details { margin: 0.3em 0; }
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }

    /// HTML text: the five special characters as entities, control characters as visible `\xNN`
    /// (no terminal sequence reaches a page either).
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || u.value == 0x7f || (0x80...0x9f).contains(u.value) {
                    out += String(format: "\\x%02x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// A word of a command line as a shell reads it back.
    static func shellWord(_ w: String) -> String {
        guard w.isEmpty || w.contains(where: { !($0.isLetter || $0.isNumber || "-_./=:,%+@".contains($0)) }) else { return w }
        return "'" + w.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
