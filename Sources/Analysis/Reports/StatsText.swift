import Foundation
import TraceFormat

/// `porttrace stats` reports: text, JSON and Markdown. Times in milliseconds.
public enum StatsText {
    static func ms(_ ns: Double) -> String { String(format: "%.3f", ns / 1e6) }
    static func name(_ m: BootMetrics.Metric) -> String { m.kind == .step ? "step \(m.name)" : m.name }
    static func p(_ v: Double) -> String { v < 1e-4 ? String(format: "%.1e", v) : String(format: "%.4f", v) }

    public static func render(_ r: StatsReport, format: DiffReport.Format) -> String {
        switch format {
        case .text: return text(r)
        case .markdown: return markdown(r)
        case .json: return json(r).serialized() + "\n"
        }
    }

    static func text(_ r: StatsReport) -> String {
        var out = ""
        for g in r.groups {
            out +=
                "\(g.name): \(g.traces) trace\(g.traces == 1 ? "" : "s") (times in ms; median interval: \(Int(r.bootstrap.level * 100))% percentile bootstrap, \(r.bootstrap.resamples) resamples, seed \(r.bootstrap.seed))\n"
            var rows = [["metric", "n", "median", "95% CI", "p10", "p90", "mean", "sd"]]
            for s in g.summaries {
                rows.append([
                    name(s.metric), String(s.n), ms(s.median), "\(ms(s.medianCI.low))..\(ms(s.medianCI.high))", ms(s.p10), ms(s.p90),
                    ms(s.mean),
                    s.sd.map(ms) ?? "-",
                ])
            }
            out += TimelineText.table(rows, left: [0]) + "\n"
            if !g.comparisons.isEmpty {
                out += "\(g.name) against \(r.groups[0].name): change of the median (candidate - baseline), Mann-Whitney U two-sided\n"
                var rows = [["metric", "baseline", "candidate", "change", "95% CI", "relative", "U", "p", ""]]
                for c in g.comparisons {
                    rows.append([
                        name(c.metric), ms(c.baselineMedian), ms(c.candidateMedian), ms(c.difference),
                        "\(ms(c.differenceCI.low))..\(ms(c.differenceCI.high))",
                        String(format: "%+.1f%%", c.relative * 100), String(format: "%g", c.u), p(c.p), c.regressed ? "REGRESSED" : "",
                    ])
                }
                out += TimelineText.table(rows, left: [0, 8]) + "\n"
            }
        }
        if let threshold = r.threshold {
            let regs = r.regressions
            out +=
                regs.isEmpty
                ? "no phase or total slower by more than \(String(format: "%g", threshold * 100))% with p < \(String(format: "%g", r.alpha))\n"
                : "REGRESSION: "
                    + regs.map {
                        "\($0.group) \($0.comparison.metric.name) \(String(format: "%+.1f%%", $0.comparison.relative * 100)) (p = \(p($0.comparison.p)))"
                    }.joined(separator: "; ") + "\n"
        }
        return out
    }

    /// Group, label and metric names are outside text: `MarkdownText.inline` keeps them from
    /// breaking the tables.
    static func markdown(_ r: StatsReport) -> String {
        let md = MarkdownText.inline
        var out = ""
        for g in r.groups {
            out +=
                "### \(md(g.name)) (\(g.traces) traces, ms)\n\n| metric | n | median | 95% CI | p10 | p90 | mean | sd |\n|---|---:|---:|---|---:|---:|---:|---:|\n"
            for s in g.summaries {
                out +=
                    "| \(md(name(s.metric))) | \(s.n) | \(ms(s.median)) | \(ms(s.medianCI.low))..\(ms(s.medianCI.high)) | \(ms(s.p10)) | \(ms(s.p90)) | \(ms(s.mean)) | \(s.sd.map(ms) ?? "-") |\n"
            }
            if !g.comparisons.isEmpty {
                out +=
                    "\n| \(md(g.name)) vs \(md(r.groups[0].name)) | baseline | candidate | change | 95% CI | relative | p | |\n|---|---:|---:|---:|---|---:|---:|---|\n"
                for c in g.comparisons {
                    out +=
                        "| \(md(name(c.metric))) | \(ms(c.baselineMedian)) | \(ms(c.candidateMedian)) | \(ms(c.difference)) | \(ms(c.differenceCI.low))..\(ms(c.differenceCI.high)) | \(String(format: "%+.1f%%", c.relative * 100)) | \(p(c.p)) | \(c.regressed ? "**regressed**" : "") |\n"
                }
            }
            out += "\n"
        }
        return out
    }

    static func json(_ r: StatsReport) -> JSONValue {
        func num(_ v: Double) -> JSONValue { .number(v.isFinite ? String(v) : "null") }
        func metric(_ m: BootMetrics.Metric) -> [(String, JSONValue)] { [("kind", .string(m.kind.rawValue)), ("name", .string(m.name))] }
        return .object([
            ("unit", .string("ns")),
            (
                "bootstrap",
                .object([
                    ("resamples", .uint(UInt64(r.bootstrap.resamples))), ("seed", .uint(r.bootstrap.seed)),
                    ("level", num(r.bootstrap.level)),
                ])
            ),
            ("threshold", r.threshold.map(num) ?? .null), ("alpha", num(r.alpha)),
            ("regressed", .bool(!r.regressions.isEmpty)),
            (
                "groups",
                .array(
                    r.groups.map { g in
                        .object([
                            ("name", .string(g.name)), ("traces", .uint(UInt64(g.traces))),
                            (
                                "metrics",
                                .array(
                                    g.summaries.map { s in
                                        .object(
                                            metric(s.metric) + [
                                                ("n", .uint(UInt64(s.n))), ("median", num(s.median)),
                                                ("median_ci", .array([num(s.medianCI.low), num(s.medianCI.high)])),
                                                ("p10", num(s.p10)), ("p90", num(s.p90)), ("mean", num(s.mean)),
                                                ("sd", s.sd.map(num) ?? .null),
                                            ])
                                    })
                            ),
                            (
                                "against_baseline",
                                .array(
                                    g.comparisons.map { c in
                                        .object(
                                            metric(c.metric) + [
                                                ("baseline_median", num(c.baselineMedian)), ("candidate_median", num(c.candidateMedian)),
                                                ("difference", num(c.difference)),
                                                ("difference_ci", .array([num(c.differenceCI.low), num(c.differenceCI.high)])),
                                                ("relative", num(c.relative)), ("u", num(c.u)), ("p", num(c.p)),
                                                ("regressed", .bool(c.regressed)),
                                            ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }
}
