import Foundation
import Testing

let gitAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/git")

/// porttrace's libraries used the way another project uses them: Examples/post-codes depends on
/// a version tag of a clone of this checkout (a path dependency would accept anything, so it
/// would prove nothing), and builds and runs.
@Suite(.serialized) struct LibraryUseTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// SwiftPM refuses unsafe flags in a versioned dependency below tools 6.2 and accepts them
    /// from 6.2 on, where they would still switch checks off in every user's build: none at all.
    @Test func manifestHasNoUnsafeFlags() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(!manifest.contains("unsafeFlags"))
    }

    /// One version: what porttrace says, the CHANGELOG's first section, and what the example asks for.
    @Test func oneVersion() throws {
        let version = try porttrace(["--version"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let changelog = try String(contentsOf: Self.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let first = changelog.split(separator: "\n").first { $0.hasPrefix("## ") }.map(String.init) ?? ""
        #expect(first == "## \(version)" || first == "## Unreleased (\(version))", "\(first) against \(version)")
        let example = try String(contentsOf: Self.root.appendingPathComponent("Examples/post-codes/Package.swift"), encoding: .utf8)
        #expect(example.contains("from: \"\(version)\""))
    }

    @Test(.enabled(if: gitAvailable, "git is not installed"), .timeLimit(.minutes(10)))
    func exampleBuildsAgainstATaggedVersion() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("porttrace-example-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        // The clone's folder must be named `porttrace`: SwiftPM names a URL dependency after it.
        let clone = work.appendingPathComponent("porttrace")
        try FileManager.default.createDirectory(at: clone, withIntermediateDirectories: true)

        // The working tree as it is (committed or not), as a fresh repository tagged with the
        // version porttrace says it is.
        let version = try porttrace(["--version"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(version.split(separator: ".").count == 3, "porttrace --version: \(version)")
        let files = try shell(["git", "-C", Self.root.path, "ls-files", "--cached", "--others", "--exclude-standard", "-z"])
        for path in files.out.split(separator: "\0").map(String.init) where !path.hasPrefix("Examples/") {
            let source = Self.root.appendingPathComponent(path)
            let target = clone.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: target)
        }
        let git = ["git", "-C", clone.path, "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
        for step in [["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"], ["tag", version]] {
            let r = try shell(git + step)
            try #require(r.status == 0, "git \(step[0]): \(r.stderr)")
        }

        let example = work.appendingPathComponent("post-codes")
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("Examples/post-codes"), to: example)
        let build = try shell(
            ["swift", "build", "--package-path", example.path],
            environment: ["PORTTRACE_URL": clone.absoluteString])
        try #require(build.status == 0, "\(build.out)\(build.stderr)")

        let binary = example.appendingPathComponent(".build/debug/post-codes").path
        let run = try shell([binary, Self.root.appendingPathComponent("traces/boot-demo.pt").path])
        #expect(run.status == 0)
        let lines = run.out.split(separator: "\n")
        let dump = try porttrace(["dump", Self.root.appendingPathComponent("traces/boot-demo.pt").path, "--port", "0x80"])
        #expect(lines.count == dump.out.split(separator: "\n").count)
        #expect(lines.first?.hasSuffix("Firmware") == true)
        #expect(lines.contains { $0.hasSuffix("Userspace") })
    }
}

/// Runs a command found on PATH.
func shell(_ argv: [String], environment: [String: String] = [:]) throws -> RunResult {
    try runProcess("/usr/bin/env", argv, environment: environment)
}
