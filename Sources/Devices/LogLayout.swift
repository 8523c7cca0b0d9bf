import TraceFormat

/// The layout of a cloud-hypervisor log as found in a log file: the line format era, the line
/// ending, the level and source location of the 0x80 line, and a `--log-format` template.
/// An imported trace stores it (`ch_log_layout`), and replay uses it when no `--profile` is
/// given, so the lines come back as the file had them even when the file matches no release
/// (a development build's `vm.rs:510`, say).
public struct LogLayout: Sendable, Equatable {
    public var format: Profile.LoggerFormat
    public var lineEnding: String
    public var level: LogLevel
    public var location: SourceLocation
    /// The `--log-format` template (F5 only), nil for the default one.
    public var template: String?

    public init(format: Profile.LoggerFormat, lineEnding: String, level: LogLevel, location: SourceLocation, template: String? = nil) {
        self.format = format
        self.lineEnding = lineEnding
        self.level = level
        self.location = location
        self.template = template
    }

    /// The release whose devices replay the log: the newest with this format and level, else the
    /// newest with this format.
    public var baseRelease: Release {
        let sameFormat = Release.all.filter { Profile($0).loggerFormat == format }
        return sameFormat.last { Profile($0).debugPortLevel == level } ?? sameFormat.last ?? .latest
    }

    public var json: JSONValue {
        .object([
            ("format", .string(format.rawValue)), ("line_ending", .string(lineEnding)), ("level", .string(level.name)),
            ("location", .string(location.description)), ("template", template.map(JSONValue.string) ?? .null),
            ("base_release", .string(baseRelease.tag)),
        ])
    }

    /// The layout a trace recorded, if it is an imported log's.
    public init?(metadata: TraceMetadata) {
        guard let v = metadata["ch_log_layout"], let f = v["format"]?.stringValue, let format = Profile.LoggerFormat(rawValue: f),
            format != .none, let ending = v["line_ending"]?.stringValue, ending == "\n" || ending == "\r\n",
            let levelName = v["level"]?.stringValue, let level = LogLevel.allCases.first(where: { $0.name == levelName }),
            let loc = v["location"]?.stringValue, let colon = loc.lastIndex(of: ":"), let line = Int(loc[loc.index(after: colon)...])
        else { return nil }
        self.init(
            format: format, lineEnding: ending, level: level, location: SourceLocation(String(loc[..<colon]), line),
            template: v["template"]?.stringValue)
    }
}
