import Devices
import Foundation
import TraceFormat

/// When a time or a count has changed enough to be marked as changed. `--tolerance` sets these
/// thresholds and nothing else: which changes decide the verdict is `TraceDiff`'s rule (OUT
/// counts always; times and IN counts with `--times`).
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
                guard !sawFraction, let v = ValueSyntax.percent(Substring(p)) else { return nil }
                t.relative = v
                t.countRelative = v
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

/// Sections of a diff report; `--ignore` leaves one out of the report and the verdict.
public enum DiffSection: String, Sendable, CaseIterable {
    case times, counts, outputs, metadata
}

/// Two traces compared: the same guest under two VMM versions, two guest builds, two hosts.
///
/// The verdict is about behaviour (`reasons`): the POST code sequence (repeats collapsed), the
/// regenerated outputs after masking, ports appearing or disappearing, and OUT access counts
/// beyond the count tolerance. Times (the boot, its phases, the intervals of its chain, named
/// intervals) and IN access counts follow the host's speed and the guest's polling: they are
/// compared and those beyond the tolerance are marked, and they decide only when asked
/// (`judgingTimes`, `diff --times`); otherwise they are listed in `notJudged`. Two single boots
/// cannot tell a slower guest from a slower host: `stats` over many boots can.
public struct TraceDiff: Sendable {
    /// A step of each boot, aligned: POST codes as sequences (repeats collapsed), marks and
    /// console starts by name.
    public struct StepPair: Sendable {
        public enum Change: String, Sendable { case same, changed, added, removed }
        public var change: Change
        public var a: BootStep?
        public var b: BootStep?
        /// The interval the step closes in each boot, ns. For a step both boots have, from the
        /// last step before it that both boots have in their chains (or the VM's start), so the
        /// two sides time the same stretch; for a step one boot has, its own chain interval.
        /// nil outside the chain (back-steps, console starts).
        public var intervalA: Int64?
        public var intervalB: Int64?
        /// Where each interval starts: `VM start` or a step's label.
        public var fromA: String?
        public var fromB: String?
        /// Both intervals are known and differ beyond the tolerance.
        public var intervalChanged: Bool

        public init(
            change: Change, a: BootStep?, b: BootStep?, intervalA: Int64? = nil, intervalB: Int64? = nil, fromA: String? = nil,
            fromB: String? = nil, intervalChanged: Bool = false
        ) {
            self.change = change
            self.a = a
            self.b = b
            self.intervalA = intervalA
            self.intervalB = intervalB
            self.fromA = fromA
            self.fromB = fromB
            self.intervalChanged = intervalChanged
        }

        /// Both boots have the step, repeated a different number of times (shown, not judged).
        public var repeatsDiffer: Bool {
            guard let a, let b, change == .same else { return false }
            return a.count != b.count
        }

        /// How the interval is named in reports: `FROM -> TO` on side a (or b, for an added step).
        public var intervalName: String {
            let step = (a ?? b)!.label
            return "\((a != nil ? fromA : fromB) ?? "?") -> \(step)"
        }
    }

    /// A phase of each boot, by name (POST-code phases and phases from marks alike).
    public struct PhasePair: Sendable {
        public var name: String
        public var a: BootPhase?
        public var b: BootPhase?
        /// Both phases ended and their durations differ beyond the tolerance (an unfinished
        /// phase runs to the trace's end, which says when the recording stopped, not how long
        /// the phase took).
        public var changed: Bool
    }

    /// A named interval (`--interval`) of each boot.
    public struct IntervalPair: Sendable {
        public var name: String
        public var from: String
        public var to: String
        public var a: Int64?
        public var b: Int64?
        public var changed: Bool
    }

    public struct PortChange: Sendable {
        /// How a port's traffic counts in the verdict.
        public enum Judged: String, Sendable {
            /// OUT accesses: a count beyond the count tolerance is behaviour.
            case count
            /// A port whose content is compared instead (port 0x80's codes, a console's bytes):
            /// the count is shown, the content decides. Repeats of a code and masked console
            /// text change counts without changing behaviour.
            case content
            /// IN accesses: their number follows polling, which follows timing (`--times`).
            case times
        }

        public var key: PortKey
        public var a: UInt64
        public var b: UInt64
        /// The count changed beyond the count tolerance.
        public var changed: Bool
        public var judged: Judged
    }

    public struct InDifference: Sendable {
        public var port: UInt16
        /// 0-based position among the port's IN values; nil when only the digests differ (past the kept values).
        public var index: UInt64?
        public var a: [UInt8]
        public var b: [UInt8]
    }

    /// A mask the outputs were compared with, and on how many lines of each side it masked something.
    public struct AppliedMask: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// The VMM log's time fields (always).
            case logTimes = "vmm_log_times"
            /// VMM log lines of a POST code written again (no other code between), folded into
            /// the first, as the steps fold repeats (always); the lines are the ones folded.
            case logRepeats = "vmm_log_repeats"
            /// Linux's printk prefix on the consoles (by default).
            case printkTime = "printk_time"
            /// `--mask PATTERN`.
            case pattern
        }

        public var kind: Kind
        /// `VMM log times`, `printk time`, or the pattern.
        public var name: String
        public var outputs: [String]
        /// Lines it masked something in (nil: not counted, the log's times are masked in every line).
        public var linesA: Int?
        public var linesB: Int?

        public init(kind: Kind, name: String, outputs: [String], linesA: Int? = nil, linesB: Int? = nil) {
            self.kind = kind
            self.name = name
            self.outputs = outputs
            self.linesA = linesA
            self.linesB = linesB
        }

        public static let logTimes = AppliedMask(kind: .logTimes, name: "VMM log times", outputs: [Outputs.names[0]])
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
        /// VMM log lines of a repeated POST code folded into the line before them, per side: the
        /// hunks' line numbers count the log without them.
        public var folded: (a: Int, b: Int)?

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
            if let f = folded {
                notes.append(
                    "\(name): line numbers count the log with the lines of a repeated POST code folded into the first (\(f.a) folded in a, \(f.b) in b)"
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
    /// Times decide too (`--times`).
    public var judgesTimes: Bool
    public var steps: [StepPair]
    /// The POST code sequences were aligned within the work limit (else the differing middle
    /// is listed as removed and added).
    public var stepsAligned: Bool
    public var phases: [PhasePair]
    public var total: (a: Int64?, b: Int64?, changed: Bool)
    public var intervals: [IntervalPair]
    public var outputs: [OutputDiff]
    public var masks: [AppliedMask]
    public var ports: [PortChange]
    public var inDifferences: [InDifference]
    public var metadata: [(key: String, a: String, b: String)]
    /// Why the traces differ (empty: the same as far as the verdict goes).
    public var reasons: [String]
    /// What differs but does not decide: times beyond the tolerance without `--times`, repeat counts.
    public var notJudged: [String]
    /// What a reader should know about the boots (consoles that outlast the POST codes).
    public var notes: [String]

    public var isDifferent: Bool { !reasons.isEmpty }
}
