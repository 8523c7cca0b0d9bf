import Devices
import TraceFormat

extension TraceDiff {
    /// Compares two timelines; `outputs` are their regenerated outputs' differences and `masks`
    /// the masks they were compared with (from the streamed comparison, `compare(pathA:pathB:...)`).
    /// `judgingTimes`: times and IN counts beyond the tolerance decide too (`diff --times`);
    /// `ignoring` wins over both.
    public static func compare(
        _ a: BootTimeline, _ b: BootTimeline, tolerance: Tolerance = Tolerance(), ignoring: Set<DiffSection> = [],
        judgingTimes: Bool = false, outputs: [OutputDiff] = [], masks: [AppliedMask] = [.logTimes]
    ) -> TraceDiff {
        var reasons: [String] = []
        var timing: [String] = []
        var notJudged: [String] = []

        // Steps: behaviour is the sequence; intervals are timing.
        let (steps, aligned) = StepAlignment.pairs(a, b, tolerance: tolerance)
        let codeChanges = steps.filter { $0.change != .same && ($0.a?.code != nil || $0.b?.code != nil) }.count
        if codeChanges > 0 {
            reasons.append(
                "the POST code sequences differ (\(codeChanges) added, removed or changed"
                    + (aligned
                        ? ")" : "; too different to align within the work limit, so the differing middle is listed as removed and added)"))
        }
        let markChanges = steps.filter { $0.change != .same && $0.a?.code == nil && $0.b?.code == nil }
        if !markChanges.isEmpty && !ignoring.contains(.outputs) {
            reasons.append(
                "marks or console starts appear on one side only: \(listed(markChanges.map { "\($0.change == .added ? "+" : "-")\(($0.a ?? $0.b)!.label)" }))"
            )
        }
        let repeats = steps.filter(\.repeatsDiffer)
        if !repeats.isEmpty {
            notJudged.append(
                "repeat counts differ: \(listed(repeats.map { "\($0.a!.label) (x\($0.a!.count) against x\($0.b!.count))" }))")
        }

        // Phases (by name, whatever made them) and the whole boot.
        let phases = phasePairs(a, b, tolerance: tolerance)
        var totalChanged = false
        if let ta = a.total, let tb = b.total, !a.unfinished, !b.unfinished { totalChanged = tolerance.timeChanged(ta, tb) }
        if totalChanged { timing.append("the boot took \(TimeText.span(a.total!)) against \(TimeText.span(b.total!))") }
        let slowPhases = phases.filter(\.changed).map(\.name)
        if !slowPhases.isEmpty { timing.append("phase times changed beyond the tolerance: \(listed(slowPhases))") }
        let slowSteps = steps.filter(\.intervalChanged)
        if !slowSteps.isEmpty {
            timing.append(
                "\(slowSteps.count) step interval\(slowSteps.count == 1 ? "" : "s") changed beyond the tolerance: \(listed(slowSteps.map(\.intervalName), most: 3))"
            )
        }

        // Named intervals, by name; one that ends at the boot's end is not judged when a boot
        // never ended (its end is where the recording stopped).
        let endless = a.unfinished || b.unfinished
        let intervals = a.namedIntervals.map { ia in
            let ib = b.namedIntervals.first { $0.name == ia.name }
            var changed = false
            if let x = ia.duration, let y = ib?.duration, !(endless && ia.to == StepReference.bootEnd.description) {
                changed = tolerance.timeChanged(x, y)
            }
            return IntervalPair(name: ia.name, from: ia.from, to: ia.to, a: ia.duration, b: ib?.duration, changed: changed)
        }
        let slowIntervals = intervals.filter(\.changed).map(\.name)
        if !slowIntervals.isEmpty { timing.append("named intervals changed beyond the tolerance: \(listed(slowIntervals))") }

        // Outputs: compared as they were streamed, after masking.
        if !ignoring.contains(.outputs) && !outputs.isEmpty {
            reasons.append("regenerated output differs: \(outputs.map(\.name).joined(separator: ", "))")
        }

        // Port traffic: ports appearing or going are behaviour; OUT counts beyond the tolerance
        // too, except where the content is compared instead; IN counts are timing.
        let ports = portChanges(a, b, tolerance: tolerance)
        let appeared = ports.filter { $0.a == 0 && $0.b > 0 }.map(\.key.description)
        let gone = ports.filter { $0.a > 0 && $0.b == 0 }.map(\.key.description)
        if !appeared.isEmpty { reasons.append("ports appear: \(appeared.joined(separator: ", "))") }
        if !gone.isEmpty { reasons.append("ports disappear: \(gone.joined(separator: ", "))") }
        let counted = ports.filter { $0.changed && $0.a > 0 && $0.b > 0 }
        if !ignoring.contains(.counts) {
            let outs = counted.filter { $0.judged == .count }
            if !outs.isEmpty {
                reasons.append(
                    "OUT access counts changed beyond the tolerance: \(listed(outs.map { "\($0.key.description) (\($0.a) -> \($0.b))" }))")
            }
            let ins = counted.filter { $0.judged == .times }
            if !ins.isEmpty {
                timing.append(
                    "IN access counts changed beyond the tolerance: \(listed(ins.map { "\($0.key.description) (\($0.a) -> \($0.b))" }))")
            }
        }
        if !ignoring.contains(.times) {
            if judgingTimes { reasons += timing } else { notJudged += timing }
        }

        return TraceDiff(
            a: a, b: b, tolerance: tolerance, ignored: ignoring, judgesTimes: judgingTimes, steps: steps, stepsAligned: aligned,
            phases: phases, total: (a.total, b.total, totalChanged), intervals: intervals, outputs: outputs, masks: masks, ports: ports,
            inDifferences: inValueDifferences(a, b), metadata: metadataDifferences(a, b), reasons: reasons, notJudged: notJudged,
            notes: consoleNotes(a, b))
    }

    /// The phases of both boots by name (whatever made them), in order of first appearance; an
    /// unfinished phase is never judged.
    static func phasePairs(_ a: BootTimeline, _ b: BootTimeline, tolerance: Tolerance) -> [PhasePair] {
        let names = (a.phases.map(\.name) + b.phases.map(\.name)).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return names.map { name in
            let pa = a.phase(named: name)
            let pb = b.phase(named: name)
            var changed = false
            if let pa, let pb, !pa.unfinished, !pb.unfinished { changed = tolerance.timeChanged(pa.duration, pb.duration) }
            return PhasePair(name: name, a: pa, b: pb, changed: changed)
        }
    }

    /// Each port and direction either boot used, with its access counts and what judges it:
    /// IN counts are timing; OUT counts are behaviour, except where the content is compared.
    static func portChanges(_ a: BootTimeline, _ b: BootTimeline, tolerance: Tolerance) -> [PortChange] {
        let contentPorts = Self.contentPorts(a).union(Self.contentPorts(b))
        return Set(a.portCounts.keys).union(b.portCounts.keys).sorted().map { key in
            let ca = a.portCounts[key] ?? 0
            let cb = b.portCounts[key] ?? 0
            let judged: PortChange.Judged =
                key.direction == .in ? .times : contentPorts.contains(key.port) ? .content : .count
            return PortChange(key: key, a: ca, b: cb, changed: tolerance.countChanged(ca, cb), judged: judged)
        }
    }

    /// IN values at the same place in each port's sequence (shown, not judged): up to 5 a port.
    static func inValueDifferences(_ a: BootTimeline, _ b: BootTimeline) -> [InDifference] {
        var out: [InDifference] = []
        for port in Set(a.inValues.keys).intersection(b.inValues.keys).sorted() {
            let sa = a.inValues[port]!
            let sb = b.inValues[port]!
            guard sa.digest != sb.digest || sa.count != sb.count else { continue }
            var listed = 0
            for (i, (x, y)) in zip(sa.kept, sb.kept).enumerated() where x != y {
                out.append(InDifference(port: port, index: UInt64(i), a: x, b: y))
                listed += 1
                if listed == 5 { break }
            }
            if listed == 0 { out.append(InDifference(port: port, index: nil, a: [], b: [])) }
        }
        return out
    }

    /// Metadata keys whose values differ: shown, never judged.
    static func metadataDifferences(_ a: BootTimeline, _ b: BootTimeline) -> [(String, String, String)] {
        let keys = (a.metadata.fields.map(\.0) + b.metadata.fields.map(\.0)).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        return keys.compactMap { key in
            let va = a.metadata[key]?.serialized() ?? "-"
            let vb = b.metadata[key]?.serialized() ?? "-"
            return va == vb ? nil : (key, va, vb)
        }
    }

    /// The consoles outlasting the POST codes: said once when both boots show it.
    static func consoleNotes(_ a: BootTimeline, _ b: BootTimeline) -> [String] {
        switch (a.consoleOutlastsTheCodes, b.consoleOutlastsTheCodes) {
        case (.some, .some):
            return [
                "in both traces the consoles kept printing long after the last POST code: the codes do not cover the boot; for a Linux guest, --marks linux compares phases from its console"
            ]
        case (.some(let n), nil): return ["a: \(n)"]
        case (nil, .some(let n)): return ["b: \(n)"]
        case (nil, nil): return []
        }
    }

    /// The first `most` items, and how many more.
    static func listed(_ items: [String], most: Int = 5) -> String {
        items.count <= most
            ? items.joined(separator: ", ") : items.prefix(most).joined(separator: ", ") + " and \(items.count - most) more"
    }

    /// The ports whose content the comparison reads (0x80's codes, the consoles' bytes) under the
    /// timeline's release: their OUT counts are shown, and the content decides.
    static func contentPorts(_ t: BootTimeline) -> Set<UInt16> {
        guard
            let map = try? DeviceMap.forReplay(
                recorded: DeviceMap(metadata: t.metadata), profile: t.release.profile, debugConsole: nil, firmwareDebug: nil, serial: nil)
        else { return [] }
        return Set([DeviceMap.Model.debugPort, .debugConsole, .firmwareDebug, .serial].compactMap { map.port(of: $0) })
    }
}
