import Devices
import Foundation
import TraceFormat

/// When a time or a count has changed enough to make two traces different.
public struct Tolerance: Sendable, Equatable {
    /// A time must change by both this fraction and `absoluteNs` to count.
    public var relative = 0.10
    public var absoluteNs: Int64 = 1_000_000
    /// An access count must change by this fraction.
    public var countRelative = 0.10

    public init() {}

    /// `5%,200us`: a fraction (for times and counts) and an absolute time, either or both;
    /// a part left out keeps its default (10%, 1ms).
    public init?(_ text: String) {
        var t = Tolerance()
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 2 else { return nil }
        var sawFraction = false
        var sawTime = false
        for part in parts {
            let p = part.trimmingCharacters(in: .whitespaces)
            if p.hasSuffix("%") {
                guard !sawFraction, let v = Double(p.dropLast()), v >= 0, v <= 1e6, v.isFinite else { return nil }
                t.relative = v / 100
                t.countRelative = v / 100
                sawFraction = true
            } else if !sawTime, p.contains(where: \.isLetter), let ns = TimeSpec.nanoseconds(p), ns >= 0 {
                t.absoluteNs = ns
                sawTime = true
            } else {
                return nil
            }
        }
        self = t
    }

    public func timeChanged(_ a: Int64, _ b: Int64) -> Bool {
        let d = abs(b - a)
        return d > absoluteNs && Double(d) > relative * Double(abs(a))
    }

    public func countChanged(_ a: UInt64, _ b: UInt64) -> Bool {
        let d = a > b ? a - b : b - a
        return Double(d) > countRelative * Double(a)
    }

    public var description: String {
        "\(String(format: "%g", relative * 100))% and \(TimeText.span(absoluteNs)) for times, \(String(format: "%g", countRelative * 100))% for counts"
    }
}

/// Sections of a diff report; all but metadata can decide the verdict.
public enum DiffSection: String, Sendable, CaseIterable {
    case times, counts, outputs, metadata
}

/// Two traces compared: the same guest under two VMM versions, two guest builds, two hosts.
public struct TraceDiff: Sendable {
    public struct StepPair: Sendable {
        public enum Change: String, Sendable { case same, changed, added, removed }
        public var change: Change
        public var a: BootStep?
        public var b: BootStep?
        /// The time moved by more than the tolerance (pairs present on both sides).
        public var timeChanged: Bool
    }

    public struct PhasePair: Sendable {
        public var component: DebugPortComponent
        public var a: BootPhase?
        public var b: BootPhase?
        public var changed: Bool
    }

    public struct PortChange: Sendable {
        public var key: PortKey
        public var a: UInt64
        public var b: UInt64
        public var changed: Bool
    }

    public struct InDifference: Sendable {
        public var port: UInt16
        /// 0-based position among the port's IN values; nil when only the digests differ (past the kept values).
        public var index: UInt64?
        public var a: [UInt8]
        public var b: [UInt8]
    }

    /// One regenerated output that differs: its unified diff, and what it does not show.
    public struct OutputDiff: Sendable {
        /// Lines of hunks shown per output by default; past them, lines are counted, not shown.
        public static let defaultShownLines = 100_000

        public var name: String
        /// `--- a/NAME`, `+++ b/NAME`, then the hunks, as `diff -u` prints them.
        public var hunks: [String]
        /// Hunks past the lines a report shows: counted, not shown.
        public var omitted: Omitted?
        /// Where the outputs stopped being aligned, when they were too different to align.
        public var unaligned: Unaligned?

        public init(name: String, hunks: [String], omitted: Omitted? = nil, unaligned: Unaligned? = nil) {
            self.name = name
            self.hunks = hunks
            self.omitted = omitted
            self.unaligned = unaligned
        }

        /// What `hunks` leaves out, past the lines a report shows: whole hunks, and the removed
        /// and inserted lines not shown (those of the hunks left out, and of a last hunk shown cut).
        public struct Omitted: Sendable, Equatable {
            public var hunks: Int
            public var lines: Int
            /// The hunk lines shown per output.
            public var limit: Int
        }

        public struct Unaligned: Sendable, Equatable {
            /// 1-based line of each side where alignment stopped.
            public var lineA: Int
            public var lineB: Int
            /// Lines from there to the end, per side.
            public var restA: Int
            public var restB: Int
            public var reason: String
        }

        /// Notes for a report: what is not shown and why.
        public var notes: [String] {
            var notes: [String] = []
            if let u = unaligned {
                notes.append(
                    "\(name): outputs diverge from line \(u.lineA) (a) and line \(u.lineB) (b); \(u.restA) and \(u.restB) more lines not aligned (\(u.reason))"
                )
            }
            if let o = omitted {
                notes.append(
                    "\(name): \(o.lines) more removed or added lines not shown" + (o.hunks > 0 ? " (\(o.hunks) more hunks)" : "")
                        + "; at most \(o.limit) lines of hunks are shown per output")
            }
            return notes
        }
    }

    public var a: BootTimeline
    public var b: BootTimeline
    public var tolerance: Tolerance
    public var ignored: Set<DiffSection>
    public var steps: [StepPair]
    public var phases: [PhasePair]
    public var total: (a: Int64?, b: Int64?, changed: Bool)
    public var outputs: [OutputDiff]
    public var ports: [PortChange]
    public var inDifferences: [InDifference]
    public var metadata: [(key: String, a: String, b: String)]
    /// Why the traces differ (empty: equal as far as the verdict goes).
    public var reasons: [String]

    public var isDifferent: Bool { !reasons.isEmpty }
}

extension TraceDiff {
    /// Compares two timelines; `outputs` are their regenerated outputs' differences (from the
    /// streamed comparison, `compare(pathA:pathB:...)`).
    public static func compare(
        _ a: BootTimeline, _ b: BootTimeline, tolerance: Tolerance = Tolerance(), ignoring: Set<DiffSection> = [],
        outputs: [OutputDiff] = []
    ) -> TraceDiff {
        var reasons: [String] = []

        // Steps: POST codes aligned as sequences (back-steps included: they are behaviour too).
        let postA = a.steps.filter { $0.code != nil }
        let postB = b.steps.filter { $0.code != nil }
        var steps: [StepPair] = []
        var pendingRemoved: [BootStep] = []
        func flushRemoved() {
            steps += pendingRemoved.map { StepPair(change: .removed, a: $0, b: nil, timeChanged: false) }
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
                steps.append(
                    StepPair(change: .same, a: postA[i], b: postB[j], timeChanged: tolerance.timeChanged(postA[i].time, postB[j].time)))
            case .remove(let i):
                pendingRemoved.append(postA[i])
            case .insert(let j):
                // A removal followed by an insertion at the same place is a changed code.
                if !pendingRemoved.isEmpty {
                    let old = pendingRemoved.removeFirst()
                    steps.append(StepPair(change: .changed, a: old, b: postB[j], timeChanged: false))
                } else {
                    steps.append(StepPair(change: .added, a: nil, b: postB[j], timeChanged: false))
                }
            }
        }
        flushRemoved()
        // Marks and console starts, matched by label.
        let othersA = a.steps.filter { $0.code == nil }
        let othersB = b.steps.filter { $0.code == nil }
        for s in othersA {
            if let t = othersB.first(where: { $0.label == s.label }) {
                steps.append(StepPair(change: .same, a: s, b: t, timeChanged: tolerance.timeChanged(s.time, t.time)))
            } else {
                steps.append(StepPair(change: .removed, a: s, b: nil, timeChanged: false))
            }
        }
        for t in othersB where !othersA.contains(where: { $0.label == t.label }) {
            steps.append(StepPair(change: .added, a: nil, b: t, timeChanged: false))
        }
        let codeChanges = steps.filter { $0.change != .same && ($0.a?.code != nil || $0.b?.code != nil) }.count
        if codeChanges > 0 {
            reasons.append(
                "the POST code sequences differ (\(codeChanges) added, removed or changed"
                    + (aligned == nil
                        ? "; too different to align within the work limit, so the differing middle is listed as removed and added)" : ")"))
        }
        let markChanges = steps.filter { $0.change != .same && $0.a?.code == nil && $0.b?.code == nil }
        if !markChanges.isEmpty { reasons.append("\(markChanges.count) marks or console starts appear on one side only") }

        // Phases and the whole boot.
        var phases: [PhasePair] = []
        for c in [DebugPortComponent.firmware, .bootloader, .kernel, .userspace, .custom] {
            let pa = a.phase(c)
            let pb = b.phase(c)
            guard pa != nil || pb != nil else { continue }
            let changed = pa != nil && pb != nil && tolerance.timeChanged(pa!.duration, pb!.duration)
            phases.append(PhasePair(component: c, a: pa, b: pb, changed: changed))
        }
        let totalChanged = a.total != nil && b.total != nil && tolerance.timeChanged(a.total!, b.total!)
        if !ignoring.contains(.times) {
            let slowSteps = steps.filter(\.timeChanged).count
            let slowPhases = phases.filter(\.changed).map { $0.component.rawValue.lowercased() }
            if totalChanged { reasons.append("the boot took \(TimeText.span(a.total!)) against \(TimeText.span(b.total!))") }
            if !slowPhases.isEmpty { reasons.append("phase times changed beyond the tolerance: \(slowPhases.joined(separator: ", "))") }
            if slowSteps > 0 { reasons.append("\(slowSteps) step times changed beyond the tolerance") }
        }

        // Outputs: compared as they were streamed (the VMM log with its times masked).
        if !ignoring.contains(.outputs) && !outputs.isEmpty {
            reasons.append("regenerated output differs: \(outputs.map(\.name).joined(separator: ", "))")
        }

        // Port traffic.
        var ports: [PortChange] = []
        for key in Set(a.portCounts.keys).union(b.portCounts.keys).sorted() {
            let ca = a.portCounts[key] ?? 0
            let cb = b.portCounts[key] ?? 0
            ports.append(PortChange(key: key, a: ca, b: cb, changed: tolerance.countChanged(ca, cb)))
        }
        let appeared = ports.filter { $0.a == 0 && $0.b > 0 }.map(\.key.description)
        let gone = ports.filter { $0.a > 0 && $0.b == 0 }.map(\.key.description)
        if !appeared.isEmpty { reasons.append("ports appear: \(appeared.joined(separator: ", "))") }
        if !gone.isEmpty { reasons.append("ports disappear: \(gone.joined(separator: ", "))") }
        if !ignoring.contains(.counts) {
            let counts = ports.filter { $0.changed && $0.a > 0 && $0.b > 0 }.count
            if counts > 0 { reasons.append("access counts changed beyond the tolerance on \(counts) ports") }
        }

        // IN values at the same place in each port's sequence (shown, not judged).
        var inDifferences: [InDifference] = []
        for port in Set(a.inValues.keys).intersection(b.inValues.keys).sorted() {
            let sa = a.inValues[port]!
            let sb = b.inValues[port]!
            guard sa.digest != sb.digest || sa.count != sb.count else { continue }
            var listed = 0
            for (i, (x, y)) in zip(sa.kept, sb.kept).enumerated() where x != y {
                inDifferences.append(InDifference(port: port, index: UInt64(i), a: x, b: y))
                listed += 1
                if listed == 5 { break }
            }
            if listed == 0 { inDifferences.append(InDifference(port: port, index: nil, a: [], b: [])) }
        }

        // Metadata: shown, never judged.
        var metadata: [(String, String, String)] = []
        let keys = (a.metadata.fields.map(\.0) + b.metadata.fields.map(\.0)).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        for key in keys {
            let va = a.metadata[key]?.serialized() ?? "-"
            let vb = b.metadata[key]?.serialized() ?? "-"
            if va != vb { metadata.append((key, va, vb)) }
        }

        return TraceDiff(
            a: a, b: b, tolerance: tolerance, ignored: ignoring, steps: steps, phases: phases, total: (a.total, b.total, totalChanged),
            outputs: outputs, ports: ports, inDifferences: inDifferences, metadata: metadata, reasons: reasons)
    }
}
