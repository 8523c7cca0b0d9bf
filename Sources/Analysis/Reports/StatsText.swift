import Foundation
import TraceFormat

/// `porttrace stats` reports: text, JSON, Markdown and SVG (`StatsSVG`). Times in milliseconds
/// with three decimals; JSON in nanoseconds.
public enum StatsText {
    public enum Format: String, Sendable, CaseIterable { case text, json, markdown, svg }

    public static func render(_ r: StatsReport, format: Format) -> String {
        switch format {
        case .text: return text(r)
        case .markdown: return markdown(r)
        case .json: return json(r).serialized() + "\n"
        case .svg: return StatsSVG.render(r)
        }
    }

    static func ms(_ ns: Double) -> String { String(format: "%.3f", ns / 1e6) }
    static func p(_ v: Double) -> String { v < 1e-4 ? String(format: "%.1e", v) : String(format: "%.4f", v) }
    static func percent(_ v: Double) -> String { String(format: "%+.1f%%", v * 100) }

    /// What a metric is called in a report. Step times say what they measure.
    static func name(_ m: BootMetrics.Metric, _ r: StatsReport) -> String {
        switch m.kind {
        case .total, .phase, .interval: return m.name
        case .namedInterval: return r.definitions[m.name].map { "\(m.name) (\($0))" } ?? m.name
        case .timeSinceVMStart: return "step \(m.name) (time since VM start)"
        }
    }

    static func relative(_ c: StatsReport.Comparison) -> String { c.relative.map(percent) ?? "-" }
    static func interval(_ c: StatsReport.Comparison) -> String {
        c.relativeCI.map { "\(percent($0.low))..\(percent($0.high))" } ?? "-"
    }

    /// Trace-derived text on one line of a text table: control characters as `\xNN`.
    static func oneLine(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value) {
                let hex = String(u.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    // MARK: Sentences shared by the text and Markdown reports

    /// How many boots, in which groups: the report's first line.
    public static func groupsLine(_ r: StatsReport) -> String {
        let boots = r.groups.reduce(0) { $0 + $1.traces }
        let by = r.key.map { " by \($0)" } ?? ""
        let list = r.groups.map { "\($0.name) (\($0.traces))" }.joined(separator: ", ")
        return "\(boots) boot\(boots == 1 ? "" : "s") in \(r.groups.count) group\(r.groups.count == 1 ? "" : "s")\(by): \(list)"
    }

    /// Which group is the baseline, and why; nil for one group.
    public static func baselineLine(_ r: StatsReport) -> String? {
        guard r.groups.count > 1 else { return nil }
        return "baseline: \(r.groups[0].name) (\(r.baseline.reason))"
    }

    static func methodLine(_ r: StatsReport) -> String {
        "times in ms; median's \(StatsReport.number(r.bootstrap.level * 100))% interval: percentile bootstrap, \(r.bootstrap.resamples) resamples, seed \(r.bootstrap.seed); sd: sample standard deviation (n-1; the JSON also has the population sd, n, as cloud-hypervisor's CI prints)"
    }

    static func comparisonLine(_ g: StatsReport.Group, _ base: StatsReport.Group) -> String {
        "\(g.name) against \(base.name): change of the median, relative = median(\(g.name)) / median(\(base.name)) - 1 with its 95% percentile-bootstrap interval (each group resampled on its own); p: two-sided Mann-Whitney U (exact when a group has 8 boots or fewer and no value is tied, as scipy's method=\"auto\")"
    }

    /// One sentence per metric missing from some boots or groups.
    public static func missingLines(_ r: StatsReport) -> [String] {
        r.missing.map { m in
            let have = m.groups.filter { $0.n > 0 }.map { "\($0.name) (\($0.n) of \($0.of) boots)" }
            let lack = m.groups.filter { $0.n == 0 }.map(\.name)
            let label = m.metric.kind == .timeSinceVMStart ? "step \(m.metric.name)" : name(m.metric, r)
            return "\(label): in \(have.isEmpty ? "no group" : have.joined(separator: ", "))"
                + (lack.isEmpty ? "" : "; not in \(lack.joined(separator: ", "))")
        }
    }

    static func unfinishedLines(_ r: StatsReport) -> [String] {
        r.unfinished.map { u in
            "\(name(u.metric, r)): unfinished in \(u.boots) of \(u.of) boots of \(u.group) (the trace ended first; left out)"
        }
    }

    /// The verdict (`REGRESSED: ...`, `no regression`, `cannot decide: ...`); nil without a threshold.
    public static func verdictLine(_ r: StatsReport) -> String? {
        func item(_ x: (group: String, comparison: StatsReport.Comparison)) -> String {
            "\(x.group) \(name(x.comparison.metric, r)) \(relative(x.comparison)) (95% CI \(interval(x.comparison)), p = \(p(x.comparison.p)))"
        }
        switch r.decision {
        case .none: return nil
        case .regressed: return "REGRESSED: " + r.regressions.map(item).joined(separator: "; ")
        case .cannotDecide(let why): return "cannot decide: \(why)"
        case .noRegression:
            let better = r.improvements
            return "no regression" + (better.isEmpty ? "" : "; improved: " + better.map(item).joined(separator: "; "))
        }
    }

    // MARK: Text

    static func text(_ r: StatsReport) -> String {
        var out = oneLine(groupsLine(r)) + "\n"
        if let b = baselineLine(r) { out += oneLine(b) + "\n" }
        out += methodLine(r) + "\n\n"
        for g in r.groups {
            out += "\(oneLine(g.name)): \(g.traces) boot\(g.traces == 1 ? "" : "s")\n"
            var rows = [["metric", "n", "median", "95% CI", "min", "max", "mean", "sd"]]
            for s in g.summaries where s.metric.kind.isJudged {
                rows.append([
                    oneLine(name(s.metric, r)), String(s.n), ms(s.median), "\(ms(s.medianCI.low))..\(ms(s.medianCI.high))", ms(s.min),
                    ms(s.max), ms(s.mean), s.sd.map(ms) ?? "-",
                ])
            }
            out += TimelineText.table(rows, left: [0]) + "\n"
        }
        let verdicts = r.threshold != nil
        for g in r.groups.dropFirst() {
            out += oneLine(comparisonLine(g, r.groups[0])) + "\n"
            let head = ["metric", "baseline", "candidate", "change", "relative", "95% CI", "p"] + (verdicts ? ["verdict"] : [])
            func row(_ c: StatsReport.Comparison) -> [String] {
                [
                    oneLine(name(c.metric, r)), ms(c.baselineMedian), ms(c.candidateMedian), ms(c.difference), relative(c), interval(c),
                    p(c.p),
                ] + (verdicts ? [c.verdict?.rawValue ?? ""] : [])
            }
            let summary = g.comparisons.filter { $0.metric.kind != .interval }
            let chain = g.comparisons.filter { $0.metric.kind == .interval }
            if !summary.isEmpty { out += TimelineText.table([head] + summary.map(row), left: [0, 7]) }
            if !chain.isEmpty {
                out += "intervals of the chain, largest change first:\n"
                out += TimelineText.table([head] + chain.map(row), left: [0, 7])
            }
            out += "\n"
        }
        let missing = missingLines(r)
        if !missing.isEmpty {
            out += "missing from some boots (listed, not compared there):\n" + missing.map { "  " + oneLine($0) + "\n" }.joined()
        }
        for u in unfinishedLines(r) { out += "note: \(oneLine(u))\n" }
        for u in r.unreachable { out += "note: \(oneLine(u))\n" }
        if let rule = r.rule { out += "rule: \(rule)\n" }
        if let v = verdictLine(r) { out += oneLine(v) + "\n" }
        return out
    }

    // MARK: Markdown

    /// Group, label and metric names are outside text: `MarkdownText.inline` keeps them from
    /// breaking the tables.
    static func markdown(_ r: StatsReport) -> String {
        let md = MarkdownText.inline
        var out = md(groupsLine(r)) + "\n\n"
        if let b = baselineLine(r) { out += md(b) + "\n\n" }
        out += md(methodLine(r)) + "\n\n"
        if let v = verdictLine(r) { out += "**\(md(v))**\n\n" }
        if let rule = r.rule { out += "Rule: \(md(rule)).\n\n" }
        for g in r.groups {
            out +=
                "### \(md(g.name)) (\(g.traces) boots)\n\n| metric | n | median | 95% CI | min | max | mean | sd |\n|---|---:|---:|---|---:|---:|---:|---:|\n"
            for s in g.summaries where s.metric.kind.isJudged {
                out +=
                    "| \(md(name(s.metric, r))) | \(s.n) | \(ms(s.median)) | \(ms(s.medianCI.low))..\(ms(s.medianCI.high)) | \(ms(s.min)) | \(ms(s.max)) | \(ms(s.mean)) | \(s.sd.map(ms) ?? "-") |\n"
            }
            out += "\n"
        }
        for g in r.groups.dropFirst() {
            out +=
                "### \(md(g.name)) against \(md(r.groups[0].name))\n\nHow: \(md(comparisonLine(g, r.groups[0]))); the intervals of the chain come largest change first.\n\n"
            let verdicts = r.threshold != nil
            out +=
                "| metric | baseline | candidate | change | relative | 95% CI | p |\(verdicts ? " verdict |" : "")\n|---|---:|---:|---:|---:|---|---:|\(verdicts ? "---|" : "")\n"
            for c in g.comparisons {
                let verdict = c.verdict.map { $0 == .regressed ? " **REGRESSED** |" : " \(md($0.rawValue)) |" } ?? ""
                out +=
                    "| \(md(name(c.metric, r))) | \(ms(c.baselineMedian)) | \(ms(c.candidateMedian)) | \(ms(c.difference)) | \(relative(c)) | \(interval(c)) | \(p(c.p)) |\(verdict)\n"
            }
            out += "\n"
        }
        let missing = missingLines(r)
        if !missing.isEmpty {
            out += "Missing from some boots (listed, not compared there):\n\n" + missing.map { "- \(md($0))\n" }.joined() + "\n"
        }
        for u in unfinishedLines(r) + r.unreachable { out += "Note: \(md(u)).\n\n" }
        return out
    }

    // MARK: JSON

    static func json(_ r: StatsReport) -> JSONValue {
        func num(_ v: Double) -> JSONValue { v.isFinite ? .number(String(v)) : .null }
        func pair(_ v: (low: Double, high: Double)?) -> JSONValue { v.map { .array([num($0.low), num($0.high)]) } ?? .null }
        func metric(_ m: BootMetrics.Metric) -> [(String, JSONValue)] {
            var out: [(String, JSONValue)] = [("kind", .string(m.kind.rawValue)), ("name", .string(m.name))]
            if m.kind == .namedInterval, let d = r.definitions[m.name] { out.append(("definition", .string(d))) }
            return out
        }
        let decision: JSONValue
        switch r.decision {
        case .none: decision = .null
        case .noRegression: decision = .string("no_regression")
        case .regressed: decision = .string("regressed")
        case .cannotDecide: decision = .string("cannot_decide")
        }
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
            ("rule", r.rule.map(JSONValue.string) ?? .null),
            ("decision", decision),
            ("reason", { if case .cannotDecide(let why) = r.decision { return .string(why) } else { return .null } }()),
            ("regressed", .bool(!r.regressions.isEmpty)),
            ("group_by", r.key.map(JSONValue.string) ?? .null),
            ("baseline", r.groups.first.map { .string($0.name) } ?? .null),
            ("baseline_reason", .string(r.baseline.reason)),
            (
                "groups",
                .array(
                    r.groups.map { g in
                        .object([
                            ("name", .string(g.name)), ("traces", .uint(UInt64(g.traces))),
                            ("smallest_p", g.smallestP.map(num) ?? .null),
                            (
                                "metrics",
                                .array(
                                    g.summaries.map { s in
                                        .object(
                                            metric(s.metric) + [
                                                ("n", .uint(UInt64(s.n))), ("median", num(s.median)), ("median_ci", pair(s.medianCI)),
                                                ("min", num(s.min)), ("max", num(s.max)), ("p10", num(s.p10)), ("p90", num(s.p90)),
                                                ("mean", num(s.mean)), ("sd", s.sd.map(num) ?? .null),
                                                ("sd_population", num(s.sdPopulation)),
                                            ])
                                    })
                            ),
                            (
                                "against_baseline",
                                .array(
                                    g.comparisons.map { c in
                                        .object(
                                            metric(c.metric) + [
                                                ("baseline_n", .uint(UInt64(c.baselineN))), ("candidate_n", .uint(UInt64(c.candidateN))),
                                                ("baseline_median", num(c.baselineMedian)), ("candidate_median", num(c.candidateMedian)),
                                                ("difference", num(c.difference)), ("relative", c.relative.map(num) ?? .null),
                                                ("relative_ci", pair(c.relativeCI)), ("u", num(c.u)), ("p", num(c.p)),
                                                ("method", .string(c.method.rawValue)), ("smallest_p", num(c.smallestP)),
                                                ("verdict", c.verdict.map { .string($0.key) } ?? .null),
                                            ])
                                    })
                            ),
                        ])
                    })
            ),
            (
                "missing",
                .array(
                    r.missing.map { m in
                        .object(
                            metric(m.metric) + [
                                (
                                    "groups",
                                    .array(
                                        m.groups.map {
                                            .object([("name", .string($0.name)), ("n", .uint(UInt64($0.n))), ("of", .uint(UInt64($0.of)))])
                                        })
                                )
                            ])
                    })
            ),
            (
                "unfinished",
                .array(
                    r.unfinished.map { u in
                        .object(
                            metric(u.metric) + [
                                ("group", .string(u.group)), ("boots", .uint(UInt64(u.boots))), ("of", .uint(UInt64(u.of))),
                            ])
                    })
            ),
        ])
    }
}
