import Devices
import Foundation
import TraceFormat

/// `porttrace diff A B`: the verdict and its reasons, what differs without deciding, the masks,
/// then the boot's phases, the steps with the intervals they close, named intervals, port
/// traffic, IN values, the outputs' unified diffs and metadata.
extension DiffReport {
    static func change(_ a: Int64?, _ b: Int64?) -> String {
        guard let a, let b else { return "" }
        let d = b - a
        let sign = d >= 0 ? "+" : "-"
        let pct = a == 0 ? "" : String(format: " (%@%.1f%%)", d >= 0 ? "+" : "-", abs(Double(d)) * 100 / Double(abs(a)))
        return sign + TimeText.span(abs(d)) + pct
    }

    static func span(_ v: Int64?) -> String { v.map(TimeText.span) ?? "-" }

    /// A phase's duration, `(unfinished)` when it ran to the end of the trace.
    static func duration(_ p: BootPhase?) -> String {
        guard let p else { return "-" }
        return TimeText.span(p.duration) + (p.unfinished ? " (unfinished)" : "")
    }

    /// A step as the table names it: `0x0 Firmware x6`, `0x0 Firmware x6 | x5` (repeats that
    /// differ), `0x20 Bootloader | 0x21 Bootloader` (a changed code).
    static func stepName(_ p: TraceDiff.StepPair) -> String {
        func repeats(_ s: BootStep) -> String { s.count > 1 ? " x\(s.count)" : "" }
        switch (p.a, p.b) {
        case (let a?, let b?) where p.change == .changed: return "\(a.label)\(repeats(a)) | \(b.label)\(repeats(b))"
        case (let a?, let b?) where a.count != b.count: return "\(a.label) x\(a.count) | x\(b.count)"
        default:
            let s = (p.a ?? p.b)!
            return s.label + repeats(s)
        }
    }

    /// Where the step's interval starts, on both sides (`X | Y` when they differ).
    static func intervalFrom(_ p: TraceDiff.StepPair) -> String {
        if (p.a ?? p.b)!.isBackStep { return "(back-step)" }
        switch (p.fromA, p.fromB) {
        case (let x?, let y?): return x == y ? x : "\(x) | \(y)"
        case (let x?, nil): return x
        case (nil, let y?): return y
        case (nil, nil): return ""
        }
    }

    /// The steps a table lists: console starts only where one side lacks them (their times are
    /// in JSON; the chain's intervals are what the table compares).
    static func listedSteps(_ d: TraceDiff) -> [TraceDiff.StepPair] {
        d.steps.filter { p in
            if case .consoleStart = (p.a ?? p.b)!.kind { return p.change != .same }
            return true
        }
    }

    static func sign(_ c: TraceDiff.StepPair.Change) -> String {
        switch c {
        case .same: return " "
        case .changed: return "~"
        case .added: return "+"
        case .removed: return "-"
        }
    }

    /// `VMM log times; printk time on the consoles (12 lines in a, 12 in b)`. The folding of
    /// repeated POST code lines is named where it folded something.
    static func maskList(_ d: TraceDiff) -> String {
        d.masks.compactMap { m -> String? in
            func counted(_ s: String) -> String {
                guard let x = m.linesA, let y = m.linesB else { return s }
                return s + " (\(x) line\(x == 1 ? "" : "s") in a, \(y) in b)"
            }
            switch m.kind {
            case .logTimes: return m.name
            case .logRepeats: return m.linesA == 0 && m.linesB == 0 ? nil : counted("\(m.name) folded in the VMM log")
            case .printkTime, .pattern:
                let consoles = Array(Outputs.names[1...])
                let on =
                    m.outputs == Outputs.names ? "all outputs" : m.outputs == consoles ? "the consoles" : m.outputs.joined(separator: ", ")
                return counted("\(m.kind == .pattern ? "'\(m.name)'" : m.name) on \(on)")
            }
        }.joined(separator: "; ")
    }

    static func portChange(_ p: TraceDiff.PortChange) -> String {
        let delta = Int64(p.b) - Int64(p.a)
        let pct = p.a == 0 ? "new" : String(format: "%+.1f%%", Double(delta) * 100 / Double(p.a))
        return "\(delta >= 0 ? "+" : "")\(delta) (\(pct))"
    }

    static func decidedBy(_ p: TraceDiff.PortChange) -> String {
        switch p.judged {
        case .count: return "count"
        case .content: return "content"
        case .times: return "--times"
        }
    }

    static func text(_ d: TraceDiff, paint: Paint) -> String {
        var out =
            paint.bold(
                "porttrace diff: \(paint.text(d.a.path)) (cloud-hypervisor \(d.a.release.release)) vs \(paint.text(d.b.path)) (\(d.b.release.release))"
            )
            + "\n"
        out += (d.isDifferent ? paint.red("DIFFERENT") : paint.green("SAME")) + (d.judgesTimes ? " (times judged: --times)" : "") + "\n"
        for r in d.reasons { out += "  - \(paint.text(r))\n" }
        if !d.notJudged.isEmpty {
            out += "not judged" + (d.judgesTimes ? "" : " (times decide only with --times)") + ":\n"
            for r in d.notJudged { out += "  - \(paint.text(r))\n" }
        }
        for n in d.notes { out += paint.yellow("note: \(paint.text(n))") + "\n" }
        out += "tolerance: \(d.tolerance.description)\n"
        out += "masks: \(paint.text(maskList(d)))\n"

        func starred(_ table: String) -> String {
            table.split(separator: "\n").map { line -> String in
                switch line.first {
                case "+": return paint.green(String(line))
                case "-": return paint.red(String(line))
                case "~": return paint.yellow(String(line))
                default: return line.hasSuffix("*") ? paint.yellow(String(line)) : String(line)
                }
            }.joined(separator: "\n") + "\n"
        }

        if !d.ignored.contains(.times) {
            let source = d.a.phaseSource == .postCodes ? "phases from POST codes" : "phases from console marks"
            out += "\n" + paint.bold("Boot") + " (\(source); * beyond the tolerance)\n"
            var rows = [["", "a", "b", "change", ""]]
            rows.append(["total", span(d.total.a), span(d.total.b), change(d.total.a, d.total.b), d.total.changed ? "*" : ""])
            for p in d.phases {
                rows.append([
                    paint.text(p.name), duration(p.a), duration(p.b), change(p.a?.duration, p.b?.duration), p.changed ? "*" : "",
                ])
            }
            out += starred(TimelineText.table(rows, left: [4]))
        }

        let listed = listedSteps(d)
        if !listed.isEmpty {
            let times = !d.ignored.contains(.times)
            out +=
                "\n" + paint.bold("Steps")
                + (times
                    ? " (repeats collapsed; the interval each closes, from the last step before it that both boots have)\n"
                    : " (repeats collapsed)\n")
            var rows = [times ? [" ", "step", "interval from", "a", "b", "change", ""] : [" ", "step"]]
            for p in listed {
                var row = [sign(p.change), paint.text(stepName(p))]
                if times {
                    row += [
                        paint.text(intervalFrom(p)), span(p.intervalA), span(p.intervalB), change(p.intervalA, p.intervalB),
                        p.intervalChanged ? "*" : "",
                    ]
                }
                rows.append(row)
            }
            out += starred(TimelineText.table(rows, left: [0, 1, 2, 6]))
        }

        if !d.ignored.contains(.times) && !d.intervals.isEmpty {
            out += "\n" + paint.bold("Intervals") + "\n"
            var rows = [["", "from..to", "a", "b", "change", ""]]
            for i in d.intervals {
                rows.append([
                    paint.text(i.name), paint.text("\(i.from)..\(i.to)"), span(i.a), span(i.b), change(i.a, i.b), i.changed ? "*" : "",
                ])
            }
            out += starred(TimelineText.table(rows, left: [0, 1, 5]))
        }

        if !d.ignored.contains(.counts) {
            let shown = d.ports.filter { $0.a != $0.b }
            out +=
                "\n" + paint.bold("Port traffic")
                + " (\(d.ports.count) ports and directions; \(shown.count) differ; * beyond the tolerance)\n"
            if !shown.isEmpty {
                var rows = [["port", "a", "b", "change", "", "decided by"]]
                for p in shown {
                    rows.append([p.key.description, String(p.a), String(p.b), portChange(p), p.changed ? "*" : "", decidedBy(p)])
                }
                out += TimelineText.table(rows, left: [4, 5])
            }
            if !d.inDifferences.isEmpty {
                out += "\n" + paint.bold("IN values") + " (at the same place in each port's sequence; shown, not judged)\n"
                for x in d.inDifferences {
                    if let i = x.index {
                        out += "  in 0x\(String(x.port, radix: 16)) #\(i): a \(hex(x.a)), b \(hex(x.b))\n"
                    } else {
                        out += "  in 0x\(String(x.port, radix: 16)): the sequences differ after the values kept for comparison\n"
                    }
                }
            }
        }

        if !d.ignored.contains(.outputs) && !d.outputs.isEmpty {
            out += "\n" + paint.bold("Outputs") + " (compared after masking; the lines shown are the real ones)\n"
            for o in d.outputs {
                out += o.hunks.map(paint.diffLine).joined(separator: "\n") + "\n"
                for n in o.notes { out += paint.yellow("  " + paint.text(n)) + "\n" }
            }
        }

        if !d.ignored.contains(.metadata) && !d.metadata.isEmpty {
            out += "\n" + paint.bold("Metadata") + " (shown, never judged)\n"
            for m in d.metadata { out += "  \(paint.text(m.key)): \(paint.text(clip(m.a))) | \(paint.text(clip(m.b)))\n" }
        }
        return out
    }

    static func markdown(_ d: TraceDiff) -> String {
        var out = "## porttrace diff: \(Markdown.code(d.a.path)) vs \(Markdown.code(d.b.path))\n\n"
        out +=
            "**\(d.isDifferent ? "Different" : "Same")** (cloud-hypervisor \(d.a.release.release) / \(d.b.release.release); tolerance \(d.tolerance.description)\(d.judgesTimes ? "; times judged" : ""))\n\n"
        for r in d.reasons { out += "- \(Markdown.text(r))\n" }
        if !d.reasons.isEmpty { out += "\n" }
        if !d.notJudged.isEmpty {
            out += "Not judged\(d.judgesTimes ? "" : " (times decide only with `--times`)"):\n\n"
            for r in d.notJudged { out += "- \(Markdown.text(r))\n" }
            out += "\n"
        }
        for n in d.notes { out += "_Note: \(Markdown.text(n))_\n\n" }
        out += "Masks: \(Markdown.text(maskList(d)))\n\n"
        if !d.ignored.contains(.times) {
            out += "| phase | a | b | change | |\n|---|---:|---:|---:|---|\n"
            out +=
                "| total | \(span(d.total.a)) | \(span(d.total.b)) | \(change(d.total.a, d.total.b)) | \(d.total.changed ? "changed" : "") |\n"
            for p in d.phases {
                out +=
                    "| \(Markdown.cell(p.name)) | \(duration(p.a)) | \(duration(p.b)) | \(change(p.a?.duration, p.b?.duration)) | \(p.changed ? "changed" : "") |\n"
            }
            out += "\n"
        }
        let listed = listedSteps(d)
        if !listed.isEmpty {
            if d.ignored.contains(.times) {
                out += "| | step |\n|---|---|\n"
                for p in listed { out += "| \(p.change == .same ? "" : p.change.rawValue) | \(Markdown.cell(stepName(p))) |\n" }
            } else {
                out += "| | step | interval from | a | b | change | |\n|---|---|---|---:|---:|---:|---|\n"
                for p in listed {
                    out +=
                        "| \(p.change == .same ? "" : p.change.rawValue) | \(Markdown.cell(stepName(p))) | \(Markdown.cell(intervalFrom(p))) | \(span(p.intervalA)) | \(span(p.intervalB)) | \(change(p.intervalA, p.intervalB)) | \(p.intervalChanged ? "changed" : "") |\n"
                }
            }
        }
        if !d.ignored.contains(.times) && !d.intervals.isEmpty {
            out += "\n| interval | from..to | a | b | change | |\n|---|---|---:|---:|---:|---|\n"
            for i in d.intervals {
                out +=
                    "| \(Markdown.cell(i.name)) | \(Markdown.cell("\(i.from)..\(i.to)")) | \(span(i.a)) | \(span(i.b)) | \(change(i.a, i.b)) | \(i.changed ? "changed" : "") |\n"
            }
        }
        if !d.ignored.contains(.counts), d.ports.contains(where: { $0.a != $0.b }) {
            out += "\n| port | a | b | change | | decided by |\n|---|---:|---:|---:|---|---|\n"
            for p in d.ports where p.a != p.b {
                out += "| \(p.key.description) | \(p.a) | \(p.b) | \(portChange(p)) | \(p.changed ? "changed" : "") | \(decidedBy(p)) |\n"
            }
        }
        if !d.ignored.contains(.outputs) {
            for o in d.outputs {
                out += "\n" + Markdown.codeBlock(o.hunks, info: "diff")
                for n in o.notes { out += "\n_\(Markdown.text(n))_\n" }
            }
        }
        if !d.ignored.contains(.metadata) && !d.metadata.isEmpty {
            out += "\n| metadata | a | b |\n|---|---|---|\n"
            for m in d.metadata {
                out += "| \(Markdown.cell(m.key)) | \(Markdown.codeCell(clip(m.a))) | \(Markdown.codeCell(clip(m.b))) |\n"
            }
        }
        return out
    }

    static func json(_ d: TraceDiff) -> JSONValue {
        func opt(_ v: Int64?) -> JSONValue { v.map(JSONValue.int) ?? .null }
        func optString(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        var f: [(String, JSONValue)] = [
            ("a", .string(d.a.path)), ("b", .string(d.b.path)),
            ("a_trace_id", d.a.metadata.traceID.map(JSONValue.string) ?? .null),
            ("b_trace_id", d.b.metadata.traceID.map(JSONValue.string) ?? .null),
            ("a_release", .string(d.a.release.release.tag)), ("b_release", .string(d.b.release.release.tag)),
            ("different", .bool(d.isDifferent)), ("reasons", .array(d.reasons.map(JSONValue.string))),
            ("not_judged", .array(d.notJudged.map(JSONValue.string))), ("notes", .array(d.notes.map(JSONValue.string))),
            ("judges_times", .bool(d.judgesTimes)),
            (
                "tolerance",
                .object([
                    ("relative", .number(String(d.tolerance.relative))), ("absolute_ns", .int(d.tolerance.absoluteNs)),
                    ("count_relative", .number(String(d.tolerance.countRelative))),
                ])
            ),
            (
                "masks",
                .array(
                    d.masks.map { m in
                        .object([
                            ("kind", .string(m.kind.rawValue)), ("name", .string(m.name)),
                            ("outputs", .array(m.outputs.map(JSONValue.string))),
                            ("lines_a", m.linesA.map { .uint(UInt64($0)) } ?? .null),
                            ("lines_b", m.linesB.map { .uint(UInt64($0)) } ?? .null),
                        ])
                    })
            ),
            (
                "total_ns",
                .object([
                    ("a", opt(d.total.a)), ("b", opt(d.total.b)), ("changed", .bool(d.total.changed)),
                    ("a_unfinished", .bool(d.a.unfinished)), ("b_unfinished", .bool(d.b.unfinished)),
                ])
            ),
        ]
        f.append(
            (
                "phases",
                .array(
                    d.phases.map { p in
                        .object([
                            ("phase", .string(p.name)), ("a_ns", opt(p.a?.duration)), ("b_ns", opt(p.b?.duration)),
                            ("a_start_ns", opt(p.a?.start)), ("b_start_ns", opt(p.b?.start)),
                            ("a_unfinished", p.a.map { .bool($0.unfinished) } ?? .null),
                            ("b_unfinished", p.b.map { .bool($0.unfinished) } ?? .null), ("changed", .bool(p.changed)),
                        ])
                    })
            ))
        f.append(
            (
                "steps",
                .array(
                    d.steps.map { p in
                        .object([
                            ("change", .string(p.change.rawValue)), ("a", p.a.map(TimelineJSON.step) ?? .null),
                            ("b", p.b.map(TimelineJSON.step) ?? .null), ("interval_a_ns", opt(p.intervalA)),
                            ("interval_b_ns", opt(p.intervalB)),
                            ("interval_from_a", optString(p.fromA)), ("interval_from_b", optString(p.fromB)),
                            ("interval_changed", .bool(p.intervalChanged)), ("repeats_differ", .bool(p.repeatsDiffer)),
                        ])
                    })
            ))
        f.append(
            (
                "intervals",
                .array(
                    d.intervals.map { i in
                        .object([
                            ("name", .string(i.name)), ("from", .string(i.from)), ("to", .string(i.to)), ("a_ns", opt(i.a)),
                            ("b_ns", opt(i.b)), ("changed", .bool(i.changed)),
                        ])
                    })
            ))
        f.append(
            (
                "ports",
                .array(
                    d.ports.map {
                        .object([
                            ("port", .uint(UInt64($0.key.port))), ("direction", .string($0.key.direction.description)), ("a", .uint($0.a)),
                            ("b", .uint($0.b)), ("changed", .bool($0.changed)), ("decided_by", .string($0.judged.rawValue)),
                        ])
                    })
            ))
        f.append(
            (
                "in_differences",
                .array(
                    d.inDifferences.map {
                        .object([
                            ("port", .uint(UInt64($0.port))), ("index", $0.index.map(JSONValue.uint) ?? .null), ("a", .string(hex($0.a))),
                            ("b", .string(hex($0.b))),
                        ])
                    })
            ))
        f.append(("outputs", .array(d.outputs.map(json))))
        f.append(("metadata", .array(d.metadata.map { .object([("key", .string($0.key)), ("a", .string($0.a)), ("b", .string($0.b))]) })))
        return .object(f)
    }
}
