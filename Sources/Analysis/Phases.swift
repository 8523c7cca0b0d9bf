import Devices

/// The rules that turn a boot's steps into its chain, its phases and its named intervals, in
/// one place (README, "The rules"):
///
/// - **Repeats**: consecutive writes of one code (no other POST code between) are one step,
///   timed at the first write, with a count and the time to the last (`BuilderState.post`).
/// - **Back-steps**: a POST code whose component is earlier than the one the boot already
///   reached (Firmware 0x00-0x1f < Bootloader < Kernel < Userspace < Custom) is a back-step: shown
///   and marked, outside the chain; it opens no phase and ends neither a phase nor the boot. Linux
///   writes 0x00 to port 0x80 as an I/O delay (`outb_p`) long after its firmware is done.
/// - **The chain**: POST steps that are not back-steps, and marks, in time order. Each closes an
///   interval from the previous one; the first from the VM's start, when the trace records it.
/// - **Phases from POST codes** (the default): each component from its first step to the first
///   step of a later component; a component may be skipped; the last phase ends at the last step
///   of the chain, which is where the boot ends.
/// - **Phases from marks** (`--marks SET`, `--phase NAME=FROM..TO`): POST codes are steps only.
///   A set's phases run from each of its phase marks to the next one found, the last to its end
///   mark; a `--phase` from the first FROM to the first TO after it. A phase whose end never
///   comes runs to the end of the trace and is unfinished; the boot ends where its last phase does.
enum PhaseRules {
    static func order(_ c: DebugPortComponent) -> Int { DebugPortComponent.allCases.firstIndex(of: c)! }

    /// POST-code phases, fed one write at a time (every write, listed or not, so phases and the
    /// boot's end stay right past the steps a timeline lists).
    struct PostPhases {
        private(set) var phases: [BootPhase] = []
        /// The time of the last step of the chain.
        private(set) var lastChainTime: Int64?
        private var lastCode: UInt8?

        /// Adds a write of `code` at `time`; returns whether it is a back-step. A repeat of the
        /// previous write's code changes nothing: its step is timed at its first write.
        mutating func add(code: UInt8, time: Int64) -> Bool {
            let component = DebugPortComponent(code: code)
            let repeated = lastCode == code
            lastCode = code
            if let current = phases.last {
                if order(component) < order(current.component!) { return true }
                if repeated { return false }
                if order(component) > order(current.component!) {
                    phases[phases.count - 1].end = time
                    phases.append(BootPhase(component: component, start: time, end: time))
                }
            } else {
                phases.append(BootPhase(component: component, start: time, end: time))
            }
            lastChainTime = time
            phases[phases.count - 1].end = time
            return false
        }
    }

    /// Marks the chain in `steps` (sorted by time): each chain step's interval and where it starts.
    static func chain(_ steps: inout [BootStep], originKnown: Bool) {
        var previous: Int?
        for i in steps.indices {
            let s = steps[i]
            guard s.isMark || (s.code != nil && !s.isBackStep) else { continue }
            steps[i].inChain = true
            if let p = previous {
                steps[i].interval = s.time - steps[p].time
                steps[i].intervalFrom = steps[p].label
            } else if originKnown {
                steps[i].interval = s.time
            }
            previous = i
        }
    }

    /// Where a reference (`0x40`, a mark's name, `start`, `end`) is first found, at or after `after`.
    static func time(of ref: StepReference, in steps: [BootStep], after: Int64?, bootEnd: Int64?, originKnown: Bool) -> Int64? {
        let found: Int64?
        switch ref {
        case .vmStart: found = originKnown ? 0 : steps.first?.time
        case .bootEnd: found = bootEnd
        case .code(let c): found = steps.first { s in s.code == c && s.time >= (after ?? .min) }?.time
        case .mark(let name):
            found =
                steps.first { s in
                    if case .mark(let n, _, _) = s.kind { return n == name && s.time >= (after ?? .min) }
                    return false
                }?.time
        }
        guard let found else { return nil }
        if let after, found < after { return nil }
        return found
    }

    /// Phases from a mark set's marks: each phase from its mark to the next phase mark found,
    /// the last to the set's end mark, or unfinished to the trace's end.
    static func phases(from set: MarkSet, steps: [BootStep], traceEnd: Int64?) -> [BootPhase] {
        var starts: [(name: String, component: DebugPortComponent?, time: Int64)] = []
        for p in set.phases {
            guard let t = time(of: .mark(p.mark), in: steps, after: nil, bootEnd: nil, originKnown: true) else { continue }
            starts.append((p.name, p.component, t))
        }
        starts.sort { $0.time < $1.time }
        guard let last = starts.last else { return [] }
        let endMark = time(of: .mark(set.endMark), in: steps, after: last.time, bootEnd: nil, originKnown: true)
        var phases: [BootPhase] = []
        for (i, s) in starts.enumerated() {
            if i + 1 < starts.count {
                phases.append(BootPhase(name: s.name, component: s.component, start: s.time, end: starts[i + 1].time))
            } else if let endMark {
                phases.append(BootPhase(name: s.name, component: s.component, start: s.time, end: endMark))
            } else {
                phases.append(
                    BootPhase(name: s.name, component: s.component, start: s.time, end: max(s.time, traceEnd ?? s.time), unfinished: true))
            }
        }
        return phases
    }

    /// Phases from `--phase NAME=FROM..TO`: from the first FROM to the first TO after it; a
    /// missing TO leaves the phase unfinished, running to the trace's end.
    static func phases(from specs: [PhaseSpec], steps: [BootStep], traceEnd: Int64?, originKnown: Bool) -> [BootPhase] {
        var phases: [BootPhase] = []
        for spec in specs {
            guard let start = time(of: spec.from, in: steps, after: nil, bootEnd: nil, originKnown: originKnown) else { continue }
            if let end = time(of: spec.to, in: steps, after: start, bootEnd: nil, originKnown: originKnown) {
                phases.append(BootPhase(name: spec.name, component: nil, start: start, end: end))
            } else {
                phases.append(
                    BootPhase(name: spec.name, component: nil, start: start, end: max(start, traceEnd ?? start), unfinished: true))
            }
        }
        return phases.sorted { $0.start < $1.start }
    }

    /// The named intervals: FROM at its first occurrence, TO at its first occurrence after FROM.
    static func intervals(_ specs: [IntervalSpec], steps: [BootStep], bootEnd: Int64?, originKnown: Bool) -> [NamedInterval] {
        specs.map { spec in
            let start = time(of: spec.from, in: steps, after: nil, bootEnd: bootEnd, originKnown: originKnown)
            let end = start.flatMap { time(of: spec.to, in: steps, after: $0, bootEnd: bootEnd, originKnown: originKnown) }
            return NamedInterval(name: spec.name, from: spec.from.description, to: spec.to.description, start: start, end: end)
        }
    }
}
