import Foundation
import Testing

/// scripts/check-safety and scripts/check-imports, each shown a planted violation (and the real
/// tree, which must pass).
@Suite struct LintChecksTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path

    static func run(_ script: String, _ root: String) throws -> RunResult {
        try runProcess("/usr/bin/env", ["python3", Self.root + "/scripts/" + script, root])
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func theTreeKeepsItsRules() throws {
        let safety = try Self.run("check-safety", Self.root)
        #expect(safety.status == 0, "\(safety.out)\(safety.stderr)")
        let imports = try Self.run("check-imports", Self.root)
        #expect(imports.status == 0, "\(imports.out)\(imports.stderr)")
    }

    @Test func anUnsafeOperationNeedsANote() throws {
        try withScratch { dir in
            let file = "\(dir)/Sources/Thing/Thing.swift"
            // Covered: a note above, and a run of sites each within 3 lines of the previous one.
            try Self.write(
                """
                func f(_ a: [UInt8]) {
                    // SAFETY: the array's bytes, for the closure only.
                    a.withUnsafeBytes { _ in }
                    a.withUnsafeBufferPointer { _ in }

                    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
                    p.deallocate()
                }
                """, to: file)
            #expect(try Self.run("check-safety", dir).status == 0)
            // Planted: a site more than 3 lines after the last covered one, and none above it.
            try Self.write(
                """
                func f(_ a: [UInt8]) {
                    // SAFETY: the array's bytes, for the closure only.
                    a.withUnsafeBytes { _ in }
                    let x = 1
                    let y = 2
                    let z = 3
                    let q = 4
                    let r = 5
                    let s = 6
                    let t = 7
                    let u = 8
                    let b = UnsafeRawBufferPointer(start: nil, count: 0)
                }
                // Words in comments and strings are not sites: withUnsafeBytes, "UnsafeRawBufferPointer("
                let text = "unsafeBitCast(1)"
                let annotated: UnsafeRawBufferPointer? = nil
                """, to: file)
            let r = try Self.run("check-safety", dir)
            #expect(r.status == 1)
            #expect(
                r.out.split(separator: "\n") == ["Sources/Thing/Thing.swift:12: UnsafeRawBufferPointer( without a // SAFETY: note"],
                "\(r.out)")
        }
    }

    @Test func anImportTheMapDoesNotAllowFails() throws {
        try withScratch { dir in
            try FileManager.default.copyItem(atPath: Self.root + "/ARCHITECTURE.md", toPath: "\(dir)/ARCHITECTURE.md")
            try Self.write("import TraceFormat\nimport Devices\nimport Foundation\n", to: "\(dir)/Sources/Analysis/A.swift")
            #expect(try Self.run("check-imports", dir).status == 0)
            for (module, text) in [
                ("Analysis", "#if os(Linux)\nimport Capture\n#endif\n"), ("TraceFormat", "import Devices\n"),
                ("porttrace", "@testable import KVM\n"),
                ("NewModule", "import Foundation\n"),
            ] {
                try Self.write(text, to: "\(dir)/Sources/\(module)/Planted.swift")
                let r = try Self.run("check-imports", dir)
                #expect(r.status == 1, "\(module): \(r.out)")
                try FileManager.default.removeItem(atPath: "\(dir)/Sources/\(module)/Planted.swift")
            }
        }
    }

    /// Concepts with one home stay single where a grep can tell (issue 23): each marker is in
    /// exactly one file of `Sources/`.
    @Test(arguments: [
        ("0xcbf2_9ce4_8422_2325", "FNV1a.swift"),  // FNV-1a's offset basis
        ("719_468", "CivilDate.swift"),  // days from 0000-03-01 to 1970-01-01
        ("0xEDB8_8320", "ByteCursor.swift"),  // CRC-32's polynomial
        ("static let firstUnnamed", "CloudHypervisorLogImport.swift"),
        ("func fixedDevices(for", "DeviceMap.swift"),
    ])
    func oneHomeEach(marker: String, home: String) throws {
        let sources = URL(fileURLWithPath: Self.root + "/Sources")
        var files: [String] = []
        let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "swift", let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            if text.contains(marker) { files.append(url.lastPathComponent) }
        }
        #expect(files == [home], "'\(marker)' is in \(files)")
    }
}
