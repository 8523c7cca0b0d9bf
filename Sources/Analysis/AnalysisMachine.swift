import Devices
import Foundation
import TraceFormat

/// The machine an analysis reads a trace with: the trace's devices as the chosen release has
/// them, consoles printing into memory (taken as they come), and the VMM log either not
/// formatted at all (a timeline needs the codes, not the lines) or handed as records, every
/// level, to an observer (a comparison).
struct AnalysisMachine {
    let machine: DebugMachine
    let sinks: MachineSinks
    let formatter: LogFormatter
    let observer: OutputObserver?

    /// `observer`: made once the log's formatter exists, it gets the records and console bytes.
    init(metadata md: TraceMetadata, release chosen: TraceRelease, path: String, observer: ((LogFormatter) -> OutputObserver)? = nil)
        throws
    {
        let profile = chosen.profile
        let origin = md.vmStartNs ?? 0
        let sinks = MachineSinks(log: .discard(), debugConsole: .memory(), firmwareDebug: .memory(), serial: .memory())
        do {
            let devices = try DeviceMap.forReplay(
                recorded: DeviceMap(metadata: md), profile: profile, debugConsole: nil, firmwareDebug: nil, serial: nil)
            formatter = try LogFormatter(
                profile: profile, template: chosen.template, metadata: md, loggerOrigin: md.vmmStartNs ?? origin,
                timeZone: TimeZone(identifier: "UTC")!
            )
            let made = observer?(formatter)
            let log = DeviceLog(
                formatter: formatter, maxLevel: made == nil ? nil : profile.maxLevel(verbosity: 3), sink: sinks.log, observer: made)
            self.observer = made
            machine = try DebugMachine(
                configuration: MachineConfiguration(profile: profile, vmOrigin: origin, devices: devices), log: log, sinks: sinks)
        } catch {
            throw AnalysisError.devices(path: path, "\(error)")
        }
        self.sinks = sinks
    }

    /// The console sinks, in output order (1: debug console, 2: firmware debug, 3: serial).
    var consoles: [ByteSink] { [sinks.debugConsole, sinks.firmwareDebug, sinks.serial] }
}
