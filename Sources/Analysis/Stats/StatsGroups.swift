import Foundation

/// Which group the others are compared with, and why: a report says it, so that a reader never
/// has to guess which side a `+` is on.
public enum BaselineChoice: Sendable, Equatable {
    /// `--baseline A... --candidate B...`.
    case flags
    /// `--baseline-group VALUE`.
    case named
    /// No `--baseline-group`: the group of the first trace given.
    case firstGiven
    /// One group: nothing is compared.
    case single

    /// Why the baseline is the baseline, for reports.
    public var reason: String {
        switch self {
        case .flags: return "the --baseline traces"
        case .named: return "named by --baseline-group"
        case .firstGiven: return "the group of the first trace given; --baseline-group names another"
        case .single: return "one group, nothing compared"
        }
    }
}

/// What grouping traces can fail on: each names what exists, so the fix is one look away.
public enum StatsGroupingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `--group-by KEY` where no trace has KEY.
    case noSuchKey(String, available: [String])
    /// `--baseline-group VALUE` that no group has.
    case noSuchGroup(String, groups: [String])

    public var description: String {
        switch self {
        case .noSuchKey(let key, let available):
            let keys =
                available.isEmpty ? "the traces have no labels or header fields" : "keys there are: \(available.joined(separator: ", "))"
            return "--group-by '\(key)': no trace has this label or header field; \(keys)"
        case .noSuchGroup(let value, let groups):
            return "--baseline-group '\(value)': no such group; the groups are: \(groups.joined(separator: ", "))"
        }
    }
}

/// The groups `stats` compares, the baseline first.
public struct StatsGroups: Sendable {
    public var groups: [(name: String, boots: [BootMetrics])]
    public var baseline: BaselineChoice
    /// The label or header field the traces were grouped by (`--group-by`).
    public var key: String?

    public init(groups: [(name: String, boots: [BootMetrics])], baseline: BaselineChoice, key: String? = nil) {
        self.groups = groups
        self.baseline = baseline
        self.key = key
    }

    /// `--baseline A... --candidate B...`.
    public static func pair(baseline: [BootMetrics], candidate: [BootMetrics]) -> StatsGroups {
        StatsGroups(groups: [("baseline", baseline), ("candidate", candidate)], baseline: .flags)
    }

    /// All traces as one group.
    public static func single(_ boots: [BootMetrics]) -> StatsGroups { StatsGroups(groups: [("all", boots)], baseline: .single) }

    /// Traces grouped by the value of a label or header field (`BootMetrics.groupKey`), groups in
    /// the order their first trace was given; traces without it form `(no KEY)`. The baseline is
    /// `baseline` when given, else the first group; it is moved first, the others keep their order.
    public static func by(_ key: String, _ boots: [BootMetrics], baseline: String? = nil) throws -> StatsGroups {
        guard boots.contains(where: { $0.groupKey(key) != nil }) else {
            var keys: [String] = []
            for b in boots { for k in b.groupKeys where !keys.contains(k) { keys.append(k) } }
            throw StatsGroupingError.noSuchKey(key, available: keys)
        }
        var groups: [(name: String, boots: [BootMetrics])] = []
        for b in boots {
            let name = b.groupKey(key) ?? "(no \(key))"
            if let i = groups.firstIndex(where: { $0.name == name }) { groups[i].boots.append(b) } else { groups.append((name, [b])) }
        }
        guard let baseline else {
            return StatsGroups(groups: groups, baseline: groups.count > 1 ? .firstGiven : .single, key: key)
        }
        guard let i = groups.firstIndex(where: { $0.name == baseline }) else {
            throw StatsGroupingError.noSuchGroup(baseline, groups: groups.map(\.name))
        }
        let chosen = groups.remove(at: i)
        return StatsGroups(groups: [chosen] + groups, baseline: groups.isEmpty ? .single : .named, key: key)
    }
}
