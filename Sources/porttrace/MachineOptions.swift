import ArgumentParser
import Devices
import Foundation
import SystemCalls
import TraceFormat

/// Output and device options shared by `replay` and `run`, spelled as cloud-hypervisor spells them.
struct MachineOptions: ParsableArguments {
    @Option(
        help: """
            cloud-hypervisor release whose behaviour is reproduced (e.g. v24.0; 'latest' is the newest). \
            Replay's default: the release the trace names (run's --profile, a recorded cloud-hypervisor's \
            version), else latest. See 'porttrace profiles'.
            """)
    var profile: String?
    @Option(help: "Write the VMM log here instead of stderr ('-': stdout).") var logFile: String?
    @Flag(name: .short, help: "More log: -v info, -vv debug, -vvv trace (as cloud-hypervisor).") var verbose: Int
    @Option(help: "off|tty|file=PATH[,iobase=0xNN] (file=- is stdout)") var debugConsole: String?
    @Option(help: "off|tty|file=PATH (file=- is stdout)") var firmwareDebug: String?
    @Option(help: "off|tty|file=PATH (file=- is stdout)") var serial: String?
    @Option(help: "Write vmm.log, debug-console.out, firmware-debug.out and serial.out into this directory.")
    var outDir: String?
    @Option(help: "Log line template (v52.0+ token language, e.g. '{wallclock} {level} {msg}').") var logFormat: String?
    @Option(help: "Time zone for the {local*} log tokens (default UTC), e.g. Europe/Berlin.") var timezone: String?
    @Flag(help: "Write guest bytes to a terminal unescaped.") var raw = false

    func validate() throws {
        if let profile, case .failure(let e) = Release.named(profile) { throw ValidationError("--profile: \(e)") }
        for (flag, value, iobase) in [
            ("--debug-console", debugConsole, true), ("--firmware-debug", firmwareDebug, false), ("--serial", serial, false),
        ] {
            if let value, case .failure(let e) = DeviceChoice.parse(value, allowIobase: iobase) {
                throw ValidationError("\(flag) '\(value)': \(e)")
            }
        }
        if let timezone, TimeZone(identifier: timezone) == nil { throw ValidationError("--timezone: unknown time zone '\(timezone)'") }
        if outDir != nil, logFile != nil || [debugConsole, firmwareDebug, serial].contains(where: { $0?.contains("file=") == true }) {
            throw ValidationError("--out-dir names every output file; do not combine it with --log-file or file=")
        }
    }

    /// The release `--profile` names, if given (validated).
    var explicitRelease: Release? { profile.flatMap { try? Release.named($0).get() } }

    /// Sinks opened so far, to finish or abandon together.
    final class OpenSinks {
        /// Shared by every console-type output that goes to the terminal, so they interleave in order.
        let stdout: ByteSink
        var all: [ByteSink]
        init(sanitizeStdout: Bool) {
            stdout = ByteSink(.descriptor(1), sanitize: sanitizeStdout)
            all = [stdout]
        }
        func abandon() { for s in all { s.abandon() } }
    }

    /// These options with every output path passed through `rename` (a boot of a series: `{n}`).
    func forBoot(_ rename: (String) -> String) -> MachineOptions {
        var m = self
        m.logFile = logFile.map(rename)
        m.outDir = outDir.map(rename)
        func choice(_ text: String?) -> String? {
            guard let text, text.hasPrefix("file=") || text.contains("file=") else { return text }
            return rename(text)
        }
        m.debugConsole = choice(debugConsole)
        m.firmwareDebug = choice(firmwareDebug)
        m.serial = choice(serial)
        return m
    }

    /// The output files these options name, with the flag that names each.
    var outputPaths: [(flag: String, path: String?)] {
        if let outDir {
            return ["vmm.log", "debug-console.out", "firmware-debug.out", "serial.out"].map { ("--out-dir", "\(outDir)/\($0)") }
        }
        func file(_ text: String?, iobase: Bool) -> String? {
            guard let text, case .success(let c) = DeviceChoice.parse(text, allowIobase: iobase), case .file(let p) = c.mode else {
                return nil
            }
            return p
        }
        return [
            ("--log-file", logFile), ("--debug-console", file(debugConsole, iobase: true)),
            ("--firmware-debug", file(firmwareDebug, iobase: false)), ("--serial", file(serial, iobase: false)),
        ]
    }

    /// Creates `--out-dir` and refuses outputs that are inputs or share a file, before anything
    /// is written (status 2).
    func prepareOutputs(inputs: [String], more: [(flag: String, path: String?)] = []) throws {
        if let outDir {
            do {
                try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            } catch {
                throw CLIFailure.cannot("--out-dir \(outDir): cannot create the directory")
            }
        }
        try checkOutputs(inputs: inputs, outputs: outputPaths + more)
    }

    /// Builds the machine for a trace (or a live run) with these options.
    func makeMachine(release chosen: TraceRelease, metadata: TraceMetadata, vmOrigin: UInt64, loggerOrigin: UInt64) throws -> (
        DebugMachine, OpenSinks
    ) {
        let profile = chosen.profile
        let sinks = OpenSinks(sanitizeStdout: Descriptor.isTerminal(Descriptor.standardOutput) && !raw)

        /// An output path: standard output (`-`, `/dev/stdout`) shares the one stdout sink, so
        /// outputs sent there interleave in order; anything else follows the output rules.
        func file(_ path: String, flag: String) throws -> ByteSink {
            do {
                let target = try OutputTarget.resolve(path)
                if target == .standardOutput || target == .inherited(descriptor: 1) { return sinks.stdout }
                let s = try ByteSink.output(path, contents: .guestData)
                sinks.all.append(s)
                return s
            } catch {
                sinks.abandon()
                throw CLIFailure.cannot("\(flag) \(error)")
            }
        }
        func sink(_ mode: DeviceChoice.Mode, outName: String, flag: String) throws -> ByteSink {
            if let outDir { return try file("\(outDir)/\(outName)", flag: "--out-dir") }
            switch mode {
            case .off: return .discard()
            case .tty: return sinks.stdout
            case .file(let p): return try file(p, flag: flag)
            }
        }
        func choice(_ text: String?, iobase: Bool) -> DeviceChoice? {
            text.flatMap { try? DeviceChoice.parse($0, allowIobase: iobase).get() }
        }
        let consoleChoice = choice(debugConsole, iobase: true)
        let firmwareChoice = choice(firmwareDebug, iobase: false)
        let serialChoice = choice(serial, iobase: false)
        let recorded = DeviceMap(metadata: metadata)
        let devices: DeviceMap
        do {
            devices = try DeviceMap.forReplay(
                recorded: recorded, profile: profile, debugConsole: consoleChoice,
                firmwareDebug: firmwareChoice, serial: serialChoice)
        } catch {
            throw CLIFailure.cannot("\(error)")
        }
        // Where each output goes: the user's choice, else the terminal for a device the machine has.
        let consoleMode = consoleChoice?.mode ?? (devices.has(.debugConsole) ? .tty : .off)
        let fwMode = firmwareChoice?.mode ?? .tty
        let serialMode = serialChoice?.mode ?? .tty

        let logSink: ByteSink
        if let outDir {
            logSink = try file("\(outDir)/vmm.log", flag: "--out-dir")
        } else if let logFile {
            logSink = try file(logFile, flag: "--log-file")
        } else {
            logSink = ByteSink(.descriptor(2))
            sinks.all.append(logSink)
        }

        let machineSinks = MachineSinks(
            log: logSink,
            debugConsole: try sink(consoleMode, outName: "debug-console.out", flag: "--debug-console"),
            firmwareDebug: try sink(fwMode, outName: "firmware-debug.out", flag: "--firmware-debug"),
            serial: try sink(serialMode, outName: "serial.out", flag: "--serial"))

        let formatter: LogFormatter
        do {
            formatter = try LogFormatter(
                profile: profile, template: logFormat ?? chosen.template, metadata: metadata, loggerOrigin: loggerOrigin,
                timeZone: timezone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!)
        } catch {
            sinks.abandon()
            throw CLIFailure.cannot("--log-format: \(error)")
        }
        let log = DeviceLog(formatter: formatter, maxLevel: profile.maxLevel(verbosity: verbose), sink: machineSinks.log)
        let configuration = MachineConfiguration(profile: profile, vmOrigin: vmOrigin, devices: devices)
        do {
            return (try DebugMachine(configuration: configuration, log: log, sinks: machineSinks), sinks)
        } catch {
            sinks.abandon()
            throw CLIFailure.cannot("devices: \(error)")
        }
    }

    /// Whether the log goes to stderr (then notes must not be mixed into it).
    var logOnStderr: Bool {
        guard outDir == nil else { return false }
        guard let logFile else { return true }
        return (try? OutputTarget.resolve(logFile)) == .inherited(descriptor: 2)
    }
}
