/// The steps of two boots aligned, and the interval each closes.
///
/// - POST codes (repeats collapsed, back-steps included: they are behaviour too) are aligned as
///   sequences, as `diff` aligns lines: a removal followed by an insertion at the same place is
///   a changed code. A step repeated 6 times in one boot and 5 in the other is the same step.
/// - Marks and console starts are matched by name and placed among the codes by time.
/// - Intervals: for a step both boots have in their chains, from the last step before it that
///   both have in their chains (the VM's start for the first), on each side, so both sides time
///   the same stretch even where one boot has an extra step between; for a step one boot alone
///   has, its own chain interval.
enum StepAlignment {
    static func pairs(_ a: BootTimeline, _ b: BootTimeline, tolerance: Tolerance) -> (pairs: [TraceDiff.StepPair], aligned: Bool) {
        typealias Pair = TraceDiff.StepPair
        let postA = a.steps.filter { $0.code != nil }
        let postB = b.steps.filter { $0.code != nil }
        var pairs: [Pair] = []
        var pendingRemoved: [BootStep] = []
        func flushRemoved() {
            pairs += pendingRemoved.map { Pair(change: .removed, a: $0, b: nil) }
            pendingRemoved.removeAll()
        }
        let codesA = postA.map(\.code)
        let codesB = postB.map(\.code)
        let aligned = EditScript.align(codesA, codesB)
        let blocks = aligned ?? EditScript.wholeReplacement(codesA, codesB)
        for e in EditScript.edits(blocks, countA: codesA.count, countB: codesB.count) {
            switch e {
            case .keep(let i, let j):
                flushRemoved()
                pairs.append(Pair(change: .same, a: postA[i], b: postB[j]))
            case .remove(let i):
                pendingRemoved.append(postA[i])
            case .insert(let j):
                if !pendingRemoved.isEmpty {
                    pairs.append(Pair(change: .changed, a: pendingRemoved.removeFirst(), b: postB[j]))
                } else {
                    pairs.append(Pair(change: .added, a: nil, b: postB[j]))
                }
            }
        }
        flushRemoved()

        // Marks and console starts (a few): matched by label, each placed before the first step
        // that comes later on its side.
        let othersA = a.steps.filter { $0.code == nil }
        let othersB = b.steps.filter { $0.code == nil }
        var others: [Pair] = []
        for s in othersA {
            if let t = othersB.first(where: { $0.label == s.label }) {
                others.append(Pair(change: .same, a: s, b: t))
            } else {
                others.append(Pair(change: .removed, a: s, b: nil))
            }
        }
        for t in othersB where !othersA.contains(where: { $0.label == t.label }) {
            others.append(Pair(change: .added, a: nil, b: t))
        }
        for o in others {
            let onA = o.a != nil
            let time = (o.a ?? o.b)!.time
            let at = pairs.firstIndex { p in
                guard let s = onA ? p.a : p.b else { return false }
                return s.time > time
            }
            pairs.insert(o, at: at ?? pairs.endIndex)
        }

        // Intervals.
        var anchorA: (time: Int64, label: String)? = a.originKnown ? (0, "VM start") : nil
        var anchorB: (time: Int64, label: String)? = b.originKnown ? (0, "VM start") : nil
        for i in pairs.indices {
            let p = pairs[i]
            if let sa = p.a, let sb = p.b, sa.inChain, sb.inChain {
                if let fa = anchorA, let fb = anchorB, sa.time >= fa.time, sb.time >= fb.time {
                    pairs[i].intervalA = sa.time - fa.time
                    pairs[i].fromA = fa.label
                    pairs[i].intervalB = sb.time - fb.time
                    pairs[i].fromB = fb.label
                    anchorA = (sa.time, sa.label)
                    anchorB = (sb.time, sb.label)
                } else if anchorA == nil || anchorB == nil {
                    // A first step whose VM start one trace does not record: no interval there.
                    (pairs[i].intervalA, pairs[i].fromA) = own(sa)
                    (pairs[i].intervalB, pairs[i].fromB) = own(sb)
                    anchorA = (sa.time, sa.label)
                    anchorB = (sb.time, sb.label)
                } else {
                    // The two chains order this step differently (a mark racing a code): each
                    // side's own interval, and the common anchor stays.
                    (pairs[i].intervalA, pairs[i].fromA) = own(sa)
                    (pairs[i].intervalB, pairs[i].fromB) = own(sb)
                }
            } else {
                if let sa = p.a, sa.inChain { (pairs[i].intervalA, pairs[i].fromA) = own(sa) }
                if let sb = p.b, sb.inChain { (pairs[i].intervalB, pairs[i].fromB) = own(sb) }
            }
            if let x = pairs[i].intervalA, let y = pairs[i].intervalB {
                pairs[i].intervalChanged = tolerance.timeChanged(x, y)
            }
        }
        return (pairs, aligned != nil)
    }

    /// A step's own chain interval and where it starts.
    private static func own(_ s: BootStep) -> (Int64?, String?) {
        guard let interval = s.interval else { return (nil, nil) }
        return (interval, s.intervalFrom ?? "VM start")
    }
}
