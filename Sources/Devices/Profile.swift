/// Everything about one cloud-hypervisor release that shapes what its debug devices
/// and logger printed (reference sections 1-5). Built from the release alone.
public struct Profile: Sendable {
    public let release: Release

    /// Logger line layout eras F0 .. F5 (reference 4.2).
    public enum LoggerFormat: String, Sendable {
        case none = "-"
        case f0 = "F0"
        case f1 = "F1"
        case f2 = "F2"
        case f3 = "F3"
        case f4 = "F4"
        case f5 = "F5"
    }

    /// How port 0x80 was handled.
    public enum DebugPortEra: Sendable {
        /// No 0x80 logging (v0.1.0).
        case absent
        /// Intercepted in the vCPU exit loop; only 1-byte writes logged (v0.2.0 .. v23.1).
        case intercepted
        /// A bus device at 0x80 taking any size, first byte (v24.0+).
        case busDevice
    }

    public internal(set) var loggerFormat: LoggerFormat
    public internal(set) var lineEnding: String
    /// The level shown with no `-v`; each `-v` shows one more.
    public let defaultLevel: LogLevel?
    public let debugPortEra: DebugPortEra
    public internal(set) var debugPortLevel: LogLevel
    public internal(set) var debugPortLocation: SourceLocation?
    /// v0.10.0, v0.11.0: every 0x80 write also reaches the empty bus and warns.
    public let everyDebugPortWriteWarns: Bool
    /// Unregistered-port messages: nil where the release printed none.
    public let unregisteredLevel: LogLevel?
    public let unregisteredWriteLocation: SourceLocation?
    public let unregisteredReadLocation: SourceLocation?
    /// v53.0: "read from" wording and all-ones fill for unregistered reads.
    public let unregisteredReadFillsOnes: Bool
    /// `Invalid read to debug port` (v24.0+).
    public let debugPortReadLocation: SourceLocation?
    /// Whether the firmware debug port exists in an official build, and whether a build could have it.
    public enum Availability: String, Sendable {
        case absent = "no"
        case optIn = "opt-in"
        case byDefault = "default"
        case always = "always"
    }
    public let firmwareDebug: Availability
    public let firmwareDebugReadLocation: SourceLocation?
    public let firmwareDebugWriteLocation: SourceLocation?
    /// The debug console device exists (v38.0+).
    public let hasDebugConsole: Bool
    /// `--log-format` tokens the release accepts (empty: no such option).
    public let logFormatTokens: Set<String>

    public init(_ release: Release) {
        self.release = release
        let r = release
        typealias R = Release
        func at(_ a: Int, _ b: Int, _ c: Int = 0) -> Release { R.r(a, b, c) }

        // Logger format and line ending.
        if r < at(0, 2, 0) {
            loggerFormat = .none
        } else if r < at(0, 13, 0) {
            loggerFormat = .f0
        } else if r <= at(28, 4) {
            loggerFormat = .f1
        } else if r == at(31, 2) || r == at(32, 1) {
            loggerFormat = .f3
        } else if r < at(33, 0) {
            loggerFormat = .f2
        } else if r < at(49, 0) {
            loggerFormat = .f3
        } else if r < at(52, 0) {
            loggerFormat = .f4
        } else {
            loggerFormat = .f5
        }
        lineEnding = [.f3, .f4, .f5].contains(loggerFormat) ? "\r\n" : "\n"
        defaultLevel = loggerFormat == .none ? nil : (r < at(0, 11, 0) ? .error : .warn)

        // Port 0x80.
        if r < at(0, 2, 0) {
            debugPortEra = .absent
        } else if r < at(24, 0) {
            debugPortEra = .intercepted
        } else {
            debugPortEra = .busDevice
        }
        debugPortLevel = r < at(20, 0) ? .debug : (r < at(24, 0) ? .info : .warn)
        debugPortLocation = Profile.debugPortLocations.last(where: { $0.0 <= r }).map { SourceLocation($0.1, $0.2) }
        everyDebugPortWriteWarns = r == at(0, 10, 0) || r == at(0, 11, 0)

        // Unregistered ports.
        let unreg = Profile.unregisteredLocations.last(where: { $0.0 <= r })
        if r < at(0, 10, 0) {
            unregisteredLevel = nil
            unregisteredWriteLocation = nil
            unregisteredReadLocation = nil
        } else {
            unregisteredLevel = r < at(28, 0) ? .warn : .info
            let file = r < at(0, 11, 0) ? "vmm/src/cpu.rs" : "vmm/src/vm.rs"
            unregisteredWriteLocation = unreg.map { SourceLocation(file, $0.1) }
            unregisteredReadLocation = unreg.map { SourceLocation(file, $0.2) }
        }
        unregisteredReadFillsOnes = r >= at(53, 0)

        debugPortReadLocation =
            r < at(24, 0)
            ? nil
            : SourceLocation("devices/src/legacy/debug_port.rs", r < at(42, 0) ? 64 : r < at(50, 0) ? 65 : r < at(53, 0) ? 66 : 67)

        // Firmware debug port.
        if r < at(0, 7, 0) {
            firmwareDebug = .absent
        } else if r < at(19, 0) {
            firmwareDebug = .optIn
        } else if r < at(27, 0) {
            firmwareDebug = .byDefault
        } else {
            firmwareDebug = .always
        }
        let fw: (Int, Int)? =
            r < at(0, 7, 0) ? nil : r < at(0, 13, 0) ? (29, 37) : r < at(42, 0) ? (30, 38) : r < at(50, 0) ? (31, 39) : (32, 40)
        firmwareDebugReadLocation = fw.map { SourceLocation("devices/src/legacy/fwdebug.rs", $0.0) }
        firmwareDebugWriteLocation = fw.map { SourceLocation("devices/src/legacy/fwdebug.rs", $0.1) }

        hasDebugConsole = r >= at(38, 0)

        if r >= at(53, 0) {
            logFormatTokens = Profile.v52Tokens.union(Profile.v53Tokens)
        } else if r >= at(52, 0) {
            logFormatTokens = Profile.v52Tokens
        } else {
            logFormatTokens = []
        }
    }

    /// This release's behaviour with a log layout read from a log file (which may match no release).
    public func applying(_ layout: LogLayout) -> Profile {
        var p = self
        p.loggerFormat = layout.format
        p.lineEnding = layout.lineEnding
        p.debugPortLevel = layout.level
        p.debugPortLocation = layout.location
        return p
    }

    /// Whether the firmware debug port is present when nothing says otherwise (official builds).
    public var firmwareDebugByDefault: Bool { firmwareDebug == .byDefault || firmwareDebug == .always }

    /// The level at or above which records print with `verbosity` `-v` flags.
    public func maxLevel(verbosity: Int) -> LogLevel? {
        guard let base = defaultLevel else { return nil }
        return LogLevel(rawValue: min(base.rawValue + verbosity, LogLevel.trace.rawValue))
    }

    static let v52Tokens: Set<String> = ["boottime", "wallclock", "pid", "tid", "thread", "level", "location", "msg"]
    static let v53Tokens: Set<String> = [
        "glog", "localglog", "levelchar",
        "year", "month", "day", "hour", "minute", "second", "micros", "offset",
        "localyear", "localmonth", "localday", "localhour", "localminute", "localsecond", "localmicros", "localoffset",
    ]

    /// First tag of each 0x80 log location (reference 1.6).
    static let debugPortLocations: [(Release, String, Int)] = [
        (.r(0, 2, 0), "vmm/src/vm.rs", 527), (.r(0, 3, 0), "vmm/src/vm.rs", 426),
        (.r(0, 4, 0), "vmm/src/cpu.rs", 364), (.r(0, 5, 0), "vmm/src/cpu.rs", 363),
        (.r(0, 6, 0), "vmm/src/cpu.rs", 370), (.r(0, 7, 0), "vmm/src/cpu.rs", 455),
        (.r(0, 8, 0), "vmm/src/cpu.rs", 408), (.r(0, 9, 0), "vmm/src/cpu.rs", 367),
        (.r(0, 10, 0), "vmm/src/cpu.rs", 401), (.r(0, 11, 0), "vmm/src/vm.rs", 367),
        (.r(0, 12, 0), "vmm/src/vm.rs", 368), (.r(0, 13, 0), "vmm/src/vm.rs", 384),
        (.r(0, 14, 0), "vmm/src/vm.rs", 413), (.r(16, 0), "vmm/src/vm.rs", 397),
        (.r(17, 0), "vmm/src/vm.rs", 409), (.r(18, 0), "vmm/src/vm.rs", 373),
        (.r(19, 0), "vmm/src/vm.rs", 375), (.r(20, 0), "vmm/src/vm.rs", 385),
        (.r(20, 1), "vmm/src/vm.rs", 387), (.r(21, 0), "vmm/src/vm.rs", 394),
        (.r(22, 0), "vmm/src/vm.rs", 415), (.r(23, 0), "vmm/src/vm.rs", 409),
        (.r(24, 0), "devices/src/legacy/debug_port.rs", 76), (.r(42, 0), "devices/src/legacy/debug_port.rs", 77),
        (.r(50, 0), "devices/src/legacy/debug_port.rs", 78), (.r(53, 0), "devices/src/legacy/debug_port.rs", 74),
    ]

    /// First tag of each (write line, read line) of the unregistered-port messages (reference 1.6).
    static let unregisteredLocations: [(Release, Int, Int)] = [
        (.r(0, 10, 0), 354, 342), (.r(0, 11, 0), 428, 414), (.r(0, 12, 0), 430, 415), (.r(0, 13, 0), 448, 434),
        (.r(0, 14, 0), 477, 463), (.r(16, 0), 461, 447), (.r(17, 0), 473, 459), (.r(18, 0), 437, 423),
        (.r(19, 0), 461, 436), (.r(20, 0), 471, 446), (.r(20, 1), 473, 448), (.r(21, 0), 480, 455),
        (.r(22, 0), 501, 476), (.r(23, 0), 495, 470), (.r(24, 0), 427, 407), (.r(25, 0), 439, 419),
        (.r(27, 0), 443, 423), (.r(29, 0), 417, 408), (.r(30, 1), 411, 402), (.r(31, 0), 414, 405),
        (.r(31, 1), 408, 399), (.r(31, 2), 407, 398), (.r(34, 0), 410, 401), (.r(36, 0), 414, 405),
        (.r(37, 0), 424, 415), (.r(39, 0), 428, 419), (.r(40, 0), 435, 426), (.r(41, 0), 439, 430),
        (.r(42, 0), 435, 426), (.r(45, 0), 436, 427), (.r(46, 0), 444, 435), (.r(48, 0), 483, 474),
        (.r(50, 0), 488, 479), (.r(51, 0), 485, 476), (.r(52, 0), 502, 493), (.r(53, 0), 510, 500),
    ]

    /// A short description of the behaviour that does not depend on source lines, for grouping tags into eras.
    public var eraSignature: String {
        let port: String
        switch debugPortEra {
        case .absent: port = "0x80 not logged"
        case .intercepted:
            port = "0x80 \(debugPortLevel.name), 1-byte writes only\(everyDebugPortWriteWarns ? ", then an unregistered-port WARN" : "")"
        case .busDevice: port = "0x80 \(debugPortLevel.name), any size (first byte), reads log ERROR"
        }
        let logger = loggerFormat == .none ? "no logger" : "logger \(loggerFormat.rawValue)\(lineEnding == "\r\n" ? " CRLF" : "")"
        let level = defaultLevel.map { "default \($0.name)" } ?? ""
        let unreg =
            unregisteredLevel.map { "unregistered ports \($0.name)\(unregisteredReadFillsOnes ? " (reads 0xff)" : "")" }
            ?? "unregistered ports silent"
        let extra = [
            hasDebugConsole ? "debug console" : nil, "fwdebug \(firmwareDebug.rawValue)",
            logFormatTokens.isEmpty ? nil : "--log-format (\(logFormatTokens.count) tokens)",
        ].compactMap { $0 }
        return ([logger, level, port, unreg] + extra).filter { !$0.isEmpty }.joined(separator: "; ")
    }
}
