/// What reading a trace found about the trace itself: complete, not closed cleanly, or damaged.
/// The one verdict every command reports, built from the scan's problems and the header's
/// closed flag (a closed trace whose index is unusable is a problem of the scan), with the one
/// message every command prints.
///
/// - Damage is every problem that is not a warning (kinds from a newer writer, skipped on
///   purpose), except a cut at the end of a trace that was not closed: that is where its
///   recorder stopped. A damaged or cut header is always damage: a writer writes the whole
///   header before any event.
/// - Not closed cleanly, with no damage: a recorder that was killed, or a trace still being
///   written. Everything it holds is read.
public struct TraceVerdict: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case complete
        /// Not closed cleanly, and nothing else wrong.
        case unclosed
        /// The first damage, and how many more problems of damage follow it.
        case damaged(first: TraceReader.Problem, more: Int)
    }

    public let path: String
    public let state: State

    public init(path: String, closedCleanly: Bool, problems: [TraceReader.Problem]) {
        self.path = path
        let damage = problems.filter { !$0.isWarning && !($0.kind == .truncated && !closedCleanly && !$0.inHeader) }
        if let first = damage.first {
            state = .damaged(first: first, more: damage.count - 1)
        } else {
            state = closedCleanly ? .complete : .unclosed
        }
    }

    /// The verdict of a finished scan of `reader`.
    public init(_ reader: TraceReader, _ report: TraceReader.ScanReport) {
        self.init(path: reader.path, closedCleanly: reader.header.closedCleanly, problems: report.problems)
    }

    public var isComplete: Bool { state == .complete }
    public var isDamaged: Bool { if case .damaged = state { return true } else { return false } }

    /// The first damage, if any.
    public var firstDamage: TraceReader.Problem? { if case .damaged(let p, _) = state { return p } else { return nil } }

    /// One line for stderr, or nil for a complete trace: `t.pt: damaged at byte 812: block
    /// content is damaged: ... (and 2 more problems)`, `t.pt: not closed cleanly (the recorder
    /// stopped early); read as far as it goes`.
    public var message: String? {
        switch state {
        case .complete: return nil
        case .unclosed: return "\(path): not closed cleanly (the recorder stopped early); read as far as it goes"
        case .damaged(let first, let more):
            return
                "\(path): damaged at \(first)\(more > 0 ? " (and \(more) more problem\(more == 1 ? "" : "s"); 'porttrace info' lists them)" : "")"
        }
    }
}
