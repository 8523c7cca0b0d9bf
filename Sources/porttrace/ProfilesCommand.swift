import ArgumentParser
import Devices

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the cloud-hypervisor releases porttrace reproduces, grouped into behaviour eras."
    )

    @Flag(help: "One line per release with its 0x80 level and source location.") var tags = false

    func run() throws {
        if tags {
            for r in Release.all {
                let p = Profile(r)
                let loc = p.debugPortLocation.map { "\(p.debugPortLevel.name) \($0)" } ?? "-"
                print("\(r.tag)\t\(p.loggerFormat.rawValue)\t\(loc)")
            }
            return
        }
        var groups: [(String, [Release])] = []
        for r in Release.all {
            let sig = Profile(r).eraSignature
            if let last = groups.last, last.0 == sig { groups[groups.count - 1].1.append(r) } else { groups.append((sig, [r])) }
        }
        for (sig, releases) in groups {
            let range = releases.count == 1 ? releases[0].tag : "\(releases.first!.tag) .. \(releases.last!.tag)"
            print("\(range) (\(releases.map(\.tag).joined(separator: ", ")))")
            print("    \(sig)")
        }
        print("default: latest = \(Release.latest.tag)")
    }
}
