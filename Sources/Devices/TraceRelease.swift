import TraceFormat

/// Which cloud-hypervisor release a trace is read under, and why.
///
/// An explicit `--profile` always wins. Otherwise the trace says: the `profile` a `run` used,
/// else the layout of an imported cloud-hypervisor log (`ch_log_layout`), else the version of a
/// recorded cloud-hypervisor (`vmm_version`, from `record`). Only when
/// the trace says nothing, the latest release.
public struct TraceRelease: Sendable, Equatable {
    public enum Source: String, Sendable {
        case flag = "--profile"
        case profileField = "the trace's profile"
        case vmmVersion = "the recorded cloud-hypervisor's version"
        case logLayout = "the layout of the imported log"
        case latest = "the latest; the trace names no release"
    }

    public let release: Release
    public let source: Source
    /// An imported log's own layout, applied on top of `release`.
    public let layout: LogLayout?

    public init(release: Release, source: Source, layout: LogLayout? = nil) {
        self.release = release
        self.source = source
        self.layout = layout
    }

    /// The behaviour to replay with.
    public var profile: Profile { layout.map { Profile(release).applying($0) } ?? Profile(release) }

    /// The `--log-format` template the trace's own layout had, if any.
    public var template: String? { layout?.template }

    /// The release for a trace with `metadata`, `explicit` being the user's `--profile` (already valid).
    public static func resolve(metadata: TraceMetadata, explicit: Release?) -> TraceRelease {
        if let explicit { return TraceRelease(release: explicit, source: .flag) }
        if let tag = metadata["profile"]?.stringValue, case .success(let r) = Release.named(tag) {
            return TraceRelease(release: r, source: .profileField)
        }
        if let layout = LogLayout(metadata: metadata) {
            return TraceRelease(release: layout.baseRelease, source: .logLayout, layout: layout)
        }
        if metadata["vmm_kind"]?.stringValue == "cloud-hypervisor", let text = metadata["vmm_version"]?.stringValue,
            let r = Release.fromVersionText(text)
        {
            return TraceRelease(release: r, source: .vmmVersion)
        }
        return TraceRelease(release: .latest, source: .latest)
    }
}

extension Release {
    /// The known release in a version banner such as `cloud-hypervisor v53.0` or
    /// `cloud-hypervisor v41.0-dirty`: the first word that starts `v` and a digit, cut at `-`.
    public static func fromVersionText(_ text: String) -> Release? {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            guard word.hasPrefix("v"), word.dropFirst().first?.isNumber == true else { continue }
            let tag = String(word.prefix { $0 != "-" && $0 != "+" })
            if let exact = all.first(where: { $0.tag == tag }) { return exact }
            // A patch release this table lacks reads as its minor release (v41.0.1 -> v41.0).
            if let r = Release(tag: tag), let base = all.last(where: { $0 <= r && $0.major == r.major }) { return base }
        }
        return nil
    }
}
