import Devices

/// The phase rules, in one place:
/// - Phases run Firmware, Bootloader, Kernel, Userspace, then Custom. A phase starts at the first
///   POST step of its component and ends where the first step of a later component starts.
/// - A step whose component is earlier than the phase already reached does not open a phase: it
///   is a back-step (Linux writes 0x00 to port 0x80 as an I/O delay long after firmware is done).
/// - A later component may be reached without the ones between (a boot with no bootloader codes).
/// - The last phase ends at the last POST step of the boot.
enum PhaseRules {
    static func order(_ c: DebugPortComponent) -> Int {
        switch c {
        case .firmware: return 0
        case .bootloader: return 1
        case .kernel: return 2
        case .userspace: return 3
        case .custom: return 4
        }
    }

    /// Marks back-steps in `steps` (POST steps only are looked at) and returns the phases.
    static func apply(to steps: inout [BootStep]) -> (phases: [BootPhase], backSteps: Int, lastStep: Int64?) {
        var phases: [BootPhase] = []
        var backSteps = 0
        var lastStep: Int64?
        for i in steps.indices {
            guard let component = steps[i].component else { continue }
            let t = steps[i].time
            if let current = phases.last {
                if order(component) < order(current.component) {
                    steps[i].isBackStep = true
                    backSteps += 1
                    continue
                }
                if order(component) > order(current.component) {
                    phases[phases.count - 1].end = t
                    phases.append(BootPhase(component: component, start: t, end: t))
                }
            } else {
                phases.append(BootPhase(component: component, start: t, end: t))
            }
            lastStep = t
            phases[phases.count - 1].end = t
        }
        return (phases, backSteps, lastStep)
    }
}
