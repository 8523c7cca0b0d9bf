import Devices

/// `porttrace timeline --format text`: a summary line like systemd-analyze's, then the steps.
public enum TimelineText {
    public static func render(_ t: BootTimeline) -> String {
        var out = summary(t) + "\n"
        out += "trace: \(t.path), read as cloud-hypervisor \(t.release.release) (\(t.release.source.rawValue))\n"
        out += ending(t) + "\n"
        if let e = t.ending { out += "the recording ended: \(e.reason)\(e.failed ? " (a failed boot)" : "")\n" }
        if let note = t.consoleOutlastsTheCodes { out += "note: \(note)\n" }
        if t.backSteps > 0 {
            out +=
                "\(t.backSteps) back-step\(t.backSteps == 1 ? "" : "s"): codes of an earlier component after a later one began (marked \"back\"; outside the chain, they end no phase)\n"
        }
        if t.filteredOut > 0 { out += "\(t.filteredOut) POST codes left out by --codes\n" }
        if t.stepsLeftOut > 0 {
            out +=
                "\(t.stepsLeftOut) more POST steps are not listed (past the first \(t.postSteps.count + t.backSteps)); the phases count them\n"
        }
        if !t.closedCleanly { out += "the trace was not closed cleanly: read as far as it goes\n" }
        out += "\n"
        var rows: [[String]] = [["time", "interval", "vcpu", "step"]]
        if t.originKnown { rows.append(["0", "", "", "VM start"]) }
        for s in t.steps {
            let interval: String
            if s.isBackStep {
                interval = "back"
            } else if let i = s.interval {
                interval = "+" + TimeText.span(i)
            } else {
                interval = s.inChain ? "-" : ""
            }
            var what = s.labelWithRepeats
            if case .mark(_, let device, let line) = s.kind { what += " (\(device): \(line))" }
            rows.append([TimeText.span(s.time), interval, String(s.vcpu), what])
        }
        out += table(rows)
        if !t.phases.isEmpty {
            out += "\n"
            var phaseRows: [[String]] = [["phase", "start", "end", "duration"]]
            for p in t.phases {
                phaseRows.append([
                    p.name, TimeText.span(p.start), TimeText.span(p.end) + (p.unfinished ? " (unfinished)" : ""), TimeText.span(p.duration),
                ])
            }
            out += table(phaseRows, left: [0])
        }
        if !t.namedIntervals.isEmpty {
            out += "\n"
            var rows: [[String]] = [["interval", "from", "to", "duration"]]
            for i in t.namedIntervals {
                rows.append([
                    i.name, i.start.map { "\(i.from) \(TimeText.span($0))" } ?? "\(i.from) (never)",
                    i.end.map { "\(i.to) \(TimeText.span($0))" } ?? "\(i.to) (never)", i.duration.map(TimeText.span) ?? "-",
                ])
            }
            out += table(rows, left: [0])
        }
        return out
    }

    /// How the boot ends, and where the trace does.
    static func ending(_ t: BootTimeline) -> String {
        let traceEnd = t.lastEventTime.map { "; the trace ends at \(TimeText.span($0))" } ?? ""
        switch t.phaseSource {
        case .postCodes:
            guard let end = t.bootEnd else {
                return "no POST codes: no phases (--mark times console lines; --marks linux times a Linux guest from its console)"
            }
            return "phases from POST codes; the boot ends at its last step (\(TimeText.span(end)))" + traceEnd
        case .marks(let set):
            guard let last = t.phases.last else { return "phases from console marks (\(set)): none of their marks was printed" + traceEnd }
            if last.unfinished {
                return "phases from console marks (\(set)); the \(last.name) phase never ended: it runs to the end of the trace" + traceEnd
            }
            return "phases from console marks (\(set)); the boot ends at \(TimeText.span(last.end))" + traceEnd
        }
    }

    /// `Startup finished in 8.5ms (before first step) + 17.4ms (firmware) + ... = 61.1ms`.
    public static func summary(_ t: BootTimeline) -> String {
        if let w = t.shownWindow {
            // A window shows parts of phases: their sum is not the boot's length.
            let from = w.lowerBound == .min ? "the start" : TimeText.span(w.lowerBound)
            let to = w.upperBound == .max ? "the end" : TimeText.span(w.upperBound)
            let parts = t.phases.map { "\($0.name) \(TimeText.span($0.duration))" }
            return "From \(from) to \(to): " + (parts.isEmpty ? "no phase" : parts.joined(separator: ", "))
                + " (phases clipped to the window)"
        }
        guard !t.phases.isEmpty, let total = t.total else {
            return t.steps.isEmpty ? "No boot steps in \(t.path)." : "No phases in \(t.path); its steps are below."
        }
        var parts: [String] = []
        if let first = t.phases.first, let start = t.bootStart, first.start > start {
            parts.append("\(TimeText.span(first.start - start)) (before first step)")
        }
        for p in t.phases { parts.append("\(TimeText.span(p.duration)) (\(p.name.lowercased())\(p.unfinished ? ", unfinished" : ""))") }
        return "Startup \(t.unfinished ? "not finished after" : "finished in") " + parts.joined(separator: " + ") + " = "
            + TimeText.span(total)
    }

    /// The intervals of a boot, slowest first (as `systemd-analyze blame`): the chain's, then
    /// the named ones among them.
    public static func blame(_ t: BootTimeline) -> String {
        var items: [(Int64, String)] = t.intervals.map { ($0.duration, $0.name) }
        for i in t.namedIntervals { if let d = i.duration { items.append((d, "\(i.name) (\(i.from)..\(i.to))")) } }
        items.sort { $0.0 > $1.0 }
        guard !items.isEmpty else { return "No intervals in \(t.path): no steps in its chain.\n" }
        return table(items.map { [TimeText.span($0.0), $0.1] })
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
