import Foundation

/// `porttrace stats --format svg`: groups compared per duration, as hyperfine's and criterion's
/// plots compare runs: one panel per metric (the total, phases, named intervals, then the
/// chain's intervals, largest change first, as the text report orders them), one row per group,
/// each boot a dot, the median a bar across the row and its 95% bootstrap interval a band;
/// beside each candidate row its relative change, interval and verdict.
///
/// Each panel has its own time axis: a boot's phases run from microseconds to minutes, and a
/// shared axis would crush the short ones to a point. A self-contained SVG: no scripts, fonts or
/// images loaded; every trace-derived string is XML-escaped and fitted to its column, so labels
/// cannot overlap (Tests/CLITests/StatsSVGTests.swift renders it with rsvg-convert and checks).
public enum StatsSVG {
    static let width = 960.0
    static let labelLeft = 12.0
    /// The group-name column.
    static let labelWidth = 150.0
    static let plotLeft = labelLeft + labelWidth + 12
    /// The change column.
    static let changeWidth = 300.0
    static let plotRight = width - changeWidth - 16
    static let rowHeight = 22.0
    static let groupColours = ["#4c6a92", "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d"]

    public static func render(_ r: StatsReport) -> String {
        var body = ""
        var y = 22.0
        let fullWidth = width - 2 * labelLeft
        /// A paragraph, wrapped at spaces to the picture's width.
        func paragraph(_ s: String, size: Double, fill: String = "#222", bold: Bool = false) {
            for line in wrap(s, fullWidth, size: size, bold: bold) {
                body += text(labelLeft, y, line, size: size, fill: fill, bold: bold)
                y += size + 5
            }
        }
        paragraph("porttrace stats: " + StatsText.groupsLine(r), size: 14, bold: true)
        y += 2
        if let b = StatsText.baselineLine(r) { paragraph(b, size: 12) }
        let verdictColour: String
        switch r.decision {
        case .regressed: verdictColour = "#c0392b"
        case .cannotDecide: verdictColour = "#b9770e"
        default: verdictColour = "#222"
        }
        paragraph(StatsText.verdictLine(r) ?? "no --threshold: no verdict", size: 12, fill: verdictColour, bold: true)
        if let rule = r.rule { paragraph("rule: " + rule, size: 11, fill: "#444") }
        for note in r.unreachable { paragraph("note: " + note, size: 11, fill: "#b9770e") }
        if !r.missing.isEmpty {
            paragraph(
                "\(r.missing.count) metrics are missing from some boots (listed in the text and JSON reports)", size: 11, fill: "#444")
        }
        y += 6
        body += legend(y)
        y += 26

        // One panel a metric, up to `mostPanels` (a boot of thousands of steps would make a
        // picture no one reads, and take minutes to draw); the rest are in the text and JSON.
        let all = metrics(r)
        let summaries = r.groups.map { g in Dictionary(g.summaries.map { ($0.metric, $0) }, uniquingKeysWith: { a, _ in a }) }
        for m in all.prefix(mostPanels) {
            body += panel(m, r, summaries: summaries, y: &y)
        }
        if all.count > mostPanels {
            y += 6
            paragraph(
                "\(all.count - mostPanels) more metrics (step intervals with smaller changes) are in the text and JSON reports",
                size: 11, fill: "#444")
        }
        let height = y + 10
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif">
            <rect width="100%" height="100%" fill="#fff"/>
            \(body)</svg>

            """
    }

    /// The judged metrics in report order: the baseline's, then the first comparison's order
    /// (largest change first for the chain), then whatever other groups add.
    static func metrics(_ r: StatsReport) -> [BootMetrics.Metric] {
        var out: [BootMetrics.Metric] = []
        var seen: Set<BootMetrics.Metric> = []
        let ordered = (r.groups.dropFirst().first?.comparisons.map(\.metric) ?? []) + r.groups.flatMap { $0.summaries.map(\.metric) }
        let head = ordered.filter { $0.kind != .interval && $0.kind.isJudged }
        let chain = ordered.filter { $0.kind == .interval }
        let order = BootMetrics.Kind.allCases.filter { $0 != .interval }.flatMap { k in head.filter { $0.kind == k } } + chain
        for m in order where seen.insert(m).inserted { out.append(m) }
        return out
    }

    static func legend(_ y: Double) -> String {
        var out = ""
        var x = labelLeft
        out += "<circle cx=\"\(f(x + 4))\" cy=\"\(f(y - 4))\" r=\"3\" fill=\"#4c6a92\" fill-opacity=\"0.7\"/>\n"
        out += text(x + 12, y, "one boot", size: 11)
        x += 12 + width(of: "one boot", size: 11) + 24
        out += "<rect x=\"\(f(x))\" y=\"\(f(y - 9))\" width=\"28\" height=\"10\" fill=\"#4c6a92\" fill-opacity=\"0.22\"/>\n"
        out +=
            "<line x1=\"\(f(x + 14))\" y1=\"\(f(y - 11))\" x2=\"\(f(x + 14))\" y2=\"\(f(y + 3))\" stroke=\"#4c6a92\" stroke-width=\"2.5\"/>\n"
        let label = "median, and its 95% bootstrap interval (band)"
        out += text(x + 34, y, label, size: 11)
        x += 34 + width(of: label, size: 11) + 24
        let scale = "each panel has its own axis, in ms"
        out += text(x, y, scale, size: 11, fill: "#444")
        return out
    }

    /// The most metrics drawn, each a panel.
    static let mostPanels = 40

    static func panel(
        _ m: BootMetrics.Metric, _ r: StatsReport, summaries: [[BootMetrics.Metric: StatsReport.Summary]], y: inout Double
    ) -> String {
        var out = ""
        let title = StatsText.name(m, r)
        out += text(labelLeft, y + 12, fit(title, width - 2 * labelLeft, size: 12, bold: true), size: 12, bold: true)
        y += 20
        let rows = r.groups.indices.map { i in (r.groups[i], summaries[i][m]) }
        let all = rows.compactMap(\.1).flatMap { [$0.min, $0.max, $0.medianCI.low, $0.medianCI.high] }
        var lo = all.min() ?? 0
        var hi = all.max() ?? 1
        if hi - lo < 1 {
            // One value everywhere: a window of 5% around it (1 us around 0), for round ticks.
            let half = max(abs(lo) * 0.05, 1000)
            lo -= half
            hi += half
        }
        let pad = (hi - lo) * 0.04
        lo -= pad
        hi += pad
        func x(_ v: Double) -> Double { plotLeft + (plotRight - plotLeft) * (v - lo) / (hi - lo) }

        let top = y
        out +=
            "<rect x=\"\(f(plotLeft))\" y=\"\(f(top))\" width=\"\(f(plotRight - plotLeft))\" height=\"\(f(rowHeight * Double(rows.count)))\" fill=\"#f6f7f9\"/>\n"
        for (gi, (g, s)) in rows.enumerated() {
            let colour = groupColours[gi % groupColours.count]
            let mid = y + rowHeight / 2
            out += text(labelLeft, mid + 4, fit(g.name, labelWidth, size: 11), size: 11, fill: colour)
            if let s {
                out +=
                    "<rect x=\"\(f(x(s.medianCI.low)))\" y=\"\(f(mid - 6))\" width=\"\(f(max(1, x(s.medianCI.high) - x(s.medianCI.low))))\" height=\"12\" fill=\"\(colour)\" fill-opacity=\"0.22\"><title>\(escape("\(g.name): median \(StatsText.ms(s.median)) ms, 95% interval \(StatsText.ms(s.medianCI.low))..\(StatsText.ms(s.medianCI.high)) ms, n \(s.n)"))</title></rect>\n"
                for (i, v) in s.values.enumerated() {
                    // A fixed spread across the row, so equal values stay visible as several dots.
                    let dy = Double(i % 5 - 2) * 2.5
                    out +=
                        "<circle cx=\"\(f(x(v)))\" cy=\"\(f(mid + dy))\" r=\"3\" fill=\"\(colour)\" fill-opacity=\"0.7\"><title>\(escape("\(g.name): \(StatsText.ms(v)) ms"))</title></circle>\n"
                }
                out +=
                    "<line x1=\"\(f(x(s.median)))\" y1=\"\(f(mid - 9))\" x2=\"\(f(x(s.median)))\" y2=\"\(f(mid + 9))\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>\n"
            } else {
                out += text(plotLeft + 6, mid + 4, "missing from this group", size: 11, fill: "#888")
            }
            if let (label, fill) = change(g, m, r) {
                out += text(plotRight + 12, mid + 4, fit(label, changeWidth - 4, size: 11), size: 11, fill: fill, bold: fill != "#444")
            }
            y += rowHeight
        }
        // The axis, under the rows.
        out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(y))\" x2=\"\(f(plotRight))\" y2=\"\(f(y))\" stroke=\"#555\"/>\n"
        for (v, label) in ticks(lo: lo, hi: hi) {
            out += "<line x1=\"\(f(x(v)))\" y1=\"\(f(y))\" x2=\"\(f(x(v)))\" y2=\"\(f(y + 4))\" stroke=\"#555\"/>\n"
            out += text(x(v), y + 15, label, size: 10, anchor: "middle", fill: "#444")
        }
        out += text(plotRight + 12, y + 15, "ms", size: 10, fill: "#444")
        y += 30
        return out
    }

    /// What the change column says for a group's row: the baseline says so; a candidate its
    /// relative change, interval and verdict.
    static func change(_ g: StatsReport.Group, _ m: BootMetrics.Metric, _ r: StatsReport) -> (String, String)? {
        if g.name == r.groups.first?.name { return r.groups.count > 1 ? ("baseline", "#444") : nil }
        guard let c = g.comparisons.first(where: { $0.metric == m }) else { return nil }
        var s = StatsText.relative(c) + (c.relativeCI.map { " [\(StatsText.percent($0.low)), \(StatsText.percent($0.high))]" } ?? "")
        guard let v = c.verdict else { return ("\(s) p \(StatsText.p(c.p))", "#444") }
        s += " " + v.rawValue
        switch v {
        case .regressed: return (s, "#c0392b")
        case .improved: return (s, "#1e8449")
        default: return (s, "#444")
        }
    }

    /// Round ticks (1, 2 or 5 times a power of ten, in ms) whose labels fit without touching.
    static func ticks(lo: Double, hi: Double) -> [(Double, String)] {
        let span = hi - lo
        guard span > 0 else { return [] }
        var count = 8.0
        while count >= 2 {
            let raw = span / count
            let power = pow(10, floor(log10(raw)))
            let step = [1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= raw } ?? power * 10
            var ticks: [(Double, String)] = []
            let first = (lo / step).rounded(.up) * step
            // By index, not by adding: past 2^53 ns a step can vanish in rounding.
            for i in 0..<Int(count) + 2 {
                let v = first + Double(i) * step
                guard v <= hi else { break }
                if let last = ticks.last, v <= last.0 { break }
                ticks.append((v, label(v / 1e6, step: step / 1e6)))
            }
            let room = (plotRight - plotLeft) * step / span
            let widest = ticks.map { width(of: $0.1, size: 10) }.max() ?? 0
            if widest + 8 < room { return ticks }
            count -= 2
        }
        return [(lo, label(lo / 1e6, step: span / 1e6)), (hi, label(hi / 1e6, step: span / 1e6))]
    }

    /// A tick in ms with as many decimals as its step needs.
    static func label(_ ms: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(6, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(decimals)f", ms)
    }

    // MARK: Text

    /// An upper bound of a string's width in DejaVu Sans (what `sans-serif` is on Debian), a little
    /// wide for other faces: layout and truncation use it, so labels never run into each other.
    static func width(of s: String, size: Double, bold: Bool = false) -> Double {
        var em = 0.0
        for u in s.unicodeScalars {
            switch u {
            case "i", "l", "j", "I", "!", "|", ".", ",", ":", ";", "'", "\"", " ", "t", "f", "r", "(", ")", "[", "]", "-": em += 0.42
            case "m", "w", "M", "W", "%", "@": em += 1.0
            case "A"..."Z", "#", "&", "~", "=", "+", "<", ">", "_": em += 0.8
            default: em += u.value < 0x80 ? 0.66 : 1.05
            }
        }
        return em * size * (bold ? 1.1 : 1)
    }

    /// `s` in lines of at most `room` pixels, broken at spaces (a word too long for a line is cut).
    static func wrap(_ s: String, _ room: Double, size: Double, bold: Bool = false) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in s.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = line.isEmpty ? word : line + " " + word
            if width(of: candidate, size: size, bold: bold) <= room {
                line = candidate
            } else {
                if !line.isEmpty { lines.append(line) }
                line = fit(word, room, size: size, bold: bold)
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// `s`, cut with an ellipsis to fit `room` pixels.
    static func fit(_ s: String, _ room: Double, size: Double, bold: Bool = false) -> String {
        if width(of: s, size: size, bold: bold) <= room { return s }
        var cut = ""
        for c in s {
            if width(of: cut + String(c) + "...", size: size, bold: bold) > room { break }
            cut.append(c)
        }
        return cut + "..."
    }

    static func text(
        _ x: Double, _ y: Double, _ s: String, size: Double, anchor: String = "start", fill: String = "#222", bold: Bool = false
    )
        -> String
    {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(f(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\"\(bold ? " font-weight=\"bold\"" : "")>\(escape(s))</text>\n"
    }

    static func escape(_ s: String) -> String { TimelineSVG.escape(s) }
    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
