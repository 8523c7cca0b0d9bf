/// A cloud-hypervisor release tag, e.g. `v0.14.1` or `v24.0`, ordered by version.
public struct Release: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int
    public let tag: String

    public init?(tag: String) {
        guard tag.hasPrefix("v") else { return nil }
        let parts = tag.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count >= 2, parts.count <= 3, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        major = parts[0]!
        minor = parts[1]!
        patch = parts.count == 3 ? parts[2]! : 0
        self.tag = tag
    }

    public static func < (a: Release, b: Release) -> Bool { (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
    public static func == (a: Release, b: Release) -> Bool { (a.major, a.minor, a.patch) == (b.major, b.minor, b.patch) }
    public func hash(into h: inout Hasher) {
        h.combine(major)
        h.combine(minor)
        h.combine(patch)
    }
    public var description: String { tag }

    /// Shorthand for comparisons in the profile table: `r(24, 0)` is v24.0, `r(0, 14, 1)` is v0.14.1.
    static func r(_ major: Int, _ minor: Int, _ patch: Int = 0) -> Release {
        Release(tag: patch == 0 && major > 0 ? "v\(major).\(minor)" : "v\(major).\(minor).\(patch)")!
    }

    /// Every tag in the reference's release table (cloud-hypervisor v0.1.0 .. v53.0).
    public static let all: [Release] = [
        "v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0", "v0.5.0", "v0.5.1", "v0.6.0", "v0.7.0", "v0.8.0", "v0.9.0",
        "v0.10.0", "v0.11.0", "v0.12.0", "v0.13.0", "v0.14.0", "v0.14.1", "v15.0", "v16.0", "v17.0", "v18.0",
        "v19.0", "v20.0", "v20.1", "v20.2", "v21.0", "v21.1", "v22.0", "v22.1", "v23.0", "v23.1",
        "v24.0", "v25.0", "v26.0", "v27.0", "v28.0", "v28.1", "v28.2", "v28.3", "v28.4",
        "v29.0", "v30.0", "v30.1", "v31.0", "v31.1", "v31.2", "v32.0", "v32.1", "v33.0", "v34.0",
        "v35.0", "v35.1", "v36.0", "v36.1", "v37.0", "v37.1", "v38.0", "v39.0", "v40.0", "v41.0",
        "v42.0", "v43.0", "v44.0", "v45.0", "v46.0", "v47.0", "v48.0", "v49.0",
        "v50.0", "v50.1", "v50.2", "v51.0", "v51.1", "v51.2", "v52.0", "v53.0",
    ].map { Release(tag: $0)! }

    public static var latest: Release { all.last! }

    /// The known release for `tag` ("latest" is the newest), or an error naming the nearest ones.
    public static func named(_ tag: String) -> Result<Release, UnknownRelease> {
        if tag == "latest" { return .success(latest) }
        if let r = all.first(where: { $0.tag == tag }) { return .success(r) }
        return .failure(UnknownRelease(tag: tag, nearest: nearest(to: tag)))
    }

    static func nearest(to tag: String) -> [String] {
        let digits = tag.drop(while: { !$0.isNumber })
        let probe = Release(tag: "v" + digits) ?? Release(tag: "v" + digits + ".0")
        guard let probe else { return [latest.tag] }
        // Components clamped, so that a tag such as v99999999999999999 cannot overflow the key.
        func key(_ r: Release) -> Int { min(r.major, 1_000_000) * 1_000_000 + min(r.minor, 999) * 1000 + min(r.patch, 999) }
        func distance(_ r: Release) -> Int { abs(key(r) - key(probe)) }
        return all.sorted { distance($0) < distance($1) }.prefix(3).map(\.tag)
    }
}

public struct UnknownRelease: Error, CustomStringConvertible {
    public let tag: String
    public let nearest: [String]
    public var description: String {
        "unknown cloud-hypervisor release '\(tag)'; nearest known: \(nearest.joined(separator: ", ")) (see 'porttrace profiles')"
    }
}
