import Devices

/// `porttrace timeline --format text`: a summary line like systemd-analyze's, then the steps.
public enum TimelineText {
    public static func render(_ t: BootTimeline) -> String {
        var out = summary(t) + "\n"
        out += "trace: \(t.path), read as cloud-hypervisor \(t.release.release) (\(t.release.source.rawValue))\n"
        if let last = t.lastStepTime {
            var end = "the boot ends at the last step (\(TimeText.span(last)))"
            if let traceEnd = t.lastEventTime { end += "; the trace ends at \(TimeText.span(traceEnd))" }
            out += end + "\n"
        } else {
            out += "no POST codes: no phases (use --mark to time console lines)\n"
        }
        if t.backSteps > 0 {
            out +=
                "\(t.backSteps) back-step\(t.backSteps == 1 ? "" : "s"): codes of an earlier component after a later one began (marked \"back\"; they open no phase)\n"
        }
        if t.filteredOut > 0 { out += "\(t.filteredOut) POST codes left out by --codes\n" }
        if !t.closedCleanly { out += "the trace was not closed cleanly: read as far as it goes\n" }
        out += "\n"
        var rows: [[String]] = [["time", "+prev", "vcpu", "step"]]
        for s in t.steps {
            let prev: String
            if s.code != nil {
                prev = s.sincePrevious == 0 && rows.count == 1 ? "-" : "+" + TimeText.span(s.sincePrevious)
            } else {
                prev = ""
            }
            var what = s.label
            if case .mark(_, let device, let line) = s.kind { what += " (\(device): \(line))" }
            if s.isBackStep { what += "  back" }
            rows.append([TimeText.span(s.time), prev, String(s.vcpu), what])
        }
        out += table(rows)
        if !t.phases.isEmpty {
            out += "\n"
            var phaseRows: [[String]] = [["phase", "start", "end", "duration"]]
            for p in t.phases {
                phaseRows.append([p.component.rawValue, TimeText.span(p.start), TimeText.span(p.end), TimeText.span(p.duration)])
            }
            out += table(phaseRows)
        }
        return out
    }

    /// `Startup finished in 8.5ms (before first step) + 17.4ms (firmware) + ... = 61.1ms`.
    public static func summary(_ t: BootTimeline) -> String {
        guard !t.phases.isEmpty, let total = t.total else {
            return t.steps.isEmpty ? "No boot steps in \(t.path)." : "No POST codes in \(t.path), so no phases; its other steps are below."
        }
        var parts: [String] = []
        if let before = t.beforeFirstStep, before > 0 { parts.append("\(TimeText.span(before)) (before first step)") }
        for p in t.phases { parts.append("\(TimeText.span(p.duration)) (\(p.component.rawValue.lowercased()))") }
        return "Startup finished in " + parts.joined(separator: " + ") + " = " + TimeText.span(total)
    }

    /// Columns padded: right-aligned, but the `left` ones (default: the last) left-aligned;
    /// trailing blanks trimmed.
    static func table(_ rows: [[String]], left: Set<Int>? = nil) -> String {
        guard let width = rows.first?.count else { return "" }
        let leftColumns = left ?? [width - 1]
        var widths = [Int](repeating: 0, count: width)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            var line = r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return leftColumns.contains(i) ? c + pad : pad + c
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }
}
